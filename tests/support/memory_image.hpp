// SPDX-License-Identifier: MIT
// An in-memory ImageSource for tests: float data in C order of `axes`.
#pragma once

#include <random>
#include <vector>

#include "ilpkit/image.hpp"
#include "ilpkit/pipeline.hpp"

namespace ilpkit::test {

class MemoryImage final : public ImageSource {
 public:
  MemoryImage(std::string axes, Shape shape, std::vector<float> data) : data_(std::move(data)) {
    info_.path = "memory";
    info_.axes = std::move(axes);
    info_.shape = std::move(shape);
    info_.dtype = ValueType::Float32;
    info_.axes_source = "test";
  }
  void read(std::int64_t t, const Box& box, PlanarBlock& out) const override {
    const auto& a = info_.axes;
    const int channels = static_cast<int>(info_.extent('c'));
    out.reset(box, channels);
    std::vector<std::int64_t> stride(a.size(), 1);
    for (std::size_t i = a.size() - 1; i-- > 0;) stride[i] = stride[i + 1] * info_.shape[i + 1];
    auto at = [&](char key) {
      auto p = a.find(key);
      return p == std::string::npos ? std::int64_t{0} : stride[p];
    };
    const std::int64_t st = at('t'), sc = at('c'), sz = at('z'), sy = at('y'), sx = at('x');
    float* dst = out.data.data();
    for (int c = 0; c < channels; ++c)
      for (std::int64_t z = box.begin[0]; z < box.end[0]; ++z)
        for (std::int64_t y = box.begin[1]; y < box.end[1]; ++y)
          for (std::int64_t x = box.begin[2]; x < box.end[2]; ++x)
            *dst++ = data_[static_cast<std::size_t>(t * st + c * sc + z * sz + y * sy + x * sx)];
  }

 private:
  std::vector<float> data_;
};

/// Deterministic test texture: smooth blobs plus noise, values in [0, 255].
inline std::vector<float> texture(std::size_t n, std::uint32_t seed, std::int64_t row = 37) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> noise(0.0f, 60.0f);
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double x = static_cast<double>(static_cast<std::int64_t>(i) % row), y = static_cast<double>(i) / row;
    v[i] = static_cast<float>(std::floor(100 + 80 * std::sin(x * 0.35 + seed) * std::cos(y * 0.21) + noise(rng)));
  }
  return v;
}

/// Features of a whole image, computed blockwise and stitched.
inline PlanarBlock compute_stitched(const ImageSource& src, const FeatureEngine& engine,
                                    std::array<std::int64_t, 3> block_shape = {0, 0, 0}, std::int64_t t = 0,
                                    int threads = 0) {
  PlanarBlock whole;
  whole.reset(engine.image_box(), static_cast<int>(engine.channels().size()));
  BlockwiseOptions opt;
  opt.block_shape = block_shape;
  opt.threads = threads;
  compute_features_blockwise(src, engine, opt, [&](std::int64_t bt, const PlanarBlock& b) {
    if (bt != t) return;
    const auto& wb = whole.box;
    for (int c = 0; c < b.channels; ++c)
      for (std::int64_t z = b.box.begin[0]; z < b.box.end[0]; ++z)
        for (std::int64_t y = b.box.begin[1]; y < b.box.end[1]; ++y) {
          const float* s = b.channel(c) + ((z - b.box.begin[0]) * b.box.extent(1) + (y - b.box.begin[1])) * b.box.extent(2);
          float* d = whole.channel(c) + ((z - wb.begin[0]) * wb.extent(1) + (y - wb.begin[1])) * wb.extent(2) +
                     (b.box.begin[2] - wb.begin[2]);
          std::copy(s, s + b.box.extent(2), d);
        }
  });
  return whole;
}

}  // namespace ilpkit::test
