// SPDX-License-Identifier: MIT
// Images on disk as the pipeline sees them: sources that read any (t)(z)(y)(x)(c) box of an
// HDF5 dataset or TIFF as float32 planes, and writers that store blocks under ilastik's dataset
// name and axis tags. Files are written under a temporary name and renamed when complete.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ilpkit/axes.hpp"
#include "ilpkit/feature_engine.hpp"
#include "ilpkit/features.hpp"
#include "ilpkit/tree.hpp"

namespace ilpkit {

struct ImageInfo {
  std::string path;          ///< the file
  std::string internal_path; ///< HDF5 dataset, empty for TIFF
  std::string axes;          ///< keys in file order, e.g. "yx", "zyxc", "tzcyx"
  std::string axes_source;   ///< "axistags", "default", "tiff", "--input_axes", "training lane"
  Shape shape;               ///< extents in file order
  ValueType dtype = ValueType::UInt8;

  std::int64_t extent(char axis) const;  ///< 1 for absent axes
  ImageGeometry geometry() const;
  std::string nickname() const;          ///< ilastik's batch nickname (file stem, plus -internal-path)
};

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  const ImageInfo& info() const { return info_; }
  /// Reinterprets the axes (ilastik's --input_axes or the training lane's axis tags); the
  /// key count must equal the rank. Throws Error(Usage).
  void set_axes(const std::string& axes, const std::string& source);
  /// Box of time point t as float32 [c][z][y][x] (a plain cast, no normalization).
  virtual void read(std::int64_t t, const Box& box, PlanarBlock& out) const = 0;

 protected:
  ImageInfo info_;
};

/// Opens "file.h5", "file.h5/internal/path" (also .hdf5, .hdf, .ilp) or a TIFF file. For HDF5
/// without an internal path the file must hold exactly one dataset. Throws Error(Io) for missing
/// files, Error(Format) for unreadable ones, Error(Unsupported) for other formats.
std::unique_ptr<ImageSource> open_image(const std::string& spec);

/// An HDF5 dataset being written. Blocks arrive as float [channel][z][y][x] planes of one time
/// point and are stored in `axes` order, converted to `dtype` by HDF5. commit() closes and renames; without it the temporary file
/// is removed.
struct ImageWriterOptions {
  std::string path;
  std::string internal_path = "exported_data";
  std::string axes;   ///< output order, must contain c
  Shape shape;        ///< in `axes` order
  ValueType dtype = ValueType::Float32;
  bool compress = false;                     ///< gzip level 1 ("compressed hdf5")
  std::optional<std::pair<double, double>> drange;
};

class Hdf5ImageWriter {
 public:
  explicit Hdf5ImageWriter(ImageWriterOptions options);
  ~Hdf5ImageWriter();
  Hdf5ImageWriter(const Hdf5ImageWriter&) = delete;
  Hdf5ImageWriter& operator=(const Hdf5ImageWriter&) = delete;

  void write(std::int64_t t, const PlanarBlock& block);
  void commit();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ilpkit
