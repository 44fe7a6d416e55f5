// SPDX-License-Identifier: MIT
// The concrete image sources behind open_image (internal).
#pragma once

#include <functional>
#include <memory>
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
std::unique_ptr<ImageSource> open_png_image(const std::string& file);
std::unique_ptr<ImageSource> open_npy_image(const std::string& file);

/// The files of a stack spec: ':'-separated parts (os.pathsep), each a file or a glob (sorted;
/// "dir/*.h5/data" globs the files). Throws Error(Io) when a glob matches nothing.
std::vector<std::string> expand_stack_spec(const std::string& spec);

/// Several 2-D images of equal shape and type stacked along z, t or c (ilastik's globs and
/// os.pathsep lists with --stack_along). Axes: z/t first, c appended (or multiplied).
std::unique_ptr<ImageSource> stack_images(std::vector<std::unique_ptr<ImageSource>> slices, char axis,
                                          const std::string& spec);

/// A source whose data is an array in file order (info().shape): read() maps a box onto the
/// file's axes, whatever they are called, and asks for that region as float32 in file order.
class RegionSource : public ImageSource {
 public:
  void read(std::int64_t t, const Box& box, PlanarBlock& out) const final;
  /// The region [begin, begin + count) of the file-order array as float32, C order.
  virtual void read_region(const std::vector<std::int64_t>& begin, const std::vector<std::int64_t>& count,
                           float* out) const = 0;
};

/// `n` samples of `type` (native byte order) at `src` as float32.
void convert_samples(ValueType type, const unsigned char* src, std::size_t n, float* dst);

/// The region [begin, begin + count) of a C-order array of `shape` as contiguous runs, in order:
/// fn(offset, length) in elements. Trailing axes the region covers whole are one run.
void for_each_run(const std::vector<std::int64_t>& shape, const std::vector<std::int64_t>& begin,
                  const std::vector<std::int64_t>& count,
                  const std::function<void(std::size_t offset, std::size_t length)>& fn);

/// Copies the region [begin, begin + count) of a C-order array of `shape` (elements of `type`,
/// native byte order, at `base`) into `out` as float32.
void gather_region(const unsigned char* base, ValueType type, const std::vector<std::int64_t>& shape,
                   const std::vector<std::int64_t>& begin, const std::vector<std::int64_t>& count, float* out);

/// Copies a C-order block whose axes are `axes` (extents `counts`, t at most 1) into the planar
/// [c][z][y][x] layout of `out` (already sized).
void scatter_to_planar(const float* src, const std::string& axes, const std::vector<std::int64_t>& counts,
                       PlanarBlock& out);

/// A whole array already in memory or mapped (native byte order, C order in info().axes):
/// decoded PNGs, memory-mapped .npy files. `storage` keeps `base` alive.
class ArrayImage final : public RegionSource {
 public:
  ArrayImage(ImageInfo info, std::shared_ptr<const void> storage, const unsigned char* base)
      : storage_(std::move(storage)), base_(base) {
    info_ = std::move(info);
  }
  void read_region(const std::vector<std::int64_t>& begin, const std::vector<std::int64_t>& count,
                   float* out) const override {
    gather_region(base_, info_.dtype, info_.shape, begin, count, out);
  }

 private:
  std::shared_ptr<const void> storage_;
  const unsigned char* base_;
};

}  // namespace ilpkit::image_detail
