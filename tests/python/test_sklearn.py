"""neurofeat.sklearn.FeatureExtractor as scikit-learn expects a transformer: in a
Pipeline under cross_val_score on a planted two-class spatial pattern, the same
through the process's own neurofeatd, an explicit LocalServer and a server
fixture; clone and parameter round trips (sklearn's own checks); MNE Epochs as
X; and the README's notebook example run as written."""

import json
import os
import pickle
import re
import subprocess
import sys
import urllib.request

import joblib
import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.utils import estimator_checks  # noqa: E402

import neurofeat  # noqa: E402
from neurofeat import sklearn as nf_sklearn  # noqa: E402
from neurofeat.sklearn import FeatureExtractor  # noqa: E402
from conftest import BUILD, ROOT  # noqa: E402

CSP = {"features": [{"name": "csp", "fn": "CommonSpatialPattern"}]}
VAR = {"features": [{"name": "var", "fn": "signal_variance"}]}
SFREQ = 128.0
NAMES = ["Fz", "C3", "Cz", "C4", "P3", "Pz"]


@pytest.fixture(scope="module", autouse=True)
def shared_server_in_a_fresh_cache(tmp_path_factory):
    """client=None starts the process's own neurofeatd; its cache goes to a
    folder of the test's, and it is stopped when the module ends."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield
        nf_sklearn.stop_shared_server()


def planted(n=120, seed=3):
    """Two classes whose epochs differ only in which of two sources, mixed into
    six channels by a fixed spatial pattern, has the larger variance."""
    rng = np.random.default_rng(seed)
    y = np.tile([0, 1], n // 2)
    patterns = rng.standard_normal((len(NAMES), 2))
    amplitude = np.where(y[:, None] == 0, [3.0, 1.0], [1.0, 3.0])
    sources = rng.standard_normal((n, 2, 256)) * amplitude[:, :, None]
    noise = 0.5 * rng.standard_normal((n, len(NAMES), 256))
    return np.einsum("cs,nst->nct", patterns, sources) + noise, y


def csp_pipeline(client):
    return Pipeline([("features", FeatureExtractor(CSP, SFREQ, NAMES, client=client)),
                     ("classifier", LogisticRegression())])


def fit_calls(server):
    """The Fit calls the server answered, from its metrics page."""
    page = urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics").read()
    return sum(float(line.rsplit(" ", 1)[1]) for line in page.decode().splitlines()
               if line.startswith("neurofeat_requests_total{") and 'rpc="Fit"' in line)


def test_csp_pipeline_cross_validates_the_same_embedded_and_remote(server):
    x, y = planted()
    with neurofeat.LocalServer(threads=1, no_cache=True) as local, \
            neurofeat.Client(server.target) as remote:
        runs = {"shared": None, "local": local.target, "remote": remote}
        scores = {k: cross_val_score(csp_pipeline(c), x, y, cv=5) for k, c in runs.items()}
        transformed = {k: FeatureExtractor(CSP, SFREQ, NAMES, client=c).fit(x, y).transform(x)
                       for k, c in runs.items()}
        # The layer below, by hand: fit, then extract with the fitted pipeline.
        fitted = remote.fit(x, y, CSP, sfreq=SFREQ, ch_names=NAMES)
        by_hand = remote.extract(x, fitted, sfreq=SFREQ, ch_names=NAMES)
    assert len(scores["shared"]) == 5
    assert scores["shared"].min() >= 0.9, scores
    for k in ("local", "remote"):
        assert np.array_equal(scores[k], scores["shared"]), (k, scores)
        assert np.array_equal(transformed[k], transformed["shared"]), k
    columns = [f"csp_{j}" for j in range(len(NAMES))]
    assert np.array_equal(transformed["remote"], by_hand[columns].to_numpy())
    # Each column is the variance of the windows (float32, as EEGDash's) through
    # one fitted filter: numpy's own computation from the model.
    model = fitted["features"][0]["params"]["fitted"]
    windows = x.astype(np.float32).astype(np.float64) - np.array(model["mean"])[:, None]
    expected = np.einsum("jc,nct->njt", np.array(model["weights"]), windows).var(axis=-1)
    np.testing.assert_allclose(transformed["shared"], expected, rtol=1e-12)


def test_fit_fits_on_the_training_folds_and_returns_self(server):
    x, y = planted()
    fe = FeatureExtractor(CSP, SFREQ, NAMES, client=server.target)
    assert fe.fit(x[:60], y[:60]) is fe
    assert fe.fitted_nodes_ == ["features.csp"]
    model = fe.pipeline_["features"][0]["params"]["fitted"]
    assert model["channels"] == NAMES and model["counts"] == [30 * 256, 30 * 256]  # samples
    assert list(fe.get_feature_names_out()) == [f"csp_{j}" for j in range(6)]
    # Refitting on the other half gives another model: fit always refits.
    other = fe.fit(x[60:], y[60:]).pipeline_["features"][0]["params"]["fitted"]
    assert other["weights"] != model["weights"]
    assert fit_calls(server) == 2


def test_a_pipeline_without_trainable_nodes_fits_nothing(server):
    x, _ = planted(n=10)
    fe = FeatureExtractor(VAR, SFREQ, NAMES, client=server.target).fit(x)
    assert fe.fitted_nodes_ == [] and fe.pipeline_ == VAR
    assert fit_calls(server) == 0
    out = fe.transform(x)
    assert out.dtype == np.float64 and out.shape == (10, 6)
    np.testing.assert_allclose(out, x.astype(np.float32).astype(np.float64).var(axis=-1),
                               rtol=1e-12)
    assert list(fe.get_feature_names_out()) == [f"var_{c}" for c in NAMES]
    assert np.array_equal(FeatureExtractor(VAR, SFREQ, NAMES, client=server.target)
                          .fit_transform(x), out)


def test_clone_and_parameters_round_trip_as_sklearn_checks_them(server):
    with neurofeat.Client(server.target) as connection:
        for client in (None, server.target, connection):
            fe = FeatureExtractor(CSP, SFREQ, NAMES, client=client, lowpass=40.0)
            estimator_checks.check_get_params_invariance("FeatureExtractor", fe)
            estimator_checks.check_set_params("FeatureExtractor", fe)
            twin = clone(fe)
            assert twin is not fe and twin.get_params() == fe.get_params()
            # A connection is shared by clones, never copied.
            assert twin.client is client
            assert twin.set_params(sfreq=256.0).sfreq == 256.0 and fe.sfreq == SFREQ
        # The checks that fit (on 2-D blobs: one channel per row) need a
        # pipeline without trainable nodes; CSP's own fit is checked below.
        fe = FeatureExtractor(VAR, SFREQ, client=server.target)
        estimator_checks.check_estimators_overwrite_params("FeatureExtractor", fe)
        estimator_checks.check_dont_overwrite_parameters("FeatureExtractor", fe)
        x, y = planted()
        pipeline = json.loads(json.dumps(CSP))
        fe = FeatureExtractor(pipeline, SFREQ, NAMES, client=connection)
        before = {k: joblib.hash(v) for k, v in fe.get_params().items() if k != "client"}
        fe.fit(x, y)
        after = {k: joblib.hash(v) for k, v in fe.get_params().items() if k != "client"}
        assert after == before and pipeline == CSP and fe.client is connection
        assert "fitted" not in json.dumps(pipeline) and "fitted" in json.dumps(fe.pipeline_)


def test_a_fitted_extractor_pickles_without_a_connection(server):
    x, y = planted(n=40)
    for client in (None, server.target):
        fe = FeatureExtractor(CSP, SFREQ, NAMES, client=client).fit(x, y)
        back = pickle.loads(pickle.dumps(fe))
        assert np.array_equal(back.transform(x), fe.transform(x))
    with neurofeat.Client(server.target) as connection:
        with pytest.raises(TypeError):
            pickle.dumps(FeatureExtractor(CSP, client=connection))


def test_mne_epochs_give_rate_and_names(server):
    mne = pytest.importorskip("mne")
    x, y = planted(n=60)
    info = mne.create_info(NAMES, SFREQ, "eeg")
    epochs = mne.EpochsArray(x, info, verbose="error")
    fe = FeatureExtractor(CSP, client=server.target).fit(epochs, y)
    assert fe.sfreq_ == SFREQ and fe.ch_names_ == NAMES
    assert fe.pipeline_["features"][0]["params"]["fitted"]["channels"] == NAMES
    from_array = FeatureExtractor(CSP, SFREQ, NAMES, client=server.target).fit(x, y)
    assert np.array_equal(fe.transform(epochs), from_array.transform(x))
    # cross_val_score hands the folds over as lists of one-epoch Epochs.
    scores = cross_val_score(Pipeline([("f", FeatureExtractor(CSP, client=server.target)),
                                       ("c", LogisticRegression())]), epochs, y, cv=3)
    assert np.array_equal(scores, cross_val_score(csp_pipeline(server.target), x, y, cv=3))
    with pytest.raises(ValueError, match="sfreq: 256.0 given, but X's info says 128.0"):
        FeatureExtractor(CSP, sfreq=256.0, client=server.target).fit(epochs, y)
    other = mne.EpochsArray(x[:, ::-1], mne.create_info(NAMES[::-1], SFREQ, "eeg"),
                            verbose="error")
    with pytest.raises(ValueError, match="ch_names"):
        fe.transform(other)


def test_bad_uses_are_refused_naming_what_is_wrong(server):
    x, y = planted(n=20)
    with pytest.raises(ValueError, match="y: required to fit features.csp"):
        FeatureExtractor(CSP, SFREQ, NAMES, client=server.target).fit(x)
    with pytest.raises(neurofeat.InvalidArgument, match="exactly two classes"):
        FeatureExtractor(CSP, SFREQ, NAMES, client=server.target).fit(x, np.arange(20) % 3)
    with pytest.raises(ValueError, match="pipeline.window"):
        FeatureExtractor(dict(VAR, window={"size_samples": 64}), SFREQ,
                         client=server.target).fit(x)
    with pytest.raises(ValueError, match="sfreq: required"):
        FeatureExtractor(VAR, client=server.target).fit(x)
    with pytest.raises(ValueError, match="ch_names: 2 names for epochs of 6 channels"):
        FeatureExtractor(VAR, SFREQ, ["a", "b"], client=server.target).fit(x)
    with neurofeat.LocalServer(threads=1, no_cache=True) as local:
        with pytest.raises(TypeError, match=r"pass its \.target"):
            FeatureExtractor(VAR, SFREQ, client=local).fit(x)
    with pytest.raises(sklearn.exceptions.NotFittedError):
        FeatureExtractor(VAR, SFREQ).transform(x)


def readme_python_block(marker):
    """The ```python block of README.md that contains `marker`."""
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    found = [b for b in blocks if marker in b]
    assert len(found) == 1, f"README.md: {len(found)} python blocks contain {marker!r}"
    return found[0]


def test_the_readme_notebook_example_runs_as_written():
    pytest.importorskip("mne")
    code = readme_python_block("FeatureExtractor(")
    namespace = {"__name__": "readme"}
    exec(compile(code, "README.md", "exec"), namespace)  # pylint: disable=exec-used
    scores = namespace["scores"]
    assert len(scores) == 5 and scores.min() >= 0.9, scores


def test_the_example_script_runs_end_to_end():
    pytest.importorskip("mne")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "sklearn_csp.py")],
                       capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, PYTHONPATH=os.path.join(BUILD, "python")))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "5-fold accuracy" in r.stdout and "csp_0" in r.stdout
