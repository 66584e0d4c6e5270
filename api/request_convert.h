// File: request_convert.h
//
// A neurofeat.v1 request as a core job spec: the recording (see
// recording_convert.h), the pipeline (pipeline_convert.h) and the request's
// own fields (chunking, frame range, output type, cache policy), each
// checked and named in errors. The server and the CLI (embedded or remote)
// make their jobs through these, so a request means one thing everywhere.
//
// Example:
//   NF_ASSIGN_OR_RETURN(ExtractionSpec spec, api::ToExtractionSpec(request, files));
//   NF_ASSIGN_OR_RETURN(auto job, ExtractionJob::Create(std::move(spec), options));
#ifndef NEUROFEAT_API_REQUEST_CONVERT_H_
#define NEUROFEAT_API_REQUEST_CONVERT_H_

#include "absl/status/statusor.h"
#include "api/recording_convert.h"
#include "core/job/extraction_job.h"
#include "core/job/fit_job.h"
#include "core/job/preprocess_job.h"
#include "neurofeat/v1/service.pb.h"

namespace neurofeat::api {

// REQUIRES (both): `request` outlives the spec and the job made from it.
absl::StatusOr<ExtractionSpec> ToExtractionSpec(const v1::ExtractRequest& request,
                                                const FileAccess& files);
absl::StatusOr<PreprocessSpec> ToPreprocessSpec(const v1::PreprocessRequest& request,
                                                const FileAccess& files);

// ToFitSpec(): a Fit request's epochs, labels and pipeline (its JSON form).
absl::StatusOr<FitSpec> ToFitSpec(const v1::FitRequest& request, const FileAccess& files);

// The cache policy of an Extract request (unknown values are errors).
absl::StatusOr<CachePolicy> ToCachePolicy(v1::CachePolicy policy);

}  // namespace neurofeat::api

#endif  // NEUROFEAT_API_REQUEST_CONVERT_H_
