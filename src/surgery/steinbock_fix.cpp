// SPDX-License-Identifier: MIT
// `ilpkit steinbock-fix` (surgery.md §2.9): a project trained on other crops made usable with
// steinbock's c,y,x float32 crops and export settings. Unlike steinbock's own `fix`, the label
// blocks are written from the true dense labels (not permuted by the crop transposition, which
// is only right for files saved by 1.3.3post2-1.4.0b7), in the layout both 1.3.3post3 and 1.4.x
// read alike, and lanes are matched to crops by file stem whatever the data's extension.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "hdf5.hpp"
#include "ilpkit/axes.hpp"
#include "ilpkit/compat/ilastik_version.hpp"
#include "ilpkit/compat/label_order.hpp"
#include "ilpkit/compat/migrations.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/features.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/surgery.hpp"
#include "labels.hpp"
#include "layout.hpp"
#include "names.hpp"
#include "save.hpp"

namespace ilpkit {

namespace {

namespace fs = std::filesystem;

constexpr const char* kCropDataset = "crop";  // steinbock's dataset name

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One crop file and what becomes of it.
struct Crop {
  fs::path source;             // the file found in the crop folder
  fs::path target;             // <folder>/<stem>.h5, holding dataset "crop" afterwards
  std::string dataset;         // the source dataset
  bool marked = false;         // already converted (attribute steinbock=True)
  std::string axes;            // the source's axis order
  std::size_t channel_axis = 0;  // index in `axes` of the axis that becomes c (npos: none)
  std::uint64_t c = 1, y = 0, x = 0;
  std::string source_desc;     // "yxc uint16 (500, 500, 11)"
  std::size_t lane = 0;
  bool used = false;
};

// The crop files of `dir` (recursively, hidden files skipped as steinbock does) by stem; a stem
// with both a .h5 and an .hdf5 file is the .h5 one (the .hdf5 stays after a first conversion).
std::map<std::string, Crop> list_crops(const fs::path& dir) {
  std::map<std::string, Crop> crops;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw Error(ErrorKind::Io, fmt::format("E_CROP_MISSING: the crop folder {} does not exist (--crops)", dir.string()));
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& f = it->path();
    if (f.filename().string().front() == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    const std::string ext = lower(f.extension().string());
    if ((ext != ".h5" && ext != ".hdf5") || !it->is_regular_file(ec)) continue;
    const std::string stem = f.stem().string();
    auto [at, inserted] = crops.try_emplace(stem);
    if (!inserted) {
      if (at->second.source.parent_path() != f.parent_path())
        throw Error(ErrorKind::Usage, fmt::format("E_CROP_AMBIGUOUS: two crops are named '{}': {} and {}", stem,
                                                  at->second.source.string(), f.string()));
      if (ext != ".h5") continue;
    }
    at->second.source = f;
    at->second.target = f.parent_path() / (stem + ".h5");
  }
  if (ec) throw Error(ErrorKind::Io, fmt::format("listing {}: {}", dir.string(), ec.message()));
  return crops;
}

// The stem a lane's data is known by: its file's (any extension, any internal path), or the
// nickname of embedded data.
std::string lane_stem(const DatasetInfo& raw) {
  if (raw.location == DataLocation::ProjectInternal) return raw.nickname;
  const std::string path = raw.file_path.empty() ? raw.stored_path : raw.file_path;
  return fs::path(path).stem().string();
}

// Which dataset of the crop file is the crop: "crop", the lane's old internal path, one named as
// the stem, or the file's only dataset (steinbock's rules, plus the project's own path).
std::string find_crop_dataset(hid_t file, const std::string& stem, const std::string& old_inner) {
  std::vector<std::string> tries{kCropDataset};
  if (!old_inner.empty()) tries.push_back(old_inner.front() == '/' ? old_inner.substr(1) : old_inner);
  tries.push_back(stem);
  for (const auto& name : tries)
    if (!name.empty() && hdf5::exists(file, name)) {
      auto h = hdf5::open_object(file, name);
      if (hdf5::object_type(h.id()) == hdf5::ObjectType::Dataset) return name;
    }
  std::vector<std::string> datasets;
  for (const auto& link : hdf5::list_links(file)) {
    if (!link.hard) continue;
    auto h = hdf5::open_object(file, link.name);
    if (hdf5::object_type(h.id()) == hdf5::ObjectType::Dataset) datasets.push_back(link.name);
  }
  if (datasets.size() == 1) return datasets.front();
  throw Error(ErrorKind::Usage, fmt::format("E_CROP_DATASET: no dataset '{}'{} and {} datasets at the top; which is the crop?",
                                            kCropDataset, old_inner.empty() ? "" : " or '" + old_inner + "'",
                                            datasets.empty() ? "no" : fmt::format("{} ({})", datasets.size(), fmt::join(datasets, ", "))));
}

// Reads what the crop is: marked, or its axes and channel axis (surgery.md §2.9 rule 2).
void inspect_crop(Crop& crop, const std::string& stem, const DatasetInfo& raw, const std::string& crop_axes) {
  auto f = hdf5::File::open_read_only(crop.source.string());
  crop.dataset = find_crop_dataset(f.id(), stem, raw.internal_path);
  auto ds = hdf5::open_object(f.id(), crop.dataset);
  const auto info = hdf5::dataset_info(ds.id());
  if (!is_numeric(info.type)) throw Error(ErrorKind::Format, fmt::format("/{} is {}, not an image", crop.dataset, info.description));
  const auto attrs = hdf5::attribute_names(ds.id());
  auto has = [&](const char* a) { return std::find(attrs.begin(), attrs.end(), a) != attrs.end(); };
  if (has("steinbock")) {
    const Value v = hdf5::read_attribute(ds.id(), "steinbock", 64);
    crop.marked = is_numeric(v.type()) && v.size() == 1 && v.number() != 0;
  }
  if (crop.marked) {
    if (info.shape.size() != 3)
      throw Error(ErrorKind::Format, fmt::format("/{} is marked as a steinbock crop but has {} axes, not c,y,x", crop.dataset,
                                                 info.shape.size()));
    crop.axes = "cyx";
    crop.channel_axis = 0;
    crop.c = info.shape[0], crop.y = info.shape[1], crop.x = info.shape[2];
    return;
  }
  // Axis order: given, else the crop's axistags, else the order the project stored for the lane.
  std::string axes = crop_axes;
  if (axes.empty() && has("axistags"))
    axes = parse_axistags_json(hdf5::read_attribute(ds.id(), "axistags", 1 << 20).text());
  if (axes.empty() && raw.axes.size() == info.shape.size()) axes = raw.axes;
  if (axes.empty())
    throw Error(ErrorKind::Usage, fmt::format("E_CROP_AXES: /{} has no axistags; give its axis order with --axisorder", crop.dataset));
  check_axes(axes);
  if (axes.size() != info.shape.size())
    throw Error(ErrorKind::Usage, fmt::format("E_CROP_AXES: axis order '{}' does not fit /{} of shape ({})", axes, crop.dataset,
                                              fmt::join(info.shape, ", ")));
  const auto ya = axes.find('y'), xa = axes.find('x');
  if (ya == std::string::npos || xa == std::string::npos)
    throw Error(ErrorKind::Usage, fmt::format("E_CROP_AXES: axis order '{}' of /{} has no y and x", axes, crop.dataset));
  std::uint64_t size = 1;
  for (auto e : info.shape) size *= e;
  crop.y = info.shape[ya], crop.x = info.shape[xa];
  crop.c = crop.y && crop.x ? size / (crop.y * crop.x) : 0;
  // The channel axis is the one as long as all non-spatial axes together (steinbock's rule):
  // c itself if it is, else the first other such axis; none when there is one channel.
  crop.channel_axis = std::string::npos;
  const auto ca = axes.find('c');
  if (ca != std::string::npos && info.shape[ca] == crop.c) crop.channel_axis = ca;
  for (std::size_t k = 0; k < axes.size() && crop.channel_axis == std::string::npos; ++k)
    if (k != ya && k != xa && info.shape[k] == crop.c) crop.channel_axis = k;
  if (crop.channel_axis == std::string::npos && crop.c != 1)
    throw Error(ErrorKind::Usage, fmt::format("E_CROP_AXES: /{} ('{}', shape ({})) has no channel axis of {} channels",
                                              crop.dataset, axes, fmt::join(info.shape, ", "), crop.c));
  crop.axes = axes;
  crop.source_desc = fmt::format("'{}' {} ({})", axes, to_string(info.type), fmt::join(info.shape, ", "));
}

// The crop as steinbock stores it: c,y,x float32 with ilastik's attributes.
void write_converted(const Crop& crop, const fs::path& tmp) {
  std::vector<float> out;
  std::vector<std::uint64_t> shape;
  {
    auto f = hdf5::File::open_read_only(crop.source.string());
    auto ds = hdf5::open_object(f.id(), crop.dataset);
    shape = hdf5::dataset_info(ds.id()).shape;
    const auto bytes = hdf5::read_hyperslab(ds.id(), std::vector<std::uint64_t>(shape.size(), 0), shape, ValueType::Float32);
    const float* in = reinterpret_cast<const float*>(bytes.data());
    std::vector<std::uint64_t> stride(shape.size(), 1);
    for (std::size_t k = shape.size(); k-- > 1;) stride[k - 1] = stride[k] * shape[k];
    const std::uint64_t cs = crop.channel_axis == std::string::npos ? 0 : stride[crop.channel_axis];
    const std::uint64_t ys = stride[crop.axes.find('y')], xs = stride[crop.axes.find('x')];
    out.resize(crop.c * crop.y * crop.x);
    std::size_t n = 0;
    for (std::uint64_t c = 0; c < crop.c; ++c)
      for (std::uint64_t y = 0; y < crop.y; ++y)
        for (std::uint64_t x = 0; x < crop.x; ++x) out[n++] = in[c * cs + y * ys + x * xs];
  }
  auto f = hdf5::File::create(tmp.string());
  auto ds = hdf5::write_dataset(f.id(), kCropDataset, Value::from_vector(out, {crop.c, crop.y, crop.x}));
  hdf5::write_attribute(ds.id(), "axistags", Value::string(axistags_json("cyx")));
  hdf5::write_attribute(ds.id(), "display_mode", Value::string("grayscale"));
  hdf5::write_attribute(ds.id(), "steinbock", Value::bools({true}));
  ds = hdf5::Handle();
  f.flush();
  f.close();
}

// `path` relative to `base` in '/' form ("" when equal).
std::string relative_to(const fs::path& path, const fs::path& base) {
  const std::string r = path.lexically_normal().lexically_relative(base.lexically_normal()).generic_string();
  return r == "." ? "" : r;
}

std::string joined(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

bool set_numbers(Node& group, const char* name, std::uint16_t v) {
  const Value want = Value::from_vector(std::vector<std::uint16_t>{v}, {1});
  if (const Node* old = group.child(name); old && old->is_dataset()) {
    const Value have = old->value();
    if (have.type() == want.type() && have.shape() == want.shape() && have.raw() == want.raw()) return false;
  }
  group.add_child(Node::make_dataset(name, want));
  return true;
}

}  // namespace

EditReport steinbock_fix(const std::string& project, const SteinbockFixOptions& o, const SaveOptions& save) {
  if (o.target != "bilingual" && o.target != "1.4")
    throw Error(ErrorKind::Usage, fmt::format("--target '{}': expected bilingual or 1.4", o.target));
  const bool bilingual = o.target == "bilingual";
  const surgery::BlockLayout layout{bilingual};
  const std::string target_version = layout.version();
  if (!o.crop_axes.empty()) check_axes(o.crop_axes);
  surgery::check_save(project, save);
  EditReport report;
  auto [p, tree] = surgery::open_for_edit(project);  // refuses other workflows and unreadable content
  const auto version = compat::IlastikVersion::parse(p.ilastik_version);
  const fs::path out_dir = fs::absolute(save.output.empty() ? project : save.output).parent_path();
  const fs::path crop_dir = fs::absolute(o.crops.empty() ? fs::path(p.directory) / "ilastik_crops" : fs::path(o.crops));
  const fs::path probab_dir =
      fs::absolute(o.probabilities.empty() ? fs::path(p.directory) / "ilastik_probabilities" : fs::path(o.probabilities));

  // Rule 1: the true labels, read in the order the saving version wrote.
  for (const auto& ll : p.labels)
    if (!ll.blocks.empty() && !ll.order_error.empty())
      throw Error(ErrorKind::Format, fmt::format("E_LABEL_ORDER: {}: {}", ll.group_name, ll.order_error));

  // Rules 2-4: each lane's crop, found by stem and checked before anything is written.
  std::map<std::string, Crop> crops = list_crops(crop_dir);
  std::vector<std::string> missing;
  std::vector<Crop*> lane_crop(p.lanes.size(), nullptr);
  for (std::size_t i = 0; i < p.lanes.size(); ++i) {
    const Lane& lane = p.lanes[i];
    if (!lane.raw) continue;
    const std::string stem = lane_stem(*lane.raw);
    auto it = crops.find(stem);
    if (it == crops.end()) {
      missing.push_back(fmt::format("{} ('{}')", lane.group_name, stem));
      continue;
    }
    Crop& crop = it->second;
    if (crop.used)
      throw Error(ErrorKind::Usage, fmt::format("E_CROP_AMBIGUOUS: lanes {} and {} both want the crop {}",
                                                p.lanes[crop.lane].group_name, lane.group_name, crop.source.string()));
    crop.used = true;
    crop.lane = i;
    lane_crop[i] = &crop;
    with_context(fmt::format("reading the crop {}", crop.source.string()), [&] { inspect_crop(crop, stem, *lane.raw, o.crop_axes); });
  }
  if (!missing.empty())
    throw Error(ErrorKind::Usage, fmt::format("E_CROP_MISSING: no <stem>.h5 or <stem>.hdf5 in {} for {}", crop_dir.string(),
                                              fmt::join(missing, ", ")));
  std::vector<std::string> unused;
  for (const auto& [stem, crop] : crops)
    if (!crop.used) unused.push_back(crop.source.filename().string());
  if (!unused.empty())
    throw Error(ErrorKind::Usage, fmt::format("E_CROP_UNUSED: no lane of the project uses {} (lanes are matched to crops by "
                                              "file stem); move it out of {} or add its lane in ilastik first",
                                              fmt::join(unused, ", "), crop_dir.string()));
  // Rule 2: one transposition for all crops (steinbock's check: mixed orders mean mixed sources).
  const Crop* first_converted = nullptr;
  for (const Crop* crop : lane_crop) {
    if (!crop || crop->marked) continue;
    if (!first_converted) first_converted = crop;
    else if (crop->axes != first_converted->axes || crop->channel_axis != first_converted->channel_axis)
      throw Error(ErrorKind::Usage, fmt::format("E_CROP_AXES: crops come in different axis orders: {} is {}, {} is {}",
                                                first_converted->source.filename().string(), first_converted->source_desc,
                                                crop->source.filename().string(), crop->source_desc));
  }
  // Rule 4: the same y, x extents and channel count as the lane's old data, and as the forest expects.
  std::size_t per_channel = 0;
  if (p.classifier && p.classifier->feature_count() > 0 && p.features && !p.features->empty())
    per_channel = feature_channels(*p.features, ImageGeometry::from_internal("yxc", {2, 2, 1})).size();
  for (std::size_t i = 0; i < p.lanes.size(); ++i) {
    const Crop* crop = lane_crop[i];
    if (!crop) continue;
    const DatasetInfo& raw = *p.lanes[i].raw;
    const std::string name = crop->source.filename().string();
    if (raw.shape && raw.shape->size() == raw.axes.size()) {
      auto extent = [&](char a) {
        const auto at = raw.axes.find(a);
        return at == std::string::npos ? std::int64_t{1} : (*raw.shape)[at];
      };
      const auto y = static_cast<std::uint64_t>(extent('y')), x = static_cast<std::uint64_t>(extent('x'));
      const bool bound = raw.shape_source == labels::kInferredShapeSource;
      if (bound ? (crop->y < y || crop->x < x) : (crop->y != y || crop->x != x))
        throw Error(ErrorKind::Usage, fmt::format("E_CROP_SHAPE: {} is {} x {} (y x) but {}'s data {} {} x {}", name, crop->y,
                                                  crop->x, p.lanes[i].group_name, bound ? "has labels up to" : "was", y, x));
      for (char a : std::string("tz"))
        if (extent(a) > 1)
          throw Error(ErrorKind::Usage, fmt::format("E_CROP_SHAPE: {}'s data has {} {} of {}; steinbock crops are 2-D",
                                                    p.lanes[i].group_name, a == 't' ? "a time axis" : "a z axis", a, extent(a)));
      if (!bound && static_cast<std::uint64_t>(extent('c')) != crop->c)
        throw Error(ErrorKind::Usage, fmt::format("E_CROP_SHAPE: {} has {} channels but {}'s data had {}; the forest's "
                                                  "feature columns are channels x features",
                                                  name, crop->c, p.lanes[i].group_name, extent('c')));
    }
    if (per_channel && p.classifier->feature_count() != crop->c * per_channel)
      throw Error(ErrorKind::Usage, fmt::format("E_CROP_SHAPE: {} has {} channels but the stored forest expects {} ({} columns "
                                                "of {} features per channel)",
                                                name, crop->c, p.classifier->feature_count() / per_channel,
                                                p.classifier->feature_count(), per_channel));
  }

  // The reader's own repairs and what 1.4.2 needs besides (as migrate).
  Diagnostics ignored;
  for (const auto& m : compat::migrate(tree, ignored)) report.notes.push_back("applied " + m);
  surgery::complete_layout(tree, p, report.notes, {0, false});
  Node& root = *tree.root;

  // Rule 5: the infos point at the crops.
  std::set<std::string> still_embedded;
  for (std::size_t i = 0; i < p.lanes.size(); ++i) {
    const Lane& lane = p.lanes[i];
    Node* info = root.find(fmt::format("{}/{}/{}/{}", names::kInputData, names::kInfos, lane.group_name, names::kRawData));
    if (!info || !lane_crop[i]) continue;
    const Crop& crop = *lane_crop[i];
    const std::string stem = crop.target.stem().string();
    const std::string path = joined(relative_to(crop.target.parent_path(), out_dir), crop.target.filename().string()) + "/" + kCropDataset;
    std::vector<std::string> changed;
    auto text = [&](const char* field, const std::string& value) {
      if (surgery::set_text(*info, field, value)) changed.push_back(field);
    };
    text(names::kInfoClass, "RelativeFilesystemDatasetInfo");
    text(names::kFilePath, path);
    text(names::kLocation, "FileSystem");
    text(names::kAxistags, axistags_json("cyx"));
    text(names::kNickname, stem);
    text("display_mode", "grayscale");
    if (surgery::add_missing(*info, names::kAllowLabels, Value::bools({true}))) changed.push_back(names::kAllowLabels);
    if (info->child(names::kDtype)) text(names::kDtype, "float32");
    const std::vector<std::int64_t> shape{static_cast<std::int64_t>(crop.c), static_cast<std::int64_t>(crop.y),
                                          static_cast<std::int64_t>(crop.x)};
    const Node* old_shape = info->child(names::kShape);
    if (!old_shape || !old_shape->is_dataset() || !is_integer(old_shape->value().type()) || old_shape->value().integers() != shape) {
      info->add_child(Node::make_dataset(names::kShape, Value::from_vector(shape, {3})));
      changed.push_back(names::kShape);
    }
    for (const char* stale : {names::kAxisorder, names::kInnerPath})
      if (info->remove_child(stale)) changed.push_back(std::string("-") + stale);
    if (!changed.empty())
      report.notes.push_back(fmt::format("{}: now {} ({})", lane.group_name, path, fmt::join(changed, ", ")));
  }
  // Embedded data no lane uses any more (rule 5): only those, other local_data stays.
  for (std::size_t i = 0; i < p.lanes.size(); ++i) {
    const Lane& lane = p.lanes[i];
    if (lane.raw && lane.raw->location == DataLocation::ProjectInternal && !lane_crop[i])
      still_embedded.insert(fs::path(lane.raw->internal_path).filename().string());
    if (lane.mask && lane.mask->location == DataLocation::ProjectInternal)  // masks keep their data
      still_embedded.insert(fs::path(lane.mask->internal_path).filename().string());
  }
  if (Node* local = root.find(std::string(names::kInputData) + "/" + names::kLocalData))
    for (Node* ds : local->children())
      if (!still_embedded.count(ds->name())) {
        const std::string name = ds->name();
        local->remove_child(name);
        report.notes.push_back(fmt::format("removed the embedded dataset {} no lane uses any more", name));
      }

  // Rule 6: blocks from the dense truth, c,y,x without axistags (bilingual) or y,x,c with them.
  const std::string order = bilingual ? "cyx" : "yxc";
  std::vector<std::vector<std::uint8_t>> truth(p.lanes.size());
  for (std::size_t i = 0; i < p.labels.size() && i < p.lanes.size(); ++i) {
    const LaneLabels& ll = p.labels[i];
    if (ll.blocks.empty() || !lane_crop[i]) continue;
    const Crop& crop = *lane_crop[i];
    const LabelVolume v = decode_labels(p, i);
    const auto ya = v.axes.find('y'), xa = v.axes.find('x');
    for (std::size_t k = 0; k < v.axes.size(); ++k)
      if (k != ya && k != xa && v.axes[k] != 'c' && v.shape[k] != 1)
        throw Error(ErrorKind::Usage, fmt::format("E_CROP_SHAPE: {} has labels along {} ({}); steinbock crops are 2-D",
                                                  ll.group_name, v.axes[k], v.shape[k]));
    // The labels on the crop's y, x grid (equal extents, or the crop larger than a lower bound).
    std::vector<std::uint64_t> vstride(v.axes.size(), 1);
    for (std::size_t k = v.axes.size(); k-- > 1;) vstride[k - 1] = vstride[k] * static_cast<std::uint64_t>(v.shape[k]);
    truth[i].assign(crop.y * crop.x, 0);
    for (std::int64_t y = 0; y < v.shape[ya]; ++y)
      for (std::int64_t x = 0; x < v.shape[xa]; ++x)
        truth[i][static_cast<std::uint64_t>(y) * crop.x + static_cast<std::uint64_t>(x)] =
            v.data[static_cast<std::uint64_t>(y) * vstride[ya] + static_cast<std::uint64_t>(x) * vstride[xa]];
    if (p.lanes[i].raw->axes == "cyx" && layout.blocks_fit(ll, order, version)) continue;
    const Shape shape{static_cast<std::int64_t>(crop.y), static_cast<std::int64_t>(crop.x), 1};
    report.notes.push_back(layout.rewrite(tree, ll, truth[i], "yxc", shape, order));
  }

  // Rule 8: steinbock's export settings.
  Node& exp = root.require_group(names::kPredictionExport);
  std::vector<std::string> export_changes;
  auto export_text = [&](const char* field, const std::string& value, StringForm form = StringForm::VarAscii) {
    if (surgery::set_text(exp, field, value, form)) export_changes.push_back(fmt::format("{} {}", field, value));
  };
  if (set_numbers(exp, "ExportMin", 0)) export_changes.push_back("ExportMin [0]");
  if (set_numbers(exp, "ExportMax", 65535)) export_changes.push_back("ExportMax [65535]");
  export_text("ExportDtype", "uint16", StringForm::VarUtf8);
  export_text("OutputAxisOrder", "yxc");
  export_text("OutputFormat", "tiff");
  export_text("OutputFilenameFormat", joined(relative_to(probab_dir, out_dir), "{nickname}.tiff"));
  export_text("OutputInternalPath", "exported_data");
  if (surgery::add_missing(exp, names::kStorageVersion, Value::string("0.1"))) export_changes.push_back("StorageVersion 0.1");
  if (!export_changes.empty()) report.notes.push_back(fmt::format("Prediction Export: {}", fmt::join(export_changes, ", ")));

  const auto needs_conversion = std::count_if(lane_crop.begin(), lane_crop.end(), [](const Crop* c) { return c && !c->marked; });
  if (needs_conversion == 0 && !surgery::has_edits(report.notes) && layout.version_fits(version)) {
    report.notes.push_back(fmt::format("already fixed for steinbock ({} layout, crops in {}); nothing written", o.target,
                                       crop_dir.string()));
    return report;
  }
  root.add_child(Node::make_dataset(names::kIlastikVersion, Value::string(target_version)));
  if (p.ilastik_version != target_version)
    report.notes.push_back(fmt::format("ilastikVersion {} -> {}", p.ilastik_version, target_version));
  if (!exp.child("InputMin") || !exp.child("InputMax"))
    report.notes.push_back("warning: InputMin/InputMax are left absent as steinbock leaves them, so an export from ilastik's "
                           "GUI is not rescaled to 0-65535; set the renormalization in its export dialog");

  // The converted crops, written complete next to their targets, then put in place (the
  // originals copied to <crop folder>.bak first) before the project that points at them.
  std::vector<std::pair<fs::path, const Crop*>> staged;
  auto discard = [&] {
    std::error_code ec;
    for (const auto& [tmp, crop] : staged) fs::remove(tmp, ec);
  };
  try {
    for (const Crop* crop : lane_crop) {
      if (!crop || crop->marked) continue;
      const fs::path tmp = crop->target.parent_path() / fmt::format(".{}.ilpkit-{}.new", crop->target.filename().string(), ::getpid());
      staged.emplace_back(tmp, crop);
      with_context(fmt::format("converting the crop {}", crop->source.string()), [&] { write_converted(*crop, tmp); });
    }
  } catch (...) {
    discard();
    throw;
  }
  const fs::path crop_backup = crop_dir.parent_path() / (crop_dir.filename().string() + ".bak");
  std::size_t installed = 0;
  try {
    for (const auto& [tmp, crop] : staged) {
      std::error_code ec;
      if (save.backup && fs::exists(crop->target, ec)) {
        const fs::path bak = crop_backup / crop->target.lexically_relative(crop_dir);
        fs::create_directories(bak.parent_path(), ec);
        const fs::path partial = bak.string() + ".partial";
        fs::copy_file(crop->target, partial, fs::copy_options::overwrite_existing, ec);
        if (!ec) fs::rename(partial, bak, ec);
        if (ec) throw Error(ErrorKind::Io, fmt::format("cannot back up {} as {}: {}", crop->target.string(), bak.string(), ec.message()));
      }
      fs::rename(tmp, crop->target, ec);
      if (ec) throw Error(ErrorKind::Io, fmt::format("cannot rename the converted {} into place: {}", crop->target.string(), ec.message()));
      ++installed;
      report.notes.push_back(fmt::format("crop {}: /{} {} -> {}/crop c,y,x float32 ({}, {}, {})",
                                         crop->source.filename().string(), crop->dataset, crop->source_desc,
                                         crop->target == crop->source ? "" : crop->target.filename().string(), crop->c,
                                         crop->y, crop->x));
    }
    // Rule 9, on the staged project: labels as ilpkit, 1.4.2 (and 1.3.3post3) read them; forests.
    surgery::save_project(tree, project, save, report, [&](const std::string& staged_project) {
      surgery::verify_written(staged_project, truth, p.classifier, bilingual);
    });
  } catch (const Error& e) {
    discard();
    if (installed == 0) throw;
    throw Error(e.kind(), fmt::format("{} ({} crop(s) were already converted; their originals are in {}; running steinbock-fix "
                                      "again skips them)",
                                      e.what(), installed, save.backup ? crop_backup.string() : std::string("no backup")));
  }
  if (installed && save.backup) report.notes.push_back(fmt::format("the original crops are in {}", crop_backup.string()));
  report.changed = true;
  return report;
}

}  // namespace ilpkit
