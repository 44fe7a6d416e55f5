// SPDX-License-Identifier: MIT
#include "tree_access.hpp"

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "names.hpp"

namespace ilpkit::access {

const Node* applet_group(const Node& root, const char* name, Diagnostics& d) {
  const Node* g = root.child(name);
  if (!g) return nullptr;
  if (!g->is_group()) {
    warn(d, std::string("/") + name, "is a dataset, not a group; ignored");
    return nullptr;
  }
  if (!g->child(names::kStorageVersion)) {
    // AppletSerializer.deserializeFromHdf5 treats such a group as absent (steinbock's template).
    if (!g->children().empty())
      warn(d, std::string("/") + name, "group has no StorageVersion; ignored, as ilastik ignores it");
    return nullptr;
  }
  return g;
}

const Value* dataset(const Node& parent, const char* name) {
  const Node* n = parent.child(name);
  if (!n) return nullptr;
  if (!n->is_dataset()) throw Error(ErrorKind::Format, fmt::format("'{}' is a group, expected a dataset", name));
  if (!n->loaded())
    throw Error(ErrorKind::Format, fmt::format("dataset '{}' ({}) is too large to read", name, n->description()));
  return &n->loaded_value();
}

const Value& required(const Node& parent, const char* name) {
  const Value* v = dataset(parent, name);
  if (!v) throw Error(ErrorKind::Format, fmt::format("dataset '{}' is missing", name));
  return *v;
}

std::optional<std::string> opt_text(const Node& parent, const char* name) {
  const Value* v = dataset(parent, name);
  if (!v) return std::nullopt;
  return with_context(name, [&] { return v->text(); });
}

std::string text(const Node& parent, const char* name) {
  const Value& v = required(parent, name);
  return with_context(name, [&] { return v.text(); });
}

std::optional<bool> opt_bool(const Node& parent, const char* name) {
  const Value* v = dataset(parent, name);
  if (!v) return std::nullopt;
  return with_context(name, [&] {
    if (v->size() != 1) throw Error(ErrorKind::Format, fmt::format("expected one bool, found {}", v->describe()));
    return v->number() != 0;
  });
}

std::optional<double> opt_number(const Node& parent, const char* name) {
  const Value* v = dataset(parent, name);
  if (!v) return std::nullopt;
  return with_context(name, [&] {
    if (v->size() != 1) throw Error(ErrorKind::Format, fmt::format("expected one number, found {}", v->describe()));
    return v->number();
  });
}

bool list_is_empty(const Node& parent, const char* name) {
  const Node* n = parent.child(name);
  if (!n) return true;
  if (const Value* e = n->attribute("isEmpty"); e && is_numeric(e->type()) && e->size() == 1 && e->number() != 0)
    return true;
  return n->is_dataset() && n->shape().size() == 1 && n->shape()[0] == 0;
}

std::vector<std::string> string_list(const Node& parent, const char* name) {
  if (list_is_empty(parent, name)) return {};
  const Value& v = required(parent, name);
  return with_context(name, [&] { return v.string_values(); });
}

}  // namespace ilpkit::access
