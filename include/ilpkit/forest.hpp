// SPDX-License-Identifier: MIT
// A VIGRA RF2 random forest as ilastik stores it (one ClassifierForests/ForestNNNN group):
// trees in VIGRA's flat topology/parameters encoding, the options and the problem spec.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ilpkit {

/// One decision tree in VIGRA's encoding: topology[0] = feature count, topology[1] = class
/// count, nodes from index 2. Threshold node: [0, param, left, right, column], parameters
/// [weight, threshold]. Leaf: [0x40000000, param], parameters [count, p_0 .. p_{C-1}].
struct Tree {
  std::string name;  ///< "Tree_07"
  std::vector<std::int32_t> topology;
  std::vector<double> parameters;

  static constexpr std::int32_t kThresholdNode = 0;
  static constexpr std::int32_t kLeafNode = 0x40000000;

  std::size_t node_count() const;
  std::size_t leaf_count() const;
};

struct Forest {
  std::string name;  ///< "Forest0000" or "forest"
  std::vector<Tree> trees;  ///< in stored (HDF5 name) order: the vote accumulation order
  std::map<std::string, double> options;    ///< _options/*  (tree_count_, mtry_, ...)
  std::map<std::string, double> ext_param;  ///< _ext_param/* scalars (column_count_, ...)
  std::vector<double> class_weights;
  std::vector<std::uint32_t> labels;  ///< _ext_param/labels: class index -> label value
  int column_count = 0;               ///< features expected
  int class_count = 0;
};

/// Checks a tree's encoding (node types, child and parameter indices, acyclic) against the
/// forest's feature and class counts; throws Error(Format) naming the first problem.
void validate_tree(const Tree& tree, int column_count, int class_count);

}  // namespace ilpkit
