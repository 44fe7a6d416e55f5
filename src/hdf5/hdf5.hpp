// SPDX-License-Identifier: MIT
// Thin RAII wrapper over the HDF5 C API (private to src/). Every call is serialized through
// one global lock, the HDF5 error stack is folded into ilpkit::Error messages, and values
// come back as ilpkit::Value in all the string and number forms ilastik files use.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <hdf5.h>

#include "ilpkit/error.hpp"
#include "ilpkit/tree.hpp"

namespace ilpkit::hdf5 {

/// The lock every HDF5 call runs under. Recursive so wrappers can nest.
std::recursive_mutex& global_mutex();
/// Holds the global HDF5 lock. Also turns off HDF5's automatic error printing for the calling
/// thread (a per-thread setting in thread-safe builds; errors become exceptions instead).
struct Lock : std::lock_guard<std::recursive_mutex> {
  explicit Lock(std::recursive_mutex& m);
};

/// Owns one hid_t and closes it with the matching H5*close.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : id_(o.id_) { o.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept;
  ~Handle();

  hid_t id() const noexcept { return id_; }
  bool valid() const noexcept { return id_ >= 0; }

 private:
  void close() noexcept;
  hid_t id_ = H5I_INVALID_HID;
};

/// Throws Error(kind, what + HDF5 error stack) when `status` is negative.
void check(herr_t status, const std::string& what, ErrorKind kind = ErrorKind::Format);
hid_t check_id(hid_t id, const std::string& what, ErrorKind kind = ErrorKind::Format);

enum class ObjectType { Group, Dataset, NamedType, Other };

struct LinkEntry {
  std::string name;
  bool hard = true;         ///< soft and external links are not followed
  std::string link_target;  ///< for soft/external links, where they point
};

class File {
 public:
  /// Opens read-only without taking a file lock, so many cluster jobs can read one project
  /// while another process has it open. Throws Error(Io) if missing, Error(Format) if not HDF5.
  static File open_read_only(const std::string& path);
  /// Opens for writing (append); takes the normal HDF5 lock.
  static File open_read_write(const std::string& path);
  /// Creates (truncates) a file with the earliest file format, as ilastik's h5py files use.
  static File create(const std::string& path);

  hid_t id() const noexcept { return handle_.id(); }
  const std::string& path() const noexcept { return path_; }
  void flush();
  void close();

 private:
  Handle handle_;
  std::string path_;
};

/// Opens an object by absolute or relative path.
Handle open_object(hid_t loc, const std::string& path);
ObjectType object_type(hid_t obj);
/// Byte address of an object in its file (for cycle detection over hard links).
std::uint64_t object_address(hid_t obj);
bool exists(hid_t loc, const std::string& path);

/// Links of a group in byte-wise name order.
std::vector<LinkEntry> list_links(hid_t group);
std::vector<std::string> attribute_names(hid_t obj);

/// What a dataset holds without reading it.
struct DatasetInfo {
  ValueType type = ValueType::Other;
  std::vector<std::uint64_t> shape;
  std::string description;  ///< e.g. "fstr[28][6]", "int32[11]", "bool[6,7]"
  std::uint64_t bytes = 0;  ///< element count × element size in memory (saturating)
  std::vector<std::uint64_t> chunk;  ///< chunk shape ({} for contiguous or compact storage)
  int gzip_level = -1;               ///< deflate filter level, -1 without
  std::uint64_t stored_bytes = 0;    ///< space its data takes in the file (H5Dget_storage_size)
};
DatasetInfo dataset_info(hid_t dataset);

/// Reads a whole dataset or attribute into a Value. Refuses more than `max_bytes`.
Value read_dataset(hid_t dataset, std::uint64_t max_bytes);
Value read_attribute(hid_t obj, const std::string& name, std::uint64_t max_bytes);

/// Reads the box [start, start+count) of a numeric dataset converted to `type`, C order.
std::vector<unsigned char> read_hyperslab(hid_t dataset, const std::vector<std::uint64_t>& start,
                                          const std::vector<std::uint64_t>& count, ValueType type);
/// The same into `out` (resized; its capacity is reused, so repeated block reads do not
/// allocate and page-fault in fresh memory each time).
void read_hyperslab_into(hid_t dataset, const std::vector<std::uint64_t>& start, const std::vector<std::uint64_t>& count,
                         ValueType type, std::vector<unsigned char>& out);

// ---- writing (earliest format, h5py-compatible encodings) ----
Handle create_group(hid_t loc, const std::string& name);
/// Writes `value` as a new dataset (contiguous unless chunk is given).
Handle write_dataset(hid_t loc, const std::string& name, const Value& value,
                     const std::vector<std::uint64_t>& chunk = {}, int gzip_level = -1);
void write_attribute(hid_t obj, const std::string& name, const Value& value);

/// Creates an empty numeric dataset of `shape`, chunked when `chunk` is given (gzip if level ≥ 0).
Handle create_dataset(hid_t loc, const std::string& name, ValueType type, const std::vector<std::uint64_t>& shape,
                      const std::vector<std::uint64_t>& chunk = {}, int gzip_level = -1);
/// Writes the box [start, start+count) of a numeric dataset from C-order `data` of `type`.
void write_hyperslab(hid_t dataset, const std::vector<std::uint64_t>& start, const std::vector<std::uint64_t>& count,
                     ValueType type, const void* data);

/// Stores one whole chunk, already filtered (e.g. deflated), at chunk-aligned `offset`
/// (H5Dwrite_chunk): no read-modify-write, no filtering under the HDF5 lock.
void write_chunk(hid_t dataset, const std::vector<std::uint64_t>& offset, const void* data, std::size_t bytes);

}  // namespace ilpkit::hdf5
