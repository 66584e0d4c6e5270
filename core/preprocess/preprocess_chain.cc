#include "core/preprocess/preprocess_chain.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/checked_math.h"
#include "core/preprocess/finite_check.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

// ConvertSource presents its parent in the chain's output type when the
// last step (or the source, for an empty chain) outputs another.
class ConvertSource final : public PreprocessStep {
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
  // Not part of the chain's canonical form (the steps name their dtype).
  const std::string& canonical() const override { return canonical_; }
  int64_t margin_samples() const override { return 0; }
  int64_t ChunkBytes(int64_t frames) const override {
    return ChunkBytesFor(frames,
                         {.input = static_cast<int64_t>(SampleTypeSize(parent_->sample_type())),
                          .work = 0,
                          .output = static_cast<int64_t>(SampleTypeSize(type_))});
  }

 private:
  std::shared_ptr<const TraceSource> parent_;
  SampleType type_;
  std::string canonical_;
};

}  // namespace

absl::StatusOr<Traces> FiniteCheckSource::GetTraces(int64_t start, int64_t end) const {
  NF_ASSIGN_OR_RETURN(Traces t, parent_->GetTraces(start, end));
  NF_RETURN_IF_ERROR(CheckFinite(t, start));
  return t;
}

absl::StatusOr<std::unique_ptr<PreprocessChain>> PreprocessChain::Build(
    const ChainSpec& spec, std::shared_ptr<const TraceSource> source, SampleType output_type,
    const StepRegistry& registry) {
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
  // Every step is looked up before any is made: an unknown name fails
  // first, whatever the recording.
  std::vector<const StepRegistration*> registrations;
  registrations.reserve(spec.steps.size());
  for (const PreprocessStepSpec& step : spec.steps) {
    NF_ASSIGN_OR_RETURN(const StepRegistration* r,
                        registry.Lookup(step.options.step_name(), step.path));
    registrations.push_back(r);
  }
  auto chain = std::unique_ptr<PreprocessChain>(new PreprocessChain());
  std::shared_ptr<const TraceSource> current = source;
  // A leading step that refuses non-finite input itself (a filter learns it
  // from its state, for free) spares the scan of the source.
  const bool checked_first = !registrations.empty() && registrations[0]->checks_finite_input;
  if (source->sample_type() != SampleType::kInt16 && !checked_first) {
    current = std::make_shared<FiniteCheckSource>(current);
  }
  std::string canonical;
  chain->channels_ = source->num_channels();
  chain->recording_frames_ = source->num_frames();
  for (size_t i = 0; i < spec.steps.size(); ++i) {
    const PreprocessStepSpec& step = spec.steps[i];
    NF_ASSIGN_OR_RETURN(std::shared_ptr<const PreprocessStep> s,
                        registrations[i]->create(step.options, current, output_type, step.path));
    chain->margin_frames_ = SaturatingAdd(chain->margin_frames_, s->margin_samples());
    if (!canonical.empty()) canonical += "|";
    canonical += s->canonical();
    chain->steps_.push_back(s);
    current = std::move(s);
  }
  if (current->sample_type() != output_type) {
    auto convert = std::make_shared<ConvertSource>(current, output_type);
    chain->steps_.push_back(convert);
    current = std::move(convert);
  }
  chain->output_ = std::move(current);
  chain->canonical_ = canonical.empty() ? "identity" : canonical;
  return chain;
}

int64_t PreprocessChain::PeakBytes(int64_t frames) const {
  int64_t total = 0;
  int64_t out_frames = std::min(frames, recording_frames_);
  for (size_t i = steps_.size(); i-- > 0;) {
    const PreprocessStep& step = *steps_[i];
    const int64_t in_frames = step.InputFrames(out_frames);
    int64_t own = step.ChunkBytes(out_frames);
    if (i > 0) {
      // The input is the previous step's output, counted there.
      const int64_t input =
          SaturatingMul(SaturatingMul(in_frames, channels_),
                        static_cast<int64_t>(SampleTypeSize(steps_[i - 1]->sample_type())));
      own = std::max<int64_t>(0, own - input);
    }
    total = SaturatingAdd(total, own);
    out_frames = in_frames;
  }
  if (steps_.empty()) {
    // The source's block itself (an empty chain passes it through).
    total = SaturatingMul(SaturatingMul(out_frames, channels_), 8);
  }
  return total;
}

}  // namespace neurofeat
