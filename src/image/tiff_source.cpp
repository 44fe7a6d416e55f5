// SPDX-License-Identifier: MIT
// TIFF images through libtiff: one page -> yx (yxc with several samples), several pages of the
// same size -> zyx(c). The whole file is decoded at open (streaming large TIFFs is issue 5's).
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>

#include <fmt/format.h>
#include <tiffio.h>

#include "ilpkit/error.hpp"
#include "sources.hpp"

namespace ilpkit::image_detail {

namespace {

thread_local std::string tiff_error;

void on_tiff_error(const char* module, const char* format, va_list args) {
  char buf[512];
  std::vsnprintf(buf, sizeof buf, format, args);
  tiff_error = module ? fmt::format("{}: {}", module, buf) : std::string(buf);
}

void install_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    TIFFSetErrorHandler(on_tiff_error);
    TIFFSetWarningHandler(nullptr);  // unknown private tags are common and harmless
  });
}

struct TiffCloser {
  void operator()(TIFF* t) const { TIFFClose(t); }
};

template <class T>
void convert(const unsigned char* src, std::size_t n, float* dst) {
  for (std::size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    dst[i] = static_cast<float>(v);
  }
}

struct PageFormat {
  std::uint32_t width = 0, height = 0;
  std::uint16_t spp = 1, bps = 8, format = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG;
  ValueType dtype = ValueType::UInt8;
};

ValueType dtype_of(std::uint16_t bps, std::uint16_t format) {
  if (format == SAMPLEFORMAT_IEEEFP) {
    if (bps == 32) return ValueType::Float32;
    if (bps == 64) return ValueType::Float64;
  } else if (format == SAMPLEFORMAT_INT) {
    if (bps == 8) return ValueType::Int8;
    if (bps == 16) return ValueType::Int16;
    if (bps == 32) return ValueType::Int32;
  } else if (format == SAMPLEFORMAT_UINT || format == SAMPLEFORMAT_VOID) {
    if (bps == 8) return ValueType::UInt8;
    if (bps == 16) return ValueType::UInt16;
    if (bps == 32) return ValueType::UInt32;
  }
  throw Error(ErrorKind::Unsupported, fmt::format("{}-bit samples of format {} are not supported", bps, format));
}

void convert_samples(ValueType t, const unsigned char* src, std::size_t n, float* dst) {
  switch (t) {
    case ValueType::UInt8: convert<std::uint8_t>(src, n, dst); break;
    case ValueType::Int8: convert<std::int8_t>(src, n, dst); break;
    case ValueType::UInt16: convert<std::uint16_t>(src, n, dst); break;
    case ValueType::Int16: convert<std::int16_t>(src, n, dst); break;
    case ValueType::UInt32: convert<std::uint32_t>(src, n, dst); break;
    case ValueType::Int32: convert<std::int32_t>(src, n, dst); break;
    case ValueType::Float32: convert<float>(src, n, dst); break;
    case ValueType::Float64: convert<double>(src, n, dst); break;
    default: break;
  }
}

PageFormat page_format(TIFF* tif) {
  PageFormat p;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &p.width);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &p.height);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &p.spp);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &p.bps);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &p.format);
  TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &p.planar);
  p.dtype = dtype_of(p.bps, p.format);
  if (p.width == 0 || p.height == 0) throw Error(ErrorKind::Format, "page has no pixels");
  return p;
}

// One page as float32 in y, x, sample order.
void read_page(TIFF* tif, const PageFormat& p, float* out) {
  const std::size_t bytes = p.bps / 8;
  const std::size_t row_samples = static_cast<std::size_t>(p.width) * p.spp;
  if (TIFFIsTiled(tif)) {
    std::uint32_t tw = 0, th = 0;
    TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
    std::vector<unsigned char> tile(static_cast<std::size_t>(TIFFTileSize(tif)));
    std::vector<float> conv(static_cast<std::size_t>(tw) * th * p.spp);
    const int planes = p.planar == PLANARCONFIG_SEPARATE ? p.spp : 1;
    const std::size_t tile_spp = p.planar == PLANARCONFIG_SEPARATE ? 1 : p.spp;
    for (int s = 0; s < planes; ++s)
      for (std::uint32_t y0 = 0; y0 < p.height; y0 += th)
        for (std::uint32_t x0 = 0; x0 < p.width; x0 += tw) {
          if (TIFFReadTile(tif, tile.data(), x0, y0, 0, static_cast<std::uint16_t>(s)) < 0)
            throw Error(ErrorKind::Format, "cannot decode tile: " + tiff_error);
          convert_samples(p.dtype, tile.data(), static_cast<std::size_t>(tw) * th * tile_spp, conv.data());
          for (std::uint32_t y = y0; y < std::min(p.height, y0 + th); ++y)
            for (std::uint32_t x = x0; x < std::min(p.width, x0 + tw); ++x)
              for (std::size_t k = 0; k < tile_spp; ++k)
                out[(static_cast<std::size_t>(y) * p.width + x) * p.spp + (planes > 1 ? static_cast<std::size_t>(s) : k)] =
                    conv[((y - y0) * static_cast<std::size_t>(tw) + (x - x0)) * tile_spp + k];
        }
    return;
  }
  std::vector<unsigned char> line(static_cast<std::size_t>(TIFFScanlineSize(tif)));
  std::vector<float> conv(row_samples);
  if (p.planar == PLANARCONFIG_SEPARATE) {
    for (std::uint16_t s = 0; s < p.spp; ++s)
      for (std::uint32_t y = 0; y < p.height; ++y) {
        if (TIFFReadScanline(tif, line.data(), y, s) < 0)
          throw Error(ErrorKind::Format, "cannot decode row: " + tiff_error);
        convert_samples(p.dtype, line.data(), p.width, conv.data());
        for (std::uint32_t x = 0; x < p.width; ++x) out[(static_cast<std::size_t>(y) * p.width + x) * p.spp + s] = conv[x];
      }
    return;
  }
  for (std::uint32_t y = 0; y < p.height; ++y) {
    if (TIFFReadScanline(tif, line.data(), y, 0) < 0)
      throw Error(ErrorKind::Format, "cannot decode row: " + tiff_error);
    if (line.size() < row_samples * bytes) throw Error(ErrorKind::Format, "row shorter than its samples");
    convert_samples(p.dtype, line.data(), row_samples, out + static_cast<std::size_t>(y) * row_samples);
  }
}

class TiffImage final : public ImageSource {
 public:
  TiffImage(ImageInfo info, std::vector<float> data) : data_(std::move(data)) { info_ = std::move(info); }

  void read(std::int64_t t, const Box& box, PlanarBlock& out) const override {
    (void)t;
    // Stored as [z][y][x][c] (the file's own axes may have been renamed; extents are kept).
    const auto& axes = info_.axes;
    std::vector<std::int64_t> counts(axes.size());
    std::vector<std::int64_t> begin(axes.size(), 0);
    for (std::size_t i = 0; i < axes.size(); ++i) {
      counts[i] = info_.shape[i];
      switch (axes[i]) {
        case 't': begin[i] = t, counts[i] = 1; break;
        case 'z': begin[i] = box.begin[0], counts[i] = box.extent(0); break;
        case 'y': begin[i] = box.begin[1], counts[i] = box.extent(1); break;
        case 'x': begin[i] = box.begin[2], counts[i] = box.extent(2); break;
        default: break;
      }
    }
    // Gather the box in file order, then scatter into planes.
    std::vector<float> sub;
    std::int64_t total = 1;
    for (auto c : counts) total *= c;
    sub.resize(static_cast<std::size_t>(total));
    std::vector<std::int64_t> stride(axes.size(), 1);
    for (std::size_t i = axes.size() - 1; i-- > 0;) stride[i] = stride[i + 1] * info_.shape[i + 1];
    std::vector<std::int64_t> idx(axes.size(), 0);
    for (std::int64_t k = 0; k < total; ++k) {
      std::int64_t off = 0;
      for (std::size_t i = 0; i < axes.size(); ++i) off += (begin[i] + idx[i]) * stride[i];
      sub[static_cast<std::size_t>(k)] = data_[static_cast<std::size_t>(off)];
      for (std::size_t i = axes.size(); i-- > 0;) {
        if (++idx[i] < counts[i]) break;
        idx[i] = 0;
      }
    }
    out.reset(box, static_cast<int>(info_.extent('c')));
    scatter_to_planar(sub.data(), axes, counts, out);
  }

 private:
  std::vector<float> data_;
};

}  // namespace

std::unique_ptr<ImageSource> open_tiff_image(const std::string& file) {
  install_handlers();
  return with_context(fmt::format("reading {}", file), [&]() -> std::unique_ptr<ImageSource> {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) throw Error(ErrorKind::Io, "no such file");
    tiff_error.clear();
    std::unique_ptr<TIFF, TiffCloser> tif(TIFFOpen(file.c_str(), "rm"));
    if (!tif) throw Error(ErrorKind::Format, "not a readable TIFF: " + tiff_error);
    PageFormat first = page_format(tif.get());
    std::vector<float> data;
    std::size_t page_size = static_cast<std::size_t>(first.width) * first.height * first.spp;
    std::int64_t pages = 0;
    do {
      PageFormat p = page_format(tif.get());
      if (p.width != first.width || p.height != first.height || p.spp != first.spp || p.dtype != first.dtype)
        throw Error(ErrorKind::Unsupported, fmt::format("page {} differs in size or type from the first page", pages));
      data.resize(data.size() + page_size);
      with_context(fmt::format("page {}", pages), [&] { read_page(tif.get(), p, data.data() + data.size() - page_size); });
      ++pages;
    } while (TIFFReadDirectory(tif.get()));
    ImageInfo info;
    info.path = file;
    info.dtype = first.dtype;
    info.axes_source = "tiff";
    if (pages > 1) {
      info.axes = "zyx";
      info.shape = {pages, first.height, first.width};
    } else {
      info.axes = "yx";
      info.shape = {first.height, first.width};
    }
    if (first.spp > 1) {
      info.axes += "c";
      info.shape.push_back(first.spp);
    }
    return std::make_unique<TiffImage>(std::move(info), std::move(data));
  });
}

}  // namespace ilpkit::image_detail
