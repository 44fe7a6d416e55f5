// SPDX-License-Identifier: MIT
// `strip` / `compact` on copies of the generated minimal project with planted leftovers: legacy
// groups, an embedded dataset no lane uses and an old-style empty bookmark list go; labels,
// forests and features stay value for value; a second run writes nothing; --classifier-only
// keeps a project that still predicts.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/surgery.hpp"
#include "minimal_project.hpp"
#include "shell.hpp"
#include "test_paths.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;

namespace {

std::string cluttered(const std::string& name) {
  return test::minimal_project_copy("compact_" + name, {"", ".", [](IlpTree& tree) {
    tree.root->require_group("ProjectMetadata").add_child(Node::make_dataset("ProjectName", Value::string("old")));
    tree.root->require_group("Batch Inputs");
    tree.root->find("Input Data")->require_group("local_data").add_child(
        Node::make_dataset("0000-orphan", Value::numeric(ValueType::UInt8, {64, 64}, std::vector<unsigned char>(4096, 3))));
    tree.root->find("PixelClassification")->require_group("Bookmarks").add_child(Node::make_dataset("0000", Value::string("(lp1\n.")));
    // An unknown group (kept) with a large, very compressible dataset.
    tree.root->require_group("Extra").add_child(
        Node::make_dataset("zeros", Value::numeric(ValueType::Float32, {128, 128}, std::vector<unsigned char>(128 * 128 * 4, 0))));
  }});
}

std::string bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST(Compact, StripDropsLeftoversAndKeepsTheProject) {
  const std::string p = cluttered("strip");
  const Project before = read_project(p);
  const auto size_before = fs::file_size(p);
  const EditReport r = compact(p);
  EXPECT_TRUE(r.changed);
  Diagnostics d;
  const IlpTree tree = load_tree(p, ReadOptions{}, d);
  EXPECT_EQ(tree.root->child("ProjectMetadata"), nullptr);
  EXPECT_EQ(tree.root->child("Batch Inputs"), nullptr);
  EXPECT_EQ(tree.root->find("Input Data/local_data/0000-orphan"), nullptr);
  EXPECT_NE(tree.root->find("Extra/zeros"), nullptr) << "unknown groups are kept";
  const Node* bm = tree.root->find("PixelClassification/Bookmarks/0000");
  ASSERT_NE(bm, nullptr);
  EXPECT_EQ(bm->value().type(), ValueType::Opaque);
  EXPECT_EQ(bm->value().opaque_bytes(), "(lp0\n.");
  EXPECT_LT(fs::file_size(p), size_before);
  const Project after = read_project(p);
  EXPECT_EQ(decode_labels(after, 0).data, decode_labels(before, 0).data);
  ASSERT_TRUE(after.classifier);
  EXPECT_EQ(after.classifier->forests.front().trees.front().parameters, before.classifier->forests.front().trees.front().parameters);
  EXPECT_FALSE(has_errors(validate_project(p)));
  // Idempotent.
  const std::string once = bytes(p);
  EXPECT_FALSE(compact(p).changed);
  EXPECT_EQ(bytes(p), once);
}

TEST(Compact, CompactCompressesWhereItPays) {
  const std::string p = cluttered("compress");
  CompactOptions o;
  o.compress = true;
  compact(p, o);
  Diagnostics d;
  const IlpTree tree = load_tree(p, ReadOptions{}, d);
  EXPECT_EQ(tree.root->find("Extra/zeros")->storage().gzip_level, 1);
  const std::string stripped = cluttered("compress_plain");
  compact(stripped);
  EXPECT_LT(fs::file_size(p) + 50000, fs::file_size(stripped)) << "64 KB of zeros compressed";
  EXPECT_EQ(tree.root->find("PixelClassification/ClassifierForests/Forest0000/Tree_0/parameters")->storage().gzip_level, -1)
      << "small datasets stay as they are";
}

TEST(Compact, ClassifierOnlyStillPredicts) {
  const std::string p = cluttered("classifier_only");
  CompactOptions o;
  o.classifier_only = true;
  compact(p, o);
  const Project after = read_project(p);
  ASSERT_TRUE(after.classifier);
  for (const auto& l : after.labels) EXPECT_TRUE(l.blocks.empty());
  const fs::path dir = fs::path(p).parent_path();
  const std::string run = std::string(ILPKIT_EXE) + " run --project=" + test::shell_quote(p) + " --output_filename_format=" +
                          test::shell_quote((dir / "out.h5").string()) + " " + test::shell_quote((dir / "tiny_raw.h5").string() + "/data");
  EXPECT_EQ(test::run_exit_code(run), 0);
  EXPECT_TRUE(fs::exists(dir / "out.h5"));
  CompactOptions drop;
  drop.drop_forest = true;
  compact(p, drop);
  EXPECT_FALSE(read_project(p).classifier);
}

// A write that fails half way (a per-file size limit standing in for a full disk or a killed
// process) leaves the project exactly as it was and no temporary file behind, in place or with -o.
TEST(Compact, AFailedWriteLeavesTheOriginalIntact) {
  const std::string p = test::minimal_project_copy("compact_interrupted", {"", ".", [](IlpTree& tree) {
    // 4 MB of incompressible-ish values in an unknown group (kept by strip).
    std::vector<unsigned char> noise(4 << 20);
    std::uint32_t x = 12345;
    for (auto& b : noise) b = static_cast<unsigned char>((x = x * 1664525u + 1013904223u) >> 24);
    tree.root->require_group("Extra").add_child(Node::make_dataset("noise", Value::numeric(ValueType::UInt8, {noise.size()}, noise)));
    tree.root->require_group("ProjectMetadata");  // something to strip
  }});
  const fs::path dir = fs::path(p).parent_path();
  const std::string original = bytes(p);
  for (const std::string& extra : {std::string(), " -o " + test::shell_quote((dir / "out.ilp").string())}) {
    const std::string cmd = "sh -c \"trap '' XFSZ; ulimit -f 2048; exec " + std::string(ILPKIT_EXE) + " strip " +
                            test::shell_quote(p) + extra + "\"";
    EXPECT_NE(test::run_exit_code(cmd), 0) << cmd;
    EXPECT_EQ(bytes(p), original) << extra;
    EXPECT_FALSE(fs::exists(dir / "out.ilp"));
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      EXPECT_TRUE(name == "project.ilp" || name == "tiny_raw.h5") << "left behind: " << name;
    }
  }
}
