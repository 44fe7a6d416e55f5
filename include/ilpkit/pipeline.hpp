// SPDX-License-Identifier: MIT
// Blockwise processing of whole images: the grid of blocks, and the pipeline that reads each
// block plus halo, computes its features in parallel and hands finished blocks on in order.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "ilpkit/feature_engine.hpp"
#include "ilpkit/image.hpp"
#include "ilpkit/project.hpp"
#include "ilpkit/train.hpp"

namespace ilpkit {

/// The default block shape for an image: whole images when small, otherwise blocks large enough
/// that the halo costs little and small enough that a few in flight stay within memory.
/// `output_channels` > 0 also caps a block's output buffer (float32 × channels) at 256 MB.
std::array<std::int64_t, 3> default_block_shape(const ImageGeometry& image, const std::array<std::int64_t, 3>& halo,
                                                std::size_t output_channels = 0);

struct BlockwiseOptions {
  int threads = 0;                              ///< 0: all cores
  std::array<std::int64_t, 3> block_shape{0, 0, 0};  ///< 0: default_block_shape
  /// Called after each block is handed on: (blocks done, blocks total).
  std::function<void(std::size_t, std::size_t)> progress;
  /// Only this part of the image (ilastik's cutout); features still see the real neighbours
  /// outside it. Empty: the whole image.
  std::optional<Box> region;
  std::int64_t t_begin = 0, t_end = -1;  ///< time points [t_begin, t_end); -1: to the last
  /// ilastik's prediction mask (same z, y, x, t as the image): read per block without halo and
  /// given to `derive`; blocks where it is zero everywhere skip the features (derive then sees
  /// features with no channels).
  const ImageSource* mask = nullptr;
};

/// The block shape compute_derived_blockwise uses: the options' extents where given, else
/// default_block_shape for the engine's image, halo and channels (writers align chunks to it).
std::array<std::int64_t, 3> export_block_shape(const FeatureEngine& engine, const BlockwiseOptions& options);

/// Features of every time point of `source`, block by block; `sink(t, block)` runs serially in
/// block order. Throws Error(Usage) if the source's geometry differs from the engine's.
void compute_features_blockwise(const ImageSource& source, const FeatureEngine& engine,
                                const BlockwiseOptions& options,
                                const std::function<void(std::int64_t, const PlanarBlock&)>& sink);

/// What the parallel stage makes of a block's features (e.g. the forest's probabilities): reads
/// `features` ([channel][z][y][x] over the block) and the block of the prediction mask (null
/// without one), fills `out` (reset by the callee).
using DeriveFn = std::function<void(const PlanarBlock& features, const PlanarBlock* mask, PlanarBlock& out)>;

/// compute_features_blockwise with `derive` applied in the parallel stage; `sink` gets its output.
void compute_derived_blockwise(const ImageSource& source, const FeatureEngine& engine, const BlockwiseOptions& options,
                               const DeriveFn& derive,
                               const std::function<void(std::int64_t, const PlanarBlock&)>& sink);

/// Features of time point `t` of `source` written straight into `out`, which addresses the whole
/// image (coordinates relative to the image origin): no block buffers, so memory is the
/// destination plus the blocks' inputs and filter state.
void compute_features_into(const ImageSource& source, const FeatureEngine& engine, const BlockwiseOptions& options,
                           std::int64_t t, const FeatureOutput& out);

/// Training samples of every lane with labels, in a fixed order (lane, time point, tile, pixel
/// in C order); features are computed only on the tiles that hold labels. Throws Error(Usage)
/// when a labelled lane's raw data cannot be read or does not fit its labels.
TrainingSamples collect_training_samples(const Project& project, const BlockwiseOptions& options);

}  // namespace ilpkit
