// SPDX-License-Identifier: MIT
// The checked model of an ilastik Pixel Classification project: value types only, named in
// ilastik's terms (Lane, FeatureSelection, LabelBlock, Forest). Filled by ilpkit::read_project.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ilpkit/axes.hpp"
#include "ilpkit/diagnostics.hpp"
#include "ilpkit/forest.hpp"

namespace ilpkit {

/// Where a lane's image lives (DatasetInfo __class__ / legacy `location`).
enum class DataLocation {
  FileSystem,       ///< FilesystemDatasetInfo / RelativeFilesystemDatasetInfo
  ProjectInternal,  ///< embedded under /Input Data/local_data
  Url,              ///< MultiscaleUrlDatasetInfo / UrlDatasetInfo
  Preloaded,        ///< PreloadedArrayDatasetInfo (never saved normally)
};
const char* to_string(DataLocation location) noexcept;

/// One dataset of a lane role ("Raw Data", "Prediction Mask").
struct DatasetInfo {
  std::string info_class;   ///< __class__, or the class ilastik infers from `location`
  DataLocation location = DataLocation::FileSystem;
  std::string stored_path;  ///< filePath exactly as stored
  std::string nickname;
  std::string dataset_id;
  bool allow_labels = true;

  std::string axes;         ///< the data's own axis keys, file order ("yx", "tzyxc", ...)
  std::string axes_source;  ///< "axistags", "axisorder", "data file" or "default"
  std::optional<Shape> shape;  ///< in `axes` order
  std::string shape_source;    ///< "info", "data file", "label blocks (lower bound)" or ""
  std::optional<std::string> dtype;  ///< stored (1.3.2-1.3.3 files) or read from the data file

  // Resolution of stored_path (FileSystem) or of inner_path/datasetId (ProjectInternal).
  std::string file_path;      ///< absolute external file (FileSystem); the project (ProjectInternal)
  std::string internal_path;  ///< HDF5 path inside file_path ("" for TIFF/PNG/...)
  bool found = false;         ///< the file exists (and holds internal_path when one is given)
  bool windows_path = false;  ///< stored with a drive letter, UNC prefix or backslashes
  bool is_stack = false;      ///< several files joined by the path separator, or a glob with >1 match
  std::string not_found_reason;
};

/// One image of the project ("lane") with its training labels.
struct Lane {
  std::string group_name;  ///< "lane0000" (lanes are numbered by sorted group name)
  std::optional<DatasetInfo> raw;   ///< absent when the Raw Data role group is empty
  std::optional<DatasetInfo> mask;  ///< Prediction Mask, when present
  std::string internal_axes;        ///< workflow-internal order, e.g. "yxc" ("" if unknown)
  std::optional<Shape> internal_shape;  ///< raw shape in internal_axes order
};

/// FeatureSelections: a FeatureIds × Scales boolean matrix plus ComputeIn2d per scale.
struct FeatureSelection {
  std::vector<std::string> ids;     ///< stored FeatureIds order (it defines channel order)
  std::vector<double> scales;
  std::vector<std::vector<bool>> matrix;  ///< [id][scale]
  std::vector<bool> compute_in_2d;  ///< per scale; see compute_in_2d_stored
  bool compute_in_2d_stored = false;  ///< false: ilastik fills it from the z extent at run time

  bool empty() const;
  std::size_t selected_count() const;
};

/// One output channel of the feature stack.
struct FeatureChannel {
  std::string feature_id;  ///< "GaussianSmoothing", ...
  double scale = 0;
  bool in_2d = false;
  int input_channel = 0;
  int component = 0;       ///< eigenvalue index (descending), 0 for scalar features
  std::string name;        ///< exactly as ilastik names it, e.g. "Gaussian Smoothing (σ=0.3) in 2D"
};

struct LabelClass {
  std::string name;
  std::optional<std::array<int, 3>> color;       ///< LabelColors (brush)
  std::optional<std::array<int, 3>> pmap_color;  ///< PmapColors (probability layer)
};

/// One stored label block: a non-zero bounding box of the sparse label array.
struct LabelBlock {
  std::string name;        ///< "block0003"
  std::string block_slice; ///< the attribute as stored, "[329:396,288:494,0:1]"
  std::vector<std::int64_t> start, stop;  ///< parsed blockSlice, in `axes` order
  std::string axes;        ///< the order start/stop/data are in (the lane's decided order)
  Shape shape;             ///< data extents in `axes` order
  std::vector<std::uint8_t> data;  ///< C order; 0 = unlabelled, k = class k
};

/// The label blocks of one lane and the axis order they were decided to be stored in.
struct LaneLabels {
  std::string group_name;              ///< "labels000"
  std::vector<LabelBlock> blocks;      ///< as stored (not reordered)
  std::string stored_axes;             ///< decided order of the stored blocks ("" if undecided)
  std::string order_basis;             ///< "axistags attribute", "version rule", "candidate check"
  std::string order_error;             ///< why the order could not be decided (decode throws)
  std::map<int, std::int64_t> counts;  ///< labelled pixels per label value (order-independent)
};

/// ClassifierFactory, parsed from its protocol-0 pickle without executing anything.
struct ClassifierFactory {
  std::string module;      ///< "lazyflow.classifiers.parallelVigraRfLazyflowClassifier"
  std::string class_name;  ///< "ParallelVigraRfLazyflowClassifierFactory"
  int version = 0;         ///< VERSION field
  int num_trees = 100;
  int num_forests = 0;     ///< 0: ilastik uses its worker-thread count
  std::optional<double> label_proportion;
  std::optional<std::string> variable_importance_path;
  bool variable_importance_enabled = false;
  std::string sklearn_type;   ///< for SklearnLazyflowClassifierFactory: "module.Class"
  bool stored = false;        ///< the dataset exists
  bool is_default = true;     ///< ilastik's default is used (absent or unreadable)
  bool python2_pickle = false;  ///< S'...' keys: ilastik ≥ 1.4.1b16 falls back to the default
  std::string fallback_reason;  ///< why the stored factory could not be used
};

/// ClassifierForests: the trained classifier stored in the project.
struct Classifier {
  std::string type;  ///< "ParallelVigraRfLazyflowClassifier", "VigraRfLazyflowClassifier", "SklearnLazyflowClassifier"
  std::vector<Forest> forests;
  std::vector<std::uint32_t> known_labels;  ///< label values with samples, ascending
  bool known_labels_stored = false;
  std::optional<std::vector<std::string>> feature_names;
  bool feature_names_were_bytes_reprs = false;  ///< stored as "b'...'" (decoded here)

  std::size_t tree_count() const;
  std::size_t feature_count() const;  ///< columns the forests expect (0 if none)
};

/// Prediction Export settings stored in the project (all optional).
struct ExportSettings {
  std::optional<std::string> filename_format;
  std::optional<std::string> format;
  std::optional<std::string> internal_path;
  std::optional<std::string> dtype;
  std::optional<std::string> axis_order;
  std::optional<double> input_min, input_max, export_min, export_max;
  std::optional<std::vector<std::int64_t>> region_start, region_stop;

  bool normalization_active() const {
    return input_min && input_max && export_min && export_max;
  }
};

/// The checked model of a Pixel Classification project.
struct Project {
  std::string path;           ///< as given
  std::string directory;      ///< absolute folder of the project (base of relative paths)
  std::string ilastik_version;  ///< as stored (after migrations: float versions become text)
  std::string workflow;
  std::vector<std::string> role_names;
  std::vector<Lane> lanes;
  std::optional<FeatureSelection> features;  ///< absent: group missing, empty or without StorageVersion
  std::vector<LabelClass> label_classes;
  bool label_names_synthesized = false;  ///< old projects: "Label 1".. from the largest block value
  std::vector<LaneLabels> labels;        ///< one per lane (empty when a lane has no labels group)
  ClassifierFactory factory;
  std::optional<Classifier> classifier;
  std::optional<ExportSettings> export_settings;
  std::vector<std::string> migrations_applied;
  std::vector<std::string> legacy_groups;  ///< present but ignored by ilastik (ProjectMetadata, ...)
  Diagnostics diagnostics;
};

}  // namespace ilpkit
