// SPDX-License-Identifier: MIT
#include "layout.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "ilpkit/axes.hpp"
#include "ilpkit/compat/ilastik_version.hpp"
#include "ilpkit/compat/label_order.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/feature_engine.hpp"
#include "ilpkit/features.hpp"
#include "ilpkit/ilp.hpp"
#include "label_blocks.hpp"
#include "labels.hpp"
#include "names.hpp"
#include "save.hpp"

namespace ilpkit::surgery {

namespace {

namespace fs = std::filesystem;

// surgery.md §1.4 step 6: a selection rebuilt from the forest's channel names ("Gaussian
// Smoothing (σ=0.3) in 2D [1]"): every (feature, σ, in 2D) named, on ilastik's default ids and
// scales plus any other σ. Accepted only if it regenerates exactly the stored names.
std::optional<FeatureSelection> selection_from_names(const std::vector<std::string>& names, const ImageGeometry& image) {
  FeatureSelection s;
  s.ids = default_feature_ids();
  s.scales = default_scales();
  struct Pick {
    std::size_t id;
    double scale;
    bool in_2d;
  };
  std::vector<Pick> picks;
  bool any_2d = false;
  for (const auto& name : names) {
    const auto open = name.find(" (σ=");
    const auto close = open == std::string::npos ? std::string::npos : name.find(')', open);
    if (close == std::string::npos) return std::nullopt;
    const std::string display = name.substr(0, open);
    const auto id = std::find_if(s.ids.begin(), s.ids.end(),
                                 [&](const std::string& i) { return display_name(feature_kind(i)) == display; });
    if (id == s.ids.end()) return std::nullopt;
    double scale = 0;
    try {
      scale = std::stod(name.substr(open + 5, close - open - 5));
    } catch (const std::exception&) {
      return std::nullopt;
    }
    const bool in_2d = name.compare(close + 1, 6, " in 2D") == 0;
    any_2d |= in_2d;
    picks.push_back({static_cast<std::size_t>(id - s.ids.begin()), scale, in_2d});
    if (std::find(s.scales.begin(), s.scales.end(), scale) == s.scales.end())
      s.scales.insert(std::upper_bound(s.scales.begin(), s.scales.end(), scale), scale);
  }
  s.matrix.assign(s.ids.size(), std::vector<bool>(s.scales.size(), false));
  s.compute_in_2d.assign(s.scales.size(), false);
  s.compute_in_2d_stored = any_2d;
  for (const auto& pick : picks) {
    const auto j = static_cast<std::size_t>(std::find(s.scales.begin(), s.scales.end(), pick.scale) - s.scales.begin());
    s.matrix[pick.id][j] = true;
    s.compute_in_2d[j] = pick.in_2d;
  }
  try {
    check_feature_names(feature_channels(s, image), names, !s.compute_in_2d_stored);
  } catch (const Error&) {
    return std::nullopt;
  }
  return s;
}

// Role Names and the lanes' infos.
void complete_input_data(Node& root, const Project& p, std::vector<std::string>& notes, bool dataset_infos) {
  // Dataset infos: what 1.4.2 needs and older versions did not write.
  Node& input = root.require_group(names::kInputData);
  // Pixel Classification and Autocontext have the two roles; other workflows keep their own.
  const bool two_roles = p.workflow == names::kPixelClassificationWorkflow || p.workflow == "AutocontextTwoStage";
  if (const Node* roles = input.child(names::kRoleNames); two_roles && (!roles || roles->value().size() < 2)) {
    input.add_child(Node::make_dataset(names::kRoleNames, Value::strings({names::kRawData, names::kPredictionMask}, {2})));
    notes.push_back("Role Names set to [Raw Data, Prediction Mask]");
  }
  for (const Lane& lane : p.lanes) {
    Node& lane_group = input.require_group(names::kInfos).require_group(lane.group_name);
    if (two_roles) lane_group.require_group(names::kPredictionMask);
    if (!lane.raw || !dataset_infos) continue;
    const DatasetInfo& raw = *lane.raw;
    Node& info = lane_group.require_group(names::kRawData);
    std::vector<std::string> added;
    std::string cls = raw.location == DataLocation::ProjectInternal ? "ProjectInternalDatasetInfo"
                      : raw.location == DataLocation::Url           ? "UrlDatasetInfo"
                      : fs::path(raw.stored_path).is_absolute()    ? "FilesystemDatasetInfo"
                                                                    : "RelativeFilesystemDatasetInfo";
    if (add_missing(info, names::kInfoClass, Value::string(cls))) added.push_back("__class__");
    if (!raw.axes.empty() && add_missing(info, names::kAxistags, Value::string(axistags_json(raw.axes))))
      added.push_back("axistags");
    if (raw.shape && add_missing(info, names::kShape, Value::from_vector(std::vector<std::int64_t>(raw.shape->begin(), raw.shape->end()),
                                                                       {raw.shape->size()}))) {
      added.push_back(raw.shape_source == labels::kInferredShapeSource ? "shape (inferred from the labels)" : "shape");
    }
    if (add_missing(info, names::kNickname, Value::string(raw.nickname))) added.push_back("nickname");
    if (add_missing(info, names::kAllowLabels, Value::bools({true}))) added.push_back("allowLabels");
    if (raw.location == DataLocation::ProjectInternal && !raw.internal_path.empty()) {
      if (add_missing(info, names::kInnerPath, Value::string(raw.internal_path))) added.push_back("inner_path");
      if (add_missing(info, "fromstack", Value::bools({false}))) added.push_back("fromstack");
    }
    if (!added.empty()) notes.push_back(fmt::format("{}: added {}", lane.group_name, fmt::join(added, ", ")));
    if (!raw.shape && !raw.found)
      notes.push_back(fmt::format("warning: {} has neither its data nor a shape nor labels to infer one from; ilastik "
                                  "1.4.2 cannot open the project until it is relinked (`ilpkit relink`)",
                                  lane.group_name));
  }
}

// The stage's classifier and features.
void complete_stage(Node& root, const Project& p, std::vector<std::string>& notes, const std::string& pc_group,
                    const std::string& feature_group) {
  // Classifier: factory readable by 1.4.2, the ClassifierForests datasets it expects.
  Node& pc = root.require_group(pc_group);
  if (p.classifier && !p.classifier->forests.empty()) {
    Node& forests = pc.require_group(names::kClassifierForests);
    if (add_missing(forests, names::kKnownLabels,
                    Value::from_vector(p.classifier->known_labels, {p.classifier->known_labels.size()})))
      notes.push_back("ClassifierForests/known_labels added");
    if (add_missing(forests, names::kPickledType,
                    Value::string("clazyflow.classifiers.parallelVigraRfLazyflowClassifier\nParallelVigraRfLazyflowClassifier\np0\n.")))
      notes.push_back("ClassifierForests/pickled_type added");
  }
  if ((p.factory.stored && p.factory.python2_pickle) || (!p.factory.stored && p.classifier)) {
    ClassifierFactory f = p.factory;
    if (!p.factory.stored) {
      f.num_trees = static_cast<int>(p.classifier->tree_count());
      f.num_forests = static_cast<int>(p.classifier->forests.size());
    }
    f.variable_importance_path.reset();
    pc.add_child(Node::make_dataset(names::kClassifierFactory, Value::string(factory_pickle(f))));
    notes.push_back(fmt::format("ClassifierFactory {} ({} trees, {} forests) in the Python 3 form 1.4.2 reads",
                                p.factory.stored ? "re-encoded" : "written", f.num_trees, f.num_forests));
  }
  // An empty feature selection beside a forest with channel names (1.2-era files): rebuilt.
  if ((!p.features || p.features->empty()) && p.classifier && p.classifier->feature_names) {
    std::optional<FeatureSelection> rebuilt;
    try {
      rebuilt = selection_from_names(*p.classifier->feature_names, project_geometry(p));
    } catch (const Error&) {
    }
    if (rebuilt) {
      Node& fsel = root.require_group(feature_group);
      const std::size_t n_ids = rebuilt->ids.size(), n_scales = rebuilt->scales.size();
      fsel.add_child(Node::make_dataset(names::kFeatureIds, Value::strings(rebuilt->ids, {n_ids})));
      fsel.add_child(Node::make_dataset(names::kScales, Value::from_vector(rebuilt->scales, {n_scales})));
      std::vector<bool> flat;
      for (const auto& row : rebuilt->matrix) flat.insert(flat.end(), row.begin(), row.end());
      fsel.add_child(Node::make_dataset(names::kSelectionMatrix, Value::bools(flat, {n_ids, n_scales})));
      if (rebuilt->compute_in_2d_stored)
        fsel.add_child(Node::make_dataset(names::kComputeIn2d, Value::bools(rebuilt->compute_in_2d, {n_scales})));
      fsel.add_child(Node::make_dataset(names::kStorageVersion, Value::string("0.1")));
      notes.push_back(fmt::format("{} rebuilt from the forest's {} channel names", feature_group,
                                  p.classifier->feature_names->size()));
    } else {
      notes.push_back("warning: the feature selection is empty and the forest's channel names do not give one "
                      "back exactly; ilastik 1.4.2 cannot export from this project (E030)");
    }
  }
}

}  // namespace

bool add_missing(Node& group, const char* name, Value value) {
  if (group.child(name)) return false;
  group.add_child(Node::make_dataset(name, std::move(value)));
  return true;
}

bool set_text(Node& group, const char* name, const std::string& text, StringForm form) {
  if (const Node* old = group.child(name); old && old->is_dataset()) {
    const Value v = old->value();
    if (v.type() == ValueType::String && v.size() == 1) {
      if (v.text() == text) return false;
      form = v.string_form();
      if (form == StringForm::Fixed) {
        group.add_child(Node::make_dataset(name, Value::strings({text}, v.shape(), form, std::max(text.size(), std::size_t{1}))));
        return true;
      }
    }
  }
  group.add_child(Node::make_dataset(name, Value::string(text, form)));
  return true;
}

void complete_layout(IlpTree& tree, const Project& p, std::vector<std::string>& notes, const LayoutScope& scope) {
  Node& root = *tree.root;
  const std::string pc_group = names::kPixelClassification + stage_suffix(scope.stage);
  const std::string feature_group = names::kFeatureSelections + stage_suffix(scope.stage);
  if (scope.stage == 0) complete_input_data(root, p, notes, scope.dataset_infos);
  complete_stage(root, p, notes, pc_group, feature_group);
  if (scope.stage == 0) surgery::normalize_empty_bookmarks(tree, notes);
  // StorageVersion in every applet group with content (ilastik ignores groups without it).
  std::vector<std::pair<std::string, const char*>> groups{{feature_group, "0.1"}, {pc_group, "0.1"}};
  if (scope.stage == 0) groups.insert(groups.end(), {{names::kInputData, "0.2"}, {names::kPredictionExport, "0.1"}});
  for (const auto& [group, storage] : groups) {
    Node* g = root.child(group);
    if (g && !g->children().empty() && add_missing(*g, names::kStorageVersion, Value::string(storage)))
      notes.push_back(fmt::format("/{}: StorageVersion {} added", group, storage));
  }
}

bool BlockLayout::version_fits(const compat::IlastikVersion& v) const {
  return bilingual ? v == compat::version("1.3.3post3") : v >= compat::version("1.4.0b8");
}

bool BlockLayout::blocks_fit(const LaneLabels& ll, const std::string& order, const compat::IlastikVersion& v) const {
  return ll.stored_axes == order && version_fits(v) && (bilingual || ll.order_basis == "axistags attribute");
}

std::string BlockLayout::rewrite(IlpTree& tree, const LaneLabels& ll, const std::vector<std::uint8_t>& dense,
                                 const std::string& axes, const Shape& shape, const std::string& order,
                                 const std::string& pc_group) const {
  const auto [blocks, labelled] = write_label_blocks(tree, ll.group_name, dense, axes, shape, order, !bilingual, pc_group);
  return fmt::format("{}: {} block(s) in '{}' ({}) rewritten as {} block(s) in '{}'{} ({} labelled pixels)", ll.group_name,
                     ll.blocks.size(), ll.stored_axes, ll.order_basis, blocks, order, bilingual ? "" : " with axistags",
                     labelled);
}

bool has_edits(const std::vector<std::string>& notes) {
  return std::any_of(notes.begin(), notes.end(), [](const std::string& n) { return n.rfind("warning:", 0) != 0; });
}

void verify_written(const std::string& path, const std::vector<std::vector<std::uint8_t>>& truth,
                    const std::optional<Classifier>& forests, bool bilingual, std::optional<int> stage) {
  ReadOptions options;
  options.pixel_classification_stage = stage;
  const Project after = read_project(path, options);
  const auto version = compat::IlastikVersion::parse(after.ilastik_version);
  for (std::size_t i = 0; i < truth.size(); ++i) {
    if (truth[i].empty()) continue;
    if (i >= after.lanes.size() || !after.lanes[i].raw)
      throw Error(ErrorKind::Internal, fmt::format("{}: lane {} is missing after writing", path, i));
    const Lane& lane = after.lanes[i];
    const compat::LaneAxes axes{lane.raw->axes, lane.internal_axes};
    std::vector<std::pair<std::string, std::string>> readers{
        {"ilpkit", ""}, {"ilastik 1.4.2", compat::label_order_assumed_by_1_4_2(version, after.workflow, axes)}};
    if (bilingual) readers.emplace_back("ilastik 1.3.3post3", compat::original_order(lane.raw->axes));
    for (const auto& [reader, order] : readers) {
      std::vector<std::uint8_t> read;
      try {
        read = order.empty() ? decode_labels(after, i).data : decode_labels_as(after, i, order).data;
      } catch (const Error& e) {
        throw Error(ErrorKind::Internal, fmt::format("{}: {} cannot read lane {}'s labels: {}", path, reader, i, e.what()));
      }
      if (read != truth[i])
        throw Error(ErrorKind::Internal, fmt::format("{}: {} reads lane {}'s labels differently", path, reader, i));
    }
  }
  if (!same_forests(forests, after.classifier))
    throw Error(ErrorKind::Internal, fmt::format("{}: the forests read back differently", path));
}

}  // namespace ilpkit::surgery
