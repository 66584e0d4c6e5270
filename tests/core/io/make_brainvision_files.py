#!/usr/bin/python3
"""Writes BrainVision test recordings and MNE's reading of each.

Usage: make_brainvision_files.py OUTDIR

mne 1.3 cannot write BrainVision (pybv is not in Debian), so each set is
written by hand: the .vhdr text, the .vmrk text and the samples with
numpy's tofile. Each set is then read back with
mne.io.read_raw_brainvision(vhdr, preload=False), and MNE's reading is the
reference:

  <name>.ref.npy   raw.get_data() as float64, channels x frames
  <name>.ref.json  ch_names, sfreq, ch_types, highpass, lowpass, n_frames,
                   events ([onset_frame, duration_frames, description], in
                   MNE's annotation order), band_from_header (whether the
                   header's filter table sets each corner: where it does
                   not, MNE's value is its default 0 / sfreq / 2)

Variants: INT_16, INT_32, IEEE_FLOAT_32 x MULTIPLEXED, VECTORIZED; per-
channel resolutions (empty too) and units (µV as UTF-8 and as the Latin-1
byte 0xB5, uV, nV, mV, V, non-voltage units, a Greek mu that MNE does not
know); 8-32 channels at 500 or 1000 Hz; markers with sizes, before the
start, past the end, out of order; filter tables (same settings, differing
settings, time constants, Hz, DC, Off, software filters); a DataFile name
with spaces; CRLF line ends; header versions 1.0 and 2.0; escaped commas
and spaces in channel names. Deterministic (fixed seed).
"""

import json
import os
import sys
import warnings

import numpy as np

warnings.simplefilter("ignore")
import mne  # noqa: E402

mne.set_log_level("ERROR")

V1 = "Brain Vision Data Exchange Header File Version 1.0"
V2 = "BrainVision Data Exchange Header File Version 2.0"
M1 = "Brain Vision Data Exchange Marker File, Version 1.0"
M2 = "BrainVision Data Exchange Marker File Version 2.0"

DTYPES = {"INT_16": "<i2", "INT_32": "<i4", "IEEE_FLOAT_32": "<f4"}


def amp_table(names, res_units, low, high, low_unit="[s]", new_style=True):
    """The 'Channels' table BrainVision Recorder writes into [Comment]."""
    if new_style:
        head = ("#     Name      Phys. Chn.    Resolution / Unit   Low Cutoff %s"
                "   High Cutoff [Hz]   Notch [Hz]    Series Res. [kOhm] Gradient"
                "         Offset" % low_unit)
    else:
        head = ("#     Name      Phys. Chn.    Resolution [µV]  Low Cutoff %s"
                "   High Cutoff [Hz]   Notch [Hz]" % low_unit)
    lines = ["Channels", "--------", head]
    for i, name in enumerate(names):
        res = res_units[i] if new_style else res_units[i].split()[0]
        lines.append("%-5d %-11s %-16d %-18s %-15s %-17s Off                0" %
                     (i + 1, name, i + 1, res, low[i], high[i]))
    return lines


def write_set(out, v, rng):
    name = v["name"]
    n_ch = len(v["channels"])
    fmt = v["fmt"]
    orient = v["orient"]
    frames = v["frames"]
    data_file = v.get("data_file", name + ".eeg")
    marker_file = name + ".vmrk"
    nl = v.get("newline", "\n")
    enc = v.get("encoding", "utf-8")

    hdr = [v.get("version", V1), "; written by make_brainvision_files.py", "",
           "[Common Infos]"]
    if v.get("codepage"):
        hdr.append("Codepage=%s" % v["codepage"])
    hdr += ["DataFile=%s" % data_file, "MarkerFile=%s" % marker_file,
            "DataFormat=BINARY",
            "; Data orientation: MULTIPLEXED=ch1,pt1, ch2,pt1 ...",
            "DataOrientation=%s" % orient,
            "NumberOfChannels=%d" % n_ch,
            "; Sampling interval in microseconds",
            "SamplingInterval=%s" % v["interval"]]
    if v.get("datapoints") is not None:
        hdr.append("DataPoints=%d" % v["datapoints"])
    hdr += ["", "[Binary Infos]", "BinaryFormat=%s" % fmt, "",
            "[Channel Infos]",
            "; Each entry: Ch<Channel number>=<Name>,<Reference channel name>,",
            '; <Resolution in "Unit">,<Unit>, Future extensions..',
            '; Commas in channel names are coded as "\\1".']
    for i, ch in enumerate(v["channels"]):
        hdr.append("Ch%d=%s" % (i + 1, ch))
    if v.get("comment") is not None:
        hdr += ["", "[Comment]", ""] + v["comment"]
    text = nl.join(hdr) + nl
    with open(os.path.join(out, name + ".vhdr"), "wb") as f:
        f.write(text.encode(enc))

    mrk = [v.get("marker_version", M1), "", "[Common Infos]", "Codepage=UTF-8",
           "DataFile=%s" % data_file, "", "[Marker Infos]",
           "; Each entry: Mk<Marker number>=<Type>,<Description>,<Position in "
           "data points>,",
           "; <Size in data points>, <Channel number (0 = marker is related "
           "to all channels)>"]
    for i, m in enumerate(v["markers"]):
        mrk.append("Mk%d=%s" % (i + 1, m))
    with open(os.path.join(out, marker_file), "wb") as f:
        f.write((nl.join(mrk) + nl).encode("utf-8"))

    dtype = np.dtype(DTYPES[fmt])
    if dtype.kind == "i":
        info = np.iinfo(dtype)
        span = 3000 if dtype.itemsize == 2 else 2_000_000
        x = rng.integers(-span, span, size=(frames, n_ch)).astype(dtype)
        x[0, 0], x[1, 0] = info.min, info.max
    else:
        x = (rng.standard_normal((frames, n_ch)) * 50).astype(dtype)
        x[0, 0], x[1, 0] = np.float32(3.4e38), np.float32(-1e-30)
    stored = x if orient == "MULTIPLEXED" else np.ascontiguousarray(x.T)
    raw_bytes = stored.tobytes()
    if v.get("trailing_bytes"):
        raw_bytes += b"\x01" * v["trailing_bytes"]
    with open(os.path.join(out, data_file), "wb") as f:
        f.write(raw_bytes)

    raw = mne.io.read_raw_brainvision(os.path.join(out, name + ".vhdr"),
                                      preload=False)
    data = raw.get_data()
    np.save(os.path.join(out, name + ".ref.npy"), data.astype(np.float64))
    sfreq = raw.info["sfreq"]
    ann = raw.annotations
    events = [[int(round(o * sfreq)), int(round(d * sfreq)), str(desc)]
              for o, d, desc in zip(ann.onset, ann.duration, ann.description)]
    ref = dict(ch_names=list(raw.ch_names), sfreq=float(sfreq),
               ch_types=list(raw.get_channel_types()),
               highpass=float(raw.info["highpass"]),
               lowpass=float(raw.info["lowpass"]),
               n_frames=int(raw.n_times), events=events,
               band_from_header=v.get("band", [False, False]),
               data_file=data_file)
    with open(os.path.join(out, name + ".ref.json"), "w") as f:
        json.dump(ref, f, indent=1)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240611)
    variants = []

    # INT_16, multiplexed, 16 channels at 1000 Hz, UTF-8 µV, per-channel
    # resolutions, one filter setting for all channels (time constant 10 s,
    # 1000 Hz), markers with sizes.
    names = ["Fp1", "Fp2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2",
             "F7", "F8", "T7", "T8", "HEOGL", "VEOGb"]
    res = ["0.1", "0.5", "0.049", "1", "0.1", "0.25", "2", "0.1", "0.1",
           "0.3", "", "0.1", "0.1", "0.1", "0.5", "0.5"]
    variants.append(dict(
        name="int16_mux", fmt="INT_16", orient="MULTIPLEXED", frames=3000,
        interval="1000", codepage="UTF-8",
        channels=["%s,,%s,µV" % (n, r) for n, r in zip(names, res)],
        comment=["A m p l i f i e r  S e t u p", "=" * 28,
                 "Number of channels: 16", "Sampling Rate [Hz]: 1000",
                 "Sampling Interval [µS]: 1000", ""] +
        amp_table(names, ["%s µV" % (r or "1") for r in res], ["10"] * 16,
                  ["1000"] * 16),
        markers=["New Segment,,1,1,0,20240611120000000000",
                 "Stimulus,S  1,101,1,0", "Stimulus,S  2,2500,1,0",
                 "Response,R  1,1200,1,0", "Comment,long one,400,250,0",
                 "Stimulus,S  1,101,3,0", "Stimulus,S255,2999,5,0",
                 "Stimulus,S  3,3000,1,0", "Stimulus,S  4,3001,1,0",
                 "Stimulus,S  5,5000,1,0", "Stimulus,S  6,0,1,0"],
        band=[True, True]))

    # INT_16, vectorized, 8 channels at 500 Hz, DataPoints given, µV as the
    # Latin-1 byte 0xB5 under Codepage=Latin-1, a name with a Latin-1 letter,
    # differing filters (time constants and Hz), an escaped comma, CRLF.
    names = ["Fz", "Cz", "Pz", "Oz", "Fé", "A\\1B", "EMG left", "ECG"]
    res = ["0.1", "0.2", "0.1", "0.4", "0.1", "0.1", "1", "10"]
    variants.append(dict(
        name="int16_vec", fmt="INT_16", orient="VECTORIZED", frames=2600,
        datapoints=2600, interval="2000", codepage="Latin-1",
        encoding="latin-1", newline="\r\n",
        channels=["%s,Ref,%s,µV" % (n, r) for n, r in zip(names, res)],
        comment=amp_table([n.replace("\\1", ",") for n in names],
                          ["%s µV" % r for r in res],
                          ["10", "10", "0.3", "10", "10", "10", "DC", "10"],
                          ["250", "1000", "1000", "Off", "1000", "1000",
                           "1000", "1000"]),
        markers=["New Segment,,1,1,0,20240611120000000000",
                 "Stimulus,S 12,40,1,0", "Stimulus,S  7,2599,1,0",
                 "Response,R 10,2600,2,0", "Comment,a\\1b,100,0,0"],
        band=[True, True]))

    # INT_32, multiplexed, 12 channels at 1000 Hz: units nV, mV, V, uV, µV
    # as 0xB5 in a file that states no codepage (invalid UTF-8: MNE falls
    # back to Latin-1), non-voltage units (ARU, °C, an unknown one), a unit
    # left out, an empty unit, "STI 014" (stim); the low cutoff in Hz;
    # header version 2.0; DataPoints absent.
    chans = ["Fp1,,0.1,nV", "Fp2,,0.02,mV", "F3,,1e-7,V", "F4,,0.1,uV",
             "C3,,0.1,\xb5V", "Resp,,1,ARU", "Temp,,0.01,°C", "GSR,,0.5,xyz",
             "C4,,0.1,µV", "P3,,0.1", "P4,,0.3,", "STI 014,,1,V"]
    variants.append(dict(
        name="int32_mux", fmt="INT_32", orient="MULTIPLEXED", frames=2000,
        interval="1000", encoding="latin-1", version=V2,
        channels=chans, marker_version=M2,
        comment=amp_table([c.split(",")[0] for c in chans],
                          ["0.1 µV"] * 12, ["0.1"] * 12, ["250"] * 12,
                          low_unit="[Hz]"),
        markers=["Stimulus,S  1,11,1,0", "Stimulus,S  1,11,1,0",
                 "Optic,O  1,20,4,3"],
        band=[True, True]))

    # INT_32, vectorized, 10 channels at 500 Hz, no DataPoints (the file
    # size decides), a trailing partial frame, DC high-pass, lowpass Off,
    # old-style table (resolution column without unit).
    names = ["Ch%02d" % i for i in range(10)]
    variants.append(dict(
        name="int32_vec", fmt="INT_32", orient="VECTORIZED", frames=2200,
        interval="2000", trailing_bytes=7,
        channels=["%s,,%s,µV" % (n, 0.05 * (i + 1))
                  for i, n in enumerate(names)],
        comment=amp_table(names, ["0.05 µV"] * 10, ["DC"] * 10,
                          ["Off"] * 10, new_style=False),
        markers=["Stimulus,S  9,1,0,0", "Stimulus,S  9,700,x,0"],
        band=[True, False]))

    # IEEE_FLOAT_32, multiplexed, 32 channels at 1000 Hz, a DataFile name
    # with spaces, resolutions 1 and empty, a Greek mu unit (MNE does not
    # know it: misc, scale 1), EOG by name, mixed filters with an 'Off'
    # lowpass (MNE stores Nyquist), header 2.0. (Duplicate names are not
    # here: MNE 1.3 cannot read them.)
    names = ["E%d" % i for i in range(1, 31)] + ["HEOGR", "E31"]
    low = ["10"] * 16 + ["0.3"] * 16
    high = ["1000"] * 31 + ["Off"]
    variants.append(dict(
        name="float32_mux", fmt="IEEE_FLOAT_32", orient="MULTIPLEXED",
        frames=2000, interval="1000", version=V2, codepage="UTF-8",
        data_file="float32 mux data.eeg",
        channels=["%s,,%s,%s" % (n, "" if i % 3 == 0 else "1",
                                 "\u03bcV" if i == 6 else "µV")
                  for i, n in enumerate(names)],
        comment=amp_table(names, ["1 µV"] * 32, low, high),
        markers=["New Segment,,1,1,0,20240611120000000000",
                 "Stimulus,S  1,500,1,0", "Stimulus,S  2,500,1,0",
                 "Stimulus,S  1,250,1,0", "Bad Interval,Bad Min-Max,900,300,3"],
        band=[True, True]))

    # IEEE_FLOAT_32, vectorized, 8 channels at 500 Hz with DataPoints,
    # software filters that override the amplifier table.
    names = ["F%d" % i for i in range(1, 9)]
    variants.append(dict(
        name="float32_vec", fmt="IEEE_FLOAT_32", orient="VECTORIZED",
        frames=3000, datapoints=3000, interval="2000", codepage="UTF-8",
        channels=["%s,,0.5,mV" % n for n in names],
        comment=amp_table(names, ["0.5 mV"] * 8, ["10"] * 8, ["1000"] * 8) +
        ["", "S o f t w a r e  F i l t e r s", "=" * 30,
         "#     Low Cutoff [s]   High Cutoff [Hz]   Notch [Hz]"] +
        ["%-5d %-16s %-18s Off" % (i + 1, "0.1", "70" if i else "40")
         for i in range(8)],
        markers=["Stimulus,S  1,1500,1,0"],
        band=[True, True]))

    # A header with no [Comment] (no band) and an old-style amplifier-less
    # file: INT_16 multiplexed at 500 Hz.
    variants.append(dict(
        name="nocomment", fmt="INT_16", orient="MULTIPLEXED", frames=1000,
        interval="2000",
        channels=["C%d,,0.1,µV" % i for i in range(1, 9)],
        comment=None, markers=[], band=[False, False]))

    for v in variants:
        write_set(out, v, rng)
    with open(os.path.join(out, "variants.json"), "w") as f:
        json.dump([v["name"] for v in variants], f)


if __name__ == "__main__":
    main()
