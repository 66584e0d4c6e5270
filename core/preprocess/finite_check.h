// File: finite_check.h
//
// CheckFinite(): refuses traces holding NaN or infinity, naming the first
// such sample. Filters would spread one NaN over the whole chunk, so the
// chain refuses such input: a leading filter step tells from its final state
// and calls this only to name the sample; other chains scan up front.
//
// Example:
//   NF_RETURN_IF_ERROR(CheckFinite(chunk, first_frame));
#ifndef NEUROFEAT_CORE_PREPROCESS_FINITE_CHECK_H_
#define NEUROFEAT_CORE_PREPROCESS_FINITE_CHECK_H_

#include <cstdint>

#include "absl/status/status.h"
#include "core/traces.h"

namespace neurofeat {

// CheckFinite() returns InvalidArgument naming the frame and channel of the
// first non-finite sample; `first_frame` numbers row 0. int16 is always OK.
absl::Status CheckFinite(const Traces& traces, int64_t first_frame);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_PREPROCESS_FINITE_CHECK_H_
