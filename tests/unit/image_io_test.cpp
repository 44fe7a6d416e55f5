// SPDX-License-Identifier: MIT
// Image sources and the HDF5 writer: every input dtype is cast to float32 without
// normalization (HDF5 and TIFF), axes come from axistags or ilastik's defaults, and exports are
// written in the requested axis order, under a temporary name, keeping other datasets.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <tiffio.h>

#include "hdf5.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/image.hpp"
#include "test_paths.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;

namespace {

PlanarBlock read_whole(const ImageSource& src, std::int64_t t = 0) {
  auto g = src.info().geometry();
  Box b;
  b.end = {g.z, g.y, g.x};
  PlanarBlock out;
  src.read(t, b, out);
  return out;
}

template <class T>
void write_h5(const std::string& file, const std::string& name, ValueType type, const std::vector<std::uint64_t>& shape,
              const std::vector<T>& values, const std::string& axistags = "") {
  auto f = fs::exists(file) ? hdf5::File::open_read_write(file) : hdf5::File::create(file);
  auto ds = hdf5::create_dataset(f.id(), name, type, shape);
  std::vector<std::uint64_t> start(shape.size(), 0);
  hdf5::write_hyperslab(ds.id(), start, shape, type, values.data());
  if (!axistags.empty()) hdf5::write_attribute(ds.id(), "axistags", Value::string(axistags_json(axistags)));
}

}  // namespace

TEST(ImageIo, EveryHdf5DtypeIsCastWithoutNormalization) {
  const std::string file = test::temp_path("dtypes.h5");
  fs::remove(file);
  const std::vector<std::uint64_t> shape{2, 3};
  write_h5<std::uint8_t>(file, "u8", ValueType::UInt8, shape, {0, 1, 2, 127, 200, 255});
  write_h5<std::uint16_t>(file, "u16", ValueType::UInt16, shape, {0, 1, 2, 1000, 40000, 65535});
  write_h5<std::int16_t>(file, "i16", ValueType::Int16, shape, {-32768, -1, 0, 1, 300, 32767});
  write_h5<std::uint32_t>(file, "u32", ValueType::UInt32, shape, {0, 1, 16777217u, 4000000000u, 5, 6});
  write_h5<std::int32_t>(file, "i32", ValueType::Int32, shape, {-2000000001, -1, 0, 1, 2, 3});
  write_h5<float>(file, "f32", ValueType::Float32, shape, {-1.5f, 0.25f, 1e-30f, 3e30f, 0, 1});
  write_h5<double>(file, "f64", ValueType::Float64, shape, {0.1, -0.1, 1e300 * 0 + 16777217.0, 2.5, 0, 1});
  struct Expect {
    const char* name;
    std::vector<float> values;
  };
  const Expect expects[] = {
      {"u8", {0, 1, 2, 127, 200, 255}},
      {"u16", {0, 1, 2, 1000, 40000, 65535}},
      {"i16", {-32768, -1, 0, 1, 300, 32767}},
      {"u32", {0, 1, static_cast<float>(16777217u), static_cast<float>(4000000000u), 5, 6}},
      {"i32", {static_cast<float>(-2000000001), -1, 0, 1, 2, 3}},
      {"f32", {-1.5f, 0.25f, 1e-30f, 3e30f, 0, 1}},
      {"f64", {static_cast<float>(0.1), static_cast<float>(-0.1), static_cast<float>(16777217.0), 2.5f, 0, 1}},
  };
  for (const auto& e : expects) {
    auto src = open_image(file + "/" + e.name);
    EXPECT_EQ(src->info().axes, "yx") << e.name;
    EXPECT_EQ(src->info().axes_source, "default");
    auto values = read_whole(*src).data;
    EXPECT_EQ(std::vector<float>(values.begin(), values.end()), e.values) << e.name;
  }
  // Several datasets and no internal path: refused with the list.
  EXPECT_THROW(open_image(file), Error);
  fs::remove(file);
}

TEST(ImageIo, AxisTagsDecideTheLayout) {
  const std::string file = test::temp_path("axes.h5");
  fs::remove(file);
  // c y x stored: planes come back per channel.
  std::vector<std::uint16_t> v(2 * 3 * 4);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint16_t>(i);
  {
    auto f = hdf5::File::create(file);
    hdf5::create_group(f.id(), "group");
  }
  write_h5<std::uint16_t>(file, "/group/data", ValueType::UInt16, {2, 3, 4}, v, "cyx");
  auto src = open_image(file);  // the only dataset
  EXPECT_EQ(src->info().axes, "cyx");
  EXPECT_EQ(src->info().internal_path, "/group/data");
  EXPECT_EQ(src->info().nickname(), fs::path(file).stem().string() + "-group-data");
  auto g = src->info().geometry();
  EXPECT_EQ(g.channels, 2);
  EXPECT_EQ(g.y, 3);
  EXPECT_EQ(g.x, 4);
  auto b = read_whole(*src);
  EXPECT_EQ(b.channel(1)[0], 12.0f);  // c = 1, y = 0, x = 0
  // A sub-box.
  Box box;
  box.begin = {0, 1, 2};
  box.end = {1, 3, 4};
  PlanarBlock part;
  src->read(0, box, part);
  EXPECT_EQ(std::vector<float>(part.data.begin(), part.data.end()), (std::vector<float>{6, 7, 10, 11, 18, 19, 22, 23}));
  EXPECT_THROW(src->set_axes("yx", "test"), Error);
  src->set_axes("zyx", "--input_axes");
  EXPECT_EQ(src->info().geometry().z, 2);
  fs::remove(file);
}

namespace {

void write_tiff(const std::string& path, int pages, int spp, int bps, int format, std::uint32_t w, std::uint32_t h,
                const std::vector<unsigned char>& bytes) {
  TIFF* t = TIFFOpen(path.c_str(), "w");
  ASSERT_NE(t, nullptr);
  const std::size_t page_bytes = static_cast<std::size_t>(w) * h * static_cast<std::size_t>(spp) * static_cast<std::size_t>(bps / 8);
  for (int p = 0; p < pages; ++p) {
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, spp);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, bps);
    TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, format);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, spp == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
    TIFFSetField(t, TIFFTAG_COMPRESSION, p % 2 ? COMPRESSION_LZW : COMPRESSION_ADOBE_DEFLATE);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 2);
    const std::size_t row = page_bytes / h;
    for (std::uint32_t y = 0; y < h; ++y)
      TIFFWriteScanline(t, const_cast<unsigned char*>(bytes.data() + p * page_bytes + y * row), y, 0);
    TIFFWriteDirectory(t);
  }
  TIFFClose(t);
}

template <class T>
std::vector<unsigned char> as_bytes(const std::vector<T>& v) {
  std::vector<unsigned char> out(v.size() * sizeof(T));
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

}  // namespace

TEST(ImageIo, TiffPagesSamplesAndTypes) {
  const std::string file = test::temp_path("img.tif");
  std::vector<std::uint16_t> u16(3 * 4 * 5);
  for (std::size_t i = 0; i < u16.size(); ++i) u16[i] = static_cast<std::uint16_t>(i * 1000);
  write_tiff(file, 3, 1, 16, SAMPLEFORMAT_UINT, 5, 4, as_bytes(u16));
  auto src = open_image(file);
  EXPECT_EQ(src->info().axes, "zyx");
  EXPECT_EQ(src->info().shape, (Shape{3, 4, 5}));
  EXPECT_EQ(src->info().dtype, ValueType::UInt16);
  auto b = read_whole(*src);
  for (std::size_t i = 0; i < u16.size(); ++i) ASSERT_EQ(b.data[i], static_cast<float>(u16[i]));

  std::vector<std::uint8_t> rgb(4 * 5 * 3);
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<std::uint8_t>(i * 4);
  write_tiff(file, 1, 3, 8, SAMPLEFORMAT_UINT, 5, 4, as_bytes(rgb));
  src = open_image(file);
  EXPECT_EQ(src->info().axes, "yxc");
  b = read_whole(*src);
  EXPECT_EQ(b.channel(2)[1], static_cast<float>(rgb[1 * 3 + 2]));  // pixel (0, 1), blue

  std::vector<float> f32{-1.5f, 0.25f, 3e8f, 7, 8, 9};
  write_tiff(file, 1, 1, 32, SAMPLEFORMAT_IEEEFP, 3, 2, as_bytes(f32));
  src = open_image(file);
  auto fb = read_whole(*src).data;
  EXPECT_EQ(std::vector<float>(fb.begin(), fb.end()), f32);

  std::vector<std::int16_t> i16{-300, -1, 0, 1, 300, 32767};
  write_tiff(file, 1, 1, 16, SAMPLEFORMAT_INT, 3, 2, as_bytes(i16));
  auto ib = read_whole(*open_image(file)).data;
  EXPECT_EQ(std::vector<float>(ib.begin(), ib.end()), (std::vector<float>{-300, -1, 0, 1, 300, 32767}));
  fs::remove(file);

  std::ofstream(file) << "not a tiff";
  EXPECT_THROW(open_image(file), Error);
  fs::remove(file);
  EXPECT_THROW(open_image(file), Error);
}

TEST(ImageIo, WriterStoresAxisOrderAttributesAndKeepsOtherDatasets) {
  const std::string file = test::temp_path("out.h5");
  fs::remove(file);
  write_h5<std::uint8_t>(file, "keep", ValueType::UInt8, {1, 2}, {5, 6});
  write_h5<std::uint8_t>(file, "exported_data", ValueType::UInt8, {1, 1}, {1});  // replaced
  ImageWriterOptions opt;
  opt.path = file;
  opt.axes = "yxc";
  opt.shape = {3, 4, 2};
  opt.drange = std::make_pair(0.0, 255.0);
  {
    Hdf5ImageWriter w(opt);
    // Two blocks of [c][z][y][x] planes: rows 0-1 and row 2.
    PlanarBlock a;
    Box ba;
    ba.end = {1, 2, 4};
    a.reset(ba, 2);
    for (std::size_t i = 0; i < a.data.size(); ++i) a.data[i] = static_cast<float>(i);
    w.write(0, a);
    PlanarBlock b;
    Box bb;
    bb.begin = {0, 2, 0};
    bb.end = {1, 3, 4};
    b.reset(bb, 2);
    for (std::size_t i = 0; i < b.data.size(); ++i) b.data[i] = 100.0f + static_cast<float>(i);
    w.write(0, b);
    // Before commit the target still holds the old dataset.
    auto src = open_image(file + "/exported_data");
    EXPECT_EQ(src->info().dtype, ValueType::UInt8);
    w.commit();
  }
  auto src = open_image(file + "/exported_data");
  EXPECT_EQ(src->info().axes, "yxc");
  EXPECT_EQ(src->info().axes_source, "axistags");
  auto out = read_whole(*src);
  // channel 1, y 1, x 3: block a plane 1 at (1, 3) = 8 + 1*4 + 3.
  EXPECT_EQ(out.channel(1)[1 * 4 + 3], 15.0f);
  EXPECT_EQ(out.channel(0)[2 * 4 + 1], 101.0f);
  EXPECT_NO_THROW(open_image(file + "/keep"));
  auto f = hdf5::File::open_read_only(file);
  auto ds = hdf5::open_object(f.id(), "/exported_data");
  EXPECT_EQ(hdf5::read_attribute(ds.id(), "DIMENSION_LABELS", 1 << 10).string_values(),
            (std::vector<std::string>{"y", "x", "c"}));
  f.close();
  for (const auto& e : fs::directory_iterator(fs::path(file).parent_path()))
    EXPECT_EQ(e.path().string().find(fs::path(file).filename().string() + ".ilpkit-"), std::string::npos)
        << "temporary file left behind: " << e.path();

  // Without commit nothing changes and no temporary file stays.
  const std::string other = test::temp_path("never.h5");
  {
    ImageWriterOptions o2 = opt;
    o2.path = other;
    Hdf5ImageWriter w(o2);
  }
  EXPECT_FALSE(fs::exists(other));
  fs::remove(file);
}
