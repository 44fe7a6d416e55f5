// SPDX-License-Identifier: MIT
// Chunked exports (HDF5, N5, OME-Zarr): the chunk shape ilastik aims for, and the chunks a block
// of export values fills. Internal to the image module.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "export_layout.hpp"
#include "ilpkit/image.hpp"

namespace ilpkit::image_detail {

using Extents = std::vector<std::uint64_t>;

/// About `target_bytes` per chunk with t and c chunked by 1, as ilastik's determineBlockShape
/// aims. Given the blocks that will arrive (options.block_shape), the spatial extents start from
/// the block's and are halved only while they stay divisors of it, so every block covers whole
/// chunks.
Extents chunk_shape(const ImageWriterOptions& options, std::size_t element_bytes, std::uint64_t target_bytes);

/// The origins of the chunks a slab covers whole (up to the array's end); empty when it does
/// not cover every chunk it touches whole.
std::vector<Extents> covered_chunks(const ExportSlab& slab, const Extents& chunk, const Shape& shape);

/// How a chunk is laid out in its file: `padded` chunks always have the full chunk extents
/// (zero past the array's end, as HDF5 and Zarr store them); otherwise edge chunks are cut at
/// the array's end (N5).
struct ChunkLayout {
  Extents chunk;
  Shape shape;  ///< the whole array's
  std::size_t element_bytes = 1;
  bool padded = true;

  Extents extents_at(const Extents& origin) const;  ///< the stored extents of one chunk
};

/// Chunk `origin`'s values, C order in `layout`, converted to the export dtype straight from the
/// block's planes (`where`: the block's slab_extent), which must hold all of them.
void gather_chunk(const PlanarBlock& block, const ImageWriterOptions& options, const ExportSlab& where,
                  const Extents& origin, const ChunkLayout& layout, std::vector<unsigned char>& out);

/// Collects blocks into chunks for formats that store whole chunks (N5, Zarr): a chunk is
/// handed out once every value of it has arrived. Chunks a slab covers whole are gathered
/// directly; the others wait, partly filled, for their neighbours (cutouts whose origin is not
/// on the block grid), so memory is bounded by one band of blocks.
class ChunkAssembler {
 public:
  struct Chunk {
    Extents origin;
    std::vector<unsigned char> bytes;
  };

  explicit ChunkAssembler(ChunkLayout layout) : layout_(std::move(layout)) {}
  const ChunkLayout& layout() const { return layout_; }

  /// The chunks completed by time point t's block.
  std::vector<Chunk> add(std::int64_t t, const PlanarBlock& block, const ImageWriterOptions& options);
  /// Origins of chunks still waiting for values (none after a complete export).
  std::size_t pending() const { return pending_.size(); }

 private:
  struct Partial {
    std::vector<unsigned char> bytes;
    std::uint64_t filled = 0;
  };
  ChunkLayout layout_;
  std::map<Extents, Partial> pending_;
  ExportSlab slab_;  ///< reused block after block
};

}  // namespace ilpkit::image_detail
