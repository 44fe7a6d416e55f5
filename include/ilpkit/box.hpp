// SPDX-License-Identifier: MIT
// Boxes of voxels and their tiling into blocks: the geometry every blockwise step shares.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace ilpkit {

/// A box of voxels [begin, end) in (z, y, x) order; 2-D images have z extent 1.
struct Box {
  std::array<std::int64_t, 3> begin{0, 0, 0};
  std::array<std::int64_t, 3> end{1, 1, 1};

  std::int64_t extent(int axis) const { return end[static_cast<std::size_t>(axis)] - begin[static_cast<std::size_t>(axis)]; }
  std::int64_t volume() const { return extent(0) * extent(1) * extent(2); }
  bool contains(const Box& inner) const;
  /// Grown by `halo` on both sides of each axis, then clipped to `clip`.
  Box grown(const std::array<std::int64_t, 3>& halo, const Box& clip) const;
  bool operator==(const Box& o) const { return begin == o.begin && end == o.end; }
};

/// Blocks of `block_shape` (z, y, x) tiling `image`, in z, y, x order; edge blocks are smaller.
/// Throws Error(Usage) for a non-positive extent.
std::vector<Box> block_grid(const Box& image, const std::array<std::int64_t, 3>& block_shape);

}  // namespace ilpkit
