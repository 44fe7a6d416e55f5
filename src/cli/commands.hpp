// SPDX-License-Identifier: MIT
// Each subcommand registers itself on the CLI11 app; main.cpp only wires them.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ilpkit::cli {

void register_inspect(CLI::App& app);
void register_run(CLI::App& app);
void register_train(CLI::App& app);
void register_validate(CLI::App& app);
void register_set_features(CLI::App& app);
void register_relink(CLI::App& app);
void register_embed(CLI::App& app);
void register_compact(CLI::App& app);
void register_labels(CLI::App& app);
void register_migrate(CLI::App& app);
void register_steinbock_fix(CLI::App& app);

/// One line for arguments CLI11 did not expect, with the nearest flag name as a suggestion.
std::string describe_unknown_arguments(const CLI::App& app, const std::string& subcommand,
                                       const std::vector<std::string>& unknown);

/// Exit codes (documented in README.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitFindings = 1,  ///< validate: error-level findings; relink: lanes still without data
  kExitUsage = 2,
  kExitUnsupported = 3,
  kExitIo = 4,
  kExitFormat = 5,
  kExitInternal = 70,
  kExitInterrupted = 130,  ///< 128 + SIGINT, as shells report it
};

}  // namespace ilpkit::cli

namespace ilpkit {
struct EditReport;
struct SaveOptions;
}

namespace ilpkit::cli {

/// A surgery command's notes and what it wrote, one "ilpkit: ..." line each.
void print_edit_report(const EditReport& report);

/// The -o/--output and --no-backup options of every command that edits a project, into `save`
/// (which must outlive the command's parsing).
void add_edit_options(CLI::App* cmd, SaveOptions& save);

/// The exit code a subcommand asks for when it completes without an exception (validate's
/// findings); kExitOk unless set.
int& completed_exit_code();

}  // namespace ilpkit::cli
