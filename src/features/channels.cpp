// SPDX-License-Identifier: MIT
// Mirrors: lazyflow opPixelFeaturesPresmoothed.py (setupOutputs: channel names and count),
// filterOperators.py (OpBaseFilter._n_per_space_axis, display names).
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "ilpkit/features.hpp"

namespace ilpkit {

namespace {

struct FeatureRow {
  FeatureKind kind;
  const char* id;
  const char* display;
  bool eigen;
};

constexpr FeatureRow kFeatures[] = {
    {FeatureKind::GaussianSmoothing, "GaussianSmoothing", "Gaussian Smoothing", false},
    {FeatureKind::LaplacianOfGaussian, "LaplacianOfGaussian", "Laplacian of Gaussian", false},
    {FeatureKind::GaussianGradientMagnitude, "GaussianGradientMagnitude", "Gaussian Gradient Magnitude", false},
    {FeatureKind::DifferenceOfGaussians, "DifferenceOfGaussians", "Difference of Gaussians", false},
    {FeatureKind::StructureTensorEigenvalues, "StructureTensorEigenvalues", "Structure Tensor Eigenvalues", true},
    {FeatureKind::HessianOfGaussianEigenvalues, "HessianOfGaussianEigenvalues", "Hessian of Gaussian Eigenvalues", true},
};

const FeatureRow& row(FeatureKind kind) {
  for (const auto& r : kFeatures)
    if (r.kind == kind) return r;
  return kFeatures[0];
}

}  // namespace

FeatureKind feature_kind(std::string_view id) {
  for (const auto& r : kFeatures)
    if (id == r.id) return r.kind;
  throw Error(ErrorKind::Format, fmt::format("unknown feature id '{}'", id));
}

const char* feature_id(FeatureKind kind) noexcept { return row(kind).id; }
const char* display_name(FeatureKind kind) noexcept { return row(kind).display; }
bool is_eigenvalue_feature(FeatureKind kind) noexcept { return row(kind).eigen; }

const std::vector<std::string>& default_feature_ids() {
  static const std::vector<std::string> ids = [] {
    std::vector<std::string> out;
    for (const auto& r : kFeatures) out.emplace_back(r.id);
    return out;
  }();
  return ids;
}

const std::vector<double>& default_scales() {
  static const std::vector<double> scales{0.3, 0.7, 1.0, 1.6, 3.5, 5.0, 10.0};
  return scales;
}

ImageGeometry ImageGeometry::from_internal(std::string_view axes, const Shape& shape) {
  ImageGeometry g;
  g.y = g.x = 1;
  for (std::size_t i = 0; i < axes.size() && i < shape.size(); ++i) {
    switch (axes[i]) {
      case 'c': g.channels = static_cast<int>(shape[i]); break;
      case 'z': g.z = shape[i]; break;
      case 'y': g.y = shape[i]; break;
      case 'x': g.x = shape[i]; break;
      default: break;
    }
  }
  return g;
}

std::vector<bool> effective_compute_in_2d(const FeatureSelection& sel, const ImageGeometry& image) {
  if (sel.compute_in_2d_stored && sel.compute_in_2d.size() == sel.scales.size()) return sel.compute_in_2d;
  return std::vector<bool>(sel.scales.size(), image.z == 1);
}

std::vector<FeatureChannel> feature_channels(const FeatureSelection& sel, const ImageGeometry& image) {
  if (sel.matrix.size() != sel.ids.size())
    throw Error(ErrorKind::Format, fmt::format("SelectionMatrix has {} rows for {} FeatureIds",
                                               sel.matrix.size(), sel.ids.size()));
  auto in_2d = effective_compute_in_2d(sel, image);
  // Eigenvalue count: spatial axes of extent > 1 among yx (2-D) or zyx (3-D processing).
  int yx = (image.y > 1) + (image.x > 1);
  int zyx = yx + (image.z > 1);
  std::vector<FeatureChannel> out;
  for (std::size_t i = 0; i < sel.ids.size(); ++i) {
    if (sel.matrix[i].size() != sel.scales.size())
      throw Error(ErrorKind::Format, fmt::format("SelectionMatrix row {} has {} columns for {} Scales", i,
                                                 sel.matrix[i].size(), sel.scales.size()));
    FeatureKind kind = feature_kind(sel.ids[i]);
    for (std::size_t j = 0; j < sel.scales.size(); ++j) {
      if (!sel.matrix[i][j]) continue;
      int components = is_eigenvalue_feature(kind) ? (in_2d[j] ? yx : zyx) : 1;
      int total = components * image.channels;
      std::string base = fmt::format("{} (σ={}){}", display_name(kind), python_float_str(sel.scales[j]),
                                     in_2d[j] ? " in 2D" : "");
      for (int c = 0; c < image.channels; ++c) {
        for (int e = 0; e < components; ++e) {
          FeatureChannel ch;
          ch.feature_id = sel.ids[i];
          ch.scale = sel.scales[j];
          ch.in_2d = in_2d[j];
          ch.input_channel = c;
          ch.component = e;
          ch.name = total > 1 ? fmt::format("{} [{}]", base, c * components + e) : base;
          out.push_back(std::move(ch));
        }
      }
    }
  }
  return out;
}

std::string python_float_str(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  // Shortest digits that round-trip (Python's repr), then Python's layout rules.
  char buf[64];
  int precision = 1;
  for (; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*e", precision - 1, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  std::string s(buf);
  auto epos = s.find('e');
  std::string mantissa = s.substr(0, epos);
  int exponent = std::atoi(s.c_str() + epos + 1);
  bool negative = mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  std::string digits;
  for (char ch : mantissa)
    if (ch != '.') digits += ch;
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out;
  if (exponent < -4 || exponent >= 16) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += fmt::format("e{}{:02d}", exponent < 0 ? '-' : '+', std::abs(exponent));
  } else if (exponent < 0) {
    out = "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
  } else {
    auto int_len = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= int_len) {
      out = digits + std::string(int_len - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, int_len) + "." + digits.substr(int_len);
    }
  }
  return negative ? "-" + out : out;
}

bool FeatureSelection::empty() const { return selected_count() == 0; }

std::size_t FeatureSelection::selected_count() const {
  std::size_t n = 0;
  for (const auto& r : matrix)
    for (bool b : r) n += b;
  return n;
}

}  // namespace ilpkit
