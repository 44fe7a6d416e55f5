// SPDX-License-Identifier: MIT
// Writes the end-to-end benchmark's inputs: the synthetic cell-like uint8 images of the other
// benchmarks as HDF5 files with axistags (2048x2048 "yx" and 128x256x256 "zyx"), a 4-class
// project with the full 2-D feature set labelled on the 2-D image; with --big also
// a 512x1024x1024 "zyx" volume (512 MB), written in slabs so that making it stays small too.
//   ilpkit_bench_inputs OUTPUT_DIR [--big]
#include <cstdio>
#include <string>

#include "../project_builder.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/image.hpp"
#include "synthetic.hpp"

using namespace ilpkit;

namespace {

void write(const std::string& path, std::int64_t Z, std::int64_t Y, std::int64_t X) {
  bench::VolumeSource src(Z, Y, X);
  ImageWriterOptions o;
  o.path = path;
  o.internal_path = "data";
  o.axes = Z > 1 ? "zyx" : "yx";
  o.shape = Z > 1 ? Shape{Z, Y, X} : Shape{Y, X};
  o.axes += 'c';
  o.shape.push_back(1);
  o.dtype = ValueType::UInt8;
  Hdf5ImageWriter w(o);
  PlanarBlock all;
  src.read(0, Box{{0, 0, 0}, {Z, Y, X}}, all);
  w.write(0, all);
  w.commit();
  std::printf("%s\n", path.c_str());
}

// A project like the anchor: ilastik's full 2-D feature set (all 42 boxes, 56 channels),
// four classes labelled on every 16th row of cells_2048.h5 by intensity band (every 7th pixel of
// the band, with gaps between bands, as scribbles avoid boundaries), no classifier: the
// benchmark trains it with `ilpkit train` before timing `ilpkit run`.
void write_four_class_project(const std::string& dir) {
  using namespace ilpkit::tools;
  bench::VolumeSource src(1, 2048, 2048);
  PlanarBlock image;
  src.read(0, Box{{0, 0, 0}, {1, 2048, 2048}}, image);
  IlpTree t;
  Node& root = *t.root;
  put(root, "ilastikVersion", text("1.4.2"));
  put(root, "workflowName", text("Pixel Classification"));
  input_header(root);
  info(root, "lane0000", "RelativeFilesystemDatasetInfo", "cells_2048.h5/data", "yxc", {2048, 2048, 1});
  feature_selection(root, std::vector<bool>(42, true), true);
  Node& pc = group(root, "PixelClassification");
  label_metadata(pc, {"background", "dim", "bright", "brightest"});
  Node& lane = group(group(pc, "LabelSets"), "labels000");
  auto label_of = [](float v) -> std::uint8_t {
    if (v < 45) return 1;
    if (v >= 65 && v < 95) return 2;
    if (v >= 115 && v < 150) return 3;
    if (v >= 180) return 4;
    return 0;
  };
  int blocks = 0;
  for (std::int64_t y = 8; y < 2048; y += 16) {
    std::vector<std::uint8_t> row(2048, 0);
    int seen[5] = {};
    for (std::int64_t x = 0; x < 2048; ++x) {
      const std::uint8_t l = label_of(image.data[static_cast<std::size_t>(y * 2048 + x)]);
      if (l && seen[l]++ % 7 == 0) row[static_cast<std::size_t>(x)] = l;
    }
    block(lane, block_name(blocks++), "[" + std::to_string(y) + ":" + std::to_string(y + 1) + ",0:2048,0:1]", row, {1, 2048, 1},
          "yxc");
  }
  put(pc, "ClassifierFactory", text(py3_factory(100, 2)));
  write_tree(t, dir + "/full_4class.ilp");
  std::printf("%s/full_4class.ilp\n", dir.c_str());
}

void write_big(const std::string& path) {
  const std::int64_t Z = 512, Y = 1024, X = 1024, slab = 32;
  ImageWriterOptions o;
  o.path = path;
  o.internal_path = "data";
  o.axes = "zyxc";
  o.shape = Shape{Z, Y, X, 1};
  o.dtype = ValueType::UInt8;
  Hdf5ImageWriter w(o);
  bench::VolumeSource src(slab, Y, X);  // one slab's texture, repeated along z
  PlanarBlock part;
  for (std::int64_t z = 0; z < Z; z += slab) {
    src.read(0, Box{{0, 0, 0}, {slab, Y, X}}, part);
    part.box = Box{{z, 0, 0}, {z + slab, Y, X}};
    w.write(0, part);
  }
  w.commit();
  std::printf("%s\n", path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && std::string(argv[2]) != "--big")) {
    std::fprintf(stderr, "usage: ilpkit_bench_inputs OUTPUT_DIR [--big]\n");
    return 2;
  }
  try {
    write(std::string(argv[1]) + "/cells_2048.h5", 1, 2048, 2048);
    write_four_class_project(argv[1]);
    write(std::string(argv[1]) + "/nuclei_128x256x256.h5", 128, 256, 256);
    if (argc == 3) write_big(std::string(argv[1]) + "/volume_512x1024x1024.h5");
  } catch (const Error& e) {
    std::fprintf(stderr, "ilpkit_bench_inputs: %s\n", e.what());
    return 1;
  }
  return 0;
}
