// File: bids_dataset.h
//
// ScanBidsDataset(): the recordings of a BIDS dataset (EEG, iEEG, MEG), as
// EEGDash and MNE-BIDS find them: sub-<label>/[ses-<label>/]<datatype>/
// files named sub-<label>[_ses-<label>]_task-<label>[_acq-..][_run-..]..._
// <datatype>.{set,vhdr,edf,bdf,fif,nwb} (the later parts of a split FIF,
// _split-02 on, are the first part's and not recordings of their own), with
// what their sidecars say: the participant's row of participants.tsv, the
// channels *_channels.tsv marks "bad", the SamplingFrequency of
// *_<datatype>.json, and the *_events.tsv. Sidecars are found by BIDS's
// inheritance principle: the nearest folder first (recording folder,
// session, subject, root), and there the file whose entities are all the
// recording's, the most specific winning.
//
// Recordings come in BIDS order: by subject, session, task, acquisition,
// run (numbers as numbers), then path. Nothing is read but folder listings
// and sidecars (each at most 16 MiB); the recordings' own headers are read
// by the planner (core/job/bids_plan.h).
//
// Example:
//   BidsQuery q;
//   q.tasks = {"rest"};
//   NF_ASSIGN_OR_RETURN(std::vector<BidsRecording> recs, ScanBidsDataset("/data/ds003", q, {}));
#ifndef NEUROFEAT_CORE_DATASET_BIDS_DATASET_H_
#define NEUROFEAT_CORE_DATASET_BIDS_DATASET_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace neurofeat {

struct BidsQuery {
  // Labels to keep (without the "sub-" / "ses-" / "task-" / "run-"
  // prefixes; runs compare as numbers); empty: all.
  std::vector<std::string> subjects;
  std::vector<std::string> sessions;
  std::vector<std::string> tasks;
  std::vector<std::string> runs;
  // Which datatype folders to look in. Default: eeg.
  std::vector<std::string> datatypes = {"eeg"};
};

struct BidsEvent {
  double onset_s = 0;
  double duration_s = 0;   // 0 when "n/a"
  std::string trial_type;  // "" when there is no such column or "n/a"
  int64_t line = 0;        // in the events file
};

struct BidsRecording {
  // Relative to the dataset's root, '/'-separated.
  std::string path;
  std::string datatype;
  std::string subject, session, task, acquisition, run;
  // EEGDash's description: subject, session, task, run ("" when absent),
  // then every column of participants.tsv but participant_id, in its order
  // ("" for n/a).
  std::vector<std::pair<std::string, std::string>> description;
  // Channels *_channels.tsv marks status "bad", in its order.
  std::vector<std::string> bad_channels;
  std::string channels_source;  // the .tsv, relative to the root
  // *_<datatype>.json's SamplingFrequency, when given.
  std::optional<double> sampling_frequency;
  std::string sampling_frequency_source;  // the .json, relative to the root
  // *_events.tsv's rows, in file order; unset when there is no events file.
  std::optional<std::vector<BidsEvent>> events;
  std::string events_source;  // the .tsv, relative to the root
  // Why a sidecar of this recording could not be used (a malformed
  // channels.tsv, ...); OK otherwise. The recording is then unreadable.
  absl::Status problem;
};

struct BidsAccess {
  // Maps a folder or file the scan reads to the path to read, or an error
  // (a server's data-root policy). Default: identity.
  std::function<absl::StatusOr<std::string>(const std::string&)> resolve;
};

// Errors: NotFound when `root` is not a folder; InvalidArgument when
// participants.tsv is malformed or nothing matches the query (naming what
// the dataset has); the resolver's errors.
absl::StatusOr<std::vector<BidsRecording>> ScanBidsDataset(const std::string& root,
                                                           const BidsQuery& query,
                                                           const BidsAccess& access);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_DATASET_BIDS_DATASET_H_
