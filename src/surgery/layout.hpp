// SPDX-License-Identifier: MIT
// The >= 1.4.0b8 layout's completions and the invariants checked after a rewrite, shared by
// `migrate` and `steinbock-fix` (internal to the surgery module).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ilpkit/compat/ilastik_version.hpp"
#include "ilpkit/project.hpp"
#include "ilpkit/tree.hpp"

namespace ilpkit::surgery {

/// Adds `name` = `value` to `group` when absent; true if added.
bool add_missing(Node& group, const char* name, Value value);

/// Sets the string dataset `name` to `text`, keeping the flavour it was stored in (surgery.md
/// §2.0; `form` for a new one); true if it changed.
bool set_text(Node& group, const char* name, const std::string& text, StringForm form = StringForm::VarAscii);

/// Everything but the label blocks and the version that ilastik 1.4.2 needs and older versions
/// did not write (surgery.md §1.4): Role Names, completed dataset infos, a readable factory,
/// known_labels and pickled_type, an empty feature selection rebuilt from the forest's channel
/// names, empty bookmarks, StorageVersions. Adds only what is missing. One note per change.
/// `p` is the project read as `scope.stage`.
struct LayoutScope {
  int stage = 0;              ///< the Pixel Classification stage's groups (Autocontext's second: 1)
  bool dataset_infos = true;  ///< false: the lanes' Raw Data infos are left to the caller (which rewrites them)
};
void complete_layout(IlpTree& tree, const Project& p, std::vector<std::string>& notes, const LayoutScope& scope = {});

/// The layout an edit brings label blocks to (surgery.md §1.3): the data's original order without
/// axistags under version 1.3.3post3 (bilingual: read alike by 1.3.3post3 and 1.4.x), or the
/// internal order with axistags under 1.4.2.
struct BlockLayout {
  bool bilingual = false;

  const char* version() const { return bilingual ? "1.3.3post3" : "1.4.2"; }
  /// Whether a file saying `v` is read by this layout's rule.
  bool version_fits(const compat::IlastikVersion& v) const;
  /// Whether `ll` is stored so already, in `order`, in a file saying `v`.
  bool blocks_fit(const LaneLabels& ll, const std::string& order, const compat::IlastikVersion& v) const;
  /// Replaces `pc_group`/LabelSets/<ll's group> by blocks of `dense` (C order over `axes`/`shape`)
  /// in `order`; returns the note saying so.
  std::string rewrite(IlpTree& tree, const LaneLabels& ll, const std::vector<std::uint8_t>& dense, const std::string& axes,
                      const Shape& shape, const std::string& order, const std::string& pc_group = "PixelClassification") const;
};

/// Whether `notes` say of any change (warnings alone are not).
bool has_edits(const std::vector<std::string>& notes);

/// Reads a written project back and checks the invariants (surgery.md §1.4, §2.9): each lane's
/// labels equal `truth` (lanes with an empty truth are skipped) as ilpkit reads them and as
/// ilastik 1.4.2 (and, when `bilingual`, 1.3.3post3) places the blocks; the forests equal
/// `forests`. Throws Error(Internal) naming the first difference. `stage` as in ReadOptions.
void verify_written(const std::string& path, const std::vector<std::vector<std::uint8_t>>& truth,
                    const std::optional<Classifier>& forests, bool bilingual, std::optional<int> stage = std::nullopt);

}  // namespace ilpkit::surgery
