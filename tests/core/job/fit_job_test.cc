#include "core/job/fit_job.h"

#include <cmath>
#include <memory>
#include <random>

#include "core/features/csp.h"
#include "core/features/windows.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::IsOk;
using ::neurofeat::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kWindows = 40, kChannels = 3, kTimes = 64;

// Two classes: class 1 has channel 0 three times as strong. Windows are
// (windows, channels, times) float32.
std::shared_ptr<const Windows> PlantedWindows() {
  auto w = std::make_shared<Windows>();
  w->n_windows = kWindows;
  w->channels = kChannels;
  w->n_times = kTimes;
  w->data.resize(kWindows * kChannels * kTimes);
  std::mt19937 rng(11);
  std::normal_distribution<float> n;
  for (int64_t k = 0; k < kWindows; ++k) {
    for (int64_t c = 0; c < kChannels; ++c) {
      for (int64_t t = 0; t < kTimes; ++t) {
        w->data[(k * kChannels + c) * kTimes + t] = n(rng) * (c == 0 && k % 2 == 1 ? 3.0f : 1.0f);
      }
    }
  }
  return w;
}

FitSpec Spec() {
  FitSpec spec;
  spec.input.epochs = PlantedWindows();
  spec.input.signal.channels = {"Fz", "C3", "C4"};
  spec.input.held_bytes = kWindows * kChannels * kTimes * 4;
  for (int64_t k = 0; k < kWindows; ++k) spec.labels.push_back(k % 2);
  absl::StatusOr<JsonValue> p =
      ParseJson(R"({"features": [{"name": "csp", "fn": "CommonSpatialPattern"}]})");
  spec.pipeline = *p;
  return spec;
}

// The job fits what FitCsp fits on the same windows, and writes the model
// into the node's params.
TEST(FitJobTest, FitsTheTrainableNodeAsFitCspDoes) {
  FitSpec spec = Spec();
  const std::shared_ptr<const Windows> w = spec.input.epochs;
  const std::vector<int64_t> labels = spec.labels;
  auto job = FitJob::Create(std::move(spec));
  ASSERT_THAT(job, IsOk());
  EXPECT_EQ((*job)->windows(), kWindows);
  absl::StatusOr<FitResult> fitted = (*job)->Run();
  ASSERT_THAT(fitted, IsOk());
  ASSERT_EQ(fitted->report.size(), 1u);
  EXPECT_THAT(fitted->report[0], HasSubstr("features.csp: 3 filters"));
  absl::StatusOr<CspModel> direct =
      FitCsp(w->data.data(), kWindows, kChannels, kTimes, labels, {"Fz", "C3", "C4"});
  ASSERT_THAT(direct, IsOk());
  const JsonValue* model =
      fitted->pipeline.Find("features")->list()[0].Find("params")->Find("fitted");
  ASSERT_NE(model, nullptr);
  absl::StatusOr<CspModel> stored = CspModelFromJson(*model, "fitted", {"Fz", "C3", "C4"});
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->eigvals, direct->eigvals);
  EXPECT_EQ(stored->filters, direct->filters);
  // The planted channel dominates the most discriminative filter.
  EXPECT_GT(std::fabs(stored->filters[0][0]), 0.9);
}

// The estimate covers what the fit holds: the epochs held by the input, one
// centred window in float64 and the covariances, and no less.
TEST(FitJobTest, TheWorkingSetCoversTheEpochsAndTheFit) {
  FitSpec spec = Spec();
  const int64_t held = spec.input.held_bytes;
  auto job = FitJob::Create(std::move(spec));
  ASSERT_THAT(job, IsOk());
  EXPECT_GE((*job)->working_set_bytes(),
            held + kChannels * kTimes * 8 + 4 * kChannels * kChannels * 8);
  EXPECT_LE((*job)->working_set_bytes(), held + (int64_t{4} << 20));
}

TEST(FitJobTest, ContinuousTracesAndMiscountedLabelsAreRefused) {
  FitSpec traces = Spec();
  traces.input.epochs = nullptr;
  EXPECT_THAT(FitJob::Create(std::move(traces)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Fit takes labelled epochs")));
  FitSpec few = Spec();
  few.labels.pop_back();
  EXPECT_THAT(FitJob::Create(std::move(few)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("labels: 39 labels for 40")));
}

TEST(FitJobTest, CancelledBetweenWindows) {
  auto job = FitJob::Create(Spec());
  ASSERT_THAT(job, IsOk());
  (*job)->set_cancelled([] { return true; });
  EXPECT_THAT((*job)->Run().status(), StatusIs(absl::StatusCode::kCancelled));
}

TEST(FitJobTest, APipelineWithoutTrainableNodesFitsNothing) {
  FitSpec spec = Spec();
  spec.pipeline = *ParseJson(R"({"features": [{"name": "v", "fn": "signal_variance"}]})");
  auto job = FitJob::Create(std::move(spec));
  ASSERT_THAT(job, IsOk());
  EXPECT_THAT((*job)->Run().status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no trainable node")));
}

}  // namespace
}  // namespace neurofeat
