#!/usr/bin/python3
"""Builds tests/data from the shared golden set (and scipy for designs).

Run from the repository root with Debian's Python (scipy 1.10.1):
    /usr/bin/python3 tests/data/make_test_data.py ../shared/golden
The outputs are committed; tests never need the golden set itself.
"""
import json
import pathlib
import sys

import numpy as np
import scipy
import scipy.signal as sig

golden = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/golden")
out = pathlib.Path(__file__).resolve().parent
sc = golden / "scipy"
dst = out / "scipy"
dst.mkdir(exist_ok=True)

# Rows kept of every whole-signal output: both edges (padding) and the middle
# (the 1 s chunk seam at 30000, and the 7000-frame seam at 28000).
ROWS = np.r_[0:4000, 28000:32000, 56000:60000]


def save(name, arr):
    np.save(dst / name, np.ascontiguousarray(arr))


x_f32 = np.load(sc / "x_f32.npy")
x_i16 = np.load(sc / "x_i16.npy")
save("x_f32_c2.npy", x_f32[:, 0:2])
save("x_i16_c2.npy", x_i16[:, 0:2])

trace_outputs = [
    "ff_bp300_6000_o5_fs30000__f32", "ff_bp300_6000_o5_fs30000__i16",
    "ff_bp300_6000_o5_fs30000__i16_to_i16", "ff_hp300_o5_fs30000__f32",
    "ff_hp300_o5_fs30000__i16", "ff_hp300_o5_fs30000__i16_to_i16",
    "ff_bp1_40_o4_fs250__f32", "ff_notch60_q30_fs1000__f32",
    "fwd_bp300_6000_o5_fs30000__f32", "fwd_hp300_o5_fs30000__f32",
    "fwd_bp1_40_o4_fs250__f32", "fwd_notch60_q30_fs1000__f32",
    "si_chunk1s_bp300_6000_o5_fs30000__f32", "si_chunk1s_bp300_6000_o5_fs30000__i16_to_i16",
    "si_chunk7000_bp300_6000_o5_fs30000__f32", "si_chunk1s_hp300_o5_fs30000__f32",
    "si_chunk1s_hp300_o5_fs30000__i16_to_i16", "si_chunk1s_bp1_40_o4_fs250__f32",
    "si_chunk1s_notch60_q30_fs1000__f32",
]
for name in trace_outputs:
    y = np.load(sc / f"{name}.npy")
    save(f"{name}__rows.npy", y[ROWS, 0:2])
save("rows.npy", ROWS.astype(np.int64))

# Common reference: rows 0..4000 of the 16-channel chunked bandpass output
# (the SpikeInterface chain's input to common_reference), and of x_i16.
CMR_ROWS = slice(0, 4000)
save("cmr_input_f32.npy", np.load(sc / "si_chunk1s_bp300_6000_o5_fs30000__f32.npy")[CMR_ROWS])
save("cmr_input_i16.npy", x_i16[CMR_ROWS])
for name in ["cmr_global_median_shift", "cmr_global_median_out", "cmr_global_average_shift",
             "cmr_global_average_out", "cmr_global_average_pairwise_shift", "cmr_single_out",
             "cmr_global_median_i16_shift", "cmr_global_median_i16_to_i16_out"]:
    save(f"{name}.npy", np.load(sc / f"{name}.npy")[CMR_ROWS])

for name in ["sos_bp300_6000_o5_fs30000", "sos_hp300_o5_fs30000", "sos_bp1_40_o4_fs250",
             "ba_notch60_q30_fs1000", "zi_bp300_6000_o5_fs30000", "zi_hp300_o5_fs30000",
             "zi_bp1_40_o4_fs250", "zi_notch60_q30_fs1000"]:
    save(f"{name}.npy", np.load(sc / f"{name}.npy"))

# Filter designs over the whole supported space, straight from scipy.
designs = []
fs_list = [250.0, 1000.0, 30000.0]
for fs in fs_list:
    nyq = fs / 2
    for order in range(1, 11):
        for btype, wn in [("lowpass", [0.1 * nyq]), ("lowpass", [0.73 * nyq]),
                          ("highpass", [0.02 * nyq]), ("highpass", [0.4 * nyq]),
                          ("bandpass", [0.02 * nyq, 0.4 * nyq]), ("bandpass", [0.3 * nyq, 0.35 * nyq]),
                          ("bandstop", [0.1 * nyq, 0.2 * nyq]), ("bandstop", [0.5 * nyq, 0.9 * nyq])]:
            w = wn[0] if len(wn) == 1 else wn
            sos = sig.iirfilter(order, w, btype=btype, ftype="butter", output="sos", fs=fs)
            zi = sig.sosfilt_zi(sos)
            designs.append({"order": order, "btype": btype, "freqs": wn, "fs": fs,
                            "sos": sos.tolist(), "zi": zi.tolist()})
notches = []
for fs, f0, q in [(1000.0, 60.0, 30.0), (30000.0, 50.0, 10.0), (250.0, 50.0, 35.0), (2000.0, 900.0, 2.0)]:
    b, a = sig.iirnotch(f0 / (fs / 2), q)
    notches.append({"fs": fs, "freq": f0, "q": q, "b": b.tolist(), "a": a.tolist(),
                    "zi": sig.lfilter_zi(b, a).tolist()})
with open(dst / "designs.json", "w") as f:
    json.dump({"scipy_version": scipy.__version__, "butterworth": designs, "notch": notches}, f)
print("wrote", dst)

# EEGDash feature goldens (golden/eegdash). The allfeatures set is small and
# copied whole; the how-to set keeps windows [0, 64) of recording 0 (noise)
# and [120, 184) of recording 1 (noise + 10 Hz), with their golden rows.
import shutil  # noqa: E402

eg = golden / "eegdash"
edst = out / "eegdash"
edst.mkdir(exist_ok=True)
for name in ["allfeatures_X.npy", "allfeatures_eegdash_head.csv",
             "allfeatures_mse_eegdash_v080.csv", "allfeatures_dfa_float64_eegdash_head.csv"]:
    shutil.copyfile(eg / "allfeatures" / name, edst / name)
HOWTO_ROWS = np.r_[0:64, 120:184]
hx = np.load(eg / "howto" / "howto_X.npy")
np.save(edst / "howto_X_rows.npy", np.ascontiguousarray(hx[HOWTO_ROWS]))
lines = (eg / "howto" / "howto_eegdash_v080.csv").read_text().splitlines()
(edst / "howto_eegdash_v080_rows.csv").write_text(
    "\n".join([lines[0]] + [lines[1 + i] for i in HOWTO_ROWS]) + "\n")
# Welch PSDs of howto_X[:64] (scipy.signal.welch, fs 128, nperseg 128, noverlap 64).
for name in ["welch_fs128_n128_o64_f.npy", "welch_fs128_n128_o64_psd_f64.npy"]:
    shutil.copyfile(sc / name, edst / name)

# Real EDF (PhysioNet EEGMMIDB S001, ODC-By 1.0; ../data in the golden set's
# sibling folder): the first 2 data records, with the header's record count
# patched to 2; and the golden decoding of those samples (columns [0, 256)).
data_dir = golden.parent / "data"
rdst = out / "realdata"
rdst.mkdir(exist_ok=True)
raw = (data_dir / "test_edf_overlapping_annotations.edf").read_bytes()
header_bytes = int(raw[184:192].decode())
ns = int(raw[252:256].decode())
spr_at = 256 + ns * 216
samples_per_record = [int(raw[spr_at + 8 * i:spr_at + 8 * i + 8].decode()) for i in range(ns)]
record_bytes = 2 * sum(samples_per_record)
trimmed = bytearray(raw[:header_bytes + 2 * record_bytes])
trimmed[236:244] = b"2       "
(rdst / "edf_2records.edf").write_bytes(bytes(trimmed))
rg = golden / "realdata"
np.save(rdst / "edf_digital_i16_2records.npy", np.load(rg / "edf_digital_i16.npy")[:, :256])
np.save(rdst / "edf_physical_V_2records.npy", np.load(rg / "edf_physical_V_f64.npy")[:, :256])
print("wrote", rdst)

# SpikeInterface phase_shift (golden/spikeinterface_phase_shift, SI a5f7dbb3):
# the whole 16-channel int16 input (outputs depend on all of it: whole-segment
# FFTs, and the median reference across channels), the shifts and params, and
# rows [0, 1000) + [29500, 30500) + [59000, 60000) of every output (both
# recording edges, where the zero padding and taper matter, and the 1 s seam).
ps = golden / "spikeinterface_phase_shift"
pdst = out / "phase_shift"
pdst.mkdir(exist_ok=True)
PS_ROWS = np.r_[0:1000, 29500:30500, 59000:60000]
shutil.copyfile(ps / "input_int16.npy", pdst / "input_int16.npy")
shutil.copyfile(ps / "inter_sample_shift.npy", pdst / "inter_sample_shift.npy")
shutil.copyfile(ps / "params.json", pdst / "params.json")
np.save(pdst / "rows.npy", PS_ROWS.astype(np.int64))
for name in ["out_a_float32_whole", "out_b_float32_chunked_1s", "out_b_float32_chunked_7000",
             "out_c_int16_whole", "out_d_float32_ps_hp_cmr_whole"]:
    np.save(pdst / f"{name}__rows.npy", np.ascontiguousarray(np.load(ps / f"{name}.npy")[PS_ROWS]))
print("wrote", pdst)

# EEGDash's trainable CommonSpatialPattern (golden/eegdash/allfeatures, HEAD
# f359a73a): the labels of allfeatures_X.npy, the fitted state (the json's
# fitted_state) and the features extracted with it.
for name in ["allfeatures_target.npy", "allfeatures_csp_eegdash_head.csv"]:
    shutil.copyfile(eg / "allfeatures" / name, edst / name)
csp_meta = json.loads((eg / "allfeatures" / "allfeatures_csp_eegdash_head.json").read_text())
(edst / "allfeatures_csp_fitted_state.json").write_text(
    json.dumps(csp_meta["fitted_state"]["csp"], indent=1) + "\n")
print("wrote", edst, "(csp)")
