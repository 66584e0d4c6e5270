// File: recording_convert.h
//
// ToRecordingInput(): a request's neurofeat.v1.Recording (inline samples, a
// finished upload, or a file) as core's RecordingInput: continuous traces or
// pre-cut epochs, with the request's metadata (rate, names, gains, band)
// checked against what the file says. Files are only opened (headers
// read); inline and uploaded epochs are decoded whole (they are bounded by
// the message and upload limits). Every error names its field:
// recording.sampling_rate_hz, recording.channel_names,
// recording.samples.shape, recording.path.path ...
//
// Example:
//   api::FileAccess files;
//   files.resolve = [&](const std::string& p) { return policy.Resolve(p); };
//   NF_ASSIGN_OR_RETURN(RecordingInput in, api::ToRecordingInput(request.recording(), files));
#ifndef NEUROFEAT_API_RECORDING_CONVERT_H_
#define NEUROFEAT_API_RECORDING_CONVERT_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "core/job/recording_input.h"
#include "neurofeat/v1/service.pb.h"

namespace neurofeat::api {

// Which files a request may name, and where uploads are.
struct FileAccess {
  using Resolver = std::function<absl::StatusOr<std::string>(const std::string&)>;
  // Maps a request's path (and the companion files a format opens) to the
  // file to open, or an error (the server's data-root policy). Empty:
  // paths are opened as given (the CLI's own files).
  Resolver resolve;
  // The spooled file of a finished upload, by id. Empty: uploads are
  // FAILED_PRECONDITION.
  Resolver upload;
};

// REQUIRES: `recording` outlives the input (inline bytes are referenced,
// not copied, for the cache's content digest).
absl::StatusOr<RecordingInput> ToRecordingInput(const v1::Recording& recording,
                                                const FileAccess& files);

}  // namespace neurofeat::api

#endif  // NEUROFEAT_API_RECORDING_CONVERT_H_
