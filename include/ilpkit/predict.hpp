// SPDX-License-Identifier: MIT
// Applying ilastik's stored random forests (features-and-forest.md §3.4): per tree descend with
// `double(x[col]) < threshold`, add the leaf's class distribution in float32 in stored tree order,
// divide by the float total per forest, combine forests weighted by their tree counts in float32,
// and map class columns to output channels by label value (channel k-1 <-> label k). Samples with
// a NaN feature get all zeros. Usage:
//   Predictor predictor(*project.classifier, project.label_classes.size());
//   predictor.predict(features_planar, plane_size, pixel_count, probabilities_planar, plane_size);
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ilpkit/project.hpp"

namespace ilpkit {

class Predictor {
 public:
  /// Flattens every tree; `label_count` is the number of label names (output channels). Throws
  /// Error(Format) for forests that disagree, Error(Usage) for a classifier without forests.
  Predictor(const Classifier& classifier, std::size_t label_count);
  ~Predictor();
  Predictor(Predictor&&) noexcept;
  Predictor& operator=(Predictor&&) noexcept;

  std::size_t feature_count() const;
  std::size_t label_count() const;
  std::size_t tree_count() const;

  /// Probabilities of `n` samples. Feature column c of sample i is features[c·feature_stride + i];
  /// label channel k of sample i goes to out[k·out_stride + i]. Thread-safe (const); callers split
  /// large inputs across threads themselves (results do not depend on the split).
  void predict(const float* features, std::int64_t feature_stride, std::int64_t n, float* out,
               std::int64_t out_stride) const;

  struct Model;

 private:
  std::unique_ptr<Model> model_;
};

/// Simple Segmentation: argmax + 1 with the first maximum winning ties (all-equal rows give 1).
void segmentation_from_probabilities(const float* p, std::int64_t stride, std::size_t channels, std::int64_t n,
                                     float* out);
/// Uncertainty: 1 - (p_max - p_second); all zeros with a single channel.
void uncertainty_from_probabilities(const float* p, std::int64_t stride, std::size_t channels, std::int64_t n,
                                    float* out);

}  // namespace ilpkit
