// SPDX-License-Identifier: MIT
// Protocol-0 pickles as ilastik stores them (ilp-format.md §6.1), parsed without executing.
#include <gtest/gtest.h>

#include "ilpkit/error.hpp"
#include "pickle.hpp"

using namespace ilpkit;

namespace {
// The exact 342 bytes of pc.ilp's ClassifierFactory.
const std::string kPy3 =
    "ccopy_reg\n_reconstructor\np0\n(clazyflow.classifiers.parallelVigraRfLazyflowClassifier\n"
    "ParallelVigraRfLazyflowClassifierFactory\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVVERSION\np6\nI2\n"
    "sV_num_trees\np7\nI100\nsV_label_proportion\np8\nNsV_variable_importance_path\np9\nNsV_variable_importance_enabled\n"
    "p10\nI00\nsV_kwargs\np11\n(dp12\nsV_num_forests\np13\nI4\nsb.";
const std::string kPy2 =
    "ccopy_reg\n_reconstructor\np1\n(clazyflow.classifiers.parallelVigraRfLazyflowClassifier\n"
    "ParallelVigraRfLazyflowClassifierFactory\np2\nc__builtin__\nobject\np3\nNtRp4\n(dp5\n"
    "S'_variable_importance_path'\np6\nNsS'_kwargs'\np7\n(dp8\nsS'_variable_importance_enabled'\np9\nI00\n"
    "sS'VERSION'\np10\nI2\nsS'_num_trees'\np11\nI100\nsS'_label_proportion'\np12\nNsS'_num_forests'\np13\nI40\nsb.";
}  // namespace

TEST(Pickle, Python3Factory) {
  EXPECT_EQ(kPy3.size(), 342u);
  auto r = pickle::parse(kPy3);
  EXPECT_FALSE(r.python2_keys);
  ASSERT_EQ(r.value->kind, pickle::Object::Kind::Instance);
  EXPECT_EQ(r.value->cls->name, "ParallelVigraRfLazyflowClassifierFactory");
  EXPECT_EQ(r.value->cls->module, "lazyflow.classifiers.parallelVigraRfLazyflowClassifier");
  const auto& st = *r.value->state;
  EXPECT_EQ(st.get("VERSION")->integer, 2);
  EXPECT_EQ(st.get("_num_trees")->integer, 100);
  EXPECT_EQ(st.get("_num_forests")->integer, 4);
  EXPECT_EQ(st.get("_label_proportion")->kind, pickle::Object::Kind::None);
  EXPECT_EQ(st.get("_variable_importance_enabled")->kind, pickle::Object::Kind::Bool);
  EXPECT_EQ(st.get("_kwargs")->kind, pickle::Object::Kind::Dict);
}

TEST(Pickle, Python2FactoryWithStringKeys) {
  auto r = pickle::parse(kPy2);
  EXPECT_TRUE(r.python2_keys);
  EXPECT_EQ(r.value->state->get("_num_forests")->integer, 40);
  EXPECT_EQ(r.value->state->get("VERSION")->integer, 2);
}

TEST(Pickle, NonDefaultValues) {
  std::string s = kPy3;
  s.replace(s.find("V_label_proportion\np8\nN"), 23, "V_label_proportion\np8\nF0.25\n");
  s.replace(s.find("V_variable_importance_path\np9\nN"), 31,
            "V_variable_importance_path\np9\nV/tmp/vi\\u000apath \xe9\np10\n");
  auto r = pickle::parse(s);
  EXPECT_DOUBLE_EQ(r.value->state->get("_label_proportion")->real, 0.25);
  EXPECT_EQ(r.value->state->get("_variable_importance_path")->text, "/tmp/vi\npath \xc3\xa9");  // Latin-1 é -> UTF-8
}

TEST(Pickle, ClassReference) {
  auto r = pickle::parse("clazyflow.classifiers.parallelVigraRfLazyflowClassifier\nParallelVigraRfLazyflowClassifier\np0\n.");
  EXPECT_EQ(r.value->kind, pickle::Object::Kind::Global);
  EXPECT_EQ(r.value->name, "ParallelVigraRfLazyflowClassifier");
}

TEST(Pickle, RejectsWhatItDoesNotKnowWithPosition) {
  struct Case {
    std::string bytes, message;
  } cases[] = {
      {"\x80\x02K\x01.", "pickle byte 0: unexpected opcode byte 0x80"},
      {"(I1\nI2\nt", "pickle ends without STOP"},
      {"I1\nI2\n.", "STOP with 2 items"},
      {"s.", "stack underflow"},
      {"g7\n.", "GET of an unset memo entry"},
      {"Ifoo\n.", "bad INT literal 'foo'"},
      {"cos\nsystem", "not terminated by a newline"},
      {"I1\nX.", "unexpected opcode 'X'"},
      {"I1\n.junk", "bytes after STOP"},
      {"", "pickle ends without STOP"},
  };
  for (const auto& c : cases) {
    try {
      pickle::parse(c.bytes);
      ADD_FAILURE() << "accepted: " << c.bytes;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
    }
  }
}

TEST(Pickle, OpcodeBudgetStopsRunaways) {
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "N0";
  many += "N.";
  EXPECT_THROW(pickle::parse(many, 500), Error);
  EXPECT_NO_THROW(pickle::parse(many));
}
