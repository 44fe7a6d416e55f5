// SPDX-License-Identifier: MIT
// Eigenvalues of symmetric 2×2 and 3×3 tensors per pixel, descending (features-and-forest.md §2.5).
#pragma once

#include <cstdint>

namespace ilpkit::features {

/// a = t_xx, c = t_xy, b = t_yy; ev0 ≥ ev1, float32 closed form.
void eigenvalues_2d(const float* a, const float* c, const float* b, std::int64_t n, float* ev0, float* ev1);

/// Entries in ilastik's row order z, y, x: a00 = zz, a01 = yz, a02 = xz, a11 = yy, a12 = xy, a22 = xx.
/// Eberly's closed form (as ilastik's) scaled by the largest |entry|, with the cancelling part
/// in double; ev0 ≥ ev1 ≥ ev2.
struct Tensor3 {
  const float *zz, *yz, *xz, *yy, *xy, *xx;
};
void eigenvalues_3d(const Tensor3& t, std::int64_t n, float* ev0, float* ev1, float* ev2);

/// The trigonometry of the 3-D solver (used in float there), exposed for tests in double:
/// polynomial approximations accurate to 1e-12 on the ranges the solver uses (atan2 with
/// y ≥ 0; sin/cos on [0, π/3]).
double atan2_nonneg_y(double y, double x);
double cos_small(double phi);
double sin_small(double phi);

}  // namespace ilpkit::features
