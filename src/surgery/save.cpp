// SPDX-License-Identifier: MIT
#include "save.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"

namespace ilpkit::surgery {

namespace fs = std::filesystem;

Opened open_for_edit(const std::string& path) {
  Opened o{read_project(path), {}};
  Diagnostics ignored;  // the model's reading already noted everything worth saying
  o.tree = load_tree(path, ReadOptions{}, ignored);
  return o;
}

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

std::vector<std::uint64_t> chunk_about(const std::vector<std::uint64_t>& shape, std::size_t element_bytes,
                                       std::uint64_t target_bytes, const std::string& axes) {
  std::vector<std::uint64_t> c = shape;
  for (std::size_t i = 0; i < c.size(); ++i)
    if (i < axes.size() && (axes[i] == 't' || axes[i] == 'c')) c[i] = 1;
  for (auto& x : c) x = std::max<std::uint64_t>(x, 1);
  auto volume = [&] {
    std::uint64_t v = element_bytes;
    for (auto x : c) v *= x;
    return v;
  };
  while (volume() > target_bytes) {
    auto big = std::max_element(c.begin(), c.end());
    if (*big <= 1) break;
    *big = (*big + 1) / 2;
  }
  return c;
}

}  // namespace ilpkit::surgery
