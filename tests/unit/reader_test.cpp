// SPDX-License-Identifier: MIT
// The generated projects of testdata/ (tools/make_testdata.cpp says what each one holds).
#include <gtest/gtest.h>

#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "test_paths.hpp"

using namespace ilpkit;

TEST(Reader, Minimal14Facts) {
  Project p = read_project(test::testdata("minimal_14.ilp"));
  EXPECT_EQ(p.ilastik_version, "1.4.2");
  EXPECT_EQ(p.workflow, "Pixel Classification");
  ASSERT_EQ(p.lanes.size(), 1u);
  const auto& raw = *p.lanes[0].raw;
  EXPECT_EQ(raw.location, DataLocation::FileSystem);
  EXPECT_EQ(raw.info_class, "RelativeFilesystemDatasetInfo");
  EXPECT_TRUE(raw.found) << raw.not_found_reason;
  EXPECT_EQ(raw.internal_path, "/data");
  EXPECT_EQ(raw.axes, "yx");
  EXPECT_EQ(raw.shape, (Shape{12, 16}));
  EXPECT_EQ(raw.dtype, "uint8");
  EXPECT_EQ(p.lanes[0].internal_axes, "yxc");
  ASSERT_TRUE(p.features);
  EXPECT_EQ(p.features->selected_count(), 2u);
  auto channels = project_feature_channels(p);
  ASSERT_EQ(channels.size(), 3u);
  EXPECT_EQ(channels[2].name, "Hessian of Gaussian Eigenvalues (σ=1.0) in 2D [1]");
  ASSERT_EQ(p.label_classes.size(), 2u);
  EXPECT_EQ(p.label_classes[1].name, "cells");
  EXPECT_EQ(p.label_classes[1].color, (std::array<int, 3>{0, 130, 200}));
  EXPECT_EQ(p.labels[0].counts.at(1), 6);
  EXPECT_EQ(p.labels[0].counts.at(2), 2);
  EXPECT_EQ(p.labels[0].order_basis, "axistags attribute");
  EXPECT_FALSE(p.factory.is_default);
  EXPECT_EQ(p.factory.num_trees, 2);
  EXPECT_EQ(p.factory.num_forests, 1);
  ASSERT_TRUE(p.classifier);
  EXPECT_EQ(p.classifier->forests.size(), 1u);
  EXPECT_EQ(p.classifier->tree_count(), 2u);
  EXPECT_EQ(p.classifier->known_labels, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_TRUE(match_classifier(p).matches) << match_classifier(p).reason;
  ASSERT_TRUE(p.export_settings);
  EXPECT_EQ(p.export_settings->format, "hdf5");
  EXPECT_EQ(p.export_settings->export_max, 65535.0);
  EXPECT_FALSE(p.export_settings->normalization_active());
}

TEST(Reader, Minimal14DenseLabels) {
  Project p = read_project(test::testdata("minimal_14.ilp"));
  auto vol = decode_labels(p, 0);
  EXPECT_EQ(vol.axes, "yxc");
  EXPECT_EQ(vol.shape, (Shape{12, 16, 1}));
  auto at = [&](int y, int x) { return vol.data[static_cast<std::size_t>(y * 16 + x)]; };
  EXPECT_EQ(at(1, 2), 1);
  EXPECT_EQ(at(2, 4), 1);
  EXPECT_EQ(at(1, 5), 0);
  EXPECT_EQ(at(10, 13), 2);
  EXPECT_EQ(at(10, 14), 0);  // zeros in a block are transparent
  EXPECT_EQ(at(10, 15), 2);
  int n = 0;
  for (auto v : vol.data) n += v != 0;
  EXPECT_EQ(n, 8);
}

TEST(Reader, Legacy12BlocksInTheDataOwnOrder) {
  // 1.2.0rc10 wrote blocks as txyzc (the data's order); the internal order is yxc, so the
  // block's x extent 3 (4:7) must become columns and y (1:3) rows.
  Project p = read_project(test::testdata("legacy_12.ilp"));
  EXPECT_TRUE(p.factory.python2_pickle);
  EXPECT_EQ(p.factory.num_forests, 40);
  EXPECT_EQ(p.labels[0].stored_axes, "txyzc");
  EXPECT_EQ(p.labels[0].order_basis, "version rule");
  const auto& raw = *p.lanes[0].raw;
  EXPECT_FALSE(raw.found);
  EXPECT_EQ(raw.shape_source, "label blocks (lower bound)");
  EXPECT_EQ(p.lanes[0].internal_axes, "yxc");
  auto vol = decode_labels(p, 0);
  EXPECT_EQ(vol.shape, (Shape{3, 7, 1}));
  // block data [x][y] = {{1,2},{1,2},{0,2}} at x 4..6, y 1..2
  auto at = [&](int y, int x) { return vol.data[static_cast<std::size_t>(y * 7 + x)]; };
  EXPECT_EQ(at(1, 4), 1);
  EXPECT_EQ(at(2, 4), 2);
  EXPECT_EQ(at(1, 6), 0);
  EXPECT_EQ(at(2, 6), 2);
  ASSERT_TRUE(p.features);
  EXPECT_FALSE(p.features->compute_in_2d_stored);
  EXPECT_EQ(p.features->ids, (std::vector<std::string>{"GaussianSmoothing", "LaplacianOfGaussian"}));
  EXPECT_EQ(p.label_classes.size(), 2u);
}

TEST(Reader, Legacy06MigratedToLanes) {
  Project p = read_project(test::testdata("legacy_06.ilp"));
  EXPECT_EQ(p.ilastik_version, "0.6");
  EXPECT_EQ(p.workflow, "Pixel Classification");
  EXPECT_EQ(p.migrations_applied,
            (std::vector<std::string>{"m001_float_version", "m002_lanes_without_role_names", "m003_workflow_name",
                                      "m004_axisorder_to_axistags"}));
  ASSERT_EQ(p.lanes.size(), 1u);
  ASSERT_TRUE(p.lanes[0].raw);
  const auto& raw = *p.lanes[0].raw;
  EXPECT_EQ(raw.axes, "zyx");
  EXPECT_TRUE(raw.windows_path);
  EXPECT_FALSE(raw.found);
  EXPECT_EQ(raw.internal_path, "/volume");
  EXPECT_EQ(raw.info_class, "FilesystemDatasetInfo");
  EXPECT_FALSE(p.classifier);
  EXPECT_TRUE(p.factory.is_default);
}

TEST(Reader, TreeLoadKeepsEmbeddedDataOnDisk) {
  Diagnostics d;
  ReadOptions o;
  o.max_eager_bytes = 16;  // anything bigger stays lazy
  IlpTree t = load_tree(test::testdata("tiny_raw.h5"), o, d);
  const Node* data = t.root->child("data");
  ASSERT_NE(data, nullptr);
  EXPECT_FALSE(data->loaded());
  EXPECT_EQ(data->shape(), (std::vector<std::uint64_t>{12, 16}));
  Value v = data->value();  // read on demand
  EXPECT_EQ(v.size(), 192u);
  EXPECT_EQ(v.number(1), 7.0);
}

TEST(Reader, WriteTreeRoundTrip) {
  Diagnostics d;
  IlpTree t = load_tree(test::testdata("minimal_14.ilp"), {}, d);
  std::string out = test::temp_path("roundtrip.ilp");
  write_tree(t, out);
  Project a = read_project(test::testdata("minimal_14.ilp"));
  Project b = read_project(out);
  EXPECT_EQ(b.ilastik_version, a.ilastik_version);
  EXPECT_EQ(b.features->matrix, a.features->matrix);
  EXPECT_EQ(b.classifier->forests[0].trees[1].topology, a.classifier->forests[0].trees[1].topology);
  EXPECT_EQ(decode_labels(b, 0).data, decode_labels(a, 0).data);
}
