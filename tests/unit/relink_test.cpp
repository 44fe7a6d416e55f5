// SPDX-License-Identifier: MIT
// `relink` on copies of the generated minimal project whose data moved: found by name, by a
// prefix map (also from a Windows path) or given per lane; written as ilastik writes paths;
// idempotent; and every result ilastik could not reopen is refused with its rule, writing nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "hdf5.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/surgery.hpp"
#include "minimal_project.hpp"
#include "shell.hpp"
#include "test_paths.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;

namespace {

const char* kRaw = "Input Data/infos/lane0000/Raw Data";

// minimal_14.ilp in <dir>/proj with its stored path set to `stored`; tiny_raw.h5 under
// <dir>/`data_subdir` (not copied when empty).
std::string moved_project(const std::string& name, const std::string& stored, const std::string& data_subdir) {
  return test::minimal_project_copy("relink_" + name, {"proj", data_subdir, [&](IlpTree& tree) {
                                      tree.root->find(std::string(kRaw) + "/filePath")->set_value(Value::string(stored));
                                    }});
}

std::string bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

const DatasetInfo& raw_of(const Project& p) { return *p.lanes.front().raw; }

}  // namespace

TEST(Relink, SearchFindsTheDataByNameAndWritesARelativePathInsideTheProject) {
  const std::string p = moved_project("search", "/lost/place/tiny_raw.h5/data", "proj/images/sub");
  const Project before = read_project(p);
  EXPECT_FALSE(raw_of(before).found);
  RelinkOptions o;
  o.search = {(fs::path(p).parent_path() / "images").string()};
  const EditReport r = relink(p, o);
  EXPECT_TRUE(r.changed);
  const Project after = read_project(p);
  EXPECT_TRUE(raw_of(after).found);
  EXPECT_EQ(raw_of(after).stored_path, "images/sub/tiny_raw.h5/data");
  EXPECT_EQ(raw_of(after).info_class, "RelativeFilesystemDatasetInfo");
  EXPECT_EQ(decode_labels(after, 0).data, decode_labels(before, 0).data);
  EXPECT_TRUE(after.classifier) << "same pixels: the forest stays";
  EXPECT_FALSE(has_errors(validate_project(p)));
  // Idempotent.
  const std::string once = bytes(p);
  EXPECT_FALSE(relink(p, o).changed);
  EXPECT_EQ(bytes(p), once);
}

TEST(Relink, MapsRewritePrefixesAlsoFromWindowsPaths) {
  const std::string p = moved_project("map", "D:\\Imaging\\run1\\tiny_raw.h5/data", "data/run1");
  RelinkOptions o;
  const std::string target = (fs::path(p).parent_path().parent_path() / "data").lexically_normal().generic_string();
  o.maps = {{"d:/imaging", target}};
  relink(p, o);
  const Project after = read_project(p);
  EXPECT_TRUE(raw_of(after).found);
  EXPECT_EQ(raw_of(after).stored_path, target + "/run1/tiny_raw.h5/data");  // outside the project folder: absolute
  EXPECT_EQ(raw_of(after).info_class, "FilesystemDatasetInfo");
  // --relative re-expresses it with ../, as ilastik 1.4.2 accepts.
  o.maps.clear();
  o.style = RelinkOptions::Style::Relative;
  relink(p, o);
  EXPECT_EQ(raw_of(read_project(p)).stored_path, "../data/run1/tiny_raw.h5/data");
  EXPECT_TRUE(raw_of(read_project(p)).found);
}

TEST(Relink, ResultsIlastikCannotReopenAreRefusedAndNothingIsWritten) {
  const std::string p = moved_project("refuse", "/lost/tiny_raw.h5/data", "");
  const fs::path dir = fs::path(p).parent_path();
  // A smaller image (labels would be dropped), an image in a folder named like an HDF5 file,
  // a stack, a missing file.
  {
    auto f = hdf5::File::create((dir / "small.h5").string());
    hdf5::write_dataset(f.id(), "/data", Value::numeric(ValueType::UInt8, {4, 4}, std::vector<unsigned char>(16, 1)));
  }
  fs::create_directories(dir / "run.h5_out");
  fs::copy_file(test::testdata("tiny_raw.h5"), dir / "run.h5_out" / "tiny_raw.h5");
  const std::string original = bytes(p);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"small.h5/data", "E_RELINK_SHAPE"},
      {"run.h5_out/tiny_raw.h5/data", "E_PATH_AMBIGUOUS"},
      {"small.h5/data:small.h5/data", "E_RELINK_STACK"},
      {"nowhere.h5/data", "E_RELINK_MISSING"},
  };
  for (const auto& [target, rule] : cases) {
    RelinkOptions o;
    o.lanes = {{0, target}};
    try {
      relink(p, o);
      ADD_FAILURE() << target;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(rule), std::string::npos) << target << ": " << e.what();
    }
  }
  EXPECT_EQ(bytes(p), original);
  EXPECT_FALSE(fs::exists(p + ".bak"));
}

TEST(Relink, CommandLineReportsLanesStillWithoutData) {
  const std::string p = moved_project("cli", "/lost/tiny_raw.h5/data", "proj/found");
  const std::string exe = std::string(ILPKIT_EXE) + " relink " + test::shell_quote(p);
  EXPECT_EQ(test::run_exit_code(exe), 1);  // nothing to go on: the lane stays unresolved
  EXPECT_EQ(test::run_exit_code(exe + " --search " + test::shell_quote((fs::path(p).parent_path() / "found").string())), 0);
  EXPECT_EQ(test::run_exit_code(exe), 0);
  EXPECT_EQ(test::run_exit_code(exe + " --lane x=a.h5"), 2);
}

// ilastik #2686: relinking in the GUI by dialog (name) order put labels on the wrong images.
// Two lanes whose files sort the other way round: each is matched by its own name, the labels
// stay with their lane, and W_RELINK_LANE_ORDER says a by-order relink would have swapped them.
TEST(Relink, ReportsWhenNameOrderIsNotLaneOrder) {
  const std::string p = test::minimal_project_copy("relink_order", {"proj", "", [&](IlpTree& tree) {
    Node& infos = *tree.root->find("Input Data/infos");
    Node& second = infos.require_group("lane0001").require_group("Raw Data");
    for (const Node* c : tree.root->find(kRaw)->children()) second.add_child(Node::make_dataset(c->name(), c->value()));
    second.add_child(Node::make_dataset("filePath", Value::string("/lost/a_raw.h5/data")));
    second.add_child(Node::make_dataset("nickname", Value::string("a_raw")));
    tree.root->find(std::string(kRaw) + "/filePath")->set_value(Value::string("/lost/b_raw.h5/data"));
  }});
  const fs::path images = fs::path(p).parent_path() / "images";
  fs::create_directories(images);
  fs::copy_file(test::testdata("tiny_raw.h5"), images / "b_raw.h5");
  fs::copy_file(test::testdata("tiny_raw.h5"), images / "a_raw.h5");
  const Project before = read_project(p);
  ASSERT_EQ(before.lanes.size(), 2u);
  RelinkOptions o;
  o.search = {images.string()};
  const EditReport r = relink(p, o);
  const auto warning = std::find_if(r.notes.begin(), r.notes.end(),
                                    [](const std::string& n) { return n.find("W_RELINK_LANE_ORDER") != std::string::npos; });
  ASSERT_NE(warning, r.notes.end());
  EXPECT_NE(warning->find("lane0001, lane0000"), std::string::npos) << *warning;
  const Project after = read_project(p);
  EXPECT_EQ(after.lanes[0].raw->stored_path, "images/b_raw.h5/data");
  EXPECT_EQ(after.lanes[1].raw->stored_path, "images/a_raw.h5/data");
  EXPECT_EQ(decode_labels(after, 0).data, decode_labels(before, 0).data);
}
