// SPDX-License-Identifier: MIT
// The feature engine against the float64 brute-force reference on small random images (every
// feature, scales from the degenerate 0.3 to 5.0, 2-D, 3-D, mixed ComputeIn2d, two channels,
// blocks whose borders fall everywhere), and its invariance to block shape and thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "ilpkit/error.hpp"
#include "ilpkit/feature_engine.hpp"
#include "ilpkit/parallel.hpp"
#include "memory_image.hpp"
#include "reference_features.hpp"

using namespace ilpkit;

namespace {

FeatureSelection all_features(std::vector<double> scales, std::vector<bool> in_2d = {}) {
  FeatureSelection s;
  s.ids = default_feature_ids();
  s.scales = std::move(scales);
  s.matrix.assign(s.ids.size(), std::vector<bool>(s.scales.size(), true));
  if (!in_2d.empty()) {
    s.compute_in_2d = std::move(in_2d);
    s.compute_in_2d_stored = true;
  }
  return s;
}

struct Case {
  std::string axes;
  Shape shape;
  int channels;
  std::int64_t z, y, x;
};

// Engine vs reference with tolerances for float32 arithmetic against exact values (5-10× tighter
// than the spec's tolerances against ilastik): linear features 2e-6 of the input range,
// structure tensor 2e-6 of its square, 3-D eigenvalues 2e-6 of the per-pixel tensor plus 1e-6
// of the range (or its square).
void compare_with_reference(const FeatureSelection& sel, const test::MemoryImage& img,
                            std::array<std::int64_t, 3> block_shape) {
  const auto g = img.info().geometry();
  FeatureEngine engine(sel, g);
  PlanarBlock ours = test::compute_stitched(img, engine, block_shape);
  PlanarBlock whole;
  Box box;
  box.end = {g.z, g.y, g.x};
  img.read(0, box, whole);
  auto ref = test::reference_features(sel, g, std::vector<double>(whole.data.begin(), whole.data.end()),
                                      test::ReferenceMode::Direct);
  const auto& channels = engine.channels();
  ASSERT_EQ(ref.channels.size(), channels.size());
  const double range = 255;
  for (std::size_t c = 0; c < channels.size(); ++c) {
    const auto& ch = channels[c];
    const bool st = ch.feature_id == "StructureTensorEigenvalues";
    const bool eigen3d = !ch.in_2d && (st || ch.feature_id == "HessianOfGaussianEigenvalues");
    double worst = 0;
    for (std::int64_t i = 0; i < ours.plane_size(); ++i) {
      const double r = ref.channels[c][static_cast<std::size_t>(i)];
      const double o = ours.channel(static_cast<int>(c))[i];
      double tol = eigen3d ? 2e-6 * ref.tensor_max[c][static_cast<std::size_t>(i)] + (st ? 1e-6 * range * range : 1e-6 * range)
                           : (st ? 2e-6 * range * range : 2e-6 * range) + 2e-6 * std::fabs(r);
      worst = std::max(worst, std::fabs(o - r) / tol);
      ASSERT_LE(std::fabs(o - r), tol) << ch.name << " pixel " << i << ": engine " << o << ", reference " << r;
    }
    ::testing::Test::RecordProperty(ch.name, std::to_string(worst));
  }
}

}  // namespace

TEST(FeatureEngine, TwoDimensionalMatchesBruteForce) {
  // 2 channels, every feature at 0.3 (degenerate structure tensor), 0.7, 1.0, 1.6, 3.5, 5.0.
  const std::int64_t Y = 38, X = 41;
  test::MemoryImage img("yxc", {Y, X, 2}, test::texture(static_cast<std::size_t>(Y * X * 2), 7, X * 2));
  compare_with_reference(all_features({0.3, 0.7, 1.0, 1.6, 3.5, 5.0}), img, {1, 13, 17});
}

TEST(FeatureEngine, ThreeDimensionalMatchesBruteForce) {
  const std::int64_t Z = 15, Y = 17, X = 19;
  test::MemoryImage img("zyx", {Z, Y, X}, test::texture(static_cast<std::size_t>(Z * Y * X), 11, X));
  compare_with_reference(all_features({0.3, 0.7, 1.0, 1.6}), img, {6, 7, 8});
}

TEST(FeatureEngine, MixedComputeIn2dMatchesBruteForce) {
  const std::int64_t Z = 9, Y = 20, X = 22;
  test::MemoryImage img("zyx", {Z, Y, X}, test::texture(static_cast<std::size_t>(Z * Y * X), 3, X));
  compare_with_reference(all_features({0.7, 1.6, 3.5}, {false, true, true}), img, {4, 9, 10});
}

TEST(FeatureEngine, BlockShapeAndThreadCountDoNotChangeOneBit) {
  const std::int64_t Z = 12, Y = 45, X = 50;
  test::MemoryImage img("zyxc", {Z, Y, X, 2}, test::texture(static_cast<std::size_t>(Z * Y * X * 2), 5, X * 2));
  auto sel = all_features({0.3, 1.0, 3.5}, {false, false, true});
  FeatureEngine engine(sel, img.info().geometry());
  PlanarBlock whole = test::compute_stitched(img, engine, {Z, Y, X}, 0, 1);
  for (std::array<std::int64_t, 3> shape : {std::array<std::int64_t, 3>{1, 45, 50}, {5, 7, 11}, {12, 1, 50},
                                          {3, 45, 1}, {12, 16, 16}}) {
    for (int threads : {1, 2, 3}) {
      PlanarBlock b = test::compute_stitched(img, engine, shape, 0, threads);
      ASSERT_EQ(b.data.size(), whole.data.size());
      EXPECT_EQ(std::memcmp(b.data.data(), whole.data.data(), whole.data.size() * sizeof(float)), 0)
          << "block " << shape[0] << "x" << shape[1] << "x" << shape[2] << ", " << threads << " threads";
    }
  }
}

TEST(FeatureEngine, TimePointsAreIndependent) {
  const std::int64_t T = 3, Y = 24, X = 26;
  auto data = test::texture(static_cast<std::size_t>(T * Y * X), 9, X);
  test::MemoryImage series("tyx", {T, Y, X}, data);
  FeatureSelection sel = all_features({0.7, 1.6});
  FeatureEngine engine(sel, series.info().geometry());
  for (std::int64_t t = 0; t < T; ++t) {
    std::vector<float> frame(data.begin() + t * Y * X, data.begin() + (t + 1) * Y * X);
    test::MemoryImage single("yx", {Y, X}, frame);
    PlanarBlock a = test::compute_stitched(series, engine, {1, 10, 10}, t);
    PlanarBlock b = test::compute_stitched(single, engine, {1, 10, 10});
    EXPECT_EQ(a.data, b.data) << "t = " << t;
  }
}

TEST(FeatureEngine, StructureTensorBelowHalfDegeneratesLikeIlastik) {
  // σ = 0.3: the gradient kernels are 0/0 and copy, so ST = (2·G(P²), 0) (§2.5.5).
  const std::int64_t Y = 20, X = 21;
  test::MemoryImage img("yx", {Y, X}, test::texture(static_cast<std::size_t>(Y * X), 1, X));
  FeatureSelection sel;
  sel.ids = {"StructureTensorEigenvalues"};
  sel.scales = {0.3};
  sel.matrix = {{true}};
  FeatureEngine engine(sel, img.info().geometry());
  PlanarBlock f = test::compute_stitched(img, engine);
  for (std::int64_t i = 0; i < f.plane_size(); ++i) {
    EXPECT_EQ(f.channel(1)[i], 0.0f);
    EXPECT_GT(f.channel(0)[i], 0.0f);
  }
}

TEST(FeatureEngine, RefusesScalesTooLargeForTheImage) {
  ImageGeometry g;
  g.y = 40;
  g.x = 30;
  try {
    FeatureEngine engine(all_features({10.0}), g);
    FAIL() << "expected a refusal";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
    EXPECT_NE(std::string(e.what()).find("needs at least 36 pixels along x, the image has 30"), std::string::npos)
        << e.what();
  }
  g.z = 8;  // 3-D scale 3.5 needs 14 along z; in 2-D it fits
  EXPECT_THROW(FeatureEngine(all_features({3.5}, {false}), g), Error);
  EXPECT_NO_THROW(FeatureEngine(all_features({3.5}, {true}), g));
}

TEST(FeatureEngine, FeatureNameMismatchNamesTheChannel) {
  ImageGeometry g;
  g.y = g.x = 64;
  FeatureEngine engine(all_features({1.0}), g);
  std::vector<std::string> names;
  for (const auto& ch : engine.channels()) names.push_back(ch.name);
  EXPECT_NO_THROW(check_feature_names(engine.channels(), names));
  std::swap(names[1], names[2]);
  try {
    check_feature_names(engine.channels(), names);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("feature channel 1 is 'Laplacian of Gaussian (σ=1.0) in 2D'"),
              std::string::npos)
        << e.what();
  }
  names.pop_back();
  EXPECT_THROW(check_feature_names(engine.channels(), names), Error);
}
