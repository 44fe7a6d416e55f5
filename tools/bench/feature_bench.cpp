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

using namespace ilpkit;

namespace {

// uint8 values in a float volume [z][y][x]: bright blobs ("nuclei") on a shaded background
// plus noise, the kind of texture pixel classification sees.
std::vector<float> synthetic(std::int64_t Z, std::int64_t Y, std::int64_t X) {
  std::mt19937 rng(12345);
  std::vector<float> v(static_cast<std::size_t>(Z * Y * X));
  for (std::int64_t z = 0; z < Z; ++z)
    for (std::int64_t y = 0; y < Y; ++y)
      for (std::int64_t x = 0; x < X; ++x)
        v[static_cast<std::size_t>((z * Y + y) * X + x)] =
            40.0f + 20.0f * static_cast<float>(std::sin(0.01 * x + 0.013 * y + 0.02 * z));
  std::uniform_real_distribution<double> ux(0, static_cast<double>(X)), uy(0, static_cast<double>(Y)),
      uz(0, static_cast<double>(Z)), ur(4, 14), ub(60, 160);
  const std::int64_t blobs = Z * Y * X / 2500;
  for (std::int64_t b = 0; b < blobs; ++b) {
    const double cx = ux(rng), cy = uy(rng), cz = Z > 1 ? uz(rng) : 0, r = ur(rng), bright = ub(rng);
    for (std::int64_t z = std::max<std::int64_t>(0, static_cast<std::int64_t>(cz - r));
         z < std::min<std::int64_t>(Z, static_cast<std::int64_t>(cz + r) + 1); ++z)
      for (std::int64_t y = std::max<std::int64_t>(0, static_cast<std::int64_t>(cy - r));
           y < std::min<std::int64_t>(Y, static_cast<std::int64_t>(cy + r) + 1); ++y)
        for (std::int64_t x = std::max<std::int64_t>(0, static_cast<std::int64_t>(cx - r));
             x < std::min<std::int64_t>(X, static_cast<std::int64_t>(cx + r) + 1); ++x) {
          const double d2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy) + (z - cz) * (z - cz)) / (r * r);
          if (d2 < 1) v[static_cast<std::size_t>((z * Y + y) * X + x)] += static_cast<float>(bright * (1 - d2 * d2));
        }
  }
  std::normal_distribution<float> noise(0.0f, 6.0f);
  for (auto& p : v) p = std::round(std::clamp(p + noise(rng), 0.0f, 255.0f));
  return v;
}

class VolumeSource final : public ImageSource {
 public:
  VolumeSource(std::int64_t Z, std::int64_t Y, std::int64_t X) : data_(synthetic(Z, Y, X)) {
    info_.path = "synthetic";
    info_.axes = Z > 1 ? "zyx" : "yx";
    info_.shape = Z > 1 ? Shape{Z, Y, X} : Shape{Y, X};
    info_.dtype = ValueType::UInt8;
  }
  void read(std::int64_t, const Box& box, PlanarBlock& out) const override {
    out.reset(box, 1);
    const std::int64_t Y = info_.extent('y'), X = info_.extent('x');
    float* d = out.data.data();
    for (std::int64_t z = box.begin[0]; z < box.end[0]; ++z)
      for (std::int64_t y = box.begin[1]; y < box.end[1]; ++y) {
        const float* s = data_.data() + (z * Y + y) * X + box.begin[2];
        d = std::copy(s, s + box.extent(2), d);
      }
  }

 private:
  std::vector<float> data_;
};

FeatureSelection default_set(bool three_d, const std::string& only) {
  FeatureSelection s;
  s.ids = default_feature_ids();
  s.scales = default_scales();  // 0.3, 0.7, 1.0, 1.6, 3.5, 5.0, 10.0
  s.matrix.assign(s.ids.size(), std::vector<bool>(s.scales.size(), true));
  for (std::size_t i = 1; i < s.ids.size(); ++i) s.matrix[i][0] = false;  // only Gaussian at 0.3
  if (!only.empty())  // --only FeatureId: that row alone (to see where time goes)
    for (std::size_t i = 0; i < s.ids.size(); ++i)
      if (s.ids[i] != only) s.matrix[i].assign(s.scales.size(), false);
  s.compute_in_2d.assign(s.scales.size(), !three_d);
  s.compute_in_2d_stored = true;
  return s;
}

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
