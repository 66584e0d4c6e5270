// Time-domain features against hand-computed values and identities.
#include <cmath>
#include <numbers>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/feature_testing.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::BuildTree;
using ::neurofeat::testing::ColumnValues;
using ::neurofeat::testing::Extract;
using ::neurofeat::testing::GroupPipeline;
using ::neurofeat::testing::InfoFor;
using ::neurofeat::testing::LeafPipeline;
using ::neurofeat::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// One window, one channel.
double One(const std::string& fn, const std::vector<float>& x, const std::string& params = "{}",
           double fs = 100.0) {
  auto t = Extract(LeafPipeline(fn, params), InfoFor(fs, 1), x, 1, static_cast<int64_t>(x.size()));
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? t->values[0] : std::nan("");
}

std::vector<float> Sine(int n, double cycles_per_sample, double amplitude = 1.0,
                        double phase = 0.0) {
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) {
    x[i] = static_cast<float>(amplitude *
                              std::sin(2 * std::numbers::pi * cycles_per_sample * i + phase));
  }
  return x;
}

const std::vector<float> kRamp = {1, 2, 3, 4, 5, 6, 7, 8};

TEST(SignalFeaturesTest, MomentsOfARamp) {
  EXPECT_DOUBLE_EQ(One("signal_mean", kRamp), 4.5);
  EXPECT_DOUBLE_EQ(One("signal_variance", kRamp), 5.25);  // (n^2 - 1) / 12
  EXPECT_DOUBLE_EQ(One("signal_hjorth_activity", kRamp), 5.25);
  EXPECT_DOUBLE_EQ(One("signal_variance", kRamp, R"({"ddof": 1})"), 6.0);
  EXPECT_DOUBLE_EQ(One("signal_std", kRamp), std::sqrt(5.25));
  EXPECT_DOUBLE_EQ(One("signal_root_mean_square", kRamp), std::sqrt(204.0 / 8));
  EXPECT_DOUBLE_EQ(One("signal_peak_to_peak", kRamp), 7.0);
  EXPECT_DOUBLE_EQ(One("signal_line_length", kRamp), 1.0);
  EXPECT_NEAR(One("signal_skewness", kRamp), 0.0, 1e-15);  // symmetric
}

TEST(SignalFeaturesTest, QuantilesInterpolateLinearly) {
  EXPECT_DOUBLE_EQ(One("signal_quantile", kRamp), 4.5);
  EXPECT_DOUBLE_EQ(One("signal_quantile", kRamp, R"({"q": 0.25})"), 2.75);
  EXPECT_DOUBLE_EQ(One("signal_quantile", {5, 1, 3}, R"({"q": 1.0})"), 5.0);
  EXPECT_DOUBLE_EQ(One("signal_quantile", {5, 1, 3}, R"({"q": 0.0})"), 1.0);
}

TEST(SignalFeaturesTest, KurtosisOfTwoPointDistributionIsMinusTwo) {
  EXPECT_DOUBLE_EQ(One("signal_kurtosis", {1, -1, 1, -1, 1, -1}), -2.0);
  EXPECT_DOUBLE_EQ(One("signal_kurtosis", {1, -1, 1, -1}, R"({"fisher": false})"), 1.0);
}

TEST(SignalFeaturesTest, ZeroCrossingsCountSignChangesAndZeroBand) {
  EXPECT_EQ(One("signal_zero_crossings", {1, -1, 1, -1}), 3);
  // EEGDash counts entering and leaving the zero band (2), plus sign changes
  // with zeros taken as positive (0 -> -1): 3.
  EXPECT_EQ(One("signal_zero_crossings", {1, 0, 0, -1}), 3);
  EXPECT_EQ(One("signal_zero_crossings", {1, 0.5, 2, 3}), 0);
  // A sine of 4 periods over 400 samples, phase-shifted off the zeros.
  EXPECT_EQ(One("signal_zero_crossings", Sine(400, 0.01, 1.0, 0.3)), 8);
}

// For x = sin(wn), diff x = 2 sin(w/2) cos(...): mobility = 2 sin(w/2).
TEST(SignalFeaturesTest, HjorthOfASinusoid) {
  const double f = 1.0 / 50;  // 50 samples per period
  const std::vector<float> x = Sine(100001, f);
  EXPECT_NEAR(One("signal_hjorth_mobility", x), 2 * std::sin(std::numbers::pi * f), 1e-4);
  EXPECT_NEAR(One("signal_hjorth_complexity", x), 1.0, 1e-3);
}

// The autocorrelation of a sinusoid first turns negative a quarter period
// later: with 42 samples per period, at lag 11 (cos(2 pi 11 / 42) < 0).
TEST(SignalFeaturesTest, DecorrelationTimeOfASinusoidIsAQuarterPeriod) {
  const double fs = 200.0;
  EXPECT_DOUBLE_EQ(One("signal_decorrelation_time", Sine(420, 1.0 / 42, 1.0, 0.1), "{}", fs),
                   11.0 / fs);
}

// The FIR band-pass preprocessor keeps a 10 Hz sinusoid and removes 40 Hz.
TEST(SignalFeaturesTest, BandpassPreprocessorKeepsTheBand) {
  const double fs = 256.0;
  const int n = 1024;
  std::vector<float> x(2 * n);
  const std::vector<float> in_band = Sine(n, 10.0 / fs, 2.0), out_band = Sine(n, 40.0 / fs, 2.0);
  std::copy(in_band.begin(), in_band.end(), x.begin());
  std::copy(out_band.begin(), out_band.end(), x.begin() + n);
  auto t = Extract(GroupPipeline("signal_bandpass_filter_preprocessor",
                                 R"({"f_min": 8, "f_max": 12})", "signal_variance"),
                   InfoFor(fs, 2), x, 1, n);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_NEAR(ColumnValues(*t, "g_f_c0")[0], 2.0, 0.05);  // A^2 / 2
  EXPECT_LT(ColumnValues(*t, "g_f_c1")[0], 1e-2);         // < 0.5 % of its power
}

TEST(SignalFeaturesTest, ChannelsAreIndependentAndNamed) {
  std::vector<float> x = kRamp;
  for (float v : kRamp) x.push_back(2 * v);
  auto t = Extract(LeafPipeline("signal_mean"), InfoFor(100, 2), x, 1, 8);
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->columns, ::testing::ElementsAre("f_c0", "f_c1"));
  EXPECT_THAT(t->values, ::testing::ElementsAre(4.5, 9.0));
}

// An AM tone 1 + 0.5 cos(3 t) times a 40-period carrier on whole periods:
// the envelope is the modulation, whose mean is 1, range 1, and variance 1/8.
TEST(SignalEnvelopeTest, FeaturesOfAnAmTonesEnvelopeAreTheModulations) {
  const int n = 256;
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) {
    x[i] = static_cast<float>((1.0 + 0.5 * std::cos(2 * std::numbers::pi * 3 * i / n)) *
                              std::cos(2 * std::numbers::pi * 40 * i / n));
  }
  const std::string pipeline = R"({"features": [{"name": "env",
      "preprocessor": {"fn": "signal_envelope_preprocessor"},
      "features": [{"name": "mean", "fn": "signal_mean"},
                   {"name": "ptp", "fn": "signal_peak_to_peak"},
                   {"name": "var", "fn": "signal_variance"}]}]})";
  auto t = Extract(pipeline, InfoFor(256, 1), x, 1, n);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->columns, ::testing::ElementsAre("env_mean_c0", "env_ptp_c0", "env_var_c0"));
  // float32 input: its rounding (6e-8) is all that separates them.
  EXPECT_NEAR(ColumnValues(*t, "env_mean_c0")[0], 1.0, 1e-6);
  EXPECT_NEAR(ColumnValues(*t, "env_ptp_c0")[0], 1.0, 1e-6);
  EXPECT_NEAR(ColumnValues(*t, "env_var_c0")[0], 0.125, 1e-6);
}

// Each channel's envelope is its own: a channel of zeros has none, and
// another channel's tone does not leak into it.
TEST(SignalEnvelopeTest, ChannelsAreIndependent) {
  const int n = 128;
  std::vector<float> x = Sine(n, 8.0 / n, 3.0);
  x.resize(2 * n, 0.0f);
  auto t = Extract(GroupPipeline("signal_envelope_preprocessor", "{}", "signal_mean"),
                   InfoFor(128, 2), x, 1, n);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_NEAR(ColumnValues(*t, "g_f_c0")[0], 3.0, 1e-5);
  EXPECT_EQ(ColumnValues(*t, "g_f_c1")[0], 0.0);
}

// EEGDash: feature_predecessor() (a signal) in, SignalOutputType out. So it
// takes the windows, the band-pass filter or another envelope, and feeds
// signal features, the band-pass filter and the spectra; not phase
// differences (band-pass only), and it cannot follow a spectrum.
TEST(SignalEnvelopeTest, ParentsAndChildrenAreEegdashs) {
  const auto info = InfoFor(256, 2, 1.0, 100.0);
  EXPECT_TRUE(BuildTree(R"({"features": [{"name": "a",
      "preprocessor": {"fn": "signal_bandpass_filter_preprocessor", "params": {"f_min": 8, "f_max": 12}},
      "features": [{"name": "e", "preprocessor": {"fn": "signal_envelope_preprocessor"},
        "features": [
          {"name": "e2", "preprocessor": {"fn": "signal_envelope_preprocessor"},
           "features": [{"name": "m", "fn": "signal_mean"}]},
          {"name": "s", "preprocessor": {"fn": "spectral_preprocessor", "params": {"window_size_in_sec": 1.0}},
           "features": [{"name": "p", "fn": "spectral_root_total_power"}]},
          {"name": "b", "preprocessor": {"fn": "signal_bandpass_filter_preprocessor",
                                         "params": {"f_min": 1, "f_max": 4}},
           "features": [{"name": "v", "fn": "signal_variance"}]},
          {"name": "t", "fn": "connectivity_temporal_correlation"}]}]}]})",
                        info, 512)
                  .ok());
  EXPECT_THAT(BuildTree(R"({"features": [{"name": "s",
      "preprocessor": {"fn": "spectral_preprocessor", "params": {"window_size_in_sec": 1.0}},
      "features": [{"name": "e", "preprocessor": {"fn": "signal_envelope_preprocessor"},
                    "features": [{"name": "m", "fn": "signal_mean"}]}]}]})",
                        info, 512)
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("features.s.features.e.preprocessor"),
                             HasSubstr("signal_envelope_preprocessor cannot take the output of "
                                       "spectral_preprocessor"))));
  EXPECT_THAT(BuildTree(R"({"features": [{"name": "e",
      "preprocessor": {"fn": "signal_envelope_preprocessor"},
      "features": [{"name": "ph", "preprocessor": {"fn": "connectivity_phase_diff_preprocessor"},
                    "features": [{"name": "plv", "fn": "connectivity_phase_locking_value"}]}]}]})",
                        info, 512)
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("cannot take the output of signal_envelope_preprocessor"),
                             HasSubstr("signal_bandpass_filter_preprocessor"))));
}

// scipy's band [1, (n + 1) // 2) is empty for n < 3, where scipy raises; and
// EEGDash's function takes no parameter (x only).
TEST(SignalEnvelopeTest, NeedsThreeSamplesAndTakesNoParameters) {
  const std::string pipeline = GroupPipeline("signal_envelope_preprocessor", "{}", "signal_mean");
  EXPECT_THAT(BuildTree(pipeline, InfoFor(256, 1), 2).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("features.g.preprocessor"),
                             HasSubstr("at least 3 samples per window, got 2"))));
  EXPECT_TRUE(BuildTree(pipeline, InfoFor(256, 1), 3).ok());
  EXPECT_THAT(BuildTree(GroupPipeline("signal_envelope_preprocessor", R"({"squared": true})",
                                      "signal_mean"),
                        InfoFor(256, 1), 64)
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("features.g.preprocessor.params.squared"),
                             HasSubstr("unknown parameter (known: none)"))));
}

}  // namespace
}  // namespace neurofeat
