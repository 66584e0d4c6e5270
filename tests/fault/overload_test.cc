// Overload: the load generator (loadtest/) drives a server with a 256 MiB
// budget at ten times what it can serve, for 60 s. The server must stay
// within its budget (peak RSS < budget + 64 MiB), refuse what it cannot
// take with RESOURCE_EXHAUSTED and a retry hint, keep the latency of what
// it admits bounded, answer correctly (a sample of answers is compared with
// the embedded engine) and be healthy afterwards.
//
// The latency bound: an admitted request waits at most --queue-timeout
// (1 s) for memory, then runs alongside the others that fit the budget at
// once; with the arena's 2 threads shared fairly, each runs at most
// (running at once) / 2 times slower than alone. The test reads the most
// requests the server held at once from its metrics and checks
//   p99(admitted) <= 1 s + max(1, running_at_once / 2) x p99(alone) + 1 s
// (the last second for scheduling noise on this shared machine).
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "api/pipeline_convert.h"
#include "core/exec/compute_arena.h"
#include "core/io/npy.h"
#include "core/io/synthetic_recording.h"
#include "gtest/gtest.h"
#include "loadtest/load_generator.h"
#include "tests/integration/server_process.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ServerProcess;

void WriteSynthetic(const std::string& path, int64_t channels, int64_t frames, double fs,
                    SampleType type) {
  SyntheticOptions o;
  o.channels = channels;
  o.frames = frames;
  o.sampling_rate_hz = fs;
  o.type = type;
  SyntheticRecording rec(o);
  absl::StatusOr<Traces> t;
  RunInArena([&] { t = rec.GetTraces(0, frames); });
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(WriteNpy(path, *t).ok());
}

loadtest::Scenario Mix(double duration_s) {
  loadtest::Scenario s;
  s.duration_s = duration_s;
  s.warmup_s = 1;
  s.deadline_s = 30;
  loadtest::RequestTemplate extract;
  extract.rpc = loadtest::Rpc::kExtract;
  extract.weight = 2;
  extract.extract.mutable_recording()->mutable_path()->set_path("eeg.npy");
  extract.extract.mutable_recording()->set_sampling_rate_hz(256);
  *extract.extract.mutable_pipeline() = *api::ParsePipelineJson(R"({
      "preprocess": [{"bandpass": {"freq_min": 1, "freq_max": 40, "filter_order": 4}}],
      "window": {"size_samples": 512, "stride_samples": 256},
      "features": [{"name": "var", "fn": "signal_variance"},
                   {"name": "s", "preprocessor": {"fn": "spectral_preprocessor",
                                                  "params": {"window_size_in_sec": 1.0}},
                    "features": [{"name": "bp", "fn": "spectral_bands_power"}]}]})");
  extract.extract.set_cache_policy(v1::CACHE_BYPASS);
  loadtest::RequestTemplate preprocess;
  preprocess.rpc = loadtest::Rpc::kPreprocess;
  preprocess.weight = 1;
  preprocess.preprocess.mutable_recording()->mutable_path()->set_path("np.npy");
  preprocess.preprocess.mutable_recording()->set_sampling_rate_hz(30000);
  *preprocess.preprocess.mutable_pipeline() = *api::ParsePipelineJson(
      R"({"preprocess": [{"bandpass": {"freq_min": 300, "freq_max": 6000}},
                         {"common_reference": {}}]})");
  preprocess.preprocess.set_chunk_frames(30000);
  s.requests = {extract, preprocess};
  return s;
}

// The largest value a gauge reached is not kept by Prometheus; the server
// exports the running count, sampled here while the load runs.
int64_t Gauge(const std::string& page, const std::string& name) {
  const size_t at = page.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::atoll(page.c_str() + at + name.size() + 2);
}

TEST(OverloadTest, TenTimesCapacityForSixtySecondsStaysWithinBudget) {
  constexpr int64_t kBudgetMiB = 256;
  ServerProcess server({"--memory-budget", absl::StrCat(kBudgetMiB, "MiB"), "--max-queue", "8",
                        "--queue-timeout", "1s", "--threads", "2", "--metrics-listen",
                        "127.0.0.1:0", "--no-cache"});
  ASSERT_TRUE(server.started()) << server.Log();
  WriteSynthetic(server.data_root() + "/eeg.npy", 8, 256 * 120, 256, SampleType::kFloat32);
  WriteSynthetic(server.data_root() + "/np.npy", 64, 30000 * 3, 30000, SampleType::kInt16);
  loadtest::LoadOptions options;
  options.target = server.target();
  options.data_root = server.data_root();

  // Alone: the latency of one request at a time.
  loadtest::Scenario alone = Mix(6);
  alone.open_loop = false;
  alone.concurrency = 1;
  absl::StatusOr<loadtest::LoadReport> solo = loadtest::RunLoad(alone, options);
  ASSERT_TRUE(solo.ok()) << solo.status();
  ASSERT_GT(solo->ok, 0);
  const double p99_alone = solo->Percentile(solo->latency_ok_s, 0.99);
  // Capacity: closed loop at the arena's two threads.
  loadtest::Scenario busy = Mix(6);
  busy.open_loop = false;
  busy.concurrency = 2;
  absl::StatusOr<loadtest::LoadReport> capacity = loadtest::RunLoad(busy, options);
  ASSERT_TRUE(capacity.ok()) << capacity.status();
  const double served_per_s = static_cast<double>(capacity->ok) / capacity->seconds;
  ASSERT_GT(served_per_s, 0);

  // Ten times that, open loop, for 60 s.
  loadtest::Scenario overload = Mix(60);
  overload.open_loop = true;
  overload.rate = 10 * served_per_s;
  overload.verify_every = 10;
  int64_t most_in_flight = 0;
  std::atomic<bool> sampling{true};
  std::thread sampler([&] {
    while (sampling) {
      most_in_flight =
          std::max(most_in_flight, Gauge(server.Scrape(), "neurofeat_in_flight_requests"));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  absl::StatusOr<loadtest::LoadReport> report = loadtest::RunLoad(overload, options);
  sampling = false;
  sampler.join();
  ASSERT_TRUE(report.ok()) << report.status();
  std::printf(
      "alone: p99 %.3f s; capacity %.1f requests/s; offered %.1f/s\n%s"
      "most requests admitted at once: %lld\n",
      p99_alone, served_per_s, overload.rate, report->Format().c_str(),
      static_cast<long long>(most_in_flight));

  const int64_t peak = server.PeakRssBytes();
  std::printf("server peak RSS %lld MiB (budget %lld MiB)\n", static_cast<long long>(peak >> 20),
              static_cast<long long>(kBudgetMiB));
  if (testing::MemoryBoundsApply()) EXPECT_LT(peak, (kBudgetMiB + 64) << 20);
  // Only answers and refusals: nothing timed out, nothing failed.
  for (const auto& [code, n] : report->by_code) {
    EXPECT_TRUE(code == "OK" || code == "RESOURCE_EXHAUSTED") << code << ": " << n;
  }
  EXPECT_GT(report->by_code["RESOURCE_EXHAUSTED"], 0);
  EXPECT_EQ(report->exhausted_without_retry_hint, 0);
  EXPECT_EQ(report->client_saturated, 0);
  EXPECT_GT(report->verified, 10);
  EXPECT_EQ(report->wrong, 0);
  const double bound =
      1.0 + std::max(1.0, static_cast<double>(most_in_flight) / 2.0) * p99_alone + 1.0;
  EXPECT_LE(report->Percentile(report->latency_ok_s, 0.99), bound);
  std::printf("admitted p99 %.3f s <= bound %.3f s\n",
              report->Percentile(report->latency_ok_s, 0.99), bound);
  EXPECT_EQ(*server.Client()->Health(), "SERVING");
  EXPECT_EQ(server.Stop(), 0) << server.Log();
}

}  // namespace
}  // namespace neurofeat
