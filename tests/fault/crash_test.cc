// Faults: the server killed with SIGKILL while it writes its cache, twenty
// times over, then restarted on the same cache: every answer still equals an
// uncached server's. A client that stalls or disconnects mid-stream leaves
// no work running.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "api/pipeline_convert.h"
#include "core/exec/compute_arena.h"
#include "core/io/npy.h"
#include "core/io/synthetic_recording.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ServerProcess;

void WriteEeg(const std::string& path) {
  SyntheticOptions o;
  o.channels = 8;
  o.frames = 256 * 600;
  o.sampling_rate_hz = 256;
  o.type = SampleType::kFloat32;
  SyntheticRecording rec(o);
  absl::StatusOr<Traces> t;
  RunInArena([&] { t = rec.GetTraces(0, o.frames); });
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(WriteNpy(path, *t).ok());
}

v1::ExtractRequest EegRequest() {
  v1::ExtractRequest req;
  req.mutable_recording()->mutable_path()->set_path("eeg.npy");
  req.mutable_recording()->set_sampling_rate_hz(256);
  *req.mutable_pipeline() = *api::ParsePipelineJson(R"({
      "preprocess": [{"bandpass": {"freq_min": 1, "freq_max": 40, "filter_order": 4}}],
      "window": {"size_samples": 512, "stride_samples": 128},
      "features": [{"name": "s", "preprocessor": {"fn": "spectral_preprocessor",
                                                  "params": {"window_size_in_sec": 1.0}},
                    "features": [{"name": "bp", "fn": "spectral_bands_power"},
                                 {"name": "n", "preprocessor": {
                                    "fn": "spectral_normalized_preprocessor"},
                                  "features": [{"name": "ent", "fn": "spectral_entropy"}]}]},
                   {"name": "mse", "fn": "complexity_multiscale_entropy"}]})");
  return req;
}

absl::StatusOr<std::vector<double>> Values(const ServerProcess& server,
                                           const v1::ExtractRequest& req) {
  std::vector<double> values;
  absl::Status s = server.Client()->Extract(req, [&](const v1::ExtractResponse& r) {
    values.insert(values.end(), r.rows().values().begin(), r.rows().values().end());
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return values;
}

TEST(CrashTest, KilledTwentyTimesDuringCacheWritesNeverAnswersWrong) {
  testing::TempDir dir;
  const std::string cache = dir.File("cache");
  ServerProcess plain({"--no-cache"});
  ASSERT_TRUE(plain.started()) << plain.Log();
  WriteEeg(plain.data_root() + "/eeg.npy");
  const v1::ExtractRequest req = EegRequest();
  absl::StatusOr<std::vector<double>> expected = Values(plain, req);
  ASSERT_TRUE(expected.ok()) << expected.status();
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(round);
    // Each round a different chain: new spectra and features to write.
    v1::ExtractRequest writing = req;
    writing.mutable_pipeline()->mutable_preprocess(0)->mutable_bandpass()->set_freq_max(40 - round);
    ServerProcess server({"--cache-dir", cache, "--cache-max-bytes", "64MiB"});
    ASSERT_TRUE(server.started()) << server.Log();
    std::filesystem::copy_file(plain.data_root() + "/eeg.npy", server.data_root() + "/eeg.npy");
    std::thread client([&] { (void)Values(server, writing); });
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(50, 400)(rng)));
    ::kill(server.pid(), SIGKILL);
    client.join();
    // Restarted on the same cache: the answer equals the uncached server's.
    ServerProcess again({"--cache-dir", cache, "--cache-max-bytes", "64MiB"});
    ASSERT_TRUE(again.started()) << again.Log();
    std::filesystem::copy_file(plain.data_root() + "/eeg.npy", again.data_root() + "/eeg.npy");
    absl::StatusOr<std::vector<double>> got = Values(again, req);
    ASSERT_TRUE(got.ok()) << got.status() << "\n" << again.Log();
    EXPECT_EQ(*got, *expected);
  }
}

double CpuOver(const ServerProcess& server, double seconds) {
  const double before = server.CpuSeconds();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return server.CpuSeconds() - before;
}

v1::PreprocessRequest LongPreprocess(const ServerProcess& server) {
  SyntheticOptions o;
  o.channels = 64;
  // A minute of recording (ten seconds under a sanitizer, which is slower).
  o.frames = testing::MemoryBoundsApply() ? 30000 * 60 : 30000 * 10;
  SyntheticRecording rec(o);
  auto writer =
      NpyWriter::Create(server.data_root() + "/np.npy", NpyDtype::kInt16, {o.frames, o.channels});
  EXPECT_TRUE(writer.ok());
  for (int64_t f = 0; f < o.frames; f += 300000) {
    absl::StatusOr<Traces> t;
    RunInArena([&] { t = rec.GetTraces(f, std::min(o.frames, f + 300000)); });
    EXPECT_TRUE((*writer)->Append(*t).ok());
  }
  EXPECT_TRUE((*writer)->Finish().ok());
  v1::PreprocessRequest req;
  req.mutable_recording()->mutable_path()->set_path("np.npy");
  req.mutable_recording()->set_sampling_rate_hz(30000);
  *req.mutable_pipeline() = *api::ParsePipelineJson(
      R"({"preprocess": [{"bandpass": {"freq_min": 300, "freq_max": 6000}},
                         {"common_reference": {}}]})");
  req.set_chunk_frames(30000);
  return req;
}

TEST(CrashTest, AStalledReaderHoldsNoComputeAndADisconnectStopsIt) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  const v1::PreprocessRequest req = LongPreprocess(server);
  // A reader that stalls after two chunks: the server computes a few chunks
  // ahead, then waits for it.
  double stalled_cpu = -1;
  int chunks = 0;
  absl::Status stalled = server.Client()->Preprocess(req, [&](const v1::PreprocessResponse&) {
    if (++chunks == 2) {
      std::this_thread::sleep_for(std::chrono::duration<double>(1.5 * testing::TimeScale()));
      stalled_cpu = CpuOver(server, 1.5);
      return absl::CancelledError("the reader went away");
    }
    return absl::OkStatus();
  });
  EXPECT_EQ(stalled.code(), absl::StatusCode::kCancelled);
  EXPECT_GE(stalled_cpu, 0);
  EXPECT_LT(stalled_cpu, 0.2) << "the server kept computing for a reader that did not read";
  // After the disconnect: nothing left running.
  std::this_thread::sleep_for(std::chrono::duration<double>(0.5 * testing::TimeScale()));
  EXPECT_LT(CpuOver(server, 1.0), 0.1);
  EXPECT_EQ(*server.Client()->Health(), "SERVING");
  EXPECT_EQ(server.Stop(), 0) << server.Log();
}

}  // namespace
}  // namespace neurofeat
