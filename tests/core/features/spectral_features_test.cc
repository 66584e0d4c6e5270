// Spectral features: a sinusoid's peak and band power through the whole
// tree, and each leaf on hand-made spectra.
#include <cmath>
#include <numbers>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/feature_testing.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ColumnValues;
using ::neurofeat::testing::Extract;
using ::neurofeat::testing::InfoFor;
using ::neurofeat::testing::RunLeaf;

NodeShape SpectrumShape(std::string producer, std::vector<double> freqs, int rows = 1) {
  NodeShape s;
  s.kind = ValueKind::kSpectrum;
  s.producer = std::move(producer);
  for (int r = 0; r < rows; ++r) s.rows.push_back("c" + std::to_string(r));
  s.n = static_cast<int64_t>(freqs.size());
  s.freqs = std::move(freqs);
  return s;
}

std::vector<double> Leaf(const std::string& fn, const std::string& producer,
                         std::vector<double> freqs, std::vector<double> p,
                         const std::string& params = "{}") {
  NodeValue v;
  v.x = std::move(p);
  const int rows = static_cast<int>(v.x.size() / freqs.size());
  auto out =
      RunLeaf(fn, params, SpectrumShape(producer, std::move(freqs), rows), v, InfoFor(100, rows));
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : std::vector<double>{};
}

const char kWelch[] = "spectral_preprocessor";
const char kNorm[] = "spectral_normalized_preprocessor";
const char kDb[] = "spectral_db_preprocessor";

// Through the tree: Welch of a 10 Hz sinusoid (amplitude 2) cut to 1..40 Hz.
TEST(SpectralFeaturesTest, SinusoidPeakAndBandPower) {
  const double fs = 128.0;
  const int n = 512;
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i)
    x[i] = static_cast<float>(2.0 * std::sin(2 * std::numbers::pi * 10.0 * i / fs));
  const std::string pipeline = R"({"features": [{"name": "s",
      "preprocessor": {"fn": "spectral_preprocessor", "params": {"window_size_in_sec": 1.0}},
      "features": [{"name": "peak", "fn": "spectral_peak_frequency"},
                   {"name": "bp", "fn": "spectral_bands_power",
                    "params": {"bands": [{"name": "alpha", "lo": 8, "hi": 12},
                                         {"name": "beta", "lo": 12, "hi": 30}]}},
                   {"name": "act", "fn": "spectral_hjorth_activity"},
                   {"name": "rtp", "fn": "spectral_root_total_power"}]}]})";
  auto t = Extract(pipeline, InfoFor(fs, 1, 1.0, 40.0), x, 1, n);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->columns, ::testing::ElementsAre("s_peak_c0", "s_bp_alpha_c0", "s_bp_beta_c0",
                                                 "s_act_c0", "s_rtp_c0"));
  EXPECT_EQ(ColumnValues(*t, "s_peak_c0")[0], 10.0);
  // Density x df (df = 1 Hz) sums to the power A^2 / 2 = 2, all in alpha
  // (to float32 rounding of the samples).
  EXPECT_NEAR(ColumnValues(*t, "s_bp_alpha_c0")[0], 2.0, 1e-6);
  EXPECT_NEAR(ColumnValues(*t, "s_bp_beta_c0")[0], 0.0, 1e-9);
  EXPECT_NEAR(ColumnValues(*t, "s_act_c0")[0], 2.0, 1e-6);
  EXPECT_NEAR(ColumnValues(*t, "s_rtp_c0")[0], std::sqrt(2.0), 1e-6);
}

TEST(SpectralFeaturesTest, PowerLeavesOnAHandMadeSpectrum) {
  const std::vector<double> f = {1, 2, 3, 4};
  const std::vector<double> p = {1, 4, 2, 1};
  EXPECT_THAT(Leaf("spectral_root_total_power", kWelch, f, p),
              ::testing::ElementsAre(std::sqrt(8.0)));
  EXPECT_THAT(Leaf("spectral_hjorth_activity", kWelch, f, p), ::testing::ElementsAre(8.0));
  EXPECT_THAT(Leaf("spectral_peak_frequency", kWelch, f, p), ::testing::ElementsAre(2.0));
  EXPECT_THAT(Leaf("spectral_peak_frequency", kWelch, f, p, R"({"freq_range": [3, 4]})"),
              ::testing::ElementsAre(3.0));
  // Bands are lo <= f < hi, plain sums.
  EXPECT_THAT(
      Leaf("spectral_bands_power", kWelch, f, p,
           R"({"bands": [{"name": "a", "lo": 1, "hi": 3}, {"name": "b", "lo": 3, "hi": 4}]})"),
      ::testing::ElementsAre(5.0, 2.0));
}

TEST(SpectralFeaturesTest, NormalisedSpectrumLeaves) {
  const std::vector<double> f = {1, 2, 3, 4};
  const std::vector<double> p = {0.1, 0.2, 0.3, 0.4};
  EXPECT_NEAR(Leaf("spectral_moment", kNorm, f, p)[0], 3.0, 1e-15);
  EXPECT_NEAR(Leaf("spectral_hjorth_mobility", kNorm, f, p)[0], std::sqrt(10.0), 1e-14);
  EXPECT_NEAR(Leaf("spectral_hjorth_complexity", kNorm, f, p)[0], std::sqrt(130.0) / 10.0, 1e-14);
  EXPECT_NEAR(Leaf("spectral_entropy", kNorm, f, {0.25, 0.25, 0.25, 0.25})[0], std::log(4.0),
              1e-15);
  EXPECT_EQ(Leaf("spectral_entropy", kNorm, f, {0, 1, 0, 0})[0], 0.0);
  // Cumulative 0.1, 0.3, 0.6, 1.0.
  EXPECT_EQ(Leaf("spectral_edge", kNorm, f, p)[0], 4.0);
  EXPECT_EQ(Leaf("spectral_edge", kNorm, f, p, R"({"edge": 0.5})")[0], 3.0);
}

// dB of a 1/f^2 power law is a line in ln f with slope -20 / ln 10.
TEST(SpectralFeaturesTest, SlopeOfAPowerLaw) {
  std::vector<double> f, db;
  for (int k = 1; k <= 50; ++k) {
    f.push_back(k);
    db.push_back(10 * std::log10(7.0 * std::pow(k, -2.0)));
  }
  const std::vector<double> out = Leaf("spectral_slope", kDb, f, db);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NEAR(out[0], -20.0 / std::log(10.0), 1e-12);
  EXPECT_NEAR(out[1], 10 * std::log10(7.0), 1e-12);
}

// The normalised preprocessor sums to one; the dB one is 10 log10(p + eps).
TEST(SpectralFeaturesTest, NormalisedAndDbPreprocessors) {
  const double fs = 64.0;
  const int n = 256;
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i)
    x[i] = static_cast<float>(std::sin(0.3 * i) + 0.5 * std::cos(1.1 * i));
  const std::string pipeline = R"({"features": [{"name": "s",
      "preprocessor": {"fn": "spectral_preprocessor", "params": {"window_size_in_sec": 2.0}},
      "features": [{"name": "act", "fn": "spectral_hjorth_activity"},
        {"name": "n", "preprocessor": {"fn": "spectral_normalized_preprocessor"},
         "features": [{"name": "bp", "fn": "spectral_bands_power",
                       "params": {"bands": [{"name": "all", "lo": 0.5, "hi": 32}]}}]},
        {"name": "d", "preprocessor": {"fn": "spectral_db_preprocessor", "params": {"eps": 0}},
         "features": [{"name": "peak", "fn": "spectral_peak_frequency"}]}]}]})";
  auto t = Extract(pipeline, InfoFor(fs, 1), x, 1, n);
  ASSERT_TRUE(t.ok()) << t.status();
  // Every kept bin but Nyquist (bands are lo <= f < hi), which holds ~1e-12.
  EXPECT_NEAR(ColumnValues(*t, "s_n_bp_all_c0")[0], 1.0, 1e-9);
  EXPECT_NEAR(ColumnValues(*t, "s_d_peak_c0")[0], 0.3 / (2 * std::numbers::pi) * fs, 0.25);
}

}  // namespace
}  // namespace neurofeat
