// SPDX-License-Identifier: MIT
// Files of chunk-folder formats (N5, Zarr): whole-file reads and writes with ilpkit's errors,
// and the deflate codec they use (internal to the image module).
#pragma once

#include <cstddef>
#include <filesystem>
#include <vector>

namespace ilpkit::image_detail {

/// Creates or replaces `path` with `size` bytes; Error(Io) naming the file on failure.
void write_whole_file(const std::filesystem::path& path, const void* data, std::size_t size);

/// The whole file; Error(Io) naming it on failure.
std::vector<unsigned char> read_whole_file(const std::filesystem::path& path);

/// Deflate at level 1: zlib's format (Zarr's "zlib" codec), or gzip's (N5's "gzip").
std::vector<unsigned char> deflate_chunk(const std::vector<unsigned char>& raw, bool gzip_wrapper);

}  // namespace ilpkit::image_detail
