// SPDX-License-Identifier: MIT
// Building .ilp projects from scratch, as ilastik 1.4.2 lays them out (ilp-format.md): shared by
// the testdata generator and the benchmark inputs, which make projects with labels to train.
#pragma once

#include <string>
#include <vector>

#include "ilpkit/axes.hpp"
#include "ilpkit/tree.hpp"

namespace ilpkit::tools {

inline Node& group(Node& parent, const std::string& name) { return parent.require_group(name); }

inline void put(Node& parent, const std::string& name, Value v) { parent.add_child(Node::make_dataset(name, std::move(v))); }

inline Value text(const std::string& s) { return Value::string(s); }

// The Python-3 protocol-0 bytes of ParallelVigraRfLazyflowClassifierFactory (ilp-format.md §6.1).
inline std::string py3_factory(int trees, int forests) {
  return "ccopy_reg\n_reconstructor\np0\n(clazyflow.classifiers.parallelVigraRfLazyflowClassifier\n"
         "ParallelVigraRfLazyflowClassifierFactory\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVVERSION\np6\nI2\n"
         "sV_num_trees\np7\nI" + std::to_string(trees) +
         "\nsV_label_proportion\np8\nNsV_variable_importance_path\np9\nNsV_variable_importance_enabled\np10\nI00\n"
         "sV_kwargs\np11\n(dp12\nsV_num_forests\np13\nI" + std::to_string(forests) + "\nsb.";
}

inline Node& info(Node& root, const std::string& lane, const std::string& cls, const std::string& file_path,
           const std::string& axes, const std::vector<std::int64_t>& shape) {
  Node& input = group(root, "Input Data");
  Node& raw = group(group(group(input, "infos"), lane), "Raw Data");
  group(group(group(input, "infos"), lane), "Prediction Mask");
  put(raw, "__class__", text(cls));
  put(raw, "location", text(cls == "ProjectInternalDatasetInfo" ? "ProjectInternal" : "FileSystem"));
  put(raw, "filePath", text(file_path));
  put(raw, "nickname", text("tiny-data"));
  put(raw, "allowLabels", Value::bools({true}, {}));
  put(raw, "datasetId", text("b8a6f8e2-0000-11ef-8000-000000000000"));
  put(raw, "axistags", text(axistags_json(axes)));
  if (!shape.empty()) put(raw, "shape", Value::from_vector(shape));
  return raw;
}

inline void input_header(Node& root) {
  Node& input = group(root, "Input Data");
  put(input, "StorageVersion", Value::string("0.2", StringForm::VarUtf8));
  put(input, "Role Names", Value::strings({"Raw Data", "Prediction Mask"}));
  group(input, "local_data");
}

/// FeatureSelections over ilastik's six features × seven default scales (0.3 … 10.0);
/// `selected[f·7 + s]` picks feature f at scale s. Returns the group for additions.
inline Node& feature_selection(Node& root, const std::vector<bool>& selected, bool compute_in_2d) {
  Node& f = group(root, "FeatureSelections");
  put(f, "StorageVersion", Value::string("0.1", StringForm::VarUtf8));
  put(f, "FeatureIds", Value::strings({"GaussianSmoothing", "LaplacianOfGaussian", "GaussianGradientMagnitude",
                                        "DifferenceOfGaussians", "StructureTensorEigenvalues",
                                        "HessianOfGaussianEigenvalues"}));
  put(f, "Scales", Value::from_vector(std::vector<double>{0.3, 0.7, 1.0, 1.6, 3.5, 5.0, 10.0}));
  put(f, "SelectionMatrix", Value::bools(selected, {6, 7}));
  if (compute_in_2d) put(f, "ComputeIn2d", Value::bools(std::vector<bool>(7, true)));
  return f;
}

// Label names with ilastik's first default colours.
inline void label_metadata(Node& pc, const std::vector<std::string>& names = {"background", "cells"}) {
  static const std::int64_t kColors[][3] = {{255, 225, 25}, {0, 130, 200}, {230, 25, 75}, {60, 180, 75}, {245, 130, 48}};
  put(pc, "StorageVersion", Value::string("0.1", StringForm::VarUtf8));
  put(pc, "LabelNames", Value::strings(names));
  pc.child("LabelNames")->set_attribute("isEmpty", Value::bools({false}, {}));
  std::vector<std::int64_t> colors;
  for (std::size_t i = 0; i < names.size(); ++i) colors.insert(colors.end(), kColors[i % 5], kColors[i % 5] + 3);
  const std::vector<std::uint64_t> shape{names.size(), 3};
  put(pc, "LabelColors", Value::from_vector(colors, shape));
  put(pc, "PmapColors", Value::from_vector(colors, shape));
}

/// ilastik's label block names: block0000, block0001, ...
inline std::string block_name(int index) {
  std::string digits = std::to_string(index);
  return "block" + std::string(digits.size() < 4 ? 4 - digits.size() : 0, '0') + digits;
}

inline Node& block(Node& lane, const std::string& name, const std::string& slice, std::vector<std::uint8_t> data,
            std::vector<std::uint64_t> shape, const std::string& axes = "") {
  lane.add_child(Node::make_dataset(name, Value::numeric(ValueType::UInt8, std::move(shape), std::move(data))));
  Node& b = *lane.child(name);
  b.set_attribute("blockSlice", text(slice));
  if (!axes.empty()) b.set_attribute("axistags", Value::string(axistags_json(axes), StringForm::VarUtf8));
  return b;
}

}  // namespace ilpkit::tools
