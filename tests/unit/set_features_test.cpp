// SPDX-License-Identifier: MIT
// `set-features` on copies of the generated minimal project: the selection changes, the stale
// forest goes, nothing else changes (labels, names, lanes), the original survives as .bak, a
// second identical call writes nothing, and bad requests write nothing at all.
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

std::string copy_minimal(const std::string& name) { return test::minimal_project_copy("set_features_" + name); }

std::string bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> channel_names(const std::string& path) {
  std::vector<std::string> out;
  for (const auto& c : project_feature_channels(read_project(path))) out.push_back(c.name);
  return out;
}

}  // namespace

TEST(SetFeatures, NewChannelsReplaceTheSelectionAndDropTheStaleForest) {
  const std::string p = copy_minimal("change");
  const std::string original = bytes(p);
  const Project before = read_project(p);
  ASSERT_TRUE(before.classifier);
  const std::vector<FeatureChoice> wanted = {{"GaussianSmoothing", 0.7, true}, {"LaplacianOfGaussian", 2.5, true}};
  const EditReport r = set_features(p, wanted);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.written, p);
  EXPECT_EQ(bytes(r.backup), original);

  const Project after = read_project(p);
  EXPECT_FALSE(after.classifier) << "a forest trained on other features must not survive";
  EXPECT_EQ(channel_names(p), (std::vector<std::string>{"Gaussian Smoothing (σ=0.7) in 2D", "Laplacian of Gaussian (σ=2.5) in 2D"}));
  // New scales join the stored ones in order; the stored FeatureIds order stays.
  EXPECT_EQ(after.features->ids, before.features->ids);
  EXPECT_EQ(after.features->scales, (std::vector<double>{0.3, 0.7, 1.0, 1.6, 2.5, 3.5, 5.0, 10.0}));
  // Everything else is as it was.
  const LabelVolume l0 = decode_labels(before, 0), l1 = decode_labels(after, 0);
  EXPECT_EQ(l1.data, l0.data);
  EXPECT_EQ(l1.shape, l0.shape);
  ASSERT_EQ(after.label_classes.size(), before.label_classes.size());
  for (std::size_t i = 0; i < after.label_classes.size(); ++i) EXPECT_EQ(after.label_classes[i].name, before.label_classes[i].name);
  EXPECT_EQ(after.lanes.front().raw->stored_path, before.lanes.front().raw->stored_path);
  EXPECT_EQ(after.factory.num_trees, before.factory.num_trees);

  // Idempotent: the same request again writes nothing.
  const std::string once = bytes(p);
  const EditReport again = set_features(p, wanted);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(bytes(p), once);
}

TEST(SetFeatures, TheSameChannelsKeepTheForestAndWriteNothing) {
  const std::string p = copy_minimal("same");
  const std::string original = bytes(p);
  const EditReport r = set_features(p, feature_choices_of(p));
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(bytes(p), original);
  EXPECT_FALSE(fs::exists(p + ".bak"));
}

TEST(SetFeatures, OutputLeavesTheProjectUntouchedAndFromCopiesASelection) {
  const std::string p = copy_minimal("output");
  const std::string original = bytes(p);
  SaveOptions save;
  save.output = (fs::path(p).parent_path() / "new.ilp").string();
  set_features(p, {{"HessianOfGaussianEigenvalues", 3.5, true}}, save);
  EXPECT_EQ(bytes(p), original);
  EXPECT_EQ(channel_names(save.output).size(), 2u);  // two eigenvalues
  // --from: the original's selection back onto the new file gives the original channels.
  set_features(save.output, feature_choices_of(p));
  EXPECT_EQ(channel_names(save.output), channel_names(p));
}

TEST(SetFeatures, BadRequestsAreUsageErrorsAndWriteNothing) {
  const std::string p = copy_minimal("bad");
  const std::string original = bytes(p);
  const std::vector<std::vector<FeatureChoice>> bad = {
      {},
      {{"Bogus", 1.0, true}},
      {{"GaussianSmoothing", 0.0, true}},
      {{"GaussianSmoothing", 1.0, true}, {"LaplacianOfGaussian", 1.0, false}},
  };
  for (const auto& choices : bad) {
    try {
      set_features(p, choices);
      ADD_FAILURE() << choices.size();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Usage) << e.what();
    }
  }
  EXPECT_EQ(bytes(p), original);
  EXPECT_FALSE(fs::exists(p + ".bak"));
}

TEST(SetFeatures, CommandLineThenTrainGivesACleanProject) {
  const std::string p = copy_minimal("cli");
  const std::string exe = std::string(ILPKIT_EXE);
  EXPECT_EQ(test::run_exit_code(exe + " set-features " + test::shell_quote(p) + " --ids GaussianSmoothing,LaplacianOfGaussian --scales 0.7,1.6"), 0);
  EXPECT_EQ(channel_names(p).size(), 4u);
  EXPECT_EQ(test::run_exit_code(exe + " set-features " + test::shell_quote(p) + " --features Nope@1"), 2);
  EXPECT_EQ(test::run_exit_code(exe + " train " + test::shell_quote(p) + " --quiet"), 0);
  EXPECT_FALSE(has_errors(validate_project(p)));
  EXPECT_EQ(read_project(p).classifier->feature_count(), 4u);
}

// surgery.md §2.0: a project another program holds open for writing (ilastik's GUI takes HDF5's
// lock) is not replaced under it: E_IN_USE, the bytes unchanged. flock(1) stands in for ilastik.
TEST(SetFeatures, AProjectInUseIsNotReplaced) {
  if (test::run_exit_code("command -v flock") != 0) GTEST_SKIP() << "flock(1) is not installed";
  const std::string p = copy_minimal("in_use");
  const std::string original = bytes(p);
  const std::string holder = "flock -x " + test::shell_quote(p) + " -c 'sleep 3' & sleep 0.5; ";
  const std::string cmd = holder + std::string(ILPKIT_EXE) + " set-features " + test::shell_quote(p) +
                          " --features GaussianSmoothing@2.5; status=$?; wait; exit $status";
  EXPECT_EQ(test::run_exit_code("sh -c " + test::shell_quote(cmd)), 4);
  EXPECT_EQ(bytes(p), original);
  EXPECT_FALSE(fs::exists(p + ".bak"));
  // Released, the same command works.
  EXPECT_EQ(test::run_exit_code(std::string(ILPKIT_EXE) + " set-features " + test::shell_quote(p) + " --features GaussianSmoothing@2.5"), 0);
}
