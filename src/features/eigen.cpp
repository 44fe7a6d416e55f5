// SPDX-License-Identifier: MIT
// The loops are branch-free (selects, min/max, sqrt) and use polynomial trigonometry so the
// compiler vectorizes them: libm's scalar atan2/sin/cos would dominate 3-D feature time.
#include "eigen.hpp"
#include "rows.hpp"

#include <algorithm>
#include <cmath>

namespace ilpkit::features {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kTanPiOver8 = 0.41421356237309504880;

// atan(r) for r in [0, 1]: reduce to |u| ≤ tan(π/8), then the alternating series to u^27
// (truncation below 1e-12).
template <class T>
inline T atan_unit(T r) {
  const bool reduce = r > T(kTanPiOver8);
  const T reduced = (r - T(1)) / (r + T(1));  // computed unconditionally: keeps the loop branch-free
  const T u = reduce ? reduced : r;
  const T offset = reduce ? T(kPi / 4) : T(0);
  const T u2 = u * u;
  // Coefficients 1/k as constants: a division per term would dominate the solver.
  // Terms to u^27 in double, u^15 in float (truncation 2e-8, below float resolution).
  constexpr int kTop = sizeof(T) == 4 ? 15 : 27;
  T p = T(1.0 / kTop);
  for (int k = kTop - 2; k >= 1; k -= 2) p = p * -u2 + T(1.0 / k);
  // p = Σ (-1)^m u^(2m) / (2m + 1)
  return offset + u * p;
}

template <class T>
inline T atan2_impl(T y, T x) {
  const T ax = std::fabs(x);
  const T hi = std::max(y, ax), lo = std::min(y, ax);
  const T r = lo / (hi > 0 ? hi : T(1));
  T a = atan_unit(r);
  a = y > ax ? T(kPi / 2) - a : a;
  return x < 0 ? T(kPi) - a : a;
}

// Taylor series to x^16; φ ≤ π/3 keeps the truncation error below 1e-13.
template <class T>
inline T cos_impl(T x) {
  const T x2 = x * x;
  T p = T(1);
  for (int k = sizeof(T) == 4 ? 10 : 16; k >= 2; k -= 2) p = T(1) - x2 * T(1.0 / ((k - 1) * k)) * p;
  return p;
}

template <class T>
inline T sin_impl(T x) {
  const T x2 = x * x;
  T p = T(1);
  for (int k = sizeof(T) == 4 ? 11 : 17; k >= 3; k -= 2) p = T(1) - x2 * T(1.0 / ((k - 1) * k)) * p;
  return x * p;
}

}  // namespace

double atan2_nonneg_y(double y, double x) { return atan2_impl(y, x); }
double cos_small(double phi) { return cos_impl(phi); }
double sin_small(double phi) { return sin_impl(phi); }

// Eberly's closed form. It is exact in theory but loses half the digits near repeated
// eigenvalues (sqrt of a cancelled Q), so the characteristic polynomial and Q are formed in
// double; the angle and roots then need only float. Eigenvalues of symmetric matrices are
// perfectly conditioned, so the result is accurate to float precision, well inside the spread
// of ilastik's own float32 solver.
ILPKIT_SIMD_CLONES void eigenvalues_3d(const Tensor3& t, std::int64_t n, float* __restrict ev0, float* __restrict ev1,
                    float* __restrict ev2) {
  const float* __restrict zz = t.zz;
  const float* __restrict yz = t.yz;
  const float* __restrict xz = t.xz;
  const float* __restrict yy = t.yy;
  const float* __restrict xy = t.xy;
  const float* __restrict xx = t.xx;
  for (std::int64_t i = 0; i < n; ++i) {
    float mf = std::max(std::max(std::fabs(zz[i]), std::fabs(yz[i])), std::fabs(xz[i]));
    mf = std::max(std::max(mf, std::fabs(yy[i])), std::max(std::fabs(xy[i]), std::fabs(xx[i])));
    // Any scale near 1/max works (eigenvalues scale with it); a float reciprocal is cheap, and
    // float × float products are exact in double.
    const double inv = static_cast<double>((mf > 0 ? 1.0f : 0.0f) / (mf > 0 ? mf : 1.0f));
    const double a00 = zz[i] * inv, a01 = yz[i] * inv, a02 = xz[i] * inv;
    const double a11 = yy[i] * inv, a12 = xy[i] * inv, a22 = xx[i] * inv;
    const double c0 = a00 * a11 * a22 + 2.0 * a01 * a02 * a12 - a00 * a12 * a12 - a11 * a02 * a02 - a22 * a01 * a01;
    const double c1 = a00 * a11 - a01 * a01 + a00 * a22 - a02 * a02 + a11 * a22 - a12 * a12;
    const double c2 = a00 + a11 + a22;
    constexpr double kThird = 1.0 / 3;
    const double c2_3 = c2 * kThird;
    const double a_3 = std::min((c1 - c2 * c2_3) * kThird, 0.0);
    const double half_b = 0.5 * (c0 + c2_3 * (2.0 * c2_3 * c2_3 - c1));
    const double q = std::min(half_b * half_b + a_3 * a_3 * a_3, 0.0);
    // The cancellation is behind us: the trigonometric part is well conditioned in float.
    constexpr float kSqrt3f = 1.7320508f;
    const float rho = std::sqrt(static_cast<float>(-a_3));
    const float phi = atan2_impl(std::sqrt(static_cast<float>(-q)), static_cast<float>(half_b)) * (1.0f / 3);
    const float cs = cos_impl(phi), sn = sin_impl(phi);
    const float c = static_cast<float>(c2_3);
    const float r0 = c + 2.0f * rho * cs;
    const float r1 = c - rho * (cs + kSqrt3f * sn);
    const float r2 = c - rho * (cs - kSqrt3f * sn);
    // Sorting network: exact selection of largest, middle and smallest.
    const float hi01 = std::max(r0, r1), lo01 = std::min(r0, r1);
    const float hi2 = std::max(lo01, r2), lo = std::min(lo01, r2);
    const float hi = std::max(hi01, hi2), mid = std::min(hi01, hi2);
    ev0[i] = hi * mf;
    ev1[i] = mid * mf;
    ev2[i] = lo * mf;
  }
}

}  // namespace ilpkit::features
