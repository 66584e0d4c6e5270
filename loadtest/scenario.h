// File: scenario.h
//
// A load scenario: how requests arrive (open loop at a rate, or closed loop
// at a concurrency), for how long, and a weighted mix of requests. Read from
// a JSON file (loadtest/scenarios/*.json):
//
//   {"mode": "open", "rate": 50, "duration_s": 60, "warmup_s": 5, "deadline_s": 30,
//    "max_outstanding": 512, "verify_every": 10,
//    "requests": [
//      {"weight": 3, "rpc": "extract", "path": "eeg.npy", "fs": 256,
//       "pipeline": {...the pipeline JSON...}},
//      {"weight": 1, "rpc": "preprocess", "path": "np.npy", "fs": 30000, "chunk_frames": 30000,
//       "pipeline": {...}},
//      {"weight": 1, "rpc": "upload", "file": "/local/x.npy"},
//      {"weight": 1, "rpc": "fit", "path": "epochs.npy", "fs": 256, "label_count": 2500,
//       "pipeline": {...}}]}
//
// A preprocess request may give "output_dtype" ("int16", "float32"); a fit
// request's labels alternate 0, 1, 0, ... over "label_count" windows. With
// "round_robin": true, closed-loop client k sends only requests[k % n] (the
// mix is exact, not drawn).
#ifndef NEUROFEAT_LOADTEST_SCENARIO_H_
#define NEUROFEAT_LOADTEST_SCENARIO_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "neurofeat/v1/service.pb.h"

namespace neurofeat::loadtest {

enum class Rpc { kExtract, kPreprocess, kUpload, kFit };
const char* RpcName(Rpc rpc);

struct RequestTemplate {
  double weight = 1.0;
  Rpc rpc = Rpc::kExtract;
  v1::ExtractRequest extract;
  v1::PreprocessRequest preprocess;
  v1::FitRequest fit;
  std::string upload_file;  // a local .npy (upload)
};

struct Scenario {
  // "open": requests arrive at `rate` per second whatever the answers;
  // "closed": `concurrency` clients each send the next when one is done.
  bool open_loop = true;
  double rate = 10.0;
  int concurrency = 4;
  double duration_s = 10.0;
  // Requests that start in the warm-up are sent but not counted.
  double warmup_s = 2.0;
  double deadline_s = 30.0;
  // Open loop: requests in flight at most (more arrivals are counted as
  // "client_saturated", so the generator never becomes the bottleneck
  // unnoticed).
  int max_outstanding = 512;
  // Every n-th successful answer of a template is compared with the
  // embedded engine (0: never).
  int verify_every = 0;
  // Closed loop: client k sends requests[k % n] only, instead of drawing by
  // weight.
  bool round_robin = false;
  std::vector<RequestTemplate> requests;
};

// ParseScenario() reads the JSON form; errors name the key.
absl::StatusOr<Scenario> ParseScenario(const std::string& json);
absl::StatusOr<Scenario> LoadScenario(const std::string& path);

}  // namespace neurofeat::loadtest

#endif  // NEUROFEAT_LOADTEST_SCENARIO_H_
