#include "core/dsp/hilbert.h"

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

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

// scipy.signal.envelope's docstring: a tone's envelope is its amplitude;
// the mean (bin 0) is left out of the band, so an offset changes nothing.
TEST(HilbertTest, EnvelopeOfAToneIsItsAmplitude) {
  for (int n : {64, 63, 3}) {
    const int periods = n == 3 ? 1 : 5;
    std::vector<double> x(n);
    for (int i = 0; i < n; ++i) {
      x[i] = 2.5 * std::cos(2 * std::numbers::pi * periods * i / n + 0.3) + 7.0;
    }
    std::vector<double> env(n);
    FftPlans plans;
    Envelope(x.data(), n, plans, env.data());
    for (int i = 0; i < n; ++i) EXPECT_NEAR(env[i], 2.5, 1e-12) << n << " " << i;
  }
}

// A tone modulated inside the band: the envelope is the modulation.
TEST(HilbertTest, EnvelopeOfAnAmToneIsItsModulation) {
  const int n = 256;
  std::vector<double> x(n), a(n);
  for (int i = 0; i < n; ++i) {
    a[i] = 1.0 + 0.5 * std::cos(2 * std::numbers::pi * 3 * i / n);
    x[i] = a[i] * std::cos(2 * std::numbers::pi * 40 * i / n);
  }
  std::vector<double> env(n);
  FftPlans plans;
  Envelope(x.data(), n, plans, env.data());
  for (int i = 0; i < n; ++i) EXPECT_NEAR(env[i], a[i], 1e-12) << i;
}

std::vector<double> Noise(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> x(n);
  for (double& v : x) v = normal(rng);
  return x;
}

// For odd lengths the band is every positive frequency: the envelope is
// |hilbert(x - mean)| = sqrt(x_d^2 + H[x_d]^2).
TEST(HilbertTest, EnvelopeIsTheAnalyticMagnitudeOfTheMeanFreeSignalForOddLengths) {
  const int n = 511;
  std::vector<double> x = Noise(n, 84), xd(n);
  double mean = 0.0;
  for (double v : x) mean += v / n;
  for (int i = 0; i < n; ++i) xd[i] = x[i] - mean;
  FftPlans plans;
  std::vector<std::complex<double>> z(n);
  AnalyticSignal(xd.data(), n, plans, z.data());
  std::vector<double> env(n);
  Envelope(x.data(), n, plans, env.data());
  for (int i = 0; i < n; ++i) {
    EXPECT_NEAR(env[i], std::sqrt(xd[i] * xd[i] + z[i].imag() * z[i].imag()), 1e-12) << i;
  }
}

// For even lengths scipy's band stops below the Nyquist bin, which
// scipy.signal.hilbert keeps: an alternating signal is all Nyquist.
TEST(HilbertTest, EnvelopeLeavesOutTheNyquistBinForEvenLengths) {
  const int n = 16;
  std::vector<double> x(n);
  for (int i = 0; i < n; ++i) x[i] = i % 2 == 0 ? 1.0 : -1.0;
  FftPlans plans;
  std::vector<double> env(n);
  Envelope(x.data(), n, plans, env.data());
  std::vector<std::complex<double>> z(n);
  AnalyticSignal(x.data(), n, plans, z.data());
  for (int i = 0; i < n; ++i) {
    EXPECT_NEAR(env[i], 0.0, 1e-15) << i;
    EXPECT_NEAR(std::abs(z[i]), 1.0, 1e-12) << i;
  }
  // Noise plus that component: the envelope of the noise without it.
  std::vector<double> noise = Noise(n * 8, 3), with = noise;
  double nyquist = 0.0;  // X[n/2] / n of the noise
  for (int i = 0; i < n * 8; ++i) nyquist += (i % 2 == 0 ? noise[i] : -noise[i]) / (n * 8);
  for (int i = 0; i < n * 8; ++i) {
    noise[i] -= i % 2 == 0 ? nyquist : -nyquist;
    with[i] = noise[i] + (i % 2 == 0 ? 4.0 : -4.0);
  }
  std::vector<double> env_noise(n * 8), env_with(n * 8);
  Envelope(noise.data(), n * 8, plans, env_noise.data());
  Envelope(with.data(), n * 8, plans, env_with.data());
  for (int i = 0; i < n * 8; ++i) EXPECT_NEAR(env_with[i], env_noise[i], 1e-12) << i;
}

}  // namespace
}  // namespace neurofeat
