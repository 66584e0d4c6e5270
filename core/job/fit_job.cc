#include "core/job/fit_job.h"

#include "absl/strings/str_cat.h"
#include "core/checked_math.h"
#include "core/features/fit_pipeline.h"
#include "core/status_macros.h"

namespace neurofeat {

absl::StatusOr<std::unique_ptr<FitJob>> FitJob::Create(FitSpec spec) {
  const RecordingInput& in = spec.input;
  if (!in.has_epochs()) {
    return absl::InvalidArgumentError(
        "recording: Fit takes labelled epochs (windows, channels, times), not continuous traces");
  }
  const int64_t n = in.epochs != nullptr ? in.epochs->n_windows : in.epochs_file->n_windows;
  if (static_cast<int64_t>(spec.labels.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat("labels: ", spec.labels.size(),
                                                   " labels for ", n,
                                                   " windows; give one per window"));
  }
  const int64_t c = in.channels();
  const int64_t t = in.epoch_times();
  auto job = std::unique_ptr<FitJob>(new FitJob(std::move(spec)));
  job->n_windows_ = n;
  // Windows read from a file are decoded whole (float32); inline and
  // uploaded ones are already held (held_bytes). The CSP fit adds one
  // centred window (float64) and two mean/covariance pairs; the pipeline
  // is held in and out, a few kB to a few MB with fitted models.
  const int64_t decoded =
      in.epochs_file.has_value() ? SaturatingMul(SaturatingMul(n, c), SaturatingMul(t, 4)) : 0;
  const int64_t centred = SaturatingMul(SaturatingMul(c, t), 8);
  const int64_t covariances = SaturatingMul(SaturatingMul(c, c), 4 * 8);
  const int64_t pipeline = int64_t{2} << 20;
  job->working_set_bytes_ = SaturatingAdd(
      SaturatingAdd(in.held_bytes, decoded), SaturatingAdd(SaturatingAdd(centred, covariances),
                                                           pipeline));
  return job;
}

absl::StatusOr<FitResult> FitJob::Run() {
  const RecordingInput& in = spec_.input;
  std::shared_ptr<const Windows> windows = in.epochs;
  if (windows == nullptr) {
    if (cancelled_ && cancelled_()) return absl::CancelledError("fit cancelled");
    // The fit checks the samples itself, naming the channels.
    NF_ASSIGN_OR_RETURN(Windows w, ReadEpochs(*in.epochs_file, 0, in.epochs_file->n_windows,
                                              /*check_finite=*/false));
    windows = std::make_shared<const Windows>(std::move(w));
  }
  FitResult out;
  out.pipeline = spec_.pipeline;
  NF_ASSIGN_OR_RETURN(
      out.report, FitPipeline(&out.pipeline, *windows, spec_.labels, in.signal.channels,
                              cancelled_));
  return out;
}

}  // namespace neurofeat
