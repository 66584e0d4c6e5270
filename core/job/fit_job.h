// File: fit_job.h
//
// FitJob: one Fit request (the trainable nodes of a pipeline, EEGDash's
// CommonSpatialPattern, fitted on labelled epochs), validated once, with
// its working set estimated before anything is decoded, so the server
// admits it against the memory budget like Extract and Preprocess, and
// cancellable between windows. The server's Fit RPC and the CLI's `fit`
// (embedded or remote) come here.
//
// Example:
//   NF_ASSIGN_OR_RETURN(auto job, FitJob::Create(std::move(spec)));
//   NF_ASSIGN_OR_RETURN(Admission::Ticket t, admission.Admit(job->working_set_bytes(), ...));
//   NF_ASSIGN_OR_RETURN(FitResult fitted, job->Run());
#ifndef NEUROFEAT_CORE_JOB_FIT_JOB_H_
#define NEUROFEAT_CORE_JOB_FIT_JOB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/job/recording_input.h"
#include "core/util/json.h"

namespace neurofeat {

struct FitSpec {
  // Labelled epochs (windows, channels, times): inline, uploaded or a file.
  RecordingInput input;
  // The pipeline, in its JSON form (core/util/json.h).
  JsonValue pipeline;
  // One label per window, two classes.
  std::vector<int64_t> labels;
};

struct FitResult {
  // The pipeline with each trainable node's model in its params.fitted.
  JsonValue pipeline;
  // One line per fitted node.
  std::vector<std::string> report;
};

class FitJob {
 public:
  // Errors: InvalidArgument naming the field: continuous traces (Fit takes
  // epochs), labels not one per window.
  static absl::StatusOr<std::unique_ptr<FitJob>> Create(FitSpec spec);

  // What the fit holds at most: the epochs as the request holds them, or,
  // from a file, the file's bytes and their float32 decoding at once; the
  // labels, one window centred in float64, the class means and
  // covariances, and the pipeline three times (in, out with the fitted
  // models, and as the response).
  int64_t working_set_bytes() const { return working_set_bytes_; }
  int64_t windows() const { return n_windows_; }

  // set_cancelled(): polled between windows; Run() then ends with Cancelled.
  void set_cancelled(std::function<bool()> cancelled) { cancelled_ = std::move(cancelled); }
  // Run() decodes the epochs (if in a file) and fits. Errors: those of
  // FitPipeline (labels, no trainable node, singular covariance), reading
  // the file (DataLoss), Cancelled.
  absl::StatusOr<FitResult> Run();

 private:
  explicit FitJob(FitSpec spec) : spec_(std::move(spec)) {}

  FitSpec spec_;
  int64_t n_windows_ = 0;
  int64_t working_set_bytes_ = 0;
  std::function<bool()> cancelled_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_JOB_FIT_JOB_H_
