// SPDX-License-Identifier: MIT
#pragma once

#include <cstdlib>
#include <string>

namespace ilpkit::test {

inline std::string testdata(const std::string& name) { return std::string(ILPKIT_TESTDATA) + "/" + name; }

}  // namespace ilpkit::test
