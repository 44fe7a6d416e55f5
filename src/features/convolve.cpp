// SPDX-License-Identifier: MIT
#include "convolve.hpp"
#include "fir.hpp"
#include "rows.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "ilpkit/error.hpp"
#include "ilpkit/parallel.hpp"

namespace ilpkit::features {

namespace {

// Compiled for AVX-512, AVX2 and baseline x86-64, chosen once at load time. Vector and scalar
// paths of a clone perform the same (fused where the CPU can) operation sequence per sample.
ILPKIT_SIMD_CLONES void fir(float* out, const float* const* taps, std::int64_t n, const Kernel& k,
                            bool far_apart = false) {
  fir_detail::fir_any(out, taps, n, k, far_apart);
}

std::int64_t extent_along(const Extent& n, Axis a) { return a == Axis::z ? n.z : a == Axis::y ? n.y : n.x; }

}  // namespace

void fir_unfused(float* out, const float* const* taps, std::int64_t n, const Kernel& k);  // fir_unfused.cpp

void combine(const float* const* taps, std::int64_t n, const Kernel& k, float* out) { fir(out, taps, n, k); }

std::pair<std::int64_t, std::int64_t> fused_columns(std::int64_t width, int radius) {
  if (width == 0) return {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()};
  const std::int64_t begin = (radius + 7) & ~std::int64_t{7}, end = (width - radius) & ~std::int64_t{31};
  if (end < 64) return {0, 0};
  return {begin, end};
}

std::int64_t mirror_index(std::int64_t i, std::int64_t n) {
  if (n == 1) return 0;
  const std::int64_t period = 2 * n - 2;
  i = i < 0 ? -i : i;
  i %= period;
  return i >= n ? period - i : i;
}

void convolve(const ConstView& in, Axis axis, const Kernel& k, std::int64_t first, const View& out, bool parallel,
              const RowPlacement& at) {
  const int radius = k.copy ? 0 : k.radius();
  const std::int64_t len = extent_along(in.n, axis);
  const std::int64_t count = extent_along(out.n, axis);
  if (first < 0 || first + count > len)
    throw Error(ErrorKind::Internal, "filter pass output range lies outside its input");
  const std::int64_t rows = out.n.z * out.n.y;
  // y and z: the reflected input index for every position a kernel can reach,
  // [first - R, first + count + R), computed once per pass (per-thread scratch, no allocation).
  thread_local std::vector<std::int64_t> mirror_table;
  if (axis != Axis::x) {
    mirror_table.resize(static_cast<std::size_t>(count + 2 * radius));
    for (std::int64_t i = 0; i < count + 2 * radius; ++i)
      mirror_table[static_cast<std::size_t>(i)] = mirror_index(first - radius + i, len);
  }
  const std::int64_t* mirror = mirror_table.data();
  // x passes: the fused columns in the view's coordinates.
  auto [fused0, fused1] = fused_columns(at.width, radius);
  if (at.width) fused0 -= at.origin, fused1 -= at.origin;
  // Outputs [o0, o1) from taps placed for o0, each sample fused or not by its column.
  auto fir_row = [&](float* dst, const float* const* taps_o0, std::int64_t o0, std::int64_t o1) {
    thread_local std::vector<const float*> shifted;
    shifted.resize(static_cast<std::size_t>(2 * radius + 1));
    const std::int64_t cut[4] = {o0, std::clamp(fused0, o0, o1), std::clamp(fused1, o0, o1), o1};
    for (int piece = 0; piece < 3; ++piece) {
      if (cut[piece + 1] <= cut[piece]) continue;
      const std::int64_t shift = cut[piece] - o0;
      for (int t = 0; t <= 2 * radius; ++t) shifted[static_cast<std::size_t>(t)] = taps_o0[t] + shift;
      if (piece == 1)
        fir(dst + shift, shifted.data(), cut[piece + 1] - cut[piece], k);
      else
        fir_unfused(dst + shift, shifted.data(), cut[piece + 1] - cut[piece], k);
    }
  };

  // Output rows [r0, r1) in (z, y) order. Per-thread scratch: the streaming engine calls this
  // per slice, so nothing is allocated per call.
  auto filter_rows = [&](std::int64_t r0, std::int64_t r1) {
    thread_local std::vector<const float*> taps;
    thread_local std::vector<float> line;
    taps.resize(static_cast<std::size_t>(2 * radius + 1));
    for (std::int64_t r = r0; r < r1; ++r) {
      const std::int64_t z = r / out.n.y, y = r % out.n.y;
      if (axis == Axis::x) {
        // Outputs whose kernel stays inside the row read it directly; only the few within R of
        // an end go through a short mirrored line.
        const float* src = in.row(z, y);
        float* dst = out.row(z, y);
        const std::int64_t mid0 = std::clamp<std::int64_t>(radius, first, first + count);
        const std::int64_t mid1 = std::clamp<std::int64_t>(len - radius, mid0, first + count);
        if (mid1 > mid0) {
          for (int t = 0; t <= 2 * radius; ++t) taps[static_cast<std::size_t>(t)] = src + mid0 + t - radius;
          fir_row(dst + (mid0 - first), taps.data(), mid0, mid1);
        }
        for (auto [o0, o1] : {std::pair<std::int64_t, std::int64_t>{first, mid0}, {mid1, first + count}}) {
          if (o1 <= o0) continue;
          line.resize(static_cast<std::size_t>(o1 - o0 + 2 * radius));
          for (std::int64_t i = o0 - radius; i < o1 + radius; ++i)
            line[static_cast<std::size_t>(i - (o0 - radius))] = src[mirror_index(i, len)];
          for (int t = 0; t <= 2 * radius; ++t) taps[static_cast<std::size_t>(t)] = line.data() + t;
          fir_row(dst + (o0 - first), taps.data(), o0, o1);
        }
      } else {
        // y and z: whole rows are combined, so the inner loop runs along contiguous x.
        const std::int64_t pos = (axis == Axis::y ? y : z) + first;
        for (int t = -radius; t <= radius; ++t) {
          const std::int64_t m = mirror[static_cast<std::size_t>(pos + t - (first - radius))];
          taps[static_cast<std::size_t>(t + radius)] = axis == Axis::y ? in.row(z, m) : in.row(m, y);
        }
        // Consecutive rows of a plane are contiguous: filter them as one span. Along z any run
        // of rows qualifies; along y only rows whose taps need no mirroring (the tap rows then
        // advance in step with the output rows).
        std::int64_t span = 1;
        if (in.sy == in.n.x && out.sy == out.n.x) {
          const std::int64_t run = std::min(r1 - r, out.n.y - y);
          if (axis == Axis::z) {
            span = run;
          } else if (pos - radius >= 0) {
            span = std::max<std::int64_t>(1, std::min(run, len - radius - pos));
          }
        }
        fir(out.row(z, y), taps.data(), in.n.x * span, k, axis == Axis::z);
        r += span - 1;
      }
    }
  };
  if (axis == Axis::z) {
    // Along z the taps are rows of far-apart planes. Sweep z for a few y at a time so the
    // 2R+1 planes' rows in use stay in cache and consecutive outputs reuse them.
    constexpr std::int64_t kTileY = 16;
    const std::int64_t tiles = (out.n.y + kTileY - 1) / kTileY;
    auto tile_rows = [&](std::int64_t t) {
      const std::int64_t y0 = t * kTileY, y1 = std::min(out.n.y, y0 + kTileY);
      for (std::int64_t z = 0; z < out.n.z; ++z) filter_rows(z * out.n.y + y0, z * out.n.y + y1);
    };
    if (!parallel || tiles == 1) {
      for (std::int64_t t = 0; t < tiles; ++t) tile_rows(t);
    } else {
      parallel_for(static_cast<std::size_t>(tiles), [&](std::size_t t) { tile_rows(static_cast<std::int64_t>(t)); });
    }
    return;
  }
  constexpr std::int64_t kRowsPerTask = 64;
  if (!parallel || rows <= kRowsPerTask) {
    filter_rows(0, rows);
    return;
  }
  const auto tasks = static_cast<std::size_t>((rows + kRowsPerTask - 1) / kRowsPerTask);
  parallel_for(tasks, [&](std::size_t i) {
    const auto r0 = static_cast<std::int64_t>(i) * kRowsPerTask;
    filter_rows(r0, std::min(rows, r0 + kRowsPerTask));
  });
}

Volume convolve(const ConstView& in, Axis axis, const Kernel& k, std::int64_t first, std::int64_t count,
                bool parallel, const RowPlacement& at) {
  Extent n = in.n;
  (axis == Axis::z ? n.z : axis == Axis::y ? n.y : n.x) = count;
  Volume out(n);
  convolve(in, axis, k, first, out.view(), parallel, at);
  return out;
}

}  // namespace ilpkit::features

