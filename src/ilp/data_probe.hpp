// SPDX-License-Identifier: MIT
// Looks at a lane's external data file for what the project does not store (shape, axes).
#pragma once

#include <string>

#include "ilpkit/axes.hpp"

namespace ilpkit::probe {

struct DataFacts {
  Shape shape;
  std::string dtype;
  std::string axes;           ///< from an axistags attribute, "" if none
  std::string internal_path;  ///< the dataset used (chosen when none was given)
};

/// True if the file starts with the HDF5 signature.
bool is_hdf5(const std::string& file);

/// Reads the dataset's shape, dtype and axistags. With an empty internal path the file must
/// hold exactly one 2- to 5-D dataset (lazyflow OpInputDataReader). Throws Error on failure.
DataFacts probe_hdf5(const std::string& file, const std::string& internal_path);

}  // namespace ilpkit::probe
