// SPDX-License-Identifier: MIT
// `ilpkit strip` / `ilpkit compact` (surgery.md §2.7): drop what ilastik ignores or no longer
// needs, and rewrite the file fresh (HDF5 never gives back the space of deleted or rewritten
// objects). What stays is checked after writing: labels, forests, features, export settings and
// lanes read back the same.
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/surgery.hpp"
#include "names.hpp"
#include "save.hpp"

namespace ilpkit {

namespace {

namespace fs = std::filesystem;

// Datasets of `node` and below, with their paths.
void datasets(Node& node, const std::string& path, std::vector<std::pair<std::string, Node*>>& out) {
  for (Node* c : node.children()) {
    const std::string p = path + "/" + c->name();
    if (c->is_dataset()) out.emplace_back(p, c);
    else datasets(*c, p, out);
  }
}

// Whether gzip level 1 shrinks the dataset's bytes by at least a tenth (blanket compression made
// 4 of 10 corpus files bigger, surgery.md §2.7).
bool compression_pays(const Value& v) {
  const auto& raw = v.raw();
  if (raw.size() < 4096) return false;
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<unsigned char> out(size);
  if (compress2(out.data(), &size, raw.data(), static_cast<uLong>(raw.size()), 1) != Z_OK) return false;
  return size < raw.size() - raw.size() / 10;
}

}  // namespace

EditReport compact(const std::string& project, const CompactOptions& o, const SaveOptions& save) {
  EditReport report;
  auto [before, tree] = surgery::open_for_edit(project);
  Node& root = *tree.root;
  bool dropped = false;

  if (o.drop_legacy)
    for (const char* legacy : {"BatchDataSelection", "Batch Inputs", "Batch Prediction Output Locations", "ProjectMetadata"})
      if (root.remove_child(legacy)) {
        report.notes.push_back(fmt::format("removed the legacy group /{} (ignored by ilastik)", legacy));
        dropped = true;
      }

  // Embedded datasets no info refers to (ilastik deletes them on its next save too).
  if (Node* local = root.find(std::string(names::kInputData) + "/" + names::kLocalData); local && o.drop_orphans) {
    std::set<std::string> used;
    for (const auto& lane : before.lanes)
      for (const auto* info : {lane.raw ? &*lane.raw : nullptr, lane.mask ? &*lane.mask : nullptr})
        if (info && info->location == DataLocation::ProjectInternal) {
          used.insert(fs::path(info->internal_path).filename().string());
          used.insert(info->dataset_id);
        }
    std::vector<std::string> orphans;
    for (const Node* c : local->children())
      if (!used.count(c->name())) orphans.push_back(c->name());
    for (const auto& name : orphans) {
      local->remove_child(name);
      report.notes.push_back(fmt::format("removed /Input Data/local_data/{}: no lane uses it", name));
      dropped = true;
    }
  }

  if (Node* pc = root.child(names::kPixelClassification)) {
    if (o.normalize_bookmarks) dropped |= surgery::normalize_empty_bookmarks(tree, report.notes);
    if (o.drop_forest && pc->child(names::kClassifierForests)) {
      pc->remove_child(names::kClassifierForests);
      report.notes.push_back("removed the stored classifier (ilastik retrains from the labels)");
      dropped = true;
    }
    if (o.classifier_only) {
      if (!before.classifier) throw Error(ErrorKind::Usage, "--classifier-only: the project has no trained classifier to keep");
      for (const auto& lane : before.lanes)
        if (lane.raw && (!lane.raw->shape || lane.raw->shape_source != "info"))
          throw Error(ErrorKind::Usage,
                      fmt::format("--classifier-only: {} stores no shape, so ilastik could not open the project without "
                                  "its data (E016); run `ilpkit migrate` first",
                                  lane.group_name));
      if (Node* sets = pc->child(names::kLabelSets))
        for (Node* lane : sets->children())
          for (const auto& name : [&] {
                 std::vector<std::string> n;
                 for (const Node* b : lane->children()) n.push_back(b->name());
                 return n;
               }())
            lane->remove_child(name);
      report.notes.push_back("removed every label block (--classifier-only): the project predicts but cannot retrain");
      if (Node* local = root.find(std::string(names::kInputData) + "/" + names::kLocalData)) {
        std::vector<std::string> names;
        for (const Node* c : local->children()) names.push_back(c->name());
        for (const auto& n : names) local->remove_child(n);
        if (!names.empty()) report.notes.push_back("removed the embedded raw data (--classifier-only)");
      }
      dropped = true;
    }
  }

  std::size_t compressed = 0;
  if (o.compress) {
    std::vector<std::pair<std::string, Node*>> all;
    datasets(root, "", all);
    for (auto& [path, node] : all) {
      if (node->storage().gzip_level >= 0 || node->shape().empty()) continue;
      if (node->type() == ValueType::String || node->type() == ValueType::Opaque || node->type() == ValueType::Other) continue;
      std::uint64_t bytes = element_size(node->type());
      for (auto d : node->shape()) bytes *= d;
      if (bytes < 4096) continue;
      const Value v = node->value();
      if (!compression_pays(v)) continue;
      node->set_storage({surgery::chunk_about(v.shape(), element_size(v.type()), 256 * 1024), 1});
      ++compressed;
    }
    if (compressed) report.notes.push_back(fmt::format("{} dataset(s) compressed with gzip level 1 (where it saves a tenth or more)", compressed));
  }

  // Rewrite into a fresh file next to the target; keep it only if it changed something.
  surgery::check_save(project, save);
  const std::string staged = surgery::staging_path(project, save);
  write_tree(tree, staged);
  std::error_code ec;
  const auto old_size = fs::file_size(project, ec);
  const auto new_size = fs::file_size(staged, ec);
  const bool shrinks = new_size + new_size / 100 < old_size;
  if (!dropped && !shrinks && save.output.empty()) {
    fs::remove(staged, ec);
    report.notes.push_back(fmt::format("nothing to drop and a rewrite would not shrink it ({} -> {} bytes); nothing written",
                                       old_size, new_size));
    return report;
  }
  // What stays must read back the same, before it replaces anything.
  try {
    const Project after = read_project(staged);
    const bool forests_kept = o.drop_forest ? !after.classifier : surgery::same_forests(before.classifier, after.classifier);
    bool labels_kept = true;
    if (!o.classifier_only)
      for (std::size_t i = 0; i < before.labels.size(); ++i)
        if (!before.labels[i].blocks.empty() && before.labels[i].order_error.empty())
          labels_kept &= i < after.labels.size() && decode_labels(after, i).data == decode_labels(before, i).data;
    const bool features_kept = (before.features.has_value() == after.features.has_value()) &&
                               (!before.features || (before.features->ids == after.features->ids &&
                                                     before.features->scales == after.features->scales &&
                                                     before.features->matrix == after.features->matrix));
    if (!forests_kept || !labels_kept || !features_kept || before.lanes.size() != after.lanes.size())
      throw Error(ErrorKind::Internal, fmt::format("{}: the rewritten project reads back differently ({}{}{})", staged,
                                                   forests_kept ? "" : "forests ", labels_kept ? "" : "labels ",
                                                   features_kept ? "" : "features"));
  } catch (...) {
    fs::remove(staged, ec);
    throw;
  }
  surgery::install_project(staged, project, save, report);
  report.changed = true;
  report.notes.push_back(fmt::format("{} -> {} bytes", old_size, fs::file_size(report.written, ec)));
  return report;
}

}  // namespace ilpkit
