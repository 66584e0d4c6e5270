// File: embedded.h
//
// EmbeddedEngine: the CLI's in-process engine. A request runs through the
// same API edge and jobs as on the server (api/, core/job), on this
// process's arena (sized by --threads and the cgroup/Slurm/affinity limits)
// and with the local result cache (--cache-dir), opened once and shared by
// every request of the run. Extract() and Preprocess() are thread-safe.
#ifndef NEUROFEAT_CLIENT_CLI_EMBEDDED_H_
#define NEUROFEAT_CLIENT_CLI_EMBEDDED_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/cli/outputs.h"
#include "cmdline/args.h"
#include "core/cache/content_keys.h"
#include "core/cache/result_cache.h"
#include "core/features/extract.h"
#include "neurofeat/v1/service.pb.h"

namespace neurofeat::client {

struct EmbeddedRun {
  EvalStats stats;
  std::string chain;  // canonical chain
  double fs = 0;      // the recording's sampling rate
  std::string unit;   // of the values read: "V" for EEG formats, "" for stored samples
};

class EmbeddedEngine {
 public:
  // Sizes the arena from --threads and the limits; opens the cache of
  // --cache-dir unless `use_cache` is false.
  static absl::StatusOr<std::unique_ptr<EmbeddedEngine>> Create(const ParsedArgs& args,
                                                                bool use_cache);
  int threads() const { return threads_; }
  // InArena() runs `fn` on the engine's arena (parallel loops inside it use
  // the engine's threads) and returns when it is done.
  void InArena(const std::function<void()>& fn);
  bool cached() const { return cache_ != nullptr; }

  // Extract() calls `on_block(block, total_windows)` for each block of rows
  // in order.
  absl::StatusOr<EmbeddedRun> Extract(
      const v1::ExtractRequest& request,
      const std::function<absl::Status(const FeatureTable&, int64_t)>& on_block);
  // Fit() fits the request's trainable nodes on its labelled epochs.
  absl::StatusOr<v1::FitResponse> Fit(const v1::FitRequest& request);
  // Preprocess() writes the traces to `out`; `progress(done, total)` after
  // each chunk.
  absl::StatusOr<EmbeddedRun> Preprocess(const v1::PreprocessRequest& request, TraceFile& out,
                                         const std::function<void(int64_t, int64_t)>& progress);

 private:
  EmbeddedEngine() = default;
  int threads_ = 1;
  std::unique_ptr<ResultCache> cache_;
  std::unique_ptr<ContentKeys> keys_;
};

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_CLI_EMBEDDED_H_
