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
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loadtest/scenario.h"

namespace neurofeat::loadtest {

struct LoadOptions {
  std::string target;  // HOST:PORT
  // The server's data root, for the embedded engine's answers (verify).
  std::string data_root;
};

struct LoadReport {
  double seconds = 0;          // the measured period (after warm-up)
  int64_t sent = 0;            // counted requests
  int64_t ok = 0;
  int64_t client_saturated = 0;  // open loop: arrivals dropped at max_outstanding
  std::map<std::string, int64_t> by_code;  // "OK", "RESOURCE_EXHAUSTED", ...
  int64_t exhausted_without_retry_hint = 0;
  std::vector<double> latency_ok_s;  // sorted
  std::vector<double> latency_all_s;
  int64_t verified = 0;
  int64_t wrong = 0;
  double Percentile(const std::vector<double>& sorted, double p) const;
  std::string Format() const;
};

absl::StatusOr<LoadReport> RunLoad(const Scenario& scenario, const LoadOptions& options);

}  // namespace neurofeat::loadtest

#endif  // NEUROFEAT_LOADTEST_LOAD_GENERATOR_H_
