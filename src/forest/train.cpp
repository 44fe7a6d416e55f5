// SPDX-License-Identifier: MIT
// Mirrors: lazyflow parallelVigraRfLazyflowClassifier.py (ParallelVigraRfLazyflowClassifierFactory
// .create_and_train: tree split, one vigra.learning.RandomForest per forest, known_labels).
// The learner is VIGRA's own RandomForest with its default options (what ilastik calls).
#include <algorithm>
#include <chrono>
#include <set>

#include <fmt/format.h>

#include <vigra/multi_array.hxx>
#include <vigra/random_forest.hxx>

#include "ilpkit/error.hpp"
#include "ilpkit/parallel.hpp"
#include "ilpkit/train.hpp"

namespace ilpkit {

std::vector<int> trees_per_forest(int trees, int forests) {
  std::vector<int> out;
  if (forests < 1) forests = 1;
  for (int f = 0; f < forests; ++f) {
    const int n = trees / forests + (f < trees % forests ? 1 : 0);
    if (n > 0) out.push_back(n);
  }
  return out;
}

namespace {

Forest to_forest(const vigra::RandomForest<std::uint32_t>& rf, int index) {
  Forest f;
  f.name = fmt::format("Forest{:04d}", index);
  f.column_count = rf.column_count();
  f.class_count = rf.class_count();
  const int digits = static_cast<int>(std::to_string(std::max(rf.tree_count() - 1, 0)).size());
  for (int i = 0; i < rf.tree_count(); ++i) {
    Tree t;
    t.name = fmt::format("Tree_{:0{}d}", i, digits);
    t.topology.assign(rf.tree(i).topology_.begin(), rf.tree(i).topology_.end());
    t.parameters.assign(rf.tree(i).parameters_.begin(), rf.tree(i).parameters_.end());
    f.trees.push_back(std::move(t));
  }
  const auto& p = rf.ext_param();
  for (int k = 0; k < rf.class_count(); ++k) f.labels.push_back(p.classes[static_cast<std::size_t>(k)]);
  f.class_weights.assign(p.class_weights_.begin(), p.class_weights_.end());
  f.ext_param = {{"column_count_", p.column_count_},     {"class_count_", p.class_count_},
                 {"row_count_", static_cast<double>(p.row_count_)}, {"actual_mtry_", static_cast<double>(p.actual_mtry_)},
                 {"actual_msample_", static_cast<double>(p.actual_msample_)},
                 {"problem_type_", static_cast<double>(p.problem_type_)}, {"is_weighted_", static_cast<double>(p.is_weighted_)},
                 {"used_", static_cast<double>(p.used_)},         {"precision_", p.precision_},
                 {"response_size_", static_cast<double>(p.response_size_)}};
  const auto& o = rf.options();
  f.options = {{"training_set_proportion_", o.training_set_proportion_},
               {"training_set_size_", static_cast<double>(o.training_set_size_)},
               {"training_set_calc_switch_", static_cast<double>(o.training_set_calc_switch_)},
               {"training_set_func_", 0.0},
               {"sample_with_replacement_", static_cast<double>(o.sample_with_replacement_)},
               {"stratification_method_", static_cast<double>(o.stratification_method_)},
               {"mtry_switch_", static_cast<double>(o.mtry_switch_)},
               {"mtry_", static_cast<double>(o.mtry_)},
               {"mtry_func_", 0.0},
               {"tree_count_", static_cast<double>(o.tree_count_)},
               {"min_split_node_size_", static_cast<double>(o.min_split_node_size_)},
               {"predict_weighted_", static_cast<double>(o.predict_weighted_)},
               {"prepare_online_learning_", static_cast<double>(o.prepare_online_learning_)}};
  return f;
}

}  // namespace

Classifier train_classifier(const TrainingSamples& s, const TrainOptions& options) {
  const std::set<std::uint32_t> distinct(s.labels.begin(), s.labels.end());
  if (distinct.size() < 2)
    throw Error(ErrorKind::Usage, fmt::format("training needs labels of at least 2 classes; the project has {}",
                                              distinct.size()));
  if (s.feature_count == 0 || s.features.size() != s.size() * s.feature_count)
    throw Error(ErrorKind::Internal, "training samples are inconsistent");
  const int forests = options.forests > 0 ? options.forests : std::max(1, current_thread_limit());
  const auto split = trees_per_forest(options.trees, forests);
  std::uint64_t seed = options.seed;
  if (seed == 0)
    seed = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1;

  // VIGRA's matrices are column-major views: features (N × F), labels (N × 1).
  const auto n = static_cast<std::ptrdiff_t>(s.size());
  const auto F = static_cast<std::ptrdiff_t>(s.feature_count);
  vigra::MultiArray<2, float> X(vigra::Shape2(n, F));
  vigra::MultiArray<2, std::uint32_t> y(vigra::Shape2(n, 1));
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    for (std::ptrdiff_t f = 0; f < F; ++f) X(i, f) = s.features[static_cast<std::size_t>(i * F + f)];
    y(i, 0) = s.labels[static_cast<std::size_t>(i)];
  }
  std::vector<Forest> trained(split.size());
  with_thread_limit(options.threads, [&] {
    parallel_for(split.size(), [&](std::size_t f) {
      vigra::RandomForest<std::uint32_t> rf(vigra::RandomForestOptions().tree_count(split[f]));
      // One generator per forest, seeded from the base: the same forests for any thread count.
      vigra::RandomNumberGenerator<> rng(static_cast<vigra::UInt32>((seed + f) & 0xffffffffu));
      rf.learn(X, y, vigra::rf_default(), vigra::rf_default(), vigra::rf_default(), rng);
      trained[f] = to_forest(rf, static_cast<int>(f));
    });
  });

  Classifier c;
  c.type = "ParallelVigraRfLazyflowClassifier";
  c.forests = std::move(trained);
  c.known_labels.assign(distinct.begin(), distinct.end());
  c.known_labels_stored = true;
  c.feature_names = s.feature_names;
  return c;
}

}  // namespace ilpkit
