// SPDX-License-Identifier: MIT
// `validate` on copies of the generated minimal project, each with one defect planted through
// the tree API: the defect's lint code appears (surgery.md §2.1), the clean copy has no errors,
// and validating never writes to the file.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

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

std::string planted(const std::string& name, const std::function<void(IlpTree&)>& edit) {
  return test::minimal_project_copy("validate_" + name, {"", ".", edit});
}

std::vector<std::string> codes(const std::string& path, const ValidateOptions& o = {}) {
  std::vector<std::string> out;
  for (const auto& f : validate_project(path, o)) out.push_back(f.code);
  return out;
}

bool has(const std::vector<std::string>& c, const std::string& code) {
  return std::find(c.begin(), c.end(), code) != c.end();
}

void set_text(IlpTree& t, const std::string& path, const std::string& text) {
  Node* n = t.root->find(path);
  ASSERT_NE(n, nullptr) << path;
  n->set_value(Value::string(text));
}

}  // namespace

TEST(Validate, TheGeneratedProjectIsClean) {
  const std::string p = planted("clean", [](IlpTree&) {});
  const auto before = fs::last_write_time(p);
  const auto findings = validate_project(p);
  EXPECT_FALSE(has_errors(findings));
  for (const auto& f : findings) EXPECT_NE(f.level, FindingLevel::Warning) << f.code << " " << f.message;
  EXPECT_EQ(fs::last_write_time(p), before);
}

TEST(Validate, EachPlantedDefectGivesItsCode) {
  struct Case {
    const char* code;
    std::function<void(IlpTree&)> edit;
  };
  const std::vector<Case> cases = {
      {"E002", [](IlpTree& t) { t.root->find("ilastikVersion")->set_value(Value::scalar(0.6)); }},
      {"E003", [](IlpTree& t) { set_text(t, "ilastikVersion", "2.0.0"); }},
      {"E010", [](IlpTree& t) { set_text(t, std::string(kRaw) + "/__class__", "BogusDatasetInfo"); }},
      {"E011", [](IlpTree& t) { t.root->find(kRaw)->remove_child("nickname"); }},
      {"E012", [](IlpTree& t) {
         set_text(t, std::string(kRaw) + "/__class__", "RelativeFilesystemDatasetInfo");
         set_text(t, std::string(kRaw) + "/filePath", "/elsewhere/tiny_raw.h5/data");
       }},
      {"E013", [](IlpTree& t) { set_text(t, std::string(kRaw) + "/filePath", "tiny_raw.h5/data:other.h5/data"); }},
      {"E016", [](IlpTree& t) {
         set_text(t, std::string(kRaw) + "/filePath", "gone.h5/data");
         t.root->find(kRaw)->remove_child("shape");
       }},
      {"I060", [](IlpTree& t) { set_text(t, std::string(kRaw) + "/filePath", "gone.h5/data"); }},
      {"E017", [](IlpTree& t) {
         set_text(t, std::string(kRaw) + "/filePath", "gone.h5/data");
         t.root->find("PixelClassification")->remove_child("ClassifierForests");
       }},
      {"W056", [](IlpTree& t) { t.root->find("PixelClassification")->remove_child("ClassifierForests"); }},
      {"E024", [](IlpTree& t) { t.root->find("PixelClassification/LabelSets/labels000/block0000")->erase_attribute("blockSlice"); }},
      {"E026", [](IlpTree& t) {
         t.root->find("PixelClassification/LabelSets/labels000")->set_attribute("meta.has_mask", Value::scalar<std::uint8_t>(1));
       }},
      {"E030", [](IlpTree& t) { t.root->find("FeatureSelections")->remove_child("StorageVersion"); }},
      {"E031", [](IlpTree& t) {
         t.root->find("FeatureSelections")
             ->add_child(Node::make_dataset("SelectionMatrix", Value::bools(std::vector<bool>(36, false), {6, 6})));
       }},
      {"E032", [](IlpTree& t) { t.root->find("FeatureSelections")->add_child(Node::make_dataset("FeatureListFilename", Value::string("f.txt"))); }},
      {"E033", [](IlpTree& t) {
         // One more selected feature: the stored forest expects 3 columns, the selection gives 4.
         Node* m = t.root->find("FeatureSelections/SelectionMatrix");
         std::vector<bool> sel(42, false);
         const Value v = m->value();
         for (std::size_t i = 0; i < 42; ++i) sel[i] = v.number(i) != 0;
         sel[7 * 1 + 0] = true;  // LaplacianOfGaussian at 0.3
         m->set_value(Value::bools(sel, {6, 7}));
       }},
      {"E034", [](IlpTree& t) {
         // The same number of channels, different names: a stale forest used silently.
         Node* m = t.root->find("FeatureSelections/SelectionMatrix");
         std::vector<bool> sel(42, false);
         const Value v = m->value();
         for (std::size_t i = 0; i < 42; ++i) sel[i] = v.number(i) != 0;
         sel[0] = false, sel[7 * 1 + 0] = true;  // GaussianSmoothing 0.3 -> LaplacianOfGaussian 0.3
         m->set_value(Value::bools(sel, {6, 7}));
       }},
      {"W042", [](IlpTree& t) {
         Node& bm = t.root->find("PixelClassification")->require_group("Bookmarks");
         bm.add_child(Node::make_dataset("0000", Value::opaque("cos\nsystem\n(S'true'\ntR.")));
       }},
      {"W050", [](IlpTree& t) { set_text(t, std::string(kRaw) + "/filePath", "C:\\data\\tiny_raw.h5/data"); }},
      {"W052", [](IlpTree& t) {
         Node& ex = t.root->require_group("Prediction Export");
         ex.add_child(Node::make_dataset("StorageVersion", Value::string("0.1")));
         ex.add_child(Node::make_dataset("OutputFilenameFormat", Value::string("V:/results/{nickname}")));
       }},
      {"W057", [](IlpTree& t) { t.root->find(kRaw)->add_child(Node::make_dataset("axisorder", Value::string("xy"))); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.code);
    const std::string path = planted(c.code, c.edit);
    const auto found = codes(path);
    EXPECT_TRUE(has(found, c.code)) << "found: " << ::testing::PrintToString(found);
    EXPECT_EQ(has_errors(validate_project(path)), c.code[0] == 'E' || has(found, "E016")) << ::testing::PrintToString(found);
  }
}

// E023: relinked to an image smaller than the labels (ilastik 1.4.2 drops them all silently).
TEST(Validate, DataSmallerThanTheLabelsIsE023) {
  const std::string p = planted("smaller", [](IlpTree& t) { set_text(t, std::string(kRaw) + "/filePath", "small.h5/data"); });
  {
    auto f = hdf5::File::create((fs::path(p).parent_path() / "small.h5").string());
    std::vector<std::uint8_t> px(4 * 4, 7);
    hdf5::write_dataset(f.id(), "/data", Value::numeric(ValueType::UInt8, {4, 4}, std::vector<unsigned char>(px.begin(), px.end())));
  }
  EXPECT_TRUE(has(codes(p), "E023"));
}

TEST(Validate, ACorruptFileIsE001AndBadOptionsAreUsageErrors) {
  const std::string bad = test::temp_path("validate_corrupt.ilp");
  { std::ofstream(bad) << "not hdf5"; }
  EXPECT_TRUE(has(codes(bad), "E001"));
  ValidateOptions o;
  o.target = "1.2";
  try {
    validate_project(bad, o);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
  }
}

// The CLI: one line per finding and a summary; exit 1 on errors, 0 otherwise; --json parses.
TEST(Validate, CommandLineExitCodes) {
  const std::string clean = planted("cli_clean", [](IlpTree&) {});
  const std::string broken = planted("cli_broken", [](IlpTree& t) { t.root->find("FeatureSelections")->remove_child("StorageVersion"); });
  EXPECT_EQ(test::run_exit_code(std::string(ILPKIT_EXE) + " validate " + test::shell_quote(clean)), 0);
  EXPECT_EQ(test::run_exit_code(std::string(ILPKIT_EXE) + " validate " + test::shell_quote(broken)), 1);
  const std::string out = test::capture(std::string(ILPKIT_EXE) + " validate --json " + test::shell_quote(broken));
  EXPECT_NE(out.find("\"code\": \"E030\""), std::string::npos) << out;
  EXPECT_EQ(test::run_exit_code(std::string(ILPKIT_EXE) + " validate --target=9 " + test::shell_quote(clean)), 2);
}
