// SPDX-License-Identifier: MIT
// Typed access to an IlpTree with error messages that name what is wrong ("dataset 'Scales'
// is missing", "SelectionMatrix: expected bool[6,7], got int8[6,6]").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ilpkit/diagnostics.hpp"
#include "ilpkit/tree.hpp"

namespace ilpkit::access {

/// An applet group as ilastik sees it: present only with a StorageVersion dataset.
const Node* applet_group(const Node& root, const char* name, Diagnostics& d);

/// A loaded dataset child, or nullptr. Throws if `name` is a group or stayed on disk.
const Value* dataset(const Node& parent, const char* name);
const Value& required(const Node& parent, const char* name);

std::optional<std::string> opt_text(const Node& parent, const char* name);
std::string text(const Node& parent, const char* name);
std::optional<bool> opt_bool(const Node& parent, const char* name);
std::optional<double> opt_number(const Node& parent, const char* name);  ///< scalar or one element

/// SerialListSlot content: honours the isEmpty attribute (empty lists are a dummy float[1]).
std::vector<std::string> string_list(const Node& parent, const char* name);
bool list_is_empty(const Node& parent, const char* name);

}  // namespace ilpkit::access
