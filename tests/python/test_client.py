"""The Python client against a real neurofeatd on 127.0.0.1: the same tables as
the C++ CLI, every input kind, EEGDash's how-to golden, datasets with their
descriptions, retries under refusal, a server that dies, bad input, Ctrl-C."""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pandas as pd
import pytest

import neurofeat
from conftest import BUILD, DATA, ROOT, cli

HOWTO_CHANNELS = ["O1", "Oz", "O2", "Cz", "Pz", "POz"]
HOWTO_PIPELINE = os.path.join(DATA, "eegdash", "howto_pipeline.json")


def howto_windows():
    return np.load(os.path.join(DATA, "eegdash", "howto_X_rows.npy"))


def read_cli_csv(path):
    return pd.read_csv(path, float_precision="round_trip", dtype={"recording": str})


def assert_same_table(df, expected):
    assert list(df.columns) == list(expected.columns)
    for column in expected.columns:
        got, want = df[column].to_numpy(), expected[column].to_numpy()
        if column == "recording":
            assert list(map(str, got)) == list(map(str, want))
            continue
        assert df[column].dtype == expected[column].dtype, column
        assert np.array_equal(got, want), column


def test_extract_of_epochs_equals_the_cli(server, tmp_path):
    x = howto_windows()
    np.save(tmp_path / "x.npy", x)
    code, out = cli("extract", "--input", str(tmp_path / "x.npy"), "--fs", "128", "--channels",
                    ",".join(HOWTO_CHANNELS), "--highpass", "1", "--lowpass", "40",
                    "--pipeline", HOWTO_PIPELINE, "--output", str(tmp_path / "cli.csv"),
                    "--include-metadata", "--recording", "howto", "--no-cache")
    assert code == 0, out
    with neurofeat.Client(server.target) as client:
        df = client.extract(neurofeat.Recording(x, name="howto"), HOWTO_PIPELINE, sfreq=128,
                            ch_names=HOWTO_CHANNELS, highpass=1, lowpass=40)
    assert_same_table(df, read_cli_csv(tmp_path / "cli.csv"))
    assert len(df) == x.shape[0]


def test_extract_of_traces_with_a_window_equals_the_cli(server, tmp_path):
    rng = np.random.default_rng(5)
    traces = rng.standard_normal((256 * 60, 4)).astype(np.float32)
    np.save(tmp_path / "t.npy", traces)
    pipeline = {"preprocess": [{"bandpass": {"freq_min": 1, "freq_max": 40, "filter_order": 4}}],
                "window": {"size_samples": 512, "stride_samples": 256},
                "features": [{"name": "zc", "fn": "signal_zero_crossings"},
                             {"name": "s", "preprocessor": {"fn": "spectral_preprocessor",
                                                            "params": {"window_size_in_sec": 1}},
                              "features": [{"name": "bp", "fn": "spectral_bands_power"}]}]}
    (tmp_path / "p.json").write_text(json.dumps(pipeline))
    code, out = cli("extract", "--input", str(tmp_path / "t.npy"), "--fs", "256",
                    "--pipeline", str(tmp_path / "p.json"), "--output",
                    str(tmp_path / "cli.csv"), "--include-metadata", "--recording", "t",
                    "--no-cache")
    assert code == 0, out
    with neurofeat.Client(server.target) as client:
        df = client.extract(neurofeat.Recording(traces, name="t"), pipeline, sfreq=256,
                            cache="bypass")
    expected = read_cli_csv(tmp_path / "cli.csv")
    assert_same_table(df, expected)
    assert df["zc_0"].dtype == np.int64


def test_mne_raw_and_epochs_are_read_with_their_info(server):
    mne = pytest.importorskip("mne")
    rng = np.random.default_rng(6)
    data = rng.standard_normal((3, 256 * 30)) * 1e-5
    info = mne.create_info(["C3", "Cz", "C4"], 256.0, "eeg")
    raw = mne.io.RawArray(data, info, verbose="error")
    raw.filter(1.0, 40.0, verbose="error")
    pipeline = {"window": {"size_samples": 512},
                "features": [{"name": "var", "fn": "signal_variance"},
                             {"name": "s", "preprocessor": {"fn": "spectral_preprocessor",
                                                            "params": {"window_size_in_sec": 1}},
                              "features": [{"name": "bp", "fn": "spectral_bands_power"}]}]}
    with neurofeat.Client(server.target) as client:
        from_raw = client.extract(raw, pipeline, cache="bypass")
        from_numpy = client.extract(raw.get_data().T.copy(), pipeline, sfreq=256,
                                    ch_names=["C3", "Cz", "C4"], highpass=1.0, lowpass=40.0,
                                    cache="bypass")
        assert list(from_raw.columns[3:5]) == ["var_C3", "var_Cz"]
        assert from_raw.drop(columns="recording").equals(from_numpy.drop(columns="recording"))
        windows = raw.get_data().reshape(3, 15, 512).transpose(1, 0, 2)
        epochs = mne.EpochsArray(windows, raw.info, verbose="error")
        epoch_pipeline = {"features": pipeline["features"]}
        from_epochs = client.extract(epochs, epoch_pipeline, cache="bypass")
        from_array = client.extract(windows, epoch_pipeline, sfreq=256,
                                    ch_names=["C3", "Cz", "C4"], highpass=1.0, lowpass=40.0,
                                    cache="bypass")
        assert from_epochs.drop(columns="recording").equals(from_array.drop(columns="recording"))
        assert len(from_epochs) == 15


# The golden README's tolerances (section 5) for the how-to's columns.
def tolerance(column):
    if column.startswith("mse_"):
        return 1e-12, 0.005
    return 2e-6, 0.0


def test_howto_golden_is_reproduced_by_name(server):
    x = howto_windows()
    golden = pd.read_csv(os.path.join(DATA, "eegdash", "howto_eegdash_v080_rows.csv"),
                         float_precision="round_trip")
    with neurofeat.Client(server.target) as client:
        df = client.extract(x, HOWTO_PIPELINE, sfreq=128, ch_names=HOWTO_CHANNELS, highpass=1,
                            lowpass=40, cache="bypass")
    for column in golden.columns:
        if column == "target":
            continue
        got, want = df[column].to_numpy(), golden[column].to_numpy()
        rel, outliers = tolerance(column)
        bad = ~(np.abs(got - want) <= rel * np.abs(want))
        assert bad.mean() <= outliers, f"{column}: {bad.sum()} of {len(bad)} outside {rel}"


def test_fit_then_extract_reproduces_eegdash_csp_and_the_cli(server, tmp_path):
    x = np.load(os.path.join(DATA, "eegdash", "allfeatures_X.npy"))
    y = np.load(os.path.join(DATA, "eegdash", "allfeatures_target.npy"))
    channels = ["Fz", "C3", "C4", "Pz"]
    pipeline = {"features": [{"name": "csp", "fn": "CommonSpatialPattern"}]}
    with neurofeat.Client(server.target) as client:
        with pytest.raises(neurofeat.Error) as unfitted:
            client.extract(x, pipeline, sfreq=256, ch_names=channels, cache="bypass")
        assert "neurofeat fit" in str(unfitted.value)
        with pytest.raises(neurofeat.Error) as three:
            client.fit(x, np.arange(48) % 3, pipeline, sfreq=256, ch_names=channels)
        assert "exactly two classes" in str(three.value)
        fitted = client.fit(x, y, pipeline, sfreq=256, ch_names=channels)
        df = client.extract(x, fitted, sfreq=256, ch_names=channels, cache="bypass")
    model = fitted["features"][0]["params"]["fitted"]
    assert len(model["weights"]) == 4 and model["channels"] == channels
    golden = pd.read_csv(os.path.join(DATA, "eegdash", "allfeatures_csp_eegdash_head.csv"),
                         float_precision="round_trip")
    for column in ["csp_0", "csp_1", "csp_2", "csp_3"]:
        got, want = df[column].to_numpy(), golden[column].to_numpy()
        assert np.max(np.abs(got - want) / np.abs(want)) < 1e-7, column
    # The same fit through the CLI gives the same model, number for number.
    (tmp_path / "p.json").write_text(json.dumps(pipeline))
    np.save(tmp_path / "y.npy", y)
    code, output = cli("fit", "--input", os.path.join(DATA, "eegdash", "allfeatures_X.npy"),
                       "--labels", str(tmp_path / "y.npy"), "--channels", ",".join(channels),
                       "--pipeline", str(tmp_path / "p.json"), "--output",
                       str(tmp_path / "fitted.json"))
    assert code == 0, output
    cli_model = json.loads((tmp_path / "fitted.json").read_text())["features"][0]["params"]["fitted"]
    assert cli_model["eigvals"] == model["eigvals"]
    assert cli_model["weights"] == model["weights"]


def dataset(n=16, windows=8):
    rng = np.random.default_rng(9)
    return [neurofeat.Recording(rng.standard_normal((windows, 3, 256)).astype(np.float32),
                                name=f"sub-{i:02d}",
                                description={"subject": f"{i:02d}", "target": i % 2})
            for i in range(n)]


VAR_MSE = {"features": [{"name": "var", "fn": "signal_variance"},
                        {"name": "mse", "fn": "complexity_multiscale_entropy"}]}


def test_a_dataset_of_sixteen_recordings_keeps_order_rows_and_descriptions(server):
    recordings = dataset()
    with neurofeat.Client(server.target) as client:
        df = client.extract_dataset(recordings, VAR_MSE, sfreq=256, ch_names=["a", "b", "c"],
                                    progress=False)
    assert list(df.columns[:4]) == ["recording", "window", "start_sample", "subject"]
    assert df.columns[-1] == "target"
    assert list(df.columns[4:-1]) == ["var_a", "var_b", "var_c", "mse_a", "mse_b", "mse_c"]
    assert len(df) == 16 * 8
    assert list(df["recording"].unique()) == [f"sub-{i:02d}" for i in range(16)]
    assert list(df["window"][:8]) == list(range(8))
    assert df["target"].dtype == np.int64
    # Each recording's rows equal a single extract of it.
    with neurofeat.Client(server.target) as client:
        one = client.extract(recordings[5], VAR_MSE, sfreq=256, ch_names=["a", "b", "c"])
    got = df[df["recording"] == "sub-05"].reset_index(drop=True)
    assert got.equals(one)


def test_refusals_are_retried_and_the_dataset_completes(make_server):
    # No queue and a budget of about one request: concurrent ones are refused.
    server = make_server("--max-queue", "0", "--memory-budget", "24MiB", "--no-cache")
    recordings = dataset(n=16, windows=64)
    with neurofeat.Client(server.target, retry_budget=120) as client:
        df = client.extract_dataset(recordings, VAR_MSE, sfreq=256, ch_names=["a", "b", "c"],
                                    max_in_flight=8, progress=False)
    assert len(df) == 16 * 64
    rejected = server.metric('neurofeat_rejected_requests_total{reason="queue_full"}')
    assert rejected and rejected > 0


# Slow on purpose: r = 5 std makes nearly every pair of samples a candidate.
SLOW = {"features": [{"name": "h", "fn": "dimensionality_higuchi_fractal_dim"},
                     {"name": "e", "preprocessor": {"fn": "complexity_entropy_preprocessor",
                                                    "params": {"r": 5}},
                      "features": [{"name": "s", "fn": "complexity_sample_entropy"}]}]}


def slow_dataset(n):
    rng = np.random.default_rng(11)
    return [neurofeat.Recording(rng.standard_normal((2, 8, 30000)).astype(np.float32),
                                name=f"rec-{i}") for i in range(n)]


def test_a_server_killed_part_way_gives_the_missing_recordings(server):
    recordings = slow_dataset(6)
    killer = threading.Timer(1.5, server.kill)
    killer.start()
    with neurofeat.Client(server.target, retry_budget=2) as client:
        with pytest.raises(neurofeat.DatasetError) as raised:
            client.extract_dataset(recordings, SLOW, sfreq=30000, max_in_flight=2,
                                   progress=False)
    killer.join()
    missing = raised.value.missing
    assert missing and raised.value.total == 6
    assert all(name.startswith("rec-") for _, name, _ in missing)
    assert "rec-" in str(raised.value)


def test_a_bad_pipeline_raises_with_the_field(server):
    with neurofeat.Client(server.target) as client:
        with pytest.raises(neurofeat.InvalidArgument) as raised:
            client.extract(howto_windows()[:2], {"features": [
                {"name": "v", "fn": "signal_variance", "params": {"dof": 1}}]}, sfreq=128)
    assert "features.v.params.dof" in raised.value.message
    with neurofeat.Client(server.target) as client:
        with pytest.raises(neurofeat.InvalidArgument) as raised:
            client.extract(howto_windows()[:2], {"features": [], "windw": {}}, sfreq=128)
    assert "windw" in raised.value.message


def test_ctrl_c_cancels_and_the_server_stops_computing(server, tmp_path):
    script = textwrap.dedent(f"""
        import numpy as np, neurofeat, sys
        rng = np.random.default_rng(11)
        recs = [neurofeat.Recording(rng.standard_normal((4, 8, 30000)).astype(np.float32))
                for _ in range(4)]
        pipeline = {json.dumps(SLOW)}
        with neurofeat.Client("{server.target}") as c:
            print("started", flush=True)
            c.extract_dataset(recs, pipeline, sfreq=30000, max_in_flight=2, progress=False)
        """)
    env = dict(os.environ, PYTHONPATH=os.path.join(BUILD, "python"))
    child = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "started"
    time.sleep(1.5)
    assert server.metric("neurofeat_in_flight_requests") >= 1
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=30)
    assert "KeyboardInterrupt" in err
    # The window in progress may finish; then nothing runs.
    deadline = time.time() + 10
    while server.metric("neurofeat_in_flight_requests") > 0 and time.time() < deadline:
        time.sleep(0.1)
    assert server.metric("neurofeat_in_flight_requests") == 0
    before = server.cpu_seconds()
    time.sleep(1.0)
    assert server.cpu_seconds() - before < 0.1


def test_preprocess_equals_the_cli_and_large_inputs_are_uploaded(server, tmp_path):
    rng = np.random.default_rng(12)
    traces = (rng.standard_normal((30000 * 12, 100)) * 100).astype(np.int16)  # 72 MB
    np.save(tmp_path / "x.npy", traces)
    chain = {"preprocess": [{"bandpass": {"freq_min": 300, "freq_max": 6000}},
                            {"common_reference": {}}]}
    (tmp_path / "p.json").write_text(json.dumps(chain))
    code, out = cli("preprocess", "--input", str(tmp_path / "x.npy"), "--fs", "30000",
                    "--pipeline", str(tmp_path / "p.json"), "--output", str(tmp_path / "y.npy"))
    assert code == 0, out
    with neurofeat.Client(server.target) as client:
        y = client.preprocess(traces, chain, sfreq=30000)
        part = client.preprocess(traces, chain, sfreq=30000, start_frame=30000,
                                 end_frame=90000, dtype="float32")
    expected = np.load(tmp_path / "y.npy")
    assert y.dtype == np.int16 and np.array_equal(y, expected)
    assert part.shape == (60000, 100) and part.dtype == np.float32


def test_pip_install_from_the_source_tree(tmp_path):
    venv = tmp_path / "venv"
    made = subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.fail(f"python3 -m venv failed (python3-venv): {made.stderr}")
    python = str(venv / "bin" / "python")
    # A copy of the tree's package and protos: pip builds in place, and the
    # checkout stays clean.
    src = tmp_path / "src"
    shutil.copytree(os.path.join(ROOT, "client", "python"), src / "client" / "python",
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    shutil.copytree(os.path.join(ROOT, "proto"), src / "proto")
    r = subprocess.run([python, "-m", "pip", "install", "--no-build-isolation", "--no-deps",
                        "--no-index", str(src / "client" / "python")],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([python, "-c", "import neurofeat, neurofeat.v1.service_pb2_grpc as s; "
                        "print(neurofeat.__file__)"], capture_output=True, text=True,
                       cwd=tmp_path, env={k: v for k, v in os.environ.items()
                                          if k != "PYTHONPATH"})
    assert r.returncode == 0, r.stderr
    assert str(venv) in r.stdout


def test_local_server_starts_serves_and_stops():
    # Found through the build tree the package was laid out in.
    assert neurofeat.find_neurofeatd() == os.path.join(BUILD, "server", "neurofeatd")
    with neurofeat.LocalServer(threads=1, no_cache=True) as server:
        with neurofeat.Client(server.target) as client:
            assert client.health() == "SERVING"
            assert client.info()["threads"] == 1
            df = client.extract(howto_windows()[:4], HOWTO_PIPELINE, sfreq=128,
                                ch_names=["O1", "Oz", "O2", "Cz", "Pz", "POz"])
            assert len(df) == 4
        process = server.process
    assert process.returncode == 0
    with pytest.raises(FileNotFoundError, match="neurofeatd not found"):
        neurofeat.LocalServer(binary="/nonexistent/neurofeatd")


def test_howto_example_runs_end_to_end(tmp_path):
    # examples/howto_parallel.py starts its own neurofeatd, prints the
    # scaling table and writes + rereads the table.
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "howto_parallel.py"),
                        "--output", str(tmp_path / "howto.csv")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "max_in_flight" in r.stdout
    assert "1920 rows x 29 columns" in r.stdout and "read back equal" in r.stdout
    df = pd.read_csv(tmp_path / "howto.csv")
    assert list(df.columns[:4]) == ["recording", "window", "start_sample", "subject"]
    assert df.columns[-1] == "target"
    assert df.groupby("recording").size().tolist() == [120] * 16
