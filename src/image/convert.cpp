// SPDX-License-Identifier: MIT
// ilastik's export conversion (ilp-format.md §8.5, OpFormattedDataExport): normalise in float32,
// then numpy's cast. The cast goes through int64 as numpy's does on x86-64, so values outside
// the export dtype wrap instead of clipping (ilastik does not clip either).
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "ilpkit/image.hpp"

namespace ilpkit {

namespace {

std::int64_t to_int64(float v) {
  // cvttss2si's answer for NaN and values outside int64: the "integer indefinite" value.
  if (!(std::fabs(v) < 9.2233720368547758e18f)) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(v);
}

template <typename T>
void cast_all(const float* in, std::size_t n, void* out) {
  auto* o = static_cast<T*>(out);
  if constexpr (std::is_floating_point_v<T>) {
    for (std::size_t i = 0; i < n; ++i) o[i] = static_cast<T>(in[i]);
  } else {
    // Narrowing by two's-complement truncation, as the C cast numpy uses compiles to.
    for (std::size_t i = 0; i < n; ++i) o[i] = static_cast<T>(static_cast<std::uint64_t>(to_int64(in[i])));
  }
}

}  // namespace

void convert_export_values(const float* in, std::size_t n, ValueType to, const std::optional<Normalization>& normalize,
                           void* out) {
  std::vector<float> scaled;
  if (normalize) {
    const Normalization& nm = *normalize;
    const double span = nm.input_max - nm.input_min;
    // numpy: float32 array with Python floats stays float32; the ratio is cast once.
    const float ratio = std::fabs(span) < 1e-12 ? 0.0f : static_cast<float>((nm.export_max - nm.export_min) / span);
    const auto in_min = static_cast<float>(nm.input_min), out_min = static_cast<float>(nm.export_min);
    scaled.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const float product = (in[i] - in_min) * ratio;  // rounded before the add, as numpy does
      scaled[i] = out_min + product;
    }
    if (is_integer(to))
      for (auto& v : scaled) v = std::nearbyint(v);  // numpy.rint: half to even (default rounding mode)
    in = scaled.data();
  }
  switch (to) {
    case ValueType::UInt8: cast_all<std::uint8_t>(in, n, out); break;
    case ValueType::Int8: cast_all<std::int8_t>(in, n, out); break;
    case ValueType::UInt16: cast_all<std::uint16_t>(in, n, out); break;
    case ValueType::Int16: cast_all<std::int16_t>(in, n, out); break;
    case ValueType::UInt32: cast_all<std::uint32_t>(in, n, out); break;
    case ValueType::Int32: cast_all<std::int32_t>(in, n, out); break;
    case ValueType::UInt64: cast_all<std::uint64_t>(in, n, out); break;
    case ValueType::Int64: cast_all<std::int64_t>(in, n, out); break;
    case ValueType::Float32: std::memcpy(out, in, n * sizeof(float)); break;
    case ValueType::Float64: cast_all<double>(in, n, out); break;
    default: throw Error(ErrorKind::Internal, fmt::format("cannot export values as {}", to_string(to)));
  }
}

ValueType parse_export_dtype(const std::string& name) {
  static const std::pair<const char*, ValueType> kTypes[] = {
      {"uint8", ValueType::UInt8},   {"uint16", ValueType::UInt16}, {"uint32", ValueType::UInt32},
      {"int8", ValueType::Int8},     {"int16", ValueType::Int16},   {"int32", ValueType::Int32},
      {"float32", ValueType::Float32}, {"float64", ValueType::Float64}};
  for (const auto& [text, type] : kTypes)
    if (name == text) return type;
  throw Error(ErrorKind::Usage, fmt::format("export dtype '{}' is not one of uint8, uint16, uint32, int8, int16, int32, "
                                            "float32, float64",
                                            name));
}

}  // namespace ilpkit
