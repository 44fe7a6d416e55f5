// SPDX-License-Identifier: MIT
// The fast Predictor against the literal reference on random forests (uneven forests, impure
// leaves, thresholds between floats, label gaps, NaN samples), and the derived outputs' rules.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "ilpkit/error.hpp"
#include "ilpkit/predict.hpp"
#include "reference_forest.hpp"

using namespace ilpkit;

namespace {

struct TreeShape {
  int depth = 7;
  double stop = 0.25;  ///< chance that a node above the maximum depth is a leaf
  double pure = 0.0;   ///< chance that a leaf is one class with probability 1 (as grown to purity)
};

// A random tree in VIGRA's encoding: nodes appended after their parents, leaves with normalized
// class histograms of random integer counts.
Tree random_tree(std::mt19937& rng, int features, int classes, const TreeShape& shape) {
  const int depth = shape.depth;
  Tree t;
  t.topology = {features, classes};
  std::uniform_int_distribution<int> col(0, features - 1), count(0, 5);
  std::uniform_real_distribution<double> thr(-2.0, 2.0);
  std::bernoulli_distribution stop(shape.stop), pure(shape.pure);
  // Pending child slots to patch: (index of the slot in topology, remaining depth).
  struct Pending {
    std::size_t slot;
    int depth;
  };
  std::vector<Pending> todo{{0, depth}};
  bool root = true;
  while (!todo.empty()) {
    auto [slot, d] = todo.back();
    todo.pop_back();
    const auto here = static_cast<std::int32_t>(t.topology.size());
    if (!root) t.topology[slot] = here;
    root = false;
    if (d == 0 || stop(rng)) {
      t.topology.push_back(Tree::kLeafNode);
      t.topology.push_back(static_cast<std::int32_t>(t.parameters.size()));
      std::vector<double> n(static_cast<std::size_t>(classes));
      double total = 0;
      if (pure(rng)) {
        n[static_cast<std::size_t>(rng() % n.size())] = total = 1 + rng() % 9;
      } else {
        for (auto& v : n) total += v = count(rng);
        if (total == 0) total = n[0] = 1;
      }
      t.parameters.push_back(total);
      for (double v : n) t.parameters.push_back(v / total);
    } else {
      t.topology.push_back(Tree::kThresholdNode);
      t.topology.push_back(static_cast<std::int32_t>(t.parameters.size()));
      t.topology.push_back(0);
      t.topology.push_back(0);
      t.topology.push_back(col(rng));
      t.parameters.push_back(1.0);
      // Half the thresholds are midpoints of two floats, which double has and float has not.
      double v = thr(rng);
      if (rng() % 2) {
        const float f = static_cast<float>(v);
        v = (static_cast<double>(f) + static_cast<double>(std::nextafter(f, 3.0f))) / 2;
      }
      t.parameters.push_back(v);
      todo.push_back({static_cast<std::size_t>(here) + 3, d - 1});
      todo.push_back({static_cast<std::size_t>(here) + 2, d - 1});
    }
  }
  return t;
}

Classifier random_classifier(std::mt19937& rng, int features, const std::vector<std::uint32_t>& labels,
                             const std::vector<int>& trees_per_forest, const TreeShape& shape = {}) {
  Classifier c;
  c.known_labels = labels;
  for (std::size_t f = 0; f < trees_per_forest.size(); ++f) {
    Forest forest;
    forest.name = "Forest" + std::to_string(f);
    forest.column_count = features;
    forest.class_count = static_cast<int>(labels.size());
    for (int t = 0; t < trees_per_forest[f]; ++t)
      forest.trees.push_back(random_tree(rng, features, forest.class_count, shape));
    c.forests.push_back(std::move(forest));
  }
  return c;
}

// Probabilities of every sample by the literal reference; counts the values that differ in any bit.
std::int64_t reference_mismatches(const Classifier& c, std::size_t labels, const std::vector<float>& x, std::int64_t n,
                                  const std::vector<float>& out) {
  const auto F = static_cast<std::size_t>(c.forests.front().column_count);
  std::int64_t mismatches = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    std::vector<float> row(F);
    for (std::size_t f = 0; f < F; ++f) row[f] = x[f * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)];
    auto r = test::reference_predict(c, labels, row);
    for (std::size_t k = 0; k < labels; ++k)
      mismatches += std::memcmp(&r[k], &out[k * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)], 4) != 0;
  }
  return mismatches;
}

}  // namespace

// Trees grown to purity (class counts instead of float sums), of 1 to ~3000 leaves: one and
// several 64-leaf mask words, and trees too large for masks that descend node by node; a few
// impure leaves send the samples that reach them through VIGRA's float accumulation.
TEST(Predictor, PureAndLargeTreesEqualTheReferenceBitForBit) {
  std::mt19937 rng(77);
  const int F = 9;
  for (const double pure : {1.0, 0.995}) {
    Classifier c;
    c.known_labels = {1, 2, 3};
    for (const int depth : {0, 3, 6, 7, 9, 12}) {
      Classifier part = random_classifier(rng, F, {1, 2, 3}, {6}, {depth, depth > 9 ? 0.12 : 0.05, pure});
      c.forests.push_back(std::move(part.forests.front()));
    }
    std::size_t most = 0;
    for (const auto& f : c.forests)
      for (const auto& t : f.trees) most = std::max(most, t.node_count());
    EXPECT_GT(most, 2 * 512u - 1);  // some tree has more than 512 leaves (nodes = 2 · leaves - 1)
    Predictor p(c, 3);
    const std::int64_t n = 2000;
    std::vector<float> x(static_cast<std::size_t>(F * n));
    std::normal_distribution<float> value(0.0f, 1.2f);
    for (auto& v : x) v = value(rng);
    for (std::int64_t i = 5; i < n; i += 211) x[static_cast<std::size_t>(i)] = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> out(static_cast<std::size_t>(3 * n));
    p.predict(x.data(), n, n, out.data(), n);
    EXPECT_EQ(reference_mismatches(c, 3, x, n, out), 0) << "share of pure leaves " << pure;
  }
}

// Every class count (the AVX-512 kernel keeps counts in registers for 2 to 8 classes and in
// memory beyond), with and without leaves that need the exit leaf (impure ones).
TEST(Predictor, EveryClassCountEqualsTheReference) {
  std::mt19937 rng(5);
  const int F = 7;
  for (const std::size_t classes : {2u, 4u, 5u, 8u, 9u, 12u})
    for (const double pure : {1.0, 0.9}) {
      std::vector<std::uint32_t> labels(classes);
      for (std::size_t i = 0; i < classes; ++i) labels[i] = static_cast<std::uint32_t>(i + 1);
      const Classifier c = random_classifier(rng, F, labels, {9, 8}, {6, 0.2, pure});
      Predictor p(c, classes);
      const std::int64_t n = 700;
      std::vector<float> x(static_cast<std::size_t>(F * n));
      std::normal_distribution<float> value(0.0f, 1.2f);
      for (auto& v : x) v = value(rng);
      std::vector<float> out(classes * static_cast<std::size_t>(n));
      p.predict(x.data(), n, n, out.data(), n);
      EXPECT_EQ(reference_mismatches(c, classes, x, n, out), 0) << classes << " classes, share of pure leaves " << pure;
    }
}

TEST(Predictor, EqualsTheReferenceBitForBit) {
  std::mt19937 rng(2024);
  const int F = 6;
  // Labels 1, 2 and 4 with 5 label names: channels 3 and 5 stay zero.
  Classifier c = random_classifier(rng, F, {1, 2, 4}, {13, 13, 12, 7});
  Predictor p(c, 5);
  EXPECT_EQ(p.tree_count(), 45u);
  const std::int64_t n = 3000;
  std::vector<float> x(static_cast<std::size_t>(F * n));
  std::normal_distribution<float> value(0.0f, 1.2f);
  for (auto& v : x) v = value(rng);
  // Samples exactly on float thresholds' neighbours and with NaN.
  for (std::int64_t i = 0; i < n; i += 97) x[static_cast<std::size_t>(i)] = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> out(static_cast<std::size_t>(5 * n));
  p.predict(x.data(), n, n, out.data(), n);
  std::int64_t mismatches = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    std::vector<float> row(F);
    for (int f = 0; f < F; ++f) row[static_cast<std::size_t>(f)] = x[static_cast<std::size_t>(f * n + i)];
    auto r = test::reference_predict(c, 5, row);
    for (std::size_t k = 0; k < 5; ++k)
      mismatches += std::memcmp(&r[k], &out[k * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)], 4) != 0;
    EXPECT_EQ(out[2 * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)], 0.0f);
    EXPECT_EQ(out[4 * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)], 0.0f);
    if (i % 97 == 0) {
      for (std::size_t k = 0; k < 5; ++k) EXPECT_EQ(out[k * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)], 0.0f);
    }
  }
  EXPECT_EQ(mismatches, 0);
  // Any split of the samples gives the same values.
  std::vector<float> parts(out.size());
  for (std::int64_t i0 = 0; i0 < n; i0 += 333) {
    const std::int64_t len = std::min<std::int64_t>(333, n - i0);
    p.predict(x.data() + i0, n, len, parts.data() + i0, n);
  }
  EXPECT_EQ(parts, out);

  // A leaf whose distribution does not sum to exactly 1 takes the general path (double totals).
  for (auto& t : c.forests[1].trees)
    for (std::size_t i = 2; i < t.topology.size(); i += (t.topology[i] & Tree::kLeafNode) ? 2 : 5)
      if (t.topology[i] & Tree::kLeafNode) t.parameters[static_cast<std::size_t>(t.topology[i + 1]) + 1] *= 1.0000001;
  Predictor skewed(c, 5);
  skewed.predict(x.data(), n, n, out.data(), n);
  mismatches = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    std::vector<float> row(F);
    for (int f = 0; f < F; ++f) row[static_cast<std::size_t>(f)] = x[static_cast<std::size_t>(f * n + i)];
    auto r = test::reference_predict(c, 5, row);
    for (std::size_t k = 0; k < 5; ++k)
      mismatches += std::memcmp(&r[k], &out[k * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)], 4) != 0;
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(Predictor, RefusesAClassifierWithoutForests) {
  Classifier c;
  EXPECT_THROW(Predictor(c, 2), Error);
}

TEST(DerivedOutputs, SegmentationTakesTheFirstMaximum) {
  // Three samples, three channels (planar): a clear winner, a tie between channels 2 and 3, all equal.
  const std::vector<float> p{0.1f, 0.2f, 0.0f,   //
                             0.7f, 0.4f, 0.0f,   //
                             0.2f, 0.4f, 0.0f};
  std::vector<float> seg(3);
  segmentation_from_probabilities(p.data(), 3, 3, 3, seg.data());
  EXPECT_EQ(seg, (std::vector<float>{2, 2, 1}));
  std::vector<float> unc(3);
  uncertainty_from_probabilities(p.data(), 3, 3, 3, unc.data());
  EXPECT_FLOAT_EQ(unc[0], 1.0f - (0.7f - 0.2f));
  EXPECT_FLOAT_EQ(unc[1], 1.0f);  // tie
  EXPECT_FLOAT_EQ(unc[2], 1.0f);
  uncertainty_from_probabilities(p.data(), 3, 1, 3, unc.data());
  EXPECT_EQ(unc, (std::vector<float>{0, 0, 0}));
}
