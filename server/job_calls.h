// File: job_calls.h
//
// The plans of the two job RPCs: a request becomes a job (api/ + core/job),
// its working set and a producer of response batches, which StreamCall runs.
// Run on the compute arena (they validate, open files and may hash them).
#ifndef NEUROFEAT_SERVER_JOB_CALLS_H_
#define NEUROFEAT_SERVER_JOB_CALLS_H_

#include <functional>

#include "absl/status/statusor.h"
#include "neurofeat/v1/service.pb.h"
#include "server/neurofeat_service.h"
#include "server/stream_call.h"
#include "server/unary_call.h"

namespace neurofeat::server {

using ExtractCall = StreamCall<v1::ExtractResponse>;
using PreprocessCall = StreamCall<v1::PreprocessResponse>;

// REQUIRES (both): `request` outlives the plan's producer.
absl::StatusOr<ExtractCall::Plan> PlanExtract(const v1::ExtractRequest& request,
                                              std::function<bool()> cancelled,
                                              const ServiceDeps& deps);
absl::StatusOr<PreprocessCall::Plan> PlanPreprocess(const v1::PreprocessRequest& request,
                                                    std::function<bool()> cancelled,
                                                    const ServiceDeps& deps);

using FitCall = UnaryJobCall<v1::FitResponse>;

// PlanFit() makes the Fit job (core/job/fit_job.h): its working set is
// admitted like any request's (a fit larger than the budget is refused at
// once), and `cancelled` stops it between windows. REQUIRES: `request`
// outlives the plan's run.
absl::StatusOr<FitCall::Plan> PlanFit(const v1::FitRequest& request,
                                      std::function<bool()> cancelled, const ServiceDeps& deps);

using PlanBidsCall = UnaryJobCall<v1::PlanBidsResponse>;

// PlanPlanBids() admits a BIDS plan like any request: its working set is
// what planning holds of the dataset (PlanBidsWorkingSetBytes), and the
// plan lists the dataset through the path policy and makes each
// recording's error message public by `errors`. REQUIRES: `request`
// outlives the plan's run.
absl::StatusOr<PlanBidsCall::Plan> PlanPlanBids(const v1::PlanBidsRequest& request,
                                                const ServiceDeps& deps,
                                                const StatusMapper& errors);

// PlanBidsWorkingSetBytes() is what planning the dataset under `root` (a
// resolved path) holds at most, from what the folder holds: the sidecars
// (*.tsv, *.json) as read, as parsed rows and as the response's events,
// and a planned recording, in the plan and in the response, per file.
// Symbolic links are not followed; unreadable folders count as empty.
int64_t PlanBidsWorkingSetBytes(const std::string& root);

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_JOB_CALLS_H_
