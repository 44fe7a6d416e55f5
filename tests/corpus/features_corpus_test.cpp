// SPDX-License-Identifier: MIT
// The feature engine against ilastik 1.4.2 / 1.3.3 exports: for every corpus case with a
// Features export, features computed from data/ equal out/*_features.h5 within the tolerances
// of features-and-forest.md §2.11/§5.4. Prints per channel the max absolute and relative error.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "corpus.hpp"
#include "ilpkit/feature_engine.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/image.hpp"
#include "ilpkit/pipeline.hpp"
#include "reference_features.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

PlanarBlock read_all(const ImageSource& src, std::int64_t t = 0) {
  const auto g = src.info().geometry();
  Box box;
  box.end = {g.z, g.y, g.x};
  PlanarBlock out;
  src.read(t, box, out);
  return out;
}

// Copies a block into the whole-image block that contains it.
void paste(const PlanarBlock& b, PlanarBlock& whole) {
  const auto& wb = whole.box;
  for (int c = 0; c < b.channels; ++c)
    for (std::int64_t z = b.box.begin[0]; z < b.box.end[0]; ++z)
      for (std::int64_t y = b.box.begin[1]; y < b.box.end[1]; ++y) {
        const float* src = b.channel(c) + ((z - b.box.begin[0]) * b.box.extent(1) + (y - b.box.begin[1])) * b.box.extent(2);
        float* dst = whole.channel(c) + ((z - wb.begin[0]) * wb.extent(1) + (y - wb.begin[1])) * wb.extent(2) +
                     (b.box.begin[2] - wb.begin[2]);
        std::copy(src, src + b.box.extent(2), dst);
      }
}

std::string last_token(const std::string& cmd) {
  std::istringstream in(cmd);
  std::string tok, last;
  while (in >> tok) last = tok;
  return last;
}

enum class Tolerance { Linear, Quadratic, Eigen3d };

Tolerance tolerance_class(const FeatureChannel& ch) {
  const bool eigen = ch.feature_id == "StructureTensorEigenvalues" || ch.feature_id == "HessianOfGaussianEigenvalues";
  if (eigen && !ch.in_2d) return Tolerance::Eigen3d;
  if (ch.feature_id == "StructureTensorEigenvalues") return Tolerance::Quadratic;
  return Tolerance::Linear;
}

}  // namespace

TEST(CorpusFeatures, MatchIlastikExportsWithinTolerance) {
  REQUIRE_CORPUS();
  auto cases = test::ilastik_cases();
  ASSERT_FALSE(cases.empty());
  int compared = 0;
  for (const auto& dir : cases) {
    json meta = json::parse(std::ifstream(dir / "meta.json"));
    Project project = read_project((dir / "project.ilp").string());
    for (const auto& exp : meta["exports"]) {
      if (exp["source"] != "Features") continue;
      SCOPED_TRACE(dir.filename().string() + " " + exp["file"].get<std::string>());
      auto input = open_image((dir / last_token(exp["cmd"].get<std::string>())).string());
      auto exported = open_image((dir / exp["file"].get<std::string>()).string());
      ASSERT_TRUE(project.features);
      FeatureEngine engine(*project.features, input->info().geometry());
      const auto& channels = engine.channels();
      ASSERT_EQ(channels.size(), meta["feature_channel_names"].size());
      for (std::size_t i = 0; i < channels.size(); ++i)
        EXPECT_EQ(channels[i].name, meta["feature_channel_names"][i].get<std::string>());
      if (project.classifier && project.classifier->feature_names) {
        EXPECT_NO_THROW(check_feature_names(channels, *project.classifier->feature_names));
      }

      PlanarBlock in = read_all(*input);
      float lo = in.data.empty() ? 0 : in.data[0], hi = lo;
      for (float v : in.data) lo = std::min(lo, v), hi = std::max(hi, v);
      const double range = static_cast<double>(hi) - lo;

      PlanarBlock ours;
      ours.reset(engine.image_box(), static_cast<int>(channels.size()));
      compute_features_blockwise(*input, engine, {}, [&](std::int64_t, const PlanarBlock& b) { paste(b, ours); });
      PlanarBlock ref = read_all(*exported);
      ASSERT_EQ(ref.channels, static_cast<int>(channels.size()));
      ASSERT_EQ(ref.data.size(), ours.data.size());
      const std::int64_t plane = ours.plane_size();
      // 3-D eigenvalue tolerances scale with the per-pixel tensor, taken from the float64 reference.
      test::ReferenceFeatures reference;
      bool eigen3d = false;
      for (const auto& ch : channels) eigen3d = eigen3d || tolerance_class(ch) == Tolerance::Eigen3d;
      if (eigen3d)
        reference = test::reference_features(*project.features, input->info().geometry(),
                                             std::vector<double>(in.data.begin(), in.data.end()),
                                             test::ReferenceMode::Separable);
      std::printf("%s (input range %.6g)\n", dir.filename().string().c_str(), range);
      for (std::size_t c = 0; c < channels.size(); ++c) {
        const Tolerance tol = tolerance_class(channels[c]);
        double max_abs = 0, max_rel = 0;
        std::int64_t bad = 0, ilastik_solver_error = 0;
        for (std::int64_t i = 0; i < plane; ++i) {
          const double r = ref.channel(static_cast<int>(c))[i];
          const double o = ours.channel(static_cast<int>(c))[i];
          const double d = std::fabs(o - r);
          double allowed = 0;
          switch (tol) {
            case Tolerance::Linear: allowed = 1e-5 * range + 1e-5 * std::fabs(r); break;
            case Tolerance::Quadratic: allowed = 1e-5 * range * range + 1e-5 * std::fabs(r); break;
            case Tolerance::Eigen3d: {
              const double tmax = reference.tensor_max[c][static_cast<std::size_t>(i)];
              allowed = 5e-4 * tmax;
              // Near repeated eigenvalues ilastik's float32 closed form loses up to ~1e-3·|T|
              // (sqrt of a cancelled discriminant). Accept such a pixel only when we hold the
              // exact (float64) answer and ilastik's value is the one that moved.
              const double exact = reference.channels[c][static_cast<std::size_t>(i)];
              if (d > allowed && std::fabs(o - exact) <= 1e-5 * tmax && std::fabs(r - exact) <= 1e-3 * tmax) {
                ++ilastik_solver_error;
                allowed = d;
              }
              break;
            }
          }
          if (!(d <= allowed)) {
            ++bad;
            if (getenv("ILPKIT_DEBUG_FEATURES") && !reference.channels.empty())
              std::printf("    pixel %lld: ours %.9g ilastik %.9g reference %.9g tensor max %.6g\n",
                          static_cast<long long>(i), o, r, reference.channels[c][static_cast<std::size_t>(i)],
                          reference.tensor_max.empty() || reference.tensor_max[c].empty() ? 0.0 : reference.tensor_max[c][static_cast<std::size_t>(i)]);
          }
          max_abs = std::max(max_abs, d);
          if (std::fabs(r) > 1e-3 * std::max(range, 1.0)) max_rel = std::max(max_rel, d / std::fabs(r));
        }
        std::printf("  [%2zu] %-55s max abs %.3g  max rel %.3g%s", c, channels[c].name.c_str(), max_abs, max_rel,
                    bad ? "  OUT OF TOLERANCE" : "");
        if (ilastik_solver_error)
          std::printf("  (%lld px: ilastik's float32 solver off the exact value by 5e-4..1e-3·|T|)",
                      static_cast<long long>(ilastik_solver_error));
        std::printf("\n");
        EXPECT_LE(ilastik_solver_error, plane / 10000 + 1) << channels[c].name;
        EXPECT_EQ(bad, 0) << channels[c].name << ": " << bad << " pixels out of tolerance, max abs " << max_abs;
      }
      ++compared;
    }
  }
  EXPECT_GE(compared, 13);
}
