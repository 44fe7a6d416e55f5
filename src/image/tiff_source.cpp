// SPDX-License-Identifier: MIT
// TIFF images through libtiff: one page -> yx (yxc with several samples), several pages of the
// same size -> zyx(c). Pages are decoded on demand, strip by strip (or tile by tile), so memory
// follows the blocks read, not the file; a small cache keeps recently decoded strips because
// neighbouring blocks share them.
#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <list>
#include <map>
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

struct PageFormat {
  std::uint32_t width = 0, height = 0;
  std::uint16_t spp = 1, bps = 8, format = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG;
  ValueType dtype = ValueType::UInt8;
  bool tiled = false;
  std::uint32_t tile_w = 0, tile_h = 0, rows_per_strip = 0;

  bool same_layout(const PageFormat& o) const {
    return width == o.width && height == o.height && spp == o.spp && dtype == o.dtype;
  }
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

PageFormat page_format(TIFF* tif) {
  PageFormat p;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &p.width);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &p.height);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &p.spp);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &p.bps);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &p.format);
  TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &p.planar);
  std::uint16_t photometric = PHOTOMETRIC_MINISBLACK;
  TIFFGetFieldDefaulted(tif, TIFFTAG_PHOTOMETRIC, &photometric);
  if (photometric == PHOTOMETRIC_YCBCR)
    throw Error(ErrorKind::Unsupported, "YCbCr (JPEG-compressed colour) TIFFs are not supported");
  p.dtype = dtype_of(p.bps, p.format);
  if (p.width == 0 || p.height == 0) throw Error(ErrorKind::Format, "page has no pixels");
  if (p.spp == 0) throw Error(ErrorKind::Format, "page has no samples per pixel");
  p.tiled = TIFFIsTiled(tif);
  if (p.tiled) {
    TIFFGetField(tif, TIFFTAG_TILEWIDTH, &p.tile_w);
    TIFFGetField(tif, TIFFTAG_TILELENGTH, &p.tile_h);
    if (p.tile_w == 0 || p.tile_h == 0) throw Error(ErrorKind::Format, "tiled page without tile size");
  } else {
    TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &p.rows_per_strip);
    p.rows_per_strip = std::min(std::max<std::uint32_t>(p.rows_per_strip, 1), p.height);
  }
  return p;
}

class TiffImage final : public RegionSource {
 public:
  TiffImage(std::unique_ptr<TIFF, TiffCloser> tif, PageFormat first, std::vector<toff_t> pages, ImageInfo info)
      : tif_(std::move(tif)), pages_(std::move(pages)), current_(first), spp_(first.spp) {
    info_ = std::move(info);
  }

  void read_region(const std::vector<std::int64_t>& begin, const std::vector<std::int64_t>& count,
                   float* out) const override {
    // File order: [page] y x [sample].
    const bool paged = pages_.size() > 1, sampled = spp_ > 1;
    const std::size_t d = paged ? 1 : 0;
    const std::int64_t p0 = paged ? begin[0] : 0, np = paged ? count[0] : 1;
    const std::int64_t y0 = begin[d], ny = count[d], x0 = begin[d + 1], nx = count[d + 1];
    const std::int64_t s0 = sampled ? begin[d + 2] : 0, ns = sampled ? count[d + 2] : 1;
    std::lock_guard<std::mutex> lock(mutex_);
    with_context(fmt::format("reading {}", info_.path), [&] {
      for (std::int64_t p = p0; p < p0 + np; ++p) {
        float* page_out = out + static_cast<std::size_t>((p - p0) * ny * nx * ns);
        with_context(fmt::format("page {}", p), [&] { read_page_region(p, y0, ny, x0, nx, s0, ns, page_out); });
      }
    });
  }

 private:
  // One decoded strip or tile: rows of `row_samples` samples in native layout.
  struct Chunk {
    std::vector<unsigned char> bytes;
  };

  // Strip or tile `index` of `page`, which must be the selected page.
  const Chunk& chunk(std::int64_t page, std::uint32_t index) const {
    const auto key = std::make_pair(page, index);
    if (auto it = cache_.find(key); it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.second);
      return it->second.first;
    }
    Chunk c;
    tiff_error.clear();
    if (current_.tiled) {
      c.bytes.resize(static_cast<std::size_t>(TIFFTileSize(tif_.get())));
      if (TIFFReadEncodedTile(tif_.get(), index, c.bytes.data(), static_cast<tmsize_t>(c.bytes.size())) < 0)
        throw Error(ErrorKind::Format, fmt::format("cannot decode tile {}: {}", index, tiff_error));
    } else {
      c.bytes.resize(static_cast<std::size_t>(TIFFStripSize(tif_.get())));
      if (TIFFReadEncodedStrip(tif_.get(), index, c.bytes.data(), static_cast<tmsize_t>(c.bytes.size())) < 0)
        throw Error(ErrorKind::Format, fmt::format("cannot decode strip {}: {}", index, tiff_error));
    }
    cached_bytes_ += c.bytes.size();
    lru_.push_front(key);
    auto& slot = cache_[key];
    slot = {std::move(c), lru_.begin()};
    while (cached_bytes_ > kCacheBytes && lru_.size() > 1) {
      auto victim = cache_.find(lru_.back());
      cached_bytes_ -= victim->second.first.bytes.size();
      cache_.erase(victim);
      lru_.pop_back();
    }
    return slot.first;
  }

  // Makes `page` the current directory; pages may differ in strip or tile layout.
  const PageFormat& select_page(std::int64_t page) const {
    if (current_page_ != page) {
      tiff_error.clear();
      if (!TIFFSetSubDirectory(tif_.get(), pages_[static_cast<std::size_t>(page)]))
        throw Error(ErrorKind::Format, "cannot read the page's directory: " + tiff_error);
      current_ = page_format(tif_.get());
      current_page_ = page;
    }
    return current_;
  }

  void read_page_region(std::int64_t page, std::int64_t y0, std::int64_t ny, std::int64_t x0, std::int64_t nx,
                        std::int64_t s0, std::int64_t ns, float* out) const {
    const PageFormat& f = select_page(page);
    const std::size_t elem = element_size(f.dtype);
    const bool separate = f.planar == PLANARCONFIG_SEPARATE && f.spp > 1;
    const std::int64_t spp = f.spp;
    // Chunk geometry: width in pixels, height in rows, samples per pixel in the chunk.
    const std::int64_t cw = f.tiled ? f.tile_w : f.width;
    const std::int64_t ch = f.tiled ? f.tile_h : f.rows_per_strip;
    const std::int64_t cspp = separate ? 1 : spp;
    const std::int64_t across = (f.width + cw - 1) / cw, down = (f.height + ch - 1) / ch;
    std::vector<float> row(static_cast<std::size_t>(cw * cspp));
    for (std::int64_t plane = 0; plane < (separate ? spp : 1); ++plane) {
      if (separate && (plane < s0 || plane >= s0 + ns)) continue;
      for (std::int64_t cy = y0 / ch; cy <= (y0 + ny - 1) / ch; ++cy)
        for (std::int64_t cx = x0 / cw; cx <= (x0 + nx - 1) / cw; ++cx) {
          const auto index = static_cast<std::uint32_t>((plane * down + cy) * across + cx);
          const Chunk& c = chunk(page, index);
          const std::int64_t ya = std::max(y0, cy * ch), yb = std::min({y0 + ny, (cy + 1) * ch, std::int64_t{f.height}});
          const std::int64_t xa = std::max(x0, cx * cw), xb = std::min(x0 + nx, (cx + 1) * cw);
          for (std::int64_t y = ya; y < yb; ++y) {
            const std::size_t off = static_cast<std::size_t>(((y - cy * ch) * cw + (xa - cx * cw)) * cspp) * elem;
            const std::size_t n = static_cast<std::size_t>((xb - xa) * cspp);
            if (off + n * elem > c.bytes.size()) throw Error(ErrorKind::Format, "strip shorter than its rows");
            convert_samples(f.dtype, c.bytes.data() + off, n, row.data());
            float* dst = out + static_cast<std::size_t>(((y - y0) * nx + (xa - x0)) * ns);
            for (std::int64_t x = 0; x < xb - xa; ++x)
              if (separate)
                dst[x * ns + (plane - s0)] = row[static_cast<std::size_t>(x)];
              else
                for (std::int64_t s = 0; s < ns; ++s) dst[x * ns + s] = row[static_cast<std::size_t>(x * spp + s0 + s)];
          }
        }
    }
  }

  static constexpr std::size_t kCacheBytes = 64u << 20;
  std::unique_ptr<TIFF, TiffCloser> tif_;
  std::vector<toff_t> pages_;
  mutable std::mutex mutex_;
  mutable PageFormat current_;
  mutable std::int64_t current_page_ = 0;
  std::uint16_t spp_;
  mutable std::list<std::pair<std::int64_t, std::uint32_t>> lru_;
  mutable std::map<std::pair<std::int64_t, std::uint32_t>,
                   std::pair<Chunk, std::list<std::pair<std::int64_t, std::uint32_t>>::iterator>>
      cache_;
  mutable std::size_t cached_bytes_ = 0;
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
    const PageFormat first = page_format(tif.get());
    std::vector<toff_t> pages;
    do {
      if (pages.size() > 1'000'000) throw Error(ErrorKind::Format, "more than a million pages (a directory loop?)");
      const PageFormat p = with_context(fmt::format("page {}", pages.size()), [&] { return page_format(tif.get()); });
      if (!p.same_layout(first))
        throw Error(ErrorKind::Unsupported,
                    fmt::format("page {} differs in size or type from the first page", pages.size()));
      pages.push_back(TIFFCurrentDirOffset(tif.get()));
    } while (TIFFReadDirectory(tif.get()));
    if (!TIFFSetSubDirectory(tif.get(), pages.front()))
      throw Error(ErrorKind::Format, "cannot return to the first page: " + tiff_error);
    ImageInfo info;
    info.path = file;
    info.dtype = first.dtype;
    info.axes_source = "tiff";
    const auto n = static_cast<std::int64_t>(pages.size());
    if (n > 1) {
      info.axes = "zyx";
      info.shape = {n, first.height, first.width};
    } else {
      info.axes = "yx";
      info.shape = {first.height, first.width};
    }
    if (first.spp > 1) {
      info.axes += "c";
      info.shape.push_back(first.spp);
    }
    return std::make_unique<TiffImage>(std::move(tif), first, std::move(pages), std::move(info));
  });
}

}  // namespace ilpkit::image_detail
