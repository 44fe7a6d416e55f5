// SPDX-License-Identifier: MIT
// Which axis order a label block (and its blockSlice) was written in, by saving version.
// ilp-format.md §5.2 and surgery.md §1.3: ≤ 1.3.0 legacy, 1.3.1 – 1.3.3post1 internal (PC+OC in
// 1.3.3/1.3.3post1: txyzc), 1.3.3post2 – 1.4.0b7 original, ≥ 1.4.0b8 internal + axistags.
// Before 1.3.3post2 the version names the creating release, so the prediction is only a first
// guess that the reader checks against the blocks.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ilpkit/compat/ilastik_version.hpp"

namespace ilpkit::compat {

struct LaneAxes {
  std::string own;       ///< the data's own axis keys (file order), e.g. "txyzc", "cyx"
  std::string internal;  ///< the workflow-internal order, e.g. "tyxc"
};

/// Orders worth trying for a lane's blocks, most likely first and without duplicates:
/// the order the saving version wrote, then internal, original, legacy and txyzc.
std::vector<std::string> label_order_candidates(const IlastikVersion& version,
                                                std::string_view workflow, const LaneAxes& axes);

/// The order ilastik 1.4.2 assumes for blocks of a file saying `version` (it never reads the
/// block's axistags attribute). Used to report files that 1.4.2 misreads.
std::string label_order_assumed_by_1_4_2(const IlastikVersion& version, std::string_view workflow,
                                         const LaneAxes& axes);

/// Axes to assume for a lane that stores no axis information and whose data is missing:
/// ilastik ≤ 1.3.0 (vigra's old default) gave 5-D data txyzc. "" when nothing can be assumed.
std::string assumed_axes_without_metadata(const IlastikVersion& version, std::size_t rank);

/// own with c appended if absent (vigra insertChannelAxis keeps c where it is).
std::string original_order(std::string_view own);
/// own with c moved to the end or appended, singleton axes kept (what ≤ 1.3.0 wrote).
std::string legacy_order(std::string_view own);

}  // namespace ilpkit::compat
