// SPDX-License-Identifier: MIT
// Channel order and names: features-and-forest.md §2.8, checked against names ilastik stored.
#include <gtest/gtest.h>

#include "ilpkit/error.hpp"
#include "ilpkit/features.hpp"

using namespace ilpkit;

namespace {
FeatureSelection selection(std::vector<std::vector<bool>> m, std::vector<bool> in2d = {}) {
  FeatureSelection s;
  s.ids = default_feature_ids();
  s.scales = default_scales();
  s.matrix = std::move(m);
  if (!in2d.empty()) {
    s.compute_in_2d = std::move(in2d);
    s.compute_in_2d_stored = true;
  }
  return s;
}
std::vector<bool> row(std::initializer_list<int> cols) {
  std::vector<bool> r(7, false);
  for (int c : cols) r[static_cast<std::size_t>(c)] = true;
  return r;
}
}  // namespace

TEST(PythonFloatStr, MatchesPythonStr) {
  EXPECT_EQ(python_float_str(0.3), "0.3");
  EXPECT_EQ(python_float_str(1.0), "1.0");
  EXPECT_EQ(python_float_str(1.6), "1.6");
  EXPECT_EQ(python_float_str(10.0), "10.0");
  EXPECT_EQ(python_float_str(15.0), "15.0");
  EXPECT_EQ(python_float_str(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(python_float_str(1e-5), "1e-05");
  EXPECT_EQ(python_float_str(1e16), "1e+16");
  EXPECT_EQ(python_float_str(123456.5), "123456.5");
  EXPECT_EQ(python_float_str(0.0001), "0.0001");
}

TEST(FeatureChannels, NamesOfCorpusCaseC01) {
  // ../shared/corpus/ilastik/c01*/meta.json feature_channel_names, a 2-D gray image.
  auto s = selection({row({0, 2, 4}), row({2, 4}), row({2, 4}), row({3}), row({3}), row({2, 4})},
                     std::vector<bool>(7, true));
  ImageGeometry g{1, 1, 303, 384};
  auto ch = feature_channels(s, g);
  std::vector<std::string> names;
  for (const auto& c : ch) names.push_back(c.name);
  std::vector<std::string> expected{
      "Gaussian Smoothing (σ=0.3) in 2D", "Gaussian Smoothing (σ=1.0) in 2D", "Gaussian Smoothing (σ=3.5) in 2D",
      "Laplacian of Gaussian (σ=1.0) in 2D", "Laplacian of Gaussian (σ=3.5) in 2D",
      "Gaussian Gradient Magnitude (σ=1.0) in 2D", "Gaussian Gradient Magnitude (σ=3.5) in 2D",
      "Difference of Gaussians (σ=1.6) in 2D", "Structure Tensor Eigenvalues (σ=1.6) in 2D [0]",
      "Structure Tensor Eigenvalues (σ=1.6) in 2D [1]", "Hessian of Gaussian Eigenvalues (σ=1.0) in 2D [0]",
      "Hessian of Gaussian Eigenvalues (σ=1.0) in 2D [1]", "Hessian of Gaussian Eigenvalues (σ=3.5) in 2D [0]",
      "Hessian of Gaussian Eigenvalues (σ=3.5) in 2D [1]"};
  EXPECT_EQ(names, expected);
}

TEST(FeatureChannels, DefaultSetCounts) {
  std::vector<std::vector<bool>> all(6, row({1, 2, 3, 4, 5, 6}));
  all[0][0] = true;
  auto s = selection(all);
  EXPECT_EQ(feature_channels(s, ImageGeometry{1, 1, 100, 100}).size(), 49u);   // pc.ilp: 49 columns
  EXPECT_EQ(feature_channels(s, ImageGeometry{1, 50, 100, 100}).size(), 61u);  // 3-D default set
  EXPECT_EQ(feature_channels(s, ImageGeometry{4, 1, 100, 100}).size(), 196u);  // 4-channel input
}

TEST(FeatureChannels, MultiChannelIndexRunsOverChannelsTimesComponents) {
  auto s = selection({row({}), row({}), row({}), row({}), row({}), row({2})}, std::vector<bool>(7, false));
  auto ch = feature_channels(s, ImageGeometry{2, 10, 20, 30});
  ASSERT_EQ(ch.size(), 6u);
  EXPECT_EQ(ch[4].name, "Hessian of Gaussian Eigenvalues (σ=1.0) [4]");
  EXPECT_EQ(ch[4].input_channel, 1);
  EXPECT_EQ(ch[4].component, 1);
}

TEST(FeatureChannels, ComputeIn2dDefaultsFromZExtent) {
  auto s = selection({row({0}), row({}), row({}), row({}), row({}), row({})});
  EXPECT_EQ(feature_channels(s, ImageGeometry{1, 1, 10, 10})[0].name, "Gaussian Smoothing (σ=0.3) in 2D");
  EXPECT_EQ(feature_channels(s, ImageGeometry{1, 5, 10, 10})[0].name, "Gaussian Smoothing (σ=0.3)");
}

TEST(FeatureChannels, UnknownIdAndBadMatrixAreErrors) {
  auto s = selection({row({0}), row({}), row({}), row({}), row({}), row({})});
  s.ids[0] = "Sharpness";
  EXPECT_THROW(feature_channels(s, ImageGeometry{}), Error);
  auto t = selection({row({0})});
  EXPECT_THROW(feature_channels(t, ImageGeometry{}), Error);
}
