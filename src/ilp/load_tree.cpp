// SPDX-License-Identifier: MIT
// HDF5 -> IlpTree: the only place the project reader touches HDF5.
#include <optional>
#include <set>

#include <fmt/format.h>

#include "hdf5.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "names.hpp"

namespace ilpkit {

namespace {

constexpr std::uint64_t kMaxAttributeBytes = std::uint64_t{16} << 20;
constexpr int kMaxDepth = 48;
constexpr std::size_t kMaxObjects = 2'000'000;

// Re-opens the file when a dataset that stayed on disk is needed.
class LazyDataset final : public LazyData {
 public:
  LazyDataset(std::string file, std::string path) : file_(std::move(file)), path_(std::move(path)) {}
  Value read() const override {
    return with_context("reading " + path_, [&] {
      auto f = hdf5::File::open_read_only(file_);
      auto ds = hdf5::open_object(f.id(), path_);
      return hdf5::read_dataset(ds.id(), std::uint64_t{8} << 30);
    });
  }

 private:
  std::string file_, path_;
};

class TreeLoader {
 public:
  TreeLoader(const hdf5::File& file, const ReadOptions& options, Diagnostics& d)
      : file_(file), options_(options), diagnostics_(d) {}

  void load_group(hid_t group, const std::string& path, Node& node, int depth) {
    if (depth > kMaxDepth)
      throw Error(ErrorKind::Format, fmt::format("{}: groups nested deeper than {}", path, kMaxDepth));
    load_attributes(group, path, node);
    for (const auto& link : hdf5::list_links(group)) {
      std::string child_path = (path == "/" ? "/" : path + "/") + link.name;
      if (!link.hard) {
        note(diagnostics_, child_path,
             link.link_target.empty() ? "soft or external link not followed"
                                      : "soft link to " + link.link_target + " not followed");
        continue;
      }
      if (++objects_ > kMaxObjects)
        throw Error(ErrorKind::Format, fmt::format("more than {} objects in the file", kMaxObjects));
      with_context("reading " + child_path, [&] {
        auto obj = hdf5::open_object(group, link.name);
        switch (hdf5::object_type(obj.id())) {
          case hdf5::ObjectType::Group: {
            auto addr = hdf5::object_address(obj.id());
            if (!open_groups_.insert(addr).second) {
              warn(diagnostics_, child_path, "group is linked into itself; not descended");
              return;
            }
            Node& child = node.add_child(Node::make_group(link.name));
            load_group(obj.id(), child_path, child, depth + 1);
            open_groups_.erase(addr);
            break;
          }
          case hdf5::ObjectType::Dataset:
            node.add_child(load_dataset(obj.id(), child_path, link.name));
            break;
          default:
            note(diagnostics_, child_path, "named datatype or unknown object ignored");
        }
      });
    }
  }

 private:
  std::unique_ptr<Node> load_dataset(hid_t ds, const std::string& path, const std::string& name) {
    auto info = hdf5::dataset_info(ds);
    bool in_local_data = path.find(std::string("/") + names::kLocalData + "/") != std::string::npos;
    std::unique_ptr<Node> node;
    if (in_local_data || info.bytes > options_.max_eager_bytes) {
      node = Node::make_lazy_dataset(name, info.type, info.shape, info.description,
                                     std::make_shared<LazyDataset>(file_.path(), path));
    } else {
      try {
        node = Node::make_dataset(name, hdf5::read_dataset(ds, options_.max_eager_bytes));
      } catch (const Error& e) {
        // Unreadable data (missing filter, damaged chunk) matters only if the parser needs it.
        node = Node::make_dataset(name, Value::other("unreadable dataset: " + e.detail()));
        warn(diagnostics_, path, e.detail());
      }
    }
    node->set_storage({info.chunk, info.gzip_level, info.stored_bytes});
    load_attributes(ds, path, *node);
    return node;
  }

  void load_attributes(hid_t obj, const std::string& path, Node& node) {
    for (const auto& name : hdf5::attribute_names(obj)) {
      try {
        node.set_attribute(name, hdf5::read_attribute(obj, name, kMaxAttributeBytes));
      } catch (const Error& e) {
        // An unreadable attribute only matters if the parser needs it; it will say so then.
        node.set_attribute(name, Value::other("unreadable attribute"));
        warn(diagnostics_, path + " @" + name, e.detail());
      }
    }
  }

  const hdf5::File& file_;
  const ReadOptions& options_;
  Diagnostics& diagnostics_;
  std::set<std::uint64_t> open_groups_;
  std::size_t objects_ = 0;
};

}  // namespace

std::optional<std::string> peek_workflow_name(const std::string& path) {
  auto file = hdf5::File::open_read_only(path);
  if (!hdf5::exists(file.id(), std::string("/") + names::kWorkflowName)) return std::nullopt;
  auto ds = hdf5::open_object(file.id(), std::string("/") + names::kWorkflowName);
  if (hdf5::object_type(ds.id()) != hdf5::ObjectType::Dataset) return std::nullopt;
  try {
    Value v = hdf5::read_dataset(ds.id(), 1 << 16);
    if (v.type() == ValueType::String && v.size() == 1) return v.text();
  } catch (const Error&) {
  }
  return std::nullopt;
}

IlpTree load_tree(const std::string& path, const ReadOptions& options, Diagnostics& diagnostics) {
  auto file = hdf5::File::open_read_only(path);
  IlpTree tree;
  tree.source_path = path;
  auto root = hdf5::open_object(file.id(), "/");
  TreeLoader(file, options, diagnostics).load_group(root.id(), "/", *tree.root, 0);
  return tree;
}

}  // namespace ilpkit
