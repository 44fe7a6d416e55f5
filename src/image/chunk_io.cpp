// SPDX-License-Identifier: MIT
#include "chunk_io.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "ilpkit/error.hpp"

namespace ilpkit::image_detail {

void write_whole_file(const std::filesystem::path& path, const void* data, std::size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw Error(ErrorKind::Io, fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  const bool written = size == 0 || std::fwrite(data, 1, size, f) == size;
  const int err = errno;
  if (std::fclose(f) != 0 || !written)
    throw Error(ErrorKind::Io, fmt::format("cannot write {}: {}", path.string(), std::strerror(written ? errno : err)));
}

std::vector<unsigned char> read_whole_file(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw Error(ErrorKind::Io, fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  std::vector<unsigned char> bytes;
  unsigned char buf[1 << 16];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.insert(bytes.end(), buf, buf + n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw Error(ErrorKind::Io, fmt::format("cannot read {}", path.string()));
  return bytes;
}

std::vector<unsigned char> deflate_chunk(const std::vector<unsigned char>& raw, bool gzip_wrapper) {
  z_stream z{};
  // windowBits 15 + 16 asks zlib for a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, 1, Z_DEFLATED, gzip_wrapper ? 15 + 16 : 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Error(ErrorKind::Internal, "zlib could not start compressing a chunk");
  std::vector<unsigned char> out(deflateBound(&z, static_cast<uLong>(raw.size())) + 32);
  z.next_in = const_cast<Bytef*>(raw.data());
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw Error(ErrorKind::Internal, "zlib could not compress a chunk");
  return out;
}

}  // namespace ilpkit::image_detail
