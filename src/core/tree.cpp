// SPDX-License-Identifier: MIT
#include "ilpkit/tree.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "ilpkit/error.hpp"

namespace ilpkit {

const char* to_string(ValueType type) noexcept {
  switch (type) {
    case ValueType::Int8: return "int8";
    case ValueType::UInt8: return "uint8";
    case ValueType::Int16: return "int16";
    case ValueType::UInt16: return "uint16";
    case ValueType::Int32: return "int32";
    case ValueType::UInt32: return "uint32";
    case ValueType::Int64: return "int64";
    case ValueType::UInt64: return "uint64";
    case ValueType::Float32: return "float32";
    case ValueType::Float64: return "float64";
    case ValueType::Bool: return "bool";
    case ValueType::String: return "string";
    case ValueType::Opaque: return "opaque";
    case ValueType::Other: return "other";
  }
  return "other";
}

bool is_integer(ValueType type) noexcept {
  switch (type) {
    case ValueType::Int8: case ValueType::UInt8: case ValueType::Int16: case ValueType::UInt16:
    case ValueType::Int32: case ValueType::UInt32: case ValueType::Int64: case ValueType::UInt64:
      return true;
    default:
      return false;
  }
}

bool is_numeric(ValueType type) noexcept {
  return is_integer(type) || type == ValueType::Float32 || type == ValueType::Float64 ||
         type == ValueType::Bool;
}

std::size_t element_size(ValueType type) noexcept {
  switch (type) {
    case ValueType::Int8: case ValueType::UInt8: case ValueType::Bool: return 1;
    case ValueType::Int16: case ValueType::UInt16: return 2;
    case ValueType::Int32: case ValueType::UInt32: case ValueType::Float32: return 4;
    case ValueType::Int64: case ValueType::UInt64: case ValueType::Float64: return 8;
    default: return 0;
  }
}

namespace {

std::string shape_text(const std::vector<std::uint64_t>& shape) {
  if (shape.empty()) return " scalar";
  return fmt::format("[{}]", fmt::join(shape, ","));
}

template <class T>
T load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace

Value Value::numeric(ValueType type, std::vector<std::uint64_t> shape,
                     std::vector<unsigned char> raw) {
  Value v;
  v.type_ = type;
  v.shape_ = std::move(shape);
  v.raw_ = std::move(raw);
  if (!is_numeric(type) || v.raw_.size() != v.size() * element_size(type))
    throw_error(ErrorKind::Internal, "Value::numeric(): size does not match shape and type");
  return v;
}

Value Value::strings(std::vector<std::string> values, std::vector<std::uint64_t> shape,
                     StringForm form, std::size_t fixed_size) {
  Value v;
  v.type_ = ValueType::String;
  if (shape.empty() && values.size() != 1) shape = {values.size()};
  v.shape_ = std::move(shape);
  v.strings_ = std::move(values);
  v.string_form_ = form;
  v.fixed_size_ = fixed_size;
  if (v.strings_.size() != v.size())
    throw_error(ErrorKind::Internal, "Value::strings(): count does not match shape");
  return v;
}

Value Value::string(std::string value, StringForm form) {
  return strings({std::move(value)}, {}, form);
}

Value Value::bools(const std::vector<bool>& values, std::vector<std::uint64_t> shape) {
  if (shape.empty() && values.size() != 1) shape = {values.size()};
  std::vector<unsigned char> raw(values.begin(), values.end());
  return numeric(ValueType::Bool, std::move(shape), std::move(raw));
}

Value Value::opaque(std::string bytes) {
  Value v;
  v.type_ = ValueType::Opaque;
  v.strings_.push_back(std::move(bytes));
  return v;
}

Value Value::other(std::string description) {
  Value v;
  v.type_ = ValueType::Other;
  v.other_ = std::move(description);
  return v;
}

std::size_t Value::size() const noexcept {
  if (type_ == ValueType::Opaque || type_ == ValueType::Other) return 1;
  std::size_t n = 1;
  for (auto d : shape_) n *= static_cast<std::size_t>(d);
  return n;
}

std::string Value::describe() const {
  switch (type_) {
    case ValueType::String: {
      std::string form;
      switch (string_form_) {
        case StringForm::VarAscii: form = "vstr-A"; break;
        case StringForm::VarUtf8: form = "vstr-U"; break;
        case StringForm::Fixed: form = fmt::format("fstr[{}]", fixed_size_); break;
        case StringForm::None: form = "string"; break;
      }
      return shape_.empty() ? form : form + shape_text(shape_);
    }
    case ValueType::Opaque: return fmt::format("opaque[{} bytes]", strings_.front().size());
    case ValueType::Other: return other_.empty() ? "unsupported type" : other_;
    default: return std::string(to_string(type_)) + shape_text(shape_);
  }
}

double Value::number(std::size_t i) const {
  if (!is_numeric(type_))
    throw_error(ErrorKind::Format, fmt::format("expected a number, found {}", describe()));
  if (i >= size())
    throw_error(ErrorKind::Format, fmt::format("index {} out of range for {}", i, describe()));
  const unsigned char* p = raw_.data() + i * element_size(type_);
  switch (type_) {
    case ValueType::Int8: return load<std::int8_t>(p);
    case ValueType::UInt8: case ValueType::Bool: return load<std::uint8_t>(p);
    case ValueType::Int16: return load<std::int16_t>(p);
    case ValueType::UInt16: return load<std::uint16_t>(p);
    case ValueType::Int32: return load<std::int32_t>(p);
    case ValueType::UInt32: return load<std::uint32_t>(p);
    case ValueType::Int64: return static_cast<double>(load<std::int64_t>(p));
    case ValueType::UInt64: return static_cast<double>(load<std::uint64_t>(p));
    case ValueType::Float32: return load<float>(p);
    case ValueType::Float64: return load<double>(p);
    default: break;
  }
  return 0.0;
}

std::int64_t Value::integer(std::size_t i) const {
  // 64-bit integers are read directly: a detour through double would lose precision.
  if (type_ == ValueType::Int64 || type_ == ValueType::UInt64) {
    if (i >= size())
      throw_error(ErrorKind::Format, fmt::format("index {} out of range for {}", i, describe()));
    if (type_ == ValueType::Int64) return load<std::int64_t>(raw_.data() + i * 8);
    auto u = load<std::uint64_t>(raw_.data() + i * 8);
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      throw_error(ErrorKind::Format, fmt::format("integer {} is out of range", u));
    return static_cast<std::int64_t>(u);
  }
  double d = number(i);
  if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9.0e15)
    throw_error(ErrorKind::Format, fmt::format("expected an integer, found {} in {}", d, describe()));
  return static_cast<std::int64_t>(d);
}

std::vector<double> Value::numbers() const {
  std::vector<double> out(size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = number(i);
  return out;
}

std::vector<std::int64_t> Value::integers() const {
  std::vector<std::int64_t> out(size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = integer(i);
  return out;
}

const std::vector<std::string>& Value::string_values() const {
  if (type_ != ValueType::String)
    throw_error(ErrorKind::Format, fmt::format("expected strings, found {}", describe()));
  return strings_;
}

const std::string& Value::text() const {
  const auto& s = string_values();
  if (s.size() != 1)
    throw_error(ErrorKind::Format, fmt::format("expected one string, found {}", describe()));
  return s.front();
}

const std::string& Value::opaque_bytes() const {
  if (type_ != ValueType::Opaque)
    throw_error(ErrorKind::Format, fmt::format("expected opaque bytes, found {}", describe()));
  return strings_.front();
}

// ---- Node ----

std::unique_ptr<Node> Node::make_group(std::string name) {
  return std::unique_ptr<Node>(new Node(Kind::Group, std::move(name)));
}

std::unique_ptr<Node> Node::make_dataset(std::string name, Value value) {
  std::unique_ptr<Node> n(new Node(Kind::Dataset, std::move(name)));
  n->set_value(std::move(value));
  return n;
}

std::unique_ptr<Node> Node::make_lazy_dataset(std::string name, ValueType type,
                                              std::vector<std::uint64_t> shape,
                                              std::string description,
                                              std::shared_ptr<const LazyData> data) {
  std::unique_ptr<Node> n(new Node(Kind::Dataset, std::move(name)));
  n->type_ = type;
  n->shape_ = std::move(shape);
  n->description_ = std::move(description);
  n->lazy_ = std::move(data);
  return n;
}

const Value* Node::attribute(const std::string& name) const {
  auto it = attributes_.find(name);
  return it == attributes_.end() ? nullptr : &it->second;
}

void Node::set_attribute(const std::string& name, Value value) {
  attributes_[name] = std::move(value);
}

bool Node::erase_attribute(const std::string& name) { return attributes_.erase(name) > 0; }

std::vector<const Node*> Node::children() const {
  std::vector<const Node*> out;
  out.reserve(children_.size());
  for (const auto& [name, node] : children_) out.push_back(node.get());
  return out;
}

std::vector<Node*> Node::children() {
  std::vector<Node*> out;
  out.reserve(children_.size());
  for (auto& [name, node] : children_) out.push_back(node.get());
  return out;
}

const Node* Node::child(std::string_view name) const {
  auto it = children_.find(name);
  return it == children_.end() ? nullptr : it->second.get();
}

Node* Node::child(std::string_view name) {
  auto it = children_.find(name);
  return it == children_.end() ? nullptr : it->second.get();
}

const Node* Node::find(std::string_view path) const {
  const Node* cur = this;
  while (cur && !path.empty()) {
    auto slash = path.find('/');
    auto part = path.substr(0, slash);
    if (!part.empty()) cur = cur->child(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return cur;
}

Node* Node::find(std::string_view path) {
  return const_cast<Node*>(static_cast<const Node*>(this)->find(path));
}

Node& Node::add_child(std::unique_ptr<Node> node) {
  if (kind_ != Kind::Group)
    throw_error(ErrorKind::Internal, "add_child(): '" + name_ + "' is not a group");
  Node& ref = *node;
  children_[node->name()] = std::move(node);
  return ref;
}

std::unique_ptr<Node> Node::remove_child(std::string_view name) {
  auto it = children_.find(name);
  if (it == children_.end()) return nullptr;
  auto node = std::move(it->second);
  children_.erase(it);
  return node;
}

Node& Node::require_group(const std::string& name) {
  if (Node* c = child(name)) {
    if (!c->is_group())
      throw_error(ErrorKind::Format, "'" + name + "' is a dataset, expected a group");
    return *c;
  }
  return add_child(make_group(name));
}

Value Node::value() const {
  if (value_) return *value_;
  if (lazy_) return lazy_->read();
  throw_error(ErrorKind::Internal, "dataset '" + name_ + "' has no value");
}

const Value& Node::loaded_value() const {
  if (!value_) throw_error(ErrorKind::Internal, "dataset '" + name_ + "' was not loaded");
  return *value_;
}

void Node::set_value(Value value) {
  type_ = value.type();
  shape_ = value.shape();
  description_ = value.describe();
  value_ = std::move(value);
  lazy_.reset();
}

}  // namespace ilpkit
