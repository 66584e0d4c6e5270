#!/usr/bin/python3
"""Recording readers against MNE, format by format, in one run.

    /usr/bin/python3 bench/reader_bench.py [--dir DIR] [--rounds 3] [--formats edf,bdf,...]

For each format the engine reads, one recording of 64 channels x 10 min at
1 kHz is written to DIR (kept and reused when DIR is given; a temporary
folder otherwise):

  edf            EDF, int16, 1 s records (written here, as
                 tests/cli/make_bids_dataset.py writes EDF)
  bdf            BDF, 24-bit, 1 s records
  vhdr_int16_mux BrainVision INT_16 MULTIPLEXED
  vhdr_int16_vec BrainVision INT_16 VECTORIZED
  vhdr_float32   BrainVision IEEE_FLOAT_32 MULTIPLEXED
  set_fdt        EEGLAB .set (MAT v5) with the samples in a .fdt
  set_v5         EEGLAB .set with the samples inline (MAT v5, uncompressed)
                 (both with tests/core/io/make_eeglab_files.py's writers)
  fif_short      FIF, int16 (mne's raw.save(fmt="short"))
  fif_single     FIF, float32 (raw.save(fmt="single"))
  nwb_raw        NWB, int16, contiguous
  nwb_gzip       NWB, int16, chunks of 10000 x 64, gzip level 4, shuffle
                 (both from tests/core/io/make_nwb_files.py --bench)

Then, for each file, the two sides alternate --rounds times (the order
flips every round):
  ours  build/bench/reader_bench FILE: OpenRecordingFile() and every frame
        read in 10 s blocks with GetTraces() (float64 volts), one thread;
        the time is measured inside the program (no process start).
  MNE   mne.io.read_raw_*(FILE, preload=False) then raw.get_data() (float64
        volts, channels x frames), in this process. MNE does not read NWB:
        there the reference is h5py reading the dataset whole and numpy
        applying conversion, channel_conversion and offset (float64, frames
        x channels).
Before a file's rounds, each of its files is read once whole (warm page
cache for both sides), and each side's per-channel sums and sums of squares
are compared (a reader that reads the wrong values fails the run).

MB/s counts stored sample bytes (frames x channels x 2 for int16, 3 for BDF,
4 for float32; for gzip, the samples' bytes before compression). Printed:
each side's median seconds and MB/s, and the median of the per-round ratios
MNE / ours; also each side's CPU seconds (ours: the process's, from
reader_bench; the reference: this process's time.process_time()) and their
ratio, which other work on a shared machine moves less than wall time. Targets: ours >= 1 GB/s on the uncompressed formats, on one
core; >= 2x MNE's get_data on the same file.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import h5py  # noqa: E402
import numpy as np  # noqa: E402

warnings.simplefilter("ignore")
import mne  # noqa: E402

mne.set_log_level("ERROR")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("NEUROFEAT_BUILD", os.path.join(ROOT, "build"))
IO_TESTS = os.path.join(ROOT, "tests", "core", "io")
sys.path.insert(0, IO_TESTS)
import make_eeglab_files  # noqa: E402  (its writers; nothing runs on import)

CHANNELS = 64
RATE = 1000
MINUTES = 10
FRAMES = RATE * 60 * MINUTES
NAMES = ["E%02d" % i for i in range(CHANNELS)]

# name: (file, companion files, stored bytes per sample, compressed)
FORMATS = {
    "edf": ("rec.edf", [], 2, False),
    "bdf": ("rec.bdf", [], 3, False),
    "vhdr_int16_mux": ("int16_mux.vhdr", ["int16_mux.eeg", "int16_mux.vmrk"], 2, False),
    "vhdr_int16_vec": ("int16_vec.vhdr", ["int16_vec.eeg", "int16_vec.vmrk"], 2, False),
    "vhdr_float32": ("float32_mux.vhdr", ["float32_mux.eeg", "float32_mux.vmrk"], 4, False),
    "set_fdt": ("fdt.set", ["fdt.fdt"], 4, False),
    "set_v5": ("inline_v5.set", [], 4, False),
    "fif_short": ("short_raw.fif", [], 2, False),
    "fif_single": ("single_raw.fif", [], 4, False),
    "nwb_raw": ("nwb/bench_raw.nwb", [], 2, False),
    "nwb_gzip": ("nwb/bench_gzip.nwb", [], 2, True),
}


# ------------------------------------------------------------------ writers

def signal_uv(rng):
    """(frames, channels) float64 µV: a random walk scaled to +-1500 µV plus
    white noise (as the tests' generators make theirs)."""
    walk = np.cumsum(rng.standard_normal((FRAMES, CHANNELS), np.float32), axis=0,
                     dtype=np.float64)
    walk -= walk.mean(axis=0)
    walk *= 1500.0 / np.abs(walk).max(axis=0)
    walk += rng.standard_normal((FRAMES, CHANNELS)) * 30.0
    return walk


def edf_header(labels, records, spr, pmin, pmax, dmin, dmax, bdf):
    def f(s, w):
        return s.encode("latin-1")[:w].ljust(w)

    ns = len(labels)
    version = b"\xffBIOSEMI" if bdf else f("0", 8)
    h = version + f("X X X X", 80) + f("Startdate 01-JAN-2020 X X X", 80) + f("01.01.20", 8)
    h += f("00.00.00", 8) + f(str(256 * (ns + 1)), 8) + f("24BIT" if bdf else "", 44)
    h += f(str(records), 8) + f("1", 8) + f(str(ns), 4)
    h += b"".join(f(l, 16) for l in labels) + b"".join(f("AgAgCl electrode", 80) for _ in labels)
    h += b"".join(f("uV", 8) for _ in labels)
    h += b"".join(f(repr(pmin), 8) for _ in labels) + b"".join(f(repr(pmax), 8) for _ in labels)
    h += b"".join(f(str(dmin), 8) for _ in labels) + b"".join(f(str(dmax), 8) for _ in labels)
    h += b"".join(f("HP:0.1Hz LP:250Hz", 80) for _ in labels)
    h += b"".join(f(str(spr), 8) for _ in labels) + b"".join(f("", 32) for _ in labels)
    assert len(h) == 256 * (ns + 1)
    return h


def write_edf(path, uv, bdf):
    """EDF (int16) or BDF (24-bit), 1 s records, no annotation signal."""
    if bdf:
        pmin, pmax, dmin, dmax = -8388.608, 8388.607, -8388608, 8388607
    else:
        pmin, pmax, dmin, dmax = -3276.8, 3276.7, -32768, 32767
    dig = np.clip(np.round((uv - pmin) / (pmax - pmin) * (dmax - dmin) + dmin), dmin, dmax)
    records = FRAMES // RATE
    # (frames, ch) -> (records, ch, samples per record)
    body = dig.astype("<i4").reshape(records, RATE, CHANNELS).transpose(0, 2, 1)
    if bdf:
        body = np.ascontiguousarray(body).view(np.uint8).reshape(records, CHANNELS, RATE, 4)
        body = body[..., :3]
    else:
        body = body.astype("<i2")
    with open(path, "wb") as out:
        out.write(edf_header(NAMES, records, RATE, pmin, pmax, dmin, dmax, bdf))
        out.write(np.ascontiguousarray(body).tobytes())


def write_brainvision(folder, stem, uv, fmt, orient):
    res = 0.1 if fmt == "INT_16" else 1.0
    if fmt == "INT_16":
        x = np.clip(np.round(uv / res), -32768, 32767).astype("<i2")
    else:
        x = uv.astype("<f4")
    (x if orient == "MULTIPLEXED" else x.T).tofile(os.path.join(folder, stem + ".eeg"))
    chans = "".join("Ch%d=%s,,%g,µV\n" % (i + 1, n, res) for i, n in enumerate(NAMES))
    with open(os.path.join(folder, stem + ".vhdr"), "w", encoding="utf-8") as f:
        f.write("Brain Vision Data Exchange Header File Version 1.0\n\n[Common Infos]\n"
                "Codepage=UTF-8\nDataFile=%s.eeg\nMarkerFile=%s.vmrk\nDataFormat=BINARY\n"
                "DataOrientation=%s\nNumberOfChannels=%d\nSamplingInterval=%g\n\n"
                "[Binary Infos]\nBinaryFormat=%s\n\n[Channel Infos]\n%s"
                % (stem, stem, orient, CHANNELS, 1e6 / RATE, fmt, chans))
    with open(os.path.join(folder, stem + ".vmrk"), "w", encoding="utf-8") as f:
        f.write("Brain Vision Data Exchange Marker File, Version 1.0\n\n[Common Infos]\n"
                "Codepage=UTF-8\nDataFile=%s.eeg\n\n[Marker Infos]\n"
                "Mk1=New Segment,,1,1,0\nMk2=Stimulus,S  1,5000,1,0\n" % stem)


def write_eeglab(folder, uv):
    data = np.ascontiguousarray(uv.T, dtype=np.float32)  # channels x frames, µV
    locs = make_eeglab_files.make_chanlocs(NAMES, ["EEG"] * CHANNELS)
    fields = make_eeglab_files.eeg_fields(CHANNELS, FRAMES, RATE, data, locs)
    make_eeglab_files.write_v5(os.path.join(folder, "inline_v5.set"), fields)
    make_eeglab_files.write_fdt(os.path.join(folder, "fdt.fdt"), data)
    make_eeglab_files.write_v5(os.path.join(folder, "fdt.set"), dict(fields, data="fdt.fdt"))


def write_fif(folder, uv):
    info = mne.create_info(NAMES, float(RATE), "eeg")
    with info._unlock():
        for ch in info["chs"]:
            # 0.1 µV per stored unit for fmt="short" (stored = V / (cal * range)).
            ch["cal"], ch["range"] = 2e-6, 0.05
    raw = mne.io.RawArray(uv.T * 1e-6, info, verbose=False)
    for fmt in ("short", "single"):
        raw.save(os.path.join(folder, fmt + "_raw.fif"), fmt=fmt, overwrite=True, verbose=False)


def write_all(folder, wanted):
    stamp = os.path.join(folder, "bench_files.json")
    params = {"channels": CHANNELS, "rate": RATE, "frames": FRAMES, "version": 1}
    done = []
    if os.path.exists(stamp):
        with open(stamp) as f:
            saved = json.load(f)
        if saved.get("params") == params:
            done = saved["formats"]
    todo = [n for n in wanted if n not in done]
    if not todo:
        return
    print("writing %s to %s ..." % (", ".join(todo), folder), flush=True)
    rng = np.random.default_rng(20261201)
    uv = signal_uv(rng)
    for name in todo:
        if name in ("edf", "bdf"):
            write_edf(os.path.join(folder, FORMATS[name][0]), uv, bdf=name == "bdf")
        elif name == "vhdr_int16_mux":
            write_brainvision(folder, "int16_mux", uv, "INT_16", "MULTIPLEXED")
        elif name == "vhdr_int16_vec":
            write_brainvision(folder, "int16_vec", uv, "INT_16", "VECTORIZED")
        elif name == "vhdr_float32":
            write_brainvision(folder, "float32_mux", uv, "IEEE_FLOAT_32", "MULTIPLEXED")
        elif name in ("set_fdt", "set_v5"):
            if "set_fdt" not in done and "set_v5" not in done:
                write_eeglab(folder, uv)
                done += ["set_fdt", "set_v5"]
        elif name in ("fif_short", "fif_single"):
            if "fif_short" not in done and "fif_single" not in done:
                write_fif(folder, uv)
                done += ["fif_short", "fif_single"]
        elif name in ("nwb_raw", "nwb_gzip"):
            if "nwb_raw" not in done and "nwb_gzip" not in done:
                subprocess.run([sys.executable, os.path.join(IO_TESTS, "make_nwb_files.py"),
                                os.path.join(folder, "nwb"), "--bench"], check=True)
                done += ["nwb_raw", "nwb_gzip"]
        if name not in done:
            done.append(name)
    with open(stamp, "w") as f:
        json.dump({"params": params, "formats": sorted(set(done))}, f)


# -------------------------------------------------------------------- sides

def warm(paths):
    """Reads each file once whole, so both sides find it in the page cache."""
    for p in paths:
        with open(p, "rb", buffering=0) as f:
            while f.read(1 << 24):
                pass


def run_ours(path, sample_bytes, sums=False):
    cmd = [os.path.join(BUILD, "bench", "reader_bench"), path, "--sample-bytes",
           str(sample_bytes)] + (["--sums"] if sums else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    lines = out.strip().splitlines()
    fields = dict(kv.split("=", 1) for kv in lines[0].split())
    if sums:
        extra = dict(l.split("=", 1) for l in lines[1:])
        fields["sums"] = np.array([float(v) for v in extra["channel_sums"].split(",")])
        fields["sumsq"] = np.array([float(v) for v in extra["channel_sumsq"].split(",")])
    return fields


def nwb_volts(path):
    """h5py + numpy: the NWB schema's volts = data * conversion *
    channel_conversion + offset, float64, frames x channels."""
    with h5py.File(path, "r") as f:
        series = [k for k, v in f["acquisition"].items()
                  if v.attrs.get("neurodata_type") == "ElectricalSeries"]
        es = f["acquisition"][series[0]]
        d = es["data"]
        x = d[...]
        v = x.astype(np.float64)
        v *= np.float64(np.float32(d.attrs["conversion"]))
        if "channel_conversion" in es:
            v *= es["channel_conversion"][...].astype(np.float64)[None, :]
        if "offset" in d.attrs:
            v += np.float64(np.float32(d.attrs["offset"]))
    return v


def run_reference(name, path):
    """Seconds (wall, CPU) for the reference to read every sample, and the
    samples (channels x frames; NWB frames x channels)."""
    t0, c0 = time.perf_counter(), time.process_time()
    if name.startswith("nwb"):
        data = nwb_volts(path)
    else:
        reader = {"edf": mne.io.read_raw_edf, "bdf": mne.io.read_raw_bdf,
                  "vhdr": mne.io.read_raw_brainvision, "set": mne.io.read_raw_eeglab,
                  "fif": mne.io.read_raw_fif}[name.split("_")[0]]
        data = reader(path, preload=False).get_data()
    return time.perf_counter() - t0, time.process_time() - c0, data


def check_equal(name, ours, ref_data):
    axis = 0 if name.startswith("nwb") else 1
    frames = ref_data.shape[axis]
    if int(ours["frames"]) != frames or int(ours["channels"]) != ref_data.shape[1 - axis]:
        raise SystemExit("%s: ours %s x %s, reference %s" % (name, ours["frames"],
                                                            ours["channels"], ref_data.shape))
    ref_sum = ref_data.sum(axis=axis)
    ref_sumsq = (ref_data * ref_data).sum(axis=axis)
    scale = np.sqrt(ref_sumsq * frames)  # bounds |sum|
    d_sum = np.max(np.abs(ours["sums"] - ref_sum) / scale)
    d_sq = np.max(np.abs(ours["sumsq"] - ref_sumsq) / ref_sumsq)
    if d_sum > 1e-9 or d_sq > 1e-9:
        raise SystemExit("%s: the samples differ (sums %.2e, sums of squares %.2e)"
                         % (name, d_sum, d_sq))
    return max(d_sum, d_sq)


def median(v):
    return float(np.median(np.asarray(v)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", help="where the files are written and kept (default: temporary)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    wanted = args.formats.split(",")
    for n in wanted:
        if n not in FORMATS:
            raise SystemExit("--formats: %s is not one of %s" % (n, ", ".join(FORMATS)))

    tmp = None
    folder = args.dir
    if folder is None:
        tmp = tempfile.TemporaryDirectory(prefix="reader_bench_")
        folder = tmp.name
    os.makedirs(folder, exist_ok=True)
    write_all(folder, wanted)

    print("%d channels x %d min at %d Hz; %d rounds, sides alternating; warm page cache"
          % (CHANNELS, MINUTES, RATE, args.rounds), flush=True)
    results = []
    for name in wanted:
        file, companions, sample_bytes, compressed = FORMATS[name]
        path = os.path.join(folder, file)
        paths = [path] + [os.path.join(folder, c) for c in companions]
        warm(paths)
        file_mb = sum(os.path.getsize(p) for p in paths) / 1e6
        ours0 = run_ours(path, sample_bytes, sums=True)
        _, _, data = run_reference(name, path)
        diff = check_equal(name, ours0, data)
        del data
        ours_s, ref_s, ratios, cpu, ref_cpu = [], [], [], [], []
        for r in range(args.rounds):
            order = ("ours", "ref") if r % 2 == 0 else ("ref", "ours")
            got = {}
            for side in order:
                if side == "ours":
                    o = run_ours(path, sample_bytes)
                    got["ours"] = float(o["seconds"])
                    cpu.append(float(o["cpu_s"]))
                else:
                    got["ref"], c, data = run_reference(name, path)
                    ref_cpu.append(c)
                    del data
            ours_s.append(got["ours"])
            ref_s.append(got["ref"])
            ratios.append(got["ref"] / got["ours"])
        sample_mb = float(ours0["sample_mb"])
        res = dict(format=name, file=file, file_mb=file_mb, sample_mb=sample_mb,
                   compressed=compressed, ours_s=ours_s, ref_s=ref_s, ratios=ratios,
                   ours_cpu_s=cpu, ref_cpu_s=ref_cpu,
                   cpu_ratio_median=median([a / b for a, b in zip(ref_cpu, cpu)]),
                   ours_median_s=median(ours_s), ref_median_s=median(ref_s),
                   ours_mb_per_s=sample_mb / median(ours_s),
                   ref_mb_per_s=sample_mb / median(ref_s), ratio_median=median(ratios),
                   max_sum_difference=diff)
        results.append(res)
        print("%-15s %6.1f MB file %6.1f MB samples | ours %.4f s %5.0f MB/s (cpu %.4f s) | "
              "%s %.3f s %4.0f MB/s (cpu %.3f s) | ratio %5.1fx (rounds: %s; cpu %.1fx)"
              % (name, file_mb, sample_mb, res["ours_median_s"], res["ours_mb_per_s"],
                 median(cpu), "h5py" if name.startswith("nwb") else "MNE ",
                 res["ref_median_s"], res["ref_mb_per_s"], median(ref_cpu),
                 res["ratio_median"], " ".join("%.1f" % x for x in ratios),
                 res["cpu_ratio_median"]), flush=True)

    print()
    print("| format | file MB | sample MB | ours (median) | ours MB/s | ours CPU MB/s "
          "| reference (median) | reference MB/s | reference / ours, median of rounds "
          "| same, CPU seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        ref = "h5py+numpy" if r["format"].startswith("nwb") else "MNE"
        print("| %s | %.1f | %.1f | %.4f s | %.0f | %.0f | %s %.3f s | %.0f | %.1fx | %.1fx |"
              % (r["format"], r["file_mb"], r["sample_mb"], r["ours_median_s"],
                 r["ours_mb_per_s"], r["sample_mb"] / median(r["ours_cpu_s"]), ref,
                 r["ref_median_s"], r["ref_mb_per_s"], r["ratio_median"],
                 r["cpu_ratio_median"]))
    plain = [r for r in results if not r["compressed"]]
    slow = [r["format"] for r in plain if r["ours_mb_per_s"] < 1000]
    behind = [r["format"] for r in results if r["ratio_median"] < 2]
    print()
    print("target >= 1 GB/s uncompressed, one core: %s"
          % ("met" if not slow else "NOT met by " + ", ".join(slow)))
    print("target >= 2x the reference: %s" % ("met" if not behind else
                                              "NOT met by " + ", ".join(behind)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
