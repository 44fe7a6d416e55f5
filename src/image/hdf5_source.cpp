// SPDX-License-Identifier: MIT
// HDF5 datasets as images: axes from the dataset's vigra `axistags` attribute, else ilastik's
// default order for the rank (ilp-format.md §3.6). Reads go through the global HDF5 lock.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>

#include <fmt/format.h>

#include "../hdf5/hdf5.hpp"
#include "ilpkit/error.hpp"
#include "sources.hpp"

namespace ilpkit::image_detail {

namespace fs = std::filesystem;

namespace {

bool is_hdf5_extension(std::string ext) {
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return ext == ".h5" || ext == ".hdf5" || ext == ".hdf" || ext == ".ilp";
}

class Hdf5Image final : public ImageSource {
 public:
  Hdf5Image(hdf5::File file, hdf5::Handle dataset, ImageInfo info)
      : file_(std::move(file)), dataset_(std::move(dataset)) {
    info_ = std::move(info);
  }

  void read(std::int64_t t, const Box& box, PlanarBlock& out) const override {
    const auto& axes = info_.axes;
    std::vector<std::uint64_t> start(axes.size()), count(axes.size());
    std::vector<std::int64_t> counts(axes.size());
    for (std::size_t i = 0; i < axes.size(); ++i) {
      std::int64_t b = 0, n = info_.shape[i];
      switch (axes[i]) {
        case 't': b = t, n = 1; break;
        case 'z': b = box.begin[0], n = box.extent(0); break;
        case 'y': b = box.begin[1], n = box.extent(1); break;
        case 'x': b = box.begin[2], n = box.extent(2); break;
        default: break;
      }
      start[i] = static_cast<std::uint64_t>(b);
      count[i] = static_cast<std::uint64_t>(n);
      counts[i] = n;
    }
    thread_local std::vector<unsigned char> bytes;  // reused: blocks are read one after another
    with_context(fmt::format("reading {}{}", info_.path, info_.internal_path), [&] {
      hdf5::read_hyperslab_into(dataset_.id(), start, count, ValueType::Float32, bytes);
    });
    out.reset(box, static_cast<int>(info_.extent('c')));
    scatter_to_planar(reinterpret_cast<const float*>(bytes.data()), axes, counts, out);
  }

 private:
  hdf5::File file_;
  hdf5::Handle dataset_;
};

void collect_datasets(hid_t group, const std::string& prefix, std::vector<std::string>& out, int depth) {
  if (depth > 32 || out.size() > 64) return;
  for (const auto& link : hdf5::list_links(group)) {
    if (!link.hard) continue;
    std::string path = prefix + "/" + link.name;
    hdf5::Handle obj = hdf5::open_object(group, link.name);
    auto type = hdf5::object_type(obj.id());
    if (type == hdf5::ObjectType::Dataset)
      out.push_back(path);
    else if (type == hdf5::ObjectType::Group)
      collect_datasets(obj.id(), path, out, depth + 1);
  }
}

}  // namespace

std::optional<std::pair<std::string, std::string>> split_hdf5_path(const std::string& spec) {
  // The first prefix ending in an HDF5 extension that is an existing file; the rest is the
  // internal path. A spec that is itself an HDF5 file name (existing or not) has no inner path.
  std::error_code ec;
  for (std::size_t pos = spec.find('/'); pos != std::string::npos; pos = spec.find('/', pos + 1)) {
    std::string prefix = spec.substr(0, pos);
    if (is_hdf5_extension(fs::path(prefix).extension().string()) && fs::is_regular_file(prefix, ec))
      return std::make_pair(prefix, spec.substr(pos));
  }
  if (is_hdf5_extension(fs::path(spec).extension().string())) return std::make_pair(spec, std::string());
  return std::nullopt;
}

std::unique_ptr<ImageSource> open_hdf5_image(const std::string& file, const std::string& internal_path) {
  return with_context(fmt::format("reading {}", file), [&]() -> std::unique_ptr<ImageSource> {
    std::error_code ec;
    if (!fs::exists(file, ec)) throw Error(ErrorKind::Io, "no such file");
    hdf5::File f = hdf5::File::open_read_only(file);
    std::string inner = internal_path;
    if (inner.empty()) {
      std::vector<std::string> found;
      collect_datasets(f.id(), "", found, 0);
      if (found.size() != 1)
        throw Error(ErrorKind::Usage,
                    found.empty() ? std::string("the file holds no dataset")
                                  : fmt::format("the file holds {} datasets ({}); name one as {}/<dataset>",
                                                found.size(), fmt::join(found.begin(), found.begin() + std::min<std::size_t>(found.size(), 5), ", "), file));
      inner = found.front();
    }
    if (!hdf5::exists(f.id(), inner)) throw Error(ErrorKind::Io, fmt::format("no dataset '{}' in the file", inner));
    hdf5::Handle ds = hdf5::open_object(f.id(), inner);
    if (hdf5::object_type(ds.id()) != hdf5::ObjectType::Dataset)
      throw Error(ErrorKind::Usage, fmt::format("'{}' is a group, not a dataset", inner));
    auto di = hdf5::dataset_info(ds.id());
    switch (di.type) {
      case ValueType::Int8: case ValueType::UInt8: case ValueType::Int16: case ValueType::UInt16:
      case ValueType::Int32: case ValueType::UInt32: case ValueType::Int64: case ValueType::UInt64:
      case ValueType::Float32: case ValueType::Float64: break;
      default:
        throw Error(ErrorKind::Unsupported,
                    fmt::format("dataset '{}' holds {}, not numbers", inner, di.description));
    }
    ImageInfo info;
    info.path = file;
    info.internal_path = inner.front() == '/' ? inner : "/" + inner;
    info.dtype = di.type;
    for (auto d : di.shape) info.shape.push_back(static_cast<std::int64_t>(d));
    if (info.shape.size() < 2 || info.shape.size() > 5)
      throw Error(ErrorKind::Usage, fmt::format("dataset '{}' has {} dimensions; images have 2 to 5",
                                                inner, info.shape.size()));
    std::string axes;
    auto names = hdf5::attribute_names(ds.id());
    if (std::find(names.begin(), names.end(), "axistags") != names.end()) {
      Value v = hdf5::read_attribute(ds.id(), "axistags", 1 << 20);
      if (v.type() == ValueType::String && !v.string_values().empty()) {
        axes = parse_axistags_json(v.string_values().front());
        info.axes_source = "axistags";
      }
    }
    if (axes.empty()) {
      axes = default_axes(info.shape);
      info.axes_source = "default";
    }
    if (axes.size() != info.shape.size())
      throw Error(ErrorKind::Format, fmt::format("dataset '{}' has {} dimensions but its axistags name {} ('{}')",
                                                 inner, info.shape.size(), axes.size(), axes));
    info.axes = axes;
    return std::make_unique<Hdf5Image>(std::move(f), std::move(ds), std::move(info));
  });
}

}  // namespace ilpkit::image_detail
