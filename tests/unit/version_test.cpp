// SPDX-License-Identifier: MIT
// Every version string form found in ../shared/corpus, ordered as PEP 440 orders them.
#include <gtest/gtest.h>

#include "ilpkit/compat/ilastik_version.hpp"
#include "ilpkit/error.hpp"

using ilpkit::compat::IlastikVersion;
using ilpkit::compat::version;

TEST(IlastikVersion, ParsesEveryCorpusForm) {
  for (const char* s : {"0.5", "0.6", "1.1.8", "1.1.9", "1.2.0", "1.2.0rc7", "1.2.0rc10", "1.2.2rc4", "1.2.2post1",
                        "1.3.0", "1.3.0b4", "1.3.2", "1.3.2post1", "1.3.3post2", "1.3.3post3", "1.4.0", "1.4.0b0",
                        "1.4.0b11", "1.4.0b17", "1.4.0b21", "1.4.0b28.dev14+gb5bb2750d",
                        "1.4.0b30.dev12+gbbb56faef.d20220619", "1.4.0.post1", "1.4.1b15", "1.4.1b16.dev34+g60b582f5c",
                        "1.4.1b22", "1.4.1rc2", "1.4.1rc4.dev0+gb096d52a8.d20250616", "1.4.2"}) {
    EXPECT_NO_THROW(IlastikVersion::parse(s)) << s;
  }
}

TEST(IlastikVersion, Components) {
  auto v = version("1.4.0b30.dev12+gbbb56faef.d20220619");
  EXPECT_EQ(v.major(), 1);
  EXPECT_EQ(v.minor(), 4);
  ASSERT_TRUE(v.pre());
  EXPECT_EQ(v.pre()->first, IlastikVersion::Pre::Beta);
  EXPECT_EQ(v.pre()->second, 30);
  EXPECT_EQ(v.dev(), 12);
  EXPECT_EQ(v.local(), "gbbb56faef.d20220619");
  EXPECT_EQ(version("1.3.3post3").post(), 3);
  EXPECT_EQ(version("1.3.3post3").normalized(), "1.3.3.post3");
}

TEST(IlastikVersion, Pep440Ordering) {
  // Each string sorts strictly before the next.
  const char* ordered[] = {"0.5", "0.6", "1.0", "1.2.0rc7", "1.2.0rc10", "1.2.0", "1.2.2rc4", "1.2.2", "1.2.2post1",
                           "1.3.0b4", "1.3.0", "1.3.1", "1.3.3", "1.3.3post1", "1.3.3post2", "1.3.3post3",
                           "1.4.0b7.dev3", "1.4.0b7", "1.4.0b8", "1.4.0b30.dev12+gbbb", "1.4.0b30",
                           "1.4.0rc1", "1.4.0", "1.4.0.post1", "1.4.1.dev0", "1.4.1a1", "1.4.1"};
  for (std::size_t i = 0; i + 1 < std::size(ordered); ++i)
    EXPECT_LT(version(ordered[i]), version(ordered[i + 1])) << ordered[i] << " < " << ordered[i + 1];
  EXPECT_EQ(version("1.4"), version("1.4.0"));
  EXPECT_LT(version("1.4.0"), version("1.4.0+local"));
}

TEST(IlastikVersion, FloatVersionsOfOldFiles) {
  EXPECT_EQ(IlastikVersion::from_float(0.6).text(), "0.6");
  EXPECT_EQ(IlastikVersion::from_float(0.5).text(), "0.5");
}

TEST(IlastikVersion, RejectsGarbageWithTheText) {
  for (const char* s : {"", "abc", "1.4.x", "1.2.3 beta", "1..2", "+local"}) {
    try {
      IlastikVersion::parse(s);
      ADD_FAILURE() << "accepted '" << s << "'";
    } catch (const ilpkit::Error& e) {
      EXPECT_EQ(e.kind(), ilpkit::ErrorKind::Format);
      EXPECT_NE(std::string(e.what()).find("cannot parse ilastik version"), std::string::npos) << e.what();
    }
  }
}

TEST(IlastikVersion, OpenableByCurrentIlastik) {
  EXPECT_TRUE(is_openable_by_current_ilastik(version("0.6")));
  EXPECT_TRUE(is_openable_by_current_ilastik(version("1.4.2")));
  EXPECT_FALSE(is_openable_by_current_ilastik(version("0.5")));
  EXPECT_FALSE(is_openable_by_current_ilastik(version("2.0")));
}
