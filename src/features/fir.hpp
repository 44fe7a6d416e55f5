// SPDX-License-Identifier: MIT
// The FIR line kernels shared by the fused (convolve.cpp) and unfused (fir_unfused.cpp) builds:
// the same source, compiled once with multiply-adds contracted where the CPU has FMA and once
// without, so each sample's arithmetic can follow fastfilters' per-position choice.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernel.hpp"
#include "rows.hpp"

namespace ilpkit::features::fir_detail {

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

/// `far_apart`: the taps are lines far apart in memory (planes of a volume), where many
/// simultaneous streams would thrash the caches; long kernels then run tap by tap.
[[gnu::always_inline]] inline void fir_any(float* out, const float* const* taps, std::int64_t n, const Kernel& k,
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

}  // namespace ilpkit::features::fir_detail
