// SPDX-License-Identifier: MIT
#include "label_blocks.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "names.hpp"

namespace ilpkit::surgery {

std::pair<std::size_t, std::size_t> write_label_blocks(IlpTree& tree, const std::string& group,
                                                       const std::vector<std::uint8_t>& dense, const std::string& axes,
                                                       const Shape& shape, const std::string& order, bool tagged,
                                                       const std::string& pc_group) {
  auto at = [&](char a) { return axes.find(a); };
  auto extent = [&](char a) { return at(a) == std::string::npos ? std::int64_t{1} : shape[at(a)]; };
  const std::int64_t T = extent('t'), Z = extent('z'), Y = extent('y'), X = extent('x');
  Node& sets = tree.root->require_group(pc_group).require_group(names::kLabelSets);
  sets.remove_child(group);
  Node& g = sets.require_group(group);
  const std::int64_t tile = Z > 1 ? 32 : 64;
  std::size_t blocks = 0, labelled = 0;
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t z0 = 0; z0 < Z; z0 += tile)
      for (std::int64_t y0 = 0; y0 < Y; y0 += tile)
        for (std::int64_t x0 = 0; x0 < X; x0 += tile) {
          // Bounding box of the labelled pixels in this tile.
          std::int64_t lo[3] = {Z, Y, X}, hi[3] = {0, 0, 0};
          for (std::int64_t z = z0; z < std::min(Z, z0 + tile); ++z)
            for (std::int64_t y = y0; y < std::min(Y, y0 + tile); ++y)
              for (std::int64_t x = x0; x < std::min(X, x0 + tile); ++x)
                if (dense[static_cast<std::size_t>(((t * Z + z) * Y + y) * X + x)]) {
                  const std::int64_t q[3] = {z, y, x};
                  for (int k = 0; k < 3; ++k) lo[k] = std::min(lo[k], q[k]), hi[k] = std::max(hi[k], q[k] + 1);
                }
          if (hi[2] == 0) continue;
          // The block in `order`: each axis either one of t, z, y, x (its box) or absent (0:1).
          std::vector<std::uint64_t> bshape;
          std::vector<std::string> slices;
          for (char a : order) {
            std::int64_t b = 0, e = 1;
            if (a == 't' && at('t') != std::string::npos) b = t, e = t + 1;
            if (a == 'z' && at('z') != std::string::npos) b = lo[0], e = hi[0];
            if (a == 'y') b = lo[1], e = hi[1];
            if (a == 'x') b = lo[2], e = hi[2];
            bshape.push_back(static_cast<std::uint64_t>(e - b));
            slices.push_back(fmt::format("{}:{}", b, e));
          }
          std::vector<unsigned char> data;
          std::vector<std::uint64_t> idx(order.size(), 0);
          std::uint64_t count = 1;
          for (auto e : bshape) count *= e;
          data.reserve(count);
          for (std::uint64_t n = 0; n < count; ++n) {
            std::int64_t q[3] = {lo[0], lo[1], lo[2]};
            for (std::size_t k = 0; k < order.size(); ++k) {
              if (order[k] == 'z' && at('z') != std::string::npos) q[0] = lo[0] + static_cast<std::int64_t>(idx[k]);
              if (order[k] == 'y') q[1] = lo[1] + static_cast<std::int64_t>(idx[k]);
              if (order[k] == 'x') q[2] = lo[2] + static_cast<std::int64_t>(idx[k]);
            }
            const std::uint8_t v = dense[static_cast<std::size_t>(((t * Z + q[0]) * Y + q[1]) * X + q[2])];
            data.push_back(v);
            labelled += v != 0;
            for (std::size_t k = order.size(); k-- > 0;) {
              if (++idx[k] < bshape[k]) break;
              idx[k] = 0;
            }
          }
          auto block = Node::make_dataset(fmt::format("block{:04d}", blocks++), Value::numeric(ValueType::UInt8, bshape, std::move(data)));
          block->set_attribute(names::kBlockSlice, Value::string(fmt::format("[{}]", fmt::join(slices, ","))));
          if (tagged) block->set_attribute(names::kAxistags, Value::string(axistags_json(order), StringForm::VarUtf8));
          g.add_child(std::move(block));
        }
  return {blocks, labelled};
}

}  // namespace ilpkit::surgery
