// SPDX-License-Identifier: MIT
// Mirrors: vigra random_forest.hxx (RandomForest::predictProbabilities), rf_nodeproxy.hxx /
// rf_decisionTree.hxx (descent), lazyflow parallelVigraRfLazyflowClassifier.py
// (predict_probabilities: tree-count-weighted mean), classifierOperators.py (label -> channel).
#include <algorithm>
#include <cmath>
#include <cstdlib>
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

constexpr std::int64_t kLanes = 32;  ///< samples evaluated together
/// Trees with more leaves than this descend node by node: scanning masks costs in proportion to
/// the tree's size, a descent in proportion to its depth.
constexpr std::int32_t kMaxMaskWords = 32;
using MaskWordBits = std::uint32_t;  ///< one bit per leaf
constexpr std::int32_t kWordBits = 32;
/// Samples whose feature values are copied together (see Predictor::predict).
constexpr std::int64_t kTile = 16 * kLanes;

}  // namespace

struct Predictor::Model {
  std::size_t features = 0, classes = 0, labels = 0;
  std::vector<FlatNode> nodes;       ///< all trees, each tree's nodes contiguous (root first)
  std::vector<std::int32_t> leaf_of; ///< per node: its leaf id, -1 for split nodes
  std::vector<float> leaf_values;    ///< classes floats per leaf, float(p_l) as VIGRA adds them
  std::vector<double> leaf_totals;   ///< Σ_l p_l per leaf, in double, l ascending
  /// Per leaf: the class it gives probability 1 (the others 0), or -1. A forest's float32 sum
  /// of such votes is a count, exact whatever the order; trees grown to purity have only such
  /// leaves, and only samples that reach another kind take VIGRA's float accumulation.
  std::vector<std::int32_t> leaf_class;

  struct TreeInfo {
    std::int32_t node_base;   ///< the tree's root in `nodes`
    std::int32_t depth;       ///< longest root-to-leaf path: descents take this many steps
    std::int32_t first_leaf;  ///< leaf id of its leftmost leaf (ids run left to right)
    std::int32_t word_base;   ///< its first entry in `words`, -1 if it descends
    std::int32_t words;
  };
  struct ForestRange {
    std::size_t first_tree = 0, tree_count = 0;
    bool descends = false;  ///< has trees too large for masks
    bool needs_leaves = false;  ///< descends or has leaves that are not one-hot: exit leaves are kept
  };
  std::vector<TreeInfo> trees;
  std::vector<ForestRange> forests;
  std::vector<std::int32_t> descending;  ///< trees too large for masks
  std::size_t total_trees = 0;
  std::vector<int> channel_of_class;  ///< output channel of each class column, -1 if none

  // Trees of up to 32·kMaxMaskWords leaves are evaluated QuickScorer-style: one bit per leaf
  // (left to right, in 32-bit words, so one vector operation covers 16 samples), every split node whose test fails for a sample (x goes
  // right) clears its left subtree's leaf bits; the exit leaf is the lowest bit left. The nodes
  // are applied in any order, so the path a sample takes never steers the code, and a tree's
  // bits for a batch stay in registers.
  struct MaskEntry {
    float threshold;
    std::uint32_t offset;  ///< column · kTile: where the batch's values of the column start
    MaskWordBits mask;     ///< ~(left subtree's leaf bits within the word)
  };
  struct MaskWord {
    std::uint32_t first, end;  ///< its entries: the split nodes whose left subtree has leaves in it
    MaskWordBits inexact;      ///< leaves whose class is -1
  };
  std::vector<MaskEntry> entries;
  std::vector<MaskWord> words;         ///< each masked tree's words, trees in order
  std::vector<MaskWordBits> class_bits;  ///< per word and class: its leaves of that class

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
        const float* probs = leaf_values.data() + static_cast<std::size_t>(leaf) * classes;
        const auto hot = std::find(probs, probs + classes, 1.0f) - probs;
        const bool one_hot = hot < static_cast<std::ptrdiff_t>(classes) && total == 1.0 &&
                             std::count(probs, probs + classes, 0.0f) == static_cast<std::ptrdiff_t>(classes) - 1;
        leaf_class.push_back(one_hot ? static_cast<std::int32_t>(hot) : -1);
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
  r.words = (leaves + kWordBits - 1) / kWordBits;
  if (r.words > kMaxMaskWords) descending.push_back(static_cast<std::int32_t>(trees.size()));
  trees.push_back(r);
}

void Predictor::Model::build_masks() {
  for (std::size_t t = 0; t < trees.size(); ++t) {
    TreeInfo& tr = trees[t];
    if (tr.words > kMaxMaskWords) continue;
    tr.word_base = static_cast<std::int32_t>(words.size());
    const std::int32_t base = tr.node_base;
    const std::int32_t end = t + 1 < trees.size() ? trees[t + 1].node_base : static_cast<std::int32_t>(nodes.size());
    // prefix[i]: leaves among the tree's nodes [0, i), i.e. left of node i.
    std::vector<std::int32_t> prefix(static_cast<std::size_t>(end - base) + 1, 0);
    for (std::int32_t i = base; i < end; ++i)
      prefix[static_cast<std::size_t>(i - base) + 1] = prefix[static_cast<std::size_t>(i - base)] + (leaf_of[static_cast<std::size_t>(i)] >= 0);
    std::vector<std::vector<MaskEntry>> per_word(static_cast<std::size_t>(tr.words));
    std::vector<MaskWordBits> inexact(static_cast<std::size_t>(tr.words), 0);
    std::vector<MaskWordBits> cls(static_cast<std::size_t>(tr.words) * classes, 0);
    for (std::int32_t i = base; i < end; ++i) {
      const FlatNode& n = nodes[static_cast<std::size_t>(i)];
      const std::int32_t id = leaf_of[static_cast<std::size_t>(i)];
      if (id >= 0) {
        const std::int32_t k = prefix[static_cast<std::size_t>(i - base)];
        if (id != tr.first_leaf + k) throw Error(ErrorKind::Internal, "leaves are not numbered left to right");
        const MaskWordBits bit = MaskWordBits{1} << (k % kWordBits);
        const std::int32_t c = leaf_class[static_cast<std::size_t>(id)];
        if (c < 0)
          inexact[static_cast<std::size_t>(k / kWordBits)] |= bit;
        else
          cls[static_cast<std::size_t>(k / kWordBits) * classes + static_cast<std::size_t>(c)] |= bit;
        continue;
      }
      // The left subtree holds leaves [lo, hi); one entry per word it touches.
      const std::int32_t lo = prefix[static_cast<std::size_t>(i - base) + 1], hi = prefix[static_cast<std::size_t>(n.right)];
      for (std::int32_t w = lo / kWordBits; w * kWordBits < hi; ++w) {
        const std::int32_t a = std::max(lo, w * kWordBits) - w * kWordBits;
        const std::int32_t b = std::min(hi, (w + 1) * kWordBits) - w * kWordBits;
        const MaskWordBits left = (b - a == kWordBits ? ~MaskWordBits{0} : ((MaskWordBits{1} << (b - a)) - 1)) << a;
        per_word[static_cast<std::size_t>(w)].push_back({n.threshold, static_cast<std::uint32_t>(n.column * kTile), ~left});
      }
    }
    for (std::size_t w = 0; w < per_word.size(); ++w) {
      const auto first = static_cast<std::uint32_t>(entries.size());
      entries.insert(entries.end(), per_word[w].begin(), per_word[w].end());
      words.push_back({first, static_cast<std::uint32_t>(entries.size()), inexact[w]});
      class_bits.insert(class_bits.end(), cls.begin() + static_cast<std::ptrdiff_t>(w * classes),
                        cls.begin() + static_cast<std::ptrdiff_t>((w + 1) * classes));
    }
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
    Model::ForestRange fr{m.trees.size(), f.trees.size(), false};
    for (const auto& t : f.trees) {
      validate_tree(t, f.column_count, f.class_count);
      m.add_tree(t);
    }
    for (std::size_t t = fr.first_tree; t < m.trees.size(); ++t) fr.descends |= m.trees[t].words > kMaxMaskWords;
    m.forests.push_back(fr);
    m.total_trees += f.trees.size();
  }
  m.build_masks();
  for (auto& fr : m.forests) {
    fr.needs_leaves = fr.descends;
    for (std::size_t t = fr.first_tree; t < fr.first_tree + fr.tree_count; ++t)
      for (std::int32_t w = 0; m.trees[t].word_base >= 0 && w < m.trees[t].words; ++w)
        fr.needs_leaves |= m.words[static_cast<std::size_t>(m.trees[t].word_base + w)].inexact != 0;
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

namespace {

using Model = Predictor::Model;
using F32x8 = float __attribute__((vector_size(32)));

/// What a forest's trees voted for in one batch: per class and lane the number of trees whose
/// exit leaf gives that class probability 1, and the lanes that reached any other kind of leaf.
struct Votes {
  std::int32_t* count;  ///< count[c·kLanes + j]
  std::uint32_t inexact = 0;
};

constexpr int kVectors = static_cast<int>(kLanes / 8);  ///< 8-lane vectors per batch
constexpr std::uint32_t kAllLanes = kLanes == 32 ? ~0u : (1u << kLanes) - 1;
using I32x8 = std::int32_t __attribute__((vector_size(32)));

// Exit leaves of the masked trees in [t0, t1), with their votes. xs[column·kTile + j] is the
// batch's value of a column for lane j.
[[gnu::target_clones("arch=x86-64-v3", "default")]] void masked_trees(const Model& m, std::size_t t0, std::size_t t1,
                                                                     const float* xs, std::int32_t* leaf, Votes& votes) {
  for (std::size_t t = t0; t < t1; ++t) {
    const Model::TreeInfo& tr = m.trees[t];
    if (tr.word_base < 0) continue;
    std::uint32_t found = 0;
    for (std::int32_t w = 0; w < tr.words && found != kAllLanes; ++w) {
      const Model::MaskWord& mw = m.words[static_cast<std::size_t>(tr.word_base + w)];
      I32x8 v[kVectors];
      for (auto& q : v) q = I32x8{} - 1;
      for (const Model::MaskEntry* e = m.entries.data() + mw.first; e != m.entries.data() + mw.end; ++e) {
        const I32x8 mask = I32x8{} + static_cast<std::int32_t>(e->mask);
        for (int q = 0; q < kVectors; ++q) {
          F32x8 x;
          std::memcpy(&x, xs + e->offset + 8 * q, sizeof x);
          v[q] &= (x < e->threshold) | mask;  // all ones where the sample goes left
        }
      }
      MaskWordBits bits[kLanes];
      std::memcpy(bits, v, sizeof bits);
      for (std::int64_t j = 0; j < kLanes; ++j) {
        if ((found >> j & 1) || bits[j] == 0) continue;
        found |= 1u << j;
        const std::int32_t id = tr.first_leaf + kWordBits * w + __builtin_ctz(bits[j]);
        leaf[t * kLanes + static_cast<std::size_t>(j)] = id;
        const std::int32_t c = m.leaf_class[static_cast<std::size_t>(id)];
        if (c < 0)
          votes.inexact |= 1u << j;
        else
          ++votes.count[c * kLanes + j];
      }
    }
  }
}

// The same for AVX-512: mask registers select the lanes that go right (16 per operation), the
// lowest set bit comes from a leading-zero count, the exit leaf's class from the word's class bits.
#define ILPKIT_AVX512 [[gnu::target("avx512f,avx512vl,avx512dq,avx512cd,avx512bw")]]
constexpr int kHalves = static_cast<int>(kLanes / 16);  ///< 16-lane vectors per batch

// The lanes among `lanes` whose exit bit (low[h]: lanes 16h..16h+15) is one of `bits`.
ILPKIT_AVX512 inline std::uint32_t lanes_in(const __m512i* low, MaskWordBits bits, std::uint32_t lanes) {
  const __m512i b = _mm512_set1_epi32(static_cast<int>(bits));
  std::uint32_t k = 0;
  for (int h = 0; h < kHalves; ++h) k |= static_cast<std::uint32_t>(_mm512_test_epi32_mask(low[h], b)) << (16 * h);
  return k & lanes;
}

// The word's leaf bits left per lane after its split tests: every test a sample fails (x goes
// right) clears the left subtree's bits.
ILPKIT_AVX512 inline void leaf_bits(const Model& m, const Model::MaskWord& mw, const float* xs, __m512i* v) {
  for (int h = 0; h < kHalves; ++h) v[h] = _mm512_set1_epi32(-1);
  for (const Model::MaskEntry* e = m.entries.data() + mw.first; e != m.entries.data() + mw.end; ++e) {
    const __m512 threshold = _mm512_set1_ps(e->threshold);
    const __m512i mask = _mm512_set1_epi32(static_cast<int>(e->mask));
    for (int h = 0; h < kHalves; ++h) {
      const __mmask16 right = _mm512_cmp_ps_mask(_mm512_loadu_ps(xs + e->offset + 16 * h), threshold, _CMP_NLT_UQ);
      v[h] = _mm512_mask_and_epi32(v[h], right, v[h], mask);
    }
  }
}

// C classes: the vote counts stay in registers for the whole forest (a count in memory would
// chain every tree's update through a store and a load). Exit leaf numbers are only kept when
// `kLeaves`: forests without descents and with one-hot leaves only need the counts.
template <int C, bool kLeaves>
ILPKIT_AVX512 void masked_trees_avx512_n(const Model& m, std::size_t t0, std::size_t t1, const float* xs,
                                         std::int32_t* leaf, Votes& votes) {
  const __m512i last = _mm512_set1_epi32(kWordBits - 1), minus_one = _mm512_set1_epi32(-1);
  __m512i count[C][kHalves];
  for (auto& c : count)
    for (auto& h : c) h = _mm512_setzero_si512();
  std::uint32_t inexact = 0;
  for (std::size_t t = t0; t < t1; ++t) {
    const Model::TreeInfo& tr = m.trees[t];
    if (tr.word_base < 0) continue;
    std::uint32_t found = 0;
    __m512i r[kHalves];  // exit leaf numbers
    if constexpr (kLeaves)
      for (auto& q : r) q = _mm512_setzero_si512();
    for (std::int32_t w = 0; w < tr.words && found != kAllLanes; ++w) {
      const auto word = static_cast<std::size_t>(tr.word_base + w);
      const Model::MaskWord& mw = m.words[word];
      __m512i v[kHalves];
      leaf_bits(m, mw, xs, v);
      __mmask16 fresh[kHalves];
      std::uint32_t any = 0;
      for (int h = 0; h < kHalves; ++h) {
        fresh[h] = _mm512_test_epi32_mask(v[h], v[h]) & static_cast<__mmask16>(~found >> (16 * h));
        any |= static_cast<std::uint32_t>(fresh[h]) << (16 * h);
      }
      if (!any) continue;
      __m512i low[kHalves];
      for (int h = 0; h < kHalves; ++h) low[h] = _mm512_and_si512(v[h], _mm512_sub_epi32(_mm512_setzero_si512(), v[h]));
      if constexpr (kLeaves) {
        const __m512i base = _mm512_set1_epi32(kWordBits * w);
        for (int h = 0; h < kHalves; ++h)
          r[h] = _mm512_mask_mov_epi32(r[h], fresh[h], _mm512_add_epi32(_mm512_sub_epi32(last, _mm512_lzcnt_epi32(low[h])), base));
      }
      const MaskWordBits* cls = m.class_bits.data() + word * C;
      for (int c = 0; c < C; ++c) {
        const __m512i b = _mm512_set1_epi32(static_cast<int>(cls[c]));
        for (int h = 0; h < kHalves; ++h)
          count[c][h] = _mm512_mask_sub_epi32(count[c][h], _mm512_mask_test_epi32_mask(fresh[h], low[h], b), count[c][h], minus_one);
      }
      if (mw.inexact) inexact |= lanes_in(low, mw.inexact, any);
      found |= any;
    }
    if constexpr (kLeaves) {
      const __m512i first = _mm512_set1_epi32(tr.first_leaf);
      std::int32_t* out = leaf + t * kLanes;
      for (int h = 0; h < kHalves; ++h) _mm512_storeu_si512(out + 16 * h, _mm512_add_epi32(r[h], first));
    }
  }
  for (int c = 0; c < C; ++c)
    for (int h = 0; h < kHalves; ++h) {
      std::int32_t* n = votes.count + c * kLanes + 16 * h;
      _mm512_storeu_si512(n, _mm512_add_epi32(_mm512_loadu_si512(n), count[c][h]));
    }
  votes.inexact |= inexact;
}

// Any class count: counts in memory.
ILPKIT_AVX512 void masked_trees_avx512_any(const Model& m, std::size_t t0, std::size_t t1, const float* xs,
                                           std::int32_t* leaf, Votes& votes) {
  const std::size_t C = m.classes;
  const __m512i last = _mm512_set1_epi32(kWordBits - 1);
  std::uint32_t inexact = 0;
  for (std::size_t t = t0; t < t1; ++t) {
    const Model::TreeInfo& tr = m.trees[t];
    if (tr.word_base < 0) continue;
    std::uint32_t found = 0;
    __m512i r[kHalves];  // exit leaf numbers
    for (auto& q : r) q = _mm512_setzero_si512();
    for (std::int32_t w = 0; w < tr.words && found != kAllLanes; ++w) {
      const auto word = static_cast<std::size_t>(tr.word_base + w);
      const Model::MaskWord& mw = m.words[word];
      __m512i v[kHalves];
      leaf_bits(m, mw, xs, v);
      std::uint32_t fresh = 0;
      for (int h = 0; h < kHalves; ++h) fresh |= static_cast<std::uint32_t>(_mm512_test_epi32_mask(v[h], v[h])) << (16 * h);
      fresh &= ~found;
      if (!fresh) continue;
      __m512i low[kHalves];
      const __m512i base = _mm512_set1_epi32(kWordBits * w);
      for (int h = 0; h < kHalves; ++h) {
        low[h] = _mm512_and_si512(v[h], _mm512_sub_epi32(_mm512_setzero_si512(), v[h]));
        r[h] = _mm512_mask_mov_epi32(r[h], static_cast<__mmask16>(fresh >> (16 * h)),
                                     _mm512_add_epi32(_mm512_sub_epi32(last, _mm512_lzcnt_epi32(low[h])), base));
      }
      const MaskWordBits* cls = m.class_bits.data() + word * C;
      for (std::size_t c = 0; c < C; ++c) {
        const std::uint32_t k = lanes_in(low, cls[c], fresh);
        if (!k) continue;
        for (int h = 0; h < kHalves; ++h) {
          std::int32_t* n = votes.count + c * kLanes + 16 * h;
          const __m512i cnt = _mm512_loadu_si512(n);
          _mm512_storeu_si512(n, _mm512_mask_sub_epi32(cnt, static_cast<__mmask16>(k >> (16 * h)), cnt, _mm512_set1_epi32(-1)));
        }
      }
      if (mw.inexact) inexact |= lanes_in(low, mw.inexact, fresh);
      found |= fresh;
    }
    const __m512i first = _mm512_set1_epi32(tr.first_leaf);
    std::int32_t* out = leaf + t * kLanes;
    for (int h = 0; h < kHalves; ++h) _mm512_storeu_si512(out + 16 * h, _mm512_add_epi32(r[h], first));
  }
  votes.inexact |= inexact;
}

using MaskedTrees = void (*)(const Model&, std::size_t, std::size_t, const float*, std::int32_t*, Votes&);

template <int C>
MaskedTrees avx512_kernel_for(bool leaves) {
  return leaves ? masked_trees_avx512_n<C, true> : masked_trees_avx512_n<C, false>;
}

// The AVX-512 kernel for a forest: counts in registers for up to 8 classes.
MaskedTrees avx512_kernel(std::size_t classes, bool leaves) {
  switch (classes) {
    case 2: return avx512_kernel_for<2>(leaves);
    case 3: return avx512_kernel_for<3>(leaves);
    case 4: return avx512_kernel_for<4>(leaves);
    case 5: return avx512_kernel_for<5>(leaves);
    case 6: return avx512_kernel_for<6>(leaves);
    case 7: return avx512_kernel_for<7>(leaves);
    case 8: return avx512_kernel_for<8>(leaves);
    default: return masked_trees_avx512_any;
  }
}

// ILPKIT_PORTABLE_FOREST=1 forces the portable code (the tests compare both with the reference).
const bool kHaveAvx512 = !std::getenv("ILPKIT_PORTABLE_FOREST") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd") &&
                         __builtin_cpu_supports("avx512bw");

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

// Marks the samples with a NaN feature value (they get all zeros).
[[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]] void mark_nan(const float* x, std::uint8_t* nan) {
  for (std::int64_t j = 0; j < kTile; ++j) nan[j] |= static_cast<std::uint8_t>(x[j] != x[j]);
}

}  // namespace

void Predictor::predict(const float* features, std::int64_t fstride, std::int64_t n, float* out,
                        std::int64_t ostride) const {
  const Model& m = *model_;
  const std::size_t F = m.features, C = m.classes;
  // Per tile of kTile samples: feature values feature-major (one short run per column, which
  // the prefetchers follow; columns are whole image planes apart). Per batch of kLanes samples:
  // sample-major rows for descents, every tree's exit leaf per lane, class-major votes.
  std::vector<float> tile(F * kTile), rows(m.descending.empty() ? 0 : F * kLanes);
  std::vector<std::int32_t> leaf(m.trees.size() * kLanes), count(C * kLanes);
  std::vector<float> p(C * kLanes), a(C * kLanes);
  std::vector<std::uint8_t> nan(kTile);
  for (std::int64_t b = 0; b < n; b += kLanes) {
    const std::int64_t lanes = std::min(kLanes, n - b), at = b % kTile;
    if (at == 0) {
      const std::int64_t len = std::min(kTile, n - b);
      std::fill(nan.begin(), nan.end(), 0);
      for (std::size_t f = 0; f < F; ++f) {
        const float* col = features + static_cast<std::int64_t>(f) * fstride + b;
        float* x = tile.data() + f * kTile;
        std::memcpy(x, col, sizeof(float) * static_cast<std::size_t>(len));
        std::fill(x + len, x + kTile, col[len - 1]);  // a short tile repeats its last sample
        mark_nan(x, nan.data());
      }
    }
    const float* xs = tile.data() + at;  // feature f of the batch: xs[f·kTile + j]
    if (!m.descending.empty()) {
      for (std::size_t f = 0; f < F; ++f)
        for (std::int64_t j = 0; j < kLanes; ++j) rows[static_cast<std::size_t>(j) * F + f] = xs[f * kTile + static_cast<std::size_t>(j)];
      descend(m, rows.data(), leaf.data());
    }
    std::fill(a.begin(), a.end(), 0.0f);
    for (const auto& fr : m.forests) {
      std::fill(count.begin(), count.end(), 0);
      Votes votes{count.data()};
      (kHaveAvx512 ? avx512_kernel(C, fr.needs_leaves) : masked_trees)(m, fr.first_tree, fr.first_tree + fr.tree_count,
                                                                        xs, leaf.data(), votes);
      for (std::size_t t = fr.first_tree; fr.descends && t < fr.first_tree + fr.tree_count; ++t) {
        if (m.trees[t].word_base >= 0) continue;
        for (std::int64_t j = 0; j < kLanes; ++j) {
          const std::int32_t c = m.leaf_class[static_cast<std::size_t>(leaf[t * kLanes + static_cast<std::size_t>(j)])];
          if (c < 0)
            votes.inexact |= 1u << j;
          else
            ++count[static_cast<std::size_t>(c * kLanes + j)];
        }
      }
      const float weight = static_cast<float>(fr.tree_count);
      if (!votes.inexact) {
        // Every lane's votes are counts of the forest's trees (the common case): one vector loop.
        const auto tot = static_cast<float>(fr.tree_count);
        float* __restrict acc = a.data();
        const std::int32_t* __restrict counted = count.data();
        for (std::size_t q = 0; q < C * kLanes; ++q) acc[q] = acc[q] + (static_cast<float>(counted[q]) / tot) * weight;
        continue;
      }
      std::fill(p.begin(), p.end(), 0.0f);
      double total[kLanes];
      for (std::int64_t j = 0; j < kLanes; ++j) {
        total[j] = 0;
        if (votes.inexact >> j & 1) {
          exact_votes(m, fr, leaf.data(), j, p.data(), total[j]);
          continue;
        }
        for (std::size_t l = 0; l < C; ++l) {
          const std::size_t q = l * kLanes + static_cast<std::size_t>(j);
          p[q] = static_cast<float>(count[q]);
        }
        total[j] = static_cast<double>(fr.tree_count);
      }
      // Per forest: divide by the float total, then weight by the forest's tree count.
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
    const std::uint8_t* __restrict bad = nan.data() + at;
    for (std::size_t l = 0; l < C; ++l) {
      const int ch = m.channel_of_class[l];
      if (ch < 0) continue;
      float* __restrict o = out + static_cast<std::int64_t>(ch) * ostride + b;
      const float* __restrict v = a.data() + l * kLanes;
      for (std::int64_t j = 0; j < lanes; ++j) o[j] = bad[j] ? 0.0f : v[j] / all;
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
