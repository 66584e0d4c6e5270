// File: remote.h
//
// The CLI's remote mode: flags shared by every command that talks to a
// neurofeatd (--server, TLS, --timeout), and sending the request the flags
// built (request_flags.h) to a server: the samples are an upload of --input
// (in chunks) or a file the server reads (--remote-path); the results are
// written exactly as the embedded engine writes them.
#ifndef NEUROFEAT_CLIENT_CLI_REMOTE_H_
#define NEUROFEAT_CLIENT_CLI_REMOTE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/response_convert.h"
#include "client/cli/outputs.h"
#include "client/lib/neurofeat_client.h"
#include "client/lib/replicas.h"
#include "client/lib/request_samples.h"
#include "cmdline/args.h"
#include "neurofeat/v1/service.pb.h"

namespace neurofeat::client {

// Flag specs every remote-capable command accepts.
std::vector<FlagSpec> RemoteFlags();

// ConnectFromFlags() reads --server (one address, a comma-separated list
// or dns:///NAME:PORT: see client/lib/replicas.h), --tls-ca/--tls-cert/
// --tls-key, --timeout, --retry-budget and --placement.
absl::StatusOr<std::unique_ptr<Replicas>> ConnectFromFlags(const ParsedArgs& args);

// SamplesFromFlags(): the recording a single remote run sends: --remote-path
// (with --format) or an upload of --input. Errors: InvalidArgument for
// both or a bad --format.
absl::StatusOr<RequestSamples> SamplesFromFlags(const ParsedArgs& args);

// PlacementKey() is the key that places `samples` on one of `replicas`
// (client/lib/replicas.h): the path and format for a file the server reads,
// the local file's SHA-256 for an upload; "" when the replicas do not place
// by key (one address, or round-robin). A local file that cannot be read
// gets no key either: its upload then says why, naming the flag.
std::string PlacementKey(const Replicas& replicas, const RequestSamples& samples);

// CheckRemoteFlags(): the remote-only flags need --server.
absl::Status CheckRemoteFlags(const ParsedArgs& args);

// RunRemoteExtract() sends the request; rows go to `reader`. Returns the
// pipeline digest the server reported.
absl::StatusOr<std::string> RunRemoteExtract(v1::ExtractRequest request, const ParsedArgs& args,
                                             api::ExtractTableReader* reader);
// RunRemotePreprocess() sends the request; traces go to `out`.
absl::StatusOr<std::string> RunRemotePreprocess(v1::PreprocessRequest request,
                                                const ParsedArgs& args, TraceFile& out);

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_CLI_REMOTE_H_
