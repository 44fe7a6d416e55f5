// SPDX-License-Identifier: MIT
// A protocol-0 pickle reader that never executes anything: a small stack machine over the
// opcodes ilastik's ClassifierFactory pickles use (ilp-format.md §6.1), producing plain values.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ilpkit::pickle {

struct Object;
using ObjectPtr = std::shared_ptr<const Object>;

struct Object {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Instance };
  Kind kind = Kind::None;
  bool boolean = false;
  long long integer = 0;
  double real = 0;
  std::string text;                     ///< String; Global "module\nname" as module + '.' + name
  std::string module, name;             ///< Global
  std::vector<ObjectPtr> items;         ///< Tuple, List
  std::vector<std::pair<ObjectPtr, ObjectPtr>> entries;  ///< Dict, in insertion order
  ObjectPtr cls;                        ///< Instance: the class Global
  ObjectPtr state;                      ///< Instance: the BUILD argument (normally a Dict)

  /// Dict lookup by string key; nullptr if absent or not a dict.
  const Object* get(std::string_view key) const;
};

struct Result {
  ObjectPtr value;
  bool python2_keys = false;  ///< dict keys written as STRING (S'...') opcodes
};

/// Parses protocol-0 bytes; throws Error(Format) naming the opcode and byte offset on anything
/// unexpected (unknown opcodes, stack underflow, bad literals, more than `max_ops` opcodes).
Result parse(std::string_view bytes, std::size_t max_ops = 100000);

}  // namespace ilpkit::pickle
