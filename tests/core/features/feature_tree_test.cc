// Building trees: names, sharing of preprocessors, and every kind of bad
// tree giving an error that names the feature path and the value.
#include "core/features/feature_tree.h"

#include <cmath>
#include <numbers>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/feature_testing.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::BuildTree;
using ::neurofeat::testing::Extract;
using ::neurofeat::testing::InfoFor;
using ::neurofeat::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

absl::Status BuildError(const std::string& json, int64_t n_times = 256, double fs = 128.0) {
  return BuildTree(json, InfoFor(fs, 2, 1.0, 40.0), n_times).status();
}

TEST(FeatureTreeTest, ColumnsFollowTheTreeAndEegdashNaming) {
  auto tree = BuildTree(R"({"features": [
      {"name": "var", "fn": "signal_variance"},
      {"name": "spec", "preprocessor": {"fn": "spectral_preprocessor", "params": {"window_size_in_sec": 1.0}},
       "features": [{"name": "bp", "fn": "spectral_bands_power",
                     "params": {"bands": [{"name": "alpha", "lo": 8, "hi": 12}, {"name": "beta", "lo": 12, "hi": 30}]}},
                    {"name": "db", "preprocessor": {"fn": "spectral_db_preprocessor"},
                     "features": [{"name": "slope", "fn": "spectral_slope"}]}]},
      {"name": "conn", "features": [{"name": "tc", "fn": "connectivity_temporal_correlation"}]}]})",
                        InfoFor(128, 2, 1.0, 40.0), 256);
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_THAT(tree->columns(),
              ::testing::ElementsAre("var_c0", "var_c1", "spec_bp_alpha_c0", "spec_bp_alpha_c1",
                                     "spec_bp_beta_c0", "spec_bp_beta_c1", "spec_db_slope_exp_c0",
                                     "spec_db_slope_exp_c1", "spec_db_slope_int_c0",
                                     "spec_db_slope_int_c1", "conn_tc_c0<>c1"));
}

// The Welch spectrum is computed once per window for all its children.
TEST(FeatureTreeTest, PreprocessorRunsOncePerWindowForAllChildren) {
  const int n_windows = 5, n = 256;
  std::vector<float> x(n_windows * 2 * n);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(std::sin(0.1 * i) + 0.01 * (i % 7));
  auto t = Extract(R"({"features": [{"name": "spec",
      "preprocessor": {"fn": "spectral_preprocessor", "params": {"window_size_in_sec": 1.0}},
      "features": [{"name": "a", "fn": "spectral_bands_power"}, {"name": "b", "fn": "spectral_peak_frequency"},
                   {"name": "c", "fn": "spectral_root_total_power"}, {"name": "d", "fn": "spectral_hjorth_activity"},
                   {"name": "e", "fn": "connectivity_spectral_correlation"}]}]})",
                   InfoFor(128, 2, 1.0, 40.0), x, n_windows, n);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->stats.preprocessor_runs, n_windows);
  EXPECT_EQ(t->stats.leaf_runs, 5 * n_windows);
}

TEST(FeatureTreeTest, UnknownFeatureName) {
  EXPECT_THAT(BuildError(R"({"features": [{"name": "x", "fn": "signal_varience"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("features.x.fn"), HasSubstr("signal_varience"))));
  EXPECT_THAT(BuildError(R"({"features": [{"name": "g", "preprocessor": {"fn": "welch"},
                                           "features": [{"name": "x", "fn": "signal_mean"}]}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("features.g.preprocessor.fn"), HasSubstr("\"welch\""))));
}

TEST(FeatureTreeTest, UnknownParameter) {
  EXPECT_THAT(
      BuildError(
          R"({"features": [{"name": "q", "fn": "signal_quantile", "params": {"qq": 0.5}}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("features.q.params.qq"), HasSubstr("unknown parameter"),
                     HasSubstr("known: q"))));
}

TEST(FeatureTreeTest, IllTypedParameters) {
  EXPECT_THAT(
      BuildError(
          R"({"features": [{"name": "q", "fn": "signal_quantile", "params": {"q": "half"}}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("features.q.params.q"), HasSubstr("\"half\""))));
  EXPECT_THAT(
      BuildError(
          R"({"features": [{"name": "v", "fn": "signal_variance", "params": {"ddof": 0.5}}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("features.v.params.ddof"), HasSubstr("integer"), HasSubstr("0.5"))));
  EXPECT_THAT(
      BuildError(R"({"features": [{"name": "q", "fn": "signal_quantile", "params": {"q": 1.5}}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("features.q.params.q"), HasSubstr("1.5"))));
  // EEGDash's dict form of bands has no order; we ask for the list form.
  EXPECT_THAT(
      BuildError(R"({"features": [{"name": "s", "preprocessor": {"fn": "spectral_preprocessor"},
      "features": [{"name": "bp", "fn": "spectral_bands_power", "params": {"bands": {"alpha": [8, 12]}}}]}]})",
                 1024),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("features.s.features.bp.params.bands"), HasSubstr("a list"))));
}

TEST(FeatureTreeTest, BandOutsideTheSpectrum) {
  EXPECT_THAT(
      BuildError(R"({"features": [{"name": "s",
      "preprocessor": {"fn": "spectral_preprocessor", "params": {"window_size_in_sec": 1.0}},
      "features": [{"name": "bp", "fn": "spectral_bands_power",
                    "params": {"bands": [{"name": "gamma", "lo": 30, "hi": 45}]}}]}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("features.s.features.bp.params.bands"), HasSubstr("\"gamma\""),
                     HasSubstr("[30, 45)"), HasSubstr("[1, 40] Hz"))));
}

TEST(FeatureTreeTest, WelchSegmentLongerThanTheWindow) {
  // The default 4 s segment at 128 Hz is 512 samples; the windows have 256.
  EXPECT_THAT(
      BuildError(R"({"features": [{"name": "s", "preprocessor": {"fn": "spectral_preprocessor"},
      "features": [{"name": "p", "fn": "spectral_peak_frequency"}]}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("features.s.preprocessor"), HasSubstr("nperseg 512"),
                     HasSubstr("256 samples"))));
}

TEST(FeatureTreeTest, HighpassBelowTheResolvableFrequency) {
  EXPECT_THAT(BuildTree(R"({"features": [{"name": "s",
      "preprocessor": {"fn": "spectral_preprocessor", "params": {"window_size_in_sec": 1.0}},
      "features": [{"name": "p", "fn": "spectral_peak_frequency"}]}]})",
                        InfoFor(128, 1, 0.1, 40.0), 256)
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("features.s.preprocessor.params.f_min"), HasSubstr("0.1 Hz"),
                             HasSubstr("highpass"))));
}

TEST(FeatureTreeTest, TooFewSamplesForEntropyAndFractals) {
  EXPECT_THAT(
      BuildError(
          R"({"features": [{"name": "e", "preprocessor": {"fn": "complexity_entropy_preprocessor"},
      "features": [{"name": "s", "fn": "complexity_sample_entropy"}]}]})",
          3),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("features.e.preprocessor"), HasSubstr("too few samples"),
                     HasSubstr("windows of 3 samples"))));
  // At stride 16, 30 samples give one vector of dimension 3.
  EXPECT_THAT(
      BuildError(R"({"features": [{"name": "mse", "fn": "complexity_multiscale_entropy"}]})", 30),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("features.mse"), HasSubstr("too few samples"))));
  EXPECT_THAT(
      BuildError(R"({"features": [{"name": "h", "fn": "dimensionality_higuchi_fractal_dim"}]})",
                 12),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("features.h"), HasSubstr("Higuchi"), HasSubstr("12 samples"))));
  EXPECT_THAT(BuildError(R"({"features": [{"name": "h", "fn": "complexity_hurst_exp"}]})", 16),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("features.h"), HasSubstr("Hurst"))));
  EXPECT_THAT(
      BuildError(
          R"({"features": [{"name": "d", "fn": "complexity_detrended_fluctuation_analysis"}]})", 8),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("features.d"), HasSubstr("detrended fluctuation"))));
  EXPECT_THAT(BuildError(R"({"features": [{"name": "s", "fn": "complexity_svd_entropy"}]})", 12),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("features.s"), HasSubstr("SVD entropy"))));
}

TEST(FeatureTreeTest, IncompatibleParentAndChild) {
  // spectral_moment needs the normalised spectrum.
  EXPECT_THAT(BuildError(R"({"features": [{"name": "s",
      "preprocessor": {"fn": "spectral_preprocessor", "params": {"window_size_in_sec": 1.0}},
      "features": [{"name": "m", "fn": "spectral_moment"}]}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("features.s.features.m"), HasSubstr("spectral_moment"),
                             HasSubstr("cannot take the output of spectral_preprocessor"),
                             HasSubstr("spectral_normalized_preprocessor"))));
  // A spectral feature on the raw windows.
  EXPECT_THAT(BuildError(R"({"features": [{"name": "p", "fn": "spectral_peak_frequency"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("features.p"), HasSubstr("the windows"))));
  // Phase differences need the band-pass preprocessor.
  EXPECT_THAT(
      BuildError(
          R"({"features": [{"name": "ph", "preprocessor": {"fn": "connectivity_phase_diff_preprocessor"},
      "features": [{"name": "plv", "fn": "connectivity_phase_locking_value"}]}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("features.ph.preprocessor"),
                     HasSubstr("signal_bandpass_filter_preprocessor"))));
}

TEST(FeatureTreeTest, MalformedNodes) {
  EXPECT_THAT(
      BuildError(R"({"features": [{"fn": "signal_mean"}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("features[0].name: required")));
  EXPECT_THAT(
      BuildError(
          R"({"features": [{"name": "a", "fn": "signal_mean"}, {"name": "a", "fn": "signal_std"}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"a\" appears twice")));
  EXPECT_THAT(BuildError(R"({"features": [{"name": "g"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("features.g: needs fn")));
  EXPECT_THAT(BuildError(R"({"features": [{"name": "g", "fn": "spectral_preprocessor"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is a preprocessor")));
  EXPECT_THAT(BuildError(R"({"features": []})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no features")));
  EXPECT_THAT(BuildError(R"({"features": [{"name": "t", "fn": "connectivity_temporal_correlation",
                                           "params": {"pairs": [["c0", "O9"]]}}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("features.t.params.pairs"), HasSubstr("\"O9\""))));
}

}  // namespace
}  // namespace neurofeat
