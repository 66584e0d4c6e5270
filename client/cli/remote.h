// File: remote.h
//
// The CLI's remote mode: flags shared by every command that talks to a
// neurofeatd (--server, TLS, --timeout), and the remote versions of
// `extract` and `preprocess`, which upload a local .npy in chunks (or name a
// file the server reads with --remote-path) and write the streamed results
// exactly as the embedded engine would.
#ifndef NEUROFEAT_CLIENT_CLI_REMOTE_H_
#define NEUROFEAT_CLIENT_CLI_REMOTE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/lib/neurofeat_client.h"
#include "cmdline/args.h"
#include "neurofeat/v1/pipeline.pb.h"

namespace neurofeat::client {

// Flag specs every remote-capable command accepts.
std::vector<FlagSpec> RemoteFlags();

// ConnectFromFlags() reads --server, --tls-ca/--tls-cert/--tls-key and
// --timeout.
absl::StatusOr<std::unique_ptr<NeurofeatClient>> ConnectFromFlags(const ParsedArgs& args);

// RemoteRecording() is --remote-path (and --format) or an upload of --input.
absl::StatusOr<v1::Recording> RemoteRecording(const ParsedArgs& args, NeurofeatClient& client,
                                              bool show_progress);

struct RemoteResult {
  int64_t rows_or_frames = 0;
  int64_t columns_or_channels = 0;
  std::string digest;
};

// `neurofeat extract --server ...`: writes --output like the embedded engine.
absl::StatusOr<RemoteResult> RunRemoteExtract(const ParsedArgs& args, const v1::Pipeline& pipeline,
                                              std::optional<double> fs, int64_t chunk_frames);
// `neurofeat preprocess --server ...`.
absl::StatusOr<RemoteResult> RunRemotePreprocess(const ParsedArgs& args,
                                                 const v1::Pipeline& pipeline, double fs,
                                                 int64_t chunk_frames);

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_CLI_REMOTE_H_
