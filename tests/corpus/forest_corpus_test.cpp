// SPDX-License-Identifier: MIT
// Stored forests against ilastik 1.4.2 / 1.3.3 exports: probabilities predicted from ilastik's
// own exported features equal out/*_probabilities.h5 within 1 ulp; the fast predictor equals the
// literal reference bit for bit; Simple Segmentation equals ilastik's where probabilities are
// equal (ties included). Prints the agreement per case.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "corpus.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/image.hpp"
#include "ilpkit/predict.hpp"
#include "reference_forest.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

PlanarBlock read_all(const std::string& spec) {
  auto src = open_image(spec);
  const auto g = src->info().geometry();
  Box box;
  box.end = {g.z, g.y, g.x};
  PlanarBlock out;
  src->read(0, box, out);
  return out;
}

std::string lane_of(const std::string& file, const std::string& suffix) {
  std::string name = fs::path(file).filename().string();
  return name.substr(0, name.size() - suffix.size());
}

std::int64_t ulps(float a, float b) {
  std::int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  if ((ia < 0) != (ib < 0)) return a == b ? 0 : std::int64_t{1} << 40;
  return std::llabs(static_cast<std::int64_t>(ia) - ib);
}

}  // namespace

TEST(CorpusForest, StoredForestsOnIlastiksFeaturesReproduceItsProbabilities) {
  REQUIRE_CORPUS();
  int lanes = 0;
  for (const auto& dir : test::ilastik_cases()) {
    json meta = json::parse(std::ifstream(dir / "meta.json"));
    Project project = read_project((dir / "project.ilp").string());
    ASSERT_TRUE(project.classifier) << dir;
    Predictor predictor(*project.classifier, project.label_classes.size());
    for (const auto& exp : meta["exports"]) {
      if (exp["source"] != "Probabilities") continue;
      const std::string lane = lane_of(exp["file"].get<std::string>(), "_probabilities.h5");
      SCOPED_TRACE(dir.filename().string() + " " + lane);
      PlanarBlock features = read_all((dir / "out" / (lane + "_features.h5")).string() + "/exported_data");
      PlanarBlock expected = read_all((dir / exp["file"].get<std::string>()).string() + "/exported_data");
      PlanarBlock seg = read_all((dir / "out" / (lane + "_segmentation.h5")).string() + "/exported_data");
      const std::int64_t n = features.plane_size();
      ASSERT_EQ(static_cast<std::size_t>(features.channels), predictor.feature_count());
      ASSERT_EQ(static_cast<std::size_t>(expected.channels), predictor.label_count());

      FloatBuffer ours(expected.data.size());
      predictor.predict(features.data.data(), n, n, ours.data(), n);

      std::int64_t max_ulps = 0, differing = 0, ref_mismatch = 0, seg_equal_where_p_equal = 0, seg_checked = 0;
      std::vector<float> x(predictor.feature_count());
      std::vector<float> our_seg(static_cast<std::size_t>(n));
      segmentation_from_probabilities(ours.data(), n, predictor.label_count(), n, our_seg.data());
      for (std::int64_t i = 0; i < n; ++i) {
        bool same_p = true;
        for (std::size_t k = 0; k < predictor.label_count(); ++k) {
          const auto u = ulps(ours[k * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)],
                              expected.data[k * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)]);
          max_ulps = std::max(max_ulps, u);
          if (u) same_p = false;
        }
        differing += !same_p;
        if (same_p) {
          ++seg_checked;
          seg_equal_where_p_equal += our_seg[static_cast<std::size_t>(i)] == seg.data[static_cast<std::size_t>(i)];
        }
        // The literal reference, every 7th sample (it is slow on purpose).
        if (i % 7 == 0) {
          for (std::size_t c = 0; c < x.size(); ++c) x[c] = features.data[c * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)];
          auto r = test::reference_predict(*project.classifier, predictor.label_count(), x);
          for (std::size_t k = 0; k < r.size(); ++k)
            ref_mismatch += std::memcmp(&r[k], &ours[k * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)], 4) != 0;
        }
      }
      std::printf("%s %s: %lld px, %zu forests (%zu trees): max %lld ulp, %lld px differ; segmentation equal on "
                  "%lld of %lld px with equal probabilities\n",
                  dir.filename().string().c_str(), lane.c_str(), static_cast<long long>(n),
                  project.classifier->forests.size(), predictor.tree_count(), static_cast<long long>(max_ulps),
                  static_cast<long long>(differing), static_cast<long long>(seg_equal_where_p_equal),
                  static_cast<long long>(seg_checked));
      EXPECT_LE(max_ulps, 1);
      EXPECT_EQ(ref_mismatch, 0) << "fast predictor differs from the reference";
      EXPECT_EQ(seg_equal_where_p_equal, seg_checked);
      ++lanes;
    }
  }
  EXPECT_GE(lanes, 14);
}
