// Hostile inputs against a real neurofeatd on 127.0.0.1: requests and files
// whose sizes wrap, headers that lie, special files, unknown enum values,
// non-finite and huge numbers, long paths, spool exhaustion, half-open
// metrics connections and a drain. Each gets a clear error with the right
// code (or keeps working), the server stays healthy and within its memory
// budget, and errors never show the server's own directories.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "api/pipeline_convert.h"
#include "core/io/npy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ServerProcess;
using ::neurofeat::testing::WriteFile;
using ::testing::HasSubstr;
using ::testing::Not;

absl::Status Drain(client::NeurofeatClient& c, const v1::PreprocessRequest& req) {
  return c.Preprocess(req, [](const v1::PreprocessResponse&) { return absl::OkStatus(); });
}
absl::Status Drain(client::NeurofeatClient& c, const v1::ExtractRequest& req) {
  return c.Extract(req, [](const v1::ExtractResponse&) { return absl::OkStatus(); });
}

v1::Pipeline Pipeline(const std::string& json) {
  absl::StatusOr<v1::Pipeline> p = api::ParsePipelineJson(json);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : v1::Pipeline();
}

std::vector<float> Noise(int64_t n, uint32_t seed) {
  std::vector<float> x(static_cast<size_t>(n));
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0, 10);
  for (float& v : x) v = d(rng);
  return x;
}

v1::Recording InlineFloat32(int64_t frames, int64_t channels, double fs) {
  v1::Recording r;
  const std::vector<float> x = Noise(frames * channels, 7);
  auto* s = r.mutable_samples();
  s->set_dtype(v1::FLOAT32);
  s->add_shape(frames);
  s->add_shape(channels);
  s->set_data(reinterpret_cast<const char*>(x.data()), x.size() * 4);
  r.set_sampling_rate_hz(fs);
  return r;
}

v1::Recording ServerFile(const std::string& path, v1::FileFormat format, double fs = 0) {
  v1::Recording r;
  r.mutable_path()->set_path(path);
  r.mutable_path()->set_format(format);
  if (fs > 0) r.set_sampling_rate_hz(fs);
  return r;
}

// The server is alive and serving after whatever came before.
void ExpectHealthy(const ServerProcess& server) {
  absl::StatusOr<std::string> health = server.Client()->Health();
  ASSERT_TRUE(health.ok()) << health.status() << "\n" << server.Log();
  EXPECT_EQ(*health, "SERVING");
  v1::PreprocessRequest ok;
  *ok.mutable_recording() = InlineFloat32(3000, 4, 3000);
  EXPECT_TRUE(Drain(*server.Client(), ok).ok());
}

#define EXPECT_CODE_AND_FIELD(status, want_code, field)             \
  do {                                                              \
    const absl::Status s_ = (status);                               \
    EXPECT_EQ(s_.code(), (want_code)) << s_;                        \
    EXPECT_THAT(std::string(s_.message()), HasSubstr(field)) << s_; \
  } while (0)

// ---- Size arithmetic ------------------------------------------------------

// 2^62 + 30000 frames x 4 channels x 4 bytes wraps to 480,000 bytes.
v1::Recording WrappingInlineShape() {
  v1::Recording r;
  auto* s = r.mutable_samples();
  s->set_dtype(v1::FLOAT32);
  s->add_shape((int64_t{1} << 62) + 30000);
  s->add_shape(4);
  s->mutable_data()->assign(480000, '\x01');
  r.set_sampling_rate_hz(30000);
  return r;
}

TEST(HostileRequestsTest, InlineShapeWhoseByteCountWrapsIsRefused) {
  ServerProcess server({"--memory-budget", "256MiB"});
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  v1::PreprocessRequest pre;
  *pre.mutable_recording() = WrappingInlineShape();
  pre.set_start_frame(100000);
  pre.set_end_frame(130000);
  EXPECT_CODE_AND_FIELD(Drain(*client, pre), absl::StatusCode::kInvalidArgument,
                        "recording.samples.shape");
  v1::ExtractRequest ext;
  *ext.mutable_recording() = WrappingInlineShape();
  *ext.mutable_pipeline() = Pipeline(R"({"window": {"size_samples": 1000},
      "features": [{"name": "v", "fn": "signal_variance"}]})");
  EXPECT_CODE_AND_FIELD(Drain(*client, ext), absl::StatusCode::kInvalidArgument,
                        "recording.samples.shape");
  // Epochs whose element count wraps: 2^61 x 2 x 4 windows x channels x times.
  v1::ExtractRequest epochs;
  auto* s = epochs.mutable_recording()->mutable_samples();
  s->set_dtype(v1::INT16);
  s->add_shape(int64_t{1} << 61);
  s->add_shape(2);
  s->add_shape(4);
  s->mutable_data()->assign(64, '\0');
  epochs.mutable_recording()->set_sampling_rate_hz(100);
  *epochs.mutable_pipeline() =
      Pipeline(R"({"features": [{"name": "v", "fn": "signal_variance"}]})");
  EXPECT_CODE_AND_FIELD(Drain(*client, epochs), absl::StatusCode::kInvalidArgument,
                        "recording.samples.shape");
  ExpectHealthy(server);
  if (testing::MemoryBoundsApply()) EXPECT_LT(server.PeakRssBytes(), (256 + 64) << 20);
}

TEST(HostileRequestsTest, SizesDerivedFromRequestFieldsNeverWrap) {
  ServerProcess server({"--memory-budget", "256MiB"});
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  // chunk_frames x channels x 4 wraps; a chunk longer than the recording
  // is the recording (SpikeInterface's grid has one chunk then).
  v1::PreprocessRequest pre;
  *pre.mutable_recording() = InlineFloat32(3000, 4, 3000);
  pre.set_chunk_frames(int64_t{1} << 62);
  int64_t frames = 0;
  EXPECT_TRUE(client
                  ->Preprocess(pre,
                               [&](const v1::PreprocessResponse& r) {
                                 frames += r.chunk().num_frames();
                                 return absl::OkStatus();
                               })
                  .ok());
  EXPECT_EQ(frames, 3000);
  pre.set_chunk_frames(-5);
  EXPECT_CODE_AND_FIELD(Drain(*client, pre), absl::StatusCode::kInvalidArgument, "chunk_frames");
  v1::ExtractRequest ext;
  *ext.mutable_recording() = InlineFloat32(3000, 4, 3000);
  *ext.mutable_pipeline() = Pipeline(R"({"window": {"size_samples": 100},
      "features": [{"name": "v", "fn": "signal_variance"}]})");
  ext.set_chunk_frames(int64_t{1} << 62);
  EXPECT_TRUE(Drain(*client, ext).ok());
  // rows_per_message x columns x 8 past the message limit.
  ext.set_rows_per_message(std::numeric_limits<int32_t>::max());
  EXPECT_CODE_AND_FIELD(Drain(*client, ext), absl::StatusCode::kInvalidArgument,
                        "rows_per_message");
  ext.set_rows_per_message(0);
  // A window far longer than any buffer could hold.
  *ext.mutable_pipeline() = Pipeline(R"({"window": {"size_samples": 4611686018427387904},
      "features": [{"name": "v", "fn": "signal_variance"}]})");
  ext.set_chunk_frames(0);
  EXPECT_CODE_AND_FIELD(Drain(*client, ext), absl::StatusCode::kInvalidArgument, "window");
  // A raw file whose channel count x item size wraps.
  WriteFile(server.data_root() + "/r.raw", std::string(4096, '\0'));
  v1::PreprocessRequest raw;
  *raw.mutable_recording() = ServerFile("r.raw", v1::RAW, 1000);
  raw.mutable_recording()->mutable_path()->set_raw_dtype(v1::FLOAT64);
  raw.mutable_recording()->mutable_path()->set_raw_num_channels(int64_t{1} << 61);
  EXPECT_CODE_AND_FIELD(Drain(*client, raw), absl::StatusCode::kInvalidArgument,
                        "raw_num_channels");
  raw.mutable_recording()->mutable_path()->set_raw_num_channels(2);
  raw.mutable_recording()->mutable_path()->set_raw_header_bytes(
      std::numeric_limits<int64_t>::max());
  EXPECT_CODE_AND_FIELD(Drain(*client, raw), absl::StatusCode::kInvalidArgument,
                        "raw_header_bytes");
  ExpectHealthy(server);
  if (testing::MemoryBoundsApply()) EXPECT_LT(server.PeakRssBytes(), (256 + 64) << 20);
}

TEST(HostileRequestsTest, QuadraticSetUpsAreBounded) {
  ServerProcess server({"--memory-budget", "256MiB"});
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  // A local reference whose every channel neighbours every other: 4096^2
  // neighbour entries.
  v1::PreprocessRequest local;
  *local.mutable_recording() = InlineFloat32(2, 4096, 1000);
  for (int c = 0; c < 4096; ++c) {
    auto* l = local.mutable_recording()->add_channel_locations();
    l->set_x(0);
    l->set_y(0.001 * (c + 1));
  }
  *local.mutable_pipeline() = Pipeline(
      R"({"preprocess": [{"common_reference": {"reference": "local", "local_radius": [0, 1000]}}]})");
  EXPECT_CODE_AND_FIELD(Drain(*client, local), absl::StatusCode::kInvalidArgument, "local_radius");
  // Every channel pair of 4096 channels: 8.4 million columns.
  v1::ExtractRequest pairs;
  auto* s = pairs.mutable_recording()->mutable_samples();
  s->set_dtype(v1::INT16);
  s->add_shape(1);
  s->add_shape(4096);
  s->add_shape(8);
  s->mutable_data()->assign(4096 * 8 * 2, '\1');
  pairs.mutable_recording()->set_sampling_rate_hz(100);
  *pairs.mutable_pipeline() = Pipeline(R"({"features": [
      {"name": "x", "fn": "connectivity_max_cross_correlation"}]})");
  EXPECT_CODE_AND_FIELD(Drain(*client, pairs), absl::StatusCode::kInvalidArgument, "pairs");
  ExpectHealthy(server);
  if (testing::MemoryBoundsApply()) EXPECT_LT(server.PeakRssBytes(), (256 + 64) << 20);
}

// ---- Header values in files -------------------------------------------------

std::string Meta(const std::string& saved_chans, const std::string& extra = "") {
  return absl::StrCat("imSampRate=30000\nnSavedChans=", saved_chans,
                      "\nsnsApLfSy=384,0,1\nimAiRangeMax=0.6\nimMaxInt=512\n", extra);
}

TEST(HostileRequestsTest, SpikeGlxHeadersAreCheckedAgainstTheFile) {
  ServerProcess server({"--memory-budget", "2GiB"});
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  const std::string root = server.data_root();
  WriteFile(root + "/x.ap.bin", std::string(240000, '\0'));
  struct Case {
    std::string meta;
    std::string field;
  };
  const std::vector<Case> cases = {
      {Meta("0"), "nSavedChans"},
      {Meta("-3"), "nSavedChans"},
      {Meta("2.5"), "nSavedChans"},
      {Meta("3000000000"), "nSavedChans"},
      {Meta("1e300"), "nSavedChans"},
      {Meta("nan"), "nSavedChans"},
      {Meta("385", "fileSizeBytes=9223372036854775807\n"), "fileSizeBytes"},
      {Meta("385", "fileSizeBytes=-770\n"), "fileSizeBytes"},
      {"imSampRate=1e300\nnSavedChans=385\n", "imSampRate"},
      {"imSampRate=nan\nnSavedChans=385\n", "imSampRate"},
      {"imSampRate=0\nnSavedChans=385\n", "imSampRate"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.meta);
    WriteFile(root + "/x.ap.meta", c.meta);
    v1::PreprocessRequest req;
    *req.mutable_recording() = ServerFile("x.ap.bin", v1::SPIKEGLX);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_CODE_AND_FIELD(Drain(*client, req), absl::StatusCode::kInvalidArgument, c.field);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
              5.0 * testing::TimeScale());
  }
  ExpectHealthy(server);
  if (testing::MemoryBoundsApply()) EXPECT_LT(server.PeakRssBytes(), int64_t{512} << 20);
}

TEST(HostileRequestsTest, OpenEphysHeadersAreCheckedAgainstTheFile) {
  ServerProcess server({"--memory-budget", "2GiB"});
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  const std::string root = server.data_root();
  std::filesystem::create_directories(root + "/oe/continuous/s0");
  WriteFile(root + "/oe/continuous/s0/continuous.dat", std::string(240000, '\0'));
  for (const std::string nch : {"0", "3000000000", "1e300", "2.5", "-1"}) {
    SCOPED_TRACE(nch);
    WriteFile(root + "/oe/structure.oebin",
              absl::StrCat(R"({"continuous": [{"folder_name": "s0/", "sample_rate": 30000,
                            "num_channels": )",
                           nch, "}]}"));
    v1::PreprocessRequest req;
    *req.mutable_recording() = ServerFile("oe/structure.oebin", v1::OPENEPHYS);
    EXPECT_CODE_AND_FIELD(Drain(*client, req), absl::StatusCode::kInvalidArgument, "num_channels");
  }
  ExpectHealthy(server);
  if (testing::MemoryBoundsApply()) EXPECT_LT(server.PeakRssBytes(), int64_t{512} << 20);
}

TEST(HostileRequestsTest, NpyShapesWithAnEmptyDimensionAreRefused) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  // (0, 10^17): zero items, so the file size agrees; the channel count must
  // still not be trusted.
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 100000000000000000), }";
  dict.append(118 - dict.size(), ' ');
  dict.push_back('\n');
  std::string file = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(dict.size()) + '\0';
  file += dict;
  WriteFile(server.data_root() + "/empty.npy", file);
  v1::PreprocessRequest req;
  *req.mutable_recording() = ServerFile("empty.npy", v1::NPY, 1000);
  EXPECT_CODE_AND_FIELD(Drain(*client, req), absl::StatusCode::kInvalidArgument, "empty.npy");
  ExpectHealthy(server);
  if (testing::MemoryBoundsApply()) EXPECT_LT(server.PeakRssBytes(), int64_t{512} << 20);
}

// ---- Special files ------------------------------------------------------------

TEST(HostileRequestsTest, FifosUnderADataRootAreRefusedAndStopDoesNotHang) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  const std::string root = server.data_root();
  for (const char* name : {"x.npy", "y.raw", "z.edf", "w.ap.bin", "v.oebin"}) {
    ASSERT_EQ(::mkfifo((root + "/" + name).c_str(), 0644), 0);
  }
  WriteFile(root + "/w.ap.meta", Meta("385"));
  // A regular .bin whose .meta is a FIFO.
  WriteFile(root + "/u.ap.bin", std::string(7700, '\0'));
  ASSERT_EQ(::mkfifo((root + "/u.ap.meta").c_str(), 0644), 0);
  struct Case {
    std::string path;
    v1::FileFormat format;
  };
  for (const Case& c : std::vector<Case>{{"x.npy", v1::NPY},
                                         {"y.raw", v1::RAW},
                                         {"z.edf", v1::EDF},
                                         {"w.ap.bin", v1::SPIKEGLX},
                                         {"u.ap.bin", v1::SPIKEGLX},
                                         {"v.oebin", v1::OPENEPHYS},
                                         {"x.npy", v1::FILE_FORMAT_AUTO}}) {
    SCOPED_TRACE(c.path);
    v1::PreprocessRequest req;
    *req.mutable_recording() = ServerFile(c.path, c.format, 1000);
    req.mutable_recording()->mutable_path()->set_raw_dtype(v1::INT16);
    req.mutable_recording()->mutable_path()->set_raw_num_channels(2);
    client::ClientOptions o;
    o.target = server.target();
    o.deadline = std::chrono::milliseconds(5000);
    const absl::Status s = Drain(**client::NeurofeatClient::Connect(o), req);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("not a regular file")) << s;
  }
  ExpectHealthy(server);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(server.Stop(20.0), 0) << server.Log();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
            10.0 * testing::TimeScale());
}

// ---- Conversions and enums ---------------------------------------------------

TEST(HostileRequestsTest, HugeAndNonFiniteNumbersAreRefusedNamingTheField) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  const double kNaN = std::numeric_limits<double>::quiet_NaN();
  const double kInf = std::numeric_limits<double>::infinity();
  struct Case {
    std::string name;
    std::function<void(v1::PreprocessRequest*)> edit;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"rate 1e300",
       [](v1::PreprocessRequest* r) { r->mutable_recording()->set_sampling_rate_hz(1e300); },
       "sampling_rate_hz"},
      {"rate nan",
       [&](v1::PreprocessRequest* r) { r->mutable_recording()->set_sampling_rate_hz(kNaN); },
       "sampling_rate_hz"},
      {"rate inf",
       [&](v1::PreprocessRequest* r) { r->mutable_recording()->set_sampling_rate_hz(kInf); },
       "sampling_rate_hz"},
      {"margin 1e300",
       [](v1::PreprocessRequest* r) {
         *r->mutable_pipeline() = Pipeline(R"({"preprocess": [{"highpass": {"freq_min": 100,
                                              "margin_ms": 1e300}}]})");
       },
       "margin_ms"},
      {"freq nan",
       [&](v1::PreprocessRequest* r) {
         *r->mutable_pipeline() = Pipeline(R"({"preprocess": [{"highpass": {}}]})");
         r->mutable_pipeline()->mutable_preprocess(0)->mutable_highpass()->set_freq_min(kNaN);
       },
       "freq_min"},
      {"gain nan",
       [&](v1::PreprocessRequest* r) {
         r->mutable_recording()->add_gains_to_uv(kNaN);
         r->mutable_recording()->set_scale_to_uv(true);
       },
       "gains_to_uv"},
      {"scale inf",
       [&](v1::PreprocessRequest* r) {
         *r->mutable_pipeline() = Pipeline(R"({"preprocess": [{"scale": {"gain": [2]}}]})");
         r->mutable_pipeline()->mutable_preprocess(0)->mutable_scale()->set_gain(0, kInf);
       },
       "gain"},
      {"radius nan",
       [&](v1::PreprocessRequest* r) {
         *r->mutable_pipeline() = Pipeline(
             R"({"preprocess": [{"common_reference": {"reference": "local", "local_radius": [1, 2]}}]})");
         r->mutable_pipeline()->mutable_preprocess(0)->mutable_common_reference()->set_local_radius(
             0, kNaN);
       },
       "local_radius"},
      {"location nan",
       [&](v1::PreprocessRequest* r) {
         for (int c = 0; c < 4; ++c) {
           auto* l = r->mutable_recording()->add_channel_locations();
           l->set_x(c == 2 ? kNaN : 0);
           l->set_y(c * 20);
         }
       },
       "channel_locations"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::PreprocessRequest req;
    *req.mutable_recording() = InlineFloat32(3000, 4, 3000);
    *req.mutable_pipeline() = Pipeline(R"({"preprocess": [{"highpass": {"freq_min": 100}}]})");
    c.edit(&req);
    EXPECT_CODE_AND_FIELD(Drain(*client, req), absl::StatusCode::kInvalidArgument, c.field);
  }
  // Feature parameters and applied bands.
  struct FeatureCase {
    std::string name;
    std::string json;
    std::function<void(v1::ExtractRequest*)> edit;
    std::string field;
  };
  const std::string kBands = R"({"window": {"size_samples": 1000}, "features": [{"name": "s",
      "preprocessor": {"fn": "spectral_preprocessor", "params": {"window_size_in_sec": 0.1}},
      "features": [{"name": "bp", "fn": "spectral_bands_power",
                    "params": {"bands": [{"name": "a", "lo": 8, "hi": 12}]}}]}]})";
  const std::vector<FeatureCase> feature_cases = {
      {"band nan", kBands,
       [&](v1::ExtractRequest* r) {
         auto* band = r->mutable_pipeline()
                          ->mutable_features(0)
                          ->mutable_features(0)
                          ->mutable_params()
                          ->mutable_fields()
                          ->at("bands")
                          .mutable_list_value()
                          ->mutable_values(0)
                          ->mutable_struct_value();
         (*band->mutable_fields())["lo"].set_number_value(kNaN);
       },
       "bands"},
      {"welch 1e300 s", kBands,
       [&](v1::ExtractRequest* r) {
         (*r->mutable_pipeline()
               ->mutable_features(0)
               ->mutable_preprocessor()
               ->mutable_params()
               ->mutable_fields())["window_size_in_sec"]
             .set_number_value(1e300);
       },
       "window_size_in_sec"},
      {"highpass nan", kBands,
       [&](v1::ExtractRequest* r) { r->mutable_recording()->set_highpass_hz(kNaN); },
       "highpass_hz"},
      {"lowpass inf", kBands,
       [&](v1::ExtractRequest* r) { r->mutable_recording()->set_lowpass_hz(kInf); }, "lowpass_hz"},
  };
  for (const FeatureCase& c : feature_cases) {
    SCOPED_TRACE(c.name);
    v1::ExtractRequest req;
    *req.mutable_recording() = InlineFloat32(3000, 4, 1000);
    *req.mutable_pipeline() = Pipeline(c.json);
    c.edit(&req);
    EXPECT_CODE_AND_FIELD(Drain(*client, req), absl::StatusCode::kInvalidArgument, c.field);
  }
  ExpectHealthy(server);
}

TEST(HostileRequestsTest, UnknownEnumValuesAreRefusedNamingTheField) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  WriteFile(server.data_root() + "/r.raw", std::string(4000, '\0'));
  {
    v1::PreprocessRequest req;
    *req.mutable_recording() = InlineFloat32(3000, 4, 3000);
    req.mutable_recording()->mutable_samples()->set_dtype(static_cast<v1::SampleDtype>(99));
    EXPECT_CODE_AND_FIELD(Drain(*client, req), absl::StatusCode::kInvalidArgument,
                          "recording.samples.dtype");
  }
  {
    v1::PreprocessRequest req;
    *req.mutable_recording() = InlineFloat32(3000, 4, 3000);
    req.set_output_dtype(static_cast<v1::SampleDtype>(8));
    EXPECT_CODE_AND_FIELD(Drain(*client, req), absl::StatusCode::kInvalidArgument, "output_dtype");
  }
  {
    v1::PreprocessRequest req;
    *req.mutable_recording() = ServerFile("r.raw", static_cast<v1::FileFormat>(42), 1000);
    EXPECT_CODE_AND_FIELD(Drain(*client, req), absl::StatusCode::kInvalidArgument,
                          "recording.path.format");
  }
  {
    v1::PreprocessRequest req;
    *req.mutable_recording() = ServerFile("r.raw", v1::RAW, 1000);
    req.mutable_recording()->mutable_path()->set_raw_dtype(static_cast<v1::SampleDtype>(17));
    req.mutable_recording()->mutable_path()->set_raw_num_channels(2);
    EXPECT_CODE_AND_FIELD(Drain(*client, req), absl::StatusCode::kInvalidArgument,
                          "recording.path.raw_dtype");
  }
  {
    v1::ExtractRequest req;
    *req.mutable_recording() = InlineFloat32(3000, 4, 1000);
    *req.mutable_pipeline() = Pipeline(R"({"window": {"size_samples": 1000},
        "features": [{"name": "v", "fn": "signal_variance"}]})");
    req.set_cache_policy(static_cast<v1::CachePolicy>(9));
    EXPECT_CODE_AND_FIELD(Drain(*client, req), absl::StatusCode::kInvalidArgument, "cache_policy");
  }
  {
    // An upload header with an unknown dtype, through the raw stub.
    auto channel = grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials());
    auto stub = v1::Neurofeat::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::UploadResponse resp;
    auto writer = stub->Upload(&ctx, &resp);
    v1::UploadChunk header;
    header.mutable_header()->set_dtype(static_cast<v1::SampleDtype>(77));
    header.mutable_header()->add_shape(10);
    header.mutable_header()->add_shape(2);
    writer->Write(header);
    writer->WritesDone();
    const grpc::Status s = writer->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("upload.header.dtype"));
  }
  ExpectHealthy(server);
}

// ---- Error messages --------------------------------------------------------------

TEST(HostileRequestsTest, ErrorsNamePathsRelativeToTheirDataRoot) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  const std::string root = server.data_root();
  std::filesystem::create_directories(root + "/sub");
  WriteFile(root + "/sub/bad.npy", "not an npy file at all, just text");
  WriteFile(root + "/sub/x.ap.bin", std::string(7700, '\0'));
  WriteFile(root + "/sub/x.ap.meta", "imSampRate=30000\n");
  WriteFile(root + "/sub/odd.raw", std::string(7, '\0'));
  struct Case {
    v1::Recording recording;
    std::string relative;
  };
  v1::Recording raw = ServerFile("sub/odd.raw", v1::RAW, 1000);
  raw.mutable_path()->set_raw_dtype(v1::INT16);
  raw.mutable_path()->set_raw_num_channels(2);
  const std::vector<Case> cases = {
      {ServerFile("sub/missing.npy", v1::NPY, 1000), "sub/missing.npy"},
      {ServerFile("sub/bad.npy", v1::NPY, 1000), "sub/bad.npy"},
      {ServerFile(root + "/sub/bad.npy", v1::NPY, 1000), "sub/bad.npy"},
      {ServerFile("sub/x.ap.bin", v1::SPIKEGLX), "sub/x.ap.meta"},
      {raw, "sub/odd.raw"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.relative);
    v1::PreprocessRequest req;
    *req.mutable_recording() = c.recording;
    const absl::Status s = Drain(*client, req);
    EXPECT_FALSE(s.ok());
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.relative)) << s;
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr(root))) << s;
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr(server.data_root().substr(0, 12)))) << s;
  }
}

TEST(HostileRequestsTest, ALongPathGetsItsOwnErrorInBoundedSize) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  std::string path;
  while (path.size() < 20000) path += "deep/";
  path += "x.npy";
  v1::PreprocessRequest req;
  *req.mutable_recording() = ServerFile(path, v1::NPY, 1000);
  const absl::Status s = Drain(*client, req);
  EXPECT_THAT(s.code(),
              ::testing::AnyOf(absl::StatusCode::kNotFound, absl::StatusCode::kInvalidArgument))
      << s.code();
  EXPECT_THAT(std::string(s.message()), HasSubstr("recording.path.path"));
  EXPECT_LE(s.message().size(), 1024u);
  ExpectHealthy(server);
}

// ---- Uploads ---------------------------------------------------------------------

TEST(HostileRequestsTest, UploadSpoolHasATotalQuota) {
  ServerProcess server({"--max-upload-bytes", "1MiB", "--max-spool-bytes", "1MiB"});
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  testing::TempDir dir;
  Traces t = Traces::Zeros(SampleType::kFloat32, 150000 / 4, 4);  // 600,000 bytes
  ASSERT_TRUE(WriteNpy(dir.File("a.npy"), t).ok());
  absl::StatusOr<std::string> first = client->UploadNpy(dir.File("a.npy"), 1 << 16, nullptr);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::string> second = client->UploadNpy(dir.File("a.npy"), 1 << 16, nullptr);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted) << second.status();
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("spool"));
  ExpectHealthy(server);
}

// ---- Metrics endpoint ----------------------------------------------------------

int ConnectOnly(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST(HostileRequestsTest, MetricsAnswerWhileClientsHoldHalfOpenConnections) {
  ServerProcess server({"--metrics-listen", "127.0.0.1:0"});
  ASSERT_TRUE(server.started()) << server.Log();
  ASSERT_GT(server.metrics_port(), 0);
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) {
    const int fd = ConnectOnly(server.metrics_port());
    ASSERT_GE(fd, 0);
    if (i % 2 == 1) (void)!::write(fd, "GET /metr", 9);  // a request that never ends
    idle.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto t0 = std::chrono::steady_clock::now();
  const std::string body = server.Scrape();
  EXPECT_THAT(body, HasSubstr("neurofeat_build_info"));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
            3.0 * testing::TimeScale());
  for (int fd : idle) ::close(fd);
}

// ---- Drain -----------------------------------------------------------------------

TEST(HostileRequestsTest, DuringTheDrainThePortStaysOpenAndHealthSaysNotServing) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  // A request kept in flight by its reader: 20 chunks of 1.6 MB (more than
  // the transport buffers), read 150 ms apart.
  v1::PreprocessRequest slow;
  *slow.mutable_recording() = InlineFloat32(250000, 32, 1000);
  slow.set_chunk_frames(12500);
  absl::Status running;
  std::atomic<int> chunks{0};
  std::thread t([&] {
    running = server.Client()->Preprocess(slow, [&](const v1::PreprocessResponse&) {
      ++chunks;
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
      return absl::OkStatus();
    });
  });
  while (chunks == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // A new connection, made after SIGTERM.
  client::ClientOptions o;
  o.target = server.target();
  o.deadline = std::chrono::milliseconds(2000);
  auto fresh = *client::NeurofeatClient::Connect(o);
  absl::StatusOr<std::string> health = fresh->Health();
  if (!health.ok()) t.join();
  ASSERT_TRUE(health.ok()) << health.status() << "\n" << server.Log();
  EXPECT_EQ(*health, "NOT_SERVING");
  EXPECT_EQ(Drain(*fresh, slow).code(), absl::StatusCode::kUnavailable);
  t.join();
  EXPECT_TRUE(running.ok()) << running;
  EXPECT_EQ(chunks, 20);
  EXPECT_EQ(server.Stop(), 0) << server.Log();
}

TEST(HostileRequestsTest, WithNothingInFlightHealthSaysNotServingForTheNoticePeriod) {
  ServerProcess server({"--drain-notice", "3s"});
  ASSERT_TRUE(server.started()) << server.Log();
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  client::ClientOptions o;
  o.target = server.target();
  o.deadline = std::chrono::milliseconds(2000);
  absl::StatusOr<std::string> health = (*client::NeurofeatClient::Connect(o))->Health();
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, "NOT_SERVING");
  EXPECT_EQ(server.Stop(), 0) << server.Log();
}

// ---- Cache on a full disk -------------------------------------------------------

TEST(HostileRequestsTest, CacheOnAFullTmpfsLeavesTheServerServingUncached) {
  testing::TempDir dir;
  const std::string mount_point = dir.File("tiny");
  std::filesystem::create_directories(mount_point);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=2m") != 0) {
    GTEST_SKIP() << "mounting a 2 MiB tmpfs is not permitted here (" << std::strerror(errno)
                 << "); the RLIMIT_FSIZE test in cache_metrics_test covers the write path";
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  // The cap is larger than the disk, as when a disk fills with other data.
  ServerProcess cached({"--cache-dir", mount_point + "/db", "--cache-max-bytes", "64MiB"});
  ServerProcess uncached({"--no-cache"});
  ASSERT_TRUE(cached.started()) << cached.Log();
  ASSERT_TRUE(uncached.started()) << uncached.Log();
  const std::string json = R"({"window": {"size_samples": 256},
      "features": [{"name": "s",
        "preprocessor": {"fn": "spectral_preprocessor", "params": {"window_size_in_sec": 1.0}},
        "features": [{"name": "bp", "fn": "spectral_bands_power",
                      "params": {"bands": [{"name": "a", "lo": 8, "hi": 12}]}}]}]})";
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(seed);
    v1::ExtractRequest req;
    *req.mutable_recording() = InlineFloat32(256 * 2000, 8, 256);
    const std::vector<float> x = Noise(256 * 2000 * 8, seed);
    req.mutable_recording()->mutable_samples()->set_data(reinterpret_cast<const char*>(x.data()),
                                                         x.size() * 4);
    *req.mutable_pipeline() = Pipeline(json);
    std::vector<double> a, b;
    absl::Status sa = cached.Client()->Extract(req, [&](const v1::ExtractResponse& r) {
      a.insert(a.end(), r.rows().values().begin(), r.rows().values().end());
      return absl::OkStatus();
    });
    absl::Status sb = uncached.Client()->Extract(req, [&](const v1::ExtractResponse& r) {
      b.insert(b.end(), r.rows().values().begin(), r.rows().values().end());
      return absl::OkStatus();
    });
    ASSERT_TRUE(sa.ok()) << sa << "\n" << cached.Log();
    ASSERT_TRUE(sb.ok()) << sb;
    EXPECT_EQ(a, b);
  }
  ExpectHealthy(cached);
  EXPECT_THAT(cached.Log(), HasSubstr("serving uncached"));
  EXPECT_EQ(cached.Stop(), 0) << cached.Log();
}

}  // namespace
}  // namespace neurofeat
