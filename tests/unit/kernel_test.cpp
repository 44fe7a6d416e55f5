// SPDX-License-Identifier: MIT
// FIR kernels: the test vectors of features-and-forest.md §2.3, the closed forms (independent
// float64 derivation) and VIGRA's Kernel1D as the reference for kernel construction.
#include <gtest/gtest.h>

#include <cmath>

#include <vigra/separableconvolution.hxx>

#include "eigen.hpp"
#include "kernel.hpp"
#include "reference_features.hpp"

using namespace ilpkit;
using features::gaussian_kernel;

namespace {

struct Vector {
  int order;
  double sigma;
  double window;
  std::vector<double> c;
};

// §2.3 table (σ of presmoothing is sqrt(s² − 1), printed rounded there); values are printed to 8
// significant digits, so compare within 2 float ulps.
const Vector kVectors[] = {
    {0, 0.3, 3.5, {0.99232751, 0.0038362585}},
    {0, 0.3, 2.0, {0.99232751, 0.0038362585}},
    {0, 0.7, 3.5, {0.56991249, 0.2054237, 0.0096200565}},
    {0, 1.0, 3.5, {0.39894348, 0.24197143, 0.053991128, 0.0044318615, 0.00013383062}},
    {0, std::sqrt(1.6 * 1.6 - 1), 3.5, {0.31947908, 0.23187047, 0.088645071, 0.017851301, 0.0018936129}},
    {0, std::sqrt(3.5 * 3.5 - 1), 3.5, {0.11896345, 0.11379196, 0.099587686, 0.079743586}},
    {0, std::sqrt(5.0 * 5.0 - 1), 3.5, {0.081461914, 0.079782344, 0.074948579}},
    {0, std::sqrt(10.0 * 10.0 - 1), 3.5, {0.04010956, 0.039907496, 0.039307397}},
    {0, 0.7, 2.0, {0.58109277, 0.2094536}},
    {0, 1.0, 2.0, {0.40261996, 0.24420133, 0.054488685}},
    {0, 0.462, 2.0, {0.8388083, 0.080595858}},
    {0, 0.66, 2.0, {0.61175489, 0.19412255}},
    {0, 0.35, 2.0, {0.96734273, 0.016328633}},
    {0, 0.5, 2.0, {0.78698605, 0.10650698}},
    {1, 0.3, 2.0, {0, 0.5}},
    {1, 0.35, 2.0, {0, 0.5}},
    {1, 0.462, 2.0, {0, 0.5}},
    {1, 0.5, 2.0, {0, 0.5}},
    {1, 0.66, 2.0, {0, 0.5}},
    {1, 0.7, 2.0, {0, 0.5}},
    {1, 1.0, 2.0, {0, 0.26419792, 0.11790105}},
    {2, 0.3, 2.0, {-2, 1}},
    {2, 0.7, 2.0, {-2, 1}},
    {2, 1.0, 2.0, {-0.5311237, 0.020749131, 0.24481271}},
};

int expected_radius(double sigma, double window) { return static_cast<int>(std::floor(window * sigma + 0.5)); }

}  // namespace

TEST(Kernel, SpecTestVectors) {
  for (const auto& v : kVectors) {
    SCOPED_TRACE(testing::Message() << "order " << v.order << " sigma " << v.sigma << " window " << v.window);
    auto k = gaussian_kernel(v.order, v.sigma, v.window);
    ASSERT_EQ(k.radius(), expected_radius(v.sigma, v.window));
    for (std::size_t i = 0; i < v.c.size(); ++i) {
      const float want = static_cast<float>(v.c[i]);
      const float ulp = std::nextafter(std::fabs(want), INFINITY) - std::fabs(want);
      EXPECT_NEAR(k.c[i], want, 2 * ulp) << "tap " << i;
    }
  }
}

TEST(Kernel, RadiusRuleIsNotThreeSigma) {
  EXPECT_EQ(gaussian_kernel(0, 9.9499, 3.5).radius(), 35);
  EXPECT_EQ(gaussian_kernel(0, 3.3541, 3.5).radius(), 12);
  EXPECT_EQ(gaussian_kernel(2, 1.0, 2.0).radius(), 2);
  EXPECT_EQ(gaussian_kernel(0, 0.198, 2.0).radius(), 0);
  EXPECT_TRUE(gaussian_kernel(0, 0.198, 2.0).copy);
}

TEST(Kernel, DegenerateDerivativeKernelsCopyTheirInput) {
  // σ < 0.25: R = 0, the order-1 and order-2 kernels are 0/0; ilastik's filter copies.
  auto k1 = gaussian_kernel(1, 0.15, 2.0);
  EXPECT_EQ(k1.radius(), 0);
  EXPECT_TRUE(std::isnan(k1.c[0]));
  EXPECT_TRUE(k1.copy);
  EXPECT_TRUE(gaussian_kernel(2, 0.2, 2.0).copy);
  EXPECT_FALSE(gaussian_kernel(1, 0.3, 2.0).copy);
}

TEST(Kernel, ClosedFormsAgree) {
  for (int order = 0; order <= 2; ++order)
    for (double sigma : {0.3, 0.5, 0.7, 1.0, 1.249, 3.3541, 4.899, 9.9499})
      for (double window : {2.0, 3.5}) {
        auto k = gaussian_kernel(order, sigma, window);
        auto ref = test::reference_kernel(order, sigma, window);
        ASSERT_EQ(ref.size(), k.c.size());
        for (std::size_t i = 0; i < ref.size(); ++i)
          EXPECT_NEAR(k.c[i], ref[i], 3e-7 * std::max(1.0f, std::fabs(ref[i])))
              << order << " " << sigma << " " << window << " tap " << i;
      }
}

TEST(Kernel, VigraKernelsAgreeWithinFloatPrecision) {
  // VIGRA's Kernel1D with the same window ratio: same radius, same taps (VIGRA stores the
  // order-1 kernel in convolution orientation, so its tap at +x is −h1(x)).
  for (int order = 0; order <= 2; ++order)
    for (double sigma : {0.5, 0.7, 1.0, 1.249, 3.3541, 9.9499})
      for (double window : {2.0, 3.5}) {
        vigra::Kernel1D<double> v;
        if (order == 0)
          v.initGaussian(sigma, 1.0, window);
        else
          v.initGaussianDerivative(sigma, order, 1.0, window);
        auto k = gaussian_kernel(order, sigma, window);
        ASSERT_EQ(v.right(), k.radius()) << order << " " << sigma << " " << window;
        for (int x = 0; x <= k.radius(); ++x) {
          const double vig = order == 1 ? -v[x] : v[x];
          EXPECT_NEAR(k.c[static_cast<std::size_t>(x)], vig, 2e-6) << order << " " << sigma << " tap " << x;
        }
      }
}

TEST(Eigen, TrigonometryIsAccurate) {
  for (double phi = 0; phi <= M_PI / 3; phi += 0.001) {
    EXPECT_NEAR(features::cos_small(phi), std::cos(phi), 1e-13);
    EXPECT_NEAR(features::sin_small(phi), std::sin(phi), 1e-13);
  }
  for (double y : {0.0, 1e-9, 0.3, 1.0, 7.0})
    for (double x : {-5.0, -1.0, -1e-7, 0.0, 1e-7, 0.4, 1.0, 3.0})
      EXPECT_NEAR(features::atan2_nonneg_y(y, x), std::atan2(y, x), 2e-12) << y << " " << x;
}

TEST(Eigen, DescendingAndExactOnKnownMatrices) {
  // diag(3, -1, 2) rotated: eigenvalues 3, 2, -1 regardless of the rotation.
  const double c = std::cos(0.3), s = std::sin(0.3);
  // R = rotation about z (mixes y and x): T = R diag R^T with rows z, y, x.
  const double d[3] = {3, -1, 2};
  double T[3][3] = {{d[0], 0, 0}, {0, c * c * d[1] + s * s * d[2], c * s * (d[2] - d[1])},
                    {0, c * s * (d[2] - d[1]), s * s * d[1] + c * c * d[2]}};
  float zz = float(T[0][0]), yz = float(T[0][1]), xz = float(T[0][2]), yy = float(T[1][1]), xy = float(T[1][2]),
        xx = float(T[2][2]);
  float e0, e1, e2;
  features::eigenvalues_3d({&zz, &yz, &xz, &yy, &xy, &xx}, 1, &e0, &e1, &e2);
  EXPECT_NEAR(e0, 3, 1e-6);
  EXPECT_NEAR(e1, 2, 1e-6);
  EXPECT_NEAR(e2, -1, 1e-6);
  // Repeated eigenvalues and the zero matrix.
  float one = 1, zero = 0;
  features::eigenvalues_3d({&one, &zero, &zero, &one, &zero, &one}, 1, &e0, &e1, &e2);
  EXPECT_FLOAT_EQ(e0, 1);
  EXPECT_FLOAT_EQ(e2, 1);
  features::eigenvalues_3d({&zero, &zero, &zero, &zero, &zero, &zero}, 1, &e0, &e1, &e2);
  EXPECT_EQ(e0, 0);
  EXPECT_EQ(e2, 0);
  float a = 2, b = -1, cxy = 0;
  features::eigenvalues_2d(&b, &cxy, &a, 1, &e0, &e1);  // xx = -1, yy = 2
  EXPECT_EQ(e0, 2);
  EXPECT_EQ(e1, -1);
}
