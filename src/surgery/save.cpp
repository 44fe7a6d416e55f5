// SPDX-License-Identifier: MIT
#include "save.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"

namespace ilpkit::surgery {

namespace fs = std::filesystem;

void save_project(const IlpTree& tree, const std::string& project, const SaveOptions& save, EditReport& report) {
  std::error_code ec;
  if (!save.output.empty()) {
    if (fs::equivalent(save.output, project, ec))
      throw Error(ErrorKind::Usage, fmt::format("-o {} is the project itself; leave -o out to edit it in place", save.output));
    write_tree(tree, save.output);  // temporary file + rename
    report.written = save.output;
    return;
  }
  if (save.backup) {
    // The backup is complete before the project is replaced, and replaced only by a complete file.
    const std::string bak = project + ".bak";
    const std::string partial = bak + ".partial";
    fs::copy_file(project, partial, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::rename(partial, bak, ec);
    if (ec) {
      fs::remove(partial, ec);
      throw Error(ErrorKind::Io, fmt::format("cannot back up {} as {}: {}", project, bak, ec.message()));
    }
    report.backup = bak;
  }
  write_tree(tree, project);
  report.written = project;
}

}  // namespace ilpkit::surgery
