"""CommonSpatialPattern against a numpy/scipy transcription of EEGDash's
algorithm (scipy.linalg.eigh on the class covariances), on a synthetic
two-class set whose discriminative spatial pattern is known; fit on one set
and extract on another; the fitted pipeline round-trips through JSON; fit
errors (one class, too few windows, NaN) are clear.

  python3 csp_reference_test.py BUILD_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy.linalg

BUILD = sys.argv[1]
CLI = os.path.join(BUILD, "client", "cli", "neurofeat")
CHANNELS = ["C3", "Cz", "C4", "Pz", "Oz", "Fz"]
PATTERN = np.array([1.0, 0.3, -1.0, 0.0, 0.2, -0.1])  # the spatial source class 1 carries


def make_set(rng, n_per_class, n_times=256):
    """Class 0: background only; class 1: background + a strong source mixed
    into the channels by PATTERN."""
    mixing = rng.standard_normal((6, 6)) * 0.5 + np.eye(6)
    x, y = [], []
    for label in (0, 1):
        for _ in range(n_per_class):
            background = mixing @ rng.standard_normal((6, n_times))
            if label == 1:
                background += np.outer(PATTERN, 3.0 * rng.standard_normal(n_times))
            x.append(background * 1e-6)
            y.append(label)
    return np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.int64)


def reference_fit(x, y):
    """EEGDash's CommonSpatialPattern.fit (feature_bank/csp.py), one batch,
    with eigh for the symmetric-definite generalized problem."""
    labels = np.unique(y)
    counts, means, covs = [], [], []
    for label in labels:
        xl = x[y == label].swapaxes(1, 2).reshape(-1, x.shape[1]).astype(np.float64)
        counts.append(xl.shape[0])
        means.append(xl.mean(axis=0))
        covs.append(np.cov(xl.T, ddof=0))
    counts = np.array(counts)
    mean = (counts[:, None] / counts.sum() * np.array(means)).sum(axis=0)
    covs = [c * n / (counts[1] - 1) for c, n in zip(covs, counts)]
    l, w = scipy.linalg.eigh(covs[0], covs[0] + covs[1])
    keep = l > 0
    l, w = l[keep], w[:, keep]
    order = np.abs(l - 0.5).argsort()[::-1]
    w = w[:, order] / np.linalg.norm(w[:, order], axis=0)
    return l[order], w, mean


def reference_features(x, w, mean):
    proj = (x.swapaxes(1, 2).reshape(-1, x.shape[1]) - mean) @ w
    return proj.reshape(x.shape[0], x.shape[2], -1).var(axis=1)


def run(*args):
    r = subprocess.run([CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode, r.stdout


def main():
    rng = np.random.default_rng(7)
    train_x, train_y = make_set(rng, 40)
    test_x, _ = make_set(rng, 25)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        p = lambda name: os.path.join(tmp, name)
        np.save(p("train_x.npy"), train_x)
        np.save(p("train_y.npy"), train_y)
        np.save(p("test_x.npy"), test_x)
        with open(p("csp.json"), "w") as f:
            json.dump({"features": [{"name": "csp", "fn": "CommonSpatialPattern"}]}, f)
        code, out = run("fit", "--input", p("train_x.npy"), "--labels", p("train_y.npy"),
                        "--channels", ",".join(CHANNELS), "--pipeline", p("csp.json"),
                        "--output", p("fitted.json"))
        if code != 0:
            raise SystemExit(out)
        print(out.strip())
        fitted = json.load(open(p("fitted.json")))
        model = fitted["features"][0]["params"]["fitted"]
        eig, w, mean = reference_fit(train_x, train_y)
        got_eig = np.array(model["eigvals"])
        got_w = np.array(model["weights"]).T
        if not np.allclose(got_eig, eig, rtol=1e-9, atol=1e-12):
            failures.append(f"eigenvalues {got_eig} vs reference {eig}")
        dots = np.abs(np.sum(got_w * w, axis=0))
        if not np.allclose(dots, 1.0, atol=1e-9):
            failures.append(f"filters differ from the reference: |cos| {dots}")
        # The most discriminative filter finds the planted source: its
        # pattern (the column of the inverse of the filter matrix) is PATTERN.
        patterns = np.linalg.inv(got_w.T)
        cos = abs(patterns[:, 0] @ PATTERN) / np.linalg.norm(patterns[:, 0]) / np.linalg.norm(PATTERN)
        print(f"first filter's pattern vs the planted one: |cos| = {cos:.4f}")
        if cos < 0.99:
            failures.append(f"the first filter does not find the planted pattern (|cos| {cos})")

        # Extract on held-out windows with the fitted pipeline (written back
        # and read again: the JSON round trip).
        with open(p("roundtrip.json"), "w") as f:
            json.dump(json.load(open(p("fitted.json"))), f, indent=2)
        code, out = run("extract", "--input", p("test_x.npy"), "--fs", "256", "--channels",
                        ",".join(CHANNELS), "--pipeline", p("roundtrip.json"), "--no-cache",
                        "--output", p("test.csv"))
        if code != 0:
            raise SystemExit(out)
        import pandas as pd
        table = pd.read_csv(p("test.csv"), float_precision="round_trip")
        want = reference_features(test_x, w, mean)
        columns = [f"csp_{j}" for j in range(want.shape[1])]
        if [c for c in table.columns if c.startswith("csp_")] != columns:
            failures.append(f"columns {list(table.columns)}, expected {columns}")
        else:
            rel = np.max(np.abs(table[columns].to_numpy() - want) / np.abs(want))
            print(f"held-out features vs reference: max relative difference {rel:.3g}")
            if rel > 1e-8:
                failures.append(f"held-out features differ from the reference by {rel}")

        # Clear errors.
        def expect_error(args, text):
            code, out = run(*args)
            if code == 0 or text not in out:
                failures.append(f"{args}: expected an error saying {text!r}, got {out!r}")
        base = ["fit", "--channels", ",".join(CHANNELS), "--pipeline", p("csp.json"),
                "--output", p("bad.json")]
        np.save(p("one_class.npy"), np.zeros(80, dtype=np.int64))
        expect_error(base + ["--input", p("train_x.npy"), "--labels", p("one_class.npy")],
                     "exactly two classes")
        np.save(p("few_x.npy"), train_x[[0, 40, 41]])
        np.save(p("few_y.npy"), np.array([0, 1, 1]))
        expect_error(base + ["--input", p("few_x.npy"), "--labels", p("few_y.npy")],
                     "class 0 has 1 window(s)")
        nan_x = train_x.copy()
        nan_x[3, 2, 17] = np.nan
        np.save(p("nan_x.npy"), nan_x)
        expect_error(base + ["--input", p("nan_x.npy"), "--labels", p("train_y.npy")],
                     "window 3, channel C4, sample 17 is nan")
    if failures:
        print("\n".join(failures))
        return 1
    print("CommonSpatialPattern agrees with the numpy/scipy reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
