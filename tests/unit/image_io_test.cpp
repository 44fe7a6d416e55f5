// SPDX-License-Identifier: MIT
// Image sources and the HDF5 writer: every input dtype is cast to float32 without
// normalization (HDF5 and TIFF), axes come from axistags or ilastik's defaults, and exports are
// written in the requested axis order, under a temporary name, keeping other datasets.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <png.h>
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

namespace {

// Pixel (page p, y, x, sample s) of the synthetic test images.
std::uint16_t probe_value(int p, int y, int x, int s) { return static_cast<std::uint16_t>(p * 10007 + y * 131 + x * 3 + s); }

// Tiled or stripped, contiguous or planar-separate multi-page uint16 TIFF written with libtiff.
void write_layout_tiff(const std::string& path, int pages, int spp, std::uint32_t w, std::uint32_t h, bool tiled,
                       bool separate) {
  TIFF* t = TIFFOpen(path.c_str(), "w");
  ASSERT_NE(t, nullptr);
  for (int p = 0; p < pages; ++p) {
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, spp);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 16);
    TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_UINT);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, separate ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
    const int planes = separate ? spp : 1, per = separate ? 1 : spp;
    if (tiled) {
      TIFFSetField(t, TIFFTAG_TILEWIDTH, 16);
      TIFFSetField(t, TIFFTAG_TILELENGTH, 16);
      std::vector<std::uint16_t> tile(static_cast<std::size_t>(16 * 16 * per));
      for (int s = 0; s < planes; ++s)
        for (std::uint32_t y0 = 0; y0 < h; y0 += 16)
          for (std::uint32_t x0 = 0; x0 < w; x0 += 16) {
            for (int y = 0; y < 16; ++y)
              for (int x = 0; x < 16; ++x)
                for (int k = 0; k < per; ++k)
                  tile[static_cast<std::size_t>((y * 16 + x) * per + k)] =
                      probe_value(p, static_cast<int>(y0) + y, static_cast<int>(x0) + x, separate ? s : k);
            TIFFWriteTile(t, tile.data(), x0, y0, 0, static_cast<std::uint16_t>(s));
          }
    } else {
      TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 3 + p);  // pages may differ in strip layout
      std::vector<std::uint16_t> row(static_cast<std::size_t>(w * per));
      for (int s = 0; s < planes; ++s)
        for (std::uint32_t y = 0; y < h; ++y) {
          for (std::uint32_t x = 0; x < w; ++x)
            for (int k = 0; k < per; ++k)
              row[x * per + k] = probe_value(p, static_cast<int>(y), static_cast<int>(x), separate ? s : k);
          TIFFWriteScanline(t, row.data(), y, static_cast<std::uint16_t>(s));
        }
    }
    TIFFWriteDirectory(t);
  }
  TIFFClose(t);
}

// Reads boxes that straddle strips/tiles and checks every sample against probe_value.
void expect_boxes_match(const ImageSource& src, int spp) {
  const auto g = src.info().geometry();
  const std::vector<Box> boxes = {
      Box{{0, 0, 0}, {g.z, g.y, g.x}}, Box{{1, 5, 7}, {g.z, 22, 30}}, Box{{g.z - 1, 15, 16}, {g.z, 17, 33}}};
  for (const auto& box : boxes) {
    PlanarBlock b;
    src.read(0, box, b);
    ASSERT_EQ(b.channels, spp);
    for (int c = 0; c < spp; ++c)
      for (std::int64_t z = box.begin[0]; z < box.end[0]; ++z)
        for (std::int64_t y = box.begin[1]; y < box.end[1]; ++y)
          for (std::int64_t x = box.begin[2]; x < box.end[2]; ++x) {
            const float got = b.channel(c)[((z - box.begin[0]) * box.extent(1) + (y - box.begin[1])) * box.extent(2) +
                                           (x - box.begin[2])];
            ASSERT_EQ(got, probe_value(static_cast<int>(z), static_cast<int>(y), static_cast<int>(x), c))
                << "c " << c << " z " << z << " y " << y << " x " << x;
          }
  }
}

}  // namespace

TEST(ImageIo, TiffStripsTilesAndPlanesAreReadByRegion) {
  const std::string file = test::temp_path("layout.tif");
  for (bool tiled : {false, true})
    for (bool separate : {false, true}) {
      SCOPED_TRACE(fmt::format("tiled {} separate {}", tiled, separate));
      write_layout_tiff(file, 3, 2, 37, 29, tiled, separate);
      auto src = open_image(file);
      EXPECT_EQ(src->info().axes, "zyxc");
      EXPECT_EQ(src->info().shape, (Shape{3, 29, 37, 2}));
      expect_boxes_match(*src, 2);
    }
  fs::remove(file);
}

TEST(ImageIo, PngGreyAndColourAndSixteenBit) {
  const std::string file = test::temp_path("img.png");
  auto write_png = [&](png_uint_32 format, int channels, bool sixteen) -> std::vector<float> {
    png_image img{};
    img.version = PNG_IMAGE_VERSION;
    img.width = 37;
    img.height = 29;
    img.format = format;
    std::vector<std::uint16_t> px16(37 * 29 * static_cast<std::size_t>(channels));
    std::vector<std::uint8_t> px8(px16.size());
    for (int y = 0; y < 29; ++y)
      for (int x = 0; x < 37; ++x)
        for (int c = 0; c < channels; ++c) {
          const auto i = static_cast<std::size_t>((y * 37 + x) * channels + c);
          px16[i] = probe_value(0, y, x, c);
          px8[i] = static_cast<std::uint8_t>(probe_value(0, y, x, c) & 0xff);
        }
    EXPECT_TRUE(png_image_write_to_file(&img, file.c_str(), 0, sixteen ? static_cast<const void*>(px16.data()) : px8.data(),
                                        0, nullptr));
    return sixteen ? std::vector<float>(px16.begin(), px16.end()) : std::vector<float>(px8.begin(), px8.end());
  };
  // png_image writes 16-bit data only for linear formats; grey 16-bit without alpha keeps values.
  auto expected = write_png(PNG_FORMAT_LINEAR_Y, 1, true);
  auto src = open_image(file);
  EXPECT_EQ(src->info().axes, "yx");
  EXPECT_EQ(src->info().dtype, ValueType::UInt16);
  auto b = read_whole(*src);
  EXPECT_EQ(std::vector<float>(b.data.begin(), b.data.end()), expected);

  expected = write_png(PNG_FORMAT_RGB, 3, false);
  src = open_image(file);
  EXPECT_EQ(src->info().axes, "yxc");
  EXPECT_EQ(src->info().shape, (Shape{29, 37, 3}));
  EXPECT_EQ(src->info().dtype, ValueType::UInt8);
  Box box{{0, 3, 4}, {1, 20, 30}};
  PlanarBlock part;
  src->read(0, box, part);
  for (int c = 0; c < 3; ++c)
    for (std::int64_t y = 3; y < 20; ++y)
      for (std::int64_t x = 4; x < 30; ++x)
        ASSERT_EQ(part.channel(c)[(y - 3) * 26 + (x - 4)], expected[static_cast<std::size_t>((y * 37 + x) * 3 + c)]);

  std::ofstream(file) << "\x89PNG\r\n\x1a\n truncated";
  try {
    open_image(file);
    FAIL() << "a truncated PNG was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("img.png"), std::string::npos) << e.what();
  }
  fs::remove(file);
}

TEST(ImageIo, NpyArraysAreReadWithDefaultAxes) {
  const std::string file = test::temp_path("img.npy");
  auto write_npy = [&](const std::string& descr, const std::string& shape, const std::vector<unsigned char>& data,
                       bool fortran = false) {
    std::string header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                         ", 'shape': (" + shape + "), }";
    while ((10 + header.size() + 1) % 64) header += ' ';
    header += '\n';
    std::ofstream out(file, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    const auto len = static_cast<std::uint16_t>(header.size());
    out.put(static_cast<char>(len & 0xff)).put(static_cast<char>(len >> 8));
    out << header;
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  };
  std::vector<std::int16_t> v(2 * 5 * 7);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::int16_t>(static_cast<int>(i) * 97 - 3000);
  write_npy("<i2", "2, 5, 7", as_bytes(v));
  auto src = open_image(file);
  EXPECT_EQ(src->info().axes, default_axes(Shape{2, 5, 7}));
  EXPECT_EQ(src->info().dtype, ValueType::Int16);
  src->set_axes("zyx", "--input_axes");
  Box box{{1, 1, 2}, {2, 4, 6}};
  PlanarBlock b;
  src->read(0, box, b);
  for (std::int64_t y = 1; y < 4; ++y)
    for (std::int64_t x = 2; x < 6; ++x)
      ASSERT_EQ(b.data[static_cast<std::size_t>((y - 1) * 4 + (x - 2))], v[static_cast<std::size_t>(35 + y * 7 + x)]);

  write_npy("<i2", "2, 5, 7", std::vector<unsigned char>(20));  // shorter than the header says
  EXPECT_THROW(open_image(file), Error);
  write_npy(">f4", "5, 7", std::vector<unsigned char>(140));
  EXPECT_THROW(open_image(file), Error);
  write_npy("<i2", "5, 7", std::vector<unsigned char>(70), true);
  EXPECT_THROW(open_image(file), Error);
  fs::remove(file);
}

TEST(ImageIo, GlobsAndListsStackTwoDimensionalImages) {
  const fs::path dir = test::temp_path("stack");
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::vector<std::uint8_t> px(6 * 4 * 2);
  for (int s = 0; s < 3; ++s) {
    for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<std::uint8_t>(s * 50 + static_cast<int>(i));
    write_tiff((dir / fmt::format("cells_t{}.tif", s)).string(), 1, 2, 8, SAMPLEFORMAT_UINT, 6, 4, as_bytes(px));
  }
  auto value = [](int s, std::int64_t y, std::int64_t x, int c) { return static_cast<float>(s * 50 + (y * 6 + x) * 2 + c); };
  // Written out of order on purpose: glob matches are sorted.
  auto z = open_image((dir / "cells_t*.tif").string());
  EXPECT_EQ(z->info().axes, "zyxc");
  EXPECT_EQ(z->info().shape, (Shape{3, 4, 6, 2}));
  EXPECT_EQ(z->info().nickname(), "cells_t");
  auto b = read_whole(*z);
  for (int s = 0; s < 3; ++s) EXPECT_EQ(b.channel(1)[s * 24 + 1 * 6 + 2], value(s, 1, 2, 1));

  auto t = open_image((dir / "cells_t*.tif").string(), 't');
  EXPECT_EQ(t->info().axes, "tyxc");
  EXPECT_EQ(read_whole(*t, 2).channel(0)[7], value(2, 1, 1, 0));

  const std::string list = (dir / "cells_t2.tif").string() + ":" + (dir / "cells_t0.tif").string();
  auto c = open_image(list, 'c');
  EXPECT_EQ(c->info().axes, "yxc");
  EXPECT_EQ(c->info().shape, (Shape{4, 6, 4}));
  b = read_whole(*c);
  EXPECT_EQ(b.channel(1)[9], value(2, 1, 3, 1));  // list order, not sorted
  EXPECT_EQ(b.channel(2)[9], value(0, 1, 3, 0));

  EXPECT_THROW(open_image((dir / "nothing*.tif").string()), Error);
  write_tiff((dir / "cells_t9.tif").string(), 1, 1, 8, SAMPLEFORMAT_UINT, 6, 4, std::vector<unsigned char>(24));
  EXPECT_THROW(open_image((dir / "cells_t*.tif").string()), Error);  // channel count differs
  fs::remove_all(dir);
}
