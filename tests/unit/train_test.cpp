// SPDX-License-Identifier: MIT
// Retraining: ilastik's tree split, samples drawn from every labelled pixel, and the learner is
// VIGRA's RandomForest itself: same samples and seed give the same trees as calling VIGRA
// directly, for any thread count.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include <vigra/multi_array.hxx>
#include <vigra/random_forest.hxx>

#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/parallel.hpp"
#include "ilpkit/pipeline.hpp"
#include "ilpkit/train.hpp"
#include "memory_image.hpp"
#include "test_paths.hpp"

using namespace ilpkit;

namespace {

TrainingSamples synthetic_samples(std::size_t n, std::size_t F) {
  TrainingSamples s;
  s.feature_count = F;
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t label = 1 + static_cast<std::uint32_t>(i % 3);
    for (std::size_t f = 0; f < F; ++f) s.features.push_back(noise(rng) + (f % 3 == label - 1 ? 1.5f : 0.0f));
    s.labels.push_back(label);
  }
  for (std::size_t f = 0; f < F; ++f) s.feature_names.push_back("f" + std::to_string(f));
  return s;
}

}  // namespace

TEST(Train, TreesAreSplitOverForestsAsIlastikSplitsThem) {
  EXPECT_EQ(trees_per_forest(100, 8), (std::vector<int>{13, 13, 13, 13, 12, 12, 12, 12}));
  EXPECT_EQ(trees_per_forest(100, 3), (std::vector<int>{34, 33, 33}));
  EXPECT_EQ(trees_per_forest(100, 1), (std::vector<int>{100}));
  EXPECT_EQ(trees_per_forest(5, 8), (std::vector<int>{1, 1, 1, 1, 1}));
}

TEST(Train, ForestsEqualVigrasForTheSameSamplesAndSeedWhateverTheThreads) {
  const auto s = synthetic_samples(600, 7);
  TrainOptions o;
  o.trees = 20;
  o.forests = 3;
  o.seed = 1234;
  o.threads = 1;
  const Classifier one = train_classifier(s, o);
  o.threads = 2;
  const Classifier two = train_classifier(s, o);
  ASSERT_EQ(one.forests.size(), 3u);
  EXPECT_EQ(one.known_labels, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(one.feature_names, s.feature_names);

  vigra::MultiArray<2, float> X(vigra::Shape2(600, 7));
  vigra::MultiArray<2, std::uint32_t> y(vigra::Shape2(600, 1));
  for (int i = 0; i < 600; ++i) {
    for (int f = 0; f < 7; ++f) X(i, f) = s.features[static_cast<std::size_t>(i * 7 + f)];
    y(i, 0) = s.labels[static_cast<std::size_t>(i)];
  }
  const auto split = trees_per_forest(20, 3);
  for (std::size_t f = 0; f < 3; ++f) {
    vigra::RandomForest<std::uint32_t> rf(vigra::RandomForestOptions().tree_count(split[f]));
    rf.learn(X, y, vigra::rf_default(), vigra::rf_default(), vigra::rf_default(),
             vigra::RandomNumberGenerator<>(static_cast<vigra::UInt32>(1234 + f)));
    ASSERT_EQ(static_cast<int>(one.forests[f].trees.size()), rf.tree_count());
    for (int t = 0; t < rf.tree_count(); ++t) {
      const auto& ours = one.forests[f].trees[static_cast<std::size_t>(t)];
      EXPECT_TRUE(std::equal(ours.topology.begin(), ours.topology.end(), rf.tree(t).topology_.begin(),
                             rf.tree(t).topology_.end()));
      EXPECT_TRUE(std::equal(ours.parameters.begin(), ours.parameters.end(), rf.tree(t).parameters_.begin(),
                             rf.tree(t).parameters_.end()));
      EXPECT_EQ(ours.topology, two.forests[f].trees[static_cast<std::size_t>(t)].topology) << "thread count changed tree";
      EXPECT_EQ(ours.parameters, two.forests[f].trees[static_cast<std::size_t>(t)].parameters);
    }
  }
  // Leaves hold normalized histograms; training accuracy is ~100 % with trees grown to purity.
  EXPECT_EQ(one.forests[0].class_count, 3);
}

TEST(Train, RefusesASingleClass) {
  auto s = synthetic_samples(30, 3);
  std::fill(s.labels.begin(), s.labels.end(), 2u);
  EXPECT_THROW(train_classifier(s, TrainOptions{}), Error);
}

TEST(Train, SamplesAreEveryLabelledPixelWithItsFeatures) {
  Project project = read_project(test::testdata("minimal_14.ilp"));
  const TrainingSamples s = collect_training_samples(project, {});
  ASSERT_EQ(s.size(), 8u);
  EXPECT_EQ(std::count(s.labels.begin(), s.labels.end(), 1u), 6);
  EXPECT_EQ(std::count(s.labels.begin(), s.labels.end(), 2u), 2);
  // The same values as the whole-image feature stack at the labelled pixels, in C order.
  auto input = open_image(test::testdata("tiny_raw.h5/data"));
  FeatureEngine engine(*project.features, input->info().geometry());
  PlanarBlock whole = test::compute_stitched(*input, engine);
  const LabelVolume labels = decode_labels(project, 0);
  std::size_t k = 0;
  for (std::size_t i = 0; i < labels.data.size(); ++i) {
    if (!labels.data[i]) continue;
    ASSERT_LT(k, s.size());
    EXPECT_EQ(s.labels[k], labels.data[i]);
    for (std::size_t c = 0; c < s.feature_count; ++c)
      EXPECT_EQ(s.features[k * s.feature_count + c], whole.data[c * labels.data.size() + i]);
    ++k;
  }
}

TEST(Train, FactoryPickleIsPython3sProtocol0Bytes) {
  ClassifierFactory f;
  f.num_trees = 100;
  f.num_forests = 4;
  // ilp-format.md §6.1, the bytes of pc.ilp.
  EXPECT_EQ(factory_pickle(f),
            "ccopy_reg\n_reconstructor\np0\n(clazyflow.classifiers.parallelVigraRfLazyflowClassifier\n"
            "ParallelVigraRfLazyflowClassifierFactory\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVVERSION\np6\n"
            "I2\nsV_num_trees\np7\nI100\nsV_label_proportion\np8\nNsV_variable_importance_path\np9\nNsV_variable_"
            "importance_enabled\np10\nI00\nsV_kwargs\np11\n(dp12\nsV_num_forests\np13\nI4\nsb.");
  f.label_proportion = 0.25;
  EXPECT_NE(factory_pickle(f).find("V_label_proportion\np8\nF0.25\nsV_variable_importance_path"), std::string::npos);
}

TEST(Train, StoredClassifierReadsBackAndLeavesTheInputUntouched) {
  const std::string in = test::temp_path("in.ilp");
  const std::string out = test::temp_path("out.ilp");
  std::filesystem::copy_file(test::testdata("minimal_14.ilp"), in, std::filesystem::copy_options::overwrite_existing);
  // The copy refers to tiny_raw.h5 relative to its folder: train on the original project instead.
  Project project = read_project(test::testdata("minimal_14.ilp"));
  TrainOptions o;
  o.trees = 6;
  o.forests = 2;
  o.seed = 9;
  const Classifier c = train_classifier(collect_training_samples(project, {}), o);
  Diagnostics d;
  IlpTree tree = load_tree(in, ReadOptions{}, d);
  ClassifierFactory f = project.factory;
  f.num_trees = 6;
  f.num_forests = 2;
  store_classifier(tree, c, &f);
  const auto before = std::filesystem::file_size(in);
  write_tree(tree, out);
  EXPECT_EQ(std::filesystem::file_size(in), before);
  ReadOptions ro;
  ro.probe_data = false;
  const Project back = read_project(out, ro);
  ASSERT_TRUE(back.classifier);
  ASSERT_EQ(back.classifier->forests.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t t = 0; t < c.forests[i].trees.size(); ++t) {
      EXPECT_EQ(back.classifier->forests[i].trees[t].topology, c.forests[i].trees[t].topology);
      EXPECT_EQ(back.classifier->forests[i].trees[t].parameters, c.forests[i].trees[t].parameters);
    }
  EXPECT_EQ(back.classifier->known_labels, c.known_labels);
  EXPECT_EQ(back.classifier->feature_names, c.feature_names);
  EXPECT_EQ(back.factory.num_trees, 6);
  EXPECT_EQ(back.factory.num_forests, 2);
  EXPECT_TRUE(match_classifier(back).matches) << match_classifier(back).reason;
  std::filesystem::remove(in);
  std::filesystem::remove(out);
}
