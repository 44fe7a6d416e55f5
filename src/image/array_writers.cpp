// SPDX-License-Identifier: MIT
// Exports that are one C-order array: numpy's .npy (a header, then the array), TIFF (pages of
// y × x with the channels as samples), PNG and the VIGRA formats (one 2-D image), and sequences
// of those. Blocks are staged with pwrite at their offsets in a temporary file next to the
// output, so memory stays bounded by the block; TIFF is encoded from the staged array strip by
// strip at commit. Nothing appears under the final name before commit.
#include <fcntl.h>
#include <png.h>
#include <tiffio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "chunk_files.hpp"
#include "export_layout.hpp"
#include "sources.hpp"
#include "vigra_writer.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/image.hpp"

namespace ilpkit {

namespace {

namespace fs = std::filesystem;

std::string temp_name(const std::string& path, const char* what) {
  return fmt::format("{}.ilpkit-{}.{}", path, ::getpid(), what);
}

void make_parent(const std::string& path) {
  fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path() && !fs::is_directory(target.parent_path(), ec)) {
    fs::create_directories(target.parent_path(), ec);
    if (ec) throw Error(ErrorKind::Io, fmt::format("cannot create folder {}: {}", target.parent_path().string(), ec.message()));
  }
}

// The output array in a file at `offset`, written block by block.
class StagedArray {
 public:
  StagedArray(std::string file, std::uint64_t offset, const ImageWriterOptions& o)
      : file_(std::move(file)), offset_(offset), shape_(o.shape.begin(), o.shape.end()), elem_(element_size(o.dtype)) {
    fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(ErrorKind::Io, fmt::format("cannot create {}: {}", file_, std::strerror(errno)));
    std::uint64_t total = elem_;
    for (auto n : shape_) total *= n;
    bytes_ = total;
    // Reserve the whole array now: a full disk fails here, not half way.
    if (const int err = ::posix_fallocate(fd_, 0, static_cast<off_t>(offset_ + bytes_)); err != 0 && err != EOPNOTSUPP) {
      ::close(fd_);
      fd_ = -1;
      ::unlink(file_.c_str());  // the owner's destructor never runs when its constructor throws
      fail("cannot reserve space for", err);
    }
  }
  ~StagedArray() {
    if (fd_ >= 0) ::close(fd_);
  }
  StagedArray(const StagedArray&) = delete;
  StagedArray& operator=(const StagedArray&) = delete;

  int fd() const { return fd_; }
  std::uint64_t bytes() const { return bytes_; }

  void put(const image_detail::ExportSlab& slab) {
    const std::vector<std::int64_t> shape(shape_.begin(), shape_.end()), begin(slab.start.begin(), slab.start.end()),
        count(slab.count.begin(), slab.count.end());
    const unsigned char* src = slab.bytes.data();
    image_detail::for_each_run(shape, begin, count, [&](std::size_t offset, std::size_t length) {
      write_all(src, length * elem_, offset_ + offset * elem_);
      src += length * elem_;
    });
  }

  void read(void* dst, std::uint64_t size, std::uint64_t at) const {
    auto* p = static_cast<unsigned char*>(dst);
    while (size > 0) {
      const ssize_t n = ::pread(fd_, p, size, static_cast<off_t>(offset_ + at));
      if (n <= 0) fail("cannot read back", n < 0 ? errno : EIO);
      p += n, size -= static_cast<std::uint64_t>(n), at += static_cast<std::uint64_t>(n);
    }
  }

  void write_all(const void* data, std::uint64_t size, std::uint64_t at) {
    const auto* p = static_cast<const unsigned char*>(data);
    while (size > 0) {
      const ssize_t n = ::pwrite(fd_, p, size, static_cast<off_t>(at));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("cannot write", n < 0 ? errno : EIO);
      p += n, size -= static_cast<std::uint64_t>(n), at += static_cast<std::uint64_t>(n);
    }
  }

  void close() {
    if (fd_ >= 0 && ::close(fd_) != 0) {
      fd_ = -1;
      fail("cannot finish", errno);
    }
    fd_ = -1;
  }

 private:
  [[noreturn]] void fail(const char* what, int err) const {
    throw Error(ErrorKind::Io, fmt::format("{} {}: {}", what, file_, std::strerror(err)));
  }

  std::string file_;
  std::uint64_t offset_;
  std::vector<std::uint64_t> shape_;
  std::size_t elem_;
  std::uint64_t bytes_ = 0;
  int fd_ = -1;
};

void rename_into_place(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) throw Error(ErrorKind::Io, fmt::format("cannot rename the finished file into place as {}: {}", to, ec.message()));
}

// numpy's .npy, format 1.0: magic, header dict padded to a multiple of 64 bytes, C-order data.
// A block converted to the output's layout and dtype, put into the staged array.
void stage(StagedArray& array, image_detail::ExportSlab& slab, std::int64_t t, const PlanarBlock& block,
           const ImageWriterOptions& opt) {
  with_context(fmt::format("writing {}", opt.path), [&] {
    image_detail::export_slab(t, block, opt, slab);
    array.put(slab);
  });
}

class NpyWriter final : public ImageWriter {
 public:
  explicit NpyWriter(ImageWriterOptions o) : opt_(std::move(o)), temp_(temp_name(opt_.path, "tmp")) {
    with_context(fmt::format("writing {}", opt_.path), [&] {
      make_parent(opt_.path);
      std::string header =
          fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}{}), }}",
                      image_detail::numpy_descr(opt_.dtype), fmt::join(opt_.shape, ", "), opt_.shape.size() == 1 ? "," : "");
      const std::size_t unpadded = 10 + header.size() + 1;
      header.append((64 - unpadded % 64) % 64, ' ');
      header += '\n';
      std::string prefix("\x93NUMPY\x01\x00", 8);
      const auto len = static_cast<std::uint16_t>(header.size());
      prefix += static_cast<char>(len & 0xff);
      prefix += static_cast<char>(len >> 8);
      array_ = std::make_unique<StagedArray>(temp_, prefix.size() + header.size(), opt_);
      const std::string head = prefix + header;
      array_->write_all(head.data(), head.size(), 0);
    });
  }
  ~NpyWriter() override {
    if (committed_) return;
    array_.reset();
    std::error_code ec;
    fs::remove(temp_, ec);
  }
  void write(std::int64_t t, const PlanarBlock& block) override { stage(*array_, slab_, t, block, opt_); }
  void commit() override {
    with_context(fmt::format("writing {}", opt_.path), [&] {
      array_->close();
      rename_into_place(temp_, opt_.path);
      committed_ = true;
    });
  }

 private:
  ImageWriterOptions opt_;
  std::string temp_;
  std::unique_ptr<StagedArray> array_;
  image_detail::ExportSlab slab_;
  bool committed_ = false;
};

// Formats encoded in one go at commit (TIFF, PNG): blocks are staged raw in a file next to the
// output, then encoded from it into the temporary file, which is renamed into place.
class EncodedAtCommitWriter : public ImageWriter {
 public:
  explicit EncodedAtCommitWriter(ImageWriterOptions o)
      : opt_(std::move(o)), staged_(temp_name(opt_.path, "raw")), temp_(temp_name(opt_.path, "tmp")) {}
  ~EncodedAtCommitWriter() override {
    array_.reset();
    std::error_code ec;
    fs::remove(staged_, ec);
    if (!committed_) fs::remove(temp_, ec);
  }
  void write(std::int64_t t, const PlanarBlock& block) override { stage(*array_, slab_, t, block, opt_); }
  void commit() override {
    with_context(fmt::format("writing {}", opt_.path), [&] {
      encode();
      rename_into_place(temp_, opt_.path);
      committed_ = true;
    });
  }

 protected:
  /// Called by the derived constructor once it accepted the options.
  void start_staging() {
    with_context(fmt::format("writing {}", opt_.path), [&] {
      make_parent(opt_.path);
      array_ = std::make_unique<StagedArray>(staged_, 0, opt_);
    });
  }
  /// Writes the whole file to temp_ from array_.
  virtual void encode() = 0;

  ImageWriterOptions opt_;
  std::string staged_, temp_;
  std::unique_ptr<StagedArray> array_;

 private:
  image_detail::ExportSlab slab_;
  bool committed_ = false;
};

// TIFF: each page is y × x with the channels as samples (contiguous), pages run over the axes
// before y; LZW-compressed as ilastik's TIFF exports are.
class TiffWriter final : public EncodedAtCommitWriter {
 public:
  TiffWriter(ImageWriterOptions o, bool multipage) : EncodedAtCommitWriter(std::move(o)) {
    const std::string& a = opt_.axes;
    const auto y = a.find('y');
    if (a.size() < 3 || a.compare(a.size() - 3, 3, "yxc") != 0 || y != a.size() - 3)
      throw Error(ErrorKind::Usage, fmt::format("TIFF output stores pages of y × x × channels: its axis order must end "
                                                "in yxc (e.g. --output_axis_order=yxc or zyxc), not '{}'",
                                                a));
    pages_ = 1;
    for (std::size_t i = 0; i + 3 < a.size(); ++i) pages_ *= static_cast<std::uint64_t>(opt_.shape[i]);
    if (!multipage && pages_ > 1)
      throw Error(ErrorKind::Usage, fmt::format("the export has {} planes (axes '{}', shape {}) and a tif/tiff file holds "
                                                "one: use --output_format=\"multipage tiff\"",
                                                pages_, a, fmt::join(opt_.shape, "×")));
    height_ = static_cast<std::uint32_t>(opt_.shape[a.size() - 3]);
    width_ = static_cast<std::uint32_t>(opt_.shape[a.size() - 2]);
    samples_ = static_cast<std::uint16_t>(opt_.shape[a.size() - 1]);
    start_staging();
  }

 private:
  void encode() override {
    const std::size_t elem = element_size(opt_.dtype);
    const std::uint64_t row_bytes = std::uint64_t{width_} * samples_ * elem;
    const std::uint32_t rows_per_strip =
        static_cast<std::uint32_t>(std::max<std::uint64_t>(1, std::min<std::uint64_t>(height_, (256 * 1024) / row_bytes)));
    // BigTIFF only when the classic 4 GB offsets could overflow.
    const bool big = array_->bytes() > (std::uint64_t{3} << 30);
    TIFF* tif = TIFFOpen(temp_.c_str(), big ? "w8" : "w");
    if (!tif) throw Error(ErrorKind::Io, fmt::format("cannot create {}", temp_));
    struct Closer {
      TIFF* t;
      ~Closer() {
        if (t) TIFFClose(t);
      }
    } closer{tif};
    std::vector<unsigned char> strip(rows_per_strip * row_bytes);
    const std::uint16_t format = opt_.dtype == ValueType::Float32 || opt_.dtype == ValueType::Float64 ? SAMPLEFORMAT_IEEEFP
                                 : is_signed(opt_.dtype)                                             ? SAMPLEFORMAT_INT
                                                                                                     : SAMPLEFORMAT_UINT;
    for (std::uint64_t page = 0; page < pages_; ++page) {
      TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, width_);
      TIFFSetField(tif, TIFFTAG_IMAGELENGTH, height_);
      TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, samples_);
      TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, static_cast<std::uint16_t>(8 * elem));
      TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, format);
      TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
      TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
      if (samples_ > 1) {
        std::vector<std::uint16_t> extra(samples_ - 1u, EXTRASAMPLE_UNSPECIFIED);
        TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, static_cast<std::uint16_t>(extra.size()), extra.data());
      }
      TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
      TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rows_per_strip);
      if (pages_ > 1) {
        TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
        TIFFSetField(tif, TIFFTAG_PAGENUMBER, static_cast<std::uint16_t>(page), static_cast<std::uint16_t>(pages_));
      }
      for (std::uint32_t row = 0, s = 0; row < height_; row += rows_per_strip, ++s) {
        const std::uint32_t rows = std::min(rows_per_strip, height_ - row);
        array_->read(strip.data(), rows * row_bytes, (page * height_ + row) * row_bytes);
        if (TIFFWriteEncodedStrip(tif, s, strip.data(), static_cast<tmsize_t>(rows * row_bytes)) < 0)
          throw Error(ErrorKind::Io, fmt::format("cannot write {} (disk full?)", temp_));
      }
      if (!TIFFWriteDirectory(tif)) throw Error(ErrorKind::Io, fmt::format("cannot write {} (disk full?)", temp_));
    }
    closer.t = nullptr;
    TIFFClose(tif);
  }
  static bool is_signed(ValueType t) {
    return t == ValueType::Int8 || t == ValueType::Int16 || t == ValueType::Int32 || t == ValueType::Int64;
  }

  std::uint64_t pages_ = 1;
  std::uint32_t height_ = 0, width_ = 0;
  std::uint16_t samples_ = 1;
};

// PNG (libpng): one 2-D image of 8- or 16-bit gray, gray+alpha, RGB or RGBA, by channel count.
class PngWriter final : public EncodedAtCommitWriter {
 public:
  explicit PngWriter(ImageWriterOptions o) : EncodedAtCommitWriter(std::move(o)) {
    const std::string& a = opt_.axes;
    std::uint64_t planes = 1;
    for (std::size_t i = 0; i + 3 < a.size(); ++i) planes *= static_cast<std::uint64_t>(opt_.shape[i]);
    if (a.size() < 3 || a.compare(a.size() - 3, 3, "yxc") != 0 || planes != 1)
      throw Error(ErrorKind::Usage, fmt::format("a PNG holds one y × x image with channels last: the export's axes '{}' "
                                                "(shape {}) do not fit (use --output_axis_order=yxc, or tiff/hdf5 for "
                                                "volumes)",
                                                a, fmt::join(opt_.shape, "×")));
    channels_ = static_cast<int>(opt_.shape.back());
    if (channels_ > 4 || (opt_.dtype != ValueType::UInt8 && opt_.dtype != ValueType::UInt16))
      throw Error(ErrorKind::Usage, fmt::format("PNG stores 1 to 4 channels of uint8 or uint16; this export has {} "
                                                "channel(s) of {} (use --export_dtype and the drange flags, or tiff)",
                                                channels_, to_string(opt_.dtype)));
    height_ = static_cast<std::uint32_t>(opt_.shape[a.size() - 3]);
    width_ = static_cast<std::uint32_t>(opt_.shape[a.size() - 2]);
    start_staging();
  }

 private:
  void encode() override {
    std::FILE* f = std::fopen(temp_.c_str(), "wb");
    if (!f) throw Error(ErrorKind::Io, fmt::format("cannot create {}: {}", temp_, std::strerror(errno)));
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    const bool sixteen = opt_.dtype == ValueType::UInt16;
    const std::size_t row_bytes = std::size_t{width_} * static_cast<std::size_t>(channels_) * (sixteen ? 2 : 1);
    std::vector<unsigned char> row(row_bytes);
    bool ok = png && info;
    if (ok && setjmp(png_jmpbuf(png)) == 0) {
      png_init_io(png, f);
      static const int kColor[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                   PNG_COLOR_TYPE_RGB_ALPHA};
      png_set_IHDR(png, info, width_, height_, sixteen ? 16 : 8, kColor[channels_ - 1], PNG_INTERLACE_NONE,
                   PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
      png_write_info(png, info);
      if (sixteen) png_set_swap(png);  // the staged samples are little-endian; PNG is big-endian
      for (std::uint32_t y = 0; y < height_; ++y) {
        array_->read(row.data(), row_bytes, std::uint64_t{y} * row_bytes);
        png_write_row(png, row.data());
      }
      png_write_end(png, nullptr);
    } else {
      ok = false;
    }
    png_destroy_write_struct(png ? &png : nullptr, info ? &info : nullptr);
    if (std::fclose(f) != 0) ok = false;
    if (!ok) throw Error(ErrorKind::Io, fmt::format("cannot write {} (disk full?)", temp_));
  }

  std::uint32_t height_ = 0, width_ = 0;
  int channels_ = 1;
};

// ilastik's other 2-D image formats, encoded by VIGRA's impex as ilastik's are: one y × x image
// of 1 (grey) or 3 (RGB) channels.
class VigraWriter final : public EncodedAtCommitWriter {
 public:
  VigraWriter(std::string format, ImageWriterOptions o) : EncodedAtCommitWriter(std::move(o)), format_(std::move(format)) {
    const std::string& a = opt_.axes;
    std::uint64_t planes = 1;
    for (std::size_t i = 0; i + 3 < a.size(); ++i) planes *= static_cast<std::uint64_t>(opt_.shape[i]);
    if (a.size() < 3 || a.compare(a.size() - 3, 3, "yxc") != 0 || planes != 1)
      throw Error(ErrorKind::Usage, fmt::format("a {} file holds one y × x image with channels last: the export's axes "
                                                "'{}' (shape {}) do not fit (use \"{} sequence\" for volumes)",
                                                format_, a, fmt::join(opt_.shape, "×"), format_));
    channels_ = static_cast<int>(opt_.shape.back());
    if (channels_ != 1 && channels_ != 3)
      throw Error(ErrorKind::Usage, fmt::format("a {} file holds 1 (grey) or 3 (RGB) channels; this export has {}",
                                                format_, channels_));
    height_ = static_cast<std::uint32_t>(opt_.shape[a.size() - 3]);
    width_ = static_cast<std::uint32_t>(opt_.shape[a.size() - 2]);
    start_staging();
  }

 private:
  void encode() override {
    std::vector<unsigned char> bytes(static_cast<std::size_t>(array_->bytes()));
    array_->read(bytes.data(), bytes.size(), 0);
    image_detail::write_with_vigra(format_, temp_, bytes, width_, height_, channels_, opt_.dtype);
  }

  std::string format_;
  std::uint32_t height_ = 0, width_ = 0;
  int channels_ = 1;
};

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// "png sequence" -> "png": the per-slice format of ilastik's "... sequence" formats.
std::string sequence_slice_format(const std::string& f) {
  const std::string suffix = " sequence";
  if (f.size() <= suffix.size() || f.compare(f.size() - suffix.size(), suffix.size(), suffix) != 0) return "";
  const std::string inner = f.substr(0, f.size() - suffix.size());
  return inner == "png" || inner == "tif" || inner == "tiff" || inner == "multipage tiff" ||
                 image_detail::vigra_file_type(inner)
             ? inner
             : "";
}

// ilastik's "... sequence" formats: one file per index of the first output axis (t or z), named
// by {slice_index} zero-padded to the digits of the last index. A slice is committed as soon as
// all its blocks arrived (so memory and staging stay per slice); without commit() the slices
// already written are removed again, so a failed run leaves no partial sequence.
class SequenceWriter final : public ImageWriter {
 public:
  SequenceWriter(const std::string& slice_format, ImageWriterOptions o) : format_(slice_format), opt_(std::move(o)) {
    const char step = opt_.axes.empty() ? '?' : opt_.axes[0];
    if (step != 't' && step != 'z')
      throw Error(ErrorKind::Usage,
                  fmt::format("a sequence export writes one file per index of its first axis, which must be t or z; "
                              "the axes are '{}' (use e.g. --output_axis_order=zyxc)",
                              opt_.axes));
    slices_.resize(static_cast<std::size_t>(opt_.shape[0]));
    pattern_ = opt_.path;
    if (pattern_.find("{slice_index}") == std::string::npos) {
      const fs::path p(pattern_);
      pattern_ = (p.parent_path() / (p.stem().string() + "_{slice_index}" + p.extension().string())).string();
    }
    per_slice_ = 1;
    for (std::size_t i = 1; i < opt_.axes.size(); ++i)
      if (opt_.axes[i] != 'c') per_slice_ *= static_cast<std::uint64_t>(opt_.shape[i]);
    const auto last = std::to_string(std::max<std::int64_t>(opt_.shape[0] - 1, 0));
    digits_ = last.size();
    if (!slices_.empty()) open_slice(0);  // refuses what the slice format cannot hold, before any work
  }
  ~SequenceWriter() override {
    if (committed_) return;
    slices_.clear();  // abandons the open ones (their temporary files go)
    std::error_code ec;
    for (const auto& path : written_) fs::remove(path, ec);
  }
  void write(std::int64_t t, const PlanarBlock& block) override {
    if (opt_.axes[0] == 't') return put(t, 0, block);
    // One plane per z of the block, moved to z = 0 of its slice.
    const Box& b = block.box;
    for (std::int64_t z = b.begin[0]; z < b.end[0]; ++z) {
      plane_.reset(Box{{0, b.begin[1], b.begin[2]}, {1, b.end[1], b.end[2]}}, block.channels);
      const std::int64_t n = plane_.plane_size();
      for (int c = 0; c < block.channels; ++c)
        std::copy_n(block.channel(c) + (z - b.begin[0]) * n, n, plane_.channel(c));
      put(z, t, plane_);
    }
  }
  void commit() override {
    for (std::size_t i = 0; i < slices_.size(); ++i)
      if (slices_[i].writer) finish(i);
    committed_ = true;
  }

  std::string slice_path(std::size_t index) const {
    std::string path = pattern_, number = std::to_string(index);
    number.insert(0, digits_ > number.size() ? digits_ - number.size() : 0, '0');
    for (auto pos = path.find("{slice_index}"); pos != std::string::npos; pos = path.find("{slice_index}", pos))
      path.replace(pos, 13, number);
    return path;
  }

 private:
  struct Slice {
    std::unique_ptr<ImageWriter> writer;
    std::uint64_t written = 0;
    bool done = false;
  };

  void put(std::int64_t index, std::int64_t t, const PlanarBlock& block) {
    Slice& s = slices_[static_cast<std::size_t>(index)];
    if (s.done) throw Error(ErrorKind::Internal, fmt::format("slice {} written twice", index));
    if (!s.writer) open_slice(static_cast<std::size_t>(index));
    s.writer->write(t, block);
    s.written += static_cast<std::uint64_t>(block.box.volume());
    if (s.written >= per_slice_) finish(static_cast<std::size_t>(index));
  }
  void open_slice(std::size_t index) {
    ImageWriterOptions o = opt_;
    o.path = slice_path(index);
    o.axes = opt_.axes.substr(1);
    o.shape.erase(o.shape.begin());
    slices_[index].writer = open_image_writer(format_, std::move(o));
  }
  void finish(std::size_t index) {
    Slice& s = slices_[index];
    s.writer->commit();
    s.writer.reset();
    s.done = true;
    written_.push_back(slice_path(index));
  }

  std::string format_;
  ImageWriterOptions opt_;
  std::string pattern_;
  std::size_t digits_ = 1;
  std::uint64_t per_slice_ = 1;
  std::vector<Slice> slices_;
  std::vector<std::string> written_;
  PlanarBlock plane_;
  bool committed_ = false;
};

}  // namespace

std::string format_extension(const std::string& format) {
  const std::string f = lower(format);
  if (f == "hdf5" || f == "compressed hdf5") return "h5";
  if (f == "n5" || f == "compressed n5") return "n5";
  if (is_ome_zarr_format(f)) return "zarr";
  if (f == "numpy") return "npy";
  if (f == "tif") return "tif";
  if (f == "tiff" || f == "multipage tiff") return "tiff";
  if (f == "png") return "png";
  if (image_detail::vigra_file_type(f)) return f;  // bmp, gif, hdr, jpeg, jpg, pbm, pgm, ppm, pnm, ras
  if (const std::string inner = sequence_slice_format(f); !inner.empty()) return format_extension(inner);
  // ilastik's formats that ilpkit does not write, each with its reason.
  if (f == "dvid")
    throw Error(ErrorKind::Unsupported, "output format 'dvid' sends the export to a DVID server, which ilpkit does not "
                                        "talk to; export to n5 or hdf5 and upload that");
  if (f == "blockwise hdf5")
    throw Error(ErrorKind::Unsupported, "output format 'blockwise hdf5' is listed by ilastik but not implemented by it "
                                        "(it raises NotImplementedError); use hdf5 or n5");
  throw Error(ErrorKind::Unsupported,
              fmt::format("unknown output format '{}' (supported: hdf5, compressed hdf5, n5, compressed n5, "
                          "single-scale OME-Zarr, multi-scale OME-Zarr, numpy, tif, tiff, multipage tiff, png, bmp, gif, hdr, jpeg, jpg, pbm, "
                          "pgm, ppm, pnm, ras, and each 2-D format or multipage tiff + \" sequence\")",
                          format));
}

bool is_ome_zarr_format(const std::string& format) {
  const std::string f = lower(format);
  return f == "single-scale ome-zarr" || f == "multi-scale ome-zarr";
}

bool has_internal_path(const std::string& format) {
  const std::string f = lower(format);
  return f == "hdf5" || f == "compressed hdf5" || f == "n5" || f == "compressed n5";
}

bool writes_plane_images(const std::string& format) {
  std::string f = lower(format);
  if (const std::string inner = sequence_slice_format(f); !inner.empty()) f = inner;
  return f == "png" || f == "tif" || f == "tiff" || image_detail::vigra_file_type(f) != nullptr;
}

std::unique_ptr<ImageWriter> open_image_writer(const std::string& format, ImageWriterOptions options) {
  const std::string f = lower(format);
  format_extension(f);
  if (f == "hdf5" || f == "compressed hdf5") {
    options.compress = f == "compressed hdf5";
    return std::make_unique<Hdf5ImageWriter>(std::move(options));
  }
  if (f == "n5" || f == "compressed n5") return image_detail::open_n5_writer(std::move(options), f == "compressed n5");
  if (is_ome_zarr_format(f))
    return image_detail::open_ome_zarr_writer(std::move(options), f == "multi-scale ome-zarr");
  if (f == "numpy") return std::make_unique<NpyWriter>(std::move(options));
  if (f == "png") return std::make_unique<PngWriter>(std::move(options));
  if (image_detail::vigra_file_type(f)) return std::make_unique<VigraWriter>(f, std::move(options));
  if (const std::string inner = sequence_slice_format(f); !inner.empty())
    return std::make_unique<SequenceWriter>(inner, std::move(options));
  return std::make_unique<TiffWriter>(std::move(options), f == "multipage tiff");
}

}  // namespace ilpkit
