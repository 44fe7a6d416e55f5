// SPDX-License-Identifier: MIT
// Where the shared corpus is (../shared/corpus, or $ILPKIT_CORPUS) and how tests skip without it.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace ilpkit::test {

inline std::filesystem::path corpus_root() {
  if (const char* env = std::getenv("ILPKIT_CORPUS"); env && *env) return env;
  return ILPKIT_CORPUS_DEFAULT;
}

/// The ilastik-made cases (folders with meta.json and project.ilp), sorted.
inline std::vector<std::filesystem::path> ilastik_cases() {
  std::vector<std::filesystem::path> out;
  auto root = corpus_root() / "ilastik";
  if (!std::filesystem::is_directory(root)) return out;
  for (const auto& e : std::filesystem::directory_iterator(root))
    if (std::filesystem::exists(e.path() / "meta.json") && std::filesystem::exists(e.path() / "project.ilp"))
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

/// A writable copy of the corpus project `project` as `dir`/`name`, with the files beside it
/// linked in (its data, for relative paths); returns the copy's path.
inline std::filesystem::path writable_copy(const std::filesystem::path& project, const std::filesystem::path& dir,
                                           const std::string& name = "project.ilp", bool link_siblings = true) {
  namespace fs = std::filesystem;
  fs::copy_file(project, dir / name);
  fs::permissions(dir / name, fs::perms::owner_write, fs::perm_options::add);
  if (link_siblings)
    for (const auto& e : fs::directory_iterator(project.parent_path()))
      if (!fs::exists(dir / e.path().filename())) fs::create_symlink(e.path(), dir / e.path().filename());
  return dir / name;
}

}  // namespace ilpkit::test

#define REQUIRE_CORPUS()                                                                    \
  do {                                                                                      \
    if (!std::filesystem::is_directory(::ilpkit::test::corpus_root())) {                    \
      GTEST_SKIP() << "corpus not found at " << ::ilpkit::test::corpus_root().string()     \
                   << " (set ILPKIT_CORPUS to the folder holding ilastik/ and public/)";   \
    }                                                                                       \
  } while (0)
