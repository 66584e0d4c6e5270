#!/usr/bin/python3
"""The how-to dataset through the Python package and through the C++ CLI, in
one run, against the same neurofeatd: what the Python path adds.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_client_bench.py [--minutes 16] [--rounds 5]

Workload: EEGDash's how-to "Parallelize feature extraction": 16 recordings x 6
channels at 128 Hz (white noise, a 10 Hz rhythm on odd recordings, band-passed
1-40 Hz), 256-sample windows, variance + multiscale entropy + alpha/beta band
power, each recording with a description (subject, target). --minutes sets
each recording's length (the how-to's is 4; the default 16 gives 7680 windows,
about a second of server time, so that timer noise is small next to it).

Both sides run the whole dataset into the same CSV table, recordings in
flight = the server's threads, without the result cache, on one server
(started here on 127.0.0.1 with --no-cache):
  - python: Client.extract_dataset(numpy traces) + DataFrame.to_csv, timed
    inside one interpreter (imports done, as in a user's session);
  - cli: `neurofeat extract --manifest ... --server` as a process (the .npy
    files written beforehand), timed from start to exit.
The sides alternate --rounds times; the median of the per-round ratios is
printed. The tables are checked to hold the same numbers.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import scipy.signal as sig

import neurofeat

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("NEUROFEAT_BUILD", os.path.join(HERE, "..", "build"))
CHANNELS = ["O1", "Oz", "O2", "Cz", "Pz", "POz"]
FS = 128.0
# The how-to's tree, as the example runs it, with 256-sample windows.
with open(os.path.join(HERE, "..", "examples", "eegdash_howto.json")) as _f:
    PIPELINE = dict(json.load(_f), window={"size_samples": 256, "stride_samples": 256})


def make_dataset(minutes, folder):
    frames = int(minutes * 60 * FS)
    sos = sig.butter(4, [1, 40], btype="bandpass", fs=FS, output="sos")
    recordings, lines = [], ["input,name,subject,target"]
    for r in range(16):
        x = np.random.default_rng(r).standard_normal((frames, len(CHANNELS))) * 1e-6
        if r % 2:
            x += 4e-6 * np.sin(2 * np.pi * 10 * np.arange(frames) / FS)[:, None]
        x = np.ascontiguousarray(sig.sosfiltfilt(sos, x, axis=0).astype(np.float32))
        name = f"sub-{r + 1:02d}"
        np.save(os.path.join(folder, f"{name}.npy"), x)
        lines.append(f"{name}.npy,{name},{r + 1:02d},{r % 2}")
        recordings.append(neurofeat.Recording(
            x, name=name, description={"subject": f"{r + 1:02d}", "target": r % 2}))
    with open(os.path.join(folder, "recordings.csv"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return recordings


def run_python(client, recordings, threads, out):
    start = time.perf_counter()
    df = client.extract_dataset(recordings, PIPELINE, sfreq=FS, ch_names=CHANNELS,
                                max_in_flight=threads, cache="bypass", progress=False)
    extracted = time.perf_counter()
    df.to_csv(out, index=False)
    end = time.perf_counter()
    return end - start, end - extracted


def run_cli(target, folder, pipeline_path, out):
    argv = [os.path.join(BUILD, "client", "cli", "neurofeat"), "extract", "--manifest",
            os.path.join(folder, "recordings.csv"), "--fs", str(FS), "--channels",
            ",".join(CHANNELS), "--pipeline", pipeline_path, "--server", target, "--no-cache",
            "--quiet", "--output", out]
    start = time.perf_counter()
    r = subprocess.run(argv, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"neurofeat extract failed:\n{r.stdout}{r.stderr}")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=16.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        recordings = make_dataset(args.minutes, folder)
        pipeline_path = os.path.join(folder, "pipeline.json")
        with open(pipeline_path, "w") as f:
            json.dump(PIPELINE, f)
        py_out, cli_out = os.path.join(folder, "py.csv"), os.path.join(folder, "cli.csv")
        with neurofeat.LocalServer(binary=os.path.join(BUILD, "server", "neurofeatd"),
                                   no_cache=True) as server, \
                neurofeat.Client(server.target, timeout=600) as client:
            threads = int(client.info()["threads"])
            run_python(client, recordings, threads, py_out)  # warm-up (both sides)
            run_cli(server.target, folder, pipeline_path, cli_out)
            py_times, csv_times, cli_times, ratios = [], [], [], []
            for _ in range(args.rounds):
                py, csv = run_python(client, recordings, threads, py_out)
                csv_times.append(csv)
                cli = run_cli(server.target, folder, pipeline_path, cli_out)
                py_times.append(py)
                cli_times.append(cli)
                ratios.append(py / cli)
        py_df = pd.read_csv(py_out, float_precision="round_trip")
        cli_df = pd.read_csv(cli_out, float_precision="round_trip")
        pd.testing.assert_frame_equal(py_df, cli_df, check_exact=True, check_dtype=False)
        windows = len(py_df)
    print(f"dataset: 16 recordings x {args.minutes:g} min, {windows} windows; server "
          f"{threads} threads, {threads} recordings in flight; tables equal")
    print("python extract_dataset + to_csv: " + " ".join(f"{t:.3f}" for t in py_times) +
          f" s (median {statistics.median(py_times):.3f}, of which to_csv "
          f"{statistics.median(csv_times):.3f})")
    print("cli extract --manifest --server: " + " ".join(f"{t:.3f}" for t in cli_times) +
          f" s (median {statistics.median(cli_times):.3f})")
    median = statistics.median(ratios)
    print("python / cli, per round: " + " ".join(f"{r:.3f}" for r in ratios) +
          f"; median {median:.3f} ({(median - 1) * 100:+.1f} % wall time; target <= +10 %)")


if __name__ == "__main__":
    main()
