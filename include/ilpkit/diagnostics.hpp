// SPDX-License-Identifier: MIT
// Findings collected while reading or migrating a project. The library never prints them;
// the CLI decides how to show them.
#pragma once

#include <string>
#include <vector>

namespace ilpkit {

enum class Severity { Info, Warning };

struct Diagnostic {
  Severity severity = Severity::Info;
  std::string where;    ///< HDF5 path or topic, e.g. "/Input Data/infos/lane0000"
  std::string message;  ///< one sentence
};

using Diagnostics = std::vector<Diagnostic>;

inline void note(Diagnostics& d, std::string where, std::string message) {
  d.push_back({Severity::Info, std::move(where), std::move(message)});
}
inline void warn(Diagnostics& d, std::string where, std::string message) {
  d.push_back({Severity::Warning, std::move(where), std::move(message)});
}

}  // namespace ilpkit
