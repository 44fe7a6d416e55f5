// SPDX-License-Identifier: MIT
// Mirrors: vigra random_forest.hxx (RandomForest::predictProbabilities), rf_nodeproxy.hxx /
// rf_decisionTree.hxx (descent), lazyflow parallelVigraRfLazyflowClassifier.py
// (predict_probabilities: tree-count-weighted mean), classifierOperators.py (label -> channel).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "ilpkit/predict.hpp"

namespace ilpkit {

namespace {

// A node of a flattened tree. Children >= 0 are node indices of the same tree; a negative child
// ~k is leaf k. `threshold` is the smallest float >= the stored double threshold, so that for
// every float x: x < threshold exactly when double(x) < stored threshold.
struct FlatNode {
  float threshold;
  std::int32_t column;
  std::int32_t child[2];  ///< [0]: x < threshold (VIGRA's child0), [1]: otherwise
};

float float_ceiling(double t) {
  if (std::isnan(t)) return std::numeric_limits<float>::quiet_NaN();
  if (t > static_cast<double>(std::numeric_limits<float>::max())) return std::numeric_limits<float>::infinity();
  if (t < -static_cast<double>(std::numeric_limits<float>::max())) return -std::numeric_limits<float>::max();
  float f = static_cast<float>(t);  // nearest
  if (static_cast<double>(f) < t) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

}  // namespace

struct Predictor::Model {
  std::size_t features = 0, classes = 0, labels = 0;
  std::vector<FlatNode> nodes;       ///< all trees, each tree's nodes contiguous
  std::vector<float> leaf_values;    ///< classes floats per leaf, float(p_l) as VIGRA adds them
  std::vector<double> leaf_totals;   ///< Σ_l p_l per leaf, in double, l ascending
  struct TreeRange {
    std::int32_t root;  ///< node index of the root in `nodes`, or ~leaf for a single-leaf tree
    std::int32_t node_base;
    std::int32_t leaf_base;
  };
  struct ForestRange {
    std::size_t first_tree = 0, tree_count = 0;
  };
  std::vector<TreeRange> trees;
  std::vector<ForestRange> forests;
  std::size_t total_trees = 0;
  std::vector<int> channel_of_class;  ///< output channel of each class column, -1 if none

  void add_tree(const Tree& t);
};

void Predictor::Model::add_tree(const Tree& t) {
  const auto& topo = t.topology;
  const auto& par = t.parameters;
  // Number nodes and leaves in topology order (children follow parents in VIGRA's layout).
  std::vector<std::int32_t> index(topo.size(), 0);
  std::int32_t n_nodes = 0, n_leaves = 0;
  for (std::size_t i = 2; i < topo.size();) {
    const bool leaf = (topo[i] & Tree::kLeafNode) != 0;
    index[i] = leaf ? ~n_leaves++ : n_nodes++;
    i += leaf ? 2 : 5;
  }
  TreeRange r{index[2], static_cast<std::int32_t>(nodes.size()), static_cast<std::int32_t>(leaf_totals.size())};
  for (std::size_t i = 2; i < topo.size();) {
    const bool leaf = (topo[i] & Tree::kLeafNode) != 0;
    const auto p = static_cast<std::size_t>(topo[i + 1]);
    if (leaf) {
      double total = 0;
      for (std::size_t l = 0; l < classes; ++l) {
        leaf_values.push_back(static_cast<float>(par[p + 1 + l]));
        total += par[p + 1 + l];
      }
      leaf_totals.push_back(total);
      i += 2;
    } else {
      FlatNode n{float_ceiling(par[p + 1]), topo[i + 4],
                 {index[static_cast<std::size_t>(topo[i + 2])], index[static_cast<std::size_t>(topo[i + 3])]}};
      nodes.push_back(n);
      i += 5;
    }
  }
  trees.push_back(r);
}

Predictor::Predictor(const Classifier& c, std::size_t label_count) : model_(std::make_unique<Model>()) {
  auto& m = *model_;
  if (c.forests.empty()) throw Error(ErrorKind::Usage, "the project has no trained classifier");
  m.features = static_cast<std::size_t>(c.forests.front().column_count);
  m.classes = static_cast<std::size_t>(c.forests.front().class_count);
  m.labels = label_count;
  for (const auto& f : c.forests) {
    if (static_cast<std::size_t>(f.column_count) != m.features || static_cast<std::size_t>(f.class_count) != m.classes)
      throw Error(ErrorKind::Format, fmt::format("{} has {} features and {} classes, {} has {} and {}", f.name,
                                                 f.column_count, f.class_count, c.forests.front().name, m.features,
                                                 m.classes));
    Model::ForestRange fr{m.trees.size(), f.trees.size()};
    for (const auto& t : f.trees) {
      validate_tree(t, f.column_count, f.class_count);
      m.add_tree(t);
    }
    m.forests.push_back(fr);
    m.total_trees += f.trees.size();
  }
  // Class column i is label value known_labels[i], which goes to channel value - 1.
  m.channel_of_class.assign(m.classes, -1);
  for (std::size_t i = 0; i < m.classes && i < c.known_labels.size(); ++i) {
    const std::uint32_t v = c.known_labels[i];
    if (v >= 1 && v <= label_count) m.channel_of_class[i] = static_cast<int>(v - 1);
  }
}

Predictor::~Predictor() = default;
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;

std::size_t Predictor::feature_count() const { return model_->features; }
std::size_t Predictor::label_count() const { return model_->labels; }
std::size_t Predictor::tree_count() const { return model_->total_trees; }

void Predictor::predict(const float* features, std::int64_t fstride, std::int64_t n, float* out,
                        std::int64_t ostride) const {
  const Model& m = *model_;
  const std::size_t F = m.features, C = m.classes;
  constexpr std::int64_t kTile = 128;
  // Per tile: features transposed to [sample][column] so one descent reads one short row.
  std::vector<float> x(static_cast<std::size_t>(kTile) * F);
  std::vector<float> prob(static_cast<std::size_t>(kTile) * C), acc(static_cast<std::size_t>(kTile) * C);
  std::vector<double> total(static_cast<std::size_t>(kTile));
  std::vector<std::uint8_t> has_nan(static_cast<std::size_t>(kTile));
  for (std::int64_t i0 = 0; i0 < n; i0 += kTile) {
    const std::int64_t len = std::min(kTile, n - i0);
    std::fill(has_nan.begin(), has_nan.end(), 0);
    for (std::size_t c = 0; c < F; ++c) {
      const float* col = features + static_cast<std::int64_t>(c) * fstride + i0;
      for (std::int64_t i = 0; i < len; ++i) {
        x[static_cast<std::size_t>(i) * F + c] = col[i];
        has_nan[static_cast<std::size_t>(i)] |= std::isnan(col[i]);
      }
    }
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (const auto& fr : m.forests) {
      std::fill(prob.begin(), prob.end(), 0.0f);
      std::fill(total.begin(), total.end(), 0.0);
      for (std::size_t t = fr.first_tree; t < fr.first_tree + fr.tree_count; ++t) {
        const auto& tr = m.trees[t];
        const FlatNode* nodes = m.nodes.data() + tr.node_base;
        const float* leaves = m.leaf_values.data() + static_cast<std::size_t>(tr.leaf_base) * C;
        const double* totals = m.leaf_totals.data() + tr.leaf_base;
        for (std::int64_t i = 0; i < len; ++i) {
          const float* row = x.data() + static_cast<std::size_t>(i) * F;
          std::int32_t k = tr.root;
          while (k >= 0) {
            const FlatNode& nd = nodes[k];
            k = nd.child[row[nd.column] < nd.threshold ? 0 : 1];
          }
          const std::int32_t leaf = ~k;
          float* p = prob.data() + static_cast<std::size_t>(i) * C;
          const float* v = leaves + static_cast<std::size_t>(leaf) * C;
          for (std::size_t l = 0; l < C; ++l) p[l] += v[l];
          total[static_cast<std::size_t>(i)] += totals[leaf];
        }
      }
      // Per forest: divide by the float total, then weight by the forest's tree count.
      const float weight = static_cast<float>(fr.tree_count);
      for (std::int64_t i = 0; i < len; ++i) {
        const float tot = static_cast<float>(total[static_cast<std::size_t>(i)]);
        for (std::size_t l = 0; l < C; ++l) {
          const std::size_t k = static_cast<std::size_t>(i) * C + l;
          acc[k] = acc[k] + (prob[k] / tot) * weight;
        }
      }
    }
    const float all = static_cast<float>(m.total_trees);
    for (std::size_t ch = 0; ch < m.labels; ++ch)
      for (std::int64_t i = 0; i < len; ++i) out[static_cast<std::int64_t>(ch) * ostride + i0 + i] = 0.0f;
    for (std::size_t l = 0; l < C; ++l) {
      const int ch = m.channel_of_class[l];
      if (ch < 0) continue;
      float* o = out + static_cast<std::int64_t>(ch) * ostride + i0;
      for (std::int64_t i = 0; i < len; ++i)
        o[i] = has_nan[static_cast<std::size_t>(i)] ? 0.0f : acc[static_cast<std::size_t>(i) * C + l] / all;
    }
  }
}

void segmentation_from_probabilities(const float* p, std::int64_t stride, std::size_t channels, std::int64_t n,
                                     float* out) {
  for (std::int64_t i = 0; i < n; ++i) {
    std::size_t best = 0;
    for (std::size_t k = 1; k < channels; ++k)
      if (p[static_cast<std::int64_t>(k) * stride + i] > p[static_cast<std::int64_t>(best) * stride + i]) best = k;
    out[i] = static_cast<float>(best + 1);
  }
}

void uncertainty_from_probabilities(const float* p, std::int64_t stride, std::size_t channels, std::int64_t n,
                                    float* out) {
  for (std::int64_t i = 0; i < n; ++i) {
    if (channels < 2) {
      out[i] = 0.0f;
      continue;
    }
    float first = -std::numeric_limits<float>::infinity(), second = first;
    for (std::size_t k = 0; k < channels; ++k) {
      const float v = p[static_cast<std::int64_t>(k) * stride + i];
      if (v > first) {
        second = first;
        first = v;
      } else if (v > second) {
        second = v;
      }
    }
    out[i] = 1.0f - (first - second);
  }
}

}  // namespace ilpkit
