// SPDX-License-Identifier: MIT
// Generates the small projects under testdata/ (run: build/make_testdata testdata). Every file
// is built from scratch here, following ../shared/spec/ilp-format.md, so the unit tests know
// exactly what each one holds. Re-running gives the same content; review diffs before committing.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <iostream>
#include <string>
#include <vector>

#include "ilpkit/axes.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/image.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/tree.hpp"
#include "project_builder.hpp"

using namespace ilpkit;
using namespace ilpkit::tools;
namespace fs = std::filesystem;

namespace {

// The Python-2 variant of the 1.2.x files: S'...' keys, no memo between t and R.
std::string py2_factory(int trees, int forests) {
  return "ccopy_reg\n_reconstructor\np1\n(clazyflow.classifiers.parallelVigraRfLazyflowClassifier\n"
         "ParallelVigraRfLazyflowClassifierFactory\np2\nc__builtin__\nobject\np3\nNtRp4\n(dp5\n"
         "S'_variable_importance_path'\np6\nNsS'_kwargs'\np7\n(dp8\nsS'_variable_importance_enabled'\np9\nI00\n"
         "sS'VERSION'\np10\nI2\nsS'_num_trees'\np11\nI" + std::to_string(trees) +
         "\nsS'_label_proportion'\np12\nNsS'_num_forests'\np13\nI" + std::to_string(forests) + "\nsb.";
}

// Two features on a 2-D image: Gaussian Smoothing 0.3 and Hessian eigenvalues 1.0 (3 channels).
void features(Node& root, bool with_compute_in_2d) {
  std::vector<bool> m(42, false);
  m[0 * 7 + 0] = true;  // GaussianSmoothing 0.3
  m[5 * 7 + 2] = true;  // HessianOfGaussianEigenvalues 1.0
  feature_selection(root, m, with_compute_in_2d);
}

// One forest of two stumps over 3 features: column 1 < 0.5 -> class 0, else class 1.
void forests(Node& pc, const std::vector<std::string>& feature_names) {
  Node& cf = group(pc, "ClassifierForests");
  Node& f = group(cf, "Forest0000");
  f.set_attribute("vigra_random_forest_version", Value::from_vector(std::vector<double>{0.1}));
  Node& opts = group(f, "_options");
  put(opts, "tree_count_", Value::from_vector(std::vector<double>{2}));
  put(opts, "mtry_switch_", Value::from_vector(std::vector<double>{6}));
  Node& ext = group(f, "_ext_param");
  put(ext, "column_count_", Value::from_vector(std::vector<double>{3}));
  put(ext, "class_count_", Value::from_vector(std::vector<double>{2}));
  put(ext, "problem_type_", Value::from_vector(std::vector<double>{1}));
  put(ext, "class_weights_", Value::from_vector(std::vector<double>{1, 1}));
  put(ext, "labels", Value::from_vector(std::vector<std::uint32_t>{1, 2}));
  for (int t = 0; t < 2; ++t) {
    Node& tree = group(f, "Tree_" + std::to_string(t));
    put(tree, "topology", Value::from_vector(std::vector<std::int32_t>{3, 2, 0, 0, 7, 9, t + 1, 0x40000000, 2, 0x40000000, 5}));
    put(tree, "parameters", Value::from_vector(std::vector<double>{1, 0.5, 10, 1, 0, 7, 0, 1}));
  }
  put(cf, "known_labels", Value::from_vector(std::vector<std::uint32_t>{1, 2}));
  put(cf, "feature_names", Value::strings(feature_names));
  put(cf, "pickled_type", text("clazyflow.classifiers.parallelVigraRfLazyflowClassifier\nParallelVigraRfLazyflowClassifier\np0\n."));
}

// A 12x16 uint8 ramp image with axistags, the raw data of the 1.4 project.
void tiny_raw(const fs::path& dir) {
  IlpTree t;
  std::vector<std::uint8_t> px(12 * 16);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>((i * 7) % 251);
  t.root->add_child(Node::make_dataset("data", Value::numeric(ValueType::UInt8, {12, 16}, px)));
  t.root->child("data")->set_attribute("axistags", text(axistags_json("yx")));
  write_tree(t, (dir / "tiny_raw.h5").string());
}

IlpTree minimal_14() {
  IlpTree t;
  Node& root = *t.root;
  put(root, "ilastikVersion", text("1.4.2"));
  put(root, "workflowName", text("Pixel Classification"));
  put(root, "time", text("Sun Nov 22 06:00:00 2026"));
  input_header(root);
  info(root, "lane0000", "RelativeFilesystemDatasetInfo", "tiny_raw.h5/data", "yx", {12, 16});
  features(root, true);
  Node& pc = group(root, "PixelClassification");
  label_metadata(pc);
  Node& lane = group(group(pc, "LabelSets"), "labels000");
  // Class 1 in rows 1..2, columns 2..4; class 2 at row 10, columns 13..15 (one pixel left zero).
  block(lane, "block0000", "[1:3,2:5,0:1]", {1, 1, 1, 1, 1, 1}, {2, 3, 1}, "yxc");
  block(lane, "block0001", "[10:11,13:16,0:1]", {2, 0, 2}, {1, 3, 1}, "yxc");
  put(pc, "ClassifierFactory", text(py3_factory(2, 1)));
  forests(pc, {"Gaussian Smoothing (σ=0.3) in 2D", "Hessian of Gaussian Eigenvalues (σ=1.0) in 2D [0]",
               "Hessian of Gaussian Eigenvalues (σ=1.0) in 2D [1]"});
  Node& ex = group(root, "Prediction Export");
  put(ex, "StorageVersion", Value::string("0.1", StringForm::VarUtf8));
  put(ex, "OutputFormat", text("hdf5"));
  put(ex, "OutputInternalPath", text("exported_data"));
  put(ex, "ExportMin", Value::from_vector(std::vector<std::uint16_t>{0}));
  put(ex, "ExportMax", Value::from_vector(std::vector<std::uint16_t>{65535}));
  return t;
}

// ilastik 1.2 style: axisorder only, no shape, Python-2 factory, fixed-length strings, and
// 5-D label blocks in the data's own order txyzc (what ≤ 1.3.0 wrote; 1.4.2 misreads them).
IlpTree legacy_12() {
  IlpTree t;
  Node& root = *t.root;
  put(root, "ilastikVersion", text("1.2.0rc10"));
  put(root, "workflowName", text("Pixel Classification"));
  input_header(root);
  Node& raw = info(root, "lane0000", "", "missing_raw.h5/exported_data", "txyzc", {});
  raw.remove_child("__class__");
  raw.remove_child("axistags");
  put(raw, "axisorder", text("txyzc"));
  Node& f = group(root, "FeatureSelections");
  put(f, "StorageVersion", Value::string("0.1"));
  put(f, "FeatureIds", Value::strings({"GaussianSmoothing", "LaplacianOfGaussian"}, {}, StringForm::Fixed, 28));
  put(f, "Scales", Value::from_vector(std::vector<double>{0.3, 1.0}));
  put(f, "SelectionMatrix", Value::bools({true, false, false, true}, {2, 2}));
  Node& pc = group(root, "PixelClassification");
  put(pc, "StorageVersion", Value::string("0.1"));
  put(pc, "LabelNames", Value::strings({"a", "b"}, {}, StringForm::Fixed, 1));
  Node& lane = group(group(pc, "LabelSets"), "labels000");
  // x 4..6, y 1..2 (t = z = c = 1): in txyzc the block's data is [1][3][2][1][1].
  block(lane, "block0000", "[0:1,4:7,1:3,0:1,0:1]", {1, 2, 1, 2, 0, 2}, {1, 3, 2, 1, 1});
  put(pc, "ClassifierFactory", text(py2_factory(100, 40)));
  return t;
}

// The pre-2013 layout: float version, no workflowName, infos/info0000 without Role Names.
IlpTree legacy_06() {
  IlpTree t;
  Node& root = *t.root;
  put(root, "ilastikVersion", Value::from_vector(std::vector<double>{0.6}, {}));
  Node& input = group(root, "Input Data");
  put(input, "StorageVersion", Value::string("0.1"));
  Node& i0 = group(group(input, "infos"), "info0000");
  put(i0, "location", text("FileSystem"));
  put(i0, "filePath", text("C:\\data\\stack.h5\\volume"));
  put(i0, "datasetId", text("1234"));
  put(i0, "allowLabels", Value::bools({true}, {}));
  put(i0, "axisorder", text("zyx"));
  return t;
}

// --- The demo (tools/demo): two microscope-like images of bright cells and a project whose
// only content is scribble labels on the first; `ilpkit train` learns from them.

struct Cell {
  double x, y, r;
};

struct CellImage {
  std::int64_t height, width;
  std::vector<std::uint8_t> pixels;
  std::vector<Cell> cells;
};

// Bright discs with soft edges and a darker rim on an uneven background, plus camera noise.
CellImage cell_image(std::int64_t height, std::int64_t width, unsigned seed) {
  CellImage img{height, width, {}, {}};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> ux(8, static_cast<double>(width) - 8), uy(8, static_cast<double>(height) - 8),
      ur(5, 11);
  for (int tries = 0; tries < 4000 && img.cells.size() < static_cast<std::size_t>(height * width / 900); ++tries) {
    Cell c{ux(rng), uy(rng), ur(rng)};
    bool free = std::all_of(img.cells.begin(), img.cells.end(), [&](const Cell& o) {
      return std::hypot(c.x - o.x, c.y - o.y) > c.r + o.r + 3;
    });
    if (free) img.cells.push_back(c);
  }
  std::normal_distribution<double> noise(0, 7);
  img.pixels.resize(static_cast<std::size_t>(height * width));
  for (std::int64_t y = 0; y < height; ++y)
    for (std::int64_t x = 0; x < width; ++x) {
      double v = 50 + 18 * std::sin(0.012 * static_cast<double>(x) + 0.02 * static_cast<double>(y));
      for (const Cell& c : img.cells) {
        const double d = std::hypot(static_cast<double>(x) - c.x, static_cast<double>(y) - c.y) / c.r;
        if (d < 1.25) v += d < 1 ? 110 * (1 - 0.4 * d * d) : -25 * (1.25 - d) * 4;
      }
      img.pixels[static_cast<std::size_t>(y * width + x)] =
          static_cast<std::uint8_t>(std::clamp(std::lround(v + noise(rng)), 0L, 255L));
    }
  return img;
}

// Scribbles as a user draws them: short strokes, two pixels wide, across some cells (label 2)
// and through empty background (label 1); one label block per stroke.
void scribbles(Node& lane, const CellImage& img) {
  int blocks = 0;
  auto stroke = [&](std::int64_t y, std::int64_t x0, std::int64_t x1, std::uint8_t label) {
    const std::int64_t w = x1 - x0;
    block(lane, block_name(blocks++),
          "[" + std::to_string(y) + ":" + std::to_string(y + 2) + "," + std::to_string(x0) + ":" + std::to_string(x1) +
              ",0:1]",
          std::vector<std::uint8_t>(static_cast<std::size_t>(2 * w), label), {2, static_cast<std::uint64_t>(w), 1},
          "yxc");
  };
  for (std::size_t i = 0; i < img.cells.size(); i += 3) {
    const Cell& c = img.cells[i];
    const auto y = static_cast<std::int64_t>(c.y), half = static_cast<std::int64_t>(c.r * 0.6);
    stroke(y, static_cast<std::int64_t>(c.x) - half, static_cast<std::int64_t>(c.x) + half, 2);
  }
  auto far_from_cells = [&](std::int64_t y, std::int64_t x) {
    return std::all_of(img.cells.begin(), img.cells.end(), [&](const Cell& c) {
      return std::hypot(static_cast<double>(x) - c.x, static_cast<double>(y) - c.y) > c.r + 5;
    });
  };
  int strokes = 0;
  for (std::int64_t y = 10; y + 2 < img.height && strokes < 12; y += 19)
    for (std::int64_t x = 6; x + 24 < img.width && strokes < 12; x += 37) {
      bool clear = true;
      for (std::int64_t k = 0; k < 24 && clear; ++k) clear = far_from_cells(y, x + k) && far_from_cells(y + 1, x + k);
      if (clear) {
        stroke(y, x, x + 24, 1);
        ++strokes;
      }
    }
}

void demo(const fs::path& dir) {
  fs::create_directories(dir / "demo");
  const CellImage train = cell_image(256, 256, 7), test = cell_image(256, 384, 8);
  IlpTree raw;
  raw.root->add_child(Node::make_dataset("data", Value::numeric(ValueType::UInt8, {256, 256}, train.pixels)));
  raw.root->child("data")->set_attribute("axistags", text(axistags_json("yx")));
  write_tree(raw, (dir / "demo" / "cells_train.h5").string());

  // The second image as a PNG, written through ilpkit's own export writer.
  ImageWriterOptions o;
  o.path = (dir / "demo" / "cells_test.png").string();
  o.axes = "yxc";
  o.shape = {test.height, test.width, 1};
  o.dtype = ValueType::UInt8;
  auto png = open_image_writer("png", o);
  PlanarBlock block;
  block.reset(Box{{0, 0, 0}, {1, test.height, test.width}}, 1);
  std::copy(test.pixels.begin(), test.pixels.end(), block.data.data());
  png->write(0, block);
  png->commit();
  // Its truth in Simple Segmentation's values (1 background, 2 cells), for the demo's test.
  o.path = (dir / "demo" / "cells_test_truth.png").string();
  auto truth = open_image_writer("png", o);
  for (std::int64_t y = 0; y < test.height; ++y)
    for (std::int64_t x = 0; x < test.width; ++x) {
      const bool inside = std::any_of(test.cells.begin(), test.cells.end(), [&](const Cell& c) {
        return std::hypot(static_cast<double>(x) - c.x, static_cast<double>(y) - c.y) < c.r;
      });
      block.data.data()[y * test.width + x] = inside ? 2.0f : 1.0f;
    }
  truth->write(0, block);
  truth->commit();

  IlpTree t;
  Node& root = *t.root;
  put(root, "ilastikVersion", text("1.4.2"));
  put(root, "workflowName", text("Pixel Classification"));
  put(root, "time", text("Sun Nov 22 11:00:00 2026"));
  input_header(root);
  Node& info_node = info(root, "lane0000", "RelativeFilesystemDatasetInfo", "cells_train.h5/data", "yx", {256, 256});
  info_node.add_child(Node::make_dataset("nickname", text("cells_train-data")));
  // A typical user's choice: a few scales of each feature up to 3.5.
  std::vector<bool> m(42, false);
  for (int feature = 0; feature < 6; ++feature)
    for (int scale : {1, 3, 4}) m[static_cast<std::size_t>(feature * 7 + scale)] = true;
  feature_selection(root, m, true);
  Node& pc = group(root, "PixelClassification");
  label_metadata(pc);
  scribbles(group(group(pc, "LabelSets"), "labels000"), train);
  put(pc, "ClassifierFactory", text(py3_factory(100, 2)));
  write_tree(t, (dir / "demo" / "cells.ilp").string());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_testdata OUTPUT_DIR\n";
    return 2;
  }
  try {
    fs::path dir(argv[1]);
    fs::create_directories(dir / "malformed");
    tiny_raw(dir);
    demo(dir);
    write_tree(minimal_14(), (dir / "minimal_14.ilp").string());
    write_tree(legacy_12(), (dir / "legacy_12.ilp").string());
    write_tree(legacy_06(), (dir / "legacy_06.ilp").string());

    // Malformed variants of minimal_14: each breaks one thing the reader must report.
    auto variant = [&](const std::string& name, auto&& breakit) {
      IlpTree t = minimal_14();
      breakit(*t.root);
      write_tree(t, (dir / "malformed" / name).string());
    };
    auto lane0 = [](Node& r) -> Node& { return *r.find("PixelClassification/LabelSets/labels000"); };
    variant("missing_blockslice.ilp", [&](Node& r) { lane0(r).child("block0001")->erase_attribute("blockSlice"); });
    variant("negative_blockslice.ilp", [&](Node& r) {
      lane0(r).child("block0000")->set_attribute("blockSlice", text("[-1:1,2:5,0:1]"));
    });
    variant("outside_blockslice.ilp", [&](Node& r) {
      lane0(r).child("block0001")->set_attribute("blockSlice", text("[30:31,13:16,0:1]"));
    });
    variant("slice_shape_mismatch.ilp", [&](Node& r) {
      lane0(r).child("block0001")->set_attribute("blockSlice", text("[10:11,13:17,0:1]"));
    });
    variant("selection_matrix_dtype.ilp", [&](Node& r) {
      r.find("FeatureSelections")->add_child(
          Node::make_dataset("SelectionMatrix", Value::from_vector(std::vector<std::int8_t>(36, 1), {6, 6})));
    });
    variant("absurd_shape.ilp", [&](Node& r) {
      r.find("Input Data/infos/lane0000/Raw Data")
          ->add_child(Node::make_dataset("shape", Value::from_vector(std::vector<std::int64_t>{12, -5})));
    });
    variant("pickle_bad_opcode.ilp", [&](Node& r) {
      r.find("PixelClassification")->add_child(Node::make_dataset("ClassifierFactory", text("ccopy_reg\n_reconstructor\np0\n\x80\x02K.")));
    });
    variant("missing_scales.ilp", [&](Node& r) { r.find("FeatureSelections")->remove_child("Scales"); });
    variant("tree_bad_child.ilp", [&](Node& r) {
      r.find("PixelClassification/ClassifierForests/Forest0000/Tree_1")
          ->add_child(Node::make_dataset(
              "topology", Value::from_vector(std::vector<std::int32_t>{3, 2, 0, 0, 2, 9, 1, 0x40000000, 2, 0x40000000, 5})));
    });
    variant("other_workflow.ilp", [&](Node& r) {
      r.add_child(Node::make_dataset("workflowName", text("Object Classification (from pixel classification)")));
    });
    variant("block_wrong_dtype.ilp", [&](Node& r) {
      lane0(r).add_child(Node::make_dataset("block0000", Value::from_vector(std::vector<float>(6, 1.0f), {2, 3, 1})));
      lane0(r).child("block0000")->set_attribute("blockSlice", text("[1:3,2:5,0:1]"));
    });
    {
      std::FILE* f = std::fopen((dir / "malformed" / "not_hdf5.ilp").c_str(), "wb");
      std::fputs("this is a text file, not an ilastik project\n", f);
      std::fclose(f);
    }
    std::cout << "wrote testdata to " << dir << '\n';
  } catch (const Error& e) {
    std::cerr << "make_testdata: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
