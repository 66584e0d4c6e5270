// preprocessor_as_feature: a signal parent's samples as columns, their names
// and order, and the parents EEGDash refuses.
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// On the windows: the samples themselves, "<name>_<sample>_<channel>",
// sample-major (EEGDash's order for a feature with one value per key and
// channel), for every window.
TEST(PreprocessorAsFeatureTest, TheWindowsSamplesByNameAndOrder) {
  // 2 windows x 2 channels x 3 samples.
  const std::vector<float> x = {1, 2, 3, 10, 20, 30, -1, -2, -3.5f, 0.25f, 0, 7};
  auto t = Extract(LeafPipeline("preprocessor_as_feature"), InfoFor(100, 2), x, 2, 3);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->columns, ElementsAre("f_0_c0", "f_0_c1", "f_1_c0", "f_1_c1", "f_2_c0", "f_2_c1"));
  EXPECT_THAT(ColumnValues(*t, "f_0_c0"), ElementsAre(1.0, -1.0));
  EXPECT_THAT(ColumnValues(*t, "f_2_c1"), ElementsAre(30.0, 7.0));
  EXPECT_THAT(ColumnValues(*t, "f_2_c0"), ElementsAre(3.0, -3.5));
}

// Under a preprocessor: that preprocessor's output. The envelope of a tone
// on whole periods is its amplitude at every sample.
TEST(PreprocessorAsFeatureTest, TheEnvelopesSamples) {
  const int n = 32;
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i)
    x[i] = static_cast<float>(2.0 * std::sin(2 * std::numbers::pi * 4 * i / n));
  auto t = Extract(GroupPipeline("signal_envelope_preprocessor", "{}", "preprocessor_as_feature"),
                   InfoFor(64, 1), x, 1, n);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->columns.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(t->columns[i], absl::StrCat("g_f_", i, "_c0"));
    EXPECT_NEAR(t->values[i], 2.0, 1e-6) << i;
  }
}

// EEGDash takes it under a signal (its default parent type) only: a
// spectrum is a tuple (frequencies, power), which it refuses.
TEST(PreprocessorAsFeatureTest, RefusesNonSignalParents) {
  const auto info = InfoFor(256, 2, 1.0, 100.0);
  EXPECT_THAT(BuildTree(GroupPipeline("spectral_preprocessor", R"({"window_size_in_sec": 1.0})",
                                      "preprocessor_as_feature"),
                        info, 512)
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("features.g.f"),
                             HasSubstr("preprocessor_as_feature cannot take the output of "
                                       "spectral_preprocessor"))));
  EXPECT_TRUE(BuildTree(GroupPipeline("signal_bandpass_filter_preprocessor",
                                      R"({"f_min": 8, "f_max": 12})", "preprocessor_as_feature"),
                        info, 512)
                  .ok());
  EXPECT_THAT(BuildTree(LeafPipeline("preprocessor_as_feature", R"({"x": 1})"), info, 512).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("params.x: unknown parameter (known: none)")));
}

// Its columns are channels x samples; the bound on a table's width holds.
TEST(PreprocessorAsFeatureTest, WidthIsBounded) {
  const auto info = InfoFor(256, 64);
  EXPECT_THAT(BuildTree(LeafPipeline("preprocessor_as_feature"), info, int64_t{1} << 16).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("would make 4194304 columns (64 channels x 65536 samples)")));
}

}  // namespace
}  // namespace neurofeat
