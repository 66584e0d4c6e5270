// File: metrics.h
//
// ServerMetrics: the Prometheus metrics of neurofeatd (prometheus-cpp),
// served on their own port. Names follow Prometheus conventions (base units,
// _total for counters); every label takes a bounded set of values (RPC
// names, gRPC code names, cache levels and results, kernel kinds, rejection
// reasons): no paths, hashes or client ids.
//
// Example:
//   ServerMetrics metrics(&admission, cache.get(), uploads.get(), capacity, warning);
//   NF_RETURN_IF_ERROR(metrics.Serve("127.0.0.1:9100"));
//   { ServerMetrics::Request r(metrics, "Extract"); ...; r.Finish(status); }
#ifndef NEUROFEAT_SERVER_METRICS_H_
#define NEUROFEAT_SERVER_METRICS_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "core/cache/result_cache.h"
#include "core/features/feature_kernel.h"
#include "server/admission.h"

namespace prometheus {
class Registry;
class Exposer;
class Counter;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace neurofeat::server {

class UploadStore;

class ServerMetrics {
 public:
  // What the server was given, exported as gauges so dashboards and alerts
  // can set use against it.
  struct Capacity {
    int threads = 1;
    int64_t budget_bytes = 0;
    std::optional<int64_t> memory_limit_bytes;  // cgroup, Slurm or machine
    std::optional<double> cpu_limit_cores;      // cgroup quota
  };
  // `cache` and `uploads` may be null (no cache; uploads off). All three
  // must outlive the metrics: they are read at scrape time.
  ServerMetrics(const Admission* admission, ResultCache* cache, const UploadStore* uploads,
                const Capacity& capacity, std::string cache_warning);
  ~ServerMetrics();

  // Serve() starts the HTTP endpoint (/metrics); returns the bound port.
  absl::StatusOr<int> Serve(const std::string& listen);

  // One RPC: in flight while alive; Finish() records its code and duration.
  class Request {
   public:
    Request(ServerMetrics& m, const std::string& rpc);
    ~Request();
    void Finish(const absl::Status& status);

   private:
    ServerMetrics& m_;
    std::string rpc_;
    std::chrono::steady_clock::time_point start_;
    bool finished_ = false;
  };

  void QueueWait(double seconds);
  // The working set a request of `rpc` asked admission for (its estimate).
  void WorkingSet(const std::string& rpc, int64_t bytes);
  // A refusal by admission: "too_large", "queue_full", "timeout", "draining",
  // "cancelled".
  void Rejected(const absl::Status& status);
  void Processed(int64_t samples, int64_t bytes, int64_t windows);
  void Kernels(const EvalStats& stats);
  void FilterChunks(int64_t chunks);

 private:
  friend class Request;
  class StateCollector;
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<StateCollector> state_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
  prometheus::Family<prometheus::Histogram>* duration_ = nullptr;
  prometheus::Histogram* queue_wait_ = nullptr;
  prometheus::Family<prometheus::Histogram>* working_set_ = nullptr;
  prometheus::Family<prometheus::Counter>* rejected_ = nullptr;
  prometheus::Counter* samples_ = nullptr;
  prometheus::Counter* bytes_ = nullptr;
  prometheus::Counter* windows_ = nullptr;
  prometheus::Family<prometheus::Counter>* kernels_ = nullptr;
};

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_METRICS_H_
