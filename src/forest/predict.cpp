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

// A node of a flattened tree; children are node indices of the same tree. `threshold` is the
// smallest float >= the stored double threshold, so that for every float x: x < threshold
// exactly when double(x) < stored threshold. Nodes are in depth-first pre-order, so VIGRA's
// child0 (x < threshold) is always the next node. Leaves are nodes too, with threshold -inf and
// `right` pointing at themselves, so descents run in lockstep without branching on "reached a
// leaf" (a NaN feature also goes right, as in VIGRA).
struct FlatNode {
  float threshold;
  std::int32_t column;
  std::int32_t right;  ///< child when !(x < threshold); the other child is the next node (pre-order)
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
  std::vector<FlatNode> nodes;       ///< all trees, each tree's nodes contiguous (root first)
  std::vector<std::int32_t> leaf_of; ///< per node: its leaf number, -1 for split nodes
  std::vector<float> leaf_values;    ///< classes floats per leaf, float(p_l) as VIGRA adds them
  std::vector<double> leaf_totals;   ///< Σ_l p_l per leaf, in double, l ascending
  struct TreeRange {
    std::int32_t node_base;  ///< the tree's root in `nodes`
    std::int32_t depth;      ///< longest root-to-leaf path: descents take this many steps
    std::int32_t unused;
  };
  struct ForestRange {
    std::size_t first_tree = 0, tree_count = 0;
  };
  std::vector<TreeRange> trees;
  std::vector<ForestRange> forests;
  std::size_t total_trees = 0;
  std::vector<int> channel_of_class;  ///< output channel of each class column, -1 if none
  /// Every leaf's Σ_l p_l is exactly 1.0 (normalized histograms, the usual case): then a
  /// forest's double total is exactly its tree count whatever the leaves, and need not be summed.
  bool unit_leaves = true;

  // Trees with at most 64 leaves are also evaluated QuickScorer-style: leaves are numbered left
  // to right; every split node whose test fails for a sample (x goes right) clears the bits of
  // its left subtree's leaves; the exit leaf is the lowest bit left. Split nodes are grouped by
  // feature and sorted by threshold, so a sample stops scanning a feature at the first
  // threshold above its value: no data-dependent descent at all.
  struct MaskNode {
    float threshold;
    std::int32_t slot;   ///< index of the tree among the small trees
    std::uint64_t mask;  ///< ~(left subtree's leaf bits)
  };
  std::vector<std::vector<MaskNode>> mask_nodes;  ///< per feature column, ascending threshold
  std::vector<std::int32_t> slot_of_tree;         ///< small-tree slot per tree, -1 for big trees
  std::vector<std::int32_t> first_leaf;  ///< per slot: leaf id of leaf number 0 (ids run left to right)
  std::size_t slots = 0;

  void add_tree(const Tree& t);
  void build_mask_nodes();
};

void Predictor::Model::add_tree(const Tree& t) {
  const auto& topo = t.topology;
  const auto& par = t.parameters;
  const auto base = static_cast<std::int32_t>(nodes.size());
  TreeRange r{base, 0, 0};
  // Depth-first pre-order from the root: (topology index, depth); right children wait on a stack.
  struct Visit {
    std::size_t at;
    int depth;
    std::int64_t patch;  ///< node whose `right` is this visit's number (-1: none)
  };
  std::vector<Visit> stack{{2, 0, -1}};
  while (!stack.empty()) {
    const Visit v = stack.back();
    stack.pop_back();
    std::int64_t patch = v.patch;
    for (std::size_t at = v.at, depth = static_cast<std::size_t>(v.depth);; ++depth) {
      const auto self = static_cast<std::int32_t>(nodes.size()) - base;
      if (patch >= 0) nodes[static_cast<std::size_t>(patch)].right = self;
      r.depth = std::max<std::int32_t>(r.depth, static_cast<std::int32_t>(depth));
      const auto p = static_cast<std::size_t>(topo[at + 1]);
      if (topo[at] & Tree::kLeafNode) {
        double total = 0;
        const auto leaf = static_cast<std::int32_t>(leaf_totals.size());
        for (std::size_t l = 0; l < classes; ++l) {
          leaf_values.push_back(static_cast<float>(par[p + 1 + l]));
          total += par[p + 1 + l];
        }
        leaf_totals.push_back(total);
        nodes.push_back({-std::numeric_limits<float>::infinity(), 0, self});
        leaf_of.push_back(leaf);
        break;
      }
      nodes.push_back({float_ceiling(par[p + 1]), topo[at + 4], 0});
      leaf_of.push_back(-1);
      stack.push_back({static_cast<std::size_t>(topo[at + 3]), static_cast<int>(depth) + 1,
                       static_cast<std::int64_t>(nodes.size()) - 1});
      at = static_cast<std::size_t>(topo[at + 2]);  // child0 comes next
      patch = -1;
    }
  }
  for (std::size_t l = 0; l < leaf_totals.size(); ++l) unit_leaves = unit_leaves && leaf_totals[l] == 1.0;
  trees.push_back(r);
}

void Predictor::Model::build_mask_nodes() {
  mask_nodes.assign(features, {});
  slot_of_tree.assign(trees.size(), -1);
  for (std::size_t t = 0; t < trees.size(); ++t) {
    const std::int32_t base = trees[t].node_base;
    const std::int32_t end = t + 1 < trees.size() ? trees[t + 1].node_base : static_cast<std::int32_t>(nodes.size());
    // prefix[i]: leaves among the tree's nodes [0, i) (pre-order, so left to right).
    std::vector<std::int32_t> prefix(static_cast<std::size_t>(end - base) + 1, 0);
    for (std::int32_t i = base; i < end; ++i)
      prefix[static_cast<std::size_t>(i - base) + 1] = prefix[static_cast<std::size_t>(i - base)] + (leaf_of[static_cast<std::size_t>(i)] >= 0);
    if (prefix.back() > 64) continue;
    const auto slot = static_cast<std::int32_t>(slots++);
    slot_of_tree[t] = slot;
    // add_tree numbered the leaves in pre-order, i.e. left to right: leaf number k is id first + k.
    std::int32_t first = -1, expect = 0;
    for (std::int32_t i = base; i < end; ++i) {
      const FlatNode& n = nodes[static_cast<std::size_t>(i)];
      const std::int32_t id = leaf_of[static_cast<std::size_t>(i)];
      if (id >= 0) {
        if (first < 0) first = id;
        if (id != first + expect++) throw Error(ErrorKind::Internal, "leaves are not numbered left to right");
        continue;
      }
      const std::int32_t local = i - base;
      const std::int32_t lo = prefix[static_cast<std::size_t>(local) + 1], hi = prefix[static_cast<std::size_t>(n.right)];
      const std::uint64_t left = (hi - lo == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << (hi - lo)) - 1)) << lo;
      mask_nodes[static_cast<std::size_t>(n.column)].push_back({n.threshold, slot, ~left});
    }
    first_leaf.push_back(first);
  }
  for (auto& list : mask_nodes)
    std::stable_sort(list.begin(), list.end(), [](const MaskNode& a, const MaskNode& b) { return a.threshold < b.threshold; });
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
  m.build_mask_nodes();
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

namespace {

constexpr std::int64_t kLanes = 16;

using F32x8 = float __attribute__((vector_size(32)));
using I32x8 = std::int32_t __attribute__((vector_size(32)));
using I64x8 = std::int64_t __attribute__((vector_size(64)));

// For each node: the samples whose value is not below its threshold (they go right, NaN
// included) lose the node's left-subtree leaves. Eight samples per vector operation.
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void apply_masks(
    const Predictor::Model::MaskNode* nodes, std::size_t count, const float* xs, std::uint64_t* bits) {
  F32x8 x0, x1;
  std::memcpy(&x0, xs, sizeof x0);
  std::memcpy(&x1, xs + 8, sizeof x1);
  for (std::size_t i = 0; i < count; ++i) {
    const auto& n = nodes[i];
    const I64x8 mask = I64x8{} + static_cast<std::int64_t>(n.mask);
    std::uint64_t* slot = bits + static_cast<std::size_t>(n.slot) * kLanes;
    I64x8 v0, v1;
    std::memcpy(&v0, slot, sizeof v0);
    std::memcpy(&v1, slot + 8, sizeof v1);
    v0 &= __builtin_convertvector(x0 < n.threshold, I64x8) | mask;  // -1 where the sample goes left
    v1 &= __builtin_convertvector(x1 < n.threshold, I64x8) | mask;
    std::memcpy(slot, &v0, sizeof v0);
    std::memcpy(slot + 8, &v1, sizeof v1);
  }
}

// Adds each lane's leaf distribution to its votes, kept class-major (p[l·kLanes + j]) so the
// adds run across lanes (Classes = 0: any count, from the model).
template <std::size_t Classes>
inline void add_votes(const Predictor::Model& m, const std::int32_t* leaf, float* p) {
  const std::size_t C = Classes ? Classes : m.classes;
  const float* values = m.leaf_values.data();
  if constexpr (Classes > 0) {
    // One 8-lane vector per class: the votes stay in registers between the loads.
    for (std::size_t l = 0; l < C; ++l) {
      for (std::int64_t h = 0; h < kLanes; h += 8) {
        F32x8 acc, add;
        std::memcpy(&acc, p + l * kLanes + static_cast<std::size_t>(h), sizeof acc);
        for (std::int64_t j = 0; j < 8; ++j) add[j] = values[static_cast<std::size_t>(leaf[h + j]) * C + l];
        acc += add;
        std::memcpy(p + l * kLanes + static_cast<std::size_t>(h), &acc, sizeof acc);
      }
    }
    return;
  }
  for (std::size_t l = 0; l < C; ++l)
    for (std::int64_t j = 0; j < kLanes; ++j)
      p[l * kLanes + static_cast<std::size_t>(j)] += values[static_cast<std::size_t>(leaf[j]) * C + l];
}

}  // namespace

void Predictor::predict(const float* features, std::int64_t fstride, std::int64_t n, float* out,
                        std::int64_t ostride) const {
  const Model& m = *model_;
  const std::size_t F = m.features, C = m.classes;
  constexpr std::int64_t kTile = 128;
  // Per tile: features transposed to [sample][column] so one descent reads one short row.
  std::vector<float> x(static_cast<std::size_t>(kTile) * F);
  std::vector<float> acc(static_cast<std::size_t>(kTile) * C);
  std::vector<float> pbuf(static_cast<std::size_t>(kLanes) * C), abuf(static_cast<std::size_t>(kLanes) * C);
  std::vector<std::uint8_t> has_nan(static_cast<std::size_t>(kTile));
  std::vector<std::uint64_t> bits(m.slots * static_cast<std::size_t>(kLanes));
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
    // Batches of kLanes samples run through every tree with their votes in L1; the trees (a
    // few hundred kB at most) stay in cache.
    for (std::int64_t b = 0; b < len; b += kLanes) {
      const std::int64_t lanes = std::min(kLanes, len - b);
      const float* rows[kLanes];
      for (std::int64_t j = 0; j < kLanes; ++j) rows[j] = x.data() + static_cast<std::size_t>(std::min(b + j, len - 1)) * F;
      // Exit leaves of the small trees for this batch (see Model::MaskNode).
      std::fill(bits.begin(), bits.end(), ~std::uint64_t{0});
      for (std::size_t f = 0; f < F; ++f) {
        float xs[kLanes];
        float top = -std::numeric_limits<float>::infinity();
        for (std::int64_t j = 0; j < kLanes; ++j) {
          xs[j] = rows[j][f];
          top = std::isnan(xs[j]) ? std::numeric_limits<float>::infinity() : std::max(top, xs[j]);
        }
        const auto& list = m.mask_nodes[f];
        // Nodes up to the first threshold above every sample (the rest leave all bits alone).
        const auto end = std::upper_bound(list.begin(), list.end(), top,
                                          [](float v, const Model::MaskNode& node) { return v < node.threshold; });
        apply_masks(list.data(), static_cast<std::size_t>(end - list.begin()), xs, bits.data());
      }
      float* a = abuf.data();
      std::fill(abuf.begin(), abuf.end(), 0.0f);
      for (const auto& fr : m.forests) {
        // Votes of up to 4 classes in a fixed local array (the common case), else on the heap.
        alignas(64) float local[4 * kLanes] = {};
        static_assert(kLanes % 8 == 0, "lanes come in vectors of 8");
        float* p = C <= 4 ? local : pbuf.data();
        std::fill(pbuf.begin(), pbuf.end(), 0.0f);
        double total[kLanes] = {};
        for (std::size_t t = fr.first_tree; t < fr.first_tree + fr.tree_count; ++t) {
          const auto& tr = m.trees[t];
          const FlatNode* nodes = m.nodes.data() + tr.node_base;
          const std::int32_t* leaf_of = m.leaf_of.data() + tr.node_base;
          // The samples descend in lockstep, branch-free: the CPU overlaps their independent
          // loads instead of mispredicting each sample's path. Small trees take their exit
          // leaves from the bit masks instead.
          std::int32_t k[kLanes] = {};
          const std::int32_t slot = m.slot_of_tree[t];
          if (slot >= 0) {
            const std::uint64_t* v = bits.data() + static_cast<std::size_t>(slot) * kLanes;
            const std::int32_t first = m.first_leaf[static_cast<std::size_t>(slot)];
            // The exit leaf is the lowest bit left; k holds leaf ids from here on.
            for (std::int64_t j = 0; j < kLanes; ++j) k[j] = first + __builtin_ctzll(v[j]);
          }
          // Big trees: lockstep descents in groups of 8 (more lanes wait longer for the deepest).
          for (std::int64_t h = 0; slot < 0 && h < kLanes; h += 8)
            for (std::int32_t step = 0; step < tr.depth; step += 2) {
              for (int twice = 0; twice < 2; ++twice)
                for (std::int64_t j = h; j < h + 8; ++j) {
                  const FlatNode& nd = nodes[k[j]];
                  // Select by mask arithmetic: a conditional here compiles to a branch that
                  // mispredicts on half the nodes.
                  const std::int32_t left = -static_cast<std::int32_t>(rows[j][nd.column] < nd.threshold);
                  k[j] = nd.right ^ ((nd.right ^ (k[j] + 1)) & left);
                }
              // Stop when every sample is at a leaf (most paths are much shorter than the deepest).
              std::int32_t at_leaf = 1;  // leaves point right at themselves
              for (std::int64_t j = h; j < h + 8; ++j) at_leaf &= static_cast<std::int32_t>(nodes[k[j]].right == k[j]);
              if (at_leaf) break;
            }
          if (slot < 0)
            for (std::int64_t j = 0; j < kLanes; ++j) k[j] = leaf_of[k[j]];  // node -> leaf id
          if (m.unit_leaves) {
            switch (C) {  // fixed class counts unroll into straight adds
              case 2: add_votes<2>(m, k, p); break;
              case 3: add_votes<3>(m, k, p); break;
              case 4: add_votes<4>(m, k, p); break;
              default: add_votes<0>(m, k, p); break;
            }
            continue;
          }
          for (std::int64_t j = 0; j < kLanes; ++j) {
            const auto leaf = static_cast<std::size_t>(k[j]);
            const float* v = m.leaf_values.data() + leaf * C;
            for (std::size_t l = 0; l < C; ++l) p[l * kLanes + static_cast<std::size_t>(j)] += v[l];
            total[j] += m.leaf_totals[leaf];
          }
        }
        // Per forest: divide by the float total, then weight by the forest's tree count.
        const float weight = static_cast<float>(fr.tree_count);
        for (std::int64_t j = 0; j < kLanes; ++j) {
          const float tot = static_cast<float>(m.unit_leaves ? static_cast<double>(fr.tree_count) : total[j]);
          for (std::size_t l = 0; l < C; ++l) {
            const std::size_t q = static_cast<std::size_t>(j) * C + l;
            a[q] = a[q] + (p[l * kLanes + static_cast<std::size_t>(j)] / tot) * weight;
          }
        }
      }
      for (std::int64_t j = 0; j < lanes; ++j)
        for (std::size_t l = 0; l < C; ++l)
          acc[static_cast<std::size_t>(b + j) * C + l] = a[static_cast<std::size_t>(j) * C + l];
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
