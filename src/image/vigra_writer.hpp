// SPDX-License-Identifier: MIT
// The 2-D image formats ilastik writes through VIGRA's impex (internal).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ilpkit/tree.hpp"

namespace ilpkit::image_detail {

/// VIGRA's file type for one of ilastik's format names (bmp, gif, hdr, jpeg, jpg, pbm, pgm,
/// ppm, pnm, ras); nullptr for others.
const char* vigra_file_type(const std::string& format);

/// Writes a y,x,c image (C order, `channels` 1 or 3, native `dtype`) to `path` as `format`.
/// Throws Error(Io) with VIGRA's reason when the format cannot hold it.
void write_with_vigra(const std::string& format, const std::string& path, const std::vector<unsigned char>& bytes,
                      std::uint32_t width, std::uint32_t height, int channels, ValueType dtype);

}  // namespace ilpkit::image_detail
