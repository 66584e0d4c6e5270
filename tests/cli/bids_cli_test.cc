// `neurofeat extract --bids`: a BIDS dataset (EDF, BrainVision, FIF and
// EEGLAB recordings made by make_bids_dataset.py) into one table, embedded
// and on a server.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/util/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"
#include "tests/testing/cli_runner.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ReadFile;
using ::neurofeat::testing::TempDir;
using ::neurofeat::testing::WriteFile;
using ::testing::HasSubstr;
using ::testing::Not;

// 1 s windows at 256 Hz, variance and alpha power.
constexpr char kPipeline[] = R"({"window": {"size_samples": 256, "stride_samples": 256},
  "features": [{"name": "var", "fn": "signal_variance"},
    {"name": "spec", "preprocessor": {"fn": "spectral_preprocessor",
                                      "params": {"window_size_in_sec": 0.5}},
     "features": [{"name": "bp", "fn": "spectral_bands_power",
                   "params": {"bands": [{"name": "alpha", "lo": 8, "hi": 12}]}}]}]})";

// The five recordings, in BIDS order.
const std::vector<std::string> kRecordings = {
    "sub-01/eeg/sub-01_task-rest_run-1_eeg.edf", "sub-01/eeg/sub-01_task-rest_run-2_eeg.vhdr",
    "sub-02/ses-a/eeg/sub-02_ses-a_task-rest_run-1_eeg.fif",
    "sub-02/ses-a/eeg/sub-02_ses-a_task-rest_run-2_eeg.set",
    "sub-03/eeg/sub-03_task-other_run-1_eeg.edf"};

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

testing::CliResult RunNeurofeat(const std::string& args, const TempDir& dir) {
  return testing::RunCli(NF_BINARY_DIR, args, dir);
}

class BidsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const testing::CliResult made =
        testing::RunPython("cli/make_bids_dataset.py", dir_.path(), dir_);
    ASSERT_EQ(made.exit_code, 0) << made.output;
    WriteFile(dir_.File("p.json"), kPipeline);
  }
  std::string Root() const { return dir_.File("ds"); }
  std::string Common() const {
    return absl::StrCat(" --pipeline ", dir_.File("p.json"), " --no-cache --quiet");
  }

  TempDir dir_;
};

TEST_F(BidsCliTest, OneTableEqualToPerRecordingExtractsWithTheDescription) {
  const auto r = RunNeurofeat(absl::StrCat("extract --bids ", Root(), " --task rest --keep-bad-channels",
                                  Common(), " --output ", dir_.File("t.csv")),
                     dir_);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::vector<std::string> lines = Lines(ReadFile(dir_.File("t.csv")));
  ASSERT_EQ(lines[0],
            "recording,window,start_sample,subject,session,task,run,age,sex,var_Fz,var_Cz,var_Pz,"
            "var_Oz,spec_bp_alpha_Fz,spec_bp_alpha_Cz,spec_bp_alpha_Pz,spec_bp_alpha_Oz");
  // 24 one-second windows per recording, the four "rest" ones in BIDS order.
  ASSERT_EQ(lines.size(), 1u + 4 * 24);
  const std::vector<std::string> description = {"01,,rest,1,25,F", "01,,rest,2,25,F",
                                                "02,a,rest,1,,M", "02,a,rest,2,,M"};
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(kRecordings[i]);
    const std::string single = dir_.File(absl::StrCat("single", i, ".csv"));
    const auto one = RunNeurofeat(absl::StrCat("extract --input ", Root(), "/", kRecordings[i], Common(),
                                      " --include-metadata --output ", single),
                         dir_);
    ASSERT_EQ(one.exit_code, 0) << one.output;
    const std::vector<std::string> rows = Lines(ReadFile(single));
    ASSERT_EQ(rows.size(), 25u);
    for (int w = 0; w < 24; ++w) {
      // single: file name,window,start_sample,<features>
      std::vector<std::string> f = absl::StrSplit(rows[1 + w], ',');
      const std::string features = absl::StrJoin(f.begin() + 3, f.end(), ",");
      ASSERT_EQ(lines[1 + i * 24 + w], absl::StrCat(kRecordings[i], ",", w, ",", w * 256, ",",
                                                    description[i], ",", features));
    }
  }
}

TEST_F(BidsCliTest, EventWindowsAreBraindecodesWithTrialTypeAsTarget) {
  const auto r = RunNeurofeat(absl::StrCat("extract --bids ", Root(),
                                  " --keep-bad-channels --windows events --window-duration 1s",
                                  Common(), " --output ", dir_.File("e.csv")),
                     dir_);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  absl::StatusOr<JsonValue> expected = ParseJson(ReadFile(dir_.File("expected.json")));
  ASSERT_TRUE(expected.ok());
  const std::vector<std::string> lines = Lines(ReadFile(dir_.File("e.csv")));
  ASSERT_TRUE(absl::EndsWith(lines[0], ",target")) << lines[0];
  size_t row = 1;
  for (const std::string& rec : kRecordings) {
    SCOPED_TRACE(rec);
    const JsonValue* e = expected->Find(rec);
    ASSERT_NE(e, nullptr);
    const auto& starts = e->Find("starts")->list();
    const auto& targets = e->Find("targets")->list();
    ASSERT_GT(starts.size(), 4u);  // trials longer than a window make several
    for (size_t k = 0; k < starts.size(); ++k, ++row) {
      ASSERT_LT(row, lines.size());
      std::vector<std::string> f = absl::StrSplit(lines[row], ',');
      EXPECT_EQ(f[0], rec);
      EXPECT_EQ(f[1], absl::StrCat(k));
      EXPECT_EQ(f[2], absl::StrCat(static_cast<int64_t>(starts[k].number_value())));
      EXPECT_EQ(f.back(), targets[k].string_value());
    }
  }
  EXPECT_EQ(row, lines.size());
}

TEST_F(BidsCliTest, BadChannelsAreLeftOutUnlessKept) {
  const std::string base = absl::StrCat("extract --bids ", Root(), " --subjects 02", Common());
  const auto dropped = RunNeurofeat(absl::StrCat(base, " --output ", dir_.File("d.csv")), dir_);
  ASSERT_EQ(dropped.exit_code, 0) << dropped.output;
  const std::string header = Lines(ReadFile(dir_.File("d.csv")))[0];
  EXPECT_THAT(header, HasSubstr("var_Pz"));
  EXPECT_THAT(header, Not(HasSubstr("var_Oz")));
  const auto kept =
      RunNeurofeat(absl::StrCat(base, " --keep-bad-channels --output ", dir_.File("k.csv")), dir_);
  ASSERT_EQ(kept.exit_code, 0) << kept.output;
  EXPECT_THAT(Lines(ReadFile(dir_.File("k.csv")))[0], HasSubstr("var_Oz"));
  // Subjects 01 and 02 together: other channels, one table needs one set.
  const auto mixed = RunNeurofeat(absl::StrCat("extract --bids ", Root(), " --subjects 01,02", Common(),
                                      " --output ", dir_.File("m.csv")),
                         dir_);
  EXPECT_NE(mixed.exit_code, 0);
  EXPECT_THAT(mixed.output, HasSubstr("without var_Oz,spec_bp_alpha_Oz"));
  EXPECT_THAT(mixed.output, HasSubstr("--keep-bad-channels"));
}

TEST_F(BidsCliTest, UnreadableRecordingsAreAllListedOrSkipped) {
  // A truncated EDF and a sampling rate the sidecar contradicts.
  const std::string edf = absl::StrCat(Root(), "/", kRecordings[0]);
  std::filesystem::resize_file(edf, std::filesystem::file_size(edf) - 1000);
  WriteFile(absl::StrCat(Root(), "/sub-03/eeg/sub-03_task-other_run-1_eeg.json"),
            R"({"SamplingFrequency": 250})");
  const auto failed = RunNeurofeat(absl::StrCat("extract --bids ", Root(), " --keep-bad-channels",
                                       Common(), " --output ", dir_.File("f.csv")),
                          dir_);
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_THAT(failed.output, HasSubstr("2 of 5 recordings failed, so no table was written"));
  EXPECT_THAT(failed.output, HasSubstr(absl::StrCat(kRecordings[0], ": ")));
  EXPECT_THAT(failed.output, HasSubstr("is truncated"));
  EXPECT_THAT(failed.output,
              HasSubstr("sub-03/eeg/sub-03_task-other_run-1_eeg.json: SamplingFrequency: 250 Hz "
                        "differs from the file's 256 Hz"));
  EXPECT_FALSE(std::filesystem::exists(dir_.File("f.csv")));

  const auto skipped = RunNeurofeat(absl::StrCat("extract --bids ", Root(),
                                        " --keep-bad-channels --on-error skip", Common(),
                                        " --output ", dir_.File("s.csv")),
                           dir_);
  ASSERT_EQ(skipped.exit_code, 0) << skipped.output;
  EXPECT_EQ(Lines(ReadFile(dir_.File("s.csv"))).size(), 1u + 3 * 24);
  const std::vector<std::string> side = Lines(ReadFile(dir_.File("s.csv.skipped.tsv")));
  ASSERT_EQ(side.size(), 3u);
  EXPECT_TRUE(absl::StartsWith(side[1], kRecordings[0] + "\t")) << side[1];
  EXPECT_TRUE(absl::StartsWith(side[2], kRecordings[4] + "\t")) << side[2];
}

TEST_F(BidsCliTest, OnAServerTheTableIsTheSame) {
  testing::ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  std::filesystem::copy(Root(), server.data_root() + "/ds",
                        std::filesystem::copy_options::recursive);
  const std::string flags = " --keep-bad-channels --windows events --window-duration 1s";
  const auto embedded = RunNeurofeat(
      absl::StrCat("extract --bids ", Root(), flags, Common(), " --output ", dir_.File("e.csv")),
      dir_);
  ASSERT_EQ(embedded.exit_code, 0) << embedded.output;
  const auto remote = RunNeurofeat(absl::StrCat("extract --server ", server.target(), " --bids ds", flags,
                                       " --pipeline ", dir_.File("p.json"),
                                       " --quiet --output ", dir_.File("r.csv")),
                          dir_);
  ASSERT_EQ(remote.exit_code, 0) << remote.output << server.Log();
  EXPECT_EQ(ReadFile(dir_.File("r.csv")), ReadFile(dir_.File("e.csv")));
  const auto outside = RunNeurofeat(absl::StrCat("extract --server ", server.target(), " --bids ",
                                        Root(), Common(), " --output ", dir_.File("o.csv")),
                           dir_);
  EXPECT_NE(outside.exit_code, 0);
  EXPECT_THAT(outside.output, HasSubstr("--bids"));
}

struct BadFlags {
  std::string name;
  std::string flags;
  std::string expected;
};

void PrintTo(const BadFlags& b, std::ostream* os) { *os << b.name; }

class BidsCliBadFlagsTest : public BidsCliTest, public ::testing::WithParamInterface<BadFlags> {};

TEST_P(BidsCliBadFlagsTest, FailsNamingTheFlag) {
  const auto r = RunNeurofeat(absl::StrCat("extract --bids ", Root(), " ", GetParam().flags, Common(),
                                  " --output ", dir_.File("x.csv")),
                     dir_);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr(GetParam().expected));
  EXPECT_FALSE(std::filesystem::exists(dir_.File("x.csv")));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BidsCliBadFlagsTest,
    ::testing::Values(
        BadFlags{"UnknownWindows", "--windows trials", "--windows=trials is not fixed or events"},
        BadFlags{"DurationWithoutEvents", "--window-duration 1s", "give --windows events"},
        BadFlags{"RateFromFlags", "--fs 256", "--fs does not go with --bids"},
        BadFlags{"NoMatch", "--subjects 09", "no recording in"},
        BadFlags{"NotAFolder", "--task rest --subjects 01 --bids-missing", "unknown flag"},
        BadFlags{"ZeroDurationEventsNeedALength", "--windows events --window-duration 0s",
                 "--window-duration"}),
    [](const ::testing::TestParamInfo<BadFlags>& info) { return info.param.name; });

}  // namespace
}  // namespace neurofeat
