// SPDX-License-Identifier: MIT
// Feature engine benchmark: ilastik's default feature sets on deterministic synthetic images
// with cell-like texture. One configuration per process so peak RSS is per configuration.
//   ilpkit_feature_bench --case 2d|3d --threads N [--repeat R] [--block z,y,x]
// Prints wall time (best of R), megapixels/s and peak RSS; tools/bench/run loops the cases.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ilpkit/feature_engine.hpp"
#include "ilpkit/image.hpp"
#include "ilpkit/pipeline.hpp"
#include "synthetic.hpp"

using namespace ilpkit;
using bench::default_set;
using bench::VolumeSource;

namespace {

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string which = "2d";
  int threads = 2, repeat = 3;
  std::array<std::int64_t, 3> block{0, 0, 0};
  bool keep = true;
  std::string only;  // --discard: blocks are computed and dropped (engine throughput alone)
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--case") which = argv[i + 1];
    else if (a == "--threads") threads = std::atoi(argv[i + 1]);
    else if (a == "--repeat") repeat = std::atoi(argv[i + 1]);
    else if (a == "--block") std::sscanf(argv[i + 1], "%ld,%ld,%ld", &block[0], &block[1], &block[2]);
    else if (a == "--discard") keep = std::string(argv[i + 1]) != "1";
    else if (a == "--only") only = argv[i + 1];
  }
  const bool three_d = which == "3d";
  VolumeSource src(three_d ? 128 : 1, three_d ? 256 : 2048, three_d ? 256 : 2048);
  FeatureEngine engine(default_set(three_d, only), src.info().geometry());
  const auto box = engine.image_box();
  const std::size_t channels = engine.channels().size();
  // The whole stack in memory, [channel][z][y][x]: what a caller holding all features pays.
  std::vector<float> stack(keep ? static_cast<std::size_t>(box.volume()) * channels : 0);  // touched here, not timed
  const double input_mb = peak_rss_mb();
  double best = 1e30, first = 0;
  for (int r = 0; r < repeat; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    BlockwiseOptions opt;
    opt.threads = threads;
    opt.block_shape = block;
    if (keep) {
      // Straight into the whole-image stack, as a caller holding all features would.
      compute_features_into(src, engine, opt, 0, FeatureOutput::planar(stack.data(), box));
    } else {
      compute_features_blockwise(src, engine, opt, [](std::int64_t, const PlanarBlock&) {});
    }
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r == 0) first = took;
    best = std::min(best, took);
  }
  const double mpx = static_cast<double>(box.volume()) / 1e6;
  const double out_mb = static_cast<double>(box.volume()) * static_cast<double>(channels) * sizeof(float) / (1024.0 * 1024.0);
  std::printf("%s %s set: %zu channels, uint8, %d thread(s)%s: %.3f s best of %d (first run %.3f s), "
              "%.1f Mpx/s, peak RSS %.0f MB = %.2f x the %.0f MB output stack\n",
              three_d ? "3D 128x256x256" : "2D 2048x2048", only.empty() ? "default" : only.c_str(), channels,
              threads, keep ? ", stack in memory" : ", blocks discarded", best, repeat, first, mpx / best,
              peak_rss_mb(), peak_rss_mb() / out_mb, out_mb);
  (void)input_mb;
  return 0;
}
