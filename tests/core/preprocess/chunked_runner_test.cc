#include "core/preprocess/chunked_runner.h"

#include <limits>

#include "core/source/in_memory_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::StatusIs;
using P = std::pair<int64_t, int64_t>;

TEST(ChunkedRunnerTest, GridIsSpikeInterfaces) {
  EXPECT_THAT(ChunkGrid(0, 60000, 30000), ::testing::ElementsAre(P{0, 30000}, P{30000, 60000}));
  EXPECT_THAT(ChunkGrid(0, 20000, 7000),
              ::testing::ElementsAre(P{0, 7000}, P{7000, 14000}, P{14000, 20000}));
  EXPECT_THAT(ChunkGrid(5, 6, 100), ::testing::ElementsAre(P{5, 6}));
  EXPECT_THAT(ChunkGrid(5, 5, 100), ::testing::ElementsAre());
}

TEST(ChunkedRunnerTest, GridsOfLongRecordingsAreComputedNotStored) {
  const int64_t frames = int64_t{1} << 53;
  const ChunkGrid ones(0, frames, 1);
  EXPECT_EQ(ones.size(), frames);
  EXPECT_EQ(ones[frames - 1], (P{frames - 1, frames}));
  // A chunk longer than what is left never runs past the end or overflows.
  const ChunkGrid huge(7, frames, std::numeric_limits<int64_t>::max());
  EXPECT_THAT(huge, ::testing::ElementsAre(P{7, frames}));
}

TEST(ChunkedRunnerTest, SinkSeesChunksInOrderAndProgressReachesTotal) {
  InMemorySource src(Traces::Zeros(SampleType::kFloat32, 1000, 2),
                     {1000, DefaultChannelIds(2), {}});
  ChunkOptions o;
  o.chunk_frames = 300;
  std::vector<int64_t> firsts;
  int64_t last_done = 0;
  o.progress = [&](int64_t done, int64_t total) {
    last_done = done;
    EXPECT_EQ(total, 900);
  };
  ASSERT_TRUE(RunChunked(src, o, 100, 1000, [&](int64_t first, const Traces& t) {
                firsts.push_back(first);
                EXPECT_LE(t.frames(), 300);
                return absl::OkStatus();
              }).ok());
  EXPECT_THAT(firsts, ::testing::ElementsAre(100, 400, 700));
  EXPECT_EQ(last_done, 900);
}

TEST(ChunkedRunnerTest, StopsOnCancelAndOnSinkError) {
  InMemorySource src(Traces::Zeros(SampleType::kFloat32, 1000, 2),
                     {1000, DefaultChannelIds(2), {}});
  ChunkOptions o;
  o.chunk_frames = 100;
  int calls = 0;
  o.cancelled = [&] { return calls >= 2; };
  EXPECT_THAT(RunChunked(src, o, 0, 1000,
                         [&](int64_t, const Traces&) {
                           ++calls;
                           return absl::OkStatus();
                         }),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(calls, 2);
  o.cancelled = nullptr;
  EXPECT_THAT(RunChunked(src, o, 0, 1000,
                         [&](int64_t, const Traces&) { return absl::DataLossError("disk full"); }),
              StatusIs(absl::StatusCode::kDataLoss));
  o.chunk_frames = 0;
  EXPECT_THAT(RunChunked(src, o, 0, 1000, [&](int64_t, const Traces&) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  o.chunk_frames = 10;
  EXPECT_THAT(RunChunked(src, o, 0, 1001, [&](int64_t, const Traces&) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kOutOfRange));
}

}  // namespace
}  // namespace neurofeat
