#include "core/features/windows.h"

#include <cmath>

#include "core/io/npy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::StatusIs;

TEST(WindowsTest, StartsEveryStrideWhileAWindowFits) {
  EXPECT_THAT(*WindowStarts(10, {4, 3, true}), ::testing::ElementsAre(0, 3, 6));
  EXPECT_THAT(*WindowStarts(10, {4, 0, true}), ::testing::ElementsAre(0, 4));  // stride = size
}

TEST(WindowsTest, KeepingTheLastWindowAlignsItToTheEnd) {
  EXPECT_THAT(*WindowStarts(10, {4, 4, false}), ::testing::ElementsAre(0, 4, 6));
  EXPECT_THAT(*WindowStarts(8, {4, 4, false}), ::testing::ElementsAre(0, 4));  // nothing left over
}

TEST(WindowsTest, GridsOfLongRecordingsAreComputedNotStored) {
  // A one-sample stride over 10^15 frames: a vector of starts would be 8 PB.
  const int64_t frames = 1000000000000000;
  absl::StatusOr<WindowGrid> grid = WindowStarts(frames, {4, 1, false});
  ASSERT_TRUE(grid.ok());
  EXPECT_EQ(grid->size(), frames - 3);
  EXPECT_EQ((*grid)[grid->size() - 1], frames - 4);
  // 10^15 + 1 frames: the stride-3 grid leaves one frame, so a last window
  // is aligned to the end.
  absl::StatusOr<WindowGrid> sparse = WindowStarts(frames + 1, {4, 3, false});
  ASSERT_TRUE(sparse.ok());
  EXPECT_EQ(sparse->size(), (frames + 1 - 4) / 3 + 2);
  EXPECT_EQ((*sparse)[sparse->size() - 2], frames - 4);
  EXPECT_EQ((*sparse)[sparse->size() - 1], frames + 1 - 4);
  EXPECT_THAT(WindowGrid::Epochs(3, 5), ::testing::ElementsAre(0, 5, 10));
}

TEST(WindowsTest, Errors) {
  EXPECT_THAT(WindowStarts(10, {20, 20, true}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("window.size_samples: 20 samples is longer")));
  EXPECT_THAT(WindowStarts(10, {0, 0, true}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("size_samples")));
  EXPECT_THAT(WindowStarts(10, {2, -1, true}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("stride_samples")));
  const float bad[] = {1.0f, std::nanf(""), 2.0f, 3.0f};
  EXPECT_THAT(WindowsFromEpochs(SampleType::kFloat32, bad, 1, 2, 2).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("window 0, channel 0, time 1 is not finite")));
}

TEST(WindowsTest, EpochsFilesAreReadABlockAtATime) {
  testing::TempDir dir;
  Traces t = Traces::Uninitialized(SampleType::kInt16, 6, 4);  // stands for (3, 2, 4) epochs
  for (int64_t i = 0; i < t.size(); ++i) t.data<int16_t>()[i] = static_cast<int16_t>(i);
  auto writer = NpyWriter::Create(dir.File("e.npy"), NpyDtype::kInt16, {3, 2, 4});
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->AppendBytes(t.bytes(), t.size_bytes()).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  auto f = OpenEpochsFile(dir.File("e.npy"));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->n_windows, 3);
  auto w = ReadEpochs(*f, 1, 2);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->n_windows, 2);
  EXPECT_THAT(w->start_sample, ::testing::ElementsAre(4, 8));
  EXPECT_EQ(w->window(1)[0], 16.0f);
  EXPECT_THAT(OpenEpochsFile(dir.File("missing.npy")).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace neurofeat
