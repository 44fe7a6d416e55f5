// SPDX-License-Identifier: MIT
// "unknown flag --export_sorce (did you mean --export_source?)": the nearest option name of the
// subcommand by edit distance, with _ and - treated alike as ilastik's spellings are.
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"

namespace ilpkit::cli {

namespace {

std::string normalized(std::string s) {
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string describe_unknown_arguments(const CLI::App& app, const std::string& subcommand,
                                       const std::vector<std::string>& unknown) {
  const CLI::App* sub = nullptr;
  for (const CLI::App* s : app.get_subcommands([](const CLI::App*) { return true; }))
    if (s->get_name() == subcommand) sub = s;
  std::vector<std::string> parts;
  for (const auto& arg : unknown) {
    const std::string flag = arg.substr(0, arg.find('='));
    if (flag.size() < 2 || flag[0] != '-') {
      parts.push_back(fmt::format("unexpected argument '{}'", arg));
      continue;
    }
    std::string best;
    std::size_t best_distance = 4;  // further than 3 edits is no suggestion
    if (sub)
      for (const CLI::Option* o : sub->get_options())
        for (const auto& name : o->get_lnames()) {
          const std::size_t d = edit_distance(normalized(flag.substr(flag.find_first_not_of('-'))), normalized(name));
          if (d < best_distance) best_distance = d, best = "--" + name;
        }
    parts.push_back(best.empty() ? fmt::format("unknown flag '{}'", flag)
                                 : fmt::format("unknown flag '{}' (did you mean {}?)", flag, best));
  }
  return fmt::format("{}; see ilpkit {} --help", fmt::join(parts, "; "), subcommand.empty() ? "" : subcommand);
}

}  // namespace ilpkit::cli
