// SPDX-License-Identifier: MIT
#include <filesystem>

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
  const std::size_t n = axes.size();
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

}  // namespace image_detail

std::unique_ptr<ImageSource> open_image(const std::string& spec) {
  auto hdf5 = image_detail::split_hdf5_path(spec);
  if (hdf5) return image_detail::open_hdf5_image(hdf5->first, hdf5->second);
  std::string ext = fs::path(spec).extension().string();
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (ext == ".tif" || ext == ".tiff") return image_detail::open_tiff_image(spec);
  std::error_code ec;
  if (!fs::exists(spec, ec)) throw Error(ErrorKind::Io, fmt::format("{}: no such file", spec));
  throw Error(ErrorKind::Unsupported,
              fmt::format("{}: unsupported input format '{}' (this version reads HDF5 and TIFF)", spec, ext));
}

}  // namespace ilpkit
