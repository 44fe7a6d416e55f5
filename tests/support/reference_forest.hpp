// SPDX-License-Identifier: MIT
// The plain reference for prediction, written literally from features-and-forest.md §3.4 and
// VIGRA's RandomForest::predictProbabilities: walk the stored topology, `double(x) < threshold`,
// float32 votes in tree order, double total, per-forest division, tree-weighted forest mean,
// label -> channel mapping, NaN rows -> 0. One sample at a time; no shared code with Predictor.
#pragma once

#include <cmath>
#include <vector>

#include "ilpkit/project.hpp"

namespace ilpkit::test {

/// Probabilities of one sample (`x` has the forests' column count) over `label_count` channels.
inline std::vector<float> reference_predict(const Classifier& c, std::size_t label_count, const std::vector<float>& x) {
  std::vector<float> out(label_count, 0.0f);
  for (float v : x)
    if (std::isnan(v)) return out;
  const std::size_t classes = static_cast<std::size_t>(c.forests.front().class_count);
  std::vector<float> acc(classes, 0.0f);
  std::size_t all_trees = 0;
  for (const auto& f : c.forests) {
    std::vector<float> prob(classes, 0.0f);
    double total = 0;
    for (const auto& t : f.trees) {
      std::size_t n = 2;
      while (!(t.topology[n] & Tree::kLeafNode)) {
        const double threshold = t.parameters[static_cast<std::size_t>(t.topology[n + 1]) + 1];
        const auto column = static_cast<std::size_t>(t.topology[n + 4]);
        n = static_cast<std::size_t>(static_cast<double>(x[column]) < threshold ? t.topology[n + 2] : t.topology[n + 3]);
      }
      const auto p = static_cast<std::size_t>(t.topology[n + 1]);
      for (std::size_t l = 0; l < classes; ++l) {
        prob[l] += static_cast<float>(t.parameters[p + 1 + l] * 1.0);
        total += t.parameters[p + 1 + l] * 1.0;
      }
    }
    for (std::size_t l = 0; l < classes; ++l)
      acc[l] = acc[l] + (prob[l] / static_cast<float>(total)) * static_cast<float>(f.trees.size());
    all_trees += f.trees.size();
  }
  for (std::size_t l = 0; l < classes && l < c.known_labels.size(); ++l) {
    const auto v = c.known_labels[l];
    if (v >= 1 && v <= label_count) out[v - 1] = acc[l] / static_cast<float>(all_trees);
  }
  return out;
}

}  // namespace ilpkit::test
