// SPDX-License-Identifier: MIT
// Label blocks: blockSlice parsing, deciding the axis order a lane's blocks were saved in
// (block axistags attribute, else the version rule checked against the blocks), and
// conversion to the lane's internal order.
#pragma once

#include <string>
#include <vector>

#include "ilpkit/compat/ilastik_version.hpp"
#include "ilpkit/project.hpp"

namespace ilpkit::labels {

/// DatasetInfo::shape_source of a shape inferred from the label blocks.
inline constexpr const char* kInferredShapeSource = "label blocks (lower bound)";

/// Parses "[329:396,288:494,0:1]" (spaces tolerated, integers only, step 1).
void parse_block_slice(const std::string& text, std::vector<std::int64_t>& start,
                       std::vector<std::int64_t>& stop);

/// Block-level axistags attribute keys, collected while parsing ("" where absent).
struct BlockTags {
  std::vector<std::string> keys;  ///< one per block, "" when the block has no attribute
};

/// Decides lane_labels.stored_axes (or sets order_error) for the lane's raw data axes/shape.
/// `pc_group` names the group holding the blocks in messages ("PixelClassification01").
/// When the raw shape is unknown it is inferred as a lower bound from the blocks.
void decide_order(LaneLabels& lane_labels, const BlockTags& tags, Lane& lane,
                  const compat::IlastikVersion& version, const std::string& workflow, const std::string& pc_group,
                  Diagnostics& diagnostics);

/// Why the lane's blocks cannot be stored in `order` given the raw data's axes and shape ("" if
/// they fit: right rank, c slice 0:1, inside the image).
std::string misfit(const std::string& order, const LaneLabels& lane_labels, const DatasetInfo& raw);

/// Sets lane.internal_axes / internal_shape from the raw info's axes and shape.
void compute_internal_geometry(Lane& lane);

}  // namespace ilpkit::labels
