// SPDX-License-Identifier: MIT
// A brute-force reference for ilastik's pixel features, written straight from the formulas of
// features-and-forest.md §2 in float64: kernels from the closed forms of §2.3 (rounded to float
// as ilastik stores them), direct convolution with an explicit mirror index per tap (n-D kernel
// products, or one axis at a time), Jacobi iterations for 3-D eigenvalues. Slow on purpose;
// shares no code with the engine.
#pragma once

#include <cstdint>
#include <vector>

#include "ilpkit/features.hpp"
#include "ilpkit/project.hpp"

namespace ilpkit::test {

struct ReferenceFeatures {
  std::vector<std::vector<double>> channels;  ///< [channel][z][y][x], ilastik's channel order
  /// For eigenvalue channels: per pixel max |T_ab| of the tensor they came from (else empty).
  std::vector<std::vector<double>> tensor_max;
};

enum class ReferenceMode { Direct, Separable };

/// `image` is [c][z][y][x] for geometry `g`.
ReferenceFeatures reference_features(const FeatureSelection& selection, const ImageGeometry& g,
                                     const std::vector<double>& image, ReferenceMode mode);

/// The half kernel c[0..R] from the closed forms (float-rounded); R = 0 kernels of order 1 and 2
/// come back empty (ilastik's filter then copies its input).
std::vector<float> reference_kernel(int order, double sigma, double window);

}  // namespace ilpkit::test
