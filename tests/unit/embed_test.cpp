// SPDX-License-Identifier: MIT
// `embed` / `extract` on a copy of the generated minimal project: the pixels move bit for bit,
// the project works without its data folder, labels and forest stay, both are idempotent, and an
// existing output file is not overwritten without --force.
#include <gtest/gtest.h>

#include <filesystem>

#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/image.hpp"
#include "ilpkit/surgery.hpp"
#include "test_paths.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;

namespace {

std::vector<float> pixels(const std::string& spec) {
  auto src = open_image(spec);
  const auto g = src->info().geometry();
  PlanarBlock b;
  src->read(0, Box{{0, 0, 0}, {g.z, g.y, g.x}}, b);
  return std::vector<float>(b.data.begin(), b.data.end());
}

}  // namespace

TEST(EmbedExtract, PixelsMoveBitForBitAndTheProjectTravelsAlone) {
  const fs::path dir = test::temp_path("embed");
  fs::remove_all(dir);
  fs::create_directories(dir / "moved");
  fs::copy_file(test::testdata("tiny_raw.h5"), dir / "tiny_raw.h5");
  fs::copy_file(test::testdata("minimal_14.ilp"), dir / "project.ilp");
  const std::string p = (dir / "project.ilp").string();
  const Project before = read_project(p);
  const auto original = pixels((dir / "tiny_raw.h5").string() + "/data");

  EXPECT_TRUE(embed(p).changed);
  EXPECT_FALSE(embed(p).changed) << "nothing left to embed";
  // The project alone, in another folder: its data comes along.
  const std::string moved = (dir / "moved" / "project.ilp").string();
  fs::copy_file(p, moved);
  const Project inside = read_project(moved);
  const DatasetInfo& raw = *inside.lanes.front().raw;
  EXPECT_EQ(raw.location, DataLocation::ProjectInternal);
  EXPECT_TRUE(raw.found);
  EXPECT_EQ(raw.shape, before.lanes.front().raw->shape);
  EXPECT_EQ(raw.axes, before.lanes.front().raw->axes);
  EXPECT_EQ(raw.nickname, before.lanes.front().raw->nickname);
  EXPECT_EQ(pixels(moved + raw.internal_path), original);
  EXPECT_EQ(decode_labels(inside, 0).data, decode_labels(before, 0).data);
  EXPECT_TRUE(inside.classifier);
  EXPECT_FALSE(has_errors(validate_project(moved)));

  // Out again, next to the moved project.
  const EditReport r = extract(moved);
  EXPECT_TRUE(r.changed);
  const Project outside = read_project(moved);
  const DatasetInfo& back = *outside.lanes.front().raw;
  EXPECT_EQ(back.location, DataLocation::FileSystem);
  EXPECT_EQ(back.stored_path, "project_data/tiny-data.h5/data");
  EXPECT_TRUE(back.found);
  EXPECT_EQ(pixels((dir / "moved" / "project_data" / "tiny-data.h5").string() + "/data"), original);
  EXPECT_EQ(decode_labels(outside, 0).data, decode_labels(before, 0).data);
  EXPECT_FALSE(extract(moved).changed);
  EXPECT_FALSE(has_errors(validate_project(moved)));

  // Embedding and extracting again meets the file from last time: refused unless --force.
  embed(moved);
  try {
    extract(moved);
    ADD_FAILURE() << "overwrote an existing file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("E_EXISTS"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_project(moved).lanes.front().raw->location, DataLocation::ProjectInternal) << "left as it was";
  ExtractOptions force;
  force.force = true;
  EXPECT_TRUE(extract(moved, force).changed);
  EXPECT_EQ(pixels((dir / "moved" / "project_data" / "tiny-data.h5").string() + "/data"), original);
}

TEST(EmbedExtract, MissingDataIsRefused) {
  const fs::path dir = test::temp_path("embed_missing");
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(test::testdata("minimal_14.ilp"), dir / "project.ilp");  // without its data
  try {
    embed((dir / "project.ilp").string());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("E_DATA_MISSING"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "project.ilp.bak"));
}
