#include "core/features/event_windows.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace neurofeat {
namespace {

// a + b for frame numbers that may be negative (offsets before an onset):
// only an int64 overflow is an error.
absl::StatusOr<int64_t> AddFrames(int64_t a, int64_t b, const std::string& at) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    return absl::InvalidArgumentError(absl::StrCat(at, ": ", a, " + ", b, " frames overflows"));
  }
  return sum;
}

struct Trial {
  int64_t start = 0;
  int64_t stop = 0;  // exclusive
};

absl::StatusOr<std::vector<Trial>> Trials(const std::vector<RecordingEvent>& events, int64_t frames,
                                          const EventWindowOptions& o, const std::string& where) {
  std::vector<Trial> trials;
  for (size_t i = 0; i < events.size(); ++i) {
    const RecordingEvent& e = events[i];
    const std::string at = absl::StrCat(where, ": event ", i, " (\"", e.description, "\" at frame ",
                                        e.onset_frame, ")");
    if (e.duration_frames < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, " has a negative duration (", e.duration_frames, " frames)"));
    }
    // A marker without duration is one window long.
    const int64_t length = e.duration_frames > 0 ? e.duration_frames : o.window_frames;
    if (length <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          at,
          " has no duration; give a window length (--window-duration) to cut windows at "
          "instantaneous events"));
    }
    NF_ASSIGN_OR_RETURN(const int64_t start, AddFrames(e.onset_frame, o.trial_start_offset, at));
    NF_ASSIGN_OR_RETURN(int64_t stop, AddFrames(e.onset_frame, length, at));
    NF_ASSIGN_OR_RETURN(stop, AddFrames(stop, o.trial_stop_offset, at));
    if (start < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ": its trial starts at frame ", start, ", before the recording"));
    }
    if (stop > frames) {
      return absl::InvalidArgumentError(absl::StrCat(
          at, ": its trial ends at frame ", stop, ", after the recording (", frames, " frames)"));
    }
    trials.push_back({start, stop});
  }
  return trials;
}

}  // namespace

absl::StatusOr<EventWindows> WindowsFromEvents(const std::vector<RecordingEvent>& events,
                                               int64_t frames, const EventWindowOptions& o,
                                               const std::string& where) {
  if (events.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": no events"));
  if (o.window_frames < 0 || o.stride_frames < 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": window length ", o.window_frames,
                                                   " and stride ", o.stride_frames,
                                                   " must be >= 0"));
  }
  NF_ASSIGN_OR_RETURN(const std::vector<Trial> trials, Trials(events, frames, o, where));
  EventWindows out;
  out.size = o.window_frames;
  if (out.size == 0) {
    out.size = trials[0].stop - trials[0].start;
    for (size_t i = 1; i < trials.size(); ++i) {
      if (trials[i].stop - trials[i].start != out.size) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": trials differ in length (event 0: ", out.size, " frames, event ", i, ": ",
            trials[i].stop - trials[i].start, "); give a window length (--window-duration)"));
      }
    }
    // Offsets can leave no frame in a trial: no window fits (and a stride
    // of 0 frames would never end).
    if (out.size < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": event 0's trial is ", out.size,
                       " frames long (onset + duration + offsets); a window needs at least 1"));
    }
  }
  const int64_t stride = o.stride_frames > 0 ? o.stride_frames : out.size;
  std::vector<std::pair<int64_t, int64_t>> windows;  // (start, event)
  for (size_t i = 0; i < trials.size(); ++i) {
    const Trial& t = trials[i];
    if (t.stop - t.start < out.size) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": event ", i, "'s trial (", t.stop - t.start,
                       " frames) is shorter than a window (", out.size, " frames)"));
    }
    int64_t last = -1;
    for (int64_t s = t.start; s + out.size <= t.stop; s += stride) {
      windows.push_back({s, static_cast<int64_t>(i)});
      last = s;
    }
    if (!o.drop_last && last + out.size != t.stop) {
      windows.push_back({t.stop - out.size, static_cast<int64_t>(i)});
    }
  }
  std::stable_sort(windows.begin(), windows.end());
  for (const auto& [start, event] : windows) {
    out.starts.push_back(start);
    out.event.push_back(event);
  }
  return out;
}

}  // namespace neurofeat
