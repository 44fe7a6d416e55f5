// SPDX-License-Identifier: MIT
// Project surgery (surgery.md §2): checks and repairs of existing .ilp files. Each finding names
// what ilastik 1.4.2 (or 1.3.3post3) would do with the file.
#pragma once

#include <string>
#include <vector>

namespace ilpkit {

enum class FindingLevel { Error, Warning, Info };
const char* to_string(FindingLevel level) noexcept;

/// One lint finding (surgery.md §2.1): code "E016", level from its prefix, the HDF5 path or
/// topic it concerns, a sentence, and what ilastik does with it.
struct Finding {
  std::string code;
  FindingLevel level = FindingLevel::Info;
  std::string where;
  std::string message;
  std::string ilastik;  ///< ilastik's behaviour ("" when the code's table entry has none)
};

/// Which readers the project must work in: "1.4" (ilastik 1.4.x), "1.3.3post3" (steinbock's
/// runtime) or "bilingual" (both).
struct ValidateOptions {
  std::string data_root;  ///< relative data paths are also looked up here ("" = only the project's folder)
  std::string target = "1.4";
};

/// Every lint code of surgery.md §2.1 that applies to the file, in the order of the codes.
/// Reads only; never throws for a bad project (an unreadable file is finding E001), only for
/// bad options (Error(Usage)).
std::vector<Finding> validate_project(const std::string& path, const ValidateOptions& options = {});

/// Whether any finding is error-level.
bool has_errors(const std::vector<Finding>& findings);

}  // namespace ilpkit
