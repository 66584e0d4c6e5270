#include "core/job/bids_plan.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/edf_writer.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::IsOk;
using ::neurofeat::testing::StatusIs;
using ::neurofeat::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A BIDS dataset of real EDF+ recordings: 8 s at 256 Hz (2048 frames),
// channels Fp1, Fp2, Cz.
class Dataset {
 public:
  const std::string& root() const { return root_; }
  void Put(const std::string& relative, const std::string& content) const {
    const std::filesystem::path p = std::filesystem::path(root_) / relative;
    std::filesystem::create_directories(p.parent_path());
    testing::WriteFile(p.string(), content);
  }
  void PutEdf(const std::string& relative, int rate_hz = 256) const {
    const std::filesystem::path p = std::filesystem::path(root_) / relative;
    std::filesystem::create_directories(p.parent_path());
    testing::EdfForTest edf;
    edf.labels = {"Fp1", "Fp2", "Cz"};
    edf.rate_hz = rate_hz;
    edf.records = 8;
    edf.value = [](int64_t f, int c) { return static_cast<double>(f % 100) + 100.0 * c; };
    EXPECT_THAT(testing::WriteEdfForTest(p.string(), edf), IsOk());
  }

 private:
  TempDir dir_;
  std::string root_ = dir_.File("ds");
};

const PlannedRecording& At(const std::vector<PlannedRecording>& plan, const std::string& path) {
  for (const PlannedRecording& p : plan) {
    if (p.bids.path == path) return p;
  }
  ADD_FAILURE() << "no recording " << path;
  static const PlannedRecording kNone;
  return kNone;
}

constexpr char kSub1[] = "sub-01/eeg/sub-01_task-rest_eeg.edf";
constexpr char kSub2[] = "sub-02/eeg/sub-02_task-rest_eeg.edf";
constexpr char kSub3[] = "sub-03/eeg/sub-03_task-rest_eeg.edf";

TEST(BidsPlanTest, OneRequestPerRecordingWithBadChannelsLeftOut) {
  Dataset ds;
  ds.PutEdf(kSub2);
  ds.PutEdf(kSub1);
  ds.Put("task-rest_eeg.json", R"({"SamplingFrequency": 256})");
  ds.Put("participants.tsv", "participant_id\tage\nsub-01\t30\nsub-02\t40\n");
  ds.Put("sub-01/eeg/sub-01_task-rest_channels.tsv",
         "name\tstatus\nFp1\tgood\nFp2\tbad\nCz\tgood\n");
  absl::StatusOr<std::vector<PlannedRecording>> plan = PlanBidsDataset(ds.root(), {}, {});
  ASSERT_THAT(plan, IsOk());
  ASSERT_EQ(plan->size(), 2u);
  const PlannedRecording& a = (*plan)[0];
  EXPECT_EQ(a.bids.path, kSub1);
  EXPECT_THAT(a.status, IsOk());
  ASSERT_TRUE(a.request.file.has_value());
  EXPECT_EQ(a.request.file->path, ds.root() + "/" + kSub1);
  EXPECT_EQ(a.request.file->format, RecordingFormat::kAuto);
  EXPECT_EQ(a.request.sampling_rate_hz, 256);
  EXPECT_THAT(a.request.exclude_channels, ElementsAre("Fp2"));
  EXPECT_THAT(a.bids.description, ::testing::Contains(::testing::Pair("age", "30")));
  EXPECT_TRUE(a.window_starts.empty());  // fixed windows: the pipeline's
  EXPECT_TRUE(a.targets.empty());
  const PlannedRecording& b = (*plan)[1];
  EXPECT_EQ(b.bids.path, kSub2);
  EXPECT_THAT(b.status, IsOk());
  EXPECT_TRUE(b.request.exclude_channels.empty());

  // The planned request opens to the channels that are left.
  absl::StatusOr<RecordingInput> in = OpenRecording(a.request, {});
  ASSERT_THAT(in, IsOk());
  EXPECT_THAT(in->signal.channels, ElementsAre("Fp1", "Cz"));
  EXPECT_EQ(in->signal.fs, 256);
}

TEST(BidsPlanTest, BadChannelsCanBeKept) {
  Dataset ds;
  ds.PutEdf(kSub1);
  ds.Put("sub-01/eeg/sub-01_task-rest_channels.tsv", "name\tstatus\nFp2\tbad\n");
  BidsPlanOptions o;
  o.keep_bad_channels = true;
  absl::StatusOr<std::vector<PlannedRecording>> plan = PlanBidsDataset(ds.root(), o, {});
  ASSERT_THAT(plan, IsOk());
  ASSERT_EQ(plan->size(), 1u);
  EXPECT_THAT((*plan)[0].status, IsOk());
  EXPECT_TRUE((*plan)[0].request.exclude_channels.empty());
  EXPECT_THAT((*plan)[0].bids.bad_channels, ElementsAre("Fp2"));
}

TEST(BidsPlanTest, ABadChannelTheFileLacksIsThatRecordingsStatus) {
  Dataset ds;
  ds.PutEdf(kSub1);
  ds.PutEdf(kSub2);
  ds.Put("sub-01/eeg/sub-01_task-rest_channels.tsv", "name\tstatus\nT7\tbad\n");
  absl::StatusOr<std::vector<PlannedRecording>> plan = PlanBidsDataset(ds.root(), {}, {});
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(At(*plan, kSub1).status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sub-01/eeg/sub-01_task-rest_channels.tsv: bad channels: the "
                                 "recording has no channel \"T7\" (it has Fp1,Fp2,Cz)")));
  EXPECT_THAT(At(*plan, kSub2).status, IsOk());
}

TEST(BidsPlanTest, ASamplingFrequencyTheFileContradictsNamesTheJson) {
  Dataset ds;
  ds.PutEdf(kSub1);
  ds.PutEdf(kSub2);
  ds.Put("task-rest_eeg.json", R"({"SamplingFrequency": 256})");
  ds.Put("sub-02/eeg/sub-02_task-rest_eeg.json", R"({"SamplingFrequency": 250})");
  absl::StatusOr<std::vector<PlannedRecording>> plan = PlanBidsDataset(ds.root(), {}, {});
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(At(*plan, kSub1).status, IsOk());
  EXPECT_THAT(At(*plan, kSub2).status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sub-02/eeg/sub-02_task-rest_eeg.json: SamplingFrequency: 250 Hz "
                                 "differs from the file's 256 Hz")));
}

TEST(BidsPlanTest, EventWindowsWithTrialTypeTargets) {
  Dataset ds;
  ds.PutEdf(kSub1);
  // Rows out of onset order: windows come by start, each with its row's
  // trial_type.
  ds.Put("sub-01/eeg/sub-01_task-rest_events.tsv",
         "onset\tduration\ttrial_type\n"
         "2.0\t1.0\tright\n"
         "0.5\t1.0\tleft\n"
         "3.0\t1.0\tn/a\n");
  struct Case {
    const char* what;
    BidsPlanOptions options;
    int64_t window_frames;
    std::vector<int64_t> starts;
    std::vector<std::string> targets;
  };
  auto events = [](auto change) {
    BidsPlanOptions o;
    o.windows = BidsPlanOptions::Windows::kEvents;
    change(o);
    return o;
  };
  // Onsets 0.5, 2, 3 s are frames 128, 512, 768; each trial 256 frames.
  const std::vector<Case> kCases = {
      {"a window per trial",
       events([](BidsPlanOptions&) {}),
       256,
       {128, 512, 768},
       {"left", "right", ""}},
      {"windows of 0.5 s every 0.25 s",
       events([](BidsPlanOptions& o) {
         o.window_duration_s = 0.5;
         o.window_stride_s = 0.25;
       }),
       128,
       {128, 192, 256, 512, 576, 640, 768, 832, 896},
       {"left", "left", "left", "right", "right", "right", "", "", ""}},
      {"windows of 0.75 s, the last ending at the trial's end",
       events([](BidsPlanOptions& o) { o.window_duration_s = 0.75; }),
       192,
       {128, 192, 512, 576, 768, 832},
       {"left", "left", "right", "right", "", ""}},
      {"the same with drop_last",
       events([](BidsPlanOptions& o) {
         o.window_duration_s = 0.75;
         o.drop_last = true;
       }),
       192,
       {128, 512, 768},
       {"left", "right", ""}},
      {"trials from 0.25 s before the onset",
       events([](BidsPlanOptions& o) { o.trial_start_offset_s = -0.25; }),
       320,
       {64, 448, 704},
       {"left", "right", ""}},
      {"trials ending 0.5 s early",
       events([](BidsPlanOptions& o) { o.trial_stop_offset_s = -0.5; }),
       128,
       {128, 512, 768},
       {"left", "right", ""}},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.what);
    absl::StatusOr<std::vector<PlannedRecording>> plan = PlanBidsDataset(ds.root(), c.options, {});
    ASSERT_THAT(plan, IsOk());
    ASSERT_EQ(plan->size(), 1u);
    const PlannedRecording& p = (*plan)[0];
    ASSERT_THAT(p.status, IsOk());
    EXPECT_EQ(p.window_frames, c.window_frames);
    EXPECT_EQ(p.window_starts, c.starts);
    EXPECT_EQ(p.targets, c.targets);
  }
}

TEST(BidsPlanTest, MarkersWithoutDurationTakeThePipelineWindow) {
  Dataset ds;
  ds.PutEdf(kSub1);
  ds.Put("sub-01/eeg/sub-01_task-rest_events.tsv",
         "onset\tduration\ttrial_type\n1\tn/a\tstim\n4\t0\tstim\n");
  BidsPlanOptions o;
  o.windows = BidsPlanOptions::Windows::kEvents;
  o.pipeline_window_frames = 100;
  absl::StatusOr<std::vector<PlannedRecording>> plan = PlanBidsDataset(ds.root(), o, {});
  ASSERT_THAT(plan, IsOk());
  const PlannedRecording& p = (*plan)[0];
  ASSERT_THAT(p.status, IsOk());
  EXPECT_EQ(p.window_frames, 100);
  EXPECT_THAT(p.window_starts, ElementsAre(256, 1024));
  EXPECT_THAT(p.targets, ElementsAre("stim", "stim"));
  // Without any window length they are an error naming the events file.
  o.pipeline_window_frames = 0;
  plan = PlanBidsDataset(ds.root(), o, {});
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT((*plan)[0].status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sub-01/eeg/sub-01_task-rest_events.tsv: event 0 (\"stim\" at "
                                 "frame 256) has no duration")));
}

TEST(BidsPlanTest, AnEventPastTheEndIsThatRecordingsStatus) {
  Dataset ds;
  ds.PutEdf(kSub1);
  ds.PutEdf(kSub2);
  ds.Put("task-rest_events.tsv", "onset\tduration\ttrial_type\n1\t1\tleft\n");
  ds.Put("sub-02/eeg/sub-02_task-rest_events.tsv",
         "onset\tduration\ttrial_type\n1\t1\tleft\n3\t1\tright\n7.5\t1\tleft\n");
  BidsPlanOptions o;
  o.windows = BidsPlanOptions::Windows::kEvents;
  absl::StatusOr<std::vector<PlannedRecording>> plan = PlanBidsDataset(ds.root(), o, {});
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(At(*plan, kSub1).status, IsOk());
  EXPECT_THAT(At(*plan, kSub1).window_starts, ElementsAre(256));
  // 7.5 s + 1 s ends at frame 2176 of 2048.
  EXPECT_THAT(At(*plan, kSub2).status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sub-02/eeg/sub-02_task-rest_events.tsv: event 2 (\"left\" at "
                                 "frame 1920): its trial ends at frame 2176, after the recording "
                                 "(2048 frames)")));
}

TEST(BidsPlanTest, EventWindowsNeedAnEventsFile) {
  Dataset ds;
  ds.PutEdf(kSub1);
  BidsPlanOptions o;
  o.windows = BidsPlanOptions::Windows::kEvents;
  absl::StatusOr<std::vector<PlannedRecording>> plan = PlanBidsDataset(ds.root(), o, {});
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT((*plan)[0].status, StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr(std::string(kSub1) + ": no *_events.tsv")));
}

TEST(BidsPlanTest, UnreadableRecordingsAmongGoodOnes) {
  Dataset ds;
  ds.PutEdf(kSub1);
  ds.Put(kSub2, "this is not an EDF file");
  ds.PutEdf(kSub3);
  ds.Put("sub-03/eeg/sub-03_task-rest_channels.tsv", "name\tstatus\nFp1\n");
  ds.PutEdf("sub-04/eeg/sub-04_task-rest_eeg.edf");
  absl::StatusOr<std::vector<PlannedRecording>> plan = PlanBidsDataset(ds.root(), {}, {});
  ASSERT_THAT(plan, IsOk());
  ASSERT_EQ(plan->size(), 4u);
  EXPECT_THAT(At(*plan, kSub1).status, IsOk());
  EXPECT_THAT(At(*plan, kSub2).status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(kSub2)));
  EXPECT_THAT(At(*plan, kSub3).status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sub-03/eeg/sub-03_task-rest_channels.tsv:2")));
  EXPECT_THAT(At(*plan, "sub-04/eeg/sub-04_task-rest_eeg.edf").status, IsOk());
}

TEST(BidsPlanTest, ScanErrorsFailThePlan) {
  TempDir dir;
  EXPECT_THAT(PlanBidsDataset(dir.File("none"), {}, {}), StatusIs(absl::StatusCode::kNotFound));
  Dataset ds;
  ds.PutEdf(kSub1);
  BidsPlanOptions o;
  o.query.tasks = {"sleep"};
  EXPECT_THAT(PlanBidsDataset(ds.root(), o, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tasks sleep")));
  ds.Put("participants.tsv", "participant_id\tage\nsub-01\n");
  EXPECT_THAT(PlanBidsDataset(ds.root(), {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("participants.tsv:2")));
}

TEST(BidsPlanTest, TheResolverJudgesEveryFile) {
  Dataset ds;
  ds.PutEdf(kSub1);
  ds.PutEdf(kSub2);
  RecordingFiles files;
  files.resolve = [](const std::string& p) -> absl::StatusOr<std::string> {
    if (absl::StrContains(p, "sub-02_task-rest_eeg.edf")) {
      return absl::PermissionDeniedError(p + " is outside the data roots");
    }
    return p;
  };
  absl::StatusOr<std::vector<PlannedRecording>> plan = PlanBidsDataset(ds.root(), {}, files);
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(At(*plan, kSub1).status, IsOk());
  EXPECT_THAT(At(*plan, kSub2).status,
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("outside the data roots")));
}

}  // namespace
}  // namespace neurofeat
