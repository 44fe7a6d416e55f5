// SPDX-License-Identifier: MIT
// `ilpkit validate`: the lint codes of surgery.md §2.1, one line per finding (or JSON). Writes
// nothing; exits 1 when any finding is an error.
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "ilpkit/surgery.hpp"

namespace ilpkit::cli {

namespace {

struct ValidateArgs {
  std::string project;
  ValidateOptions options;
  bool json = false;
};

}  // namespace

void register_validate(CLI::App& app) {
  auto args = std::make_shared<ValidateArgs>();
  auto* cmd = app.add_subcommand(
      "validate",
      "Check a project against what ilastik 1.4.2 (and 1.3.3post3) will do with it: one line per finding "
      "(code, severity, location, message, ilastik's behaviour). Codes E... are errors (exit 1), W... warnings, "
      "I... information. Writes nothing.");
  cmd->add_option("project", args->project, "The .ilp project file")->required();
  cmd->add_option("--data-root", args->options.data_root,
                  "Also look for relative data paths under this folder (e.g. where the data was copied)");
  cmd->add_option("--target", args->options.target,
                  "Reader the project must work in: 1.4 (default), 1.3.3post3 (steinbock) or bilingual (both)")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print the findings as a JSON array");
  cmd->callback([args] {
    const auto findings = validate_project(args->project, args->options);
    if (args->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& f : findings)
        out.push_back({{"code", f.code}, {"severity", to_string(f.level)}, {"where", f.where}, {"message", f.message},
                       {"ilastik", f.ilastik}});
      std::cout << out.dump(2) << '\n';
    } else {
      for (const auto& f : findings)
        std::cout << fmt::format("{} {} {}: {}{}\n", f.code, to_string(f.level), f.where, f.message,
                                 f.ilastik.empty() ? "" : " [ilastik: " + f.ilastik + "]");
      std::size_t errors = 0, warnings = 0;
      for (const auto& f : findings) errors += f.level == FindingLevel::Error, warnings += f.level == FindingLevel::Warning;
      std::cout << fmt::format("{}: {} error(s), {} warning(s), {} note(s)\n", args->project, errors, warnings,
                               findings.size() - errors - warnings);
    }
    if (has_errors(findings)) completed_exit_code() = kExitFindings;
  });
}

}  // namespace ilpkit::cli
