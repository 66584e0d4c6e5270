#!/usr/bin/env python3
"""EEGDash's how-to "Parallelize feature extraction", through neurofeatd.

The how-to takes 16 recordings, each with a description (subject, target),
cuts them into 256-sample windows, extracts variance, multiscale entropy and
alpha/beta band powers with ``n_jobs`` workers, checks that no window was
dropped and saves one table (``to_dataframe(include_target=True)``).

Here the recordings are built with MNE as the how-to's reference input was
(white noise, a 10 Hz rhythm in the odd recordings, ``raw.filter(1, 40)``),
sent to a neurofeatd (``--server``, or one started on 127.0.0.1 for the
run), and extracted with ``Client.extract_dataset``. ``max_in_flight`` is
the how-to's ``n_jobs``: how many recordings are in flight. The cores are the
server's: its arena is sized from its cgroup, ``SLURM_CPUS_PER_TASK`` and
affinity, so a job cannot oversubscribe its allocation whatever
``max_in_flight`` is.

    PYTHONPATH=build/python /usr/bin/python3 examples/howto_parallel.py
    PYTHONPATH=build/python /usr/bin/python3 examples/howto_parallel.py --server HOST:PORT

Prints a scaling table (max_in_flight 1, 2 and the server's threads), then
writes the table to CSV (``--output``) and reads it back. Parquet is a pandas
call away (``df.to_parquet``) where a Parquet engine is installed; Debian 12
packages none.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import pandas as pd

import neurofeat

CH_NAMES = ["O1", "Oz", "O2", "Cz", "Pz", "POz"]
SFREQ = 128.0
N_RECORDINGS = 16
SAMPLES = 30720          # 240 s: 120 windows of 256 samples
WINDOW = 256

# The how-to's tree (examples/eegdash_howto.json), with the window the how-to
# cuts before extracting.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "eegdash_howto.json")) as _f:
    PIPELINE = dict(json.load(_f), window={"size_samples": WINDOW, "stride_samples": WINDOW})


def make_recordings():
    """16 MNE Raw recordings with descriptions, as the how-to's input was made."""
    import mne  # pylint: disable=import-outside-toplevel

    info = mne.create_info(CH_NAMES, SFREQ, ch_types="eeg")
    t = np.arange(SAMPLES) / SFREQ
    recordings = []
    for r in range(N_RECORDINGS):
        x = np.random.default_rng(r).standard_normal((len(CH_NAMES), SAMPLES)) * 1e-6
        if r % 2 == 1:
            x += 4e-6 * np.sin(2 * np.pi * 10 * t)
        raw = mne.io.RawArray(x, info, verbose="error")
        raw.filter(1, 40, verbose="error")
        recordings.append(neurofeat.Recording(
            raw, name=f"sub-{r + 1:02d}",
            description={"subject": f"{r + 1:02d}", "target": r % 2}))
    return recordings


def run(client, recordings, max_in_flight):
    start = time.perf_counter()
    df = client.extract_dataset(recordings, PIPELINE, max_in_flight=max_in_flight,
                                cache="bypass", progress=False)
    return df, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", help="HOST:PORT of a neurofeatd (default: start one)")
    parser.add_argument("--output", default="howto_features.csv", help="the table, as CSV")
    args = parser.parse_args(argv)

    recordings = make_recordings()
    local = None if args.server else neurofeat.LocalServer(no_cache=True)
    target = args.server or local.target
    try:
        with neurofeat.Client(target, timeout=600) as client:
            threads = int(client.info()["threads"])
            print(f"server {target}: {threads} threads")
            print(f"{'max_in_flight':>13}  {'seconds':>8}  {'windows/s':>9}  speed-up")
            baseline = None
            df = None
            for max_in_flight in sorted({1, 2, threads}):
                df, seconds = run(client, recordings, max_in_flight)
                baseline = baseline or seconds
                print(f"{max_in_flight:>13}  {seconds:>8.3f}  {len(df) / seconds:>9.0f}  "
                      f"{baseline / seconds:.2f}x")
    finally:
        if local is not None:
            local.stop()

    # No window dropped: every recording has its 120.
    per_recording = df.groupby("recording", sort=False).size()
    assert len(per_recording) == N_RECORDINGS, per_recording
    assert (per_recording == SAMPLES // WINDOW).all(), per_recording
    assert list(df.columns[:4]) == ["recording", "window", "start_sample", "subject"]
    assert df.columns[-1] == "target"

    df.to_csv(args.output, index=False)
    back = pd.read_csv(args.output, float_precision="round_trip", dtype={"subject": str})
    pd.testing.assert_frame_equal(back, df, check_dtype=False, check_exact=True)
    print(f"{len(df)} rows x {df.shape[1]} columns -> {os.path.abspath(args.output)} "
          "(read back equal)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
