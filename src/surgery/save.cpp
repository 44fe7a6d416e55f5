// SPDX-License-Identifier: MIT
#include "save.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

void check_save(const std::string& project, const SaveOptions& save) {
  std::error_code ec;
  if (!save.output.empty()) {
    if (fs::equivalent(save.output, project, ec))
      throw Error(ErrorKind::Usage, fmt::format("-o {} is the project itself; leave -o out to edit it in place", save.output));
    return;
  }
  // Another program (ilastik's GUI) holding the project open for writing would be corrupted by a
  // replacement under it (ilastik #3098, #2274). HDF5 writers hold an exclusive flock() on the
  // file; asking for a shared one tells without opening it through HDF5, which would rewrite its
  // superblock flags on close.
  const int fd = ::open(project.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorKind::Io, fmt::format("cannot open {}: {}", project, std::strerror(errno)));
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // also releases the shared lock
  if (held)
    throw Error(ErrorKind::Io, fmt::format("E_IN_USE: {} is open for writing in another program (it holds the file's "
                                           "lock); close it in ilastik or the other program first, or write a copy with -o",
                                           project));
}

namespace {

// Temporary files of an earlier edit of `target` whose process is gone (killed during the write):
// ".NAME.ilpkit-PID.new" and write_tree's "..NAME.ilpkit-PID.new.tmp-PID-N" beside it.
void remove_abandoned_staging(const fs::path& target) {
  const std::string stem = "." + target.filename().string() + ".ilpkit-";
  std::error_code ec;
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.rfind("." + stem, 0) == 0) name.erase(0, 1);
    if (name.rfind(stem, 0) != 0) continue;
    const std::string rest = name.substr(stem.size());
    const auto dot = rest.find(".new");
    if (dot == 0 || dot == std::string::npos || dot > 9 || rest.find_first_not_of("0123456789") != dot) continue;
    const long pid = std::stol(rest.substr(0, dot));
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
}

}  // namespace

std::string staging_path(const std::string& project, const SaveOptions& save) {
  const fs::path target(save.output.empty() ? project : save.output);
  remove_abandoned_staging(target);
  return (target.parent_path() / fmt::format(".{}.ilpkit-{}.new", target.filename().string(), ::getpid())).string();
}

void install_project(const std::string& staged, const std::string& project, const SaveOptions& save, EditReport& report) {
  std::error_code ec;
  auto fail = [&](const std::string& message) {
    fs::remove(staged, ec);
    throw Error(ErrorKind::Io, message);
  };
  const std::string target = save.output.empty() ? project : save.output;
  if (save.output.empty() && save.backup) {
    // The backup is complete before the project is replaced, and replaced only by a complete file.
    const std::string bak = project + ".bak";
    const std::string partial = bak + ".partial";
    fs::copy_file(project, partial, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::rename(partial, bak, ec);
    if (ec) {
      const std::string why = ec.message();
      fs::remove(partial, ec);
      fail(fmt::format("cannot back up {} as {}: {}", project, bak, why));
    }
    report.backup = bak;
  }
  fs::rename(staged, target, ec);
  if (ec) fail(fmt::format("cannot rename the new {} into place: {}", target, ec.message()));
  report.written = target;
}

void save_project(const IlpTree& tree, const std::string& project, const SaveOptions& save, EditReport& report,
                  const std::function<void(const std::string& staged)>& verify) {
  check_save(project, save);
  const std::string staged = staging_path(project, save);
  write_tree(tree, staged);  // complete or nothing (its own temporary file)
  if (verify) {
    try {
      verify(staged);
    } catch (...) {
      std::error_code ec;
      fs::remove(staged, ec);
      throw;
    }
  }
  install_project(staged, project, save, report);
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

namespace {

bool is_empty_list_pickle(std::string b) {
  while (!b.empty() && b.back() == '\0') b.pop_back();
  return b == "(lp0\n." || b == "(lp1\n." || b == "]." || b == std::string("\x80\x03]q\x00.", 6);
}

}  // namespace

bool normalize_empty_bookmarks(IlpTree& tree, std::vector<std::string>& notes) {
  static const std::string kEmpty = "(lp0\n.";  // protocol-0 pickle of [] as numpy.void, with version 1
  Node* bm = tree.root->find("PixelClassification/Bookmarks");
  if (!bm) return false;
  bool changed = false;
  for (Node* b : bm->children()) {
    if (!b->is_dataset()) continue;
    const Value v = b->value();
    const std::string bytes = v.type() == ValueType::Opaque                     ? v.opaque_bytes()
                              : v.type() == ValueType::String && v.size() == 1 ? v.text()
                                                                               : std::string();
    if (!is_empty_list_pickle(bytes)) {
      notes.push_back(fmt::format("warning: /PixelClassification/Bookmarks/{} holds more than an empty list; left as it "
                                  "is (ilastik unpickles it on load)",
                                  b->name()));
      continue;
    }
    if (v.type() == ValueType::Opaque && bytes == kEmpty && b->attribute("version")) continue;
    b->set_value(Value::opaque(kEmpty));
    b->set_attribute("version", Value::scalar<std::int64_t>(1));
    notes.push_back(fmt::format("normalized the empty bookmark list {}", b->name()));
    changed = true;
  }
  return changed;
}

bool same_forests(const std::optional<Classifier>& a, const std::optional<Classifier>& b) {
  if (!a || !b) return !a && !b;
  if (a->forests.size() != b->forests.size()) return false;
  for (std::size_t f = 0; f < a->forests.size(); ++f) {
    const auto& x = a->forests[f];
    const auto& y = b->forests[f];
    if (x.trees.size() != y.trees.size()) return false;
    for (std::size_t t = 0; t < x.trees.size(); ++t)
      if (x.trees[t].topology != y.trees[t].topology || x.trees[t].parameters != y.trees[t].parameters) return false;
  }
  return a->known_labels == b->known_labels;
}


}  // namespace ilpkit::surgery
