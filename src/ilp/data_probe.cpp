// SPDX-License-Identifier: MIT
#include "data_probe.hpp"

#include <fstream>
#include <functional>

#include <fmt/format.h>

#include "hdf5.hpp"
#include "ilpkit/error.hpp"

namespace ilpkit::probe {

bool is_hdf5(const std::string& file) {
  // The signature sits at offset 0 (or 512, 1024, ... with a user block).
  static const char kSig[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  std::ifstream in(file, std::ios::binary);
  char buf[8];
  for (std::streamoff off : {0, 512, 1024, 2048}) {
    in.clear();
    in.seekg(off);
    if (!in.read(buf, 8)) return false;
    if (std::equal(buf, buf + 8, kSig)) return true;
  }
  return false;
}

DataFacts probe_hdf5(const std::string& file, const std::string& internal_path) {
  auto f = hdf5::File::open_read_only(file);
  DataFacts facts;
  facts.internal_path = internal_path;
  if (internal_path.empty()) {
    std::vector<std::string> candidates;
    std::size_t seen = 0;
    std::function<void(hid_t, const std::string&, int)> walk = [&](hid_t g, const std::string& path, int depth) {
      if (depth > 16 || seen > 10000) return;
      for (const auto& link : hdf5::list_links(g)) {
        if (!link.hard || ++seen > 10000) continue;
        auto obj = hdf5::open_object(g, link.name);
        std::string p = path + "/" + link.name;
        auto t = hdf5::object_type(obj.id());
        if (t == hdf5::ObjectType::Group) walk(obj.id(), p, depth + 1);
        else if (t == hdf5::ObjectType::Dataset) {
          auto info = hdf5::dataset_info(obj.id());
          if (info.shape.size() >= 2 && info.shape.size() <= 5) candidates.push_back(p);
        }
      }
    };
    auto root = hdf5::open_object(f.id(), "/");
    walk(root.id(), "", 0);
    if (candidates.size() != 1)
      throw Error(ErrorKind::Format,
                  fmt::format("{}: no internal path given and the file holds {} datasets of 2 to 5 dimensions",
                              file, candidates.size()));
    facts.internal_path = candidates.front();
  }
  if (!hdf5::exists(f.id(), facts.internal_path))
    throw Error(ErrorKind::Io, fmt::format("{}: no dataset '{}'", file, facts.internal_path));
  auto ds = hdf5::open_object(f.id(), facts.internal_path);
  if (hdf5::object_type(ds.id()) != hdf5::ObjectType::Dataset)
    throw Error(ErrorKind::Format, fmt::format("{}: '{}' is not a dataset", file, facts.internal_path));
  auto info = hdf5::dataset_info(ds.id());
  for (auto d : info.shape) facts.shape.push_back(static_cast<std::int64_t>(d));
  facts.dtype = to_string(info.type);
  for (const auto& a : hdf5::attribute_names(ds.id())) {
    if (a != "axistags") continue;
    auto v = hdf5::read_attribute(ds.id(), a, 1 << 20);
    if (v.type() == ValueType::String && v.size() == 1) {
      try {
        facts.axes = parse_axistags_json(v.text());
      } catch (const Error&) {
        facts.axes.clear();
      }
    }
  }
  return facts;
}

}  // namespace ilpkit::probe
