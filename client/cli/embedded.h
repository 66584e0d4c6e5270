// File: embedded.h
//
// The CLI's in-process engine: a request runs through the same API edge and
// jobs as on the server (api/, core/job), on this process's arena (sized by
// --threads and the cgroup/Slurm/affinity limits) and with the local result
// cache (--cache-dir).
#ifndef NEUROFEAT_CLIENT_CLI_EMBEDDED_H_
#define NEUROFEAT_CLIENT_CLI_EMBEDDED_H_

#include <functional>

#include "absl/status/statusor.h"
#include "client/cli/outputs.h"
#include "cmdline/args.h"
#include "core/features/extract.h"
#include "neurofeat/v1/service.pb.h"

namespace neurofeat::client {

struct EmbeddedRun {
  int threads = 0;
  bool cached = false;
  EvalStats stats;
  std::string chain;  // canonical chain
};

// InitEmbeddedArena() sizes the arena from --threads and the limits.
absl::StatusOr<int> InitEmbeddedArena(const ParsedArgs& args);

// RunEmbeddedExtract() calls `on_block(block, total_windows)` for each block
// of rows in order.
absl::StatusOr<EmbeddedRun> RunEmbeddedExtract(
    const v1::ExtractRequest& request, const ParsedArgs& args,
    const std::function<absl::Status(const FeatureTable&, int64_t)>& on_block);

// RunEmbeddedPreprocess() writes the traces to `out`; `progress(done,
// total)` after each chunk.
absl::StatusOr<EmbeddedRun> RunEmbeddedPreprocess(
    const v1::PreprocessRequest& request, const ParsedArgs& args, TraceFile& out,
    const std::function<void(int64_t, int64_t)>& progress);

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_CLI_EMBEDDED_H_
