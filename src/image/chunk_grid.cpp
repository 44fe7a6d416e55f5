// SPDX-License-Identifier: MIT
#include "chunk_grid.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "ilpkit/error.hpp"
#include "ilpkit/parallel.hpp"

namespace ilpkit::image_detail {

Extents chunk_shape(const ImageWriterOptions& o, std::size_t element_bytes, std::uint64_t target_bytes) {
  const std::string& axes = o.axes;
  Extents chunk(o.shape.begin(), o.shape.end());
  std::vector<bool> aligned(axes.size(), false);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] == 't' || axes[i] == 'c') chunk[i] = 1;
    const auto spatial = std::string("zyx").find(axes[i]);
    if (spatial != std::string::npos && o.block_shape[spatial] > 0) {
      chunk[i] = std::min<std::uint64_t>(chunk[i], static_cast<std::uint64_t>(o.block_shape[spatial]));
      aligned[i] = true;
    }
  }
  const std::uint64_t target = std::max<std::uint64_t>(target_bytes / element_bytes, 1);
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

std::vector<Extents> covered_chunks(const ExportSlab& slab, const Extents& chunk, const Shape& shape) {
  const std::size_t n = chunk.size();
  Extents first(n), last(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (slab.count[i] == 0) return {};
    const std::uint64_t end = slab.start[i] + slab.count[i];
    if (slab.start[i] % chunk[i] != 0 || (end % chunk[i] != 0 && end != static_cast<std::uint64_t>(shape[i]))) return {};
    first[i] = slab.start[i] / chunk[i];
    last[i] = (end - 1) / chunk[i];
  }
  std::vector<Extents> out;
  Extents idx = first;
  while (true) {
    Extents origin(n);
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

Extents ChunkLayout::extents_at(const Extents& origin) const {
  Extents e(chunk);
  if (!padded)
    for (std::size_t i = 0; i < e.size(); ++i)
      e[i] = std::min<std::uint64_t>(chunk[i], static_cast<std::uint64_t>(shape[i]) - origin[i]);
  return e;
}

namespace {

template <class T>
void copy_strided(const unsigned char* src, unsigned char* dst, std::uint64_t count, std::uint64_t from_step,
                  std::uint64_t to_step) {
  for (std::uint64_t j = 0; j < count; ++j) {
    T v;
    std::memcpy(&v, src + j * from_step, sizeof v);
    std::memcpy(dst + j * to_step, &v, sizeof v);
  }
}

// Copies the box [from, from + count) between two C-order arrays: `src` with origin `src_origin`
// and extents `src_extent`, `dst` likewise. Returns the number of values copied.
std::uint64_t copy_box(const unsigned char* src, const Extents& src_origin, const Extents& src_extent, unsigned char* dst,
                       const Extents& dst_origin, const Extents& dst_extent, const Extents& from, const Extents& count,
                       std::size_t elem) {
  const std::size_t n = count.size();
  std::uint64_t total = 1;
  for (auto c : count) total *= c;
  if (total == 0) return 0;
  Extents src_stride(n, 1), dst_stride(n, 1);
  for (std::size_t i = n - 1; i-- > 0;) {
    src_stride[i] = src_stride[i + 1] * src_extent[i + 1];
    dst_stride[i] = dst_stride[i + 1] * dst_extent[i + 1];
  }
  // Runs along the last axis are often a single sample (channels chunked by 1 in a y,x,c slab):
  // the last two axes are copied with a strided loop rather than a memcpy per run.
  const std::uint64_t run = count[n - 1] * elem;
  const std::uint64_t inner = n >= 2 ? count[n - 2] : 1;
  const std::uint64_t from_step = (n >= 2 ? src_stride[n - 2] : 0) * elem, to_step = (n >= 2 ? dst_stride[n - 2] : 0) * elem;
  const std::size_t outer_dims = n >= 2 ? n - 2 : 0;
  Extents idx(n, 0);
  std::uint64_t rows = 1;
  for (std::size_t i = 0; i < outer_dims; ++i) rows *= count[i];
  for (std::uint64_t r = 0; r < rows; ++r) {
    std::uint64_t s = 0, d = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t at = from[i] + (i < outer_dims ? idx[i] : 0);
      s += (at - src_origin[i]) * src_stride[i];
      d += (at - dst_origin[i]) * dst_stride[i];
    }
    const unsigned char* a = src + s * elem;
    unsigned char* b = dst + d * elem;
    switch (run) {
      case 1:
        for (std::uint64_t j = 0; j < inner; ++j) b[j * to_step] = a[j * from_step];
        break;
      case 2: copy_strided<std::uint16_t>(a, b, inner, from_step, to_step); break;
      case 4: copy_strided<std::uint32_t>(a, b, inner, from_step, to_step); break;
      case 8: copy_strided<std::uint64_t>(a, b, inner, from_step, to_step); break;
      default:
        for (std::uint64_t j = 0; j < inner; ++j) std::memcpy(b + j * to_step, a + j * from_step, run);
    }
    for (std::size_t i = outer_dims; i-- > 0;) {
      if (++idx[i] < count[i]) break;
      idx[i] = 0;
    }
  }
  return total;
}

std::uint64_t volume_of(const Extents& e) {
  std::uint64_t v = 1;
  for (auto x : e) v *= x;
  return v;
}

}  // namespace

void gather_chunk(const PlanarBlock& block, const ImageWriterOptions& options, const ExportSlab& where,
                  const Extents& origin, const ChunkLayout& layout, std::vector<unsigned char>& out) {
  const std::size_t n = origin.size(), elem = layout.element_bytes;
  const Extents stored = layout.extents_at(origin);
  Extents inside(n);
  bool edge = false;
  for (std::size_t i = 0; i < n; ++i) {
    inside[i] = std::min<std::uint64_t>(stored[i], static_cast<std::uint64_t>(layout.shape[i]) - origin[i]);
    edge |= inside[i] < stored[i];
  }
  out.resize(volume_of(stored) * elem);
  if (edge) std::fill(out.begin(), out.end(), 0);  // the fill value past the array's end
  const std::vector<std::int64_t> src_stride = plane_strides(block, options.axes);
  std::vector<std::int64_t> dst_stride(n, 1);
  for (std::size_t i = n - 1; i-- > 0;) dst_stride[i] = dst_stride[i + 1] * static_cast<std::int64_t>(stored[i + 1]);
  std::int64_t base = 0;
  for (std::size_t i = 0; i < n; ++i) base += static_cast<std::int64_t>(origin[i] - where.start[i]) * src_stride[i];
  // Runs along the last axis with more than one value in the chunk (channels are chunked by 1,
  // so in a y,x,c chunk the runs are along x, contiguous in the planes).
  std::size_t inner = n - 1;
  while (inner > 0 && inside[inner] == 1) --inner;
  const auto run = static_cast<std::size_t>(inside[inner]);
  const bool direct = src_stride[inner] == 1 && dst_stride[inner] == 1;
  std::vector<float> row(direct ? 0 : run);
  std::vector<unsigned char> converted(direct ? 0 : run * elem);
  Extents idx(n, 0);
  while (true) {
    std::int64_t src = base, dst = 0;
    for (std::size_t i = 0; i < n; ++i) {
      src += static_cast<std::int64_t>(idx[i]) * src_stride[i];
      dst += static_cast<std::int64_t>(idx[i]) * dst_stride[i];
    }
    const float* s = block.data.data() + src;
    unsigned char* d = out.data() + static_cast<std::size_t>(dst) * elem;
    if (direct) {
      convert_export_values(s, run, options.dtype, options.normalize, d);
    } else {
      for (std::size_t k = 0; k < run; ++k) row[k] = s[static_cast<std::int64_t>(k) * src_stride[inner]];
      convert_export_values(row.data(), run, options.dtype, options.normalize, converted.data());
      for (std::size_t k = 0; k < run; ++k)
        std::memcpy(d + static_cast<std::size_t>(static_cast<std::int64_t>(k) * dst_stride[inner]) * elem,
                    converted.data() + k * elem, elem);
    }
    // Next run: every axis but the inner one, last fastest.
    std::size_t i = n;
    while (i-- > 0) {
      if (i == inner) continue;
      if (++idx[i] < inside[i]) break;
      idx[i] = 0;
    }
    if (i == static_cast<std::size_t>(-1)) break;
  }
}

std::vector<ChunkAssembler::Chunk> ChunkAssembler::add(std::int64_t t, const PlanarBlock& block,
                                                       const ImageWriterOptions& options) {
  std::vector<Chunk> done;
  slab_extent(t, block, options.axes, slab_);
  const auto whole = covered_chunks(slab_, layout_.chunk, layout_.shape);
  if (!whole.empty()) {
    done.resize(whole.size());
    parallel_for(whole.size(), [&](std::size_t k) {
      done[k].origin = whole[k];
      gather_chunk(block, options, slab_, whole[k], layout_, done[k].bytes);
    });
    return done;
  }
  // Some chunk is only partly covered: the block in the output's order, then every touched
  // chunk's part of it.
  export_slab(t, block, options, slab_);
  const ExportSlab& slab = slab_;
  const std::size_t n = layout_.chunk.size();
  Extents first(n), last(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (slab.count[i] == 0) return done;
    first[i] = slab.start[i] / layout_.chunk[i];
    last[i] = (slab.start[i] + slab.count[i] - 1) / layout_.chunk[i];
  }
  Extents idx = first;
  while (true) {
    Extents origin(n), from(n), count(n);
    for (std::size_t i = 0; i < n; ++i) {
      origin[i] = idx[i] * layout_.chunk[i];
      from[i] = std::max(origin[i], slab.start[i]);
      const std::uint64_t end = std::min({origin[i] + layout_.chunk[i], slab.start[i] + slab.count[i],
                                          static_cast<std::uint64_t>(layout_.shape[i])});
      count[i] = end - from[i];
    }
    const Extents stored = layout_.extents_at(origin);
    Extents inside(n);
    for (std::size_t i = 0; i < n; ++i)
      inside[i] = std::min<std::uint64_t>(stored[i], static_cast<std::uint64_t>(layout_.shape[i]) - origin[i]);
    auto it = pending_.find(origin);
    if (it == pending_.end()) {
      it = pending_.emplace(origin, Partial{}).first;
      it->second.bytes.assign(volume_of(stored) * layout_.element_bytes, 0);
    }
    Partial& p = it->second;
    p.filled += copy_box(slab.bytes.data(), slab.start, slab.count, p.bytes.data(), origin, stored, from, count,
                         layout_.element_bytes);
    if (p.filled > volume_of(inside)) throw Error(ErrorKind::Internal, "a chunk received values twice");
    if (p.filled == volume_of(inside)) {
      done.push_back(Chunk{origin, std::move(p.bytes)});
      pending_.erase(it);
    }
    std::size_t i = n;
    while (i-- > 0) {
      if (++idx[i] <= last[i]) break;
      idx[i] = first[i];
    }
    if (i == static_cast<std::size_t>(-1)) break;
  }
  return done;
}

}  // namespace ilpkit::image_detail
