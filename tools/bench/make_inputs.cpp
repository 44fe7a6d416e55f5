// SPDX-License-Identifier: MIT
// Writes the end-to-end benchmark's inputs: the synthetic cell-like uint8 images of the other
// benchmarks as HDF5 files with axistags (2048x2048 "yx" and 128x256x256 "zyx"); with --big also
// a 512x1024x1024 "zyx" volume (512 MB), written in slabs so that making it stays small too.
//   ilpkit_bench_inputs OUTPUT_DIR [--big]
#include <cstdio>
#include <string>

#include "ilpkit/error.hpp"
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
    write(std::string(argv[1]) + "/nuclei_128x256x256.h5", 128, 256, 256);
    if (argc == 3) write_big(std::string(argv[1]) + "/volume_512x1024x1024.h5");
  } catch (const Error& e) {
    std::fprintf(stderr, "ilpkit_bench_inputs: %s\n", e.what());
    return 1;
  }
  return 0;
}
