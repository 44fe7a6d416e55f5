// SPDX-License-Identifier: MIT
// Independent readers of the N5 and Zarr v2 layouts for tests, written from the format
// descriptions (saalfeldlab/n5 README, Zarr v2 spec), not from ilpkit's writers: attributes by
// nlohmann-json, chunks inflated by zlib, values decoded by hand.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ilpkit::test {

struct ChunkedArray {
  std::vector<std::uint64_t> shape;  ///< C order (numpy's)
  std::vector<std::uint64_t> chunk;  ///< C order
  nlohmann::json attrs;              ///< the array's own attributes (.zattrs or attributes.json)
  std::vector<double> values;        ///< C order
  std::size_t chunk_files = 0;

  double at(const std::vector<std::uint64_t>& idx) const {
    std::uint64_t off = 0;
    for (std::size_t i = 0; i < shape.size(); ++i) off = off * shape[i] + idx[i];
    return values.at(off);
  }
};

inline std::vector<unsigned char> read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  return std::vector<unsigned char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline nlohmann::json read_json(const std::filesystem::path& p) {
  const auto bytes = read_all(p);
  return nlohmann::json::parse(bytes.begin(), bytes.end());
}

// zlib or gzip stream (windowBits 15 + 32 detects either), `expected` bytes out.
inline std::vector<unsigned char> inflate_all(const unsigned char* data, std::size_t size, std::size_t expected) {
  std::vector<unsigned char> out(expected);
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) throw std::runtime_error("inflateInit2");
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  const auto produced = z.total_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END || produced != expected) throw std::runtime_error("chunk does not inflate to its size");
  return out;
}

// One value of `type` ('f', 'u', 'i' and its byte count) at p in the given byte order.
inline double decode_value(const unsigned char* p, char kind, std::size_t bytes, bool big_endian) {
  unsigned char b[8];
  for (std::size_t i = 0; i < bytes; ++i) b[i] = big_endian ? p[bytes - 1 - i] : p[i];  // to little endian
  std::uint64_t u = 0;
  for (std::size_t i = bytes; i-- > 0;) u = (u << 8) | b[i];
  if (kind == 'f') {
    if (bytes == 4) {
      const auto v = static_cast<std::uint32_t>(u);
      float f;
      std::memcpy(&f, &v, 4);
      return f;
    }
    double d;
    std::memcpy(&d, &u, 8);
    return d;
  }
  if (kind == 'i' && bytes < 8 && (u >> (8 * bytes - 1)) & 1) return static_cast<double>(static_cast<std::int64_t>(u | (~0ULL << (8 * bytes))));
  if (kind == 'i') return static_cast<double>(static_cast<std::int64_t>(u));
  return static_cast<double>(u);
}

// Calls fn(grid index) for every chunk of the grid, C order.
template <class Fn>
void for_each_chunk(const std::vector<std::uint64_t>& shape, const std::vector<std::uint64_t>& chunk, Fn fn) {
  const std::size_t n = shape.size();
  std::vector<std::uint64_t> grid(n), idx(n, 0);
  for (std::size_t i = 0; i < n; ++i) grid[i] = (shape[i] + chunk[i] - 1) / chunk[i];
  for (auto g : grid)
    if (g == 0) return;
  while (true) {
    fn(idx);
    std::size_t i = n;
    while (i-- > 0) {
      if (++idx[i] < grid[i]) break;
      idx[i] = 0;
    }
    if (i == static_cast<std::size_t>(-1)) return;
  }
}

// Copies a chunk's C-order values (extents `ext`) at grid position `idx` into the array.
inline void place_chunk(ChunkedArray& a, const std::vector<std::uint64_t>& idx, const std::vector<std::uint64_t>& ext,
                        const std::vector<double>& vals) {
  const std::size_t n = a.shape.size();
  std::vector<std::uint64_t> k(n, 0);
  for (std::size_t v = 0; v < vals.size(); ++v) {
    bool inside = true;
    std::uint64_t off = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t g = idx[i] * a.chunk[i] + k[i];
      inside &= g < a.shape[i];
      off = off * a.shape[i] + g;
    }
    if (inside) a.values[off] = vals[v];
    for (std::size_t i = n; i-- > 0;) {
      if (++k[i] < ext[i]) break;
      k[i] = 0;
    }
  }
}

/// An N5 dataset folder: attributes.json (dimensions and blockSize listed fastest axis first),
/// blocks at "<i_fastest>/.../<i_slowest>" with a big-endian header and big-endian values.
inline ChunkedArray read_n5(const std::filesystem::path& dataset) {
  ChunkedArray a;
  a.attrs = read_json(dataset / "attributes.json");
  for (auto it = a.attrs["dimensions"].rbegin(); it != a.attrs["dimensions"].rend(); ++it) a.shape.push_back(*it);
  for (auto it = a.attrs["blockSize"].rbegin(); it != a.attrs["blockSize"].rend(); ++it) a.chunk.push_back(*it);
  const std::string type = a.attrs["dataType"];
  const char kind = type[0];
  const std::size_t bytes = std::stoul(type.substr(type.find_first_of("0123456789"))) / 8;
  const std::string compression = a.attrs["compression"]["type"];
  std::uint64_t total = 1;
  for (auto s : a.shape) total *= s;
  a.values.assign(total, 0);
  for_each_chunk(a.shape, a.chunk, [&](const std::vector<std::uint64_t>& idx) {
    std::filesystem::path file = dataset;
    for (std::size_t i = idx.size(); i-- > 0;) file /= std::to_string(idx[i]);
    if (!std::filesystem::exists(file)) return;  // N5 datasets may be sparse
    ++a.chunk_files;
    const auto raw = read_all(file);
    auto u16 = [&](std::size_t at) { return static_cast<std::uint32_t>(raw.at(at) << 8 | raw.at(at + 1)); };
    if (u16(0) != 0) throw std::runtime_error("varlength N5 block");
    const std::size_t n = u16(2);
    if (n != a.shape.size()) throw std::runtime_error("N5 block rank");
    std::vector<std::uint64_t> ext(n);
    std::uint64_t count = 1;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t at = 4 + 4 * i;
      ext[n - 1 - i] = static_cast<std::uint64_t>(u16(at)) << 16 | u16(at + 2);
    }
    for (auto e : ext) count *= e;
    const std::size_t header = 4 + 4 * n;
    std::vector<unsigned char> data;
    if (compression == "raw")
      data.assign(raw.begin() + static_cast<long>(header), raw.end());
    else if (compression == "gzip")
      data = inflate_all(raw.data() + header, raw.size() - header, count * bytes);
    else
      throw std::runtime_error("compression " + compression);
    if (data.size() != count * bytes) throw std::runtime_error("N5 block size");
    std::vector<double> vals(count);
    for (std::uint64_t v = 0; v < count; ++v) vals[v] = decode_value(data.data() + v * bytes, kind, bytes, true);
    place_chunk(a, idx, ext, vals);
  });
  return a;
}

/// A Zarr v2 array folder (.zarray, .zattrs), chunks of full extent at keys joined by the
/// dimension separator, raw or zlib-compressed, little-endian.
inline ChunkedArray read_zarr(const std::filesystem::path& array) {
  ChunkedArray a;
  const auto meta = read_json(array / ".zarray");
  if (std::filesystem::exists(array / ".zattrs")) a.attrs = read_json(array / ".zattrs");
  a.shape = meta["shape"].get<std::vector<std::uint64_t>>();
  a.chunk = meta["chunks"].get<std::vector<std::uint64_t>>();
  const std::string descr = meta["dtype"];
  const char kind = descr[1];
  const std::size_t bytes = std::stoul(descr.substr(2));
  if (descr[0] == '>') throw std::runtime_error("big-endian zarr");
  const std::string sep = meta.value("dimension_separator", ".");
  std::uint64_t total = 1, per_chunk = 1;
  for (auto s : a.shape) total *= s;
  for (auto c : a.chunk) per_chunk *= c;
  a.values.assign(total, meta["fill_value"].get<double>());
  for_each_chunk(a.shape, a.chunk, [&](const std::vector<std::uint64_t>& idx) {
    std::string key;
    for (std::size_t i = 0; i < idx.size(); ++i) key += (i ? sep : "") + std::to_string(idx[i]);
    const auto file = array / key;
    if (!std::filesystem::exists(file)) return;
    ++a.chunk_files;
    const auto raw = read_all(file);
    std::vector<unsigned char> data;
    if (meta["compressor"].is_null())
      data = raw;
    else if (meta["compressor"]["id"] == "zlib" || meta["compressor"]["id"] == "gzip")
      data = inflate_all(raw.data(), raw.size(), per_chunk * bytes);
    else
      throw std::runtime_error("compressor");
    std::vector<double> vals(per_chunk);
    for (std::uint64_t v = 0; v < per_chunk; ++v) vals[v] = decode_value(data.data() + v * bytes, kind, bytes, false);
    place_chunk(a, idx, a.chunk, vals);
  });
  return a;
}

}  // namespace ilpkit::test
