#include "core/features/windows.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::StatusIs;

Traces Ramp(int64_t frames, int64_t channels) {
  Traces t = Traces::Uninitialized(SampleType::kFloat32, frames, channels);
  for (int64_t f = 0; f < frames; ++f) {
    for (int64_t c = 0; c < channels; ++c) t.row<float>(f)[c] = static_cast<float>(100 * c + f);
  }
  return t;
}

TEST(WindowsTest, CutsChannelMajorWindowsWithStride) {
  auto w = CutWindows(Ramp(10, 2), {4, 3, true});
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->n_windows, 3);  // starts 0, 3, 6
  EXPECT_THAT(w->start_sample, ::testing::ElementsAre(0, 3, 6));
  const float* second = w->window(1);
  EXPECT_THAT(std::vector<float>(second, second + 8),
              ::testing::ElementsAre(3, 4, 5, 6, 103, 104, 105, 106));
}

TEST(WindowsTest, KeepingTheLastWindowAlignsItToTheEnd) {
  auto w = CutWindows(Ramp(10, 1), {4, 4, false});
  ASSERT_TRUE(w.ok());
  EXPECT_THAT(w->start_sample, ::testing::ElementsAre(0, 4, 6));
  auto dropped = CutWindows(Ramp(10, 1), {4, 4, true});
  EXPECT_THAT(dropped->start_sample, ::testing::ElementsAre(0, 4));
}

TEST(WindowsTest, Errors) {
  EXPECT_THAT(CutWindows(Ramp(10, 1), {20, 20, true}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("window.size_samples: 20 samples is longer")));
  EXPECT_THAT(CutWindows(Ramp(10, 1), {0, 0, true}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("size_samples")));
  const float bad[] = {1.0f, std::nanf(""), 2.0f, 3.0f};
  EXPECT_THAT(WindowsFromEpochs(SampleType::kFloat32, bad, 1, 2, 2).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("window 0, channel 0, time 1 is not finite")));
}

}  // namespace
}  // namespace neurofeat
