// SPDX-License-Identifier: MIT
// IlpTree: a neutral in-memory copy of an .ilp file's groups, datasets and attributes.
// The HDF5 reader fills it (src/ilp/load_tree.cpp); compat migrations rewrite it; the project
// parser reads it. None of those later stages touch HDF5, so they can be tested on trees built
// in memory. Large datasets (embedded raw data) stay on disk behind a LazyData handle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ilpkit {

enum class ValueType {
  Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, UInt64, Float32, Float64,
  Bool,    ///< h5py's enum {FALSE=0, TRUE=1} over int8, one byte per element
  String,  ///< any of the three string forms (fixed, vlen ASCII, vlen UTF-8)
  Opaque,  ///< raw bytes (numpy.void), e.g. pickles in Bookmarks
  Other,   ///< compound, reference, ...: kept as a description only
};

const char* to_string(ValueType type) noexcept;
bool is_integer(ValueType type) noexcept;
bool is_numeric(ValueType type) noexcept;  ///< integer, float or bool
std::size_t element_size(ValueType type) noexcept;  ///< bytes per element for numeric types

/// How a string was stored on disk; kept so writers can preserve each dataset's flavour.
enum class StringForm { None, VarAscii, VarUtf8, Fixed };

/// A typed n-dimensional value: a dataset's content or an attribute.
class Value {
 public:
  Value() = default;

  static Value numeric(ValueType type, std::vector<std::uint64_t> shape,
                       std::vector<unsigned char> raw);
  template <class T>
  static Value from_vector(const std::vector<T>& values, std::vector<std::uint64_t> shape = {});
  template <class T>
  static Value scalar(T value) { return from_vector(std::vector<T>{value}, {}); }
  static Value strings(std::vector<std::string> values, std::vector<std::uint64_t> shape = {},
                       StringForm form = StringForm::VarAscii, std::size_t fixed_size = 0);
  static Value string(std::string value, StringForm form = StringForm::VarAscii);
  static Value bools(const std::vector<bool>& values, std::vector<std::uint64_t> shape = {});
  static Value opaque(std::string bytes);
  static Value other(std::string description);

  ValueType type() const noexcept { return type_; }
  const std::vector<std::uint64_t>& shape() const noexcept { return shape_; }
  bool is_scalar() const noexcept { return shape_.empty(); }
  std::size_t size() const noexcept;  ///< number of elements
  StringForm string_form() const noexcept { return string_form_; }
  std::size_t fixed_string_size() const noexcept { return fixed_size_; }

  /// "int64[2]", "bool[6,7]", "vstr-A", "fstr[28][6]", "float64 scalar" ...
  std::string describe() const;

  // Numeric access (integer, float and bool types). Throw Error(Format) on other types.
  double number(std::size_t i = 0) const;
  std::int64_t integer(std::size_t i = 0) const;  ///< throws if the element is not integral
  std::vector<double> numbers() const;
  std::vector<std::int64_t> integers() const;
  const std::vector<unsigned char>& raw() const noexcept { return raw_; }

  // String access. text() accepts a scalar or a one-element array.
  const std::vector<std::string>& string_values() const;
  const std::string& text() const;
  const std::string& opaque_bytes() const;

 private:
  ValueType type_ = ValueType::Other;
  std::vector<std::uint64_t> shape_;
  std::vector<unsigned char> raw_;       // numeric and bool, native byte order
  std::vector<std::string> strings_;     // String (elements) or Opaque (one element)
  StringForm string_form_ = StringForm::None;
  std::size_t fixed_size_ = 0;
  std::string other_;
};

/// Reads a dataset that was left on disk when the tree was loaded.
class LazyData {
 public:
  virtual ~LazyData() = default;
  virtual Value read() const = 0;
};

class Node {
 public:
  enum class Kind { Group, Dataset };

  static std::unique_ptr<Node> make_group(std::string name);
  static std::unique_ptr<Node> make_dataset(std::string name, Value value);
  static std::unique_ptr<Node> make_lazy_dataset(std::string name, ValueType type,
                                                 std::vector<std::uint64_t> shape,
                                                 std::string description,
                                                 std::shared_ptr<const LazyData> data);

  Kind kind() const noexcept { return kind_; }
  bool is_group() const noexcept { return kind_ == Kind::Group; }
  bool is_dataset() const noexcept { return kind_ == Kind::Dataset; }
  const std::string& name() const noexcept { return name_; }

  // Attributes (groups and datasets).
  const std::map<std::string, Value>& attributes() const noexcept { return attributes_; }
  const Value* attribute(const std::string& name) const;
  void set_attribute(const std::string& name, Value value);
  bool erase_attribute(const std::string& name);

  // Children (groups only), in byte-wise name order like HDF5's name index.
  std::vector<const Node*> children() const;
  std::vector<Node*> children();
  const Node* child(std::string_view name) const;
  Node* child(std::string_view name);
  /// Relative path lookup, "infos/lane0000/Raw Data"; nullptr if any part is missing.
  const Node* find(std::string_view path) const;
  Node* find(std::string_view path);
  Node& add_child(std::unique_ptr<Node> node);  ///< replaces a child of the same name
  std::unique_ptr<Node> remove_child(std::string_view name);
  /// Returns the child group `name`, creating it if absent. Throws if it is a dataset.
  Node& require_group(const std::string& name);

  // Datasets.
  ValueType type() const noexcept { return type_; }
  const std::vector<std::uint64_t>& shape() const noexcept { return shape_; }
  /// Declared type as on disk, e.g. "fstr[28][6]" (datasets only).
  const std::string& description() const noexcept { return description_; }
  bool loaded() const noexcept { return value_.has_value(); }
  /// The loaded value, or reads it now through the lazy handle.
  Value value() const;
  /// The loaded value; throws Error(Internal) when the dataset is lazy.
  const Value& loaded_value() const;
  void set_value(Value value);
  /// How the dataset is stored: chunk shape ({} contiguous) and gzip level (-1 none). Files
  /// rewritten from a tree keep what the source had; new datasets are contiguous unless set.
  struct Storage {
    std::vector<std::uint64_t> chunk;
    int gzip_level = -1;
    std::uint64_t stored_bytes = 0;  ///< space its data took in the file it was loaded from (0: new)
  };
  const Storage& storage() const noexcept { return storage_; }
  void set_storage(Storage storage) { storage_ = std::move(storage); }

 private:
  Node(Kind kind, std::string name) : kind_(kind), name_(std::move(name)) {}

  Kind kind_;
  std::string name_;
  std::map<std::string, Value> attributes_;
  std::map<std::string, std::unique_ptr<Node>, std::less<>> children_;
  ValueType type_ = ValueType::Other;
  std::vector<std::uint64_t> shape_;
  std::string description_;
  std::optional<Value> value_;
  std::shared_ptr<const LazyData> lazy_;
  Storage storage_;
};

/// A whole file: the root group plus where it came from.
struct IlpTree {
  std::string source_path;
  std::unique_ptr<Node> root = Node::make_group("");
};

// ---- template implementation ----

namespace detail {
template <class T> constexpr ValueType value_type_of();
template <> constexpr ValueType value_type_of<std::int8_t>() { return ValueType::Int8; }
template <> constexpr ValueType value_type_of<std::uint8_t>() { return ValueType::UInt8; }
template <> constexpr ValueType value_type_of<std::int16_t>() { return ValueType::Int16; }
template <> constexpr ValueType value_type_of<std::uint16_t>() { return ValueType::UInt16; }
template <> constexpr ValueType value_type_of<std::int32_t>() { return ValueType::Int32; }
template <> constexpr ValueType value_type_of<std::uint32_t>() { return ValueType::UInt32; }
template <> constexpr ValueType value_type_of<std::int64_t>() { return ValueType::Int64; }
template <> constexpr ValueType value_type_of<std::uint64_t>() { return ValueType::UInt64; }
template <> constexpr ValueType value_type_of<float>() { return ValueType::Float32; }
template <> constexpr ValueType value_type_of<double>() { return ValueType::Float64; }
}  // namespace detail

template <class T>
Value Value::from_vector(const std::vector<T>& values, std::vector<std::uint64_t> shape) {
  if (shape.empty() && values.size() != 1) shape = {values.size()};
  std::vector<unsigned char> raw(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(raw.data(), values.data(), raw.size());
  return numeric(detail::value_type_of<T>(), std::move(shape), std::move(raw));
}

}  // namespace ilpkit

