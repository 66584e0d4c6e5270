"""Retries as the C++ client's policy says (client/lib/retry_policy.h): a server
killed (kill -9) and restarted on the same port between an upload and the request
reading it costs nothing but an upload again; the budget bounds the whole call."""

import time

import numpy as np
import pytest

import neurofeat
from neurofeat import _inputs
from conftest import Server

PIPELINE = {"features": [{"name": "var", "fn": "signal_variance"},
                         {"name": "ll", "fn": "signal_line_length"}]}


def windows():
    return np.random.default_rng(7).standard_normal((40, 8, 1024)).astype(np.float32)


def test_an_upload_lost_to_a_restart_is_sent_again(tmp_path, monkeypatch):
    monkeypatch.setattr(_inputs, "INLINE_LIMIT_BYTES", 0)  # every array is uploaded
    servers = [Server(str(tmp_path / "first"))]
    port = servers[0].port
    x = windows()
    names = [f"C{i}" for i in range(8)]
    try:
        with neurofeat.Client(servers[0].target) as client:
            want = client.extract(x, PIPELINE, sfreq=256, ch_names=names)
            upload = client._upload
            uploads = []

            def upload_then_restart(array):
                upload_id = upload(array)
                uploads.append(upload_id)
                if len(uploads) == 1:  # the server dies after the upload, another takes over
                    servers[0].kill()
                    servers.append(Server(str(tmp_path / "second"),
                                          ["--listen", f"127.0.0.1:{port}"]))
                return upload_id

            monkeypatch.setattr(client, "_upload", upload_then_restart)
            got = client.extract(x, PIPELINE, sfreq=256, ch_names=names)
        assert len(uploads) == 2
        assert list(got.columns) == list(want.columns)
        np.testing.assert_array_equal(got.drop(columns=["recording"]).to_numpy(),
                                      want.drop(columns=["recording"]).to_numpy())
    finally:
        for s in servers:
            s.stop()


def test_fit_after_a_restart_equals_an_uninterrupted_fit(tmp_path, monkeypatch):
    monkeypatch.setattr(_inputs, "INLINE_LIMIT_BYTES", 0)
    servers = [Server(str(tmp_path / "first"))]
    port = servers[0].port
    rng = np.random.default_rng(3)
    x = rng.standard_normal((60, 4, 256)).astype(np.float32)
    y = np.arange(60) % 2
    x[y == 1, 0] *= 3.0  # a planted pattern
    csp = {"features": [{"name": "csp", "fn": "CommonSpatialPattern"}]}
    names = ["Fz", "C3", "C4", "Pz"]
    try:
        with neurofeat.Client(servers[0].target) as client:
            want = client.fit(x, y, csp, sfreq=256, ch_names=names)
            upload = client._upload
            restarted = []

            def upload_then_restart(array):
                upload_id = upload(array)
                if not restarted:
                    restarted.append(True)
                    servers[0].kill()
                    servers.append(Server(str(tmp_path / "second"),
                                          ["--listen", f"127.0.0.1:{port}"]))
                return upload_id

            monkeypatch.setattr(client, "_upload", upload_then_restart)
            got = client.fit(x, y, csp, sfreq=256, ch_names=names)
        assert got == want
    finally:
        for s in servers:
            s.stop()


def test_the_budget_bounds_the_whole_call():
    client = neurofeat.Client("127.0.0.1:1", retry_budget=2.0)
    t0 = time.monotonic()
    with pytest.raises(neurofeat.Unavailable):
        client.extract(windows(), PIPELINE, sfreq=256)
    took = time.monotonic() - t0
    # No wait that would end past the budget is started: done within it.
    assert 0.5 <= took <= 2.5, took
    client.close()
