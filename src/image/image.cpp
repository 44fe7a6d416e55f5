// SPDX-License-Identifier: MIT
#include <cstring>
#include <filesystem>
#include <functional>

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "ilpkit/image.hpp"
#include "sources.hpp"

namespace ilpkit {

namespace fs = std::filesystem;

std::int64_t ImageInfo::extent(char axis) const {
  auto pos = axes.find(axis);
  return pos == std::string::npos ? 1 : shape[pos];
}

ImageGeometry ImageInfo::geometry() const {
  ImageGeometry g;
  g.channels = static_cast<int>(extent('c'));
  g.z = extent('z');
  g.y = extent('y');
  g.x = extent('x');
  return g;
}

std::string ImageInfo::nickname() const {
  if (!stack_nickname.empty()) return stack_nickname;
  std::string nick = fs::path(path).stem().string();
  if (!internal_path.empty()) {
    std::string inner = internal_path;
    while (!inner.empty() && inner.front() == '/') inner.erase(0, 1);
    for (auto& ch : inner)
      if (ch == '/') ch = '-';
    nick += "-" + inner;
  }
  return nick;
}

void ImageSource::set_axes(const std::string& axes, const std::string& source) {
  if (axes.size() != info_.shape.size())
    throw Error(ErrorKind::Usage, fmt::format("axes '{}' do not fit {}: it has {} dimensions ({})", axes, info_.path,
                                              info_.shape.size(), fmt::join(info_.shape, "×")));
  try {
    check_axes(axes);
  } catch (const Error& e) {
    throw Error(ErrorKind::Usage, e.what());
  }
  if (axes.find('x') == std::string::npos || axes.find('y') == std::string::npos)
    throw Error(ErrorKind::Usage, fmt::format("axes '{}' must contain x and y", axes));
  info_.axes = axes;
  info_.axes_source = source;
}

namespace image_detail {

void scatter_to_planar(const float* src, const std::string& axes, const std::vector<std::int64_t>& counts,
                       PlanarBlock& out) {
  const std::int64_t X = out.box.extent(2), Y = out.box.extent(1), Z = out.box.extent(0);
  std::vector<std::int64_t> stride(axes.size(), 0);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    switch (axes[i]) {
      case 'c': stride[i] = Z * Y * X; break;
      case 'z': stride[i] = Y * X; break;
      case 'y': stride[i] = X; break;
      case 'x': stride[i] = 1; break;
      default: stride[i] = 0; break;  // t: one time point per read
    }
  }
  // Trailing axes of extent 1 (the c of a one-channel z,y,x,c file) would make every run one
  // sample long.
  std::size_t n = axes.size();
  while (n > 1 && counts[n - 1] == 1) --n;
  if (n == 0) return;
  std::vector<std::int64_t> idx(n, 0);
  float* dst = out.data.data();
  const std::int64_t inner = counts[n - 1], inner_stride = stride[n - 1];
  std::int64_t outer = 1;
  for (std::size_t i = 0; i + 1 < n; ++i) outer *= counts[i];
  for (std::int64_t o = 0; o < outer; ++o) {
    std::int64_t base = 0;
    for (std::size_t i = 0; i + 1 < n; ++i) base += idx[i] * stride[i];
    float* d = dst + base;
    if (inner_stride == 1) {
      std::copy(src, src + inner, d);
    } else {
      for (std::int64_t k = 0; k < inner; ++k) d[k * inner_stride] = src[k];
    }
    src += inner;
    for (std::size_t i = n - 1; i-- > 0;) {
      if (++idx[i] < counts[i]) break;
      idx[i] = 0;
    }
  }
}

namespace {

template <class T>
void convert_run(const unsigned char* src, std::size_t n, float* dst) {
  for (std::size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    dst[i] = static_cast<float>(v);
  }
}

}  // namespace

void convert_samples(ValueType type, const unsigned char* src, std::size_t n, float* dst) {
  switch (type) {
    case ValueType::UInt8: convert_run<std::uint8_t>(src, n, dst); break;
    case ValueType::Int8: convert_run<std::int8_t>(src, n, dst); break;
    case ValueType::UInt16: convert_run<std::uint16_t>(src, n, dst); break;
    case ValueType::Int16: convert_run<std::int16_t>(src, n, dst); break;
    case ValueType::UInt32: convert_run<std::uint32_t>(src, n, dst); break;
    case ValueType::Int32: convert_run<std::int32_t>(src, n, dst); break;
    case ValueType::UInt64: convert_run<std::uint64_t>(src, n, dst); break;
    case ValueType::Int64: convert_run<std::int64_t>(src, n, dst); break;
    case ValueType::Float32: convert_run<float>(src, n, dst); break;
    case ValueType::Float64: convert_run<double>(src, n, dst); break;
    default: throw Error(ErrorKind::Unsupported, "samples are not numbers");
  }
}

void for_each_run(const std::vector<std::int64_t>& shape, const std::vector<std::int64_t>& begin,
                  const std::vector<std::int64_t>& count,
                  const std::function<void(std::size_t offset, std::size_t length)>& fn) {
  const std::size_t n = shape.size();
  if (n == 0) return;
  for (auto c : count)
    if (c == 0) return;
  // Trailing axes the region covers whole merge with the last partial one into a single run.
  std::size_t split = n - 1;
  while (split > 0 && begin[split] == 0 && count[split] == shape[split]) --split;
  std::vector<std::int64_t> stride(n, 1);
  for (std::size_t i = n - 1; i-- > 0;) stride[i] = stride[i + 1] * shape[i + 1];
  const auto length = static_cast<std::size_t>(count[split] * stride[split]);
  std::int64_t outer = 1;
  for (std::size_t i = 0; i < split; ++i) outer *= count[i];
  std::vector<std::int64_t> idx(split, 0);
  for (std::int64_t o = 0; o < outer; ++o) {
    std::int64_t off = begin[split] * stride[split];
    for (std::size_t i = 0; i < split; ++i) off += (begin[i] + idx[i]) * stride[i];
    fn(static_cast<std::size_t>(off), length);
    for (std::size_t i = split; i-- > 0;) {
      if (++idx[i] < count[i]) break;
      idx[i] = 0;
    }
  }
}

void gather_region(const unsigned char* base, ValueType type, const std::vector<std::int64_t>& shape,
                   const std::vector<std::int64_t>& begin, const std::vector<std::int64_t>& count, float* out) {
  const std::size_t elem = element_size(type);
  for_each_run(shape, begin, count, [&](std::size_t offset, std::size_t length) {
    convert_samples(type, base + offset * elem, length, out);
    out += length;
  });
}

void RegionSource::read(std::int64_t t, const Box& box, PlanarBlock& out) const {
  const auto& axes = info_.axes;
  std::vector<std::int64_t> begin(axes.size(), 0), count(info_.shape.begin(), info_.shape.end());
  for (std::size_t i = 0; i < axes.size(); ++i) {
    switch (axes[i]) {
      case 't': begin[i] = t, count[i] = 1; break;
      case 'z': begin[i] = box.begin[0], count[i] = box.extent(0); break;
      case 'y': begin[i] = box.begin[1], count[i] = box.extent(1); break;
      case 'x': begin[i] = box.begin[2], count[i] = box.extent(2); break;
      default: break;
    }
  }
  std::size_t total = 1;
  for (auto c : count) total *= static_cast<std::size_t>(c);
  std::vector<float> region(total);
  read_region(begin, count, region.data());
  out.reset(box, static_cast<int>(info_.extent('c')));
  scatter_to_planar(region.data(), axes, count, out);
}

}  // namespace image_detail

namespace {

std::unique_ptr<ImageSource> open_one(const std::string& spec) {
  auto hdf5 = image_detail::split_hdf5_path(spec);
  if (hdf5) return image_detail::open_hdf5_image(hdf5->first, hdf5->second);
  std::string ext = fs::path(spec).extension().string();
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (ext == ".tif" || ext == ".tiff") return image_detail::open_tiff_image(spec);
  if (ext == ".png") return image_detail::open_png_image(spec);
  if (ext == ".npy") return image_detail::open_npy_image(spec);
  std::error_code ec;
  if (!fs::exists(spec, ec)) throw Error(ErrorKind::Io, fmt::format("{}: no such file", spec));
  throw Error(ErrorKind::Unsupported,
              fmt::format("{}: unsupported input format '{}' (ilpkit reads HDF5, TIFF, PNG and .npy)", spec, ext));
}

}  // namespace

std::unique_ptr<ImageSource> open_image(const std::string& spec, char stack_along) {
  // ilastik: a glob or an os.pathsep-joined list is one dataset, a stack.
  std::error_code ec;
  const auto hdf5 = image_detail::split_hdf5_path(spec);
  const bool stack = spec.find_first_of("*?[:") != std::string::npos && !fs::exists(spec, ec) &&
                     !(hdf5 && fs::exists(hdf5->first, ec));
  if (!stack) return open_one(spec);
  const auto files = image_detail::expand_stack_spec(spec);
  if (files.size() == 1) return open_one(files.front());
  std::vector<std::unique_ptr<ImageSource>> slices;
  for (const auto& f : files) slices.push_back(open_one(f));
  return image_detail::stack_images(std::move(slices), stack_along, spec);
}

}  // namespace ilpkit
