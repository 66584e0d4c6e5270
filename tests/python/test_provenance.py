"""What a table says about itself and how a dataset run shows its progress:
df.attrs engine_version / pipeline_digest / servers against the server's info
and a digest computed here; a recording whose messages disagree is refused;
a tqdm bar or a stderr line per recording; neurofeat.read_table reads the
CLI's CSV and NPY tables back to the Python client's table."""

import hashlib
import json
import os
import re
import sys

import numpy as np
import pandas as pd
import pytest
from google.protobuf import json_format

import neurofeat
from neurofeat import _table
from neurofeat.v1 import pipeline_pb2, service_pb2
from conftest import cli

VAR = {"features": [{"name": "var", "fn": "signal_variance"}]}
VAR_ZC = {"features": [{"name": "var", "fn": "signal_variance"},
                       {"name": "zc", "fn": "signal_zero_crossings"}]}
CHANNELS = ["a", "b", "c"]


def digest(pipeline):
    """The SHA-256 of the pipeline's deterministic serialization, as the API defines it."""
    message = json_format.Parse(json.dumps(pipeline), pipeline_pb2.Pipeline())
    return hashlib.sha256(message.SerializeToString(deterministic=True)).hexdigest()


def recordings(n=4, windows=8, seed=21):
    rng = np.random.default_rng(seed)
    return [neurofeat.Recording(rng.standard_normal((windows, 3, 128)).astype(np.float32),
                                name=f"rec-{i}", description={"subject": f"{i + 1:02d}",
                                                              "target": i % 2})
            for i in range(n)]


def test_tables_carry_the_engine_version_digest_and_server(server):
    with neurofeat.Client(server.target) as client:
        version = client.info()["engine_version"]
        one = client.extract(recordings()[0], VAR, sfreq=128, ch_names=CHANNELS)
        many = client.extract_dataset(recordings(), VAR_ZC, sfreq=128, ch_names=CHANNELS,
                                      progress=False)
    assert version.startswith("neurofeat ")
    assert one.attrs["engine_version"] == version == many.attrs["engine_version"]
    assert re.fullmatch(r"[0-9a-f]{64}", one.attrs["pipeline_digest"])
    assert one.attrs["pipeline_digest"] == digest(VAR)
    assert many.attrs["pipeline_digest"] == digest(VAR_ZC) != digest(VAR)
    assert one.attrs["servers"] == [server.target] == many.attrs["servers"]
    assert many.attrs["skipped"] == []


def test_a_table_from_two_servers_names_both(make_server):
    first, second = make_server(), make_server()
    recs = recordings(n=2)
    meta = {"sfreq": 128, "ch_names": CHANNELS}
    with neurofeat.Client(first.target) as a, neurofeat.Client(second.target) as b:
        rows = [a._extract_rows(recs[0], _pipeline(VAR), 0, "default", meta, None),
                b._extract_rows(recs[1], _pipeline(VAR), 1, "default", meta, None)]
    df = _table.frame(rows)
    assert df.attrs["servers"] == [first.target, second.target]
    assert df.attrs["pipeline_digest"] == digest(VAR)


def _pipeline(pipeline):
    return json_format.Parse(json.dumps(pipeline), pipeline_pb2.Pipeline())


def response(first_window, rows, version="neurofeat 0.1.0", pipeline_digest="ab" * 32,
             columns=None):
    r = service_pb2.ExtractResponse(total_windows=4)
    if columns:
        r.columns.extend(columns)
    r.rows.first_window = first_window
    r.rows.num_rows = rows
    r.rows.values.extend([1.0] * rows)
    r.rows.start_sample.extend([0] * rows)
    r.meta.engine_version = version
    r.meta.pipeline_digest = pipeline_digest
    return r


@pytest.mark.parametrize("field,later", [
    ("engine_version", {"version": "neurofeat 0.2.0"}),
    ("pipeline_digest", {"pipeline_digest": "cd" * 32}),
])
def test_messages_of_one_recording_that_disagree_are_data_loss(field, later):
    reader = _table.RowsReader("rec-7", {}, server="127.0.0.1:1")
    reader.add(response(0, 2, columns=["var_a"]))
    with pytest.raises(neurofeat.DataLoss) as raised:
        reader.add(response(2, 2, **later))
    assert f"recording rec-7: the server's messages disagree on {field}" in str(raised.value)
    # Agreeing messages give the recording its provenance.
    reader = _table.RowsReader("rec-7", {}, server="127.0.0.1:1")
    reader.add(response(0, 2, columns=["var_a"]))
    reader.add(response(2, 2))
    rows = reader.finish()
    assert (rows.engine_version, rows.pipeline_digest, rows.server) == (
        "neurofeat 0.1.0", "ab" * 32, "127.0.0.1:1")


def test_progress_is_a_tqdm_bar_per_recording(server, capsys):
    pytest.importorskip("tqdm")
    with neurofeat.Client(server.target) as client:
        client.extract_dataset(recordings(n=3), VAR, sfreq=128, ch_names=CHANNELS,
                               max_in_flight=2, progress=True)
    err = capsys.readouterr().err
    for i in range(3):
        # The bar's last state: all 8 windows of the recording.
        assert re.search(rf"recording {i + 1}/3 rec-{i}: 100%\|.*\| 8/8 ", err), err


def test_progress_without_tqdm_is_a_line_per_recording(server, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm raises ImportError
    with neurofeat.Client(server.target) as client:
        client.extract_dataset(recordings(n=3, windows=5), VAR, sfreq=128, ch_names=CHANNELS,
                               max_in_flight=2, progress=True)
        client.extract_dataset(recordings(n=2), VAR, sfreq=128, ch_names=CHANNELS,
                               progress=False)
    lines = capsys.readouterr().err.splitlines()
    assert sorted(lines) == [f"recording {i + 1}/3 rec-{i}: 5 windows" for i in range(3)]


def test_progress_names_a_failed_recording(server, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    recs = recordings(n=2)
    recs[1] = neurofeat.Recording(recs[1].data[:, :2], name="rec-1")  # two channels of three
    with neurofeat.Client(server.target) as client:
        df = client.extract_dataset(recs, VAR, sfreq=128, ch_names=CHANNELS, progress=True,
                                    on_error="skip")
    assert len(df) == 8
    lines = sorted(capsys.readouterr().err.splitlines())
    assert lines[0] == "recording 1/2 rec-0: 8 windows"
    assert lines[1].startswith("recording 2/2 rec-1: failed (INVALID_ARGUMENT: ")


def write_manifest(tmp_path, recs):
    lines = ["input,name,subject,target"]
    for r in recs:
        np.save(tmp_path / f"{r.name}.npy", r.data)
        lines.append(f"{r.name}.npy,{r.name},{r.description['subject']},"
                     f"{r.description['target']}")
    (tmp_path / "recordings.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "p.json").write_text(json.dumps(VAR_ZC))


def test_read_table_gives_back_the_python_table_from_the_cli_csv(server, tmp_path):
    recs = recordings()
    write_manifest(tmp_path, recs)
    code, out = cli("extract", "--manifest", str(tmp_path / "recordings.csv"), "--fs", "128",
                    "--channels", ",".join(CHANNELS), "--pipeline", str(tmp_path / "p.json"),
                    "--output", str(tmp_path / "table.csv"), "--no-cache", "--quiet")
    assert code == 0, out
    with neurofeat.Client(server.target) as client:
        expected = client.extract_dataset(recs, VAR_ZC, sfreq=128, ch_names=CHANNELS,
                                          progress=False)
    df = neurofeat.read_table(tmp_path / "table.csv")
    assert list(df.columns) == list(expected.columns)
    assert list(df["subject"]) == ["01"] * 8 + ["02"] * 8 + ["03"] * 8 + ["04"] * 8
    assert list(df["recording"]) == list(expected["recording"])
    for column in expected.columns:
        assert df[column].dtype == expected[column].dtype, column
        assert np.array_equal(df[column].to_numpy(), expected[column].to_numpy()), column
    assert df["zc_a"].dtype == np.int64 and df["target"].dtype == np.int64


def test_read_table_gives_the_npy_its_names(tmp_path):
    x = recordings(n=1)[0].data
    np.save(tmp_path / "x.npy", x)
    (tmp_path / "p.json").write_text(json.dumps(VAR_ZC))
    for output in ("t.npy", "t.csv"):
        code, out = cli("extract", "--input", str(tmp_path / "x.npy"), "--fs", "128",
                        "--channels", ",".join(CHANNELS), "--pipeline",
                        str(tmp_path / "p.json"), "--output", str(tmp_path / output),
                        "--no-cache")
        assert code == 0, out
    npy = neurofeat.read_table(str(tmp_path / "t.npy"))
    csv = neurofeat.read_table(tmp_path / "t.csv")
    assert list(npy.columns) == ["var_a", "var_b", "var_c", "zc_a", "zc_b", "zc_c"]
    assert list(csv.columns) == list(npy.columns)
    assert npy.dtypes.eq(np.float64).all()
    assert np.array_equal(npy.to_numpy(), csv.to_numpy(dtype=np.float64))
    os.remove(tmp_path / "t.npy.columns.txt")
    with pytest.raises(FileNotFoundError, match="t.npy.columns.txt"):
        neurofeat.read_table(tmp_path / "t.npy")


def test_read_table_keeps_identifiers_as_text_and_numbers_exact(tmp_path):
    # As the CLI writes them: shortest round-trip floats, nan/inf, ids with
    # leading zeros, a quoted name, an empty description cell.
    path = tmp_path / "t.csv"
    path.write_text("recording,window,start_sample,subject,session,site,x,n,target\n"
                    "007,0,0,01,1,\"Paris, FR\",0.1,3,left\n"
                    "007,1,256,01,2,,5e-324,4,right\n"
                    "008,0,0,10,1,Oslo,nan,5,left\n"
                    "008,1,256,10,2,Oslo,-inf,6,left\n")
    df = neurofeat.read_table(path)
    assert list(df["recording"]) == ["007", "007", "008", "008"]
    assert list(df["subject"]) == ["01", "01", "10", "10"]
    assert df["session"].dtype == np.int64 and df["n"].dtype == np.int64
    assert list(df["site"]) == ["Paris, FR", "", "Oslo", "Oslo"]
    assert list(df["target"]) == ["left", "right", "left", "left"]
    x = df["x"].to_numpy()
    assert x[0] == float("0.1") and x[1] == 5e-324 and np.isnan(x[2]) and x[3] == -np.inf
    pd.testing.assert_index_equal(df.columns, pd.Index(
        ["recording", "window", "start_sample", "subject", "session", "site", "x", "n",
         "target"]))
