// SPDX-License-Identifier: MIT
// Mirrors: lazyflow opPixelFeaturesPresmoothed.py (per-scale presmoothing, operator sigmas,
// channel order, size check), filterOperators.py (the six operators), fastfilters' filter
// definitions as features-and-forest.md §2.2-2.9 describes them.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "convolve.hpp"
#include "eigen.hpp"
#include "rows.hpp"
#include "stream.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/feature_engine.hpp"
#include "ilpkit/parallel.hpp"

namespace ilpkit {

using features::Axis;
using features::ConstView;
using features::Extent;
using features::Kernel;
using features::Volume;

namespace {

/// Every operator's support on the presmoothed image is at most 3 pixels (radius-2 kernels;
/// structure tensor: radius-1 gradient then radius-2 averaging), §2.9.
constexpr std::int64_t kOperatorHalo = 3;

/// xy tile (y, x) of the 3-D feature stage: small planes keep the rings of a scale's filter
/// nodes in cache, long rows keep the vector loops long (measured best of 8..64 × 64..256).
constexpr std::int64_t kTileY = 16, kTileX = 256;

struct Selected {
  FeatureKind kind;
  int first_channel;  ///< output channel of input channel 0, component 0
  int components;
};

struct ScalePlan {
  double scale = 0;
  bool in_2d = false;
  int pre_radius = 0;
  Kernel pre;            ///< presmoothing at t, window 3.5
  Kernel g[3];           ///< orders 0, 1, 2 at the operator sigma, window 2
  Kernel dog_narrow;     ///< order 0 at 0.66·σ
  Kernel st_grad[2];     ///< orders 0, 1 at σ/2 (structure tensor gradient)
  std::vector<Selected> ops;
};

Extent extent_of(const Box& b) { return {b.extent(0), b.extent(1), b.extent(2)}; }
Extent offset_in(const Box& inner, const Box& outer) {
  return {inner.begin[0] - outer.begin[0], inner.begin[1] - outer.begin[1], inner.begin[2] - outer.begin[2]};
}

}  // namespace

struct FeatureEngine::Plan {
  ImageGeometry image;
  std::vector<FeatureChannel> channels;
  std::vector<ScalePlan> scales;  ///< only scales with a selected feature
  std::array<std::int64_t, 3> halo{0, 0, 0};
};

void PlanarBlock::reset(const Box& b, int channel_count) {
  box = b;
  channels = channel_count;
  data.resize(static_cast<std::size_t>(b.volume() * channel_count));
}

namespace {

// ilastik's OpPixelFeaturesPresmoothed.getInvalidScales: ceil(3.5·s) + 1 must fit x and y, and z
// for scales computed in 3-D; fastfilters would read out of bounds otherwise.
void check_scale_fits(double s, bool in_2d, const ImageGeometry& image) {
  const auto need = static_cast<std::int64_t>(std::ceil(3.5 * s)) + 1;
  auto refuse = [&](const char* axis, std::int64_t have) {
    throw Error(ErrorKind::Usage,
                fmt::format("feature scale {} is too large for this image: it needs at least {} pixels along {}, "
                            "the image has {} (ilastik refuses this selection too; remove the scale{})",
                            python_float_str(s), need, axis, have, in_2d ? "" : " or compute it in 2D"));
  };
  if (image.x < need) refuse("x", image.x);
  if (image.y < need) refuse("y", image.y);
  if (!in_2d && image.z < need) refuse("z", image.z);
}

}  // namespace

FeatureEngine::FeatureEngine(const FeatureSelection& sel, const ImageGeometry& image)
    : plan_(std::make_unique<Plan>()) {
  auto& plan = *plan_;
  plan.image = image;
  plan.channels = feature_channels(sel, image);  // validates ids and matrix shape
  auto in_2d = effective_compute_in_2d(sel, image);
  if (image.z == 1) std::fill(in_2d.begin(), in_2d.end(), true);

  // Output channel offsets in ilastik's order: FeatureIds row, scale, input channel, component.
  std::vector<std::vector<int>> first(sel.ids.size(), std::vector<int>(sel.scales.size(), -1));
  int next = 0;
  for (std::size_t i = 0; i < sel.ids.size(); ++i)
    for (std::size_t j = 0; j < sel.scales.size(); ++j) {
      if (!sel.matrix[i][j]) continue;
      first[i][j] = next;
      const FeatureKind kind = feature_kind(sel.ids[i]);
      const int components = is_eigenvalue_feature(kind) ? (in_2d[j] ? 2 : 3) : 1;
      next += components * image.channels;
    }

  std::int64_t halo_yx = 0, halo_z = 0;
  for (std::size_t j = 0; j < sel.scales.size(); ++j) {
    ScalePlan sp;
    for (std::size_t i = 0; i < sel.ids.size(); ++i) {
      if (first[i][j] < 0) continue;
      const FeatureKind kind = feature_kind(sel.ids[i]);
      const int components = is_eigenvalue_feature(kind) ? (in_2d[j] ? 2 : 3) : 1;
      sp.ops.push_back({kind, first[i][j], components});
    }
    if (sp.ops.empty()) continue;
    const double s = sel.scales[j];
    if (!(s > 0) || !std::isfinite(s))
      throw Error(ErrorKind::Format, fmt::format("feature scale {} is not a positive number", python_float_str(s)));
    check_scale_fits(s, in_2d[j], image);
    sp.scale = s;
    sp.in_2d = in_2d[j];
    // §2.2: presmooth with t, then run the operator at σ; for s ≤ 1 both are s.
    const double t = s > 1.0 ? std::sqrt(s * s - 1.0) : s;
    const double sigma = s > 1.0 ? 1.0 : s;
    sp.pre = features::gaussian_kernel(0, t, features::kPresmoothWindow);
    sp.pre_radius = sp.pre.copy ? 0 : sp.pre.radius();
    for (int o = 0; o < 3; ++o) sp.g[o] = features::gaussian_kernel(o, sigma, features::kFeatureWindow);
    sp.dog_narrow = features::gaussian_kernel(0, sigma * 0.66, features::kFeatureWindow);
    for (int o = 0; o < 2; ++o) sp.st_grad[o] = features::gaussian_kernel(o, sigma * 0.5, features::kFeatureWindow);
    halo_yx = std::max<std::int64_t>(halo_yx, sp.pre_radius + kOperatorHalo);
    if (!sp.in_2d) halo_z = std::max<std::int64_t>(halo_z, sp.pre_radius + kOperatorHalo);
    plan.scales.push_back(std::move(sp));
  }
  plan.halo = {halo_z, halo_yx, halo_yx};
}

FeatureEngine::~FeatureEngine() = default;
FeatureEngine::FeatureEngine(FeatureEngine&&) noexcept = default;
FeatureEngine& FeatureEngine::operator=(FeatureEngine&&) noexcept = default;

const std::vector<FeatureChannel>& FeatureEngine::channels() const { return plan_->channels; }
const ImageGeometry& FeatureEngine::image() const { return plan_->image; }
std::array<std::int64_t, 3> FeatureEngine::halo() const { return plan_->halo; }

Box FeatureEngine::image_box() const {
  Box b;
  b.end = {plan_->image.z, plan_->image.y, plan_->image.x};
  return b;
}

Box FeatureEngine::input_box(const Box& block) const { return block.grown(plan_->halo, image_box()); }

namespace {

using features::SliceGraph;
using features::SliceNode;

// Where the block's part of a frame slice goes in the output planes: rows `rows` of the slice,
// each `n` samples from `src` within the slice to `dst` within the channel plane.
struct SliceLayout {
  std::int64_t rows = 1, n = 0;
  std::int64_t src_row0 = 0, src_stride = 0;  ///< offset of the first block sample in the slice, row stride
  std::int64_t dst0 = 0, dst_stride = 0;      ///< offset in a channel's output for this slice, row stride
};

// One output of a scale: reads node slices, writes channel rows.
using Emitter = std::function<void(std::int64_t s, const SliceLayout&)>;

class ScaleBank {
 public:
  /// `presmoothed_source`: the graph's source is P already (else the graph presmooths).
  ScaleBank(const ScalePlan& sp, SliceGraph& graph, const FeatureOutput& out, int input_channel,
            bool presmoothed_source)
      : sp_(sp), g_(graph), out_(out), c_(input_channel) {
    p_ = presmoothed_source ? g_.source() : g_.presmoothed(sp.pre);
    for (const Selected& op : sp.ops) add(op);
  }

  /// Every emission reads rows [lo, hi) of its nodes' slices; call once before emit().
  void finalize(std::int64_t lo, std::int64_t hi) {
    for (SliceNode* n : outputs_) n->need_rows(lo, hi);
    g_.finalize();
  }

  void emit(std::int64_t s, const SliceLayout& l) {
    for (auto& e : emitters_) e(s, l);
  }

 private:
  SliceNode* sep(const Kernel& kx, const Kernel& ky, const Kernel& kz) { return g_.separable(p_, kx, ky, kz); }

  // fn(dst rows..., src rows..., n) for each block row of slice s.
  template <std::size_t N, std::size_t M, class Fn>
  Emitter rows(std::array<int, N> channels, std::array<SliceNode*, M> nodes, Fn fn) {
    outputs_.insert(outputs_.end(), nodes.begin(), nodes.end());
    return [this, channels, nodes, fn](std::int64_t s, const SliceLayout& l) {
      std::array<const float*, M> src{};
      // Fetching one node never evicts another's slice s: nodes only advance their own rings.
      for (std::size_t m = 0; m < M; ++m) src[m] = nodes[m]->get(s).data;
      for (std::int64_t r = 0; r < l.rows; ++r) {
        std::array<float*, N> dst{};
        for (std::size_t k = 0; k < N; ++k)
          dst[k] = out_.data + channels[k] * out_.channel_stride + l.dst0 + r * l.dst_stride;
        std::array<const float*, M> row{};
        for (std::size_t m = 0; m < M; ++m) row[m] = src[m] + l.src_row0 + r * l.src_stride;
        fn(dst, row, l.n);
      }
    };
  }

  void add(const Selected& op) {
    const int ch = op.first_channel + c_ * op.components;
    const bool three_d = g_.three_d();
    const Kernel& g0 = sp_.g[0];
    const Kernel& g1 = sp_.g[1];
    const Kernel& g2 = sp_.g[2];
    using Dst1 = std::array<float*, 1>;
    switch (op.kind) {
      case FeatureKind::GaussianSmoothing:
        emitters_.push_back(rows<1, 1>({ch}, {sep(g0, g0, g0)}, [](Dst1 d, std::array<const float*, 1> a, std::int64_t n) {
          std::memcpy(d[0], a[0], static_cast<std::size_t>(n) * sizeof(float));
        }));
        break;
      case FeatureKind::LaplacianOfGaussian:
        if (three_d)
          emitters_.push_back(rows<1, 3>({ch}, {sep(g2, g0, g0), sep(g0, g2, g0), sep(g0, g0, g2)},
                                         [](Dst1 d, std::array<const float*, 3> a, std::int64_t n) {
                                           features::add_rows(a[0], a[1], a[2], n, d[0]);
                                         }));
        else
          emitters_.push_back(rows<1, 2>({ch}, {sep(g2, g0, g0), sep(g0, g2, g0)},
                                         [](Dst1 d, std::array<const float*, 2> a, std::int64_t n) {
                                           features::add_rows(a[0], a[1], n, d[0]);
                                         }));
        break;
      case FeatureKind::GaussianGradientMagnitude:
        if (three_d)
          emitters_.push_back(rows<1, 3>({ch}, {sep(g1, g0, g0), sep(g0, g1, g0), sep(g0, g0, g1)},
                                         [](Dst1 d, std::array<const float*, 3> a, std::int64_t n) {
                                           features::magnitude_rows(a[0], a[1], a[2], n, d[0]);
                                         }));
        else
          emitters_.push_back(rows<1, 2>({ch}, {sep(g1, g0, g0), sep(g0, g1, g0)},
                                         [](Dst1 d, std::array<const float*, 2> a, std::int64_t n) {
                                           features::magnitude_rows(a[0], a[1], n, d[0]);
                                         }));
        break;
      case FeatureKind::DifferenceOfGaussians: {
        const Kernel& dn = sp_.dog_narrow;
        emitters_.push_back(rows<1, 2>({ch}, {sep(g0, g0, g0), sep(dn, dn, dn)},
                                       [](Dst1 d, std::array<const float*, 2> a, std::int64_t n) {
                                         features::subtract_rows(a[0], a[1], n, d[0]);
                                       }));
        break;
      }
      case FeatureKind::StructureTensorEigenvalues: {
        // Gradient at σ/2, tensor averaged at σ: what ilastik's call of its filter library
        // computes (§2.5.5), not the textbook meaning of its arguments.
        const Kernel& s0 = sp_.st_grad[0];
        const Kernel& s1 = sp_.st_grad[1];
        SliceNode* gx = sep(s1, s0, s0);
        SliceNode* gy = sep(s0, s1, s0);
        auto tensor = [&](SliceNode* a, SliceNode* b) { return g_.separable(g_.product(a, b), g0, g0, g0); };
        if (three_d) {
          SliceNode* gz = sep(s0, s0, s1);
          add_eigen3(ch, {tensor(gz, gz), tensor(gy, gz), tensor(gx, gz), tensor(gy, gy), tensor(gx, gy), tensor(gx, gx)});
        } else {
          add_eigen2(ch, tensor(gx, gx), tensor(gx, gy), tensor(gy, gy));
        }
        break;
      }
      case FeatureKind::HessianOfGaussianEigenvalues:
        if (three_d)
          add_eigen3(ch, {sep(g0, g0, g2), sep(g0, g1, g1), sep(g1, g0, g1), sep(g0, g2, g0), sep(g1, g1, g0),
                          sep(g2, g0, g0)});
        else
          add_eigen2(ch, sep(g2, g0, g0), sep(g1, g1, g0), sep(g0, g2, g0));
        break;
    }
  }

  void add_eigen2(int ch, SliceNode* xx, SliceNode* xy, SliceNode* yy) {
    emitters_.push_back(rows<2, 3>({ch, ch + 1}, {xx, xy, yy},
                                   [](std::array<float*, 2> d, std::array<const float*, 3> a, std::int64_t n) {
                                     features::eigenvalues_2d(a[0], a[1], a[2], n, d[0], d[1]);
                                   }));
  }

  /// Entries in the order zz, yz, xz, yy, xy, xx.
  void add_eigen3(int ch, std::array<SliceNode*, 6> t) {
    emitters_.push_back(rows<3, 6>({ch, ch + 1, ch + 2}, t,
                                   [](std::array<float*, 3> d, std::array<const float*, 6> a, std::int64_t n) {
                                     features::eigenvalues_3d({a[0], a[1], a[2], a[3], a[4], a[5]}, n, d[0], d[1], d[2]);
                                   }));
  }

  const ScalePlan& sp_;
  SliceGraph& g_;
  const FeatureOutput& out_;
  int c_;
  SliceNode* p_ = nullptr;
  std::vector<Emitter> emitters_;
  std::vector<SliceNode*> outputs_;
};

// One scale for one input channel of one block.
struct ScaleTask {
  const ScalePlan& sp;
  int channel;
  const Box& block;
  Box image;
  const FeatureOutput& out;
  Box frame;       ///< block + operator halo (clipped): where P is needed
  Box source_box;  ///< frame + presmoothing radius (clipped): what P is computed from
  ConstView source;
};

// 2-D scales: each z-slice on its own, streaming rows along y through the whole filter bank
// (presmoothing included).
void compute_scale_2d(const ScaleTask& t) {
  const Extent fo = offset_in(t.frame, t.source_box);
  const Extent fn = extent_of(t.frame);
  const Extent bo = offset_in(t.block, t.frame);
  const Extent bn = extent_of(t.block);
  SliceLayout l;
  l.n = bn.x;
  l.src_row0 = bo.x;
  for (std::int64_t z = 0; z < bn.z; ++z) {
    ConstView plane = features::crop(t.source, Extent{z + (t.block.begin[0] - t.source_box.begin[0]), 0, 0},
                                     Extent{1, t.source.n.y, t.source.n.x});
    SliceGraph graph(plane, false, Extent{0, fo.y, fo.x}, Extent{1, fn.y, fn.x},
                     features::RowPlacement{t.source_box.begin[2], t.image.extent(2)});
    ScaleBank bank(t.sp, graph, t.out, t.channel, false);
    bank.finalize(0, 1);
    for (std::int64_t j = 0; j < bn.y; ++j) {
      l.dst0 = z * t.out.z_stride + j * t.out.y_stride;
      bank.emit(bo.y + j, l);
    }
  }
}

// 3-D scales: P over the whole frame by three volume passes (large kernels run once per voxel,
// not once per tile), then the feature bank streams along z over small xy tiles of P so its
// rings of planes stay in cache.
void compute_scale_3d(const ScaleTask& t) {
  const Kernel& pre = t.sp.pre;
  const Extent fo = offset_in(t.frame, t.source_box);
  const Extent fn = extent_of(t.frame);
  Volume px = features::convolve(t.source, Axis::x, pre, fo.x, fn.x, true,
                                 features::RowPlacement{t.source_box.begin[2], t.image.extent(2)});
  Volume pxy = features::convolve(px, Axis::y, pre, fo.y, fn.y, true);
  px = Volume();
  const Volume p = features::convolve(pxy, Axis::z, pre, fo.z, fn.z, true);
  pxy = Volume();

  const Box& block = t.block;
  const Box& frame = t.frame;
  const std::int64_t bz0 = block.begin[0] - frame.begin[0];
  const auto tiles = block_grid(Box{{0, block.begin[1], block.begin[2]}, {1, block.end[1], block.end[2]}},
                                {1, kTileY, kTileX});
  parallel_for(tiles.size(), [&](std::size_t ti) {
    const Box& tile = tiles[ti];
    // The tile's frame within F: the tile plus the operator halo, clipped to F.
    const std::int64_t y0 = std::max(tile.begin[1] - kOperatorHalo, frame.begin[1]);
    const std::int64_t y1 = std::min(tile.end[1] + kOperatorHalo, frame.end[1]);
    const std::int64_t x0 = std::max(tile.begin[2] - kOperatorHalo, frame.begin[2]);
    const std::int64_t x1 = std::min(tile.end[2] + kOperatorHalo, frame.end[2]);
    const Extent tn{fn.z, y1 - y0, x1 - x0};
    const ConstView tile_p = features::crop(p.view(), Extent{0, y0 - frame.begin[1], x0 - frame.begin[2]}, tn);
    SliceGraph graph(tile_p, true, Extent{0, 0, 0}, tn, features::RowPlacement{x0, t.image.extent(2)});
    ScaleBank bank(t.sp, graph, t.out, t.channel, true);
    bank.finalize(tile.begin[1] - y0, tile.end[1] - y0);
    SliceLayout l;
    l.n = tile.extent(2);
    l.rows = tile.extent(1);
    l.src_row0 = (tile.begin[1] - y0) * tn.x + (tile.begin[2] - x0);
    l.src_stride = tn.x;
    l.dst_stride = t.out.y_stride;
    for (std::int64_t j = 0; j < block.extent(0); ++j) {
      l.dst0 = j * t.out.z_stride + (tile.begin[1] - block.begin[1]) * t.out.y_stride + (tile.begin[2] - block.begin[2]);
      bank.emit(bz0 + j, l);
    }
  });
}

}  // namespace

FeatureOutput FeatureOutput::planar(float* data, const Box& box) {
  return {data, box.volume(), box.extent(1) * box.extent(2), box.extent(2)};
}

void FeatureEngine::compute(const PlanarBlock& input, const Box& block, PlanarBlock& out) const {
  out.reset(block, static_cast<int>(plan_->channels.size()));
  compute(input, block, FeatureOutput::planar(out.data.data(), block));
}

void FeatureEngine::compute(const PlanarBlock& input, const Box& block, const FeatureOutput& out) const {
  const Plan& plan = *plan_;
  if (!image_box().contains(block) || block.volume() <= 0)
    throw Error(ErrorKind::Internal, "feature block lies outside the image");
  if (!(input.box == input_box(block)) || input.channels != plan.image.channels ||
      static_cast<std::int64_t>(input.data.size()) != input.box.volume() * input.channels)
    throw Error(ErrorKind::Internal, "feature input does not cover the block plus halo");

  const std::size_t n_channels = static_cast<std::size_t>(plan.image.channels);
  const Extent in_extent = extent_of(input.box);
  parallel_for(plan.scales.size() * n_channels, [&](std::size_t task) {
    const ScalePlan& sp = plan.scales[task / n_channels];
    const int c = static_cast<int>(task % n_channels);
    const bool three_d = !sp.in_2d;
    const Box frame = block.grown({three_d ? kOperatorHalo : 0, kOperatorHalo, kOperatorHalo}, image_box());
    const std::int64_t r = sp.pre_radius;
    const Box source_box = frame.grown({three_d ? r : 0, r, r}, image_box());
    const ConstView whole{input.channel(c), in_extent, in_extent.y * in_extent.x, in_extent.x};
    const ScaleTask t{sp, c, block, image_box(), out, frame, source_box,
                      features::crop(whole, offset_in(source_box, input.box), extent_of(source_box))};
    if (three_d)
      compute_scale_3d(t);
    else
      compute_scale_2d(t);
  });
}

void check_feature_names(const std::vector<FeatureChannel>& channels, const std::vector<std::string>& stored,
                         bool ignore_in_2d) {
  auto strip_2d = [](std::string s) {
    auto pos = s.find(" in 2D");
    if (pos != std::string::npos) s.erase(pos, 6);
    return s;
  };
  const std::size_t n = std::min(channels.size(), stored.size());
  for (std::size_t i = 0; i < n; ++i)
    if (channels[i].name != stored[i] && !(ignore_in_2d && strip_2d(channels[i].name) == strip_2d(stored[i])))
      throw Error(ErrorKind::Format,
                  fmt::format("feature channel {} is '{}' in the project's feature selection but the stored "
                              "classifier was trained with '{}' there",
                              i, channels[i].name, stored[i]));
  if (channels.size() != stored.size())
    throw Error(ErrorKind::Format,
                fmt::format("the project's feature selection gives {} channels but the stored classifier was "
                            "trained on {}",
                            channels.size(), stored.size()));
}

}  // namespace ilpkit
