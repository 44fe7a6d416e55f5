// SPDX-License-Identifier: MIT
// Feature ids and the feature channel list: which channels a FeatureSelection produces for an
// image, in ilastik's order, with ilastik's exact names (features-and-forest.md §2.1, §2.8).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ilpkit/project.hpp"

namespace ilpkit {

enum class FeatureKind {
  GaussianSmoothing,
  LaplacianOfGaussian,
  GaussianGradientMagnitude,
  DifferenceOfGaussians,
  StructureTensorEigenvalues,
  HessianOfGaussianEigenvalues,
};

/// The one table from stored FeatureIds strings to kinds; throws Error(Format) for unknown ids.
FeatureKind feature_kind(std::string_view id);
const char* feature_id(FeatureKind kind) noexcept;
const char* display_name(FeatureKind kind) noexcept;
bool is_eigenvalue_feature(FeatureKind kind) noexcept;
/// ilastik's default FeatureIds order and scales.
const std::vector<std::string>& default_feature_ids();
const std::vector<double>& default_scales();

/// What the channel list depends on: channel count and the extents of z, y and x (1 if absent).
struct ImageGeometry {
  int channels = 1;
  std::int64_t z = 1, y = 2, x = 2;

  /// From internal axes ("yxc", "zyxc", "tzyxc", ...) and shape; t is ignored.
  static ImageGeometry from_internal(std::string_view axes, const Shape& shape);
};

/// ComputeIn2d as ilastik uses it: the stored list, or all true when z == 1, else all false.
std::vector<bool> effective_compute_in_2d(const FeatureSelection& selection, const ImageGeometry& image);

/// Every output channel in order: FeatureIds row, then scale, then input channel, then
/// eigenvalue index (descending). Throws Error(Format) for unknown ids or a bad matrix shape.
std::vector<FeatureChannel> feature_channels(const FeatureSelection& selection, const ImageGeometry& image);

/// Python's str(float): "0.3", "1.0", "10.0", "1e-05".
std::string python_float_str(double value);

}  // namespace ilpkit
