// SPDX-License-Identifier: MIT
// Stored forests against ilastik 1.4.2 / 1.3.3 exports: probabilities predicted from ilastik's
// own exported features equal out/*_probabilities.h5 within 1 ulp; the fast predictor equals the
// literal reference bit for bit; Simple Segmentation equals ilastik's where probabilities are
// equal (ties included). Prints the agreement per case.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>
#include <fmt/format.h>
#include <png.h>
#include <tiffio.h>

#include "chunked_reader.hpp"
#include "corpus.hpp"
#include "ilpkit/axes.hpp"
#include "shell.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/image.hpp"
#include "ilpkit/predict.hpp"
#include "reference_forest.hpp"
#include "test_paths.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;
using nlohmann::json;
using test::shell_quote;
using test::shell_split;

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

namespace {


// Runs the case's own ilastik command line with ilpkit, writing to `out`.
void run_like_ilastik(const fs::path& dir, const std::string& cmd, const std::string& out) {
  auto argv = shell_split(cmd);
  std::string line = "cd " + shell_quote(dir.string()) + " && " + shell_quote(ILPKIT_EXE) + " run";
  for (std::size_t i = 1; i < argv.size(); ++i)
    line += " " + shell_quote(argv[i].rfind("--output_filename_format=", 0) == 0 ? "--output_filename_format=" + out
                                                                                  : argv[i]);
  line += " --quiet";
  ASSERT_EQ(std::system(line.c_str()), 0) << line;
}

}  // namespace

// Spec §5.4 (stored forests + independently computed features): >= 99.99 % of pixels within
// the tolerance and >= 99.99 % argmax agreement, per lane and on all corpus pixels together.
// (Measured on an FMA machine like ilastik's: 13 of 14 lanes bit-identical, c05 99.995 %.)
TEST(CorpusForest, IlpkitRunEndToEndAgreesWithIlastik) {
  REQUIRE_CORPUS();
  int lanes = 0;
  std::int64_t all_pixels = 0, all_close = 0;
  for (const auto& dir : test::ilastik_cases()) {
    json meta = json::parse(std::ifstream(dir / "meta.json"));
    std::map<std::string, std::string> prob_cmd, seg_cmd, prob_file, seg_file;
    for (const auto& exp : meta["exports"]) {
      const std::string file = exp["file"].get<std::string>();
      if (exp["source"] == "Probabilities") {
        const auto lane = lane_of(file, "_probabilities.h5");
        prob_cmd[lane] = exp["cmd"].get<std::string>();
        prob_file[lane] = file;
      } else if (exp["source"] == "Simple Segmentation") {
        const auto lane = lane_of(file, "_segmentation.h5");
        seg_cmd[lane] = exp["cmd"].get<std::string>();
        seg_file[lane] = file;
      }
    }
    for (const auto& [lane, cmd] : prob_cmd) {
      SCOPED_TRACE(dir.filename().string() + " " + lane);
      const std::string p_out = test::temp_path(dir.filename().string() + "_" + lane + "_p.h5");
      const std::string s_out = test::temp_path(dir.filename().string() + "_" + lane + "_s.h5");
      run_like_ilastik(dir, cmd, p_out);
      ASSERT_TRUE(seg_cmd.count(lane));
      run_like_ilastik(dir, seg_cmd[lane], s_out);
      auto ours_src = open_image(p_out + "/exported_data");
      auto ref_src = open_image((dir / prob_file[lane]).string() + "/exported_data");
      EXPECT_EQ(ours_src->info().shape, ref_src->info().shape);
      EXPECT_EQ(ours_src->info().axes, ref_src->info().axes);
      auto seg_src = open_image(s_out + "/exported_data");
      EXPECT_EQ(seg_src->info().dtype, ValueType::UInt8);
      EXPECT_EQ(seg_src->info().shape, open_image((dir / seg_file[lane]).string() + "/exported_data")->info().shape);

      PlanarBlock ours = read_all(p_out + "/exported_data");
      PlanarBlock ref = read_all((dir / prob_file[lane]).string() + "/exported_data");
      PlanarBlock our_seg = read_all(s_out + "/exported_data");
      PlanarBlock ref_seg = read_all((dir / seg_file[lane]).string() + "/exported_data");
      const std::int64_t n = ref.plane_size();
      const auto k = static_cast<std::size_t>(ref.channels);
      ASSERT_EQ(ours.data.size(), ref.data.size());
      std::int64_t close = 0, argmax_same = 0, seg_same_where_p_same = 0, p_same = 0;
      double max_dp = 0;
      for (std::int64_t i = 0; i < n; ++i) {
        double dp = 0;
        std::size_t a = 0, b = 0;
        for (std::size_t c = 0; c < k; ++c) {
          const float o = ours.data[c * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)];
          const float r = ref.data[c * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)];
          dp = std::max(dp, static_cast<double>(std::fabs(o - r)));
          if (o > ours.data[a * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)]) a = c;
          if (r > ref.data[b * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)]) b = c;
        }
        max_dp = std::max(max_dp, dp);
        close += dp <= 1e-5;
        argmax_same += a == b;
        if (dp == 0) {
          ++p_same;
          seg_same_where_p_same += our_seg.data[static_cast<std::size_t>(i)] == ref_seg.data[static_cast<std::size_t>(i)];
        }
      }
      const double frac_close = static_cast<double>(close) / static_cast<double>(n);
      const double frac_argmax = static_cast<double>(argmax_same) / static_cast<double>(n);
      std::printf("%s %s end to end: %.4f %% of %lld px within 1e-5 (%lld identical), max |dP| %.3g, argmax "
                  "agreement %.4f %%, segmentation equal on %lld of %lld px with identical probabilities\n",
                  dir.filename().string().c_str(), lane.c_str(), 100 * frac_close, static_cast<long long>(n),
                  static_cast<long long>(p_same), max_dp, 100 * frac_argmax,
                  static_cast<long long>(seg_same_where_p_same), static_cast<long long>(p_same));
      EXPECT_GE(frac_close, 0.9999);
      EXPECT_GE(frac_argmax, 0.9999);
      all_pixels += n;
      all_close += close;
      EXPECT_EQ(seg_same_where_p_same, p_same);
      fs::remove(p_out);
      fs::remove(s_out);
      ++lanes;
    }
  }
  EXPECT_GE(lanes, 14);
  std::printf("all lanes: %.4f %% of %lld px within 1e-5\n",
              100.0 * static_cast<double>(all_close) / static_cast<double>(all_pixels), static_cast<long long>(all_pixels));
  EXPECT_GE(static_cast<double>(all_close) / static_cast<double>(all_pixels), 0.9999);
}

namespace {

struct Agreement {
  double argmax = 0, mean_dp = 0, confident = 1;  ///< confident: where `b`'s max p > 0.7
};

Agreement agreement(const PlanarBlock& a, const PlanarBlock& b) {
  const std::int64_t n = b.plane_size();
  const auto k = static_cast<std::size_t>(b.channels);
  std::int64_t same = 0, conf = 0, conf_same = 0;
  double sum = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    std::size_t ia = 0, ib = 0;
    for (std::size_t c = 0; c < k; ++c) {
      const float x = a.data[c * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)];
      const float y = b.data[c * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)];
      sum += std::fabs(x - y);
      if (x > a.data[ia * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)]) ia = c;
      if (y > b.data[ib * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)]) ib = c;
    }
    same += ia == ib;
    if (b.data[ib * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)] > 0.7f) {
      ++conf;
      conf_same += ia == ib;
    }
  }
  Agreement r;
  r.argmax = static_cast<double>(same) / static_cast<double>(n);
  r.mean_dp = sum / static_cast<double>(n * static_cast<std::int64_t>(k));
  r.confident = conf ? static_cast<double>(conf_same) / static_cast<double>(conf) : 1.0;
  return r;
}

}  // namespace

// Retraining is random in ilastik (clock-seeded), so it is compared statistically (spec §5.2).
// The spec's bands (argmax >= 99 %, mean |dP| <= 0.01) come from a large project; on the corpus'
// few hundred labelled pixels two ilastik trainings already differ more (c01: 99.43 %, 0.0126),
// so the test asks that ilpkit's retrain is as close to ilastik's forest as two ilpkit retrains
// with different seeds are to each other, and >= 99.9 % agreement where ilastik is confident.
TEST(CorpusForest, RetrainingAgreesWithIlastikStatistically) {
  REQUIRE_CORPUS();
  int lanes = 0;
  for (const auto& dir : test::ilastik_cases()) {
    json meta = json::parse(std::ifstream(dir / "meta.json"));
    Project project = read_project((dir / "project.ilp").string());
    bool trainable = true;
    for (const auto& lane : project.lanes) trainable = trainable && lane.raw && lane.raw->found;
    if (!trainable) {
      std::printf("%s: skipped, its training data is not where the project says (a relink case)\n",
                  dir.filename().string().c_str());
      continue;
    }
    for (const auto& exp : meta["exports"]) {
      if (exp["source"] != "Probabilities") continue;
      const std::string file = exp["file"].get<std::string>();
      const std::string lane = lane_of(file, "_probabilities.h5");
      SCOPED_TRACE(dir.filename().string() + " " + lane);
      const std::string out_a = test::temp_path(dir.filename().string() + "_" + lane + "_a.h5");
      const std::string out_b = test::temp_path(dir.filename().string() + "_" + lane + "_b.h5");
      run_like_ilastik(dir, exp["cmd"].get<std::string>() + " --retrain --seed 17", out_a);
      run_like_ilastik(dir, exp["cmd"].get<std::string>() + " --retrain --seed 18", out_b);
      PlanarBlock a = read_all(out_a + "/exported_data");
      PlanarBlock b = read_all(out_b + "/exported_data");
      PlanarBlock ref = read_all((dir / file).string() + "/exported_data");
      ASSERT_EQ(a.data.size(), ref.data.size());
      const Agreement vs_ilastik = agreement(a, ref), seeds = agreement(a, b);
      std::printf("%s %s retrained: vs ilastik argmax %.3f %%, mean |dP| %.4f, confident %.3f %%; "
                  "two ilpkit seeds argmax %.3f %%, mean |dP| %.4f\n",
                  dir.filename().string().c_str(), lane.c_str(), 100 * vs_ilastik.argmax, vs_ilastik.mean_dp,
                  100 * vs_ilastik.confident, 100 * seeds.argmax, seeds.mean_dp);
      EXPECT_GE(vs_ilastik.argmax, std::min(0.99, seeds.argmax - 0.015));
      EXPECT_LE(vs_ilastik.mean_dp, std::max(0.01, seeds.mean_dp + 0.01));
      EXPECT_GE(vs_ilastik.confident, 0.999);
      fs::remove(out_a);
      fs::remove(out_b);
      ++lanes;
    }
  }
  EXPECT_GE(lanes, 13);
}

// steinbock's command line (ilp-format.md §8.8): Probabilities as LZW TIFF, uint16, (0,1) ->
// (0,65535), axes yxc. On a case whose probabilities ilpkit reproduces bit for bit (c01), the
// TIFF read back with libtiff must hold ilastik's exported probabilities converted by the spec's
// formula: rint(p · 65535), no clipping.
TEST(CorpusForest, SteinbockCommandLineWritesIlastiksProbabilitiesAsUint16Tiff) {
  REQUIRE_CORPUS();
  const fs::path dir = test::corpus_root() / "ilastik" / "c01_2d_u8_coins_2cls_default";
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " is not in the corpus";
  const fs::path out_dir = test::temp_path("steinbock");
  const std::string line = "cd " + shell_quote(dir.string()) + " && " + shell_quote(ILPKIT_EXE) +
                           " run --headless --project=project.ilp --readonly --export_source=Probabilities"
                           " --output_format=tiff --output_filename_format=" + shell_quote((out_dir / "{nickname}.tiff").string()) +
                           " --export_dtype=uint16 --output_axis_order=yxc '--pipeline_result_drange=(0.0,1.0)'"
                           " '--export_drange=(0,65535)' data/coins.h5 --quiet";
  ASSERT_EQ(std::system(line.c_str()), 0) << line;
  const std::string tiff = (out_dir / "coins-data.tiff").string();
  TIFF* tif = TIFFOpen(tiff.c_str(), "r");
  ASSERT_NE(tif, nullptr) << tiff;
  std::uint32_t width = 0, height = 0;
  std::uint16_t samples = 0, bits = 0;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height);
  TIFFGetField(tif, TIFFTAG_SAMPLESPERPIXEL, &samples);
  TIFFGetField(tif, TIFFTAG_BITSPERSAMPLE, &bits);
  const PlanarBlock p = read_all((dir / "out" / "coins_probabilities.h5").string() + "/exported_data");
  ASSERT_EQ(height, static_cast<std::uint32_t>(p.box.extent(1)));
  ASSERT_EQ(width, static_cast<std::uint32_t>(p.box.extent(2)));
  ASSERT_EQ(samples, p.channels);
  ASSERT_EQ(bits, 16);
  std::vector<std::uint16_t> row(static_cast<std::size_t>(width) * samples);
  std::int64_t differ = 0, half_way = 0;
  const std::int64_t plane = p.plane_size();
  for (std::uint32_t y = 0; y < height; ++y) {
    ASSERT_EQ(TIFFReadScanline(tif, row.data(), y), 1);
    for (std::uint32_t x = 0; x < width; ++x)
      for (int c = 0; c < samples; ++c) {
        const float scaled = 0.0f + (p.data[static_cast<std::size_t>(c * plane + y * width + x)] - 0.0f) * 65535.0f;
        differ += row[x * samples + static_cast<std::uint32_t>(c)] != std::nearbyint(scaled);
        half_way += scaled - std::floor(scaled) == 0.5f;
      }
  }
  EXPECT_FALSE(TIFFReadDirectory(tif));
  TIFFClose(tif);
  EXPECT_EQ(differ, 0);
  std::printf("c01 steinbock TIFF: %u x %u x %u uint16, %lld values differ from rint(p * 65535) (%lld exactly half "
              "way)\n", height, width, samples, static_cast<long long>(differ), static_cast<long long>(half_way));
  fs::remove_all(out_dir);
}

// ilastik's own headless test command (ilp-format.md §8.8): a PNG sequence of the Simple
// Segmentation along z with axes z,x,y,c, a cutout, and (0,2) -> (0,255) normalization. Each
// PNG (read with libpng) must be ilastik's exported segmentation of that z plane inside the
// cutout, scaled by the spec's formula rint(v · 127.5), apart from the few pixels where the
// end-to-end probabilities differ from ilastik's (c05: 99.995 % identical).
TEST(CorpusForest, IlastiksPngSequenceCommandWritesItsSegmentationPerPlane) {
  REQUIRE_CORPUS();
  const fs::path dir = test::corpus_root() / "ilastik" / "c05_3d_u8_nuclei_2cls";
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " is not in the corpus";
  const fs::path out_dir = test::temp_path("png_sequence");
  fs::remove_all(out_dir);
  const std::string line = "cd " + shell_quote(dir.string()) + " && " + shell_quote(ILPKIT_EXE) +
                           " run --headless --project=project.ilp '--export_source=Simple Segmentation'"
                           " '--output_format=png sequence' --output_filename_format=" +
                           shell_quote((out_dir / "{nickname}_segmentation_z{slice_index}.png").string()) +
                           " --export_dtype=uint8 --output_axis_order=zxyc '--pipeline_result_drange=(0,2)'"
                           " '--export_drange=(0,255)' '--cutout_subregion=[(3,10,20,0),(13,50,70,1)]'"
                           " data/nuclei3d.h5 --quiet";
  ASSERT_EQ(std::system(line.c_str()), 0) << line;
  const PlanarBlock seg = read_all((dir / "out" / "nuclei3d_segmentation.h5").string() + "/exported_data");
  const std::int64_t Y = seg.box.extent(1), X = seg.box.extent(2);
  std::int64_t pixels = 0, differ = 0;
  for (int z = 3; z < 13; ++z) {
    const std::string path = (out_dir / fmt::format("nuclei3d-data_segmentation_z{}.png", z - 3)).string();
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    ASSERT_TRUE(png_image_begin_read_from_file(&image, path.c_str())) << path << ": " << image.message;
    ASSERT_EQ(image.width, 50u);   // x is the image's width whatever the array order
    ASSERT_EQ(image.height, 40u);
    image.format = PNG_FORMAT_GRAY;
    std::vector<std::uint8_t> px(PNG_IMAGE_SIZE(image));
    ASSERT_TRUE(png_image_finish_read(&image, nullptr, px.data(), 0, nullptr)) << image.message;
    for (std::int64_t y = 10; y < 50; ++y)
      for (std::int64_t x = 20; x < 70; ++x) {
        const float v = seg.data[static_cast<std::size_t>((z * Y + y) * X + x)];
        ++pixels;
        differ += px[static_cast<std::size_t>((y - 10) * 50 + (x - 20))] != std::nearbyint(v * 127.5f);
      }
  }
  EXPECT_FALSE(fs::exists(out_dir / "nuclei3d-data_segmentation_z10.png"));  // exactly 10 planes
  EXPECT_LE(differ * 10000, pixels) << differ << " of " << pixels;  // >= 99.99 % equal
  std::printf("c05 png sequence: %lld of %lld pixels differ from ilastik's segmentation\n",
              static_cast<long long>(differ), static_cast<long long>(pixels));
  fs::remove_all(out_dir);
}

// The chunked formats hold the same probabilities as ilastik's HDF5 export: N5 in the output
// axis order (dimensions listed fastest first), OME-Zarr always t,c,z,y,x with the cutout's
// origin as a translation. Read back with the test's own N5/Zarr readers.
TEST(CorpusForest, N5AndOmeZarrExportsHoldIlastiksProbabilities) {
  REQUIRE_CORPUS();
  const fs::path dir = test::corpus_root() / "ilastik" / "c05_3d_u8_nuclei_2cls";
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " is not in the corpus";
  const PlanarBlock ref = read_all((dir / "out" / "nuclei3d_probabilities.h5").string() + "/exported_data");
  const std::int64_t Y = ref.box.extent(1), X = ref.box.extent(2), plane = ref.plane_size();
  const fs::path out_dir = test::temp_path("chunked");
  fs::remove_all(out_dir);
  struct Case {
    const char* format;
    const char* file;
    std::string axes;
  };
  for (const Case& c : {Case{"compressed n5", "p.n5", "zyxc"}, Case{"n5", "p.n5", "cxyz"},
                        Case{"single-scale OME-Zarr", "p.zarr", "tczyx"}, Case{"multi-scale OME-Zarr", "p.zarr", "tczyx"}}) {
    SCOPED_TRACE(c.format);
    fs::remove_all(out_dir);
    const std::string line = "cd " + shell_quote(dir.string()) + " && " + shell_quote(ILPKIT_EXE) +
                             " run --headless --project=project.ilp --export_source=Probabilities --output_format=" +
                             shell_quote(c.format) + " --output_filename_format=" + shell_quote((out_dir / "p").string()) +
                             " '--cutout_subregion=[(3,10,20,0),(13,50,70,2)]' --output_axis_order=" +
                             (c.axes == "tczyx" ? std::string("zyxc") : c.axes) + " data/nuclei3d.h5 --quiet";
    ASSERT_EQ(std::system(line.c_str()), 0) << line;
    const bool zarr = c.axes == "tczyx";
    const auto a = zarr ? test::read_zarr(out_dir / c.file / "s0") : test::read_n5(out_dir / c.file / "exported_data");
    EXPECT_EQ(parse_axistags_json(a.attrs["axistags"].get<std::string>()), c.axes);
    std::vector<std::uint64_t> want;
    for (char ax : c.axes) want.push_back(ax == 'z' ? 10 : ax == 'y' ? 40 : ax == 'x' ? 50 : ax == 'c' ? 2 : 1);
    ASSERT_EQ(a.shape, want);
    std::int64_t values = 0, close = 0;
    std::vector<std::uint64_t> idx(c.axes.size());
    for (int ch = 0; ch < 2; ++ch)
      for (std::int64_t z = 3; z < 13; ++z)
        for (std::int64_t y = 10; y < 50; ++y)
          for (std::int64_t x = 20; x < 70; ++x) {
            for (std::size_t i = 0; i < c.axes.size(); ++i) {
              const char ax = c.axes[i];
              idx[i] = static_cast<std::uint64_t>(ax == 'z' ? z - 3 : ax == 'y' ? y - 10 : ax == 'x' ? x - 20 : ax == 'c' ? ch : 0);
            }
            const float r = ref.data[static_cast<std::size_t>(ch * plane + (z * Y + y) * X + x)];
            ++values;
            close += std::fabs(a.at(idx) - r) <= 1e-5;
          }
    EXPECT_GE(static_cast<double>(close) / static_cast<double>(values), 0.9999) << close << " of " << values;
    if (zarr) {
      const auto root = test::read_json(out_dir / c.file / ".zattrs");
      EXPECT_EQ(root["multiscales"][0]["datasets"][0]["coordinateTransformations"][1]["translation"],
                json::array({0.0, 0.0, 3.0, 10.0, 20.0}));
    }
    std::printf("c05 %s: %lld of %lld values within 1e-5 of ilastik's\n", c.format, static_cast<long long>(close),
                static_cast<long long>(values));
  }
  fs::remove_all(out_dir);
}
