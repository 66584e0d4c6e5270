#include "core/dsp/fir.h"

#include <cmath>
#include <numbers>

#include "gtest/gtest.h"

namespace neurofeat {
namespace {

// scipy.signal.firwin(11, [8, 12], fs=256, pass_zero=False, window="hamming")
// (scipy 1.10.1).
TEST(FirTest, FirwinMatchesScipy) {
  const double want[] = {0.00615981558208599, 0.02139097808669387, 0.06781087076989611,
                         0.1386657763207095,  0.20419042428877113, 0.23086539801092673,
                         0.20419042428877113, 0.1386657763207095,  0.06781087076989611,
                         0.02139097808669387, 0.00615981558208599};
  const std::vector<double> taps = FirwinBandpass(11, 8.0, 12.0, 256.0);
  ASSERT_EQ(taps.size(), 11u);
  for (int i = 0; i < 11; ++i) EXPECT_NEAR(taps[i], want[i], 1e-16) << i;
}

double Gain(const std::vector<double>& taps, double f, double fs) {
  double re = 0.0, im = 0.0;
  for (size_t i = 0; i < taps.size(); ++i) {
    re += taps[i] * std::cos(2 * std::numbers::pi * f / fs * i);
    im -= taps[i] * std::sin(2 * std::numbers::pi * f / fs * i);
  }
  return std::hypot(re, im);
}

// Unit gain at the centre of the pass band, and a stop band.
TEST(FirTest, BandpassResponse) {
  const std::vector<double> taps = FirwinBandpass(385, 8.0, 12.0, 256.0);
  EXPECT_NEAR(Gain(taps, 10.0, 256.0), 1.0, 1e-12);
  EXPECT_LT(Gain(taps, 0.0, 256.0), 1e-3);
  EXPECT_LT(Gain(taps, 30.0, 256.0), 1e-3);
}

// filtfilt keeps an in-band sinusoid (zero phase, |H|^2 ~ 1) and removes an
// out-of-band one.
TEST(FirTest, FiltfiltPassesInBandAndStopsOutOfBand) {
  const int n = 2048;
  const double fs = 256.0;
  std::vector<double> in_band(n), out_band(n), y(n);
  for (int i = 0; i < n; ++i) {
    in_band[i] = std::sin(2 * std::numbers::pi * 10.0 * i / fs);
    out_band[i] = std::sin(2 * std::numbers::pi * 40.0 * i / fs);
  }
  const std::vector<double> taps = FirwinBandpass(385, 8.0, 12.0, fs);
  FirFiltfilt(taps, in_band.data(), n, 511, y.data());
  for (int i = 600; i < n - 600; ++i) ASSERT_NEAR(y[i], in_band[i], 2e-3) << i;
  FirFiltfilt(taps, out_band.data(), n, 511, y.data());
  for (int i = 600; i < n - 600; ++i) ASSERT_NEAR(y[i], 0.0, 1e-4) << i;
}

}  // namespace
}  // namespace neurofeat
