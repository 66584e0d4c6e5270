// File: scale_step.h
//
// ScaleStep: the affine conversion of raw samples to physical units,
// y = x * gain + offset (float64 arithmetic, then cast), with one gain and
// offset for all channels or one per channel, as SpikeInterface's scale().
//
// Example:
//   ScaleOptions opt{.gain = {0.195}, .offset = {0}};
//   NF_ASSIGN_OR_RETURN(auto step, ScaleStep::Create(opt, parent,
//       SampleType::kFloat32, "preprocess[0].scale"));
#ifndef NEUROFEAT_CORE_PREPROCESS_SCALE_STEP_H_
#define NEUROFEAT_CORE_PREPROCESS_SCALE_STEP_H_

#include <memory>
#include <string>
#include <vector>

#include "core/preprocess/preprocess_step.h"
#include "core/source/trace_source.h"
#include "core/util/json.h"

namespace neurofeat {

struct ScaleOptions {
  // One value, or one per channel. Default: {1}.
  std::vector<double> gain = {1.0};
  // One value, or one per channel. Default: {0}.
  std::vector<double> offset = {0.0};

  std::string step_name() const { return "scale"; }
};

// ParseScaleOptions() reads a v1 ScaleStep from JSON (gain, offset: lists
// of numbers; absent or empty keeps the default).
// Errors: InvalidArgument naming `path`, the field and the value.
absl::StatusOr<ScaleOptions> ParseScaleOptions(const JsonValue& json, const std::string& path);

class ScaleStep final : public PreprocessStep {
 public:
  // Errors: InvalidArgument if gain/offset has neither 1 nor num_channels
  // values, or a value is not finite.
  static absl::StatusOr<std::unique_ptr<ScaleStep>> Create(
      const ScaleOptions& options, std::shared_ptr<const TraceSource> parent,
      SampleType output_type, const std::string& path);

  const RecordingInfo& info() const override { return parent_->info(); }
  int64_t num_frames() const override { return parent_->num_frames(); }
  SampleType sample_type() const override { return output_type_; }
  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override;
  const std::string& canonical() const override { return canonical_; }
  int64_t margin_samples() const override { return 0; }
  // ChunkBytes(): the parent's block and the output.
  int64_t ChunkBytes(int64_t frames) const override;

 private:
  ScaleStep() = default;
  std::shared_ptr<const TraceSource> parent_;
  std::vector<double> gain_;    // per channel
  std::vector<double> offset_;  // per channel
  SampleType output_type_ = SampleType::kFloat32;
  std::string canonical_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_PREPROCESS_SCALE_STEP_H_
