// File: dataset_plan.h
//
// DatasetPlan: the recordings of a dataset run (`neurofeat extract
// --manifest` or `--bids`) as complete Extract requests, with their
// description columns and, for windows cut around events, each window's
// target. A manifest (manifest.h) or a BIDS dataset becomes one; the
// dataset runner (dataset_extract.h) runs any plan the same way, embedded
// or on servers.
//
// BIDS flags: --bids ROOT [--task T] [--subjects 01,02] [--sessions ..]
// [--runs ..] [--datatype eeg|ieeg|meg] [--keep-bad-channels]
// [--windows fixed|events] [--window-duration S] [--window-stride S]
// [--trial-start-offset S] [--trial-stop-offset S] [--drop-last-window].
// Embedded, the dataset is planned here (core/job/bids_plan.h); with
// --server, the server plans it (PlanBids: ROOT is under its data roots).
//
// Example:
//   NF_ASSIGN_OR_RETURN(DatasetPlan plan, PlanFromFlags(args, base, replicas.get()));
#ifndef NEUROFEAT_CLIENT_CLI_DATASET_PLAN_H_
#define NEUROFEAT_CLIENT_CLI_DATASET_PLAN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/lib/replicas.h"
#include "cmdline/args.h"
#include "core/job/bids_plan.h"
#include "neurofeat/v1/service.pb.h"

namespace neurofeat::client {

struct DatasetEntry {
  // Where the recording is named, for messages ("line 3", "sub-01/eeg/...").
  std::string label;
  // The recording column.
  std::string name;
  // The whole request; with `upload_path`, its recording gets the upload.
  v1::ExtractRequest request;
  // A local .npy sent to the server before the extract (manifest inputs
  // with --server); "" otherwise.
  std::string upload_path;
  // One value per DatasetPlan::description_keys.
  std::vector<std::string> description;
  // Each window's target (event windows); empty otherwise.
  std::vector<std::string> targets;
  // Why the recording cannot be read, found while planning; OK otherwise.
  absl::Status status;
};

struct DatasetPlan {
  std::vector<std::string> description_keys;  // in column order
  // A "target" column with one value per window (event windows).
  bool window_targets = false;
  std::vector<DatasetEntry> entries;
};

// PlanBidsFromFlags() plans --bids (the BIDS flags above): here with a null
// `replicas`, else on a server (PlanBids). `pipeline`'s window sizes
// windows at events without duration.
absl::StatusOr<std::vector<PlannedRecording>> PlanBidsFromFlags(const ParsedArgs& args,
                                                                const v1::Pipeline& pipeline,
                                                                Replicas* replicas);

// DatasetFlags() are the flags of a dataset run (--manifest, --bids and
// the BIDS options above).
std::vector<FlagSpec> DatasetFlags();

// PlanFromFlags() plans --manifest or --bids; `replicas` is null for the
// embedded engine. `base` holds the pipeline, chunking, cache policy and
// the flags' metadata defaults.
absl::StatusOr<DatasetPlan> PlanFromFlags(const ParsedArgs& args, const v1::ExtractRequest& base,
                                          Replicas* replicas);

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_CLI_DATASET_PLAN_H_
