// SPDX-License-Identifier: MIT
// The downscaled levels of a multi-scale OME-Zarr export, as ilastik's write_ome_zarr makes
// them with lazyflow's OpResize (internal to the image module).
#pragma once

#include <filesystem>
#include <vector>

#include "chunk_grid.hpp"
#include "ilpkit/tree.hpp"

namespace ilpkit::image_detail {

/// A t,c,z,y,x Zarr v2 array as ilpkit writes it: zlib chunks of full extent at nested keys.
struct ZarrLevel {
  std::filesystem::path dir;
  Extents shape;
  Extents chunk;
};

/// ilastik's scales (clearscale downscale_powers_of_2_xyz, floor rounding): level i has the
/// spatial extents of the base divided by 2^i, rounded down (at least 1); the last level is the
/// first whose spatial extents all fit into one chunk. Level 0 is the base.
std::vector<Extents> pyramid_shapes(const Extents& base, const Extents& chunk);

/// Writes level `to` from level `from` (the level before it) as OpResize computes it: per axis
/// the factor f = from / to; with `nearest` (label images) the value at source index
/// floor(x + 0.5), otherwise a Gaussian of σ = f/4 (truncated at 4σ, mirrored at the edges,
/// float64) sampled linearly, at x = i·f + f/2 − 0.5 for target index i. Values are cast to
/// `dtype` as numpy assigns float64 (rounded to float32, truncated to integers). Chunks are
/// computed in parallel; memory stays about a chunk and its halo per thread.
void downscale_level(const ZarrLevel& from, const ZarrLevel& to, ValueType dtype, bool nearest);

}  // namespace ilpkit::image_detail
