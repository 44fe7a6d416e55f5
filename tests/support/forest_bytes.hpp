// SPDX-License-Identifier: MIT
// The stored forests of a project as bytes, to check that an edit kept them byte for byte.
#pragma once

#include <functional>
#include <map>
#include <string>

#include <fmt/format.h>

#include "ilpkit/ilp.hpp"

namespace ilpkit::test {

/// Every dataset of the forests (ClassifierForests/ForestNNNN, both Autocontext stages; not the
/// known_labels or pickled_type a migration may add beside them), by path: numeric data as its
/// raw bytes, strings joined.
inline std::map<std::string, std::string> forest_bytes(const std::string& project) {
  Diagnostics d;
  const IlpTree tree = load_tree(project, ReadOptions{}, d);
  std::map<std::string, std::string> out;
  std::function<void(const Node&, const std::string&, bool)> walk = [&](const Node& n, const std::string& at, bool in) {
    for (const Node* c : n.children()) {
      const std::string path = at + "/" + c->name();
      const bool inside = in || (n.name() == "ClassifierForests" && c->is_group() && c->name().rfind("Forest", 0) == 0);
      if (c->is_group()) {
        walk(*c, path, inside);
      } else if (inside) {
        const Value v = c->value();
        out[path] = v.type() == ValueType::String ? fmt::format("{}", fmt::join(v.string_values(), "\x1f"))
                                                  : std::string(v.raw().begin(), v.raw().end());
      }
    }
  };
  walk(*tree.root, "", false);
  return out;
}

}  // namespace ilpkit::test
