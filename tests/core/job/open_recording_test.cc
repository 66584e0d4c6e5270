#include "core/job/open_recording.h"

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "core/io/npy.h"
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
using ::testing::Optional;

template <typename T>
std::string Bytes(const std::vector<T>& v) {
  std::string s(v.size() * sizeof(T), '\0');
  if (!v.empty()) std::memcpy(s.data(), v.data(), s.size());
  return s;
}

RecordingRequest Inline(const std::string* data, SampleType type, std::vector<int64_t> shape,
                        double rate = 100) {
  RecordingRequest r;
  r.samples = RecordingRequest::Inline{type, std::move(shape), data};
  r.sampling_rate_hz = rate;
  return r;
}

RecordingRequest FileRequest(const std::string& path, double rate = 0) {
  RecordingRequest r;
  r.file = RecordingRequest::File{};
  r.file->path = path;
  r.sampling_rate_hz = rate;
  return r;
}

// A (shape[0], shape[1][, shape[2]]) float32 .npy whose item i is i.
void WriteNpyFile(const std::string& path, std::vector<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
  auto w = NpyWriter::Create(path, NpyDtype::kFloat32, shape);
  ASSERT_THAT(w, IsOk());
  ASSERT_THAT((*w)->AppendBytes(v.data(), v.size() * sizeof(float)), IsOk());
  ASSERT_THAT((*w)->Finish(), IsOk());
}

// An EDF+ at 256 Hz, channels Fp1, Fp2, Cz; sample (f, c) = f + 100 c µV.
std::string WriteEdf(const TempDir& dir, const std::string& prefilter = "",
                     std::vector<std::string> labels = {"Fp1", "Fp2", "Cz"}) {
  testing::EdfForTest edf;
  edf.labels = std::move(labels);
  edf.records = 2;
  edf.prefilter = prefilter;
  edf.value = [](int64_t f, int c) { return static_cast<double>(f % 256) + 100.0 * c; };
  edf.annotations = {{1.5, 0.5, "left"}};
  const std::string path = dir.File("rec.edf");
  EXPECT_THAT(testing::WriteEdfForTest(path, edf), IsOk());
  return path;
}

// ---------------------------------------------------------------------------
// Inline samples

TEST(OpenRecordingTest, InlineTraces) {
  const std::string data = Bytes<float>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  absl::StatusOr<RecordingInput> in =
      OpenRecording(Inline(&data, SampleType::kFloat32, {5, 2}), {});
  ASSERT_THAT(in, IsOk());
  ASSERT_NE(in->source, nullptr);
  EXPECT_FALSE(in->has_epochs());
  EXPECT_EQ(in->source->num_frames(), 5);
  EXPECT_EQ(in->signal.fs, 100);
  EXPECT_THAT(in->signal.channels, ElementsAre("0", "1"));
  EXPECT_EQ(in->content_bytes, &data);
  EXPECT_EQ(in->held_bytes, 40);
  EXPECT_EQ(in->frame_bytes, 8);
  EXPECT_EQ(in->format, "");
  EXPECT_EQ(in->source_descriptor, "inline dtype=float32 shape=5x2");
  absl::StatusOr<Traces> t = in->source->GetTraces(1, 3);
  ASSERT_THAT(t, IsOk());
  EXPECT_THAT(std::vector<float>(t->data<float>(), t->data<float>() + 4), ElementsAre(2, 3, 4, 5));
}

TEST(OpenRecordingTest, InlineTracesWithChannelNames) {
  const std::string data = Bytes<int16_t>({1, 2, 3, 4});
  RecordingRequest r = Inline(&data, SampleType::kInt16, {2, 2});
  r.channel_names = {"Fz", "Cz"};
  absl::StatusOr<RecordingInput> in = OpenRecording(r, {});
  ASSERT_THAT(in, IsOk());
  EXPECT_THAT(in->signal.channels, ElementsAre("Fz", "Cz"));
  EXPECT_THAT(in->source->info().channel_ids, ElementsAre("Fz", "Cz"));
  EXPECT_EQ(in->frame_bytes, 4);
}

TEST(OpenRecordingTest, InlineEpochs) {
  std::vector<double> v(3 * 2 * 4);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.5 * static_cast<double>(i);
  const std::string data = Bytes(v);
  RecordingRequest r = Inline(&data, SampleType::kFloat64, {3, 2, 4}, 250);
  r.channel_names = {"a", "b"};
  absl::StatusOr<RecordingInput> in = OpenRecording(r, {});
  ASSERT_THAT(in, IsOk());
  EXPECT_EQ(in->source, nullptr);
  ASSERT_NE(in->epochs, nullptr);
  EXPECT_TRUE(in->has_epochs());
  EXPECT_EQ(in->epochs->n_windows, 3);
  EXPECT_EQ(in->epochs->channels, 2);
  EXPECT_EQ(in->epochs->n_times, 4);
  EXPECT_EQ(in->epoch_times(), 4);
  EXPECT_EQ(in->epochs->data[13], 6.5f);  // window 1, channel 1, time 1
  EXPECT_EQ(in->signal.fs, 250);
  EXPECT_THAT(in->signal.channels, ElementsAre("a", "b"));
  // The request's bytes and the decoded float32 windows.
  EXPECT_EQ(in->held_bytes, 24 * 8 + 24 * 4);
  EXPECT_EQ(in->content_bytes, &data);
}

TEST(OpenRecordingTest, RequestErrorsNameTheirField) {
  const std::string f32x4 = Bytes<float>({0, 1, 2, 3});
  const std::string f32x3 = Bytes<float>({0, 1, 2});
  const std::string with_nan = Bytes<float>({0, 1, std::nanf(""), 3});
  const std::string i16x5 = Bytes<int16_t>({0, 1, 2, 3, 4});
  const std::string epochs = Bytes<float>({0, 1, 2, 3, 4, 5, 6, 7});
  struct Case {
    const char* what;
    RecordingRequest request;
    const char* message;
  };
  auto with = [](RecordingRequest r, auto change) {
    change(r);
    return r;
  };
  const RecordingRequest traces = Inline(&f32x4, SampleType::kFloat32, {2, 2});
  const RecordingRequest epoch_request = Inline(&epochs, SampleType::kFloat32, {2, 2, 2});
  const std::vector<Case> kCases = {
      {"no data", Inline(nullptr, SampleType::kFloat32, {2, 2}), "recording.samples.data: missing"},
      {"1-D", Inline(&f32x4, SampleType::kFloat32, {4}),
       "recording.samples.shape: expected (frames, channels) or (windows, channels, times), got 1 "
       "dimensions"},
      {"4-D", Inline(&f32x4, SampleType::kFloat32, {1, 1, 2, 2}), "got 4 dimensions"},
      {"an empty dimension", Inline(&f32x4, SampleType::kFloat32, {0, 2}),
       "recording.samples.shape: sizes must be >= 1, got 0"},
      {"too many channels", Inline(&f32x4, SampleType::kFloat32, {1, 65537}),
       "recording.samples.shape[1] (channels)"},
      {"bytes short of the shape", Inline(&f32x3, SampleType::kFloat32, {2, 2}),
       "recording.samples.data: 12 bytes, but recording.samples.shape x dtype needs 16"},
      {"epoch bytes", Inline(&i16x5, SampleType::kInt16, {2, 2, 2}),
       "recording.samples.data: 10 bytes, but recording.samples.shape x dtype needs 16"},
      {"a NaN", Inline(&with_nan, SampleType::kFloat32, {2, 2}),
       "recording.samples.data: sample nan at frame 1, channel 0 is not finite"},
      {"no rate", Inline(&f32x4, SampleType::kFloat32, {2, 2}, 0),
       "recording.sampling_rate_hz: required"},
      {"a negative rate", Inline(&f32x4, SampleType::kFloat32, {2, 2}, -5),
       "recording.sampling_rate_hz: -5 Hz is not a sampling rate"},
      {"a NaN rate", Inline(&f32x4, SampleType::kFloat32, {2, 2}, std::nan("")),
       "recording.sampling_rate_hz: nan Hz"},
      {"an absurd rate", Inline(&f32x4, SampleType::kFloat32, {2, 2}, 2e9),
       "recording.sampling_rate_hz: 2e+09 Hz is not a sampling rate"},
      {"no source", RecordingRequest{},
       "recording: give exactly one of samples, path or upload_id"},
      {"two sources", with(traces, [](RecordingRequest& r) { r.upload_id = "u"; }),
       "recording: give exactly one of samples, path or upload_id"},
      {"names for other channels",
       with(traces,
            [](RecordingRequest& r) {
              r.channel_names = {"a", "b", "c"};
            }),
       "recording.channel_names: 3 names for 2 channels"},
      {"gains for other channels",
       with(traces,
            [](RecordingRequest& r) {
              r.gains_to_uv = {1, 2, 3};
            }),
       "recording.gains_to_uv: 3 values for 2 channels"},
      {"a NaN gain",
       with(traces,
            [](RecordingRequest& r) {
              r.gains_to_uv = {1, std::nan("")};
            }),
       "recording.gains_to_uv[1]"},
      {"offsets for other channels",
       with(traces,
            [](RecordingRequest& r) {
              r.offsets_to_uv = {1, 2, 3};
            }),
       "recording.offsets_to_uv: 3 values for 2 channels"},
      {"an infinite offset",
       with(traces,
            [](RecordingRequest& r) {
              r.offsets_to_uv = {std::numeric_limits<double>::infinity()};
            }),
       "recording.offsets_to_uv[0]"},
      {"locations for other channels",
       with(traces,
            [](RecordingRequest& r) {
              r.channel_locations = {{{0, 0}}};
            }),
       "recording.channel_locations: 1 for 2 channels"},
      {"a NaN location",
       with(traces,
            [](RecordingRequest& r) {
              r.channel_locations = {{{0, 0}}, {{1, std::nan("")}}};
            }),
       "recording.channel_locations[1].y"},
      {"an infinite highpass",
       with(traces,
            [](RecordingRequest& r) { r.highpass_hz = std::numeric_limits<double>::infinity(); }),
       "recording.highpass_hz"},
      {"a NaN lowpass", with(traces, [](RecordingRequest& r) { r.lowpass_hz = std::nan(""); }),
       "recording.lowpass_hz"},
      {"scale_to_uv without gains", with(traces, [](RecordingRequest& r) { r.scale_to_uv = true; }),
       "recording.scale_to_uv: the data state no gains; give recording.gains_to_uv"},
      {"an unknown channel to exclude",
       with(traces, [](RecordingRequest& r) { r.exclude_channels = {"9"}; }),
       "recording.exclude_channels: the recording has no channel \"9\" (it has 0,1)"},
      {"every channel excluded",
       with(traces,
            [](RecordingRequest& r) {
              r.exclude_channels = {"1", "0"};
            }),
       "recording.exclude_channels: dropping 1,0 leaves no channel"},
      {"channels excluded from epochs",
       with(epoch_request, [](RecordingRequest& r) { r.exclude_channels = {"0"}; }),
       "recording.exclude_channels: epochs keep all their channels"},
      {"an empty path", FileRequest(""), "recording.path.path: empty"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.what);
    EXPECT_THAT(OpenRecording(c.request, {}),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

// ---------------------------------------------------------------------------
// .npy files

TEST(OpenRecordingTest, NpyTracesOrEpochsByContent) {
  TempDir dir;
  // Upper-case names, and a name that does not say npy: the content decides.
  WriteNpyFile(dir.File("X.NPY"), {6, 3});
  WriteNpyFile(dir.File("E.NPY"), {2, 3, 4});
  WriteNpyFile(dir.File("traces.dat"), {5, 2});
  absl::StatusOr<RecordingInput> x = OpenRecording(FileRequest(dir.File("X.NPY"), 500), {});
  ASSERT_THAT(x, IsOk());
  ASSERT_NE(x->source, nullptr);
  EXPECT_FALSE(x->has_epochs());
  EXPECT_EQ(x->format, "npy");
  EXPECT_EQ(x->content_file, dir.File("X.NPY"));
  EXPECT_EQ(x->source->num_frames(), 6);
  EXPECT_THAT(x->signal.channels, ElementsAre("0", "1", "2"));
  EXPECT_EQ(x->signal.fs, 500);
  EXPECT_EQ(x->frame_bytes, 12);
  absl::StatusOr<Traces> t = x->source->GetTraces(5, 6);
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->row<float>(0)[2], 17.0f);

  absl::StatusOr<RecordingInput> e = OpenRecording(FileRequest(dir.File("E.NPY"), 500), {});
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->source, nullptr);
  ASSERT_TRUE(e->epochs_file.has_value());
  EXPECT_TRUE(e->has_epochs());
  EXPECT_EQ(e->epochs_file->n_windows, 2);
  EXPECT_EQ(e->epochs_file->channels, 3);
  EXPECT_EQ(e->epochs_file->n_times, 4);
  EXPECT_EQ(e->epoch_times(), 4);
  EXPECT_EQ(e->content_file, dir.File("E.NPY"));
  EXPECT_EQ(e->source_descriptor, "epochs npy shape=2x3x4");
  EXPECT_THAT(e->signal.channels, ElementsAre("0", "1", "2"));
  EXPECT_EQ(e->signal.fs, 500);

  absl::StatusOr<RecordingInput> d = OpenRecording(FileRequest(dir.File("traces.dat"), 500), {});
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->format, "npy");
  EXPECT_EQ(d->source->num_frames(), 5);
}

TEST(OpenRecordingTest, NpyNeedsARate) {
  TempDir dir;
  WriteNpyFile(dir.File("x.npy"), {6, 3});
  WriteNpyFile(dir.File("e.npy"), {2, 3, 4});
  EXPECT_THAT(OpenRecording(FileRequest(dir.File("x.npy")), {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("recording.sampling_rate_hz: required (an .npy file holds no "
                                 "sampling rate)")));
  EXPECT_THAT(OpenRecording(FileRequest(dir.File("e.npy")), {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("recording.sampling_rate_hz: required")));
}

TEST(OpenRecordingTest, NpyTakesTheRequestsChannelNames) {
  TempDir dir;
  WriteNpyFile(dir.File("x.npy"), {6, 3});
  RecordingRequest r = FileRequest(dir.File("x.npy"), 500);
  r.channel_names = {"C3", "Cz", "C4"};
  absl::StatusOr<RecordingInput> in = OpenRecording(r, {});
  ASSERT_THAT(in, IsOk());
  EXPECT_THAT(in->signal.channels, ElementsAre("C3", "Cz", "C4"));
  EXPECT_THAT(in->source->info().channel_ids, ElementsAre("C3", "Cz", "C4"));
}

TEST(OpenRecordingTest, MissingFileIsNotFound) {
  TempDir dir;
  EXPECT_THAT(OpenRecording(FileRequest(dir.File("none.npy"), 100), {}),
              StatusIs(absl::StatusCode::kNotFound));
}

// ---------------------------------------------------------------------------
// A file that states its rate, names and band (EDF+)

TEST(OpenRecordingTest, EdfRateMustAgreeWithTheRequest) {
  TempDir dir;
  const std::string path = WriteEdf(dir);
  EXPECT_THAT(OpenRecording(FileRequest(path, 250), {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("recording.sampling_rate_hz: 250 Hz differs from the file's 256 "
                                 "Hz")));
  absl::StatusOr<RecordingInput> same = OpenRecording(FileRequest(path, 256), {});
  ASSERT_THAT(same, IsOk());
  EXPECT_EQ(same->signal.fs, 256);
  absl::StatusOr<RecordingInput> own = OpenRecording(FileRequest(path), {});
  ASSERT_THAT(own, IsOk());
  EXPECT_EQ(own->signal.fs, 256);
  EXPECT_EQ(own->format, "edf");
  EXPECT_EQ(own->unit, "V");
  EXPECT_EQ(own->content_file, path);
  EXPECT_EQ(own->source->num_frames(), 512);
  EXPECT_EQ(own->frame_bytes, 3 * 8);
  EXPECT_THAT(own->signal.channels, ElementsAre("Fp1", "Fp2", "Cz"));
  // Annotations become events, in frames.
  ASSERT_EQ(own->events.size(), 1u);
  EXPECT_EQ(own->events[0].onset_frame, 384);
  EXPECT_EQ(own->events[0].duration_frames, 128);
  EXPECT_EQ(own->events[0].description, "left");
}

TEST(OpenRecordingTest, EdfChannelNamesMustAgreeWithTheRequest) {
  TempDir dir;
  const std::string path = WriteEdf(dir);
  RecordingRequest r = FileRequest(path);
  r.channel_names = {"C3", "C4", "Cz"};
  EXPECT_THAT(OpenRecording(r, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("recording.channel_names: C3,C4,Cz differ from the file's "
                                 "Fp1,Fp2,Cz")));
  r.channel_names = {"Fp1", "Fp2", "Cz"};  // repeating them is fine
  absl::StatusOr<RecordingInput> in = OpenRecording(r, {});
  ASSERT_THAT(in, IsOk());
  EXPECT_THAT(in->signal.channels, ElementsAre("Fp1", "Fp2", "Cz"));
}

TEST(OpenRecordingTest, LongNameListsAreShortenedInMessages) {
  TempDir dir;
  std::vector<std::string> labels, other;
  for (int i = 0; i < 10; ++i) {
    labels.push_back("E" + std::to_string(i));
    other.push_back("X" + std::to_string(i));
  }
  RecordingRequest r = FileRequest(WriteEdf(dir, "", labels));
  r.channel_names = other;
  EXPECT_THAT(OpenRecording(r, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("X0,X1,X2,X3,X4,X5,X6,X7,... (10 in all) differ from the file's "
                                 "E0,E1,E2,E3,E4,E5,E6,E7,... (10 in all)")));
}

TEST(OpenRecordingTest, ExcludedChannelsAreLeftOut) {
  TempDir dir;
  const std::string path = WriteEdf(dir);
  RecordingRequest r = FileRequest(path);
  r.exclude_channels = {"Fp2"};
  absl::StatusOr<RecordingInput> in = OpenRecording(r, {});
  ASSERT_THAT(in, IsOk());
  EXPECT_THAT(in->signal.channels, ElementsAre("Fp1", "Cz"));
  EXPECT_EQ(in->source->num_channels(), 2);
  EXPECT_THAT(in->source->info().channel_ids, ElementsAre("Fp1", "Cz"));
  EXPECT_THAT(in->source_descriptor, HasSubstr("without=Fp2"));
  EXPECT_EQ(in->frame_bytes, 3 * 8);  // a stored frame still holds Fp2
  absl::StatusOr<Traces> t = in->source->GetTraces(10, 11);
  ASSERT_THAT(t, IsOk());
  ASSERT_EQ(t->channels(), 2);
  // Volts; EDF's 16 bits over +-3000 µV quantize to 0.1 µV.
  EXPECT_NEAR(t->row<double>(0)[0], 10e-6, 1e-7);
  EXPECT_NEAR(t->row<double>(0)[1], 210e-6, 1e-7);

  r.exclude_channels = {"Fp2", "T7"};
  EXPECT_THAT(OpenRecording(r, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("recording.exclude_channels: the recording has no channel \"T7\" "
                                 "(it has Fp1,Fp2,Cz)")));
  r.exclude_channels = {"Cz", "Fp1", "Fp2"};
  EXPECT_THAT(OpenRecording(r, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("leaves no channel")));
}

TEST(OpenRecordingTest, ExcludedChannelsOfEpochFilesAreAnError) {
  TempDir dir;
  WriteNpyFile(dir.File("e.npy"), {2, 3, 4});
  RecordingRequest r = FileRequest(dir.File("e.npy"), 100);
  r.exclude_channels = {"1"};
  EXPECT_THAT(OpenRecording(r, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("recording.exclude_channels: epochs keep all their channels")));
}

// ---------------------------------------------------------------------------
// Gains, offsets and scale_to_uv

TEST(OpenRecordingTest, GainsAndOffsetsOneOrPerChannel) {
  const std::string data = Bytes<int16_t>({1, 2, 3, 4, 5, 6});
  RecordingRequest r = Inline(&data, SampleType::kInt16, {2, 3});
  r.gains_to_uv = {0.5};
  r.offsets_to_uv = {-1, 0, 1};
  absl::StatusOr<RecordingInput> one = OpenRecording(r, {});
  ASSERT_THAT(one, IsOk());
  EXPECT_THAT(one->source->info().gain_to_uv, ElementsAre(0.5, 0.5, 0.5));
  EXPECT_THAT(one->source->info().offset_to_uv, ElementsAre(-1, 0, 1));
  EXPECT_FALSE(one->scale.has_value());  // only with scale_to_uv

  r.gains_to_uv = {0.5, 2, 4};
  r.offsets_to_uv = {3};
  r.scale_to_uv = true;
  absl::StatusOr<RecordingInput> per = OpenRecording(r, {});
  ASSERT_THAT(per, IsOk());
  EXPECT_THAT(per->source->info().gain_to_uv, ElementsAre(0.5, 2, 4));
  EXPECT_THAT(per->source->info().offset_to_uv, ElementsAre(3, 3, 3));
  ASSERT_TRUE(per->scale.has_value());
  EXPECT_THAT(per->scale->gain, ElementsAre(0.5, 2, 4));
  EXPECT_THAT(per->scale->offset, ElementsAre(3, 3, 3));

  r.offsets_to_uv.clear();
  absl::StatusOr<RecordingInput> no_offsets = OpenRecording(r, {});
  ASSERT_THAT(no_offsets, IsOk());
  ASSERT_TRUE(no_offsets->scale.has_value());
  EXPECT_THAT(no_offsets->scale->offset, ElementsAre(0));
}

TEST(OpenRecordingTest, ScaleFollowsTheKeptChannels) {
  const std::string data = Bytes<int16_t>({1, 2, 3, 4, 5, 6});
  RecordingRequest r = Inline(&data, SampleType::kInt16, {2, 3});
  r.gains_to_uv = {0.5, 2, 4};
  r.offsets_to_uv = {-1, 0, 1};
  r.scale_to_uv = true;
  r.exclude_channels = {"1"};
  absl::StatusOr<RecordingInput> in = OpenRecording(r, {});
  ASSERT_THAT(in, IsOk());
  ASSERT_TRUE(in->scale.has_value());
  EXPECT_THAT(in->scale->gain, ElementsAre(0.5, 4));
  EXPECT_THAT(in->scale->offset, ElementsAre(-1, 1));
  EXPECT_THAT(in->signal.channels, ElementsAre("0", "2"));
}

TEST(OpenRecordingTest, ScaleOfAFileUsesItsGains) {
  TempDir dir;
  RecordingRequest r = FileRequest(WriteEdf(dir));
  r.scale_to_uv = true;
  absl::StatusOr<RecordingInput> in = OpenRecording(r, {});
  ASSERT_THAT(in, IsOk());
  ASSERT_TRUE(in->scale.has_value());
  // EDF values are volts: 1e6 µV per unit.
  EXPECT_THAT(in->scale->gain, ElementsAre(1e6, 1e6, 1e6));
}

// ---------------------------------------------------------------------------
// The band already applied

TEST(OpenRecordingTest, BandFromTheRequestElseTheHeader) {
  const std::string data = Bytes<float>({0, 1, 2, 3});
  absl::StatusOr<RecordingInput> none =
      OpenRecording(Inline(&data, SampleType::kFloat32, {2, 2}), {});
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->signal.highpass, std::nullopt);
  EXPECT_EQ(none->signal.lowpass, std::nullopt);
  RecordingRequest r = Inline(&data, SampleType::kFloat32, {2, 2});
  r.highpass_hz = 1;
  r.lowpass_hz = 40;
  absl::StatusOr<RecordingInput> inline_band = OpenRecording(r, {});
  ASSERT_THAT(inline_band, IsOk());
  EXPECT_THAT(inline_band->signal.highpass, Optional(1.0));
  EXPECT_THAT(inline_band->signal.lowpass, Optional(40.0));

  TempDir dir;
  const std::string path = WriteEdf(dir, "HP:0.5Hz LP:70Hz");
  absl::StatusOr<RecordingInput> header = OpenRecording(FileRequest(path), {});
  ASSERT_THAT(header, IsOk());
  EXPECT_THAT(header->signal.highpass, Optional(0.5));
  EXPECT_THAT(header->signal.lowpass, Optional(70.0));
  RecordingRequest lower = FileRequest(path);
  lower.lowpass_hz = 30;
  absl::StatusOr<RecordingInput> mixed = OpenRecording(lower, {});
  ASSERT_THAT(mixed, IsOk());
  EXPECT_THAT(mixed->signal.highpass, Optional(0.5));  // the header's
  EXPECT_THAT(mixed->signal.lowpass, Optional(30.0));  // the request's
}

// ---------------------------------------------------------------------------
// Uploads and resolvers

TEST(OpenRecordingTest, UploadsNeedASpool) {
  RecordingRequest r;
  r.upload_id = "u1";
  r.sampling_rate_hz = 100;
  EXPECT_THAT(OpenRecording(r, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("uploads are disabled")));
}

TEST(OpenRecordingTest, UploadsAreSpooledNpy) {
  TempDir dir;
  // Spool files carry no extension: an upload is an .npy whatever its name.
  WriteNpyFile(dir.File("spool-u1"), {8, 2});
  WriteNpyFile(dir.File("spool-u2"), {2, 2, 3});
  RecordingFiles files;
  files.upload = [&](const std::string& id) -> absl::StatusOr<std::string> {
    if (id == "u1" || id == "u2") return dir.File("spool-" + id);
    return absl::NotFoundError("upload_id " + id + ": no such upload");
  };
  RecordingRequest r;
  r.upload_id = "u1";
  r.sampling_rate_hz = 100;
  absl::StatusOr<RecordingInput> in = OpenRecording(r, files);
  ASSERT_THAT(in, IsOk());
  ASSERT_NE(in->source, nullptr);
  EXPECT_EQ(in->source->num_frames(), 8);
  EXPECT_EQ(in->content_file, dir.File("spool-u1"));
  EXPECT_EQ(in->format, "npy");
  r.upload_id = "u2";
  absl::StatusOr<RecordingInput> epochs = OpenRecording(r, files);
  ASSERT_THAT(epochs, IsOk());
  ASSERT_TRUE(epochs->epochs_file.has_value());
  EXPECT_EQ(epochs->epochs_file->n_windows, 2);
  r.upload_id = "u3";
  EXPECT_THAT(OpenRecording(r, files),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("upload_id u3")));
}

TEST(OpenRecordingTest, PathsGoThroughTheResolver) {
  TempDir dir;
  const std::string real = WriteEdf(dir);
  std::vector<std::string> asked;
  RecordingFiles files;
  files.resolve = [&](const std::string& p) -> absl::StatusOr<std::string> {
    asked.push_back(p);
    if (p == "ds/sub-01.edf") return real;
    return absl::PermissionDeniedError(p + " is outside the data roots");
  };
  absl::StatusOr<RecordingInput> in = OpenRecording(FileRequest("ds/sub-01.edf"), files);
  ASSERT_THAT(in, IsOk());
  EXPECT_EQ(in->content_file, real);
  EXPECT_THAT(asked, ElementsAre("ds/sub-01.edf"));
  EXPECT_THAT(OpenRecording(FileRequest("/etc/passwd"), files),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("/etc/passwd is outside the data roots")));
  // An empty path is the resolver's to judge.
  EXPECT_THAT(OpenRecording(FileRequest(""), files), StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace neurofeat
