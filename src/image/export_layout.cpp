// SPDX-License-Identifier: MIT
#include "export_layout.hpp"

#include "sources.hpp"

namespace ilpkit::image_detail {

void slab_extent(std::int64_t t, const PlanarBlock& block, const std::string& axes, ExportSlab& slab) {
  slab.start.resize(axes.size());
  slab.count.resize(axes.size());
  for (std::size_t i = 0; i < axes.size(); ++i) {
    std::int64_t b = 0, n = 1;
    switch (axes[i]) {
      case 't': b = t; break;
      case 'z': b = block.box.begin[0], n = block.box.extent(0); break;
      case 'y': b = block.box.begin[1], n = block.box.extent(1); break;
      case 'x': b = block.box.begin[2], n = block.box.extent(2); break;
      case 'c': n = block.channels; break;
      default: break;
    }
    slab.start[i] = static_cast<std::uint64_t>(b);
    slab.count[i] = static_cast<std::uint64_t>(n);
  }
}

std::vector<std::int64_t> plane_strides(const PlanarBlock& block, const std::string& axes) {
  const std::int64_t X = block.box.extent(2), Y = block.box.extent(1), Z = block.box.extent(0);
  std::vector<std::int64_t> stride(axes.size(), 0);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    switch (axes[i]) {
      case 'z': stride[i] = Y * X; break;
      case 'y': stride[i] = X; break;
      case 'x': stride[i] = 1; break;
      case 'c': stride[i] = Z * Y * X; break;
      default: break;
    }
  }
  return stride;
}

void export_slab(std::int64_t t, const PlanarBlock& block, const ImageWriterOptions& options, ExportSlab& slab) {
  const std::string& axes = options.axes;
  slab_extent(t, block, axes, slab);
  const std::vector<std::int64_t> stride = plane_strides(block, axes);
  // Interleave the planes into the output's axis order.
  std::vector<float>& values = slab.values;
  values.resize(block.data.size());
  std::vector<std::int64_t> idx(axes.size(), 0);
  const std::size_t last = axes.size() - 1;
  const auto inner = static_cast<std::int64_t>(slab.count[last]);
  const std::int64_t inner_stride = stride[last];
  std::int64_t outer = 1;
  for (std::size_t i = 0; i < last; ++i) outer *= static_cast<std::int64_t>(slab.count[i]);
  float* dst = values.data();
  for (std::int64_t o = 0; o < outer; ++o) {
    std::int64_t base = 0;
    for (std::size_t i = 0; i < last; ++i) base += idx[i] * stride[i];
    const float* src = block.data.data() + base;
    for (std::int64_t k = 0; k < inner; ++k) dst[k] = src[k * inner_stride];
    dst += inner;
    for (std::size_t i = last; i-- > 0;) {
      if (++idx[i] < static_cast<std::int64_t>(slab.count[i])) break;
      idx[i] = 0;
    }
  }
  slab.bytes.resize(values.size() * element_size(options.dtype));
  convert_export_values(values.data(), values.size(), options.dtype, options.normalize, slab.bytes.data());
}

std::string numpy_descr(ValueType type) {
  switch (type) {
    case ValueType::UInt8: return "|u1";
    case ValueType::Int8: return "|i1";
    case ValueType::UInt16: return "<u2";
    case ValueType::Int16: return "<i2";
    case ValueType::UInt32: return "<u4";
    case ValueType::Int32: return "<i4";
    case ValueType::UInt64: return "<u8";
    case ValueType::Int64: return "<i8";
    case ValueType::Float64: return "<f8";
    default: return "<f4";
  }
}

std::optional<std::pair<double, double>> export_drange(const ImageWriterOptions& options) {
  std::optional<std::pair<double, double>> range = options.drange;
  if (options.normalize) range = std::make_pair(options.normalize->export_min, options.normalize->export_max);
  if (!range) return std::nullopt;
  // ilastik stores the range in the exported dtype (float32 probabilities, uint8 segmentations).
  const float ends[2] = {static_cast<float>(range->first), static_cast<float>(range->second)};
  if (options.dtype == ValueType::Float32) return std::make_pair(double{ends[0]}, double{ends[1]});
  std::vector<unsigned char> typed(2 * element_size(options.dtype));
  convert_export_values(ends, 2, options.dtype, std::nullopt, typed.data());
  float back[2];
  convert_samples(options.dtype, typed.data(), 2, back);
  return std::make_pair(double{back[0]}, double{back[1]});
}

}  // namespace ilpkit::image_detail
