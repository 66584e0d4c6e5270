// NWB reader: files written by tests/core/io/make_nwb_files.py (h5py, laid
// out as pynwb lays them out) against numpy's computation of the schema's
// formula (volts = data x conversion x channel_conversion + offset), random
// access, threads, series selection, malformed fields, truncation, FIFOs.
#include "core/io/nwb_source.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/io/npy.h"
#include "core/util/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/cli_runner.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::IsOk;
using ::neurofeat::testing::StatusIs;
using ::testing::HasSubstr;

// The files are made once for the whole suite.
class NwbSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const testing::CliResult r =
        testing::RunPython("core/io/make_nwb_files.py", dir_->path(), *dir_);
    made_ = r.exit_code == 0;
    output_ = r.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(made_) << output_; }

  static std::string File(const std::string& name) { return dir_->File(name); }

  static absl::StatusOr<OpenedRecording> Open(const std::string& name,
                                              const std::string& series = "") {
    ReaderOptions options;
    options.nwb_series = series;
    return OpenNwb(File(name), options);
  }

  static testing::TempDir* dir_;
  static bool made_;
  static std::string output_;
};

testing::TempDir* NwbSourceTest::dir_ = nullptr;
bool NwbSourceTest::made_ = false;
std::string NwbSourceTest::output_;

JsonValue LoadRefJson(const std::string& path) {
  absl::StatusOr<JsonValue> v = ParseJson(testing::ReadFile(path));
  EXPECT_THAT(v, IsOk()) << path;
  return v.ok() ? *v : JsonValue();
}

// The valid cases (NAME.ref.npy / NAME.ref.json).
const char* const kCases[] = {"int16_gzip",     "float32_contiguous", "int16_1d",
                              "two_series_raw", "two_series_lfp",     "float64_millivolts",
                              "derived_type",   "userblock"};

TEST_F(NwbSourceTest, MatchesTheSchemaFormulaComputedByNumpy) {
  for (const char* name : kCases) {
    SCOPED_TRACE(name);
    const JsonValue ref = LoadRefJson(File(absl::StrCat(name, ".ref.json")));
    absl::StatusOr<NpyArray> values = ReadNpy(File(absl::StrCat(name, ".ref.npy")));
    ASSERT_THAT(values, IsOk());
    ASSERT_EQ(values->header.dtype, NpyDtype::kFloat64);
    ASSERT_EQ(values->header.shape.size(), 2u);
    const int64_t channels = values->header.shape[0], frames = values->header.shape[1];

    absl::StatusOr<OpenedRecording> rec =
        Open(ref.Find("file")->string_value(), ref.Find("series")->string_value());
    ASSERT_THAT(rec, IsOk());
    EXPECT_EQ(rec->format, RecordingFormat::kNwb);
    EXPECT_EQ(rec->data_path, File(ref.Find("file")->string_value()));
    EXPECT_TRUE(rec->more_data_paths.empty());
    EXPECT_TRUE(rec->events.empty());
    const TraceSource& src = *rec->source;
    const RecordingInfo& info = src.info();
    ASSERT_EQ(src.num_frames(), frames);
    ASSERT_EQ(src.num_channels(), channels);
    EXPECT_EQ(src.sample_type(), SampleType::kFloat64);
    // The rate is computed the same way (float32 attribute widened, or
    // (n - 1) / (t[n-1] - t[0])): equal, not close.
    EXPECT_EQ(info.sampling_rate_hz, ref.Find("sfreq")->number_value());
    std::vector<std::string> names;
    for (const JsonValue& v : ref.Find("ch_names")->list()) names.push_back(v.string_value());
    EXPECT_EQ(info.channel_ids, names);
    EXPECT_TRUE(info.channel_ids_from_file);
    EXPECT_TRUE(info.channel_types.empty());
    EXPECT_FALSE(info.highpass_hz.has_value());
    EXPECT_FALSE(info.lowpass_hz.has_value());
    const std::string unit = ref.Find("unit")->string_value();
    EXPECT_EQ(info.unit, unit);
    if (unit == "V") {
      EXPECT_EQ(info.gain_to_uv, std::vector<double>(channels, 1e6));
      EXPECT_EQ(info.offset_to_uv, std::vector<double>(channels, 0.0));
    } else {
      EXPECT_TRUE(info.gain_to_uv.empty());
    }

    absl::StatusOr<Traces> t = src.GetTraces(0, frames);
    ASSERT_THAT(t, IsOk());
    const double* expected = values->as<double>();
    double worst = 0;
    for (int64_t c = 0; c < channels; ++c) {
      double peak = 0, diff = 0;
      for (int64_t f = 0; f < frames; ++f) {
        const double e = expected[c * frames + f];
        peak = std::max(peak, std::fabs(e));
        diff = std::max(diff, std::fabs(t->row<double>(f)[c] - e));
      }
      worst = std::max(worst, peak > 0 ? diff / peak : diff);
    }
    // The same float64 operations in the same order: bit-identical.
    EXPECT_EQ(worst, 0.0);
  }
}

// Ranges that start and end inside chunks (chunks of 700 frames x 3
// channels in int16_gzip, 1000 x 2 in float64_millivolts, 128 x 1 in
// lfp) equal the same rows of a whole read.
TEST_F(NwbSourceTest, RandomAccessEqualsTheSameRowsOfAWholeRead) {
  std::mt19937_64 rng(7);
  for (const char* name : kCases) {
    SCOPED_TRACE(name);
    const JsonValue ref = LoadRefJson(File(absl::StrCat(name, ".ref.json")));
    absl::StatusOr<OpenedRecording> rec =
        Open(ref.Find("file")->string_value(), ref.Find("series")->string_value());
    ASSERT_THAT(rec, IsOk());
    const TraceSource& src = *rec->source;
    const int64_t n = src.num_frames();
    absl::StatusOr<Traces> whole = src.GetTraces(0, n);
    ASSERT_THAT(whole, IsOk());
    std::vector<std::pair<int64_t, int64_t>> ranges = {
        {0, 1}, {n - 1, n}, {n / 3, 2 * n / 3}, {0, 0}, {n, n}};
    for (int64_t edge : {128, 256, 700, 1000}) {
      if (edge + 1 < n) ranges.push_back({edge - 1, edge + 1});
      if (3 * edge + 5 < n) ranges.push_back({edge - 50, 3 * edge + 5});
    }
    for (int i = 0; i < 20; ++i) {
      const int64_t a = static_cast<int64_t>(rng() % n);
      const int64_t b = a + static_cast<int64_t>(rng() % (n - a + 1));
      ranges.push_back({a, b});
    }
    for (const auto& [a, b] : ranges) {
      SCOPED_TRACE(absl::StrCat("[", a, ", ", b, ")"));
      absl::StatusOr<Traces> part = src.GetTraces(a, b);
      ASSERT_THAT(part, IsOk());
      ASSERT_EQ(part->frames(), b - a);
      for (int64_t f = a; f < b; ++f) {
        for (int64_t c = 0; c < src.num_channels(); ++c) {
          ASSERT_EQ(part->row<double>(f - a)[c], whole->row<double>(f)[c]) << f << "," << c;
        }
      }
    }
    EXPECT_THAT(src.GetTraces(0, n + 1), StatusIs(absl::StatusCode::kOutOfRange));
    EXPECT_THAT(src.GetTraces(-1, 2), StatusIs(absl::StatusCode::kOutOfRange));
  }
}

TEST_F(NwbSourceTest, ConcurrentReadsEqualSerialReads) {
  for (const char* file : {"int16_gzip.nwb", "float32_contiguous.nwb", "float64_millivolts.nwb"}) {
    SCOPED_TRACE(file);
    absl::StatusOr<OpenedRecording> rec = Open(file);
    ASSERT_THAT(rec, IsOk());
    const TraceSource& src = *rec->source;
    const int64_t n = src.num_frames();
    std::vector<std::pair<int64_t, int64_t>> ranges;
    std::mt19937_64 rng(11);
    for (int i = 0; i < 64; ++i) {
      const int64_t a = static_cast<int64_t>(rng() % n);
      ranges.push_back({a, std::min(n, a + 1 + static_cast<int64_t>(rng() % 1500))});
    }
    std::vector<Traces> serial;
    for (const auto& [a, b] : ranges) {
      absl::StatusOr<Traces> t = src.GetTraces(a, b);
      ASSERT_THAT(t, IsOk());
      serial.push_back(std::move(*t));
    }
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (int k = 0; k < 4; ++k) {
      threads.emplace_back([&, k] {
        for (int round = 0; round < 3; ++round) {
          for (size_t i = k; i < ranges.size(); i += (k % 2) + 1) {
            absl::StatusOr<Traces> t = src.GetTraces(ranges[i].first, ranges[i].second);
            if (!t.ok() || t->size_bytes() != serial[i].size_bytes() ||
                std::memcmp(t->bytes(), serial[i].bytes(), t->size_bytes()) != 0) {
              ++mismatches[k];
            }
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(mismatches, std::vector<int>(4, 0));
  }
}

TEST_F(NwbSourceTest, SeriesAreChosenByName) {
  EXPECT_THAT(Open("two_series.nwb"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("/acquisition holds 2 ElectricalSeries (lfp, raw); choose one")));
  EXPECT_THAT(Open("two_series.nwb", "nope"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("nwb_series=nope is not an ElectricalSeries in /acquisition "
                                 "(lfp, raw)")));
  // A TimeSeries is not one.
  EXPECT_THAT(Open("two_series.nwb", "accel"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nwb_series=accel")));
  absl::StatusOr<OpenedRecording> lfp = Open("two_series.nwb", "lfp");
  ASSERT_THAT(lfp, IsOk());
  EXPECT_EQ(lfp->source->num_channels(), 2);
  // The extension type is found through the cached spec; the
  // SpikeEventSeries beside it (derived too) is not a recording.
  EXPECT_THAT(Open("derived_type.nwb", "spikes"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("(ecog)")));
}

struct MalformedCase {
  const char* file;
  const char* series;
  absl::StatusCode code;
  const char* message;
};

TEST_F(NwbSourceTest, MalformedFieldsAreNamed) {
  constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
  const MalformedCase kMalformed[] = {
      {"bad_rank.nwb", "", kInvalid, "/acquisition/es/data has shape (10, 4, 2)"},
      {"bad_dtype.nwb", "", kInvalid, "/acquisition/es/data has type float16, not supported"},
      {"bad_scalar_data.nwb", "", kInvalid, "/acquisition/es/data is a scalar"},
      {"bad_empty_data.nwb", "", kInvalid, "/acquisition/es/data has 0 frames"},
      {"bad_too_many_channels.nwb", "", kInvalid, "data has 70000 channels"},
      {"bad_too_many_frames.nwb", "", kInvalid, "data has 36028797018963968 frames"},
      {"bad_data_larger_than_file.nwb", "", kInvalid,
       "data claims 40000000 values of 2 bytes, more than a file of"},
      {"bad_lzf.nwb", "", kInvalid, "data is compressed with filter 32000 (lzf)"},
      {"bad_external_storage.nwb", "", kInvalid, "data keeps its samples in external files"},
      {"bad_no_rate.nwb", "", kInvalid, "/acquisition/es has neither starting_time"},
      {"bad_zero_rate.nwb", "", kInvalid, "starting_time attribute rate=0 is not in (0, 1e+09]"},
      {"bad_nan_rate.nwb", "", kInvalid, "starting_time attribute rate=nan"},
      {"bad_huge_rate.nwb", "", kInvalid, "starting_time attribute rate=1e+12"},
      {"bad_rate_string.nwb", "", kInvalid, "starting_time attribute rate is not a number"},
      {"bad_conversion_nan.nwb", "", kInvalid, "data attribute conversion=inf is not finite"},
      {"bad_conversion_string.nwb", "", kInvalid, "data attribute conversion is not a number"},
      {"bad_offset_nan.nwb", "", kInvalid, "data attribute offset=nan is not finite"},
      {"bad_channel_conversion_length.nwb", "", kInvalid,
       "channel_conversion has 3 values for 4 channels"},
      {"bad_channel_conversion_axis.nwb", "", kInvalid, "channel_conversion attribute axis=0"},
      {"bad_channel_conversion_nan.nwb", "", kInvalid, "channel_conversion[1]=nan"},
      {"bad_electrodes_length.nwb", "", kInvalid, "electrodes has 3 rows for 4 channels"},
      {"bad_electrodes_index.nwb", "", kInvalid,
       "electrodes[2]=9 is not a row of /general/extracellular_ephys/electrodes (4 rows)"},
      {"bad_electrodes_negative.nwb", "", kInvalid, "electrodes[1]=-1 is not a row"},
      {"bad_electrodes_no_table.nwb", "", kInvalid, "electrodes has no attribute table"},
      {"bad_electrodes_missing.nwb", "", kInvalid, "/acquisition/es/electrodes is missing"},
      {"bad_electrodes_float.nwb", "", kInvalid, "electrodes is not an integer region"},
      {"bad_channel_name_length.nwb", "", kInvalid,
       "electrodes/channel_name has 2 rows, the table 4"},
      {"bad_channel_name_type.nwb", "", kInvalid, "channel_name is not a column of strings"},
      {"bad_timestamps_length.nwb", "", kInvalid, "timestamps has 150 values for 200 frames"},
      {"bad_timestamps_irregular.nwb", "", kInvalid,
       "timestamps are not regular: the step from frame 119 to 120"},
      {"bad_timestamps_nan.nwb", "", kInvalid, "timestamps[50]=nan is not finite"},
      {"bad_timestamps_backwards.nwb", "", kInvalid, "timestamps run from 0.199 to 0 s"},
      {"bad_timestamps_one.nwb", "", kInvalid, "timestamps has one value"},
      {"bad_no_series.nwb", "", kInvalid, "/acquisition holds no ElectricalSeries"},
      {"bad_no_acquisition.nwb", "", kInvalid, "/acquisition is missing"},
      {"bad_no_nwb_version.nwb", "", kInvalid, "root attribute nwb_version is missing"},
      {"bad_nwb_version.nwb", "", kInvalid, "root attribute nwb_version=1.0.6 is not 2.x"},
      {"bad_external_link.nwb", "", kInvalid, "(external links, not followed: elsewhere)"},
      {"bad_external_link.nwb", "elsewhere", kInvalid,
       "/acquisition/elsewhere is an external link to another file, which is not supported"},
      {"bad_not_hdf5.nwb", "", kInvalid, "is not an HDF5 file"},
  };
  for (const MalformedCase& c : kMalformed) {
    SCOPED_TRACE(absl::StrCat(c.file, " ", c.series));
    EXPECT_THAT(Open(c.file, c.series), StatusIs(c.code, HasSubstr(c.message)));
  }
}

TEST_F(NwbSourceTest, TruncatedSamplesAreDataLossNamingTheFirstMissingFrame) {
  for (const char* name : {"truncated_contiguous", "truncated_chunked", "truncated_userblock"}) {
    SCOPED_TRACE(name);
    const JsonValue ref = LoadRefJson(File(absl::StrCat(name, ".json")));
    const int64_t frame = static_cast<int64_t>(ref.Find("first_missing_frame")->number_value());
    EXPECT_THAT(Open(absl::StrCat(name, ".nwb")),
                StatusIs(absl::StatusCode::kDataLoss,
                         HasSubstr(absl::StrCat("/acquisition/es/data is missing from frame ",
                                                frame, " on"))));
  }
}

// A damaged chunk fails the reads that need it, from every thread that
// waits for it (the decoded-chunk cache must not hand out a failed chunk),
// and only those.
TEST_F(NwbSourceTest, ADamagedChunkIsDataLossForTheFramesInIt) {
  absl::StatusOr<OpenedRecording> rec = Open("corrupt_chunk.nwb");
  ASSERT_THAT(rec, IsOk());
  const TraceSource& src = *rec->source;
  EXPECT_THAT(src.GetTraces(0, 2000), IsOk());
  EXPECT_THAT(src.GetTraces(3000, 5000), IsOk());
  std::vector<absl::Status> results(4);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] { results[k] = src.GetTraces(1990 + k, 2010 + k).status(); });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) {
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kDataLoss,
                            HasSubstr("/acquisition/es/data: the chunk at frame 2000, channel 0 "
                                      "does not inflate")));
  }
  EXPECT_THAT(src.GetTraces(2999, 3001), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(NwbSourceTest, AFifoNamedLikeTheFileIsRefusedWithoutWaiting) {
  const std::string fifo = File("fifo.nwb");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  EXPECT_THAT(OpenNwb(fifo, {}), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("not a regular file (a FIFO)")));
}

TEST_F(NwbSourceTest, MissingFileIsNotFound) {
  EXPECT_THAT(OpenNwb(File("absent.nwb"), {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("absent.nwb")));
}

// The fuzz corpus's seeds (make_nwb_files.py --fuzz-corpus): the valid
// ones open and read; the broken ones fail with the code they should.
TEST_F(NwbSourceTest, FuzzSeedsOpenOrFailAsTheyShould) {
  const std::string corpus = std::string(NF_TEST_DATA_DIR) + "/../fuzz/corpus/nwb_fuzz/";
  // The same 40 x 3 int16 values stored six ways read the same.
  absl::StatusOr<OpenedRecording> plain = OpenNwb(corpus + "contiguous", {});
  ASSERT_THAT(plain, IsOk());
  absl::StatusOr<Traces> expected = plain->source->GetTraces(0, 40);
  ASSERT_THAT(expected, IsOk());
  for (const char* name :
       {"vlen_strings", "gzip_shuffle", "gzip_float32", "int32_chunked", "fletcher32"}) {
    SCOPED_TRACE(name);
    absl::StatusOr<OpenedRecording> rec = OpenNwb(corpus + name, {});
    ASSERT_THAT(rec, IsOk());
    absl::StatusOr<Traces> t = rec->source->GetTraces(0, 40);
    ASSERT_THAT(t, IsOk());
    ASSERT_EQ(t->size_bytes(), expected->size_bytes());
    EXPECT_EQ(std::memcmp(t->bytes(), expected->bytes(), t->size_bytes()), 0);
  }
  absl::StatusOr<OpenedRecording> one = OpenNwb(corpus + "timestamps_1d", {});
  ASSERT_THAT(one, IsOk());
  EXPECT_EQ(one->source->num_channels(), 1);
  EXPECT_EQ(one->source->info().sampling_rate_hz, 39 / 0.39);
  EXPECT_THAT(OpenNwb(corpus + "not_hdf5", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("HDF5")));
  EXPECT_THAT(OpenNwb(corpus + "truncated", {}), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace neurofeat
