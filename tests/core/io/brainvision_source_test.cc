// OpenBrainVision(): every variant make_brainvision_files.py writes reads
// as mne.io.read_raw_brainvision (mne 1.3) reads it (values, names, rate,
// types, band, events); random access and concurrent reads equal a whole
// read; malformed headers, truncated data, FIFOs and missing companions
// are the errors the header promises.
#include "core/io/brainvision_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
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
using ::neurofeat::testing::ReadFile;
using ::neurofeat::testing::StatusIs;
using ::neurofeat::testing::TempDir;
using ::neurofeat::testing::WriteFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------
// MNE's reading of the generated files

// The generated sets, made once per test process.
struct MneFiles {
  TempDir dir;
  testing::CliResult run;
  std::vector<std::string> names;
};

const MneFiles& Generated() {
  static const MneFiles* files = [] {
    auto* f = new MneFiles();
    f->run = testing::RunPython("core/io/make_brainvision_files.py", f->dir.path(), f->dir);
    google::protobuf::ListValue list;
    if (f->run.exit_code == 0 &&
        google::protobuf::util::JsonStringToMessage(ReadFile(f->dir.File("variants.json")), &list)
            .ok()) {
      for (const auto& v : list.values()) f->names.push_back(v.string_value());
    }
    return f;
  }();
  return *files;
}

google::protobuf::Struct LoadRef(const std::string& path) {
  google::protobuf::Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(ReadFile(path), &s).ok()) << path;
  return s;
}

std::vector<std::string> Strings(const google::protobuf::Value& v) {
  std::vector<std::string> out;
  for (const auto& x : v.list_value().values()) out.push_back(x.string_value());
  return out;
}

#define ASSERT_GENERATED(files)                              \
  ASSERT_EQ((files).run.exit_code, 0) << (files).run.output; \
  ASSERT_EQ((files).names.size(), 7u) << "variants.json lists the generated sets"

TEST(BrainVisionSourceTest, EveryVariantMatchesMne) {
  const MneFiles& files = Generated();
  ASSERT_GENERATED(files);
  for (const std::string& name : files.names) {
    SCOPED_TRACE(name);
    const std::string vhdr = files.dir.File(name + ".vhdr");
    absl::StatusOr<OpenedRecording> rec = OpenBrainVision(vhdr, {});
    ASSERT_THAT(rec, IsOk());
    const TraceSource& s = *rec->source;
    const google::protobuf::Struct ref = LoadRef(files.dir.File(name + ".ref.json"));
    const auto& f = ref.fields();
    EXPECT_EQ(rec->format, RecordingFormat::kBrainVision);
    EXPECT_EQ(rec->data_path, files.dir.File(f.at("data_file").string_value()));
    EXPECT_THAT(rec->more_data_paths, ElementsAre(vhdr));
    EXPECT_EQ(s.info().channel_ids, Strings(f.at("ch_names")));
    EXPECT_TRUE(s.info().channel_ids_from_file);
    EXPECT_EQ(s.info().channel_types, Strings(f.at("ch_types")));
    EXPECT_EQ(s.info().unit, "V");
    EXPECT_EQ(s.info().gain_to_uv, std::vector<double>(s.num_channels(), 1e6));
    EXPECT_EQ(s.info().offset_to_uv, std::vector<double>(s.num_channels(), 0.0));
    const double sfreq = f.at("sfreq").number_value();
    EXPECT_EQ(s.info().sampling_rate_hz, sfreq);
    ASSERT_EQ(s.num_frames(), static_cast<int64_t>(f.at("n_frames").number_value()));
    EXPECT_EQ(s.sample_type(), SampleType::kFloat64);

    // The band: set where the header's table sets it (MNE's value), unset
    // where MNE keeps its defaults 0 / sfreq / 2.
    const auto& from_header = f.at("band_from_header").list_value();
    const double highpass = f.at("highpass").number_value();
    const double lowpass = f.at("lowpass").number_value();
    EXPECT_EQ(s.info().highpass_hz.has_value(), from_header.values(0).bool_value());
    EXPECT_EQ(s.info().highpass_hz.value_or(0.0), highpass);
    EXPECT_EQ(s.info().lowpass_hz.has_value(), from_header.values(1).bool_value());
    EXPECT_EQ(s.info().lowpass_hz.value_or(sfreq / 2), lowpass);

    const auto& events = f.at("events").list_value();
    ASSERT_EQ(rec->events.size(), static_cast<size_t>(events.values_size()));
    for (int k = 0; k < events.values_size(); ++k) {
      const auto& e = events.values(k).list_value();
      EXPECT_EQ(rec->events[k].onset_frame, static_cast<int64_t>(e.values(0).number_value())) << k;
      EXPECT_EQ(rec->events[k].duration_frames, static_cast<int64_t>(e.values(1).number_value()))
          << k;
      EXPECT_EQ(rec->events[k].description, e.values(2).string_value()) << k;
    }

    // Values: MNE's get_data() is float64(stored) x (unit x resolution),
    // which the reader computes in the same order: they agree exactly.
    absl::StatusOr<NpyArray> want = ReadNpy(files.dir.File(name + ".ref.npy"));
    ASSERT_THAT(want, IsOk());
    ASSERT_THAT(want->header.shape, ElementsAre(s.num_channels(), s.num_frames()));
    absl::StatusOr<Traces> got = s.GetTraces(0, s.num_frames());
    ASSERT_THAT(got, IsOk());
    const double* w = want->as<double>();
    for (int64_t c = 0; c < s.num_channels(); ++c) {
      double max_diff = 0;
      for (int64_t t = 0; t < s.num_frames(); ++t) {
        const double ref_value = w[c * s.num_frames() + t];
        max_diff = std::max(max_diff, std::fabs(got->row<double>(t)[c] - ref_value));
      }
      EXPECT_EQ(max_diff, 0.0) << "channel " << c;
    }
  }
}

// Ranges of every size, crossing read blocks (7 frames here), equal the
// same slice of a whole read; so does a read with the default blocks.
TEST(BrainVisionSourceTest, RandomAccessEqualsAWholeRead) {
  const MneFiles& files = Generated();
  ASSERT_GENERATED(files);
  for (const std::string& name : files.names) {
    SCOPED_TRACE(name);
    const std::string vhdr = files.dir.File(name + ".vhdr");
    absl::StatusOr<OpenedRecording> small = internal::OpenBrainVisionForTest(vhdr, {}, 7);
    absl::StatusOr<OpenedRecording> normal = OpenBrainVision(vhdr, {});
    ASSERT_THAT(small, IsOk());
    ASSERT_THAT(normal, IsOk());
    const int64_t n = normal->source->num_frames();
    const int64_t channels = normal->source->num_channels();
    absl::StatusOr<Traces> whole = normal->source->GetTraces(0, n);
    ASSERT_THAT(whole, IsOk());
    absl::StatusOr<Traces> whole_small = small->source->GetTraces(0, n);
    ASSERT_THAT(whole_small, IsOk());
    ASSERT_EQ(std::memcmp(whole->bytes(), whole_small->bytes(), whole->size_bytes()), 0);
    const std::vector<std::pair<int64_t, int64_t>> ranges = {
        {0, 1},     {5, 9},     {6, 8},         {7, 14},
        {13, 13},   {n - 3, n}, {n - 1, n},     {n / 2 - 13, n / 2 + 29},
        {1, n - 1}, {100, 107}, {n - 10, n - 2}};
    for (const auto& [a, b] : ranges) {
      for (const TraceSource* s : {small->source.get(), normal->source.get()}) {
        absl::StatusOr<Traces> part = s->GetTraces(a, b);
        ASSERT_THAT(part, IsOk()) << a << ".." << b;
        ASSERT_EQ(part->frames(), b - a);
        ASSERT_EQ(std::memcmp(part->bytes(), whole->row<double>(a),
                              static_cast<size_t>((b - a) * channels) * sizeof(double)),
                  0)
            << a << ".." << b;
      }
    }
    EXPECT_THAT(normal->source->GetTraces(-1, 5), StatusIs(absl::StatusCode::kOutOfRange));
    EXPECT_THAT(normal->source->GetTraces(0, n + 1), StatusIs(absl::StatusCode::kOutOfRange));
    EXPECT_THAT(normal->source->GetTraces(9, 8), StatusIs(absl::StatusCode::kOutOfRange));
  }
}

// Four threads reading different ranges of one source at once get what
// serial reads get.
TEST(BrainVisionSourceTest, ConcurrentReadsEqualSerialReads) {
  const MneFiles& files = Generated();
  ASSERT_GENERATED(files);
  for (const std::string& name : {"int16_mux", "int16_vec", "float32_vec"}) {
    SCOPED_TRACE(name);
    absl::StatusOr<OpenedRecording> rec =
        internal::OpenBrainVisionForTest(files.dir.File(std::string(name) + ".vhdr"), {}, 64);
    ASSERT_THAT(rec, IsOk());
    const TraceSource& s = *rec->source;
    const int64_t n = s.num_frames();
    std::vector<std::pair<int64_t, int64_t>> ranges;
    for (int k = 0; k < 32; ++k) ranges.push_back({(k * 97) % (n / 2), (k * 97) % (n / 2) + n / 3});
    std::vector<Traces> serial;
    for (const auto& [a, b] : ranges) {
      absl::StatusOr<Traces> t = s.GetTraces(a, b);
      ASSERT_THAT(t, IsOk());
      serial.push_back(*std::move(t));
    }
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (int th = 0; th < 4; ++th) {
      threads.emplace_back([&, th] {
        for (int round = 0; round < 5; ++round) {
          for (size_t k = th; k < ranges.size(); k += 2) {
            absl::StatusOr<Traces> t = s.GetTraces(ranges[k].first, ranges[k].second);
            if (!t.ok() || std::memcmp(t->bytes(), serial[k].bytes(), t->size_bytes()) != 0) {
              ++mismatches[th];
            }
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_THAT(mismatches, ElementsAre(0, 0, 0, 0));
  }
}

// ---------------------------------------------------------------------------
// Hand-written sets

constexpr char kHeader[] =
    "Brain Vision Data Exchange Header File Version 1.0\n"
    "; a small set for the tests\n"
    "\n"
    "[Common Infos]\n"
    "Codepage=UTF-8\n"
    "DataFile=x.eeg\n"
    "MarkerFile=x.vmrk\n"
    "DataFormat=BINARY\n"
    "DataOrientation=MULTIPLEXED\n"
    "NumberOfChannels=4\n"
    "SamplingInterval=1000\n"
    "\n"
    "[Binary Infos]\n"
    "BinaryFormat=INT_16\n"
    "\n"
    "[Channel Infos]\n"
    "Ch1=Fp1,,0.5,µV\n"
    "Ch2=Fp2,,0.5,µV\n"
    "Ch3=Cz,,1,mV\n"
    "Ch4=Pz,,,µV\n"
    "\n"
    "[Comment]\n"
    "Channels\n"
    "--------\n"
    "#     Name      Phys. Chn.    Resolution / Unit   Low Cutoff [s]   High Cutoff [Hz]\n"
    "1     Fp1         1                0.5 µV             10              1000\n"
    "2     Fp2         2                0.5 µV             10              1000\n"
    "3     Cz          3                1 mV               10              1000\n"
    "4     Pz          4                1 µV               10              1000\n";

constexpr char kMarkers[] =
    "Brain Vision Data Exchange Marker File, Version 1.0\n"
    "\n"
    "[Marker Infos]\n"
    "Mk1=New Segment,,1,1,0,20240101000000000000\n"
    "Mk2=Stimulus,S  1,11,1,0\n";

constexpr int kFrames = 100;
constexpr int kChannels = 4;

// frames x channels int16, sample (f, c) = 10 * f + c.
std::string RampBytes(int frames, int channels) {
  std::vector<int16_t> v;
  for (int f = 0; f < frames; ++f) {
    for (int c = 0; c < channels; ++c) v.push_back(static_cast<int16_t>(10 * f + c));
  }
  std::string s(v.size() * 2, '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

std::string WriteSet(const TempDir& dir, const std::string& header,
                     const std::string& eeg = RampBytes(kFrames, kChannels)) {
  WriteFile(dir.File("x.vhdr"), header);
  WriteFile(dir.File("x.vmrk"), kMarkers);
  WriteFile(dir.File("x.eeg"), eeg);
  return dir.File("x.vhdr");
}

std::string Replaced(const std::string& from, const std::string& to) {
  std::string h = kHeader;
  const size_t at = h.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) h.replace(at, from.size(), to);
  return h;
}

TEST(BrainVisionSourceTest, HandWrittenSetReads) {
  TempDir dir;
  absl::StatusOr<OpenedRecording> rec = OpenBrainVision(WriteSet(dir, kHeader), {});
  ASSERT_THAT(rec, IsOk());
  const TraceSource& s = *rec->source;
  EXPECT_EQ(s.num_frames(), kFrames);
  EXPECT_THAT(s.info().channel_ids, ElementsAre("Fp1", "Fp2", "Cz", "Pz"));
  EXPECT_THAT(s.info().channel_types, ElementsAre("eeg", "eeg", "eeg", "eeg"));
  EXPECT_DOUBLE_EQ(s.info().sampling_rate_hz, 1000.0);
  EXPECT_DOUBLE_EQ(*s.info().highpass_hz, 1.0 / (2 * M_PI * 10));
  EXPECT_DOUBLE_EQ(*s.info().lowpass_hz, 1000.0);
  absl::StatusOr<Traces> t = s.GetTraces(10, 12);
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->row<double>(0)[0], 100.0 * (0.5 * 1e-6));
  EXPECT_EQ(t->row<double>(1)[2], 112.0 * 1e-3);
  EXPECT_EQ(t->row<double>(1)[3], 113.0 * 1e-6);
  ASSERT_EQ(rec->events.size(), 2u);
  EXPECT_EQ(rec->events[1].onset_frame, 10);
  EXPECT_EQ(rec->events[1].description, "Stimulus/S  1");
}

// Codepage=ANSI is cp1252 (0x80 is the euro sign); a byte cp1252 lacks
// (0x81) makes the whole text Latin-1, as in MNE.
TEST(BrainVisionSourceTest, AnsiCodepageIsCp1252) {
  TempDir dir;
  std::string h = absl::StrReplaceAll(kHeader, {{"Codepage=UTF-8", "Codepage=ANSI"},
                                                {"Ch1=Fp1,,0.5,µV", "Ch1=A\x80,,0.5,\xB5V"},
                                                {"1     Fp1", "1     A\x80"}});
  absl::StatusOr<OpenedRecording> rec = OpenBrainVision(WriteSet(dir, h), {});
  ASSERT_THAT(rec, IsOk());
  EXPECT_EQ(rec->source->info().channel_ids[0], "A\u20AC");
  EXPECT_EQ(rec->source->info().channel_types[0], "eeg");  // 0xB5 is µ in cp1252 too

  h = absl::StrReplaceAll(h, {{"A\x80", "A\x81"}});  // the table too
  rec = OpenBrainVision(WriteSet(dir, h), {});
  ASSERT_THAT(rec, IsOk());
  EXPECT_EQ(rec->source->info().channel_ids[0], "A\u0081");
}

// configparser's rules (keys in any case, ':' as delimiter, indented
// comments, "%%", spaces around values), NeurOne's "Common infos", units
// MNE does not know (a Greek mu) and marker fields with spaces or leading
// zeros. The expected values are mne 1.3's reading of these files.
TEST(BrainVisionSourceTest, ConfigparserAndMarkerRulesFollowMne) {
  TempDir dir;
  WriteFile(dir.File("x.vhdr"),
            "Brain Vision Data Exchange Header File Version 1.0\n"
            "[Common infos]\n"
            "MarkerFile = x.vmrk\n"
            "  ; an indented comment\n"
            "DATAFILE : x.eeg\n"
            "DataFormat=BINARY\n"
            "DataOrientation=MULTIPLEXED\n"
            "NumberOfChannels=3\n"
            "SamplingInterval=250\n"
            "DataPoints=   10\n"
            "\n"
            "[Binary Infos]\n"
            "BinaryFormat=INT_16\n"
            "[Channel Infos]\n"
            "Ch1=A%%B,,0.5,µV\n"
            "Ch02=B C,,2,\u03bcV\n"
            "ch3=STI 014,,1,V\n"
            "[Comment]\n"
            "Channels\n"
            "#   Name     Phys. Chn.    Resolution / Unit   Low Cutoff [s]   High Cutoff [Hz]\n"
            "1   A%B      1             0.5 µV              10               Off\n"
            "2   B C      2             2 µV                NaN              Off\n"
            "3   STI 014  3             1 V                 10               Off\n");
  WriteFile(dir.File("x.vmrk"),
            "Brain Vision Data Exchange Marker File, Version 1.0\n[marker infos]\n"
            "Mk1=Stimulus,S  1,1,1\nMk2=Stimulus,S  2, 3 ,0005,0\nMk10=A,B\\1C,5,abc,0\n");
  std::vector<int16_t> samples(30);
  for (int k = 0; k < 30; ++k) samples[k] = static_cast<int16_t>(k);
  WriteFile(dir.File("x.eeg"), std::string(reinterpret_cast<const char*>(samples.data()), 60));
  absl::StatusOr<OpenedRecording> rec = OpenBrainVision(dir.File("x.vhdr"), {});
  ASSERT_THAT(rec, IsOk());
  const TraceSource& s = *rec->source;
  EXPECT_THAT(s.info().channel_ids, ElementsAre("A%B", "B C", "STI 014"));
  EXPECT_THAT(s.info().channel_types, ElementsAre("eeg", "misc", "stim"));
  EXPECT_EQ(s.info().sampling_rate_hz, 4000.0);
  // MNE skips a table whose "# Name" line directly follows "Channels" (its
  // index is 0, which Python takes for false): MNE's defaults, no band.
  EXPECT_FALSE(s.info().highpass_hz.has_value());
  EXPECT_FALSE(s.info().lowpass_hz.has_value());
  EXPECT_EQ(s.num_frames(), 10);
  ASSERT_EQ(rec->events.size(), 3u);
  EXPECT_EQ(rec->events[0].onset_frame, 0);
  EXPECT_EQ(rec->events[0].duration_frames, 1);
  EXPECT_EQ(rec->events[1].onset_frame, 2);
  EXPECT_EQ(rec->events[1].duration_frames, 5);
  EXPECT_EQ(rec->events[2].onset_frame, 4);
  EXPECT_EQ(rec->events[2].duration_frames, 0);
  EXPECT_EQ(rec->events[2].description, "A/B,C");
  absl::StatusOr<Traces> t = s.GetTraces(0, 3);
  ASSERT_THAT(t, IsOk());
  // MNE: [[0, 1.5e-06, 3e-06], [2, 8, 14], [2, 5, 8]] (channels x frames).
  EXPECT_EQ(t->row<double>(1)[0], 3 * (1e-6 * 0.5));
  EXPECT_EQ(t->row<double>(2)[1], 14.0);
  EXPECT_EQ(t->row<double>(2)[2], 8.0);
}

// Each case breaks one thing; the error has the code and names the field.
TEST(BrainVisionSourceTest, MalformedHeadersNameTheField) {
  struct Case {
    const char* what;
    std::string header;
    absl::StatusCode code;
    std::string substring;
  };
  const absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
  const std::vector<Case> cases = {
      {"version line", Replaced("Brain Vision Data Exchange Header File Version 1.0", "Hello"),
       kInvalid, "not a BrainVision header"},
      {"no channels", Replaced("NumberOfChannels=4", "NumberOfChannels=0"), kInvalid,
       "[Common Infos] NumberOfChannels=0 is not in [1, 65536]"},
      {"too many channels", Replaced("NumberOfChannels=4", "NumberOfChannels=70000"), kInvalid,
       "NumberOfChannels=70000 is not in [1, 65536]"},
      {"channels not a number", Replaced("NumberOfChannels=4", "NumberOfChannels=four"), kInvalid,
       "NumberOfChannels=four"},
      {"channel count missing", Replaced("NumberOfChannels=4\n", ""), kInvalid,
       "[Common Infos] NumberOfChannels is missing"},
      {"zero interval", Replaced("SamplingInterval=1000", "SamplingInterval=0"), kInvalid,
       "[Common Infos] SamplingInterval=0"},
      {"negative interval", Replaced("SamplingInterval=1000", "SamplingInterval=-2"), kInvalid,
       "SamplingInterval=-2"},
      {"interval not a number", Replaced("SamplingInterval=1000", "SamplingInterval=1ms"), kInvalid,
       "SamplingInterval=1ms"},
      {"rate too high", Replaced("SamplingInterval=1000", "SamplingInterval=1e-9"), kInvalid,
       "SamplingInterval=1e-9"},
      {"ascii data", Replaced("DataFormat=BINARY", "DataFormat=ASCII"), kInvalid,
       "[Common Infos] DataFormat=ASCII is not supported"},
      {"orientation", Replaced("DataOrientation=MULTIPLEXED", "DataOrientation=SIDEWAYS"), kInvalid,
       "DataOrientation=SIDEWAYS is not supported"},
      {"binary format", Replaced("BinaryFormat=INT_16", "BinaryFormat=UINT_16"), kInvalid,
       "[Binary Infos] BinaryFormat=UINT_16 is not supported"},
      {"binary format missing", Replaced("BinaryFormat=INT_16\n", ""), kInvalid,
       "[Binary Infos] BinaryFormat is missing"},
      {"data file missing", Replaced("DataFile=x.eeg\n", ""), kInvalid,
       "[Common Infos] DataFile is missing"},
      {"marker file name", Replaced("MarkerFile=x.vmrk", "MarkerFile=x.txt"), kInvalid,
       "MarkerFile=x.txt"},
      {"common infos missing", Replaced("[Common Infos]", "[Common]"), kInvalid,
       "[Common Infos] is missing"},
      {"channel missing", Replaced("Ch2=Fp2,,0.5,µV\n", ""), kInvalid,
       "[Channel Infos] Ch2 is missing"},
      {"channel beyond the count", Replaced("Ch4=Pz,,,µV", "Ch4=Pz,,,µV\nCh5=Oz,,1,µV"), kInvalid,
       "[Channel Infos] ch5=Oz,,1,µV: channel number is not in [1, 4]"},
      {"channel key", Replaced("Ch4=Pz,,,µV", "Chan=Pz,,,µV"), kInvalid,
       "[Channel Infos] chan=Pz,,,µV: the key is not Ch<number>"},
      {"channel given twice", Replaced("Ch4=Pz,,,µV", "Ch04=Pz,,,µV\nCh4=Oz,,,µV"), kInvalid,
       "channel 4 is also given by ch04"},
      {"too few channel fields", Replaced("Ch1=Fp1,,0.5,µV", "Ch1=Fp1"), kInvalid,
       "[Channel Infos] ch1=Fp1: expected <name>,<reference>,<resolution>"},
      {"resolution not a number", Replaced("Ch1=Fp1,,0.5,µV", "Ch1=Fp1,,half,µV"), kInvalid,
       "ch1=Fp1,,half,µV: resolution 'half' is not a number"},
      {"zero resolution", Replaced("Ch1=Fp1,,0.5,µV", "Ch1=Fp1,,0,µV"), kInvalid,
       "ch1=Fp1,,0,µV: resolution 0"},
      {"duplicate names", Replaced("Ch2=Fp2", "Ch2=Fp1"), kInvalid,
       "ch2: channel name 'Fp1' is used twice"},
      {"codepage", Replaced("Codepage=UTF-8", "Codepage=EBCDIC"), kInvalid,
       "Codepage=EBCDIC is not supported"},
      {"key twice", Replaced("NumberOfChannels=4", "NumberOfChannels=4\nNumberOfChannels=4"),
       kInvalid, "[Common Infos] numberofchannels is given twice"},
      {"section twice", Replaced("[Binary Infos]", "[Channel Infos]\n[Binary Infos]"), kInvalid,
       "section [Channel Infos] appears twice"},
      {"line before a section", Replaced("; a small set", "stray words\n; a small set"), kInvalid,
       "line 2: 'stray words' comes before any [section]"},
      {"not key=value", Replaced("DataFormat=BINARY", "DataFormat=BINARY\njust words"), kInvalid,
       "'just words' is neither a [section] nor key=value"},
      {"percent", Replaced("Ch1=Fp1,,0.5,µV", "Ch1=Fp%1,,0.5,µV"), kInvalid,
       "ch1=Fp%1,,0.5,µV: '%' must be written '%%'"},
      {"comment twice", std::string(kHeader) + "[Comment]\n", kInvalid, "[Comment] appears twice"},
      {"data points", Replaced("NumberOfChannels=4", "NumberOfChannels=4\nDataPoints=many"),
       kInvalid, "[Common Infos] DataPoints=many is not in"},
      {"data points beyond the file",
       Replaced("NumberOfChannels=4", "NumberOfChannels=4\nDataPoints=250"),
       absl::StatusCode::kDataLoss, "DataPoints=250 but"},
      {"filter setting",
       Replaced("4     Pz          4                1 µV               10",
                "4     Pz          4                1 µV               ten"),
       kInvalid, "[Comment] channel filter table: 'ten' is not a filter setting"},
      {"filter row missing",
       Replaced("4     Pz          4                1 µV               10              1000\n", ""),
       kInvalid, "[Comment] channel filter table: no row for channel 4 (Pz)"},
      {"zero time constant", absl::StrReplaceAll(kHeader, {{"  10  ", "   0  "}}), kInvalid,
       "[Comment] channel filter table: time constant '0' is zero"},
      {"coordinates", Replaced("[Comment]", "[Coordinates]\nCh9=1,0,0\n[Comment]"), kInvalid,
       "[Coordinates] ch9=1,0,0: not a [Channel Infos] key"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    TempDir dir;
    EXPECT_THAT(OpenBrainVision(WriteSet(dir, c.header), {}),
                StatusIs(c.code, HasSubstr(c.substring)));
  }
}

// A [Coordinates] radius of 0 makes a channel "misc", as in MNE; units it
// does not know are "misc" at scale 1; EOG names are "eog".
TEST(BrainVisionSourceTest, ChannelTypesFollowMne) {
  TempDir dir;
  std::string h = Replaced("Ch2=Fp2,,0.5,µV", "Ch2=HEOGL,,0.5,µV");
  h = absl::StrReplaceAll(h, {{"Ch3=Cz,,1,mV", "Ch3=Cz,,2,BPM"},
                              {"[Comment]", "[Coordinates]\nCh1=1,90,0\nCh4=0,0,0\n[Comment]"},
                              {"2     Fp2", "2     HEOGL"}});
  absl::StatusOr<OpenedRecording> rec = OpenBrainVision(WriteSet(dir, h), {});
  ASSERT_THAT(rec, IsOk());
  EXPECT_THAT(rec->source->info().channel_types, ElementsAre("eeg", "eog", "misc", "misc"));
  absl::StatusOr<Traces> t = rec->source->GetTraces(1, 2);
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->row<double>(0)[2], 12.0 * 2);
}

// The most channels a header may have, with coordinates and a filter
// table: every per-channel lookup is linear, so Open stays quick.
TEST(BrainVisionSourceTest, MaximumChannelCountOpensQuickly) {
  TempDir dir;
  constexpr int kMany = 65536;
  std::string h =
      "Brain Vision Data Exchange Header File Version 1.0\n[Common Infos]\nDataFile=x.eeg\n"
      "MarkerFile=x.vmrk\nDataFormat=BINARY\nDataOrientation=VECTORIZED\n"
      "NumberOfChannels=65536\nSamplingInterval=1000\n[Binary Infos]\nBinaryFormat=INT_16\n"
      "[Channel Infos]\n";
  for (int c = 1; c <= kMany; ++c) absl::StrAppend(&h, "Ch", c, "=E", c, ",,0.5,µV\n");
  absl::StrAppend(&h, "[Coordinates]\n");
  for (int c = 1; c <= kMany; ++c) absl::StrAppend(&h, "Ch", c, "=", c % 2, ",90,0\n");
  absl::StrAppend(&h, "[Comment]\nChannels\n--------\n",
                  "#  Name  Phys. Chn.  Resolution / Unit  Low Cutoff [s]  High Cutoff [Hz]\n");
  for (int c = 1; c <= kMany; ++c)
    absl::StrAppend(&h, c, "  E", c, "  ", c, "  0.5 µV  10  1000\n");
  const std::string eeg = RampBytes(3, kMany);  // 3 frames of each channel, channel-major
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<OpenedRecording> rec = OpenBrainVision(WriteSet(dir, h, eeg), {});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_THAT(rec, IsOk());
  EXPECT_LT(seconds, 5.0 * testing::TimeScale());
  const TraceSource& s = *rec->source;
  EXPECT_EQ(s.num_channels(), kMany);
  EXPECT_EQ(s.num_frames(), 3);
  EXPECT_EQ(s.info().channel_ids[kMany - 1], "E65536");
  EXPECT_EQ(s.info().channel_types[0], "eeg");
  EXPECT_EQ(s.info().channel_types[1], "misc");  // radius 0
  EXPECT_DOUBLE_EQ(*s.info().lowpass_hz, 1000.0);
  absl::StatusOr<Traces> t = s.GetTraces(1, 3);
  ASSERT_THAT(t, IsOk());
  // Sample k of the file is RampBytes' (frame k / kMany, channel k % kMany);
  // the header reads it channel-major: channel c's frame f is k = 3c + f.
  const int64_t k = int64_t{40000} * 3 + 2;
  EXPECT_EQ(t->row<double>(1)[40000],
            static_cast<int16_t>(10 * (k / kMany) + k % kMany) * (0.5 * 1e-6));
}

// DataPoints beyond the file is DataLoss at Open naming the first missing
// frame; a file that shrinks after Open is DataLoss at read time naming
// the frame (and, vectorized, the channel).
TEST(BrainVisionSourceTest, TruncatedDataIsDataLossNamingTheFrame) {
  TempDir dir;
  const std::string h = Replaced("NumberOfChannels=4", "NumberOfChannels=4\nDataPoints=100");
  const std::string eeg = RampBytes(kFrames, kChannels);
  EXPECT_THAT(OpenBrainVision(WriteSet(dir, h, eeg.substr(0, 60 * 8 + 3)), {}),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("holds only 60 frames of 4 channels x 2 bytes: frame 60 is the "
                                 "first missing")));

  absl::StatusOr<OpenedRecording> rec = OpenBrainVision(WriteSet(dir, h, eeg), {});
  ASSERT_THAT(rec, IsOk());
  ASSERT_EQ(::truncate(dir.File("x.eeg").c_str(), 70 * 8), 0);
  EXPECT_THAT(rec->source->GetTraces(0, 69), IsOk());
  EXPECT_THAT(rec->source->GetTraces(20, 100),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("x.eeg: frame 70 is missing")));

  const std::string vh = absl::StrReplaceAll(h, {{"MULTIPLEXED", "VECTORIZED"}});
  rec = OpenBrainVision(WriteSet(dir, vh, eeg), {});
  ASSERT_THAT(rec, IsOk());
  // Channel 3's samples start at 300 x 2 bytes; 350 frames' worth remain.
  ASSERT_EQ(::truncate(dir.File("x.eeg").c_str(), 350 * 2), 0);
  EXPECT_THAT(rec->source->GetTraces(0, 50), IsOk());
  EXPECT_THAT(rec->source->GetTraces(40, 60),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("frame 50 of channel 3 is missing")));
}

// Without DataPoints the file size decides, as in MNE: a partial last
// frame is not a frame.
TEST(BrainVisionSourceTest, FileSizeDecidesTheLength) {
  TempDir dir;
  const std::string eeg = RampBytes(kFrames, kChannels);
  absl::StatusOr<OpenedRecording> rec = OpenBrainVision(WriteSet(dir, kHeader, eeg + "xyz"), {});
  ASSERT_THAT(rec, IsOk());
  EXPECT_EQ(rec->source->num_frames(), kFrames);
  EXPECT_THAT(OpenBrainVision(WriteSet(dir, kHeader, "1234567"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("holds no whole frame")));
}

// A FIFO named like any of the three files is refused at once (never a
// blocked open).
TEST(BrainVisionSourceTest, FifoIsRefusedNotWaitedOn) {
  for (const char* name : {"x.vhdr", "x.vmrk", "x.eeg"}) {
    SCOPED_TRACE(name);
    TempDir dir;
    const std::string vhdr = WriteSet(dir, kHeader);
    std::filesystem::remove(dir.File(name));
    ASSERT_EQ(::mkfifo(dir.File(name).c_str(), 0644), 0);
    EXPECT_THAT(OpenBrainVision(vhdr, {}),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a regular file")));
  }
}

TEST(BrainVisionSourceTest, MissingFilesAreNotFoundNamingThem) {
  EXPECT_THAT(OpenBrainVision("/nonexistent/x.vhdr", {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/x.vhdr")));
  for (const char* name : {"x.vmrk", "x.eeg"}) {
    SCOPED_TRACE(name);
    TempDir dir;
    const std::string vhdr = WriteSet(dir, kHeader);
    std::filesystem::remove(dir.File(name));
    EXPECT_THAT(OpenBrainVision(vhdr, {}),
                StatusIs(absl::StatusCode::kNotFound, HasSubstr(dir.File(name))));
  }
}

TEST(BrainVisionSourceTest, HeaderNameMustEndInVhdr) {
  TempDir dir;
  WriteSet(dir, kHeader);
  WriteFile(dir.File("x.txt"), kHeader);
  EXPECT_THAT(OpenBrainVision(dir.File("x.txt"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ends in .vhdr")));
}

// Companion files go through options.resolve; its errors come back as they
// are, with the field that named the file.
TEST(BrainVisionSourceTest, CompanionsGoThroughResolve) {
  TempDir dir;
  const std::string vhdr = WriteSet(dir, kHeader);
  std::filesystem::rename(dir.File("x.eeg"), dir.File("moved.eeg"));
  std::vector<std::string> asked;
  ReaderOptions options;
  options.resolve = [&](const std::string& p) -> absl::StatusOr<std::string> {
    asked.push_back(p);
    if (p == dir.File("x.eeg")) return dir.File("moved.eeg");
    return p;
  };
  absl::StatusOr<OpenedRecording> rec = OpenBrainVision(vhdr, options);
  ASSERT_THAT(rec, IsOk());
  EXPECT_THAT(asked, ElementsAre(dir.File("x.vmrk"), dir.File("x.eeg")));
  EXPECT_EQ(rec->data_path, dir.File("moved.eeg"));

  options.resolve = [&](const std::string& p) -> absl::StatusOr<std::string> {
    return absl::PermissionDeniedError(absl::StrCat(p, " is outside the data roots"));
  };
  EXPECT_THAT(OpenBrainVision(vhdr, options),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("MarkerFile=x.vmrk: " + dir.File("x.vmrk") + " is outside")));
}

}  // namespace
}  // namespace neurofeat
