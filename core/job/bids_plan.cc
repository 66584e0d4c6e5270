#include "core/job/bids_plan.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/features/event_windows.h"
#include "core/status_macros.h"
#include "tbb/parallel_for.h"

namespace neurofeat {
namespace {

// MNE's time_as_index(use_rounding=True): round half to even.
int64_t FramesOf(double seconds, double fs) {
  return static_cast<int64_t>(std::nearbyint(seconds * fs));
}

// The events of *_events.tsv as frames: onsets rounded (MNE's
// events_from_annotations), durations truncated (braindecode's
// (duration * sfreq).astype(int)).
std::vector<RecordingEvent> EventsAt(const std::vector<BidsEvent>& events, double fs) {
  std::vector<RecordingEvent> out;
  for (const BidsEvent& e : events) {
    RecordingEvent r;
    r.onset_frame = FramesOf(e.onset_s, fs);
    r.duration_frames = static_cast<int64_t>(e.duration_s * fs);
    r.description = e.trial_type;
    out.push_back(std::move(r));
  }
  return out;
}

absl::Status PlanEventWindows(const BidsPlanOptions& o, const RecordingInput& input,
                              PlannedRecording* p) {
  const BidsRecording& b = p->bids;
  if (!b.events.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(b.path, ": no *_events.tsv, so no windows around events"));
  }
  const double fs = input.signal.fs;
  EventWindowOptions w;
  w.window_frames = o.window_duration_s.has_value() ? FramesOf(*o.window_duration_s, fs)
                                                    : o.pipeline_window_frames;
  // Without --window-duration, trials with a duration are windows of
  // their own length (braindecode's window_size_samples=None).
  if (!o.window_duration_s.has_value()) {
    bool all_have_duration = true;
    for (const BidsEvent& e : *b.events) all_have_duration = all_have_duration && e.duration_s > 0;
    if (all_have_duration) w.window_frames = 0;
  }
  w.stride_frames = o.window_stride_s.has_value() ? FramesOf(*o.window_stride_s, fs) : 0;
  w.trial_start_offset = FramesOf(o.trial_start_offset_s, fs);
  w.trial_stop_offset = FramesOf(o.trial_stop_offset_s, fs);
  w.drop_last = o.drop_last;
  const std::vector<RecordingEvent> events = EventsAt(*b.events, fs);
  NF_ASSIGN_OR_RETURN(EventWindows windows,
                      WindowsFromEvents(events, input.source->num_frames(), w, b.events_source));
  p->window_starts = std::move(windows.starts);
  p->window_frames = windows.size;
  for (int64_t e : windows.event) p->targets.push_back(events[static_cast<size_t>(e)].description);
  return absl::OkStatus();
}

absl::Status PlanOne(const std::string& root, const BidsPlanOptions& o, const RecordingFiles& files,
                     PlannedRecording* p) {
  const BidsRecording& b = p->bids;
  NF_RETURN_IF_ERROR(b.problem);
  RecordingRequest& r = p->request;
  r.file = RecordingRequest::File{};
  r.file->path = absl::StrCat(root, "/", b.path);
  if (b.sampling_frequency.has_value()) r.sampling_rate_hz = *b.sampling_frequency;
  if (!o.keep_bad_channels) r.exclude_channels = b.bad_channels;
  absl::StatusOr<RecordingInput> input = OpenRecording(r, files);
  if (!input.ok()) {
    // The request's fields came from sidecars: name those.
    return absl::Status(
        input.status().code(),
        absl::StrReplaceAll(
            input.status().message(),
            {{"recording.sampling_rate_hz",
              absl::StrCat(b.sampling_frequency_source, ": SamplingFrequency")},
             {"recording.exclude_channels", absl::StrCat(b.channels_source, ": bad channels")}}));
  }
  if (input->has_epochs()) {
    return absl::InvalidArgumentError(absl::StrCat(b.path, ": holds epochs, not a recording"));
  }
  if (o.windows == BidsPlanOptions::Windows::kEvents) {
    NF_RETURN_IF_ERROR(PlanEventWindows(o, *input, p));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<PlannedRecording>> PlanBidsDataset(const std::string& root,
                                                              const BidsPlanOptions& options,
                                                              const RecordingFiles& files) {
  BidsAccess access;
  access.resolve = files.resolve;
  NF_ASSIGN_OR_RETURN(std::vector<BidsRecording> recordings,
                      ScanBidsDataset(root, options.query, access));
  std::vector<PlannedRecording> plan(recordings.size());
  for (size_t i = 0; i < recordings.size(); ++i) plan[i].bids = std::move(recordings[i]);
  tbb::parallel_for(size_t{0}, plan.size(),
                    [&](size_t i) { plan[i].status = PlanOne(root, options, files, &plan[i]); });
  return plan;
}

}  // namespace neurofeat
