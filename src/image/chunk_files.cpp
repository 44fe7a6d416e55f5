// SPDX-License-Identifier: MIT
// Exports stored as a folder of chunk files: N5 ("n5", "compressed n5") and single-scale
// OME-Zarr, with the attributes ilastik's writers give them (axistags, display_mode, drange;
// OpH5N5WriterBigDataset and write_ome_zarr). Chunks are encoded in parallel and written as
// they complete; the whole container (or, when an N5 container exists, the dataset) is built
// under a temporary name and renamed into place at commit.
#include "chunk_files.hpp"

#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "chunk_grid.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/parallel.hpp"
#include "ilpkit/version.hpp"

namespace ilpkit::image_detail {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

void write_file(const fs::path& path, const void* data, std::size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw Error(ErrorKind::Io, fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  const bool written = size == 0 || std::fwrite(data, 1, size, f) == size;
  const int err = errno;
  if (std::fclose(f) != 0 || !written)
    throw Error(ErrorKind::Io, fmt::format("cannot write {}: {}", path.string(), std::strerror(written ? errno : err)));
}

void write_json(const fs::path& path, const Json& json) {
  const std::string text = json.dump(4);
  write_file(path, text.data(), text.size());
}

void make_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::Io, fmt::format("cannot create folder {}: {}", dir.string(), ec.message()));
}

void rename_dir(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) throw Error(ErrorKind::Io, fmt::format("cannot rename {} to {}: {}", from.string(), to.string(), ec.message()));
}

std::vector<unsigned char> deflate_bytes(const std::vector<unsigned char>& raw, bool gzip_wrapper) {
  z_stream z{};
  // windowBits 15 + 16 asks zlib for a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, 1, Z_DEFLATED, gzip_wrapper ? 15 + 16 : 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Error(ErrorKind::Internal, "zlib could not start compressing a chunk");
  std::vector<unsigned char> out(deflateBound(&z, static_cast<uLong>(raw.size())) + 32);
  z.next_in = const_cast<Bytef*>(raw.data());
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw Error(ErrorKind::Internal, "zlib could not compress a chunk");
  return out;
}

Json axistags_attribute(const ImageWriterOptions& o) { return axistags_json(o.axes); }

// The attributes ilastik's writers put on every exported dataset.
void add_ilastik_attributes(Json& attrs, const ImageWriterOptions& o) {
  attrs["axistags"] = axistags_attribute(o);
  attrs["display_mode"] = "grayscale";
  if (const auto range = export_drange(o)) attrs["drange"] = Json::array({range->first, range->second});
}

// Blocks -> whole chunks -> encoded files under `array_dir`.
class ChunkDirectoryWriter : public ImageWriter {
 public:
  ChunkDirectoryWriter(ImageWriterOptions options, ChunkLayout layout)
      : opt_(std::move(options)), chunks_(std::move(layout)) {}

  ~ChunkDirectoryWriter() override {
    if (committed_ || stage_.empty()) return;
    std::error_code ec;
    fs::remove_all(stage_, ec);  // an abandoned export leaves nothing
  }

  void commit() override {
    with_context(fmt::format("writing {}", opt_.path), [&] {
      if (chunks_.pending() != 0)
        throw Error(ErrorKind::Internal, fmt::format("{} chunk(s) never received all values", chunks_.pending()));
      publish();
      committed_ = true;
    });
  }

  void write(std::int64_t t, const PlanarBlock& block) override {
    with_context(fmt::format("writing {}", opt_.path), [&] {
      auto done = chunks_.add(t, block, opt_);
      std::vector<std::vector<unsigned char>> encoded(done.size());
      parallel_for(done.size(), [&](std::size_t k) { encoded[k] = encode(done[k].origin, std::move(done[k].bytes)); });
      for (std::size_t k = 0; k < done.size(); ++k) {
        const fs::path file = array_dir_ / chunk_key(done[k].origin);
        if (const fs::path dir = file.parent_path(); made_.insert(dir.string()).second) make_dirs(dir);
        write_file(file, encoded[k].data(), encoded[k].size());
      }
    });
  }

 protected:
  /// Moves the finished staging folder into place.
  virtual void publish() = 0;
  /// The file of the chunk at `origin`, relative to the array's folder.
  virtual std::string chunk_key(const Extents& origin) const = 0;
  virtual std::vector<unsigned char> encode(const Extents& origin, std::vector<unsigned char> raw) const = 0;

  ImageWriterOptions opt_;
  ChunkAssembler chunks_;
  fs::path stage_;      ///< the temporary folder (container, or dataset inside an existing one)
  fs::path array_dir_;  ///< where the chunks go, inside stage_

 private:
  std::set<std::string> made_;
  bool committed_ = false;
};

// N5 (the file-system layout of saalfeldlab/n5): dimensions and chunk indices are listed
// fastest-first, i.e. reversed against the C-order array; blocks hold a big-endian header and
// big-endian values, edge blocks are cut at the dataset's end.
class N5Writer final : public ChunkDirectoryWriter {
 public:
  N5Writer(ImageWriterOptions o, bool compress)
      : ChunkDirectoryWriter(o, ChunkLayout{chunk_shape(o, element_size(o.dtype), 512 * 1024), o.shape,
                                            element_size(o.dtype), false}),
        compress_(compress) {
    with_context(fmt::format("writing {}", opt_.path), [&] {
      const fs::path container(opt_.path);
      dataset_ = opt_.internal_path.empty() ? "exported_data" : opt_.internal_path;
      while (!dataset_.empty() && dataset_.front() == '/') dataset_.erase(0, 1);
      if (dataset_.empty() || dataset_.find("..") != std::string::npos)
        throw Error(ErrorKind::Usage, fmt::format("'{}' cannot name an N5 dataset", opt_.internal_path));
      std::error_code ec;
      if (!fs::exists(container, ec)) {
        // A new container: built whole under a temporary name.
        stage_ = fmt::format("{}.ilpkit-{}.tmp", opt_.path, ::getpid());
        fs::remove_all(stage_, ec);
        make_dirs(stage_);
        write_json(stage_ / "attributes.json", Json{{"n5", "2.0.0"}});
        array_dir_ = stage_ / dataset_;
        new_container_ = true;
      } else if (fs::is_directory(container, ec)) {
        // An existing container keeps its other datasets (ilastik appends): only the dataset is
        // staged, inside the container so that the final rename stays on one file system.
        stage_ = container / fmt::format(".ilpkit-{}.tmp", ::getpid());
        fs::remove_all(stage_, ec);
        array_dir_ = stage_;
      } else {
        throw Error(ErrorKind::Usage, fmt::format("{} exists and is not an N5 container (a folder)", opt_.path));
      }
      make_dirs(array_dir_);
      Json attrs;
      Json dims = Json::array(), block = Json::array();
      for (std::size_t i = opt_.shape.size(); i-- > 0;) {
        dims.push_back(opt_.shape[i]);
        block.push_back(chunks_.layout().chunk[i]);
      }
      attrs["dimensions"] = dims;
      attrs["blockSize"] = block;
      attrs["dataType"] = to_string(opt_.dtype);
      attrs["compression"] = compress_ ? Json{{"type", "gzip"}, {"level", 1}, {"useZlib", false}} : Json{{"type", "raw"}};
      add_ilastik_attributes(attrs, opt_);
      write_json(array_dir_ / "attributes.json", attrs);
    });
  }
 private:
  void publish() override {
    if (new_container_) return rename_dir(stage_, opt_.path);
    const fs::path target = fs::path(opt_.path) / dataset_;
    make_dirs(target.parent_path());
    std::error_code ec;
    fs::path old;
    if (fs::exists(target, ec)) {
      old = fs::path(opt_.path) / fmt::format(".ilpkit-{}.old", ::getpid());
      rename_dir(target, old);
    }
    rename_dir(stage_, target);
    if (!old.empty()) fs::remove_all(old, ec);
  }
  std::string chunk_key(const Extents& origin) const override {
    std::string key;
    for (std::size_t i = origin.size(); i-- > 0;) {
      if (!key.empty()) key += '/';
      key += std::to_string(origin[i] / chunks_.layout().chunk[i]);
    }
    return key;
  }
  std::vector<unsigned char> encode(const Extents& origin, std::vector<unsigned char> raw) const override {
    const Extents extents = chunks_.layout().extents_at(origin);
    std::vector<unsigned char> out;
    auto put16 = [&](std::uint32_t v) {
      out.push_back(static_cast<unsigned char>(v >> 8));
      out.push_back(static_cast<unsigned char>(v));
    };
    put16(0);  // default mode
    put16(static_cast<std::uint32_t>(extents.size()));
    for (std::size_t i = extents.size(); i-- > 0;) {
      const auto v = static_cast<std::uint32_t>(extents[i]);
      put16(v >> 16);
      put16(v & 0xffff);
    }
    const std::size_t elem = chunks_.layout().element_bytes;
    if (elem > 1)
      for (std::size_t at = 0; at < raw.size(); at += elem) std::reverse(raw.begin() + at, raw.begin() + at + elem);
    if (compress_) raw = deflate_bytes(raw, true);
    out.insert(out.end(), raw.begin(), raw.end());
    return out;
  }

  bool compress_;
  std::string dataset_;
  bool new_container_ = false;
};

// Single-scale OME-Zarr as ilastik exports it: a Zarr v2 group with the array "s0" in t,c,z,y,x
// order (absent axes of extent 1), chunks of about 1 MB with t and c chunked by 1, nested chunk
// keys ("/" separator), NGFF 0.4 multiscales metadata. Chunks are zlib-compressed (ilastik uses
// zarr's default Blosc, which is not among ilpkit's libraries; every Zarr reader decodes zlib).
class OmeZarrWriter final : public ChunkDirectoryWriter {
 public:
  explicit OmeZarrWriter(ImageWriterOptions o)
      : ChunkDirectoryWriter(o, ChunkLayout{chunk_shape(o, element_size(o.dtype), 1024 * 1024), o.shape,
                                            element_size(o.dtype), true}) {
    with_context(fmt::format("writing {}", opt_.path), [&] {
      if (opt_.axes != "tczyx") throw Error(ErrorKind::Internal, "OME-Zarr exports are written in t,c,z,y,x order");
      std::error_code ec;
      if (fs::exists(opt_.path, ec))
        throw Error(ErrorKind::Usage, fmt::format("{} already exists; ilastik does not overwrite or append to OME-Zarr "
                                                  "exports either: delete it first or choose another "
                                                  "--output_filename_format",
                                                  opt_.path));
      stage_ = fmt::format("{}.ilpkit-{}.tmp", opt_.path, ::getpid());
      fs::remove_all(stage_, ec);
      array_dir_ = stage_ / "s0";
      make_dirs(array_dir_);
      write_json(stage_ / ".zgroup", Json{{"zarr_format", 2}});
      Json transforms = Json::array({Json{{"type", "scale"}, {"scale", Json::array({1.0, 1.0, 1.0, 1.0, 1.0})}}});
      bool shifted = false;
      Json translation = Json::array();
      for (std::size_t i = 0; i < 5; ++i) {
        const double v = i < opt_.offset.size() ? static_cast<double>(opt_.offset[i]) : 0.0;
        translation.push_back(v);
        shifted |= v != 0;
      }
      if (shifted) transforms.push_back(Json{{"type", "translation"}, {"translation", translation}});
      Json axes = Json::array();
      for (char a : opt_.axes) {
        const char* type = a == 't' ? "time" : a == 'c' ? "channel" : "space";
        axes.push_back(Json{{"name", std::string(1, a)}, {"type", type}});
      }
      Json multiscale{{"version", "0.4"},
                      {"axes", axes},
                      {"datasets", Json::array({Json{{"path", "s0"}, {"coordinateTransformations", transforms}}})}};
      if (!opt_.name.empty()) multiscale["name"] = opt_.name;
      write_json(stage_ / ".zattrs", Json{{"multiscales", Json::array({multiscale})},
                                          {"_creator", Json{{"name", "ilpkit"}, {"version", kVersionString}}}});
      Json zarray{{"zarr_format", 2},
                  {"shape", opt_.shape},
                  {"chunks", chunks_.layout().chunk},
                  {"dtype", numpy_descr(opt_.dtype)},
                  {"compressor", Json{{"id", "zlib"}, {"level", 1}}},
                  {"fill_value", 0},
                  {"order", "C"},
                  {"filters", nullptr},
                  {"dimension_separator", "/"}};
      write_json(array_dir_ / ".zarray", zarray);
      Json attrs;
      add_ilastik_attributes(attrs, opt_);
      write_json(array_dir_ / ".zattrs", attrs);
    });
  }
 private:
  void publish() override { rename_dir(stage_, opt_.path); }
  std::string chunk_key(const Extents& origin) const override {
    std::string key;
    for (std::size_t i = 0; i < origin.size(); ++i) {
      if (i) key += '/';
      key += std::to_string(origin[i] / chunks_.layout().chunk[i]);
    }
    return key;
  }
  std::vector<unsigned char> encode(const Extents&, std::vector<unsigned char> raw) const override {
    return deflate_bytes(raw, false);
  }
};

}  // namespace

std::unique_ptr<ImageWriter> open_n5_writer(ImageWriterOptions options, bool compress) {
  return std::make_unique<N5Writer>(std::move(options), compress);
}

std::unique_ptr<ImageWriter> open_ome_zarr_writer(ImageWriterOptions options) {
  return std::make_unique<OmeZarrWriter>(std::move(options));
}

}  // namespace ilpkit::image_detail
