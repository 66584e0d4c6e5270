#include "core/features/event_windows.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/cli_runner.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_data.h"

namespace neurofeat {
namespace {

using ::neurofeat::testing::IsOk;
using ::neurofeat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

RecordingEvent Event(int64_t onset, int64_t duration, std::string description = "") {
  RecordingEvent e;
  e.onset_frame = onset;
  e.duration_frames = duration;
  e.description = std::move(description);
  return e;
}

EventWindowOptions Options(int64_t size, int64_t stride = 0, int64_t start_offset = 0,
                           int64_t stop_offset = 0, bool drop_last = false) {
  EventWindowOptions o;
  o.window_frames = size;
  o.stride_frames = stride;
  o.trial_start_offset = start_offset;
  o.trial_stop_offset = stop_offset;
  o.drop_last = drop_last;
  return o;
}

// Windows as "start:event" pairs, for one comparison per case.
std::vector<std::string> Pairs(const EventWindows& w) {
  std::vector<std::string> out;
  for (size_t k = 0; k < w.starts.size(); ++k) {
    out.push_back(absl::StrCat(w.starts[k], ":", w.event[k]));
  }
  return out;
}

// Hand-computed from the rule in event_windows.h: a trial is
// [onset + start_offset, onset + duration + stop_offset); windows start
// every stride while one fits, plus (unless drop_last) one ending at the
// trial's end; a zero-duration event lasts one window.
TEST(EventWindowsTest, HandComputedTable) {
  struct Case {
    const char* what;
    std::vector<RecordingEvent> events;
    EventWindowOptions options;
    int64_t size;
    std::vector<std::string> want;
  };
  const std::vector<Case> kCases = {
      {"trial-length windows",
       {Event(10, 20), Event(40, 20), Event(70, 20)},
       Options(0),
       20,
       {"10:0", "40:1", "70:2"}},
      {"trial-length windows with offsets",
       {Event(10, 20), Event(40, 20), Event(70, 20)},
       Options(0, 0, -5, 5),
       30,
       {"5:0", "35:1", "65:2"}},
      {"stride inside a trial, the last window ending at its end",
       {Event(10, 10)},
       Options(4, 3),
       4,
       {"10:0", "13:0", "16:0"}},
      {"one more window ending at the trial's end",
       {Event(10, 11)},
       Options(4, 3),
       4,
       {"10:0", "13:0", "16:0", "17:0"}},
      {"drop_last", {Event(10, 11)}, Options(4, 3, 0, 0, true), 4, {"10:0", "13:0", "16:0"}},
      {"stride 0 is the window length", {Event(0, 10)}, Options(4), 4, {"0:0", "4:0", "6:0"}},
      {"stride longer than the window",
       {Event(0, 20)},
       Options(4, 7),
       4,
       {"0:0", "7:0", "14:0", "16:0"}},
      {"offsets with a fixed window",
       {Event(20, 10)},
       Options(5, 5, -3, 2),
       5,
       {"17:0", "22:0", "27:0"}},
      {"zero-duration events last one window",
       {Event(10, 0), Event(30, 0)},
       Options(5),
       5,
       {"10:0", "30:1"}},
      {"zero-duration events with a start offset",
       {Event(10, 0), Event(30, 0)},
       Options(5, 0, -2),
       5,
       {"8:0", "10:0", "28:1", "30:1"}},
      {"zero-duration events with a stop offset",
       {Event(10, 0)},
       Options(5, 0, 0, 3),
       5,
       {"10:0", "13:0"}},
      {"zero and non-zero durations",
       {Event(10, 0), Event(30, 10)},
       Options(5),
       5,
       {"10:0", "30:1", "35:1"}},
      {"overlapping trials merge in order of start",
       {Event(10, 20), Event(15, 20)},
       Options(10),
       10,
       {"10:0", "15:1", "20:0", "25:1"}},
      {"events out of onset order",
       {Event(50, 10), Event(10, 10)},
       Options(0),
       10,
       {"10:1", "50:0"}},
      {"equal starts come in event order",
       {Event(10, 10), Event(10, 10)},
       Options(0),
       10,
       {"10:0", "10:1"}},
      {"a trial ending at the recording's end", {Event(90, 10)}, Options(0), 10, {"90:0"}},
      {"a trial starting at frame 0", {Event(3, 10)}, Options(0, 0, -3), 13, {"0:0"}},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.what);
    absl::StatusOr<EventWindows> w = WindowsFromEvents(c.events, 100, c.options, "events.tsv");
    ASSERT_THAT(w, IsOk());
    EXPECT_EQ(w->size, c.size);
    EXPECT_THAT(Pairs(*w), ElementsAreArray(c.want));
  }
}

TEST(EventWindowsTest, StartsAscendAcrossManyOverlappingTrials) {
  // Trials every 7 frames, each 30 long, windows of 10 every 4: every
  // trial's windows interleave with its neighbours'.
  std::vector<RecordingEvent> events;
  for (int i = 0; i < 20; ++i) events.push_back(Event(7 * i, 30));
  absl::StatusOr<EventWindows> w = WindowsFromEvents(events, 1000, Options(10, 4), "e");
  ASSERT_THAT(w, IsOk());
  // Per trial: starts +0, +4, +8, +12, +16, +20 (the last ends at +30).
  ASSERT_EQ(w->starts.size(), 20u * 6u);
  ASSERT_EQ(w->event.size(), w->starts.size());
  for (size_t k = 1; k < w->starts.size(); ++k) {
    ASSERT_TRUE(w->starts[k - 1] < w->starts[k] ||
                (w->starts[k - 1] == w->starts[k] && w->event[k - 1] < w->event[k]))
        << k;
  }
  // Each window lies in its own event's trial.
  for (size_t k = 0; k < w->starts.size(); ++k) {
    const RecordingEvent& e = events[static_cast<size_t>(w->event[k])];
    EXPECT_GE(w->starts[k], e.onset_frame);
    EXPECT_LE(w->starts[k] + 10, e.onset_frame + e.duration_frames);
  }
}

TEST(EventWindowsTest, Errors) {
  struct Case {
    const char* what;
    std::vector<RecordingEvent> events;
    EventWindowOptions options;
    const char* message;
  };
  const std::vector<Case> kCases = {
      {"no events", {}, Options(10), "sub-01_events.tsv: no events"},
      {"before the recording",
       {Event(50, 10, "left"), Event(2, 10, "right")},
       Options(0, 0, -5),
       "sub-01_events.tsv: event 1 (\"right\" at frame 2): its trial starts at frame -3, before "
       "the recording"},
      {"after the recording",
       {Event(10, 10, "left"), Event(95, 10, "right")},
       Options(0),
       "sub-01_events.tsv: event 1 (\"right\" at frame 95): its trial ends at frame 105, after the "
       "recording (100 frames)"},
      {"after the recording by the stop offset",
       {Event(85, 10, "left")},
       Options(0, 0, 0, 6),
       "event 0 (\"left\" at frame 85): its trial ends at frame 101"},
      {"a window longer than a trial",
       {Event(10, 30), Event(50, 20)},
       Options(25),
       "sub-01_events.tsv: event 1's trial (20 frames) is shorter than a window (25 frames)"},
      {"trials of different lengths without a window length",
       {Event(10, 20), Event(40, 25)},
       Options(0),
       "sub-01_events.tsv: trials differ in length (event 0: 20 frames, event 1: 25"},
      {"a zero-duration event without a window length",
       {Event(10, 20), Event(40, 0, "stim")},
       Options(0),
       "event 1 (\"stim\" at frame 40) has no duration"},
      {"a negative duration",
       {Event(10, -1, "x")},
       Options(5),
       "event 0 (\"x\" at frame 10) has a negative duration"},
      {"a negative window length", {Event(10, 10)}, Options(-1), "window length -1"},
      {"a negative stride", {Event(10, 10)}, Options(5, -2), "stride -2"},
      // Offsets that leave trials empty: no window fits in them.
      {"empty trials without a window length",
       {Event(10, 4), Event(40, 4)},
       Options(0, 0, 0, -4),
       "sub-01_events.tsv: event 0's trial is 0 frames long"},
      {"negative trials without a window length",
       {Event(10, 4), Event(40, 4)},
       Options(0, 0, 2, -4),
       "sub-01_events.tsv: event 0's trial is -2 frames long"},
      {"empty trials with a window length",
       {Event(10, 4)},
       Options(3, 0, 0, -4),
       "event 0's trial (0 frames) is shorter than a window (3 frames)"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.what);
    EXPECT_THAT(WindowsFromEvents(c.events, 100, c.options, "sub-01_events.tsv"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

// braindecode's create_windows_from_events written out in Python
// (make_event_windows_cases.py) on 400 random cases (fixed seed): the same
// windows, or an error where braindecode raises one.
TEST(EventWindowsTest, MatchesBraindecodeOnRandomCases) {
  testing::TempDir dir;
  const std::string out = dir.File("cases.txt");
  const testing::CliResult run =
      testing::RunPython("core/features/make_event_windows_cases.py", out, dir);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string text = testing::ReadFile(out);
  int cases = 0, windows = 0, errors = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    SCOPED_TRACE(line);
    const std::vector<absl::string_view> parts = absl::StrSplit(line, '|');
    ASSERT_EQ(parts.size(), 3u);
    std::vector<int64_t> p;
    for (absl::string_view f : absl::StrSplit(parts[0], ' ')) {
      int64_t v = 0;
      ASSERT_TRUE(absl::SimpleAtoi(f, &v));
      p.push_back(v);
    }
    ASSERT_EQ(p.size(), 6u);
    std::vector<RecordingEvent> events;
    for (absl::string_view e : absl::StrSplit(parts[1], ' ')) {
      const std::vector<absl::string_view> od = absl::StrSplit(e, ',');
      ASSERT_EQ(od.size(), 2u);
      int64_t onset = 0, duration = 0;
      ASSERT_TRUE(absl::SimpleAtoi(od[0], &onset) && absl::SimpleAtoi(od[1], &duration));
      events.push_back(Event(onset, duration));
    }
    const absl::StatusOr<EventWindows> w =
        WindowsFromEvents(events, p[0], Options(p[1], p[2], p[3], p[4], p[5] != 0), "e");
    ++cases;
    if (absl::StartsWith(parts[2], "error")) {
      ++errors;
      EXPECT_THAT(w, StatusIs(absl::StatusCode::kInvalidArgument));
      continue;
    }
    ASSERT_TRUE(absl::StartsWith(parts[2], "ok "));
    ASSERT_THAT(w, IsOk());
    const std::vector<std::string> want = absl::StrSplit(parts[2].substr(3), ' ');
    EXPECT_EQ(absl::StrJoin(Pairs(*w), " "), absl::StrJoin(want, " "));
    windows += static_cast<int>(want.size());
  }
  EXPECT_EQ(cases, 400);
  // The cases exercise both outcomes.
  EXPECT_GT(errors, 20);
  EXPECT_GT(windows, 1000);
}

}  // namespace
}  // namespace neurofeat
