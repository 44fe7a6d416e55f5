// SPDX-License-Identifier: MIT
// `ilpkit embed` / `ilpkit extract` (surgery.md §2.4, §2.5): a lane's raw data into the project in
// ilastik's ProjectInternal layout, or out of it into an HDF5 file next to the project. The pixels
// move bit for bit in the data's own axis order; nickname, axes, shape and labels stay, so the
// stored forest stays valid and exports are unchanged.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "hdf5.hpp"
#include "ilpkit/axes.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/image.hpp"
#include "ilpkit/surgery.hpp"
#include "labels.hpp"
#include "names.hpp"
#include "save.hpp"

namespace ilpkit {

namespace {

namespace fs = std::filesystem;

// ilastik names embedded datasets by uuid1; any unique id works (it is only looked up by name).
std::string new_dataset_id() {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ static_cast<std::uint64_t>(::getpid()));
  const std::uint64_t a = rng(), b = rng();
  return fmt::format("{:08x}-{:04x}-1{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                     ((b >> 48) & 0x3fff) | 0x8000, b & 0xffffffffffffULL);
}

bool selected(const std::vector<std::size_t>& lanes, std::size_t i) {
  return lanes.empty() || std::find(lanes.begin(), lanes.end(), i) != lanes.end();
}

Node& info_node(IlpTree& tree, const Lane& lane) {
  Node* info = tree.root->find(fmt::format("{}/{}/{}/{}", names::kInputData, names::kInfos, lane.group_name, names::kRawData));
  if (!info) throw Error(ErrorKind::Unsupported, fmt::format("{}: old lane layout; run `ilpkit migrate` first", lane.group_name));
  return *info;
}

// The lane's pixels as ilastik reads them, in the data's own order and type.
Value read_pixels(const DatasetInfo& raw) {
  if (!raw.internal_path.empty()) {
    auto f = hdf5::File::open_read_only(raw.file_path);
    auto ds = hdf5::open_object(f.id(), raw.internal_path);
    return hdf5::read_dataset(ds.id(), std::uint64_t{64} << 30);
  }
  // Image files: read through ilpkit's readers (exact for their 8/16-bit and float32 samples),
  // with the lane's axes applied to the file's dimensions as ilastik applies them, and laid out
  // in that order.
  auto image = open_image(raw.file_path);
  if (!raw.axes.empty() && raw.axes.size() == image->info().shape.size()) image->set_axes(raw.axes, "the lane's axistags");
  const ImageInfo& info = image->info();
  const auto g = info.geometry();
  const std::int64_t T = std::max<std::int64_t>(info.extent('t'), 1);
  std::vector<PlanarBlock> frames(static_cast<std::size_t>(T));
  for (std::int64_t t = 0; t < T; ++t) image->read(t, Box{{0, 0, 0}, {g.z, g.y, g.x}}, frames[static_cast<std::size_t>(t)]);
  std::vector<float> values;
  values.reserve(static_cast<std::size_t>(T * g.channels * g.z * g.y * g.x));
  std::vector<std::int64_t> idx(info.axes.size(), 0);
  const std::int64_t count = T * g.channels * g.z * g.y * g.x;
  for (std::int64_t n = 0; n < count; ++n) {
    std::int64_t t = 0, c = 0, z = 0, y = 0, x = 0;
    for (std::size_t k = 0; k < info.axes.size(); ++k) {
      switch (info.axes[k]) {
        case 't': t = idx[k]; break;
        case 'c': c = idx[k]; break;
        case 'z': z = idx[k]; break;
        case 'y': y = idx[k]; break;
        case 'x': x = idx[k]; break;
        default: break;
      }
    }
    values.push_back(frames[static_cast<std::size_t>(t)].channel(static_cast<int>(c))[(z * g.y + y) * g.x + x]);
    for (std::size_t k = info.axes.size(); k-- > 0;) {
      if (++idx[k] < info.shape[k]) break;
      idx[k] = 0;
    }
  }
  std::vector<unsigned char> bytes(values.size() * element_size(info.dtype));
  convert_export_values(values.data(), values.size(), info.dtype, std::nullopt, bytes.data());
  std::vector<std::uint64_t> shape(info.shape.begin(), info.shape.end());
  return Value::numeric(info.dtype, shape, std::move(bytes));
}

// Saves the edit after checking, on the staged file, that every lane's labels read as before
// (moving the pixels must not change the lane's axes or extents).
void save_keeping_labels(const IlpTree& tree, const std::string& project, const Project& before, const SaveOptions& save,
                         EditReport& report) {
  surgery::save_project(tree, project, save, report, [&](const std::string& staged) {
    const Project after = read_project(staged);
    for (std::size_t i = 0; i < before.labels.size(); ++i) {
      if (before.labels[i].blocks.empty() || !before.labels[i].order_error.empty()) continue;
      if (i >= after.lanes.size() || decode_labels(after, i).data != decode_labels(before, i).data)
        throw Error(ErrorKind::Internal, fmt::format("{}: lane {}'s labels read back differently", staged, i));
    }
  });
}

}  // namespace

EditReport embed(const std::string& project, const EmbedOptions& o, const SaveOptions& save) {
  EditReport report;
  auto [p, tree] = surgery::open_for_edit(project);
  for (std::size_t i = 0; i < p.lanes.size(); ++i) {
    const Lane& lane = p.lanes[i];
    if (!selected(o.lanes, i) || !lane.raw || lane.raw->location != DataLocation::FileSystem) continue;
    const DatasetInfo& raw = *lane.raw;
    if (!raw.found)
      throw Error(ErrorKind::Io, fmt::format("E_DATA_MISSING: {}: {} not found ({}); relink it first", lane.group_name,
                                             raw.stored_path, raw.not_found_reason));
    Value pixels = with_context(fmt::format("embedding {}", raw.stored_path), [&] { return read_pixels(raw); });
    // ilastik reads image files with a channel axis: take the lane's stored shape when it only
    // adds singleton axes.
    std::vector<std::uint64_t> shape = pixels.shape();
    if (raw.shape && raw.shape_source != labels::kInferredShapeSource) {
      std::uint64_t stored_count = 1, count = 1;
      for (auto v : *raw.shape) stored_count *= static_cast<std::uint64_t>(v);
      for (auto v : shape) count *= v;
      if (stored_count != count)
        throw Error(ErrorKind::Usage, fmt::format("E_SHAPE: {} has shape ({}) but the project stores ({})", raw.stored_path,
                                                  fmt::join(shape, ", "), fmt::join(*raw.shape, ", ")));
      shape.assign(raw.shape->begin(), raw.shape->end());
    }
    const std::string axes = raw.axes.size() == shape.size() ? raw.axes : default_axes(Shape(shape.begin(), shape.end()));
    const std::string id = new_dataset_id();
    const std::string inner = fmt::format("/{}/{}/{}", names::kInputData, names::kLocalData, id);
    auto ds = Node::make_dataset(id, Value::numeric(pixels.type(), shape, std::vector<unsigned char>(pixels.raw())));
    // About 512 kB per chunk with t and c by 1, as ilastik stores embedded data.
    ds->set_storage({surgery::chunk_about(shape, element_size(pixels.type()), 512 * 1024, axes), o.gzip_level});
    ds->set_attribute("axistags", Value::string(axistags_json(axes), StringForm::VarUtf8));
    std::vector<std::string> labels;
    for (char a : axes) labels.emplace_back(1, a);
    ds->set_attribute("DIMENSION_LABELS", Value::strings(labels, {labels.size()}));
    ds->set_attribute("display_mode", Value::string("default", StringForm::VarUtf8));
    if (pixels.type() == ValueType::UInt8) ds->set_attribute("drange", Value::from_vector(std::vector<std::uint8_t>{0, 255}, {2}));
    tree.root->require_group(names::kInputData).require_group(names::kLocalData).add_child(std::move(ds));

    Node& info = info_node(tree, lane);
    info.add_child(Node::make_dataset(names::kInfoClass, Value::string("ProjectInternalDatasetInfo")));
    info.add_child(Node::make_dataset(names::kLocation, Value::string("ProjectInternal")));
    info.add_child(Node::make_dataset(names::kFilePath, Value::string(inner)));
    info.add_child(Node::make_dataset(names::kInnerPath, Value::string(inner)));
    info.add_child(Node::make_dataset(names::kDatasetId, Value::string(id)));
    info.add_child(Node::make_dataset("fromstack", Value::bools({true})));
    report.notes.push_back(fmt::format("{}: {} embedded as {} ({:.1f} MB of pixels before compression)", lane.group_name,
                                       raw.stored_path, inner, static_cast<double>(pixels.raw().size()) / 1e6));
    report.changed = true;
  }
  if (!report.changed) {
    report.notes.push_back("no lane with external data to embed; nothing written");
    return report;
  }
  save_keeping_labels(tree, project, p, save, report);
  return report;
}

EditReport extract(const std::string& project, const ExtractOptions& o, const SaveOptions& save) {
  EditReport report;
  auto [p, tree] = surgery::open_for_edit(project);
  const fs::path project_dir = fs::path(p.directory);
  const fs::path out_dir = o.directory.empty() ? project_dir / (fs::path(project).stem().string() + "_data")
                                               : fs::absolute(o.directory).lexically_normal();
  // Which infos point at which embedded dataset (one dataset may serve several lanes).
  std::map<std::string, std::vector<std::size_t>> users;
  for (std::size_t i = 0; i < p.lanes.size(); ++i)
    if (p.lanes[i].raw && p.lanes[i].raw->location == DataLocation::ProjectInternal) users[p.lanes[i].raw->internal_path].push_back(i);
  std::vector<std::string> written_files;
  try {
    for (const auto& [inner, lanes] : users) {
      if (std::none_of(lanes.begin(), lanes.end(), [&](std::size_t i) { return selected(o.lanes, i); })) continue;
      const DatasetInfo& raw = *p.lanes[lanes.front()].raw;
      if (!raw.found) throw Error(ErrorKind::Format, fmt::format("E_DATA_MISSING: {}: {}", inner, raw.not_found_reason));
      const Node* ds = tree.root->find(inner.front() == '/' ? inner.substr(1) : inner);
      if (!ds) throw Error(ErrorKind::Format, fmt::format("{}: embedded dataset missing", inner));
      std::string name = raw.nickname.empty() ? fs::path(inner).filename().string() : raw.nickname;
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.') ch = '_';
      const fs::path file = out_dir / (name + ".h5");
      std::error_code ec;
      if (fs::exists(file, ec) && !o.force)
        throw Error(ErrorKind::Usage, fmt::format("E_EXISTS: {} exists; give --force to replace it", file.string()));
      fs::create_directories(out_dir, ec);
      // Written complete under a temporary name, then renamed.
      const fs::path tmp = out_dir / fmt::format(".{}.tmp-{}", file.filename().string(), ::getpid());
      {
        auto f = hdf5::File::create(tmp.string());
        const Value v = ds->value();
        std::vector<std::uint64_t> chunk = ds->storage().chunk;
        if (chunk.size() != v.shape().size()) chunk = surgery::chunk_about(v.shape(), element_size(v.type()), 512 * 1024, raw.axes);
        auto h = hdf5::write_dataset(f.id(), "/data", v, chunk, 1);
        for (const auto& [k, a] : ds->attributes())
          if (a.type() != ValueType::Other) hdf5::write_attribute(h.id(), k, a);
        h = hdf5::Handle();
        f.flush();
        f.close();
      }
      fs::rename(tmp, file, ec);
      if (ec) throw Error(ErrorKind::Io, fmt::format("cannot rename {} into place: {}", file.string(), ec.message()));
      written_files.push_back(file.string());

      const bool relative = !file.lexically_relative(project_dir).empty() && *file.lexically_relative(project_dir).begin() != "..";
      const std::string stored = (relative ? file.lexically_relative(project_dir).generic_string() : file.generic_string()) + "/data";
      for (std::size_t i : lanes) {
        Node& info = info_node(tree, p.lanes[i]);
        info.add_child(Node::make_dataset(names::kInfoClass, Value::string(relative ? "RelativeFilesystemDatasetInfo" : "FilesystemDatasetInfo")));
        info.add_child(Node::make_dataset(names::kLocation, Value::string("FileSystem")));
        info.add_child(Node::make_dataset(names::kFilePath, Value::string(stored)));
        info.add_child(Node::make_dataset(names::kDatasetId, Value::string(new_dataset_id())));
        info.remove_child(names::kInnerPath);
        info.remove_child("fromstack");
        report.notes.push_back(fmt::format("{}: {} extracted to {}", p.lanes[i].group_name, inner, stored));
      }
      if (Node* local = tree.root->find(std::string(names::kInputData) + "/" + names::kLocalData))
        local->remove_child(fs::path(inner).filename().string());
      report.changed = true;
    }
    if (!report.changed) {
      report.notes.push_back("no embedded lane to extract; nothing written");
      return report;
    }
    save_keeping_labels(tree, project, p, save, report);
  } catch (...) {
    // The project was not changed: the files written for it would only confuse.
    std::error_code ec;
    for (const auto& f : written_files) fs::remove(f, ec);
    throw;
  }
  report.notes.push_back("note: {dataset_dir} in export templates now means the data folder, not the project's");
  return report;
}

}  // namespace ilpkit
