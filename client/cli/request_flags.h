// File: request_flags.h
//
// The CLI's flags as neurofeat.v1 requests. `neurofeat extract` and
// `neurofeat preprocess` build one request from their flags and then either
// send it to a server (--server) or run it in-process through the same API
// edge the server uses (api/), so the embedded and the remote results are
// the same by construction.
//
// Example:
//   NF_ASSIGN_OR_RETURN(v1::ExtractRequest request, ExtractRequestFromFlags(args));
#ifndef NEUROFEAT_CLIENT_CLI_REQUEST_FLAGS_H_
#define NEUROFEAT_CLIENT_CLI_REQUEST_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "cmdline/args.h"
#include "neurofeat/v1/service.pb.h"

namespace neurofeat::client {

// PipelineFromFlag() reads and parses --pipeline (errors name the file).
absl::StatusOr<v1::Pipeline> PipelineFromFlag(const ParsedArgs& args);

// The requests, with the recording's metadata (--fs, --channels,
// --highpass, --lowpass, --channel-locations) and the samples named by
// --input as a local .npy file. The remote mode replaces the samples with
// an upload or --remote-path and keeps the rest.
absl::StatusOr<v1::ExtractRequest> ExtractRequestFromFlags(const ParsedArgs& args);
absl::StatusOr<v1::PreprocessRequest> PreprocessRequestFromFlags(const ParsedArgs& args);

// ForFlags() rewrites request field names in a message into the flags that
// set them ("recording.channel_names" -> "--channels"), so CLI errors name
// what the user typed.
absl::Status ForFlags(const absl::Status& status);

// RecordingName() is --recording, or the file name of --input/--remote-path.
std::string RecordingName(const ParsedArgs& args);

// CheckRateGiven(): --fs is required for an --input .npy (which carries no
// sampling rate); every other format carries its own, and a server reading
// --remote-path says what it is missing.
absl::Status CheckRateGiven(const ParsedArgs& args);

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_CLI_REQUEST_FLAGS_H_
