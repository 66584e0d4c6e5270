#include "core/io/eeglab_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/io/npy.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/testing/cli_runner.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::IsOk;
using ::neurofeat::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// The sets make_eeglab_files.py writes, once per test binary.
struct Generated {
  Generated() : result(testing::RunPython("core/io/make_eeglab_files.py", dir.path(), dir)) {}
  testing::TempDir dir;
  testing::CliResult result;
};

const Generated& Files() {
  static Generated g;
  return g;
}

#define ASSERT_GENERATED() ASSERT_EQ(Files().result.exit_code, 0) << Files().result.output

std::string SetPath(const std::string& name) { return Files().dir.File(name + ".set"); }

// Every good variant: where the samples are (in the .set: v5 plain, v5
// compressed, v5 big-endian, v7.3 chunked or contiguous; in a .fdt), EEG
// struct or top-level fields, with and without chanlocs and event
// durations.
const char* const kGoodSets[] = {
    "inline_v5",  "inline_v5z",   "inline_v73", "top_v5",       "top_v5z",
    "top_v73",    "fdt_v5",       "fdt_v73",    "fdt_fallback", "one_channel_v5",
    "nested_v5z", "data_last_v5", "top_v5_be",
};

google::protobuf::Struct ReadJson(const std::string& file) {
  google::protobuf::Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(testing::ReadFile(file), &s);
  EXPECT_TRUE(status.ok()) << file << ": " << status.ToString();
  return s;
}

std::vector<std::string> Strings(const google::protobuf::Value& v) {
  std::vector<std::string> out;
  for (const auto& e : v.list_value().values()) out.push_back(e.string_value());
  return out;
}

Traces ReadAll(const TraceSource& src) {
  absl::StatusOr<Traces> t = src.GetTraces(0, src.num_frames());
  EXPECT_THAT(t, IsOk());
  return t.ok() ? *std::move(t) : Traces{};
}

bool SameSamples(const Traces& a, const Traces& b) {
  return a.frames() == b.frames() && a.channels() == b.channels() &&
         std::memcmp(a.bytes(), b.bytes(), a.size_bytes()) == 0;
}

TEST(EeglabSourceTest, EveryVariantMatchesMne) {
  ASSERT_GENERATED();
  double worst = 0;
  for (const char* name : kGoodSets) {
    SCOPED_TRACE(name);
    absl::StatusOr<OpenedRecording> rec = OpenEeglab(SetPath(name), {});
    ASSERT_THAT(rec, IsOk());
    const TraceSource& src = *rec->source;
    const google::protobuf::Struct meta =
        ReadJson(Files().dir.File(absl::StrCat(name, ".ref.json")));
    const auto& f = meta.fields();
    EXPECT_EQ(rec->format, RecordingFormat::kEeglab);
    EXPECT_EQ(src.info().channel_ids, Strings(f.at("ch_names")));
    EXPECT_EQ(src.info().channel_types, Strings(f.at("ch_types")));
    EXPECT_EQ(src.info().sampling_rate_hz, f.at("sfreq").number_value());
    EXPECT_EQ(src.info().unit, "V");
    EXPECT_FALSE(src.info().highpass_hz.has_value());
    EXPECT_FALSE(src.info().lowpass_hz.has_value());
    EXPECT_EQ(src.info().gain_to_uv, std::vector<double>(src.num_channels(), 1e6));
    EXPECT_EQ(src.num_frames(), static_cast<int64_t>(f.at("n_times").number_value()));
    EXPECT_EQ(src.sample_type(), SampleType::kFloat64);

    const auto& events = f.at("events").list_value().values();
    ASSERT_EQ(rec->events.size(), static_cast<size_t>(events.size()));
    for (int i = 0; i < events.size(); ++i) {
      const auto& e = events[i].list_value().values();
      EXPECT_EQ(rec->events[i].onset_frame, static_cast<int64_t>(e[0].number_value())) << i;
      EXPECT_EQ(rec->events[i].duration_frames, static_cast<int64_t>(e[1].number_value())) << i;
      EXPECT_EQ(rec->events[i].description, e[2].string_value()) << i;
    }

    absl::StatusOr<NpyArray> ref = ReadNpy(Files().dir.File(absl::StrCat(name, ".ref.npy")));
    ASSERT_THAT(ref, IsOk());
    ASSERT_EQ(ref->header.shape, (std::vector<int64_t>{src.num_channels(), src.num_frames()}));
    const Traces t = ReadAll(src);
    const double* want = ref->as<double>();
    for (int64_t c = 0; c < src.num_channels(); ++c) {
      double max_abs = 0, max_diff = 0;
      for (int64_t i = 0; i < src.num_frames(); ++i) {
        const double w = want[c * src.num_frames() + i];
        max_abs = std::max(max_abs, std::fabs(w));
        max_diff = std::max(max_diff, std::fabs(t.row<double>(i)[c] - w));
      }
      worst = std::max(worst, max_abs > 0 ? max_diff / max_abs : max_diff);
    }
  }
  // float64(sample) * 1e-6, as MNE computes it: bit for bit.
  EXPECT_EQ(worst, 0.0) << "max |diff| / max |value| over channels and sets";
}

TEST(EeglabSourceTest, FilesOfTheRecording) {
  ASSERT_GENERATED();
  absl::StatusOr<OpenedRecording> fdt = OpenEeglab(SetPath("fdt_v5"), {});
  ASSERT_THAT(fdt, IsOk());
  EXPECT_EQ(fdt->data_path, Files().dir.File("fdt_v5.fdt"));
  EXPECT_EQ(fdt->more_data_paths, std::vector<std::string>{SetPath("fdt_v5")});
  // EEG.data names renamed_on_disk.fdt; MNE then takes the .set's name.
  absl::StatusOr<OpenedRecording> fallback = OpenEeglab(SetPath("fdt_fallback"), {});
  ASSERT_THAT(fallback, IsOk());
  EXPECT_EQ(fallback->data_path, Files().dir.File("fdt_fallback.fdt"));
  absl::StatusOr<OpenedRecording> inline_set = OpenEeglab(SetPath("inline_v73"), {});
  ASSERT_THAT(inline_set, IsOk());
  EXPECT_EQ(inline_set->data_path, SetPath("inline_v73"));
  EXPECT_TRUE(inline_set->more_data_paths.empty());
  EXPECT_TRUE(inline_set->source->info().channel_ids_from_file);
  absl::StatusOr<OpenedRecording> top = OpenEeglab(SetPath("top_v5"), {});
  ASSERT_THAT(top, IsOk());
  EXPECT_FALSE(top->source->info().channel_ids_from_file);  // MNE's "EEG 000"...
}

TEST(EeglabSourceTest, RandomAccessEqualsTheWholeRead) {
  ASSERT_GENERATED();
  for (const char* name : kGoodSets) {
    SCOPED_TRACE(name);
    absl::StatusOr<OpenedRecording> rec = OpenEeglab(SetPath(name), {});
    ASSERT_THAT(rec, IsOk());
    const TraceSource& src = *rec->source;
    const Traces whole = ReadAll(src);
    const int64_t n = src.num_frames();
    // A middle third, v7.3 chunk edges (256 frames), the ends, and random
    // ranges.
    std::vector<std::pair<int64_t, int64_t>> ranges = {
        {n / 3, 2 * n / 3}, {255, 257}, {250, 770}, {0, 1}, {n - 1, n}, {7, 7}};
    std::mt19937_64 rng(42);
    for (int i = 0; i < 20; ++i) {
      const int64_t a = static_cast<int64_t>(rng() % n);
      ranges.emplace_back(a, a + static_cast<int64_t>(rng() % (n - a + 1)));
    }
    for (const auto& [a, b] : ranges) {
      absl::StatusOr<Traces> part = src.GetTraces(a, b);
      ASSERT_THAT(part, IsOk());
      EXPECT_TRUE(SameSamples(*part, CopyFrames(whole, a, b))) << a << ".." << b;
    }
    EXPECT_THAT(src.GetTraces(0, n + 1), StatusIs(absl::StatusCode::kOutOfRange));
    EXPECT_THAT(src.GetTraces(5, 4), StatusIs(absl::StatusCode::kOutOfRange));
  }
}

TEST(EeglabSourceTest, ConcurrentReadsEqualSerialReads) {
  ASSERT_GENERATED();
  for (const char* name : {"inline_v5", "inline_v5z", "inline_v73", "fdt_v5", "top_v73"}) {
    SCOPED_TRACE(name);
    absl::StatusOr<OpenedRecording> rec = OpenEeglab(SetPath(name), {});
    ASSERT_THAT(rec, IsOk());
    const TraceSource& src = *rec->source;
    const Traces whole = ReadAll(src);
    const int64_t n = src.num_frames();
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (int k = 0; k < 4; ++k) {
      threads.emplace_back([&, k] {
        std::mt19937_64 rng(k);
        for (int i = 0; i < 50; ++i) {
          const int64_t a = static_cast<int64_t>(rng() % n);
          const int64_t b = std::min<int64_t>(n, a + 1 + static_cast<int64_t>(rng() % 600));
          absl::StatusOr<Traces> t = src.GetTraces(a, b);
          if (!t.ok() || !SameSamples(*t, CopyFrames(whole, a, b))) ++mismatches[k];
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(mismatches, std::vector<int>(4, 0));
  }
}

struct BadCase {
  const char* file;
  absl::StatusCode code;
  std::vector<std::string> substrings;
};

TEST(EeglabSourceTest, MalformedFieldsAreRefused) {
  ASSERT_GENERATED();
  using absl::StatusCode;
  const BadCase kCases[] = {
      {"bad_nbchan_zero", StatusCode::kInvalidArgument, {"EEG.nbchan=0.0 is not", "[1, 65536]"}},
      {"bad_nbchan_fraction", StatusCode::kInvalidArgument, {"EEG.nbchan=4.5"}},
      {"bad_nbchan_missing", StatusCode::kInvalidArgument, {"EEG.nbchan is missing"}},
      {"bad_pnts_negative", StatusCode::kInvalidArgument, {"EEG.pnts=-5.0"}},
      {"bad_srate_zero", StatusCode::kInvalidArgument, {"EEG.srate=0.0", "sampling rate"}},
      {"bad_srate_nan", StatusCode::kInvalidArgument, {"EEG.srate=nan"}},
      {"bad_srate_array", StatusCode::kInvalidArgument, {"EEG.srate is a 1 x 2 double"}},
      {"bad_trials_epoched", StatusCode::kInvalidArgument, {"epoched", "EEG.trials=3 trials"}},
      {"bad_v73_trials", StatusCode::kInvalidArgument, {"epoched", "EEG.trials=2 trials"}},
      {"bad_data_shape", StatusCode::kInvalidArgument, {"EEG.data is 4 x 100", "5 x 100"}},
      {"bad_data_complex", StatusCode::kInvalidArgument, {"EEG.data is a 4 x 100 complex single"}},
      {"bad_data_cell", StatusCode::kInvalidArgument, {"EEG.data is a 1 x 1 cell"}},
      {"bad_data_missing", StatusCode::kInvalidArgument, {"EEG.data is missing"}},
      {"bad_fdt_dat", StatusCode::kInvalidArgument, {"EEG.data names 'old.dat'", ".dat"}},
      {"bad_fdt_ext", StatusCode::kInvalidArgument, {"'samples.bin'", "expected a .fdt"}},
      {"bad_fdt_missing", StatusCode::kNotFound, {"nowhere.fdt", "bad_fdt_missing.fdt"}},
      {"bad_chanlocs_count", StatusCode::kInvalidArgument, {"EEG.chanlocs has 3 entries", "=4"}},
      {"bad_label_numeric", StatusCode::kInvalidArgument, {"EEG.chanlocs(2).labels is a 1 x 1"}},
      {"bad_label_empty", StatusCode::kInvalidArgument, {"EEG.chanlocs(2).labels is a"}},
      {"bad_event_latency_missing",
       StatusCode::kInvalidArgument,
       {"EEG.event(1).latency is missing"}},
      {"bad_event_latency_negative",
       StatusCode::kInvalidArgument,
       {"EEG.event(1).latency", "before"}},
      {"bad_event_latency_empty", StatusCode::kInvalidArgument, {"EEG.event(1).latency is empty"}},
      {"bad_event_type_array",
       StatusCode::kInvalidArgument,
       {"EEG.event(1).type is a 1 x 2 double"}},
      {"bad_event_type_colon", StatusCode::kInvalidArgument, {"EEG.event(1).type", "{COLON}"}},
      {"bad_event_duration_negative",
       StatusCode::kInvalidArgument,
       {"EEG.event(1).duration is negative"}},
      {"bad_alleeg", StatusCode::kInvalidArgument, {"ALLEEG"}},
      {"bad_no_eeg", StatusCode::kInvalidArgument, {"nbchan is missing"}},
      {"bad_eeg_not_struct", StatusCode::kInvalidArgument, {"EEG is a 1 x 1 double"}},
      {"bad_mat4", StatusCode::kInvalidArgument, {"not a MAT v5 or v7.3 file"}},
      {"bad_not_mat", StatusCode::kInvalidArgument, {"not a MAT v5 or v7.3 file"}},
      {"bad_v73_not_hdf5", StatusCode::kInvalidArgument, {"HDF5"}},
  };
  for (const BadCase& c : kCases) {
    SCOPED_TRACE(c.file);
    absl::StatusOr<OpenedRecording> rec = OpenEeglab(SetPath(c.file), {});
    EXPECT_THAT(rec, StatusIs(c.code, HasSubstr(absl::StrCat(c.file, ".set"))));
    for (const std::string& s : c.substrings) {
      EXPECT_THAT(rec, StatusIs(c.code, HasSubstr(s)));
    }
  }
}

// Copies `from` to `to`, keeping the first `bytes` bytes (all if -1).
void CopyPrefix(const std::string& from, const std::string& to, int64_t bytes = -1) {
  std::string content = testing::ReadFile(from);
  if (bytes >= 0) content.resize(bytes);
  testing::WriteFile(to, content);
}

TEST(EeglabSourceTest, CutSamplesAreDataLossNamingTheFrame) {
  ASSERT_GENERATED();
  testing::TempDir dir;
  // data_last_v5: 8 float32 channels x 2000 frames, the last bytes of the
  // file; cut inside frame 1000.
  const std::string full = SetPath("data_last_v5");
  const int64_t size = static_cast<int64_t>(std::filesystem::file_size(full));
  const int64_t samples_at = size - 2000 * 8 * 4;
  CopyPrefix(full, dir.File("cut.set"), samples_at + 1000 * 32 + 5);
  EXPECT_THAT(OpenEeglab(dir.File("cut.set"), {}),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("cut.set"), HasSubstr("frame 1000 of EEG.data"))));
  // A .fdt of 32 float32 channels cut inside frame 500.
  CopyPrefix(SetPath("fdt_v5"), dir.File("fdt_v5.set"));
  CopyPrefix(Files().dir.File("fdt_v5.fdt"), dir.File("fdt_v5.fdt"), 500 * 128 + 7);
  EXPECT_THAT(OpenEeglab(dir.File("fdt_v5.set"), {}),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("fdt_v5.fdt"), HasSubstr("frame 500 is missing"))));
  // Compressed: the zlib stream is cut.
  const std::string z = SetPath("inline_v5z");
  CopyPrefix(z, dir.File("cutz.set"), std::filesystem::file_size(z) / 2);
  EXPECT_THAT(OpenEeglab(dir.File("cutz.set"), {}),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("cutz.set is truncated")));
}

TEST(EeglabSourceTest, AFileCutAfterOpenIsDataLossAtRead) {
  ASSERT_GENERATED();
  testing::TempDir dir;
  CopyPrefix(SetPath("fdt_v5"), dir.File("fdt_v5.set"));
  CopyPrefix(Files().dir.File("fdt_v5.fdt"), dir.File("fdt_v5.fdt"));
  absl::StatusOr<OpenedRecording> rec = OpenEeglab(dir.File("fdt_v5.set"), {});
  ASSERT_THAT(rec, IsOk());
  ASSERT_EQ(::truncate(dir.File("fdt_v5.fdt").c_str(), 1200 * 128 + 3), 0);
  EXPECT_THAT(rec->source->GetTraces(0, 1100), IsOk());
  EXPECT_THAT(rec->source->GetTraces(1000, 2000),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("fdt_v5.fdt"), HasSubstr("frame 1200 is missing"))));
}

TEST(EeglabSourceTest, AFifoIsRefusedWithoutWaiting) {
  ASSERT_GENERATED();
  testing::TempDir dir;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(::mkfifo(dir.File("x.set").c_str(), 0644), 0);
  EXPECT_THAT(OpenEeglab(dir.File("x.set"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a regular file")));
  // The .fdt a set names is a FIFO.
  CopyPrefix(SetPath("fdt_v5"), dir.File("fdt_v5.set"));
  ASSERT_EQ(::mkfifo(dir.File("fdt_v5.fdt").c_str(), 0644), 0);
  EXPECT_THAT(OpenEeglab(dir.File("fdt_v5.set"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("fdt_v5.fdt"), HasSubstr("not a regular file"))));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
}

TEST(EeglabSourceTest, MissingFilesAreNotFoundNamingThem) {
  ASSERT_GENERATED();
  EXPECT_THAT(OpenEeglab("/nonexistent/x.set", {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/x.set")));
  testing::TempDir dir;
  CopyPrefix(SetPath("fdt_v5"), dir.File("moved.set"));
  // EEG.data names fdt_v5.fdt; neither it nor moved.fdt is there.
  EXPECT_THAT(OpenEeglab(dir.File("moved.set"), {}),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr(dir.File("fdt_v5.fdt")), HasSubstr(dir.File("moved.fdt")))));
}

TEST(EeglabSourceTest, TheFdtGoesThroughResolve) {
  ASSERT_GENERATED();
  std::vector<std::string> asked;
  ReaderOptions options;
  options.resolve = [&](const std::string& p) -> absl::StatusOr<std::string> {
    asked.push_back(p);
    return p;
  };
  ASSERT_THAT(OpenEeglab(SetPath("fdt_v5"), options), IsOk());
  EXPECT_EQ(asked, std::vector<std::string>{Files().dir.File("fdt_v5.fdt")});

  options.resolve = [](const std::string& p) -> absl::StatusOr<std::string> {
    return absl::PermissionDeniedError(absl::StrCat(p, " is outside the data roots"));
  };
  EXPECT_THAT(OpenEeglab(SetPath("fdt_v5"), options),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("fdt_v5.fdt")));
  // Samples inside the .set need no companion file.
  EXPECT_THAT(OpenEeglab(SetPath("inline_v5"), options), IsOk());
}

// matio reads a v7.3 struct array by asking HDF5 for the name of each
// referenced value, a search of the file each time (1000 events: 55 s);
// this reader dereferences them without names.
TEST(EeglabSourceTest, ManyEventsInMatV73OpenQuickly) {
  testing::TempDir dir;
  testing::CliResult made = testing::RunPython("core/io/make_eeglab_files.py",
                                               absl::StrCat("--many-events ", dir.path()), dir);
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<OpenedRecording> rec = OpenEeglab(dir.File("many_events_v73.set"), {});
  const double open_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_THAT(rec, IsOk());
  EXPECT_LT(open_s, 5.0 * testing::TimeScale());
  const google::protobuf::Struct meta = ReadJson(dir.File("many_events_v73.ref.json"));
  const auto& events = meta.fields().at("events").list_value().values();
  ASSERT_EQ(rec->events.size(), static_cast<size_t>(events.size()));
  for (int i = 0; i < events.size(); ++i) {
    const auto& e = events[i].list_value().values();
    EXPECT_EQ(rec->events[i].onset_frame, static_cast<int64_t>(e[0].number_value())) << i;
    EXPECT_EQ(rec->events[i].duration_frames, static_cast<int64_t>(e[1].number_value())) << i;
    EXPECT_EQ(rec->events[i].description, e[2].string_value()) << i;
  }
}

}  // namespace
}  // namespace neurofeat
