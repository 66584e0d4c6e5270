// Server lifecycle on a real neurofeatd: cancelled and timed-out requests
// stop computing, SIGTERM drains running requests, admission refuses what
// does not fit, and mutual TLS refuses clients without a certificate.
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "api/pipeline_convert.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ServerProcess;
using ::testing::HasSubstr;

// About a second of compute per window on this machine: 8 channels x 30000
// samples of sample entropy and Higuchi dimension, one window per message.
v1::ExtractRequest SlowExtract(int windows) {
  v1::ExtractRequest req;
  const int64_t frames = int64_t{30000} * windows, channels = 8;
  std::vector<float> x(frames * channels);
  std::mt19937 rng(1);
  std::normal_distribution<float> n;
  for (float& v : x) v = n(rng);
  auto* s = req.mutable_recording()->mutable_samples();
  s->set_dtype(v1::FLOAT32);
  s->add_shape(frames);
  s->add_shape(channels);
  s->set_data(reinterpret_cast<const char*>(x.data()), x.size() * 4);
  req.mutable_recording()->set_sampling_rate_hz(30000);
  // Slow on purpose: r = 5 std makes nearly every pair of the 30000-sample
  // windows a candidate (about 1 s of CPU per window and 8 channels).
  *req.mutable_pipeline() = *api::ParsePipelineJson(R"({"window": {"size_samples": 30000},
      "features": [{"name": "h", "fn": "dimensionality_higuchi_fractal_dim"},
                   {"name": "e", "preprocessor": {"fn": "complexity_entropy_preprocessor",
                                                  "params": {"r": 5}},
                    "features": [{"name": "s", "fn": "complexity_sample_entropy"}]}]})");
  req.set_rows_per_message(1);
  return req;
}

// CPU the server burns over `seconds` from now.
double CpuOver(const ServerProcess& server, double seconds) {
  const double before = server.CpuSeconds();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return server.CpuSeconds() - before;
}

TEST(LifecycleTest, DeadlineExceededRequestStopsComputing) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  client::ClientOptions o;
  o.target = server.target();
  o.deadline = std::chrono::milliseconds(800);
  auto client = *client::NeurofeatClient::Connect(o);
  const auto t0 = std::chrono::steady_clock::now();
  absl::Status s =
      client->Extract(SlowExtract(20), [](const v1::ExtractResponse&) { return absl::OkStatus(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
            5.0 * testing::TimeScale());
  // The block in progress may finish (about a second); after that, nothing.
  std::this_thread::sleep_for(std::chrono::duration<double>(2.0 * testing::TimeScale()));
  EXPECT_LT(CpuOver(server, 1.0), 0.1);
}

TEST(LifecycleTest, CancelledRequestStopsComputing) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  int messages = 0;
  absl::Status s = client->Extract(SlowExtract(20), [&](const v1::ExtractResponse&) {
    ++messages;
    return absl::CancelledError("the user pressed ^C");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(messages, 1);
  std::this_thread::sleep_for(std::chrono::duration<double>(2.0 * testing::TimeScale()));
  EXPECT_LT(CpuOver(server, 1.0), 0.1);
  // Still serving.
  EXPECT_EQ(*client->Health(), "SERVING");
}

TEST(LifecycleTest, SigtermDrainsRunningRequestsAndRefusesNewOnes) {
  ServerProcess server;
  ASSERT_TRUE(server.started()) << server.Log();
  std::vector<absl::Status> results(2);
  std::vector<int> rows(2, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      auto c = server.Client();
      results[i] = c->Extract(SlowExtract(3), [&](const v1::ExtractResponse& r) {
        rows[i] += static_cast<int>(r.rows().num_rows());
        return absl::OkStatus();
      });
    });
  }
  // Both running (admitted) before the SIGTERM: under a sanitizer or on a
  // busy machine that takes longer than any fixed pause.
  {
    auto info_client = server.Client();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    int in_flight = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      absl::StatusOr<v1::ServerInfo> info = info_client->Info();
      in_flight = info.ok() ? info->in_flight() : 0;
      if (in_flight >= 2) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(in_flight, 2) << server.Log();
  }
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto probe = server.Client();
  absl::StatusOr<std::string> health = probe->Health();
  if (health.ok()) {
    EXPECT_EQ(*health, "NOT_SERVING");
  }
  absl::Status refused =
      probe->Extract(SlowExtract(1), [](const v1::ExtractResponse&) { return absl::OkStatus(); });
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  for (auto& t : threads) t.join();
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(results[i].ok()) << results[i] << " rows " << rows[i];
    EXPECT_EQ(rows[i], 3);
  }
  EXPECT_EQ(server.Stop(), 0) << server.Log();
  EXPECT_THAT(server.Log(), HasSubstr("SIGTERM: draining"));
}

TEST(LifecycleTest, AdmissionRefusesWhatDoesNotFit) {
  ServerProcess server({"--memory-budget", "32MiB", "--max-queue", "0"});
  ASSERT_TRUE(server.started()) << server.Log();
  auto client = server.Client();
  // One chunk of 10 s x 384 channels needs far more than 32 MiB.
  v1::PreprocessRequest big;
  auto* s = big.mutable_recording()->mutable_samples();
  s->set_dtype(v1::INT16);
  s->add_shape(300000);
  s->add_shape(384);
  s->mutable_data()->assign(size_t{300000} * 384 * 2, '\0');
  big.mutable_recording()->set_sampling_rate_hz(30000);
  big.set_chunk_frames(300000);
  client::ClientOptions o;
  o.target = server.target();
  o.max_message_bytes = 256 << 20;
  absl::Status st =
      (*client::NeurofeatClient::Connect(o))->Preprocess(big, [](const v1::PreprocessResponse&) {
        return absl::OkStatus();
      });
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
  // A running request holds the budget; with no queue, a second is refused
  // at once with a retry hint.
  absl::Status first;
  std::thread slow([&] {
    auto c = server.Client();
    first = c->Extract(SlowExtract(4), [](const v1::ExtractResponse&) { return absl::OkStatus(); });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  absl::Status second =
      client->Extract(SlowExtract(4), [](const v1::ExtractResponse&) { return absl::OkStatus(); });
  slow.join();
  EXPECT_TRUE(first.ok()) << first;
  EXPECT_EQ(second.code(), absl::StatusCode::kResourceExhausted) << second;
  EXPECT_THAT(std::string(second.message()), HasSubstr("retry"));
}

// Certificates for 127.0.0.1 made with openssl: a CA, a server and a client.
struct Certificates {
  testing::TempDir dir;
  bool ok = false;
  Certificates() {
    const std::string d = dir.path();
    const std::string script =
        absl::StrCat("cd ", d,
                     " && set -e && exec > openssl.log 2>&1 && "
                     "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
                     "-subj /CN=test-ca && "
                     "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "
                     "/CN=127.0.0.1 && "
                     "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost' > san.ext && "
                     "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                     "-out server.pem -days 2 -extfile san.ext && "
                     "openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "
                     "/CN=client && "
                     "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                     "-out client.pem -days 2");
    ok = std::system(script.c_str()) == 0;
  }
  std::string Read(const std::string& name) const {
    std::ifstream in(dir.File(name));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

TEST(LifecycleTest, MutualTlsRefusesClientsWithoutACertificate) {
  Certificates certs;
  ASSERT_TRUE(certs.ok) << certs.Read("openssl.log");
  ServerProcess server({"--tls-cert", certs.dir.File("server.pem"), "--tls-key",
                        certs.dir.File("server.key"), "--tls-client-ca", certs.dir.File("ca.pem")});
  ASSERT_TRUE(server.started()) << server.Log();
  client::ClientOptions o;
  o.target = server.target();
  o.deadline = std::chrono::milliseconds(5000);
  o.tls_ca_pem = certs.Read("ca.pem");
  absl::StatusOr<v1::ServerInfo> without = (*client::NeurofeatClient::Connect(o))->Info();
  EXPECT_FALSE(without.ok());
  EXPECT_EQ(without.status().code(), absl::StatusCode::kUnavailable) << without.status();
  o.tls_cert_pem = certs.Read("client.pem");
  o.tls_key_pem = certs.Read("client.key");
  absl::StatusOr<v1::ServerInfo> with = (*client::NeurofeatClient::Connect(o))->Info();
  EXPECT_TRUE(with.ok()) << with.status();
  // Plaintext is refused too.
  client::ClientOptions plain;
  plain.target = server.target();
  plain.deadline = std::chrono::milliseconds(3000);
  EXPECT_FALSE((*client::NeurofeatClient::Connect(plain))->Info().ok());
}

}  // namespace
}  // namespace neurofeat
