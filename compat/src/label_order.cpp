// SPDX-License-Identifier: MIT
// Mirrors: ilastik pixelClassificationSerializer.py BackwardsCompatibleLabelSerialBlockSlot
// (get_saved_data_axiskeys) for what 1.4.2 assumes, and surgery.md §1.3 for what was written.
#include "ilpkit/compat/label_order.hpp"

#include <algorithm>

namespace ilpkit::compat {

namespace {

constexpr std::string_view kCombinedWorkflow = "Object Classification (from pixel classification)";

bool is_combined_pc_oc(std::string_view workflow) { return workflow == kCombinedWorkflow; }

void add_unique(std::vector<std::string>& out, std::string order) {
  if (!order.empty() && std::find(out.begin(), out.end(), order) == out.end())
    out.push_back(std::move(order));
}

}  // namespace

std::string original_order(std::string_view own) {
  std::string out(own);
  if (out.find('c') == std::string::npos) out += 'c';
  return out;
}

std::string legacy_order(std::string_view own) {
  std::string out;
  for (char a : own)
    if (a != 'c') out += a;
  return out + 'c';
}

std::vector<std::string> label_order_candidates(const IlastikVersion& v, std::string_view workflow,
                                                const LaneAxes& axes) {
  static const auto v131 = version("1.3.1");
  static const auto v133 = version("1.3.3");
  static const auto v133post2 = version("1.3.3post2");
  static const auto v140b7 = version("1.4.0b7");
  std::string written;
  if (v < v131) written = legacy_order(axes.own);
  else if (v < v133post2)
    written = (v >= v133 && is_combined_pc_oc(workflow)) ? "txyzc" : axes.internal;
  else if (v <= v140b7) written = original_order(axes.own);
  else written = axes.internal;

  std::vector<std::string> out;
  add_unique(out, written);
  add_unique(out, axes.internal);
  add_unique(out, original_order(axes.own));
  add_unique(out, legacy_order(axes.own));
  add_unique(out, "txyzc");
  return out;
}

std::string assumed_axes_without_metadata(const IlastikVersion& v, std::size_t rank) {
  static const auto v131 = version("1.3.1");
  if (rank == 5 && v < v131) return "txyzc";
  return {};
}

std::string label_order_assumed_by_1_4_2(const IlastikVersion& v, std::string_view workflow,
                                         const LaneAxes& axes) {
  static const auto v133 = version("1.3.3");
  static const auto v133post2 = version("1.3.3post2");
  static const auto v140b7 = version("1.4.0b7");
  if (v >= v133 && v < v133post2 && is_combined_pc_oc(workflow)) return "txyzc";
  if (v >= v133post2 && v <= v140b7) return original_order(axes.own);
  return axes.internal;
}

}  // namespace ilpkit::compat
