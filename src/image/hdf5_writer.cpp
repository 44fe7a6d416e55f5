// SPDX-License-Identifier: MIT
// HDF5 export as ilastik writes it (ilp-format.md §8.5): dataset `exported_data` (or the given
// internal path), chunks of about 512 kB with t and c chunked by 1, attributes axistags,
// DIMENSION_LABELS, display_mode and drange. An existing file keeps its other datasets (ilastik
// opens it in append mode), but all writing happens on a temporary copy renamed at commit.
#include <unistd.h>

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "../hdf5/hdf5.hpp"
#include "export_layout.hpp"
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
  std::vector<std::uint64_t> chunk;
  std::vector<unsigned char> scratch;  ///< one chunk's bytes (uncompressed path)
  image_detail::ExportSlab slab;       ///< reused block after block
  bool committed = false;
};

namespace {

// About 512 kB per chunk with t and c chunked by 1, as ilastik writes. Given the blocks that
// will arrive, the spatial extents start from the block's and are halved only while they stay
// divisors of it, so every block covers whole chunks.
std::vector<std::uint64_t> chunk_shape(const ImageWriterOptions& o, std::size_t element_bytes) {
  const std::string& axes = o.axes;
  std::vector<std::uint64_t> chunk(o.shape.begin(), o.shape.end());
  std::vector<bool> aligned(axes.size(), false);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] == 't' || axes[i] == 'c') chunk[i] = 1;
    const auto spatial = std::string("zyx").find(axes[i]);
    if (spatial != std::string::npos && o.block_shape[spatial] > 0) {
      chunk[i] = std::min<std::uint64_t>(chunk[i], static_cast<std::uint64_t>(o.block_shape[spatial]));
      aligned[i] = true;
    }
  }
  const std::uint64_t target = (512 * 1024) / element_bytes;
  auto volume = [&] {
    std::uint64_t v = 1;
    for (auto c : chunk) v *= c;
    return v;
  };
  while (volume() > target) {
    // The largest extent that halves exactly; failing that, the largest (alignment is lost).
    std::size_t best = chunk.size();
    for (std::size_t i = 0; i < chunk.size(); ++i)
      if (chunk[i] > 1 && (!aligned[i] || chunk[i] % 2 == 0) && (best == chunk.size() || chunk[i] > chunk[best])) best = i;
    if (best == chunk.size()) best = static_cast<std::size_t>(std::max_element(chunk.begin(), chunk.end()) - chunk.begin());
    chunk[best] = (chunk[best] + 1) / 2;
  }
  for (auto& c : chunk) c = std::max<std::uint64_t>(c, 1);
  return chunk;
}

// The chunks a slab touches, when it covers each of them whole (up to the dataset's end);
// empty otherwise.
std::vector<std::vector<std::uint64_t>> covered_chunks(const image_detail::ExportSlab& slab,
                                                       const std::vector<std::uint64_t>& chunk, const Shape& shape) {
  const std::size_t n = chunk.size();
  std::vector<std::uint64_t> first(n), last(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (slab.count[i] == 0) return {};
    const std::uint64_t end = slab.start[i] + slab.count[i];
    if (slab.start[i] % chunk[i] != 0 || (end % chunk[i] != 0 && end != static_cast<std::uint64_t>(shape[i]))) return {};
    first[i] = slab.start[i] / chunk[i];
    last[i] = (end - 1) / chunk[i];
  }
  std::vector<std::vector<std::uint64_t>> out;
  std::vector<std::uint64_t> idx = first;
  while (true) {
    std::vector<std::uint64_t> origin(n);
    for (std::size_t i = 0; i < n; ++i) origin[i] = idx[i] * chunk[i];
    out.push_back(std::move(origin));
    std::size_t i = n;
    while (i-- > 0) {
      if (++idx[i] <= last[i]) break;
      idx[i] = first[i];
    }
    if (i == static_cast<std::size_t>(-1)) break;
  }
  return out;
}

template <class T>
void copy_runs(const unsigned char* src, unsigned char* dst, std::uint64_t count, std::uint64_t from_step,
               std::uint64_t to_step) {
  for (std::uint64_t j = 0; j < count; ++j) {
    T v;
    std::memcpy(&v, src + j * from_step, sizeof v);
    std::memcpy(dst + j * to_step, &v, sizeof v);
  }
}

// Chunk `origin`'s values from the slab, zero-padded past the dataset's end, C order.
void gather_chunk(const image_detail::ExportSlab& slab, const std::vector<std::uint64_t>& origin,
                  const std::vector<std::uint64_t>& chunk, const Shape& shape, std::size_t elem,
                  std::vector<unsigned char>& out) {
  const std::size_t n = chunk.size();
  std::uint64_t volume = 1;
  for (auto c : chunk) volume *= c;
  std::vector<std::uint64_t> inside(n), slab_stride(n, 1), chunk_stride(n, 1);
  bool edge = false;
  for (std::size_t i = 0; i < n; ++i) {
    inside[i] = std::min<std::uint64_t>(chunk[i], static_cast<std::uint64_t>(shape[i]) - origin[i]);
    edge |= inside[i] < chunk[i];
  }
  out.resize(volume * elem);
  if (edge) std::fill(out.begin(), out.end(), 0);  // HDF5's fill value past the dataset's end
  for (std::size_t i = n - 1; i-- > 0;) {
    slab_stride[i] = slab_stride[i + 1] * slab.count[i + 1];
    chunk_stride[i] = chunk_stride[i + 1] * chunk[i + 1];
  }
  // Runs along the last axis are often a single sample (channels chunked by 1 in a y,x,c
  // slab): copy them with a strided loop rather than a memcpy each.
  const std::uint64_t run = inside[n - 1] * elem;
  const std::uint64_t inner = n >= 2 ? inside[n - 2] : 1;
  const std::uint64_t from_step = (n >= 2 ? slab_stride[n - 2] : 0) * elem, to_step = (n >= 2 ? chunk_stride[n - 2] : 0) * elem;
  const std::size_t outer_dims = n >= 2 ? n - 2 : 0;
  std::vector<std::uint64_t> idx(n, 0);
  std::uint64_t rows = 1;
  for (std::size_t i = 0; i < outer_dims; ++i) rows *= inside[i];
  for (std::uint64_t r = 0; r < rows; ++r) {
    std::uint64_t from = origin[n - 1] - slab.start[n - 1], to = 0;
    if (n >= 2) from += (origin[n - 2] - slab.start[n - 2]) * slab_stride[n - 2];
    for (std::size_t i = 0; i < outer_dims; ++i) {
      from += (origin[i] - slab.start[i] + idx[i]) * slab_stride[i];
      to += idx[i] * chunk_stride[i];
    }
    const unsigned char* src = slab.bytes.data() + from * elem;
    unsigned char* dst = out.data() + to * elem;
    switch (run) {
      case 1:
        for (std::uint64_t j = 0; j < inner; ++j) dst[j * to_step] = src[j * from_step];
        break;
      case 2: copy_runs<std::uint16_t>(src, dst, inner, from_step, to_step); break;
      case 4: copy_runs<std::uint32_t>(src, dst, inner, from_step, to_step); break;
      case 8: copy_runs<std::uint64_t>(src, dst, inner, from_step, to_step); break;
      default:
        for (std::uint64_t j = 0; j < inner; ++j) std::memcpy(dst + j * to_step, src + j * from_step, run);
    }
    for (std::size_t i = outer_dims; i-- > 0;) {
      if (++idx[i] < inside[i]) break;
      idx[i] = 0;
    }
  }
}

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
    const std::size_t element = s.opt.dtype == ValueType::Float64 || s.opt.dtype == ValueType::Int64 ||
                                        s.opt.dtype == ValueType::UInt64
                                    ? 8
                                    : s.opt.dtype == ValueType::Float32 || s.opt.dtype == ValueType::Int32 ||
                                              s.opt.dtype == ValueType::UInt32
                                          ? 4
                                          : s.opt.dtype == ValueType::UInt16 || s.opt.dtype == ValueType::Int16 ? 2 : 1;
    s.chunk = chunk_shape(s.opt, element);
    s.dataset = hdf5::create_dataset(s.file.id(), inner, s.opt.dtype, shape, s.chunk, s.opt.compress ? 1 : -1);
    hdf5::write_attribute(s.dataset.id(), "axistags", Value::string(axistags_json(s.opt.axes), StringForm::VarUtf8));
    std::vector<std::string> labels;
    for (char a : s.opt.axes) labels.emplace_back(1, a);
    hdf5::write_attribute(s.dataset.id(), "DIMENSION_LABELS",
                          Value::strings(labels, {static_cast<std::uint64_t>(labels.size())}));
    hdf5::write_attribute(s.dataset.id(), "display_mode", Value::string("grayscale", StringForm::VarUtf8));
    std::optional<std::pair<double, double>> drange = s.opt.drange;
    if (s.opt.normalize) drange = std::make_pair(s.opt.normalize->export_min, s.opt.normalize->export_max);
    if (drange) {
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
  image_detail::export_slab(t, block, s.opt, s.slab);
  const image_detail::ExportSlab& slab = s.slab;
  with_context(fmt::format("writing {}", s.opt.path), [&] {
    const auto chunks = covered_chunks(slab, s.chunk, s.opt.shape);
    if (chunks.empty()) {
      // Not chunk-aligned: HDF5 merges it into the chunks (read, modify, filter, write).
      hdf5::write_hyperslab(s.dataset.id(), slab.start, slab.count, s.opt.dtype, slab.bytes.data());
      return;
    }
    // Whole chunks: stored as they are, in order; deflated in parallel first when compressed.
    const std::size_t elem = element_size(s.opt.dtype);
    if (!s.opt.compress) {
      for (const auto& origin : chunks) {
        gather_chunk(slab, origin, s.chunk, s.opt.shape, elem, s.scratch);
        hdf5::write_chunk(s.dataset.id(), origin, s.scratch.data(), s.scratch.size());
      }
      return;
    }
    std::vector<std::vector<unsigned char>> encoded(chunks.size());
    parallel_for(chunks.size(), [&](std::size_t k) {
      thread_local std::vector<unsigned char> raw;
      gather_chunk(slab, chunks[k], s.chunk, s.opt.shape, elem, raw);
      uLongf size = compressBound(static_cast<uLong>(raw.size()));
      encoded[k].resize(size);
      if (compress2(encoded[k].data(), &size, raw.data(), static_cast<uLong>(raw.size()), 1) != Z_OK)
        throw Error(ErrorKind::Internal, "zlib could not compress a chunk");
      encoded[k].resize(size);
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
