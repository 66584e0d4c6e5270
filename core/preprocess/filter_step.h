// File: filter_step.h
//
// FilterStep: a zero-phase (or one-directional) IIR filter over its parent,
// with SpikeInterface's chunk semantics: GetTraces(start, end) fetches
// [start - margin, end + margin) clipped at the recording edges, filters
// that block with scipy's sosfiltfilt/filtfilt, and crops. Butterworth
// variants (bandpass, highpass, lowpass, bandstop) and the notch only differ
// in the coefficients they design.
//
// Example:
//   ButterworthOptions opt;  // bandpass 300-6000 Hz, order 5
//   NF_ASSIGN_OR_RETURN(auto step,
//       FilterStep::CreateButterworth(opt, parent, SampleType::kFloat32,
//                                     "preprocess[0].bandpass"));
#ifndef NEUROFEAT_CORE_PREPROCESS_FILTER_STEP_H_
#define NEUROFEAT_CORE_PREPROCESS_FILTER_STEP_H_

#include <memory>
#include <optional>
#include <string>

#include "core/dsp/iir_design.h"
#include "core/dsp/iir_filter.h"
#include "core/preprocess/preprocess_step.h"
#include "core/source/trace_source.h"
#include "core/util/json.h"

namespace neurofeat {

// ButterworthOptions: SpikeInterface's bandpass_filter / highpass_filter
// parameters (plus lowpass and bandstop).
struct ButterworthOptions {
  // Which band. Default: kBandpass (SpikeInterface bandpass_filter).
  BandType band = BandType::kBandpass;
  // Lower corner in Hz (bandpass, highpass, bandstop). Default: 300
  // (SpikeInterface).
  double freq_min_hz = 300.0;
  // Upper corner in Hz (bandpass, lowpass, bandstop), below Nyquist.
  // Default: 6000 (SpikeInterface).
  double freq_max_hz = 6000.0;
  // Butterworth order, 1..10. Default: 5 (SpikeInterface).
  int filter_order = 5;
  // Margin on each side of a chunk in ms; nullopt means "auto": five periods
  // of the lowest corner, 5 * 1000 / f ms. Default: auto.
  std::optional<double> margin_ms;
  // Default: forward-backward (scipy sosfiltfilt), as SpikeInterface.
  FilterDirection direction = FilterDirection::kForwardBackward;

  // step_name() is the step these options configure: "bandpass",
  // "highpass", "lowpass" or "bandstop", by `band`.
  std::string step_name() const;
};

// NotchOptions: SpikeInterface's notch_filter (scipy iirnotch + filtfilt).
struct NotchOptions {
  // Centre frequency in Hz, inside (0, Nyquist). Required.
  double freq_hz = 0.0;
  // Quality factor, > 0. Default: 30 (SpikeInterface).
  double q = 30.0;
  // nullopt means "auto": 5 time constants of the notch, 5 * q / (pi * f)
  // seconds. Default: auto.
  std::optional<double> margin_ms;
  FilterDirection direction = FilterDirection::kForwardBackward;

  std::string step_name() const { return "notch"; }
};

class FilterStep final : public PreprocessStep {
 public:
  // CreateButterworth() validates `options` against the parent's sampling
  // rate. `path` names the step in error messages ("preprocess[0].bandpass").
  // Errors: InvalidArgument naming the field and value (corner at or above
  // Nyquist, freq_min >= freq_max, order outside 1..10, negative margin).
  static absl::StatusOr<std::unique_ptr<FilterStep>> CreateButterworth(
      const ButterworthOptions& options, std::shared_ptr<const TraceSource> parent,
      SampleType output_type, const std::string& path);
  static absl::StatusOr<std::unique_ptr<FilterStep>> CreateNotch(
      const NotchOptions& options, std::shared_ptr<const TraceSource> parent,
      SampleType output_type, const std::string& path);

  const RecordingInfo& info() const override { return parent_->info(); }
  int64_t num_frames() const override { return parent_->num_frames(); }
  SampleType sample_type() const override { return output_type_; }
  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override;

  // margin_samples() is the margin fetched on each side of a request.
  int64_t margin_samples() const override { return margin_samples_; }
  const IirFilter& filter() const { return filter_; }
  // canonical() describes the step with every default filled in, for cache
  // keys and provenance.
  const std::string& canonical() const override { return canonical_; }
  // ChunkBytes(): the parent's block with margins, the output, and the
  // float64 stripes of each filter task the calling arena runs at once
  // (ApplyIirFilterTaskBytes()).
  int64_t ChunkBytes(int64_t frames) const override;

 private:
  FilterStep(std::shared_ptr<const TraceSource> parent, IirFilter filter, FilterDirection dir,
             int64_t margin, SampleType output_type, std::string path, std::string canonical)
      : parent_(std::move(parent)),
        filter_(std::move(filter)),
        direction_(dir),
        margin_samples_(margin),
        output_type_(output_type),
        path_(std::move(path)),
        canonical_(std::move(canonical)) {}

  std::shared_ptr<const TraceSource> parent_;
  IirFilter filter_;
  FilterDirection direction_;
  int64_t margin_samples_;
  SampleType output_type_;
  std::string path_;
  std::string canonical_;
};

// FilterDirectionName() returns "forward-backward", "forward" or "backward".
const char* FilterDirectionName(FilterDirection direction);
// ParseFilterDirection() accepts those names; otherwise InvalidArgument
// naming `field`.
absl::StatusOr<FilterDirection> ParseFilterDirection(const std::string& name,
                                                     const std::string& field);

// ParseButterworthOptions() reads the options of the `band` step from JSON
// (the v1 BandpassStep, HighpassStep, LowpassStep or BandstopStep message:
// freq_min, freq_max, filter_order, margin_ms, direction), with the
// defaults above; lowpass needs freq_max, bandstop both corners.
// ParseNotchOptions() reads a NotchStep (freq required, q, margin_ms,
// direction). margin_ms is a number of ms, or "auto" or null for the
// default.
// Errors: InvalidArgument naming `path`, the field and the value.
absl::StatusOr<ButterworthOptions> ParseButterworthOptions(BandType band, const JsonValue& json,
                                                           const std::string& path);
absl::StatusOr<NotchOptions> ParseNotchOptions(const JsonValue& json, const std::string& path);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_PREPROCESS_FILTER_STEP_H_
