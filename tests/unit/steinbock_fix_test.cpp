// SPDX-License-Identifier: MIT
// `steinbock-fix` (surgery.md §2.9) on copies of the generated minimal project (one lane
// tiny_raw.h5, yx 12 x 16, labels in two blocks): crops in any stored order become c,y,x float32
// with the same pixels; the blocks are written from the true labels in c,y,x under 1.3.3post3
// (bilingual) or y,x,c with axistags under 1.4.2; steinbock's export settings; backups; a
// second run writes nothing; .hdf5 crops work; every refusal writes nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "hdf5.hpp"
#include "ilpkit/axes.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/surgery.hpp"
#include "minimal_project.hpp"
#include "shell.hpp"
#include "synthetic_crop.hpp"
#include "test_paths.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kY = 12, kX = 16;

std::uint8_t pixel(std::uint64_t c, std::uint64_t y, std::uint64_t x) { return static_cast<std::uint8_t>(c * 100 + y * 16 + x); }

// A crop of `channels` x 12 x 16 stored in `axes` (letters of "cyx" plus singleton z/t).
void write_crop(const fs::path& file, const std::string& dataset, const std::string& axes, std::uint64_t channels = 1,
                std::uint64_t y_extent = kY, bool with_axistags = true) {
  test::write_synthetic_crop<std::uint8_t>(file, dataset, axes, channels, y_extent, kX, with_axistags, pixel);
}

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The minimal project in a fresh folder with its crop folder.
struct Scene {
  fs::path dir, project, crops;
};
Scene scene(const std::string& name) {
  Scene s;
  s.project = test::minimal_project_copy("steinbock_" + name);
  s.dir = s.project.parent_path();
  s.crops = s.dir / "ilastik_crops";
  fs::create_directories(s.crops);
  return s;
}

std::vector<std::uint8_t> truth_of(const std::string& project) { return decode_labels(read_project(project), 0).data; }

void expect_refused(const Scene& s, const std::string& code, const SteinbockFixOptions& o = {}) {
  const std::string before = bytes_of(s.project);
  std::map<fs::path, std::string> crops;
  for (const auto& e : fs::recursive_directory_iterator(s.dir)) if (e.is_regular_file()) crops[e.path()] = bytes_of(e.path());
  try {
    steinbock_fix(s.project.string(), o);
    ADD_FAILURE() << "expected " << code;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(code), std::string::npos) << e.what();
  }
  EXPECT_EQ(bytes_of(s.project), before) << "the project changed";
  std::map<fs::path, std::string> after;
  for (const auto& e : fs::recursive_directory_iterator(s.dir)) if (e.is_regular_file()) after[e.path()] = bytes_of(e.path());
  EXPECT_EQ(after, crops) << "files were written or changed";
}

}  // namespace

TEST(SteinbockFix, TransposedCropBilingualLabelsForBothReaders) {
  const Scene s = scene("bilingual");
  const std::string project = s.project.string();
  const auto truth = truth_of(project);
  const Project before = read_project(project);
  write_crop(s.crops / "tiny_raw.h5", "stacked_channels", "xy");  // stored transposed
  const std::string original_crop = bytes_of(s.crops / "tiny_raw.h5");
  const EditReport r = steinbock_fix(project);
  ASSERT_TRUE(r.changed);
  EXPECT_EQ(r.backup, project + ".bak");

  const Project p = read_project(project);
  EXPECT_EQ(p.ilastik_version, "1.3.3post3");
  const DatasetInfo& raw = *p.lanes[0].raw;
  EXPECT_EQ(raw.stored_path, "ilastik_crops/tiny_raw.h5/crop");
  EXPECT_EQ(raw.info_class, "RelativeFilesystemDatasetInfo");
  EXPECT_EQ(raw.axes, "cyx");
  EXPECT_EQ(raw.nickname, "tiny_raw");
  EXPECT_EQ(*raw.shape, (Shape{1, 12, 16}));
  EXPECT_TRUE(raw.found);
  // Blocks in c,y,x without axistags: what 1.3.3post3 and 1.4.x both read for a 1.3.3post3 file.
  for (const auto& b : p.labels[0].blocks) {
    EXPECT_EQ(b.block_slice.rfind("[0:1,", 0), 0u) << b.block_slice;
    EXPECT_EQ(b.start.size(), 3u);
  }
  Diagnostics d;
  const IlpTree tree = load_tree(project, ReadOptions{}, d);
  for (const Node* b : tree.root->find("PixelClassification/LabelSets/labels000")->children()) EXPECT_FALSE(b->attribute("axistags"));
  EXPECT_FALSE(tree.root->find("Input Data/infos/lane0000/Raw Data/axisorder"));
  EXPECT_EQ(decode_labels_as(p, 0, "cyx").data, truth);
  EXPECT_NE(decode_labels_as(p, 0, "yxc").data, truth);  // a reader assuming y,x,c misplaces them
  // The forests and features are untouched.
  ASSERT_TRUE(p.classifier);
  EXPECT_EQ(p.classifier->forests.size(), before.classifier->forests.size());
  for (std::size_t t = 0; t < p.classifier->forests[0].trees.size(); ++t)
    EXPECT_EQ(p.classifier->forests[0].trees[t].parameters, before.classifier->forests[0].trees[t].parameters);
  EXPECT_EQ(p.features->ids, before.features->ids);
  // steinbock's export settings.
  ASSERT_TRUE(p.export_settings);
  EXPECT_EQ(p.export_settings->filename_format, "ilastik_probabilities/{nickname}.tiff");
  EXPECT_EQ(p.export_settings->format, "tiff");
  EXPECT_EQ(p.export_settings->dtype, "uint16");
  EXPECT_EQ(p.export_settings->axis_order, "yxc");
  EXPECT_EQ(p.export_settings->internal_path, "exported_data");
  EXPECT_EQ(p.export_settings->export_min, 0);
  EXPECT_EQ(p.export_settings->export_max, 65535);
  // The crop: c,y,x float32, the same pixels, marked; the original kept in the backup folder.
  {
    auto f = hdf5::File::open_read_only((s.crops / "tiny_raw.h5").string());
    auto ds = hdf5::open_object(f.id(), "crop");
    EXPECT_EQ(hdf5::dataset_info(ds.id()).type, ValueType::Float32);
    const Value v = hdf5::read_dataset(ds.id(), 1 << 20);
    ASSERT_EQ(v.shape(), (std::vector<std::uint64_t>{1, kY, kX}));
    for (std::uint64_t y = 0; y < kY; ++y)
      for (std::uint64_t x = 0; x < kX; ++x) ASSERT_EQ(v.number(y * kX + x), pixel(0, y, x)) << y << "," << x;
    EXPECT_EQ(parse_axistags_json(hdf5::read_attribute(ds.id(), "axistags", 1 << 16).text()), "cyx");
    EXPECT_NE(hdf5::read_attribute(ds.id(), "steinbock", 16).number(), 0);
    EXPECT_FALSE(hdf5::exists(f.id(), "stacked_channels"));
  }
  EXPECT_EQ(bytes_of(s.dir / "ilastik_crops.bak" / "tiny_raw.h5"), original_crop);
  // validate --target bilingual: no error; a second run writes nothing.
  ValidateOptions v;
  v.target = "bilingual";
  for (const auto& f : validate_project(project, v)) EXPECT_NE(f.level, FindingLevel::Error) << f.code << " " << f.message;
  const std::string fixed = bytes_of(project);
  EXPECT_FALSE(steinbock_fix(project).changed);
  EXPECT_EQ(bytes_of(project), fixed);
}

TEST(SteinbockFix, Target14WritesTaggedInternalBlocks) {
  const Scene s = scene("target14");
  const auto truth = truth_of(s.project.string());
  write_crop(s.crops / "tiny_raw.h5", "data", "yxc");
  SteinbockFixOptions o;
  o.target = "1.4";
  ASSERT_TRUE(steinbock_fix(s.project.string(), o).changed);
  const Project p = read_project(s.project.string());
  EXPECT_EQ(p.ilastik_version, "1.4.2");
  EXPECT_EQ(p.labels[0].order_basis, "axistags attribute");
  EXPECT_EQ(p.labels[0].stored_axes, "yxc");
  EXPECT_EQ(decode_labels_as(p, 0, "yxc").data, truth);
  EXPECT_FALSE(steinbock_fix(s.project.string(), o).changed);
}

// steinbock's _get_hdf5_file loops forever on .hdf5 paths; here the crop is found by its stem,
// written as tiny_raw.h5 beside it (the .hdf5 stays), and found again by a second run.
TEST(SteinbockFix, Hdf5CropWithoutAxistagsTakesTheLanesOrder) {
  const Scene s = scene("hdf5");
  write_crop(s.crops / "tiny_raw.hdf5", "data", "yx", 1, kY, /*with_axistags=*/false);
  const std::string original = bytes_of(s.crops / "tiny_raw.hdf5");
  SaveOptions save;
  save.backup = false;
  ASSERT_TRUE(steinbock_fix(s.project.string(), {}, save).changed);
  EXPECT_FALSE(fs::exists(s.project.string() + ".bak"));
  EXPECT_FALSE(fs::exists(s.dir / "ilastik_crops.bak"));
  EXPECT_EQ(bytes_of(s.crops / "tiny_raw.hdf5"), original);
  EXPECT_EQ(read_project(s.project.string()).lanes[0].raw->stored_path, "ilastik_crops/tiny_raw.h5/crop");
  EXPECT_FALSE(steinbock_fix(s.project.string(), {}, save).changed);
}

TEST(SteinbockFix, OutputElsewhereGetsPathsRelativeToIt) {
  const Scene s = scene("output");
  write_crop(s.crops / "tiny_raw.h5", "data", "yx");
  fs::create_directories(s.dir / "out");
  SaveOptions save;
  save.output = (s.dir / "out" / "fixed.ilp").string();
  SteinbockFixOptions o;
  o.probabilities = (s.dir / "probs").string();
  const std::string original = bytes_of(s.project);
  steinbock_fix(s.project.string(), o, save);
  EXPECT_EQ(bytes_of(s.project), original);
  const Project p = read_project(save.output);
  EXPECT_EQ(p.lanes[0].raw->stored_path, "../ilastik_crops/tiny_raw.h5/crop");
  EXPECT_TRUE(p.lanes[0].raw->found);
  EXPECT_EQ(p.export_settings->filename_format, "../probs/{nickname}.tiff");
}

TEST(SteinbockFix, RefusesWithoutWritingAnything) {
  {
    const Scene s = scene("missing");
    expect_refused(s, "E_CROP_MISSING");
  }
  {
    const Scene s = scene("unused");
    write_crop(s.crops / "tiny_raw.h5", "data", "yx");
    write_crop(s.crops / "other.h5", "data", "yx");
    expect_refused(s, "E_CROP_UNUSED");
  }
  {
    const Scene s = scene("size");
    write_crop(s.crops / "tiny_raw.h5", "data", "yx", 1, kY - 1);
    expect_refused(s, "E_CROP_SHAPE");
  }
  {
    const Scene s = scene("channels");  // the forest was trained on one channel
    write_crop(s.crops / "tiny_raw.h5", "data", "yxc", 2);
    expect_refused(s, "E_CROP_SHAPE");
  }
  {
    const Scene s = scene("axes");  // 3 axes, no axistags, and the lane's order has 2
    write_crop(s.crops / "tiny_raw.h5", "data", "cyx", 2, kY, false);
    expect_refused(s, "E_CROP_AXES");
  }
  {
    const Scene s = scene("dataset");
    write_crop(s.crops / "tiny_raw.h5", "a", "yx");
    {
      auto f = hdf5::File::open_read_write((s.crops / "tiny_raw.h5").string());
      hdf5::write_dataset(f.id(), "b", Value::from_vector(std::vector<std::uint8_t>{1}, {1}));
    }
    expect_refused(s, "E_CROP_DATASET");
  }
  {
    const Scene s = scene("target");
    SteinbockFixOptions o;
    o.target = "1.3";
    expect_refused(s, "--target", o);
  }
}

TEST(SteinbockFix, CommandLine) {
  const Scene s = scene("cli");
  const std::string exe = ILPKIT_EXE;
  EXPECT_EQ(test::run_exit_code(exe + " steinbock-fix --ilp " + test::shell_quote(s.project.string())), 2);  // no crop
  const std::string err = test::capture(exe + " steinbock-fix " + test::shell_quote(s.project.string()) + " 2>&1 >/dev/null");
  EXPECT_NE(err.find("E_CROP_MISSING"), std::string::npos) << err;
  write_crop(s.crops / "tiny_raw.h5", "data", "yx");
  EXPECT_EQ(test::run_exit_code("cd " + test::shell_quote(s.dir.string()) + " && mv project.ilp pixel_classifier.ilp && " + exe +
                                " steinbock-fix"),
            0);  // steinbock's defaults: pixel_classifier.ilp and ilastik_crops in the working folder
  EXPECT_EQ(read_project((s.dir / "pixel_classifier.ilp").string()).ilastik_version, "1.3.3post3");
}
