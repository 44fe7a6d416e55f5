// SPDX-License-Identifier: MIT
// The feature engine: ilastik's pixel features (features-and-forest.md §2) for any block of a
// (z)yx(c) image of one time point, computed from the block plus a halo so that stitched blocks
// equal a whole-image computation bit for bit. Usage:
//   FeatureEngine engine(selection, ImageGeometry{channels, z, y, x});
//   Box block = ...;                                   // where the output is wanted
//   PlanarBlock input = read(engine.input_box(block));  // float32 [c][z][y][x]
//   PlanarBlock features;
//   engine.compute(input, block, features);            // [channel][z][y][x] over block
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "ilpkit/box.hpp"
#include "ilpkit/features.hpp"
#include "ilpkit/project.hpp"

namespace ilpkit {

/// An allocator that leaves elements uninitialized on resize: feature blocks are written in
/// full before they are read, and zero-filling hundreds of megabytes costs real time.
template <class T>
struct UninitializedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <class U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using FloatBuffer = std::vector<float, UninitializedAllocator<float>>;

/// float32 data [channel][z][y][x] over `box`.
struct PlanarBlock {
  Box box;
  int channels = 0;
  FloatBuffer data;

  void reset(const Box& b, int channel_count);
  std::int64_t plane_size() const { return box.volume(); }
  float* channel(int c) { return data.data() + static_cast<std::int64_t>(c) * plane_size(); }
  const float* channel(int c) const { return data.data() + static_cast<std::int64_t>(c) * plane_size(); }
};

/// Where compute() writes: sample (channel c, z, y, x) of the block, coordinates relative to
/// the block's begin, goes to data[c·channel_stride + z·z_stride + y·y_stride + x]. Lets callers
/// write straight into a larger array (a whole-image stack) instead of a block buffer.
struct FeatureOutput {
  float* data = nullptr;
  std::int64_t channel_stride = 0, z_stride = 0, y_stride = 0;

  /// The layout of a PlanarBlock over `box`.
  static FeatureOutput planar(float* data, const Box& box);
};

class FeatureEngine {
 public:
  /// Checks the selection against the image the way ilastik does: unknown ids and a bad matrix
  /// are Error(Format); scales too large for the image are Error(Usage) naming scale and axis.
  FeatureEngine(const FeatureSelection& selection, const ImageGeometry& image);
  ~FeatureEngine();
  FeatureEngine(FeatureEngine&&) noexcept;
  FeatureEngine& operator=(FeatureEngine&&) noexcept;

  const std::vector<FeatureChannel>& channels() const;
  const ImageGeometry& image() const;
  Box image_box() const;
  /// Halo per axis (z, y, x) that makes blockwise results equal whole-image results.
  std::array<std::int64_t, 3> halo() const;
  /// The input region `compute` needs for `block`: the block plus halo, clipped to the image.
  Box input_box(const Box& block) const;
  /// `input` must cover exactly input_box(block) with the image's channel count. Parallel over
  /// scales and channels; the result does not depend on the thread count.
  void compute(const PlanarBlock& input, const Box& block, PlanarBlock& out) const;
  void compute(const PlanarBlock& input, const Box& block, const FeatureOutput& out) const;

  struct Plan;

 private:
  std::unique_ptr<Plan> plan_;
};

/// Channel names of `channels` against a classifier's stored feature_names: throws Error(Format)
/// naming the first channel that differs (or the count mismatch). Projects saved before
/// ComputeIn2d existed (ilastik < 1.3.2) stored names without " in 2D"; `ignore_in_2d` accepts those.
void check_feature_names(const std::vector<FeatureChannel>& channels, const std::vector<std::string>& stored,
                         bool ignore_in_2d = false);

}  // namespace ilpkit
