// End-to-end tests of `neurofeat extract`: the real binary on real files.
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/io/npy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/cli_runner.h"
#include "tests/testing/feature_testing.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ReadFile;
using ::neurofeat::testing::TempDir;
using ::neurofeat::testing::WriteFile;
using ::testing::HasSubstr;

testing::CliResult RunExtract(const std::string& args, const TempDir& dir) {
  return testing::RunCli(NF_BINARY_DIR, args, dir);
}

const char kHowtoArgs[] = "--fs 128 --channels O1,Oz,O2,Cz,Pz,POz --highpass 1 --lowpass 40";

std::string HowtoFlags(const TempDir& dir, const std::string& output) {
  return absl::StrCat("extract --input ", testing::TestDataPath("eegdash/howto_X_rows.npy"), " ",
                      kHowtoArgs, " --pipeline ",
                      testing::TestDataPath("eegdash/howto_pipeline.json"), " --output ",
                      dir.File(output));
}

// The CSV holds EEGDash's header and the engine's numbers, exactly (17
// significant digits read back to the same doubles).
TEST(ExtractCliTest, CsvEqualsTheEngineAndKeepsEegdashColumns) {
  TempDir dir;
  const auto r = RunExtract(HowtoFlags(dir, "out.csv"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("extracted 128 windows x 24 features"));
  const testing::CsvTable csv = testing::LoadCsv(dir.File("out.csv"));
  const testing::CsvTable golden = testing::LoadCsv("eegdash/howto_eegdash_v080_rows.csv");
  std::vector<std::string> golden_features(golden.columns.begin(), golden.columns.end() - 1);
  EXPECT_EQ(csv.columns, golden_features);  // no pairs here: same order
  NpyArray x = testing::LoadNpy("eegdash/howto_X_rows.npy");
  std::vector<float> windows(x.as<float>(), x.as<float>() + 128 * 6 * 256);
  SignalInfo info;
  info.fs = 128;
  info.channels = {"O1", "Oz", "O2", "Cz", "Pz", "POz"};
  info.highpass = 1.0;
  info.lowpass = 40.0;
  auto engine = testing::Extract(ReadFile(testing::TestDataPath("eegdash/howto_pipeline.json")),
                                 info, windows, 128, 256);
  ASSERT_TRUE(engine.ok());
  ASSERT_EQ(csv.rows.size(), 128u);
  for (int64_t r2 = 0; r2 < 128; ++r2) {
    for (size_t c = 0; c < csv.columns.size(); ++c) {
      ASSERT_EQ(csv.rows[r2][c], engine->at(r2, static_cast<int64_t>(c))) << r2 << " " << c;
    }
  }
}

TEST(ExtractCliTest, MetadataColumnsComeFirst) {
  TempDir dir;
  const auto r = RunExtract(
      HowtoFlags(dir, "out.csv") + " --include-metadata --recording sub-01 --quiet", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string text = ReadFile(dir.File("out.csv"));
  EXPECT_TRUE(absl::StartsWith(text, "recording,window,start_sample,var_O1,"))
      << text.substr(0, 80);
  EXPECT_THAT(text, HasSubstr("\nsub-01,1,256,"));
}

TEST(ExtractCliTest, NpyOutputWithColumnNames) {
  TempDir dir;
  const auto r = RunExtract(HowtoFlags(dir, "out.npy") + " --quiet", dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto a = ReadNpy(dir.File("out.npy"));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(a->header.shape, ::testing::ElementsAre(128, 24));
  EXPECT_TRUE(absl::StartsWith(ReadFile(dir.File("out.npy.columns.txt")), "var_O1\nvar_Oz\n"));
}

// Continuous (frames, channels) input with a window in the pipeline gives
// the same table as the same samples pre-cut into epochs.
TEST(ExtractCliTest, ContinuousInputIsCutIntoWindows) {
  TempDir dir;
  const int frames = 1000, channels = 2, size = 200;
  Traces t = Traces::Uninitialized(SampleType::kFloat32, frames, channels);
  std::mt19937 rng(4);
  std::normal_distribution<float> normal;
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = normal(rng);
  ASSERT_TRUE(WriteNpy(dir.File("cont.npy"), t).ok());
  WriteFile(dir.File("p.json"),
            R"({"window": {"size_samples": 200, "stride_samples": 200},
                "features": [{"name": "v", "fn": "signal_variance"}, {"name": "ll", "fn": "signal_line_length"}]})");
  const auto r = RunExtract(
      absl::StrCat("extract --input ", dir.File("cont.npy"), " --fs 100 --channels a,b --pipeline ",
                   dir.File("p.json"), " --output ", dir.File("out.csv"),
                   " --include-metadata --recording 7"),
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const testing::CsvTable csv = testing::LoadCsv(dir.File("out.csv"));
  ASSERT_EQ(csv.rows.size(), 5u);
  std::vector<float> epochs;
  for (int w = 0; w < 5; ++w) {
    for (int c = 0; c < channels; ++c) {
      for (int i = 0; i < size; ++i) epochs.push_back(t.row<float>(w * size + i)[c]);
    }
  }
  auto engine = testing::Extract(R"({"features": [{"name": "v", "fn": "signal_variance"},
                                                  {"name": "ll", "fn": "signal_line_length"}]})",
                                 testing::InfoFor(100, 2), epochs, 5, size);
  ASSERT_TRUE(engine.ok());
  for (int w = 0; w < 5; ++w) {
    EXPECT_EQ(csv.rows[w][csv.Column("start_sample")], w * size);
    EXPECT_EQ(csv.rows[w][csv.Column("v_a")], engine->at(w, 0));
    EXPECT_EQ(csv.rows[w][csv.Column("ll_b")], engine->at(w, 3));
  }
}

struct BadCase {
  std::string name;
  std::string pipeline;  // JSON; empty: the how-to pipeline
  std::string extra;     // replaces the default flags after --input ... when set
  std::string expected;  // substring of the error
};

class ExtractCliBadInputTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ExtractCliBadInputTest, FailsWithClearMessageAndNoOutput) {
  const BadCase& c = GetParam();
  TempDir dir;
  std::string pipeline = testing::TestDataPath("eegdash/howto_pipeline.json");
  if (!c.pipeline.empty()) {
    pipeline = dir.File("p.json");
    WriteFile(pipeline, c.pipeline);
  }
  const std::string flags = c.extra.empty() ? kHowtoArgs : c.extra;
  const auto r = RunExtract(
      absl::StrCat("extract --input ", testing::TestDataPath("eegdash/howto_X_rows.npy"), " ",
                   flags, " --pipeline ", pipeline, " --output ", dir.File("out.csv")),
      dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr(c.expected));
  EXPECT_FALSE(std::ifstream(dir.File("out.csv")).good());
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, ExtractCliBadInputTest,
    ::testing::Values(
        BadCase{"unknown_feature", R"({"features": [{"name": "x", "fn": "signal_mode"}]})", "",
                "features.x.fn: unknown feature \"signal_mode\""},
        BadCase{"unknown_param",
                R"({"features": [{"name": "v", "fn": "signal_variance", "params": {"dof": 1}}]})",
                "", "features.v.params.dof: unknown parameter"},
        BadCase{
            "ill_typed_param",
            R"({"features": [{"name": "v", "fn": "signal_variance", "params": {"ddof": "one"}}]})",
            "", "features.v.params.ddof: expected an integer, got \"one\""},
        BadCase{"band_outside",
                R"({"features": [{"name": "s", "preprocessor": {"fn": "spectral_preprocessor",
                  "params": {"window_size_in_sec": 1.0}}, "features": [{"name": "bp", "fn": "spectral_bands_power",
                  "params": {"bands": [{"name": "high", "lo": 50, "hi": 60}]}}]}]})",
                "", "band \"high\" [50, 60) Hz lies outside the available spectrum [1, 40] Hz"},
        BadCase{"welch_too_long",
                R"({"features": [{"name": "s", "preprocessor": {"fn": "spectral_preprocessor"},
                  "features": [{"name": "p", "fn": "spectral_peak_frequency"}]}]})",
                "", "is longer than the window (256 samples)"},
        BadCase{"incompatible", R"({"features": [{"name": "e", "fn": "spectral_entropy"}]})", "",
                "features.e: spectral_entropy cannot take the output of the windows"},
        BadCase{"unknown_json_key",
                R"({"features": [{"name": "v", "fn": "signal_variance", "parms": {}}]})", "",
                "parms"},
        BadCase{"channel_count", "", "--fs 128 --channels O1,Oz",
                "--channels: 2 names for 6 channels"},
        BadCase{"missing_fs", "", "--channels O1,Oz,O2,Cz,Pz,POz", "--fs is required"},
        BadCase{
            "window_on_epochs",
            R"({"window": {"size_samples": 64}, "features": [{"name": "v", "fn": "signal_variance"}]})",
            "", "holds pre-cut epochs"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

TEST(ExtractCliTest, BadOutputExtensionAndNonFiniteInput) {
  TempDir dir;
  auto r = RunExtract(HowtoFlags(dir, "out.txt"), dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("must end in .csv or .npy"));
  std::vector<float> x(2 * 3 * 64, 1.0f);
  x[70] = std::nanf("");
  Traces t = Traces::Uninitialized(SampleType::kFloat32, 2 * 3, 64);
  std::copy(x.begin(), x.end(), t.data<float>());
  // Write a (2, 3, 64) array by hand: header for a 3-D shape.
  auto writer = NpyWriter::Create(dir.File("nan.npy"), NpyDtype::kFloat32, {2, 3, 64});
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->AppendBytes(x.data(), x.size() * sizeof(float)).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  WriteFile(dir.File("p.json"), R"({"features": [{"name": "v", "fn": "signal_variance"}]})");
  r = RunExtract(
      absl::StrCat("extract --input ", dir.File("nan.npy"), " --fs 64 --channels a,b,c --pipeline ",
                   dir.File("p.json"), " --output ", dir.File("o.csv")),
      dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("window 0, channel 1, time 6 is not finite"));
}

}  // namespace
}  // namespace neurofeat

namespace neurofeat {
namespace {

// The embedded engine uses the result cache: a re-run computes nothing and
// writes the same bytes; --refresh-cache recomputes; --no-cache neither
// reads nor writes.
TEST(ExtractCliCacheTest, ReRunsComeFromTheCache) {
  testing::TempDir dir;
  const std::string flags = HowtoFlags(dir, "out.csv") + " --cache-dir " + dir.File("cache");
  auto cold = RunExtract(flags, dir);
  ASSERT_EQ(cold.exit_code, 0) << cold.output;
  EXPECT_THAT(cold.output,
              HasSubstr("cache: 0 leaf results and 0 spectra reused; computed 128 windows"));
  const std::string first = ReadFile(dir.File("out.csv"));
  auto warm = RunExtract(flags, dir);
  ASSERT_EQ(warm.exit_code, 0) << warm.output;
  EXPECT_THAT(warm.output,
              HasSubstr("computed 0 windows (0 filter chunks, 0 spectra, 0 feature runs)"));
  EXPECT_EQ(ReadFile(dir.File("out.csv")), first);
  auto refresh = RunExtract(flags + " --refresh-cache", dir);
  EXPECT_THAT(refresh.output, HasSubstr("computed 128 windows"));
  EXPECT_EQ(ReadFile(dir.File("out.csv")), first);
  auto none = RunExtract(HowtoFlags(dir, "out.csv") + " --no-cache", dir);
  EXPECT_THAT(none.output, ::testing::Not(HasSubstr("cache:")));
  EXPECT_EQ(ReadFile(dir.File("out.csv")), first);
}

}  // namespace
}  // namespace neurofeat
