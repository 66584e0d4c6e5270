// File: preprocess_step.h
//
// PreprocessStep: what every step of a preprocess chain is. A step is a
// TraceSource over its parent (SpikeInterface's pattern: it pulls
// [start - margin, end + margin) from the parent, transforms, crops) that
// also answers for itself what a chain needs to know about it: its canonical
// form (cache keys, provenance), its margin, and the memory one call holds.
// The chain asks; it knows no step by name or type (see step_registry.h for
// how steps are made).
//
// Example:
//   const PreprocessStep& step = ...;
//   int64_t pulled = step.InputFrames(30000);   // 30000 + 2 * margin, clipped
//   int64_t bytes = step.ChunkBytes(30000);     // the step's peak for 1 s
#ifndef NEUROFEAT_CORE_PREPROCESS_PREPROCESS_STEP_H_
#define NEUROFEAT_CORE_PREPROCESS_PREPROCESS_STEP_H_

#include <cstdint>
#include <string>

#include "core/source/trace_source.h"

namespace neurofeat {

// StepSampleBytes: what one GetTraces() call of a step holds, in bytes per
// sample (one frame of one channel).
struct StepSampleBytes {
  // The parent's block, margins included: per input sample.
  int64_t input = 0;
  // Working copies (float64 stripes, transposed copies...): per input
  // sample.
  int64_t work = 0;
  // The step's own output: per output sample.
  int64_t output = 0;
};

class PreprocessStep : public TraceSource {
 public:
  // canonical() describes the step with every default filled in, e.g.
  // "scale(gain=[0.195],offset=[0],dtype=float32)". It is part of every
  // cache descriptor: it must not change for the same options.
  virtual const std::string& canonical() const = 0;

  // margin_samples() is the number of frames pulled from the parent on each
  // side of a request (0 for steps that work frame by frame).
  virtual int64_t margin_samples() const = 0;

  // ChunkBytes() is the most memory one GetTraces() call of `frames` output
  // frames holds in this step at once (its parent's block with margins, its
  // working copies, its output), not counting what its parent holds.
  // Saturates at INT64_MAX. REQUIRES 0 <= frames <= num_frames().
  virtual int64_t ChunkBytes(int64_t frames) const = 0;

  // InputFrames() is how many frames a call for `frames` frames pulls from
  // the parent: frames + 2 * margin_samples(), clipped to the recording.
  int64_t InputFrames(int64_t frames) const;

 protected:
  // ChunkBytesFor() is the usual ChunkBytes(): channels x (InputFrames(frames)
  // x (input + work) + frames x output), saturating.
  int64_t ChunkBytesFor(int64_t frames, const StepSampleBytes& bytes) const;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_PREPROCESS_PREPROCESS_STEP_H_
