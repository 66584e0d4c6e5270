// The result cache and the metrics, on a real neurofeatd: each consequence
// the cache promises, shown by the server's own counters (kernel executions,
// cache lookups); robustness (corrupt SST files, an unusable directory, a
// full disk, the size cap); and a /metrics page promtool accepts.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>

#include "absl/strings/str_cat.h"
#include "api/pipeline_convert.h"
#include "core/io/npy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::ServerProcess;
using ::testing::HasSubstr;

// The value of one sample line of the exposition, or -1.
double Metric(const std::string& page, const std::string& name_and_labels) {
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name_and_labels + " ", 0) == 0)
      return std::stod(line.substr(name_and_labels.size() + 1));
  }
  return -1;
}

struct Counters {
  double filter = 0, spectrum = 0, feature = 0, feature_hits = 0, spectra_hits = 0, writes = 0;
};
Counters Read(const ServerProcess& s) {
  const std::string page = s.Scrape();
  Counters c;
  c.filter = Metric(page, R"(neurofeat_kernel_executions_total{kernel="filter_chunk"})");
  c.spectrum = Metric(page, R"(neurofeat_kernel_executions_total{kernel="spectrum"})");
  c.feature = Metric(page, R"(neurofeat_kernel_executions_total{kernel="feature"})");
  c.feature_hits = Metric(page, R"(neurofeat_cache_lookups_total{level="features",result="hit"})");
  c.spectra_hits = Metric(page, R"(neurofeat_cache_lookups_total{level="spectra",result="hit"})");
  c.writes = Metric(page, "neurofeat_cache_writes_total");
  return c;
}

Counters Delta(const Counters& a, const Counters& b) {
  return {b.filter - a.filter,
          b.spectrum - a.spectrum,
          b.feature - a.feature,
          b.feature_hits - a.feature_hits,
          b.spectra_hits - a.spectra_hits,
          b.writes - a.writes};
}

void WriteRecording(const std::string& path, uint32_t seed, int seconds = 60) {
  Traces t = Traces::Uninitialized(SampleType::kFloat32, 128 * seconds, 3);
  std::mt19937 rng(seed);
  std::normal_distribution<float> n;
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = n(rng);
  ASSERT_TRUE(WriteNpy(path, t).ok());
}

std::string Pipeline(const std::string& bands, bool extra, int freq_max = 40) {
  return absl::StrCat(R"({"preprocess": [{"bandpass": {"freq_min": 1, "freq_max": )", freq_max,
                      R"(, "filter_order": 4}}], "window": {"size_samples": 256},
      "features": [{"name": "var", "fn": "signal_variance"},
                   {"name": "spec", "preprocessor": {"fn": "spectral_preprocessor", "params": {"window_size_in_sec": 1.0}},
                    "features": [{"name": "bp", "fn": "spectral_bands_power", "params": {"bands": )",
                      bands, R"(}}, {"name": "peak", "fn": "spectral_peak_frequency"})",
                      extra ? R"(, {"name": "rtp", "fn": "spectral_root_total_power"})" : "",
                      "]}]}");
}
const char kBands1[] =
    R"([{"name": "alpha", "lo": 8, "hi": 12}, {"name": "beta", "lo": 12, "hi": 30}])";
const char kBands2[] = R"([{"name": "alpha", "lo": 7, "hi": 13}])";

absl::StatusOr<std::vector<double>> Extract(const ServerProcess& s, const std::string& file,
                                            const std::string& json,
                                            v1::CachePolicy policy = v1::CACHE_DEFAULT) {
  v1::ExtractRequest req;
  req.mutable_recording()->mutable_path()->set_path(file);
  req.mutable_recording()->set_sampling_rate_hz(128);
  req.mutable_recording()->set_highpass_hz(1);
  req.mutable_recording()->set_lowpass_hz(40);
  *req.mutable_pipeline() = *api::ParsePipelineJson(json);
  req.set_cache_policy(policy);
  std::vector<double> values;
  absl::Status st = s.Client()->Extract(req, [&](const v1::ExtractResponse& r) {
    values.insert(values.end(), r.rows().values().begin(), r.rows().values().end());
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return values;
}

constexpr int kWindows = 30;  // 60 s at 128 Hz in windows of 256

TEST(CacheMetricsTest, EachConsequenceShowsInTheCounters) {
  ServerProcess server({"--metrics-listen", "127.0.0.1:0"});
  ASSERT_TRUE(server.started() && server.metrics_port() > 0) << server.Log();
  WriteRecording(server.data_root() + "/a.npy", 1);
  WriteRecording(server.data_root() + "/b.npy", 2);

  Counters c0 = Read(server);
  auto cold = Extract(server, "a.npy", Pipeline(kBands1, false));
  ASSERT_TRUE(cold.ok()) << cold.status();
  Counters d = Delta(c0, Read(server));
  EXPECT_GT(d.filter, 0);
  EXPECT_EQ(d.spectrum, kWindows);
  EXPECT_EQ(d.feature, 3 * kWindows);

  // Identical request: no filter, FFT or feature kernel runs.
  c0 = Read(server);
  auto warm = Extract(server, "a.npy", Pipeline(kBands1, false));
  ASSERT_TRUE(warm.ok());
  EXPECT_EQ(*warm, *cold);
  d = Delta(c0, Read(server));
  EXPECT_EQ(d.filter, 0);
  EXPECT_EQ(d.spectrum, 0);
  EXPECT_EQ(d.feature, 0);
  EXPECT_EQ(d.feature_hits, 3);  // 3 leaves x 1 block

  // Changed bands: the spectra are reused, no FFT (and no filter) runs.
  c0 = Read(server);
  ASSERT_TRUE(Extract(server, "a.npy", Pipeline(kBands2, false)).ok());
  d = Delta(c0, Read(server));
  EXPECT_EQ(d.spectrum, 0);
  EXPECT_EQ(d.filter, 0);
  EXPECT_EQ(d.feature, kWindows);
  EXPECT_EQ(d.spectra_hits, 1);

  // One more feature: only it is computed.
  c0 = Read(server);
  ASSERT_TRUE(Extract(server, "a.npy", Pipeline(kBands1, true)).ok());
  d = Delta(c0, Read(server));
  EXPECT_EQ(d.feature, kWindows);
  EXPECT_EQ(d.spectrum, 0);

  // A different chain, different samples: misses.
  c0 = Read(server);
  ASSERT_TRUE(Extract(server, "a.npy", Pipeline(kBands1, false, 35)).ok());
  ASSERT_TRUE(Extract(server, "b.npy", Pipeline(kBands1, false)).ok());
  d = Delta(c0, Read(server));
  EXPECT_EQ(d.spectrum, 2 * kWindows);
  EXPECT_EQ(d.feature_hits, 0);

  // Bypass computes and writes nothing; refresh computes and rewrites.
  c0 = Read(server);
  auto bypass = Extract(server, "a.npy", Pipeline(kBands1, false), v1::CACHE_BYPASS);
  ASSERT_TRUE(bypass.ok());
  EXPECT_EQ(*bypass, *cold);
  d = Delta(c0, Read(server));
  EXPECT_EQ(d.spectrum, kWindows);
  EXPECT_EQ(d.writes, 0);
  c0 = Read(server);
  ASSERT_TRUE(Extract(server, "a.npy", Pipeline(kBands1, false), v1::CACHE_REFRESH).ok());
  d = Delta(c0, Read(server));
  EXPECT_EQ(d.spectrum, kWindows);
  EXPECT_GT(d.writes, 0);
}

TEST(CacheMetricsTest, PromtoolAcceptsTheMetricsAfterAMixedWorkload) {
  ServerProcess server({"--metrics-listen", "127.0.0.1:0", "--max-queue", "0"});
  ASSERT_TRUE(server.started() && server.metrics_port() > 0) << server.Log();
  WriteRecording(server.data_root() + "/a.npy", 1);
  ASSERT_TRUE(Extract(server, "a.npy", Pipeline(kBands1, false)).ok());
  ASSERT_TRUE(Extract(server, "a.npy", Pipeline(kBands1, false)).ok());
  EXPECT_FALSE(Extract(server, "missing.npy", Pipeline(kBands1, false)).ok());
  EXPECT_FALSE(Extract(server, "../x.npy", Pipeline(kBands1, false)).ok());
  v1::PreprocessRequest pre;
  pre.mutable_recording()->mutable_path()->set_path("a.npy");
  pre.mutable_recording()->set_sampling_rate_hz(128);
  EXPECT_TRUE(server.Client()
                  ->Preprocess(pre, [](const v1::PreprocessResponse&) { return absl::OkStatus(); })
                  .ok());
  (void)server.Client()->Info();
  const std::string page = server.Scrape();
  testing::TempDir dir;
  std::ofstream(dir.File("metrics.txt")) << page;
  const std::string cmd = absl::StrCat("promtool check metrics < ", dir.File("metrics.txt"), " > ",
                                       dir.File("promtool.log"), " 2>&1");
  const int rc = std::system(cmd.c_str());
  std::ifstream log(dir.File("promtool.log"));
  std::string out((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << out << "\n" << page;
  EXPECT_EQ(Metric(page, R"(neurofeat_requests_total{code="OK",rpc="Extract"})"), 2) << page;
  EXPECT_EQ(Metric(page, R"(neurofeat_requests_total{code="NOT_FOUND",rpc="Extract"})"), 1);
  EXPECT_EQ(Metric(page, R"(neurofeat_requests_total{code="PERMISSION_DENIED",rpc="Extract"})"), 1);
  EXPECT_GT(Metric(page, "neurofeat_processed_samples_total"), 0);
  EXPECT_EQ(Metric(page, "neurofeat_windows_processed_total"), 2 * kWindows);
  EXPECT_EQ(Metric(page, "neurofeat_cpu_threads"), 2);
  EXPECT_EQ(Metric(page, "neurofeat_cache_up"), 1);
  EXPECT_THAT(page, HasSubstr("neurofeat_request_duration_seconds_bucket"));
  EXPECT_THAT(page, HasSubstr("neurofeat_build_info{"));
  // The server's own resource use, for dashboards against the budget.
  EXPECT_GT(Metric(page, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(Metric(page, "process_cpu_seconds_total"), 0);
  EXPECT_GT(Metric(page, "process_open_fds"), 3);
  // No label takes an unbounded value: no paths or digests.
  EXPECT_THAT(page, ::testing::Not(HasSubstr("a.npy")));
  EXPECT_FALSE(std::regex_search(page, std::regex("[0-9a-f]{32}")));
}

// Corrupt SST files on disk: a restarted server counts the corrupt entries,
// drops them, and still answers correctly.
TEST(CacheMetricsTest, CorruptSstFilesAreMissesAndCounted) {
  testing::TempDir dir;
  const std::string cache = dir.File("cache");
  std::vector<double> cold;
  std::string data_copy;
  {
    ServerProcess first({"--cache-dir", cache});
    ASSERT_TRUE(first.started()) << first.Log();
    WriteRecording(first.data_root() + "/a.npy", 1, 600);
    auto v = Extract(first, "a.npy", Pipeline(kBands1, false));
    ASSERT_TRUE(v.ok());
    cold = *v;
    data_copy = dir.File("a.npy");
    std::filesystem::copy_file(first.data_root() + "/a.npy", data_copy);
    ASSERT_EQ(first.Stop(), 0);  // flushes the memtables to SST files
  }
  int flipped = 0;
  for (const auto& e : std::filesystem::directory_iterator(cache)) {
    if (e.path().extension() != ".sst" || e.file_size() < 8192) continue;
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    for (int64_t at = 2048; at < static_cast<int64_t>(e.file_size()) - 4096; at += 1024) {
      f.seekp(at);
      f.put('\x5a');
      ++flipped;
    }
  }
  ASSERT_GT(flipped, 0);
  ServerProcess second({"--cache-dir", cache, "--metrics-listen", "127.0.0.1:0"});
  ASSERT_TRUE(second.started()) << second.Log();
  std::filesystem::copy_file(data_copy, second.data_root() + "/a.npy");
  // Same content, same descriptors (the file identity differs, the digest not).
  auto again = Extract(second, "a.npy", Pipeline(kBands1, false));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, cold);
  const std::string page = second.Scrape();
  EXPECT_GT(Metric(page, "neurofeat_cache_corrupt_entries_total"), 0) << page;
}

TEST(CacheMetricsTest, UnusableCacheDirectoryLeavesTheServerServing) {
  ServerProcess server({"--cache-dir", "/proc/neurofeat-cache", "--metrics-listen", "127.0.0.1:0"});
  ASSERT_TRUE(server.started()) << server.Log();
  EXPECT_THAT(server.Log(), HasSubstr("running without a cache"));
  WriteRecording(server.data_root() + "/a.npy", 1);
  EXPECT_TRUE(Extract(server, "a.npy", Pipeline(kBands1, false)).ok());
  EXPECT_EQ(Metric(server.Scrape(), "neurofeat_cache_up"), 0);
}

TEST(CacheMetricsTest, FullDiskLeavesTheServerServingUncached) {
  // Writes beyond 1 MiB fail (EFBIG), as on a full disk.
  ServerProcess server({"--metrics-listen", "127.0.0.1:0", "--cache-max-bytes", "64MiB"}, {},
                       int64_t{1} << 20);
  ASSERT_TRUE(server.started()) << server.Log();
  WriteRecording(server.data_root() + "/a.npy", 1, 600);  // written by the test, not the server
  // Each chain makes new spectra (~0.3 MB): the cache outgrows the limit
  // when its memtable (4 MiB at this cap; no write-ahead log) is flushed.
  for (int i = 0; i < 24; ++i) {
    auto v = Extract(server, "a.npy", Pipeline(kBands1, false, 40 - i));
    ASSERT_TRUE(v.ok()) << v.status() << "\n" << server.Log();
  }
  const std::string page = server.Scrape();
  EXPECT_GT(Metric(page, "neurofeat_cache_write_errors_total"), 0) << page;
  EXPECT_EQ(Metric(page, "neurofeat_cache_up"), 0);
  EXPECT_THAT(server.Log(), HasSubstr("cache writes failed"));
  // Still correct: the same as a server without a cache.
  ServerProcess plain({"--no-cache"});
  ASSERT_TRUE(plain.started());
  WriteRecording(plain.data_root() + "/a.npy", 1, 600);
  EXPECT_EQ(*Extract(server, "a.npy", Pipeline(kBands1, false)),
            *Extract(plain, "a.npy", Pipeline(kBands1, false)));
}

TEST(CacheMetricsTest, SizeCapIsEnforced) {
  ServerProcess server({"--metrics-listen", "127.0.0.1:0", "--cache-max-bytes", "1MiB"});
  ASSERT_TRUE(server.started()) << server.Log();
  WriteRecording(server.data_root() + "/a.npy", 1, 120);
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(Extract(server, "a.npy", Pipeline(kBands1, false, 30 + i)).ok());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::string page = server.Scrape();
  EXPECT_GT(Metric(page, "neurofeat_cache_evictions_total"), 0) << page;
  EXPECT_LT(Metric(page, "neurofeat_cache_bytes"), 3 << 20) << page;
}

}  // namespace
}  // namespace neurofeat
