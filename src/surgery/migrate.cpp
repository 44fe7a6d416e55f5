// SPDX-License-Identifier: MIT
// `ilpkit migrate` (surgery.md §1.4, §2.6): older projects to the >= 1.4.0b8 layout. The true
// labels come from ilpkit's reader (blocks placed by the order the saving version wrote, checked
// against the blocks); everything else is added where missing, never changed where present. The
// forest groups are never touched. The written file's dense labels per lane and forests are read
// back and compared with the original before it replaces anything.
#include <algorithm>

#include <fmt/format.h>

#include "ilpkit/compat/ilastik_version.hpp"
#include "ilpkit/compat/label_order.hpp"
#include "ilpkit/compat/migrations.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/surgery.hpp"
#include "labels.hpp"
#include "layout.hpp"
#include "names.hpp"
#include "save.hpp"

namespace ilpkit {

EditReport migrate(const std::string& project, const MigrateOptions& o, const SaveOptions& save) {
  if (o.target != "1.4" && o.target != "bilingual")
    throw Error(ErrorKind::Usage, fmt::format("--target '{}': expected 1.4 or bilingual", o.target));
  // bilingual (surgery.md §1.3, §2.9): blocks in the data's original order under version
  // 1.3.3post3, the one window that ilastik 1.3.3post3 (steinbock) and 1.4.x read alike.
  const bool bilingual = o.target == "bilingual";
  const surgery::BlockLayout layout{bilingual};
  const std::string target_version = layout.version();
  EditReport report;
  Diagnostics notes;
  IlpTree tree = load_tree(project, ReadOptions{}, notes);
  if (compat::is_ilastik_05_layout(tree))
    throw Error(ErrorKind::Unsupported, "E_UNSUPPORTED_05: an ilastik 0.5 project is another format; its conversion "
                                        "(surgery.md §2.6.1) is not implemented yet");
  // Every Pixel Classification stage the workflow holds (Autocontext: two; PC+OC: one); the
  // rest of such projects is left as it is (surgery.md §1.4 step 1).
  ReadOptions read;
  read.pixel_classification_stage = 0;
  std::vector<Project> stages{read_project(project, read)};  // refuses other workflows and unreadable content
  for (int s : pixel_classification_stages(stages.front().workflow))
    if (s > 0) {
      read.pixel_classification_stage = s;
      stages.push_back(read_project(project, read));
    }
  // A shape inferred from the blocks is the bound over every stage's blocks.
  for (std::size_t i = 0; i < stages.front().lanes.size(); ++i) {
    std::optional<Shape> bound;
    for (const Project& stage : stages) {
      const auto& raw = stage.lanes[i].raw;
      if (!raw || raw->shape_source != labels::kInferredShapeSource || !raw->shape) continue;
      if (!bound) bound = raw->shape;
      else if (bound->size() == raw->shape->size())
        for (std::size_t k = 0; k < bound->size(); ++k) (*bound)[k] = std::max((*bound)[k], (*raw->shape)[k]);
    }
    if (bound && stages.size() > 1)
      for (Project& stage : stages)
        if (auto& raw = stage.lanes[i].raw; raw && raw->shape_source == labels::kInferredShapeSource) {
          raw->shape = bound;
          labels::compute_internal_geometry(stage.lanes[i]);
        }
  }
  const Project& p = stages.front();
  const auto version = compat::IlastikVersion::parse(p.ilastik_version);
  for (std::size_t s = 0; s < stages.size(); ++s)
    for (const auto& ll : stages[s].labels)
      if (!ll.blocks.empty() && !ll.order_error.empty())
        throw Error(ErrorKind::Format, fmt::format("E_LABEL_ORDER: /{}{}/LabelSets/{}: {}", names::kPixelClassification,
                                                   stage_suffix(static_cast<int>(s)), ll.group_name, ll.order_error));
  for (const auto& lane : p.lanes)
    if (lane.raw && lane.raw->shape_source == labels::kInferredShapeSource && !o.infer_shape)
      throw Error(ErrorKind::Usage,
                  fmt::format("E_NO_SHAPE: {}: no shape is stored and {}; relink the data first, or give --infer-shape "
                              "to store the lower bound the labels give ({})",
                              lane.group_name,
                              lane.raw->found ? "ilpkit cannot tell it from " + lane.raw->file_path : "the data is unreachable",
                              fmt::join(*lane.raw->shape, ", ")));

  // The reader's own repairs (float version, lanes without roles, workflow name, axisorder).
  for (const auto& m : compat::migrate(tree, notes)) report.notes.push_back("applied " + m);
  Node& root = *tree.root;

  std::vector<std::vector<std::vector<std::uint8_t>>> truth(stages.size());
  for (std::size_t s = 0; s < stages.size(); ++s) {
    const Project& stage = stages[s];
    const int number = static_cast<int>(s);
    const std::string pc_group = names::kPixelClassification + stage_suffix(number);
    std::vector<std::string> stage_notes;
    surgery::complete_layout(tree, stage, stage_notes, {number, true});

    // Label blocks from the true dense labels: internal order with axistags (1.4), or the data's
    // original order without them (bilingual).
    truth[s].resize(stage.lanes.size());
    for (std::size_t i = 0; i < stage.labels.size() && i < stage.lanes.size(); ++i) {
      const LaneLabels& ll = stage.labels[i];
      if (ll.blocks.empty()) continue;
      const std::string order = bilingual ? compat::original_order(stage.lanes[i].raw->axes) : stage.lanes[i].internal_axes;
      const LabelVolume v = decode_labels(stage, i);
      truth[s][i] = v.data;
      if (!layout.blocks_fit(ll, order, version))
        stage_notes.push_back(layout.rewrite(tree, ll, v.data, v.axes, v.shape, order, pc_group));
    }
    for (auto& n : stage_notes)
      report.notes.push_back(s == 0 ? std::move(n) : n.rfind("warning: ", 0) == 0 ? "warning: " + pc_group + ": " + n.substr(9)
                                                                                  : pc_group + ": " + n);
  }

  if (o.drop_legacy)
    for (const char* legacy : {"BatchDataSelection", "Batch Inputs", "Batch Prediction Output Locations", "ProjectMetadata"})
      if (root.remove_child(legacy)) report.notes.push_back(fmt::format("removed the legacy group /{}", legacy));

  if (!surgery::has_edits(report.notes) && layout.version_fits(version)) {
    report.notes.push_back(fmt::format("already in the {} layout ({}); nothing written",
                                       bilingual ? "bilingual" : ">= 1.4.0b8", p.ilastik_version));
    return report;
  }
  root.add_child(Node::make_dataset(names::kIlastikVersion, Value::string(target_version)));
  report.notes.push_back(fmt::format("ilastikVersion {} -> {}", p.ilastik_version, target_version));
  // The invariants, on the staged file: the same labels per lane, the same forests.
  surgery::save_project(tree, project, save, report, [&](const std::string& staged) {
    for (std::size_t s = 0; s < stages.size(); ++s)
      surgery::verify_written(staged, truth[s], stages[s].classifier, bilingual, static_cast<int>(s));
  });
  report.changed = true;
  return report;
}

}  // namespace ilpkit
