// SPDX-License-Identifier: MIT
// Streaming evaluation of separable filters: images are processed slice by slice along the
// outermost filtered axis (rows along y in 2-D, planes along z in 3-D). Every intermediate
// result lives in a small ring of slices, so a scale's whole filter bank works in cache and
// only final feature values reach memory. Arithmetic per sample is exactly that of the
// whole-volume passes (x, then y, then z; same kernels, same order).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "convolve.hpp"
#include "kernel.hpp"
#include "volume.hpp"

namespace ilpkit::features {

/// A producer of slices s ∈ [0, count) of `shape` (z = 1), each cached after its first use.
class SliceNode {
 public:
  SliceNode(Extent shape, std::int64_t count, const RowPlacement& at) : shape_(shape), count_(count), at_(at) {}
  virtual ~SliceNode() = default;
  SliceNode(const SliceNode&) = delete;
  SliceNode& operator=(const SliceNode&) = delete;

  const Extent& shape() const { return shape_; }
  std::int64_t count() const { return count_; }
  /// Where the slices' rows lie in the image (for x passes).
  const RowPlacement& placement() const { return at_; }
  /// Consumers that read `2r + 1` neighbouring slices at once register r before the first get.
  void need_radius(int r) { radius_need_ = std::max(radius_need_, r); }
  /// Rows [lo, hi) of each slice that consumers read; only those are computed. Registered by
  /// the final consumers, then pushed to the inputs by SliceGraph::finalize().
  void need_rows(std::int64_t lo, std::int64_t hi);
  std::int64_t rows_lo() const { return rows_lo_; }
  std::int64_t rows_hi() const { return rows_hi_; }
  /// Tells this node's inputs which of their rows it reads.
  virtual void propagate_rows() {}
  /// The slice as a view (contiguous for computed nodes, strided for the source).
  virtual ConstView get(std::int64_t s);

 protected:
  /// Computes rows [rows_lo(), rows_hi()) of slice s into `out` (a whole slice).
  virtual void make(std::int64_t s, float* out) = 0;

 private:
  std::int64_t rows_lo_ = 0, rows_hi_ = 0;
  Extent shape_;
  std::int64_t count_;
  RowPlacement at_;
  int radius_need_ = 0;
  std::int64_t window_ = 0, computed_ = -1;
  Volume ring_;  ///< window slices, from the thread's scratch pool
  std::vector<std::int64_t> tag_;
};

/// Builds and shares the nodes of one scale's filter bank for one input channel.
class SliceGraph {
 public:
  /// `source`: the presmoothing input region (the frame plus the presmoothing radius, clipped
  /// to the image), `three_d`: stream along z with xy planes, else along y with rows (the
  /// view must then have z extent 1). `frame_offset`/`frame`: the filter frame inside it. `at`:
  /// where the source's rows lie in the image.
  SliceGraph(const ConstView& source, bool three_d, const Extent& frame_offset, const Extent& frame,
             const RowPlacement& at);

  SliceNode* presmoothed(const Kernel& pre);
  /// The source slices themselves (when the caller has presmoothed already).
  SliceNode* source() { return source_; }
  /// K_x K_y [K_z] applied to `in` (x, y, z order); in 2-D `kz` is ignored.
  SliceNode* separable(SliceNode* in, const Kernel& kx, const Kernel& ky, const Kernel& kz);
  SliceNode* product(SliceNode* a, SliceNode* b);
  bool three_d() const { return three_d_; }
  /// After the consumers registered their rows: propagate them to every node's inputs.
  void finalize();

 private:
  SliceNode* in_slice(SliceNode* in, Axis axis, const Kernel* k, Extent first, Extent count);
  SliceNode* stream(SliceNode* in, const Kernel* k, std::int64_t first, std::int64_t count);

  bool three_d_;
  Extent frame_offset_, frame_;
  std::vector<std::unique_ptr<SliceNode>> nodes_;
  SliceNode* source_ = nullptr;
  std::map<std::tuple<SliceNode*, Axis, const Kernel*>, SliceNode*> in_slice_cache_;
  std::map<std::pair<SliceNode*, const Kernel*>, SliceNode*> stream_cache_;
  std::map<std::pair<SliceNode*, SliceNode*>, SliceNode*> product_cache_;
};

}  // namespace ilpkit::features
