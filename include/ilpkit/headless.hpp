// SPDX-License-Identifier: MIT
// ilastik's headless batch export for Pixel Classification (ilp-format.md §8): how an input is
// interpreted against the project, where the result goes, and the export itself.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ilpkit/image.hpp"
#include "ilpkit/pipeline.hpp"
#include "ilpkit/project.hpp"

namespace ilpkit {

enum class ExportSource { Probabilities, SimpleSegmentation, Uncertainty, Features, Labels };

/// Case-insensitive, as ilastik parses --export_source. Throws Error(Usage) listing the choices.
ExportSource parse_export_source(const std::string& name);
const char* export_source_name(ExportSource source);

/// ilastik's --cutout_subregion: start and stop per axis of the export's internal order (t, z,
/// y, x, c without singleton t/z, e.g. y,x,c for 2-D); nullopt = 0 / the full extent.
struct Cutout {
  std::vector<std::optional<std::int64_t>> start, stop;
};

struct ExportRequest {
  ExportSource source = ExportSource::Probabilities;
  std::string output_format = "hdf5";
  std::string filename_format;      ///< empty: the project's stored one, else ilastik's default
  std::string internal_path;        ///< empty: the project's stored one, else exported_data
  std::string output_axis_order;    ///< empty: the input's own axes with c appended
  std::string export_dtype;         ///< empty: the project's stored one, else the source's own dtype
  /// --pipeline_result_drange with --export_drange; empty: the project's stored normalization if
  /// it has all four bounds, else none.
  std::optional<Normalization> normalize;
  std::string input_axes;           ///< empty: the training lane's axes (ilastik's default)
  bool impose_training_axes = true; ///< false: --ignore_training_axistags
  char stack_along = 'z';           ///< --stack_along: axis of globbed / ':'-joined stacks
  std::optional<Cutout> cutout;     ///< --cutout_subregion; empty: the project's stored region, else all
  BlockwiseOptions blockwise;
};

struct ExportResult {
  std::string input;
  std::string output_path;
  std::string internal_path;
  std::string axes;
  Shape shape;
  ValueType dtype = ValueType::Float32;
  std::string input_axes_source;
  std::vector<std::string> warnings;  ///< e.g. a cutout clipped to the image
};

/// The exported region in the output's axis order (for `{roi}`, `{x_start}`, `{x_stop}`, ...).
struct ExportRegion {
  std::string axes;
  Shape start, stop;
};

/// Fills `{dataset_dir}`, `{nickname}`, `{result_type}` and, given the region, `{roi}` (Python's
/// repr of [start tuple, stop tuple]) and `{<axis>_start}` / `{<axis>_stop}`, then replaces the
/// extension of the file name by the format's (ilastik's rule: everything from the last '.' of
/// the file name on). Unknown placeholders stay verbatim.
std::string output_path_for(const std::string& filename_format, const ImageInfo& input, ExportSource source,
                            const std::string& output_format, const ExportRegion& region = {});

/// `{roi}` and `{<axis>_start}` / `{<axis>_stop}` of `region` in `text` (also used for the
/// internal path, as ilastik does).
std::string fill_region(std::string text, const ExportRegion& region);

/// Exports one input image through the project, with an optional prediction mask (ilastik's
/// --prediction_mask: pixels that are 0 in every mask channel get probability 0 in every
/// channel). Throws Error(Unsupported) for sources and formats this version does not write yet,
/// Error(Usage) for inputs that do not fit the project.
ExportResult export_image(const Project& project, const std::string& input, const ExportRequest& request,
                          const std::string& prediction_mask = "");

/// "[(0,10,10,0,0),(1,20,20,5,1)]" (ilastik's --cutout_subregion; None for open ends).
/// Throws Error(Usage).
Cutout parse_cutout(const std::string& text);

}  // namespace ilpkit
