// SPDX-License-Identifier: MIT
// `labels export|import` on a copy of the generated minimal project: exported labels equal the
// decoded ones (HDF5 and TIFF, read back by ilpkit's readers); an edited label image imports as
// exactly that image, with a name for the new label value and without the stale forest; the same
// labels again write nothing; an image of another size is refused.
#include <gtest/gtest.h>

#include <filesystem>

#include "hdf5.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/image.hpp"
#include "ilpkit/surgery.hpp"
#include "minimal_project.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;

namespace {

std::vector<std::uint8_t> read_u8(const std::string& spec) {
  auto src = open_image(spec);
  const auto g = src->info().geometry();
  PlanarBlock b;
  src->read(0, Box{{0, 0, 0}, {g.z, g.y, g.x}}, b);
  return std::vector<std::uint8_t>(b.data.begin(), b.data.end());
}

}  // namespace

TEST(LabelsIo, ExportThenEditedImportRoundTrips) {
  const std::string p = test::minimal_project_copy("labels_io");
  const fs::path dir = fs::path(p).parent_path();
  const Project before = read_project(p);
  const LabelVolume v = decode_labels(before, 0);
  export_labels(p, 0, (dir / "l.h5").string());
  export_labels(p, 0, (dir / "l.tif").string());
  EXPECT_EQ(read_u8((dir / "l.h5").string() + "/labels"), v.data);
  EXPECT_EQ(read_u8((dir / "l.tif").string()), v.data);

  // The same labels: nothing written, the forest stays.
  EXPECT_FALSE(import_labels(p, 0, (dir / "l.h5").string() + "/labels").changed);
  EXPECT_TRUE(read_project(p).classifier);

  // Paint a 3x3 square of a new label 3 and import it.
  std::vector<std::uint8_t> edited = v.data;
  const std::int64_t X = v.shape[1];
  for (std::int64_t y = 5; y < 8; ++y)
    for (std::int64_t x = 9; x < 12; ++x) edited[static_cast<std::size_t>(y * X + x)] = 3;
  {
    auto f = hdf5::File::create((dir / "edited.h5").string());
    hdf5::write_dataset(f.id(), "/labels",
                        Value::numeric(ValueType::UInt8, {static_cast<std::uint64_t>(v.shape[0]), static_cast<std::uint64_t>(X)},
                                       std::vector<unsigned char>(edited.begin(), edited.end())));
  }
  const EditReport r = import_labels(p, 0, (dir / "edited.h5").string() + "/labels");
  EXPECT_TRUE(r.changed);
  const Project after = read_project(p);
  EXPECT_EQ(decode_labels(after, 0).data, edited);
  ASSERT_EQ(after.label_classes.size(), 3u);
  EXPECT_EQ(after.label_classes[0].name, before.label_classes[0].name);
  EXPECT_EQ(after.label_classes[2].name, "Label 3");
  EXPECT_FALSE(after.classifier) << "trained on other labels";
  EXPECT_FALSE(has_errors(validate_project(p)));
}

TEST(LabelsIo, AnImageOfAnotherSizeIsRefused) {
  const std::string p = test::minimal_project_copy("labels_io_bad");
  const fs::path dir = fs::path(p).parent_path();
  {
    auto f = hdf5::File::create((dir / "small.h5").string());
    hdf5::write_dataset(f.id(), "/labels", Value::numeric(ValueType::UInt8, {4, 4}, std::vector<unsigned char>(16, 1)));
  }
  try {
    import_labels(p, 0, (dir / "small.h5").string() + "/labels");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage) << e.what();
  }
  EXPECT_FALSE(fs::exists(p + ".bak"));
}
