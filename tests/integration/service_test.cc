// A real neurofeatd on 127.0.0.1: remote results equal the embedded
// engine's bit for bit, paths stay inside the data roots, every bad input
// gets the right gRPC code and a message naming the field, and the server
// keeps serving.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "api/pipeline_convert.h"
#include "core/exec/compute_arena.h"
#include "core/features/streaming_extractor.h"
#include "core/io/npy.h"
#include "core/preprocess/chunked_runner.h"
#include "core/preprocess/preprocess_chain.h"
#include "core/source/in_memory_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"
#include "tests/testing/cli_runner.h"
#include "tests/testing/feature_testing.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ServerProcess;
using ::testing::HasSubstr;

Traces Noise(int64_t frames, int64_t channels, uint32_t seed) {
  Traces t = Traces::Uninitialized(SampleType::kFloat32, frames, channels);
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0, 20);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = n(rng);
  return t;
}

v1::Recording Inline(const Traces& t, double fs) {
  v1::Recording r;
  auto* s = r.mutable_samples();
  s->set_dtype(t.type() == SampleType::kInt16 ? v1::INT16 : v1::FLOAT32);
  s->add_shape(t.frames());
  s->add_shape(t.channels());
  s->set_data(reinterpret_cast<const char*>(t.bytes()), t.size_bytes());
  r.set_sampling_rate_hz(fs);
  return r;
}

v1::Pipeline Pipeline(const std::string& json) {
  absl::StatusOr<v1::Pipeline> p = api::ParsePipelineJson(json);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : v1::Pipeline();
}

const char kChain[] = R"({"preprocess": [{"bandpass": {"freq_min": 300, "freq_max": 6000}},
                                         {"common_reference": {}}]})";

// What the embedded engine writes for the same chunk length.
Traces Embedded(const Traces& x, double fs, const std::string& json, int64_t chunk) {
  RecordingInfo info;
  info.sampling_rate_hz = fs;
  for (int64_t c = 0; c < x.channels(); ++c) info.channel_ids.push_back(absl::StrCat(c));
  auto source = std::make_shared<InMemorySource>(
      Traces::View(x.type(), x.frames(), x.channels(), x.bytes()), info);
  auto chain =
      *PreprocessChain::Build(*api::ToChainSpec(Pipeline(json)), source, SampleType::kFloat32);
  Traces out = Traces::Uninitialized(SampleType::kFloat32, x.frames(), x.channels());
  absl::Status s;
  RunInArena([&] {
    s = RunChunked(chain->output(), {chunk}, 0, x.frames(), [&](int64_t first, const Traces& t) {
      std::memcpy(out.row<float>(first), t.bytes(), t.size_bytes());
      return absl::OkStatus();
    });
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

absl::StatusOr<Traces> RemotePreprocess(client::NeurofeatClient& c,
                                        const v1::PreprocessRequest& req) {
  Traces out;
  int64_t channels = 0, total = 0;
  absl::Status s = c.Preprocess(req, [&](const v1::PreprocessResponse& r) -> absl::Status {
    if (r.channel_names_size() > 0) {
      total = r.total_frames();
      channels = r.channel_names_size();
      out = Traces::Uninitialized(SampleType::kFloat32, total, channels);
    }
    const auto& ch = r.chunk();
    std::memcpy(out.row<float>(ch.start_frame() - req.start_frame()), ch.data().data(),
                ch.data().size());
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

TEST(ServiceTest, RemotePreprocessIsBitIdenticalToTheEmbeddedEngine) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  const Traces x = Noise(90000, 16, 1);
  v1::PreprocessRequest req;
  *req.mutable_recording() = Inline(x, 30000);
  *req.mutable_pipeline() = Pipeline(kChain);
  req.set_chunk_frames(30000);
  absl::StatusOr<Traces> remote = RemotePreprocess(*client, req);
  ASSERT_TRUE(remote.ok()) << remote.status();
  const Traces local = Embedded(x, 30000, kChain, 30000);
  ASSERT_EQ(remote->size_bytes(), local.size_bytes());
  EXPECT_EQ(std::memcmp(remote->bytes(), local.bytes(), local.size_bytes()), 0);
  // The same through an upload.
  ASSERT_TRUE(WriteNpy(server.data_root() + "/x.npy", x).ok());
  auto id = client->UploadNpy(server.data_root() + "/x.npy", 100000, nullptr);
  ASSERT_TRUE(id.ok()) << id.status();
  req.mutable_recording()->clear_samples();
  req.mutable_recording()->set_upload_id(*id);
  remote = RemotePreprocess(*client, req);
  ASSERT_TRUE(remote.ok()) << remote.status();
  EXPECT_EQ(std::memcmp(remote->bytes(), local.bytes(), local.size_bytes()), 0);
  // And from the data root, a range.
  req.mutable_recording()->mutable_path()->set_path("x.npy");
  req.set_start_frame(45000);
  req.set_end_frame(46000);
  remote = RemotePreprocess(*client, req);
  ASSERT_TRUE(remote.ok()) << remote.status();
  ASSERT_EQ(remote->frames(), 1000);
}

// The CLI's remote mode writes the same file as its embedded mode.
TEST(ServiceTest, RemoteCliEqualsEmbeddedCli) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  testing::TempDir dir;
  ASSERT_TRUE(WriteNpy(dir.File("x.npy"), Noise(45000, 8, 2)).ok());
  testing::WriteFile(dir.File("p.json"), kChain);
  const std::string common =
      absl::StrCat("preprocess --input ", dir.File("x.npy"), " --fs 30000 --pipeline ",
                   dir.File("p.json"), " --quiet");
  auto local = testing::RunCli(NF_BINARY_DIR, common + " --output " + dir.File("local.npy"), dir);
  ASSERT_EQ(local.exit_code, 0) << local.output;
  auto remote = testing::RunCli(
      NF_BINARY_DIR,
      common + " --output " + dir.File("remote.npy") + " --server " + server.target(), dir);
  ASSERT_EQ(remote.exit_code, 0) << remote.output;
  auto a = ReadNpy(dir.File("local.npy"));
  auto b = ReadNpy(dir.File("remote.npy"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->data, b->data);
}

TEST(ServiceTest, RemoteExtractIsBitIdenticalToTheEmbeddedEngine) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  // Epochs: the how-to windows.
  NpyArray x = testing::LoadNpy("eegdash/howto_X_rows.npy");
  v1::ExtractRequest req;
  auto* s = req.mutable_recording()->mutable_samples();
  s->set_dtype(v1::FLOAT32);
  for (int64_t d : x.header.shape) s->add_shape(d);
  s->set_data(reinterpret_cast<const char*>(x.data.data()), x.data.size());
  req.mutable_recording()->set_sampling_rate_hz(128);
  for (const char* ch : {"O1", "Oz", "O2", "Cz", "Pz", "POz"})
    req.mutable_recording()->add_channel_names(ch);
  req.mutable_recording()->set_highpass_hz(1);
  req.mutable_recording()->set_lowpass_hz(40);
  const std::string howto = R"({"features": [{"name": "var", "fn": "signal_variance"},
      {"name": "mse", "fn": "complexity_multiscale_entropy"},
      {"name": "spec", "preprocessor": {"fn": "spectral_preprocessor", "params": {"window_size_in_sec": 1.0}},
       "features": [{"name": "bp", "fn": "spectral_bands_power"}, {"name": "e", "fn": "spectral_peak_frequency"}]}]})";
  *req.mutable_pipeline() = Pipeline(howto);
  req.set_rows_per_message(50);
  std::vector<double> values;
  std::vector<std::string> columns;
  std::string digest;
  absl::Status status = client->Extract(req, [&](const v1::ExtractResponse& r) {
    if (r.columns_size() > 0) {
      columns.assign(r.columns().begin(), r.columns().end());
      digest = r.meta().pipeline_digest();
      EXPECT_EQ(r.meta().engine_version(), "neurofeat 0.1.0");
    }
    values.insert(values.end(), r.rows().values().begin(), r.rows().values().end());
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(digest.size(), 64u);
  SignalInfo info;
  info.fs = 128;
  info.channels = {"O1", "Oz", "O2", "Cz", "Pz", "POz"};
  info.highpass = 1;
  info.lowpass = 40;
  std::vector<float> w(x.as<float>(), x.as<float>() + x.data.size() / 4);
  auto local = testing::Extract(howto, info, w, x.header.shape[0], x.header.shape[2]);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(columns, local->columns);
  EXPECT_EQ(values, local->values);
}

// Continuous data through a chain and windows: the same numbers as the
// embedded streaming extractor with the same chunk length.
TEST(ServiceTest, RemoteExtractOfContinuousDataEqualsEmbedded) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  const Traces x = Noise(20000, 3, 3);
  const std::string json =
      R"({"preprocess": [{"bandpass": {"freq_min": 1, "freq_max": 40, "filter_order": 4}}],
      "window": {"size_samples": 512, "stride_samples": 300},
      "features": [{"name": "v", "fn": "signal_variance"}, {"name": "ll", "fn": "signal_line_length"}]})";
  v1::ExtractRequest req;
  *req.mutable_recording() = Inline(x, 256);
  *req.mutable_pipeline() = Pipeline(json);
  req.set_chunk_frames(700);
  std::vector<double> values;
  ASSERT_TRUE(client
                  ->Extract(req,
                            [&](const v1::ExtractResponse& r) {
                              values.insert(values.end(), r.rows().values().begin(),
                                            r.rows().values().end());
                              return absl::OkStatus();
                            })
                  .ok());
  RecordingInfo rinfo;
  rinfo.sampling_rate_hz = 256;
  rinfo.channel_ids = {"0", "1", "2"};
  auto source = std::make_shared<InMemorySource>(
      Traces::View(x.type(), x.frames(), x.channels(), x.bytes()), rinfo);
  const v1::Pipeline p = Pipeline(json);
  auto chain = *PreprocessChain::Build(*api::ToChainSpec(p), source, SampleType::kFloat32);
  SignalInfo info;
  info.fs = 256;
  info.channels = rinfo.channel_ids;
  auto tree = FeatureTree::Build(api::ToFeatureSpecs(p), info, 512);
  ASSERT_TRUE(tree.ok());
  StreamingExtractor ex(*tree, chain->output(), **api::ToWindowSpec(p), 700, 10);
  FeatureTable all;
  RunInArena([&] {
    while (true) {
      auto b = ex.NextBlock();
      ASSERT_TRUE(b.ok());
      if (!b->has_value()) break;
      AppendRows(**b, &all);
    }
  });
  EXPECT_EQ(values, all.values);
  EXPECT_EQ(all.rows, (20000 - 512) / 300 + 1);
}

TEST(ServiceTest, PathsOutsideTheDataRootsAreRefused) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  testing::TempDir outside;
  ASSERT_TRUE(WriteNpy(outside.File("secret.npy"), Noise(1000, 2, 4)).ok());
  std::filesystem::create_directories(server.data_root() + "/sub");
  std::filesystem::create_symlink(outside.File("secret.npy"), server.data_root() + "/sub/link.npy");
  ASSERT_TRUE(WriteNpy(server.data_root() + "/ok.npy", Noise(1000, 2, 4)).ok());
  auto code_of = [&](const std::string& path) {
    v1::PreprocessRequest req;
    req.mutable_recording()->mutable_path()->set_path(path);
    req.mutable_recording()->set_sampling_rate_hz(1000);
    absl::Status s =
        client->Preprocess(req, [](const v1::PreprocessResponse&) { return absl::OkStatus(); });
    return s;
  };
  EXPECT_EQ(
      code_of("../" + std::filesystem::path(outside.path()).filename().string() + "/secret.npy")
          .code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(code_of("sub/../ok.npy").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(code_of(outside.File("secret.npy")).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(code_of("/etc/passwd").code(), absl::StatusCode::kPermissionDenied);
  absl::Status link = code_of("sub/link.npy");
  EXPECT_EQ(link.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(link.message()), HasSubstr("resolves outside the data roots"));
  EXPECT_EQ(code_of("missing.npy").code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(code_of("ok.npy").ok());
  EXPECT_TRUE(code_of(server.data_root() + "/ok.npy").ok());
}

struct BadRequest {
  std::string name;
  std::string pipeline;
  std::function<void(v1::Recording*)> edit;
  absl::StatusCode code;
  std::string field;
  bool extract = false;
};

class ServiceBadInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static ServerProcess* server_;
};
ServerProcess* ServiceBadInputTest::server_ = nullptr;

TEST_F(ServiceBadInputTest, EachBadInputGetsItsCodeAndFieldAndTheServerGoesOn) {
  ASSERT_TRUE(server_->started()) << server_->Log();
  auto client = server_->Client();
  const Traces x = Noise(30000, 4, 5);
  const std::vector<BadRequest> cases = {
      {"corner above Nyquist",
       R"({"preprocess": [{"bandpass": {"freq_min": 300, "freq_max": 20000}}]})", nullptr,
       absl::StatusCode::kInvalidArgument, "preprocess[0].bandpass.freq_max"},
      {"order 11", R"({"preprocess": [{"highpass": {"filter_order": 11}}]})", nullptr,
       absl::StatusCode::kInvalidArgument, "filter_order"},
      {"unknown JSON step", "", nullptr, absl::StatusCode::kInvalidArgument, ""},
      {"missing reference channel",
       R"({"preprocess": [{"common_reference": {"reference": "single", "ref_channel_ids": ["9"]}}]})",
       nullptr, absl::StatusCode::kInvalidArgument, "ref_channel_ids"},
      {"NaN sample", kChain,
       [](v1::Recording* r) {
         std::string d = r->samples().data();
         const float nan = std::nanf("");
         std::memcpy(d.data() + 40, &nan, 4);
         r->mutable_samples()->set_data(d);
       },
       absl::StatusCode::kInvalidArgument, "recording.samples.data: sample nan"},
      {"short data", kChain,
       [](v1::Recording* r) { r->mutable_samples()->mutable_data()->resize(100); },
       absl::StatusCode::kInvalidArgument, "recording.samples.data"},
      {"zero channels", kChain, [](v1::Recording* r) { r->mutable_samples()->set_shape(1, 0); },
       absl::StatusCode::kInvalidArgument, "recording.samples.shape"},
      {"no sampling rate", kChain, [](v1::Recording* r) { r->set_sampling_rate_hz(0); },
       absl::StatusCode::kInvalidArgument, "recording.sampling_rate_hz"},
      {"channel names", kChain, [](v1::Recording* r) { r->add_channel_names("A"); },
       absl::StatusCode::kInvalidArgument, "recording.channel_names"},
      {"unknown upload", kChain,
       [](v1::Recording* r) { r->set_upload_id("0123456789abcdef0123456789abcdef"); },
       absl::StatusCode::kNotFound, "recording.upload_id"},
      {"shorter than padlen",
       R"({"preprocess": [{"bandpass": {"freq_min": 300, "freq_max": 6000}}]})",
       [](v1::Recording* r) {
         r->mutable_samples()->set_shape(0, 10);
         r->mutable_samples()->mutable_data()->resize(10 * 4 * 4);
       },
       absl::StatusCode::kInvalidArgument, "padlen"},
      {"unknown feature",
       R"({"window": {"size_samples": 1000}, "features": [{"name": "x", "fn": "signal_mode"}]})",
       nullptr, absl::StatusCode::kInvalidArgument, "features.x.fn", true},
      {"band outside", R"({"window": {"size_samples": 3000}, "features": [{"name": "s",
          "preprocessor": {"fn": "spectral_preprocessor", "params": {"window_size_in_sec": 0.05}},
          "features": [{"name": "bp", "fn": "spectral_bands_power", "params": {"bands": [{"name": "hi", "lo": 10, "hi": 20000}]}}]}]})",
       nullptr, absl::StatusCode::kInvalidArgument, "features.s.features.bp.params.bands", true},
      {"welch too long", R"({"window": {"size_samples": 1000}, "features": [{"name": "s",
          "preprocessor": {"fn": "spectral_preprocessor"}, "features": [{"name": "p", "fn": "spectral_peak_frequency"}]}]})",
       nullptr, absl::StatusCode::kInvalidArgument, "features.s.preprocessor", true},
      {"entropy too short", R"({"window": {"size_samples": 3}, "features": [{"name": "e",
          "preprocessor": {"fn": "complexity_entropy_preprocessor"}, "features": [{"name": "s", "fn": "complexity_sample_entropy"}]}]})",
       nullptr, absl::StatusCode::kInvalidArgument, "too few samples", true},
      {"no window", R"({"features": [{"name": "v", "fn": "signal_variance"}]})", nullptr,
       absl::StatusCode::kInvalidArgument, "window", true},
      {"unknown parameter",
       R"({"window": {"size_samples": 1000}, "features": [{"name": "v", "fn": "signal_variance", "params": {"dof": 1}}]})",
       nullptr, absl::StatusCode::kInvalidArgument, "features.v.params.dof", true},
      {"ill-typed parameter",
       R"({"window": {"size_samples": 1000}, "features": [{"name": "q", "fn": "signal_quantile", "params": {"q": "half"}}]})",
       nullptr, absl::StatusCode::kInvalidArgument, "features.q.params.q", true},
      {"incompatible parent",
       R"({"window": {"size_samples": 1000}, "features": [{"name": "m", "fn": "spectral_moment"}]})",
       nullptr, absl::StatusCode::kInvalidArgument, "features.m: spectral_moment cannot take",
       true},
  };
  for (const BadRequest& c : cases) {
    v1::Recording rec = Inline(x, 30000);
    if (c.edit) c.edit(&rec);
    absl::Status s;
    if (c.name == "unknown JSON step") {
      EXPECT_FALSE(api::ParsePipelineJson(R"({"preprocess": [{"bandpas": {}}]})").ok());
      continue;
    }
    if (c.extract) {
      v1::ExtractRequest req;
      *req.mutable_recording() = rec;
      *req.mutable_pipeline() = Pipeline(c.pipeline);
      s = client->Extract(req, [](const v1::ExtractResponse&) { return absl::OkStatus(); });
    } else {
      v1::PreprocessRequest req;
      *req.mutable_recording() = rec;
      *req.mutable_pipeline() = Pipeline(c.pipeline);
      s = client->Preprocess(req, [](const v1::PreprocessResponse&) { return absl::OkStatus(); });
    }
    EXPECT_EQ(s.code(), c.code) << c.name << ": " << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.field)) << c.name;
  }
  // Out-of-range frames, epochs given to Preprocess.
  v1::PreprocessRequest range;
  *range.mutable_recording() = Inline(x, 30000);
  range.set_start_frame(29000);
  range.set_end_frame(31000);
  absl::Status s =
      client->Preprocess(range, [](const v1::PreprocessResponse&) { return absl::OkStatus(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("start_frame/end_frame"));
  // A truncated .npy under the data root.
  {
    ASSERT_TRUE(WriteNpy(server_->data_root() + "/t.npy", x).ok());
    std::filesystem::resize_file(server_->data_root() + "/t.npy", 5000);
    v1::PreprocessRequest req;
    req.mutable_recording()->mutable_path()->set_path("t.npy");
    req.mutable_recording()->set_sampling_rate_hz(30000);
    absl::Status t =
        client->Preprocess(req, [](const v1::PreprocessResponse&) { return absl::OkStatus(); });
    EXPECT_EQ(t.code(), absl::StatusCode::kInvalidArgument) << t;
    EXPECT_THAT(std::string(t.message()), HasSubstr("t.npy"));
  }
  // The server is still healthy and serving.
  EXPECT_EQ(*client->Health(), "SERVING");
  v1::PreprocessRequest good;
  *good.mutable_recording() = Inline(x, 30000);
  *good.mutable_pipeline() = Pipeline(kChain);
  EXPECT_TRUE(RemotePreprocess(*client, good).ok());
}

TEST(ServiceTest, InfoReportsLimitsFromSlurmAndFlags) {
  ServerProcess server({"--memory-budget", "300MiB"},
                       {{"SLURM_CPUS_PER_TASK", "1"}, {"SLURM_MEM_PER_NODE", "2048"}});
  ASSERT_TRUE(server.started()) << server.Log();
  auto info = server.Client()->Info();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->threads(), 1);
  EXPECT_THAT(info->cpu_limits(), HasSubstr("decided by slurm"));
  EXPECT_EQ(info->memory_budget_bytes(), int64_t{300} << 20);
  EXPECT_THAT(info->memory_limits(), HasSubstr("slurm=2048MiB"));
  EXPECT_THAT(info->data_roots(),
              ::testing::ElementsAre(std::filesystem::canonical(server.data_root()).string()));
  EXPECT_THAT(server.Log(), HasSubstr("cpu threads=1 (decided by slurm"));
  auto catalogue = server.Client()->Features();
  ASSERT_TRUE(catalogue.ok());
  bool found = false;
  for (const auto& f : catalogue->features()) {
    if (f.fn() != "signal_quantile") continue;
    found = true;
    ASSERT_EQ(f.params_size(), 1);
    EXPECT_EQ(f.params(0).name(), "q");
    EXPECT_EQ(f.params(0).default_json(), "0.5");
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace neurofeat
