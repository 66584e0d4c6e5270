#!/usr/bin/python3
"""Viewer latency of the Neuropixels chain phase shift -> highpass 300 Hz ->
global median reference: 1 s x 384 channels at seconds 60-61, in one run,
three ways:

  reference  SpikeInterface's algorithm transcribed in numpy/scipy (rfft
             phase shift with its 40 ms tapered zero-padded margins, then
             sosfiltfilt with a 500-frame margin, then a float32 median),
             one thread (numpy's FFT and scipy's filter are single-threaded)
  embedded   neurofeat's chain in-process (bench/preprocess_bench --only viewer)
  server     the same chain through neurofeatd's Preprocess (Python client,
             the file read from the server's data root)

    PYTHONPATH=build/python /usr/bin/python3 bench/phase_shift_bench.py [--rounds 5]

The recording (62 s x 384 int16, NP 1.0 shifts (channel / 2 mod 12) / 13)
is generated with `neurofeat generate` into a temporary folder.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import json

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np
import scipy.fft
import scipy.signal as sig

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("NEUROFEAT_BUILD", os.path.join(HERE, "..", "build"))
FS = 30000
START, END = 60 * FS, 61 * FS


def phase_shift(x, a, b, shifts, margin=1200):
    """SpikeInterface PhaseShiftRecordingSegment.get_traces(a, b), float64."""
    n = x.shape[0]
    length = (b - a) + 2 * margin
    buf = np.zeros((length, x.shape[1]), dtype=np.float64)
    lo, hi = max(a - margin, 0), min(b + margin, n)
    left = max(margin - a, 0)
    buf[left:left + hi - lo] = x[lo:hi]
    taper = (1 - np.cos(np.arange(margin) / margin * np.pi)) / 2
    buf[:margin] *= taper[:, None]
    buf[-margin:] *= taper[::-1, None]
    spec = scipy.fft.rfft(buf, axis=0)
    freq = np.fft.rfftfreq(length)
    spec *= np.exp(-2j * np.pi * freq[:, None] * shifts[None, :])
    return scipy.fft.irfft(spec, n=length, axis=0)[margin:margin + b - a].astype(np.float32)


def reference_chain(x, shifts, sos):
    margin = 500  # highpass 300 Hz: int(5 * 1000 / 300 ms * fs / 1000)
    ps = phase_shift(x, START - margin, END + margin, shifts)
    hp = sig.sosfiltfilt(sos, ps, axis=0)[margin:-margin].astype(np.float32)
    return hp - np.median(hp, axis=1, keepdims=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    cli = os.path.join(BUILD, "client", "cli", "neurofeat")
    with tempfile.TemporaryDirectory(prefix="nf_ps_bench_") as tmp:
        path = os.path.join(tmp, "rec.npy")
        subprocess.run([cli, "generate", "--output", path, "--duration", "62s"], check=True,
                       stdout=subprocess.DEVNULL)
        x = np.load(path, mmap_mode="r")
        channels = x.shape[1]
        shifts = ((np.arange(channels) // 2) % 12) / 13.0
        sos = sig.iirfilter(5, 300, btype="highpass", ftype="butter", output="sos", fs=FS)
        pipeline = {"preprocess": [
            {"phase_shift": {"inter_sample_shift": shifts.tolist()}},
            {"highpass": {"freq_min": 300}}, {"common_reference": {}}]}

        import neurofeat
        server = neurofeat.LocalServer(os.path.join(BUILD, "server", "neurofeatd"),
                                       data_root=tmp, cache_dir=os.path.join(tmp, "cache"))
        client = neurofeat.Client(server.target)

        def remote():
            return client.preprocess(neurofeat.ServerPath("rec.npy"), pipeline, start_frame=START,
                                     end_frame=END, sfreq=FS, dtype="float32")

        # Agreement first (the server and the reference on the same second).
        ref = reference_chain(x, shifts, sos)
        got = remote()
        rms = float(np.sqrt(np.mean(ref.astype(np.float64) ** 2)))
        print(f"server vs reference on seconds 60-61: max|diff| {np.max(np.abs(got - ref)):.3g} "
              f"(RMS {rms:.3g})")

        ref_ms, emb_ms, srv_ms = [], [], []
        for r in range(args.rounds):
            t = []
            for _ in range(3):
                t0 = time.perf_counter()
                reference_chain(x, shifts, sos)
                t.append(time.perf_counter() - t0)
            ref_ms.append(1e3 * min(t))
            out = json.loads(subprocess.check_output(
                [os.path.join(BUILD, "bench", "preprocess_bench"), "--input", path, "--fs",
                 str(FS), "--only", "viewer"], stderr=subprocess.DEVNULL))
            emb_ms.append(out["ps_viewer_median_ms"])
            t = []
            for _ in range(10):
                t0 = time.perf_counter()
                remote()
                t.append(time.perf_counter() - t0)
            srv_ms.append(1e3 * statistics.median(t))
            print(f"round {r + 1}: reference {ref_ms[-1]:.1f} ms, embedded {emb_ms[-1]:.1f} ms "
                  f"(2 threads), server {srv_ms[-1]:.1f} ms")
        client.close()
        server.stop()
        med = statistics.median
        print(f"phase shift -> highpass -> median, 1 s x {channels} ch at 60-61 s:")
        print(f"  numpy/scipy reference (SpikeInterface's algorithm) {med(ref_ms):8.1f} ms")
        print(f"  neurofeat embedded, 2 threads                      {med(emb_ms):8.1f} ms"
              f"  (target <= 30 ms)  reference/embedded {med([a / b for a, b in zip(ref_ms, emb_ms)]):.1f}x")
        print(f"  neurofeat through neurofeatd (Python client)       {med(srv_ms):8.1f} ms"
              f"  reference/server {med([a / b for a, b in zip(ref_ms, srv_ms)]):.1f}x")


if __name__ == "__main__":
    sys.exit(main())
