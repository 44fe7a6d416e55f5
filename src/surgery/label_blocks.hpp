// SPDX-License-Identifier: MIT
// Label blocks written the way ilastik stores them (internal to the surgery module).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ilpkit/axes.hpp"
#include "ilpkit/tree.hpp"

namespace ilpkit::surgery {

/// Replaces `pc_group`/LabelSets/`group` by blocks of the dense labels `dense` (C order
/// over `axes`/`shape`, the lane's internal order with c = 1): bounding boxes of the labelled
/// pixels per 64x64 (2-D) or 32x32x32 (3-D) tile, each stored in axis order `order` with its
/// blockSlice, and tagged with `order` as axistags when `tagged` (ilastik >= 1.4.0b8).
/// Returns (blocks, labelled pixels).
std::pair<std::size_t, std::size_t> write_label_blocks(IlpTree& tree, const std::string& group,
                                                       const std::vector<std::uint8_t>& dense, const std::string& axes,
                                                       const Shape& shape, const std::string& order, bool tagged,
                                                       const std::string& pc_group = "PixelClassification");

}  // namespace ilpkit::surgery
