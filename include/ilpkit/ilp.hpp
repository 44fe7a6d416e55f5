// SPDX-License-Identifier: MIT
// Reading ilastik Pixel Classification projects: HDF5 -> IlpTree -> compat migrations ->
// Project. Usage:
//   ilpkit::Project p = ilpkit::read_project("cells.ilp");
//   for (const auto& ch : ilpkit::project_feature_channels(p)) std::cout << ch.name << '\n';
//   ilpkit::LabelVolume labels = ilpkit::decode_labels(p, 0);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ilpkit/diagnostics.hpp"
#include "ilpkit/features.hpp"
#include "ilpkit/project.hpp"
#include "ilpkit/tree.hpp"

namespace ilpkit {

struct ReadOptions {
  /// Open referenced data files (HDF5) to learn shapes and axes the project does not store.
  bool probe_data = true;
  /// Datasets larger than this stay on disk (embedded raw data always does).
  std::uint64_t max_eager_bytes = std::uint64_t{256} << 20;
  /// Read one Pixel Classification stage of a workflow that holds some (surgery's `migrate`):
  /// 0 = PixelClassification/FeatureSelections, 1 = Autocontext's second stage
  /// (PixelClassification01/FeatureSelections01). Unset: only Pixel Classification projects are
  /// read; set: also the workflows pixel_classification_stages() names.
  std::optional<int> pixel_classification_stage;
};

/// The Pixel Classification stages a workflow holds: {0} for Pixel Classification and "Object
/// Classification (from pixel classification)", {0, 1} for AutocontextTwoStage, {} otherwise.
std::vector<int> pixel_classification_stages(const std::string& workflow);

/// The group-name suffix of a stage: "" for 0, "01" for 1 (ilastik's applet naming).
std::string stage_suffix(int stage);

/// Reads every group, attribute and (small) dataset of an HDF5 file. The file is opened
/// read-only without a lock. Throws Error(Io) for missing files and directories and
/// Error(Format) for anything that is not a readable HDF5 file.
IlpTree load_tree(const std::string& path, const ReadOptions& options, Diagnostics& diagnostics);

/// Builds the model from a migrated tree. Throws Error(Unsupported) for other workflows and
/// the ilastik 0.5 format, Error(Format) for malformed content, with the HDF5 path as context.
Project parse_project(const IlpTree& tree, const ReadOptions& options, Diagnostics diagnostics = {});

/// load_tree + compat::migrate + parse_project.
Project read_project(const std::string& path, const ReadOptions& options = {});

/// A lane's dense labels in the lane's internal axis order with c = 1 (0 = unlabelled).
struct LabelVolume {
  std::string axes;
  Shape shape;
  std::vector<std::uint8_t> data;
};

/// Pastes the lane's blocks into a dense volume. Throws Error(Format) if the blocks' axis order
/// could not be decided or they do not fit the image.
LabelVolume decode_labels(const Project& project, std::size_t lane);

/// The labels as a reader that assumes the blocks are stored in axis order `order` places them
/// (e.g. what ilastik 1.4.2 or 1.3.3post3 makes of a file). Throws Error(Format) where such a
/// reader would fail: wrong rank, or blocks outside the image.
LabelVolume decode_labels_as(const Project& project, std::size_t lane, const std::string& order);

/// Why lane `lane`'s label blocks cannot have been stored in axis order `order` ("" if they fit),
/// e.g. to tell whether another reader's assumed order works for them.
std::string label_order_misfit(const Project& project, std::size_t lane, const std::string& order);

/// The geometry the feature channels are computed for: the first lane with a known shape
/// (ilastik requires all lanes to agree on channels and spatial axes).
ImageGeometry project_geometry(const Project& project);

/// The project's feature channels; empty when it has no feature selection.
std::vector<FeatureChannel> project_feature_channels(const Project& project);

/// Whether the stored classifier fits the feature selection (ilp-format.md §6.3).
struct ClassifierMatch {
  bool matches = false;
  std::size_t expected_features = 0;  ///< channels of the selection
  std::size_t forest_features = 0;   ///< columns the forests expect
  std::string reason;                 ///< why not, or a note ("names compared without 'in 2D'")
};
ClassifierMatch match_classifier(const Project& project);

}  // namespace ilpkit

namespace ilpkit {

/// Puts `classifier` into the tree as ilastik 1.4 stores it (ClassifierForests: ForestNNNN VIGRA
/// RF2 groups, known_labels, feature_names, pickled_type) and, when given, the factory.
void store_classifier(IlpTree& tree, const Classifier& classifier, const ClassifierFactory* factory);

/// ilastik's ParallelVigraRfLazyflowClassifierFactory as Python 3 protocol-0 pickle bytes.
std::string factory_pickle(const ClassifierFactory& factory);

/// Writes a tree as a new HDF5 file (earliest file format, h5py-compatible encodings).
/// The file is written under a temporary name in the same folder and renamed over `path`
/// only when complete. Datasets left on disk are copied from their source.
void write_tree(const IlpTree& tree, const std::string& path);

}  // namespace ilpkit
