#include "core/io/fif_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
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
using ::testing::HasSubstr;

// Every recording make_fif_files.py writes (the first part's name).
const char* const kRecordings[] = {"short_raw.fif",  "int_raw.fif",     "single_raw.fif",
                                   "double_raw.fif", "split_raw.fif",   "skips_raw.fif",
                                   "nodate_eeg.fif", "dupnames_raw.fif"};

// MNE's reading of one recording (NAME.ref.json, NAME.ref.npy).
struct Reference {
  std::vector<std::string> ch_names, ch_types, parts;
  double sfreq = 0, highpass = 0, lowpass = 0;
  int64_t n_times = 0;
  std::vector<RecordingEvent> events;
  NpyArray data;  // channels x frames float64
  double at(int64_t channel, int64_t frame) const {
    return data.as<double>()[channel * n_times + frame];
  }
};

std::vector<std::string> Strings(const google::protobuf::Value& v) {
  std::vector<std::string> out;
  for (const auto& e : v.list_value().values()) out.push_back(e.string_value());
  return out;
}

class FifSourceTest : public ::testing::Test {
 protected:
  // The files are made once for the suite: MNE takes a second to import.
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const testing::CliResult r =
        testing::RunPython("core/io/make_fif_files.py", dir_->path(), *dir_);
    make_exit_code_ = r.exit_code;
    make_output_ = r.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_EQ(make_exit_code_, 0) << make_output_; }

  static std::string File(const std::string& name) { return dir_->File(name); }

  static Reference LoadReference(const std::string& name) {
    Reference ref;
    google::protobuf::Struct s;
    const std::string json = testing::ReadFile(File(name + ".ref.json"));
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &s).ok()) << json;
    const auto& f = s.fields();
    ref.ch_names = Strings(f.at("ch_names"));
    ref.ch_types = Strings(f.at("ch_types"));
    ref.parts = Strings(f.at("parts"));
    ref.sfreq = f.at("sfreq").number_value();
    ref.highpass = f.at("highpass").number_value();
    ref.lowpass = f.at("lowpass").number_value();
    ref.n_times = static_cast<int64_t>(f.at("n_times").number_value());
    for (const auto& e : f.at("events").list_value().values()) {
      const auto& v = e.list_value().values();
      ref.events.push_back(RecordingEvent{static_cast<int64_t>(v[0].number_value()),
                                          static_cast<int64_t>(v[1].number_value()),
                                          v[2].string_value()});
    }
    absl::StatusOr<NpyArray> data = ReadNpy(File(name + ".ref.npy"));
    EXPECT_THAT(data, IsOk());
    if (data.ok()) ref.data = *std::move(data);
    return ref;
  }

  static inline testing::TempDir* dir_ = nullptr;
  static inline int make_exit_code_ = -1;
  static inline std::string make_output_;
};

// Copy() copies a recording's files (the reference's parts) into `to`.
void CopyParts(const std::string& from_dir, const std::vector<std::string>& parts,
               const std::string& to_dir) {
  for (const std::string& p : parts) {
    testing::WriteFile(to_dir + "/" + p, testing::ReadFile(from_dir + "/" + p));
  }
}

// ---------------------------------------------------------------------------
// A minimal tag walker for making broken files (sequential tags, as MNE
// writes them).

struct TagAt {
  int64_t pos = 0;
  int32_t kind = 0;
  uint32_t type = 0;
  int32_t size = 0;
  int32_t block = 0;  // innermost enclosing block kind
};

uint32_t Be32(const std::string& b, int64_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(b.data() + at);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void PutBe32(std::string& b, int64_t at, uint32_t v) {
  b[at] = static_cast<char>(v >> 24);
  b[at + 1] = static_cast<char>(v >> 16);
  b[at + 2] = static_cast<char>(v >> 8);
  b[at + 3] = static_cast<char>(v);
}

float GetF32(const std::string& b, int64_t at) {
  const uint32_t u = Be32(b, at);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

void PutF32(std::string& b, int64_t at, float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  PutBe32(b, at, u);
}

std::vector<TagAt> Tags(const std::string& b) {
  std::vector<TagAt> out;
  std::vector<int32_t> blocks = {0};
  int64_t pos = 0;
  while (pos + 16 <= static_cast<int64_t>(b.size())) {
    TagAt t{pos, static_cast<int32_t>(Be32(b, pos)), Be32(b, pos + 4),
            static_cast<int32_t>(Be32(b, pos + 8)), blocks.back()};
    out.push_back(t);
    if (t.kind == 104) blocks.push_back(static_cast<int32_t>(Be32(b, pos + 16)));
    if (t.kind == 105 && blocks.size() > 1) blocks.pop_back();
    if (static_cast<int32_t>(Be32(b, pos + 12)) < 0) break;
    pos += 16 + t.size;
  }
  return out;
}

// FindTag() is the n-th tag of `kind` (in block `block` when not 0).
TagAt FindTag(const std::string& b, int32_t kind, int n = 0, int32_t block = 0) {
  for (const TagAt& t : Tags(b)) {
    if (t.kind == kind && (block == 0 || t.block == block) && n-- == 0) return t;
  }
  ADD_FAILURE() << "no tag of kind " << kind;
  return TagAt{};
}

// ---------------------------------------------------------------------------

TEST_F(FifSourceTest, MatchesMneForEveryVariant) {
  for (const char* name : kRecordings) {
    SCOPED_TRACE(name);
    const Reference ref = LoadReference(name);
    absl::StatusOr<OpenedRecording> rec = OpenFif(File(name), {});
    ASSERT_THAT(rec, IsOk());
    const TraceSource& src = *rec->source;
    const RecordingInfo& info = src.info();
    EXPECT_EQ(rec->format, RecordingFormat::kFif);
    EXPECT_EQ(rec->data_path, File(name));
    EXPECT_EQ(info.channel_ids, ref.ch_names);
    EXPECT_TRUE(info.channel_ids_from_file);
    EXPECT_EQ(info.channel_types, ref.ch_types);
    EXPECT_EQ(info.sampling_rate_hz, ref.sfreq);
    EXPECT_EQ(info.unit, "V");
    ASSERT_TRUE(info.highpass_hz.has_value());
    ASSERT_TRUE(info.lowpass_hz.has_value());
    EXPECT_EQ(*info.highpass_hz, ref.highpass);
    EXPECT_EQ(*info.lowpass_hz, ref.lowpass);
    EXPECT_EQ(info.gain_to_uv, std::vector<double>(ref.ch_names.size(), 1e6));
    EXPECT_EQ(src.num_frames(), ref.n_times);
    EXPECT_EQ(src.sample_type(), SampleType::kFloat64);

    ASSERT_EQ(rec->events.size(), ref.events.size());
    for (size_t i = 0; i < ref.events.size(); ++i) {
      SCOPED_TRACE(absl::StrCat("event ", i));
      EXPECT_EQ(rec->events[i].onset_frame, ref.events[i].onset_frame);
      EXPECT_EQ(rec->events[i].duration_frames, ref.events[i].duration_frames);
      EXPECT_EQ(rec->events[i].description, ref.events[i].description);
    }

    absl::StatusOr<Traces> t = src.GetTraces(0, src.num_frames());
    ASSERT_THAT(t, IsOk());
    ASSERT_EQ(t->channels(), static_cast<int64_t>(ref.ch_names.size()));
    // The same arithmetic as MNE (float64(stored) * range * cal): equal to
    // the bit, which is tighter than the 1e-7 of a channel's range asked.
    int64_t differ = 0;
    double worst = 0;
    for (int64_t c = 0; c < t->channels(); ++c) {
      double max_abs = 0;
      for (int64_t f = 0; f < ref.n_times; ++f)
        max_abs = std::max(max_abs, std::fabs(ref.at(c, f)));
      for (int64_t f = 0; f < ref.n_times; ++f) {
        const double got = t->row<double>(f)[c];
        if (got != ref.at(c, f)) ++differ;
        if (max_abs > 0) worst = std::max(worst, std::fabs(got - ref.at(c, f)) / max_abs);
      }
    }
    EXPECT_EQ(differ, 0) << "worst relative difference " << worst;
    EXPECT_LE(worst, 1e-7);
  }
}

TEST_F(FifSourceTest, VariantsExerciseWhatTheyShould) {
  // The long name is kept whole (FIFF_CH_INFO holds 15 characters).
  const Reference s = LoadReference("short_raw.fif");
  EXPECT_EQ(s.ch_names[3], "Oz_a_very_long_channel_name");
  // Duplicate names are numbered as MNE numbers them.
  const Reference d = LoadReference("dupnames_raw.fif");
  EXPECT_EQ(d.ch_names[0], "Fz-0");
  EXPECT_EQ(d.ch_names[1], "Fz-1");
  // A description with a colon and one with a Latin-1 letter.
  std::vector<std::string> descriptions;
  for (const RecordingEvent& e : s.events) descriptions.push_back(e.description);
  EXPECT_THAT(descriptions, ::testing::Contains("stim:1"));
  EXPECT_THAT(descriptions, ::testing::Contains("caf\xc3\xa9"));
  // The skipped buffers in the middle read as zeros, with the file's
  // BAD_ACQ_SKIP annotation and the one MNE adds for the skip.
  const Reference k = LoadReference("skips_raw.fif");
  int skip_events = 0;
  for (const RecordingEvent& e : k.events) skip_events += e.description == "BAD_ACQ_SKIP";
  EXPECT_EQ(skip_events, 3);
  EXPECT_EQ(k.at(0, 350), 0.0);
  EXPECT_NE(k.at(0, 250), 0.0);
}

TEST_F(FifSourceTest, SplitRecordingListsItsParts) {
  const Reference ref = LoadReference("split_raw.fif");
  ASSERT_EQ(ref.parts.size(), 3u);
  std::vector<std::string> asked;
  ReaderOptions options;
  options.resolve = [&](const std::string& p) -> absl::StatusOr<std::string> {
    asked.push_back(p);
    return p;
  };
  absl::StatusOr<OpenedRecording> rec = OpenFif(File("split_raw.fif"), options);
  ASSERT_THAT(rec, IsOk());
  EXPECT_EQ(rec->data_path, File("split_raw.fif"));
  EXPECT_EQ(rec->more_data_paths,
            (std::vector<std::string>{File(ref.parts[1]), File(ref.parts[2])}));
  EXPECT_EQ(asked, rec->more_data_paths);
}

TEST_F(FifSourceTest, NextPartFromItsNumberWhenTheNameIsMissing) {
  // Some writers give only FIFF_REF_FILE_NUM: MNE derives "split_raw-1.fif".
  const Reference ref = LoadReference("split_raw.fif");
  testing::TempDir dir;
  CopyParts(dir_->path(), ref.parts, dir.path());
  std::string part0 = testing::ReadFile(File(ref.parts[0]));
  PutBe32(part0, FindTag(part0, 118, 0, 118).pos, 999);  // FIFF_REF_FILE_NAME -> unknown
  testing::WriteFile(dir.File(ref.parts[0]), part0);
  absl::StatusOr<OpenedRecording> rec = OpenFif(dir.File(ref.parts[0]), {});
  ASSERT_THAT(rec, IsOk());
  EXPECT_EQ(rec->more_data_paths,
            (std::vector<std::string>{dir.File(ref.parts[1]), dir.File(ref.parts[2])}));
  EXPECT_EQ(rec->source->num_frames(), ref.n_times);
}

TEST_F(FifSourceTest, ResolveErrorsPropagate) {
  ReaderOptions options;
  options.resolve = [&](const std::string& p) -> absl::StatusOr<std::string> {
    if (p.find("-2.fif") != std::string::npos) {
      return absl::PermissionDeniedError(absl::StrCat(p, " is outside the data roots"));
    }
    return p;
  };
  EXPECT_THAT(OpenFif(File("split_raw.fif"), options),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("split_raw-2.fif")));
}

TEST_F(FifSourceTest, MissingSplitPartIsNotFoundNamingIt) {
  const Reference ref = LoadReference("split_raw.fif");
  testing::TempDir dir;
  CopyParts(dir_->path(), {ref.parts[0], ref.parts[1]}, dir.path());
  EXPECT_THAT(OpenFif(dir.File("split_raw.fif"), {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("split_raw-2.fif")));
}

TEST_F(FifSourceTest, RandomAccessEqualsWholeRead) {
  // Buffers: 100 frames (short), 50 (split: parts at 1000-frame-ish
  // boundaries; skips: zeros at 300-400), 75 (nodate).
  for (const char* name : kRecordings) {
    SCOPED_TRACE(name);
    absl::StatusOr<OpenedRecording> rec = OpenFif(File(name), {});
    ASSERT_THAT(rec, IsOk());
    const TraceSource& src = *rec->source;
    const int64_t n = src.num_frames();
    absl::StatusOr<Traces> whole = src.GetTraces(0, n);
    ASSERT_THAT(whole, IsOk());
    const std::vector<std::pair<int64_t, int64_t>> ranges = {
        {n / 3, 2 * n / 3}, {99, 101},  {100, 100}, {0, 1},      {n - 1, n},
        {49, 351},          {295, 405}, {1, n - 1}, {990, 1010}, {1450, 1600}};
    for (const auto& [a, b] : ranges) {
      if (b > n) continue;
      SCOPED_TRACE(absl::StrCat("[", a, ", ", b, ")"));
      absl::StatusOr<Traces> part = src.GetTraces(a, b);
      ASSERT_THAT(part, IsOk());
      ASSERT_EQ(part->frames(), b - a);
      EXPECT_EQ(std::memcmp(part->bytes(), whole->row<double>(a), part->size_bytes()), 0);
    }
    EXPECT_THAT(src.GetTraces(0, n + 1), StatusIs(absl::StatusCode::kOutOfRange));
    EXPECT_THAT(src.GetTraces(-1, 2), StatusIs(absl::StatusCode::kOutOfRange));
  }
}

TEST_F(FifSourceTest, ConcurrentReadsEqualSerialReads) {
  absl::StatusOr<OpenedRecording> rec = OpenFif(File("split_raw.fif"), {});
  ASSERT_THAT(rec, IsOk());
  const TraceSource& src = *rec->source;
  const int64_t n = src.num_frames();
  std::vector<std::pair<int64_t, int64_t>> ranges;
  for (int64_t a = 0; a < n; a += 37) ranges.push_back({a, std::min(n, a + 211)});
  std::vector<Traces> serial;
  for (const auto& [a, b] : ranges) {
    absl::StatusOr<Traces> t = src.GetTraces(a, b);
    ASSERT_THAT(t, IsOk());
    serial.push_back(*std::move(t));
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int round = 0; round < 5; ++round) {
        for (size_t i = k; i < ranges.size(); i += 1 + (k + round) % 3) {
          absl::StatusOr<Traces> t = src.GetTraces(ranges[i].first, ranges[i].second);
          if (!t.ok() || std::memcmp(t->bytes(), serial[i].bytes(), serial[i].size_bytes()) != 0) {
            ++mismatches[k];
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST_F(FifSourceTest, TruncatedInsideABufferIsDataLossNamingTheFrame) {
  const std::string bytes = testing::ReadFile(File("short_raw.fif"));
  // short_raw.fif: buffers of 100 frames; cut inside the 5th.
  const TagAt fifth = FindTag(bytes, 300, 4);
  testing::TempDir dir;
  testing::WriteFile(dir.File("cut_raw.fif"), bytes.substr(0, fifth.pos + 16 + 10));
  EXPECT_THAT(OpenFif(dir.File("cut_raw.fif"), {}),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("frame 400")));
}

TEST_F(FifSourceTest, TruncatedBetweenBuffersIsDataLossNamingTheFrame) {
  const std::string bytes = testing::ReadFile(File("short_raw.fif"));
  const TagAt fifth = FindTag(bytes, 300, 4);
  testing::TempDir dir;
  testing::WriteFile(dir.File("cut_raw.fif"), bytes.substr(0, fifth.pos));
  EXPECT_THAT(OpenFif(dir.File("cut_raw.fif"), {}),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("frame 400")));
  // In the second part of a split recording, the frame counts from the
  // start of the recording.
  const Reference ref = LoadReference("split_raw.fif");
  CopyParts(dir_->path(), ref.parts, dir.path());
  const std::string part1 = testing::ReadFile(File(ref.parts[1]));
  const TagAt buffer = FindTag(part1, 300, 2);
  testing::WriteFile(dir.File(ref.parts[1]), part1.substr(0, buffer.pos + 20));
  absl::StatusOr<OpenedRecording> whole = OpenFif(File("split_raw.fif"), {});
  ASSERT_THAT(whole, IsOk());
  const std::string part0 = testing::ReadFile(File(ref.parts[0]));
  int64_t part0_frames = 0;
  for (const TagAt& t : Tags(part0)) {
    if (t.kind == 300) part0_frames += t.size / (4 * 12);
  }
  EXPECT_THAT(OpenFif(dir.File("split_raw.fif"), {}),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr(absl::StrCat("frame ", part0_frames + 2 * 50))));
}

TEST_F(FifSourceTest, FifoIsInvalidArgumentNotAHang) {
  testing::TempDir dir;
  ASSERT_EQ(::mkfifo(dir.File("x_raw.fif").c_str(), 0644), 0);
  EXPECT_THAT(OpenFif(dir.File("x_raw.fif"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("FIFO")));
  // A split part that is a FIFO.
  const Reference ref = LoadReference("split_raw.fif");
  CopyParts(dir_->path(), {ref.parts[0]}, dir.path());
  ASSERT_EQ(::mkfifo(dir.File(ref.parts[1]).c_str(), 0644), 0);
  EXPECT_THAT(OpenFif(dir.File("split_raw.fif"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("FIFO")));
}

TEST_F(FifSourceTest, MissingFileIsNotFound) {
  EXPECT_THAT(OpenFif("/nonexistent/x_raw.fif", {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/x_raw.fif")));
}

TEST_F(FifSourceTest, MalformedFieldsAreRejected) {
  constexpr int32_t kNchan = 200, kSfreq = 201, kChInfo = 203, kLowpass = 219, kFirstSample = 208,
                    kDataBuffer = 300, kBlockStart = 104, kChKindTag = 252, kDacqName = 258,
                    kBaselineMin = 3568, kBaselineMax = 3569, kComment = 206, kChCal = 254;
  struct Case {
    const char* what;
    std::function<void(std::string&)> edit;
    absl::StatusCode code;
    const char* message;
  };
  const float kNaN = std::numeric_limits<float>::quiet_NaN();
  const float kInf = std::numeric_limits<float>::infinity();
  const std::vector<Case> cases = {
      {"not a FIF file", [](std::string& b) { PutBe32(b, 0, 7); },
       absl::StatusCode::kInvalidArgument, "not a FIF file"},
      {"gzip", [](std::string& b) { b[0] = '\x1f', b[1] = '\x8b'; },
       absl::StatusCode::kInvalidArgument, "gzip"},
      {"nchan 0", [&](std::string& b) { PutBe32(b, FindTag(b, kNchan).pos + 16, 0); },
       absl::StatusCode::kInvalidArgument, "FIFF_NCHAN=0 is not in [1, 65536]"},
      {"nchan huge", [&](std::string& b) { PutBe32(b, FindTag(b, kNchan).pos + 16, 70000); },
       absl::StatusCode::kInvalidArgument, "FIFF_NCHAN=70000"},
      {"nchan vs channels", [&](std::string& b) { PutBe32(b, FindTag(b, kNchan).pos + 16, 13); },
       absl::StatusCode::kInvalidArgument, "FIFF_NCHAN=13 but 12 FIFF_CH_INFO"},
      {"nchan type", [&](std::string& b) { PutBe32(b, FindTag(b, kNchan).pos + 4, 4); },
       absl::StatusCode::kInvalidArgument, "FIFF_NCHAN at byte"},
      {"negative size", [&](std::string& b) { PutBe32(b, FindTag(b, kNchan).pos + 8, -4); },
       absl::StatusCode::kInvalidArgument, "size -4 is negative"},
      {"next backwards", [&](std::string& b) { PutBe32(b, FindTag(b, kNchan).pos + 12, 10); },
       absl::StatusCode::kInvalidArgument, "next tag at byte 10"},
      {"sfreq negative", [&](std::string& b) { PutF32(b, FindTag(b, kSfreq).pos + 16, -250); },
       absl::StatusCode::kInvalidArgument, "FIFF_SFREQ=-250"},
      {"sfreq NaN", [&](std::string& b) { PutF32(b, FindTag(b, kSfreq).pos + 16, kNaN); },
       absl::StatusCode::kInvalidArgument, "FIFF_SFREQ=nan"},
      {"lowpass inf", [&](std::string& b) { PutF32(b, FindTag(b, kLowpass).pos + 16, kInf); },
       absl::StatusCode::kInvalidArgument, "FIFF_LOWPASS=inf"},
      {"channel info type", [&](std::string& b) { PutBe32(b, FindTag(b, kChInfo).pos + 4, 31); },
       absl::StatusCode::kInvalidArgument, "FIFF_CH_INFO at byte"},
      {"channel kind",
       [&](std::string& b) { PutBe32(b, FindTag(b, kChKindTag, 0, 113).pos + 16, 9999); },
       absl::StatusCode::kInvalidArgument, "channel Fz: kind 9999"},
      {"channel name type",
       [&](std::string& b) { PutBe32(b, FindTag(b, kDacqName, 0, 113).pos + 4, 3); },
       absl::StatusCode::kInvalidArgument, "FIFF_CH_DACQ_NAME at byte"},
      {"first sample type",
       [&](std::string& b) { PutBe32(b, FindTag(b, kFirstSample).pos + 4, 4); },
       absl::StatusCode::kInvalidArgument, "FIFF_FIRST_SAMPLE at byte"},
      {"buffer complex", [&](std::string& b) { PutBe32(b, FindTag(b, kDataBuffer).pos + 4, 20); },
       absl::StatusCode::kInvalidArgument, "complex"},
      {"buffer type", [&](std::string& b) { PutBe32(b, FindTag(b, kDataBuffer).pos + 4, 99); },
       absl::StatusCode::kInvalidArgument, "FIFF_DATA_BUFFER at byte"},
      {"buffer short for DAU_PACK16",  // MNE reads both as big-endian int16
       [&](std::string& b) { PutBe32(b, FindTag(b, kDataBuffer).pos + 4, 2); },
       absl::StatusCode::kOk, ""},
      {"buffer not whole frames",
       [&](std::string& b) {
         // 2 bytes short of 100 frames; `next` still points at the tag after.
         const TagAt t = FindTag(b, kDataBuffer, 1);
         PutBe32(b, t.pos + 8, t.size - 2);
         PutBe32(b, t.pos + 12, static_cast<uint32_t>(t.pos + 16 + t.size));
       },
       absl::StatusCode::kInvalidArgument, "size 2398 is not a whole number of frames"},
      {"raw block kind",
       [&](std::string& b) {
         for (const TagAt& t : Tags(b)) {
           if (t.kind == kBlockStart && Be32(b, t.pos + 16) == 102) PutBe32(b, t.pos + 16, 999);
         }
       },
       absl::StatusCode::kInvalidArgument, "no raw data"},
      {"negative annotation duration",  // ends inside the recording
       [&](std::string& b) {
         const float onset = GetF32(b, FindTag(b, kBaselineMin).pos + 16);
         PutF32(b, FindTag(b, kBaselineMax).pos + 16, onset - 0.001f);
       },
       absl::StatusCode::kInvalidArgument, "negative duration"},
      {"negative annotation duration before the start",  // MNE drops it
       [&](std::string& b) { PutF32(b, FindTag(b, kBaselineMax).pos + 16, -1.0f); },
       absl::StatusCode::kOk, ""},
      {"zero calibration",
       [&](std::string& b) { PutF32(b, FindTag(b, kChCal, 0, 113).pos + 16, 0.0f); },
       absl::StatusCode::kInvalidArgument, "is not a calibration"},
      {"annotation descriptions",
       [&](std::string& b) {
         const TagAt t = FindTag(b, kComment, 0, 3810);
         std::replace(b.begin() + t.pos + 16, b.begin() + t.pos + 16 + t.size, ':', '_');
       },
       absl::StatusCode::kInvalidArgument, "descriptions"},
  };
  const std::string good = testing::ReadFile(File("short_raw.fif"));
  testing::TempDir dir;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::string bytes = good;
    c.edit(bytes);
    ASSERT_NE(bytes, good);
    testing::WriteFile(dir.File("bad_raw.fif"), bytes);
    absl::StatusOr<OpenedRecording> rec = OpenFif(dir.File("bad_raw.fif"), {});
    if (c.code == absl::StatusCode::kOk) {
      EXPECT_THAT(rec, IsOk());
    } else {
      EXPECT_THAT(rec, StatusIs(c.code, HasSubstr(c.message)));
      EXPECT_THAT(rec, StatusIs(c.code, HasSubstr("bad_raw.fif")));
    }
  }
}

TEST_F(FifSourceTest, MalformedSplitReferencesAreRejected) {
  const Reference ref = LoadReference("split_raw.fif");
  testing::TempDir dir;
  CopyParts(dir_->path(), ref.parts, dir.path());
  const std::string part0 = testing::ReadFile(File(ref.parts[0]));
  // The next part's name must be a file in the same folder.
  std::string bytes = part0;
  const TagAt name = FindTag(bytes, 118, 0, 118);
  ASSERT_EQ(bytes.substr(name.pos + 16, name.size), "split_raw-1.fif");
  bytes.replace(name.pos + 16, name.size, "../split_raw.fi");
  testing::WriteFile(dir.File(ref.parts[0]), bytes);
  EXPECT_THAT(OpenFif(dir.File(ref.parts[0]), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("FIFF_REF_FILE_NAME")));
  // A part naming itself is a cycle, not an endless loop.
  std::string cyc = part0.substr(0, name.pos + 8);
  std::string tail = part0.substr(name.pos + 16 + name.size);
  std::string self = "split_raw.fif";
  std::string size(4, '\0');
  PutBe32(size, 0, static_cast<uint32_t>(self.size()));
  cyc += size + part0.substr(name.pos + 12, 4) + self + tail;
  testing::WriteFile(dir.File(ref.parts[0]), cyc);
  EXPECT_THAT(OpenFif(dir.File(ref.parts[0]), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cycle")));
  // Parts whose channels differ.
  testing::WriteFile(dir.File(ref.parts[0]), part0);
  std::string part1 = testing::ReadFile(File(ref.parts[1]));
  const TagAt cal = FindTag(part1, 254, 0, 113);
  PutF32(part1, cal.pos + 16, 2.0f);
  testing::WriteFile(dir.File(ref.parts[1]), part1);
  EXPECT_THAT(OpenFif(dir.File(ref.parts[0]), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("differ")));
}

}  // namespace
}  // namespace neurofeat
