// File: dataset_extract.h
//
// `neurofeat extract --manifest recordings.csv` or `--bids ROOT`: every
// recording of a dataset (dataset_plan.h) through one pipeline, into one
// CSV table with recording, window, start_sample and the description
// columns (`target` last, as EEGDash's to_dataframe(include_target=True)
// puts it; with event windows, each window's trial_type).
// Recordings run concurrently: as many at a time as the embedded engine has
// threads, or as the server reports in Info() with --server; the arena (ours
// or the server's) decides the cores. Rows are written in manifest order as
// soon as the recordings before them are done. If any recording fails, no
// table is written and the error lists every missing recording and why;
// with --on-error skip, the table holds the others and OUT.skipped.tsv
// lists the missing ones.
#ifndef NEUROFEAT_CLIENT_CLI_DATASET_EXTRACT_H_
#define NEUROFEAT_CLIENT_CLI_DATASET_EXTRACT_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "cmdline/args.h"

namespace neurofeat::client {

struct DatasetSummary {
  int64_t recordings = 0;  // in the table
  int64_t skipped = 0;     // --on-error skip
  std::string skipped_file;
  int64_t windows = 0;
  int64_t columns = 0;
  int workers = 0;  // recordings in flight at a time
  double seconds = 0;
};

absl::StatusOr<DatasetSummary> RunDatasetExtract(const ParsedArgs& args);

}  // namespace neurofeat::client

#endif  // NEUROFEAT_CLIENT_CLI_DATASET_EXTRACT_H_
