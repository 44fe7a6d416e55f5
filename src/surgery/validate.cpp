// SPDX-License-Identifier: MIT
// `ilpkit validate` (surgery.md §2.1): the lint codes, from two readings of the file. The raw
// tree shows what is stored (before any repair); the checked model, built as ilpkit reads the
// file (compat migrations, data probing, label order decided against the blocks), shows what the
// content means. Comparing the two with the rules ilastik 1.4.2 and 1.3.3post3 apply tells what
// each of them would do.
#include <algorithm>
#include <functional>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "ilpkit/compat/ilastik_version.hpp"
#include "ilpkit/compat/label_order.hpp"
#include "ilpkit/compat/migrations.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/image.hpp"
#include "ilpkit/surgery.hpp"
#include "names.hpp"
#include "paths.hpp"

namespace ilpkit {

namespace fs = std::filesystem;

const char* to_string(FindingLevel level) noexcept {
  switch (level) {
    case FindingLevel::Error: return "error";
    case FindingLevel::Warning: return "warning";
    case FindingLevel::Info: return "info";
  }
  return "info";
}

bool has_errors(const std::vector<Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.level == FindingLevel::Error; });
}

namespace {

using compat::IlastikVersion;

class Linter {
 public:
  // What the raw tree and the data files say about one lane's Raw Data.
  struct LaneData {
    bool has_shape = false;  ///< the Raw Data info stores `shape`
    bool reachable = false;
    Shape shape;             ///< the data's, when probed
    std::string file_axes;
    bool hdf5 = false;       ///< an HDF5 dataset (image files get a channel axis from ilastik's readers)
    std::string unreadable;
  };

  Linter(std::string path, const ValidateOptions& options) : path_(std::move(path)), options_(options) {}

  std::vector<Finding> run() {
    ReadOptions read;
    IlpTree raw;
    try {
      Diagnostics ignored;
      raw = load_tree(path_, read, ignored);
    } catch (const Error& e) {
      add("E001", "/", fmt::format("not a readable HDF5 file: {}", e.detail()), "ilastik cannot open it");
      return finish();
    }
    if (!check_root(raw)) return finish();
    check_raw_infos(*raw.root);
    check_raw_groups(*raw.root);
    report_size(*raw.root);

    // The checked model: the same file read as ilpkit reads it.
    std::optional<Project> project;
    try {
      project = read_project(path_, read);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::Unsupported) {
        add("I054", "/", fmt::format("content checks skipped: {}", e.detail()));
      } else {
        add("E001", "/", fmt::format("ilpkit cannot read the content: {}", e.detail()),
            "ilastik fails to load it as well, or misreads it");
      }
      return finish();
    }
    check_model(*project);
    return finish();
  }

 private:
  void add(std::string code, std::string where, std::string message, std::string ilastik = {}) {
    const FindingLevel level = code[0] == 'E' ? FindingLevel::Error : code[0] == 'W' ? FindingLevel::Warning : FindingLevel::Info;
    findings_.push_back({std::move(code), level, std::move(where), std::move(message), std::move(ilastik)});
  }

  std::vector<Finding> finish() {
    std::stable_sort(findings_.begin(), findings_.end(),
                     [](const Finding& a, const Finding& b) { return a.code.substr(1) < b.code.substr(1); });
    return std::move(findings_);
  }

  // E002, E003, E004: what decides whether ilastik opens the file at all.
  bool check_root(const IlpTree& tree) {
    const Node& root = *tree.root;
    const Node* v = root.child(names::kIlastikVersion);
    if (!v || !v->is_dataset()) {
      add("E002", "/ilastikVersion", "missing: ilastik treats the file as a 0.5 project",
          "tries its 0.5 importer, which headless ilastik never reaches");
      return false;
    }
    const Value value = v->value();
    if (value.type() != ValueType::String || value.size() != 1) {
      const bool number = is_numeric(value.type()) && value.size() == 1;
      add("E002", "/ilastikVersion",
          fmt::format("stored as {}{}, not a string: the 0.5 format or a 2012 0.6 file", value.describe(),
                      number ? fmt::format(" ({})", value.number()) : ""),
          "AttributeError ... 'decode' in ProjectManager.openProjectFile; the file does not open");
      if (!number || compat::is_ilastik_05_layout(tree)) return false;  // a different format: nothing else applies
      version_ = IlastikVersion::from_float(value.number());
    } else {
      try {
        version_ = IlastikVersion::parse(value.text());
      } catch (const Error& e) {
        add("E003", "/ilastikVersion", fmt::format("'{}' is not a version: {}", value.text(), e.detail()),
            "refuses or imports the file");
        return false;
      }
    }
    if (!compat::is_openable_by_current_ilastik(*version_)) {
      add("E003", "/ilastikVersion", fmt::format("version {} is outside 0.6 and 1.0-1.5", version_->text()),
          "imports it into <name>_imported.ilp instead of opening it");
      return false;
    }
    if (*version_ < compat::version("1.3.3post2"))
      add("W058", "/ilastikVersion",
          fmt::format("{} records the version that created the file, not the one that last saved it", version_->text()),
          "applies its label-order rules for that version");
    const Node* w = root.child(names::kWorkflowName);
    if (!w || !w->is_dataset() || w->value().type() != ValueType::String || w->value().size() != 1) {
      add("E004", "/workflowName", "missing", "headless falls back to Pixel Classification with a warning");
    } else {
      workflow_ = w->value().text();
      static const std::set<std::string> kPixelWorkflows = {"Pixel Classification", "PixelClassificationWorkflow",
                                                            "Autocontext (2-stage)", "AutocontextTwoStage",
                                                            "Object Classification (from pixel classification)"};
      if (!kPixelWorkflows.count(workflow_))
        add("I054", "/workflowName", fmt::format("workflow '{}': only its generic content is checked", workflow_));
    }
    return true;
  }

  // Dataset infos as stored: E010-E012, W050-W051, W057, and the `shape` needed for E016.
  // I070 (surgery.md §4): what takes the file's space, by what ilastik stores.
  void report_size(const Node& root) {
    std::error_code ec;
    const auto file = fs::file_size(path_, ec);
    if (ec) return;
    std::uint64_t raw = 0, labels = 0, forests = 0, other = 0;
    std::function<void(const Node&, const std::string&)> walk = [&](const Node& n, const std::string& at) {
      for (const Node* c : n.children()) {
        const std::string path = at + "/" + c->name();
        if (c->is_group()) {
          walk(*c, path);
          continue;
        }
        const std::uint64_t bytes = c->storage().stored_bytes;
        if (path.rfind(std::string("/") + names::kInputData + "/" + names::kLocalData + "/", 0) == 0) raw += bytes;
        else if (path.find("/LabelSets/") != std::string::npos) labels += bytes;
        else if (path.find("/ClassifierForests/") != std::string::npos) forests += bytes;
        else other += bytes;
      }
    };
    walk(root, "");
    const std::uint64_t data = raw + labels + forests + other;
    const std::uint64_t rest = file > data ? file - data : 0;
    auto mb = [](std::uint64_t b) {
      return b >= 100000 ? fmt::format("{:.2f} MB", static_cast<double>(b) / 1e6) : fmt::format("{:.1f} kB", static_cast<double>(b) / 1e3);
    };
    // ilastik deletes and recreates forests and blocks on every save without reclaiming the space;
    // the rest is HDF5's own metadata (about 200 kB, more with many lanes).
    const bool loose = rest > 256 * 1024 && rest * 5 > file;
    add("I070", "/",
        fmt::format("{}: embedded raw data {}, label blocks {}, forests {}, other datasets {}, HDF5 metadata and free "
                    "space {} ({:.0f} %){}",
                    mb(file), mb(raw), mb(labels), mb(forests), mb(other), mb(rest),
                    100.0 * static_cast<double>(rest) / static_cast<double>(std::max<std::uint64_t>(file, 1)),
                    loose ? "; what of it is free space, `ilpkit compact` reclaims" : ""),
        loose ? "never reclaims the space its saves free (compaction candidate)" : "");
  }

  void check_raw_infos(const Node& root) {
    const Node* infos = root.find(std::string(names::kInputData) + "/" + names::kInfos);
    if (!infos || !infos->is_group()) return;
    static const std::set<std::string> kClasses = {
        "ProjectInternalDatasetInfo", "FilesystemDatasetInfo", "RelativeFilesystemDatasetInfo",
        "MultiscaleUrlDatasetInfo",   "UrlDatasetInfo",        "PreloadedArrayDatasetInfo"};
    for (const Node* lane : infos->children()) {
      if (!lane->is_group()) continue;
      std::vector<const Node*> roles;
      if (lane->child(names::kLocation) || lane->child(names::kFilePath))
        roles.push_back(lane);  // 2012 layout: the lane group is the info
      else
        for (const Node* r : lane->children())
          if (r->is_group()) roles.push_back(r);
      for (const Node* info : roles) {
        if (info->children().empty()) continue;  // an empty role: no data
        const std::string where = fmt::format("/Input Data/infos/{}{}", lane->name(),
                                              info == lane ? "" : "/" + info->name());
        auto text = [&](const char* name) -> std::string {
          const Node* n = info->child(name);
          if (!n || !n->is_dataset()) return {};
          const Value v = n->value();
          return v.type() == ValueType::String && v.size() == 1 ? v.text() : std::string();
        };
        const std::string cls = text(names::kInfoClass);
        if (!cls.empty() && !kClasses.count(cls))
          add("E010", where + "/__class__", fmt::format("unknown dataset-info class '{}'", cls), "KeyError at load");
        if (!info->child(names::kNickname) || !info->child(names::kAllowLabels))
          add("E011", where, fmt::format("lacks {}", !info->child(names::kNickname) ? "nickname" : "allowLabels"),
              "KeyError at load");
        const std::string stored = text(names::kFilePath);
        if (cls == "RelativeFilesystemDatasetInfo" && !stored.empty() && stored.front() == '/') {
          const auto dir = fs::absolute(fs::path(path_)).parent_path().lexically_normal().string();
          if (stored.rfind(dir + "/", 0) != 0)
            add("E012", where + "/filePath",
                fmt::format("'{}' is absolute and outside the project folder but the class is relative", stored),
                "CantSaveAsRelativePathsException; the load fails");
        }
        if (!stored.empty() && (paths::is_windows_absolute(stored) || stored.find('\\') != std::string::npos))
          add("W050", where + "/filePath", fmt::format("Windows path '{}'", stored),
              "a drive path is split at ':' and cannot be resolved on Linux or macOS");
        if (!stored.empty()) {
          const std::string dir_part = fs::path(paths::split_internal_path(stored).first).parent_path().string();
          for (const char* ext : {".h5/", ".hdf5/", ".ilp/", ".n5/", ".npz/"})
            if ((dir_part + "/").find(ext) != std::string::npos) {
              add("W051", where + "/filePath",
                  fmt::format("a folder in '{}' has an HDF5-like extension", stored),
                  "splits file and internal path at the wrong place");
              break;
            }
        }
        const std::string order = text(names::kAxisorder), tags = text(names::kAxistags);
        if (!order.empty() && !tags.empty()) {
          try {
            const std::string keys = parse_axistags_json(tags);
            if (keys != order)
              add("W057", where + "/axisorder", fmt::format("axisorder '{}' disagrees with axistags '{}'", order, keys),
                  "axistags win");
          } catch (const Error&) {
          }
        }
        if (info == lane || info->name() == names::kRawData) check_data(root, *info, where, lane->name(), cls, stored);
      }
    }
  }

  // A lane's Raw Data as stored: can ilastik reach it (E013, E014, E016, E018, I060), and do the
  // stored axes fit it (E015)? Probed with ilpkit's own readers, for every workflow.
  void check_data(const Node& root, const Node& info, const std::string& where, const std::string& lane,
                  const std::string& cls, const std::string& stored) {
    LaneData& d = lanes_[lane];
    d.has_shape = info.child(names::kShape) != nullptr;
    const Node* loc = info.child(names::kLocation);
    const bool internal = cls == "ProjectInternalDatasetInfo" ||
                          (cls.empty() && loc && loc->is_dataset() && loc->value().type() == ValueType::String &&
                           loc->value().size() == 1 && loc->value().text() == "ProjectInternal");
    if (internal) {
      const Node* inner = info.child(names::kInnerPath);
      const Node* id = info.child(names::kDatasetId);
      std::string path = inner && inner->is_dataset() && inner->value().type() == ValueType::String ? inner->value().text() : "";
      if (path.empty() && id && id->is_dataset() && id->value().type() == ValueType::String)
        path = std::string("/") + names::kInputData + "/" + names::kLocalData + "/" + id->value().text();
      const Node* ds = path.empty() ? nullptr : root.find(path);
      d.reachable = ds && ds->is_dataset();
      if (!d.reachable) add("E014", where, fmt::format("embedded dataset '{}' not found", path), "KeyError at load");
      else for (auto e : ds->shape()) d.shape.push_back(static_cast<std::int64_t>(e));
      return;
    }
    if (stored.empty()) return;
    auto r = paths::resolve(stored, fs::absolute(fs::path(path_)).parent_path().string());
    if (!r.exists && !options_.data_root.empty() && !r.stack) {
      auto again = paths::resolve(stored, options_.data_root);
      if (again.exists) r = again;
    }
    if (r.stack) {
      add("E013", where + "/filePath", fmt::format("'{}' names several files: {}", stored, r.reason),
          "AssertionError (no sequence axis); the load fails");
      return;
    }
    if (r.exists) {
      try {
        auto image = open_image(r.internal.empty() ? r.file : r.file + r.internal);
        d.reachable = true;
        d.shape = image->info().shape;
        d.file_axes = image->info().axes;
        d.hdf5 = !r.internal.empty() || image->info().internal_path.size() > 0;
      } catch (const Error& e) {
        if (e.detail().find("datasets") != std::string::npos && r.internal.empty())
          add("E018", where + "/filePath", e.detail(), "DatasetReadError");
        else
          d.unreadable = e.detail();
        d.reachable = e.kind() == ErrorKind::Unsupported;  // a format ilpkit cannot read (ilastik may)
      }
    }
    if (d.reachable) return;
    const std::string why = !d.unreadable.empty() ? d.unreadable : r.reason.empty() ? "file not found" : r.reason;
    if (!d.has_shape)
      add("E016", where, fmt::format("data unreachable ({}) and no shape stored", why),
          "KeyError \"Unable to open object (object 'shape' doesn't exist)\"; the load fails");
    else
      add("I060", where, fmt::format("data unreachable ({}); ilastik uses a placeholder", why),
          "exports only from the stored forest");
  }

  // Groups as stored: E024, E026, E031, E032, W042, W053, I054.
  void check_raw_groups(const Node& root) {
    for (const char* legacy : {"BatchDataSelection", "Batch Inputs", "Batch Prediction Output Locations", "ProjectMetadata"})
      if (root.child(legacy)) add("I054", std::string("/") + legacy, "legacy group (ignored by ilastik)", "ignored; strip candidate");
    for (const Node* g : root.children()) {
      if (!g->is_group() || g->name() == names::kInputData || g->child(names::kStorageVersion)) continue;
      static const std::set<std::string> kApplets = {"FeatureSelections", "PixelClassification", "Prediction Export"};
      if (kApplets.count(g->name()) && g->children().size() > 0)
        add("W053", "/" + g->name(), "has content but no StorageVersion", "the whole group is ignored");
    }
    if (const Node* fsel = root.child(names::kFeatureSelections); fsel && fsel->is_group()) {
      if (fsel->child(names::kFeatureListFilename))
        add("E032", "/FeatureSelections/FeatureListFilename", "external feature list", "NotImplementedError");
      const Node* ids = fsel->child(names::kFeatureIds);
      const Node* scales = fsel->child(names::kScales);
      const Node* m = fsel->child(names::kSelectionMatrix);
      if (ids && scales && m && ids->is_dataset() && scales->is_dataset() && m->is_dataset()) {
        const std::vector<std::uint64_t> want{ids->shape().empty() ? 1 : ids->shape()[0],
                                              scales->shape().empty() ? 1 : scales->shape()[0]};
        if (m->shape() != want)
          add("E031", "/FeatureSelections/SelectionMatrix",
              fmt::format("shape ({}) is not (FeatureIds, Scales) = ({})", fmt::join(m->shape(), ", "), fmt::join(want, ", ")),
              "assertion at load");
      }
    }
    // E030 for every pixel-classification stage (Autocontext has a second one, suffix 01).
    for (const std::string suffix : {"", "01"}) {
      const Node* forests = root.find(std::string(names::kPixelClassification) + suffix + "/" + names::kClassifierForests);
      if (!forests || !forests->is_group()) continue;
      bool has_forest = false;
      for (const Node* c : forests->children()) has_forest |= c->is_group() && c->name().rfind("Forest", 0) == 0;
      if (!has_forest) continue;
      const Node* fsel = root.child(std::string(names::kFeatureSelections) + suffix);
      const bool usable = fsel && fsel->is_group() && fsel->child(names::kStorageVersion) && fsel->child(names::kFeatureIds) &&
                          fsel->child(names::kScales);
      if (!usable)
        add("E030", "/" + std::string(names::kFeatureSelections) + suffix,
            fmt::format("a forest is stored but the feature selection is {}{}",
                        fsel ? "empty or has no StorageVersion" : "missing",
                        forests->child(names::kFeatureNames) ? " (repairable from ClassifierForests/feature_names)" : ""),
            "SlotNotReadyError at export");
    }
    const Node* pc = root.child(names::kPixelClassification);
    if (!pc || !pc->is_group()) return;
    if (const Node* sets = pc->child(names::kLabelSets); sets && sets->is_group()) {
      for (const Node* lane : sets->children()) {
        if (!lane->is_group()) continue;
        if (lane->attribute("meta.has_mask"))
          add("E026", "/PixelClassification/LabelSets/" + lane->name(), "carries meta.has_mask", "assertion at load");
        for (const Node* b : lane->children())
          if (b->is_dataset() && !b->attribute(names::kBlockSlice))
            add("E024", "/PixelClassification/LabelSets/" + lane->name() + "/" + b->name(), "block without blockSlice",
                "KeyError at load (ilastik #1353)");
      }
    }
    if (const Node* bm = pc->child("Bookmarks"); bm && bm->is_group()) {
      for (const Node* b : bm->children()) {
        if (!b->is_dataset()) continue;
        const Value v = b->value();
        std::string bytes;
        if (v.type() == ValueType::Opaque) bytes = v.opaque_bytes();
        else if (v.type() == ValueType::String && v.size() == 1) bytes = v.text();
        while (!bytes.empty() && bytes.back() == '\0') bytes.pop_back();
        if (bytes != "(lp0\n." && bytes != "(lp1\n." && bytes != "]." && bytes != "\x80\x03]q\x00.")
          add("W042", "/PixelClassification/Bookmarks/" + b->name(), "holds something other than an empty list",
              "unpickled (code execution) on load");
      }
    }
    if (const Node* forests = pc->child(names::kClassifierForests); forests && forests->child(names::kPickledClassifier))
      add("W042", "/PixelClassification/ClassifierForests/pickled_classifier", "a pickled scikit-learn classifier",
          "unpickled (code execution) on load");
  }

  // The content: reachability (E013-E018, I060), labels (E017, E020-E023, W056), features and
  // classifier (E030, E033, E034, W035, I036, W040, I041), export settings (W052).
  void check_model(const Project& p) {
    const bool has_forest = p.classifier && !p.classifier->forests.empty();
    bool any_labels = false;
    for (std::size_t i = 0; i < p.lanes.size(); ++i) {
      const Lane& lane = p.lanes[i];
      const LaneLabels* ll = i < p.labels.size() && !p.labels[i].blocks.empty() ? &p.labels[i] : nullptr;
      any_labels |= ll != nullptr;
      if (!lane.raw) continue;
      const DatasetInfo& raw = *lane.raw;
      const std::string where = fmt::format("/Input Data/infos/{}/Raw Data", lane.group_name);
      const LaneData& d = lanes_[lane_key(p, i)];
      if (!d.reachable && ll && !has_forest)
        add("E017", where, "labels but no stored forest, and the training data is unreachable",
            "MissingDataAccessError when it trains");
      if (d.reachable && d.hdf5 && !d.shape.empty() && raw.axes_source == "axistags" && raw.axes.size() != d.shape.size())
        add("E015", where + "/axistags", fmt::format("stored axes '{}' do not fit the {}-D data", raw.axes, d.shape.size()),
            "UnsuitedAxistagsException");
      if (ll) check_label_order(p, i, *ll, raw, d);
    }
    if (any_labels && !has_forest)
      add("W056", "/PixelClassification/ClassifierForests", "labels but no trained forest",
          "every headless run retrains (random, slow)");
    if (has_forest) {
      const Classifier& c = *p.classifier;
      if (p.features && !p.features->empty()) {
        const ClassifierMatch match = match_classifier(p);
        if (!match.matches && match.forest_features != match.expected_features)
          add("E033", "/PixelClassification/ClassifierForests",
              fmt::format("the forests expect {} features, the selection gives {}", match.forest_features,
                          match.expected_features),
              "\"Feature count ... doesn't match the training feature count\"");
        else if (!match.matches)
          add("E034", "/PixelClassification/ClassifierForests/feature_names", match.reason,
              "predicts silently with the stale forest");
      }
      std::uint32_t highest = 0;
      for (auto l : c.known_labels) highest = std::max(highest, l);
      if (highest > p.label_classes.size() && !p.label_names_synthesized)
        add("W035", "/PixelClassification/LabelNames",
            fmt::format("the forest knows label {} but only {} label names exist", highest, p.label_classes.size()),
            "discards the classifier and retrains");
      if (c.feature_names_were_bytes_reprs)
        add("I036", "/PixelClassification/ClassifierForests/feature_names", "names stored as Python bytes reprs (b'...')");
    }
    if (p.factory.stored && p.factory.python2_pickle)
      add("W040", "/PixelClassification/ClassifierFactory", "Python 2 era pickle", "uses its default factory instead");
    // (Every ilastik-made factory stores a forest count, so only a label proportion stands out.)
    if (p.factory.stored && !p.factory.python2_pickle && p.factory.num_trees == 100 && p.factory.label_proportion)
      add("I041", "/PixelClassification/ClassifierFactory",
          fmt::format("100 trees with label proportion {} (and {} forests)", *p.factory.label_proportion, p.factory.num_forests),
          "ignores both and uses its default factory when retraining");
    if (p.export_settings && p.export_settings->filename_format) {
      const std::string& f = *p.export_settings->filename_format;
      if (!f.empty() && (f.front() == '/' || paths::is_windows_absolute(f) || f.find('\\') != std::string::npos))
        add("W052", "/Prediction Export/OutputFilenameFormat", fmt::format("absolute or Windows path '{}'", f),
            "on another machine the export lands under the project folder");
    }
  }

  // E020-E023: the blocks against the order each target reader assumes. The image extents are
  // the data's own (probed) or the stored shape; a shape inferred from the blocks proves nothing.
  void check_label_order(const Project& p, std::size_t lane, const LaneLabels& ll, const DatasetInfo& raw, const LaneData& d) {
    const std::string where = "/PixelClassification/LabelSets/" + ll.group_name;
    Shape shape = !d.shape.empty() && d.shape.size() == raw.axes.size() ? d.shape
                  : raw.shape && raw.shape_source == "info"         ? *raw.shape
                                                                     : Shape{};
    if (!ll.order_error.empty()) {
      if (ll.order_error.find("ambiguous") != std::string::npos)
        add("E022", where, fmt::format("ilpkit cannot tell the labels' order: {}", ll.order_error),
            "may have transposed them; choose the order with migrate --label-order");
      else if (!shape.empty())
        add("E021", where, fmt::format("ilpkit cannot place the labels: {}", ll.order_error),
            "fails to load them or misplaces them");
      return;
    }
    // Axes that are only assumed (old files without axis information and without their data)
    // cannot show a transposition; ilastik fails on such lanes anyway (E016).
    if (!version_ || raw.axes.empty() || raw.axes_source == "assumed") return;
    // Unknown extents count as non-singleton, which keeps every axis in the internal order.
    const std::string internal = internal_axes(raw.axes, shape.empty() ? Shape(raw.axes.size(), 2) : shape);
    const compat::LaneAxes axes{raw.axes, internal};
    struct Reader {
      const char* name;
      std::string assumed;
    };
    std::vector<Reader> readers;
    if (options_.target != "1.3.3post3") readers.push_back({"1.4.2", compat::label_order_assumed_by_1_4_2(*version_, workflow_, axes)});
    if (options_.target != "1.4") readers.push_back({"1.3.3post3", compat::original_order(raw.axes)});
    for (const Reader& r : readers) {
      const std::string assumes = fmt::format("ilastik {} assumes '{}'", r.name, r.assumed);
      if (ll.blocks.front().start.size() != r.assumed.size()) {
        add("E020", where, fmt::format("blocks have {} axes; {}", ll.blocks.front().start.size(), assumes),
            "AssertionError in Array5D; the load fails");
        continue;
      }
      if (!shape.empty()) {
        if (const std::string why = label_order_misfit(p, lane, r.assumed); !why.empty()) {
          add("E021", where, fmt::format("{}: {}", assumes, why), "\"Rois do not intersect\", or the labels are dropped");
          continue;
        }
      }
      if (r.assumed != ll.stored_axes)
        add("E022", where, fmt::format("the blocks are stored as '{}' ({}), {}", ll.stored_axes, ll.order_basis, assumes),
            "the labels are silently transposed or misplaced");
    }
    // E023: the data is smaller than the labels in their true order (e.g. relinked to other data).
    if (!d.shape.empty() && d.shape.size() == raw.axes.size()) {
      for (const auto& b : ll.blocks)
        for (std::size_t k = 0; k < ll.stored_axes.size(); ++k) {
          const char a = ll.stored_axes[k];
          const auto at = raw.axes.find(a);
          if (a == 'c' || at == std::string::npos || b.stop[k] <= d.shape[at]) continue;
          add("E023", where,
              fmt::format("{}: {} reaches {} but the data has {}", b.name, a, b.stop[k], d.shape[at]),
              "drops all labels silently");
          return;
        }
    }
  }

  // The raw-tree name of lane i ("lane0000"; 2012 files: "info0000", renamed by the migration).
  std::string lane_key(const Project& p, std::size_t i) const {
    if (lanes_.count(p.lanes[i].group_name)) return p.lanes[i].group_name;
    std::size_t k = 0;
    for (const auto& [name, data] : lanes_)
      if (k++ == i) return name;
    return p.lanes[i].group_name;
  }


  std::string path_;
  ValidateOptions options_;
  std::vector<Finding> findings_;
  std::optional<IlastikVersion> version_;
  std::string workflow_;
  std::map<std::string, LaneData> lanes_;  ///< per lane group of the raw tree
};

}  // namespace

std::vector<Finding> validate_project(const std::string& path, const ValidateOptions& options) {
  if (options.target != "1.4" && options.target != "1.3.3post3" && options.target != "bilingual")
    throw Error(ErrorKind::Usage, fmt::format("--target '{}': expected 1.4, 1.3.3post3 or bilingual", options.target));
  return Linter(path, options).run();
}

}  // namespace ilpkit
