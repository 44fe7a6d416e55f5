// SPDX-License-Identifier: MIT
// `ilpkit set-features` (surgery.md §2.8). The raw tree is edited (not the migrated one), so the
// rest of the file stays as it was; the new channel list is compared with the old one through
// the same channel naming the reader uses.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "ilpkit/features.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/surgery.hpp"
#include "names.hpp"
#include "save.hpp"

namespace ilpkit {

namespace {

std::vector<std::string> names_of(const std::vector<FeatureChannel>& channels) {
  std::vector<std::string> out;
  for (const auto& c : channels) out.push_back(c.name);
  return out;
}

// The new selection: stored FeatureIds order (new ids after them, in ilastik's default order),
// stored Scales with new ones inserted in ascending order, ComputeIn2d per scale.
FeatureSelection build_selection(const std::optional<FeatureSelection>& old, const std::vector<FeatureChoice>& choices) {
  FeatureSelection s;
  s.ids = old && !old->ids.empty() ? old->ids : default_feature_ids();
  for (const auto& id : default_feature_ids())
    if (std::find(s.ids.begin(), s.ids.end(), id) == s.ids.end() &&
        std::any_of(choices.begin(), choices.end(), [&](const FeatureChoice& c) { return c.id == id; }))
      s.ids.push_back(id);
  s.scales = old && !old->scales.empty() ? old->scales : default_scales();
  for (const auto& c : choices)
    if (std::none_of(s.scales.begin(), s.scales.end(), [&](double v) { return v == c.scale; }))
      s.scales.insert(std::upper_bound(s.scales.begin(), s.scales.end(), c.scale), c.scale);
  s.matrix.assign(s.ids.size(), std::vector<bool>(s.scales.size(), false));
  s.compute_in_2d.assign(s.scales.size(), false);
  if (old && old->compute_in_2d_stored)
    for (std::size_t j = 0; j < s.scales.size(); ++j) {
      const auto at = std::find(old->scales.begin(), old->scales.end(), s.scales[j]);
      if (at != old->scales.end()) s.compute_in_2d[j] = old->compute_in_2d[static_cast<std::size_t>(at - old->scales.begin())];
    }
  s.compute_in_2d_stored = true;
  for (const auto& c : choices) {
    const auto i = static_cast<std::size_t>(std::find(s.ids.begin(), s.ids.end(), c.id) - s.ids.begin());
    const auto j = static_cast<std::size_t>(std::find(s.scales.begin(), s.scales.end(), c.scale) - s.scales.begin());
    s.matrix[i][j] = true;
    s.compute_in_2d[j] = c.in_2d;
  }
  return s;
}

void check_choices(const std::vector<FeatureChoice>& choices) {
  if (choices.empty())
    throw Error(ErrorKind::Usage, "no features selected (ilastik 1.4.2 cannot export from an empty selection)");
  std::map<double, bool> in_2d;
  for (const auto& c : choices) {
    try {
      feature_kind(c.id);
    } catch (const Error&) {
      throw Error(ErrorKind::Usage, fmt::format("unknown feature id '{}' (known: {})", c.id, fmt::join(default_feature_ids(), ", ")));
    }
    if (!(c.scale > 0) || !std::isfinite(c.scale))
      throw Error(ErrorKind::Usage, fmt::format("{}: scale {} is not a positive number", c.id, c.scale));
    if (auto [it, fresh] = in_2d.emplace(c.scale, c.in_2d); !fresh && it->second != c.in_2d)
      throw Error(ErrorKind::Usage, fmt::format("scale {} is asked both in 2-D and in 3-D; ilastik's ComputeIn2d is one "
                                                "flag per scale", c.scale));
  }
}

Value strings_like(const Node* stored, const std::vector<std::string>& values) {
  std::size_t longest = 0;
  for (const auto& v : values) longest = std::max(longest, v.size());
  if (stored && stored->is_dataset()) {
    const Value old = stored->value();
    if (old.string_form() == StringForm::Fixed)
      return Value::strings(values, {values.size()}, StringForm::Fixed, std::max(longest, old.fixed_string_size()));
    return Value::strings(values, {values.size()}, old.string_form());
  }
  return Value::strings(values, {values.size()});
}

}  // namespace

std::vector<FeatureChoice> feature_choices_of(const std::string& project) {
  const Project p = read_project(project);
  std::vector<FeatureChoice> out;
  if (!p.features) return out;
  const FeatureSelection& s = *p.features;
  std::vector<bool> in_2d = s.compute_in_2d;
  if (!s.compute_in_2d_stored) {
    // ilastik fills ComputeIn2d from the data: all true when z = 1.
    bool flat = true;
    try {
      flat = project_geometry(p).z == 1;
    } catch (const Error&) {
    }
    in_2d.assign(s.scales.size(), flat);
  }
  for (std::size_t i = 0; i < s.ids.size(); ++i)
    for (std::size_t j = 0; j < s.scales.size(); ++j)
      if (s.matrix[i][j]) out.push_back({s.ids[i], s.scales[j], j < in_2d.size() && in_2d[j]});
  return out;
}

EditReport set_features(const std::string& project, const std::vector<FeatureChoice>& choices, const SaveOptions& save) {
  check_choices(choices);
  EditReport report;
  const Project p = read_project(project);
  FeatureSelection wanted = build_selection(p.features, choices);

  std::optional<ImageGeometry> geometry;
  try {
    geometry = project_geometry(p);
  } catch (const Error&) {
  }
  // ilastik decides ComputeIn2d from the data when it is not stored; compare like with like.
  const ImageGeometry image = geometry.value_or(ImageGeometry{1, 1, 64, 64});
  const auto new_names = names_of(feature_channels(wanted, image));
  std::vector<std::string> old_names;
  if (p.features && !p.features->empty()) {
    try {
      old_names = names_of(feature_channels(*p.features, image));
    } catch (const Error&) {
    }
  }
  if (old_names == new_names) {
    report.notes.push_back(fmt::format("the project already selects these {} channels; nothing written", new_names.size()));
    return report;
  }

  Diagnostics ignored;
  IlpTree tree = load_tree(project, ReadOptions{}, ignored);
  Node& fsel = tree.root->require_group(names::kFeatureSelections);
  const std::size_t n_ids = wanted.ids.size(), n_scales = wanted.scales.size();
  fsel.add_child(Node::make_dataset(names::kFeatureIds, strings_like(fsel.child(names::kFeatureIds), wanted.ids)));
  fsel.add_child(Node::make_dataset(names::kScales, Value::from_vector(wanted.scales, {n_scales})));
  std::vector<bool> flat;
  for (const auto& row : wanted.matrix) flat.insert(flat.end(), row.begin(), row.end());
  fsel.add_child(Node::make_dataset(names::kSelectionMatrix, Value::bools(flat, {n_ids, n_scales})));
  fsel.add_child(Node::make_dataset(names::kComputeIn2d, Value::bools(wanted.compute_in_2d, {n_scales})));
  if (!fsel.child(names::kStorageVersion)) fsel.add_child(Node::make_dataset(names::kStorageVersion, Value::string("0.1")));
  fsel.remove_child(names::kFeatureListFilename);
  report.notes.push_back(fmt::format("feature selection: {} channel(s), was {}", new_names.size(), old_names.size()));

  if (Node* pc = tree.root->child(names::kPixelClassification)) {
    if (Node* forests = pc->child(names::kClassifierForests); forests && !forests->children().empty()) {
      pc->remove_child(names::kClassifierForests);
      report.notes.push_back(fmt::format(
          "removed the stored classifier ({} forest(s)): it was trained on other features; ilastik or `ilpkit train` "
          "retrains it from the labels{}",
          p.classifier ? p.classifier->forests.size() : 0,
          std::any_of(p.lanes.begin(), p.lanes.end(), [](const Lane& l) { return l.raw && !l.raw->found; })
              ? " (some training data is unreachable: relink it first, or retraining fails)"
              : ""));
    }
  }
  if (geometry) {
    const std::int64_t smallest = geometry->z > 1 ? std::min({geometry->z, geometry->y, geometry->x})
                                                  : std::min(geometry->y, geometry->x);
    for (const auto& c : choices) {
      if (2 * static_cast<std::int64_t>(std::ceil(4 * c.scale)) + 1 > smallest)
        report.notes.push_back(fmt::format("warning: σ = {} needs a filter longer than the smallest image extent ({}); "
                                           "ilastik fails with \"kernel longer than line\" on such images",
                                           c.scale, smallest));
      if (!c.in_2d && geometry->z == 1)
        report.notes.push_back(fmt::format("warning: {} at σ = {} is asked in 3-D but the data is 2-D", c.id, c.scale));
    }
  }
  // Re-read what was written before it replaces anything: its channels must be the ones asked for.
  surgery::save_project(tree, project, save, report, [&](const std::string& staged) {
    const Project check = read_project(staged);
    if (!check.features || names_of(feature_channels(*check.features, image)) != new_names)
      throw Error(ErrorKind::Internal, fmt::format("{}: the written feature selection reads back differently", staged));
  });
  report.changed = true;
  return report;
}

}  // namespace ilpkit
