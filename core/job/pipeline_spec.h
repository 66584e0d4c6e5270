// File: pipeline_spec.h
//
// PipelineSpec: the pipeline of a request as core takes it: the preprocess
// chain, the window (continuous input), the feature tree. The API edge
// converts the neurofeat.v1.Pipeline (and its JSON form) into one.
#ifndef NEUROFEAT_CORE_JOB_PIPELINE_SPEC_H_
#define NEUROFEAT_CORE_JOB_PIPELINE_SPEC_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "core/features/feature_tree.h"
#include "core/features/windows.h"
#include "core/preprocess/preprocess_chain.h"

namespace neurofeat {

// kMaxPreprocessSteps bounds a chain: each step adds its margins to every
// chunk read, and no real chain has more than a handful.
inline constexpr int64_t kMaxPreprocessSteps = 64;

struct PipelineSpec {
  ChainSpec chain;
  std::optional<WindowSpec> window;
  std::vector<FeatureNodeSpec> features;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_JOB_PIPELINE_SPEC_H_
