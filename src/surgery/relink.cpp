// SPDX-License-Identifier: MIT
// `ilpkit relink` (surgery.md §2.2, §2.3). New paths come from explicit lanes, prefix maps or a
// search by file name; each is checked with ilpkit's own readers against what the project says
// about the lane (axes, channels, label blocks in their decided order) before anything is
// written, and written the way ilastik writes paths (forward slashes, relative inside the
// project folder, internal path appended).
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/image.hpp"
#include "ilpkit/surgery.hpp"
#include "names.hpp"
#include "paths.hpp"
#include "save.hpp"

namespace ilpkit {

namespace {

namespace fs = std::filesystem;

std::string slashes(std::string s) {
  std::replace(s.begin(), s.end(), '\\', '/');
  return s;
}

// OLD=NEW on the normalized path; a drive letter matches in either case.
std::optional<std::string> apply_maps(const std::string& stored, const RelinkOptions& o) {
  const std::string path = slashes(stored);
  for (const auto& [from_raw, to] : o.maps) {
    const std::string from = slashes(from_raw);
    if (from.empty() || path.size() < from.size()) continue;
    // Windows paths (a drive letter) compare without case, as Windows does.
    const bool windows = from.size() > 1 && from[1] == ':';
    bool same = true;
    for (std::size_t i = 0; i < from.size() && same; ++i)
      same = windows ? std::tolower(static_cast<unsigned char>(path[i])) == std::tolower(static_cast<unsigned char>(from[i]))
                     : path[i] == from[i];
    if (same && (path.size() == from.size() || path[from.size()] == '/' || from.back() == '/'))
      return slashes(to) + path.substr(from.size());
  }
  return std::nullopt;
}

// The files under the search folders by name, listed once for all lanes (the folders may be large).
class SearchIndex {
 public:
  explicit SearchIndex(const std::vector<std::string>& folders) {
    for (const auto& dir : folders) {
      std::error_code ec;
      for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec)) files_[it->path().filename().string()].insert(fs::absolute(it->path()).lexically_normal().string());
    }
  }

  /// The one file with this name (E_RELINK_AMBIGUOUS for several).
  std::optional<std::string> find(const std::string& name) const {
    const auto it = files_.find(name);
    if (it == files_.end()) return std::nullopt;
    if (it->second.size() > 1)
      throw Error(ErrorKind::Usage, fmt::format("E_RELINK_AMBIGUOUS: {} files named {} under the search folders ({}); "
                                                "give the lane explicitly with --lane",
                                                it->second.size(), name, fmt::join(it->second, ", ")));
    return *it->second.begin();
  }

 private:
  std::map<std::string, std::set<std::string>> files_;
};

bool inside(const fs::path& file, const fs::path& dir) {
  const auto rel = file.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

struct Target {
  std::string stored;  ///< as it will be written
  std::string cls;     ///< dataset-info class for it
  Shape shape;
  std::string dtype;
};

// Checks a candidate for a lane and decides how to write it.
Target check_target(const std::string& candidate, const std::string& project_dir, const Lane& lane,
                    const LaneLabels* labels, const RelinkOptions& o) {
  // ilastik splits file and internal path at the last HDF5-like extension it finds first in the
  // string: a folder such as "run.h5_out/" or "x.h5/" (a directory) breaks every path under it.
  const std::string plain = slashes(candidate);
  for (const char* ext : {".h5", ".hdf5", ".ilp", ".n5", ".npz"}) {
    const std::size_t len = std::char_traits<char>::length(ext);
    for (auto pos = plain.find(ext); pos != std::string::npos; pos = plain.find(ext, pos + 1)) {
      const std::size_t end = pos + len;
      const bool folder_name = end < plain.size() && plain[end] != '/' && plain.find('/', end) != std::string::npos;
      std::error_code ec;
      const fs::path prefix = fs::path(project_dir) / plain.substr(0, end);
      const bool folder = end < plain.size() && plain[end] == '/' && fs::is_directory(plain.front() == '/' ? fs::path(plain.substr(0, end)) : prefix, ec);
      if (folder_name || folder)
        throw Error(ErrorKind::Usage, fmt::format("E_PATH_AMBIGUOUS: a folder in '{}' contains '{}', so ilastik would split "
                                                  "the path there; move the data to another folder",
                                                  candidate, ext));
    }
  }
  const auto r = paths::resolve(candidate, project_dir);
  if (r.stack) throw Error(ErrorKind::Usage, fmt::format("E_RELINK_STACK: {}: {}", candidate, r.reason));
  if (!r.exists) throw Error(ErrorKind::Io, fmt::format("E_RELINK_MISSING: {} not found ({})", candidate, r.reason));
  const fs::path file = fs::path(r.file).lexically_normal();
  auto image = with_context(fmt::format("relinking {} to {}", lane.group_name, candidate),
                            [&] { return open_image(r.internal.empty() ? r.file : r.file + r.internal); });
  const ImageInfo& info = image->info();
  Target t;
  t.shape = info.shape;
  t.dtype = to_string(info.dtype);
  const DatasetInfo& raw = *lane.raw;
  // Image files get a channel axis from ilastik's readers, so only HDF5 ranks are compared.
  const bool hdf5 = !info.internal_path.empty();
  if (hdf5 && !raw.axes.empty() && raw.axes_source == "axistags" && raw.axes.size() != info.shape.size())
    throw Error(ErrorKind::Usage, fmt::format("E_RELINK_NDIM: {} is {}-D but the lane's axes are '{}'", candidate,
                                              info.shape.size(), raw.axes));
  const std::string axes = raw.axes.empty() || raw.axes.size() != info.shape.size() ? info.axes : raw.axes;
  auto extent = [&](const std::string& ax, const Shape& shape, char a) -> std::int64_t {
    const auto at = ax.find(a);
    return at == std::string::npos || at >= shape.size() ? 1 : shape[at];
  };
  if (raw.shape && raw.shape_source == "info" && raw.shape->size() == info.shape.size() &&
      extent(axes, *raw.shape, 'c') != extent(axes, info.shape, 'c'))
    throw Error(ErrorKind::Usage, fmt::format("E_RELINK_CHANNELS: {} has {} channel(s), the lane had {}", candidate,
                                              extent(axes, info.shape, 'c'), extent(axes, *raw.shape, 'c')));
  if (labels)
    for (const auto& b : labels->blocks)
      for (std::size_t k = 0; k < labels->stored_axes.size() && k < b.stop.size(); ++k) {
        const char a = labels->stored_axes[k];
        if (a == 'c' || axes.find(a) == std::string::npos) continue;
        if (b.stop[k] > extent(axes, info.shape, a))
          throw Error(ErrorKind::Usage,
                      fmt::format("E_RELINK_SHAPE: {} is smaller than the labels ({}: {} up to {}, the data has {}); "
                                  "ilastik 1.4.2 would drop every label of the lane silently",
                                  candidate, b.name, a, b.stop[k], extent(axes, info.shape, a)));
      }
  // How ilastik writes it: forward slashes, internal path appended, relative inside the project folder.
  const fs::path dir = fs::path(project_dir).lexically_normal();
  const bool relative = o.style == RelinkOptions::Style::Relative ||
                        (o.style == RelinkOptions::Style::Auto && inside(file, dir));
  std::string written = relative ? file.lexically_relative(dir).generic_string() : file.generic_string();
  const std::string internal = info.internal_path.empty() ? r.internal : info.internal_path;
  if (!internal.empty()) written += internal.front() == '/' ? internal : "/" + internal;
  t.stored = written;
  t.cls = relative ? "RelativeFilesystemDatasetInfo" : "FilesystemDatasetInfo";
  return t;
}

}  // namespace

EditReport relink(const std::string& project, const RelinkOptions& o, const SaveOptions& save) {
  EditReport report;
  auto [p, tree] = surgery::open_for_edit(project);
  const std::string project_dir = p.directory;
  bool drop_forest = false;
  const SearchIndex index_of_search(o.search);
  for (const auto& [index, path] : o.lanes)
    if (index >= p.lanes.size())
      throw Error(ErrorKind::Usage, fmt::format("--lane {}: the project has {} lane(s)", index, p.lanes.size()));

  std::vector<std::pair<std::string, std::size_t>> relinked;  // new file name, lane
  for (std::size_t i = 0; i < p.lanes.size(); ++i) {
    const Lane& lane = p.lanes[i];
    if (!lane.raw || lane.raw->location != DataLocation::FileSystem) continue;  // embedded or URL data stays
    const DatasetInfo& raw = *lane.raw;
    Node* info = tree.root->find(fmt::format("{}/{}/{}/{}", names::kInputData, names::kInfos, lane.group_name, names::kRawData));
    if (!info)
      throw Error(ErrorKind::Unsupported, fmt::format("{}: old lane layout; run `ilpkit migrate` first", lane.group_name));
    // The candidate: explicit, mapped, found by name, or the stored path (re-expressed).
    std::optional<std::string> candidate;
    for (const auto& [index, path] : o.lanes)
      if (index == i) candidate = path;
    if (!candidate) candidate = apply_maps(raw.stored_path, o);
    if (!candidate && !raw.found && !o.search.empty()) {
      const std::string name = fs::path(paths::split_internal_path(slashes(raw.stored_path)).first).filename().string();
      if (auto hit = index_of_search.find(name)) {
        candidate = *hit + paths::split_internal_path(slashes(raw.stored_path)).second;
        report.notes.push_back(fmt::format("{}: found {} by its name", lane.group_name, *hit));
      }
    }
    if (!candidate) {
      if (!raw.found) {
        report.notes.push_back(fmt::format("{}: {} still not found ({}); give --map, --search or --lane", lane.group_name,
                                           raw.stored_path, raw.not_found_reason));
        ++report.unresolved;
        continue;
      }
      if (o.style == RelinkOptions::Style::Auto) continue;  // found and no re-expression asked
      candidate = raw.file_path + raw.internal_path;
    }
    const LaneLabels* labels = i < p.labels.size() && !p.labels[i].blocks.empty() ? &p.labels[i] : nullptr;
    const Target t = check_target(*candidate, project_dir, lane, labels, o);
    if (t.stored == raw.stored_path) continue;
    info->add_child(Node::make_dataset(names::kFilePath, Value::string(t.stored)));
    info->add_child(Node::make_dataset(names::kInfoClass, Value::string(t.cls)));
    info->add_child(Node::make_dataset(names::kLocation, Value::string("FileSystem")));
    report.notes.push_back(fmt::format("{}: {} -> {}", lane.group_name, raw.stored_path, t.stored));
    relinked.emplace_back(fs::path(paths::split_internal_path(t.stored).first).filename().string(), i);
    if (raw.dtype && *raw.dtype != t.dtype)
      report.notes.push_back(fmt::format("warning: W_RELINK_DTYPE: {} was {}, the new data is {}; features and "
                                         "predictions change with it",
                                         lane.group_name, *raw.dtype, t.dtype));
    const bool same_size = raw.shape && *raw.shape == t.shape;
    if (!same_size && raw.shape_source == "info") {
      std::vector<std::int64_t> shape(t.shape.begin(), t.shape.end());
      info->add_child(Node::make_dataset(names::kShape, Value::from_vector(shape, {shape.size()})));
      drop_forest |= !o.keep_forest;
      report.notes.push_back(fmt::format("{}: shape ({}) -> ({})", lane.group_name, fmt::join(*raw.shape, ", "),
                                         fmt::join(t.shape, ", ")));
    }
    report.changed = true;
  }
  // ilastik #2686: its GUI relinks by the order files are picked in the dialog (by name), which
  // puts labels on the wrong images when the lanes are not in name order. ilpkit matched by lane
  // and name; say so when the orders differ.
  if (relinked.size() > 1) {
    auto by_name = relinked;
    std::stable_sort(by_name.begin(), by_name.end());
    if (by_name != relinked) {
      std::vector<std::string> order;
      for (const auto& [name, lane] : by_name) order.push_back(p.lanes[lane].group_name);
      report.notes.push_back(fmt::format("warning: W_RELINK_LANE_ORDER: in file-name order the new files belong to {}; "
                                         "relinking them in ilastik's dialog in that order would put the labels on the "
                                         "wrong images (ilastik #2686); ilpkit matched each lane by itself",
                                         fmt::join(order, ", ")));
    }
  }
  if (o.export_template && p.export_settings && p.export_settings->filename_format) {
    if (auto mapped = apply_maps(*p.export_settings->filename_format, o)) {
      if (Node* ex = tree.root->child(names::kPredictionExport)) {
        ex->add_child(Node::make_dataset("OutputFilenameFormat", Value::string(*mapped)));
        report.notes.push_back(fmt::format("export template -> {}", *mapped));
        report.changed = true;
      }
    }
  }
  if (drop_forest) {
    if (Node* pc = tree.root->child(names::kPixelClassification); pc && pc->child(names::kClassifierForests)) {
      pc->remove_child(names::kClassifierForests);
      report.notes.push_back("removed the stored classifier: the new data has another size, so it shows other pixels "
                             "(--keep-forest keeps it)");
    }
  }
  if (!report.changed) {
    report.notes.push_back(report.unresolved ? "nothing written" : "every lane already points at its data; nothing written");
    return report;
  }
  // Read back before it replaces anything: the labels must be unchanged (ilastik 1.4.2 drops
  // them when they do not fit).
  surgery::save_project(tree, project, save, report, [&](const std::string& staged) {
    const Project after = read_project(staged);
    for (std::size_t i = 0; i < p.labels.size() && i < after.labels.size(); ++i) {
      if (p.labels[i].blocks.empty()) continue;
      const bool same = after.labels[i].counts == p.labels[i].counts &&
                        after.labels[i].stored_axes == p.labels[i].stored_axes && after.labels[i].order_error.empty();
      if (!same) throw Error(ErrorKind::Internal, fmt::format("{}: the labels of lane {} read back differently", staged, i));
    }
  });
  return report;
}

}  // namespace ilpkit
