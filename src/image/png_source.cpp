// SPDX-License-Identifier: MIT
// PNG images through libpng: decoded whole at open (PNG has no random access), kept in their
// own 8- or 16-bit samples. Grey -> yx, grey+alpha / RGB / RGBA -> yxc; palettes expand to RGB
// and 1/2/4-bit grey to 8 bits, as vigra's importer does for ilastik.
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <png.h>

#include "ilpkit/error.hpp"
#include "sources.hpp"

namespace ilpkit::image_detail {

namespace {

// All libpng state lives here, on the heap, so that a longjmp out of libpng skips no C++
// destructor and clobbers no local.
struct PngReader {
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::FILE* file = nullptr;
  unsigned char* pixels = nullptr;
  png_bytep* rows = nullptr;
  png_uint_32 width = 0, height = 0;
  int depth = 0, channels = 0;
  char message[256] = {};
  void release_decoder() {
    if (png) png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
    png = nullptr, info = nullptr;
    if (file) std::fclose(file);
    file = nullptr;
    std::free(rows);
    rows = nullptr;
  }
  ~PngReader() {
    release_decoder();
    std::free(pixels);
  }
};

void on_png_error(png_structp png, png_const_charp msg) {
  auto* r = static_cast<PngReader*>(png_get_error_ptr(png));
  std::snprintf(r->message, sizeof r->message, "%s", msg);
  longjmp(png_jmpbuf(png), 1);
}

void on_png_warning(png_structp, png_const_charp) {}

// False with r->message on a libpng error.
bool decode(PngReader* r) {
  if (setjmp(png_jmpbuf(r->png))) return false;
  png_init_io(r->png, r->file);
  png_set_sig_bytes(r->png, 8);
  png_set_user_limits(r->png, 1u << 20, 1u << 20);
  png_read_info(r->png, r->info);
  const int color = png_get_color_type(r->png, r->info);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r->png);
  if (color == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(r->png, r->info) < 8) png_set_expand_gray_1_2_4_to_8(r->png);
  if (png_get_bit_depth(r->png, r->info) == 16) png_set_swap(r->png);  // to the host's little-endian uint16
  png_read_update_info(r->png, r->info);
  r->width = png_get_image_width(r->png, r->info);
  r->height = png_get_image_height(r->png, r->info);
  r->depth = png_get_bit_depth(r->png, r->info);
  r->channels = png_get_channels(r->png, r->info);
  const std::size_t row_bytes = png_get_rowbytes(r->png, r->info);
  r->pixels = static_cast<unsigned char*>(std::malloc(row_bytes * r->height));
  r->rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * r->height));
  if (!r->pixels || !r->rows) {
    std::snprintf(r->message, sizeof r->message, "out of memory");
    return false;
  }
  for (png_uint_32 y = 0; y < r->height; ++y) r->rows[y] = r->pixels + y * row_bytes;
  png_read_image(r->png, r->rows);
  png_read_end(r->png, nullptr);
  return true;
}

}  // namespace

std::unique_ptr<ImageSource> open_png_image(const std::string& file) {
  return with_context(fmt::format("reading {}", file), [&]() -> std::unique_ptr<ImageSource> {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) throw Error(ErrorKind::Io, "no such file");
    auto r = std::make_unique<PngReader>();
    r->file = std::fopen(file.c_str(), "rb");
    if (!r->file) throw Error(ErrorKind::Io, "cannot open the file");
    unsigned char signature[8] = {};
    if (std::fread(signature, 1, 8, r->file) != 8 || png_sig_cmp(signature, 0, 8) != 0)
      throw Error(ErrorKind::Format, "not a PNG file");
    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r.get(), on_png_error, on_png_warning);
    if (!r->png) throw Error(ErrorKind::Io, "libpng could not start");
    r->info = png_create_info_struct(r->png);
    if (!r->info) throw Error(ErrorKind::Io, "libpng could not start");
    if (!decode(r.get())) throw Error(ErrorKind::Format, fmt::format("cannot decode the PNG: {}", r->message));
    if (r->depth != 8 && r->depth != 16)
      throw Error(ErrorKind::Unsupported, fmt::format("{}-bit PNG samples are not supported", r->depth));
    ImageInfo info;
    info.path = file;
    const int channels = r->channels;
    info.dtype = r->depth == 16 ? ValueType::UInt16 : ValueType::UInt8;
    info.axes_source = "png";
    info.axes = channels > 1 ? "yxc" : "yx";
    info.shape = {static_cast<std::int64_t>(r->height), static_cast<std::int64_t>(r->width)};
    if (channels > 1) info.shape.push_back(channels);
    r->release_decoder();
    const unsigned char* base = r->pixels;
    std::shared_ptr<PngReader> storage(std::move(r));
    return std::make_unique<ArrayImage>(std::move(info), std::shared_ptr<const void>(storage, base), base);
  });
}

}  // namespace ilpkit::image_detail
