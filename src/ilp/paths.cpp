// SPDX-License-Identifier: MIT
// Mirrors: lazyflow/utility/pathHelpers.py (PathComponents, splitPath), ilastik
// opDataSelection.py (DatasetInfo.expand_path, FilesystemDatasetInfo.base_dir).
#include "paths.hpp"

#include <glob.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <vector>

namespace ilpkit::paths {

namespace fs = std::filesystem;

namespace {

constexpr const char* kContainerExtensions[] = {".ilp", ".h5", ".hdf5", ".npz", ".n5"};

bool is_drive_letter_at(const std::string& s, std::size_t i) {
  return i + 1 < s.size() && std::isalpha(static_cast<unsigned char>(s[i])) &&
         s[i + 1] == ':' && (i + 2 == s.size() || s[i + 2] == '/' || s[i + 2] == '\\');
}

// os.pathsep (':') splitting that keeps URLs ("http://"), ports and drive letters together.
std::vector<std::string> split_path_list(const std::string& s) {
  std::vector<std::string> parts;
  std::string cur;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == ':') {
      bool url = i + 2 < s.size() && s[i + 1] == '/' && s[i + 2] == '/';
      bool drive = cur.size() == 1 && std::isalpha(static_cast<unsigned char>(cur[0])) &&
                   (i + 1 == s.size() || s[i + 1] == '/' || s[i + 1] == '\\');
      bool port = i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])) &&
                  cur.find("://") != std::string::npos;
      if (!url && !drive && !port) {
        parts.push_back(cur);
        cur.clear();
        continue;
      }
    }
    cur += ch;
  }
  parts.push_back(cur);
  return parts;
}

bool has_glob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

}  // namespace

std::pair<std::string, std::string> split_internal_path(const std::string& path) {
  // PathComponents: the largest find() index over the extensions (find = first occurrence).
  std::size_t best = std::string::npos, best_len = 0;
  for (const char* ext : kContainerExtensions) {
    auto pos = path.find(ext);
    if (pos == std::string::npos) continue;
    if (best == std::string::npos || pos > best) {
      best = pos;
      best_len = std::char_traits<char>::length(ext);
    }
  }
  if (best == std::string::npos) return {path, ""};
  std::size_t cut = best + best_len;
  std::string internal = path.substr(cut);
  if (!internal.empty() && internal[0] != '/') return {path, ""};  // ".h5x": not a container
  return {path.substr(0, cut), internal};
}

bool is_windows_absolute(const std::string& path) {
  return is_drive_letter_at(path, 0) || path.rfind("\\\\", 0) == 0 || path.rfind("//", 0) == 0;
}

Resolved resolve(const std::string& stored, const std::string& project_dir) {
  Resolved r;
  r.windows = is_windows_absolute(stored) || stored.find('\\') != std::string::npos;
  if (stored.find("://") != std::string::npos) {
    r.url = true;
    r.file = stored;
    r.reason = "URL data sources are not read by ilpkit";
    return r;
  }
  std::string s = stored;
  std::replace(s.begin(), s.end(), '\\', '/');
  auto parts = split_path_list(s);
  if (parts.size() > 1) {
    r.stack = true;
    r.file = s;
    r.reason = "several files joined by ':' (an image stack); ilastik 1.4.2 cannot reopen external stacks";
    return r;
  }
  auto [external, internal] = split_internal_path(s);
  r.internal = internal;
  if (is_drive_letter_at(external, 0) || external.rfind("//", 0) == 0) {
    r.file = external;
    r.reason = "Windows path; it cannot be resolved on this system (use relink)";
    return r;
  }
  fs::path p(external);
  if (p.is_relative()) p = fs::path(project_dir) / p;
  std::string joined = p.lexically_normal().string();
  if (has_glob(joined)) {
    glob_t g{};
    int rc = ::glob(joined.c_str(), 0, nullptr, &g);
    std::vector<std::string> matches;
    if (rc == 0)
      for (std::size_t i = 0; i < g.gl_pathc; ++i) matches.emplace_back(g.gl_pathv[i]);
    globfree(&g);
    if (matches.size() > 1) {
      r.stack = true;
      r.file = joined;
      r.reason = "glob matches " + std::to_string(matches.size()) + " files (an image stack)";
      return r;
    }
    if (matches.size() == 1) joined = matches.front();
  }
  r.file = joined;
  std::error_code ec;
  r.exists = fs::is_regular_file(joined, ec);
  if (!r.exists) r.reason = fs::exists(joined, ec) ? "not a regular file" : "file not found";
  return r;
}

}  // namespace ilpkit::paths
