#include "core/preprocess/preprocess_step.h"

#include <algorithm>

#include "core/checked_math.h"

namespace neurofeat {

int64_t PreprocessStep::InputFrames(int64_t frames) const {
  return std::min(num_frames(), SaturatingAdd(frames, SaturatingMul(2, margin_samples())));
}

int64_t PreprocessStep::ChunkBytesFor(int64_t frames, const StepSampleBytes& bytes) const {
  const int64_t in_frames = InputFrames(frames);
  const int64_t per_in = SaturatingAdd(bytes.input, bytes.work);
  return SaturatingMul(num_channels(), SaturatingAdd(SaturatingMul(in_frames, per_in),
                                                     SaturatingMul(frames, bytes.output)));
}

}  // namespace neurofeat
