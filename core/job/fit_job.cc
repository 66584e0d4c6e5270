#include "core/job/fit_job.h"

#include "absl/strings/str_cat.h"
#include "core/checked_math.h"
#include "core/features/fit_pipeline.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

// The trainable nodes of a pipeline tree (CommonSpatialPattern).
int64_t TrainableNodes(const JsonValue& v) {
  int64_t n = 0;
  if (v.is_object()) {
    if (IsTrainableNode(v)) ++n;
    for (const auto& [key, child] : v.object()) n += TrainableNodes(child);
  } else if (v.is_list()) {
    for (const JsonValue& child : v.list()) n += TrainableNodes(child);
  }
  return n;
}

// What a pipeline holds as a tree of JSON values and as text, with each
// trainable node's fitted model over `channels` channels (weights c x c,
// mean and eigenvalues c, CspModelToJson()): at most one value per byte of
// its text, and a fitted number as a value and its %.17g text.
int64_t PipelineBytes(const JsonValue& pipeline, int64_t channels) {
  const int64_t text = static_cast<int64_t>(ToCanonicalJson(pipeline).size());
  const int64_t fitted_numbers =
      SaturatingMul(TrainableNodes(pipeline),
                    SaturatingAdd(SaturatingMul(channels, channels), SaturatingMul(channels, 2)));
  constexpr int64_t kNumberText = 25;  // "-1.2345678901234567e-308,"
  const int64_t per_value = static_cast<int64_t>(sizeof(JsonValue)) + kNumberText;
  return SaturatingMul(SaturatingAdd(text, fitted_numbers), per_value);
}

}  // namespace

absl::StatusOr<std::unique_ptr<FitJob>> FitJob::Create(FitSpec spec) {
  const RecordingInput& in = spec.input;
  if (!in.has_epochs()) {
    return absl::InvalidArgumentError(
        "recording: Fit takes labelled epochs (windows, channels, times), not continuous traces");
  }
  const int64_t n = in.epochs != nullptr ? in.epochs->n_windows : in.epochs_file->n_windows;
  if (static_cast<int64_t>(spec.labels.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat("labels: ", spec.labels.size(), " labels for ",
                                                   n, " windows; give one per window"));
  }
  const int64_t c = in.channels();
  const int64_t t = in.epoch_times();
  // Windows read from a file are decoded whole: the file's bytes are read
  // into one buffer and converted to float32 windows (with a start sample
  // each) while the buffer is still held. Inline and uploaded windows are
  // already held (held_bytes). The CSP fit adds the labels sorted, one
  // centred window (float64), a mean and covariance per class, and the
  // pipeline three times (in; out, with each fitted model; and as the
  // response).
  int64_t decoded = 0;
  if (in.epochs_file.has_value()) {
    const int64_t samples = SaturatingMul(SaturatingMul(n, c), t);
    const int64_t raw =
        SaturatingMul(samples, static_cast<int64_t>(SampleTypeSize(in.epochs_file->type)));
    decoded = SaturatingAdd(
        SaturatingAdd(raw, SaturatingMul(samples, static_cast<int64_t>(sizeof(float)))),
        SaturatingMul(n, static_cast<int64_t>(sizeof(int64_t))));
  }
  const int64_t labels = SaturatingMul(n, static_cast<int64_t>(sizeof(int64_t)));
  const int64_t centred = SaturatingMul(SaturatingMul(c, t), static_cast<int64_t>(sizeof(double)));
  const int64_t covariances = SaturatingMul(SaturatingAdd(SaturatingMul(c, c), c),
                                            2 * static_cast<int64_t>(sizeof(double)));
  const int64_t pipeline = SaturatingMul(PipelineBytes(spec.pipeline, c), 3);
  const int64_t working_set =
      SaturatingAdd(SaturatingAdd(SaturatingAdd(in.held_bytes, decoded), labels),
                    SaturatingAdd(SaturatingAdd(centred, covariances), pipeline));
  auto job = std::unique_ptr<FitJob>(new FitJob(std::move(spec)));
  job->n_windows_ = n;
  job->working_set_bytes_ = working_set;
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
  NF_ASSIGN_OR_RETURN(out.report, FitPipeline(&out.pipeline, *windows, spec_.labels,
                                              in.signal.channels, cancelled_));
  return out;
}

}  // namespace neurofeat
