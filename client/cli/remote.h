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
#include "cmdline/args.h"
#include "neurofeat/v1/service.pb.h"

namespace neurofeat::client {

// Flag specs every remote-capable command accepts.
std::vector<FlagSpec> RemoteFlags();

// ConnectFromFlags() reads --server (one address, a comma-separated list
// or dns:///NAME:PORT: see client/lib/replicas.h), --tls-ca/--tls-cert/
// --tls-key and --timeout.
absl::StatusOr<std::unique_ptr<Replicas>> ConnectFromFlags(const ParsedArgs& args);

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
