// SPDX-License-Identifier: MIT
// ilastik's headless conventions in `ilpkit run`: export source names, output path templates,
// the Features export's content and layout, and refusals with clear errors.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "hdf5.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/headless.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/predict.hpp"
#include "memory_image.hpp"
#include "test_paths.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;

namespace {

PlanarBlock read_whole(const ImageSource& src) {
  auto g = src.info().geometry();
  Box b;
  b.end = {g.z, g.y, g.x};
  PlanarBlock out;
  src.read(0, b, out);
  return out;
}

ImageInfo info_for(const std::string& path, const std::string& inner) {
  ImageInfo i;
  i.path = path;
  i.internal_path = inner;
  return i;
}

int run_cli(const std::string& args) {
  const std::string cmd = std::string(ILPKIT_EXE) + " run " + args + " >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A uint8 y,x,c image of a fixed pseudo-random texture as `path`/data, written in bands.
void write_uint8_image(const std::string& path, std::int64_t height, std::int64_t width) {
  ImageWriterOptions o;
  o.path = path;
  o.internal_path = "data";
  o.axes = "yxc";
  o.shape = {height, width, 1};
  o.dtype = ValueType::UInt8;
  Hdf5ImageWriter w(o);
  PlanarBlock band;
  for (std::int64_t y = 0; y < height; y += 512) {
    band.reset(Box{{0, y, 0}, {1, std::min(height, y + 512), width}}, 1);
    for (std::size_t i = 0; i < band.data.size(); ++i) band.data[i] = static_cast<float>((i * 7919) % 251);
    w.write(0, band);
  }
  w.commit();
}

// A fresh folder holding the demo project and its training image (its relative data path).
fs::path copy_demo_project(const std::string& name) {
  const fs::path dir = test::temp_path(name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* f : {"cells.ilp", "cells_train.h5"}) fs::copy_file(test::testdata(std::string("demo/") + f), dir / f);
  return dir;
}

// Exit code and everything the run wrote to stderr.
std::pair<int, std::string> run_cli_stderr(const std::string& args) {
  const std::string log = test::temp_path("cli_stderr.txt");
  const std::string cmd = std::string(ILPKIT_EXE) + " run " + args + " >/dev/null 2>" + log;
  const int status = std::system(cmd.c_str());
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove(log);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

}  // namespace

TEST(Headless, ExportSourcesAreCaseInsensitive) {
  EXPECT_EQ(parse_export_source("features"), ExportSource::Features);
  EXPECT_EQ(parse_export_source("Simple Segmentation"), ExportSource::SimpleSegmentation);
  EXPECT_EQ(parse_export_source("PROBABILITIES"), ExportSource::Probabilities);
  EXPECT_THROW(parse_export_source("Segmentation"), Error);
}

TEST(Headless, OutputPathTemplates) {
  const auto in = info_for("/data/run1/cells.h5", "/data");
  EXPECT_EQ(output_path_for("{dataset_dir}/{nickname}_{result_type}", in, ExportSource::Features, "hdf5"),
            "/data/run1/cells-data_Features.h5");
  // The extension is replaced by the format's, from the last dot of the file name on.
  EXPECT_EQ(output_path_for("out/{nickname}.tiff", in, ExportSource::Features, "compressed hdf5"),
            "out/cells-data.h5");
  EXPECT_EQ(output_path_for("out/a.b.c", in, ExportSource::SimpleSegmentation, "hdf5"), "out/a.b.h5");
  // Unknown placeholders stay verbatim; a nickname with a dot loses its tail, as in ilastik.
  EXPECT_EQ(output_path_for("o/{unknown}_{result_type}", in, ExportSource::SimpleSegmentation, "hdf5"),
            "o/{unknown}_Simple Segmentation.h5");
  EXPECT_EQ(output_path_for("o/{nickname}", info_for("/x/img.v2.tif", ""), ExportSource::Features, "hdf5"),
            "o/img.h5");
  EXPECT_EQ(output_path_for("o/x.h5", in, ExportSource::Features, "compressed n5"), "o/x.n5");
  EXPECT_EQ(output_path_for("o/x", in, ExportSource::Features, "single-scale OME-Zarr"), "o/x.zarr");
  EXPECT_THROW(output_path_for("o/x", in, ExportSource::Features, "dvid"), Error);
  // ilastik's region placeholders, in the output's axis order (ilp-format.md §8.5).
  const ExportRegion region{"zyxc", {0, 0, 0, 0}, {5, 303, 384, 2}};
  EXPECT_EQ(output_path_for("o/{nickname}_{roi}_{x_start}-{x_stop}_{c_stop}.h5", in, ExportSource::Features, "numpy",
                            region),
            "o/cells-data_[(0, 0, 0, 0), (5, 303, 384, 2)]_0-384_2.npy");
  EXPECT_EQ(fill_region("exported_{z_stop}", ExportRegion{"z", {0}, {5}}), "exported_5");
  EXPECT_EQ(fill_region("{roi}", ExportRegion{"z", {0}, {5}}), "[(0,), (5,)]");  // Python's 1-tuples
  EXPECT_EQ(fill_region("{t_start}", region), "{t_start}");  // not an axis of the result: verbatim
}

TEST(Headless, FeaturesExportEqualsTheEngineAndIlastiksLayout) {
  Project project = read_project(test::testdata("minimal_14.ilp"));
  ExportRequest req;
  req.source = ExportSource::Features;
  const std::string out = test::temp_path("features.h5");
  req.filename_format = out;
  req.blockwise.block_shape = {1, 5, 7};  // several blocks
  auto r = export_image(project, test::testdata("tiny_raw.h5/data"), req);
  EXPECT_EQ(fs::path(r.output_path).lexically_normal(), fs::path(out).lexically_normal());
  EXPECT_EQ(r.axes, "yxc");
  EXPECT_EQ(r.shape, (Shape{12, 16, 3}));

  auto written = open_image(out + "/exported_data");
  EXPECT_EQ(written->info().axes, "yxc");
  auto input = open_image(test::testdata("tiny_raw.h5/data"));
  FeatureEngine engine(*project.features, input->info().geometry());
  PlanarBlock expected = test::compute_stitched(*input, engine);
  PlanarBlock got = read_whole(*written);
  EXPECT_EQ(got.data, expected.data);
  {
    auto f = hdf5::File::open_read_only(out);
    auto ds = hdf5::open_object(f.id(), "/exported_data");
    auto drange = hdf5::read_attribute(ds.id(), "drange", 64);
    EXPECT_EQ(drange.describe(), "float32[2]");  // uint8 input, as ilastik writes it
  }
  fs::remove(out);
}

TEST(Headless, ForestExportsEqualThePredictorOnTheEnginesFeatures) {
  Project project = read_project(test::testdata("minimal_14.ilp"));
  auto input = open_image(test::testdata("tiny_raw.h5/data"));
  FeatureEngine engine(*project.features, input->info().geometry());
  PlanarBlock features = test::compute_stitched(*input, engine);
  Predictor predictor(*project.classifier, project.label_classes.size());
  const std::int64_t n = features.plane_size();
  std::vector<float> p(static_cast<std::size_t>(n) * predictor.label_count());
  predictor.predict(features.data.data(), n, n, p.data(), n);
  std::vector<float> seg(static_cast<std::size_t>(n)), unc(static_cast<std::size_t>(n));
  segmentation_from_probabilities(p.data(), n, predictor.label_count(), n, seg.data());
  uncertainty_from_probabilities(p.data(), n, predictor.label_count(), n, unc.data());

  struct Case {
    ExportSource source;
    ValueType dtype;
    const std::vector<float>* expected;
  };
  for (const Case& c : {Case{ExportSource::Probabilities, ValueType::Float32, &p},
                        Case{ExportSource::SimpleSegmentation, ValueType::UInt8, &seg},
                        Case{ExportSource::Uncertainty, ValueType::Float32, &unc}}) {
    SCOPED_TRACE(export_source_name(c.source));
    ExportRequest req;
    req.source = c.source;
    const std::string out = test::temp_path("forest.h5");
    req.filename_format = out;
    req.blockwise.block_shape = {1, 5, 7};
    auto r = export_image(project, test::testdata("tiny_raw.h5/data"), req);
    auto written = open_image(out + "/exported_data");
    EXPECT_EQ(written->info().dtype, c.dtype);
    EXPECT_EQ(written->info().axes, "yxc");
    auto got = read_whole(*written);
    EXPECT_EQ(std::vector<float>(got.data.begin(), got.data.end()), *c.expected);
    fs::remove(out);
  }
}

TEST(Headless, InputsThatDoNotFitTheProjectAreRefused) {
  Project project = read_project(test::testdata("minimal_14.ilp"));
  ExportRequest req;
  req.source = ExportSource::Features;
  req.filename_format = test::temp_path("never.h5");
  req.input_axes = "xyz";  // rank 2 data
  EXPECT_THROW(export_image(project, test::testdata("tiny_raw.h5/data"), req), Error);
  req.input_axes = "yc";  // no x
  EXPECT_THROW(export_image(project, test::testdata("tiny_raw.h5/data"), req), Error);
  req.input_axes = "xc";  // 16 "channels" where the project has 1
  try {
    export_image(project, test::testdata("tiny_raw.h5/data"), req);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
  }
  req.input_axes.clear();
  req.output_format = "blockwise hdf5";  // listed by ilastik, implemented by neither
  try {
    export_image(project, test::testdata("tiny_raw.h5/data"), req);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  }
  EXPECT_FALSE(fs::exists(req.filename_format));
}

TEST(Headless, CommandLineSpellingsAndExitCodes) {
  const std::string project = "--project=" + test::testdata("minimal_14.ilp");
  const std::string input = test::testdata("tiny_raw.h5/data");
  const std::string out = test::temp_path("cli.h5");
  // --x=y and --x y, underscores and dashes, case-insensitive source.
  EXPECT_EQ(run_cli("--headless " + project + " --export_source=features --output_format=hdf5 "
                    "--output_filename_format=" + out + " " + input),
            0);
  EXPECT_TRUE(fs::exists(out));
  fs::remove(out);
  EXPECT_EQ(run_cli(project + " --export-source Features --output-filename-format " + out + " --raw_data " + input), 0);
  EXPECT_TRUE(fs::exists(out));
  fs::remove(out);
  EXPECT_EQ(run_cli(project + " --export_source=Features --bogus_flag " + input), 2);       // unknown flag
  // A ':'-joined list stacked along t: two time points of the same image, exported as t,y,x,c.
  EXPECT_EQ(run_cli(project + " --export_source=Features --stack_along=t --output_filename_format=" + out + " '" +
                    input.substr(0, input.size() - 5) + ":" + input.substr(0, input.size() - 5) + "'"),
            0);
  EXPECT_EQ(open_image(out + "/exported_data")->info().shape, (Shape{2, 12, 16, 3}));
  fs::remove(out);
  EXPECT_EQ(run_cli(project + " --export_source=Features --stack-along x " + input), 2);  // not z, t or c
  // ilastik's process flags: --logfile gets every line (time-stamped), --redirect_output takes
  // all output, --debug / --process_name / --clean_paths are accepted.
  {
    const std::string logfile = test::temp_path("run.log"), redirected = test::temp_path("redirected.log");
    EXPECT_EQ(run_cli(project + " --export_source=Features --debug --process_name=worker1 --clean_paths --logfile=" +
                      logfile + " --output_filename_format=" + out + " " + input),
              0);
    EXPECT_EQ(run_cli(project + " --logfile " + logfile + " " + test::testdata("nope.h5")), 4);
    std::ifstream in(logfile);
    const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(log.find("-> " + fs::path(out).lexically_normal().string()), std::string::npos) << log;
    EXPECT_NE(log.find("ilpkit: error: exporting " + test::testdata("nope.h5")), std::string::npos) << log;
    EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2) << log;
    const auto [code, text] = run_cli_stderr(project + " --redirect_output=" + redirected + " " + test::testdata("nope.h5"));
    EXPECT_EQ(code, 4);
    EXPECT_TRUE(text.empty()) << text;
    std::ifstream red(redirected);
    const std::string moved((std::istreambuf_iterator<char>(red)), std::istreambuf_iterator<char>());
    EXPECT_NE(moved.find("nope.h5"), std::string::npos) << moved;
    fs::remove(logfile);
    fs::remove(redirected);
    fs::remove(out);
  }
  {
    const auto [code, text] = run_cli_stderr(project + " --export_sorce=Features --threds=2 " + input);
    EXPECT_EQ(code, 2);
    EXPECT_NE(text.find("unknown flag '--export_sorce' (did you mean --export_source?)"), std::string::npos) << text;
    EXPECT_NE(text.find("(did you mean --threads?)"), std::string::npos) << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;  // one line
  }
  EXPECT_EQ(run_cli(project + " --export_source=Features '--cutout_subregion=[(0,0),(1,1)]' --output_filename_format=" +
                    out + " " + input),
            2);  // 2-D exports need y,x,c entries
  EXPECT_EQ(run_cli(project + " --export_source=Features --distributed --output_filename_format=" + out + " " + input),
            3);  // not yet
  // Labels of a batch lane: ilastik exports its empty label image, uint8 zeros with one channel.
  EXPECT_EQ(run_cli(project + " --export_source=Labels --output_filename_format=" + out + " " + input), 0);
  {
    auto labels = open_image(out + "/exported_data");
    EXPECT_EQ(labels->info().dtype, ValueType::UInt8);
    EXPECT_EQ(labels->info().extent('c'), 1);
    PlanarBlock all;
    const auto g = labels->info().geometry();
    labels->read(0, Box{{0, 0, 0}, {g.z, g.y, g.x}}, all);
    EXPECT_GT(all.data.size(), 0u);
    EXPECT_TRUE(std::all_of(all.data.begin(), all.data.end(), [](float v) { return v == 0.0f; }));
  }
  fs::remove(out);
  EXPECT_EQ(run_cli(project + " --export_source=Probabilities --output_format=dvid --output_filename_format=" + out +
                    " " + input),
            3);  // needs a DVID server
  EXPECT_EQ(run_cli(project + " --export_source=Probabilities --export_dtype=uint64 --output_filename_format=" + out +
                    " " + input),
            2);  // not one of ilastik's choices
  EXPECT_EQ(run_cli(project + " --export_source=Probabilities '--export_drange=(0,255)' --output_filename_format=" + out +
                    " " + input),
            2);  // needs --pipeline_result_drange
  EXPECT_EQ(run_cli(project + " --export_source=Probabilities '--pipeline_result_drange=(0,None)' "
                    "'--export_drange=(0,255)' --output_filename_format=" + out + " " + input),
            3);  // None: take the bound from the data
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(run_cli(project + " --export_source=Features"), 2);                             // no input
  EXPECT_EQ(run_cli(project + " --export_source=Features " + test::testdata("nope.h5")), 4);  // missing
}

// --log-format=json: every stderr line is one JSON object; a run reports its export with the
// output path and shape, a failure reports the message and the exit code.
TEST(Headless, JsonLogLinesDescribeTheRun) {
  const std::string project = "--project=" + test::testdata("minimal_14.ilp");
  const std::string out = test::temp_path("json_log.h5");
  auto lines_of = [](const std::string& text) {
    std::vector<nlohmann::json> events;
    std::size_t pos = 0;
    while (pos < text.size()) {
      const auto end = text.find('\n', pos);
      events.push_back(nlohmann::json::parse(text.substr(pos, end - pos)));  // throws if not JSON
      pos = end == std::string::npos ? text.size() : end + 1;
    }
    return events;
  };
  auto [code, text] = run_cli_stderr(project + " --log-format=json --progress --export_source=Features "
                                     "--block-shape 4,4 --output_filename_format=" + out + " " +
                                     test::testdata("tiny_raw.h5/data"));
  ASSERT_EQ(code, 0) << text;
  auto events = lines_of(text);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["event"], "exported");
  EXPECT_EQ(fs::path(events.back()["output"].get<std::string>()), fs::path(out).lexically_normal());
  EXPECT_EQ(events.back()["shape"], nlohmann::json::array({12, 16, 3}));
  EXPECT_EQ(events.front()["event"], "progress");
  EXPECT_EQ(events[events.size() - 2]["blocks_done"], events[events.size() - 2]["blocks"]);
  fs::remove(out);

  std::tie(code, text) = run_cli_stderr(project + " --log-format json " + test::testdata("nope.h5"));
  EXPECT_EQ(code, 4);
  events = lines_of(text);
  ASSERT_EQ(events.size(), 1u) << text;
  EXPECT_EQ(events[0]["event"], "error");
  EXPECT_EQ(events[0]["exit_code"], 4);
  EXPECT_NE(events[0]["message"].get<std::string>().find("nope.h5"), std::string::npos);
}

// SIGINT during an export: the run stops at the next block, exits 130 with one line, and leaves
// neither the output nor any temporary file behind (ilp-format.md is silent; the issue asks for
// no partial output under the final name).
TEST(Headless, InterruptedRunLeavesNoOutput) {
  const fs::path dir = test::temp_path("interrupt");
  fs::create_directories(dir);
  const std::string input = (dir / "big.h5").string();
  write_uint8_image(input, 4096, 4096);  // thousands of 64 x 64 blocks on one thread, seconds of work
  const std::string out = (dir / "out.h5").string();
  const std::string log = (dir / "log.txt").string();
  const std::string cmd = std::string(ILPKIT_EXE) + " run --project=" + test::testdata("minimal_14.ilp") +
                          " --export_source=Features --threads 1 --block-shape 64,64 --output_filename_format=" + out +
                          " " + input + "/data 2>" + log;
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait until the export is under way (its temporary file exists), then interrupt it.
  bool started = false;
  for (int i = 0; i < 1000 && !started; ++i) {
    for (const auto& e : fs::directory_iterator(dir))
      started = started || e.path().filename().string().rfind("out.h5.ilpkit-", 0) == 0;
    if (!started) ::usleep(10000);
  }
  EXPECT_TRUE(started) << "the export never started";
  ::kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by the signal instead of stopping cleanly";
  EXPECT_EQ(WEXITSTATUS(status), 130);
  std::ifstream l(log);
  std::string text((std::istreambuf_iterator<char>(l)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("interrupted"), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(out));
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().rfind("out.h5", 0), std::string::npos) << "left behind: " << e.path();
  fs::remove_all(dir);
}

// The bundled demo end to end: a classifier trained only from the scribbles in
// testdata/demo/cells.ilp must find the cells of the second image, whose truth the generator
// wrote (tools/make_testdata.cpp). Input PNG, output PNG, as tools/demo runs it.
TEST(Headless, DemoScribblesTrainAClassifierThatFindsTheCells) {
  const fs::path dir = copy_demo_project("demo");
  const std::string trained = (dir / "trained.ilp").string();
  const std::string train = std::string(ILPKIT_EXE) + " train " + (dir / "cells.ilp").string() + " -o " + trained +
                            " --seed 3 >/dev/null 2>&1";
  ASSERT_EQ(std::system(train.c_str()), 0);
  const std::string seg = (dir / "seg.png").string();
  ASSERT_EQ(run_cli("--headless --project=" + trained + " '--export_source=Simple Segmentation' --output_format=png "
                    "--output_filename_format=" + seg + " " + test::testdata("demo/cells_test.png")),
            0);
  const PlanarBlock got = read_whole(*open_image(seg));
  const PlanarBlock truth = read_whole(*open_image(test::testdata("demo/cells_test_truth.png")));
  ASSERT_EQ(got.data.size(), truth.data.size());
  std::size_t agree = 0, cells = 0, cells_found = 0, called_cells = 0;
  for (std::size_t i = 0; i < got.data.size(); ++i) {
    agree += got.data[i] == truth.data[i];
    cells += truth.data[i] == 2.0f;
    called_cells += got.data[i] == 2.0f;
    cells_found += truth.data[i] == 2.0f && got.data[i] == 2.0f;
  }
  const double accuracy = static_cast<double>(agree) / static_cast<double>(got.data.size());
  const double recall = static_cast<double>(cells_found) / static_cast<double>(cells);
  const double precision = static_cast<double>(cells_found) / static_cast<double>(called_cells);
  std::cout << "demo: " << accuracy * 100 << " % of pixels agree with the truth, " << recall * 100
            << " % of cell pixels found, " << precision * 100 << " % of pixels called cells are cells\n";
  // The misses are the cells' soft rims, where the truth's hard edge is a matter of definition.
  EXPECT_GE(accuracy, 0.96);
  EXPECT_GE(recall, 0.88);
  EXPECT_GE(precision, 0.95);
  fs::remove_all(dir);
}

TEST(Headless, CutoutStringsAreParsedAsIlastikWritesThem) {
  Cutout c = parse_cutout("[(0,10,10,0,0),(1,20,20,5,1)]");
  ASSERT_EQ(c.start.size(), 5u);
  EXPECT_EQ(c.start[1], 10);
  EXPECT_EQ(c.stop[3], 5);
  c = parse_cutout("[(None, 3, 0), (None, None, 2)]");
  EXPECT_FALSE(c.start[0].has_value());
  EXPECT_EQ(c.start[1], 3);
  EXPECT_FALSE(c.stop[1].has_value());
  EXPECT_EQ(c.stop[2], 2);
  for (const char* bad : {"", "[(0,1)]", "[(0,1),(2,3),(4,5)]", "[(0,x),(1,2)]", "(0,1),(2,3", "[((0)),(1)]"})
    EXPECT_THROW(parse_cutout(bad), Error) << bad;
}

// A cutout exports exactly that part of the whole export (features see the real neighbours,
// not a border); a prediction mask zeroes the probabilities it hides, also in blocks it hides
// entirely (which are not computed), and leaves the others bit-identical.
TEST(Headless, CutoutsAndPredictionMasksSelectFromTheWholeExport) {
  Project project = read_project(test::testdata("minimal_14.ilp"));
  const std::string input = test::testdata("tiny_raw.h5/data");
  auto export_to = [&](const std::string& name, ExportSource source, const std::optional<Cutout>& cut,
                       const std::string& mask = "") {
    ExportRequest req;
    req.source = source;
    req.filename_format = test::temp_path(name);
    req.cutout = cut;
    req.blockwise.block_shape = {1, 4, 4};
    ExportResult r = export_image(project, input, req, mask);
    auto img = open_image(r.output_path + "/exported_data");
    PlanarBlock b = read_whole(*img);
    fs::remove(r.output_path);
    return std::make_pair(r, b);
  };
  const auto [whole_r, whole] = export_to("whole.h5", ExportSource::Features, std::nullopt);
  ASSERT_EQ(whole_r.shape, (Shape{12, 16, 3}));
  const auto [cut_r, cut] = export_to("cut.h5", ExportSource::Features, parse_cutout("[(2,3,1),(10,12,3)]"));
  ASSERT_EQ(cut_r.shape, (Shape{8, 9, 2}));
  for (int c = 0; c < 2; ++c)
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 9; ++x)
        ASSERT_EQ(cut.channel(c)[y * 9 + x], whole.channel(c + 1)[(y + 2) * 16 + (x + 3)]) << c << " " << y << " " << x;
  // Out-of-range ends are clipped with a warning, as ilastik does.
  const auto [clip_r, clip] = export_to("clip.h5", ExportSource::Features, parse_cutout("[(None,14,0),(5,99,1)]"));
  EXPECT_EQ(clip_r.shape, (Shape{5, 2, 1}));
  EXPECT_EQ(clip_r.warnings.size(), 1u);
  EXPECT_EQ(clip.channel(0)[1], whole.channel(0)[15]);
  EXPECT_THROW(export_to("bad.h5", ExportSource::Features, parse_cutout("[(0,0),(1,1)]")), Error);  // y,x,c needed

  // Mask: zero in rows 0..3 (whole 4x4 blocks) and at pixel (6, 7); elsewhere 1 or 2 (any non-zero).
  const std::string mask_file = test::temp_path("mask.h5");
  {
    ImageWriterOptions o;
    o.path = mask_file;
    o.internal_path = "mask";
    o.axes = "yxc";
    o.shape = {12, 16, 1};
    o.dtype = ValueType::UInt8;
    Hdf5ImageWriter w(o);
    PlanarBlock m;
    m.reset(Box{{0, 0, 0}, {1, 12, 16}}, 1);
    for (int i = 0; i < 12 * 16; ++i) m.data[static_cast<std::size_t>(i)] = i < 4 * 16 || i == 6 * 16 + 7 ? 0.0f : 1.0f + i % 2;
    w.write(0, m);
    w.commit();
  }
  const auto [p_r, p] = export_to("p.h5", ExportSource::Probabilities, std::nullopt);
  const auto [pm_r, pm] = export_to("pm.h5", ExportSource::Probabilities, std::nullopt, mask_file + "/mask");
  const auto [sm_r, sm] = export_to("sm.h5", ExportSource::SimpleSegmentation, std::nullopt, mask_file + "/mask");
  std::size_t nonzero_hidden = 0;
  for (int i = 0; i < 12 * 16; ++i) {
    const bool hidden = i < 4 * 16 || i == 6 * 16 + 7;
    for (int c = 0; c < 2; ++c) {
      nonzero_hidden += hidden && p.channel(c)[i] != 0.0f;
      ASSERT_EQ(pm.channel(c)[i], hidden ? 0.0f : p.channel(c)[i]) << i;
    }
    if (hidden) {
      ASSERT_EQ(sm.data[static_cast<std::size_t>(i)], 1.0f);  // argmax of zeros + 1
    }
  }
  EXPECT_GT(nonzero_hidden, 0u);  // the mask changed something
  // A mask of another shape is refused, naming both.
  EXPECT_THROW(export_to("bad.h5", ExportSource::Probabilities, std::nullopt, input.substr(0, input.size() - 5) + "/data_x"),
               Error);
  fs::remove(mask_file);
}

// A full disk, simulated with a file-size limit (RLIMIT_FSIZE with SIGXFSZ ignored, so writes
// fail with EFBIG as they fail with ENOSPC on a full disk): every output format fails with exit
// code 4 and one line naming the output, and leaves no file behind, final or temporary.
TEST(Headless, FullDiskFailsCleanlyInEveryFormat) {
  const fs::path dir = test::temp_path("full_disk");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string input = (dir / "in.h5").string();
  write_uint8_image(input, 512, 512);
  // (A per-file size limit stands for the full disk; OME-Zarr's compressed chunks of this small
  // input stay under it, so its clean-up on failure is checked by the writer tests instead.)
  for (const std::string format : {"hdf5", "compressed hdf5", "n5", "numpy", "tiff", "png"}) {
    SCOPED_TRACE(format);
    const fs::path out_dir = dir / "out";
    fs::create_directories(out_dir);
    const std::string dtype = format == "png" ? " --export_dtype=uint16" : "";
    const std::string cmd = "trap '' XFSZ; ulimit -f 256; exec " + std::string(ILPKIT_EXE) + " run --project=" +
                            test::testdata("minimal_14.ilp") + " --export_source=Features '--output_format=" + format +
                            "'" + dtype + " --output_filename_format=" + (out_dir / "result").string() + " " + input +
                            "/data";
    const std::string log = (dir / "log.txt").string();
    const int status = std::system(("sh -c \"" + cmd + "\" 2>" + log).c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 4);
    std::ifstream in(log);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("result"), std::string::npos) << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
    EXPECT_TRUE(fs::is_empty(out_dir)) << fs::directory_iterator(out_dir)->path();
    fs::remove_all(out_dir);
  }
  fs::remove_all(dir);
}

// Bad inputs and unwritable outputs: each is one line with the right exit code, and nothing is
// written. (Tests run as root in CI, so an unwritable folder is one under a regular file or in
// /proc, where permissions do not matter.)
TEST(Headless, BadInputsAndUnwritableOutputsAreOneClearLine) {
  const std::string project = "--project=" + test::testdata("minimal_14.ilp");
  const fs::path dir = test::temp_path("bad_inputs");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string out = " --output_filename_format=" + (dir / "out.h5").string() + " ";
  struct Case {
    std::string args;
    int code;
    std::string mentions;
  };
  const std::string garbage_tiff = (dir / "garbage.tif").string();
  std::ofstream(garbage_tiff) << "II*\0garbage, not a TIFF directory";
  const std::string blocker = (dir / "a_file").string();
  std::ofstream(blocker) << "x";
  for (const Case& c : {
           Case{project + out + test::testdata("tiny_raw.h5/nope"), 4, "nope"},             // wrong internal path
           Case{project + out + test::testdata("nothing_here.tif"), 4, "nothing_here.tif"}, // missing file
           Case{project + out + garbage_tiff, 5, "garbage.tif"},                           // unreadable TIFF
           Case{project + " --output_filename_format=" + blocker + "/out.h5 " + test::testdata("tiny_raw.h5/data"), 4,
                "a_file"},                                                                  // folder is a file
           Case{project + " --output_filename_format=/proc/ilpkit-test/out.h5 " + test::testdata("tiny_raw.h5/data"), 4,
                "/proc/ilpkit-test"},                                                       // read-only file system
           Case{project + out + "--input_axes=zyx " + test::testdata("tiny_raw.h5/data"), 2, "zyx"},  // axes mismatch
       }) {
    SCOPED_TRACE(c.args);
    const auto [code, text] = run_cli_stderr(c.args);
    EXPECT_EQ(code, c.code) << text;
    EXPECT_NE(text.find(c.mentions), std::string::npos) << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  }
  EXPECT_FALSE(fs::exists(dir / "out.h5"));
  EXPECT_FALSE(fs::exists("/proc/ilpkit-test"));
  fs::remove_all(dir);
}

// --readonly as ilastik parses it: headless runs leave the project alone (bare flag, 1, default),
// --readonly=0 saves the classifier trained for the run into the project (written whole under a
// temporary name, then renamed); other values are a usage error.
TEST(Headless, ReadonlyZeroSavesTheTrainedClassifier) {
  const fs::path dir = copy_demo_project("readonly");
  const std::string project = (dir / "cells.ilp").string();
  const std::string args = " --quiet --seed 5 --output_filename_format=" + (dir / "out.h5").string() + " " +
                           test::testdata("demo/cells_test.png");
  auto has_classifier = [&] {
    const Project p = read_project(project);
    return p.classifier && !p.classifier->forests.empty();
  };
  EXPECT_EQ(run_cli("--project=" + project + args), 0);
  EXPECT_FALSE(has_classifier());
  EXPECT_EQ(run_cli("--project=" + project + " --readonly" + args), 0);
  EXPECT_FALSE(has_classifier());
  EXPECT_EQ(run_cli("--project=" + project + " --readonly=maybe" + args), 2);
  EXPECT_FALSE(has_classifier());
  EXPECT_EQ(run_cli("--project=" + project + " --readonly=0" + args), 0);
  ASSERT_TRUE(has_classifier());
  // The saved forests are the ones that made the export: a run from the saved project (no
  // training any more) writes the same probabilities.
  const PlanarBlock first = read_whole(*open_image((dir / "out.h5").string() + "/exported_data"));
  EXPECT_EQ(run_cli("--project=" + project + args), 0);
  const PlanarBlock again = read_whole(*open_image((dir / "out.h5").string() + "/exported_data"));
  EXPECT_EQ(first.data, again.data);
  fs::remove_all(dir);
}
