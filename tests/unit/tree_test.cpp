// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "ilpkit/error.hpp"
#include "ilpkit/tree.hpp"

using namespace ilpkit;

TEST(Value, NumbersConvertAcrossTypes) {
  auto v = Value::from_vector(std::vector<std::int16_t>{-3, 7}, {2});
  EXPECT_EQ(v.describe(), "int16[2]");
  EXPECT_EQ(v.integers(), (std::vector<std::int64_t>{-3, 7}));
  EXPECT_DOUBLE_EQ(v.number(1), 7.0);
}

TEST(Value, IntegerRefusesFractions) {
  auto v = Value::from_vector(std::vector<double>{1.5});
  EXPECT_THROW(v.integer(), Error);
  try {
    v.integer();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Format);
    EXPECT_NE(std::string(e.what()).find("expected an integer"), std::string::npos);
  }
}

TEST(Value, StringsAndTextAccess) {
  auto s = Value::strings({"a", "bc"}, {}, StringForm::Fixed, 28);
  EXPECT_EQ(s.describe(), "fstr[28][2]");
  EXPECT_THROW(s.text(), Error);  // two strings, not one
  EXPECT_EQ(Value::strings({"x"}, {1}).text(), "x");  // 1-element arrays read as text
  EXPECT_THROW(Value::scalar<double>(1.0).text(), Error);
}

TEST(Node, FindAndReplaceChildren) {
  auto root = Node::make_group("");
  root->require_group("a").require_group("b").add_child(Node::make_dataset("x", Value::scalar<std::int64_t>(4)));
  ASSERT_NE(root->find("a/b/x"), nullptr);
  EXPECT_EQ(root->find("a/b/x")->loaded_value().integer(), 4);
  EXPECT_EQ(root->find("a/c"), nullptr);
  root->find("a/b")->add_child(Node::make_dataset("x", Value::scalar<std::int64_t>(5)));
  EXPECT_EQ(root->find("a/b/x")->loaded_value().integer(), 5);
  EXPECT_THROW(root->find("a/b")->require_group("x"), Error);
}

TEST(ErrorContext, ChainsOutermostFirstAndDropsRedundantPrefixes) {
  Error e(ErrorKind::Format, "attribute blockSlice is missing");
  e.add_context("reading /PixelClassification/LabelSets/labels000/block0003");
  e.add_context("reading /PixelClassification/LabelSets");
  e.add_context("cannot read project 'x.ilp'");
  EXPECT_STREQ(e.what(),
               "cannot read project 'x.ilp': reading /PixelClassification/LabelSets/labels000/block0003: "
               "attribute blockSlice is missing");
}
