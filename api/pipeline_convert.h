// File: pipeline_convert.h (api: the neurofeat.v1 <-> core edge)
//
// Between the v1 API's Pipeline message (and its JSON form, the user-facing
// contract) and core's option structs. Parsing is strict: unknown keys,
// wrong types and missing required values are InvalidArgument errors naming
// the JSON path, what was expected there and what was given
// (`features[0].preprocessor: expected an object {"fn": …, "params": …},
// got a string ("spectral_preprocessor")`); an unknown key's message
// suggests the closest known key and lists them all.
//
// Example:
//   NF_ASSIGN_OR_RETURN(v1::Pipeline p, ParsePipelineJson(text));
//   NF_ASSIGN_OR_RETURN(ChainSpec chain, ToChainSpec(p));
#ifndef NEUROFEAT_API_PIPELINE_CONVERT_H_
#define NEUROFEAT_API_PIPELINE_CONVERT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/features/feature_tree.h"
#include "core/features/windows.h"
#include "core/job/pipeline_spec.h"
#include "core/preprocess/preprocess_chain.h"
#include "core/util/json.h"
#include "google/protobuf/struct.pb.h"
#include "neurofeat/v1/pipeline.pb.h"

namespace neurofeat::api {

// ParsePipelineJson() parses the pipeline contract with protobuf's JSON
// mapping (snake_case or lowerCamelCase keys, numbers also in strings, null
// for absent). The text is first checked against the messages' shape, so
// errors speak of JSON paths, never of protobuf's types. Errors:
// InvalidArgument: "pipeline: JSON: ..." (syntax, with the byte offset),
// "<path>: expected <what>, got <what>" (a string for an object, an object
// for a list, a number for a string, a fraction for an integer...),
// "<path>: unknown key; did you mean "<key>"? (known: ...)" (for a step:
// "unknown step"), two steps in one item of preprocess.
absl::StatusOr<v1::Pipeline> ParsePipelineJson(const std::string& json);

// ToChainSpec() turns the preprocess list into core options, filling in
// SpikeInterface's defaults and checking what can be checked without the
// recording (names of references, operators, directions; required fields).
absl::StatusOr<ChainSpec> ToChainSpec(const v1::Pipeline& pipeline);

// ToFeatureSpecs() converts the features tree for core's FeatureTree.
std::vector<FeatureNodeSpec> ToFeatureSpecs(const v1::Pipeline& pipeline);

// ToWindowSpec() reads the window (size required, stride default size,
// drop_last default true); nullopt when the pipeline has no window.
absl::StatusOr<std::optional<WindowSpec>> ToWindowSpec(const v1::Pipeline& pipeline);

// ToPipelineSpec() is all three.
absl::StatusOr<PipelineSpec> ToPipelineSpec(const v1::Pipeline& pipeline);

// PipelineToJson() is the pipeline as the JSON contract (proto field names).
std::string PipelineToJson(const v1::Pipeline& pipeline);

// ToJsonValue() converts protobuf's JSON value types into core's.
JsonValue ToJsonValue(const google::protobuf::Value& value);
JsonValue ToJsonValue(const google::protobuf::Struct& value);

}  // namespace neurofeat::api

#endif  // NEUROFEAT_API_PIPELINE_CONVERT_H_
