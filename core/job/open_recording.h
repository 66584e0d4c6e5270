// File: open_recording.h
//
// OpenRecording(): a request's recording as a job reads it. The one place
// that decides how samples are opened, for the server and the CLI alike:
// inline bytes or a finished upload or a file; which format a file is (by
// its name, case-insensitively, and its first bytes: DetectRecordingFormat
// in core/io/recording_readers.h); whether it holds continuous traces or
// pre-cut epochs (a 3-D .npy); the metadata the caller states checked
// against what the file says (a rate or channel names that differ from the
// header's are errors naming both); channels left out; the band already
// applied (the request's, else the header's); and what identifies the
// samples for the result cache. Files are only opened (headers read);
// inline and uploaded epochs are decoded whole (bounded by the message and
// upload limits). Every error names its request field
// (recording.sampling_rate_hz, recording.channel_names, recording.path.path,
// recording.samples.shape, ...).
//
// Example:
//   RecordingFiles files;
//   files.resolve = [&](const std::string& p) { return policy.Resolve(p); };
//   NF_ASSIGN_OR_RETURN(RecordingInput in, OpenRecording(request, files));
#ifndef NEUROFEAT_CORE_JOB_OPEN_RECORDING_H_
#define NEUROFEAT_CORE_JOB_OPEN_RECORDING_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "core/job/recording_input.h"
#include "core/job/recording_request.h"

namespace neurofeat {

// RecordingFiles: which files a request may name, and where uploads are.
struct RecordingFiles {
  using Resolver = std::function<absl::StatusOr<std::string>(const std::string&)>;
  // Maps a request's path (and every companion file a format opens) to the
  // file to open, or an error (the server's data-root policy). Empty: paths
  // are opened as given (the CLI's own files).
  Resolver resolve;
  // The spooled file of a finished upload, by id. Empty: uploads are
  // FAILED_PRECONDITION.
  Resolver upload;
};

// REQUIRES: inline bytes of `request` outlive the input.
// Errors: InvalidArgument naming the field; NotFound / PermissionDenied /
// DataLoss from the files; FailedPrecondition for uploads without a spool.
absl::StatusOr<RecordingInput> OpenRecording(const RecordingRequest& request,
                                             const RecordingFiles& files);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_JOB_OPEN_RECORDING_H_
