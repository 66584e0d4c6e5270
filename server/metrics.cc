#include "server/metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/version.h"
#include "server/process_stats.h"
#include "server/upload_store.h"

namespace neurofeat::server {
namespace {

prometheus::MetricFamily Family(const std::string& name, const std::string& help,
                                prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

prometheus::ClientMetric Value(prometheus::MetricType type, double v,
                               std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = v;
  } else {
    m.gauge.value = v;
  }
  return m;
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> b = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                        0.5,   1,      2.5,   5,    10,    30,   60,  300};
  return b;
}

// Powers of two from 1 MiB to 32 GiB.
const std::vector<double>& ByteBuckets() {
  static const std::vector<double> b = [] {
    std::vector<double> v;
    for (int shift = 20; shift <= 35; ++shift)
      v.push_back(static_cast<double>(int64_t{1} << shift));
    return v;
  }();
  return b;
}

std::string CodeName(absl::StatusCode code) {
  return absl::StatusCodeToString(code);  // bounded: the 17 gRPC codes
}

}  // namespace

// State read at scrape time: the cache's counters and sizes, admission's
// in-flight work, the upload spool, limits and build info.
class ServerMetrics::StateCollector final : public prometheus::Collectable {
 public:
  StateCollector(const Admission* admission, ResultCache* cache, const UploadStore* uploads,
                 const Capacity& capacity, bool cache_up)
      : admission_(admission),
        cache_(cache),
        uploads_(uploads),
        capacity_(capacity),
        cache_up_(cache_up) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> out;
    auto gauge = [&](const std::string& name, const std::string& help, double v) {
      auto f = Family(name, help, MetricType::Gauge);
      f.metric.push_back(Value(MetricType::Gauge, v));
      out.push_back(std::move(f));
    };
    auto info = Family("neurofeat_build_info", "Build information (value 1).", MetricType::Gauge);
    info.metric.push_back(Value(
        MetricType::Gauge, 1,
        {{"version", kEngineVersion}, {"numeric_version", absl::StrCat(kEngineNumericVersion)}}));
    out.push_back(std::move(info));
    gauge("neurofeat_cpu_threads", "Compute threads in force (cgroup, Slurm, affinity, flag).",
          capacity_.threads);
    gauge("neurofeat_memory_budget_bytes", "Working-set budget for requests.",
          static_cast<double>(capacity_.budget_bytes));
    if (capacity_.memory_limit_bytes.has_value()) {
      gauge("neurofeat_memory_limit_bytes", "Memory limit the process lives under.",
            static_cast<double>(*capacity_.memory_limit_bytes));
    }
    if (capacity_.cpu_limit_cores.has_value()) {
      gauge("neurofeat_cpu_limit_cores", "The cgroup's CPU quota, in cores.",
            *capacity_.cpu_limit_cores);
    }
    if (absl::StatusOr<ProcessStats> p = ReadProcessStats(); p.ok()) {
      gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
            static_cast<double>(p->resident_bytes));
      gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
            static_cast<double>(p->virtual_bytes));
      gauge("process_start_time_seconds", "Start time of the process since the Unix epoch.",
            p->start_time_seconds);
      gauge("process_open_fds", "Open file descriptors.", static_cast<double>(p->open_fds));
      gauge("process_threads", "Threads of the process.", static_cast<double>(p->threads));
      auto cpu = Family("process_cpu_seconds_total", "User and system CPU time, seconds.",
                        MetricType::Counter);
      cpu.metric.push_back(Value(MetricType::Counter, p->cpu_seconds));
      out.push_back(std::move(cpu));
    }
    gauge("neurofeat_in_flight_requests", "Requests admitted and running.",
          admission_->in_flight());
    gauge("neurofeat_in_flight_bytes", "Estimated working set of running requests.",
          static_cast<double>(admission_->bytes_in_use()));
    gauge("neurofeat_queued_requests", "Requests waiting for memory.", admission_->waiting());
    auto idle = Family("neurofeat_idle_memory_returns_total",
                       "Times the server, at rest, gave its cached memory back to the kernel.",
                       MetricType::Counter);
    idle.metric.push_back(
        Value(MetricType::Counter, static_cast<double>(admission_->idle_calls())));
    out.push_back(std::move(idle));
    if (uploads_ != nullptr) {
      gauge("neurofeat_upload_spool_bytes",
            "Bytes held by the upload spool: finished uploads until they expire, and the "
            "announced size of uploads in progress (what --max-spool-bytes bounds).",
            static_cast<double>(uploads_->spool_bytes()));
    }
    gauge("neurofeat_cache_up", "1 if the result cache is open (0: serving uncached).",
          cache_up_ && cache_ != nullptr && !cache_->writes_disabled() ? 1 : 0);
    if (cache_ == nullptr) return out;
    ResultCacheStats& s = cache_->stats();
    auto lookups = Family("neurofeat_cache_lookups_total",
                          "Result cache lookups by level and result.", MetricType::Counter);
    for (int l = 0; l < kCacheLevels; ++l) {
      for (int r = 0; r < kCacheLookups; ++r) {
        lookups.metric.push_back(Value(MetricType::Counter,
                                       static_cast<double>(s.lookups[l][r].load()),
                                       {{"level", CacheLevelName(static_cast<CacheLevel>(l))},
                                        {"result", CacheLookupName(static_cast<CacheLookup>(r))}}));
      }
    }
    out.push_back(std::move(lookups));
    auto counter = [&](const std::string& name, const std::string& help, double v) {
      auto f = Family(name, help, MetricType::Counter);
      f.metric.push_back(Value(MetricType::Counter, v));
      out.push_back(std::move(f));
    };
    counter("neurofeat_cache_writes_total", "Entries written to the result cache.", s.puts.load());
    counter("neurofeat_cache_write_errors_total", "Failed cache writes (full or read-only disk).",
            s.write_errors.load());
    counter("neurofeat_cache_corrupt_entries_total", "Corrupt cache entries found (and deleted).",
            s.corrupt.load());
    counter("neurofeat_cache_evictions_total", "Cache entries evicted by the size cap or TTL.",
            s.evicted_entries.load());
    counter("neurofeat_cache_evicted_bytes_total", "Bytes evicted by the size cap or TTL.",
            s.evicted_bytes.load());
    gauge("neurofeat_cache_bytes", "Bytes held by the result cache.",
          static_cast<double>(cache_->ApproximateBytes()));
    gauge("neurofeat_cache_max_bytes", "The cache's size cap.",
          static_cast<double>(cache_->options().max_bytes));
    return out;
  }

 private:
  const Admission* admission_;
  ResultCache* cache_;
  const UploadStore* uploads_;
  Capacity capacity_;
  bool cache_up_;
};

ServerMetrics::ServerMetrics(const Admission* admission, ResultCache* cache,
                             const UploadStore* uploads, const Capacity& capacity,
                             std::string cache_warning)
    : registry_(std::make_shared<prometheus::Registry>()),
      state_(std::make_shared<StateCollector>(admission, cache, uploads, capacity,
                                              cache_warning.empty() || cache != nullptr)) {
  requests_ = &prometheus::BuildCounter()
                   .Name("neurofeat_requests_total")
                   .Help("RPCs finished, by method and gRPC status code.")
                   .Register(*registry_);
  duration_ = &prometheus::BuildHistogram()
                   .Name("neurofeat_request_duration_seconds")
                   .Help("RPC duration, by method.")
                   .Register(*registry_);
  queue_wait_ = &prometheus::BuildHistogram()
                     .Name("neurofeat_queue_wait_seconds")
                     .Help("Time requests waited for memory before running.")
                     .Register(*registry_)
                     .Add({}, LatencyBuckets());
  working_set_ = &prometheus::BuildHistogram()
                      .Name("neurofeat_request_working_set_bytes")
                      .Help(
                          "Working set requests asked admission for (their estimate), by "
                          "method.")
                      .Register(*registry_);
  rejected_ = &prometheus::BuildCounter()
                   .Name("neurofeat_rejected_requests_total")
                   .Help("Requests refused by admission, by reason.")
                   .Register(*registry_);
  auto& processed = prometheus::BuildCounter()
                        .Name("neurofeat_processed_samples_total")
                        .Help("Samples (frames x channels) processed; rate() is throughput.")
                        .Register(*registry_);
  samples_ = &processed.Add({});
  bytes_ = &prometheus::BuildCounter()
                .Name("neurofeat_processed_bytes_total")
                .Help("Bytes of recording read for processing.")
                .Register(*registry_)
                .Add({});
  windows_ = &prometheus::BuildCounter()
                  .Name("neurofeat_windows_processed_total")
                  .Help("Windows whose features were returned (computed or cached).")
                  .Register(*registry_)
                  .Add({});
  kernels_ = &prometheus::BuildCounter()
                  .Name("neurofeat_kernel_executions_total")
                  .Help("Compute kernels run: filter chunks, spectra (FFTs), feature leaves.")
                  .Register(*registry_);
  for (const char* reason : {"too_large", "queue_full", "timeout", "draining", "cancelled"}) {
    rejected_->Add({{"reason", reason}});
  }
  for (const char* kind : {"filter_chunk", "spectrum", "feature"})
    kernels_->Add({{"kernel", kind}});
}

ServerMetrics::~ServerMetrics() = default;

absl::StatusOr<int> ServerMetrics::Serve(const std::string& listen) {
  // civetweb's defaults let two idle connections hold both of its worker
  // threads for 30 s; bound every read and write, and keep a few workers,
  // so scrapes are answered while clients hold half-open connections.
  std::vector<std::string> options = {"listening_ports",    listen, "num_threads",       "8",
                                      "request_timeout_ms", "1500", "linger_timeout_ms", "0"};
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(std::move(options));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("--metrics-listen=", listen, ": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(state_);
  const std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

ServerMetrics::Request::Request(ServerMetrics& m, const std::string& rpc)
    : m_(m), rpc_(rpc), start_(std::chrono::steady_clock::now()) {}

ServerMetrics::Request::~Request() {
  if (!finished_) Finish(absl::UnknownError("unfinished"));
}

void ServerMetrics::Request::Finish(const absl::Status& status) {
  if (finished_) return;
  finished_ = true;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  m_.requests_->Add({{"rpc", rpc_}, {"code", CodeName(status.code())}}).Increment();
  m_.duration_->Add({{"rpc", rpc_}}, LatencyBuckets()).Observe(seconds);
}

void ServerMetrics::QueueWait(double seconds) { queue_wait_->Observe(seconds); }

void ServerMetrics::WorkingSet(const std::string& rpc, int64_t bytes) {
  working_set_->Add({{"rpc", rpc}}, ByteBuckets()).Observe(static_cast<double>(bytes));
}

void ServerMetrics::Rejected(const absl::Status& status) {
  std::string reason = "too_large";
  if (absl::IsUnavailable(status)) {
    reason = "draining";
  } else if (absl::IsCancelled(status)) {
    reason = "cancelled";
  } else if (absl::StrContains(status.message(), "busy")) {
    reason = "queue_full";
  } else if (absl::StrContains(status.message(), "waited")) {
    reason = "timeout";
  }
  rejected_->Add({{"reason", reason}}).Increment();
}

void ServerMetrics::Processed(int64_t samples, int64_t bytes, int64_t windows) {
  samples_->Increment(static_cast<double>(samples));
  bytes_->Increment(static_cast<double>(bytes));
  windows_->Increment(static_cast<double>(windows));
}

void ServerMetrics::Kernels(const EvalStats& stats) {
  kernels_->Add({{"kernel", "filter_chunk"}}).Increment(static_cast<double>(stats.chunks_read));
  kernels_->Add({{"kernel", "spectrum"}}).Increment(static_cast<double>(stats.spectra_computed));
  kernels_->Add({{"kernel", "feature"}}).Increment(static_cast<double>(stats.leaf_runs));
}

void ServerMetrics::FilterChunks(int64_t chunks) {
  kernels_->Add({{"kernel", "filter_chunk"}}).Increment(static_cast<double>(chunks));
}

}  // namespace neurofeat::server
