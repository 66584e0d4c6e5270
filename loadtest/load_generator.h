// File: load_generator.h
//
// RunLoad(): drives a neurofeatd with a scenario (scenario.h) through the
// client library and reports throughput, latency percentiles and counts by
// status code. Open loop: arrivals at a fixed rate, whatever the server
// answers, each on its own thread (at most max_outstanding at once), so an
// overloaded server shows up as refusals and latency, not as a slower
// generator. Closed loop: `concurrency` clients back to back.
//
// With a verifier, every verify_every-th successful answer of a request is
// compared byte for byte with what the embedded engine computes for the
// same request: a wrong answer under load is counted, never hidden.
#ifndef NEUROFEAT_LOADTEST_LOAD_GENERATOR_H_
#define NEUROFEAT_LOADTEST_LOAD_GENERATOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loadtest/scenario.h"

namespace neurofeat::loadtest {

struct LoadOptions {
  std::string target;  // HOST:PORT
  // The server's data root, for the embedded engine's answers (verify).
  std::string data_root;
  // The server's process id, when it runs on this machine: its resident
  // memory is reported (0: not).
  int server_pid = 0;
  // How long after the last answer the idle memory is read. Default: 5 s.
  double idle_after_s = 5.0;
};

// The server's resident memory over a run (server_pid given): at the start,
// its peak (VmHWM, reset at the start through /proc/PID/clear_refs) and
// idle_after_s after the last answer; and its memory budget.
struct MemoryReport {
  int64_t start_bytes = 0;
  int64_t peak_bytes = 0;
  int64_t idle_bytes = 0;
  int64_t budget_bytes = 0;
  double idle_after_s = 0;
};

struct LoadReport {
  double seconds = 0;  // the measured period (after warm-up)
  int64_t sent = 0;    // counted requests
  int64_t ok = 0;
  int64_t client_saturated = 0;            // open loop: arrivals dropped at max_outstanding
  std::map<std::string, int64_t> by_code;  // "OK", "RESOURCE_EXHAUSTED", ...
  int64_t exhausted_without_retry_hint = 0;
  std::vector<double> latency_ok_s;  // sorted
  std::vector<double> latency_all_s;
  int64_t verified = 0;
  int64_t wrong = 0;
  // Answers by RPC ("Extract", ...): sent and OK.
  std::map<std::string, std::pair<int64_t, int64_t>> by_rpc;
  std::optional<MemoryReport> memory;
  double Percentile(const std::vector<double>& sorted, double p) const;
  std::string Format() const;
};

// ProcStatusBytes() is a field of /proc/PID/status in bytes ("VmRSS",
// "VmHWM"). Errors: NotFound (no such process or field).
absl::StatusOr<int64_t> ProcStatusBytes(int pid, const std::string& field);

absl::StatusOr<LoadReport> RunLoad(const Scenario& scenario, const LoadOptions& options);

}  // namespace neurofeat::loadtest

#endif  // NEUROFEAT_LOADTEST_LOAD_GENERATOR_H_
