// SPDX-License-Identifier: MIT
// Resolution of stored data paths the way ilastik 1.4.2 does it (ilp-format.md §3.4,
// surgery.md §2.2): relative to the project folder, internal HDF5 path split at the last
// .ilp/.h5/.hdf5/.npz/.n5, glob expansion, path-separator stacks, Windows paths recognized.
#pragma once

#include <string>

namespace ilpkit::paths {

struct Resolved {
  std::string file;      ///< absolute external file (lexically normalized)
  std::string internal;  ///< internal dataset path ("/data"), "" if none
  bool exists = false;   ///< `file` exists as a regular file
  bool windows = false;  ///< drive letter, UNC prefix or backslashes in the stored text
  bool url = false;
  bool stack = false;    ///< several files (path-separator list or multi-match glob)
  std::string reason;    ///< why it cannot be used, when !exists
};

/// Splits "a/b.h5/inner/ds" into ("a/b.h5", "/inner/ds") as lazyflow's PathComponents does.
std::pair<std::string, std::string> split_internal_path(const std::string& path);

/// True for "C:/..", "C:\\..", "\\\\server\\share".
bool is_windows_absolute(const std::string& path);

Resolved resolve(const std::string& stored, const std::string& project_dir);

}  // namespace ilpkit::paths
