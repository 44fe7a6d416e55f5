// SPDX-License-Identifier: MIT
#include "ilpkit/compat/migrations.hpp"

#include <fmt/format.h>

#include "ilpkit/axes.hpp"
#include "ilpkit/compat/ilastik_version.hpp"
#include "ilpkit/error.hpp"

namespace ilpkit::compat {

namespace {

// ilastik 0.5 and the 2012 0.6 unit-test projects store ilastikVersion as float64; every
// later release writes a string (ilp-format.md §2.1).
bool m001_float_version(IlpTree& tree, Diagnostics& d) {
  Node* v = tree.root->child("ilastikVersion");
  if (!v || !v->is_dataset() || !v->loaded() || !is_numeric(v->type())) return false;
  if (is_ilastik_05_layout(tree)) return false;
  auto parsed = IlastikVersion::from_float(v->loaded_value().number());
  v->set_value(Value::string(parsed.text()));
  note(d, "/ilastikVersion", fmt::format("version stored as a number; read as \"{}\"", parsed.text()));
  return true;
}

// Before 2013-04 (commit 805b9cc52) lanes had one role and no "Role Names":
// infos/info0000 was itself the dataset-info group (DataSelectionSerializer backwards mode).
bool m002_lanes_without_role_names(IlpTree& tree, Diagnostics& d) {
  Node* input = tree.root->child("Input Data");
  if (!input || !input->is_group() || input->child("Role Names")) return false;
  Node* infos = input->child("infos");
  if (!infos || !infos->is_group()) return false;
  bool changed = false;
  std::size_t lane = 0;
  for (Node* info : infos->children()) {
    if (!info->is_group() || !info->child("location")) continue;
    std::string old_name = info->name();
    auto moved = infos->remove_child(old_name);
    std::string lane_name = fmt::format("lane{:04d}", lane++);
    auto renamed = Node::make_group("Raw Data");
    for (const auto& [k, v] : moved->attributes()) renamed->set_attribute(k, v);
    for (Node* c : moved->children()) renamed->add_child(moved->remove_child(c->name()));
    auto lane_group = Node::make_group(lane_name);
    lane_group->add_child(std::move(renamed));
    infos->add_child(std::move(lane_group));
    note(d, "/Input Data/infos/" + old_name,
         fmt::format("legacy single-role lane moved to infos/{}/Raw Data", lane_name));
    changed = true;
  }
  if (changed) input->add_child(Node::make_dataset("Role Names", Value::strings({"Raw Data"})));
  return changed;
}

// ilastik matches workflowName against the display name or the class name; very old files
// stored the class name, and headless ilastik assumes Pixel Classification when it is missing.
bool m003_workflow_name(IlpTree& tree, Diagnostics& d) {
  Node* w = tree.root->child("workflowName");
  if (!w) {
    if (is_ilastik_05_layout(tree)) return false;
    tree.root->add_child(Node::make_dataset("workflowName", Value::string("Pixel Classification")));
    warn(d, "/workflowName", "missing; assumed Pixel Classification, as headless ilastik does");
    return true;
  }
  if (w->is_dataset() && w->loaded() && w->type() == ValueType::String &&
      w->loaded_value().size() == 1 && w->loaded_value().text() == "PixelClassificationWorkflow") {
    w->set_value(Value::string("Pixel Classification"));
    note(d, "/workflowName", "class name PixelClassificationWorkflow read as Pixel Classification");
    return true;
  }
  return false;
}

// ≤ 1.3.2 files may carry only the legacy `axisorder` keys string; ilastik converts it with
// vigra.defaultAxistags(axisorder).
bool m004_axisorder_to_axistags(IlpTree& tree, Diagnostics& d) {
  bool changed = false;
  for (const char* top : {"Input Data"}) {
    Node* infos = tree.root->find(std::string(top) + "/infos");
    if (!infos || !infos->is_group()) continue;
    for (Node* lane : infos->children()) {
      if (!lane->is_group()) continue;
      for (Node* role : lane->children()) {
        if (!role->is_group() || role->child("axistags")) continue;
        const Node* order = role->child("axisorder");
        if (!order || !order->is_dataset() || !order->loaded() || order->type() != ValueType::String)
          continue;
        std::string keys = order->loaded_value().string_values().empty() ? "" : order->loaded_value().string_values()[0];
        std::string where = fmt::format("/{}/infos/{}/{}", top, lane->name(), role->name());
        try {
          check_axes(keys);
        } catch (const Error& e) {
          warn(d, where + "/axisorder", e.detail());
          continue;
        }
        role->add_child(Node::make_dataset("axistags", Value::string(axistags_json(keys))));
        note(d, where, fmt::format("axistags derived from legacy axisorder '{}'", keys));
        changed = true;
      }
    }
  }
  return changed;
}

}  // namespace

bool is_ilastik_05_layout(const IlpTree& tree) {
  const Node* v = tree.root->child("ilastikVersion");
  bool float_version = v && v->is_dataset() && v->loaded() && is_numeric(v->type());
  bool v05_groups = tree.root->child("DataSets") != nullptr && tree.root->child("Project") != nullptr;
  if (v05_groups && (float_version || !v)) return true;
  return float_version && v->loaded_value().size() == 1 && v->loaded_value().number() < 0.55;
}

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all{
      {"m001_float_version", "numeric ilastikVersion (0.6 era) rewritten as a string", m001_float_version},
      {"m002_lanes_without_role_names", "infos/infoNNNN (pre-2013) moved to infos/laneNNNN/Raw Data",
       m002_lanes_without_role_names},
      {"m003_workflow_name", "missing or class-name workflowName set to Pixel Classification",
       m003_workflow_name},
      {"m004_axisorder_to_axistags", "legacy axisorder keys turned into axistags JSON",
       m004_axisorder_to_axistags},
  };
  return all;
}

std::vector<std::string> migrate(IlpTree& tree, Diagnostics& diagnostics) {
  std::vector<std::string> applied;
  for (const auto& m : migrations())
    if (m.apply(tree, diagnostics)) applied.emplace_back(m.id);
  return applied;
}

}  // namespace ilpkit::compat
