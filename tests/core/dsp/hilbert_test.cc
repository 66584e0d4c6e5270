#include "core/dsp/hilbert.h"

#include <cmath>
#include <numbers>

#include "gtest/gtest.h"

namespace neurofeat {
namespace {

// The analytic signal of cos(wt) is e^{iwt} for whole periods, for even and
// odd lengths.
TEST(HilbertTest, CosineBecomesComplexExponential) {
  for (int n : {64, 63}) {
    const int periods = 5;
    std::vector<double> x(n);
    for (int i = 0; i < n; ++i) x[i] = std::cos(2 * std::numbers::pi * periods * i / n);
    std::vector<std::complex<double>> z(n);
    FftPlans plans;
    AnalyticSignal(x.data(), n, plans, z.data());
    for (int i = 0; i < n; ++i) {
      EXPECT_NEAR(z[i].real(), x[i], 1e-12) << n << " " << i;
      EXPECT_NEAR(z[i].imag(), std::sin(2 * std::numbers::pi * periods * i / n), 1e-12);
    }
  }
}

}  // namespace
}  // namespace neurofeat
