// SPDX-License-Identifier: MIT
// NumPy .npy files (format versions 1-3), read row by row with pread: memory follows the blocks,
// not the file (a mapping would count the whole file in the process's RSS). Axes: ilastik's
// default order for the rank.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "ilpkit/axes.hpp"
#include "ilpkit/error.hpp"
#include "sources.hpp"

namespace ilpkit::image_detail {

namespace {

class NpyImage final : public RegionSource {
 public:
  NpyImage(int fd, std::size_t data_at, ImageInfo info) : fd_(fd), data_at_(data_at) { info_ = std::move(info); }
  ~NpyImage() override { ::close(fd_); }
  NpyImage(const NpyImage&) = delete;
  NpyImage& operator=(const NpyImage&) = delete;

  void read_region(const std::vector<std::int64_t>& begin, const std::vector<std::int64_t>& count,
                   float* out) const override {
    const std::size_t elem = element_size(info_.dtype);
    std::vector<unsigned char> run;
    for_each_run(info_.shape, begin, count, [&](std::size_t offset, std::size_t length) {
      run.resize(length * elem);
      read_exactly(run.data(), run.size(), data_at_ + offset * elem);
      convert_samples(info_.dtype, run.data(), length, out);
      out += length;
    });
  }

 private:
  void read_exactly(unsigned char* dst, std::size_t size, std::size_t at) const {
    while (size > 0) {
      const ssize_t got = ::pread(fd_, dst, size, static_cast<off_t>(at));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0)
        throw Error(ErrorKind::Io, fmt::format("reading {}: {}", info_.path,
                                               got < 0 ? std::strerror(errno) : "the file ended early"));
      dst += got, at += static_cast<std::size_t>(got), size -= static_cast<std::size_t>(got);
    }
  }

  int fd_;
  std::size_t data_at_;
};

ValueType npy_dtype(const std::string& descr) {
  static const std::pair<const char*, ValueType> known[] = {
      {"|u1", ValueType::UInt8},   {"|i1", ValueType::Int8},    {"<u2", ValueType::UInt16},
      {"<i2", ValueType::Int16},   {"<u4", ValueType::UInt32},  {"<i4", ValueType::Int32},
      {"<u8", ValueType::UInt64},  {"<i8", ValueType::Int64},   {"<f4", ValueType::Float32},
      {"<f8", ValueType::Float64}, {"|b1", ValueType::UInt8}};
  for (const auto& [name, type] : known)
    if (descr == name) return type;
  throw Error(ErrorKind::Unsupported,
              fmt::format("array dtype '{}' is not supported (little-endian integers and floats only)", descr));
}

// The value after 'key': in the header's Python dict literal.
std::string dict_value(const std::string& header, const std::string& key) {
  const auto at = header.find("'" + key + "'");
  if (at == std::string::npos) throw Error(ErrorKind::Format, fmt::format("header has no '{}'", key));
  auto pos = header.find(':', at);
  if (pos == std::string::npos) throw Error(ErrorKind::Format, fmt::format("header entry '{}' has no value", key));
  pos = header.find_first_not_of(' ', pos + 1);
  if (pos == std::string::npos) throw Error(ErrorKind::Format, fmt::format("header entry '{}' has no value", key));
  if (header[pos] == '\'') {
    const auto end = header.find('\'', pos + 1);
    if (end == std::string::npos) throw Error(ErrorKind::Format, "unterminated string in the header");
    return header.substr(pos + 1, end - pos - 1);
  }
  if (header[pos] == '(') {
    const auto end = header.find(')', pos);
    if (end == std::string::npos) throw Error(ErrorKind::Format, "unterminated shape in the header");
    return header.substr(pos + 1, end - pos - 1);
  }
  const auto end = header.find_first_of(",}", pos);
  return header.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
}

Shape parse_shape(const std::string& text) {
  Shape shape;
  std::size_t pos = 0;
  while (pos < text.size()) {
    pos = text.find_first_not_of(" ,", pos);
    if (pos == std::string::npos) break;
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(text.substr(pos), &used);
    } catch (const std::exception&) {
      throw Error(ErrorKind::Format, fmt::format("bad shape '({})' in the header", text));
    }
    if (v < 0) throw Error(ErrorKind::Format, fmt::format("negative extent in shape '({})'", text));
    shape.push_back(v);
    pos += used;
  }
  return shape;
}

}  // namespace

std::unique_ptr<ImageSource> open_npy_image(const std::string& file) {
  return with_context(fmt::format("reading {}", file), [&]() -> std::unique_ptr<ImageSource> {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(ErrorKind::Io, errno == ENOENT ? "no such file" : std::strerror(errno));
    struct FdGuard {
      int fd;
      ~FdGuard() {
        if (fd >= 0) ::close(fd);
      }
    } guard{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw Error(ErrorKind::Io, std::strerror(errno));
    const auto file_size = static_cast<std::size_t>(st.st_size);
    unsigned char bytes[12] = {};
    const ssize_t got = ::pread(fd, bytes, sizeof bytes, 0);
    if (got < 10 || std::memcmp(bytes, "\x93NUMPY", 6) != 0) throw Error(ErrorKind::Format, "not a .npy file");
    const int major = bytes[6];
    std::size_t header_len = 0, header_at = 0;
    if (major == 1) {
      header_len = bytes[8] | (std::size_t{bytes[9]} << 8), header_at = 10;
    } else if (major == 2 || major == 3) {
      if (got < 12) throw Error(ErrorKind::Format, "truncated .npy header");
      header_len = bytes[8] | (std::size_t{bytes[9]} << 8) | (std::size_t{bytes[10]} << 16) | (std::size_t{bytes[11]} << 24);
      header_at = 12;
    } else {
      throw Error(ErrorKind::Unsupported, fmt::format(".npy format version {} is not supported", major));
    }
    if (header_at + header_len > file_size) throw Error(ErrorKind::Format, "truncated .npy header");
    std::string header(header_len, '\0');
    if (::pread(fd, header.data(), header_len, static_cast<off_t>(header_at)) != static_cast<ssize_t>(header_len))
      throw Error(ErrorKind::Io, "cannot read the .npy header");
    const ValueType dtype = npy_dtype(dict_value(header, "descr"));
    if (dict_value(header, "fortran_order").find("True") != std::string::npos)
      throw Error(ErrorKind::Unsupported, "Fortran-ordered arrays are not supported (save with numpy.ascontiguousarray)");
    ImageInfo info;
    info.path = file;
    info.dtype = dtype;
    info.shape = parse_shape(dict_value(header, "shape"));
    if (info.shape.size() < 2 || info.shape.size() > 5)
      throw Error(ErrorKind::Usage, fmt::format("the array has {} dimensions; images have 2 to 5", info.shape.size()));
    std::size_t elements = 1;
    for (auto e : info.shape) {
      if (e == 0) throw Error(ErrorKind::Usage, "the array is empty");
      if (elements > (std::size_t{1} << 48) / static_cast<std::size_t>(e)) throw Error(ErrorKind::Format, "absurd shape");
      elements *= static_cast<std::size_t>(e);
    }
    const std::size_t data_at = header_at + header_len;
    if (file_size - data_at < elements * element_size(dtype))
      throw Error(ErrorKind::Format, fmt::format("the file holds {} bytes of data, its header promises {}",
                                                 file_size - data_at, elements * element_size(dtype)));
    info.axes = default_axes(info.shape);
    info.axes_source = "default";
    auto image = std::make_unique<NpyImage>(fd, data_at, std::move(info));
    guard.fd = -1;
    return image;
  });
}

}  // namespace ilpkit::image_detail
