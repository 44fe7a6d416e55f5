// SPDX-License-Identifier: MIT
// `ilpkit inspect PROJECT [--json]`: what a project holds, in words or as stable JSON.
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/features.hpp"
#include "ilpkit/ilp.hpp"

namespace ilpkit::cli {

namespace {

using nlohmann::json;

struct InspectOptions {
  std::string project;
  bool json = false;
  bool no_probe = false;
};

json shape_json(const std::optional<Shape>& s) { return s ? json(*s) : json(nullptr); }

json info_json(const DatasetInfo& d) {
  json j;
  j["path"] = d.stored_path;
  j["location"] = to_string(d.location);
  j["info_class"] = d.info_class;
  j["nickname"] = d.nickname;
  j["resolved_path"] = d.file_path;
  j["internal_path"] = d.internal_path;
  j["found"] = d.found;
  j["not_found_reason"] = d.found ? json(nullptr) : json(d.not_found_reason);
  j["axes"] = d.axes;
  j["axes_source"] = d.axes_source;
  j["shape"] = shape_json(d.shape);
  j["shape_source"] = d.shape_source;
  j["dtype"] = d.dtype ? json(*d.dtype) : json(nullptr);
  j["windows_path"] = d.windows_path;
  j["stack"] = d.is_stack;
  return j;
}

std::map<int, std::int64_t> class_pixels(const Project& p) {
  std::map<int, std::int64_t> total;
  for (const auto& ll : p.labels)
    for (const auto& [v, n] : ll.counts) total[v] += n;
  return total;
}

json project_json(const Project& p) {
  json j;
  j["path"] = p.path;
  j["ilastik_version"] = p.ilastik_version;
  j["workflow"] = p.workflow;
  j["lanes"] = json::array();
  for (std::size_t i = 0; i < p.lanes.size(); ++i) {
    const Lane& lane = p.lanes[i];
    json l = lane.raw ? info_json(*lane.raw) : json{{"path", nullptr}, {"location", nullptr}, {"found", false},
                                                     {"axes", ""}, {"shape", nullptr}};
    l["name"] = lane.group_name;
    l["internal_axes"] = lane.internal_axes;
    l["internal_shape"] = shape_json(lane.internal_shape);
    l["prediction_mask"] = lane.mask ? info_json(*lane.mask) : json(nullptr);
    json labels;
    if (i < p.labels.size()) {
      const auto& ll = p.labels[i];
      labels["blocks"] = ll.blocks.size();
      labels["stored_axes"] = ll.stored_axes;
      labels["order_basis"] = ll.order_basis;
      labels["order_error"] = ll.order_error.empty() ? json(nullptr) : json(ll.order_error);
      json counts = json::object();
      for (const auto& [v, n] : ll.counts) counts[std::to_string(v)] = n;
      labels["pixels"] = counts;
    }
    l["labels"] = labels;
    j["lanes"].push_back(l);
  }

  if (p.features) {
    const auto& f = *p.features;
    json fj;
    fj["ids"] = f.ids;
    fj["scales"] = f.scales;
    json sel = json::array();
    for (const auto& row : f.matrix) sel.push_back(row);
    fj["selection"] = sel;
    auto geometry = project_geometry(p);
    fj["compute_in_2d"] = effective_compute_in_2d(f, geometry);
    fj["compute_in_2d_stored"] = f.compute_in_2d_stored;
    json channels = json::array();
    try {
      for (const auto& ch : feature_channels(f, geometry)) channels.push_back(ch.name);
      fj["channels"] = channels;
      fj["channel_count"] = channels.size();
    } catch (const Error& e) {
      fj["channels"] = nullptr;
      fj["channel_error"] = e.detail();
    }
    j["features"] = fj;
  } else {
    j["features"] = nullptr;
  }

  json classes = json::array();
  auto pixels = class_pixels(p);
  for (std::size_t k = 0; k < p.label_classes.size(); ++k) {
    const auto& c = p.label_classes[k];
    int value = static_cast<int>(k) + 1;
    json cj{{"name", c.name}, {"value", value}, {"pixels", pixels.count(value) ? pixels[value] : 0}};
    cj["color"] = c.color ? json(*c.color) : json(nullptr);
    cj["pmap_color"] = c.pmap_color ? json(*c.pmap_color) : json(nullptr);
    classes.push_back(cj);
  }
  std::int64_t total = 0;
  for (const auto& [v, n] : pixels) total += n;
  j["labels"] = {{"classes", classes}, {"total_pixels", total}, {"names_synthesized", p.label_names_synthesized}};

  json cl;
  cl["present"] = p.classifier.has_value();
  cl["type"] = p.classifier ? json(p.classifier->type) : json(nullptr);
  json trees = json::array();
  if (p.classifier)
    for (const auto& f : p.classifier->forests) trees.push_back(f.trees.size());
  cl["forests"] = p.classifier ? p.classifier->forests.size() : 0;
  cl["trees_per_forest"] = trees;
  cl["trees"] = p.classifier ? p.classifier->tree_count() : 0;
  cl["feature_count"] = p.classifier ? p.classifier->feature_count() : 0;
  cl["class_count"] = p.classifier && !p.classifier->forests.empty() ? p.classifier->forests.front().class_count : 0;
  cl["known_labels"] = p.classifier ? p.classifier->known_labels : std::vector<std::uint32_t>{};
  cl["feature_names_stored"] = p.classifier && p.classifier->feature_names.has_value();
  auto match = match_classifier(p);
  cl["matches_features"] = match.matches;
  cl["match_reason"] = match.reason;
  j["classifier"] = cl;

  const auto& fac = p.factory;
  j["classifier_factory"] = {{"stored", fac.stored},
                             {"class", fac.class_name},
                             {"version", fac.version},
                             {"num_trees", fac.num_trees},
                             {"num_forests", fac.num_forests},
                             {"label_proportion", fac.label_proportion ? json(*fac.label_proportion) : json(nullptr)},
                             {"variable_importance_enabled", fac.variable_importance_enabled},
                             {"python2_pickle", fac.python2_pickle},
                             {"is_default", fac.is_default},
                             {"fallback_reason", fac.fallback_reason.empty() ? json(nullptr) : json(fac.fallback_reason)}};

  if (p.export_settings) {
    const auto& e = *p.export_settings;
    auto opt = [](const auto& o) { return o ? json(*o) : json(nullptr); };
    j["export_settings"] = {{"filename_format", opt(e.filename_format)}, {"format", opt(e.format)},
                            {"internal_path", opt(e.internal_path)},     {"dtype", opt(e.dtype)},
                            {"axis_order", opt(e.axis_order)},           {"input_min", opt(e.input_min)},
                            {"input_max", opt(e.input_max)},             {"export_min", opt(e.export_min)},
                            {"export_max", opt(e.export_max)},           {"region_start", opt(e.region_start)},
                            {"region_stop", opt(e.region_stop)}};
  } else {
    j["export_settings"] = nullptr;
  }
  j["legacy_groups"] = p.legacy_groups;
  j["migrations_applied"] = p.migrations_applied;
  json diags = json::array();
  for (const auto& d : p.diagnostics)
    diags.push_back({{"severity", d.severity == Severity::Warning ? "warning" : "info"}, {"where", d.where},
                     {"message", d.message}});
  j["diagnostics"] = diags;
  return j;
}

std::string shape_text(const std::optional<Shape>& s) {
  return s ? fmt::format("({})", fmt::join(*s, ", ")) : std::string("(unknown)");
}

void print_info(std::ostream& out, const char* role, const DatasetInfo& d) {
  out << fmt::format("    {:<16} {} [{}] {}\n", role + std::string(":"), d.stored_path.empty() ? d.internal_path : d.stored_path,
                     to_string(d.location), d.found ? "found" : "NOT FOUND (" + d.not_found_reason + ")");
  out << fmt::format("    {:<16} axes {} ({}), shape {}{}{}\n", "", d.axes.empty() ? "?" : d.axes, d.axes_source,
                     shape_text(d.shape), d.shape_source.empty() ? "" : " from " + d.shape_source,
                     d.dtype ? ", " + *d.dtype : "");
}

void print_summary(std::ostream& out, const Project& p) {
  out << fmt::format("Project   {}\n", p.path);
  out << fmt::format("ilastik   {}  ({})\n", p.ilastik_version, p.workflow);
  out << fmt::format("Lanes     {}\n", p.lanes.size());
  for (std::size_t i = 0; i < p.lanes.size(); ++i) {
    const Lane& lane = p.lanes[i];
    out << fmt::format("  {} {}\n", lane.group_name, lane.raw ? "'" + lane.raw->nickname + "'" : "(no raw data)");
    if (lane.raw) print_info(out, "raw data", *lane.raw);
    if (lane.mask) print_info(out, "prediction mask", *lane.mask);
    if (i < p.labels.size() && !p.labels[i].blocks.empty()) {
      const auto& ll = p.labels[i];
      std::int64_t n = 0;
      for (const auto& [v, c] : ll.counts) n += c;
      out << fmt::format("    {:<16} {} labelled pixels in {} blocks, stored as {} ({})\n", "labels:", n, ll.blocks.size(),
                         ll.stored_axes.empty() ? "?" : ll.stored_axes,
                         ll.order_error.empty() ? ll.order_basis : "UNDECIDED: " + ll.order_error);
    }
  }
  if (p.features) {
    std::vector<FeatureChannel> channels;
    std::string error;
    auto geometry = project_geometry(p);
    try {
      channels = feature_channels(*p.features, geometry);
    } catch (const Error& e) {
      error = e.detail();
    }
    auto in2d = effective_compute_in_2d(*p.features, geometry);
    out << fmt::format("Features  {} selected, {} channels{}\n", p.features->selected_count(), channels.size(),
                       error.empty() ? "" : " (" + error + ")");
    std::string header = fmt::format("  {:<30}", "");
    for (std::size_t j = 0; j < p.features->scales.size(); ++j)
      header += fmt::format(" {:>6}", python_float_str(p.features->scales[j]) + (in2d[j] ? "*" : ""));
    out << header << '\n';
    for (std::size_t i = 0; i < p.features->ids.size(); ++i) {
      std::string line = fmt::format("  {:<30}", p.features->ids[i]);
      for (bool b : p.features->matrix[i]) line += fmt::format(" {:>6}", b ? "x" : ".");
      out << line << '\n';
    }
    out << "  (* = computed in 2D)\n";
  } else {
    out << "Features  none selected\n";
  }
  auto pixels = class_pixels(p);
  out << fmt::format("Labels    {} classes{}\n", p.label_classes.size(), p.label_names_synthesized ? " (names synthesized)" : "");
  for (std::size_t k = 0; k < p.label_classes.size(); ++k) {
    int v = static_cast<int>(k) + 1;
    out << fmt::format("  {} {:<24} {:>10} pixels\n", v, p.label_classes[k].name, pixels.count(v) ? pixels[v] : 0);
  }
  if (p.classifier) {
    const auto& c = *p.classifier;
    std::vector<std::size_t> trees;
    for (const auto& f : c.forests) trees.push_back(f.trees.size());
    auto match = match_classifier(p);
    out << fmt::format("Classifier {}: {} forests ({} trees: {}), {} features, labels [{}]\n", c.type, c.forests.size(),
                       c.tree_count(), fmt::join(trees, "/"), c.feature_count(), fmt::join(c.known_labels, ", "));
    out << fmt::format("  matches feature selection: {}{}\n", match.matches ? "yes" : "NO",
                       match.reason.empty() ? "" : " (" + match.reason + ")");
  } else {
    out << "Classifier none stored (ilastik would train one from the labels)\n";
  }
  out << fmt::format("Factory   {} trees, {} forests{}\n", p.factory.num_trees,
                     p.factory.num_forests ? std::to_string(p.factory.num_forests) : "thread-count",
                     p.factory.is_default ? " (ilastik default)" : "");
  if (!p.diagnostics.empty()) {
    out << "Notes\n";
    for (const auto& d : p.diagnostics)
      out << fmt::format("  {} {}: {}\n", d.severity == Severity::Warning ? "warning" : "info", d.where, d.message);
  }
}

}  // namespace

void register_inspect(CLI::App& app) {
  auto opts = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect", "Summarize a project: lanes, data files, features, labels, classifier");
  cmd->add_option("project", opts->project, "The .ilp project file")->required();
  cmd->add_flag("--json", opts->json, "Print a stable JSON document instead of the summary");
  cmd->add_flag("--no-probe", opts->no_probe, "Do not open the referenced data files");
  cmd->callback([opts] {
    ReadOptions ro;
    ro.probe_data = !opts->no_probe;
    Project p = read_project(opts->project, ro);
    if (opts->json) std::cout << project_json(p).dump(2) << '\n';
    else print_summary(std::cout, p);
  });
}

}  // namespace ilpkit::cli
