// SPDX-License-Identifier: MIT
// Mirrors: vigra/random_forest/rf_nodeproxy.hxx (node layout) for validation of stored trees.
#include "ilpkit/forest.hpp"

#include <fmt/format.h>

#include "ilpkit/error.hpp"

namespace ilpkit {

namespace {

bool is_leaf(std::int32_t type) { return (type & Tree::kLeafNode) != 0; }

}  // namespace

std::size_t Tree::node_count() const {
  std::size_t n = 0;
  for (std::size_t i = 2; i < topology.size(); ++n) i += is_leaf(topology[i]) ? 2 : 5;
  return n;
}

std::size_t Tree::leaf_count() const {
  std::size_t n = 0;
  for (std::size_t i = 2; i < topology.size();) {
    bool leaf = is_leaf(topology[i]);
    n += leaf;
    i += leaf ? 2 : 5;
  }
  return n;
}

void validate_tree(const Tree& tree, int column_count, int class_count) {
  const auto& topo = tree.topology;
  const auto& par = tree.parameters;
  auto fail = [&](const std::string& why) {
    throw Error(ErrorKind::Format, fmt::format("{}: {}", tree.name, why));
  };
  if (topo.size() < 4) fail(fmt::format("topology has {} entries, fewer than a single leaf needs", topo.size()));
  if (column_count > 0 && topo[0] != column_count)
    fail(fmt::format("topology says {} features, the forest {}", topo[0], column_count));
  if (class_count > 0 && topo[1] != class_count)
    fail(fmt::format("topology says {} classes, the forest {}", topo[1], class_count));
  const std::int64_t classes = topo[1];
  if (classes < 1) fail(fmt::format("class count {} in topology", classes));
  std::vector<bool> visited(topo.size(), false);
  std::vector<std::size_t> stack{2};
  while (!stack.empty()) {
    std::size_t i = stack.back();
    stack.pop_back();
    if (i + 1 >= topo.size()) fail(fmt::format("node index {} is past the topology ({} entries)", i, topo.size()));
    if (visited[i]) continue;
    visited[i] = true;
    std::int32_t type = topo[i];
    std::int64_t p = topo[i + 1];
    if (type == Tree::kLeafNode) {
      if (p < 0 || p + 1 + classes > static_cast<std::int64_t>(par.size()))
        fail(fmt::format("leaf at {} points to parameters {}..{}, outside {} entries", i, p, p + classes, par.size()));
      continue;
    }
    if (type != Tree::kThresholdNode)
      fail(fmt::format("node at {} has type {:#x}; only threshold (0) and constant-probability leaf "
                       "(0x40000000) nodes are supported",
                       i, static_cast<std::uint32_t>(type)));
    if (i + 4 >= topo.size()) fail(fmt::format("threshold node at {} is cut off", i));
    if (p < 0 || p + 2 > static_cast<std::int64_t>(par.size()))
      fail(fmt::format("threshold node at {} points to parameters {}, outside {} entries", i, p, par.size()));
    std::int64_t column = topo[i + 4];
    if (column < 0 || (column_count > 0 && column >= column_count) || column >= topo[0])
      fail(fmt::format("threshold node at {} tests feature column {}, outside 0..{}", i, column, topo[0] - 1));
    for (int k = 2; k <= 3; ++k) {
      std::int64_t c = topo[i + static_cast<std::size_t>(k)];
      // VIGRA appends children after their parent, so child > parent keeps descent finite.
      if (c <= static_cast<std::int64_t>(i) || c >= static_cast<std::int64_t>(topo.size()))
        fail(fmt::format("threshold node at {} has child index {} (must lie after it, below {})", i, c, topo.size()));
      stack.push_back(static_cast<std::size_t>(c));
    }
  }
}

}  // namespace ilpkit
