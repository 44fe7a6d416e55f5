// SPDX-License-Identifier: MIT
#include "ilpkit/box.hpp"

#include <algorithm>

#include "ilpkit/error.hpp"

namespace ilpkit {

bool Box::contains(const Box& o) const {
  for (std::size_t a = 0; a < 3; ++a)
    if (o.begin[a] < begin[a] || o.end[a] > end[a]) return false;
  return true;
}

Box Box::grown(const std::array<std::int64_t, 3>& halo, const Box& clip) const {
  Box out;
  for (std::size_t a = 0; a < 3; ++a) {
    out.begin[a] = std::max(begin[a] - halo[a], clip.begin[a]);
    out.end[a] = std::min(end[a] + halo[a], clip.end[a]);
  }
  return out;
}

std::vector<Box> block_grid(const Box& image, const std::array<std::int64_t, 3>& shape) {
  std::vector<Box> out;
  for (std::size_t a = 0; a < 3; ++a)
    if (shape[a] <= 0) throw Error(ErrorKind::Usage, "block shape must be positive");
  for (std::int64_t z = image.begin[0]; z < image.end[0]; z += shape[0])
    for (std::int64_t y = image.begin[1]; y < image.end[1]; y += shape[1])
      for (std::int64_t x = image.begin[2]; x < image.end[2]; x += shape[2]) {
        Box b;
        b.begin = {z, y, x};
        b.end = {std::min(z + shape[0], image.end[0]), std::min(y + shape[1], image.end[1]),
                 std::min(x + shape[2], image.end[2])};
        out.push_back(b);
      }
  return out;
}

}  // namespace ilpkit
