#include "core/job/extraction_job.h"

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/exec/compute_arena.h"
#include "core/features/windows.h"
#include "core/source/in_memory_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::IsOk;
using ::neurofeat::testing::StatusIs;
using ::testing::HasSubstr;

constexpr double kFs = 128;
constexpr int64_t kFrames = 128 * 20;  // 20 s
constexpr int64_t kChannels = 3;

// Gaussian noise, fixed seed: (frames, channels) float32.
RecordingInput NoiseInput(uint32_t seed = 7) {
  Traces t = Traces::Uninitialized(SampleType::kFloat32, kFrames, kChannels);
  std::mt19937 rng(seed);
  std::normal_distribution<float> n;
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = n(rng);
  RecordingInfo info;
  info.sampling_rate_hz = kFs;
  info.channel_ids = {"a", "b", "c"};
  RecordingInput in;
  in.source = std::make_shared<InMemorySource>(std::move(t), info);
  in.signal.fs = kFs;
  in.signal.channels = info.channel_ids;
  in.frame_bytes = kChannels * 4;
  return in;
}

PipelineSpec Pipeline(bool bandpass, std::optional<WindowSpec> window) {
  PipelineSpec p;
  if (bandpass) {
    ButterworthOptions b;
    b.freq_min_hz = 1;
    b.freq_max_hz = 30;
    b.filter_order = 4;
    p.chain.steps.push_back({"preprocess[0].bandpass", b});
  }
  p.window = window;
  for (const char* fn : {"signal_variance", "signal_line_length", "signal_mean"}) {
    FeatureNodeSpec leaf;
    leaf.name = fn;
    leaf.fn = fn;
    p.features.push_back(leaf);
  }
  return p;
}

struct JobRun {
  FeatureTable table;
  EvalStats stats;
};

absl::StatusOr<JobRun> RunJob(ExtractionSpec spec) {
  absl::StatusOr<std::unique_ptr<ExtractionJob>> job;
  absl::Status status;
  JobRun run;
  RunInArena([&] {
    job = ExtractionJob::Create(std::move(spec), {});
    if (!job.ok()) return;
    while (true) {
      absl::StatusOr<std::optional<FeatureTable>> block = (*job)->NextBlock();
      if (!block.ok()) {
        status = block.status();
        return;
      }
      if (!block->has_value()) break;
      AppendRows(**block, &run.table);
    }
    run.stats = (*job)->stats();
  });
  if (!job.ok()) return job.status();
  if (!status.ok()) return status;
  return run;
}

ExtractionSpec Spec(bool bandpass, std::optional<WindowSpec> window,
                    std::vector<int64_t> starts = {}, int64_t window_frames = 0,
                    int64_t chunk_frames = 0) {
  ExtractionSpec spec;
  spec.input = NoiseInput();
  spec.pipeline = Pipeline(bandpass, window);
  spec.window_starts = std::move(starts);
  spec.window_frames = window_frames;
  spec.chunk_frames = chunk_frames;
  return spec;
}

// Row `r` of `t`, as bits (so -0.0 and NaN compare exactly).
std::string RowBits(const FeatureTable& t, int64_t r) {
  const size_t n = t.columns.size();
  return std::string(reinterpret_cast<const char*>(t.values.data() + r * n), n * sizeof(double));
}

std::vector<int64_t> Grid(const WindowSpec& w) {
  absl::StatusOr<WindowGrid> grid = WindowStarts(kFrames, w);
  EXPECT_THAT(grid, IsOk());
  return std::vector<int64_t>(grid->begin(), grid->end());
}

TEST(ExtractionJobTest, StartsOnTheRegularGridGiveTheRegularTable) {
  struct Case {
    const char* what;
    bool bandpass;
    WindowSpec window;
  };
  const Case kCases[] = {
      {"no chain, back to back", false, {256, 256, true}},
      {"bandpass, overlapping", true, {256, 96, true}},
      // The last window ends at the recording's end (braindecode's).
      {"bandpass, the extra last window", true, {300, 256, false}},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.what);
    const std::vector<int64_t> starts = Grid(c.window);
    absl::StatusOr<JobRun> regular = RunJob(Spec(c.bandpass, c.window));
    ASSERT_THAT(regular, IsOk());
    // The starts alone (the pipeline's size), and with window_frames.
    absl::StatusOr<JobRun> explicit_starts = RunJob(Spec(c.bandpass, c.window, starts));
    ASSERT_THAT(explicit_starts, IsOk());
    absl::StatusOr<JobRun> with_frames =
        RunJob(Spec(c.bandpass, std::nullopt, starts, c.window.size));
    ASSERT_THAT(with_frames, IsOk());
    const FeatureTable& want = regular->table;
    ASSERT_EQ(want.rows, static_cast<int64_t>(starts.size()));
    EXPECT_EQ(want.start_sample, starts);
    for (const FeatureTable* got : {&explicit_starts->table, &with_frames->table}) {
      EXPECT_EQ(got->columns, want.columns);
      ASSERT_EQ(got->rows, want.rows);
      EXPECT_EQ(got->start_sample, want.start_sample);
      EXPECT_EQ(got->window_index, want.window_index);
      for (int64_t r = 0; r < want.rows; ++r) {
        ASSERT_EQ(RowBits(*got, r), RowBits(want, r)) << "row " << r;
      }
    }
  }
}

TEST(ExtractionJobTest, SparseStartsGiveTheRowsOfTheSameWindows) {
  const WindowSpec window{256, 64, true};
  const std::vector<int64_t> grid = Grid(window);
  ASSERT_EQ(grid.size(), 37u);  // (2560 - 256) / 64 + 1
  absl::StatusOr<JobRun> regular = RunJob(Spec(true, window, {}, 0, 128));
  ASSERT_THAT(regular, IsOk());
  // Windows at 0 s, 10 s and 18 s: far apart.
  const std::vector<int64_t> picks = {0, 20, 36};
  std::vector<int64_t> starts;
  for (int64_t k : picks) starts.push_back(grid[static_cast<size_t>(k)]);
  ASSERT_EQ(starts, (std::vector<int64_t>{0, 1280, 2304}));
  absl::StatusOr<JobRun> sparse = RunJob(Spec(true, window, starts, 0, 128));
  ASSERT_THAT(sparse, IsOk());
  ASSERT_EQ(sparse->table.rows, 3);
  EXPECT_EQ(sparse->table.start_sample, starts);
  EXPECT_EQ(sparse->table.window_index, (std::vector<int64_t>{0, 1, 2}));
  for (size_t i = 0; i < picks.size(); ++i) {
    EXPECT_EQ(RowBits(sparse->table, static_cast<int64_t>(i)), RowBits(regular->table, picks[i]))
        << "window at " << starts[i];
  }
  // Each window reads only the two 128-frame chunks it covers; the
  // regular run reads all 20.
  EXPECT_EQ(regular->stats.chunks_read, 20);
  EXPECT_EQ(sparse->stats.chunks_read, 6);
}

// Overlapping trials can put two windows at one start (event_windows.h).
TEST(ExtractionJobTest, ARepeatedStartRepeatsTheRow) {
  const WindowSpec window{256, 256, true};
  absl::StatusOr<JobRun> regular = RunJob(Spec(true, window, {}, 0, 128));
  ASSERT_THAT(regular, IsOk());
  absl::StatusOr<JobRun> repeated = RunJob(Spec(true, window, {256, 256, 512}, 0, 128));
  ASSERT_THAT(repeated, IsOk());
  ASSERT_EQ(repeated->table.rows, 3);
  EXPECT_EQ(repeated->table.start_sample, (std::vector<int64_t>{256, 256, 512}));
  EXPECT_EQ(RowBits(repeated->table, 0), RowBits(regular->table, 1));
  EXPECT_EQ(RowBits(repeated->table, 1), RowBits(regular->table, 1));
  EXPECT_EQ(RowBits(repeated->table, 2), RowBits(regular->table, 2));
}

// The comparisons above are sensitive to the chunk grid: a bandpass run on
// another grid gives other values.
TEST(ExtractionJobTest, TheChunkGridShowsInBandpassedValues) {
  const WindowSpec window{256, 256, true};
  absl::StatusOr<JobRun> a = RunJob(Spec(true, window, {}, 0, 128));
  absl::StatusOr<JobRun> b = RunJob(Spec(true, window, {}, 0, 100));
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_EQ(a->table.rows, b->table.rows);
  bool differ = false;
  for (int64_t r = 0; r < a->table.rows; ++r)
    differ = differ || RowBits(a->table, r) != RowBits(b->table, r);
  EXPECT_TRUE(differ);
}

TEST(ExtractionJobTest, WindowFramesSetsTheLength) {
  absl::StatusOr<std::unique_ptr<ExtractionJob>> job =
      ExtractionJob::Create(Spec(false, WindowSpec{256, 256, true}, {10, 500, 900}, 128), {});
  ASSERT_THAT(job, IsOk());
  EXPECT_EQ((*job)->window_samples(), 128);
  EXPECT_EQ((*job)->total_windows(), 3);
}

TEST(ExtractionJobTest, WindowStartsErrors) {
  struct Case {
    const char* what;
    ExtractionSpec spec;
    const char* message;
  };
  const std::optional<WindowSpec> w = WindowSpec{256, 256, true};
  std::vector<Case> cases;
  cases.push_back({"descending", Spec(false, w, {0, 200, 100}),
                   "window_starts[2]: 100 is before the previous start 200 (starts must ascend)"});
  cases.push_back({"past the end", Spec(false, w, {0, 2400}),
                   "window_starts[1]: 2400 + 256 frames ends past the recording (2560 frames)"});
  cases.push_back({"past the end by window_frames", Spec(false, w, {0, 2000}, 600),
                   "window_starts[1]: 2000 + 600 frames ends past the recording"});
  cases.push_back(
      {"before the start", Spec(false, w, {-1, 10}), "window_starts[0]: -1 starts before"});
  cases.push_back({"no length", Spec(false, std::nullopt, {0, 10}),
                   "window_frames: windows at window_starts need a length"});
  cases.push_back(
      {"a negative length", Spec(false, w, {0, 10}, -5), "window_frames: must be >= 0, got -5"});
  {
    ExtractionSpec epochs;
    std::vector<float> v(2 * 3 * 64, 1.0f);
    absl::StatusOr<Windows> windows = WindowsFromEpochs(SampleType::kFloat32, v.data(), 2, 3, 64);
    ASSERT_THAT(windows, IsOk());
    epochs.input.epochs = std::make_shared<const Windows>(std::move(*windows));
    epochs.input.signal.fs = kFs;
    epochs.input.signal.channels = {"a", "b", "c"};
    epochs.pipeline = Pipeline(false, std::nullopt);
    epochs.window_starts = {0};
    cases.push_back({"epochs", std::move(epochs), "window_starts"});
  }
  for (Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_THAT(ExtractionJob::Create(std::move(c.spec), {}),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST(ExtractionJobTest, EpochsWithoutStartsStillRun) {
  // The epochs case above fails for window_starts alone.
  ExtractionSpec epochs;
  std::vector<float> v(2 * 3 * 64, 1.0f);
  absl::StatusOr<Windows> windows = WindowsFromEpochs(SampleType::kFloat32, v.data(), 2, 3, 64);
  ASSERT_THAT(windows, IsOk());
  epochs.input.epochs = std::make_shared<const Windows>(std::move(*windows));
  epochs.input.signal.fs = kFs;
  epochs.input.signal.channels = {"a", "b", "c"};
  epochs.pipeline = Pipeline(false, std::nullopt);
  absl::StatusOr<JobRun> run = RunJob(std::move(epochs));
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->table.rows, 2);
}

}  // namespace
}  // namespace neurofeat
