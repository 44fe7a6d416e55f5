// SPDX-License-Identifier: MIT
#include "ome_zarr_pyramid.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "ilpkit/parallel.hpp"
#include "chunk_io.hpp"
#include "sources.hpp"

namespace ilpkit::image_detail {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kSpatial = 2;  // t, c, then z, y, x

std::string chunk_key(const Extents& index) {
  std::string key;
  for (std::size_t i = 0; i < index.size(); ++i) key += (i ? "/" : "") + std::to_string(index[i]);
  return key;
}

// scipy.ndimage's "mirror" boundary: d c b | a b c d | c b a.
std::int64_t mirror(std::int64_t i, std::int64_t n) {
  if (n == 1) return 0;
  const std::int64_t period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

// The box [begin, end) of one (t, c) volume of a level as float64, z,y,x C order. Positions
// outside the level are mirrored back into it.
void read_box(const ZarrLevel& level, ValueType dtype, std::uint64_t t, std::uint64_t c,
              const std::array<std::int64_t, 3>& begin, const std::array<std::int64_t, 3>& end, std::vector<double>& out) {
  const std::size_t elem = element_size(dtype);
  std::array<std::int64_t, 3> n{};
  for (std::size_t a = 0; a < 3; ++a) n[a] = end[a] - begin[a];
  out.assign(static_cast<std::size_t>(n[0] * n[1] * n[2]), 0.0);
  // Source index of every box position, per axis.
  std::array<std::vector<std::int64_t>, 3> src;
  std::array<std::int64_t, 3> lo{}, hi{};
  for (std::size_t a = 0; a < 3; ++a) {
    const auto extent = static_cast<std::int64_t>(level.shape[kSpatial + a]);
    lo[a] = extent, hi[a] = 0;
    for (std::int64_t i = begin[a]; i < end[a]; ++i) {
      const std::int64_t s = mirror(i, extent);
      src[a].push_back(s);
      lo[a] = std::min(lo[a], s), hi[a] = std::max(hi[a], s + 1);
    }
  }
  // The chunks holding [lo, hi), each decoded once into a dense copy of that range.
  std::array<std::int64_t, 3> m{hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]};
  std::vector<double> dense(static_cast<std::size_t>(m[0] * m[1] * m[2]));
  Extents ck(level.chunk.begin() + kSpatial, level.chunk.end());
  std::vector<float> row;
  std::vector<unsigned char> raw;
  const std::uint64_t per_chunk = level.chunk[0] * level.chunk[1] * ck[0] * ck[1] * ck[2];
  for (std::int64_t gz = lo[0] / static_cast<std::int64_t>(ck[0]); gz * static_cast<std::int64_t>(ck[0]) < hi[0]; ++gz)
    for (std::int64_t gy = lo[1] / static_cast<std::int64_t>(ck[1]); gy * static_cast<std::int64_t>(ck[1]) < hi[1]; ++gy)
      for (std::int64_t gx = lo[2] / static_cast<std::int64_t>(ck[2]); gx * static_cast<std::int64_t>(ck[2]) < hi[2]; ++gx) {
        const Extents index{t / level.chunk[0], c / level.chunk[1], static_cast<std::uint64_t>(gz),
                            static_cast<std::uint64_t>(gy), static_cast<std::uint64_t>(gx)};
        const auto packed = read_whole_file(level.dir / chunk_key(index));
        raw.resize(per_chunk * elem);
        uLongf size = static_cast<uLongf>(raw.size());
        if (uncompress(raw.data(), &size, packed.data(), static_cast<uLong>(packed.size())) != Z_OK || size != raw.size())
          throw Error(ErrorKind::Io, fmt::format("chunk {} of {} is damaged", chunk_key(index), level.dir.string()));
        const std::uint64_t within_t = t % level.chunk[0], within_c = c % level.chunk[1];
        const std::uint64_t base = ((within_t * level.chunk[1] + within_c) * ck[0]) * ck[1] * ck[2];
        const std::array<std::int64_t, 3> origin{gz * static_cast<std::int64_t>(ck[0]), gy * static_cast<std::int64_t>(ck[1]),
                                                 gx * static_cast<std::int64_t>(ck[2])};
        std::array<std::int64_t, 3> from{}, to{};
        for (std::size_t a = 0; a < 3; ++a)
          from[a] = std::max(lo[a], origin[a]), to[a] = std::min(hi[a], origin[a] + static_cast<std::int64_t>(ck[a]));
        const auto len = static_cast<std::size_t>(to[2] - from[2]);
        row.resize(len);
        for (std::int64_t z = from[0]; z < to[0]; ++z)
          for (std::int64_t y = from[1]; y < to[1]; ++y) {
            const std::uint64_t at =
                base + (static_cast<std::uint64_t>(z - origin[0]) * ck[1] + static_cast<std::uint64_t>(y - origin[1])) * ck[2] +
                static_cast<std::uint64_t>(from[2] - origin[2]);
            convert_samples(dtype, raw.data() + at * elem, len, row.data());
            double* d = dense.data() + ((z - lo[0]) * m[1] + (y - lo[1])) * m[2] + (from[2] - lo[2]);
            std::copy(row.begin(), row.end(), d);
          }
      }
  for (std::int64_t z = 0; z < n[0]; ++z)
    for (std::int64_t y = 0; y < n[1]; ++y)
      for (std::int64_t x = 0; x < n[2]; ++x)
        out[static_cast<std::size_t>((z * n[1] + y) * n[2] + x)] =
            dense[static_cast<std::size_t>(((src[0][static_cast<std::size_t>(z)] - lo[0]) * m[1] +
                                            (src[1][static_cast<std::size_t>(y)] - lo[1])) * m[2] +
                                           (src[2][static_cast<std::size_t>(x)] - lo[2]))];
}

// scipy.ndimage.gaussian_filter1d's kernel: radius int(4σ + 0.5), normalized exp(−x²/2σ²).
std::vector<double> gaussian_kernel(double sigma) {
  const auto radius = static_cast<std::int64_t>(4.0 * sigma + 0.5);
  std::vector<double> k(static_cast<std::size_t>(2 * radius + 1));
  double sum = 0;
  for (std::int64_t i = -radius; i <= radius; ++i)
    sum += k[static_cast<std::size_t>(i + radius)] = std::exp(-0.5 * static_cast<double>(i * i) / (sigma * sigma));
  for (auto& v : k) v /= sum;
  return k;
}

// Filters `box` (extents n, z,y,x) along axis a with `kernel`; positions within the kernel's
// radius of the box's ends are left unfiltered (they are halo, never sampled).
void filter_axis(std::vector<double>& box, const std::array<std::int64_t, 3>& n, std::size_t a, const std::vector<double>& kernel) {
  const auto r = static_cast<std::int64_t>(kernel.size() / 2);
  const std::int64_t stride = a == 2 ? 1 : a == 1 ? n[2] : n[1] * n[2];
  const std::int64_t len = n[a];
  std::vector<double> line(static_cast<std::size_t>(len));
  const std::int64_t lines = n[0] * n[1] * n[2] / len;
  for (std::int64_t l = 0; l < lines; ++l) {
    // The start of line l: its index over the other two axes.
    std::int64_t start = 0;
    if (a == 2) start = l * n[2];
    else if (a == 1) start = (l / n[2]) * n[1] * n[2] + l % n[2];
    else start = l;
    for (std::int64_t i = 0; i < len; ++i) line[static_cast<std::size_t>(i)] = box[static_cast<std::size_t>(start + i * stride)];
    for (std::int64_t i = r; i < len - r; ++i) {
      double s = 0;
      for (std::int64_t k = -r; k <= r; ++k) s += kernel[static_cast<std::size_t>(k + r)] * line[static_cast<std::size_t>(i + k)];
      box[static_cast<std::size_t>(start + i * stride)] = s;
    }
  }
}

template <class T>
void store_as(double v, unsigned char* p) {
  const T x = static_cast<T>(v);  // numpy's assignment: float32 rounding, integer truncation
  std::memcpy(p, &x, sizeof x);
}

void store_value(double v, ValueType dtype, unsigned char* p) {
  switch (dtype) {
    case ValueType::UInt8: return store_as<std::uint8_t>(v, p);
    case ValueType::Int8: return store_as<std::int8_t>(v, p);
    case ValueType::UInt16: return store_as<std::uint16_t>(v, p);
    case ValueType::Int16: return store_as<std::int16_t>(v, p);
    case ValueType::UInt32: return store_as<std::uint32_t>(v, p);
    case ValueType::Int32: return store_as<std::int32_t>(v, p);
    case ValueType::Float64: return store_as<double>(v, p);
    default: return store_as<float>(v, p);
  }
}

}  // namespace

std::vector<Extents> pyramid_shapes(const Extents& base, const Extents& chunk) {
  std::vector<Extents> shapes;
  for (std::uint64_t factor = 1; factor < (std::uint64_t{1} << 42); factor *= 2) {
    Extents s = base;
    bool fits = true;
    for (std::size_t a = kSpatial; a < s.size(); ++a) {
      s[a] = std::max<std::uint64_t>(base[a] / factor, 1);
      fits &= s[a] <= chunk[a];
    }
    if (shapes.empty() || s != shapes.back()) shapes.push_back(s);
    if (fits) break;
  }
  return shapes;
}


void downscale_level(const ZarrLevel& from, const ZarrLevel& to, ValueType dtype, bool nearest) {
  std::array<double, 3> f{};
  std::array<std::vector<double>, 3> kernels;
  for (std::size_t a = 0; a < 3; ++a) {
    f[a] = static_cast<double>(from.shape[kSpatial + a]) / static_cast<double>(to.shape[kSpatial + a]);
    if (!nearest && f[a] > 1) kernels[a] = gaussian_kernel(f[a] / 4);
  }
  // Every chunk of the target level: (t, c, z, y, x) grid positions.
  std::vector<Extents> grid;
  Extents count(5), idx(5, 0);
  for (std::size_t i = 0; i < 5; ++i) count[i] = (to.shape[i] + to.chunk[i] - 1) / to.chunk[i];
  for (bool more = true; more;) {
    grid.push_back(idx);
    std::size_t i = 5;
    while (i-- > 0) {
      if (++idx[i] < count[i]) break;
      idx[i] = 0;
    }
    more = i != static_cast<std::size_t>(-1);
  }
  const std::size_t elem = element_size(dtype);
  parallel_for(grid.size(), [&](std::size_t g) {
    const Extents& at = grid[g];
    std::vector<unsigned char> raw(static_cast<std::size_t>(to.chunk[0] * to.chunk[1] * to.chunk[2] * to.chunk[3] * to.chunk[4]) * elem, 0);
    // Target positions of this chunk inside the level, per spatial axis, and the source
    // coordinates they sample: x = i·f + f/2 − 0.5.
    std::array<std::int64_t, 3> out_begin{}, out_end{}, src_begin{}, src_end{};
    std::array<std::vector<double>, 3> coord;
    for (std::size_t a = 0; a < 3; ++a) {
      out_begin[a] = static_cast<std::int64_t>(at[kSpatial + a] * to.chunk[kSpatial + a]);
      out_end[a] = std::min<std::int64_t>(out_begin[a] + static_cast<std::int64_t>(to.chunk[kSpatial + a]),
                                          static_cast<std::int64_t>(to.shape[kSpatial + a]));
      for (std::int64_t i = out_begin[a]; i < out_end[a]; ++i)
        coord[a].push_back(static_cast<double>(i) * f[a] + f[a] / 2 - 0.5);
      const auto r = static_cast<std::int64_t>(kernels[a].size() / 2);
      src_begin[a] = static_cast<std::int64_t>(std::floor(coord[a].front())) - r - 1;
      src_end[a] = static_cast<std::int64_t>(std::floor(coord[a].back())) + r + 3;
    }
    std::vector<double> box, pass;
    for (std::uint64_t t = at[0] * to.chunk[0]; t < std::min(to.shape[0], (at[0] + 1) * to.chunk[0]); ++t)
      for (std::uint64_t c = at[1] * to.chunk[1]; c < std::min(to.shape[1], (at[1] + 1) * to.chunk[1]); ++c) {
        read_box(from, dtype, t, c, src_begin, src_end, box);
        std::array<std::int64_t, 3> n{src_end[0] - src_begin[0], src_end[1] - src_begin[1], src_end[2] - src_begin[2]};
        for (std::size_t a = 0; a < 3; ++a)
          if (!kernels[a].empty()) filter_axis(box, n, a, kernels[a]);
        // Sample along x, then y, then z (separable: linear weights, or the nearest index).
        for (std::size_t a = 3; a-- > 0;) {
          std::array<std::int64_t, 3> m = n;
          m[a] = static_cast<std::int64_t>(coord[a].size());
          pass.assign(static_cast<std::size_t>(m[0] * m[1] * m[2]), 0.0);
          const std::int64_t in_stride = a == 2 ? 1 : a == 1 ? n[2] : n[1] * n[2];
          for (std::int64_t p = 0; p < m[0] * m[1] * m[2]; ++p) {
            std::array<std::int64_t, 3> q{p / (m[1] * m[2]), (p / m[2]) % m[1], p % m[2]};
            const double x = coord[a][static_cast<std::size_t>(q[a])];
            q[a] = 0;
            const std::int64_t base = (q[0] * n[1] + q[1]) * n[2] + q[2];
            auto value = [&](std::int64_t s) {
              // The box holds the mirrored extension of the level, so an index past its end reads
              // the mirrored (and, being symmetric, identically filtered) value, as map_coordinates does.
              return box[static_cast<std::size_t>(base + (s - src_begin[a]) * in_stride)];
            };
            double v;
            if (nearest) {
              v = value(static_cast<std::int64_t>(std::floor(x + 0.5)));
            } else {
              const auto j = static_cast<std::int64_t>(std::floor(x));
              const double w = x - static_cast<double>(j);
              v = w == 0 ? value(j) : (1 - w) * value(j) + w * value(j + 1);
            }
            pass[static_cast<std::size_t>(p)] = v;
          }
          box.swap(pass);
          n = m;
          src_begin[a] = 0;  // the sampled axis now starts at its first target
        }
        // Into the chunk (t and c are chunked by 1 or the chunk holds them whole).
        const std::uint64_t ct = t - at[0] * to.chunk[0], cc = c - at[1] * to.chunk[1];
        for (std::int64_t z = 0; z < n[0]; ++z)
          for (std::int64_t y = 0; y < n[1]; ++y)
            for (std::int64_t x = 0; x < n[2]; ++x) {
              const std::uint64_t off =
                  (((ct * to.chunk[1] + cc) * to.chunk[2] + static_cast<std::uint64_t>(z)) * to.chunk[3] + static_cast<std::uint64_t>(y)) *
                      to.chunk[4] +
                  static_cast<std::uint64_t>(x);
              store_value(box[static_cast<std::size_t>((z * n[1] + y) * n[2] + x)], dtype, raw.data() + off * elem);
            }
      }
    const fs::path file = to.dir / chunk_key(at);
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);  // a failure shows in the write
    const auto packed = deflate_chunk(raw, false);
    write_whole_file(file, packed.data(), packed.size());
  });
}

}  // namespace ilpkit::image_detail
