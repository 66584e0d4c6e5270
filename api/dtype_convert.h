// File: dtype_convert.h
//
// The neurofeat.v1 enums and core's: sample types and file formats. Values
// a client sends that are not in the enum (proto3 enums are open) are
// InvalidArgument naming the field and the number, never a default.
//
// Example:
//   NF_ASSIGN_OR_RETURN(SampleType t, api::ToSampleType(s.dtype(), "recording.samples.dtype"));
#ifndef NEUROFEAT_API_DTYPE_CONVERT_H_
#define NEUROFEAT_API_DTYPE_CONVERT_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/io/npy.h"
#include "core/io/recording_readers.h"
#include "core/traces.h"
#include "neurofeat/v1/service.pb.h"

namespace neurofeat::api {

// ToSampleType(): INT16, FLOAT32, FLOAT64; anything else (UNSPECIFIED
// included) is an error naming `field`.
absl::StatusOr<SampleType> ToSampleType(v1::SampleDtype dtype, const std::string& field);
v1::SampleDtype ToProtoDtype(SampleType type);

// ToNpyDtype() / FromNpyDtype(): the .npy item types that are sample types.
NpyDtype ToNpyDtype(SampleType type);
absl::StatusOr<SampleType> FromNpyDtype(NpyDtype dtype, const std::string& what);

// ToRecordingFormat(): every FileFormat value; others are an error naming
// recording.path.format.
absl::StatusOr<RecordingFormat> ToRecordingFormat(v1::FileFormat format);
v1::FileFormat ToProtoFormat(RecordingFormat format);

}  // namespace neurofeat::api

#endif  // NEUROFEAT_API_DTYPE_CONVERT_H_
