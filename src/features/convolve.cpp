// SPDX-License-Identifier: MIT
#include "convolve.hpp"
#include "rows.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "ilpkit/error.hpp"

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

template <bool Symmetric>
[[gnu::always_inline]] inline void fir_line(float* out, const float* const* taps, std::int64_t n, const float* c,
                                            int radius) {
  const float* ctr = taps[radius];
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    Vec acc = c[0] * load(ctr + i);
    for (int k = 1; k <= radius; ++k) {
      const Vec p = load(taps[radius + k] + i), m = load(taps[radius - k] + i);
      acc = acc + c[k] * (Symmetric ? p + m : p - m);
    }
    store(out + i, acc);
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

// Compiled for AVX-512, AVX2 and baseline x86-64, chosen at load time. The arithmetic is the
// same IEEE single-precision sequence in each (no contraction), so results do not depend on it.
ILPKIT_SIMD_CLONES void fir(float* out, const float* const* taps, std::int64_t n, const Kernel& k) {
  if (k.copy) {
    std::memcpy(out, taps[0], static_cast<std::size_t>(n) * sizeof(float));
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

void convolve(const ConstView& in, Axis axis, const Kernel& k, std::int64_t first, const View& out) {
  const int radius = k.copy ? 0 : k.radius();
  const std::int64_t len = extent_along(in.n, axis);
  const std::int64_t count = extent_along(out.n, axis);
  if (first < 0 || first + count > len)
    throw Error(ErrorKind::Internal, "filter pass output range lies outside its input");
  // Per-thread scratch: passes run per row in the streaming engine, so no allocation per call.
  thread_local std::vector<const float*> taps;
  thread_local std::vector<float> line;
  taps.resize(static_cast<std::size_t>(2 * radius + 1));

  if (axis == Axis::x) {
    // Copy each row into a line padded by R mirrored samples, then filter contiguously.
    line.resize(static_cast<std::size_t>(count + 2 * radius));
    for (std::int64_t z = 0; z < in.n.z; ++z)
      for (std::int64_t y = 0; y < in.n.y; ++y) {
        const float* src = in.row(z, y);
        const std::int64_t lo = first - radius, hi = first + count + radius;
        if (lo >= 0 && hi <= len) {
          for (int t = 0; t <= 2 * radius; ++t) taps[static_cast<std::size_t>(t)] = src + first + t - radius;
        } else {
          // Only the samples beyond the row's ends are reflected; the rest is one copy.
          const std::int64_t in_lo = std::max<std::int64_t>(lo, 0), in_hi = std::min(hi, len);
          float* dst = line.data();
          std::memcpy(dst + (in_lo - lo), src + in_lo, static_cast<std::size_t>(in_hi - in_lo) * sizeof(float));
          for (std::int64_t i = lo; i < in_lo; ++i) dst[i - lo] = src[mirror_index(i, len)];
          for (std::int64_t i = in_hi; i < hi; ++i) dst[i - lo] = src[mirror_index(i, len)];
          for (int t = 0; t <= 2 * radius; ++t) taps[static_cast<std::size_t>(t)] = line.data() + t;
        }
        fir(out.row(z, y), taps.data(), count, k);
      }
    return;
  }
  // y and z: whole rows are combined, so the inner loop runs along contiguous x.
  for (std::int64_t z = 0; z < out.n.z; ++z)
    for (std::int64_t y = 0; y < out.n.y; ++y) {
      const std::int64_t pos = (axis == Axis::y ? y : z) + first;
      for (int t = -radius; t <= radius; ++t) {
        const std::int64_t m = mirror_index(pos + t, len);
        taps[static_cast<std::size_t>(t + radius)] = axis == Axis::y ? in.row(z, m) : in.row(m, y);
      }
      fir(out.row(z, y), taps.data(), in.n.x, k);
    }
}

Volume convolve(const ConstView& in, Axis axis, const Kernel& k, std::int64_t first, std::int64_t count) {
  Extent n = in.n;
  (axis == Axis::z ? n.z : axis == Axis::y ? n.y : n.x) = count;
  Volume out(n);
  convolve(in, axis, k, first, out.view());
  return out;
}

}  // namespace ilpkit::features

