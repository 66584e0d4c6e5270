#!/usr/bin/env python3
"""Writes a small BIDS EEG dataset for the BIDS tests, one recording per format.

Usage: make_bids_dataset.py OUT_DIR [--formats edf,vhdr,fif,set]

  OUT_DIR/ds/participants.tsv            age, sex (sub-02's age n/a)
  OUT_DIR/ds/task-rest_eeg.json          SamplingFrequency 256 (inherited)
  OUT_DIR/ds/sub-01/eeg/sub-01_task-rest_run-1_eeg.edf        EDF+ (hand-written)
  OUT_DIR/ds/sub-01/eeg/sub-01_task-rest_run-2_eeg.vhdr       BrainVision (hand-written)
  OUT_DIR/ds/sub-02/ses-a/eeg/sub-02_ses-a_task-rest_run-1_eeg.fif   FIF (mne RawArray.save)
  OUT_DIR/ds/sub-02/ses-a/eeg/sub-02_ses-a_task-rest_run-2_eeg.set   EEGLAB (scipy.io.savemat)
  OUT_DIR/ds/sub-03/eeg/sub-03_task-other_run-1_eeg.edf       another task
each with *_channels.tsv (sub-02's Oz is "bad") and *_events.tsv (trial_type
left/right). Also OUT_DIR/expected.json: per recording, the event windows
braindecode's create_windows_from_events makes (window_size_samples=256,
trial offsets 0), computed here from the events by its algorithm, and the
MNE reading (volts) of every file in OUT_DIR/<name>.mne.npy.
"""
import json
import os
import sys

import numpy as np

FS = 256
NAMES = ["Fz", "Cz", "Pz", "Oz"]
SECONDS = 24


def edf_bytes(data_v, names, fs):
    """EDF+C, int16 samples over +-3276.7 uV, 1 s records, an annotation signal."""
    n_ch, n = data_v.shape
    spr, records = fs, n // fs
    pmin, pmax, dmin, dmax = -3276.8, 3276.7, -32768, 32767
    dig = np.clip(np.round((data_v * 1e6 - pmin) / (pmax - pmin) * (dmax - dmin) + dmin),
                  dmin, dmax).astype("<i2")
    labels = names + ["EDF Annotations"]
    ns = len(labels)

    def f(s, w):
        return s.encode("latin-1")[:w].ljust(w)

    h = f("0", 8) + f("X X X X", 80) + f("Startdate 01-JAN-2020 X X X", 80) + f("01.01.20", 8)
    h += f("00.00.00", 8) + f(str(256 * (ns + 1)), 8) + f("EDF+C", 44) + f(str(records), 8)
    h += f("1", 8) + f(str(ns), 4)
    h += b"".join(f(l, 16) for l in labels) + b"".join(f("", 80) for l in labels)
    h += b"".join(f("uV" if l != "EDF Annotations" else "", 8) for l in labels)
    h += b"".join(f(str(pmin) if l != "EDF Annotations" else "-1", 8) for l in labels)
    h += b"".join(f(str(pmax) if l != "EDF Annotations" else "1", 8) for l in labels)
    h += b"".join(f(str(dmin), 8) for l in labels) + b"".join(f(str(dmax), 8) for l in labels)
    h += b"".join(f("", 80) for l in labels)
    h += b"".join(f(str(spr) if l != "EDF Annotations" else "30", 8) for l in labels)
    h += b"".join(f("", 32) for l in labels)
    body = b""
    for r in range(records):
        for c in range(n_ch):
            body += dig[c, r * spr:(r + 1) * spr].tobytes()
        body += ("+%d\x14\x14\x00" % r).encode().ljust(60, b"\x00")
    return h + body


def write_brainvision(stem, data_v, names, fs):
    base = os.path.basename(stem)
    res = 0.1  # uV per bit
    ints = np.clip(np.round(data_v * 1e6 / res), -32768, 32767).astype("<i2")
    ints.T.tofile(stem + ".eeg")  # multiplexed
    chans = "".join(f"Ch{i + 1}={n},,{res},µV\n" for i, n in enumerate(names))
    with open(stem + ".vhdr", "w", encoding="utf-8") as f:
        f.write("Brain Vision Data Exchange Header File Version 1.0\n\n[Common Infos]\n"
                f"Codepage=UTF-8\nDataFile={base}.eeg\nMarkerFile={base}.vmrk\n"
                "DataFormat=BINARY\nDataOrientation=MULTIPLEXED\n"
                f"NumberOfChannels={len(names)}\nSamplingInterval={1e6 / fs:g}\n\n"
                "[Binary Infos]\nBinaryFormat=INT_16\n\n[Channel Infos]\n" + chans)
    with open(stem + ".vmrk", "w", encoding="utf-8") as f:
        f.write("Brain Vision Data Exchange Marker File, Version 1.0\n\n[Common Infos]\n"
                f"Codepage=UTF-8\nDataFile={base}.eeg\n\n[Marker Infos]\n"
                "Mk1=New Segment,,1,1,0\n")


def write_fif(path, data_v, names, fs):
    import mne  # pylint: disable=import-outside-toplevel
    info = mne.create_info(names, fs, "eeg")
    mne.io.RawArray(data_v, info, verbose=False).save(path, overwrite=True, verbose=False)


def write_eeglab(path, data_v, names, fs):
    import scipy.io  # pylint: disable=import-outside-toplevel
    chanlocs = np.zeros((1, len(names)), dtype=[("labels", object), ("type", object)])
    for i, n in enumerate(names):
        chanlocs[0, i] = (n, "EEG")
    eeg = {"setname": "test", "filename": os.path.basename(path), "filepath": "",
           "nbchan": float(len(names)), "trials": 1.0, "pnts": float(data_v.shape[1]),
           "srate": float(fs), "xmin": 0.0, "xmax": (data_v.shape[1] - 1) / fs,
           "data": (data_v * 1e6).astype(np.float32), "chanlocs": chanlocs,
           "event": np.zeros((0, 0)), "icawinv": np.zeros((0, 0)), "icasphere": np.zeros((0, 0)),
           "icaweights": np.zeros((0, 0)), "ref": "common", "times": np.zeros((0, 0))}
    scipy.io.savemat(path, {"EEG": eeg}, appendmat=False)


def braindecode_windows(events, size, n_frames):
    """create_windows_from_events' window starts (window_size_samples=size,
    stride=size, offsets 0, drop_last_window=False), written out."""
    starts, targets = [], []
    for onset_s, duration_s, trial_type in events:
        onset = int(np.round(onset_s * FS))
        stop = onset + int(duration_s * FS)
        assert size <= stop - onset and stop <= n_frames
        trial = list(range(onset, stop - size + 1, size))
        if trial[-1] + size != stop:
            trial.append(stop - size)
        starts += trial
        targets += [trial_type] * len(trial)
    order = sorted(range(len(starts)), key=lambda i: starts[i])
    return [starts[i] for i in order], [targets[i] for i in order]


def main(out, formats):
    rng = np.random.default_rng(20261206)
    ds = os.path.join(out, "ds")
    os.makedirs(ds, exist_ok=True)
    with open(os.path.join(ds, "dataset_description.json"), "w") as f:
        json.dump({"Name": "neurofeat BIDS test", "BIDSVersion": "1.8.0"}, f)
    with open(os.path.join(ds, "participants.tsv"), "w") as f:
        f.write("participant_id\tage\tsex\nsub-01\t25\tF\nsub-02\tn/a\tM\nsub-03\t31\tF\n")
    with open(os.path.join(ds, "task-rest_eeg.json"), "w") as f:
        json.dump({"TaskName": "rest", "SamplingFrequency": FS}, f)
    recordings = [("sub-01", None, "rest", "1", "edf"), ("sub-01", None, "rest", "2", "vhdr"),
                  ("sub-02", "a", "rest", "1", "fif"), ("sub-02", "a", "rest", "2", "set"),
                  ("sub-03", None, "other", "1", "edf")]
    expected = {}
    t = np.arange(FS * SECONDS) / FS
    for sub, ses, task, run, ext in recordings:
        if ext not in formats:
            continue
        folder = os.path.join(ds, sub, f"ses-{ses}" if ses else "", "eeg")
        os.makedirs(folder, exist_ok=True)
        stem = "_".join([sub] + ([f"ses-{ses}"] if ses else []) + [f"task-{task}", f"run-{run}"])
        path = os.path.join(folder, stem)
        alpha = 10e-6 * np.sin(2 * np.pi * 10 * t)
        data = rng.standard_normal((len(NAMES), t.size)) * 5e-6 + alpha
        data = np.round(data * 1e7) / 1e7  # 0.1 uV steps: every format holds them exactly
        if ext == "edf":
            if task == "other":
                with open(os.path.join(folder, stem + "_eeg.json"), "w") as f:
                    json.dump({"TaskName": task, "SamplingFrequency": FS}, f)
            with open(path + "_eeg.edf", "wb") as f:
                f.write(edf_bytes(data, NAMES, FS))
        elif ext == "vhdr":
            write_brainvision(path + "_eeg", data, NAMES, FS)
        elif ext == "fif":
            write_fif(path + "_eeg.fif", data, NAMES, FS)
        elif ext == "set":
            write_eeglab(path + "_eeg.set", data, NAMES, FS)
        bad = "Oz" if sub == "sub-02" else None
        with open(os.path.join(folder, stem + "_channels.tsv"), "w") as f:
            f.write("name\ttype\tunits\tstatus\n")
            for n in NAMES:
                f.write(f"{n}\tEEG\tuV\t{'bad' if n == bad else 'good'}\n")
        events = [(1.0, 2.0, "left"), (4.5, 3.0, "right"), (10.0, 2.5, "left"),
                  (15.0, 1.0, "right")]
        with open(os.path.join(folder, stem + "_events.tsv"), "w") as f:
            f.write("onset\tduration\ttrial_type\tvalue\n")
            for onset, duration, trial_type in events:
                f.write(f"{onset}\t{duration}\t{trial_type}\t1\n")
        rel = os.path.relpath(path + "_eeg." + ext, ds)
        starts, targets = braindecode_windows(events, FS, t.size)
        expected[rel] = {"starts": starts, "targets": targets, "bad": bad or ""}
        np.save(os.path.join(out, rel.replace("/", "__") + ".data.npy"), data)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    fmts = {"edf", "vhdr", "fif", "set"}
    if len(sys.argv) > 3 and sys.argv[2] == "--formats":
        fmts = set(sys.argv[3].split(","))
    main(sys.argv[1], fmts)
