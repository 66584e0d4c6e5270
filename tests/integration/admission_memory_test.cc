// Every request kind is admitted with an estimate of its working set, and the
// estimate is measured, not assumed: on a real neurofeatd, each kind runs
// alone on a small and a large input, and the estimate the server admitted
// (neurofeat_request_working_set_bytes) must be at least the resident memory
// the request added (VmHWM after `echo 5 > /proc/PID/clear_refs`, over VmRSS
// before) and at most twice it. Between requests the server is at rest and
// gives its cached memory back (neurofeat_idle_memory_returns_total), so each
// request starts from the memory the server holds idle.
//
// The inputs are those of a user's measurement, at 512 MiB: Preprocess of
// 10 s x 384 channels int16 (phase_shift -> highpass -> common_reference,
// float32 out), Extract of band power and magnitude-squared coherence over
// 1500 x 64 x 512 epochs, CSP Fit of 2500 x 32 x 512 epochs; the small ones
// are about a quarter of each. Uploads send their samples in one message.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/pipeline_convert.h"
#include "core/io/npy.h"
#include "core/traces.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using testing::ServerProcess;

constexpr int64_t kMiB = int64_t{1} << 20;

// A field of /proc/PID/status in bytes (its kB figure).
int64_t StatusBytes(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      int64_t kb = 0;
      std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
      for (const std::string& p : parts) {
        if (absl::SimpleAtoi(p, &kb)) return kb * 1024;
      }
    }
  }
  return -1;
}

// A sample of a Prometheus text exposition: the first line starting with
// `prefix` (name and labels), its value; 0 when absent.
double Sample(const std::string& text, const std::string& prefix) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, prefix + " ")) {
      double v = 0;
      if (absl::SimpleAtod(line.substr(prefix.size() + 1), &v)) return v;
    }
  }
  return 0;
}

// Deterministic Gaussian-ish samples (a fixed seed per file).
void WriteFloatEpochs(const std::string& path, int64_t windows, int64_t channels, int64_t times,
                      uint32_t seed) {
  auto writer = NpyWriter::Create(path, NpyDtype::kFloat32, {windows, channels, times});
  ASSERT_TRUE(writer.ok()) << writer.status();
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> window(static_cast<size_t>(channels * times));
  for (int64_t w = 0; w < windows; ++w) {
    for (float& v : window) v = normal(rng);
    ASSERT_TRUE((*writer)->AppendBytes(window.data(), window.size() * sizeof(float)).ok());
  }
  ASSERT_TRUE((*writer)->Finish().ok());
}

void WriteInt16Traces(const std::string& path, int64_t frames, int64_t channels, uint32_t seed) {
  auto writer = NpyWriter::Create(path, NpyDtype::kInt16, {frames, channels});
  ASSERT_TRUE(writer.ok()) << writer.status();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(-200, 200);
  std::vector<int16_t> block(static_cast<size_t>(30000 * channels));
  for (int64_t f = 0; f < frames; f += 30000) {
    const int64_t n = std::min<int64_t>(30000, frames - f);
    for (int64_t i = 0; i < n * channels; ++i) block[i] = static_cast<int16_t>(noise(rng));
    ASSERT_TRUE((*writer)->AppendBytes(block.data(), n * channels * sizeof(int16_t)).ok());
  }
  ASSERT_TRUE((*writer)->Finish().ok());
}

v1::Pipeline Pipeline(const std::string& json) {
  absl::StatusOr<v1::Pipeline> p = api::ParsePipelineJson(json);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : v1::Pipeline();
}

std::string PreprocessPipeline(int channels) {
  std::string shifts;
  for (int c = 0; c < channels; ++c) absl::StrAppend(&shifts, c > 0 ? "," : "", (c % 13) / 13.0);
  return absl::StrCat(R"({"preprocess": [{"phase_shift": {"inter_sample_shift": [)", shifts,
                      R"(]}}, {"highpass": {"freq_min": 300}}, {"common_reference": {}}]})");
}

constexpr char kExtractPipeline[] = R"({"features": [
  {"name": "spec", "preprocessor": {"fn": "spectral_preprocessor",
                                    "params": {"window_size_in_sec": 1.0}},
   "features": [{"name": "bp", "fn": "spectral_bands_power"}]},
  {"name": "coh", "preprocessor": {"fn": "connectivity_coherency_preprocessor",
                                   "params": {"window_size_in_sec": 1.0}},
   "features": [{"name": "msc", "fn": "connectivity_magnitude_square_coherence"}]}]})";
constexpr char kFitPipeline[] = R"({"features": [{"name": "csp", "fn": "CommonSpatialPattern"}]})";

struct Input {
  std::string name;  // "small", "large"
  std::string file;  // under the data root
  int64_t windows = 0;
};

class AdmissionMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::MemoryBoundsApply()) GTEST_SKIP() << "resident memory includes shadow memory";
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{"--memory-budget", "512MiB", "--threads", "2", "--no-cache",
                                 "--metrics-listen", "127.0.0.1:0"});
    ASSERT_TRUE(server_->started()) << server_->Log();
    client_ = server_->Client();
  }

  std::string Data(const std::string& name) const { return server_->data_root() + "/" + name; }

  // Waits until the server has been at rest long enough to give its memory
  // back since the last request (bounded: 30 s).
  void WaitForRest() {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < until) {
      const double returns = Sample(server_->Scrape(), "neurofeat_idle_memory_returns_total");
      if (returns > rests_) {
        rests_ = returns;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "the server did not come to rest";
  }

  // Runs `call` alone on a server at rest, on a connection of its own;
  // returns the resident memory it added and the working set the server
  // admitted for it. (A connection that streamed large messages before has
  // a larger HTTP/2 window, and gRPC then holds more of a stream's bytes in
  // flight: see server/README.md.)
  struct Measured {
    int64_t peak_bytes = 0;
    int64_t estimate_bytes = 0;
  };
  using Call = std::function<absl::Status(client::NeurofeatClient&)>;
  Measured Measure(const std::string& rpc, const Call& call) {
    WaitForRest();
    const std::string sum =
        absl::StrCat("neurofeat_request_working_set_bytes_sum{rpc=\"", rpc, "\"}");
    const double admitted_before = Sample(server_->Scrape(), sum);
    const pid_t pid = server_->pid();
    std::ofstream(absl::StrCat("/proc/", pid, "/clear_refs")) << "5";
    const int64_t rss_before = StatusBytes(pid, "VmRSS");
    // Kernels (and sandboxes) that do not reset VmHWM leave it at the
    // process's lifetime peak: the peak is then sampled from VmRSS while
    // the call runs. Both are taken where the reset works.
    const bool hwm_was_reset = StatusBytes(pid, "VmHWM") <= rss_before + kMiB;
    std::atomic<bool> done = false;
    int64_t sampled_peak = rss_before;
    std::thread sampler([&] {
      while (!done.load()) {
        sampled_peak = std::max(sampled_peak, StatusBytes(pid, "VmRSS"));
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    const absl::Status status = call(*server_->Client());
    done = true;
    sampler.join();
    EXPECT_TRUE(status.ok()) << rpc << ": " << status;
    int64_t peak = sampled_peak;
    if (hwm_was_reset) peak = std::max(peak, StatusBytes(pid, "VmHWM"));
    if (!hwm_was_reset) std::printf("VmHWM is not reset here: the peak is sampled\n");
    Measured m;
    m.peak_bytes = peak - rss_before;
    m.estimate_bytes = static_cast<int64_t>(Sample(server_->Scrape(), sum) - admitted_before);
    return m;
  }

  void Check(const std::string& what, const Measured& m) {
    std::printf("%-22s estimate %7.1f MiB  measured peak %7.1f MiB  ratio %.2f\n", what.c_str(),
                static_cast<double>(m.estimate_bytes) / kMiB,
                static_cast<double>(m.peak_bytes) / kMiB,
                static_cast<double>(m.estimate_bytes) / std::max<int64_t>(1, m.peak_bytes));
    EXPECT_GE(m.estimate_bytes, m.peak_bytes) << what;
    EXPECT_LE(m.estimate_bytes, 2 * m.peak_bytes) << what;
  }

  absl::Status Preprocess(client::NeurofeatClient& client, const std::string& file) {
    v1::PreprocessRequest r;
    r.mutable_recording()->mutable_path()->set_path(file);
    r.mutable_recording()->set_sampling_rate_hz(30000);
    *r.mutable_pipeline() = Pipeline(PreprocessPipeline(384));
    r.set_output_dtype(v1::FLOAT32);
    return client.Preprocess(r, [](const v1::PreprocessResponse&) { return absl::OkStatus(); });
  }
  absl::Status Extract(client::NeurofeatClient& client, const std::string& file) {
    v1::ExtractRequest r;
    r.mutable_recording()->mutable_path()->set_path(file);
    r.mutable_recording()->set_sampling_rate_hz(256);
    *r.mutable_pipeline() = Pipeline(kExtractPipeline);
    r.set_cache_policy(v1::CACHE_BYPASS);
    return client.Extract(r, [](const v1::ExtractResponse&) { return absl::OkStatus(); });
  }
  v1::FitRequest FitRequest(const std::string& file, int64_t windows) {
    v1::FitRequest r;
    r.mutable_recording()->mutable_path()->set_path(file);
    r.mutable_recording()->set_sampling_rate_hz(256);
    for (int64_t w = 0; w < windows; ++w) r.add_labels(w % 2);
    *r.mutable_pipeline() = Pipeline(kFitPipeline);
    return r;
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<client::NeurofeatClient> client_;
  double rests_ = 0;
};

TEST_F(AdmissionMemoryTest, EstimatesCoverTheMeasuredPeakAndAtMostTwice) {
  WriteInt16Traces(Data("np_small.npy"), 75000, 384, 1);
  WriteInt16Traces(Data("np_large.npy"), 300000, 384, 2);
  WriteFloatEpochs(Data("ext_small.npy"), 400, 64, 512, 3);
  WriteFloatEpochs(Data("ext_large.npy"), 1500, 64, 512, 4);
  WriteFloatEpochs(Data("fit_small.npy"), 600, 32, 512, 5);
  WriteFloatEpochs(Data("fit_large.npy"), 2500, 32, 512, 6);
  WriteFloatEpochs(Data("up_small.npy"), 16, 64, 512, 7);  // 2 MiB
  WriteFloatEpochs(Data("up_large.npy"), 96, 64, 512, 8);  // 12 MiB
  // Warm-up: what a server does once (FFT plans, kernel tables, thread
  // stacks, gRPC's buffers) is not any request's working set.
  ASSERT_TRUE(Preprocess(*client_, "np_small.npy").ok());
  ASSERT_TRUE(Extract(*client_, "ext_small.npy").ok());
  ASSERT_TRUE(client_->Fit(FitRequest("fit_small.npy", 600)).ok());
  ASSERT_TRUE(client_->UploadNpy(Data("up_small.npy"), 64 << 20, nullptr).ok());

  for (const Input& in : {Input{"small", "np_small.npy"}, Input{"large", "np_large.npy"}}) {
    Check("Preprocess " + in.name,
          Measure("Preprocess", [&](auto& c) { return Preprocess(c, in.file); }));
  }
  for (const Input& in : {Input{"small", "ext_small.npy"}, Input{"large", "ext_large.npy"}}) {
    Check("Extract " + in.name, Measure("Extract", [&](auto& c) { return Extract(c, in.file); }));
  }
  for (const Input& in :
       {Input{"small", "fit_small.npy", 600}, Input{"large", "fit_large.npy", 2500}}) {
    const v1::FitRequest request = FitRequest(in.file, in.windows);
    Check("Fit " + in.name, Measure("Fit", [&](auto& c) { return c.Fit(request).status(); }));
  }
  for (const Input& in : {Input{"small", "up_small.npy"}, Input{"large", "up_large.npy"}}) {
    // The whole upload in one message: its working set is that message.
    Check("Upload " + in.name, Measure("Upload", [&](auto& c) {
            return c.UploadNpy(Data(in.file), 64 << 20, nullptr).status();
          }));
  }
}

// A fit that cannot fit the budget by itself is refused at once with the
// "never retry" pushback and a message naming its estimate and the budget.
TEST_F(AdmissionMemoryTest, FitLargerThanTheBudgetIsRefusedAtOnce) {
  // 4000 x 64 x 512 float32: 500 MiB as read, 500 MiB decoded.
  WriteFloatEpochs(Data("fit_huge.npy"), 4000, 64, 512, 9);
  const auto start = std::chrono::steady_clock::now();
  client::CallDetails details;
  absl::StatusOr<v1::FitResponse> fit = client_->Fit(FitRequest("fit_huge.npy", 4000), &details);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(fit.status().code(), absl::StatusCode::kResourceExhausted) << fit.status();
  // 4000 x 64 x 512 x (4 bytes as read + 4 decoded) = 1000 MiB, and the
  // labels, one centred window, the covariances, the pipeline and the
  // call's own 2 MiB.
  EXPECT_THAT(std::string(fit.status().message()), ContainsRegex("needs about 100[0-9] MiB"));
  EXPECT_THAT(std::string(fit.status().message()), HasSubstr("budget is 512 MiB"));
  ASSERT_TRUE(details.retry_pushback.has_value());
  EXPECT_LT(details.retry_pushback->count(), 0);
  EXPECT_LT(seconds, 5.0);  // at once: nothing was decoded
}

// PlanBids and uploads are admitted too: each reports its working set.
TEST_F(AdmissionMemoryTest, PlanBidsAndUploadsAreAdmitted) {
  std::filesystem::create_directories(Data("bids"));
  testing::WriteFile(Data("bids/dataset_description.json"),
                     R"({"Name": "empty", "BIDSVersion": "1.8.0"})");
  v1::PlanBidsRequest plan;
  plan.set_root("bids");
  (void)client_->PlanBids(plan);                     // nothing to plan: an error, after admission
  WriteFloatEpochs(Data("up.npy"), 8, 64, 512, 10);  // 1 MiB
  ASSERT_TRUE(client_->UploadNpy(Data("up.npy"), 256 << 10, nullptr).ok());
  const std::string metrics = server_->Scrape();
  EXPECT_EQ(Sample(metrics, R"(neurofeat_request_working_set_bytes_count{rpc="PlanBids"})"), 1);
  EXPECT_GT(Sample(metrics, R"(neurofeat_request_working_set_bytes_sum{rpc="PlanBids"})"), 0);
  // One message at most is held, and no message is larger than the
  // samples: 2.5 x 1 MiB, and the call's own 2 MiB.
  EXPECT_EQ(Sample(metrics, R"(neurofeat_request_working_set_bytes_sum{rpc="Upload"})"),
            5 * 8 * 64 * 512 * 4 / 2 + (2 << 20));
}

}  // namespace
}  // namespace neurofeat
