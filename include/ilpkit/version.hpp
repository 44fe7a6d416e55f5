// SPDX-License-Identifier: MIT
// ilpkit's own version (CMake parses kVersionString from this file).
#pragma once

namespace ilpkit {
inline constexpr const char* kVersionString = "0.1.0";
}  // namespace ilpkit
