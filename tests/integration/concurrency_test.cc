// Many more concurrent streams than the server has threads: 64 clients
// that read slowly, against a server with 2 compute threads. Reactions
// never block, so every stream completes (no deadlock, no starvation) with
// every frame or row, and the streams overlap in time.
#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "api/pipeline_convert.h"
#include "core/io/npy.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ServerProcess;

TEST(ConcurrencyTest, SixtyFourSlowReadersOnTwoThreadsAllFinish) {
  ServerProcess server({"--threads", "2", "--max-queue", "64", "--memory-budget", "2GiB"});
  ASSERT_TRUE(server.started()) << server.Log();
  Traces x = Traces::Uninitialized(SampleType::kFloat32, 30000, 32);
  std::mt19937 rng(3);
  std::normal_distribution<float> n(0, 10);
  for (int64_t i = 0; i < x.size(); ++i) x.data<float>()[i] = n(rng);
  ASSERT_TRUE(WriteNpy(server.data_root() + "/x.npy", x).ok());
  constexpr int kClients = 64;
  std::vector<absl::Status> results(kClients);
  std::vector<int64_t> received(kClients, 0);
  std::atomic<int> running{0}, most_running{0};
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      client::ClientOptions o;
      o.target = server.target();
      o.deadline = std::chrono::seconds(120);
      auto c = *client::NeurofeatClient::Connect(o);
      const int now = ++running;
      int seen = most_running.load();
      while (now > seen && !most_running.compare_exchange_weak(seen, now)) {
      }
      if (i % 4 == 3) {
        // Every fourth client extracts features instead.
        v1::ExtractRequest req;
        req.mutable_recording()->mutable_path()->set_path("x.npy");
        req.mutable_recording()->set_sampling_rate_hz(3000);
        *req.mutable_pipeline() = *api::ParsePipelineJson(R"({"window": {"size_samples": 3000},
            "features": [{"name": "v", "fn": "signal_variance"}]})");
        req.set_rows_per_message(1);
        req.set_cache_policy(v1::CACHE_BYPASS);
        results[i] = c->Extract(req, [&](const v1::ExtractResponse& r) {
          received[i] += r.rows().num_rows();
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          return absl::OkStatus();
        });
      } else {
        v1::PreprocessRequest req;
        req.mutable_recording()->mutable_path()->set_path("x.npy");
        req.mutable_recording()->set_sampling_rate_hz(3000);
        *req.mutable_pipeline() = *api::ParsePipelineJson(
            R"({"preprocess": [{"highpass": {"freq_min": 100}}, {"common_reference": {}}]})");
        req.set_chunk_frames(3000);
        results[i] = c->Preprocess(req, [&](const v1::PreprocessResponse& r) {
          received[i] += r.chunk().num_frames();
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          return absl::OkStatus();
        });
      }
      --running;
    });
  }
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (int i = 0; i < kClients; ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(results[i].ok()) << results[i];
    EXPECT_EQ(received[i], i % 4 == 3 ? 10 : 30000);
  }
  // Ten 50 ms reads each: one after another they would take 32 s.
  EXPECT_LT(seconds, 20.0 * testing::TimeScale());
  EXPECT_GE(most_running.load(), 32);
  EXPECT_EQ(*server.Client()->Health(), "SERVING");
  EXPECT_EQ(server.Stop(), 0) << server.Log();
}

}  // namespace
}  // namespace neurofeat
