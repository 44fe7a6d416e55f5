// SPDX-License-Identifier: MIT
// The version table of ilp-format.md §5.2 / surgery.md §1.3.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "ilpkit/compat/label_order.hpp"

using namespace ilpkit::compat;

namespace {
std::string predicted(const char* v, const char* own, const char* internal, const char* workflow = "Pixel Classification") {
  return label_order_candidates(version(v), workflow, {own, internal}).front();
}
}  // namespace

TEST(LabelOrder, WrittenOrderByVersion) {
  EXPECT_EQ(predicted("1.2.0rc10", "txyzc", "tyxc"), "txyzc");   // legacy: own order, c last
  EXPECT_EQ(predicted("1.2.2post1", "cyx", "yxc"), "yxc");       // legacy moves c to the end
  EXPECT_EQ(predicted("1.3.2", "cyx", "yxc"), "yxc");            // internal
  EXPECT_EQ(predicted("1.3.3post1", "tyxc", "tyxc",
                      "Object Classification (from pixel classification)"), "txyzc");  // bug #2152
  EXPECT_EQ(predicted("1.3.3post2", "zcyx", "zyxc"), "zcyx");    // original order
  EXPECT_EQ(predicted("1.3.3post3", "yx", "yxc"), "yxc");        // original + c appended
  EXPECT_EQ(predicted("1.4.0b7", "cyx", "yxc"), "cyx");
  EXPECT_EQ(predicted("1.4.0b8", "cyx", "yxc"), "yxc");          // internal again
}

TEST(LabelOrder, CandidatesAreUniqueAndIncludeTheAlternatives) {
  auto c = label_order_candidates(version("1.2.0"), "Pixel Classification", {"txyc", "tyxc"});
  EXPECT_EQ(c.front(), "txyc");
  EXPECT_NE(std::find(c.begin(), c.end(), "tyxc"), c.end());
  EXPECT_NE(std::find(c.begin(), c.end(), "txyzc"), c.end());
  std::set<std::string> unique(c.begin(), c.end());
  EXPECT_EQ(unique.size(), c.size());
}

TEST(LabelOrder, WhatIlastik142Assumes) {
  EXPECT_EQ(label_order_assumed_by_1_4_2(version("1.2.0rc10"), "Pixel Classification", {"txyzc", "tyxc"}), "tyxc");
  EXPECT_EQ(label_order_assumed_by_1_4_2(version("1.3.3post3"), "Pixel Classification", {"cyx", "yxc"}), "cyx");
  EXPECT_EQ(label_order_assumed_by_1_4_2(version("1.4.2"), "Pixel Classification", {"cyx", "yxc"}), "yxc");
}

TEST(LabelOrder, AssumedAxesForOldFilesWithoutMetadata) {
  EXPECT_EQ(assumed_axes_without_metadata(version("0.6"), 5), "txyzc");
  EXPECT_EQ(assumed_axes_without_metadata(version("1.4.2"), 5), "");
  EXPECT_EQ(assumed_axes_without_metadata(version("0.6"), 3), "");
}
