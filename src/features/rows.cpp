// SPDX-License-Identifier: MIT
#include "rows.hpp"

#include <cmath>

namespace ilpkit::features {

ILPKIT_SIMD_CLONES void add_rows(const float* __restrict a, const float* __restrict b, std::int64_t n,
                                 float* __restrict out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

ILPKIT_SIMD_CLONES void add_rows(const float* __restrict a, const float* __restrict b, const float* __restrict c,
                                 std::int64_t n, float* __restrict out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i] + c[i];
}

ILPKIT_SIMD_CLONES void subtract_rows(const float* __restrict a, const float* __restrict b, std::int64_t n,
                                      float* __restrict out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] - b[i];
}

ILPKIT_SIMD_CLONES void multiply_rows(const float* __restrict a, const float* __restrict b, std::int64_t n,
                                      float* __restrict out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

ILPKIT_SIMD_CLONES void magnitude_rows(const float* __restrict a, const float* __restrict b, std::int64_t n,
                                       float* __restrict out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = std::sqrt(a[i] * a[i] + b[i] * b[i]);
}

ILPKIT_SIMD_CLONES void magnitude_rows(const float* __restrict a, const float* __restrict b,
                                       const float* __restrict c, std::int64_t n, float* __restrict out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = std::sqrt(a[i] * a[i] + b[i] * b[i] + c[i] * c[i]);
}

}  // namespace ilpkit::features
