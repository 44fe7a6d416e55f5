// SPDX-License-Identifier: MIT
#include "reference_features.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace ilpkit::test {

std::vector<float> reference_kernel(int order, double sigma, double window) {
  const int R = std::fabs(sigma) < 1e-6 ? 0 : static_cast<int>(std::floor(window * sigma + 0.5));
  auto e = [&](double x) { return std::exp(-x * x / (2 * sigma * sigma)); };
  std::vector<float> c(static_cast<std::size_t>(R) + 1);
  if (R == 0) {
    if (order == 0) return {1.0f};
    return {};  // 0/0: copied input
  }
  if (order == 0) {
    double s = 1;
    for (int y = 1; y <= R; ++y) s += 2 * e(y);
    for (int x = 0; x <= R; ++x) c[static_cast<std::size_t>(x)] = static_cast<float>(e(x) / s);
  } else if (order == 1) {
    double s = 0;
    for (int y = 1; y <= R; ++y) s += 2 * y * y * e(y);
    for (int x = 0; x <= R; ++x) c[static_cast<std::size_t>(x)] = static_cast<float>(x * e(x) / s);
  } else {
    auto q = [&](double x) { return (x * x / (sigma * sigma) - 1) * e(x); };
    double qbar = q(0);
    for (int y = 1; y <= R; ++y) qbar += 2 * q(y);
    qbar /= 2 * R + 1;
    double s = 0;
    for (int y = 1; y <= R; ++y) s += (q(y) - qbar) * y * y;
    for (int x = 0; x <= R; ++x) c[static_cast<std::size_t>(x)] = static_cast<float>((q(x) - qbar) / s);
  }
  return c;
}

namespace {

struct Grid {
  std::int64_t z, y, x;
  std::int64_t size() const { return z * y * x; }
};

std::int64_t reflect(std::int64_t i, std::int64_t n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

// Full kernel taps k[-R..R] of a half kernel; order 1 is antisymmetric (correlation convention:
// out[i] = Σ_t k[t]·in[i+t]).
std::vector<double> full(const std::vector<float>& half, int order) {
  if (half.empty()) return {1.0};  // copy
  const int R = static_cast<int>(half.size()) - 1;
  std::vector<double> k(static_cast<std::size_t>(2 * R + 1));
  for (int t = -R; t <= R; ++t) {
    double v = half[static_cast<std::size_t>(std::abs(t))];
    k[static_cast<std::size_t>(t + R)] = order == 1 && t < 0 ? -v : v;
  }
  return k;
}

using Vol = std::vector<double>;

// Kernels per axis (z, y, x); an empty vector means the axis is not filtered (2-D processing).
Vol filter(const Vol& in, const Grid& g, const std::array<std::vector<double>, 3>& k, ReferenceMode mode) {
  auto radius = [&](int a) { return k[static_cast<std::size_t>(a)].empty() ? 0 : static_cast<int>(k[static_cast<std::size_t>(a)].size() / 2); };
  auto tap = [&](int a, int t) { return k[static_cast<std::size_t>(a)].empty() ? 1.0 : k[static_cast<std::size_t>(a)][static_cast<std::size_t>(t + radius(a))]; };
  if (mode == ReferenceMode::Direct) {
    Vol out(in.size());
    const int rz = radius(0), ry = radius(1), rx = radius(2);
    for (std::int64_t z = 0; z < g.z; ++z)
      for (std::int64_t y = 0; y < g.y; ++y)
        for (std::int64_t x = 0; x < g.x; ++x) {
          double acc = 0;
          for (int tz = -rz; tz <= rz; ++tz)
            for (int ty = -ry; ty <= ry; ++ty)
              for (int tx = -rx; tx <= rx; ++tx)
                acc += tap(0, tz) * tap(1, ty) * tap(2, tx) *
                       in[static_cast<std::size_t>((reflect(z + tz, g.z) * g.y + reflect(y + ty, g.y)) * g.x +
                                                   reflect(x + tx, g.x))];
          out[static_cast<std::size_t>((z * g.y + y) * g.x + x)] = acc;
        }
    return out;
  }
  Vol cur = in;
  for (int a : {2, 1, 0}) {
    if (k[static_cast<std::size_t>(a)].empty()) continue;
    Vol out(cur.size());
    const int r = radius(a);
    for (std::int64_t z = 0; z < g.z; ++z)
      for (std::int64_t y = 0; y < g.y; ++y)
        for (std::int64_t x = 0; x < g.x; ++x) {
          double acc = 0;
          for (int t = -r; t <= r; ++t) {
            std::int64_t zz = z, yy = y, xx = x;
            if (a == 0) zz = reflect(z + t, g.z);
            if (a == 1) yy = reflect(y + t, g.y);
            if (a == 2) xx = reflect(x + t, g.x);
            acc += tap(a, t) * cur[static_cast<std::size_t>((zz * g.y + yy) * g.x + xx)];
          }
          out[static_cast<std::size_t>((z * g.y + y) * g.x + x)] = acc;
        }
    cur = std::move(out);
  }
  return cur;
}

// Symmetric 3×3 eigenvalues by cyclic Jacobi rotations, descending.
std::array<double, 3> jacobi3(std::array<std::array<double, 3>, 3> a) {
  for (int sweep = 0; sweep < 50; ++sweep) {
    double off = std::fabs(a[0][1]) + std::fabs(a[0][2]) + std::fabs(a[1][2]);
    double scale = std::fabs(a[0][0]) + std::fabs(a[1][1]) + std::fabs(a[2][2]) + off;
    if (off <= 1e-17 * scale || off == 0) break;
    for (int p = 0; p < 2; ++p)
      for (int q = p + 1; q < 3; ++q) {
        if (a[p][q] == 0) continue;
        double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        double t = (theta >= 0 ? 1 : -1) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < 3; ++k) {  // columns
          double akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (int k = 0; k < 3; ++k) {  // rows
          double apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
      }
  }
  std::array<double, 3> ev{a[0][0], a[1][1], a[2][2]};
  std::sort(ev.begin(), ev.end(), [](double l, double r) { return l > r; });
  return ev;
}

}  // namespace

ReferenceFeatures reference_features(const FeatureSelection& sel, const ImageGeometry& geo, const Vol& image,
                                     ReferenceMode mode) {
  ReferenceFeatures out;
  const Grid g{geo.z, geo.y, geo.x};
  std::vector<bool> in_2d = effective_compute_in_2d(sel, geo);
  if (geo.z == 1) std::fill(in_2d.begin(), in_2d.end(), true);
  for (std::size_t i = 0; i < sel.ids.size(); ++i) {
    const FeatureKind kind = feature_kind(sel.ids[i]);
    for (std::size_t j = 0; j < sel.scales.size(); ++j) {
      if (!sel.matrix[i][j]) continue;
      const double s = sel.scales[j];
      const double t = s > 1 ? std::sqrt(s * s - 1) : s;
      const double sigma = s > 1 ? 1.0 : s;
      const bool flat = in_2d[j];
      auto k3 = [&](std::vector<double> kz, std::vector<double> ky, std::vector<double> kx) {
        return std::array<std::vector<double>, 3>{flat ? std::vector<double>{} : std::move(kz), std::move(ky),
                                                  std::move(kx)};
      };
      auto K = [&](int order, double sg) { return full(reference_kernel(order, sg, 2.0), order); };
      const auto pre = full(reference_kernel(0, t, 3.5), 0);
      const auto g0 = K(0, sigma), g1 = K(1, sigma), g2 = K(2, sigma);
      for (int c = 0; c < geo.channels; ++c) {
        Vol in(image.begin() + c * g.size(), image.begin() + (c + 1) * g.size());
        Vol p = filter(in, g, k3(pre, pre, pre), mode);
        auto emit = [&](Vol v, Vol tmax = {}) {
          out.channels.push_back(std::move(v));
          out.tensor_max.push_back(std::move(tmax));
        };
        auto map2 = [&](const Vol& a, const Vol& b, auto fn) {
          Vol r(a.size());
          for (std::size_t n = 0; n < a.size(); ++n) r[n] = fn(a[n], b[n]);
          return r;
        };
        auto eigen = [&](const Vol& xx, const Vol& xy, const Vol& yy, const Vol* zz, const Vol* xz, const Vol* yz) {
          const std::size_t n = xx.size();
          if (!zz) {
            Vol e0(n), e1(n);
            for (std::size_t q = 0; q < n; ++q) {
              double m = (xx[q] + yy[q]) / 2, h = (xx[q] - yy[q]) / 2, d = std::sqrt(h * h + xy[q] * xy[q]);
              e0[q] = m + d;
              e1[q] = m - d;
            }
            emit(std::move(e0));
            emit(std::move(e1));
            return;
          }
          Vol e[3] = {Vol(n), Vol(n), Vol(n)}, tmax(n);
          for (std::size_t q = 0; q < n; ++q) {
            auto ev = jacobi3({{{(*zz)[q], (*yz)[q], (*xz)[q]}, {(*yz)[q], yy[q], xy[q]}, {(*xz)[q], xy[q], xx[q]}}});
            for (int r = 0; r < 3; ++r) e[r][q] = ev[static_cast<std::size_t>(r)];
            tmax[q] = std::max({std::fabs(xx[q]), std::fabs(xy[q]), std::fabs(yy[q]), std::fabs((*zz)[q]),
                                std::fabs((*xz)[q]), std::fabs((*yz)[q])});
          }
          for (auto& v : e) emit(std::move(v), tmax);
        };
        switch (kind) {
          case FeatureKind::GaussianSmoothing: emit(filter(p, g, k3(g0, g0, g0), mode)); break;
          case FeatureKind::LaplacianOfGaussian: {
            Vol v = map2(filter(p, g, k3(g0, g0, g2), mode), filter(p, g, k3(g0, g2, g0), mode),
                         [](double a, double b) { return a + b; });
            if (!flat) v = map2(v, filter(p, g, k3(g2, g0, g0), mode), [](double a, double b) { return a + b; });
            emit(std::move(v));
            break;
          }
          case FeatureKind::GaussianGradientMagnitude: {
            Vol v = map2(filter(p, g, k3(g0, g0, g1), mode), filter(p, g, k3(g0, g1, g0), mode),
                         [](double a, double b) { return a * a + b * b; });
            if (!flat) v = map2(v, filter(p, g, k3(g1, g0, g0), mode), [](double a, double b) { return a + b * b; });
            for (auto& x : v) x = std::sqrt(x);
            emit(std::move(v));
            break;
          }
          case FeatureKind::DifferenceOfGaussians: {
            const auto n0 = K(0, sigma * 0.66);
            emit(map2(filter(p, g, k3(g0, g0, g0), mode), filter(p, g, k3(n0, n0, n0), mode),
                      [](double a, double b) { return a - b; }));
            break;
          }
          case FeatureKind::StructureTensorEigenvalues: {
            const auto s0 = K(0, sigma / 2), s1 = K(1, sigma / 2);
            Vol gx = filter(p, g, k3(s0, s0, s1), mode), gy = filter(p, g, k3(s0, s1, s0), mode);
            auto mul = [](double a, double b) { return a * b; };
            auto T = [&](const Vol& a, const Vol& b) { return filter(map2(a, b, mul), g, k3(g0, g0, g0), mode); };
            Vol txx = T(gx, gx), txy = T(gx, gy), tyy = T(gy, gy);
            if (flat) {
              eigen(txx, txy, tyy, nullptr, nullptr, nullptr);
            } else {
              Vol gz = filter(p, g, k3(s1, s0, s0), mode);
              Vol tzz = T(gz, gz), txz = T(gx, gz), tyz = T(gy, gz);
              eigen(txx, txy, tyy, &tzz, &txz, &tyz);
            }
            break;
          }
          case FeatureKind::HessianOfGaussianEigenvalues: {
            Vol hxx = filter(p, g, k3(g0, g0, g2), mode), hxy = filter(p, g, k3(g0, g1, g1), mode),
                hyy = filter(p, g, k3(g0, g2, g0), mode);
            if (flat) {
              eigen(hxx, hxy, hyy, nullptr, nullptr, nullptr);
            } else {
              Vol hzz = filter(p, g, k3(g2, g0, g0), mode), hxz = filter(p, g, k3(g1, g0, g1), mode),
                  hyz = filter(p, g, k3(g1, g1, g0), mode);
              eigen(hxx, hxy, hyy, &hzz, &hxz, &hyz);
            }
            break;
          }
        }
      }
    }
  }
  return out;
}

}  // namespace ilpkit::test
