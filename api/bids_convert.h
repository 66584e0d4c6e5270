// File: bids_convert.h
//
// A PlanBidsRequest as core's BidsPlanOptions, and a plan
// (core/job/bids_plan.h) as a PlanBidsResponse and back, so the server
// answers PlanBids and the clients read its answer with one mapping.
//
// Example:
//   NF_ASSIGN_OR_RETURN(BidsPlanOptions o, api::ToBidsPlanOptions(request));
//   NF_ASSIGN_OR_RETURN(auto plan, PlanBidsDataset(request.root(), o, files));
//   v1::PlanBidsResponse response = api::ToPlanBidsResponse(plan);
#ifndef NEUROFEAT_API_BIDS_CONVERT_H_
#define NEUROFEAT_API_BIDS_CONVERT_H_

#include <vector>

#include "absl/status/statusor.h"
#include "core/job/bids_plan.h"
#include "neurofeat/v1/service.pb.h"

namespace neurofeat::api {

// Errors: InvalidArgument naming a field (an empty root, a negative or
// non-finite duration).
absl::StatusOr<BidsPlanOptions> ToBidsPlanOptions(const v1::PlanBidsRequest& request);
v1::PlanBidsRequest ToPlanBidsRequest(const std::string& root, const BidsPlanOptions& options);

v1::PlanBidsResponse ToPlanBidsResponse(const std::vector<PlannedRecording>& plan);
// The plan back, as far as a client needs it: paths, description, request
// fields, windows, targets, status.
std::vector<PlannedRecording> FromPlanBidsResponse(const v1::PlanBidsResponse& response);

}  // namespace neurofeat::api

#endif  // NEUROFEAT_API_BIDS_CONVERT_H_
