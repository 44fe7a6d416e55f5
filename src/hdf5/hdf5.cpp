// SPDX-License-Identifier: MIT
#include "hdf5.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "ilpkit/error.hpp"

namespace ilpkit::hdf5 {

namespace {

// Silences HDF5's automatic error printing on this thread (a per-thread setting: blocks are
// written by whichever TBB worker runs the serial stage); errors are reported through exceptions.
void ensure_init() {
  thread_local const bool silenced = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

herr_t collect_error(unsigned n, const H5E_error2_t* err, void* data) {
  auto* out = static_cast<std::vector<std::string>*>(data);
  if (n < 4 && err && err->desc && *err->desc) out->emplace_back(err->desc);
  return 0;
}

// The innermost few HDF5 error descriptions, e.g. "truncated file: eof = 1024, ...".
std::string error_stack() {
  std::vector<std::string> parts;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &parts);
  H5Eclear2(H5E_DEFAULT);
  std::vector<std::string> unique;
  for (const auto& p : parts)
    if (std::find(unique.begin(), unique.end(), p) == unique.end()) unique.push_back(p);
  return fmt::format("{}", fmt::join(unique, "; "));
}

[[noreturn]] void fail(const std::string& what, ErrorKind kind) {
  std::string stack = error_stack();
  throw Error(kind, stack.empty() ? what : fmt::format("{} (HDF5: {})", what, stack));
}

std::uint64_t saturating_mul(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a)
    return std::numeric_limits<std::uint64_t>::max();
  return a * b;
}

std::vector<std::uint64_t> dims_of(hid_t space) {
  int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) fail("cannot read dataspace", ErrorKind::Format);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space, dims.data(), nullptr) < 0)
    fail("cannot read dataspace dimensions", ErrorKind::Format);
  return {dims.begin(), dims.end()};
}

std::uint64_t element_count(const std::vector<std::uint64_t>& dims) {
  std::uint64_t n = 1;
  for (auto d : dims) n = saturating_mul(n, d);
  return n;
}

hid_t native_of(ValueType t) {
  switch (t) {
    case ValueType::Int8: return H5T_NATIVE_INT8;
    case ValueType::UInt8: case ValueType::Bool: return H5T_NATIVE_UINT8;
    case ValueType::Int16: return H5T_NATIVE_INT16;
    case ValueType::UInt16: return H5T_NATIVE_UINT16;
    case ValueType::Int32: return H5T_NATIVE_INT32;
    case ValueType::UInt32: return H5T_NATIVE_UINT32;
    case ValueType::Int64: return H5T_NATIVE_INT64;
    case ValueType::UInt64: return H5T_NATIVE_UINT64;
    case ValueType::Float32: return H5T_NATIVE_FLOAT;
    case ValueType::Float64: return H5T_NATIVE_DOUBLE;
    default: return H5I_INVALID_HID;
  }
}

ValueType integer_type(std::size_t size, bool is_signed) {
  switch (size) {
    case 1: return is_signed ? ValueType::Int8 : ValueType::UInt8;
    case 2: return is_signed ? ValueType::Int16 : ValueType::UInt16;
    case 4: return is_signed ? ValueType::Int32 : ValueType::UInt32;
    case 8: return is_signed ? ValueType::Int64 : ValueType::UInt64;
    default: return ValueType::Other;
  }
}

// h5py stores numpy bool as an enum over int8 with members FALSE=0 and TRUE=1.
bool is_bool_enum(hid_t type) {
  if (H5Tget_class(type) != H5T_ENUM || H5Tget_nmembers(type) != 2) return false;
  for (unsigned i = 0; i < 2; ++i) {
    char* name = H5Tget_member_name(type, i);
    if (!name) return false;
    std::string n(name);
    H5free_memory(name);
    if (n != "FALSE" && n != "TRUE") return false;
  }
  return H5Tget_size(type) == 1;
}

struct TypeFacts {
  ValueType type = ValueType::Other;
  StringForm string_form = StringForm::None;
  std::size_t fixed_size = 0;
  std::size_t file_size = 0;
  std::string name;  // "int32", "vstr-A", "fstr[28]", "enum", "compound" ...
};

TypeFacts type_facts(hid_t type) {
  TypeFacts f;
  f.file_size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      f.type = integer_type(f.file_size, H5Tget_sign(type) == H5T_SGN_2);
      break;
    case H5T_FLOAT:
      f.type = f.file_size == 4 ? ValueType::Float32 : ValueType::Float64;
      break;
    case H5T_ENUM:
      if (is_bool_enum(type)) {
        f.type = ValueType::Bool;
      } else {
        Handle base(H5Tget_super(type));
        if (base.valid()) f.type = integer_type(H5Tget_size(base.id()), H5Tget_sign(base.id()) == H5T_SGN_2);
        f.name = "enum";
      }
      break;
    case H5T_STRING:
      f.type = ValueType::String;
      if (H5Tis_variable_str(type) > 0) {
        f.string_form = H5Tget_cset(type) == H5T_CSET_UTF8 ? StringForm::VarUtf8 : StringForm::VarAscii;
      } else {
        f.string_form = StringForm::Fixed;
        f.fixed_size = f.file_size;
      }
      break;
    case H5T_OPAQUE:
      f.type = ValueType::Opaque;
      break;
    case H5T_BITFIELD: f.name = "bitfield"; break;
    case H5T_COMPOUND: f.name = "compound"; break;
    case H5T_REFERENCE: f.name = "reference"; break;
    case H5T_VLEN: f.name = "vlen sequence"; break;
    case H5T_ARRAY: f.name = "array type"; break;
    case H5T_TIME: f.name = "time"; break;
    default: f.name = "unknown type"; break;
  }
  if (f.name.empty()) {
    if (f.type == ValueType::String) {
      f.name = f.string_form == StringForm::VarUtf8   ? "vstr-U"
               : f.string_form == StringForm::VarAscii ? "vstr-A"
                                                       : fmt::format("fstr[{}]", f.fixed_size);
    } else if (f.type == ValueType::Opaque) {
      f.name = fmt::format("opaque[{}]", f.file_size);
    } else {
      f.name = to_string(f.type);
    }
  }
  return f;
}

std::string describe(const TypeFacts& f, const std::vector<std::uint64_t>& dims) {
  if (dims.empty()) return f.name + " scalar";
  return fmt::format("{}[{}]", f.name, fmt::join(dims, ","));
}

std::uint64_t memory_bytes(const TypeFacts& f, std::uint64_t n) {
  std::size_t per = f.type == ValueType::String && f.string_form != StringForm::Fixed
                        ? sizeof(char*)
                        : (is_numeric(f.type) ? element_size(f.type) : f.file_size);
  return saturating_mul(n, per);
}

std::string strip_fixed(const char* p, std::size_t n, H5T_str_t pad) {
  std::size_t len = 0;
  if (pad == H5T_STR_SPACEPAD) {
    len = n;
    while (len > 0 && p[len - 1] == ' ') --len;
  } else {
    while (len < n && p[len] != '\0') ++len;
  }
  return std::string(p, len);
}

// Reads through a reader callback so datasets and attributes share one decoder.
template <class ReadFn>
Value decode(hid_t file_type, const std::vector<std::uint64_t>& dims, std::uint64_t max_bytes,
             const std::string& what, ReadFn&& read) {
  TypeFacts f = type_facts(file_type);
  std::uint64_t n = element_count(dims);
  std::uint64_t bytes = memory_bytes(f, n);
  if (bytes > max_bytes)
    throw Error(ErrorKind::Format, fmt::format("{} is {} ({} bytes), more than the {} bytes allowed",
                                               what, describe(f, dims), bytes, max_bytes));
  auto count = static_cast<std::size_t>(n);
  switch (f.type) {
    case ValueType::String: {
      std::vector<std::string> out(count);
      if (f.string_form == StringForm::Fixed) {
        Handle mem(H5Tcopy(H5T_C_S1));
        H5Tset_size(mem.id(), f.fixed_size);
        H5T_str_t pad = H5Tget_strpad(file_type);
        H5Tset_strpad(mem.id(), pad == H5T_STR_SPACEPAD ? H5T_STR_SPACEPAD : H5T_STR_NULLPAD);
        std::vector<char> buf(count * f.fixed_size + 1);
        if (count) check(read(mem.id(), buf.data()), "cannot read " + what);
        for (std::size_t i = 0; i < count; ++i)
          out[i] = strip_fixed(buf.data() + i * f.fixed_size, f.fixed_size, pad);
      } else {
        Handle mem(H5Tcopy(H5T_C_S1));
        H5Tset_size(mem.id(), H5T_VARIABLE);
        H5Tset_cset(mem.id(), H5Tget_cset(file_type));
        std::vector<char*> buf(count, nullptr);
        if (count) check(read(mem.id(), buf.data()), "cannot read " + what);
        for (std::size_t i = 0; i < count; ++i) {
          if (buf[i]) out[i] = buf[i];
          H5free_memory(buf[i]);  // vlen strings are allocated by the library
        }
      }
      return Value::strings(std::move(out), dims, f.string_form, f.fixed_size);
    }
    case ValueType::Opaque: {
      std::string bytes_out(count * f.file_size, '\0');
      if (count) check(read(file_type, bytes_out.data()), "cannot read " + what);
      return Value::opaque(std::move(bytes_out));
    }
    case ValueType::Other:
      return Value::other(describe(f, dims));
    case ValueType::Bool: {
      std::vector<unsigned char> raw(count);
      Handle mem(H5Tget_native_type(file_type, H5T_DIR_ASCEND));
      if (count) check(read(mem.id(), raw.data()), "cannot read " + what);
      for (auto& b : raw) b = b ? 1 : 0;
      return Value::numeric(ValueType::Bool, dims, std::move(raw));
    }
    default: {
      std::vector<unsigned char> raw(count * element_size(f.type));
      if (H5Tget_class(file_type) == H5T_ENUM) {
        // Read enums as their base integers: same bytes in the native enum type.
        Handle mem(H5Tget_native_type(file_type, H5T_DIR_ASCEND));
        if (count) check(read(mem.id(), raw.data()), "cannot read " + what);
      } else if (count) {
        check(read(native_of(f.type), raw.data()), "cannot read " + what);
      }
      return Value::numeric(f.type, dims, std::move(raw));
    }
  }
}

}  // namespace

std::recursive_mutex& global_mutex() {
  static std::recursive_mutex m;
  return m;
}

Lock::Lock(std::recursive_mutex& m) : std::lock_guard<std::recursive_mutex>(m) { ensure_init(); }

namespace {
// HDF5's exit handler closes files still open, and crashes (HDF5 1.10.8, H5F__close_cb) on a file
// whose close already failed, e.g. on a full disk. Every file is closed explicitly here, and an
// abandoned export's temporary file is deleted anyway, so the handler is not needed.
const bool kNoExitHandler = [] {
  H5dont_atexit();
  return true;
}();
}  // namespace

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    close();
    id_ = o.id_;
    o.id_ = H5I_INVALID_HID;
  }
  return *this;
}

Handle::~Handle() { close(); }

void Handle::close() noexcept {
  if (id_ < 0) return;
  Lock lock(global_mutex());
  switch (H5Iget_type(id_)) {
    case H5I_FILE: H5Fclose(id_); break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    case H5I_ATTR: H5Aclose(id_); break;
    case H5I_DATATYPE: H5Tclose(id_); break;
    case H5I_DATASPACE: H5Sclose(id_); break;
    case H5I_GENPROP_LST: H5Pclose(id_); break;
    default: H5Idec_ref(id_); break;
  }
  id_ = H5I_INVALID_HID;
}

void check(herr_t status, const std::string& what, ErrorKind kind) {
  if (status < 0) fail(what, kind);
}

hid_t check_id(hid_t id, const std::string& what, ErrorKind kind) {
  if (id < 0) fail(what, kind);
  return id;
}

File File::open_read_only(const std::string& path) {
  Lock lock(global_mutex());
  ensure_init();
  namespace fs = std::filesystem;
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status))
    throw Error(ErrorKind::Io, fmt::format("{}: no such file", path));
  if (fs::is_directory(status))
    throw Error(ErrorKind::Io, fmt::format("{}: is a directory, not a project file", path));
  if (!fs::is_regular_file(status))
    throw Error(ErrorKind::Io, fmt::format("{}: not a regular file", path));
  htri_t is_h5 = H5Fis_hdf5(path.c_str());
  H5Eclear2(H5E_DEFAULT);
  if (is_h5 <= 0) {
    if (fs::file_size(path, ec) == 0 && !ec)
      throw Error(ErrorKind::Format, fmt::format("{}: empty file, not HDF5", path));
    throw Error(ErrorKind::Format, fmt::format("{}: not an HDF5 file (no HDF5 signature)", path));
  }
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  // Read-only opens take no lock: projects stay readable while ilastik or another job has them.
  H5Pset_file_locking(fapl.id(), false, true);
  File f;
  f.path_ = path;
  f.handle_ = Handle(check_id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.id()),
                              fmt::format("{}: cannot open HDF5 file", path)));
  return f;
}

File File::open_read_write(const std::string& path) {
  Lock lock(global_mutex());
  ensure_init();
  File f;
  f.path_ = path;
  f.handle_ = Handle(check_id(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT),
                              fmt::format("{}: cannot open HDF5 file for writing", path), ErrorKind::Io));
  return f;
}

File File::create(const std::string& path) {
  Lock lock(global_mutex());
  ensure_init();
  File f;
  f.path_ = path;
  f.handle_ = Handle(check_id(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                              fmt::format("{}: cannot create HDF5 file", path), ErrorKind::Io));
  return f;
}

void File::flush() {
  Lock lock(global_mutex());
  check(H5Fflush(handle_.id(), H5F_SCOPE_GLOBAL), path_ + ": cannot flush", ErrorKind::Io);
}

void File::close() {
  Lock lock(global_mutex());
  handle_ = Handle();
}

Handle open_object(hid_t loc, const std::string& path) {
  Lock lock(global_mutex());
  return Handle(check_id(H5Oopen(loc, path.c_str(), H5P_DEFAULT), "cannot open '" + path + "'"));
}

ObjectType object_type(hid_t obj) {
  Lock lock(global_mutex());
  switch (H5Iget_type(obj)) {
    case H5I_GROUP: return ObjectType::Group;
    case H5I_DATASET: return ObjectType::Dataset;
    case H5I_DATATYPE: return ObjectType::NamedType;
    default: return ObjectType::Other;
  }
}

std::uint64_t object_address(hid_t obj) {
  Lock lock(global_mutex());
  H5O_info_t info;
  check(H5Oget_info2(obj, &info, H5O_INFO_BASIC), "cannot read object info");
  return static_cast<std::uint64_t>(info.addr);
}

bool exists(hid_t loc, const std::string& path) {
  Lock lock(global_mutex());
  // Check each component, as H5Lexists requires the parents to exist.
  std::string cur;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    auto slash = path.find('/', pos);
    auto part = path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    if (!part.empty()) {
      cur += (cur.empty() && path[0] != '/') ? part : "/" + part;
      htri_t e = H5Lexists(loc, cur.c_str(), H5P_DEFAULT);
      H5Eclear2(H5E_DEFAULT);
      if (e <= 0) return false;
    }
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  return true;
}

namespace {
herr_t collect_link(hid_t, const char* name, const H5L_info_t* info, void* data) {
  auto* out = static_cast<std::vector<LinkEntry>*>(data);
  LinkEntry e;
  e.name = name;
  e.hard = info->type == H5L_TYPE_HARD;
  out->push_back(std::move(e));
  return 0;
}
herr_t collect_attr(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}
}  // namespace

std::vector<LinkEntry> list_links(hid_t group) {
  Lock lock(global_mutex());
  std::vector<LinkEntry> out;
  hsize_t idx = 0;
  check(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_link, &out),
        "cannot list group members");
  for (auto& e : out) {
    if (e.hard) continue;
    H5L_info_t info;
    if (H5Lget_info(group, e.name.c_str(), &info, H5P_DEFAULT) >= 0 && info.type == H5L_TYPE_SOFT &&
        info.u.val_size > 0 && info.u.val_size < 65536) {
      std::string target(info.u.val_size, '\0');
      if (H5Lget_val(group, e.name.c_str(), target.data(), target.size(), H5P_DEFAULT) >= 0)
        e.link_target = target.c_str();
    }
    H5Eclear2(H5E_DEFAULT);
  }
  // HDF5's name index is byte-wise; keep that order explicitly.
  std::sort(out.begin(), out.end(), [](const LinkEntry& a, const LinkEntry& b) { return a.name < b.name; });
  return out;
}

std::vector<std::string> attribute_names(hid_t obj) {
  Lock lock(global_mutex());
  std::vector<std::string> out;
  hsize_t idx = 0;
  check(H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attr, &out),
        "cannot list attributes");
  return out;
}

DatasetInfo dataset_info(hid_t dataset) {
  Lock lock(global_mutex());
  Handle type(check_id(H5Dget_type(dataset), "cannot read dataset type"));
  Handle space(check_id(H5Dget_space(dataset), "cannot read dataset space"));
  DatasetInfo info;
  TypeFacts f = type_facts(type.id());
  info.type = f.type;
  if (H5Sget_simple_extent_type(space.id()) == H5S_NULL) {
    info.shape = {0};
  } else {
    info.shape = dims_of(space.id());
  }
  info.description = describe(f, info.shape);
  info.bytes = memory_bytes(f, element_count(info.shape));
  info.stored_bytes = H5Dget_storage_size(dataset);
  // Storage, so that rewritten files keep each dataset's chunking and compression.
  const hid_t dcpl = H5Dget_create_plist(dataset);
  if (dcpl >= 0) {
    if (H5Pget_layout(dcpl) == H5D_CHUNKED && !info.shape.empty()) {
      std::vector<hsize_t> c(info.shape.size());
      if (H5Pget_chunk(dcpl, static_cast<int>(c.size()), c.data()) == static_cast<int>(c.size()))
        info.chunk.assign(c.begin(), c.end());
      const int filters = H5Pget_nfilters(dcpl);
      for (int i = 0; i < filters; ++i) {
        unsigned flags = 0, values[4] = {0, 0, 0, 0};
        std::size_t n = 4;
        if (H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &n, values, 0, nullptr, nullptr) == H5Z_FILTER_DEFLATE)
          info.gzip_level = n > 0 ? static_cast<int>(values[0]) : 6;
      }
    }
    H5Pclose(dcpl);
  }
  return info;
}

Value read_dataset(hid_t dataset, std::uint64_t max_bytes) {
  Lock lock(global_mutex());
  Handle type(check_id(H5Dget_type(dataset), "cannot read dataset type"));
  Handle space(check_id(H5Dget_space(dataset), "cannot read dataset space"));
  std::vector<std::uint64_t> dims;
  if (H5Sget_simple_extent_type(space.id()) == H5S_NULL) dims = {0};
  else dims = dims_of(space.id());
  return decode(type.id(), dims, max_bytes, "dataset", [&](hid_t mem, void* buf) {
    return H5Dread(dataset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  });
}

Value read_attribute(hid_t obj, const std::string& name, std::uint64_t max_bytes) {
  Lock lock(global_mutex());
  Handle attr(check_id(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "cannot open attribute " + name));
  Handle type(check_id(H5Aget_type(attr.id()), "cannot read type of attribute " + name));
  Handle space(check_id(H5Aget_space(attr.id()), "cannot read space of attribute " + name));
  std::vector<std::uint64_t> dims;
  if (H5Sget_simple_extent_type(space.id()) == H5S_NULL) return Value::other("empty attribute");
  dims = dims_of(space.id());
  return decode(type.id(), dims, max_bytes, "attribute " + name, [&](hid_t mem, void* buf) {
    return H5Aread(attr.id(), mem, buf);
  });
}

void read_hyperslab_into(hid_t dataset, const std::vector<std::uint64_t>& start, const std::vector<std::uint64_t>& count,
                         ValueType type, std::vector<unsigned char>& out) {
  Lock lock(global_mutex());
  if (!is_numeric(type)) throw Error(ErrorKind::Internal, "read_hyperslab(): numeric types only");
  Handle space(check_id(H5Dget_space(dataset), "cannot read dataset space"));
  auto dims = dims_of(space.id());
  if (start.size() != dims.size() || count.size() != dims.size())
    throw Error(ErrorKind::Internal, "read_hyperslab(): rank mismatch");
  for (std::size_t i = 0; i < dims.size(); ++i)
    if (start[i] > dims[i] || count[i] > dims[i] - start[i])
      throw Error(ErrorKind::Format, fmt::format("hyperslab [{}]+[{}] is outside the dataset [{}]",
                                                 fmt::join(start, ","), fmt::join(count, ","),
                                                 fmt::join(dims, ",")));
  std::vector<hsize_t> s(start.begin(), start.end()), c(count.begin(), count.end());
  std::uint64_t n = element_count(count);
  out.resize(static_cast<std::size_t>(n) * element_size(type));
  if (n == 0) return;
  check(H5Sselect_hyperslab(space.id(), H5S_SELECT_SET, s.data(), nullptr, c.data(), nullptr),
        "cannot select hyperslab");
  Handle mem(H5Screate_simple(static_cast<int>(c.size()), c.data(), nullptr));
  check(H5Dread(dataset, native_of(type), mem.id(), space.id(), H5P_DEFAULT, out.data()),
        "cannot read hyperslab");
}

std::vector<unsigned char> read_hyperslab(hid_t dataset, const std::vector<std::uint64_t>& start,
                                          const std::vector<std::uint64_t>& count, ValueType type) {
  std::vector<unsigned char> out;
  read_hyperslab_into(dataset, start, count, type, out);
  return out;
}

// ---- writing ----

namespace {

Handle bool_type() {
  Handle t(H5Tenum_create(H5T_NATIVE_INT8));
  std::int8_t f = 0, tr = 1;
  H5Tenum_insert(t.id(), "FALSE", &f);
  H5Tenum_insert(t.id(), "TRUE", &tr);
  return t;
}

Handle file_type_of(const Value& v) {
  switch (v.type()) {
    case ValueType::Bool: return bool_type();
    case ValueType::String: {
      Handle t(H5Tcopy(H5T_C_S1));
      if (v.string_form() == StringForm::Fixed) {
        std::size_t n = std::max<std::size_t>(v.fixed_string_size(), 1);
        H5Tset_size(t.id(), n);
        H5Tset_strpad(t.id(), H5T_STR_NULLPAD);
      } else {
        H5Tset_size(t.id(), H5T_VARIABLE);
        H5Tset_strpad(t.id(), H5T_STR_NULLTERM);
        H5Tset_cset(t.id(), v.string_form() == StringForm::VarUtf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
      }
      return t;
    }
    case ValueType::Opaque: {
      Handle t(H5Tcreate(H5T_OPAQUE, std::max<std::size_t>(v.opaque_bytes().size(), 1)));
      H5Tset_tag(t.id(), "");
      return t;
    }
    default: {
      if (!is_numeric(v.type())) throw Error(ErrorKind::Internal, "cannot write value of type " + v.describe());
      return Handle(H5Tcopy(native_of(v.type())));
    }
  }
}

Handle space_of(const Value& v) {
  if (v.type() == ValueType::Opaque || v.is_scalar()) return Handle(H5Screate(H5S_SCALAR));
  std::vector<hsize_t> dims(v.shape().begin(), v.shape().end());
  return Handle(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
}

// Buffer in the memory layout of file_type_of(v).
template <class WriteFn>
herr_t write_value(const Value& v, hid_t type, WriteFn&& write) {
  switch (v.type()) {
    case ValueType::String: {
      const auto& s = v.string_values();
      if (v.string_form() == StringForm::Fixed) {
        std::size_t n = H5Tget_size(type);
        std::vector<char> buf(s.size() * n, '\0');
        for (std::size_t i = 0; i < s.size(); ++i)
          std::memcpy(buf.data() + i * n, s[i].data(), std::min(n, s[i].size()));
        return write(type, buf.data());
      }
      std::vector<const char*> ptrs;
      for (const auto& x : s) ptrs.push_back(x.c_str());
      return write(type, ptrs.data());
    }
    case ValueType::Opaque: return write(type, v.opaque_bytes().data());
    case ValueType::Bool: {
      Handle mem(H5Tget_native_type(type, H5T_DIR_ASCEND));
      return write(mem.id(), v.raw().data());
    }
    default: return write(type, v.raw().data());
  }
}

}  // namespace

Handle create_group(hid_t loc, const std::string& name) {
  Lock lock(global_mutex());
  // No modification times, as h5py writes by default: smaller object headers, and the same
  // content gives the same bytes.
  Handle gcpl(H5Pcreate(H5P_GROUP_CREATE));
  H5Pset_obj_track_times(gcpl.id(), 0);
  return Handle(check_id(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, gcpl.id(), H5P_DEFAULT),
                         "cannot create group '" + name + "'", ErrorKind::Io));
}

Handle write_dataset(hid_t loc, const std::string& name, const Value& value,
                     const std::vector<std::uint64_t>& chunk, int gzip_level) {
  Lock lock(global_mutex());
  Handle type = file_type_of(value);
  Handle space = space_of(value);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_obj_track_times(dcpl.id(), 0);  // as h5py: see create_group
  if (!chunk.empty()) {
    std::vector<hsize_t> c(chunk.begin(), chunk.end());
    check(H5Pset_chunk(dcpl.id(), static_cast<int>(c.size()), c.data()), "cannot set chunking", ErrorKind::Io);
    if (gzip_level >= 0) H5Pset_deflate(dcpl.id(), static_cast<unsigned>(gzip_level));
  }
  Handle ds(check_id(H5Dcreate2(loc, name.c_str(), type.id(), space.id(), H5P_DEFAULT, dcpl.id(), H5P_DEFAULT),
                     "cannot create dataset '" + name + "'", ErrorKind::Io));
  if (value.size() > 0 || value.type() == ValueType::Opaque)
    check(write_value(value, type.id(), [&](hid_t mem, const void* buf) {
            return H5Dwrite(ds.id(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
          }),
          "cannot write dataset '" + name + "'", ErrorKind::Io);
  return ds;
}

void write_attribute(hid_t obj, const std::string& name, const Value& value) {
  Lock lock(global_mutex());
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Handle type = file_type_of(value);
  Handle space = space_of(value);
  Handle attr(check_id(H5Acreate2(obj, name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
                       "cannot create attribute '" + name + "'", ErrorKind::Io));
  check(write_value(value, type.id(), [&](hid_t mem, const void* buf) { return H5Awrite(attr.id(), mem, buf); }),
        "cannot write attribute '" + name + "'", ErrorKind::Io);
}

Handle create_dataset(hid_t loc, const std::string& name, ValueType type, const std::vector<std::uint64_t>& shape,
                      const std::vector<std::uint64_t>& chunk, int gzip_level) {
  Lock lock(global_mutex());
  if (!is_numeric(type)) throw Error(ErrorKind::Internal, "create_dataset(): numeric types only");
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  Handle space(check_id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                        "cannot create dataspace", ErrorKind::Io));
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_obj_track_times(dcpl.id(), 0);  // as h5py: see create_group
  if (!chunk.empty()) {
    std::vector<hsize_t> c(chunk.begin(), chunk.end());
    check(H5Pset_chunk(dcpl.id(), static_cast<int>(c.size()), c.data()), "cannot set chunking", ErrorKind::Io);
    if (gzip_level >= 0) H5Pset_deflate(dcpl.id(), static_cast<unsigned>(gzip_level));
  }
  return Handle(check_id(H5Dcreate2(loc, name.c_str(), native_of(type), space.id(), H5P_DEFAULT, dcpl.id(),
                                    H5P_DEFAULT),
                         "cannot create dataset '" + name + "'", ErrorKind::Io));
}

void write_hyperslab(hid_t dataset, const std::vector<std::uint64_t>& start, const std::vector<std::uint64_t>& count,
                     ValueType type, const void* data) {
  Lock lock(global_mutex());
  Handle space(check_id(H5Dget_space(dataset), "cannot read dataset space", ErrorKind::Io));
  std::vector<hsize_t> s(start.begin(), start.end()), c(count.begin(), count.end());
  if (element_count(count) == 0) return;
  check(H5Sselect_hyperslab(space.id(), H5S_SELECT_SET, s.data(), nullptr, c.data(), nullptr),
        "cannot select hyperslab", ErrorKind::Io);
  Handle mem(H5Screate_simple(static_cast<int>(c.size()), c.data(), nullptr));
  check(H5Dwrite(dataset, native_of(type), mem.id(), space.id(), H5P_DEFAULT, data), "cannot write hyperslab",
        ErrorKind::Io);
}

void write_chunk(hid_t dataset, const std::vector<std::uint64_t>& offset, const void* data, std::size_t bytes) {
  Lock lock(global_mutex());
  std::vector<hsize_t> o(offset.begin(), offset.end());
  check(H5Dwrite_chunk(dataset, H5P_DEFAULT, 0, o.data(), bytes, data), "cannot write chunk", ErrorKind::Io);
}

}  // namespace ilpkit::hdf5
