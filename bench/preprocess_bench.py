#!/usr/bin/python3
"""Preprocessing benchmark: scipy/numpy (the reference SpikeInterface runs)
against neurofeat, on the same float32 recording, in one run.

    /usr/bin/python3 bench/preprocess_bench.py [--frames 1000000] [--channels 384]

Workload: SpikeInterface's default bandpass (300-6000 Hz, order 5,
sosfiltfilt) then a global median reference, on a (frames, channels) float32
recording at 30 kHz. The recording is generated (seeded) and written to a
temporary .npy that both sides read; it is 2,000,000 frames long so that the
viewer case can read seconds 60-61, and the throughput runs use the first
--frames frames.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import scipy
import scipy.signal as sig

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("NEUROFEAT_BUILD", os.path.join(HERE, "..", "build"))


def make_recording(path, frames, channels, seed=0):
    rng = np.random.default_rng(seed)
    mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(frames, channels))
    block = 100_000
    t_common = None
    for s in range(0, frames, block):
        e = min(frames, s + block)
        t = np.arange(s, e) / 30000.0
        common = (20 * np.sin(2 * np.pi * 50 * t))[:, None]
        x = rng.standard_normal((e - s, channels), dtype=np.float32) * 10
        x += common.astype(np.float32)
        x += (np.arange(channels) % 7 * 20 - 60).astype(np.float32)
        mm[s:e] = x
    mm.flush()
    del mm


def best_of(reps, fn):
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--channels", type=int, default=384)
    ap.add_argument("--total-frames", type=int, default=2_000_000)
    ap.add_argument("--reps", type=int, default=1, help="reference repetitions (best of)")
    ap.add_argument("--keep", help="keep the recording at this path")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="neurofeat_bench_")
    path = args.keep or os.path.join(tmp, "recording.npy")
    if not os.path.exists(path):
        make_recording(path, args.total_frames, args.channels)
    x = np.load(path, mmap_mode="r")[: args.frames]
    x = np.ascontiguousarray(x)
    fs = 30000.0
    sos = sig.iirfilter(5, [300, 6000], btype="bandpass", ftype="butter", output="sos", fs=fs)

    ref = {}
    y = None

    def run_filter():
        nonlocal y
        y = sig.sosfiltfilt(sos, x, axis=0).astype(np.float32)

    ref["scipy_sosfiltfilt_s"] = best_of(args.reps, run_filter)
    ref["numpy_median_s"] = best_of(args.reps, lambda: np.median(y, axis=1))
    del y

    ours = json.loads(subprocess.check_output(
        [os.path.join(BUILD, "bench", "preprocess_bench"), "--input", path, "--fs", str(fs),
         "--frames", str(args.frames), "--reps", "3"]))

    rows = [
        ("scipy.signal.sosfiltfilt (1 thread)", ref["scipy_sosfiltfilt_s"]),
        ("neurofeat bandpass, 1 thread", ours["t1_filter_s"]),
        ("neurofeat bandpass, 2 threads", ours["t2_filter_s"]),
        ("numpy.median(axis=1) (1 thread)", ref["numpy_median_s"]),
        ("neurofeat row medians alone, 1 thread", ours["t1_rowmedian_s"]),
        ("neurofeat row medians alone, 2 threads", ours["t2_rowmedian_s"]),
        ("neurofeat median reference step (median + subtract), 1 thread", ours["t1_median_s"]),
        ("neurofeat median reference step, 2 threads", ours["t2_median_s"]),
        ("neurofeat bandpass + median, 1 s chunks, 1 thread", ours["t1_chain_s"]),
        ("neurofeat bandpass + median, 1 s chunks, 2 threads", ours["t2_chain_s"]),
        ("memory-bandwidth floor (read input + write output)", ours["bandwidth_floor_s"]),
    ]
    print(f"recording: {args.frames} x {args.channels} float32 at 30 kHz "
          f"({args.frames * args.channels * 4 / 1e9:.2f} GB); scipy {scipy.__version__}, numpy {np.__version__}")
    for name, t in rows:
        print(f"  {name:<66s} {t:9.3f} s")
    print("ratios:")
    print(f"  sosfiltfilt / ours (1 thread)          {ref['scipy_sosfiltfilt_s'] / ours['t1_filter_s']:7.1f}x  (target >= 20x)")
    print(f"  numpy median / our row medians (1 thr) {ref['numpy_median_s'] / ours['t1_rowmedian_s']:7.1f}x  (target >= 20x)")
    print(f"  numpy median / our whole step (1 thr)  {ref['numpy_median_s'] / ours['t1_median_s']:7.1f}x  (the step also subtracts and writes)")
    print(f"  chain 1 thread / 2 threads             {ours['t1_chain_s'] / ours['t2_chain_s']:7.2f}x  (target >= 1.8x)")
    print(f"  bandpass 1 thread / 2 threads          {ours['t1_filter_s'] / ours['t2_filter_s']:7.2f}x")
    print(f"  chain (2 threads) / bandwidth floor    {ours['t2_chain_s'] / ours['bandwidth_floor_s']:7.1f}x  "
          f"(copy bandwidth {ours['copy_bandwidth_gbps']:.1f} GB/s)")
    if "viewer_median_ms" in ours:
        print(f"  viewer: 1 s x {args.channels} ch at 60-61 s, bandpass + median, {ours['viewer_threads']} threads: "
              f"median {ours['viewer_median_ms']:.1f} ms, p90 {ours['viewer_p90_ms']:.1f} ms  (target <= 25 ms)")
    print(json.dumps({"reference": ref, "neurofeat": ours}))
    if not args.keep:
        os.remove(path)
        os.rmdir(tmp)


if __name__ == "__main__":
    sys.exit(main())
