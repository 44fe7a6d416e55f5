// SPDX-License-Identifier: MIT
// Numbered, idempotent rewrites of an IlpTree from older ilastik layouts towards the current
// one. The reader runs them before parsing (so the parser knows one layout); `ilpkit migrate`
// will write the result back. Each records what it did in Diagnostics.
#pragma once

#include <string>
#include <vector>

#include "ilpkit/diagnostics.hpp"
#include "ilpkit/tree.hpp"

namespace ilpkit::compat {

struct Migration {
  const char* id;       ///< "m001_float_version"
  const char* summary;  ///< one line for `migrate --dry-run`
  /// Returns true if it changed the tree.
  bool (*apply)(IlpTree& tree, Diagnostics& diagnostics);
};

/// All migrations in the order they must run.
const std::vector<Migration>& migrations();

/// Runs every migration; returns the ids of those that changed the tree.
std::vector<std::string> migrate(IlpTree& tree, Diagnostics& diagnostics);

/// True for the ilastik 0.5 layout (float version, DataSets/Project groups), which shares
/// nothing with later files and cannot be migrated in place.
bool is_ilastik_05_layout(const IlpTree& tree);

}  // namespace ilpkit::compat
