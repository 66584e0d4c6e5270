// `neurofeat extract --manifest`: a dataset of recordings with descriptions
// into one table, embedded and on a server.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/io/npy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"
#include "tests/testing/cli_runner.h"
#include "tests/testing/feature_testing.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ReadFile;
using ::neurofeat::testing::TempDir;
using ::neurofeat::testing::WriteFile;
using ::testing::HasSubstr;

constexpr int kRecordings = 4;
constexpr int64_t kWindowsEach = 32;
constexpr int64_t kChannels = 6, kTimes = 256;

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// Cuts the how-to's 128 windows into four recordings of 32 in `folder`.
void WriteRecordings(const std::string& folder) {
  NpyArray x = testing::LoadNpy("eegdash/howto_X_rows.npy");
  const size_t each = kWindowsEach * kChannels * kTimes;
  for (int i = 0; i < kRecordings; ++i) {
    auto w = NpyWriter::Create(absl::StrCat(folder, "/rec", i, ".npy"), NpyDtype::kFloat32,
                               {kWindowsEach, kChannels, kTimes});
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE((*w)->AppendBytes(x.as<float>() + i * each, each * sizeof(float)).ok());
    ASSERT_TRUE((*w)->Finish().ok());
  }
}

// Subjects 01..04, targets alternating, and a note with a comma that must
// come back quoted.
std::string Manifest(const std::string& path_column) {
  std::string m = absl::StrCat(path_column, ",subject,target,note\n");
  for (int i = 0; i < kRecordings; ++i) {
    absl::StrAppend(&m, "rec", i, ".npy,0", i + 1, ",", i % 2, ",\"eyes closed, run ", i, "\"\n");
  }
  return m;
}

const char kMetadata[] = "--fs 128 --channels O1,Oz,O2,Cz,Pz,POz --highpass 1 --lowpass 40";

std::string Pipeline() { return testing::TestDataPath("eegdash/howto_pipeline.json"); }

testing::CliResult RunNeurofeat(const std::string& args, const TempDir& dir) {
  return testing::RunCli(NF_BINARY_DIR, args, dir);
}

TEST(ManifestCliTest, OneTableWithDescriptionsEqualToPerRecordingRuns) {
  TempDir dir;
  WriteRecordings(dir.path());
  WriteFile(dir.File("recordings.csv"), Manifest("input"));
  const auto r = RunNeurofeat(
      absl::StrCat("extract --manifest ", dir.File("recordings.csv"), " ", kMetadata,
                   " --pipeline ", Pipeline(), " --no-cache --output ", dir.File("dataset.csv")),
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("extracted 4 recordings, 128 windows x 24 features"));
  const std::vector<std::string> lines = Lines(ReadFile(dir.File("dataset.csv")));
  ASSERT_EQ(lines.size(), 1u + kRecordings * kWindowsEach);
  EXPECT_TRUE(absl::StartsWith(lines[0], "recording,window,start_sample,subject,note,var_O1,"))
      << lines[0];
  EXPECT_TRUE(absl::EndsWith(lines[0], ",target")) << lines[0];

  for (int i = 0; i < kRecordings; ++i) {
    const std::string name = absl::StrCat("rec", i, ".npy");
    const std::string single = dir.File(absl::StrCat("single", i, ".csv"));
    const auto one = RunNeurofeat(
        absl::StrCat("extract --input ", dir.File(name), " ", kMetadata, " --pipeline ", Pipeline(),
                     " --no-cache --include-metadata --quiet --output ", single),
        dir);
    ASSERT_EQ(one.exit_code, 0) << one.output;
    const std::vector<std::string> single_lines = Lines(ReadFile(single));
    ASSERT_EQ(single_lines.size(), 1u + kWindowsEach);
    for (int64_t w = 0; w < kWindowsEach; ++w) {
      // single: recording,window,start_sample,<features>
      const std::string& s = single_lines[1 + w];
      const size_t features_at = s.find(',', s.find(',', s.find(',') + 1) + 1) + 1;
      const std::string expected =
          absl::StrCat(name, ",", w, ",", w * kTimes, ",0", i + 1, ",\"eyes closed, run ", i, "\",",
                       s.substr(features_at), ",", i % 2);
      ASSERT_EQ(lines[1 + i * kWindowsEach + w], expected) << "recording " << i << " window " << w;
    }
  }
}

TEST(ManifestCliTest, OnAServerUploadedOrReadThereTheTableIsTheSame) {
  TempDir dir;
  WriteRecordings(dir.path());
  WriteFile(dir.File("recordings.csv"), Manifest("input"));
  const std::string common =
      absl::StrCat(kMetadata, " --pipeline ", Pipeline(), " --quiet --output ");
  const auto embedded =
      RunNeurofeat(absl::StrCat("extract --manifest ", dir.File("recordings.csv"), " ", common,
                                dir.File("embedded.csv"), " --no-cache"),
                   dir);
  ASSERT_EQ(embedded.exit_code, 0) << embedded.output;

  testing::ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  const auto uploaded =
      RunNeurofeat(absl::StrCat("extract --manifest ", dir.File("recordings.csv"), " ", common,
                                dir.File("uploaded.csv"), " --server ", server.target()),
                   dir);
  ASSERT_EQ(uploaded.exit_code, 0) << uploaded.output << server.Log();
  EXPECT_EQ(ReadFile(dir.File("uploaded.csv")), ReadFile(dir.File("embedded.csv")));

  WriteRecordings(server.data_root());
  WriteFile(dir.File("remote.csv"), Manifest("remote_path"));
  const auto remote =
      RunNeurofeat(absl::StrCat("extract --manifest ", dir.File("remote.csv"), " ", common,
                                dir.File("remote_out.csv"), " --server ", server.target()),
                   dir);
  ASSERT_EQ(remote.exit_code, 0) << remote.output << server.Log();
  EXPECT_EQ(ReadFile(dir.File("remote_out.csv")), ReadFile(dir.File("embedded.csv")));
}

TEST(ManifestCliTest, AMissingRecordingIsListedAndNoTableIsWritten) {
  TempDir dir;
  WriteRecordings(dir.path());
  std::string manifest = Manifest("input");
  manifest += "gone.npy,05,1,absent\n";
  WriteFile(dir.File("recordings.csv"), manifest);
  const auto r = RunNeurofeat(
      absl::StrCat("extract --manifest ", dir.File("recordings.csv"), " ", kMetadata,
                   " --pipeline ", Pipeline(), " --no-cache --output ", dir.File("dataset.csv")),
      dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("1 of 5 recordings failed, so no table was written"));
  EXPECT_THAT(r.output, HasSubstr("line 6 (gone.npy)"));
  EXPECT_FALSE(std::filesystem::exists(dir.File("dataset.csv")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("dataset.csv.partial")));
}

struct BadManifest {
  std::string name;
  std::string manifest;
  std::string extra_flags;
  std::string expected;
};

void PrintTo(const BadManifest& b, std::ostream* os) { *os << b.name; }

class ManifestCliBadTest : public ::testing::TestWithParam<BadManifest> {};

TEST_P(ManifestCliBadTest, FailsNamingTheLineAndColumn) {
  TempDir dir;
  WriteRecordings(dir.path());
  WriteFile(dir.File("m.csv"), GetParam().manifest);
  const auto r = RunNeurofeat(
      absl::StrCat("extract --manifest ", dir.File("m.csv"), " --pipeline ", Pipeline(),
                   " --output ", dir.File("out.csv"), " ", GetParam().extra_flags),
      dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr(GetParam().expected));
  EXPECT_FALSE(std::filesystem::exists(dir.File("out.csv")));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ManifestCliBadTest,
    ::testing::Values(
        BadManifest{"NoPathColumn", "file,subject\nrec0.npy,01\n", kMetadata,
                    "needs exactly one of the columns input and remote_path"},
        BadManifest{"RaggedRow", "input,subject\nrec0.npy,01,extra\n", kMetadata,
                    "m.csv:2: 3 fields, the header has 2"},
        BadManifest{"BadRate", "input,fs\nrec0.npy,fast\n", "",
                    "m.csv:2 (fs): \"fast\" is not a positive number"},
        BadManifest{"NoRateAnywhere", "input\nrec0.npy\n", "", "line 2 (rec0.npy): --fs"},
        BadManifest{"RemotePathNeedsServer", "remote_path\nrec0.npy\n", kMetadata,
                    "a remote_path column needs --server"},
        BadManifest{"NoRecordings", "input,subject\n", kMetadata, "m.csv: no recordings"},
        BadManifest{"InputToo", "input\nrec0.npy\n", absl::StrCat(kMetadata, " --input x.npy"),
                    "--input does not go with --manifest"}),
    [](const ::testing::TestParamInfo<BadManifest>& info) { return info.param.name; });

TEST(ManifestCliTest, PerRecordingRatesAndChannelsOverrideTheFlags) {
  TempDir dir;
  WriteRecordings(dir.path());
  WriteFile(dir.File("m.csv"),
            "input,fs,channels,highpass,lowpass,name\n"
            "rec0.npy,128,\"O1,Oz,O2,Cz,Pz,POz\",1,40,first\n"
            "rec1.npy,128,O1;Oz;O2;Cz;Pz;POz,1,40,second\n");
  const auto r =
      RunNeurofeat(absl::StrCat("extract --manifest ", dir.File("m.csv"), " --pipeline ",
                                Pipeline(), " --no-cache --quiet --output ", dir.File("out.csv")),
                   dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::vector<std::string> lines = Lines(ReadFile(dir.File("out.csv")));
  ASSERT_EQ(lines.size(), 1u + 2 * kWindowsEach);
  EXPECT_THAT(lines[0], HasSubstr("var_POz"));
  EXPECT_TRUE(absl::StartsWith(lines[1], "first,0,0,"));
  EXPECT_TRUE(absl::StartsWith(lines[1 + kWindowsEach], "second,0,0,"));
}

}  // namespace
}  // namespace neurofeat
