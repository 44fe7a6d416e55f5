// SPDX-License-Identifier: MIT
// Axis keys ("tzyxc") of ilastik images: vigra AxisTags JSON, default orders, and the
// workflow-internal order Pixel Classification reorders every image into.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ilpkit {

using Shape = std::vector<std::int64_t>;

/// Axis keys from vigra AxisTags JSON ({"axes": [{"key": "y", ...}, ...]}). Only `key` is
/// required (steinbock writes key and typeFlags only). Throws Error(Format).
std::string parse_axistags_json(std::string_view json);

/// vigra-style AxisTags JSON (2-space indentation, as vigra.AxisTags.toJSON() writes it).
std::string axistags_json(std::string_view axes);

/// Checks that `axes` holds distinct keys from "tzyxc"; throws Error(Format) naming the problem.
void check_axes(std::string_view axes);

/// ilastik's default axes for data without axis tags: 2-D yx; 3-D yxc if the last extent is
/// at most 4, else zyx; 4-D zyxc; 5-D tzyxc. Throws Error(Format) for other ranks.
std::string default_axes(const Shape& shape);

/// The internal (pipeline) order of Pixel Classification since ilastik 1.3.1: the first
/// shortest entry of the forced-order list (yxc, xyc, 3-of-tzyx + c, 4-of-tzyx + c) containing
/// every non-singleton axis. 2-D -> yxc, 3-D -> zyxc, 2-D+t -> tyxc, 3-D+t -> tzyxc.
std::string internal_axes(std::string_view axes, const Shape& shape);

/// `shape` (in `axes` order) rearranged into `to` order: axes missing from the source get
/// extent 1; source axes absent from `to` must have extent 1 (throws Error(Format) otherwise).
Shape reorder_shape(std::string_view axes, const Shape& shape, std::string_view to);

/// "zyx" + c if absent.
std::string with_channel(std::string_view axes);

}  // namespace ilpkit
