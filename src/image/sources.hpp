// SPDX-License-Identifier: MIT
// The concrete image sources behind open_image (internal).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ilpkit/image.hpp"

namespace ilpkit::image_detail {

/// "dir/file.h5/inner/path" -> ("dir/file.h5", "/inner/path"); ("file.h5", "") without an inner
/// path. nullopt when the spec names no HDF5 file.
std::optional<std::pair<std::string, std::string>> split_hdf5_path(const std::string& spec);

std::unique_ptr<ImageSource> open_hdf5_image(const std::string& file, const std::string& internal_path);
std::unique_ptr<ImageSource> open_tiff_image(const std::string& file);

/// Copies a C-order block whose axes are `axes` (extents `counts`, t at most 1) into the planar
/// [c][z][y][x] layout of `out` (already sized).
void scatter_to_planar(const float* src, const std::string& axes, const std::vector<std::int64_t>& counts,
                       PlanarBlock& out);

}  // namespace ilpkit::image_detail
