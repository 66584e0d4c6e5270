#include "core/job/preprocess_job.h"

#include <memory>
#include <random>

#include "core/exec/compute_arena.h"
#include "core/source/in_memory_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::IsOk;
using ::neurofeat::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kFrames = 10000, kChannels = 4;

RecordingInput Input() {
  Traces t = Traces::Uninitialized(SampleType::kInt16, kFrames, kChannels);
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> d(-2000, 2000);
  for (int64_t i = 0; i < t.size(); ++i) t.data<int16_t>()[i] = static_cast<int16_t>(d(rng));
  RecordingInfo info;
  info.sampling_rate_hz = 1000;
  info.channel_ids = DefaultChannelIds(kChannels);
  RecordingInput in;
  in.source = std::make_shared<InMemorySource>(std::move(t), info);
  in.signal.fs = 1000;
  in.signal.channels = info.channel_ids;
  in.frame_bytes = kChannels * 2;
  return in;
}

// With an empty chain the job's chunks are the recording's frames, in
// order, on the chunk grid of the range.
TEST(PreprocessJobTest, AnEmptyChainGivesTheFramesOnTheChunkGrid) {
  InitComputeArena(2);
  PreprocessSpec spec;
  spec.input = Input();
  const std::shared_ptr<const TraceSource> source = spec.input.source;
  spec.start_frame = 1500;
  spec.end_frame = 7300;
  spec.chunk_frames = 1000;
  auto job = PreprocessJob::Create(std::move(spec));
  ASSERT_THAT(job, IsOk());
  EXPECT_EQ((*job)->total_frames(), 5800);
  EXPECT_EQ((*job)->output_type(), SampleType::kInt16);  // int16 in, int16 out
  absl::StatusOr<Traces> all = source->GetTraces(1500, 7300);
  ASSERT_THAT(all, IsOk());
  int64_t next = 1500;
  while (true) {
    absl::StatusOr<std::optional<TraceChunk>> c = (*job)->NextChunk();
    ASSERT_THAT(c, IsOk());
    if (!c->has_value()) break;
    ASSERT_EQ((*c)->first_frame, next);
    const Traces& t = (*c)->traces;
    for (int64_t f = 0; f < t.frames(); ++f) {
      for (int64_t ch = 0; ch < kChannels; ++ch) {
        ASSERT_EQ(t.row<int16_t>(f)[ch], all->row<int16_t>(next - 1500 + f)[ch]);
      }
    }
    next += t.frames();
  }
  EXPECT_EQ(next, 7300);
}

// The estimate grows with the chunks in flight by one chunk's bytes.
TEST(PreprocessJobTest, TheWorkingSetCountsTheChunksInFlight) {
  PreprocessSpec spec;
  spec.input = Input();
  spec.chunk_frames = 1000;
  auto job = PreprocessJob::Create(std::move(spec));
  ASSERT_THAT(job, IsOk());
  EXPECT_EQ((*job)->chunk_bytes(), 1000 * kChannels * 2);
  EXPECT_EQ((*job)->WorkingSetBytes(3) - (*job)->WorkingSetBytes(1), 2 * (*job)->chunk_bytes());
  EXPECT_GE((*job)->WorkingSetBytes(1), (*job)->chunk_bytes());
}

TEST(PreprocessJobTest, RangesAndCancellation) {
  PreprocessSpec bad;
  bad.input = Input();
  bad.start_frame = 9000;
  bad.end_frame = 8000;
  EXPECT_THAT(PreprocessJob::Create(std::move(bad)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  PreprocessSpec spec;
  spec.input = Input();
  auto job = PreprocessJob::Create(std::move(spec));
  ASSERT_THAT(job, IsOk());
  (*job)->set_cancelled([] { return true; });
  EXPECT_THAT((*job)->NextChunk().status(), StatusIs(absl::StatusCode::kCancelled));
}

}  // namespace
}  // namespace neurofeat
