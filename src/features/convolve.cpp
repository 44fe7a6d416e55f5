// SPDX-License-Identifier: MIT
#include "convolve.hpp"
#include "rows.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "ilpkit/error.hpp"
#include "ilpkit/parallel.hpp"

namespace ilpkit::features {

namespace {

// out[i] = c0·ctr[i] + Σ_k c_k·(plus_k[i] ± minus_k[i]), k = 1..R in order. `taps[R + k]` points
// at the line shifted by +k. Explicit 16-lane vectors (GCC vector extensions; each target clone
// maps them onto its registers) with a scalar tail that performs the same operations.
using Vec = float __attribute__((vector_size(64)));
constexpr int kLanes = 16;

[[gnu::always_inline]] inline Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
[[gnu::always_inline]] inline void store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }

// Long kernels (presmoothing, up to 71 taps) would read that many lines at once; running the
// taps in the outer loop over an L1-sized chunk keeps every line a sequential stream. The
// per-sample operation order is the same as in fir_line.
template <bool Symmetric>
[[gnu::always_inline]] inline void fir_long(float* out, const float* const* taps, std::int64_t n, const float* c,
                                            int radius) {
  constexpr std::int64_t kChunk = 1024;
  alignas(64) float acc[kChunk];
  for (std::int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const std::int64_t len = std::min(kChunk, n - i0);
    const std::int64_t vec_len = len - len % kLanes;
    const float* ctr = taps[radius] + i0;
    for (std::int64_t j = 0; j < vec_len; j += kLanes) store(acc + j, c[0] * load(ctr + j));
    for (std::int64_t j = vec_len; j < len; ++j) acc[j] = c[0] * ctr[j];
    for (int k = 1; k <= radius; ++k) {
      const float* p = taps[radius + k] + i0;
      const float* m = taps[radius - k] + i0;
      const float ck = c[k];
      for (std::int64_t j = 0; j < vec_len; j += kLanes) {
        const Vec pv = load(p + j), mv = load(m + j);
        store(acc + j, load(acc + j) + ck * (Symmetric ? pv + mv : pv - mv));
      }
      for (std::int64_t j = vec_len; j < len; ++j) acc[j] = acc[j] + ck * (Symmetric ? p[j] + m[j] : p[j] - m[j]);
    }
    std::memcpy(out + i0, acc, static_cast<std::size_t>(len) * sizeof(float));
  }
}

template <bool Symmetric>
[[gnu::always_inline]] inline void fir_line(float* out, const float* const* taps, std::int64_t n, const float* c,
                                            int radius) {
  const float* ctr = taps[radius];
  auto vector_at = [&](std::int64_t i) {
    Vec acc = c[0] * load(ctr + i);
    for (int k = 1; k <= radius; ++k) {
      const Vec p = load(taps[radius + k] + i), m = load(taps[radius - k] + i);
      acc = acc + c[k] * (Symmetric ? p + m : p - m);
    }
    store(out + i, acc);
  };
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) vector_at(i);
  if (i < n && n >= kLanes) {
    // The last partial vector overlaps the previous one: the samples computed twice get the
    // same operations, so the result is the same, and no scalar tail is needed.
    vector_at(n - kLanes);
    return;
  }
  for (; i < n; ++i) {
    float acc = c[0] * ctr[i];
    for (int k = 1; k <= radius; ++k) {
      const float p = taps[radius + k][i], m = taps[radius - k][i];
      acc = acc + c[k] * (Symmetric ? p + m : p - m);
    }
    out[i] = acc;
  }
}

// Compiled for AVX-512, AVX2 and baseline x86-64, chosen once at load time. Vector and scalar
// paths of a clone perform the same (fused where the CPU can) operation sequence per sample.
/// `far_apart`: the taps are lines far apart in memory (planes of a volume), where many
/// simultaneous streams would thrash the caches; long kernels then run tap by tap.
ILPKIT_SIMD_CLONES void fir(float* out, const float* const* taps, std::int64_t n, const Kernel& k,
                            bool far_apart = false) {
  if (k.copy) {
    std::memcpy(out, taps[0], static_cast<std::size_t>(n) * sizeof(float));
    return;
  }
  if (far_apart && k.radius() > 8) {
    if (k.symmetric())
      fir_long<true>(out, taps, n, k.c.data(), k.radius());
    else
      fir_long<false>(out, taps, n, k.c.data(), k.radius());
    return;
  }
  if (k.symmetric())
    fir_line<true>(out, taps, n, k.c.data(), k.radius());
  else
    fir_line<false>(out, taps, n, k.c.data(), k.radius());
}

std::int64_t extent_along(const Extent& n, Axis a) { return a == Axis::z ? n.z : a == Axis::y ? n.y : n.x; }

}  // namespace

void combine(const float* const* taps, std::int64_t n, const Kernel& k, float* out) { fir(out, taps, n, k); }

std::int64_t mirror_index(std::int64_t i, std::int64_t n) {
  if (n == 1) return 0;
  const std::int64_t period = 2 * n - 2;
  i = i < 0 ? -i : i;
  i %= period;
  return i >= n ? period - i : i;
}

void convolve(const ConstView& in, Axis axis, const Kernel& k, std::int64_t first, const View& out, bool parallel) {
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
          fir(dst + (mid0 - first), taps.data(), mid1 - mid0, k);
        }
        for (auto [o0, o1] : {std::pair<std::int64_t, std::int64_t>{first, mid0}, {mid1, first + count}}) {
          if (o1 <= o0) continue;
          line.resize(static_cast<std::size_t>(o1 - o0 + 2 * radius));
          for (std::int64_t i = o0 - radius; i < o1 + radius; ++i)
            line[static_cast<std::size_t>(i - (o0 - radius))] = src[mirror_index(i, len)];
          for (int t = 0; t <= 2 * radius; ++t) taps[static_cast<std::size_t>(t)] = line.data() + t;
          fir(dst + (o0 - first), taps.data(), o1 - o0, k);
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
                bool parallel) {
  Extent n = in.n;
  (axis == Axis::z ? n.z : axis == Axis::y ? n.y : n.x) = count;
  Volume out(n);
  convolve(in, axis, k, first, out.view(), parallel);
  return out;
}

}  // namespace ilpkit::features

