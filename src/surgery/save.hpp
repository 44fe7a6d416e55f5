// SPDX-License-Identifier: MIT
// Writing an edited project safely (surgery.md §2.0), shared by every surgery operation.
#pragma once

#include <string>

#include "ilpkit/surgery.hpp"
#include "ilpkit/tree.hpp"

namespace ilpkit::surgery {

/// Writes `tree` as SaveOptions says and fills report.written / report.backup. The new file is
/// complete before anything is renamed; a failure leaves the original (and any output) as it was.
void save_project(const IlpTree& tree, const std::string& project, const SaveOptions& save, EditReport& report);

}  // namespace ilpkit::surgery
