// SPDX-License-Identifier: MIT
#include <atomic>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <unistd.h>

#include "hdf5.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"

namespace ilpkit {

namespace {

void write_node(hid_t parent, const Node& node) {
  for (const Node* c : node.children()) {
    if (c->is_group()) {
      auto g = hdf5::create_group(parent, c->name());
      for (const auto& [k, v] : c->attributes()) hdf5::write_attribute(g.id(), k, v);
      write_node(g.id(), *c);
    } else {
      Value v = c->value();
      if (v.type() == ValueType::Other)
        throw Error(ErrorKind::Format, fmt::format("dataset '{}' has a type ilpkit cannot write ({})", c->name(), v.describe()));
      // Keep the source's chunking and compression (a chunk must fit the shape it was made for).
      const auto& st = c->storage();
      bool chunked = !st.chunk.empty() && st.chunk.size() == v.shape().size();
      for (std::size_t i = 0; chunked && i < st.chunk.size(); ++i) chunked = st.chunk[i] > 0 && st.chunk[i] <= v.shape()[i];
      auto ds = hdf5::write_dataset(parent, c->name(), v, chunked ? st.chunk : std::vector<std::uint64_t>{},
                                    chunked ? st.gzip_level : -1);
      for (const auto& [k, a] : c->attributes())
        if (a.type() != ValueType::Other) hdf5::write_attribute(ds.id(), k, a);
    }
  }
}

}  // namespace

void write_tree(const IlpTree& tree, const std::string& path) {
  namespace fs = std::filesystem;
  static std::atomic<unsigned> counter{0};
  fs::path target(path);
  fs::path tmp = target.parent_path() /
                 fmt::format(".{}.tmp-{}-{}", target.filename().string(), ::getpid(), counter++);
  try {
    auto file = hdf5::File::create(tmp.string());
    auto root = hdf5::open_object(file.id(), "/");
    for (const auto& [k, v] : tree.root->attributes()) hdf5::write_attribute(root.id(), k, v);
    write_node(root.id(), *tree.root);
    root = hdf5::Handle();
    file.flush();
    file.close();
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec) throw Error(ErrorKind::Io, fmt::format("{}: cannot rename into place: {}", path, ec.message()));
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

}  // namespace ilpkit
