// SPDX-License-Identifier: MIT
// Every on-disk name of the .ilp layout, spelled exactly as ilastik writes it.
#pragma once

namespace ilpkit::names {

inline constexpr const char* kIlastikVersion = "ilastikVersion";
inline constexpr const char* kWorkflowName = "workflowName";
inline constexpr const char* kStorageVersion = "StorageVersion";

inline constexpr const char* kInputData = "Input Data";
inline constexpr const char* kRoleNames = "Role Names";
inline constexpr const char* kInfos = "infos";
inline constexpr const char* kLocalData = "local_data";
inline constexpr const char* kRawData = "Raw Data";
inline constexpr const char* kPredictionMask = "Prediction Mask";

// Dataset-info fields (DatasetInfo.to_json_data).
inline constexpr const char* kInfoClass = "__class__";
inline constexpr const char* kLocation = "location";
inline constexpr const char* kFilePath = "filePath";
inline constexpr const char* kInnerPath = "inner_path";
inline constexpr const char* kDatasetId = "datasetId";
inline constexpr const char* kNickname = "nickname";
inline constexpr const char* kAllowLabels = "allowLabels";
inline constexpr const char* kAxistags = "axistags";
inline constexpr const char* kAxisorder = "axisorder";
inline constexpr const char* kShape = "shape";
inline constexpr const char* kDtype = "dtype";

inline constexpr const char* kFeatureSelections = "FeatureSelections";
inline constexpr const char* kFeatureIds = "FeatureIds";
inline constexpr const char* kScales = "Scales";
inline constexpr const char* kSelectionMatrix = "SelectionMatrix";
inline constexpr const char* kComputeIn2d = "ComputeIn2d";
inline constexpr const char* kFeatureListFilename = "FeatureListFilename";

inline constexpr const char* kPixelClassification = "PixelClassification";
inline constexpr const char* kLabelNames = "LabelNames";
inline constexpr const char* kLabelColors = "LabelColors";
inline constexpr const char* kPmapColors = "PmapColors";
inline constexpr const char* kLabelSets = "LabelSets";
inline constexpr const char* kBlockSlice = "blockSlice";
inline constexpr const char* kClassifierFactory = "ClassifierFactory";
inline constexpr const char* kClassifierForests = "ClassifierForests";
inline constexpr const char* kKnownLabels = "known_labels";
inline constexpr const char* kFeatureNames = "feature_names";
inline constexpr const char* kPickledType = "pickled_type";
inline constexpr const char* kPickledClassifier = "pickled_classifier";
inline constexpr const char* kOptions = "_options";
inline constexpr const char* kExtParam = "_ext_param";

inline constexpr const char* kPredictionExport = "Prediction Export";

inline constexpr const char* kPixelClassificationWorkflow = "Pixel Classification";

}  // namespace ilpkit::names
