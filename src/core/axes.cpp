// SPDX-License-Identifier: MIT
// Mirrors: ilastik opDataSelection.py (_get_output_axis_order), lazyflow/utility/helpers.py
// (get_default_axisordering), vigra AxisTags.toJSON.
#include "ilpkit/axes.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ilpkit/error.hpp"

namespace ilpkit {

namespace {

constexpr std::string_view kKnownAxes = "tzyxc";

int type_flags(char key) {
  switch (key) {
    case 'c': return 1;
    case 't': return 8;
    default: return 2;
  }
}

bool contains_all(std::string_view order, std::string_view needed) {
  return std::all_of(needed.begin(), needed.end(),
                     [&](char a) { return order.find(a) != std::string_view::npos; });
}

// itertools.permutations("tzyx", k) order.
void permutations(const std::string& pool, std::size_t k, std::string& cur,
                  std::vector<bool>& used, std::vector<std::string>& out) {
  if (cur.size() == k) {
    out.push_back(cur);
    return;
  }
  for (std::size_t i = 0; i < pool.size(); ++i) {
    if (used[i]) continue;
    used[i] = true;
    cur.push_back(pool[i]);
    permutations(pool, k, cur, used, out);
    cur.pop_back();
    used[i] = false;
  }
}

const std::vector<std::string>& forced_orders() {
  static const std::vector<std::string> orders = [] {
    std::vector<std::string> out{"yxc", "xyc"};
    for (std::size_t k : {3u, 4u}) {
      std::vector<std::string> perms;
      std::string cur;
      std::vector<bool> used(4, false);
      permutations("tzyx", k, cur, used, perms);
      for (auto& p : perms) out.push_back(p + "c");
    }
    return out;
  }();
  return orders;
}

}  // namespace

std::string parse_axistags_json(std::string_view json) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json.begin(), json.end());
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Format, fmt::format("axistags is not valid JSON ({})", e.what()));
  }
  if (!doc.is_object() || !doc.contains("axes") || !doc["axes"].is_array())
    throw Error(ErrorKind::Format, "axistags JSON has no \"axes\" list");
  std::string keys;
  for (const auto& axis : doc["axes"]) {
    if (!axis.is_object() || !axis.contains("key") || !axis["key"].is_string())
      throw Error(ErrorKind::Format, "axistags JSON: an axis has no \"key\"");
    auto key = axis["key"].get<std::string>();
    if (key.size() != 1)
      throw Error(ErrorKind::Format, fmt::format("axistags JSON: unsupported axis key '{}'", key));
    keys += key;
  }
  check_axes(keys);
  return keys;
}

std::string axistags_json(std::string_view axes) {
  std::string out = "{\n  \"axes\": [";
  for (std::size_t i = 0; i < axes.size(); ++i) {
    out += fmt::format(
        "{}\n    {{\n      \"key\": \"{}\",\n      \"typeFlags\": {},\n      \"resolution\": 0,\n"
        "      \"description\": \"\"\n    }}",
        i ? "," : "", axes[i], type_flags(axes[i]));
  }
  out += "\n  ]\n}";
  return out;
}

void check_axes(std::string_view axes) {
  if (axes.empty()) throw Error(ErrorKind::Format, "empty axis keys");
  for (std::size_t i = 0; i < axes.size(); ++i) {
    if (kKnownAxes.find(axes[i]) == std::string_view::npos)
      throw Error(ErrorKind::Format,
                  fmt::format("axis keys '{}': unknown axis '{}' (expected t, z, y, x, c)", axes,
                              axes[i]));
    if (axes.find(axes[i]) != i)
      throw Error(ErrorKind::Format, fmt::format("axis keys '{}': axis '{}' appears twice", axes,
                                                 axes[i]));
  }
}

std::string default_axes(const Shape& shape) {
  switch (shape.size()) {
    case 2: return "yx";
    case 3: return shape.back() <= 4 ? "yxc" : "zyx";
    case 4: return "zyxc";
    case 5: return "tzyxc";
    default:
      throw Error(ErrorKind::Format,
                  fmt::format("no default axes for {}-D data (ilastik handles 2-D to 5-D)",
                              shape.size()));
  }
}

std::string internal_axes(std::string_view axes, const Shape& shape) {
  check_axes(axes);
  if (axes.size() != shape.size())
    throw Error(ErrorKind::Format, fmt::format("axis keys '{}' do not fit a {}-D shape", axes,
                                               shape.size()));
  std::string needed;
  for (std::size_t i = 0; i < axes.size(); ++i)
    if (shape[i] != 1 && axes[i] != 'c') needed += axes[i];
  std::string best;
  for (const auto& order : forced_orders()) {
    if (!contains_all(order, needed)) continue;
    if (best.empty() || order.size() < best.size()) best = order;
  }
  return best;  // the 4-D entries contain every axis, so never empty
}

Shape reorder_shape(std::string_view axes, const Shape& shape, std::string_view to) {
  if (axes.size() != shape.size())
    throw Error(ErrorKind::Format, fmt::format("axis keys '{}' do not fit a {}-D shape", axes,
                                               shape.size()));
  Shape out(to.size(), 1);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    auto pos = to.find(axes[i]);
    if (pos == std::string_view::npos) {
      if (shape[i] != 1)
        throw Error(ErrorKind::Format,
                    fmt::format("axis '{}' of extent {} has no place in order '{}'", axes[i],
                                shape[i], to));
      continue;
    }
    out[pos] = shape[i];
  }
  return out;
}

std::string with_channel(std::string_view axes) {
  std::string out(axes);
  if (out.find('c') == std::string::npos) out += 'c';
  return out;
}

}  // namespace ilpkit
