// File: preprocess_chain.h
//
// PreprocessChain: the ordered preprocess steps of a pipeline built over a
// source recording. Each step wraps the previous one, so a request for
// frames [start, end) of the chain's output pulls exactly the margins
// SpikeInterface would pull (they add up along the chain). Non-finite input
// samples are refused before any step sees them. Steps are made by name
// through a StepRegistry (step_registry.h), and each answers for its own
// margin and memory: the chain knows no step.
//
// Example:
//   ChainSpec spec;
//   spec.steps.push_back({"preprocess[0].bandpass", ButterworthOptions{}});
//   spec.steps.push_back({"preprocess[1].common_reference", CommonReferenceOptions{}});
//   NF_ASSIGN_OR_RETURN(auto chain, PreprocessChain::Build(spec, source,
//                                                          SampleType::kFloat32));
//   NF_ASSIGN_OR_RETURN(Traces t, chain->output().GetTraces(0, 30000));
#ifndef NEUROFEAT_CORE_PREPROCESS_PREPROCESS_CHAIN_H_
#define NEUROFEAT_CORE_PREPROCESS_PREPROCESS_CHAIN_H_

#include <memory>
#include <string>
#include <vector>

// The built-in steps' option structs, so that a spec can be written with
// them ({"preprocess[0].bandpass", ButterworthOptions{}}); the chain itself
// uses none of them.
#include "core/preprocess/common_reference_step.h"
#include "core/preprocess/filter_step.h"
#include "core/preprocess/phase_shift_step.h"
#include "core/preprocess/preprocess_step.h"
#include "core/preprocess/scale_step.h"
#include "core/preprocess/step_registry.h"
#include "core/source/trace_source.h"

namespace neurofeat {

struct PreprocessStepSpec {
  // Where the step sits in the pipeline, for messages:
  // "preprocess[0].bandpass".
  std::string path;
  // The step's options; they name the step (options.step_name()).
  StepOptions options;
};

struct ChainSpec {
  std::vector<PreprocessStepSpec> steps;
};

class PreprocessChain {
 public:
  // Build() creates every step over `source`, each made by the step of
  // `registry` its options name; each step outputs `output_type` (float32
  // or int16).
  // Errors: InvalidArgument for a step `registry` does not know (naming it
  // and listing the known ones), or from the first step whose options do
  // not fit the recording (naming the step path, field and value).
  static absl::StatusOr<std::unique_ptr<PreprocessChain>> Build(
      const ChainSpec& spec, std::shared_ptr<const TraceSource> source, SampleType output_type,
      const StepRegistry& registry = StepRegistry::Default());

  // output() is the last step (or the converted source for an empty chain).
  const TraceSource& output() const { return *output_; }
  std::shared_ptr<const TraceSource> shared_output() const { return output_; }
  // canonical() lists the steps with defaults filled in, e.g.
  // "bandpass(...)|common_reference(...)".
  const std::string& canonical() const { return canonical_; }
  // margin_frames() is the extra frames a request pulls on each side, at
  // most (the filters' margins add up through the chain).
  int64_t margin_frames() const { return margin_frames_; }

  // PeakBytes() is the most memory one GetTraces() call of `frames` frames
  // on output() holds, counting the blocks the buffer pool keeps: a step's
  // blocks go back to the pool when it returns and wait there for the same
  // step of the next chunk, so a chain holds every step's working copies
  // and output at once, not only its largest step's. It is the source's
  // read (the first step's input) plus each step's ChunkBytes() without
  // its input (the step before it's output), each step asked for the
  // frames the step after it pulls (margins added, clipped to the
  // recording). Saturates (no estimate wraps).
  int64_t PeakBytes(int64_t frames) const;

 private:
  // The steps, first first, and a last conversion to the output type when
  // the last step (or the source) outputs another.
  std::vector<std::shared_ptr<const PreprocessStep>> steps_;
  int64_t channels_ = 0;
  int64_t recording_frames_ = 0;
  int64_t margin_frames_ = 0;
  std::shared_ptr<const TraceSource> output_;
  std::string canonical_;
};

// FiniteCheckSource wraps a float source and refuses blocks holding NaN or
// infinity with InvalidArgument naming the frame and channel.
class FiniteCheckSource final : public TraceSource {
 public:
  explicit FiniteCheckSource(std::shared_ptr<const TraceSource> parent)
      : parent_(std::move(parent)) {}
  const RecordingInfo& info() const override { return parent_->info(); }
  int64_t num_frames() const override { return parent_->num_frames(); }
  SampleType sample_type() const override { return parent_->sample_type(); }
  absl::StatusOr<Traces> GetTraces(int64_t start, int64_t end) const override;

 private:
  std::shared_ptr<const TraceSource> parent_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_PREPROCESS_PREPROCESS_CHAIN_H_
