// SPDX-License-Identifier: MIT
// Mirrors the formulas of features-and-forest.md §2.3 (fastfilters fir_kernel.c semantics):
// samples in double stored as float, DC removal for order 2, normalization in double.
#include "kernel.hpp"

#include <cmath>

namespace ilpkit::features {

int kernel_radius(double sigma, double window) {
  if (std::fabs(sigma) < 1e-6) return 0;
  return static_cast<int>(std::floor(window * sigma + 0.5));
}

Kernel gaussian_kernel(int order, double sigma, double window) {
  Kernel k;
  k.order = order;
  k.sigma = sigma;
  const int radius = kernel_radius(sigma, window);
  k.c.resize(static_cast<std::size_t>(radius) + 1);
  const double norm = 1.0 / (std::sqrt(2.0 * M_PI) * sigma);
  const double s2 = sigma * sigma;
  for (int x = 0; x <= radius; ++x) {
    const double xd = x;
    const double e = std::exp(-xd * xd / (2.0 * s2));
    double v = e * norm;
    if (order == 1) v = -xd * e * norm / s2;
    if (order == 2) v = -(1.0 - xd * xd / s2) * e * norm / s2;
    k.c[static_cast<std::size_t>(x)] = static_cast<float>(v);
  }
  auto& c = k.c;
  if (order == 2) {
    double dc = c[0];
    for (int x = 1; x <= radius; ++x) dc += 2.0 * c[static_cast<std::size_t>(x)];
    dc /= 2.0 * radius + 1.0;
    for (auto& v : c) v = static_cast<float>(v - dc);
  }
  double sum = 0;
  if (order == 0) {
    sum = c[0];
    for (int x = 1; x <= radius; ++x) sum += 2.0 * c[static_cast<std::size_t>(x)];
  } else {
    for (int x = 1; x <= radius; ++x) {
      const double cx = c[static_cast<std::size_t>(x)];
      sum += order == 1 ? cx * -x - cx * x : cx * x * x;
    }
  }
  for (auto& v : c) v = static_cast<float>(v / sum);
  if (order == 1)
    for (auto& v : c) v = -v;
  k.copy = radius == 0 && !(std::fabs(c[0] - 1.0f) > 1e-6f);
  return k;
}

}  // namespace ilpkit::features
