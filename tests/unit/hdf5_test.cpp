// SPDX-License-Identifier: MIT
// The HDF5 layer: every string form ilastik files use, bool enums, opaque bytes, lazy limits.
#include <gtest/gtest.h>

#include "hdf5.hpp"
#include "ilpkit/error.hpp"
#include "test_paths.hpp"

using namespace ilpkit;

namespace {
Value roundtrip(const Value& v) {
  std::string path = test::temp_path("roundtrip.h5");
  {
    auto f = hdf5::File::create(path);
    hdf5::write_dataset(f.id(), "x", v);
  }
  auto f = hdf5::File::open_read_only(path);
  auto ds = hdf5::open_object(f.id(), "x");
  return hdf5::read_dataset(ds.id(), 1 << 20);
}
}  // namespace

TEST(Hdf5, StringFormsSurviveAndUtf8InAsciiIsKept) {
  const std::string sigma = "Gaussian Smoothing (\xcf\x83=0.3)";  // UTF-8 bytes in an ASCII-cset string
  auto a = roundtrip(Value::strings({sigma, "b"}, {}, StringForm::VarAscii));
  EXPECT_EQ(a.string_form(), StringForm::VarAscii);
  EXPECT_EQ(a.string_values(), (std::vector<std::string>{sigma, "b"}));
  auto u = roundtrip(Value::string("0.1", StringForm::VarUtf8));
  EXPECT_EQ(u.string_form(), StringForm::VarUtf8);
  EXPECT_EQ(u.text(), "0.1");
  auto f = roundtrip(Value::strings({"GaussianSmoothing", "x"}, {}, StringForm::Fixed, 28));
  EXPECT_EQ(f.string_form(), StringForm::Fixed);
  EXPECT_EQ(f.fixed_string_size(), 28u);
  EXPECT_EQ(f.string_values()[0], "GaussianSmoothing");  // NUL padding stripped
}

TEST(Hdf5, BoolEnumOpaqueAndNumbers) {
  auto b = roundtrip(Value::bools({true, false, true}));
  EXPECT_EQ(b.type(), ValueType::Bool);
  EXPECT_EQ(b.numbers(), (std::vector<double>{1, 0, 1}));
  auto o = roundtrip(Value::opaque("(lp0\n."));
  EXPECT_EQ(o.opaque_bytes(), "(lp0\n.");
  auto n = roundtrip(Value::from_vector(std::vector<std::int32_t>{3, -2, 0x40000000}));
  EXPECT_EQ(n.type(), ValueType::Int32);
  EXPECT_EQ(n.integers(), (std::vector<std::int64_t>{3, -2, 0x40000000}));
}

TEST(Hdf5, RefusesValuesOverTheLimitAndReportsTheStack) {
  std::string path = test::temp_path("limit.h5");
  {
    auto f = hdf5::File::create(path);
    hdf5::write_dataset(f.id(), "big", Value::from_vector(std::vector<double>(1000, 1.0)));
  }
  auto f = hdf5::File::open_read_only(path);
  auto ds = hdf5::open_object(f.id(), "big");
  EXPECT_THROW(hdf5::read_dataset(ds.id(), 100), Error);
  try {
    hdf5::open_object(f.id(), "missing");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open 'missing' (HDF5: "), std::string::npos) << e.what();
  }
  auto box = hdf5::read_hyperslab(ds.id(), {10}, {5}, ValueType::Float32);
  EXPECT_EQ(box.size(), 5 * sizeof(float));
  EXPECT_THROW(hdf5::read_hyperslab(ds.id(), {998}, {5}, ValueType::Float32), Error);
}
