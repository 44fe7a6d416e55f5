// SPDX-License-Identifier: MIT
// What every command that edits a project shares: where the result goes, and what it reports.
#include <iostream>

#include "commands.hpp"
#include "ilpkit/surgery.hpp"

namespace ilpkit::cli {

void add_edit_options(CLI::App* cmd, SaveOptions& save) {
  cmd->add_option("-o,--output", save.output, "Write the result here instead of replacing the project");
  cmd->add_flag_callback("--no-backup", [&save] { save.backup = false; }, "When replacing the project, do not keep PROJECT.bak");
}

void print_edit_report(const EditReport& r) {
  for (const auto& n : r.notes) std::cout << "ilpkit: " << n << '\n';
  if (r.changed) std::cout << "ilpkit: wrote " << r.written << (r.backup.empty() ? "" : " (backup: " + r.backup + ")") << '\n';
}

}  // namespace ilpkit::cli
