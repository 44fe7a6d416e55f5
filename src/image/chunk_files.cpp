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
#include "chunk_io.hpp"
#include "ome_zarr_pyramid.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/parallel.hpp"
#include "ilpkit/version.hpp"

namespace ilpkit::image_detail {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

void write_json(const fs::path& path, const Json& json) {
  const std::string text = json.dump(4);
  write_whole_file(path, text.data(), text.size());
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


// The attributes ilastik's writers put on every exported dataset.
void add_ilastik_attributes(Json& attrs, const ImageWriterOptions& o) {
  attrs["axistags"] = axistags_json(o.axes);  // a JSON string, as ilastik stores it
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
        write_whole_file(file, encoded[k].data(), encoded[k].size());
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
    if (compress_) raw = deflate_chunk(raw, true);
    out.insert(out.end(), raw.begin(), raw.end());
    return out;
  }

  bool compress_;
  std::string dataset_;
  bool new_container_ = false;
};

// OME-Zarr as ilastik exports it: a Zarr v2 group with the array "s0" in t,c,z,y,x order (absent
// axes of extent 1), chunks of about 1 MB with t and c chunked by 1, nested chunk keys ("/"
// separator), NGFF 0.4 multiscales metadata. Multi-scale exports add s1, s2, ... downscaled by 2
// in z, y, x from the level before (ome_zarr_pyramid), computed at commit from the staged s0.
// Chunks are zlib-compressed (ilastik uses zarr's default Blosc, which is not among ilpkit's
// libraries; every Zarr reader decodes zlib).
class OmeZarrWriter final : public ChunkDirectoryWriter {
 public:
  OmeZarrWriter(ImageWriterOptions o, bool multiscale)
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
      const Extents base(opt_.shape.begin(), opt_.shape.end());
      const Extents& chunk = chunks_.layout().chunk;
      for (const Extents& shape : multiscale ? pyramid_shapes(base, chunk) : std::vector<Extents>{base})
        levels_.push_back({stage_ / fmt::format("s{}", levels_.size()), shape, chunk});
      array_dir_ = levels_.front().dir;
      make_dirs(stage_);
      write_json(stage_ / ".zgroup", Json{{"zarr_format", 2}});
      Json axes = Json::array();
      for (char a : opt_.axes) {
        const char* type = a == 't' ? "time" : a == 'c' ? "channel" : "space";
        axes.push_back(Json{{"name", std::string(1, a)}, {"type", type}});
      }
      Json datasets = Json::array();
      for (const ZarrLevel& level : levels_) {
        // Pixel size grows by base/level; the first pixel's centre moves by (f − 1)/2 (ilastik's
        // OpResize samples at i·f + f/2 − 0.5), plus a cutout's offset.
        Json scale = Json::array(), translation = Json::array();
        bool shifted = false;
        for (std::size_t i = 0; i < 5; ++i) {
          const double f = static_cast<double>(base[i]) / static_cast<double>(level.shape[i]);
          scale.push_back(f);
          const double v = (i < opt_.offset.size() ? static_cast<double>(opt_.offset[i]) : 0.0) + (f - 1) / 2;
          translation.push_back(v);
          shifted |= v != 0;
        }
        Json transforms = Json::array({Json{{"type", "scale"}, {"scale", scale}}});
        if (shifted) transforms.push_back(Json{{"type", "translation"}, {"translation", translation}});
        datasets.push_back(Json{{"path", level.dir.filename().string()}, {"coordinateTransformations", transforms}});

        make_dirs(level.dir);
        write_json(level.dir / ".zarray", Json{{"zarr_format", 2},
                                               {"shape", level.shape},
                                               {"chunks", level.chunk},
                                               {"dtype", numpy_descr(opt_.dtype)},
                                               {"compressor", Json{{"id", "zlib"}, {"level", 1}}},
                                               {"fill_value", 0},
                                               {"order", "C"},
                                               {"filters", nullptr},
                                               {"dimension_separator", "/"}});
        Json attrs;
        add_ilastik_attributes(attrs, opt_);
        write_json(level.dir / ".zattrs", attrs);
      }
      Json multiscale_meta{{"version", "0.4"}, {"axes", axes}, {"datasets", datasets}};
      if (!opt_.name.empty()) multiscale_meta["name"] = opt_.name;
      if (levels_.size() > 1)
        multiscale_meta["metadata"] = Json{
            {"description", opt_.label_values
                                ? "nearest neighbour at x = i*f + f/2 - 0.5 (ilastik's OpResize, order 0)"
                                : "Gaussian anti-aliasing with sigma = f/4, then linear interpolation at x = i*f + f/2 - "
                                  "0.5 (ilastik's OpResize, order 1)"},
            {"method", "ilpkit"}};
      write_json(stage_ / ".zattrs", Json{{"multiscales", Json::array({multiscale_meta})},
                                          {"_creator", Json{{"name", "ilpkit"}, {"version", kVersionString}}}});
    });
  }

 private:
  void publish() override {
    for (std::size_t k = 1; k < levels_.size(); ++k)
      downscale_level(levels_[k - 1], levels_[k], opt_.dtype, opt_.label_values);
    rename_dir(stage_, opt_.path);
  }
  std::string chunk_key(const Extents& origin) const override {
    std::string key;
    for (std::size_t i = 0; i < origin.size(); ++i) {
      if (i) key += '/';
      key += std::to_string(origin[i] / chunks_.layout().chunk[i]);
    }
    return key;
  }
  std::vector<unsigned char> encode(const Extents&, std::vector<unsigned char> raw) const override {
    return deflate_chunk(raw, false);
  }

  std::vector<ZarrLevel> levels_;
};

}  // namespace

std::unique_ptr<ImageWriter> open_n5_writer(ImageWriterOptions options, bool compress) {
  return std::make_unique<N5Writer>(std::move(options), compress);
}

std::unique_ptr<ImageWriter> open_ome_zarr_writer(ImageWriterOptions options, bool multiscale) {
  return std::make_unique<OmeZarrWriter>(std::move(options), multiscale);
}

}  // namespace ilpkit::image_detail
