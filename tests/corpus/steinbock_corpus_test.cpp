// SPDX-License-Identifier: MIT
// surgery.md §2.9 on the corpus projects the spec names: HubMAP (1.3.2post1, 11 lanes of yxc
// crops, verified with ilastik 1.4.2 and 1.3.3post3), mcmicro's exemplar (.hdf5 crops, zyxc;
// steinbock hangs on it) and bbsnippets (.tiff lanes; steinbock hangs). Each gets synthetic crops
// of its lanes' sizes; after steinbock-fix every labelled lane's labels, read the way 1.3.3post3
// and 1.4.x read the blocks, equal the labels before; the forests are byte-identical; validate
// --target bilingual finds no error; the crops hold the same pixels in c,y,x float32; and a
// second run writes nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "corpus.hpp"
#include "forest_bytes.hpp"
#include "synthetic_crop.hpp"
#include "hdf5.hpp"
#include "ilpkit/axes.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/surgery.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;

namespace {

using test::corpus_root;
using test::forest_bytes;

// The synthetic pixel at channel c, row y, column x.
std::uint16_t pixel(std::uint64_t c, std::uint64_t y, std::uint64_t x) {
  return static_cast<std::uint16_t>((c * 1009 + y * 7 + x * 3) % 60000);
}

void write_crop(const fs::path& file, const std::string& dataset, const std::string& axes, std::uint64_t C, std::uint64_t Y,
                std::uint64_t X) {
  test::write_synthetic_crop<std::uint16_t>(file, dataset, axes, C, Y, X, true, pixel);
}

struct Case {
  const char* rel;
  const char* crop_ext;     // the crop files' extension
  const char* crop_axes;    // how the old crops are stored
  std::uint64_t channels;   // the crops' channel count
  std::uint64_t default_yx; // size of lanes that store no shape
};

// A copy of the project with a crop per lane (named by the lane's file stem, the lane's y, x
// extents), in <dir>/ilastik_crops.
fs::path prepare(const Case& c, const fs::path& dir) {
  fs::create_directories(dir);
  test::writable_copy(corpus_root() / c.rel, dir, "pixel_classifier.ilp", false);
  const Project p = read_project((dir / "pixel_classifier.ilp").string());
  for (const Lane& lane : p.lanes) {
    const DatasetInfo& raw = *lane.raw;
    std::uint64_t Y = c.default_yx, X = c.default_yx;
    if (raw.shape && raw.shape_source == "info") {
      Y = static_cast<std::uint64_t>((*raw.shape)[raw.axes.find('y')]);
      X = static_cast<std::uint64_t>((*raw.shape)[raw.axes.find('x')]);
    }
    const std::string stem = fs::path(raw.file_path).stem().string();
    const std::string inner = raw.internal_path.empty() ? "stacked_channels" : raw.internal_path.substr(raw.internal_path.front() == '/');
    write_crop(dir / "ilastik_crops" / (stem + c.crop_ext), inner, c.crop_axes, c.channels, Y, X);
  }
  return dir / "pixel_classifier.ilp";
}

void expect_fixed(const Case& c, const fs::path& dir, const Project& before, const std::map<std::string, std::string>& forests,
                  const std::string& target) {
  const std::string project = (dir / "pixel_classifier.ilp").string();
  const Project after = read_project(project);
  EXPECT_EQ(after.ilastik_version, target == "bilingual" ? "1.3.3post3" : "1.4.2");
  EXPECT_EQ(forest_bytes(project), forests) << "forests changed";
  EXPECT_EQ(after.label_classes.size(), before.label_classes.size());
  ASSERT_EQ(after.lanes.size(), before.lanes.size());
  std::size_t labelled_lanes = 0;
  for (std::size_t i = 0; i < after.lanes.size(); ++i) {
    SCOPED_TRACE(after.lanes[i].group_name);
    const DatasetInfo& raw = *after.lanes[i].raw;
    const std::string stem = fs::path(before.lanes[i].raw->file_path).stem().string();
    EXPECT_EQ(raw.stored_path, "ilastik_crops/" + stem + ".h5/crop");
    EXPECT_EQ(raw.axes, "cyx");
    EXPECT_EQ(raw.nickname, stem);
    EXPECT_TRUE(raw.found) << raw.not_found_reason;
    if (before.labels.size() <= i || before.labels[i].blocks.empty()) continue;
    ++labelled_lanes;
    const LabelVolume truth = decode_labels(before, i);
    // ilastik 1.3.3post3 reads blocks in the data's original order, and so does 1.4.x for files
    // of 1.3.3post2-1.4.0b7; 1.4.x reads >= 1.4.0b8 files in the internal order (surgery.md §1.3).
    const std::string as_read = target == "bilingual" ? "cyx" : "yxc";
    const LabelVolume read = decode_labels_as(after, i, as_read);
    // Both y,x,c with c = 1; the crop may be larger than the lower bound a lane without a
    // stored shape had (bbsnippets): the labels stay at their place, the rest is unlabelled.
    ASSERT_EQ(truth.axes, "yxc");
    ASSERT_EQ(read.axes, "yxc");
    ASSERT_GE(read.shape[0], truth.shape[0]);
    ASSERT_GE(read.shape[1], truth.shape[1]);
    std::size_t moved = 0;
    for (std::int64_t y = 0; y < read.shape[0]; ++y)
      for (std::int64_t x = 0; x < read.shape[1]; ++x) {
        const std::uint8_t want = y < truth.shape[0] && x < truth.shape[1] ? truth.data[static_cast<std::size_t>(y * truth.shape[1] + x)] : 0;
        moved += read.data[static_cast<std::size_t>(y * read.shape[1] + x)] != want;
      }
    EXPECT_EQ(moved, 0u) << "labels moved when read as '" << as_read << "'";
    for (const auto& b : after.labels[i].blocks) EXPECT_EQ(b.start.size(), 3u);
  }
  EXPECT_GT(labelled_lanes, 0u);
  // The crops: c,y,x float32 with the same pixels, marked.
  const DatasetInfo& raw0 = *after.lanes[0].raw;
  auto f = hdf5::File::open_read_only(raw0.file_path);
  auto ds = hdf5::open_object(f.id(), "crop");
  const auto info = hdf5::dataset_info(ds.id());
  EXPECT_EQ(info.type, ValueType::Float32);
  ASSERT_EQ(info.shape.size(), 3u);
  EXPECT_EQ(info.shape[0], c.channels);
  const Value v = hdf5::read_dataset(ds.id(), std::uint64_t{1} << 30);
  const auto values = v.numbers();
  std::size_t n = 0, same = 0;
  for (std::uint64_t ch = 0; ch < info.shape[0]; ++ch)
    for (std::uint64_t y = 0; y < info.shape[1]; ++y)
      for (std::uint64_t x = 0; x < info.shape[2]; ++x) same += values[n++] == pixel(ch, y, x);
  EXPECT_EQ(same, values.size()) << "crop pixels moved";
  EXPECT_NE(hdf5::read_attribute(ds.id(), "steinbock", 64).number(), 0);
  // steinbock's export settings.
  ASSERT_TRUE(after.export_settings);
  EXPECT_EQ(after.export_settings->filename_format.value_or(""), "ilastik_probabilities/{nickname}.tiff");
  EXPECT_EQ(after.export_settings->format.value_or(""), "tiff");
  EXPECT_EQ(after.export_settings->dtype.value_or(""), "uint16");
  EXPECT_EQ(after.export_settings->axis_order.value_or(""), "yxc");
  EXPECT_EQ(after.export_settings->export_max.value_or(0), 65535);
}

void run_case(const Case& c) {
  if (!fs::exists(corpus_root() / c.rel)) GTEST_SKIP() << c.rel << " not in the corpus";
  for (const std::string target : {"bilingual", "1.4"}) {
    SCOPED_TRACE(std::string(c.rel) + " -> " + target);
    const fs::path dir = fs::path(::testing::TempDir()) / fmt::format("ilpkit-steinbock-{}-{}", ::getpid(), target);
    fs::remove_all(dir);
    const std::string project = prepare(c, dir).string();
    const Project before = read_project(project);
    const auto forests = forest_bytes(project);
    SteinbockFixOptions o;
    o.target = target;
    const EditReport r = steinbock_fix(project, o);
    EXPECT_TRUE(r.changed);
    if (target == "bilingual")
      for (const auto& note : r.notes) std::printf("  %s\n", note.c_str());
    expect_fixed(c, dir, before, forests, target);
    ValidateOptions v;
    v.target = target;
    for (const auto& f : validate_project(project, v)) EXPECT_NE(f.level, FindingLevel::Error) << f.code << " " << f.message;
    EXPECT_FALSE(steinbock_fix(project, o).changed) << "a second run changed the project";
    EXPECT_TRUE(fs::exists(dir / "pixel_classifier.ilp.bak"));
    fs::remove_all(dir);
  }
}

}  // namespace

TEST(CorpusSteinbock, HubmapYxcCrops) {
  REQUIRE_CORPUS();
  run_case({"public/imcsegpipeline-bodenmiller/HubMAP_20191211.ilp", ".h5", "yxc", 11, 500});
}

TEST(CorpusSteinbock, McmicroHdf5CropsDoNotHang) {
  REQUIRE_CORPUS();
  run_case({"public/mcmicro-ilastik-classifiers/exemplar_001_nuclei.ilp", ".hdf5", "zyxc", 1, 200});
}

TEST(CorpusSteinbock, BbsnippetsTiffLanesGetH5Crops) {
  REQUIRE_CORPUS();
  run_case({"public/bbsnippets-imc-example/example_training.ilp", ".h5", "cyx", 14, 500});
}
