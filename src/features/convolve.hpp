// SPDX-License-Identifier: MIT
// One separable FIR pass along x, y or z with ilastik's arithmetic (features-and-forest.md §2.4):
// correlation with the half kernel, float32 accumulator starting with the centre tap and adding
// taps 1..R in order, whole-sample mirror borders at the edges of the input view.
//
// Every output sample is computed by the same sequence of float operations wherever it lies in
// the array, so results do not depend on block shape or thread count.
#pragma once

#include <utility>

#include "kernel.hpp"
#include "volume.hpp"

namespace ilpkit::features {

enum class Axis { z = 0, y = 1, x = 2 };

/// Index reflected into [0, n) without repeating the edge sample.
std::int64_t mirror_index(std::int64_t i, std::int64_t n);

/// Where a view's rows lie in the image, for passes along x. ilastik's fastfilters filters whole
/// image rows and fuses multiply-adds (on FMA CPUs) only in its vectorized main loop, which covers
/// columns [(R + 7) & ~7, (W − R) & ~31) of a row of width W, and only when that end is at least
/// 64; every other column of an x pass, and every column of rows narrower than that, is
/// computed unfused. Passes along y and z are fused everywhere. (Measured: with this rule every
/// Gaussian smoothing channel of every corpus case, 2-D and 3-D, widths 55 to 384, is
/// bit-identical to ilastik's export.) width 0: fuse every column.
struct RowPlacement {
  std::int64_t origin = 0;  ///< image x of the view's column 0
  std::int64_t width = 0;   ///< image width W
};

/// Image columns [begin, end) whose x pass with radius `radius` is fused (see RowPlacement).
std::pair<std::int64_t, std::int64_t> fused_columns(std::int64_t width, int radius);

/// Filters `in` along `axis` and writes outputs [first, first + out.n[axis]) (coordinates of `in`
/// along that axis) into `out`; the other extents of `out` equal those of `in`. `parallel`
/// splits the rows over the thread pool (whole volumes; slices of the streaming engine stay serial).
/// `at` places x passes in the image.
void convolve(const ConstView& in, Axis axis, const Kernel& k, std::int64_t first, const View& out,
              bool parallel = false, const RowPlacement& at = {});

/// One output line from 2R+1 input lines: out[i] = c0·taps[R][i] + Σ_k c_k·(taps[R+k][i] ± taps[R−k][i]).
/// This is the pass along a non-contiguous axis with whole lines (rows or planes) as taps.
void combine(const float* const* taps, std::int64_t n, const Kernel& k, float* out);

/// Volume-returning form: the output spans [first, first + count) along `axis`.
Volume convolve(const ConstView& in, Axis axis, const Kernel& k, std::int64_t first, std::int64_t count,
                bool parallel = false, const RowPlacement& at = {});

}  // namespace ilpkit::features
