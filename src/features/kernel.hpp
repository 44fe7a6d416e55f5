// SPDX-License-Identifier: MIT
// ilastik's FIR Gaussian kernels (features-and-forest.md §2.3): half kernels c[0..R] in float32,
// built with the same rounding steps as ilastik's filter library so coefficients are bit-exact.
#pragma once

#include <vector>

namespace ilpkit::features {

/// ilastik passes these window ratios: 2 for every feature operator, 3.5 for presmoothing.
inline constexpr double kFeatureWindow = 2.0;
inline constexpr double kPresmoothWindow = 3.5;

struct Kernel {
  int order = 0;            ///< derivative order 0, 1 or 2
  double sigma = 0;
  std::vector<float> c;     ///< half kernel c[0..radius]
  /// A radius-0 kernel whose c0 is not "far from 1" is applied as a plain copy, as ilastik's
  /// library does; this includes the NaN kernels of order 1/2 at tiny sigmas (§2.5.5).
  bool copy = false;

  int radius() const { return static_cast<int>(c.size()) - 1; }
  bool symmetric() const { return order != 1; }
};

/// R = floor(window·σ + 0.5), or 0 for |σ| < 1e-6.
int kernel_radius(double sigma, double window);
Kernel gaussian_kernel(int order, double sigma, double window);

}  // namespace ilpkit::features
