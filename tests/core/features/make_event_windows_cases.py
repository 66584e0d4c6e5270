#!/usr/bin/python3
"""Writes windows cut around events by braindecode's algorithm.

Usage: make_event_windows_cases.py OUTFILE

braindecode is not in Debian, so its create_windows_from_events windowing
(braindecode 0.8, datasets/windowers.py: _create_windows_from_events and
_compute_window_inds) is written out below, step for step, and run on
random cases (fixed seed): 1-5 events that do not overlap, in onset order,
durations in frames, a window size (or None: the trial length), a stride,
trial start/stop offsets and drop_last_window. braindecode itself refuses
overlapping trials; those are tested by hand.

One line per case:
  frames size stride start_offset stop_offset drop_last|onset,duration ...|RESULT
where size 0 means window_size_samples=None (and stride 0 then), and
RESULT is "ok start:trial start:trial ..." or "error <why>".
"""

import sys

import numpy as np


def compute_window_inds(starts, stops, start_offset, stop_offset, size, stride,
                        drop_last_window):
    # braindecode's _compute_window_inds (accepted_bads_ratio=0).
    starts = starts + start_offset
    stops = stops + stop_offset
    if any(size > (stops - starts)):
        raise ValueError(f"Window size {size} exceeds trial duration {(stops - starts).min()}.")
    i_trial, window_starts = [], []
    for start_i, (start, stop) in enumerate(zip(starts, stops)):
        possible_starts = np.arange(start, stop, stride)
        for s in possible_starts:
            if (s + size) <= stop:
                window_starts.append(s)
                i_trial.append(start_i)
        if not drop_last_window:
            if window_starts[-1] + size != stop:
                window_starts.append(stop - size)
                i_trial.append(start_i)
    return np.array(window_starts), np.array(i_trial)


def windows_from_events(onsets, durations, frames, size, stride, start_offset, stop_offset,
                        drop_last):
    # braindecode's _create_windows_from_events, durations already in frames.
    onsets = np.asarray(onsets)
    stops = onsets + np.asarray(durations)
    if size is None:
        size = stops[0] + stop_offset - (onsets[0] + start_offset)
        stride = size
        this_trial_sizes = (stops + stop_offset) - (onsets + start_offset)
        if not np.all(this_trial_sizes == size):
            raise ValueError("Window size must be specified if trials differ in length")
    if size <= 0:
        raise ValueError("window size must be positive")
    if np.any(onsets + start_offset < 0) or np.any(stops + stop_offset > frames):
        raise ValueError("trial outside the recording")
    starts, trials = compute_window_inds(onsets, stops, start_offset, stop_offset, size, stride,
                                         drop_last)
    if any(np.diff(starts) <= 0):
        raise NotImplementedError("Trial overlap not implemented.")
    return starts, trials


def main():
    rng = np.random.RandomState(20240611)
    lines = []
    for _ in range(400):
        n = rng.randint(1, 6)
        start_offset = int(rng.randint(-3, 4))
        stop_offset = int(rng.randint(-3, 4))
        trial_length_windows = rng.rand() < 0.3
        if trial_length_windows:
            # window_size_samples=None: usually equal durations.
            d = int(rng.randint(1, 30))
            durations = [d] * n
            if rng.rand() < 0.2:
                durations[rng.randint(n)] += int(rng.randint(1, 4))
            size, stride = 0, 0
        else:
            size = int(rng.randint(1, 25))
            stride = int(rng.randint(1, size + 6))
            # Mostly trials that hold a window, some that do not.
            durations = [max(1, size + int(x)) for x in rng.randint(-3, 25, size=n)]
        drop_last = bool(rng.rand() < 0.5)
        onsets = []
        t = int(rng.randint(3, 10))
        for d in durations:
            onsets.append(t)
            t += d + 7 + int(rng.randint(0, 10))  # trials never overlap
        frames = onsets[-1] + durations[-1] + 3 + int(rng.randint(0, 5))
        try:
            starts, trials = windows_from_events(onsets, durations, frames,
                                                 None if size == 0 else size, stride,
                                                 start_offset, stop_offset, drop_last)
            result = "ok " + " ".join(f"{s}:{i}" for s, i in zip(starts, trials))
        except (ValueError, NotImplementedError) as e:
            result = "error " + str(e)
        events = " ".join(f"{o},{d}" for o, d in zip(onsets, durations))
        lines.append(f"{frames} {size} {stride} {start_offset} {stop_offset} {int(drop_last)}"
                     f"|{events}|{result}")
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
