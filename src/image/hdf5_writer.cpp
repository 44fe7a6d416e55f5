// SPDX-License-Identifier: MIT
// HDF5 export as ilastik writes it (ilp-format.md §8.5): dataset `exported_data` (or the given
// internal path), chunks of about 512 kB with t and c chunked by 1, attributes axistags,
// DIMENSION_LABELS, display_mode and drange. An existing file keeps its other datasets (ilastik
// opens it in append mode), but all writing happens on a temporary copy renamed at commit.
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "../hdf5/hdf5.hpp"
#include "chunk_grid.hpp"
#include "chunk_io.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/image.hpp"
#include "ilpkit/parallel.hpp"

namespace ilpkit {

namespace fs = std::filesystem;

struct Hdf5ImageWriter::State {
  ImageWriterOptions opt;
  std::string temp;
  hdf5::File file;
  hdf5::Handle dataset;
  image_detail::ChunkLayout layout;
  std::vector<unsigned char> scratch;  ///< one chunk's bytes (uncompressed path)
  image_detail::ExportSlab slab;       ///< reused block after block
  bool committed = false;
};

namespace {

void ensure_parent_groups(hid_t file, const std::string& path) {
  for (std::size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    std::string group = path.substr(0, pos);
    if (!hdf5::exists(file, group)) hdf5::create_group(file, group);
  }
}

}  // namespace

Hdf5ImageWriter::Hdf5ImageWriter(ImageWriterOptions options) : state_(std::make_unique<State>()) {
  auto& s = *state_;
  s.opt = std::move(options);
  if (s.opt.axes.size() != s.opt.shape.size() || s.opt.axes.find('c') == std::string::npos)
    throw Error(ErrorKind::Internal, "export axes must match the shape and contain c");
  std::string inner = s.opt.internal_path.empty() ? "exported_data" : s.opt.internal_path;
  if (inner.front() != '/') inner = "/" + inner;
  with_context(fmt::format("writing {}", s.opt.path), [&] {
    fs::path target(s.opt.path);
    std::error_code ec;
    if (target.has_parent_path() && !fs::is_directory(target.parent_path(), ec)) {
      fs::create_directories(target.parent_path(), ec);
      if (ec)
        throw Error(ErrorKind::Io,
                    fmt::format("cannot create folder {}: {}", target.parent_path().string(), ec.message()));
    }
    s.temp = fmt::format("{}.ilpkit-{}.tmp", s.opt.path, ::getpid());
    if (fs::is_regular_file(target, ec)) {
      fs::copy_file(target, s.temp, fs::copy_options::overwrite_existing, ec);
      if (ec) throw Error(ErrorKind::Io, fmt::format("cannot copy the existing file: {}", ec.message()));
      s.file = hdf5::File::open_read_write(s.temp);
      if (hdf5::exists(s.file.id(), inner)) {
        hdf5::Lock lock(hdf5::global_mutex());
        hdf5::check(H5Ldelete(s.file.id(), inner.c_str(), H5P_DEFAULT), "cannot replace " + inner, ErrorKind::Io);
      }
    } else {
      s.file = hdf5::File::create(s.temp);
    }
    ensure_parent_groups(s.file.id(), inner);
    std::vector<std::uint64_t> shape(s.opt.shape.begin(), s.opt.shape.end());
    const std::size_t element = element_size(s.opt.dtype);
    s.layout = {image_detail::chunk_shape(s.opt, element, 512 * 1024), s.opt.shape, element, true};
    s.dataset = hdf5::create_dataset(s.file.id(), inner, s.opt.dtype, shape, s.layout.chunk, s.opt.compress ? 1 : -1);
    hdf5::write_attribute(s.dataset.id(), "axistags", Value::string(axistags_json(s.opt.axes), StringForm::VarUtf8));
    std::vector<std::string> labels;
    for (char a : s.opt.axes) labels.emplace_back(1, a);
    hdf5::write_attribute(s.dataset.id(), "DIMENSION_LABELS",
                          Value::strings(labels, {static_cast<std::uint64_t>(labels.size())}));
    hdf5::write_attribute(s.dataset.id(), "display_mode", Value::string("grayscale", StringForm::VarUtf8));
    if (const auto drange = image_detail::export_drange(s.opt)) {
      // ilastik stores drange in the exported dtype (float32 probabilities, uint8 segmentations).
      const float ends[2] = {static_cast<float>(drange->first), static_cast<float>(drange->second)};
      Value v = Value::from_vector(std::vector<float>(ends, ends + 2), {2});
      if (s.opt.dtype != ValueType::Float32) {
        std::vector<unsigned char> typed(2 * element_size(s.opt.dtype));
        convert_export_values(ends, 2, s.opt.dtype, std::nullopt, typed.data());
        v = Value::numeric(s.opt.dtype, {2}, std::move(typed));
      }
      hdf5::write_attribute(s.dataset.id(), "drange", v);
    }
  });
}

Hdf5ImageWriter::~Hdf5ImageWriter() {
  if (!state_ || state_->committed) return;
  try {
    state_->dataset = hdf5::Handle();
    state_->file.close();
  } catch (...) {
  }
  std::error_code ec;
  fs::remove(state_->temp, ec);
}

void Hdf5ImageWriter::write(std::int64_t t, const PlanarBlock& block) {
  auto& s = *state_;
  image_detail::ExportSlab& slab = s.slab;
  with_context(fmt::format("writing {}", s.opt.path), [&] {
    image_detail::slab_extent(t, block, s.opt.axes, slab);
    const auto chunks = image_detail::covered_chunks(slab, s.layout.chunk, s.opt.shape);
    if (chunks.empty()) {
      // Not chunk-aligned: HDF5 merges it into the chunks (read, modify, filter, write).
      image_detail::export_slab(t, block, s.opt, slab);
      hdf5::write_hyperslab(s.dataset.id(), slab.start, slab.count, s.opt.dtype, slab.bytes.data());
      return;
    }
    // Whole chunks: stored as they are, in order; deflated in parallel first when compressed.
    if (!s.opt.compress) {
      for (const auto& origin : chunks) {
        image_detail::gather_chunk(block, s.opt, slab, origin, s.layout, s.scratch);
        hdf5::write_chunk(s.dataset.id(), origin, s.scratch.data(), s.scratch.size());
      }
      return;
    }
    std::vector<std::vector<unsigned char>> encoded(chunks.size());
    parallel_for(chunks.size(), [&](std::size_t k) {
      thread_local std::vector<unsigned char> raw;
      image_detail::gather_chunk(block, s.opt, slab, chunks[k], s.layout, raw);
      encoded[k] = image_detail::deflate_chunk(raw, false);  // HDF5's deflate filter stores zlib streams
    });
    for (std::size_t k = 0; k < chunks.size(); ++k)
      hdf5::write_chunk(s.dataset.id(), chunks[k], encoded[k].data(), encoded[k].size());
  });
}

void Hdf5ImageWriter::commit() {
  auto& s = *state_;
  with_context(fmt::format("writing {}", s.opt.path), [&] {
    s.dataset = hdf5::Handle();
    s.file.flush();
    s.file.close();
    std::error_code ec;
    fs::rename(s.temp, s.opt.path, ec);
    if (ec) throw Error(ErrorKind::Io, fmt::format("cannot rename the finished file into place: {}", ec.message()));
    s.committed = true;
  });
}

}  // namespace ilpkit
