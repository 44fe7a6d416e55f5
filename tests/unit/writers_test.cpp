// SPDX-License-Identifier: MIT
// Export writers round-trip through independent readers: libtiff itself for TIFF and a parse of
// numpy's documented .npy layout. Blocks arrive out of order; nothing appears under the final
// name before commit, and an abandoned writer leaves no file.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <png.h>
#include <tiffio.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "chunked_reader.hpp"
#include "hdf5.hpp"
#include "ilpkit/axes.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/image.hpp"
#include "test_paths.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;

namespace {

// A z×y×x image of `channels` with value(c, z, y, x) = 1000c + 100z + 10y + x (exact in any dtype
// used below), cut into blocks of at most 2×3×4 and written in shuffled order.
void write_volume(ImageWriter& w, std::int64_t Z, std::int64_t Y, std::int64_t X, int channels) {
  std::vector<Box> boxes;
  for (std::int64_t z = 0; z < Z; z += 2)
    for (std::int64_t y = 0; y < Y; y += 3)
      for (std::int64_t x = 0; x < X; x += 4)
        boxes.push_back(Box{{z, y, x}, {std::min(Z, z + 2), std::min(Y, y + 3), std::min(X, x + 4)}});
  std::shuffle(boxes.begin(), boxes.end(), std::mt19937(3));
  for (const Box& b : boxes) {
    PlanarBlock block;
    block.reset(b, channels);
    float* p = block.data.data();
    for (int c = 0; c < channels; ++c)
      for (std::int64_t z = b.begin[0]; z < b.end[0]; ++z)
        for (std::int64_t y = b.begin[1]; y < b.end[1]; ++y)
          for (std::int64_t x = b.begin[2]; x < b.end[2]; ++x) *p++ = static_cast<float>(1000 * c + 100 * z + 10 * y + x);
    w.write(0, block);
  }
}

float expected(int c, std::int64_t z, std::int64_t y, std::int64_t x) {
  return static_cast<float>(1000 * c + 100 * z + 10 * y + x);
}

// A 16-bit PNG read with libpng's simplified API in `format`; checks its width and height.
void read_png16(const std::string& path, png_uint_32 format, png_uint_32 width, png_uint_32 height,
                std::vector<std::uint16_t>& px) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  ASSERT_TRUE(png_image_begin_read_from_file(&image, path.c_str())) << path << ": " << image.message;
  EXPECT_EQ(image.width, width);
  EXPECT_EQ(image.height, height);
  image.format = format;
  px.resize(PNG_IMAGE_SIZE(image) / 2);
  ASSERT_TRUE(png_image_finish_read(&image, nullptr, px.data(), 0, nullptr)) << image.message;
}

}  // namespace

TEST(Writers, MultipageTiffRoundTripsThroughLibtiff) {
  const std::string path = test::temp_path("vol.tiff");
  ImageWriterOptions o;
  o.path = path;
  o.axes = "zyxc";
  o.shape = {3, 5, 7, 2};
  o.dtype = ValueType::UInt16;
  {
    auto w = open_image_writer("multipage tiff", o);
    write_volume(*w, 3, 5, 7, 2);
    EXPECT_FALSE(fs::exists(path)) << "visible before commit";
    w->commit();
  }
  TIFF* tif = TIFFOpen(path.c_str(), "r");
  ASSERT_NE(tif, nullptr);
  int pages = 0;
  do {
    std::uint32_t width = 0, height = 0;
    std::uint16_t samples = 0, bits = 0, format = 0;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height);
    TIFFGetField(tif, TIFFTAG_SAMPLESPERPIXEL, &samples);
    TIFFGetField(tif, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
    EXPECT_EQ(width, 7u);
    EXPECT_EQ(height, 5u);
    EXPECT_EQ(samples, 2);
    EXPECT_EQ(bits, 16);
    EXPECT_EQ(format, SAMPLEFORMAT_UINT);
    std::vector<std::uint16_t> row(static_cast<std::size_t>(TIFFScanlineSize(tif)) / 2);
    for (std::uint32_t y = 0; y < height; ++y) {
      ASSERT_EQ(TIFFReadScanline(tif, row.data(), y), 1);
      for (std::uint32_t x = 0; x < width; ++x)
        for (int c = 0; c < 2; ++c)
          ASSERT_EQ(row[x * 2 + static_cast<std::uint32_t>(c)], expected(c, pages, y, x)) << "page " << pages;
    }
    ++pages;
  } while (TIFFReadDirectory(tif));
  TIFFClose(tif);
  EXPECT_EQ(pages, 3);
  fs::remove(path);
}

TEST(Writers, SinglePageTiffHoldsFloatSamples) {
  const std::string path = test::temp_path("img.tif");
  ImageWriterOptions o;
  o.path = path;
  o.axes = "yxc";
  o.shape = {6, 9, 3};
  o.dtype = ValueType::Float32;
  auto w = open_image_writer("tif", o);
  write_volume(*w, 1, 6, 9, 3);
  w->commit();
  TIFF* tif = TIFFOpen(path.c_str(), "r");
  ASSERT_NE(tif, nullptr);
  std::uint16_t format = 0;
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
  EXPECT_EQ(format, SAMPLEFORMAT_IEEEFP);
  std::vector<float> row(9 * 3);
  for (std::uint32_t y = 0; y < 6; ++y) {
    ASSERT_EQ(TIFFReadScanline(tif, row.data(), y), 1);
    for (std::uint32_t x = 0; x < 9; ++x)
      for (int c = 0; c < 3; ++c) EXPECT_EQ(row[x * 3 + static_cast<std::uint32_t>(c)], expected(c, 0, y, x));
  }
  EXPECT_FALSE(TIFFReadDirectory(tif));
  TIFFClose(tif);
  fs::remove(path);
}

TEST(Writers, NpyFollowsNumpysLayout) {
  const std::string path = test::temp_path("arr.npy");
  ImageWriterOptions o;
  o.path = path;
  o.axes = "czyx";  // any axis order
  o.shape = {2, 3, 4, 5};
  o.dtype = ValueType::Int16;
  auto w = open_image_writer("numpy", o);
  write_volume(*w, 3, 4, 5, 2);
  w->commit();
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const std::size_t header_len = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
  EXPECT_EQ((10 + header_len) % 64, 0u);
  const std::string header = bytes.substr(10, header_len);
  EXPECT_NE(header.find("'descr': '<i2'"), std::string::npos) << header;
  EXPECT_NE(header.find("'fortran_order': False"), std::string::npos);
  EXPECT_NE(header.find("'shape': (2, 3, 4, 5)"), std::string::npos) << header;
  ASSERT_EQ(bytes.size(), 10 + header_len + 2u * 3 * 4 * 5 * 2);
  const char* data = bytes.data() + 10 + header_len;
  std::size_t i = 0;
  for (int c = 0; c < 2; ++c)
    for (int z = 0; z < 3; ++z)
      for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 5; ++x, ++i) {
          std::int16_t v;
          std::memcpy(&v, data + 2 * i, 2);
          ASSERT_EQ(v, expected(c, z, y, x));
        }
  fs::remove(path);
}

TEST(Writers, AbandonedWriterLeavesNoFile) {
  const std::string path = test::temp_path("gone.npy");
  ImageWriterOptions o;
  o.path = path;
  o.axes = "yxc";
  o.shape = {4, 4, 1};
  {
    auto w = open_image_writer("numpy", o);
    write_volume(*w, 1, 2, 4, 1);  // half of it, then an error ends the export
  }
  EXPECT_FALSE(fs::exists(path));
  for (const auto& e : fs::directory_iterator(fs::path(path).parent_path()))
    EXPECT_EQ(e.path().filename().string().find(fs::path(path).filename().string()), std::string::npos) << e.path();
}

TEST(Writers, TiffRefusesAxesItCannotHold) {
  ImageWriterOptions o;
  o.path = test::temp_path("bad.tiff");
  o.axes = "cyx";
  o.shape = {2, 4, 4};
  EXPECT_THROW(open_image_writer("tiff", o), Error);
  o.axes = "zyxc";
  o.shape = {3, 4, 4, 1};
  EXPECT_THROW(open_image_writer("tiff", o), Error);  // 3 planes: that is a multipage tiff
  EXPECT_THROW(open_image_writer("png sequence", o), Error);
  EXPECT_THROW(open_image_writer("png", o), Error);  // 3 planes; and float32 would not fit either
}

TEST(Writers, PngRoundTripsThroughLibpng) {
  const std::string path = test::temp_path("seg.png");
  ImageWriterOptions o;
  o.path = path;
  o.axes = "yxc";
  o.shape = {5, 7, 3};
  o.dtype = ValueType::UInt16;
  auto w = open_image_writer("png", o);
  write_volume(*w, 1, 5, 7, 3);
  w->commit();
  // 16-bit samples, as stored (no gamma: linear)
  std::vector<std::uint16_t> px;
  ASSERT_NO_FATAL_FAILURE(read_png16(path, PNG_FORMAT_LINEAR_RGB, 7, 5, px));
  for (std::uint32_t y = 0; y < 5; ++y)
    for (std::uint32_t x = 0; x < 7; ++x)
      for (int c = 0; c < 3; ++c) EXPECT_EQ(px[(y * 7 + x) * 3 + static_cast<std::uint32_t>(c)], expected(c, 0, y, x));
  fs::remove(path);
  o.dtype = ValueType::Float32;
  EXPECT_THROW(open_image_writer("png", o), Error);  // PNG holds 8/16-bit integers only
}

// "png sequence": one PNG per z, named by {slice_index} padded to the digits of the last
// index; each slice is committed when complete, and an abandoned sequence removes them all.
TEST(Writers, PngSequenceWritesOneFilePerPlane) {
  const fs::path dir = test::temp_path("sequence");
  fs::remove_all(dir);
  ImageWriterOptions o;
  o.path = (dir / "seg_z{slice_index}.png").string();
  o.axes = "zyxc";
  o.shape = {11, 5, 7, 1};
  o.dtype = ValueType::UInt16;
  {
    auto w = open_image_writer("png sequence", o);
    write_volume(*w, 11, 5, 7, 1);
    w->commit();
  }
  for (int z = 0; z < 11; ++z) {
    const std::string path = (dir / fmt::format("seg_z{:02d}.png", z)).string();
    std::vector<std::uint16_t> px;
    ASSERT_NO_FATAL_FAILURE(read_png16(path, PNG_FORMAT_LINEAR_Y, 7, 5, px));
    for (std::uint32_t y = 0; y < 5; ++y)
      for (std::uint32_t x = 0; x < 7; ++x) ASSERT_EQ(px[y * 7 + x], expected(0, z, y, x)) << z;
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 11);
  fs::remove_all(dir);
  {
    auto w = open_image_writer("png sequence", o);
    write_volume(*w, 6, 5, 7, 1);  // some slices complete, then the export fails
  }
  EXPECT_FALSE(fs::exists(dir) && !fs::is_empty(dir));
  fs::remove_all(dir);
}

// HDF5 exports take two paths: blocks that cover whole chunks are stored chunk by chunk
// (gathered, deflated in parallel, H5Dwrite_chunk), others through HDF5's hyperslab writes.
// Both must give the same dataset for any axis order, channel count, dtype and compression.
TEST(Writers, Hdf5ChunkPathsGiveTheSameDataset) {
  struct Case {
    std::string axes;
    bool compress;
    std::array<std::int64_t, 3> hint;
    ValueType dtype;
    bool normalize = false;  ///< (0, 4000) -> (0, 65535)
  };
  for (const Case& c : {Case{"zyxc", true, {2, 3, 4}, ValueType::Float32}, Case{"zyxc", false, {2, 3, 4}, ValueType::UInt16},
                        Case{"czyx", true, {2, 3, 4}, ValueType::Float32}, Case{"zxyc", true, {2, 3, 4}, ValueType::UInt8},
                        Case{"zyxc", true, {0, 0, 0}, ValueType::Float32}, Case{"zyxc", false, {4, 6, 8}, ValueType::Float32},
                        Case{"xzcy", false, {2, 3, 4}, ValueType::UInt16, true},
                        Case{"zyxc", true, {0, 0, 0}, ValueType::UInt16, true}}) {
    SCOPED_TRACE(c.axes + (c.compress ? " compressed" : "") + " hint " + std::to_string(c.hint[0]));
    const std::string path = test::temp_path("chunks.h5");
    ImageWriterOptions o;
    o.path = path;
    o.axes = c.axes;
    o.dtype = c.dtype;
    o.compress = c.compress;
    o.block_shape = c.hint;
    if (c.normalize) o.normalize = Normalization{0, 4000, 0, 65535};
    const std::int64_t Z = 5, Y = 7, X = 9;
    const int C = 3;
    for (char a : c.axes) o.shape.push_back(a == 'z' ? Z : a == 'y' ? Y : a == 'x' ? X : C);
    {
      Hdf5ImageWriter w(o);
      write_volume(w, Z, Y, X, C);
      w.commit();
    }
    if (c.hint[0] > 0) {
      // The chunks divide the blocks, so the whole-chunk path was taken.
      auto f = hdf5::File::open_read_only(path);
      auto ds = hdf5::open_object(f.id(), "/exported_data");
      hid_t dcpl = H5Dget_create_plist(ds.id());
      std::vector<hsize_t> chunk(c.axes.size());
      ASSERT_EQ(H5Pget_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()), static_cast<int>(chunk.size()));
      H5Pclose(dcpl);
      for (std::size_t i = 0; i < c.axes.size(); ++i) {
        const auto spatial = std::string("zyx").find(c.axes[i]);
        if (spatial != std::string::npos) {
          EXPECT_EQ(c.hint[spatial] % static_cast<std::int64_t>(chunk[i]), 0) << c.axes[i];
        }
      }
    }
    auto src = open_image(path + "/exported_data");
    PlanarBlock all;
    src->read(0, Box{{0, 0, 0}, {Z, Y, X}}, all);
    for (int ch = 0; ch < C; ++ch)
      for (std::int64_t z = 0; z < Z; ++z)
        for (std::int64_t y = 0; y < Y; ++y)
          for (std::int64_t x = 0; x < X; ++x) {
            float want = expected(ch, z, y, x);
            if (c.dtype == ValueType::UInt8) want = static_cast<float>(static_cast<int>(want) % 256);  // wraps
            if (c.normalize) want = std::nearbyint(0.0f + (want - 0.0f) * static_cast<float>(65535.0 / 4000.0));
            ASSERT_EQ(all.channel(ch)[(z * Y + y) * X + x], want) << ch << " " << z << " " << y << " " << x;
          }
    fs::remove(path);
  }
}

namespace {

std::vector<unsigned char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<unsigned char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A binary PNM (P5 grey / P6 RGB, 8-bit) parsed by hand: header tokens, then the samples.
std::vector<unsigned char> pnm_samples(const std::vector<unsigned char>& f, std::string& magic, int& w, int& h) {
  std::size_t pos = 0;
  auto token = [&] {
    while (pos < f.size() && (std::isspace(f[pos]) || f[pos] == '#')) {
      if (f[pos] == '#')
        while (pos < f.size() && f[pos] != '\n') ++pos;
      else
        ++pos;
    }
    std::string t;
    while (pos < f.size() && !std::isspace(f[pos])) t += static_cast<char>(f[pos++]);
    return t;
  };
  magic = token();
  w = std::stoi(token());
  h = std::stoi(token());
  token();  // maxval
  ++pos;    // one whitespace byte before the samples
  return std::vector<unsigned char>(f.begin() + static_cast<std::ptrdiff_t>(pos), f.end());
}

}  // namespace

// ilastik's VIGRA formats, written through libvigraimpex: PNM checked sample by sample with a
// hand parser, BMP by its header and palette-indexed rows (bottom-up, padded to 4 bytes), GIF
// and JPEG by their signatures; 3-D exports and 2 channels are refused before any work.
TEST(Writers, VigraFormatsHoldTheImage) {
  const std::string dir = test::temp_path("vigra");
  fs::remove_all(dir);
  ImageWriterOptions o;
  o.axes = "yxc";
  o.dtype = ValueType::UInt8;
  auto write = [&](const std::string& format, int channels) {
    o.path = dir + "/img." + format;
    o.shape = {5, 7, channels};
    auto w = open_image_writer(format, o);
    write_volume(*w, 1, 5, 7, channels);
    w->commit();
    return file_bytes(o.path);
  };
  auto value = [](int c, int y, int x) { return static_cast<unsigned char>(static_cast<int>(expected(c, 0, y, x)) % 256); };
  std::string magic;
  int w = 0, h = 0;
  auto px = pnm_samples(write("pgm", 1), magic, w, h);
  EXPECT_EQ(magic, "P5");
  ASSERT_EQ(w, 7);
  ASSERT_EQ(h, 5);
  ASSERT_GE(px.size(), 35u);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 7; ++x) EXPECT_EQ(px[static_cast<std::size_t>(y * 7 + x)], value(0, y, x));
  px = pnm_samples(write("ppm", 3), magic, w, h);
  EXPECT_EQ(magic, "P6");
  ASSERT_GE(px.size(), 105u);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 7; ++x)
      for (int c = 0; c < 3; ++c) EXPECT_EQ(px[static_cast<std::size_t>((y * 7 + x) * 3 + c)], value(c, y, x));

  const auto bmp = write("bmp", 1);
  ASSERT_GT(bmp.size(), 54u);
  EXPECT_EQ(bmp[0], 'B');
  EXPECT_EQ(bmp[1], 'M');
  auto u32 = [&](std::size_t at) { return bmp[at] | bmp[at + 1] << 8 | bmp[at + 2] << 16 | static_cast<unsigned>(bmp[at + 3]) << 24; };
  EXPECT_EQ(u32(18), 7u);  // width
  EXPECT_EQ(u32(22), 5u);  // height (positive: rows stored bottom-up)
  EXPECT_EQ(bmp[28], 8);   // bits per pixel: palette indices
  const std::size_t pixels = u32(10), row = 8;  // 7 bytes padded to 8
  ASSERT_GE(bmp.size(), pixels + 5 * row);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 7; ++x) {
      const unsigned index = bmp[pixels + static_cast<std::size_t>(4 - y) * row + static_cast<std::size_t>(x)];
      EXPECT_EQ(bmp[54 + 4 * index], value(0, y, x)) << y << " " << x;  // the grey palette entry's blue
    }
  const auto gif = write("gif", 1);
  EXPECT_EQ(std::string(gif.begin(), gif.begin() + 4), "GIF8");
  const auto jpeg = write("jpeg", 3);
  ASSERT_GT(jpeg.size(), 2u);
  EXPECT_EQ(jpeg[0], 0xFF);
  EXPECT_EQ(jpeg[1], 0xD8);

  o.shape = {5, 7, 2};
  o.path = dir + "/refused.bmp";
  EXPECT_THROW(open_image_writer("bmp", o), Error);  // 2 channels
  o.axes = "zyxc";
  o.shape = {2, 5, 7, 1};
  EXPECT_THROW(open_image_writer("jpeg", o), Error);  // a volume: that is "jpeg sequence"
  EXPECT_FALSE(fs::exists(o.path));
  fs::remove_all(dir);
}

namespace {

ImageWriterOptions volume_options(const std::string& path, const std::string& axes, ValueType dtype,
                                  std::array<std::int64_t, 3> hint) {
  ImageWriterOptions o;
  o.path = path;
  o.axes = axes;
  o.dtype = dtype;
  o.block_shape = hint;
  o.drange = std::make_pair(0.0, 1.0);
  for (char a : axes) o.shape.push_back(a == 'z' ? 5 : a == 'y' ? 7 : a == 'x' ? 9 : a == 'c' ? 3 : 1);
  return o;
}

// Every value of a z,y,x,c array read back equals what write_volume wrote.
void expect_volume(const test::ChunkedArray& a, const std::string& axes) {
  ASSERT_EQ(a.shape.size(), axes.size());
  std::vector<std::uint64_t> idx(axes.size());
  for (int c = 0; c < 3; ++c)
    for (std::uint64_t z = 0; z < 5; ++z)
      for (std::uint64_t y = 0; y < 7; ++y)
        for (std::uint64_t x = 0; x < 9; ++x) {
          for (std::size_t i = 0; i < axes.size(); ++i)
            idx[i] = axes[i] == 'z' ? z : axes[i] == 'y' ? y : axes[i] == 'x' ? x : axes[i] == 'c' ? c : 0;
          ASSERT_EQ(a.at(idx), expected(c, static_cast<std::int64_t>(z), static_cast<std::int64_t>(y), static_cast<std::int64_t>(x)))
              << c << " " << z << " " << y << " " << x;
        }
}

// Staging folders of an export at `path` (next to it) or inside an existing N5 container.
bool leftovers_in(const fs::path& dir, const std::string& prefix = ".ilpkit-") {
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(prefix, 0) == 0) return true;
  return false;
}

bool leftovers_next_to(const std::string& path) {
  return leftovers_in(fs::path(path).parent_path(), fs::path(path).filename().string() + ".ilpkit-");
}

}  // namespace

TEST(Writers, N5FollowsTheN5Layout) {
  for (bool compress : {false, true})
    for (ValueType dtype : {ValueType::Float32, ValueType::UInt16})
      for (std::array<std::int64_t, 3> hint : {std::array<std::int64_t, 3>{2, 3, 4}, std::array<std::int64_t, 3>{0, 0, 0}}) {
        SCOPED_TRACE(fmt::format("{} {} hint {}", compress ? "gzip" : "raw", to_string(dtype), hint[0]));
        const std::string path = test::temp_path("vol.n5");
        fs::remove_all(path);
        {
          auto w = open_image_writer(compress ? "compressed n5" : "n5", volume_options(path, "zyxc", dtype, hint));
          write_volume(*w, 5, 7, 9, 3);
          EXPECT_FALSE(fs::exists(path)) << "visible before commit";
          w->commit();
        }
        EXPECT_EQ(test::read_json(fs::path(path) / "attributes.json").count("n5"), 1u);
        const auto a = test::read_n5(fs::path(path) / "exported_data");
        EXPECT_EQ(a.attrs["dataType"], to_string(dtype));
        EXPECT_EQ(a.attrs["compression"]["type"], compress ? "gzip" : "raw");
        EXPECT_EQ(parse_axistags_json(a.attrs["axistags"].get<std::string>()), "zyxc");
        EXPECT_EQ(a.attrs["display_mode"], "grayscale");
        EXPECT_EQ(a.attrs["drange"], nlohmann::json::array({0.0, 1.0}));
        EXPECT_EQ(a.shape, (std::vector<std::uint64_t>{5, 7, 9, 3}));
        EXPECT_EQ(a.chunk[3], 1u) << "channels are chunked by 1";
        if (hint[0] > 0) {
          for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(hint[i] % static_cast<std::int64_t>(a.chunk[i]), 0);
          if (!compress) {
            // Edge blocks are cut at the dataset's end: the last block is 1×1×1×1.
            const fs::path last = fs::path(path) / "exported_data" / "2" / "2" / "2" / "2";
            EXPECT_EQ(fs::file_size(last), 4u + 4 * 4 + element_size(dtype));
          }
        }
        expect_volume(a, "zyxc");
        fs::remove_all(path);
      }
}

TEST(Writers, N5KeepsTheOtherDatasetsOfItsContainer) {
  const std::string path = test::temp_path("shared.n5");
  fs::remove_all(path);
  auto write = [&](const std::string& internal, ValueType dtype, bool commit) {
    auto o = volume_options(path, "czyx", dtype, {2, 3, 4});
    o.internal_path = internal;
    auto w = open_image_writer("n5", o);
    write_volume(*w, 5, 7, 9, 3);
    if (commit) w->commit();
  };
  write("group/first", ValueType::UInt16, true);
  write("exported_data", ValueType::Float32, true);
  write("exported_data", ValueType::UInt16, true);  // replaces the float32 one
  write("exported_data", ValueType::Float32, false);  // abandoned: the uint16 one stays
  expect_volume(test::read_n5(fs::path(path) / "group" / "first"), "czyx");
  const auto replaced = test::read_n5(fs::path(path) / "exported_data");
  EXPECT_EQ(replaced.attrs["dataType"], "uint16");
  expect_volume(replaced, "czyx");
  EXPECT_FALSE(leftovers_in(path));
  EXPECT_FALSE(leftovers_next_to(path));
  fs::remove_all(path);

  // A new container abandoned before commit leaves nothing at all.
  {
    auto w = open_image_writer("compressed n5", volume_options(path, "zyxc", ValueType::Float32, {2, 3, 4}));
    write_volume(*w, 5, 7, 9, 3);
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(leftovers_next_to(path));
}

TEST(Writers, OmeZarrFollowsZarrV2AndNgff04) {
  const std::string path = test::temp_path("vol.zarr");
  fs::remove_all(path);
  auto o = volume_options(path, "tczyx", ValueType::Float32, {2, 3, 4});
  o.offset = {0, 0, 1, 2, 3};  // a cutout
  o.name = "vol";
  {
    auto w = open_image_writer("single-scale OME-Zarr", o);
    write_volume(*w, 5, 7, 9, 3);
    EXPECT_FALSE(fs::exists(path));
    w->commit();
  }
  EXPECT_EQ(test::read_json(fs::path(path) / ".zgroup")["zarr_format"], 2);
  const auto root = test::read_json(fs::path(path) / ".zattrs");
  const auto& ms = root["multiscales"].at(0);
  EXPECT_EQ(ms["version"], "0.4");
  std::string names, types;
  for (const auto& ax : ms["axes"]) names += ax["name"].get<std::string>(), types += ax["type"].get<std::string>()[0];
  EXPECT_EQ(names, "tczyx");
  EXPECT_EQ(types, "tcsss");
  EXPECT_EQ(ms["datasets"].at(0)["path"], "s0");
  const auto& transforms = ms["datasets"].at(0)["coordinateTransformations"];
  EXPECT_EQ(transforms.at(0)["type"], "scale");
  EXPECT_EQ(transforms.at(1)["translation"], nlohmann::json::array({0.0, 0.0, 1.0, 2.0, 3.0}));
  const auto a = test::read_zarr(fs::path(path) / "s0");
  EXPECT_EQ(a.shape, (std::vector<std::uint64_t>{1, 3, 5, 7, 9}));
  EXPECT_EQ(a.chunk[0], 1u);
  EXPECT_EQ(a.chunk[1], 1u);
  EXPECT_EQ(parse_axistags_json(a.attrs["axistags"].get<std::string>()), "tczyx");
  expect_volume(a, "tczyx");

  // ilastik refuses to overwrite an OME-Zarr export; so does ilpkit, leaving it as it was.
  const auto before = a.values;
  EXPECT_THROW(open_image_writer("single-scale OME-Zarr", o), Error);
  EXPECT_EQ(test::read_zarr(fs::path(path) / "s0").values, before);
  fs::remove_all(path);
  {
    auto w = open_image_writer("single-scale OME-Zarr", o);
    write_volume(*w, 5, 7, 9, 3);
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(leftovers_next_to(path));
}

TEST(Writers, FormatsIlastikListsButIlpkitDoesNotWriteSayWhy) {
  for (const char* f : {"dvid", "blockwise hdf5"}) {
    try {
      format_extension(f);
      ADD_FAILURE() << f;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(format_extension("compressed n5"), "n5");
  EXPECT_EQ(format_extension("Single-Scale OME-Zarr"), "zarr");
  EXPECT_EQ(format_extension("multi-scale OME-Zarr"), "zarr");
}

namespace {

// scipy.ndimage's mirror extension (d c b | a b c d | c b a), written out for the reference.
std::int64_t mirrored(std::int64_t i, std::int64_t n) {
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

// ilastik's OpResize on a whole 2-D image, literally: Gaussian σ = f/4 along each axis
// (scipy: radius int(4σ + 0.5), mirror), then bilinear samples at i·f + f/2 − 0.5 (or the value
// at floor(x + 0.5) for labels), cast to float32 as the level is stored.
std::vector<float> resize_reference(const std::vector<float>& in, std::int64_t H, std::int64_t W, std::int64_t h,
                                    std::int64_t w, bool nearest) {
  const double fy = static_cast<double>(H) / static_cast<double>(h), fx = static_cast<double>(W) / static_cast<double>(w);
  std::vector<double> img(in.begin(), in.end());
  auto blur = [&](double f, bool along_x) {
    if (nearest || f <= 1) return;
    const double sigma = f / 4;
    const auto r = static_cast<std::int64_t>(4 * sigma + 0.5);
    std::vector<double> k;
    double sum = 0;
    for (std::int64_t i = -r; i <= r; ++i) k.push_back(std::exp(-0.5 * static_cast<double>(i * i) / (sigma * sigma))), sum += k.back();
    std::vector<double> out(img.size());
    for (std::int64_t y = 0; y < H; ++y)
      for (std::int64_t x = 0; x < W; ++x) {
        double v = 0;
        for (std::int64_t i = -r; i <= r; ++i)
          v += k[static_cast<std::size_t>(i + r)] / sum *
               (along_x ? img[static_cast<std::size_t>(y * W + mirrored(x + i, W))]
                        : img[static_cast<std::size_t>(mirrored(y + i, H) * W + x)]);
        out[static_cast<std::size_t>(y * W + x)] = v;
      }
    img.swap(out);
  };
  blur(fy, false);
  blur(fx, true);
  std::vector<float> out(static_cast<std::size_t>(h * w));
  for (std::int64_t i = 0; i < h; ++i)
    for (std::int64_t j = 0; j < w; ++j) {
      const double cy = static_cast<double>(i) * fy + fy / 2 - 0.5, cx = static_cast<double>(j) * fx + fx / 2 - 0.5;
      double v = 0;
      if (nearest) {
        v = img[static_cast<std::size_t>(mirrored(static_cast<std::int64_t>(std::floor(cy + 0.5)), H) * W +
                                         mirrored(static_cast<std::int64_t>(std::floor(cx + 0.5)), W))];
      } else {
        const auto y0 = static_cast<std::int64_t>(std::floor(cy)), x0 = static_cast<std::int64_t>(std::floor(cx));
        const double wy = cy - static_cast<double>(y0), wx = cx - static_cast<double>(x0);
        for (int dy = 0; dy < 2; ++dy)
          for (int dx = 0; dx < 2; ++dx)
            v += (dy ? wy : 1 - wy) * (dx ? wx : 1 - wx) *
                 img[static_cast<std::size_t>(mirrored(y0 + dy, H) * W + mirrored(x0 + dx, W))];
      }
      out[static_cast<std::size_t>(i * w + j)] = static_cast<float>(v);
    }
  return out;
}

}  // namespace

// Multi-scale OME-Zarr: the levels ilastik would make (floor(base / 2^i) until one chunk holds
// the image), each computed from the one before like ilastik's OpResize, checked against a
// literal whole-image reference; label images take the nearest value.
TEST(Writers, MultiScaleOmeZarrDownscalesLikeIlastik) {
  const std::int64_t H = 1101, W = 1301;
  for (const bool labels : {false, true}) {
    SCOPED_TRACE(labels ? "labels" : "probabilities");
    const std::string path = test::temp_path("pyramid.zarr");
    fs::remove_all(path);
    ImageWriterOptions o;
    o.path = path;
    o.axes = "tczyx";
    o.shape = {1, 1, 1, H, W};
    o.dtype = labels ? ValueType::UInt8 : ValueType::Float32;
    o.label_values = labels;
    std::vector<float> image(static_cast<std::size_t>(H * W));
    for (std::int64_t y = 0; y < H; ++y)
      for (std::int64_t x = 0; x < W; ++x)
        image[static_cast<std::size_t>(y * W + x)] =
            labels ? static_cast<float>(1 + (x / 7 + y / 5) % 3)
                   : static_cast<float>(0.5 + 0.4 * std::sin(0.05 * static_cast<double>(x)) * std::cos(0.031 * static_cast<double>(y)) +
                                        0.1 * static_cast<double>((x * 7919 + y * 104729) % 13) / 13.0 - 0.05);
    {
      auto w = open_image_writer("multi-scale OME-Zarr", o);
      for (std::int64_t y0 = 0; y0 < H; y0 += 300) {
        PlanarBlock block;
        block.reset(Box{{0, y0, 0}, {1, std::min(H, y0 + 300), W}}, 1);
        std::copy_n(image.begin() + y0 * W, block.data.size(), block.data.begin());
        w->write(0, block);
      }
      w->commit();
    }
    const auto root = test::read_json(fs::path(path) / ".zattrs");
    const auto& datasets = root["multiscales"][0]["datasets"];
    ASSERT_GE(datasets.size(), labels ? 2u : 3u);  // 1 MB chunks: 4 times more uint8 values fit
    std::vector<float> level = image;
    std::int64_t h = H, w = W;
    for (std::size_t k = 0; k < datasets.size(); ++k) {
      SCOPED_TRACE("level " + std::to_string(k));
      EXPECT_EQ(datasets[k]["path"], "s" + std::to_string(k));
      const auto a = test::read_zarr(fs::path(path) / ("s" + std::to_string(k)));
      const std::int64_t nh = std::max<std::int64_t>(H >> k, 1), nw = std::max<std::int64_t>(W >> k, 1);
      ASSERT_EQ(a.shape, (std::vector<std::uint64_t>{1, 1, 1, static_cast<std::uint64_t>(nh), static_cast<std::uint64_t>(nw)}));
      EXPECT_EQ(datasets[k]["coordinateTransformations"][0]["scale"][4], static_cast<double>(W) / static_cast<double>(nw));
      if (k > 0) level = resize_reference(level, h, w, nh, nw, labels);
      h = nh, w = nw;
      double worst = 0;
      for (std::size_t i = 0; i < level.size(); ++i) worst = std::max(worst, std::fabs(a.values[i] - static_cast<double>(level[i])));
      EXPECT_LE(worst, labels ? 0.0 : 1e-6);
    }
    // The last level fits one chunk, the one before does not.
    const auto last = test::read_zarr(fs::path(path) / ("s" + std::to_string(datasets.size() - 1)));
    EXPECT_LE(last.shape[3], last.chunk[3]);
    EXPECT_LE(last.shape[4], last.chunk[4]);
    fs::remove_all(path);
  }
}
