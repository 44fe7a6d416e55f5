// SPDX-License-Identifier: MIT
// Element-wise row operations of the feature engine, compiled for several instruction sets.
#pragma once

#include <cstdint>

/// Hot loops are cloned for AVX-512, AVX2 and baseline x86-64 and picked at load time (the same
/// clone for the whole process, so results never depend on blocks or threads; the FMA clones fuse
/// multiply-adds as ilastik's filter library does on FMA machines).
#define ILPKIT_SIMD_CLONES [[gnu::target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")]]

namespace ilpkit::features {

void add_rows(const float* a, const float* b, std::int64_t n, float* out);
void add_rows(const float* a, const float* b, const float* c, std::int64_t n, float* out);  ///< (a + b) + c
void subtract_rows(const float* a, const float* b, std::int64_t n, float* out);
void multiply_rows(const float* a, const float* b, std::int64_t n, float* out);
void magnitude_rows(const float* a, const float* b, std::int64_t n, float* out);  ///< sqrt(a² + b²)
void magnitude_rows(const float* a, const float* b, const float* c, std::int64_t n, float* out);

}  // namespace ilpkit::features
