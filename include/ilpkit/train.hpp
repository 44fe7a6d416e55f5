// SPDX-License-Identifier: MIT
// Retraining a project's classifier the way ilastik does (features-and-forest.md §3): every
// labelled pixel of every lane and time point is a sample (features computed only on the tiles
// that hold labels), and VIGRA RF2 forests with ilastik's options are trained on them, the trees
// split over forests as ilastik splits them. Usage:
//   TrainingSamples s = collect_training_samples(project, {});   // pipeline.hpp
//   Classifier c = train_classifier(s, TrainOptions{.seed = 42});
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ilpkit/project.hpp"

namespace ilpkit {

struct TrainingSamples {
  std::size_t feature_count = 0;
  std::vector<float> features;        ///< row-major, one row of feature_count per sample
  std::vector<std::uint32_t> labels;  ///< label value (1..K) per sample
  std::vector<std::string> feature_names;
  std::size_t size() const { return labels.size(); }
};

struct TrainOptions {
  int trees = 100;             ///< total over all forests
  int forests = 0;             ///< 0: the project's factory setting, else the thread count (ilastik's default)
  std::uint64_t seed = 0;      ///< 0: from the clock (ilastik never seeds); forest f uses seed + f
  int threads = 0;             ///< 0: all cores; forests train in parallel
};

/// Trains `options.forests` VIGRA RF2 forests (tree counts 100 // F, the first 100 % F one more).
/// For a non-zero seed the result does not depend on the thread count. Throws Error(Usage) with
/// fewer samples than classes or fewer than 2 label values.
Classifier train_classifier(const TrainingSamples& samples, const TrainOptions& options);

/// ilastik's tree split: `trees` over `forests`, dropping empty forests.
std::vector<int> trees_per_forest(int trees, int forests);

}  // namespace ilpkit
