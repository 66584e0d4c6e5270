// File: recording_convert.h
//
// ToRecordingRequest(): a request's neurofeat.v1.Recording as core's
// RecordingRequest, field for field (enums checked, nothing decided).
// ToRecordingInput() then opens it through core (core/job/open_recording.h:
// which format, epochs or traces, metadata checked against the file).
//
// Example:
//   api::FileAccess files;
//   files.resolve = [&](const std::string& p) { return policy.Resolve(p); };
//   NF_ASSIGN_OR_RETURN(RecordingInput in, api::ToRecordingInput(request.recording(), files));
#ifndef NEUROFEAT_API_RECORDING_CONVERT_H_
#define NEUROFEAT_API_RECORDING_CONVERT_H_

#include "absl/status/statusor.h"
#include "core/job/open_recording.h"
#include "core/job/recording_input.h"
#include "core/job/recording_request.h"
#include "neurofeat/v1/service.pb.h"

namespace neurofeat::api {

// Which files a request may name, and where uploads are.
using FileAccess = RecordingFiles;

// REQUIRES: `recording` outlives the request (inline bytes are referenced).
// Errors: InvalidArgument naming an enum field with an unknown value.
absl::StatusOr<RecordingRequest> ToRecordingRequest(const v1::Recording& recording);

// ToRecordingInput() is OpenRecording(ToRecordingRequest(recording), files).
// REQUIRES: `recording` outlives the input.
absl::StatusOr<RecordingInput> ToRecordingInput(const v1::Recording& recording,
                                                const FileAccess& files);

}  // namespace neurofeat::api

#endif  // NEUROFEAT_API_RECORDING_CONVERT_H_
