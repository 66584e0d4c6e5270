#include "core/preprocess/filter_step.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/checked_math.h"
#include "core/preprocess/finite_check.h"
#include "core/preprocess/step_json_reader.h"
#include "core/preprocess/step_registry.h"
#include "core/status_macros.h"
#include "tbb/task_arena.h"

namespace neurofeat {
namespace {

const char* BandName(BandType band) {
  switch (band) {
    case BandType::kBandpass:
      return "bandpass";
    case BandType::kHighpass:
      return "highpass";
    case BandType::kLowpass:
      return "lowpass";
    case BandType::kBandstop:
      return "bandstop";
  }
  return "?";
}

absl::Status CheckCorner(double f, const std::string& field, double fs) {
  const double nyquist = fs / 2;
  if (!std::isfinite(f) || f <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, "=", f, " must be a positive frequency in Hz"));
  }
  if (f >= nyquist) {
    return absl::InvalidArgumentError(absl::StrCat(field, "=", f, " is at or above Nyquist (",
                                                   nyquist, " Hz at a sampling rate of ", fs,
                                                   " Hz)"));
  }
  return absl::OkStatus();
}

// `auto_field` is the corner the automatic margin derives from, named when
// that margin is out of range (a user sets the corner, not the margin).
absl::StatusOr<int64_t> MarginSamples(std::optional<double> margin_ms, double auto_ms, double fs,
                                      const std::string& path, const std::string& auto_field,
                                      double auto_value) {
  double ms = auto_ms;
  if (margin_ms.has_value()) {
    if (!std::isfinite(*margin_ms) || *margin_ms < 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".margin_ms=", *margin_ms,
                                                     " must be a non-negative number or \"auto\""));
    }
    ms = *margin_ms;
  }
  // SpikeInterface: int(margin_ms * fs / 1000), truncating.
  absl::StatusOr<int64_t> frames =
      DoubleToCount(ms * fs / 1000.0, absl::StrCat(path, ".margin_ms=", ms, " ms in frames"));
  if (!frames.ok() && !margin_ms.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(auto_field, "=", auto_value, " is too low: the margin derived from it (", ms,
                     " ms) is out of range; raise it or set ", path, ".margin_ms"));
  }
  return frames;
}

// margin_ms: a non-negative number of ms, or "auto" (or null) for the
// default, which leaves `margin_ms` empty.
absl::Status ReadMarginMs(StepJsonReader& reader, std::optional<double>* margin_ms) {
  const JsonValue* v = reader.Value("margin_ms");
  if (v == nullptr || v->is_null() || (v->is_string() && v->string_value() == "auto")) {
    *margin_ms = std::nullopt;
    return absl::OkStatus();
  }
  const std::string field = reader.Field("margin_ms");
  if (v->is_number()) {
    if (!std::isfinite(v->number_value()) || v->number_value() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "=", v->number_value(), " must be a non-negative number of ms"));
    }
    *margin_ms = v->number_value();
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, "=", ToCanonicalJson(*v), " must be a number of ms or \"auto\""));
}

absl::Status ReadDirection(StepJsonReader& reader, FilterDirection* direction) {
  std::string name;
  const bool given = reader.Has("direction");
  NF_RETURN_IF_ERROR(reader.String("direction", &name));
  if (given) {
    NF_ASSIGN_OR_RETURN(*direction, ParseFilterDirection(name, reader.Field("direction")));
  }
  return absl::OkStatus();
}

}  // namespace

std::string ButterworthOptions::step_name() const { return BandName(band); }

const char* FilterDirectionName(FilterDirection direction) {
  switch (direction) {
    case FilterDirection::kForwardBackward:
      return "forward-backward";
    case FilterDirection::kForward:
      return "forward";
    case FilterDirection::kBackward:
      return "backward";
  }
  return "?";
}

absl::StatusOr<FilterDirection> ParseFilterDirection(const std::string& name,
                                                     const std::string& field) {
  if (name == "forward-backward") return FilterDirection::kForwardBackward;
  if (name == "forward") return FilterDirection::kForward;
  if (name == "backward") return FilterDirection::kBackward;
  return absl::InvalidArgumentError(absl::StrCat(
      field, "=\"", name, "\" is not a direction (forward-backward, forward, backward)"));
}

absl::StatusOr<ButterworthOptions> ParseButterworthOptions(BandType band, const JsonValue& json,
                                                           const std::string& path) {
  StepJsonReader reader(json, path);
  ButterworthOptions options;
  options.band = band;
  const bool uses_min = band != BandType::kLowpass;
  const bool uses_max = band != BandType::kHighpass;
  // SpikeInterface's defaults fill the corners of bandpass and highpass;
  // the others have none.
  if (band == BandType::kBandstop) NF_RETURN_IF_ERROR(reader.Required("freq_min"));
  if (band == BandType::kLowpass || band == BandType::kBandstop) {
    NF_RETURN_IF_ERROR(reader.Required("freq_max"));
  }
  if (uses_min) NF_RETURN_IF_ERROR(reader.Number("freq_min", &options.freq_min_hz));
  if (uses_max) NF_RETURN_IF_ERROR(reader.Number("freq_max", &options.freq_max_hz));
  NF_RETURN_IF_ERROR(reader.Int("filter_order", &options.filter_order));
  NF_RETURN_IF_ERROR(ReadMarginMs(reader, &options.margin_ms));
  NF_RETURN_IF_ERROR(ReadDirection(reader, &options.direction));
  NF_RETURN_IF_ERROR(reader.Finish());
  return options;
}

absl::StatusOr<NotchOptions> ParseNotchOptions(const JsonValue& json, const std::string& path) {
  StepJsonReader reader(json, path);
  NotchOptions options;
  NF_RETURN_IF_ERROR(reader.Required("freq"));
  NF_RETURN_IF_ERROR(reader.Number("freq", &options.freq_hz));
  NF_RETURN_IF_ERROR(reader.Number("q", &options.q));
  NF_RETURN_IF_ERROR(ReadMarginMs(reader, &options.margin_ms));
  NF_RETURN_IF_ERROR(ReadDirection(reader, &options.direction));
  NF_RETURN_IF_ERROR(reader.Finish());
  return options;
}

void RegisterFilterSteps(StepRegistry& registry) {
  for (BandType band :
       {BandType::kBandpass, BandType::kHighpass, BandType::kLowpass, BandType::kBandstop}) {
    registry.Add(MakeStepRegistration<ButterworthOptions>(
        BandName(band),
        [band](const JsonValue& json, const std::string& path) {
          return ParseButterworthOptions(band, json, path);
        },
        &FilterStep::CreateButterworth, /*checks_finite_input=*/true));
  }
  registry.Add(MakeStepRegistration<NotchOptions>("notch", &ParseNotchOptions,
                                                  &FilterStep::CreateNotch,
                                                  /*checks_finite_input=*/true));
}

absl::StatusOr<std::unique_ptr<FilterStep>> FilterStep::CreateButterworth(
    const ButterworthOptions& options, std::shared_ptr<const TraceSource> parent,
    SampleType output_type, const std::string& path) {
  const double fs = parent->info().sampling_rate_hz;
  const bool uses_min = options.band != BandType::kLowpass;
  const bool uses_max = options.band != BandType::kHighpass;
  if (options.filter_order < 1 || options.filter_order > 10) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".filter_order=", options.filter_order,
                                                   " is outside the supported range 1..10"));
  }
  if (uses_min) NF_RETURN_IF_ERROR(CheckCorner(options.freq_min_hz, path + ".freq_min", fs));
  if (uses_max) NF_RETURN_IF_ERROR(CheckCorner(options.freq_max_hz, path + ".freq_max", fs));
  if (uses_min && uses_max && !(options.freq_min_hz < options.freq_max_hz)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".freq_min=", options.freq_min_hz,
                                                   " must be below ", path,
                                                   ".freq_max=", options.freq_max_hz));
  }
  const double f1 = uses_min ? options.freq_min_hz : options.freq_max_hz;
  const double f2 = options.freq_max_hz;
  absl::StatusOr<SosFilter> sos = DesignButterworth(options.filter_order, options.band, f1, f2, fs);
  if (!sos.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", sos.status().message()));
  }
  const double lowest = uses_min ? options.freq_min_hz : options.freq_max_hz;
  NF_ASSIGN_OR_RETURN(int64_t margin,
                      MarginSamples(options.margin_ms, 5 * 1000 / lowest, fs, path,
                                    path + (uses_min ? ".freq_min" : ".freq_max"), lowest));
  std::string canonical = absl::StrFormat(
      "%s(freq_min=%.17g,freq_max=%.17g,filter_order=%d,margin_samples=%d,direction=%s,dtype=%s)",
      BandName(options.band), uses_min ? options.freq_min_hz : 0.0,
      uses_max ? options.freq_max_hz : 0.0, options.filter_order, margin,
      FilterDirectionName(options.direction), SampleTypeName(output_type));
  return std::unique_ptr<FilterStep>(new FilterStep(std::move(parent), IirFilter::FromSos(*sos),
                                                    options.direction, margin, output_type, path,
                                                    std::move(canonical)));
}

absl::StatusOr<std::unique_ptr<FilterStep>> FilterStep::CreateNotch(
    const NotchOptions& options, std::shared_ptr<const TraceSource> parent, SampleType output_type,
    const std::string& path) {
  const double fs = parent->info().sampling_rate_hz;
  NF_RETURN_IF_ERROR(CheckCorner(options.freq_hz, path + ".freq", fs));
  if (!std::isfinite(options.q) || options.q <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".q=", options.q, " must be positive"));
  }
  absl::StatusOr<BaFilter> ba = DesignNotch(options.freq_hz, options.q, fs);
  if (!ba.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", ba.status().message()));
  const double auto_ms = 5.0 / std::numbers::pi * (options.q / options.freq_hz) * 1000.0;
  NF_ASSIGN_OR_RETURN(int64_t margin, MarginSamples(options.margin_ms, auto_ms, fs, path,
                                                    path + ".freq", options.freq_hz));
  std::string canonical = absl::StrFormat(
      "notch(freq=%.17g,q=%.17g,margin_samples=%d,direction=%s,dtype=%s)", options.freq_hz,
      options.q, margin, FilterDirectionName(options.direction), SampleTypeName(output_type));
  return std::unique_ptr<FilterStep>(new FilterStep(std::move(parent), IirFilter::FromBa(*ba),
                                                    options.direction, margin, output_type, path,
                                                    std::move(canonical)));
}

int64_t FilterStep::ChunkBytes(int64_t frames) const {
  const int64_t blocks =
      ChunkBytesFor(frames, {.input = static_cast<int64_t>(SampleTypeSize(parent_->sample_type())),
                             .work = 0,
                             .output = static_cast<int64_t>(SampleTypeSize(output_type_))});
  const int64_t tasks = std::max(1, tbb::this_task_arena::max_concurrency());
  return SaturatingAdd(blocks, SaturatingMul(tasks, ApplyIirFilterTaskBytes(filter_, direction_,
                                                                            InputFrames(frames))));
}

absl::StatusOr<Traces> FilterStep::GetTraces(int64_t start, int64_t end) const {
  NF_RETURN_IF_ERROR(CheckFrameRange(start, end, num_frames()));
  const int64_t left = std::min(start, margin_samples_);
  const int64_t right = std::min(num_frames() - end, margin_samples_);
  NF_ASSIGN_OR_RETURN(Traces in, parent_->GetTraces(start - left, end + right));
  Traces out = Traces::Uninitialized(output_type_, end - start, in.channels());
  bool finite = true;
  absl::Status status =
      ApplyIirFilter(filter_, direction_, in, left, left + (end - start), &out, &finite);
  if (!status.ok()) {
    return absl::Status(
        status.code(), absl::StrCat(path_, ": ", status.message(), " (frames [", start - left, ", ",
                                    end + right, ") of a recording of ", num_frames(), " frames)"));
  }
  if (!finite) {
    // Only now is the input scanned, to name the sample.
    NF_RETURN_IF_ERROR(CheckFinite(in, start - left));
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": the filtered traces overflowed to infinity in frames [",
                     start - left, ", ", end + right, ")"));
  }
  return out;
}

}  // namespace neurofeat
