// SPDX-License-Identifier: MIT
// The reader against real projects: every .ilp under the corpus (../shared/corpus, or
// $ILPKIT_CORPUS) loads or is refused cleanly, and the ilastik-made cases' decoded facts equal
// their meta.json and their dense labels/*.h5 pixel for pixel.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "corpus.hpp"
#include "forest_bytes.hpp"
#include "hdf5.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/image.hpp"
#include "ilpkit/surgery.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using test::corpus_root;
using test::ilastik_cases;

std::vector<fs::path> all_projects() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(corpus_root()))
    if (e.is_regular_file() && e.path().extension() == ".ilp") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// The workflow a file declares, read without the project parser.
std::string declared_workflow(const fs::path& p) {
  auto f = hdf5::File::open_read_only(p.string());
  if (!hdf5::exists(f.id(), "/workflowName")) return "";
  auto ds = hdf5::open_object(f.id(), "/workflowName");
  auto v = hdf5::read_dataset(ds.id(), 1 << 20);
  return v.type() == ValueType::String ? v.text() : "";
}

bool is_05_file(const fs::path& p) {
  auto f = hdf5::File::open_read_only(p.string());
  return hdf5::exists(f.id(), "/DataSets") && hdf5::exists(f.id(), "/Project");
}

}  // namespace

TEST(Corpus, EveryProjectLoadsOrIsRefusedCleanly) {
  REQUIRE_CORPUS();
  auto projects = all_projects();
  ASSERT_GT(projects.size(), 50u) << "expected the full corpus under " << corpus_root();
  int loaded = 0, refused = 0, labels_decoded = 0;
  for (const auto& path : projects) {
    SCOPED_TRACE(path.string());
    std::string workflow = declared_workflow(path);
    bool pixel_classification = !is_05_file(path) && (workflow.empty() || workflow == "Pixel Classification");
    try {
      Project p = read_project(path.string());
      EXPECT_TRUE(pixel_classification) << "loaded a '" << workflow << "' project";
      ++loaded;
      for (std::size_t i = 0; i < p.lanes.size(); ++i) {
        if (i >= p.labels.size() || p.labels[i].blocks.empty() || !p.labels[i].order_error.empty()) continue;
        auto vol = decode_labels(p, i);  // decided orders must decode
        std::int64_t nonzero = std::count_if(vol.data.begin(), vol.data.end(), [](auto v) { return v != 0; });
        std::int64_t counted = 0;
        for (const auto& [v, n] : p.labels[i].counts) counted += n;
        EXPECT_EQ(nonzero, counted) << "lane " << i << ": dense labels lose pixels (overlapping blocks?)";
        ++labels_decoded;
      }
      (void)project_feature_channels(p);
    } catch (const Error& e) {
      ++refused;
      EXPECT_FALSE(pixel_classification) << "refused a Pixel Classification project: " << e.what();
      EXPECT_EQ(e.kind(), ErrorKind::Unsupported) << e.what();
      if (!workflow.empty() && workflow != "Pixel Classification") {
        EXPECT_NE(std::string(e.what()).find(workflow), std::string::npos) << "message must name the workflow";
      }
    }
  }
  std::cout << "[ corpus   ] " << projects.size() << " projects: " << loaded << " loaded, " << refused
            << " refused, " << labels_decoded << " label lanes decoded\n";
}

TEST(Corpus, IlastikCasesMatchMetaJson) {
  REQUIRE_CORPUS();
  auto cases = ilastik_cases();
  ASSERT_FALSE(cases.empty());
  for (const auto& dir : cases) {
    SCOPED_TRACE(dir.filename().string());
    json meta = json::parse(std::ifstream(dir / "meta.json"));
    Project p = read_project((dir / "project.ilp").string());
    EXPECT_EQ(p.ilastik_version, meta["ilastik_version"].get<std::string>());
    ASSERT_TRUE(p.features);
    EXPECT_EQ(p.features->ids, meta["feature_ids"].get<std::vector<std::string>>());
    EXPECT_EQ(p.features->scales, meta["scales"].get<std::vector<double>>());
    std::vector<std::vector<bool>> selection;
    for (const auto& row : meta["selection_matrix"]) {
      std::vector<bool> r;
      for (const auto& v : row) r.push_back(v.get<int>() != 0);
      selection.push_back(r);
    }
    EXPECT_EQ(p.features->matrix, selection);
    EXPECT_EQ(effective_compute_in_2d(*p.features, project_geometry(p)), meta["compute_in_2d"].get<std::vector<bool>>());

    std::vector<std::string> names;
    for (const auto& ch : project_feature_channels(p)) names.push_back(ch.name);
    EXPECT_EQ(names, meta["feature_channel_names"].get<std::vector<std::string>>());
    ASSERT_TRUE(p.classifier);
    ASSERT_TRUE(p.classifier->feature_names);
    EXPECT_EQ(*p.classifier->feature_names, names);
    EXPECT_TRUE(match_classifier(p).matches) << match_classifier(p).reason;

    EXPECT_EQ(p.label_classes.size(), meta["n_classes"].get<std::size_t>());
    std::vector<std::size_t> trees;
    for (const auto& f : p.classifier->forests) trees.push_back(f.trees.size());
    EXPECT_EQ(trees, meta["classifier"]["trees_per_forest"].get<std::vector<std::size_t>>());

    const auto& lanes = meta["lanes"];
    ASSERT_EQ(p.lanes.size(), lanes.size());
    for (std::size_t i = 0; i < lanes.size(); ++i) {
      SCOPED_TRACE("lane " + std::to_string(i));
      const auto& lane = lanes[i];
      ASSERT_TRUE(p.lanes[i].raw);
      EXPECT_EQ(p.lanes[i].raw->shape, lane["shape"].get<Shape>());
      EXPECT_EQ(p.lanes[i].raw->axes, lane["axes"].get<std::string>());
      EXPECT_EQ(p.lanes[i].raw->nickname, lane["ilp_info"]["nickname"].get<std::string>());
      EXPECT_EQ(p.lanes[i].raw->info_class, lane["ilp_info"]["dataset_info_class"].get<std::string>());
      auto counts = lane["label_counts"].get<std::vector<std::int64_t>>();
      for (std::size_t k = 0; k < counts.size(); ++k) {
        auto it = p.labels[i].counts.find(static_cast<int>(k) + 1);
        EXPECT_EQ(it == p.labels[i].counts.end() ? 0 : it->second, counts[k]) << "class " << k + 1;
      }
      // Dense labels, pixel for pixel, against ilastik's own dump (internal axes without c).
      auto vol = decode_labels(p, i);
      auto f = hdf5::File::open_read_only((dir / lane["labels"].get<std::string>()).string());
      auto ds = hdf5::open_object(f.id(), "/data");
      Value truth = hdf5::read_dataset(ds.id(), std::uint64_t{1} << 30);
      Shape expected_shape;
      for (std::size_t k = 0; k < vol.shape.size(); ++k)
        if (vol.axes[k] != 'c') expected_shape.push_back(vol.shape[k]);
      Shape truth_shape(truth.shape().begin(), truth.shape().end());
      ASSERT_EQ(expected_shape, truth_shape);
      std::size_t mismatches = 0;
      for (std::size_t k = 0; k < vol.data.size(); ++k) mismatches += vol.data[k] != truth.number(k);
      EXPECT_EQ(mismatches, 0u) << "pixels differ from " << lane["labels"].get<std::string>();
    }
  }
}

// surgery.md §1.1: the linter over the whole public corpus found E002 in 3 files (the 0.5 file
// and two 2012 0.6 fragments), E016 in 10, E030 in 2 and E017 in 1; the E020 and E022 files of
// that survey are ilastik repository files, not in the corpus. The cases made with ilastik 1.4.2
// and 1.3.3post3 have no error-level finding.
TEST(Corpus, ValidateFindsWhatTheSpecsSurveyRecords) {
  REQUIRE_CORPUS();
  std::map<std::string, std::set<std::string>> files_with;
  std::size_t validated = 0;
  for (const auto& path : all_projects()) {
    SCOPED_TRACE(path.string());
    const auto rel = fs::relative(path, corpus_root()).string();
    const auto findings = validate_project(path.string());
    ++validated;
    for (const auto& f : findings) files_with[f.code].insert(rel);
    if (rel.rfind("ilastik/", 0) == 0) {
      for (const auto& f : findings) EXPECT_NE(f.level, FindingLevel::Error) << f.code << " " << f.message;
    }
  }
  auto count = [&](const std::string& code) {
    std::size_t n = 0;
    for (const auto& f : files_with[code]) n += f.rfind("public/", 0) == 0;
    return n;
  };
  EXPECT_GT(validated, 90u);
  EXPECT_EQ(count("E002"), 3u);
  EXPECT_EQ(count("E016"), 10u);
  EXPECT_EQ(count("E030"), 2u);
  EXPECT_EQ(count("E017"), 1u);
  for (const char* none : {"E013", "E014", "E015", "E018", "E020", "E021", "E022", "E023", "E033", "E034"})
    EXPECT_EQ(count(none), 0u) << none << ": " << ::testing::PrintToString(files_with[none]);
  EXPECT_TRUE(files_with["E002"].count("public/pyilastik-testdata/ilastik-0.5.ilp"));
  EXPECT_TRUE(files_with["E030"].count("public/hytra-divisionmerger-pixelclass/pixelClass.ilp"));
  EXPECT_TRUE(files_with["E016"].count("public/bbsnippets-imc-example/example_training.ilp"));
  EXPECT_TRUE(files_with["E016"].count("public/ilastik-axes-test-projects/Autocontext5t2d1c.ilp"));
  for (const auto& [code, files] : files_with)
    std::printf("%s in %zu file(s)\n", code.c_str(), files.size());
}

namespace {

// surgery.md §4 (h5stat -S over corpus files): I070's breakdown gives the table's figures, in MB
// rounded as the spec's table has them.
TEST(Corpus, ValidateSizeBreakdownMatchesTheSpecsTable) {
  REQUIRE_CORPUS();
  struct Row {
    const char* rel;
    double raw, labels, forests, rest;
  };
  for (const Row& row : {Row{"public/neubias-nucseg2d/PixelClassification.ilp", 0, 0.31, 1.93, 0.68},
                         Row{"public/clearmap-test-embedded/Test.ilp", 2.04, 0.23, 0.02, 0.20},
                         Row{"public/starfish-dapi/dapi_segmentation.ilp", 0, 1.59, 0.55, 0.29},
                         Row{"public/quantdorsal/Dorsal_Dapi_alex2.ilp", 0, 0.31, 0.04, 0.90}}) {
    SCOPED_TRACE(row.rel);
    if (!fs::exists(corpus_root() / row.rel)) continue;
    std::string message;
    for (const auto& f : validate_project((corpus_root() / row.rel).string()))
      if (f.code == "I070") message = f.message;
    ASSERT_FALSE(message.empty());
    auto megabytes = [&](const std::string& label) {
      const auto at = message.find(label + " ");
      if (at == std::string::npos) return -1.0;
      std::size_t used = 0;
      const double v = std::stod(message.substr(at + label.size() + 1), &used);
      return message.compare(at + label.size() + 1 + used, 3, " kB") == 0 ? v / 1e3 : v;
    };
    EXPECT_NEAR(megabytes("embedded raw data"), row.raw, 0.006) << message;
    EXPECT_NEAR(megabytes("label blocks"), row.labels, 0.006) << message;
    EXPECT_NEAR(megabytes("forests"), row.forests, 0.006) << message;
    EXPECT_NEAR(megabytes("free space"), row.rest, 0.006) << message;
  }
}

// `ilpkit run` of Probabilities for `input` with `project` equals ilastik's `reference` export
// (>= 99.99 % of values within 1e-5, the spec's end-to-end tolerance).
void expect_export_matches(const std::string& project, const std::string& input, const fs::path& reference,
                           const fs::path& scratch) {
  const std::string out = (scratch / "p.h5").string();
  fs::remove(out);
  const std::string run = std::string(ILPKIT_EXE) + " run --project='" + project + "' --export_source=Probabilities --quiet" +
                          " --output_filename_format='" + out + "' '" + input + "'";
  ASSERT_EQ(std::system(run.c_str()), 0) << run;
  auto ours = open_image(out + "/exported_data"), ref = open_image(reference.string() + "/exported_data");
  ASSERT_EQ(ours->info().shape, ref->info().shape);
  const auto g = ref->info().geometry();
  PlanarBlock a, b;
  ours->read(0, Box{{0, 0, 0}, {g.z, g.y, g.x}}, a);
  ref->read(0, Box{{0, 0, 0}, {g.z, g.y, g.x}}, b);
  std::size_t close = 0;
  for (std::size_t i = 0; i < a.data.size(); ++i) close += std::fabs(a.data[i] - b.data[i]) <= 1e-5;
  EXPECT_GE(static_cast<double>(close), 0.9999 * static_cast<double>(a.data.size())) << input;
}

// The forests of two readings, tree for tree.
bool surgery_forests_equal(const Project& a, const Project& b) {
  if (!a.classifier || !b.classifier) return !a.classifier && !b.classifier;
  if (a.classifier->forests.size() != b.classifier->forests.size()) return false;
  for (std::size_t f = 0; f < a.classifier->forests.size(); ++f) {
    const auto& x = a.classifier->forests[f].trees;
    const auto& y = b.classifier->forests[f].trees;
    if (x.size() != y.size()) return false;
    for (std::size_t t = 0; t < x.size(); ++t)
      if (x[t].topology != y[t].topology || x[t].parameters != y[t].parameters) return false;
  }
  return true;
}

fs::path scratch_dir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("ilpkit-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

// surgery.md §2.3, verified with ilastik 1.4.2: c11 (absolute data path of another machine)
// relinked to a copied folder loads with its labels and exports as before. Here: before the
// relink the lane's data is unreachable and retraining fails; after it (a prefix map, written
// relative to the project), validate is clean, the labels are the same, the export equals
// ilastik's reference, and retraining works.
TEST(Corpus, RelinkToACopiedFolderKeepsLabelsAndExports) {
  REQUIRE_CORPUS();
  const fs::path src = corpus_root() / "ilastik" / "c11_absolute_path_2cls";
  if (!fs::exists(src)) GTEST_SKIP() << src << " is not in the corpus";
  const fs::path dir = fs::path(::testing::TempDir()) / ("ilpkit-relink-c11-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "images");
  fs::copy_file(src / "project.ilp", dir / "project.ilp");
  fs::copy_file(src / "data" / "nuc_abs.h5", dir / "images" / "nuc_abs.h5");
  const std::string project = (dir / "project.ilp").string();
  const Project before = read_project(project);
  ASSERT_FALSE(before.lanes.front().raw->found);
  const std::string old_prefix = fs::path(before.lanes.front().raw->stored_path).parent_path().parent_path().string();
  const std::string train_before = std::string(ILPKIT_EXE) + " train " + project + " -o " + (dir / "t0.ilp").string() + " --quiet 2>/dev/null";
  EXPECT_NE(std::system(train_before.c_str()), 0) << "training needs the lane's data";

  RelinkOptions o;
  o.maps = {{old_prefix, (dir / "images").string()}};
  const EditReport r = relink(project, o);
  ASSERT_TRUE(r.changed);
  const Project after = read_project(project);
  EXPECT_EQ(after.lanes.front().raw->stored_path, "images/nuc_abs.h5/data");
  EXPECT_TRUE(after.lanes.front().raw->found);
  EXPECT_EQ(decode_labels(after, 0).data, decode_labels(before, 0).data);
  for (const auto& f : validate_project(project)) {
    EXPECT_NE(f.level, FindingLevel::Error) << f.code << " " << f.message;
    EXPECT_NE(f.code, "I060") << f.message;
  }

  expect_export_matches(project, (dir / "images" / "nuc_abs.h5").string(), src / "out" / "nuc_abs_probabilities.h5", dir);
  const std::string train = std::string(ILPKIT_EXE) + " train " + project + " -o " + (dir / "t.ilp").string() + " --quiet";
  EXPECT_EQ(std::system(train.c_str()), 0) << train;
  fs::remove_all(dir);
}

// surgery.md §2.4/§2.5, verified with ilastik 1.4.2 (c10 extracted and repacked, c01 embedded and
// moved: both exported bit-identically). Here: c10's embedded lane extracted next to the project
// equals data/moon.h5 bit for bit and exports as ilastik did; embedded again, the project alone
// in another folder exports the same from its own copy. c01 embedded and moved likewise.
TEST(Corpus, EmbedAndExtractKeepExports) {
  REQUIRE_CORPUS();
  struct Case {
    const char* name;
    const char* data;
    const char* reference;
  };
  for (const Case& c : {Case{"c10_embedded_raw_2cls", "data/moon.h5", "out/moon_probabilities.h5"},
                        Case{"c01_2d_u8_coins_2cls_default", "data/coins.h5", "out/coins_probabilities.h5"}}) {
    SCOPED_TRACE(c.name);
    const fs::path src = corpus_root() / "ilastik" / c.name;
    if (!fs::exists(src)) continue;
    const fs::path dir = scratch_dir(std::string("embed-") + c.name);
    fs::copy_file(src / "project.ilp", dir / "project.ilp");
    fs::create_directories(dir / "data");
    fs::copy_file(src / c.data, dir / c.data);
    const std::string project = (dir / "project.ilp").string();
    auto data_pixels = [&](const std::string& spec) {
      auto img = open_image(spec);
      const auto g = img->info().geometry();
      PlanarBlock b;
      img->read(0, Box{{0, 0, 0}, {g.z, g.y, g.x}}, b);
      return std::vector<float>(b.data.begin(), b.data.end());
    };
    const auto truth = data_pixels((dir / c.data).string() + "/data");
    if (read_project(project).lanes.front().raw->location == DataLocation::ProjectInternal) {
      ASSERT_TRUE(extract(project).changed);
      const Project extracted = read_project(project);
      const auto& raw = *extracted.lanes.front().raw;
      EXPECT_EQ(data_pixels(raw.file_path + raw.internal_path), truth);
      expect_export_matches(project, raw.file_path + raw.internal_path, src / c.reference, dir);
    }
    ASSERT_TRUE(embed(project).changed);
    const fs::path alone = scratch_dir(std::string("alone-") + c.name);
    fs::copy_file(project, alone / "project.ilp");
    const Project moved = read_project((alone / "project.ilp").string());
    const auto& raw = *moved.lanes.front().raw;
    ASSERT_TRUE(raw.found);
    const std::string inner = (alone / "project.ilp").string() + raw.internal_path;
    EXPECT_EQ(data_pixels(inner), truth);
    for (const auto& f : validate_project((alone / "project.ilp").string())) EXPECT_NE(f.level, FindingLevel::Error) << f.code;
    expect_export_matches((alone / "project.ilp").string(), inner, src / c.reference, alone);
    fs::remove_all(dir);
    fs::remove_all(alone);
  }
}

// surgery.md §2.7, verified with ilastik 1.4.2 on gzip-repacked projects: compacted copies of
// c10 (embedded data, compressed where it pays) and c01 export as ilastik did, and validate
// finds nothing new.
TEST(Corpus, CompactKeepsExports) {
  REQUIRE_CORPUS();
  for (const char* name : {"c10_embedded_raw_2cls", "c01_2d_u8_coins_2cls_default"}) {
    SCOPED_TRACE(name);
    const fs::path src = corpus_root() / "ilastik" / name;
    if (!fs::exists(src)) continue;
    const fs::path dir = scratch_dir(std::string("compact-") + name);
    fs::copy_file(src / "project.ilp", dir / "project.ilp");
    fs::create_directory_symlink(src / "data", dir / "data");
    CompactOptions o;
    o.compress = true;
    SaveOptions save;
    save.output = (dir / "compact.ilp").string();
    ASSERT_TRUE(compact((dir / "project.ilp").string(), o, save).changed);
    for (const auto& f : validate_project(save.output)) EXPECT_NE(f.level, FindingLevel::Error) << f.code;
    const Project p = read_project(save.output);
    const auto& raw = *p.lanes.front().raw;
    ASSERT_TRUE(raw.found);
    const std::string input = raw.location == DataLocation::ProjectInternal ? save.output + raw.internal_path
                                                                            : raw.file_path + raw.internal_path;
    const auto meta = json::parse(std::ifstream(src / "meta.json"));
    std::string reference;
    for (const auto& e : meta["exports"])
      if (e["source"] == "Probabilities") reference = e["file"].get<std::string>();
    expect_export_matches(save.output, input, src / reference, dir);
    fs::remove_all(dir);
  }
}

// Labels out and back in on ilastik-made projects of both block layouts (1.4.2: internal order
// with axistags; 1.3.3post3: the data's original order) and in 3-D: an edited label image (one
// pixel added per lane) imports as exactly that image, and validate finds no error.
TEST(Corpus, LabelsExportAndImportRoundTrip) {
  REQUIRE_CORPUS();
  for (const char* name : {"c05_3d_u8_nuclei_2cls", "c16_v133_2d_u8_coins_2cls", "c09_two_lanes_2cls"}) {
    SCOPED_TRACE(name);
    const fs::path src = corpus_root() / "ilastik" / name;
    if (!fs::exists(src)) continue;
    const fs::path dir = scratch_dir(std::string("labels-") + name);
    fs::copy_file(src / "project.ilp", dir / "project.ilp");
    fs::create_directory_symlink(src / "data", dir / "data");
    const std::string project = (dir / "project.ilp").string();
    const Project before = read_project(project);
    for (std::size_t lane = 0; lane < before.lanes.size(); ++lane) {
      const std::string out = (dir / fmt::format("lane{}.h5", lane)).string();
      export_labels(project, lane, out);
      LabelVolume v = decode_labels(read_project(project), lane);
      EXPECT_EQ(open_image(out + "/labels")->info().shape, v.shape);
      // One more labelled pixel, where there was none.
      const auto hole = std::find(v.data.begin(), v.data.end(), 0);
      ASSERT_NE(hole, v.data.end());
      *hole = 1;
      {
        auto f = hdf5::File::open_read_write(out);
        std::vector<std::uint64_t> shape(v.shape.begin(), v.shape.end());
        H5Ldelete(f.id(), "/labels", H5P_DEFAULT);
        hdf5::write_dataset(f.id(), "/labels", Value::numeric(ValueType::UInt8, shape, std::vector<unsigned char>(v.data.begin(), v.data.end())));
      }
      ASSERT_TRUE(import_labels(project, lane, out + "/labels").changed);
      EXPECT_EQ(decode_labels(read_project(project), lane).data, v.data);
    }
    const Project after = read_project(project);
    EXPECT_EQ(after.ilastik_version, before.ilastik_version);
    for (const auto& f : validate_project(project)) EXPECT_NE(f.level, FindingLevel::Error) << f.code << " " << f.message;
    fs::remove_all(dir);
  }
}

// surgery.md §1.4: every corpus project ilpkit reads migrates to the >= 1.4.0b8 layout with its
// dense labels per lane and its forests unchanged (migrate compares both after writing and fails
// otherwise), shows the same facts afterwards, is left alone by a second run, and has no label
// order problem left for ilastik 1.4.2 (no E020-E023), and no empty feature selection beside a
// forest (E030: rebuilt from the channel names). What remains are lanes without data, shape or
// labels (E016) and labels without forest or data (E017). 0.5 files and other workflows are
// refused. Prints what happened per version group.
TEST(Corpus, MigrateKeepsLabelsAndForestsAndIsIdempotent) {
  REQUIRE_CORPUS();
  std::map<std::string, std::map<std::string, int>> outcome;  // group -> what -> files
  for (const auto& path : all_projects()) {
    const auto rel = fs::relative(path, corpus_root()).string();
    SCOPED_TRACE(rel);
    const fs::path dir = scratch_dir("migrate");
    test::writable_copy(path, dir);
    const std::string project = (dir / "project.ilp").string();
    ReadOptions stage1;  // Autocontext and PC+OC projects: their (first) Pixel Classification stage
    stage1.pixel_classification_stage = 0;
    std::string group = "?";
    try {
      const auto v = read_project(project, stage1).ilastik_version;
      group = v.substr(0, v.find('.', v.find('.') + 1));
    } catch (const Error&) {
      group = "0.5/other";
    }
    MigrateOptions o;
    o.infer_shape = true;
    std::set<std::string> found_before;  // what validate reports on the file as it was
    for (const auto& f : validate_project(project))
      if (f.level != FindingLevel::Info) found_before.insert(f.code);
    for (const auto& code : found_before) outcome[group]["before: " + code]++;
    try {
      const Project before = read_project(project, stage1);
      const auto forests = test::forest_bytes(project);
      const EditReport r = migrate(project, o);
      EXPECT_EQ(test::forest_bytes(project), forests) << "forests not byte-identical";
      outcome[group][r.changed ? "migrated" : "already current"]++;
      if (before.workflow != "Pixel Classification")
        outcome[group][fmt::format("  {} {}", r.changed ? "migrated" : "current", before.workflow)]++;
      const Project after = read_project(project, stage1);
      EXPECT_EQ(after.lanes.size(), before.lanes.size());
      EXPECT_EQ(after.label_classes.size(), before.label_classes.size());
      EXPECT_EQ(after.classifier.has_value(), before.classifier.has_value());
      if (before.features && after.features) {
        EXPECT_EQ(after.features->ids, before.features->ids);
      }
      const EditReport again = migrate(project, o);
      EXPECT_FALSE(again.changed) << "a second run changed the file again";
      std::set<std::string> remaining;
      for (const auto& f : validate_project(project)) {
        if (f.level == FindingLevel::Info) continue;
        remaining.insert(f.code);
        if (f.level == FindingLevel::Error) {
          EXPECT_TRUE(f.code == "E016" || f.code == "E017") << f.code << " " << f.message;
        }
      }
      for (const auto& code : remaining) outcome[group]["after: " + code]++;
      if (rel.rfind("ilastik/", 0) == 0) {
        EXPECT_FALSE(has_errors(validate_project(project)));
      }
    } catch (const Error& e) {
      outcome[group][std::string("refused: ") + (e.kind() == ErrorKind::Unsupported ? "0.5 or other workflow" : "other")]++;
      EXPECT_EQ(e.kind(), ErrorKind::Unsupported) << e.what();
    }
    fs::remove_all(dir);
  }
  for (const auto& [group, what] : outcome)
    for (const auto& [w, n] : what) std::printf("migrate %-12s %-28s %d file(s)\n", group.c_str(), w.c_str(), n);
}

// A 1.3.3post3 project (blocks in the data's original order) migrated to 1.4.2's layout exports
// as ilastik 1.3.3post3 did, from its unchanged forests.
TEST(Corpus, MigratedProjectExportsTheSame) {
  REQUIRE_CORPUS();
  const fs::path src = corpus_root() / "ilastik" / "c16_v133_2d_u8_coins_2cls";
  if (!fs::exists(src)) GTEST_SKIP() << src << " is not in the corpus";
  const fs::path dir = scratch_dir("migrate-c16");
  fs::copy_file(src / "project.ilp", dir / "project.ilp");
  fs::create_directory_symlink(src / "data", dir / "data");
  const std::string project = (dir / "project.ilp").string();
  ASSERT_TRUE(migrate(project).changed);
  const Project p = read_project(project);
  EXPECT_EQ(p.ilastik_version, "1.4.2");
  for (const auto& ll : p.labels) {
    if (!ll.blocks.empty()) {
      EXPECT_EQ(ll.order_basis, "axistags attribute");
    }
  }
  const auto meta = json::parse(std::ifstream(src / "meta.json"));
  std::string reference;
  for (const auto& e : meta["exports"])
    if (e["source"] == "Probabilities") reference = e["file"].get<std::string>();
  const auto& raw = *p.lanes.front().raw;
  expect_export_matches(project, raw.file_path + raw.internal_path, src / reference, dir);
  fs::remove_all(dir);
}

// surgery.md §1.1 (1.2.x row): hytra's 1.2.0rc10 project has an empty FeatureSelections beside 4
// forests (1.4.2: SlotNotReadyError). migrate rebuilds the selection from the forest's channel
// names, validate is then clean, and the Simple Segmentation equals hytra's shipped reference
// (made as ilastik output − 1) on every pixel.
TEST(Corpus, MigrateRebuildsAnEmptyFeatureSelection) {
  REQUIRE_CORPUS();
  const fs::path src = corpus_root() / "public" / "hytra-divisionmerger-pixelclass";
  if (!fs::exists(src)) GTEST_SKIP() << src << " is not in the corpus";
  const fs::path dir = scratch_dir("migrate-hytra");
  fs::copy_file(src / "pixelClass.ilp", dir / "project.ilp");
  fs::permissions(dir / "project.ilp", fs::perms::owner_write, fs::perm_options::add);
  fs::create_symlink(src / "raw.h5", dir / "raw.h5");
  const std::string project = (dir / "project.ilp").string();
  ASSERT_TRUE(migrate(project).changed);
  EXPECT_FALSE(has_errors(validate_project(project)));
  EXPECT_TRUE(match_classifier(read_project(project)).matches);
  const std::string out = (dir / "seg.h5").string();
  const std::string run = std::string(ILPKIT_EXE) + " run --quiet --project='" + project +
                          "' '--export_source=Simple Segmentation' --output_filename_format='" + out + "' '" +
                          (dir / "raw.h5").string() + "'";
  ASSERT_EQ(std::system(run.c_str()), 0) << run;
  auto ours = open_image(out + "/exported_data");
  auto ref = open_image((src / "raw_Simple Segmentation.h5").string() + "/exported_data");
  ASSERT_EQ(ours->info().extent('t'), ref->info().extent('t'));
  std::int64_t pixels = 0, equal = 0;
  for (std::int64_t t = 0; t < ref->info().extent('t'); ++t) {
    const auto g = ref->info().geometry();
    PlanarBlock a, b;
    ours->read(t, Box{{0, 0, 0}, {g.z, g.y, g.x}}, a);
    ref->read(t, Box{{0, 0, 0}, {g.z, g.y, g.x}}, b);
    ASSERT_EQ(a.plane_size(), b.plane_size());
    for (std::int64_t i = 0; i < a.plane_size(); ++i, ++pixels) equal += a.data[static_cast<std::size_t>(i)] == b.data[static_cast<std::size_t>(i)] + 1;
  }
  EXPECT_EQ(equal, pixels);
  std::printf("hytra migrated: Simple Segmentation equals the shipped reference + 1 on %lld of %lld pixels\n",
              static_cast<long long>(equal), static_cast<long long>(pixels));
  fs::remove_all(dir);
}

// surgery.md §1.4 step 1: Autocontext projects are migrated in both Pixel Classification stages
// (PixelClassification, PixelClassification01), each lane's labels unchanged in each, the other
// groups left alone. The 1.3.0 files hold blocks of both stages in the legacy order.
TEST(Corpus, MigrateAutocontextKeepsBothStages) {
  REQUIRE_CORPUS();
  for (const char* rel : {"public/ilastik-axes-test-projects/Autocontext2d3c.ilp", "public/ilastik-axes-test-projects/Autocontext5t2d1c.ilp"}) {
    SCOPED_TRACE(rel);
    if (!fs::exists(corpus_root() / rel)) continue;
    const fs::path dir = scratch_dir("autocontext");
    const std::string project = test::writable_copy(corpus_root() / rel, dir, "project.ilp", false).string();
    std::vector<Project> before;
    for (int s : {0, 1}) {
      ReadOptions r;
      r.pixel_classification_stage = s;
      before.push_back(read_project(project, r));
    }
    EXPECT_THROW(read_project(project), Error);  // a plain read still refuses the workflow
    std::size_t stage2_findings = 0;
    for (const auto& d : before[1].diagnostics) {  // stage 2's findings name stage 2's groups
      EXPECT_EQ(d.where.find("/PixelClassification/"), std::string::npos) << d.where << ": " << d.message;
      stage2_findings += d.where.rfind("/PixelClassification01/", 0) == 0;
    }
    EXPECT_GT(stage2_findings, 0u);  // the label-order notes of a 1.3.0 file
    MigrateOptions o;
    o.infer_shape = true;
    ASSERT_TRUE(migrate(project, o).changed);
    for (int s : {0, 1}) {
      ReadOptions r;
      r.pixel_classification_stage = s;
      const Project after = read_project(project, r);
      EXPECT_EQ(after.ilastik_version, "1.4.2");
      EXPECT_EQ(after.workflow, "AutocontextTwoStage");
      std::size_t labelled = 0;
      for (std::size_t i = 0; i < after.labels.size(); ++i) {
        if (before[static_cast<std::size_t>(s)].labels[i].blocks.empty()) continue;
        EXPECT_EQ(after.labels[i].order_basis, "axistags attribute");
        const auto a = decode_labels(after, i), b = decode_labels(before[static_cast<std::size_t>(s)], i);
        // The same pixels at the same places; the lane's shape is the bound over both stages'
        // blocks now, so `a` may extend beyond `b` (unlabelled there).
        ASSERT_EQ(a.axes, b.axes);
        std::size_t differ = 0, n = 0;
        for (std::size_t k = 0; k < a.data.size(); ++k) {
          std::size_t rest = k, at_b = 0, stride_b = 1;
          bool inside = true;
          for (std::size_t d = a.shape.size(); d-- > 0;) {
            const auto coord = static_cast<std::int64_t>(rest % static_cast<std::size_t>(a.shape[d]));
            rest /= static_cast<std::size_t>(a.shape[d]);
            inside = inside && coord < b.shape[d];
            at_b += static_cast<std::size_t>(coord) * stride_b;
            stride_b *= static_cast<std::size_t>(b.shape[d]);
          }
          differ += a.data[k] != (inside ? b.data[at_b] : 0);
          n += inside;
        }
        EXPECT_EQ(n, b.data.size());
        EXPECT_EQ(differ, 0u) << "stage " << s << " lane " << i;
        labelled += a.data.size() - static_cast<std::size_t>(std::count(a.data.begin(), a.data.end(), 0));
      }
      EXPECT_GT(labelled, 0u) << "stage " << s;
      EXPECT_TRUE(surgery_forests_equal(before[static_cast<std::size_t>(s)], after)) << "stage " << s;
    }
    EXPECT_FALSE(migrate(project, o).changed);
    fs::remove_all(dir);
  }
}

// surgery.md §1.3/§2.9: the bilingual layout (blocks in the data's original order, version
// 1.3.3post3) is the one both ilastik 1.3.3post3 and 1.4.x read alike. Migrating there and back
// keeps the labels, validate --target bilingual is clean, and a second run writes nothing.
TEST(Corpus, MigrateToTheBilingualLayoutAndBack) {
  REQUIRE_CORPUS();
  for (const char* rel : {"ilastik/c01_2d_u8_coins_2cls_default/project.ilp", "ilastik/c12_3d_2ch_2cls/project.ilp",
                          "public/pyilastik-testdata/dimensionstest/x15_y10_z2_c4_classes2.ilp",
                          "public/pyilastik-testdata/dimensionstest/x15_y10_z1_c2_classes2_ilastik1.3.3.ilp"}) {
    SCOPED_TRACE(rel);
    const fs::path path = corpus_root() / rel;
    if (!fs::exists(path)) continue;
    const fs::path dir = scratch_dir("bilingual");
    test::writable_copy(path, dir);
    const std::string project = (dir / "project.ilp").string();
    const Project before = read_project(project);
    MigrateOptions o;
    o.target = "bilingual";
    migrate(project, o);
    const Project bi = read_project(project);
    EXPECT_EQ(bi.ilastik_version, "1.3.3post3");
    ValidateOptions v;
    v.target = "bilingual";
    for (const auto& f : validate_project(project, v)) EXPECT_NE(f.level, FindingLevel::Error) << f.code << " " << f.message;
    EXPECT_FALSE(migrate(project, o).changed);
    MigrateOptions to14;
    migrate(project, to14);  // and on to 1.4
    const Project after = read_project(project);
    EXPECT_EQ(after.ilastik_version, "1.4.2");
    for (std::size_t i = 0; i < before.labels.size(); ++i) {
      if (before.labels[i].blocks.empty()) continue;
      EXPECT_EQ(decode_labels(bi, i).data, decode_labels(before, i).data) << "lane " << i;
      EXPECT_EQ(decode_labels(after, i).data, decode_labels(before, i).data) << "lane " << i;
    }
    fs::remove_all(dir);
  }
}
