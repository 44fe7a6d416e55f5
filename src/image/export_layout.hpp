// SPDX-License-Identifier: MIT
// A block of export values in the output's axis order: where it lies in the output array and its
// values interleaved in that order, converted to the export dtype. Shared by every writer.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ilpkit/image.hpp"

namespace ilpkit::image_detail {

struct ExportSlab {
  std::vector<std::uint64_t> start, count;  ///< in output axes order
  std::vector<unsigned char> bytes;         ///< count's C-order values in the export dtype
  std::vector<float> values;                ///< scratch: the values before conversion
};

/// Time point `t`'s block (float [c][z][y][x]) as a slab of the output `axes`, converted, into
/// `slab` (writers keep one and reuse its buffers: fresh ones would be page-faulted in per block).
void export_slab(std::int64_t t, const PlanarBlock& block, const ImageWriterOptions& options, ExportSlab& slab);

}  // namespace ilpkit::image_detail
