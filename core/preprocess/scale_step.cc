#include "core/preprocess/scale_step.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/preprocess/step_json_reader.h"
#include "core/preprocess/step_registry.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

absl::StatusOr<std::vector<double>> PerChannel(const std::vector<double>& values, int64_t channels,
                                               const std::string& field) {
  if (values.size() != 1 && values.size() != static_cast<size_t>(channels)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " has ", values.size(), " values; give 1 or one per channel (", channels, ")"));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "]=", values[i], " is not finite"));
    }
  }
  if (values.size() == 1) return std::vector<double>(static_cast<size_t>(channels), values[0]);
  return values;
}

template <typename In, typename Out>
void ScaleRows(const Traces& in, const std::vector<double>& gain, const std::vector<double>& offset,
               Traces* out) {
  const In* x = in.data<In>();
  Out* y = out->data<Out>();
  const int64_t c = in.channels();
  for (int64_t t = 0; t < in.frames(); ++t) {
    for (int64_t j = 0; j < c; ++j) {
      const double v = static_cast<double>(x[t * c + j]) * gain[j] + offset[j];
      if constexpr (std::is_same_v<Out, int16_t>) {
        y[t * c + j] = SaturatingRoundToInt16(v);
      } else {
        y[t * c + j] = static_cast<Out>(v);
      }
    }
  }
}

template <typename Out>
void ScaleFrom(const Traces& in, const std::vector<double>& g, const std::vector<double>& o,
               Traces* out) {
  switch (in.type()) {
    case SampleType::kInt16:
      return ScaleRows<int16_t, Out>(in, g, o, out);
    case SampleType::kFloat32:
      return ScaleRows<float, Out>(in, g, o, out);
    case SampleType::kFloat64:
      return ScaleRows<double, Out>(in, g, o, out);
  }
}

}  // namespace

absl::StatusOr<ScaleOptions> ParseScaleOptions(const JsonValue& json, const std::string& path) {
  StepJsonReader reader(json, path);
  ScaleOptions options;
  std::vector<double> gain, offset;
  NF_RETURN_IF_ERROR(reader.Numbers("gain", &gain));
  NF_RETURN_IF_ERROR(reader.Numbers("offset", &offset));
  if (!gain.empty()) options.gain = std::move(gain);
  if (!offset.empty()) options.offset = std::move(offset);
  NF_RETURN_IF_ERROR(reader.Finish());
  return options;
}

void RegisterScaleStep(StepRegistry& registry) {
  registry.Add(MakeStepRegistration<ScaleOptions>("scale", &ParseScaleOptions, &ScaleStep::Create));
}

int64_t ScaleStep::ChunkBytes(int64_t frames) const {
  return ChunkBytesFor(frames,
                       {.input = static_cast<int64_t>(SampleTypeSize(parent_->sample_type())),
                        .work = 0,
                        .output = static_cast<int64_t>(SampleTypeSize(output_type_))});
}

absl::StatusOr<std::unique_ptr<ScaleStep>> ScaleStep::Create(
    const ScaleOptions& options, std::shared_ptr<const TraceSource> parent, SampleType output_type,
    const std::string& path) {
  auto step = std::unique_ptr<ScaleStep>(new ScaleStep());
  const int64_t channels = parent->num_channels();
  NF_ASSIGN_OR_RETURN(step->gain_, PerChannel(options.gain, channels, path + ".gain"));
  NF_ASSIGN_OR_RETURN(step->offset_, PerChannel(options.offset, channels, path + ".offset"));
  step->output_type_ = output_type;
  step->canonical_ = absl::StrCat("scale(gain=[", absl::StrJoin(options.gain, ","), "],offset=[",
                                  absl::StrJoin(options.offset, ","),
                                  "],dtype=", SampleTypeName(output_type), ")");
  step->parent_ = std::move(parent);
  return step;
}

absl::StatusOr<Traces> ScaleStep::GetTraces(int64_t start, int64_t end) const {
  NF_ASSIGN_OR_RETURN(Traces in, parent_->GetTraces(start, end));
  Traces out = Traces::Uninitialized(output_type_, in.frames(), in.channels());
  switch (output_type_) {
    case SampleType::kInt16:
      ScaleFrom<int16_t>(in, gain_, offset_, &out);
      break;
    case SampleType::kFloat32:
      ScaleFrom<float>(in, gain_, offset_, &out);
      break;
    case SampleType::kFloat64:
      ScaleFrom<double>(in, gain_, offset_, &out);
      break;
  }
  return out;
}

}  // namespace neurofeat
