// SPDX-License-Identifier: MIT
// Writing an edited project safely (surgery.md §2.0), shared by every surgery operation.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ilpkit/project.hpp"
#include "ilpkit/surgery.hpp"
#include "ilpkit/tree.hpp"

namespace ilpkit::surgery {

/// A project opened for an edit: the checked model to decide with, and the raw tree (not
/// migrated, so the rest of the file stays as it was) to change.
struct Opened {
  Project project;
  IlpTree tree;
};
Opened open_for_edit(const std::string& path);

/// Fails early when the edit cannot be saved: -o naming the project itself (Usage), or, in place,
/// a project another program holds open for writing (E_IN_USE).
void check_save(const std::string& project, const SaveOptions& save);

/// Where the new file is written before it replaces its target (the target's folder, so the
/// final rename is atomic).
std::string staging_path(const std::string& project, const SaveOptions& save);

/// Puts a complete staged file in place: in place after the backup (PROJECT.bak), else as the
/// output; fills report.written / report.backup. On failure the staged file is removed and the
/// original (and any output) stays as it was.
void install_project(const std::string& staged, const std::string& project, const SaveOptions& save, EditReport& report);

/// check_save, write `tree` to the staging path, `verify` it (when given; it throws to abandon
/// the edit), install_project.
void save_project(const IlpTree& tree, const std::string& project, const SaveOptions& save, EditReport& report,
                  const std::function<void(const std::string& staged)>& verify = {});

/// A chunk shape of about `target_bytes`: axes named t or c in `axes` get 1, then the largest
/// extent is halved until the chunk fits.
std::vector<std::uint64_t> chunk_about(const std::vector<std::uint64_t>& shape, std::size_t element_bytes,
                                       std::uint64_t target_bytes, const std::string& axes = "");

/// Writes every empty bookmark list (ilastik's older forms included) the way ilastik 1.3+ does;
/// other bookmarks are left and warned about in `notes`. True if anything changed.
bool normalize_empty_bookmarks(IlpTree& tree, std::vector<std::string>& notes);

/// Whether two classifiers hold the same forests, tree for tree and value for value.
bool same_forests(const std::optional<Classifier>& a, const std::optional<Classifier>& b);

}  // namespace ilpkit::surgery
