// SPDX-License-Identifier: MIT
// IlpTree (already migrated) -> Project. Mirrors the load order of ilastik's ProjectManager:
// Input Data, FeatureSelections, PixelClassification, Prediction Export (ilp-format.md §2.4).
#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <regex>

#include <fmt/format.h>

#include "classifier.hpp"
#include "data_probe.hpp"
#include "ilpkit/image.hpp"
#include "ilpkit/compat/ilastik_version.hpp"
#include "ilpkit/compat/migrations.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "labels.hpp"
#include "names.hpp"
#include "paths.hpp"
#include "tree_access.hpp"

namespace ilpkit {

/// The root workflowName without loading the file (defined in load_tree.cpp).
std::optional<std::string> peek_workflow_name(const std::string& path);

namespace {

namespace fs = std::filesystem;

Error unsupported_workflow(const std::string& workflow) {
  return Error(ErrorKind::Unsupported,
               fmt::format("workflow '{}' is not supported; ilpkit reads Pixel Classification projects", workflow));
}

constexpr std::int64_t kMaxExtent = std::int64_t{1} << 40;

// PixelClassificationSerializer: names "Label 1".. and this colour list for old projects.
constexpr std::array<std::array<int, 3>, 10> kLegacyLabelColors{{{255, 0, 0}, {0, 255, 0}, {0, 0, 255},
                                                                  {255, 255, 0}, {255, 0, 255}, {0, 255, 255},
                                                                  {128, 128, 128}, {255, 105, 180}, {255, 165, 0},
                                                                  {240, 230, 140}}};

Shape checked_shape(const Value& v) {
  Shape s;
  for (auto x : v.integers()) {
    if (x < 1 || x > kMaxExtent)
      throw Error(ErrorKind::Format, fmt::format("shape ({}) has an impossible extent {}", fmt::join(v.integers(), ", "), x));
    s.push_back(x);
  }
  if (s.empty() || s.size() > 6) throw Error(ErrorKind::Format, fmt::format("shape has {} dimensions", s.size()));
  return s;
}

DataLocation location_of_class(const std::string& cls) {
  if (cls == "ProjectInternalDatasetInfo") return DataLocation::ProjectInternal;
  if (cls == "FilesystemDatasetInfo" || cls == "RelativeFilesystemDatasetInfo") return DataLocation::FileSystem;
  if (cls == "MultiscaleUrlDatasetInfo" || cls == "UrlDatasetInfo") return DataLocation::Url;
  if (cls == "PreloadedArrayDatasetInfo") return DataLocation::Preloaded;
  throw Error(ErrorKind::Format, fmt::format("__class__ '{}' is not a dataset-info class ilastik knows", cls));
}

// Finds the embedded dataset of a ≤ 1.3.2 ProjectInternal info by datasetId.
const Node* find_by_suffix(const Node& node, const std::string& suffix, std::string& path, int depth = 0) {
  if (depth > 32) return nullptr;
  const Node* found = nullptr;
  for (const Node* c : node.children()) {
    std::string p = path + "/" + c->name();
    if (c->is_dataset() && c->name() == suffix) {
      found = c;  // ilastik takes the last visited match
      path = p;
    } else if (c->is_group()) {
      std::string sub = p;
      if (const Node* r = find_by_suffix(*c, suffix, sub, depth + 1)) {
        found = r;
        path = sub;
      }
    }
  }
  return found;
}

class ProjectParser {
 public:
  ProjectParser(const IlpTree& tree, const ReadOptions& options, Diagnostics diagnostics)
      : tree_(tree), root_(*tree.root), options_(options) {
    p_.diagnostics = std::move(diagnostics);
  }

  Project run() {
    p_.path = tree_.source_path;
    std::error_code ec;
    p_.directory = fs::absolute(fs::path(tree_.source_path), ec).parent_path().string();
    read_header();
    read_input_data();
    with_context("reading /" + feature_group_, [&] { read_features(); });
    const Node* pc = access::applet_group(root_, pc_group_.c_str(), p_.diagnostics);
    with_context("reading /" + pc_group_, [&] { read_label_metadata(pc); });
    read_labels(pc);
    p_.factory = classifier::parse_factory(pc, p_.diagnostics);
    p_.classifier = classifier::parse_classifier(pc, p_.diagnostics);
    with_context("reading /Prediction Export", [&] { read_export(); });
    infer_channels_from_classifier();
    check_consistency();
    for (const char* legacy : {"ProjectMetadata", "Batch Inputs", "BatchDataSelection", "Batch Prediction Output Locations"})
      if (root_.child(legacy)) p_.legacy_groups.emplace_back(legacy);
    return std::move(p_);
  }

 private:
  void read_header() {
    if (compat::is_ilastik_05_layout(tree_))
      throw Error(ErrorKind::Unsupported,
                  "this is an ilastik 0.5 project (DataSets/Project layout), a format ilastik 1.x can only import; "
                  "ilpkit reads projects from ilastik 0.6 on");
    const Node* v = root_.child(names::kIlastikVersion);
    bool has_applets = root_.child(names::kInputData) || root_.child(names::kFeatureSelections) ||
                       root_.child(names::kPixelClassification);
    if (!v) {
      if (!has_applets)
        throw Error(ErrorKind::Format, "not an ilastik project: no ilastikVersion and no ilastik applet groups");
      warn(p_.diagnostics, "/ilastikVersion", "missing; ilastik treats such files as 0.5 and imports them");
      p_.ilastik_version = "0.5";
    } else {
      p_.ilastik_version = with_context("reading /ilastikVersion", [&] { return access::text(root_, names::kIlastikVersion); });
    }
    version_ = with_context("reading /ilastikVersion", [&] { return compat::IlastikVersion::parse(p_.ilastik_version); });
    if (!compat::is_openable_by_current_ilastik(version_))
      warn(p_.diagnostics, "/ilastikVersion",
           fmt::format("version {} is outside 0.6-1.5; ilastik 1.4.2 would import the file instead of opening it",
                       p_.ilastik_version));
    p_.workflow = with_context("reading /workflowName", [&] { return access::text(root_, names::kWorkflowName); });
    if (p_.workflow != names::kPixelClassificationWorkflow) {
      const auto stages = pixel_classification_stages(p_.workflow);
      if (!options_.pixel_classification_stage ||
          std::find(stages.begin(), stages.end(), *options_.pixel_classification_stage) == stages.end())
        throw unsupported_workflow(p_.workflow);
    }
  }

  void read_input_data() {
    const Node* input = access::applet_group(root_, names::kInputData, p_.diagnostics);
    if (!input) return;
    p_.role_names = access::string_list(*input, names::kRoleNames);
    if (p_.role_names.empty()) p_.role_names = {names::kRawData, names::kPredictionMask};
    const Node* infos = input->child(names::kInfos);
    if (!infos) return;
    if (!infos->is_group()) throw Error(ErrorKind::Format, "'infos' is not a group");
    for (const Node* lane_node : infos->children()) {
      if (!lane_node->is_group()) continue;
      Lane lane;
      lane.group_name = lane_node->name();
      std::string lane_path = "/Input Data/infos/" + lane.group_name;
      for (const Node* role : lane_node->children()) {
        std::string role_path = lane_path + "/" + role->name();
        if (!role->is_group()) {
          warn(p_.diagnostics, role_path, "is not a group; ignored");
          continue;
        }
        bool known = std::find(p_.role_names.begin(), p_.role_names.end(), role->name()) != p_.role_names.end() &&
                     (role->name() == names::kRawData || role->name() == names::kPredictionMask);
        if (!known) {
          warn(p_.diagnostics, role_path, "role not part of Pixel Classification; ignored, as ilastik does");
          continue;
        }
        if (role->children().empty()) continue;  // empty role group = no dataset
        auto info = with_context("reading " + role_path, [&] { return read_info(*role, role_path); });
        if (role->name() == names::kRawData) lane.raw = std::move(info);
        else lane.mask = std::move(info);
      }
      if (!lane.raw) warn(p_.diagnostics, lane_path, "lane has no Raw Data");
      p_.lanes.push_back(std::move(lane));
    }
  }

  DatasetInfo read_info(const Node& g, const std::string& where) {
    DatasetInfo info;
    if (auto cls = access::opt_text(g, names::kInfoClass)) {
      info.info_class = *cls;
      info.location = location_of_class(*cls);
    } else {
      auto loc = access::opt_text(g, names::kLocation);
      if (!loc) throw Error(ErrorKind::Format, "neither __class__ nor location is stored");
      auto fp = access::opt_text(g, names::kFilePath).value_or("");
      if (*loc == "FileSystem") {
        info.location = fp.find("://") != std::string::npos ? DataLocation::Url : DataLocation::FileSystem;
        info.info_class = info.location == DataLocation::Url ? "UrlDatasetInfo"
                          : (fs::path(fp).is_relative() && !paths::is_windows_absolute(fp))
                              ? "RelativeFilesystemDatasetInfo"
                              : "FilesystemDatasetInfo";
      } else if (*loc == "ProjectInternal") {
        info.location = DataLocation::ProjectInternal;
        info.info_class = "ProjectInternalDatasetInfo";
      } else {
        info.location = DataLocation::Preloaded;
        info.info_class = "PreloadedArrayDatasetInfo";
      }
    }
    info.stored_path = access::opt_text(g, names::kFilePath).value_or("");
    info.dataset_id = access::opt_text(g, names::kDatasetId).value_or("");
    if (auto nick = access::opt_text(g, names::kNickname)) {
      info.nickname = *nick;
    } else {
      warn(p_.diagnostics, where + "/nickname", "missing (ilastik 1.4.2 requires it)");
      info.nickname = fs::path(paths::split_internal_path(info.stored_path).first).stem().string();
    }
    info.allow_labels = access::opt_bool(g, names::kAllowLabels).value_or(true);
    if (const Value* ax = access::dataset(g, names::kAxistags)) {
      info.axes = with_context("axistags", [&] { return parse_axistags_json(ax->text()); });
      info.axes_source = "axistags";
    }
    if (const Value* sh = access::dataset(g, names::kShape)) {
      info.shape = with_context("shape", [&] { return checked_shape(*sh); });
      info.shape_source = "info";
    }
    info.dtype = access::opt_text(g, names::kDtype);
    resolve(info, g);
    if (info.axes.empty() && info.shape) {
      info.axes = default_axes(*info.shape);
      info.axes_source = "default";
    }
    if (info.shape && !info.axes.empty() && info.axes.size() != info.shape->size()) {
      warn(p_.diagnostics, where + "/axistags",
           fmt::format("axes '{}' do not fit the {}-D shape ({}); shape ignored", info.axes, info.shape->size(),
                       fmt::join(*info.shape, ", ")));
      info.shape.reset();
      info.shape_source.clear();
    }
    return info;
  }

  void resolve(DatasetInfo& info, const Node& g) {
    if (info.location == DataLocation::ProjectInternal) {
      std::string inner = access::opt_text(g, names::kInnerPath).value_or("");
      const Node* ds = nullptr;
      if (!inner.empty()) {
        ds = root_.find(inner);
      } else if (!info.dataset_id.empty()) {
        std::string path;
        ds = find_by_suffix(root_, info.dataset_id, path);
        inner = path;
      }
      info.file_path = fs::absolute(tree_.source_path).lexically_normal().string();
      info.internal_path = inner;
      info.found = ds && ds->is_dataset();
      if (!info.found) {
        info.not_found_reason = inner.empty() ? "no inner_path and no dataset named by datasetId"
                                              : "embedded dataset '" + inner + "' is missing";
        return;
      }
      Shape s;
      for (auto d : ds->shape()) s.push_back(static_cast<std::int64_t>(d));
      learn_shape(info, s, "data file");
      if (!info.dtype) info.dtype = to_string(ds->type());
      if (info.axes.empty()) {
        if (const Value* ax = ds->attribute("axistags"); ax && ax->type() == ValueType::String && ax->size() == 1) {
          try {
            info.axes = parse_axistags_json(ax->text());
            info.axes_source = "data file";
          } catch (const Error&) {
          }
        }
      }
      return;
    }
    if (info.location == DataLocation::Url || info.location == DataLocation::Preloaded) {
      info.file_path = info.stored_path;
      info.not_found_reason = info.location == DataLocation::Url ? "URL data sources are not read by ilpkit"
                                                                 : "preloaded arrays are not stored in the project";
      return;
    }
    auto r = paths::resolve(info.stored_path, p_.directory);
    info.file_path = r.file;
    info.internal_path = r.internal;
    info.windows_path = r.windows;
    info.is_stack = r.stack;
    info.found = r.exists;
    info.not_found_reason = r.reason;
    if (!info.found || !options_.probe_data) return;
    if (!probe::is_hdf5(info.file_path)) {
      probe_image_file(info);
      return;
    }
    try {
      auto facts = probe::probe_hdf5(info.file_path, info.internal_path);
      info.internal_path = facts.internal_path;
      learn_shape(info, facts.shape, "data file");
      if (!info.dtype) info.dtype = facts.dtype;
      if (info.axes.empty() && !facts.axes.empty()) {
        info.axes = facts.axes;
        info.axes_source = "data file";
      }
    } catch (const Error& e) {
      info.found = false;
      info.not_found_reason = e.detail();
    }
  }

  // TIFF, PNG, ...: the header, through ilpkit's image readers, when the project stores no
  // shape (before 1.3.2; PNGs are decoded whole to learn it). Their axes may lack singleton axes
  // the project stores (ilastik adds c); such extents are 1.
  void probe_image_file(DatasetInfo& info) {
    if (info.shape && !info.axes.empty()) return;
    std::unique_ptr<ImageSource> image;
    try {
      image = open_image(info.file_path);
    } catch (const Error& e) {
      info.found = false;
      info.not_found_reason = e.detail();
      return;
    }
    const ImageInfo& facts = image->info();
    if (!info.dtype) info.dtype = to_string(facts.dtype);
    if (info.axes.empty()) {
      info.axes = facts.axes;
      info.axes_source = "data file";
      learn_shape(info, facts.shape, "data file");
      return;
    }
    // Same rank: ilastik applies the stored axes to the file's dimensions in order (a two-page
    // TIFF stored as 'cyx' has two channels, whatever the file itself suggests).
    if (facts.axes.size() == info.axes.size()) {
      learn_shape(info, facts.shape, "data file");
      return;
    }
    Shape shape;
    for (char a : info.axes) shape.push_back(facts.extent(a));
    for (std::size_t k = 0; k < facts.axes.size(); ++k)
      if (info.axes.find(facts.axes[k]) == std::string::npos && facts.shape[k] != 1) {
        warn(p_.diagnostics, info.stored_path,
             fmt::format("the file's axes '{}' ({}) do not fit the stored '{}'", facts.axes, fmt::join(facts.shape, ", "), info.axes));
        return;
      }
    learn_shape(info, shape, "data file");
  }

  void learn_shape(DatasetInfo& info, const Shape& s, const char* source) {
    if (!info.shape) {
      info.shape = s;
      info.shape_source = source;
    } else if (*info.shape != s) {
      warn(p_.diagnostics, info.stored_path,
           fmt::format("stored shape ({}) differs from the data ({}); labels are checked against the stored one",
                       fmt::join(*info.shape, ", "), fmt::join(s, ", ")));
    }
  }

  void read_features() {
    const Node* g = access::applet_group(root_, feature_group_.c_str(), p_.diagnostics);
    if (!g) return;
    if (g->child(names::kFeatureListFilename))
      warn(p_.diagnostics, "/" + feature_group_ + "/FeatureListFilename",
           "external feature lists are not supported by ilastik 1.x (NotImplementedError)");
    if (!g->child(names::kScales) || !g->child(names::kFeatureIds)) {
      if (g->children().size() > 1) warn(p_.diagnostics, "/" + feature_group_, "no Scales or FeatureIds; selection ignored");
      return;
    }
    FeatureSelection fsel;
    fsel.ids = access::string_list(*g, names::kFeatureIds);
    for (const auto& id : fsel.ids) with_context("FeatureIds", [&] { feature_kind(id); });
    const Value& scales = access::required(*g, names::kScales);
    fsel.scales = with_context("Scales", [&] { return scales.numbers(); });
    for (double s : fsel.scales)
      if (!(s > 0 && s < 1e4))
        throw Error(ErrorKind::Format, fmt::format("Scales: scale {} is not a positive number", s));
    const std::size_t n_ids = fsel.ids.size(), n_scales = fsel.scales.size();
    fsel.matrix.assign(n_ids, std::vector<bool>(n_scales, false));
    if (const Value* m = access::dataset(*g, names::kSelectionMatrix)) {
      std::vector<std::uint64_t> expected{n_ids, n_scales};
      if (!is_numeric(m->type()) || m->shape() != expected)
        throw Error(ErrorKind::Format, fmt::format("SelectionMatrix: expected bool[{},{}], got {}", n_ids, n_scales,
                                                   m->describe()));
      for (std::size_t i = 0; i < n_ids; ++i)
        for (std::size_t j = 0; j < n_scales; ++j) fsel.matrix[i][j] = m->number(i * n_scales + j) != 0;
    }
    if (const Value* c = access::dataset(*g, names::kComputeIn2d)) {
      if (!is_numeric(c->type()) || c->size() != n_scales || c->shape().size() > 1)
        throw Error(ErrorKind::Format, fmt::format("ComputeIn2d: expected bool[{}], got {}", n_scales, c->describe()));
      for (std::size_t j = 0; j < n_scales; ++j) fsel.compute_in_2d.push_back(c->number(j) != 0);
      fsel.compute_in_2d_stored = true;
    }
    p_.features = std::move(fsel);
  }

  static std::optional<std::array<int, 3>> color_at(const Value* v, std::size_t k) {
    if (!v || !is_numeric(v->type()) || v->shape().size() != 2 || v->shape()[1] != 3 || k >= v->shape()[0])
      return std::nullopt;
    return std::array<int, 3>{static_cast<int>(v->number(k * 3)), static_cast<int>(v->number(k * 3 + 1)),
                              static_cast<int>(v->number(k * 3 + 2))};
  }

  void read_label_metadata(const Node* pc) {
    if (!pc) return;
    auto label_names = access::string_list(*pc, names::kLabelNames);
    const Value* colors = access::list_is_empty(*pc, names::kLabelColors) ? nullptr : access::dataset(*pc, names::kLabelColors);
    const Value* pmap = access::list_is_empty(*pc, names::kPmapColors) ? nullptr : access::dataset(*pc, names::kPmapColors);
    for (std::size_t k = 0; k < label_names.size(); ++k)
      p_.label_classes.push_back({label_names[k], color_at(colors, k), color_at(pmap, k)});
  }

  void read_labels(const Node* pc) {
    const Node* sets = pc ? pc->child(names::kLabelSets) : nullptr;
    if (!sets) return;
    if (!sets->is_group()) throw Error(ErrorKind::Format, "/" + pc_group_ + "/LabelSets is not a group");
    if (sets->attribute("meta.has_mask"))
      warn(p_.diagnostics, "/" + pc_group_ + "/LabelSets", "carries meta.has_mask, which makes ilastik's loader fail");
    // SerialBlockSlot: lane groups sorted by the number in their name, matched by position.
    static const std::regex number_re("[^0-9]*(\\d*).*");
    std::vector<std::pair<long long, const Node*>> groups;
    for (const Node* g : sets->children()) {
      if (!g->is_group()) continue;
      std::smatch m;
      std::string name = g->name();
      long long n = -1;
      if (std::regex_match(name, m, number_re) && m[1].length() > 0 && m[1].length() < 12) n = std::stoll(m[1].str());
      groups.emplace_back(n, g);
    }
    std::stable_sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    if (groups.size() > p_.lanes.size())
      warn(p_.diagnostics, "/" + pc_group_ + "/LabelSets",
           fmt::format("{} label groups for {} lanes; the extra ones belong to no lane", groups.size(), p_.lanes.size()));
    int max_value = 0;
    for (std::size_t i = 0; i < groups.size(); ++i) {
      const Node* g = groups[i].second;
      LaneLabels ll;
      ll.group_name = g->name();
      labels::BlockTags tags;
      for (const Node* b : g->children()) {
        if (!b->is_dataset()) continue;
        with_context("reading /PixelClassification/LabelSets/" + g->name() + "/" + b->name(), [&] {
          ll.blocks.push_back(read_block(*b, tags));
        });
      }
      for (const auto& b : ll.blocks)
        for (auto v : b.data)
          if (v) {
            ++ll.counts[v];
            max_value = std::max<int>(max_value, v);
          }
      if (i < p_.lanes.size()) {
        labels::decide_order(ll, tags, p_.lanes[i], version_, p_.workflow, pc_group_, p_.diagnostics);
        if (!ll.order_error.empty())
          warn(p_.diagnostics, "/" + pc_group_ + "/LabelSets/" + ll.group_name, ll.order_error);
        p_.labels.push_back(std::move(ll));
      }
    }
    p_.labels.resize(std::max(p_.labels.size(), p_.lanes.size()));
    for (std::size_t i = 0; i < p_.lanes.size(); ++i) {
      if (p_.labels[i].group_name.empty()) p_.labels[i].group_name = fmt::format("labels{:03d}", i);
      if (p_.lanes[i].internal_axes.empty()) labels::compute_internal_geometry(p_.lanes[i]);
    }
    if (p_.label_classes.empty() && max_value > 0) {
      for (int k = 1; k <= max_value; ++k) {
        LabelClass c{fmt::format("Label {}", k), std::nullopt, std::nullopt};
        if (static_cast<std::size_t>(k - 1) < kLegacyLabelColors.size())
          c.color = c.pmap_color = kLegacyLabelColors[static_cast<std::size_t>(k - 1)];
        p_.label_classes.push_back(c);
      }
      p_.label_names_synthesized = true;
      note(p_.diagnostics, "/" + pc_group_ + "/LabelNames",
           fmt::format("missing; named Label 1 .. Label {} from the largest label value, as ilastik does", max_value));
    }
  }

  LabelBlock read_block(const Node& b, labels::BlockTags& tags) {
    LabelBlock blk;
    blk.name = b.name();
    const Value* slice = b.attribute(names::kBlockSlice);
    if (!slice) throw Error(ErrorKind::Format, "attribute blockSlice is missing");
    blk.block_slice = with_context("attribute blockSlice", [&] { return slice->text(); });
    labels::parse_block_slice(blk.block_slice, blk.start, blk.stop);
    if (!b.loaded()) throw Error(ErrorKind::Format, fmt::format("label block {} is too large", b.description()));
    const Value& v = b.loaded_value();
    if (!is_integer(v.type()) && v.type() != ValueType::Bool)
      throw Error(ErrorKind::Format, fmt::format("label block is {}, expected uint8", v.describe()));
    if (v.shape().size() != blk.start.size())
      throw Error(ErrorKind::Format, fmt::format("block is {} but blockSlice '{}' has {} axes", v.describe(),
                                                 blk.block_slice, blk.start.size()));
    for (std::size_t k = 0; k < blk.start.size(); ++k) {
      if (static_cast<std::int64_t>(v.shape()[k]) != blk.stop[k] - blk.start[k])
        throw Error(ErrorKind::Format,
                    fmt::format("block is {} but blockSlice '{}' spans {} on axis {}", v.describe(), blk.block_slice,
                                blk.stop[k] - blk.start[k], k));
      blk.shape.push_back(blk.stop[k] - blk.start[k]);
    }
    blk.data.resize(v.size());
    if (v.type() == ValueType::UInt8 || v.type() == ValueType::Bool) {
      std::copy(v.raw().begin(), v.raw().end(), blk.data.begin());
    } else {
      for (std::size_t i = 0; i < v.size(); ++i) {
        std::int64_t x = v.integer(i);
        if (x < 0 || x > 255) throw Error(ErrorKind::Format, fmt::format("label value {} out of range 0..255", x));
        blk.data[i] = static_cast<std::uint8_t>(x);
      }
    }
    std::string keys;
    if (const Value* ax = b.attribute(names::kAxistags); ax && ax->type() == ValueType::String && ax->size() == 1) {
      keys = with_context("attribute axistags", [&] { return parse_axistags_json(ax->text()); });
      if (keys.size() != blk.start.size())
        throw Error(ErrorKind::Format, fmt::format("axistags '{}' do not fit the {}-D block", keys, blk.start.size()));
    }
    tags.keys.push_back(keys);
    return blk;
  }

  void read_export() {
    const Node* g = access::applet_group(root_, names::kPredictionExport, p_.diagnostics);
    if (!g) return;
    ExportSettings e;
    e.filename_format = access::opt_text(*g, "OutputFilenameFormat");
    e.format = access::opt_text(*g, "OutputFormat");
    e.internal_path = access::opt_text(*g, "OutputInternalPath");
    e.dtype = access::opt_text(*g, "ExportDtype");
    e.axis_order = access::opt_text(*g, "OutputAxisOrder");
    e.input_min = access::opt_number(*g, "InputMin");
    e.input_max = access::opt_number(*g, "InputMax");
    e.export_min = access::opt_number(*g, "ExportMin");
    e.export_max = access::opt_number(*g, "ExportMax");
    for (auto [name, target] : {std::pair{"RegionStart", &e.region_start}, std::pair{"RegionStop", &e.region_stop}}) {
      if (access::list_is_empty(*g, name)) continue;
      if (const Value* v = access::dataset(*g, name)) *target = with_context(name, [&] { return v->integers(); });
    }
    p_.export_settings = std::move(e);
  }

  // A lane whose shape was inferred from label blocks has an unknown channel count; the
  // forest's column count divided by the channels per input channel tells it.
  void infer_channels_from_classifier() {
    if (!p_.classifier || p_.classifier->forests.empty() || !p_.features) return;
    const std::size_t columns = p_.classifier->feature_count();
    for (auto& lane : p_.lanes) {
      if (!lane.raw || !lane.raw->shape || lane.raw->shape_source != labels::kInferredShapeSource) continue;
      auto c = lane.raw->axes.find('c');
      if (c == std::string::npos || lane.internal_axes.empty() || !lane.internal_shape) continue;
      auto geometry = ImageGeometry::from_internal(lane.internal_axes, *lane.internal_shape);
      geometry.channels = 1;
      std::size_t per_channel = 0;
      try {
        per_channel = feature_channels(*p_.features, geometry).size();
      } catch (const Error&) {
        continue;
      }
      if (per_channel == 0 || columns % per_channel != 0) continue;
      (*lane.raw->shape)[c] = static_cast<std::int64_t>(columns / per_channel);
      labels::compute_internal_geometry(lane);
      note(p_.diagnostics, "/Input Data/infos/" + lane.group_name,
           fmt::format("channel count {} inferred from the classifier's {} feature columns", columns / per_channel,
                       columns));
    }
  }

  void check_consistency() {
    if (p_.classifier && !p_.classifier->forests.empty()) {
      const auto& f = p_.classifier->forests.front();
      if (f.class_count > static_cast<int>(p_.label_classes.size()) && !p_.label_classes.empty())
        warn(p_.diagnostics, "/" + pc_group_ + "/ClassifierForests",
             fmt::format("the forests know {} classes but there are {} label names; ilastik discards such a "
                         "classifier and retrains",
                         f.class_count, p_.label_classes.size()));
      for (auto k : p_.classifier->known_labels)
        if (!p_.label_classes.empty() && k > p_.label_classes.size())
          warn(p_.diagnostics, "/" + pc_group_ + "/ClassifierForests/known_labels",
               fmt::format("label value {} has no label name", k));
    }
  }

  const IlpTree& tree_;
  const Node& root_;
  const ReadOptions& options_;
  Project p_;
  compat::IlastikVersion version_ = compat::version("0.0");
  const std::string pc_group_ = names::kPixelClassification + stage_suffix(options_.pixel_classification_stage.value_or(0));
  const std::string feature_group_ = names::kFeatureSelections + stage_suffix(options_.pixel_classification_stage.value_or(0));
};

}  // namespace

std::vector<int> pixel_classification_stages(const std::string& workflow) {
  if (workflow == names::kPixelClassificationWorkflow || workflow == "Object Classification (from pixel classification)")
    return {0};
  if (workflow == "AutocontextTwoStage") return {0, 1};
  return {};
}

std::string stage_suffix(int stage) { return stage == 0 ? std::string() : fmt::format("{:02d}", stage); }

Project parse_project(const IlpTree& tree, const ReadOptions& options, Diagnostics diagnostics) {
  return ProjectParser(tree, options, std::move(diagnostics)).run();
}

Project read_project(const std::string& path, const ReadOptions& options) {
  return with_context("cannot read project '" + path + "'", [&] {
    // Refuse other workflows before loading what may be gigabytes of their groups.
    if (auto w = peek_workflow_name(path);
        w && *w != names::kPixelClassificationWorkflow && *w != "PixelClassificationWorkflow" &&
        (!options.pixel_classification_stage || pixel_classification_stages(*w).empty()))
      throw unsupported_workflow(*w);
    Diagnostics d;
    IlpTree tree = load_tree(path, options, d);
    auto applied = compat::migrate(tree, d);
    Project p = parse_project(tree, options, std::move(d));
    p.migrations_applied = std::move(applied);
    return p;
  });
}

}  // namespace ilpkit
