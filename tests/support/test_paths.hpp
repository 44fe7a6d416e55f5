// SPDX-License-Identifier: MIT
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

namespace ilpkit::test {

inline std::string testdata(const std::string& name) { return std::string(ILPKIT_TESTDATA) + "/" + name; }

/// A scratch file name unique to this process and test (ctest runs tests in parallel).
inline std::string temp_path(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string test = info ? std::string(info->test_suite_name()) + "." + info->name() : "none";
  return ::testing::TempDir() + "/ilpkit-" + std::to_string(::getpid()) + "-" + test + "-" + name;
}

}  // namespace ilpkit::test
