// SPDX-License-Identifier: MIT
// ilastik's export conversion (ilp-format.md §8.5): float32 normalization, round half to even
// after normalization, truncation without it, no clipping (numpy's casts wrap on x86-64).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "ilpkit/error.hpp"
#include "ilpkit/image.hpp"

using namespace ilpkit;

namespace {

template <typename T>
std::vector<T> convert(const std::vector<float>& in, ValueType to, std::optional<Normalization> n = std::nullopt) {
  std::vector<T> out(in.size());
  convert_export_values(in.data(), in.size(), to, n, out.data());
  return out;
}

}  // namespace

TEST(ExportConversion, PlainCastTruncatesTowardZero) {
  // numpy: np.array([0.99, 1.0, 2.7, -0.5], np.float32).astype(np.uint8) -> [0, 1, 2, 0]
  EXPECT_EQ(convert<std::uint8_t>({0.99f, 1.0f, 2.7f, -0.5f}, ValueType::UInt8),
            (std::vector<std::uint8_t>{0, 1, 2, 0}));
  EXPECT_EQ(convert<std::int16_t>({-2.7f, 3.9f}, ValueType::Int16), (std::vector<std::int16_t>{-2, 3}));
}

TEST(ExportConversion, NormalizationRoundsHalfToEven) {
  // [0, 4] -> [0, 4]: ratio 1, values exactly halfway round to the even neighbour.
  const Normalization identity{0, 4, 0, 4};
  EXPECT_EQ(convert<std::uint8_t>({0.5f, 1.5f, 2.5f, 3.5f, 2.4999998f}, ValueType::UInt8, identity),
            (std::vector<std::uint8_t>{0, 2, 2, 4, 2}));
  // steinbock's probabilities: (0,1) -> (0,65535).
  const Normalization steinbock{0.0, 1.0, 0, 65535};
  EXPECT_EQ(convert<std::uint16_t>({0.0f, 1.0f, 0.5f, 0.25f}, ValueType::UInt16, steinbock),
            (std::vector<std::uint16_t>{0, 65535, 32768, 16384}));  // 32767.5 -> 32768, 16383.75 -> 16384
}

TEST(ExportConversion, NormalizationIsFloat32Arithmetic) {
  // out = out_min + (x - in_min) * float32(ratio), each step rounded to float32.
  const Normalization n{0.0, 3.0, 10, 20};
  const float ratio = static_cast<float>(10.0 / 3.0);
  const float x = 1.7f;
  const float expect = 10.0f + (x - 0.0f) * ratio;
  EXPECT_EQ(convert<float>({x}, ValueType::Float32, n)[0], expect);
  EXPECT_EQ(convert<double>({x}, ValueType::Float64, n)[0], static_cast<double>(expect));
}

TEST(ExportConversion, NoClippingOutOfRangeWraps) {
  // 1.2 of (0,1)->(0,255) is 306: numpy's uint8 cast keeps the low byte, 50; -1 -> 255.
  const Normalization n{0.0, 1.0, 0, 255};
  EXPECT_EQ(convert<std::uint8_t>({1.2f, -1.0f / 255.0f}, ValueType::UInt8, n), (std::vector<std::uint8_t>{50, 255}));
  EXPECT_EQ(convert<std::uint16_t>({70000.0f}, ValueType::UInt16), (std::vector<std::uint16_t>{70000 - 65536}));
}

TEST(ExportConversion, EmptyInputSpanMapsEverythingToExportMin) {
  const Normalization flat{2.0, 2.0, 7, 9};
  EXPECT_EQ(convert<std::int32_t>({2.0f, 100.0f, -5.0f}, ValueType::Int32, flat), (std::vector<std::int32_t>{7, 7, 7}));
}

TEST(ExportConversion, DtypeNamesAreIlastiksChoices) {
  EXPECT_EQ(parse_export_dtype("uint16"), ValueType::UInt16);
  EXPECT_EQ(parse_export_dtype("float64"), ValueType::Float64);
  EXPECT_THROW(parse_export_dtype("uint64"), Error);  // not offered by ilastik
  EXPECT_THROW(parse_export_dtype("UInt8"), Error);
}
