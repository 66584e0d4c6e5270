#!/usr/bin/env python3
"""Motor imagery, the scikit-learn way: MNE Epochs -> neurofeat features -> a classifier.

A notebook in cells (``# %%``): run it whole, or cell by cell in an editor
that knows the markers.

    PYTHONPATH=build/python /usr/bin/python3 examples/sklearn_csp.py
    PYTHONPATH=build/python /usr/bin/python3 examples/sklearn_csp.py --server HOST:PORT

The epochs are made here, as a motor-imagery recording looks: a 10 Hz mu
rhythm over both motor cortices that weakens over the hemisphere opposite the
imagined hand (event-related desynchronisation), seen by six channels through
volume conduction, in background noise. ``FeatureExtractor`` computes
EEGDash's CommonSpatialPattern (fitted on each training fold through the
server's Fit call) and mu band powers side by side; log, scaling and a
logistic regression follow. With ``--server`` the same cross-validation runs
on that server too and must give the same scores.
"""

# %% Setup
import argparse
import sys

import mne
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from neurofeat.sklearn import FeatureExtractor

parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
parser.add_argument("--server", help="HOST:PORT of a neurofeatd to compare with")
args = parser.parse_args()

SFREQ = 128.0
CHANNELS = ["FC3", "C3", "CP3", "FC4", "C4", "CP4"]

# %% Epochs: 2 s each, "left" (0) and "right" (1) hand imagery
rng = np.random.default_rng(7)
n_epochs, n_times = 160, 256
y = np.tile([0, 1], n_epochs // 2)
t = np.arange(n_times) / SFREQ
# How strongly each motor source (left, right hemisphere) reaches each channel.
spread = np.array([[0.6, 0.1], [1.0, 0.2], [0.6, 0.1], [0.1, 0.6], [0.2, 1.0], [0.1, 0.6]])
# Imagining the left hand weakens the right hemisphere's mu rhythm, and back.
mu = np.where(y[:, None] == 0, [1.0, 0.7], [0.7, 1.0])
phase = rng.uniform(0, 2 * np.pi, (n_epochs, 2, 1))
sources = mu[:, :, None] * np.sin(2 * np.pi * 10 * t + phase)
sources += 0.2 * rng.standard_normal((n_epochs, 2, n_times))
x = 1e-5 * (np.einsum("cs,nst->nct", spread, sources)
            + 1.0 * rng.standard_normal((n_epochs, len(CHANNELS), n_times)))
epochs = mne.EpochsArray(x, mne.create_info(CHANNELS, SFREQ, "eeg"), verbose="error")
print(epochs)

# %% The features: CSP filters and mu band powers, EEGDash's tree
pipeline = {"features": [
    {"name": "csp", "fn": "CommonSpatialPattern"},
    {"name": "spec", "preprocessor": {"fn": "spectral_preprocessor",
                                      "params": {"window_size_in_sec": 1.0}},
     "features": [{"name": "bp", "fn": "spectral_bands_power",
                   "params": {"bands": [{"name": "mu", "lo": 8, "hi": 12}]}}]}]}


def classifier(client=None):
    return make_pipeline(FeatureExtractor(pipeline, client=client),
                         FunctionTransformer(np.log), StandardScaler(),
                         LogisticRegression())


# %% Cross-validation: CSP is fitted on each training fold only
folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
scores = cross_val_score(classifier(), epochs, y, cv=folds)
print(f"5-fold accuracy: {scores.mean():.3f} +- {scores.std():.3f} ({np.round(scores, 3)})")

# %% What was fitted: the features' names and the CSP filters' eigenvalues
extractor = FeatureExtractor(pipeline).fit(epochs, y)
print("features:", ", ".join(extractor.get_feature_names_out()))
model = extractor.pipeline_["features"][0]["params"]["fitted"]
print("CSP eigenvalues:", np.round(model["eigvals"], 3))

# %% The same on a server: the same numbers
if args.server:
    remote = cross_val_score(classifier(args.server), epochs, y, cv=folds)
    assert np.array_equal(remote, scores), (remote, scores)
    print(f"{args.server}: the same scores")

sys.exit(0 if scores.mean() >= 0.9 else 1)
