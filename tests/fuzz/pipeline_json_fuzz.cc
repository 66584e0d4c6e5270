// Fuzz target: the pipeline JSON contract, from text to a chain and a
// feature tree compiled against a small recording (every parameter, band
// and size check), and core's own JSON parser on the same text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/pipeline_convert.h"
#include "core/features/feature_tree.h"
#include "core/preprocess/preprocess_chain.h"
#include "core/source/in_memory_source.h"
#include "core/util/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace neurofeat;
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<JsonValue> json = ParseJson(text);
  if (json.ok()) (void)ToCanonicalJson(*json);
  absl::StatusOr<v1::Pipeline> pipeline = api::ParsePipelineJson(text);
  if (!pipeline.ok()) return 0;
  absl::StatusOr<PipelineSpec> spec = api::ToPipelineSpec(*pipeline);
  if (!spec.ok()) return 0;
  RecordingInfo info;
  info.sampling_rate_hz = 256;
  info.channel_ids = {"a", "b", "c"};
  for (int c = 0; c < 3; ++c) info.channel_locations.push_back({0.0, 20.0 * c});
  auto source = std::make_shared<InMemorySource>(Traces::Zeros(SampleType::kFloat32, 2048, 3), info);
  (void)PreprocessChain::Build(spec->chain, source, SampleType::kFloat32);
  SignalInfo signal;
  signal.fs = 256;
  signal.channels = info.channel_ids;
  (void)FeatureTree::Build(spec->features, signal, spec->window ? spec->window->size : 256);
  return 0;
}
