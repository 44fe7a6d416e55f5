// SPDX-License-Identifier: MIT
// Mirrors: vigra random_forest.hxx (RandomForest::predictProbabilities), rf_nodeproxy.hxx /
// rf_decisionTree.hxx (descent), lazyflow parallelVigraRfLazyflowClassifier.py
// (predict_probabilities: tree-count-weighted mean), classifierOperators.py (label -> channel).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <immintrin.h>

#include "ilpkit/error.hpp"
#include "ilpkit/predict.hpp"

namespace ilpkit {

namespace {

// A node of a flattened tree; children are node indices of the same tree. `threshold` is the
// smallest float >= the stored double threshold, so that for every float x: x < threshold
// exactly when double(x) < stored threshold. Nodes are in depth-first pre-order, so VIGRA's
// child0 (x < threshold) is always the next node and leaves come left to right. Leaves are nodes
// too, with threshold -inf and `right` pointing at themselves, so descents run in lockstep
// without branching on "reached a leaf" (a NaN feature also goes right, as in VIGRA).
struct FlatNode {
  float threshold;
  std::int32_t column;
  std::int32_t right;  ///< child when !(x < threshold); the other child is the next node (pre-order)
};

float float_ceiling(double t) {
  // "x < NaN" is false for every x, as is "x < -inf": both send every sample right.
  if (std::isnan(t)) return -std::numeric_limits<float>::infinity();
  if (t > static_cast<double>(std::numeric_limits<float>::max())) return std::numeric_limits<float>::infinity();
  if (t < -static_cast<double>(std::numeric_limits<float>::max())) return -std::numeric_limits<float>::max();
  float f = static_cast<float>(t);  // nearest
  if (static_cast<double>(f) < t) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

constexpr std::int64_t kLanes = 16;  ///< samples evaluated together
/// Trees with more leaves than this descend node by node: scanning masks costs in proportion to
/// the tree's size, a descent in proportion to its depth.
constexpr std::int32_t kMaxMaskWords = 8;
/// Vote code of a leaf that is not a single class with probability 1 (see Model::leaf_code).
constexpr std::uint32_t kInexact = 1u << 31;

}  // namespace

struct Predictor::Model {
  std::size_t features = 0, classes = 0, labels = 0;
  std::vector<FlatNode> nodes;       ///< all trees, each tree's nodes contiguous (root first)
  std::vector<std::int32_t> leaf_of; ///< per node: its leaf id, -1 for split nodes
  std::vector<float> leaf_values;    ///< classes floats per leaf, float(p_l) as VIGRA adds them
  std::vector<double> leaf_totals;   ///< Σ_l p_l per leaf, in double, l ascending
  /// Per leaf: 1 << (bits·l) when the leaf gives class l probability 1 and the others 0, else
  /// kInexact. Summing a forest's codes counts its votes per class in bit fields; float sums of
  /// 1.0 and 0.0 are exact integers, so such counts equal VIGRA's float32 accumulation whatever
  /// the order. Trees grown to purity have only such leaves.
  std::vector<std::uint32_t> leaf_code;

  struct TreeInfo {
    std::int32_t node_base;   ///< the tree's root in `nodes`
    std::int32_t depth;       ///< longest root-to-leaf path: descents take this many steps
    std::int32_t first_leaf;  ///< leaf id of its leftmost leaf (ids run left to right)
    std::int32_t word_base;   ///< its first mask word (see MaskNode), -1 if it descends
    std::int32_t words;
  };
  struct ForestRange {
    std::size_t first_tree = 0, tree_count = 0;
    int code_bits = 0;  ///< bit field width of leaf codes, 0 if votes are summed as floats
  };
  std::vector<TreeInfo> trees;
  std::vector<ForestRange> forests;
  std::vector<std::int32_t> descending;  ///< trees too large for masks
  std::size_t total_trees = 0;
  std::vector<int> channel_of_class;  ///< output channel of each class column, -1 if none

  // Trees of up to 64·kMaxMaskWords leaves are evaluated QuickScorer-style: one bit per leaf
  // (left to right, in 64-bit words), every split node whose test fails for a sample (x goes
  // right) clears its left subtree's leaf bits; the exit leaf is the lowest bit left. Split nodes
  // are grouped by feature and sorted by threshold, so a batch stops scanning a feature at the
  // first threshold above all its values: no data-dependent descent at all.
  struct MaskNode {
    float threshold;     ///< NaN ends a feature's list
    std::uint32_t word;  ///< offset of its word in the batch's bit array (word index · kLanes)
    std::uint64_t mask;  ///< ~(left subtree's leaf bits within that word)
  };
  std::vector<MaskNode> mask_nodes;        ///< per feature column, ascending threshold, NaN-terminated
  std::vector<std::size_t> feature_start;  ///< each feature's first entry in mask_nodes
  std::size_t words = 0;                   ///< mask words per sample

  void add_tree(const Tree& t);
  void build_masks();
};

void Predictor::Model::add_tree(const Tree& t) {
  const auto& topo = t.topology;
  const auto& par = t.parameters;
  const auto base = static_cast<std::int32_t>(nodes.size());
  TreeInfo r{base, 0, static_cast<std::int32_t>(leaf_totals.size()), -1, 0};
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
  const auto leaves = static_cast<std::int32_t>(leaf_totals.size()) - r.first_leaf;
  r.words = (leaves + 63) / 64;
  if (r.words <= kMaxMaskWords) {
    r.word_base = static_cast<std::int32_t>(words);
    words += static_cast<std::size_t>(r.words);
  } else {
    descending.push_back(static_cast<std::int32_t>(trees.size()));
  }
  trees.push_back(r);
}

void Predictor::Model::build_masks() {
  std::vector<std::vector<MaskNode>> lists(features);
  for (std::size_t t = 0; t < trees.size(); ++t) {
    const TreeInfo& tr = trees[t];
    if (tr.word_base < 0) continue;
    const std::int32_t base = tr.node_base;
    const std::int32_t end = t + 1 < trees.size() ? trees[t + 1].node_base : static_cast<std::int32_t>(nodes.size());
    // prefix[i]: leaves among the tree's nodes [0, i), i.e. left of node i.
    std::vector<std::int32_t> prefix(static_cast<std::size_t>(end - base) + 1, 0);
    for (std::int32_t i = base; i < end; ++i)
      prefix[static_cast<std::size_t>(i - base) + 1] = prefix[static_cast<std::size_t>(i - base)] + (leaf_of[static_cast<std::size_t>(i)] >= 0);
    for (std::int32_t i = base; i < end; ++i) {
      const FlatNode& n = nodes[static_cast<std::size_t>(i)];
      const std::int32_t id = leaf_of[static_cast<std::size_t>(i)];
      if (id >= 0) {
        if (id != tr.first_leaf + prefix[static_cast<std::size_t>(i - base)])
          throw Error(ErrorKind::Internal, "leaves are not numbered left to right");
        continue;
      }
      // The left subtree holds leaves [lo, hi); one entry per word it touches.
      const std::int32_t lo = prefix[static_cast<std::size_t>(i - base) + 1], hi = prefix[static_cast<std::size_t>(n.right)];
      for (std::int32_t w = lo / 64; w * 64 < hi; ++w) {
        const std::int32_t a = std::max(lo, w * 64) - w * 64, b = std::min(hi, w * 64 + 64) - w * 64;
        const std::uint64_t left = (b - a == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << (b - a)) - 1)) << a;
        const auto word = static_cast<std::uint32_t>((tr.word_base + w) * kLanes);
        lists[static_cast<std::size_t>(n.column)].push_back({n.threshold, word, ~left});
      }
    }
  }
  mask_nodes.clear();
  feature_start.clear();
  for (auto& list : lists) {
    std::stable_sort(list.begin(), list.end(), [](const MaskNode& a, const MaskNode& b) { return a.threshold < b.threshold; });
    feature_start.push_back(mask_nodes.size());
    mask_nodes.insert(mask_nodes.end(), list.begin(), list.end());
    mask_nodes.push_back({std::numeric_limits<float>::quiet_NaN(), 0, 0});
  }
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
    Model::ForestRange fr{m.trees.size(), f.trees.size(), 0};
    const std::size_t first_leaf = m.leaf_totals.size();
    for (const auto& t : f.trees) {
      validate_tree(t, f.column_count, f.class_count);
      m.add_tree(t);
    }
    // Vote counts up to the tree count need this many bits per class; all must fit below kInexact.
    int bits = 1;
    while ((std::size_t{1} << bits) <= fr.tree_count) ++bits;
    if (static_cast<std::size_t>(bits) * m.classes <= 31) fr.code_bits = bits;
    for (std::size_t leaf = first_leaf; leaf < m.leaf_totals.size(); ++leaf) {
      std::uint32_t code = kInexact;
      const float* v = m.leaf_values.data() + leaf * m.classes;
      const auto hot = static_cast<std::size_t>(std::find(v, v + m.classes, 1.0f) - v);
      if (fr.code_bits && hot < m.classes && m.leaf_totals[leaf] == 1.0 &&
          std::count(v, v + m.classes, 0.0f) == static_cast<std::ptrdiff_t>(m.classes) - 1)
        code = std::uint32_t{1} << (static_cast<std::size_t>(fr.code_bits) * hot);
      m.leaf_code.push_back(code);
    }
    m.forests.push_back(fr);
    m.total_trees += f.trees.size();
  }
  m.build_masks();
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

using Model = Predictor::Model;
using F32x8 = float __attribute__((vector_size(32)));
using I64x8 = std::int64_t __attribute__((vector_size(64)));

// For each node up to the first threshold above `top` (the batch's largest value, +inf with a
// NaN): the samples whose value is not below the threshold (they go right, NaN included) lose the
// node's left-subtree leaves.
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void apply_masks(
    const Model::MaskNode* node, const float* xs, float top, std::uint64_t* bits) {
  F32x8 x0, x1;
  std::memcpy(&x0, xs, sizeof x0);
  std::memcpy(&x1, xs + 8, sizeof x1);
  for (; node->threshold <= top; ++node) {  // the NaN at the end stops every scan
    const I64x8 mask = I64x8{} + static_cast<std::int64_t>(node->mask);
    std::uint64_t* word = bits + node->word;
    I64x8 v0, v1;
    std::memcpy(&v0, word, sizeof v0);
    std::memcpy(&v1, word + 8, sizeof v1);
    v0 &= __builtin_convertvector(x0 < node->threshold, I64x8) | mask;  // -1 where the sample goes left
    v1 &= __builtin_convertvector(x1 < node->threshold, I64x8) | mask;
    std::memcpy(word, &v0, sizeof v0);
    std::memcpy(word + 8, &v1, sizeof v1);
  }
}

// The same two steps written for AVX-512 (mask registers select the lanes that go right; the
// lowest set bit comes from a leading-zero count): half the instructions of the portable code.
#define ILPKIT_AVX512 [[gnu::target("avx512f,avx512vl,avx512dq,avx512cd,avx512bw")]]

ILPKIT_AVX512 void apply_masks_avx512(const Model::MaskNode* node, const float* xs, float top,
                                                 std::uint64_t* bits) {
  const __m512 x = _mm512_loadu_ps(xs);
  for (; node->threshold <= top; ++node) {
    const __mmask16 right = _mm512_cmp_ps_mask(x, _mm512_set1_ps(node->threshold), _CMP_NLT_UQ);
    const __m512i mask = _mm512_set1_epi64(static_cast<long long>(node->mask));
    std::uint64_t* word = bits + node->word;
    const __m512i v0 = _mm512_loadu_si512(word), v1 = _mm512_loadu_si512(word + 8);
    _mm512_storeu_si512(word, _mm512_mask_and_epi64(v0, static_cast<__mmask8>(right), v0, mask));
    _mm512_storeu_si512(word + 8, _mm512_mask_and_epi64(v1, static_cast<__mmask8>(right >> 8), v1, mask));
  }
}

ILPKIT_AVX512 void exit_leaves_avx512(const Model& m, const std::uint64_t* bits, std::int32_t* leaf) {
  const __m512i last = _mm512_set1_epi64(63);
  for (std::size_t t = 0; t < m.trees.size(); ++t) {
    const Model::TreeInfo& tr = m.trees[t];
    if (tr.word_base < 0) continue;
    const std::uint64_t* w = bits + static_cast<std::size_t>(tr.word_base) * kLanes;
    for (std::int64_t h = 0; h < kLanes; h += 8) {
      __m512i r = _mm512_setzero_si512();
      for (std::int32_t k = tr.words - 1; k >= 0; --k) {
        const __m512i x = _mm512_loadu_si512(w + k * kLanes + h);
        const __m512i lowest = _mm512_and_si512(x, _mm512_sub_epi64(_mm512_setzero_si512(), x));
        const __m512i at = _mm512_add_epi64(_mm512_sub_epi64(last, _mm512_lzcnt_epi64(lowest)), _mm512_set1_epi64(64 * k));
        r = _mm512_mask_mov_epi64(r, _mm512_test_epi64_mask(x, x), at);
      }
      const __m256i id = _mm256_add_epi32(_mm512_maskz_cvtepi64_epi32(0xff, r), _mm256_set1_epi32(tr.first_leaf));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(leaf + t * kLanes + static_cast<std::size_t>(h)), id);
    }
  }
}

const bool kHaveAvx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd") &&
                         __builtin_cpu_supports("avx512bw");

// Exit leaves of the masked trees: per lane the lowest bit left over the tree's words.
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void exit_leaves(
    const Model& m, const std::uint64_t* bits, std::int32_t* leaf) {
  for (std::size_t t = 0; t < m.trees.size(); ++t) {
    const Model::TreeInfo& tr = m.trees[t];
    if (tr.word_base < 0) continue;
    const std::uint64_t* w = bits + static_cast<std::size_t>(tr.word_base) * kLanes;
    std::int32_t* out = leaf + t * kLanes;
    if (tr.words == 1) {
      for (std::int64_t j = 0; j < kLanes; ++j) out[j] = tr.first_leaf + __builtin_ctzll(w[j]);
      continue;
    }
    for (std::int64_t j = 0; j < kLanes; ++j) {
      std::int32_t r = 0;
      for (std::int32_t k = tr.words - 1; k >= 0; --k) {
        const std::uint64_t x = w[k * kLanes + j];
        r = x ? k * 64 + __builtin_ctzll(x) : r;
      }
      out[j] = tr.first_leaf + r;
    }
  }
}

// Exit leaves of the trees too large for masks: lockstep descents of 8 samples, branch-free (the
// CPU overlaps their independent loads instead of mispredicting each sample's path).
void descend(const Model& m, const float* rows, std::int32_t* leaf) {
  const std::size_t F = m.features;
  for (const std::int32_t t : m.descending) {
    const Model::TreeInfo& tr = m.trees[static_cast<std::size_t>(t)];
    const FlatNode* nodes = m.nodes.data() + tr.node_base;
    std::int32_t k[kLanes] = {};
    for (std::int64_t h = 0; h < kLanes; h += 8)
      for (std::int32_t step = 0; step < tr.depth; step += 2) {
        for (int twice = 0; twice < 2; ++twice)
          for (std::int64_t j = h; j < h + 8; ++j) {
            const FlatNode& nd = nodes[k[j]];
            // Select by mask arithmetic: a conditional compiles to a branch that mispredicts.
            const std::int32_t left = -static_cast<std::int32_t>(rows[static_cast<std::size_t>(j) * F + static_cast<std::size_t>(nd.column)] < nd.threshold);
            k[j] = nd.right ^ ((nd.right ^ (k[j] + 1)) & left);
          }
        // Stop when every sample is at a leaf (most paths are much shorter than the deepest).
        std::int32_t at_leaf = 1;  // leaves point right at themselves
        for (std::int64_t j = h; j < h + 8; ++j) at_leaf &= static_cast<std::int32_t>(nodes[k[j]].right == k[j]);
        if (at_leaf) break;
      }
    const std::int32_t* leaf_of = m.leaf_of.data() + tr.node_base;
    for (std::int64_t j = 0; j < kLanes; ++j) leaf[static_cast<std::int64_t>(t) * kLanes + j] = leaf_of[k[j]];
  }
}

// Vote counts of a forest whose leaves have codes: per lane the sum of its exit leaves' codes
// and their union (which has kInexact if any leaf was not one class with probability 1).
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void sum_codes(
    const std::uint32_t* code, const std::int32_t* leaf, std::size_t trees, std::uint32_t* sum, std::uint32_t* any) {
  std::uint32_t s[kLanes] = {}, a[kLanes] = {};
  for (std::size_t t = 0; t < trees; ++t)
    for (std::int64_t j = 0; j < kLanes; ++j) {
      const std::uint32_t c = code[leaf[t * kLanes + static_cast<std::size_t>(j)]];
      s[j] += c;
      a[j] |= c;
    }
  std::memcpy(sum, s, sizeof s);
  std::memcpy(any, a, sizeof a);
}

// VIGRA's own accumulation for one lane: float32 votes in stored tree order, double total.
void exact_votes(const Model& m, const Model::ForestRange& fr, const std::int32_t* leaf, std::int64_t j, float* p,
                 double& total) {
  const std::size_t C = m.classes;
  for (std::size_t t = fr.first_tree; t < fr.first_tree + fr.tree_count; ++t) {
    const auto id = static_cast<std::size_t>(leaf[t * kLanes + static_cast<std::size_t>(j)]);
    const float* v = m.leaf_values.data() + id * C;
    for (std::size_t l = 0; l < C; ++l) p[l * kLanes + static_cast<std::size_t>(j)] += v[l];
    total += m.leaf_totals[id];
  }
}

// The largest of a batch's values of one feature, +inf if one is NaN (then every node of the
// feature applies); marks the NaN lanes.
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] float batch_top(const float* x, bool* nan) {
  float hi = -std::numeric_limits<float>::infinity();
  for (std::int64_t j = 0; j < kLanes; ++j) {
    const bool bad = x[j] != x[j];
    nan[j] |= bad;
    hi = bad ? std::numeric_limits<float>::infinity() : (hi < x[j] ? x[j] : hi);
  }
  return hi;
}

constexpr std::int64_t kTile = 16 * kLanes;

}  // namespace

void Predictor::predict(const float* features, std::int64_t fstride, std::int64_t n, float* out,
                        std::int64_t ostride) const {
  const Model& m = *model_;
  const std::size_t F = m.features, C = m.classes;
  // Per batch of kLanes samples: feature values feature-major (as the masks scan them) and, for
  // descents, sample-major rows; every tree's exit leaf per lane; the masks; class-major votes.
  // Per tile of kTile samples: feature values feature-major (one short run per column, which
  // the prefetchers follow; columns are whole image planes apart). Per batch of kLanes samples:
  // sample-major rows for descents, every tree's exit leaf per lane, the masks, class-major votes.
  std::vector<float> tile(F * kTile), rows(m.descending.empty() ? 0 : F * kLanes);
  std::vector<float> top(F);
  std::vector<std::int32_t> leaf(m.trees.size() * kLanes);
  std::vector<std::uint64_t> bits(m.words * kLanes);
  std::vector<float> p(C * kLanes), a(C * kLanes);
  for (std::int64_t b = 0; b < n; b += kLanes) {
    const std::int64_t lanes = std::min(kLanes, n - b), at = b % kTile;
    if (at == 0) {
      const std::int64_t len = std::min(kTile, n - b);
      for (std::size_t f = 0; f < F; ++f) {
        const float* col = features + static_cast<std::int64_t>(f) * fstride + b;
        float* x = tile.data() + f * kTile;
        std::memcpy(x, col, sizeof(float) * static_cast<std::size_t>(len));
        std::fill(x + len, x + kTile, col[len - 1]);  // a short tile repeats its last sample
      }
    }
    const float* xs = tile.data() + at;  // feature f of the batch: xs[f·kTile + j]
    bool nan[kLanes] = {};
    for (std::size_t f = 0; f < F; ++f) top[f] = batch_top(xs + f * kTile, nan);
    std::fill(bits.begin(), bits.end(), ~std::uint64_t{0});
    for (std::size_t f = 0; f < F; ++f)
      (kHaveAvx512 ? apply_masks_avx512 : apply_masks)(m.mask_nodes.data() + m.feature_start[f],
                                                       xs + f * kTile, top[f], bits.data());
    (kHaveAvx512 ? exit_leaves_avx512 : exit_leaves)(m, bits.data(), leaf.data());
    if (!m.descending.empty()) {
      for (std::size_t f = 0; f < F; ++f)
        for (std::int64_t j = 0; j < kLanes; ++j) rows[static_cast<std::size_t>(j) * F + f] = xs[f * kTile + static_cast<std::size_t>(j)];
      descend(m, rows.data(), leaf.data());
    }
    std::fill(a.begin(), a.end(), 0.0f);
    for (const auto& fr : m.forests) {
      std::fill(p.begin(), p.end(), 0.0f);
      double total[kLanes] = {};
      const std::int32_t* forest_leaf = leaf.data() + fr.first_tree * kLanes;
      if (fr.code_bits) {
        std::uint32_t sum[kLanes], any[kLanes];
        sum_codes(m.leaf_code.data(), forest_leaf, fr.tree_count, sum, any);
        const std::uint32_t field = (std::uint32_t{1} << fr.code_bits) - 1;
        for (std::int64_t j = 0; j < kLanes; ++j) {
          if (any[j] & kInexact) {
            exact_votes(m, fr, leaf.data(), j, p.data(), total[j]);
            continue;
          }
          for (std::size_t l = 0; l < C; ++l)
            p[l * kLanes + static_cast<std::size_t>(j)] = static_cast<float>((sum[j] >> (static_cast<std::size_t>(fr.code_bits) * l)) & field);
          total[j] = static_cast<double>(fr.tree_count);
        }
      } else {
        for (std::int64_t j = 0; j < kLanes; ++j) exact_votes(m, fr, leaf.data(), j, p.data(), total[j]);
      }
      // Per forest: divide by the float total, then weight by the forest's tree count.
      const float weight = static_cast<float>(fr.tree_count);
      for (std::int64_t j = 0; j < kLanes; ++j) {
        const auto tot = static_cast<float>(total[j]);
        for (std::size_t l = 0; l < C; ++l) {
          const std::size_t q = l * kLanes + static_cast<std::size_t>(j);
          a[q] = a[q] + (p[q] / tot) * weight;
        }
      }
    }
    const float all = static_cast<float>(m.total_trees);
    for (std::size_t ch = 0; ch < m.labels; ++ch)
      for (std::int64_t j = 0; j < lanes; ++j) out[static_cast<std::int64_t>(ch) * ostride + b + j] = 0.0f;
    for (std::size_t l = 0; l < C; ++l) {
      const int ch = m.channel_of_class[l];
      if (ch < 0) continue;
      float* o = out + static_cast<std::int64_t>(ch) * ostride + b;
      for (std::int64_t j = 0; j < lanes; ++j) o[j] = nan[j] ? 0.0f : a[l * kLanes + static_cast<std::size_t>(j)] / all;
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
