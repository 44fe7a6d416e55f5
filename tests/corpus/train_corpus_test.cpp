// SPDX-License-Identifier: MIT
// `ilpkit train` writes ClassifierForests and ClassifierFactory as ilastik 1.4.2 does: compared
// with a real 1.4.2 project group by group, dataset by dataset (dtype, shape), attribute by
// attribute; the rest of the project is unchanged in meaning.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>

#include "corpus.hpp"
#include "ilpkit/ilp.hpp"
#include "test_paths.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;

namespace {

// Every path below `node` with what it is: "group", or the dataset's type and rank; attributes
// with their types.
void describe(const Node& node, const std::string& path, std::map<std::string, std::string>& out) {
  for (const auto& [name, v] : node.attributes()) out[path + "@" + name] = v.describe();
  if (node.is_dataset()) {
    out[path] = std::string(to_string(node.type())) + " rank " + std::to_string(node.shape().size());
    return;
  }
  out[path] = "group";
  for (const Node* c : node.children()) describe(*c, path + "/" + c->name(), out);
}

}  // namespace

TEST(CorpusTrain, WritesIlastik142sClassifierLayout) {
  REQUIRE_CORPUS();
  const fs::path dir = test::corpus_root() / "ilastik" / "c01_2d_u8_coins_2cls_default";
  const fs::path work = test::temp_path("c01");
  fs::remove_all(work);
  fs::create_directories(work);
  fs::copy(dir, work, fs::copy_options::recursive);
  const std::string trained = (work / "trained.ilp").string();
  const std::string cmd = std::string(ILPKIT_EXE) + " train '" + (work / "project.ilp").string() + "' -o '" + trained +
                          "' --seed 5 --forests 2 --quiet";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  Diagnostics d1, d2;
  IlpTree ours = load_tree(trained, ReadOptions{}, d1);
  IlpTree theirs = load_tree((dir / "project.ilp").string(), ReadOptions{}, d2);
  std::map<std::string, std::string> a, b;
  describe(*ours.root->find("PixelClassification/ClassifierForests"), "ClassifierForests", a);
  describe(*theirs.root->find("PixelClassification/ClassifierForests"), "ClassifierForests", b);
  EXPECT_EQ(a, b);
  EXPECT_EQ(ours.root->find("PixelClassification/ClassifierForests/pickled_type")->value().text(),
            theirs.root->find("PixelClassification/ClassifierForests/pickled_type")->value().text());
  EXPECT_EQ(ours.root->find("PixelClassification/ClassifierForests/feature_names")->value().string_values(),
            theirs.root->find("PixelClassification/ClassifierForests/feature_names")->value().string_values());
  EXPECT_EQ(ours.root->find("PixelClassification/ClassifierFactory")->value().describe(),
            theirs.root->find("PixelClassification/ClassifierFactory")->value().describe());
  // Everything outside the classifier is the same in meaning (paths, types; values of small datasets).
  std::map<std::string, std::string> all_a, all_b;
  describe(*ours.root, "", all_a);
  describe(*theirs.root, "", all_b);
  for (auto* m : {&all_a, &all_b})
    for (auto it = m->begin(); it != m->end();)
      it = it->first.rfind("/PixelClassification/Classifier", 0) == 0 ? m->erase(it) : std::next(it);
  EXPECT_EQ(all_a, all_b);
  fs::remove_all(work);
}
