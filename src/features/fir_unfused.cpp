// SPDX-License-Identifier: MIT
// The FIR line kernels with every multiply and add rounded separately (this file is compiled
// with -ffp-contract=off): fastfilters' row pass runs so outside its vectorized main loop.
#include "fir.hpp"

namespace ilpkit::features {

ILPKIT_SIMD_CLONES void fir_unfused(float* out, const float* const* taps, std::int64_t n, const Kernel& k) {
  fir_detail::fir_any(out, taps, n, k);
}

}  // namespace ilpkit::features
