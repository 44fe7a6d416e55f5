// SPDX-License-Identifier: MIT
// Deterministic benchmark inputs shared by the bench targets.
#pragma once

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "ilpkit/features.hpp"
#include "ilpkit/image.hpp"

namespace ilpkit::bench {

// uint8 values in a float volume [z][y][x]: bright blobs ("nuclei") on a shaded background
// plus noise, the kind of texture pixel classification sees.
inline std::vector<float> synthetic(std::int64_t Z, std::int64_t Y, std::int64_t X) {
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

/// ilastik's default feature set: all six features at 0.7 .. 10.0 plus Gaussian at 0.3.
inline FeatureSelection default_set(bool three_d, const std::string& only = "") {
  FeatureSelection s;
  s.ids = default_feature_ids();
  s.scales = default_scales();  // 0.3, 0.7, 1.0, 1.6, 3.5, 5.0, 10.0
  s.matrix.assign(s.ids.size(), std::vector<bool>(s.scales.size(), true));
  for (std::size_t i = 1; i < s.ids.size(); ++i) s.matrix[i][0] = false;  // only Gaussian at 0.3
  if (!only.empty())  // that row alone (to see where time goes)
    for (std::size_t i = 0; i < s.ids.size(); ++i)
      if (s.ids[i] != only) s.matrix[i].assign(s.scales.size(), false);
  s.compute_in_2d.assign(s.scales.size(), !three_d);
  s.compute_in_2d_stored = true;
  return s;
}


}  // namespace ilpkit::bench
