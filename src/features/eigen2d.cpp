// SPDX-License-Identifier: MIT
// 2-D eigenvalues, every operation rounded on its own (this file is compiled with
// -ffp-contract=off) as fastfilters' solver does: the results equal ilastik's bit for bit.
#include <cmath>

#include "eigen.hpp"
#include "rows.hpp"

namespace ilpkit::features {

ILPKIT_SIMD_CLONES void eigenvalues_2d(const float* __restrict a, const float* __restrict c, const float* __restrict b,
                    std::int64_t n, float* __restrict ev0, float* __restrict ev1) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float m = (a[i] + b[i]) / 2;
    const float h = (a[i] - b[i]) / 2;
    const float d = std::sqrt(h * h + c[i] * c[i]);
    ev0[i] = m + d;
    ev1[i] = m - d;
  }
}

}  // namespace ilpkit::features
