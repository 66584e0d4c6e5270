// File: bids_plan.h
//
// PlanBidsDataset(): a BIDS dataset as a list of extraction requests, one
// per recording in BIDS order (core/dataset/bids_dataset.h): the file
// (format by name and content), the sampling rate its *_eeg.json states
// (checked against the file's), the channels *_channels.tsv marks "bad"
// left out (unless kept), the description columns, and, with event
// windows, the windows cut around the *_events.tsv rows (braindecode's
// create_windows_from_events; core/features/event_windows.h) with each
// window's trial_type as its target. Every recording's header is opened
// (in parallel on the compute arena) so that every unreadable recording is
// found before anything is computed; each carries its own status.
//
// The CLI (embedded) and the server's PlanBids RPC both plan here, so a
// dataset means the same thing to both.
//
// Example:
//   BidsPlanOptions o;
//   o.windows = BidsPlanOptions::Windows::kEvents;
//   o.window_duration_s = 2.0;
//   NF_ASSIGN_OR_RETURN(std::vector<PlannedRecording> plan, PlanBidsDataset("ds003", o, files));
#ifndef NEUROFEAT_CORE_JOB_BIDS_PLAN_H_
#define NEUROFEAT_CORE_JOB_BIDS_PLAN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/dataset/bids_dataset.h"
#include "core/job/open_recording.h"
#include "core/job/recording_request.h"

namespace neurofeat {

struct BidsPlanOptions {
  BidsQuery query;
  // Keep the channels *_channels.tsv marks "bad". Default: false (MNE-BIDS
  // marks them bad; EEGDash's feature tables leave them out).
  bool keep_bad_channels = false;
  // Fixed-length windows (the pipeline's window), or windows cut around
  // the events of *_events.tsv. Default: fixed.
  enum class Windows { kFixed, kEvents };
  Windows windows = Windows::kFixed;
  // Event windows, in seconds (rounded to frames at each recording's
  // rate): the window length (braindecode's window_size_samples; unset:
  // each trial's length, or the pipeline window's size for events without
  // duration), the stride inside a trial, and the trial offsets.
  std::optional<double> window_duration_s;
  std::optional<double> window_stride_s;
  double trial_start_offset_s = 0;
  double trial_stop_offset_s = 0;
  bool drop_last = false;
  // Event windows without --window-duration and events without duration:
  // the pipeline window's size in frames, if it has one. Default: 0.
  int64_t pipeline_window_frames = 0;
};

struct PlannedRecording {
  BidsRecording bids;
  // The request's recording: the file (root + "/" + bids.path), format
  // auto, SamplingFrequency as the rate, bad channels excluded.
  RecordingRequest request;
  // Event windows (empty with fixed windows): starts, length, and each
  // window's target (its event's trial_type).
  std::vector<int64_t> window_starts;
  int64_t window_frames = 0;
  std::vector<std::string> targets;
  // OK, or why the recording cannot be read (its header, a sidecar, a rate
  // that differs from SamplingFrequency, an event outside it).
  absl::Status status;
};

// Errors: those of ScanBidsDataset (no such folder, nothing matches, a
// malformed participants.tsv). A recording's own problems are in its
// status, not here.
absl::StatusOr<std::vector<PlannedRecording>> PlanBidsDataset(const std::string& root,
                                                              const BidsPlanOptions& options,
                                                              const RecordingFiles& files);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_JOB_BIDS_PLAN_H_
