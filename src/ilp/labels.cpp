// SPDX-License-Identifier: MIT
// Mirrors: ilastik serializerUtils.py (stringToSlicing), pixelClassificationSerializer.py
// (BackwardsCompatibleLabelSerialBlockSlot) and surgery.md §1.3 (candidate check).
#include "labels.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "ilpkit/compat/label_order.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"

namespace ilpkit::labels {

namespace {

constexpr std::int64_t kUnknownExtent = std::numeric_limits<std::int64_t>::max();

std::int64_t parse_int(std::string_view s, const std::string& whole) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  bool neg = !s.empty() && s.front() == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty() || s.size() > 15)
    throw Error(ErrorKind::Format, fmt::format("blockSlice '{}' is not a list of start:stop integers", whole));
  std::int64_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9')
      throw Error(ErrorKind::Format, fmt::format("blockSlice '{}' is not a list of start:stop integers", whole));
    v = v * 10 + (ch - '0');
  }
  return neg ? -v : v;
}

// Image extent of axis `a` for the candidate check; kUnknownExtent when the shape is unknown.
std::int64_t extent_of(char a, const DatasetInfo& raw) {
  auto pos = raw.axes.find(a);
  if (pos == std::string::npos) return 1;
  if (!raw.shape) return kUnknownExtent;
  return (*raw.shape)[pos];
}

}  // namespace

std::string misfit(const std::string& order, const LaneLabels& ll, const DatasetInfo& raw) {
  for (const auto& b : ll.blocks) {
    if (b.start.size() != order.size())
      return fmt::format("{} has {} axes, order '{}' has {}", b.name, b.start.size(), order, order.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
      char a = order[k];
      if (a == 'c' && (b.start[k] != 0 || b.stop[k] != 1))
        return fmt::format("{}: channel slice {}:{} is not 0:1", b.name, b.start[k], b.stop[k]);
      std::int64_t e = extent_of(a, raw);
      if (b.stop[k] > e)
        return fmt::format("{}: {} slice {}:{} exceeds the image extent {}", b.name, a, b.start[k], b.stop[k], e);
    }
  }
  if (raw.shape) {
    for (std::size_t i = 0; i < raw.axes.size(); ++i)
      if ((*raw.shape)[i] > 1 && raw.axes[i] != 'c' && order.find(raw.axes[i]) == std::string::npos)
        return fmt::format("order '{}' lacks axis {} of extent {}", order, raw.axes[i], (*raw.shape)[i]);
  }
  return {};
}


void parse_block_slice(const std::string& text, std::vector<std::int64_t>& start,
                       std::vector<std::int64_t>& stop) {
  start.clear();
  stop.clear();
  std::string_view s(text);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\0')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.remove_suffix(1);
  if (s.size() < 2 || s.front() != '[' || s.back() != ']')
    throw Error(ErrorKind::Format, fmt::format("blockSlice '{}' is not of the form [start:stop,...]", text));
  s = s.substr(1, s.size() - 2);
  while (!s.empty()) {
    auto comma = s.find(',');
    auto part = s.substr(0, comma);
    auto colon = part.find(':');
    if (colon == std::string_view::npos)
      throw Error(ErrorKind::Format, fmt::format("blockSlice '{}': '{}' has no ':'", text, part));
    start.push_back(parse_int(part.substr(0, colon), text));
    stop.push_back(parse_int(part.substr(colon + 1), text));
    if (start.back() < 0 || stop.back() <= start.back())
      throw Error(ErrorKind::Format,
                  fmt::format("blockSlice '{}': slice {}:{} is empty or negative", text, start.back(), stop.back()));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  if (start.empty() || start.size() > 5)
    throw Error(ErrorKind::Format, fmt::format("blockSlice '{}' has {} axes (1 to 5 expected)", text, start.size()));
}

void compute_internal_geometry(Lane& lane) {
  lane.internal_axes.clear();
  lane.internal_shape.reset();
  if (!lane.raw || lane.raw->axes.empty()) return;
  const auto& raw = *lane.raw;
  if (raw.shape) {
    lane.internal_axes = internal_axes(raw.axes, *raw.shape);
    lane.internal_shape = reorder_shape(raw.axes, *raw.shape, lane.internal_axes);
  } else {
    // Unknown extents: treat every axis as non-singleton (the best guess for the order).
    lane.internal_axes = internal_axes(raw.axes, Shape(raw.axes.size(), 2));
  }
}

void decide_order(LaneLabels& ll, const BlockTags& tags, Lane& lane, const compat::IlastikVersion& version,
                  const std::string& workflow, const std::string& pc_group, Diagnostics& d) {
  if (ll.blocks.empty()) return;
  const std::string where = "/" + pc_group + "/LabelSets/" + ll.group_name;
  if (!lane.raw) {
    ll.order_error = "the lane has labels but no Raw Data";
    return;
  }
  DatasetInfo& raw = *lane.raw;
  auto settle = [&](std::string order, std::string basis) {
    ll.stored_axes = std::move(order);
    ll.order_basis = std::move(basis);
    for (auto& b : ll.blocks) b.axes = ll.stored_axes;
  };

  // (1) ilastik ≥ 1.4.0b8 tags every block with the label slot's axistags.
  std::string tagged;
  bool all_tagged = !tags.keys.empty();
  for (const auto& k : tags.keys) {
    if (k.empty()) all_tagged = false;
    else if (tagged.empty()) tagged = k;
    else if (k != tagged) {
      ll.order_error = fmt::format("blocks carry different axistags ('{}' and '{}')", tagged, k);
      return;
    }
  }
  if (all_tagged && !tagged.empty()) {
    if (raw.axes.empty()) {
      settle(tagged, "axistags attribute");
      return;
    }
    auto why = misfit(tagged, ll, raw);
    if (why.empty()) {
      settle(tagged, "axistags attribute");
    } else {
      ll.order_error = fmt::format("blocks are tagged '{}' but do not fit the image: {}", tagged, why);
      return;
    }
  } else {
    if (raw.axes.empty() && !ll.blocks.empty()) {
      raw.axes = compat::assumed_axes_without_metadata(version, ll.blocks.front().start.size());
      if (!raw.axes.empty()) {
        raw.axes_source = "assumed";
        warn(d, where, fmt::format("the lane stores no axes and its data is missing; assumed '{}' as ilastik {} did",
                                   raw.axes, version.text()));
      }
    }
    if (raw.axes.empty()) {
      ll.order_error = "the lane's axes are unknown (no axistags, axisorder, shape or data file)";
      return;
    }
    compute_internal_geometry(lane);
    auto candidates = compat::label_order_candidates(version, workflow, {raw.axes, lane.internal_axes});
    std::vector<std::string> fitting;
    std::string predicted_misfit;
    for (const auto& c : candidates) {
      auto why = misfit(c, ll, raw);
      if (why.empty()) fitting.push_back(c);
      else if (c == candidates.front()) predicted_misfit = why;
    }
    if (!fitting.empty() && fitting.front() == candidates.front()) {
      settle(candidates.front(), "version rule");
    } else if (fitting.size() == 1) {
      settle(fitting.front(), "candidate check");
      warn(d, where,
           fmt::format("blocks are not in the order '{}' that ilastik {} wrote ({}); they fit '{}' only",
                       candidates.front(), version.text(), predicted_misfit, fitting.front()));
    } else if (fitting.empty()) {
      ll.order_error = fmt::format("no axis order fits the label blocks (tried {}; predicted '{}': {})",
                                   fmt::format("{}", fmt::join(candidates, ", ")), candidates.front(),
                                   predicted_misfit);
      return;
    } else {
      ll.order_error = fmt::format("label block order is ambiguous: the blocks fit {} (predicted '{}': {})",
                                   fmt::format("{}", fmt::join(fitting, " and ")), candidates.front(),
                                   predicted_misfit);
      return;
    }
  }

  if (!raw.shape) {
    // No shape stored and no data: the blocks give a lower bound (surgery.md §1.4 step 2).
    Shape inferred(raw.axes.size(), 1);
    for (std::size_t i = 0; i < raw.axes.size(); ++i) {
      auto k = ll.stored_axes.find(raw.axes[i]);
      if (k == std::string::npos || raw.axes[i] == 'c') continue;
      for (const auto& b : ll.blocks) inferred[i] = std::max(inferred[i], b.stop[k]);
    }
    raw.shape = inferred;
    raw.shape_source = kInferredShapeSource;
    warn(d, where, fmt::format("image shape unknown; inferred at least ({}) from the label blocks",
                               fmt::join(inferred, ", ")));
  }
  compute_internal_geometry(lane);
}

}  // namespace ilpkit::labels

namespace ilpkit {

namespace {

// Pastes the blocks, read as stored in `order` ("" = each block's decided axes).
LabelVolume decode_in(const Project& project, std::size_t lane_index, const std::string& order) {
  return with_context(fmt::format("decoding labels of lane {}", lane_index), [&] {
    if (lane_index >= project.lanes.size())
      throw Error(ErrorKind::Usage, fmt::format("the project has {} lanes", project.lanes.size()));
    const Lane& lane = project.lanes[lane_index];
    LabelVolume vol;
    if (lane.internal_axes.empty() || !lane.internal_shape)
      throw Error(ErrorKind::Format, "the lane's image shape is unknown");
    vol.axes = lane.internal_axes;
    vol.shape = *lane.internal_shape;
    auto cpos = vol.axes.find('c');
    vol.shape[cpos] = 1;
    std::uint64_t n = 1;
    for (auto e : vol.shape) {
      if (e <= 0 || static_cast<std::uint64_t>(e) > (std::uint64_t{1} << 33) / n)
        throw Error(ErrorKind::Format, fmt::format("label volume ({}) is too large to decode densely",
                                                   fmt::join(vol.shape, ", ")));
      n *= static_cast<std::uint64_t>(e);
    }
    vol.data.assign(static_cast<std::size_t>(n), 0);
    if (lane_index >= project.labels.size()) return vol;
    const LaneLabels& ll = project.labels[lane_index];
    if (ll.blocks.empty()) return vol;
    if (order.empty() && !ll.order_error.empty()) throw Error(ErrorKind::Format, ll.order_error);

    const std::size_t rank = vol.axes.size();
    std::vector<std::uint64_t> vstride(rank, 1);
    for (std::size_t k = rank - 1; k > 0; --k) vstride[k - 1] = vstride[k] * static_cast<std::uint64_t>(vol.shape[k]);

    for (const auto& b : ll.blocks) {
      if (!order.empty() && order.size() != b.axes.size())
        throw Error(ErrorKind::Format, fmt::format("{}: {} axes cannot be read as '{}'", b.name, b.axes.size(), order));
      const std::string& axes = order.empty() ? b.axes : order;
      // Map each internal axis to the block's axis (or to none: extent 1 at 0).
      std::vector<int> src(rank, -1);
      for (std::size_t k = 0; k < rank; ++k) {
        auto p = axes.find(vol.axes[k]);
        if (p != std::string::npos) src[k] = static_cast<int>(p);
      }
      for (std::size_t j = 0; j < axes.size(); ++j) {
        if (vol.axes.find(axes[j]) == std::string::npos && (b.start[j] != 0 || b.stop[j] != 1))
          throw Error(ErrorKind::Format, fmt::format("{}: axis {} slice {}:{} has no place in the image",
                                                     b.name, axes[j], b.start[j], b.stop[j]));
      }
      std::vector<std::uint64_t> bstride(b.shape.size(), 1);
      for (std::size_t k = b.shape.size(); k-- > 1;) bstride[k - 1] = bstride[k] * static_cast<std::uint64_t>(b.shape[k]);
      std::vector<std::int64_t> lo(rank, 0), ext(rank, 1);
      std::vector<std::uint64_t> step(rank, 0);
      for (std::size_t k = 0; k < rank; ++k) {
        if (src[k] < 0) continue;
        auto j = static_cast<std::size_t>(src[k]);
        lo[k] = b.start[j];
        ext[k] = b.stop[j] - b.start[j];
        step[k] = bstride[j];
        if (vol.axes[k] != 'c' && b.stop[j] > vol.shape[k])
          throw Error(ErrorKind::Format, fmt::format("{}: {} slice {}:{} lies outside the image extent {}",
                                                     b.name, vol.axes[k], b.start[j], b.stop[j], vol.shape[k]));
      }
      // Iterate over the block box in internal order; zeros are transparent.
      std::vector<std::int64_t> idx(rank, 0);
      bool done = false;
      while (!done) {
        std::uint64_t s = 0, t = 0;
        for (std::size_t k = 0; k < rank; ++k) {
          s += static_cast<std::uint64_t>(idx[k]) * step[k];
          if (vol.axes[k] != 'c') t += static_cast<std::uint64_t>(lo[k] + idx[k]) * vstride[k];
        }
        if (std::uint8_t v = b.data[s]) vol.data[t] = v;
        for (std::size_t k = rank;;) {
          if (k == 0) {
            done = true;
            break;
          }
          --k;
          if (++idx[k] < ext[k]) break;
          idx[k] = 0;
        }
      }
    }
    return vol;
  });
}

}  // namespace

LabelVolume decode_labels(const Project& project, std::size_t lane) { return decode_in(project, lane, ""); }

LabelVolume decode_labels_as(const Project& project, std::size_t lane, const std::string& order) {
  if (order.empty()) throw Error(ErrorKind::Usage, "decode_labels_as: no axis order given");
  return decode_in(project, lane, order);
}

}  // namespace ilpkit
