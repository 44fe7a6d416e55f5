// SPDX-License-Identifier: MIT
// Images on disk as the pipeline sees them: sources that read any (t)(z)(y)(x)(c) box of an
// HDF5 dataset or TIFF as float32 planes, and writers that store blocks under ilastik's dataset
// name and axis tags. Files are written under a temporary name and renamed when complete.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
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
  std::string stack_nickname;  ///< stacks: ilastik's common prefix of the file names

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

/// Opens "file.h5", "file.h5/internal/path" (also .hdf5, .hdf, .ilp), a TIFF, PNG or .npy file,
/// or, as ilastik does, a stack of 2-D images: a glob ("dir/*.png", sorted) or a ':'-joined
/// list, stacked along `stack_along` (z, t or c). For HDF5 without an internal path the file must
/// hold exactly one dataset. Throws Error(Io) for missing files, Error(Format) for unreadable
/// ones, Error(Unsupported) for other formats.
std::unique_ptr<ImageSource> open_image(const std::string& spec, char stack_along = 'z');

/// ilastik's export normalization (ilp-format.md §8.5): [input_min, input_max] ->
/// [export_min, export_max].
struct Normalization {
  double input_min = 0, input_max = 1, export_min = 0, export_max = 1;
};

/// ilastik's export conversion of `n` values to `to` (native layout at `out`). With `normalize`:
/// export_min + (x − input_min)·float32((export_max − export_min)/(input_max − input_min)) in
/// float32 (ratio 0 for an empty input span), rounded half to even for integer dtypes; without:
/// numpy's astype (truncation toward zero). Integer results are not clipped: values outside the
/// dtype wrap as numpy's casts do on x86-64.
void convert_export_values(const float* in, std::size_t n, ValueType to, const std::optional<Normalization>& normalize,
                           void* out);

/// `uint8 uint16 uint32 int8 int16 int32 float32 float64` (ilastik's --export_dtype choices).
/// Throws Error(Usage) naming them.
ValueType parse_export_dtype(const std::string& name);

/// An HDF5 dataset being written. Blocks arrive as float [channel][z][y][x] planes of one time
/// point and are stored in `axes` order, converted to `dtype` as ilastik converts exports
/// (convert_export_values). commit() closes and renames; without it the temporary file is removed.
struct ImageWriterOptions {
  std::string path;
  std::string internal_path = "exported_data";
  std::string axes;   ///< output order, must contain c
  Shape shape;        ///< in `axes` order
  ValueType dtype = ValueType::Float32;
  bool compress = false;                     ///< gzip level 1 ("compressed hdf5")
  std::optional<std::pair<double, double>> drange;
  std::optional<Normalization> normalize;  ///< applied before the cast to `dtype`
  /// z, y, x extents of the blocks that will arrive (0: unknown): HDF5 chunks are chosen to
  /// divide them, so that each block fills whole chunks, written and compressed once.
  std::array<std::int64_t, 3> block_shape{0, 0, 0};
  /// Where the export's origin lies in the source image, in `axes` order (a cutout's start;
  /// empty: at the origin). OME-Zarr records it as a translation.
  Shape offset;
  /// Names the dataset in formats that carry one (OME-Zarr's multiscales name).
  std::string name;
  /// The values are labels (segmentations): downscaled levels take the nearest value instead of
  /// smoothing and interpolating (ilastik's data semantics).
  bool label_values = false;
};

/// Where an export goes. Blocks may arrive in any order; nothing appears under the final name
/// before commit(), and without it the temporary files are removed.
class ImageWriter {
 public:
  virtual ~ImageWriter() = default;
  virtual void write(std::int64_t t, const PlanarBlock& block) = 0;
  virtual void commit() = 0;
};

/// The writer for one of ilastik's output formats: "hdf5", "compressed hdf5" (gzip 1), "n5",
/// "compressed n5" (gzip 1), "single-scale OME-Zarr" and "multi-scale OME-Zarr" (axes must be
/// tczyx), "numpy"
/// (.npy), "tif"/"tiff" (one page, channels as samples, LZW), "multipage tiff" (one page per
/// plane), "png" (one yx image of uint8/uint16, 1-4 channels), ilastik's VIGRA formats "bmp",
/// "gif", "hdr", "jpeg"/"jpg", "pbm"/"pgm"/"ppm"/"pnm", "ras" (1 or 3 channels, written by
/// libvigraimpex as ilastik's are), and "<any 2-D format> sequence" / "multipage tiff sequence"
/// (one file per t or z, named by {slice_index}). Throws Error(Unsupported) for other formats, Error(Usage) for axes the format cannot
/// hold.
std::unique_ptr<ImageWriter> open_image_writer(const std::string& format, ImageWriterOptions options);

/// Whether the format stores 2-D pictures (png, tif, tiff, the VIGRA formats and their
/// sequences), where x is the width whatever the array's axis order, as vigra writes them.
bool writes_plane_images(const std::string& format);

/// The file extension ilastik gives a format (h5, n5, zarr, npy, tif, tiff, png, ...);
/// Error(Unsupported) as above, with the reason for ilastik's formats that ilpkit does not write.
std::string format_extension(const std::string& format);

/// "single-scale OME-Zarr" and "multi-scale OME-Zarr": always written in t,c,z,y,x order,
/// whatever the output axis order.
bool is_ome_zarr_format(const std::string& format);

/// Formats whose file holds a named dataset (--output_internal_path): hdf5, n5 and compressed.
bool has_internal_path(const std::string& format);

class Hdf5ImageWriter final : public ImageWriter {
 public:
  explicit Hdf5ImageWriter(ImageWriterOptions options);
  ~Hdf5ImageWriter() override;
  Hdf5ImageWriter(const Hdf5ImageWriter&) = delete;
  Hdf5ImageWriter& operator=(const Hdf5ImageWriter&) = delete;

  void write(std::int64_t t, const PlanarBlock& block) override;
  void commit() override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ilpkit
