// SPDX-License-Identifier: MIT
// Copies of the generated minimal project (testdata/minimal_14.ilp and its tiny_raw.h5) for the
// surgery tests, changed through the tree API.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "ilpkit/ilp.hpp"
#include "test_paths.hpp"

namespace ilpkit::test {

struct MinimalCopy {
  std::string project_subdir;       ///< where project.ilp goes inside the fresh folder ("" = top)
  std::string data_subdir = ".";    ///< where tiny_raw.h5 goes ("" = not copied)
  std::function<void(IlpTree&)> edit;  ///< changes to the project before it is written
};

/// A fresh folder named after the test and `name` holding the copy; returns the project's path.
inline std::string minimal_project_copy(const std::string& name, const MinimalCopy& how = {}) {
  namespace fs = std::filesystem;
  const fs::path dir = temp_path(name);
  fs::remove_all(dir);
  const fs::path project_dir = dir / how.project_subdir;
  fs::create_directories(project_dir);
  if (!how.data_subdir.empty()) {
    fs::create_directories(dir / how.data_subdir);
    fs::copy_file(testdata("tiny_raw.h5"), dir / how.data_subdir / "tiny_raw.h5");
  }
  Diagnostics d;
  IlpTree tree = load_tree(testdata("minimal_14.ilp"), ReadOptions{}, d);
  if (how.edit) how.edit(tree);
  const std::string out = (project_dir / "project.ilp").string();
  write_tree(tree, out);
  return out;
}

}  // namespace ilpkit::test
