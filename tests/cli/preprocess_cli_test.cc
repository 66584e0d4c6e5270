// End-to-end tests of `neurofeat preprocess`: the real binary, real files.
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/io/npy.h"
#include "core/preprocess/chunked_runner.h"
#include "core/preprocess/preprocess_chain.h"
#include "core/source/in_memory_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/cli_runner.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::TempDir;
using ::neurofeat::testing::WriteFile;
using ::testing::HasSubstr;

using Result = ::neurofeat::testing::CliResult;

Result RunCli(const std::string& args, const TempDir& dir) {
  return ::neurofeat::testing::RunCli(NF_BINARY_DIR, args, dir);
}

Traces Noise(int64_t frames, int64_t channels, uint32_t seed = 1) {
  Traces t = Traces::Uninitialized(SampleType::kFloat32, frames, channels);
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0, 20);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = n(rng);
  return t;
}

const char kBandpassMedian[] =
    R"({"preprocess": [{"bandpass": {"freq_min": 300, "freq_max": 6000}},
                       {"common_reference": {"reference": "global", "operator": "median"}}]})";

TEST(PreprocessCliTest, OutputEqualsTheEngineChunkedOutput) {
  TempDir dir;
  Traces x = Noise(75000, 7);
  ASSERT_TRUE(WriteNpy(dir.File("in.npy"), x).ok());
  WriteFile(dir.File("p.json"), kBandpassMedian);
  Result r = RunCli(absl::StrCat("preprocess --input ", dir.File("in.npy"),
                                 " --fs 30000 --pipeline ", dir.File("p.json"), " --output ",
                                 dir.File("out.npy"), " --chunk-duration 1s --threads 2"),
                    dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("preprocessed 75000 frames x 7 channels"));
  absl::StatusOr<NpyArray> out = ReadNpy(dir.File("out.npy"));
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_THAT(out->header.shape, ::testing::ElementsAre(75000, 7));

  // The same chain in-process, chunk by chunk.
  auto src = std::make_shared<InMemorySource>(std::move(x),
                                              RecordingInfo{30000, DefaultChannelIds(7), {}});
  ChainSpec spec;
  spec.steps.push_back({"b", ButterworthOptions{}});
  spec.steps.push_back({"c", CommonReferenceOptions{}});
  auto chain = PreprocessChain::Build(spec, src, SampleType::kFloat32);
  ASSERT_TRUE(chain.ok());
  std::string want;
  ASSERT_TRUE(
      RunChunked((*chain)->output(), ChunkOptions{}, 0, 75000, [&](int64_t, const Traces& t) {
        want.append(reinterpret_cast<const char*>(t.bytes()), t.size_bytes());
        return absl::OkStatus();
      }).ok());
  ASSERT_EQ(want.size(), out->data.size());
  EXPECT_EQ(0, std::memcmp(want.data(), out->data.data(), want.size()));
}

// Largest |difference| between `out` (a float32 (60000, 16) preprocess of
// the golden int16 input) and SpikeInterface's 1 s-chunked phase shift at
// the golden rows. Phase shift is linear: int16 in and float32 out is the
// golden (float32 input = int16 * 0.25) times 4.
double WorstDifferenceFromGoldenPhaseShift(const NpyArray& out) {
  NpyArray rows = ::neurofeat::testing::LoadNpy("phase_shift/rows.npy");
  NpyArray want = ::neurofeat::testing::LoadNpy("phase_shift/out_b_float32_chunked_1s__rows.npy");
  double worst = 0;
  for (int64_t i = 0; i < want.header.shape[0]; ++i) {
    for (int64_t c = 0; c < 16; ++c) {
      worst = std::max(worst, std::fabs(4.0 * want.as<float>()[i * 16 + c] -
                                        out.as<float>()[rows.as<int64_t>()[i] * 16 + c]));
    }
  }
  return worst;
}

TEST(PreprocessCliTest, PhaseShiftFromThePipelineJsonEqualsSpikeInterface) {
  // SpikeInterface's phase_shift on its golden int16 input, in 1 s chunks
  // (tests/data/phase_shift: rows of out_b_float32_chunked_1s, float32
  // input = int16 * 0.25; phase shift is linear, so int16 in and float32
  // out is that golden times 4).
  TempDir dir;
  NpyArray shifts = ::neurofeat::testing::LoadNpy("phase_shift/inter_sample_shift.npy");
  std::vector<std::string> s;
  for (int64_t i = 0; i < shifts.header.shape[0]; ++i) {
    s.push_back(absl::StrCat(shifts.as<double>()[i]));
  }
  WriteFile(dir.File("p.json"),
            absl::StrCat(R"({"preprocess": [{"phase_shift": {"margin_ms": 40, )",
                         R"("inter_sample_shift": [)", absl::StrJoin(s, ", "), "]}}]}"));
  Result r = RunCli(absl::StrCat("preprocess --input ",
                                 ::neurofeat::testing::TestDataPath("phase_shift/input_int16.npy"),
                                 " --fs 30000 --pipeline ", dir.File("p.json"), " --output ",
                                 dir.File("out.npy"), " --dtype float32 --chunk-duration 1s"),
                    dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  absl::StatusOr<NpyArray> out = ReadNpy(dir.File("out.npy"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_LT(WorstDifferenceFromGoldenPhaseShift(*out), 1e-3);  // float32 of values to ~1300

  // A step that is not in the pipeline vocabulary is named with the known ones.
  WriteFile(dir.File("bad.json"), R"({"preprocess": [{"phase_shif": {}}]})");
  r = RunCli(absl::StrCat("preprocess --input ",
                          ::neurofeat::testing::TestDataPath("phase_shift/input_int16.npy"),
                          " --fs 30000 --pipeline ", dir.File("bad.json"), " --output ",
                          dir.File("bad.npy")),
             dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("phase_shift"));
  // Without shifts, a .npy recording has none to offer.
  WriteFile(dir.File("none.json"), R"({"preprocess": [{"phase_shift": {}}]})");
  r = RunCli(absl::StrCat("preprocess --input ",
                          ::neurofeat::testing::TestDataPath("phase_shift/input_int16.npy"),
                          " --fs 30000 --pipeline ", dir.File("none.json"), " --output ",
                          dir.File("none.npy")),
             dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("preprocess[0].phase_shift.inter_sample_shift"));
}

TEST(PreprocessCliTest, PhaseShiftTakesTheShiftsFromASpikeGlxMeta) {
  // The golden input as a SpikeGLX NP 1.0 recording of readout channels
  // 0, 2, ..., 30: `{"phase_shift": {}}` finds the shifts in the .meta.
  TempDir dir;
  absl::StatusOr<NpyArray> in =
      ReadNpy(::neurofeat::testing::TestDataPath("phase_shift/input_int16.npy"));
  ASSERT_TRUE(in.ok());
  WriteFile(dir.File("r.imec0.ap.bin"),
            std::string(reinterpret_cast<const char*>(in->data.data()), in->data.size()));
  std::string imro = "(0,384)";
  for (int c = 0; c < 384; ++c) absl::StrAppend(&imro, "(", c, " 0 0 500 250 1)");
  WriteFile(dir.File("r.imec0.ap.meta"),
            absl::StrCat("imSampRate=30000\nnSavedChans=16\nsnsApLfSy=16,0,0\n",
                         "snsSaveChanSubset=0:0,2:2,4:4,6:6,8:8,10:10,12:12,14:14,16:16,18:18,",
                         "20:20,22:22,24:24,26:26,28:28,30:30\n~imroTbl=", imro, "\n"));
  WriteFile(dir.File("p.json"), R"({"preprocess": [{"phase_shift": {}}]})");
  Result r = RunCli(absl::StrCat("preprocess --input ", dir.File("r.imec0.ap.bin"),
                                 " --format spikeglx --pipeline ", dir.File("p.json"), " --output ",
                                 dir.File("out.npy"), " --dtype float32 --chunk-duration 1s"),
                    dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  absl::StatusOr<NpyArray> out = ReadNpy(dir.File("out.npy"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_LT(WorstDifferenceFromGoldenPhaseShift(*out), 1e-3);
}

TEST(PreprocessCliTest, StartEndAcceptFramesAndSeconds) {
  TempDir dir;
  ASSERT_TRUE(WriteNpy(dir.File("in.npy"), Noise(90000, 3)).ok());
  WriteFile(dir.File("p.json"), kBandpassMedian);
  Result r = RunCli(absl::StrCat("preprocess --input ", dir.File("in.npy"),
                                 " --fs 30000 --pipeline ", dir.File("p.json"), " --output ",
                                 dir.File("out.npy"), " --start 1s --end 60000 --dtype int16"),
                    dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  absl::StatusOr<NpyArray> out = ReadNpy(dir.File("out.npy"));
  ASSERT_TRUE(out.ok());
  EXPECT_THAT(out->header.shape, ::testing::ElementsAre(30000, 3));
  EXPECT_EQ(out->header.dtype, NpyDtype::kInt16);
}

struct BadInputCase {
  const char* name;
  // Input array; empty frames means "write `raw_input` bytes instead".
  std::function<Traces()> input;
  std::string raw_input;
  std::string pipeline;
  std::string extra_flags;
  int exit_code;
  std::string message;
};

std::vector<BadInputCase> BadInputCases() {
  auto noise = [] { return Noise(3000, 4); };
  auto with_value = [](double v) {
    return [v] {
      Traces t = Noise(3000, 4);
      t.row<float>(1234)[3] = static_cast<float>(v);
      return t;
    };
  };
  const std::string bp = R"({"preprocess": [{"bandpass": )";
  return {
      {"nan", with_value(std::nan("")), "", kBandpassMedian, "", 1,
       "input sample at frame 1234, channel 3 is NaN"},
      {"inf", with_value(std::numeric_limits<double>::infinity()), "", kBandpassMedian, "", 1,
       "frame 1234, channel 3 is infinite"},
      {"min_above_max", noise, "", bp + R"({"freq_min": 7000, "freq_max": 6000}}]})", "", 1,
       "preprocess[0].bandpass.freq_min=7000 must be below preprocess[0].bandpass.freq_max=6000"},
      {"corner_above_nyquist", noise, "", bp + R"({"freq_max": 20000}}]})", "", 1,
       "preprocess[0].bandpass.freq_max=20000 is at or above Nyquist (15000 Hz"},
      {"order_zero", noise, "", bp + R"({"filter_order": 0}}]})", "", 1,
       "preprocess[0].bandpass.filter_order=0 is outside the supported range 1..10"},
      {"order_eleven", noise, "", bp + R"({"filter_order": 11}}]})", "", 1,
       "preprocess[0].bandpass.filter_order=11"},
      {"shorter_than_padding", [] { return Noise(20, 4); }, "", kBandpassMedian, "", 1,
       "preprocess[0].bandpass: a chunk of 20 frames is too short for zero-phase filtering"},
      {"zero_channels", [] { return Traces::Zeros(SampleType::kFloat32, 100, 0); }, "",
       kBandpassMedian, "", 1, "zero channels"},
      {"missing_ref_channel", noise, "",
       R"({"preprocess": [{"common_reference": {"reference": "single", "ref_channel_ids": ["9"]}}]})",
       "", 1, "preprocess[0].common_reference.ref_channel_ids[0]=\"9\" is not a channel"},
      {"truncated_npy", nullptr, "TRUNCATE", kBandpassMedian, "", 1, "truncated .npy"},
      {"malformed_npy", nullptr, "this is not an npy file at all", kBandpassMedian, "", 1,
       "missing \\x93NUMPY magic"},
      {"unknown_json_key", noise, "", bp + R"({"freq_mn": 300}}]})", "", 1,
       "preprocess[0].bandpass.freq_mn: unknown key; did you mean \"freq_min\"? (known: freq_min, "
       "freq_max"},
      {"unknown_step", noise, "", R"({"preprocess": [{"bandpas": {}}]})", "", 1,
       "preprocess[0].bandpas: unknown step; did you mean \"bandpass\"? (known: bandpass, highpass"},
      {"wrong_type", noise, "", bp + R"({"freq_min": "low"}}]})", "", 1,
       "preprocess[0].bandpass.freq_min: expected a number, got a string (\"low\")"},
      {"wrong_margin_type", noise, "", bp + R"({"margin_ms": true}}]})", "", 1,
       "preprocess[0].bandpass.margin_ms=true must be a number of ms or \"auto\""},
      {"bad_reference_name", noise, "",
       R"({"preprocess": [{"common_reference": {"reference": "globl"}}]})", "", 1,
       "preprocess[0].common_reference.reference=\"globl\" is not one of global, single, local"},
      {"json_syntax", noise, "", R"({"preprocess": [)", "", 1, "pipeline:"},
      {"bad_fs", noise, "", kBandpassMedian, "--fs -3", 1, "--fs=-3 must be positive"},
      {"unknown_flag", noise, "", kBandpassMedian, "--frobnicate 1", 2,
       "unknown flag --frobnicate"},
      {"bad_dtype", noise, "", kBandpassMedian, "--dtype float16", 1, "--dtype=float16"},
      {"bad_range", noise, "", kBandpassMedian, "--start 2000 --end 1000", 1, "--start/--end"},
      {"bad_chunk", noise, "", kBandpassMedian, "--chunk-duration 0s", 1,
       "--chunk-duration=0s is not a positive duration"},
  };
}

void PrintTo(const BadInputCase& c, std::ostream* os) { *os << c.name; }

class PreprocessCliBadInputTest : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(PreprocessCliBadInputTest, FailsWithClearMessageAndNoOutputFile) {
  const BadInputCase& c = GetParam();
  TempDir dir;
  if (c.input) {
    ASSERT_TRUE(WriteNpy(dir.File("in.npy"), c.input()).ok());
  } else if (c.raw_input == "TRUNCATE") {
    ASSERT_TRUE(WriteNpy(dir.File("in.npy"), Noise(3000, 4)).ok());
    std::filesystem::resize_file(dir.File("in.npy"), 20000);
  } else {
    WriteFile(dir.File("in.npy"), c.raw_input);
  }
  WriteFile(dir.File("p.json"), c.pipeline);
  std::string flags = c.extra_flags;
  if (flags.find("--fs") == std::string::npos) flags += " --fs 30000";
  Result r = RunCli(absl::StrCat("preprocess --input ", dir.File("in.npy"), " --pipeline ",
                                 dir.File("p.json"), " --output ", dir.File("out.npy"), " ", flags),
                    dir);
  EXPECT_EQ(r.exit_code, c.exit_code) << r.output;
  EXPECT_THAT(r.output, HasSubstr(c.message));
  EXPECT_FALSE(std::filesystem::exists(dir.File("out.npy")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("out.npy.partial")));
}

INSTANTIATE_TEST_SUITE_P(BadInputs, PreprocessCliBadInputTest, ::testing::ValuesIn(BadInputCases()),
                         [](const ::testing::TestParamInfo<BadInputCase>& info) {
                           return info.param.name;
                         });

TEST(PreprocessCliTest, MissingFilesAreNamed) {
  TempDir dir;
  WriteFile(dir.File("p.json"), kBandpassMedian);
  Result r =
      RunCli(absl::StrCat("preprocess --input ", dir.File("nope.npy"), " --fs 30000 --pipeline ",
                          dir.File("p.json"), " --output ", dir.File("out.npy")),
             dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("file not found: " + dir.File("nope.npy")));
  r = RunCli(absl::StrCat("preprocess --input x.npy --fs 30000 --pipeline ", dir.File("none.json"),
                          " --output ", dir.File("out.npy")),
             dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("--pipeline file not found"));
}

}  // namespace
}  // namespace neurofeat
