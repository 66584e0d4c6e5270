"""Client.extract_dataset(bids=...): a BIDS dataset of EDF, BrainVision, FIF and
EEGLAB recordings (tests/cli/make_bids_dataset.py) read by the server (a
ServerPath root) or here (a local folder), against the CLI's table."""

import io
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import neurofeat
from conftest import BUILD, ROOT, cli

PIPELINE = {"window": {"size_samples": 256, "stride_samples": 256},
            "features": [{"name": "var", "fn": "signal_variance"},
                         {"name": "spec", "preprocessor": {
                             "fn": "spectral_preprocessor",
                             "params": {"window_size_in_sec": 0.5}},
                          "features": [{"name": "bp", "fn": "spectral_bands_power",
                                        "params": {"bands": [{"name": "alpha", "lo": 8,
                                                              "hi": 12}]}}]}]}


@pytest.fixture
def dataset(tmp_path):
    subprocess.run([sys.executable, os.path.join(ROOT, "tests", "cli", "make_bids_dataset.py"),
                    str(tmp_path / "made")], check=True)
    return tmp_path / "made"


@pytest.fixture(autouse=True)
def cli_on_path(monkeypatch):
    monkeypatch.setenv("NEUROFEAT", os.path.join(BUILD, "client", "cli", "neurofeat"))


def cli_table(dataset, *flags):
    """The CLI's table of the dataset (embedded engine) as a DataFrame."""
    out = dataset / "cli.csv"
    pipeline = dataset / "p.json"
    pipeline.write_text(json.dumps(PIPELINE))
    code, output = cli("extract", "--bids", str(dataset / "ds"), "--pipeline", str(pipeline),
                       "--no-cache", "--quiet", "--output", str(out), *flags)
    assert code == 0, output
    return pd.read_csv(out, dtype={"subject": str, "session": str, "run": str, "age": str},
                       float_precision="round_trip")


def test_server_path_and_local_folder_give_the_cli_table(server, dataset):
    shutil.copytree(dataset / "ds", os.path.join(server.data_root, "ds"))
    expected = cli_table(dataset, "--keep-bad-channels", "--task", "rest")
    with neurofeat.Client(server.target) as client:
        remote = client.extract_dataset(pipeline=PIPELINE, bids=neurofeat.ServerPath("ds"),
                                        keep_bad_channels=True, task="rest")
        local = client.extract_dataset(pipeline=PIPELINE, bids=str(dataset / "ds"),
                                       keep_bad_channels=True, task="rest")
    assert list(remote.columns) == list(expected.columns)
    assert list(remote["subject"]) == list(expected["subject"].fillna(""))
    assert list(remote["recording"]) == list(expected["recording"])
    features = [c for c in expected.columns if c.startswith(("var_", "spec_"))]
    np.testing.assert_array_equal(remote[features].to_numpy(), expected[features].to_numpy())
    # The local folder is read here by the same readers and sent: the same numbers.
    np.testing.assert_array_equal(local[features].to_numpy(), expected[features].to_numpy())
    assert remote.attrs["skipped"] == []


def test_event_windows_carry_trial_type_as_target(server, dataset):
    shutil.copytree(dataset / "ds", os.path.join(server.data_root, "ds"))
    expected = json.loads((dataset / "expected.json").read_text())
    with neurofeat.Client(server.target) as client:
        df = client.extract_dataset(pipeline=PIPELINE, bids=neurofeat.ServerPath("ds"),
                                    keep_bad_channels=True, windows="events",
                                    window_duration=1.0)
    assert df.columns[-1] == "target"
    for rec, want in expected.items():
        rows = df[df["recording"] == rec]
        assert list(rows["start_sample"]) == want["starts"], rec
        assert list(rows["target"]) == want["targets"], rec


def test_bad_channels_differ_so_columns_are_joined_with_nan(server, dataset):
    shutil.copytree(dataset / "ds", os.path.join(server.data_root, "ds"))
    with neurofeat.Client(server.target) as client:
        df = client.extract_dataset(pipeline=PIPELINE, bids=neurofeat.ServerPath("ds"),
                                    subjects=["01", "02"])
    sub02 = df[df["subject"] == "02"]
    assert sub02["var_Oz"].isna().all()
    assert df[df["subject"] == "01"]["var_Oz"].notna().all()


def test_unreadable_recordings_raise_listing_them_or_are_skipped(server, dataset):
    ds = os.path.join(server.data_root, "ds")
    shutil.copytree(dataset / "ds", ds)
    edf = os.path.join(ds, "sub-01", "eeg", "sub-01_task-rest_run-1_eeg.edf")
    os.truncate(edf, os.path.getsize(edf) - 1000)
    with neurofeat.Client(server.target) as client:
        with pytest.raises(neurofeat.DatasetError) as error:
            client.extract_dataset(pipeline=PIPELINE, bids=neurofeat.ServerPath("ds"),
                                   keep_bad_channels=True)
        assert "sub-01_task-rest_run-1_eeg.edf" in str(error.value)
        assert "truncated" in str(error.value)
        df = client.extract_dataset(pipeline=PIPELINE, bids=neurofeat.ServerPath("ds"),
                                    keep_bad_channels=True, on_error="skip")
    assert len(df) == 4 * 24
    assert [name for name, _ in df.attrs["skipped"]] == [
        "sub-01/eeg/sub-01_task-rest_run-1_eeg.edf"]
    with neurofeat.Client(server.target) as client:
        with pytest.raises(TypeError):
            client.extract_dataset(pipeline=PIPELINE, bids=neurofeat.ServerPath("ds"), tasks="x")
