// SPDX-License-Identifier: MIT
// `ilpkit relink`: point a project's lanes at their data again (surgery.md §2.3).
#include <memory>

#include <fmt/format.h>

#include "commands.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/surgery.hpp"

namespace ilpkit::cli {

namespace {

struct RelinkArgs {
  std::string project;
  std::vector<std::string> maps, lanes;
  RelinkOptions options;
  SaveOptions save;
  bool relative = false, absolute = false;
};

std::pair<std::string, std::string> split_once(const std::string& text, const char* what) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error(ErrorKind::Usage, fmt::format("{} '{}': expected LEFT=RIGHT", what, text));
  return {text.substr(0, eq), text.substr(eq + 1)};
}

}  // namespace

void register_relink(CLI::App& app) {
  auto a = std::make_shared<RelinkArgs>();
  auto* cmd = app.add_subcommand(
      "relink",
      "Point a project's lanes at their data again after the project or the data moved (another machine, mount "
      "point or Windows drive). Each new target is opened and checked (one file, rank, channels, every label block "
      "inside it) before anything is written; paths are written as ilastik writes them. Writes -o OUT, or replaces "
      "the project after copying it to PROJECT.bak.");
  cmd->add_option("project", a->project, "The .ilp project file")->required();
  cmd->add_option("--map", a->maps, "OLD=NEW prefix rule, e.g. 'D:/imaging=/data/imaging' (repeatable; backslashes read as /)");
  cmd->add_option("--search", a->options.search, "Folder to search (recursively) for data files by name (repeatable)");
  cmd->add_option("--lane", a->lanes, "I=PATH: the new data of lane I (0-based), e.g. 0=images/a.h5/data (repeatable)");
  cmd->add_flag("--relative", a->relative, "Write every path relative to the project folder (../ when outside)");
  cmd->add_flag("--absolute", a->absolute, "Write every path absolute");
  cmd->add_flag("--keep-forest", a->options.keep_forest, "Keep the classifier even when the new data has another size");
  cmd->add_flag("--export-template", a->options.export_template, "Apply the --map rules to the stored export path too");
  add_edit_options(cmd, a->save);
  cmd->callback([a] {
    if (a->relative && a->absolute) throw Error(ErrorKind::Usage, "--relative and --absolute exclude each other");
    a->options.style = a->relative   ? RelinkOptions::Style::Relative
                       : a->absolute ? RelinkOptions::Style::Absolute
                                     : RelinkOptions::Style::Auto;
    for (const auto& m : a->maps) a->options.maps.push_back(split_once(m, "--map"));
    for (const auto& l : a->lanes) {
      auto [index, path] = split_once(l, "--lane");
      std::size_t used = 0;
      std::size_t n = 0;
      try {
        n = std::stoul(index, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != index.size()) throw Error(ErrorKind::Usage, fmt::format("--lane '{}': the lane index must be a number", l));
      a->options.lanes.emplace_back(n, path);
    }
    const EditReport r = relink(a->project, a->options, a->save);
    print_edit_report(r);
    if (r.unresolved) completed_exit_code() = kExitFindings;
  });
}

}  // namespace ilpkit::cli
