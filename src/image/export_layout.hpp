// SPDX-License-Identifier: MIT
// A block of export values in the output's axis order: where it lies in the output array and its
// values interleaved in that order, converted to the export dtype. Shared by every writer.
#pragma once
#include <cstdint>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "ilpkit/image.hpp"

namespace ilpkit::image_detail {

struct ExportSlab {
  std::vector<std::uint64_t> start, count;  ///< in output axes order
  std::vector<unsigned char> bytes;         ///< count's C-order values in the export dtype
  std::vector<float> values;                ///< scratch: the values before conversion
};

/// Where time point `t`'s block lies in the output (slab.start and slab.count), without its values.
void slab_extent(std::int64_t t, const PlanarBlock& block, const std::string& axes, ExportSlab& slab);

/// Per output axis, the distance between neighbouring values in the block's planes (t: 0).
std::vector<std::int64_t> plane_strides(const PlanarBlock& block, const std::string& axes);

/// Time point `t`'s block (float [c][z][y][x]) as a slab of the output `axes`, converted, into
/// `slab` (writers keep one and reuse its buffers: fresh ones would be page-faulted in per block).
void export_slab(std::int64_t t, const PlanarBlock& block, const ImageWriterOptions& options, ExportSlab& slab);

/// numpy's type string for little-endian data ("<f4", "|u1", ...), used by .npy and Zarr.
std::string numpy_descr(ValueType type);

/// The drange attribute ilastik stores with an export, in the export dtype's values: the
/// normalization's export range, else the source's range (options.drange).
std::optional<std::pair<double, double>> export_drange(const ImageWriterOptions& options);

}  // namespace ilpkit::image_detail
