#include "core/preprocess/preprocess_chain.h"

#include <cmath>
#include <variant>

#include "absl/strings/str_cat.h"
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
  for (const PreprocessStepSpec& step : spec.steps) {
    std::string step_canonical;
    if (const auto* bw = std::get_if<ButterworthOptions>(&step.options)) {
      NF_ASSIGN_OR_RETURN(auto s,
                          FilterStep::CreateButterworth(*bw, current, output_type, step.path));
      step_canonical = s->canonical();
      chain->margin_frames_ += s->margin_samples();
      current = std::move(s);
    } else if (const auto* notch = std::get_if<NotchOptions>(&step.options)) {
      NF_ASSIGN_OR_RETURN(auto s, FilterStep::CreateNotch(*notch, current, output_type, step.path));
      step_canonical = s->canonical();
      chain->margin_frames_ += s->margin_samples();
      current = std::move(s);
    } else if (const auto* cr = std::get_if<CommonReferenceOptions>(&step.options)) {
      NF_ASSIGN_OR_RETURN(auto s,
                          CommonReferenceStep::Create(*cr, current, output_type, step.path));
      step_canonical = s->canonical();
      current = std::move(s);
    } else if (const auto* sc = std::get_if<ScaleOptions>(&step.options)) {
      NF_ASSIGN_OR_RETURN(auto s, ScaleStep::Create(*sc, current, output_type, step.path));
      step_canonical = s->canonical();
      current = std::move(s);
    }
    if (!canonical.empty()) canonical += "|";
    canonical += step_canonical;
  }
  if (current->sample_type() != output_type) {
    current = std::make_shared<ConvertSource>(current, output_type);
  }
  chain->output_ = std::move(current);
  chain->canonical_ = canonical.empty() ? "identity" : canonical;
  return chain;
}

}  // namespace neurofeat
