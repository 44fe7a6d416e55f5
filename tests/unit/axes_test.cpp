// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "ilpkit/axes.hpp"
#include "ilpkit/error.hpp"

using namespace ilpkit;

TEST(Axes, ParsesVigraJsonAndSteinbockMinimalJson) {
  EXPECT_EQ(parse_axistags_json(axistags_json("tzyxc")), "tzyxc");
  EXPECT_EQ(parse_axistags_json(R"({"axes": [{"key": "c", "typeFlags": 1}, {"key": "y", "typeFlags": 2},
                                            {"key": "x", "typeFlags": 2}]})"),
            "cyx");
}

TEST(Axes, RejectsBadJsonWithReason) {
  try {
    parse_axistags_json("{\"axes\": [{\"key\": \"q\"}]}");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown axis 'q'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_axistags_json("not json"), Error);
  EXPECT_THROW(parse_axistags_json("{\"axes\": [{\"key\": \"x\"}, {\"key\": \"x\"}]}"), Error);
}

TEST(Axes, DefaultAxesByRank) {
  EXPECT_EQ(default_axes({10, 20}), "yx");
  EXPECT_EQ(default_axes({10, 20, 3}), "yxc");
  EXPECT_EQ(default_axes({10, 20, 30}), "zyx");
  EXPECT_EQ(default_axes({5, 10, 20, 2}), "zyxc");
  EXPECT_EQ(default_axes({1, 5, 10, 20, 2}), "tzyxc");
  EXPECT_THROW(default_axes({5}), Error);
}

TEST(Axes, InternalOrderOfPixelClassification) {
  EXPECT_EQ(internal_axes("yx", {10, 20}), "yxc");
  EXPECT_EQ(internal_axes("xy", {10, 20}), "yxc");
  EXPECT_EQ(internal_axes("cyx", {3, 10, 20}), "yxc");
  EXPECT_EQ(internal_axes("zyx", {5, 10, 20}), "zyxc");
  EXPECT_EQ(internal_axes("tyxc", {4, 10, 20, 1}), "tyxc");
  EXPECT_EQ(internal_axes("tzyxc", {1, 1, 10, 20, 1}), "yxc");  // ilastik4ij's 5-D single image
  EXPECT_EQ(internal_axes("txyzc", {3, 10, 20, 1, 2}), "tyxc");  // mitocheck: z = 1 dropped
  EXPECT_EQ(internal_axes("tzyxc", {2, 3, 10, 20, 1}), "tzyxc");
  EXPECT_EQ(internal_axes("zyx", {5, 1, 20}), "tzxc");  // degenerate: y singleton with z present
}

TEST(Axes, ReorderShape) {
  EXPECT_EQ(reorder_shape("cyx", {3, 10, 20}, "yxc"), (Shape{10, 20, 3}));
  EXPECT_EQ(reorder_shape("yx", {10, 20}, "yxc"), (Shape{10, 20, 1}));
  EXPECT_EQ(reorder_shape("tzyxc", {1, 1, 10, 20, 1}, "yxc"), (Shape{10, 20, 1}));
  EXPECT_THROW(reorder_shape("tyx", {2, 10, 20}, "yxc"), Error);
}
