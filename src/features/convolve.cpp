// SPDX-License-Identifier: MIT
#include "convolve.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "ilpkit/error.hpp"

namespace ilpkit::features {

namespace {

// out[i] = c0·ctr[i] + Σ_k c_k·(plus_k[i] ± minus_k[i]), k = 1..R in order. `taps[R + k]` points
// at the line shifted by +k. Short kernels (the feature operators: R ≤ 2) are unrolled so the
// compiler keeps the accumulator in a register; longer ones accumulate in `out`.
template <bool Symmetric>
void fir_line(float* __restrict out, const float* const* taps, std::int64_t n, const float* c, int radius) {
  const float* __restrict ctr = taps[radius];
  const float c0 = c[0];
  auto pair = [](float a, float b) { return Symmetric ? a + b : a - b; };
  if (radius == 0) {
    for (std::int64_t i = 0; i < n; ++i) out[i] = c0 * ctr[i];
  } else if (radius == 1) {
    const float* __restrict p1 = taps[2];
    const float* __restrict m1 = taps[0];
    const float c1 = c[1];
    for (std::int64_t i = 0; i < n; ++i) out[i] = c0 * ctr[i] + c1 * pair(p1[i], m1[i]);
  } else if (radius == 2) {
    const float* __restrict p1 = taps[3];
    const float* __restrict m1 = taps[1];
    const float* __restrict p2 = taps[4];
    const float* __restrict m2 = taps[0];
    const float c1 = c[1], c2 = c[2];
    for (std::int64_t i = 0; i < n; ++i) {
      float acc = c0 * ctr[i];
      acc = acc + c1 * pair(p1[i], m1[i]);
      out[i] = acc + c2 * pair(p2[i], m2[i]);
    }
  } else {
    for (std::int64_t i = 0; i < n; ++i) out[i] = c0 * ctr[i];
    for (int k = 1; k <= radius; ++k) {
      const float* __restrict p = taps[radius + k];
      const float* __restrict m = taps[radius - k];
      const float ck = c[k];
      for (std::int64_t i = 0; i < n; ++i) out[i] = out[i] + ck * pair(p[i], m[i]);
    }
  }
}

void fir(float* out, const float* const* taps, std::int64_t n, const Kernel& k) {
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
  std::vector<const float*> taps(static_cast<std::size_t>(2 * radius + 1));

  if (axis == Axis::x) {
    // Copy each row into a line padded by R mirrored samples, then filter contiguously.
    std::vector<float> line(static_cast<std::size_t>(count + 2 * radius));
    for (std::int64_t z = 0; z < in.n.z; ++z)
      for (std::int64_t y = 0; y < in.n.y; ++y) {
        const float* src = in.row(z, y);
        const std::int64_t lo = first - radius, hi = first + count + radius;
        if (lo >= 0 && hi <= len) {
          for (int t = 0; t <= 2 * radius; ++t) taps[static_cast<std::size_t>(t)] = src + first + t - radius;
        } else {
          for (std::int64_t i = lo; i < hi; ++i) line[static_cast<std::size_t>(i - lo)] = src[mirror_index(i, len)];
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

