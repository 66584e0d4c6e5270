// File: fit_pipeline.h
//
// FitPipeline(): fits the trainable nodes of a pipeline (EEGDash's
// CommonSpatialPattern) on labelled windows and writes each model into its
// node's params ("fitted"), so that the result is a pipeline like any other.
// The CLI's `fit` and the server's Fit RPC both call it.
//
// Example:
//   NF_ASSIGN_OR_RETURN(JsonValue p, ParseJson(text));
//   NF_ASSIGN_OR_RETURN(std::vector<std::string> report,
//                       FitPipeline(&p, windows, labels, channel_names));
//   std::string fitted = ToCanonicalJson(p);
#ifndef NEUROFEAT_CORE_FEATURES_FIT_PIPELINE_H_
#define NEUROFEAT_CORE_FEATURES_FIT_PIPELINE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/features/windows.h"
#include "core/util/json.h"

namespace neurofeat {

// Fits every trainable node that reads the windows themselves; returns one
// line per fitted node ("features.csp: 4 filters, eigenvalues ..."). Errors
// name the node: labels not one per window or not two classes
// (InvalidArgument), a trainable node below a preprocessor (Unimplemented),
// no trainable node at all (InvalidArgument); Cancelled once `cancelled`
// (polled between windows; may be empty) returns true.
// IsTrainableNode() is true for a pipeline node FitPipeline() fits (its
// "fn" is CommonSpatialPattern).
bool IsTrainableNode(const JsonValue& node);

absl::StatusOr<std::vector<std::string>> FitPipeline(JsonValue* pipeline, const Windows& windows,
                                                     const std::vector<int64_t>& labels,
                                                     const std::vector<std::string>& channels,
                                                     const std::function<bool()>& cancelled = {});

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_FIT_PIPELINE_H_
