#include "core/dsp/welch.h"

#include <cmath>
#include <numbers>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::StatusIs;

std::vector<double> Psd(const WelchSettings& s, const std::vector<double>& x) {
  FftPlans plans;
  WelchSpectra spectra(s, x.data(), 1, static_cast<int64_t>(x.size()), plans);
  std::vector<double> psd(spectra.bins());
  spectra.Psd(0, psd.data());
  return psd;
}

// scipy.signal.welch(x, fs=128, nperseg=128, noverlap=64) of the how-to
// windows (golden), within 1e-6 x the spectrum's maximum (golden README).
TEST(WelchTest, MatchesScipyWelch) {
  NpyArray x = testing::LoadNpy("eegdash/howto_X_rows.npy");  // (128, 6, 256) float32
  NpyArray want = testing::LoadNpy("eegdash/welch_fs128_n128_o64_psd_f64.npy");  // (64, 6, 65)
  NpyArray f = testing::LoadNpy("eegdash/welch_fs128_n128_o64_f.npy");
  const WelchSettings s{128.0, 128, 64, nullptr};
  const std::vector<double> freqs = WelchFrequencies(s);
  ASSERT_EQ(freqs.size(), 65u);
  for (size_t k = 0; k < freqs.size(); ++k) EXPECT_EQ(freqs[k], f.as<double>()[k]);
  FftPlans plans;
  for (int w = 0; w < 64; ++w) {
    std::vector<double> rows(6 * 256);
    for (int i = 0; i < 6 * 256; ++i) rows[i] = x.as<float>()[w * 6 * 256 + i];
    WelchSpectra spectra(s, rows.data(), 6, 256, plans);
    for (int c = 0; c < 6; ++c) {
      std::vector<double> psd(65);
      spectra.Psd(c, psd.data());
      const double* g = want.as<double>() + (w * 6 + c) * 65;
      double peak = 0.0;
      for (int k = 0; k < 65; ++k) peak = std::max(peak, g[k]);
      for (int k = 0; k < 65; ++k)
        ASSERT_NEAR(psd[k], g[k], 1e-6 * peak) << w << " " << c << " " << k;
    }
  }
}

// Parseval for one segment: sum(PSD) * df equals the windowed, detrended
// segment's energy divided by the window's energy.
TEST(WelchTest, ParsevalForOneSegment) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  const int n = 256;
  std::vector<double> x(n);
  for (double& v : x) v = 3.0 + normal(rng);
  const WelchSettings s{100.0, n, 0, nullptr};
  const std::vector<double> psd = Psd(s, x);
  double mean = 0.0;
  for (double v : x) mean += v / n;
  double energy = 0.0, window = 0.0;
  for (int i = 0; i < n; ++i) {
    const double w = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * i / n);
    energy += (w * (x[i] - mean)) * (w * (x[i] - mean));
    window += w * w;
  }
  double total = 0.0;
  for (double p : psd) total += p;
  EXPECT_NEAR(total * (s.fs / n), energy / window, 1e-12 * energy / window);
}

// A sinusoid on a bin: the density integrates to its power A^2 / 2.
TEST(WelchTest, SinusoidPowerAndPeak) {
  const int n = 1024;
  const double fs = 256.0, f0 = 32.0, a = 3.0;
  std::vector<double> x(n);
  for (int i = 0; i < n; ++i) x[i] = a * std::sin(2 * std::numbers::pi * f0 * i / fs);
  const WelchSettings s{fs, 256, 128, nullptr};
  const std::vector<double> psd = Psd(s, x);
  const double df = fs / 256;
  double total = 0.0;
  int peak = 0;
  for (size_t k = 0; k < psd.size(); ++k) {
    total += psd[k] * df;
    if (psd[k] > psd[peak]) peak = static_cast<int>(k);
  }
  EXPECT_NEAR(total, a * a / 2, 1e-9);
  EXPECT_EQ(peak * df, f0);
}

TEST(WelchTest, RejectsSegmentsLongerThanTheWindow) {
  EXPECT_THAT(
      ValidateWelch({256.0, 512, 256, nullptr}, 256, "features.spec.preprocessor"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::HasSubstr("nperseg 512 samples) is longer than the window (256")));
  EXPECT_THAT(ValidateWelch({256.0, 128, 128, nullptr}, 256, "p"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("noverlap")));
}

}  // namespace
}  // namespace neurofeat
