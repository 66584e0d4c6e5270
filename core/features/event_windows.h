// File: event_windows.h
//
// WindowsFromEvents(): windows cut around events, as braindecode's
// create_windows_from_events cuts them (trial_start_offset_samples,
// trial_stop_offset_samples, window_size_samples, window_stride_samples,
// drop_last_window=False by default): each event is a trial
// [onset + start_offset, onset + duration + stop_offset); windows of `size`
// frames start every `stride` frames inside it, and, unless drop_last, one
// more window ends exactly at the trial's end. Without a size, a window is
// the whole trial (every trial must then be as long). One extension: an
// event of zero duration (a stimulus marker) is a trial of one window
// length, as braindecode's trial_stop_offset_samples = size makes it.
//
// Example:
//   EventWindowOptions o;
//   o.window_frames = 512;
//   NF_ASSIGN_OR_RETURN(EventWindows w, WindowsFromEvents(events, frames, o, "events.tsv"));
//   // w.starts[k] is window k's first frame; w.event[k] the event it came from.
#ifndef NEUROFEAT_CORE_FEATURES_EVENT_WINDOWS_H_
#define NEUROFEAT_CORE_FEATURES_EVENT_WINDOWS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/io/reader_options.h"

namespace neurofeat {

struct EventWindowOptions {
  // Window length in frames (braindecode's window_size_samples); 0: each
  // trial's own length. Default: 0.
  int64_t window_frames = 0;
  // Frames between window starts inside a trial
  // (window_stride_samples); 0: the window length. Default: 0.
  int64_t stride_frames = 0;
  // Added to the onset / to the onset + duration
  // (trial_start_offset_samples / trial_stop_offset_samples). Default: 0.
  int64_t trial_start_offset = 0;
  int64_t trial_stop_offset = 0;
  // Drop a last window that would not end at the trial's end
  // (drop_last_window). Default: false (braindecode's).
  bool drop_last = false;
};

struct EventWindows {
  int64_t size = 0;
  // Window starts, ascending (windows of overlapping trials are merged in
  // order of start, then of event).
  std::vector<int64_t> starts;
  // Index into the events of each window's trial.
  std::vector<int64_t> event;
};

// Errors (InvalidArgument, naming `where` and the event's index): no
// events; a trial starting before the recording or ending after it;
// a window longer than a trial; trials of different lengths without a
// window length.
absl::StatusOr<EventWindows> WindowsFromEvents(const std::vector<RecordingEvent>& events,
                                               int64_t frames, const EventWindowOptions& options,
                                               const std::string& where);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_FEATURES_EVENT_WINDOWS_H_
