"""neurofeat.sklearn: a neurofeat pipeline as a scikit-learn transformer.

:class:`FeatureExtractor` turns epochs (an ``mne.Epochs`` or a numpy
``(epochs, channels, times)`` array) into one row of features per epoch, the
columns EEGDash's names (:meth:`~FeatureExtractor.get_feature_names_out`).
``fit`` fits the pipeline's trainable nodes (EEGDash's CommonSpatialPattern)
on the labelled epochs through the server's Fit call; a pipeline without them
fits nothing. It goes into ``sklearn.pipeline.Pipeline``, ``cross_val_score``
and ``GridSearchCV`` like any transformer: fold by fold, the models are
fitted on the training epochs only.

The features are computed by a neurofeatd: ``client=None`` uses one started
on 127.0.0.1 for this process (:func:`shared_server`, the embedded engine),
a ``"host:port"`` string a server there, a :class:`neurofeat.Client` that
connection. A connection is opened for each fit or transform and closed after
it (none stays open to hold up a server's shutdown) and is no part of the
estimator's state, so it clones, and pickles with ``client`` None or a
target string (``cross_val_score(..., n_jobs=2)`` then works too; a
``Client`` is shared by clones and does not pickle).

Importable only where scikit-learn is (Debian's python3-sklearn).

Example::

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from neurofeat.sklearn import FeatureExtractor

    csp = {"features": [{"name": "csp", "fn": "CommonSpatialPattern"}]}
    clf = make_pipeline(FeatureExtractor(csp), FunctionTransformer(np.log),
                        LogisticRegression())       # log-variance of each CSP filter
    scores = cross_val_score(clf, epochs, y, cv=5)  # epochs: mne.Epochs
"""

import atexit
import contextlib
import os
import threading

import numpy as np
from google.protobuf import json_format
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from neurofeat import _client, _inputs
from neurofeat._local import LocalServer

# The deadline of each call an estimator makes through a connection it opened
# itself (one extraction of all the epochs it is given). Default 1 h.
CALL_TIMEOUT_S = 3600.0

_lock = threading.Lock()
_shared = None  # (pid, LocalServer) of shared_server()


def _stop_at_exit(pid, server):
    if os.getpid() == pid:
        server.__exit__(None, None, None)


def shared_server():
    """The neurofeatd that estimators with ``client=None`` use: a
    :class:`neurofeat.LocalServer` started on first use, one per process,
    with the server's defaults (its threads from the machine's limits, the
    result cache in ``$XDG_CACHE_HOME/neurofeat``), stopped when the process
    exits or by :func:`stop_shared_server`. Thread-safe."""
    global _shared  # pylint: disable=global-statement
    with _lock:
        pid = os.getpid()
        if _shared is None or _shared[0] != pid or _shared[1].process.poll() is not None:
            server = LocalServer()
            atexit.register(_stop_at_exit, pid, server)
            _shared = (pid, server)
        return _shared[1]


def stop_shared_server():
    """Stops the :func:`shared_server` of this process, if one runs (the next
    estimator that needs it starts another)."""
    global _shared  # pylint: disable=global-statement
    with _lock:
        if _shared is None or _shared[0] != os.getpid():
            return
        server = _shared[1]
        _shared = None
    server.__exit__(None, None, None)


@contextlib.contextmanager
def _connection(client):
    """The Client an estimator's ``client`` parameter stands for, for one fit
    or transform: the given one, or one opened here and closed after."""
    if isinstance(client, _client.Client):
        yield client
        return
    if client is None:
        target = shared_server().target
    elif isinstance(client, str):
        target = client
    else:
        hint = " (pass its .target)" if isinstance(client, LocalServer) else ""
        raise TypeError(f"client: None, a \"host:port\" target or a neurofeat.Client, "
                        f"not {type(client).__name__}{hint}")
    with _client.Client(target, timeout=CALL_TIMEOUT_S) as connection:
        yield connection


def _trainable(connection, message):
    """The paths of the pipeline's nodes whose function is trainable (the
    server's catalogue gives it a "fitted" parameter, which Fit fills)."""
    bank = connection.features()
    trainable = {fn for fn, params in zip(bank["fn"], bank["params"]) if "fitted" in params}
    paths = []

    def walk(nodes, path):
        for node in nodes:
            here = f"{path}.{node.name}"
            if node.fn in trainable:
                paths.append(here)
            walk(node.features, here)

    walk(message.features, "features")
    return paths


def _is_epochs(obj):
    return _inputs._is_mne(obj, "Epochs")  # pylint: disable=protected-access


def _samples(X):
    """(samples (epochs, channels, times), info from MNE or {}) of X: an
    mne.Epochs, a list of them (cross-validation splits Epochs into one per
    epoch), or an array; a 2-D (epochs, times) array is one channel."""
    if isinstance(X, (list, tuple)) and X and all(_is_epochs(e) for e in X):
        parts = [_inputs.samples_and_info(e) for e in X]
        info = parts[0][1]
        for i, (_, other) in enumerate(parts[1:], start=1):
            for key in ("sfreq", "ch_names"):
                if other[key] != info[key]:
                    raise ValueError(f"X[{i}]: {key} {other[key]} differs from X[0]'s "
                                     f"{info[key]}")
        return np.concatenate([p[0] for p in parts]), info
    if _inputs._is_mne(X, "Raw"):  # pylint: disable=protected-access
        raise TypeError("X: an mne Raw is one continuous recording; cut it into mne.Epochs "
                        "(one row per epoch), or use neurofeat.Client.extract")
    if _is_epochs(X):
        return _inputs.samples_and_info(X)
    array = np.asarray(X)
    if array.ndim == 2:
        array = array[:, np.newaxis, :]
    if array.ndim != 3:
        raise ValueError(f"X: expected mne.Epochs or an (epochs, channels, times) array, got "
                         f"shape {array.shape}")
    return _inputs.samples_and_info(array)


def _labels(y, n):
    labels = np.asarray(y)
    if labels.ndim != 1 or len(labels) != n:
        raise ValueError(f"y: one label per epoch ({n}), got shape {labels.shape}")
    if np.issubdtype(labels.dtype, np.integer):
        return labels.astype(np.int64)
    # Any other labels (strings, floats) as the index of each in sorted order.
    return np.unique(labels, return_inverse=True)[1].astype(np.int64)


class FeatureExtractor(TransformerMixin, BaseEstimator):
    """One row of features per epoch, computed by neurofeatd.

    Parameters (stored as given; checked by ``fit``):

    pipeline
        The pipeline: a dict, JSON text, a path to a JSON file, or a
        ``neurofeat.v1.Pipeline``. Its ``features`` tree gives the columns;
        a ``window`` would cut each epoch into several rows and is refused.
    sfreq, ch_names
        The epochs' rate (Hz) and channel names; taken from an
        ``mne.Epochs``' info when X is one (they must then agree). Default
        None: from the info (numpy X needs ``sfreq``; channels are named
        "0", "1", ... without ``ch_names``).
    client
        None (the process's :func:`shared_server`), a ``"host:port"`` target,
        or a :class:`neurofeat.Client`.
    highpass, lowpass
        The band already applied to the epochs (Hz), which spectral features
        cut their spectra to; default: an ``mne.Epochs``' info, else none.
    cache
        The server's result cache: "default", "bypass" or "refresh".

    Attributes after ``fit``: ``pipeline_`` (the pipeline as a dict, each
    trainable node's model in its ``params.fitted``: ``json.dump`` it to use
    it with ``neurofeat extract``), ``fitted_nodes_`` (their paths),
    ``sfreq_``, ``ch_names_``, ``highpass_``, ``lowpass_`` (what the epochs
    are taken to be), ``feature_names_out_``.

    Example::

        fe = FeatureExtractor({"features": [{"name": "var", "fn": "signal_variance"}]},
                              sfreq=256, ch_names=["C3", "Cz", "C4"])
        x = fe.fit_transform(epochs_array)          # (epochs, 3): var_C3, var_Cz, var_C4
    """

    def __init__(self, pipeline, sfreq=None, ch_names=None, client=None, *, highpass=None,
                 lowpass=None, cache="default"):
        self.pipeline = pipeline
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.client = client
        self.highpass = highpass
        self.lowpass = lowpass
        self.cache = cache

    def _more_tags(self):
        return {"X_types": ["3darray"], "requires_y": False}

    # ---- fit --------------------------------------------------------------------

    def _check(self, X):
        """(samples, metadata, pipeline message) of X and the parameters, checked
        before any server is asked."""
        if self.cache not in _client._CACHE:  # pylint: disable=protected-access
            raise ValueError(f"cache: {self.cache!r} is not one of "
                             f"{', '.join(_client._CACHE)}")  # pylint: disable=protected-access
        samples, info = _samples(X)
        meta = {}
        for key in ("sfreq", "ch_names"):
            given, found = getattr(self, key), info.get(key)
            if given is not None and found is not None and list(np.atleast_1d(given)) != list(
                    np.atleast_1d(found)):
                raise ValueError(f"{key}: {given} given, but X's info says {found}")
            meta[key] = given if given is not None else found
        if meta["sfreq"] is None:
            raise ValueError("sfreq: required for numpy epochs (or give an mne.Epochs)")
        if meta["ch_names"] is not None:
            meta["ch_names"] = [str(c) for c in meta["ch_names"]]
            if len(meta["ch_names"]) != samples.shape[1]:
                raise ValueError(f"ch_names: {len(meta['ch_names'])} names for epochs of "
                                 f"{samples.shape[1]} channels")
        for key in ("highpass", "lowpass"):
            given = getattr(self, key)
            meta[key] = given if given is not None else info.get(key)
        message = _client._pipeline_message(self.pipeline)  # pylint: disable=protected-access
        if message.HasField("window"):
            raise ValueError("pipeline.window: a FeatureExtractor gives one row per epoch; "
                             "drop the window (cut the epochs beforehand)")
        return samples, meta, message

    def _fit(self, connection, samples, meta, message, y):
        """Fits the trainable nodes and sets the fitted attributes but the names."""
        self.fitted_nodes_ = _trainable(connection, message)
        if self.fitted_nodes_:
            if y is None:
                raise ValueError(f"y: required to fit {', '.join(self.fitted_nodes_)} (one "
                                 "label per epoch)")
            self.pipeline_ = connection.fit(samples, _labels(y, len(samples)), message,
                                            sfreq=meta["sfreq"], ch_names=meta["ch_names"])
        else:
            self.pipeline_ = json_format.MessageToDict(message, preserving_proto_field_name=True)
        self.sfreq_ = float(meta["sfreq"])
        self.ch_names_ = meta["ch_names"]
        self.highpass_ = meta["highpass"]
        self.lowpass_ = meta["lowpass"]

    def fit(self, X, y=None):
        """Fits the pipeline's trainable nodes on the labelled epochs X (y: one
        label per epoch; two classes for CommonSpatialPattern) and learns the
        column names (from the first epoch). Returns self."""
        samples, meta, message = self._check(X)
        with _connection(self.client) as connection:
            self._fit(connection, samples, meta, message, y)
            rows = self._rows(connection, samples[:1])
        self.feature_names_out_ = np.asarray(rows.columns, dtype=object)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """fit(X, y).transform(X), with one extraction of X."""
        samples, meta, message = self._check(X)
        with _connection(self.client) as connection:
            self._fit(connection, samples, meta, message, y)
            rows = self._rows(connection, samples)
        self.feature_names_out_ = np.asarray(rows.columns, dtype=object)
        return rows.values

    # ---- transform ----------------------------------------------------------------

    def _rows(self, connection, samples):
        recording = _inputs.Recording(samples, sfreq=self.sfreq_, ch_names=self.ch_names_,
                                      highpass=self.highpass_, lowpass=self.lowpass_)
        rows = connection._extract_rows(  # pylint: disable=protected-access
            recording, _client._pipeline_message(self.pipeline_),  # pylint: disable=protected-access
            0, self.cache, {}, None)
        if len(rows.windows) != len(samples):
            raise ValueError(f"the pipeline gave {len(rows.windows)} rows for {len(samples)} "
                             "epochs")
        return rows

    def transform(self, X):
        """The features of each epoch of X, a float64 array (epochs, features)
        in the order of :meth:`get_feature_names_out`. X: as for ``fit``; an
        ``mne.Epochs``' rate and channels must be those ``fit`` saw."""
        check_is_fitted(self, "pipeline_")
        samples, info = _samples(X)
        for key, fitted in (("sfreq", self.sfreq_), ("ch_names", self.ch_names_)):
            found = info.get(key)
            if found is not None and fitted is not None and (
                    list(np.atleast_1d(found)) != list(np.atleast_1d(fitted))):
                raise ValueError(f"X: {key} {found}, but the extractor was fitted on {fitted}")
        with _connection(self.client) as connection:
            rows = self._rows(connection, samples)
        if list(rows.columns) != list(self.feature_names_out_):
            raise ValueError(f"X gives the columns {rows.columns[:4]}..., not those of fit "
                             f"({list(self.feature_names_out_[:4])}...): other channels?")
        return rows.values

    def get_feature_names_out(self, input_features=None):
        """EEGDash's column names of the features (``spec_bp_alpha_O1``), in tree
        order: the columns of :meth:`transform`."""
        del input_features  # the names come from the pipeline, not from X
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()
