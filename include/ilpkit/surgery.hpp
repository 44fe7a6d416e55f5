// SPDX-License-Identifier: MIT
// Project surgery (surgery.md §2): checks and repairs of existing .ilp files. Each finding names
// what ilastik 1.4.2 (or 1.3.3post3) would do with the file.
#pragma once

#include <string>
#include <vector>

namespace ilpkit {

enum class FindingLevel { Error, Warning, Info };
const char* to_string(FindingLevel level) noexcept;

/// One lint finding (surgery.md §2.1): code "E016", level from its prefix, the HDF5 path or
/// topic it concerns, a sentence, and what ilastik does with it.
struct Finding {
  std::string code;
  FindingLevel level = FindingLevel::Info;
  std::string where;
  std::string message;
  std::string ilastik;  ///< ilastik's behaviour ("" when the code's table entry has none)
};

/// Which readers the project must work in: "1.4" (ilastik 1.4.x), "1.3.3post3" (steinbock's
/// runtime) or "bilingual" (both).
struct ValidateOptions {
  std::string data_root;  ///< relative data paths are also looked up here ("" = only the project's folder)
  std::string target = "1.4";
};

/// Every lint code of surgery.md §2.1 that applies to the file, in the order of the codes.
/// Reads only; never throws for a bad project (an unreadable file is finding E001), only for
/// bad options (Error(Usage)).
std::vector<Finding> validate_project(const std::string& path, const ValidateOptions& options = {});

/// Whether any finding is error-level.
bool has_errors(const std::vector<Finding>& findings);

/// Where an edited project goes (surgery.md §2.0): `output` as a new file, or the project itself,
/// replaced through a temporary file and a rename after the original was copied to PROJECT.bak
/// (unless !backup). The original is never written in place.
struct SaveOptions {
  std::string output;
  bool backup = true;
};

/// What an operation did.
struct EditReport {
  bool changed = false;          ///< false: the project already was so (nothing written)
  std::string written;           ///< the file written ("" when unchanged)
  std::string backup;            ///< the backup made ("" when none)
  std::vector<std::string> notes;  ///< what changed and what the user should know (one sentence each)
  std::size_t unresolved = 0;    ///< relink: lanes whose data is still not found
};

/// One selected feature: ilastik's id ("GaussianSmoothing"), σ, and whether its scale is
/// computed in 2-D (ComputeIn2d is per scale in ilastik).
struct FeatureChoice {
  std::string id;
  double scale = 1.0;
  bool in_2d = false;
};

/// `ilpkit set-features` (surgery.md §2.8): makes `choices` the project's feature selection,
/// keeping the stored FeatureIds order and adding new scales in order. Deletes the stored
/// forests whenever the channel list changes (1.4.2 would fail on a different count, and predict
/// silently with a stale forest of the same count); keeps them, and writes nothing, when the
/// channels come out the same. Error(Usage) for unknown ids, σ ≤ 0, an empty selection, or one
/// σ asked both in 2-D and 3-D.
EditReport set_features(const std::string& project, const std::vector<FeatureChoice>& choices,
                        const SaveOptions& save = {});

/// The selection stored in another project, as choices for set_features (--from).
std::vector<FeatureChoice> feature_choices_of(const std::string& project);

/// `ilpkit relink` (surgery.md §2.3): where each lane's data went.
struct RelinkOptions {
  std::vector<std::pair<std::string, std::string>> maps;  ///< OLD=NEW prefix rules ('\' read as '/', drive letters any case)
  std::vector<std::string> search;                        ///< folders searched (recursively) by file name
  std::vector<std::pair<std::size_t, std::string>> lanes;  ///< explicit new path per lane index
  enum class Style { Auto, Relative, Absolute } style = Style::Auto;  ///< Auto: relative inside the project folder
  bool keep_forest = false;      ///< keep the classifier even when the new data differs in size
  bool export_template = false;  ///< apply the maps to an absolute OutputFilenameFormat too
};

/// Points each lane's Raw Data (and Prediction Mask) at its data again, refusing any result that
/// ilastik cannot reopen: the target must exist as one file (no stacks, no HDF5-like folder
/// names), hold one 2-5-D dataset whose rank fits the stored axes and whose channel count is the
/// old one, and contain every label block (ilastik 1.4.2 drops all labels silently otherwise).
/// Errors name the rule (E_RELINK_MISSING, E_RELINK_AMBIGUOUS, E_RELINK_NDIM, E_RELINK_CHANNELS,
/// E_RELINK_SHAPE, E_RELINK_STACK, E_PATH_AMBIGUOUS). Nothing is written when nothing changes.
EditReport relink(const std::string& project, const RelinkOptions& options, const SaveOptions& save = {});

/// `ilpkit embed` (surgery.md §2.4): copies lanes' raw data into the project as ilastik's "Copy
/// into project file" does (/Input Data/local_data/<id>, chunks of about 512 kB with t and c by
/// 1, the data's own order and type, axistags), so the project works without its data folder.
struct EmbedOptions {
  std::vector<std::size_t> lanes;  ///< empty: every lane with external data
  int gzip_level = 1;              ///< -1: uncompressed, as ilastik writes it (it reads both)
};
EditReport embed(const std::string& project, const EmbedOptions& options = {}, const SaveOptions& save = {});

/// `ilpkit extract` (surgery.md §2.5): moves embedded lanes out into DIR/<nickname>.h5 (dataset
/// "data", gzip level 1, attributes kept; DIR defaults to <project folder>/<project stem>_data)
/// and points the lanes there; the embedded copies are removed and the project rewritten compact.
struct ExtractOptions {
  std::vector<std::size_t> lanes;  ///< empty: every embedded lane
  std::string directory;
  bool force = false;  ///< replace existing files (E_EXISTS otherwise)
};
EditReport extract(const std::string& project, const ExtractOptions& options = {}, const SaveOptions& save = {});

/// `ilpkit strip` / `ilpkit compact` (surgery.md §2.7). The file is always rewritten fresh
/// (HDF5 keeps the space of deleted objects), unless nothing is dropped and it would not shrink.
/// Labels, forests (value for value), features, export settings and lanes are unchanged except
/// what is explicitly dropped; checked by reading the result back.
struct CompactOptions {
  bool drop_legacy = true;          ///< BatchDataSelection, Batch Inputs, ..., ProjectMetadata
  bool drop_orphans = true;         ///< embedded datasets no lane uses
  bool normalize_bookmarks = true;  ///< the empty list as ilastik 1.3+ writes it
  bool drop_forest = false;         ///< forces retraining
  bool classifier_only = false;     ///< drop label blocks and embedded raw data, keep the forests (for compute nodes)
  bool compress = false;            ///< gzip level 1 on datasets of 4 KiB or more where it saves a tenth
};
EditReport compact(const std::string& project, const CompactOptions& options = {}, const SaveOptions& save = {});

/// `ilpkit migrate` (surgery.md §1.4): 0.6, 1.0-1.3.x and 1.3.3post2-1.4.0b7 projects to the
/// >= 1.4.0b8 layout ilastik 1.4.2 reads without its label-order guesses: version 1.4.2, Role
/// Names, dataset infos completed (class, axistags, shape, nickname, ...), label blocks rewritten
/// in the internal order with axistags from the true labels, a factory 1.4.2 can read,
/// known_labels and pickled_type, StorageVersions. Autocontext projects are migrated in both
/// Pixel Classification stages, "Object Classification (from pixel classification)" ones in theirs;
/// their other groups are left as they are. Forest groups are never touched. The dense labels per
/// lane and stage and the forests are compared on the written file before it replaces anything
/// (also as ilastik 1.4.2, and with the bilingual target 1.3.3post3, places the blocks). Refuses
/// other workflows (Unsupported), 0.5 files
/// (E_UNSUPPORTED_05), undecidable label orders (E_LABEL_ORDER) and lanes without data or shape
/// unless `infer_shape` (E_NO_SHAPE).
struct MigrateOptions {
  /// "1.4": the >= 1.4.0b8 layout; "bilingual": blocks in the data's original order under version
  /// 1.3.3post3, read alike by ilastik 1.3.3post3 (steinbock) and 1.4.x.
  std::string target = "1.4";
  bool infer_shape = false;  ///< store the lower bound the label blocks give when data and shape are missing
  bool drop_legacy = false;
};
EditReport migrate(const std::string& project, const MigrateOptions& options = {}, const SaveOptions& save = {});

/// `ilpkit steinbock-fix` (surgery.md §2.9): what steinbock's `classify ilastik fix` attempts,
/// done right. Each lane is matched by file stem to a crop in `crops` (.h5 or .hdf5, any dataset
/// name); crops not yet converted become <stem>.h5 with dataset "crop" in c,y,x float32 and
/// steinbock's attributes (originals copied to <crops>.bak unless !SaveOptions::backup); the
/// lanes point at them, the label blocks are rewritten from the true labels so that ilastik
/// 1.3.3post3 (steinbock's runtime) and 1.4.x both read them (bilingual) or in the >= 1.4.0b8
/// layout, and the export settings become steinbock's (uint16 TIFF, yxc). Forests, features
/// and label names are kept. Errors: E_CROP_MISSING, E_CROP_UNUSED, E_CROP_SHAPE, E_CROP_AXES,
/// E_CROP_DATASET, E_CROP_AMBIGUOUS, E_LABEL_ORDER; nothing is written when any is found.
struct SteinbockFixOptions {
  std::string crops;          ///< "" = <project folder>/ilastik_crops (steinbock's default)
  std::string probabilities;  ///< folder of the export template; "" = <project folder>/ilastik_probabilities
  std::string target = "bilingual";  ///< or "1.4" (no longer read correctly by 1.3.3post3)
  std::string crop_axes;      ///< axis order of crops without axistags (steinbock's --axisorder)
};
EditReport steinbock_fix(const std::string& project, const SteinbockFixOptions& options = {}, const SaveOptions& save = {});

/// `ilpkit labels export`: lane `lane`'s labels as a dense uint8 image in the lane's internal
/// axis order with c = 1 (0 = unlabelled, k = label k): HDF5 dataset "labels" with axistags, or
/// a (multipage) TIFF for .tif/.tiff names. Returns the file written.
std::string export_labels(const std::string& project, std::size_t lane, const std::string& output);

/// `ilpkit labels import`: replaces lane `lane`'s labels by a label image of the lane's extents
/// (any format ilpkit reads; values 0-255), stored as ilastik stores label blocks for the
/// project's version; adds label names for new values and removes the now stale classifier.
EditReport import_labels(const std::string& project, std::size_t lane, const std::string& image, const SaveOptions& save = {});

}  // namespace ilpkit
