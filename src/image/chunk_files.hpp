// SPDX-License-Identifier: MIT
// Writers of folder-of-chunks formats (internal; chosen by open_image_writer).
#pragma once

#include <memory>

#include "ilpkit/image.hpp"

namespace ilpkit::image_detail {

/// N5 container options.path, dataset options.internal_path; gzip level 1 when `compress`.
std::unique_ptr<ImageWriter> open_n5_writer(ImageWriterOptions options, bool compress);

/// OME-Zarr at options.path, with downscaled levels when `multiscale`; options.axes must be "tczyx".
std::unique_ptr<ImageWriter> open_ome_zarr_writer(ImageWriterOptions options, bool multiscale);

}  // namespace ilpkit::image_detail
