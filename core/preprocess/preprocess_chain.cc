#include "core/preprocess/preprocess_chain.h"

#include <cmath>
#include <variant>

#include "absl/strings/str_cat.h"
#include "core/checked_math.h"
#include "core/preprocess/finite_check.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

// ConvertSource presents the source in the chain's output type when there
// is no step to do it.
class ConvertSource final : public TraceSource {
 public:
  ConvertSource(std::shared_ptr<const TraceSource> parent, SampleType type)
      : parent_(std::move(parent)), type_(type) {}
  const RecordingInfo& info() const override { return parent_->info(); }
  int64_t num_frames() const override { return parent_->num_frames(); }
  SampleType sample_type() const override { return type_; }
  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override {
    NF_ASSIGN_OR_RETURN(Traces t, parent_->GetTraces(start, end));
    if (t.type() == type_) return t;
    return ConvertTraces(t, type_);
  }

 private:
  std::shared_ptr<const TraceSource> parent_;
  SampleType type_;
};

}  // namespace

absl::StatusOr<Traces> FiniteCheckSource::GetTraces(int64_t start, int64_t end) const {
  NF_ASSIGN_OR_RETURN(Traces t, parent_->GetTraces(start, end));
  NF_RETURN_IF_ERROR(CheckFinite(t, start));
  return t;
}

absl::StatusOr<std::unique_ptr<PreprocessChain>> PreprocessChain::Build(
    const ChainSpec& spec, std::shared_ptr<const TraceSource> source, SampleType output_type) {
  if (output_type == SampleType::kFloat64) {
    return absl::InvalidArgumentError("dtype=float64 is not an output type (float32, int16)");
  }
  if (source->num_channels() == 0) {
    return absl::InvalidArgumentError("the recording has zero channels");
  }
  if (!(source->info().sampling_rate_hz > 0) || !std::isfinite(source->info().sampling_rate_hz)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling rate fs=", source->info().sampling_rate_hz, " Hz must be positive"));
  }
  auto chain = std::unique_ptr<PreprocessChain>(new PreprocessChain());
  std::shared_ptr<const TraceSource> current = source;
  // A leading filter step refuses non-finite input itself (its state tells,
  // for free); otherwise the source is scanned.
  const bool filter_first =
      !spec.steps.empty() && (std::holds_alternative<ButterworthOptions>(spec.steps[0].options) ||
                              std::holds_alternative<NotchOptions>(spec.steps[0].options));
  if (source->sample_type() != SampleType::kInt16 && !filter_first) {
    current = std::make_shared<FiniteCheckSource>(current);
  }
  std::string canonical;
  chain->channels_ = source->num_channels();
  chain->recording_frames_ = source->num_frames();
  const int64_t out_size = static_cast<int64_t>(SampleTypeSize(output_type));
  for (const PreprocessStepSpec& step : spec.steps) {
    std::string step_canonical;
    const int64_t in_size = static_cast<int64_t>(SampleTypeSize(current->sample_type()));
    if (const auto* bw = std::get_if<ButterworthOptions>(&step.options)) {
      NF_ASSIGN_OR_RETURN(auto s,
                          FilterStep::CreateButterworth(*bw, current, output_type, step.path));
      step_canonical = s->canonical();
      chain->margin_frames_ = SaturatingAdd(chain->margin_frames_, s->margin_samples());
      // Filters run in float64 stripes: a working copy of the input at most.
      chain->costs_.push_back({s->margin_samples(), in_size, 8, out_size});
      current = std::move(s);
    } else if (const auto* notch = std::get_if<NotchOptions>(&step.options)) {
      NF_ASSIGN_OR_RETURN(auto s, FilterStep::CreateNotch(*notch, current, output_type, step.path));
      step_canonical = s->canonical();
      chain->margin_frames_ = SaturatingAdd(chain->margin_frames_, s->margin_samples());
      chain->costs_.push_back({s->margin_samples(), in_size, 8, out_size});
      current = std::move(s);
    } else if (const auto* cr = std::get_if<CommonReferenceOptions>(&step.options)) {
      NF_ASSIGN_OR_RETURN(auto s,
                          CommonReferenceStep::Create(*cr, current, output_type, step.path));
      step_canonical = s->canonical();
      // Rows of another type are converted one at a time, per thread.
      chain->costs_.push_back({0, in_size, 0, out_size});
      current = std::move(s);
    } else if (const auto* ps = std::get_if<PhaseShiftOptions>(&step.options)) {
      NF_ASSIGN_OR_RETURN(auto s, PhaseShiftStep::Create(*ps, current, output_type, step.path));
      step_canonical = s->canonical();
      chain->margin_frames_ = SaturatingAdd(chain->margin_frames_, s->margin_samples());
      // Channel-major copies of its input and of its output (the float64
      // transform buffers, one per thread, are small).
      chain->costs_.push_back({s->margin_samples(), in_size, in_size + out_size, out_size});
      current = std::move(s);
    } else if (const auto* sc = std::get_if<ScaleOptions>(&step.options)) {
      NF_ASSIGN_OR_RETURN(auto s, ScaleStep::Create(*sc, current, output_type, step.path));
      step_canonical = s->canonical();
      chain->costs_.push_back({0, in_size, 0, out_size});
      current = std::move(s);
    }
    if (!canonical.empty()) canonical += "|";
    canonical += step_canonical;
  }
  if (current->sample_type() != output_type) {
    chain->costs_.push_back(
        {0, static_cast<int64_t>(SampleTypeSize(current->sample_type())), 0, out_size});
    current = std::make_shared<ConvertSource>(current, output_type);
  }
  chain->output_ = std::move(current);
  chain->canonical_ = canonical.empty() ? "identity" : canonical;
  return chain;
}

int64_t PreprocessChain::PeakBytes(int64_t frames) const {
  int64_t peak = 0;
  int64_t out_frames = std::min(frames, recording_frames_);
  for (auto it = costs_.rbegin(); it != costs_.rend(); ++it) {
    const int64_t in_frames =
        std::min(recording_frames_, SaturatingAdd(out_frames, SaturatingMul(2, it->margin)));
    const int64_t per_in = SaturatingAdd(it->in_bytes, it->work_bytes);
    const int64_t bytes = SaturatingMul(
        channels_,
        SaturatingAdd(SaturatingMul(in_frames, per_in), SaturatingMul(out_frames, it->out_bytes)));
    peak = std::max(peak, bytes);
    out_frames = in_frames;
  }
  if (costs_.empty()) {
    // The source's block itself (an empty chain passes it through).
    peak = SaturatingMul(SaturatingMul(out_frames, channels_), 8);
  }
  return peak;
}

}  // namespace neurofeat
