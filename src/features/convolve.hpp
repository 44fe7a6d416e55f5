// SPDX-License-Identifier: MIT
// One separable FIR pass along x, y or z with ilastik's arithmetic (features-and-forest.md §2.4):
// correlation with the half kernel, float32 accumulator starting with the centre tap and adding
// taps 1..R in order, whole-sample mirror borders at the edges of the input view.
//
// Every output sample is computed by the same sequence of float operations wherever it lies in
// the array, so results do not depend on block shape or thread count.
#pragma once

#include "kernel.hpp"
#include "volume.hpp"

namespace ilpkit::features {

enum class Axis { z = 0, y = 1, x = 2 };

/// Index reflected into [0, n) without repeating the edge sample.
std::int64_t mirror_index(std::int64_t i, std::int64_t n);

/// Filters `in` along `axis` and writes outputs [first, first + out.n[axis]) (coordinates of `in`
/// along that axis) into `out`; the other extents of `out` equal those of `in`. `parallel`
/// splits the rows over the thread pool (whole volumes; slices of the streaming engine stay serial).
void convolve(const ConstView& in, Axis axis, const Kernel& k, std::int64_t first, const View& out,
              bool parallel = false);

/// One output line from 2R+1 input lines: out[i] = c0·taps[R][i] + Σ_k c_k·(taps[R+k][i] ± taps[R−k][i]).
/// This is the pass along a non-contiguous axis with whole lines (rows or planes) as taps.
void combine(const float* const* taps, std::int64_t n, const Kernel& k, float* out);

/// Volume-returning form: the output spans [first, first + count) along `axis`.
Volume convolve(const ConstView& in, Axis axis, const Kernel& k, std::int64_t first, std::int64_t count,
                bool parallel = false);

}  // namespace ilpkit::features
