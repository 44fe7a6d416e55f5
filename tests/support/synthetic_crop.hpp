// SPDX-License-Identifier: MIT
// Crops for the steinbock-fix tests: an HDF5 dataset of C channels, Y x X, stored in any axis
// order, each pixel given by a function of (c, y, x) so that a conversion can be checked.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "hdf5.hpp"
#include "ilpkit/axes.hpp"

namespace ilpkit::test {

/// `axes` are letters of "cyx" plus singleton z/t; with_axistags writes ilastik's attribute.
template <class T>
void write_synthetic_crop(const std::filesystem::path& file, const std::string& dataset, const std::string& axes,
                          std::uint64_t C, std::uint64_t Y, std::uint64_t X, bool with_axistags,
                          const std::function<T(std::uint64_t c, std::uint64_t y, std::uint64_t x)>& pixel) {
  std::vector<std::uint64_t> shape;
  for (char a : axes) shape.push_back(a == 'c' ? C : a == 'y' ? Y : a == 'x' ? X : 1);
  std::vector<T> v(C * Y * X);
  std::vector<std::uint64_t> idx(axes.size(), 0);
  for (auto& value : v) {
    std::uint64_t c = 0, y = 0, x = 0;
    for (std::size_t k = 0; k < axes.size(); ++k) {
      if (axes[k] == 'c') c = idx[k];
      if (axes[k] == 'y') y = idx[k];
      if (axes[k] == 'x') x = idx[k];
    }
    value = pixel(c, y, x);
    for (std::size_t k = axes.size(); k-- > 0;) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  std::filesystem::create_directories(file.parent_path());
  auto f = hdf5::File::create(file.string());
  auto ds = hdf5::write_dataset(f.id(), dataset, Value::from_vector(v, shape));
  if (with_axistags) hdf5::write_attribute(ds.id(), "axistags", Value::string(axistags_json(axes)));
}

}  // namespace ilpkit::test
