#!/usr/bin/python3
"""Goldens for three functions of EEGDash v0.8.4's feature bank.

    signal_envelope_preprocessor     signal.envelope(x, residual=None, axis=-1)
    pick_channel_pairs_preprocessor  keeps some pairs of a channel-pair preprocessor
    preprocessor_as_feature          its parent's output, as it is

EEGDash cannot be installed here, and Debian's scipy (1.10) has no
scipy.signal.envelope (new in 1.16), so this script transcribes them:

* `envelope()` below is scipy 1.16's scipy.signal.envelope, line for line, on
  scipy.fft (which 1.10 has, single precision included). Before any golden is
  written it is checked against the identities its docstring states (a pure
  tone's envelope is its amplitude; a real signal's envelope is
  |hilbert(x - mean)|, i.e. sqrt(x^2 + H[x]^2) of the mean-free signal, with
  the Nyquist bin left out for even lengths; squared=True squares it; a
  complex signal's envelope over the whole band is |z|) and its first
  example (a Gaussian-modulated carrier).
* The signal features are EEGDash's numpy one-liners (feature_bank/signal.py),
  run on the float32 arrays EEGDash gives them.
* pick_channel_pairs_preprocessor is transcribed from feature_bank/pick.py and
  applied to the per-pair outputs of the real EEGDash HEAD run
  (allfeatures_eegdash_head.csv, golden/eegdash): each of those features is
  computed pair by pair, so picking pairs before them equals picking their
  columns after them.

Run from the repository root with Debian's Python:
    /usr/bin/python3 tests/data/make_eegdash_084_goldens.py
It reads tests/data/eegdash/allfeatures_{X,target}.npy and
allfeatures_eegdash_head.csv and writes, next to them (CSVs as the goldens
are: EEGDash's column names, then `target`, values %.17g):
    envelope_eegdash_v084.csv   16 windows: envelope -> signal features (float32, as EEGDash)
    envelope_f64.npy            4 windows x 4 channels x 512: the envelope in float64
    asfeature_eegdash_v084.csv  4 windows of 64 samples: the windows and their envelope
    pairpick_eegdash_head.csv   48 windows: picked coherence and phase pairs
    *_pipeline.json             the same trees as neurofeat pipelines
"""
import json
import pathlib

import numpy as np
import scipy.fft as sp_fft
import scipy.signal as sig
from scipy.signal.windows import gaussian

out = pathlib.Path(__file__).resolve().parent / "eegdash"
FS = 256.0
CHANNELS = ["Fz", "C3", "C4", "Pz"]


# ----------------------------------------------------------------------------
# scipy.signal.envelope (scipy 1.16, scipy/signal/_signaltools.py), on numpy.
# Only the resampling of a complex residual is left out (it needs 1.16's
# resample(..., domain='freq')); EEGDash asks for no residual.
def envelope(z, bp_in=(1, None), *, n_out=None, squared=False, residual="lowpass", axis=-1):
    if not (-z.ndim <= axis < z.ndim):
        raise ValueError(f"Invalid parameter {axis=} for {z.shape=}!")
    if not (z.shape[axis] > 0):
        raise ValueError(f"z.shape[axis] not > 0 for {z.shape=}, {axis=}!")
    if len(bp_in) != 2 or not all((isinstance(b_, int) or b_ is None) for b_ in bp_in):
        raise ValueError(f"{bp_in=} isn't a 2-tuple of type (int | None, int | None)!")
    if not ((isinstance(n_out, int) and 0 < n_out) or n_out is None):
        raise ValueError(f"{n_out=} is not a positive integer or None!")
    if residual not in ("lowpass", "all", None):
        raise ValueError(f"{residual=} not in ['lowpass', 'all', None]!")

    n = z.shape[axis]
    n_out = n if n_out is None else n_out
    fak = n_out / n

    bp = slice(bp_in[0] if bp_in[0] is not None else -(n // 2),
               bp_in[1] if bp_in[1] is not None else (n + 1) // 2)
    if not (-n // 2 <= bp.start < bp.stop <= (n + 1) // 2):
        raise ValueError("`-n//2 <= bp_in[0] < bp_in[1] <= (n+1)//2` does not hold " +
                         f"for n={z.shape[axis]=} and {bp_in=}!")

    z = np.moveaxis(z, axis, -1)
    if np.iscomplexobj(z):
        Z = sp_fft.fft(z)
    else:
        dt = sp_fft.rfft(z[..., :1]).dtype
        Z = np.zeros_like(z, dtype=dt)
        Z[..., :n // 2 + 1] = sp_fft.rfft(z)
        if bp.start > 0:
            Z[..., bp] *= 2
        elif bp.stop > 0:
            Z[..., 1:bp.stop] *= 2
    if not (bp.start <= 0 < bp.stop):
        z_bb = sp_fft.ifft(Z[..., bp], n=n_out) * fak
    else:
        bp_shift = slice(bp.start + n // 2, bp.stop + n // 2)
        z_bb = sp_fft.ifft(sp_fft.fftshift(Z, axes=-1)[..., bp_shift], n=n_out) * fak

    z_env = np.abs(z_bb) if not squared else np.real(z_bb) ** 2 + np.imag(z_bb) ** 2
    z_env = np.moveaxis(z_env, -1, axis)

    if residual is None:
        return z_env
    if not (bp.start <= 0 < bp.stop):
        Z[..., bp] = 0
    else:
        Z[..., :bp.stop], Z[..., bp.start:] = 0, 0
    if residual == "lowpass":
        if bp.stop > 0:
            Z[..., bp.stop:(n + 1) // 2] = 0
        else:
            Z[..., bp.start:], Z[..., 0:(n + 1) // 2] = 0, 0
    if np.iscomplexobj(z):
        raise NotImplementedError("a complex signal's residual needs scipy 1.16's resample")
    if n_out != n and (m := min(n, n_out)) % 2 == 0:
        Z[..., m // 2] *= 2 if n_out < n else 0.5
    z_res = fak * sp_fft.irfft(Z, n=n_out)
    return np.stack((z_env, np.moveaxis(z_res, -1, axis)), axis=0)


def check_envelope():
    """The docstring's identities and first example, in float64."""
    rng = np.random.default_rng(84)
    # A pure tone on whole periods, with an offset: the amplitude everywhere.
    for n in (64, 63):
        t = np.arange(n)
        x = 2.5 * np.cos(2 * np.pi * 5 * t / n + 0.3) + 7.0
        assert np.allclose(envelope(x, residual=None), 2.5, rtol=0, atol=1e-12), n
    # Odd n: |hilbert(x - mean)| = sqrt(x_d^2 + H[x_d]^2).
    x = rng.standard_normal(511)
    xd = x - x.mean()
    a = sig.hilbert(xd)
    assert np.allclose(envelope(x, residual=None), np.abs(a), rtol=0, atol=1e-12)
    assert np.allclose(np.abs(a), np.sqrt(xd ** 2 + a.imag ** 2), rtol=0, atol=1e-12)
    # Even n: the same, with the Nyquist bin left out too; hilbert keeps it.
    x = rng.standard_normal(512)
    xd = x - x.mean()
    xd = xd - np.fft.fft(xd)[256].real / 512 * (-1.0) ** np.arange(512)
    assert np.allclose(envelope(x, residual=None), np.abs(sig.hilbert(xd)), rtol=0, atol=1e-12)
    assert not np.allclose(envelope(x, residual=None), np.abs(sig.hilbert(x - x.mean())),
                           rtol=0, atol=1e-6)
    alternating = (-1.0) ** np.arange(16)
    assert np.allclose(envelope(alternating, residual=None), 0.0, rtol=0, atol=1e-15)
    # squared=True is the square; the residual is what the band left out
    # below it (the mean) and, for even n, the Nyquist bin the band misses.
    e = envelope(x, residual=None)
    assert np.allclose(envelope(x, squared=True, residual=None), e ** 2, rtol=1e-12, atol=0)
    env, res = envelope(x)
    nyquist = np.fft.fft(x)[256].real / 512 * (-1.0) ** np.arange(512)
    assert np.allclose(res, x.mean() + nyquist, rtol=0, atol=1e-12) and np.allclose(env, e)
    x_odd = rng.standard_normal(255)
    assert np.allclose(envelope(x_odd)[1], x_odd.mean(), rtol=0, atol=1e-12)
    # Multidimensional input along the last axis equals row by row.
    xs = rng.standard_normal((3, 2, 100))
    rows = np.array([[envelope(r, residual=None) for r in ch] for ch in xs])
    assert np.allclose(envelope(xs, residual=None, axis=-1), rows, rtol=0, atol=1e-14)
    # A complex signal with no band limit: |z|.
    z = rng.standard_normal(100) + 1j * rng.standard_normal(100)
    assert np.allclose(envelope(z, (None, None), residual=None), np.abs(z), rtol=0, atol=1e-12)
    # The first example: a Gaussian-modulated carrier with a drift, 4 Hz
    # high-pass, 40 output samples. "Not perfectly identical" to a_x, but
    # close where the carrier is strong.
    n, n_o = 500, 40
    T = 2 / n
    t = np.arange(n) * T
    a_x = gaussian(len(t), 0.4 / T)
    phi_x = 30 * np.pi * t + 35 * np.cos(2 * np.pi * 0.25 * t)
    x = a_x * np.cos(phi_x) + 0.3 * gaussian(len(t), 0.4 / T)
    x_env, x_res = envelope(x, (int(4 * (n * T)), None), n_out=n_o)
    t_out = np.arange(n_o) * (n / n_o) * T
    a_out = np.interp(t_out, t, a_x)
    strong = a_out > 0.5
    assert np.max(np.abs(x_env[strong] - a_out[strong])) < 0.05, np.max(
        np.abs(x_env[strong] - a_out[strong]))
    # The residual is the drift (a low-pass), not the carrier.
    drift_out = np.interp(t_out, t, 0.3 * gaussian(len(t), 0.4 / T))
    assert np.max(np.abs(x_res - drift_out)) < 0.05


# ----------------------------------------------------------------------------
# EEGDash's functions (feature_bank/signal.py, pick.py, utils.py).
def signal_envelope_preprocessor(x):
    return envelope(x, residual=None, axis=-1)


SIGNAL_FEATURES = {
    "mean": lambda x: x.mean(axis=-1),
    "var": lambda x: x.var(axis=-1),
    "std": lambda x: x.std(axis=-1),
    "rms": lambda x: np.sqrt(np.power(x, 2).mean(axis=-1)),
    "ptp": lambda x: np.ptp(x, axis=-1),
    "q50": lambda x: np.quantile(x, q=0.5, axis=-1),
    "ll": lambda x: np.abs(np.diff(x, axis=-1)).mean(axis=-1),
    "hjmob": lambda x: np.diff(x, axis=-1).std(axis=-1) / x.std(axis=-1),
    "hjcomp": lambda x: (np.diff(x, 2, axis=-1).std(axis=-1) * x.std(axis=-1))
    / np.diff(x, axis=-1).var(axis=-1),
}
SIGNAL_FNS = {
    "mean": "signal_mean", "var": "signal_variance", "std": "signal_std",
    "rms": "signal_root_mean_square", "ptp": "signal_peak_to_peak", "q50": "signal_quantile",
    "ll": "signal_line_length", "hjmob": "signal_hjorth_mobility",
    "hjcomp": "signal_hjorth_complexity",
}


class BivariateIterator:
    def __init__(self, pairs):
        self.pairs = list(pairs)

    def get_pair_iterators(self):
        return tuple([np.array(v) for v in zip(*self.pairs)])


def channel_names_to_indices(channels, ch_names):
    idx = []
    for channel in channels:
        if channel not in ch_names:
            raise ValueError(f"Channel {channel} not found in metadata channels: {ch_names}.")
        idx.append(ch_names.index(channel))
    return idx


def pick_channel_pairs_preprocessor(*x, pairs, _metadata, index=-1, axis=-2):
    """pick.py's function for its defaults (c_index = x_index = y_index = None)."""
    index = [index] if isinstance(index, int) else index
    pick_pairs = list(zip(*[channel_names_to_indices(p, _metadata["info"]["ch_names"])
                            for p in zip(*pairs)]))
    assert not set(pick_pairs) - set(_metadata["ch_pair_iterator"].pairs)
    pick_idx = [_metadata["ch_pair_iterator"].pairs.index(p) for p in pick_pairs]
    y = list(x)
    for i in index:
        y[i] = x[i].take(pick_idx, axis=axis)
    _metadata = dict(_metadata, ch_pair_iterator=BivariateIterator(pick_pairs))
    return (*y, _metadata)


def bivariate_names(_metadata):
    ch = _metadata["info"]["ch_names"]
    return ["{}<>{}".format(ch[i], ch[j])
            for i, j in zip(*_metadata["ch_pair_iterator"].get_pair_iterators())]


def preprocessor_as_feature(*x):
    if len(x) == 1:
        return x[0]
    return x


def flatten_cell(name, arr):
    """A window's (channels, samples) cell as '<name>_<sample>_<channel>' columns."""
    cols = {}
    for i in range(arr.shape[-1]):
        for c, ch in enumerate(CHANNELS):
            cols[f"{name}_{i}_{ch}"] = arr[:, c, i]
    return cols


def write_csv(path, columns, target):
    """As the goldens are written: EEGDash's columns, then `target`, %.17g."""
    columns = dict(columns, target=target)
    names = list(columns)
    rows = len(next(iter(columns.values())))
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        for r in range(rows):
            f.write(",".join("%.17g" % float(columns[k][r]) for k in names) + "\n")


def write_json(path, obj):
    path.write_text(json.dumps(obj, indent=1) + "\n")


def main():
    check_envelope()
    X = np.load(out / "allfeatures_X.npy")  # (48, 4, 512) float32, 256 Hz
    assert X.dtype == np.float32 and X.shape == (48, 4, 512)
    target = np.load(out / "allfeatures_target.npy")

    # 1. envelope -> signal features, on float32 windows as EEGDash runs them.
    x = X[:16]
    env = signal_envelope_preprocessor(x)
    assert env.dtype == np.float32  # scipy.fft keeps single precision
    cols = {}
    for key, f in SIGNAL_FEATURES.items():
        v = f(env)
        for c, ch in enumerate(CHANNELS):
            cols[f"env_{key}_{ch}"] = v[:, c]
    write_csv(out / "envelope_eegdash_v084.csv", cols, target[:16])
    write_json(out / "envelope_pipeline.json", {"features": [{
        "name": "env", "preprocessor": {"fn": "signal_envelope_preprocessor"},
        "features": [{"name": k, "fn": SIGNAL_FNS[k]} for k in SIGNAL_FEATURES]}]})
    # How far the float32 path is from float64 (the windows promoted): the
    # scale of the differences a float64 implementation shows.
    env64 = signal_envelope_preprocessor(x.astype(np.float64))
    for key, f in SIGNAL_FEATURES.items():
        a, b = f(env).astype(np.float64), f(env64)
        print(f"env_{key}: float32 vs float64 max rel diff {np.max(np.abs(a - b) / np.abs(b)):.2e}")

    # 2. The envelope itself in float64 (4 windows), for the kernel.
    np.save(out / "envelope_f64.npy", signal_envelope_preprocessor(X[:4].astype(np.float64)))

    # 3. preprocessor_as_feature: the windows, and the envelope, as columns
    #    (4 windows cut to 64 samples).
    xs = np.ascontiguousarray(X[:4, :, :64])
    cols = {}
    cols.update(flatten_cell("raw", preprocessor_as_feature(xs)))
    cols.update(flatten_cell("env_as", preprocessor_as_feature(signal_envelope_preprocessor(xs))))
    write_csv(out / "asfeature_eegdash_v084.csv", cols, target[:4])
    write_json(out / "asfeature_pipeline.json", {"features": [
        {"name": "raw", "fn": "preprocessor_as_feature"},
        {"name": "env", "preprocessor": {"fn": "signal_envelope_preprocessor"},
         "features": [{"name": "as", "fn": "preprocessor_as_feature"}]}]})

    # 4. pick_channel_pairs_preprocessor under the coherency and phase
    #    preprocessors of the all-features tree (their default pairs: every
    #    i < j, named "A<>B").
    lines = (out / "allfeatures_eegdash_head.csv").read_text().splitlines()
    header = lines[0].split(",")
    values = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    head = {name: values[:, k] for k, name in enumerate(header)}
    default_pairs = [(i, j) for i in range(4) for j in range(i + 1, 4)]
    meta = {"info": {"ch_names": CHANNELS}, "ch_pair_iterator": BivariateIterator(default_pairs)}
    pair_names = bivariate_names(meta)
    cols = {}
    spec = [("conn_coh", [["C4", "Pz"], ["Fz", "C3"]], ["msc", "icoh", "lcoh"],
             ["delta", "theta", "alpha", "beta"]),
            ("alpha_ph", [["C3", "Pz"], ["C3", "C4"], ["Fz", "C4"]],
             ["plv", "ciplv", "pli", "wpli", "dpli"], [None])]
    for group, pick, leaves, keys in spec:
        for leaf in leaves:
            for key in keys:
                stem = f"{group}_{leaf}_" + (f"{key}_" if key else "")
                # (windows, pairs, 1): the pair axis at -2, where the pair
                # preprocessors put it (before the frequencies or samples).
                per_pair = np.stack([head[stem + p] for p in pair_names], axis=1)[..., None]
                (picked, picked_meta) = pick_channel_pairs_preprocessor(
                    per_pair, pairs=pick, _metadata=meta)
                picked = picked[..., 0]
                out_stem = f"{group}_pp_{leaf}_" + (f"{key}_" if key else "")
                for c, p in enumerate(bivariate_names(picked_meta)):
                    cols[out_stem + p] = picked[:, c]
    write_csv(out / "pairpick_eegdash_head.csv", cols, target)
    coh = {"fn": "connectivity_coherency_preprocessor", "params": {"window_size_in_sec": 1.0}}
    write_json(out / "pairpick_pipeline.json", {"features": [
        {"name": "conn", "features": [{"name": "coh", "preprocessor": coh, "features": [
            {"name": "pp", "preprocessor": {"fn": "pick_channel_pairs_preprocessor",
                                            "params": {"pairs": spec[0][1]}},
             "features": [{"name": "msc", "fn": "connectivity_magnitude_square_coherence"},
                          {"name": "icoh", "fn": "connectivity_imaginary_coherence"},
                          {"name": "lcoh", "fn": "connectivity_lagged_coherence"}]}]}]},
        {"name": "alpha", "preprocessor": {"fn": "signal_bandpass_filter_preprocessor",
                                           "params": {"f_min": 8.0, "f_max": 12.0}},
         "features": [{"name": "ph", "preprocessor": {"fn": "connectivity_phase_diff_preprocessor"},
                       "features": [
            {"name": "pp", "preprocessor": {"fn": "pick_channel_pairs_preprocessor",
                                            "params": {"pairs": spec[1][1]}},
             "features": [
                 {"name": "plv", "fn": "connectivity_phase_locking_value"},
                 {"name": "ciplv", "fn": "connectivity_corrected_imaginary_phase_locking_value"},
                 {"name": "pli", "fn": "connectivity_phase_lag_index"},
                 {"name": "wpli", "fn": "connectivity_weighted_phase_lag_index"},
                 {"name": "dpli", "fn": "connectivity_directed_phase_lag_index"}]}]}]}]})


if __name__ == "__main__":
    main()
