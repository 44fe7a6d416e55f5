// SPDX-License-Identifier: MIT
// Mirrors: lazyflow opPixelFeaturesPresmoothed.py (per-scale presmoothing, operator sigmas,
// channel order, size check), filterOperators.py (the six operators), fastfilters' filter
// definitions as features-and-forest.md §2.2-2.9 describes them.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "convolve.hpp"
#include "eigen.hpp"
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

bool Box::contains(const Box& o) const {
  for (std::size_t a = 0; a < 3; ++a)
    if (o.begin[a] < begin[a] || o.end[a] > end[a]) return false;
  return true;
}

Box Box::grown(const std::array<std::int64_t, 3>& halo, const Box& clip) const {
  Box out;
  for (std::size_t a = 0; a < 3; ++a) {
    out.begin[a] = std::max(begin[a] - halo[a], clip.begin[a]);
    out.end[a] = std::min(end[a] + halo[a], clip.end[a]);
  }
  return out;
}

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
  (void)next;

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

// Separable filtering of one presmoothed volume P with results shared between features: the x
// pass for a kernel and the y pass on top of it are computed once per scale.
class Separable {
 public:
  Separable(const Volume& p, bool in_2d) : p_(p), in_2d_(in_2d) {}

  /// K_x K_y [K_z] P over the whole frame, passes in the order x, y, z.
  const Volume& apply(const Kernel& kx, const Kernel& ky, const Kernel& kz) {
    const Volume& xy = xy_pass(kx, ky);
    if (in_2d_) return xy;
    auto key = std::make_tuple(&kx, &ky, &kz);
    auto it = xyz_.find(key);
    if (it == xyz_.end())
      it = xyz_.emplace(key, features::convolve(xy, Axis::z, kz, 0, xy.extent().z)).first;
    return it->second;
  }

 private:
  const Volume& xy_pass(const Kernel& kx, const Kernel& ky) {
    auto key = std::make_pair(&kx, &ky);
    auto it = xy_.find(key);
    if (it != xy_.end()) return it->second;
    auto xit = x_.find(&kx);
    if (xit == x_.end()) xit = x_.emplace(&kx, features::convolve(p_, Axis::x, kx, 0, p_.extent().x)).first;
    return xy_.emplace(key, features::convolve(xit->second, Axis::y, ky, 0, p_.extent().y)).first->second;
  }

  const Volume& p_;
  bool in_2d_;
  std::map<const Kernel*, Volume> x_;
  std::map<std::pair<const Kernel*, const Kernel*>, Volume> xy_;
  std::map<std::tuple<const Kernel*, const Kernel*, const Kernel*>, Volume> xyz_;
};

// Rows of the block inside a frame volume, handed to `fn(frame row, output row offset)`.
template <class Fn>
void for_block_rows(const Extent& frame, const Extent& off, const Extent& block, Fn&& fn) {
  for (std::int64_t z = 0; z < block.z; ++z)
    for (std::int64_t y = 0; y < block.y; ++y)
      fn(((z + off.z) * frame.y + (y + off.y)) * frame.x + off.x, (z * block.y + y) * block.x);
}

struct Output {
  PlanarBlock* block;
  Extent frame;   ///< extent of the per-scale filter frame
  Extent offset;  ///< block offset inside the frame
  Extent n;       ///< block extent
  float* plane(int channel) const { return block->channel(channel); }
};

Volume smooth(const ConstView& v, const Kernel& k, bool three_d) {
  Volume x = features::convolve(v, Axis::x, k, 0, v.n.x);
  Volume xy = features::convolve(x, Axis::y, k, 0, v.n.y);
  if (!three_d) return xy;
  return features::convolve(xy, Axis::z, k, 0, v.n.z);
}

template <class Fn>
void emit_rows(const Output& out, int ch, Fn&& fn) {
  float* dst = out.plane(ch);
  for_block_rows(out.frame, out.offset, out.n, [&](std::int64_t f, std::int64_t o) { fn(f, dst + o, out.n.x); });
}

void emit_eigen(const Output& out, int ch, bool three_d, const Volume& xx, const Volume& xy, const Volume& yy,
                const Volume* zz, const Volume* xz, const Volume* yz) {
  float* e0 = out.plane(ch);
  float* e1 = out.plane(ch + 1);
  float* e2 = three_d ? out.plane(ch + 2) : nullptr;
  for_block_rows(out.frame, out.offset, out.n, [&](std::int64_t f, std::int64_t o) {
    if (three_d)
      features::eigenvalues_3d({zz->data() + f, yz->data() + f, xz->data() + f, yy.data() + f, xy.data() + f,
                                xx.data() + f},
                               out.n.x, e0 + o, e1 + o, e2 + o);
    else
      features::eigenvalues_2d(xx.data() + f, xy.data() + f, yy.data() + f, out.n.x, e0 + o, e1 + o);
  });
}

Volume product(const Volume& a, const Volume& b) {
  Volume out(a.extent());
  const float* pa = a.data();
  const float* pb = b.data();
  float* po = out.data();
  const std::int64_t n = a.extent().size();
  for (std::int64_t i = 0; i < n; ++i) po[i] = pa[i] * pb[i];
  return out;
}

// The features of one scale for one input channel (§2.5), from the presmoothed frame P.
void compute_features(const ScalePlan& sp, const Volume& p, const Output& out, int input_channel) {
  const bool three_d = !sp.in_2d;
  Separable sep(p, sp.in_2d);
  const Kernel& g0 = sp.g[0];
  const Kernel& g1 = sp.g[1];
  const Kernel& g2 = sp.g[2];
  for (const Selected& op : sp.ops) {
    const int ch = op.first_channel + input_channel * op.components;
    switch (op.kind) {
      case FeatureKind::GaussianSmoothing: {
        const Volume& v = sep.apply(g0, g0, g0);
        emit_rows(out, ch, [&](std::int64_t f, float* dst, std::int64_t n) {
          std::memcpy(dst, v.data() + f, static_cast<std::size_t>(n) * sizeof(float));
        });
        break;
      }
      case FeatureKind::LaplacianOfGaussian: {
        const Volume& xx = sep.apply(g2, g0, g0);
        const Volume& yy = sep.apply(g0, g2, g0);
        const Volume* zz = three_d ? &sep.apply(g0, g0, g2) : nullptr;
        emit_rows(out, ch, [&](std::int64_t f, float* dst, std::int64_t n) {
          const float* a = xx.data() + f;
          const float* b = yy.data() + f;
          for (std::int64_t i = 0; i < n; ++i) dst[i] = a[i] + b[i];
          if (zz) {
            const float* c = zz->data() + f;
            for (std::int64_t i = 0; i < n; ++i) dst[i] = dst[i] + c[i];
          }
        });
        break;
      }
      case FeatureKind::GaussianGradientMagnitude: {
        const Volume& gx = sep.apply(g1, g0, g0);
        const Volume& gy = sep.apply(g0, g1, g0);
        const Volume* gz = three_d ? &sep.apply(g0, g0, g1) : nullptr;
        emit_rows(out, ch, [&](std::int64_t f, float* dst, std::int64_t n) {
          const float* a = gx.data() + f;
          const float* b = gy.data() + f;
          if (gz) {
            const float* c = gz->data() + f;
            for (std::int64_t i = 0; i < n; ++i) dst[i] = std::sqrt(a[i] * a[i] + b[i] * b[i] + c[i] * c[i]);
          } else {
            for (std::int64_t i = 0; i < n; ++i) dst[i] = std::sqrt(a[i] * a[i] + b[i] * b[i]);
          }
        });
        break;
      }
      case FeatureKind::DifferenceOfGaussians: {
        const Volume& wide = sep.apply(g0, g0, g0);
        const Kernel& dn = sp.dog_narrow;
        const Volume& narrow = sep.apply(dn, dn, dn);
        emit_rows(out, ch, [&](std::int64_t f, float* dst, std::int64_t n) {
          const float* a = wide.data() + f;
          const float* b = narrow.data() + f;
          for (std::int64_t i = 0; i < n; ++i) dst[i] = a[i] - b[i];
        });
        break;
      }
      case FeatureKind::StructureTensorEigenvalues: {
        // Gradient at σ/2, tensor averaged at σ: what ilastik's call of its filter library
        // computes (§2.5.5), not the textbook meaning of its arguments.
        const Kernel& s0 = sp.st_grad[0];
        const Kernel& s1 = sp.st_grad[1];
        const Volume& gx = sep.apply(s1, s0, s0);
        const Volume& gy = sep.apply(s0, s1, s0);
        Volume txx = smooth(product(gx, gx), g0, three_d);
        Volume txy = smooth(product(gx, gy), g0, three_d);
        Volume tyy = smooth(product(gy, gy), g0, three_d);
        if (three_d) {
          const Volume& gz = sep.apply(s0, s0, s1);
          Volume tzz = smooth(product(gz, gz), g0, true);
          Volume txz = smooth(product(gx, gz), g0, true);
          Volume tyz = smooth(product(gy, gz), g0, true);
          emit_eigen(out, ch, true, txx, txy, tyy, &tzz, &txz, &tyz);
        } else {
          emit_eigen(out, ch, false, txx, txy, tyy, nullptr, nullptr, nullptr);
        }
        break;
      }
      case FeatureKind::HessianOfGaussianEigenvalues: {
        const Volume& hxx = sep.apply(g2, g0, g0);
        const Volume& hxy = sep.apply(g1, g1, g0);
        const Volume& hyy = sep.apply(g0, g2, g0);
        if (three_d)
          emit_eigen(out, ch, true, hxx, hxy, hyy, &sep.apply(g0, g0, g2), &sep.apply(g1, g0, g1),
                     &sep.apply(g0, g1, g1));
        else
          emit_eigen(out, ch, false, hxx, hxy, hyy, nullptr, nullptr, nullptr);
        break;
      }
    }
  }
}

}  // namespace

void FeatureEngine::compute(const PlanarBlock& input, const Box& block, PlanarBlock& out) const {
  const Plan& plan = *plan_;
  if (!image_box().contains(block) || block.volume() <= 0)
    throw Error(ErrorKind::Internal, "feature block lies outside the image");
  if (!(input.box == input_box(block)) || input.channels != plan.image.channels ||
      static_cast<std::int64_t>(input.data.size()) != input.box.volume() * input.channels)
    throw Error(ErrorKind::Internal, "feature input does not cover the block plus halo");
  out.reset(block, static_cast<int>(plan.channels.size()));

  const std::size_t n_channels = static_cast<std::size_t>(plan.image.channels);
  const Extent in_extent = extent_of(input.box);
  parallel_for(plan.scales.size() * n_channels, [&](std::size_t task) {
    const ScalePlan& sp = plan.scales[task / n_channels];
    const int c = static_cast<int>(task % n_channels);
    const bool three_d = !sp.in_2d;
    const std::int64_t hz = three_d ? kOperatorHalo : 0;
    const Box frame = block.grown({hz, kOperatorHalo, kOperatorHalo}, image_box());
    const std::int64_t r = sp.pre_radius;
    const Box source_box = frame.grown({three_d ? r : 0, r, r}, image_box());

    ConstView whole{input.channel(c), in_extent, in_extent.y * in_extent.x, in_extent.x};
    ConstView source = features::crop(whole, offset_in(source_box, input.box), extent_of(source_box));
    const Extent fo = offset_in(frame, source_box);
    const Extent fn = extent_of(frame);
    // Presmoothing (§2.2), passes x, y, z, each keeping only what the frame needs.
    Volume px = features::convolve(source, Axis::x, sp.pre, fo.x, fn.x);
    Volume p = features::convolve(px, Axis::y, sp.pre, fo.y, fn.y);
    if (three_d) p = features::convolve(p, Axis::z, sp.pre, fo.z, fn.z);
    px = Volume();

    Output o{&out, fn, offset_in(block, frame), extent_of(block)};
    compute_features(sp, p, o, c);
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
