"""BIDS datasets: planned by the server (a ServerPath root) or, for a dataset on
this machine, by the ``neurofeat`` command-line client, whose readers then
send each recording's samples to the server (``neurofeat upload``). Either
way the plan is core's (neurofeat's core/job/bids_plan): the same recordings,
description columns, bad channels and windows as ``neurofeat extract --bids``.
"""

import json
import os
import shutil
import subprocess
import tempfile

import grpc
from google.protobuf import json_format

from neurofeat import _errors, _inputs
from neurofeat.v1 import service_pb2

_CODES = {3: _errors.InvalidArgument, 5: _errors.NotFound, 7: _errors.PermissionDenied,
          9: _errors.FailedPrecondition, 15: _errors.DataLoss}


def find_cli(binary=None):
    """The ``neurofeat`` command-line client: ``binary``, $NEUROFEAT, the build
    tree this package was laid out in (build/python -> build/client/cli), or PATH."""
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (binary, os.environ.get("NEUROFEAT"),
                      os.path.join(here, "..", "..", "client", "cli", "neurofeat"),
                      shutil.which("neurofeat")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.normpath(candidate)
    raise FileNotFoundError(
        "a BIDS dataset on this machine is read with the neurofeat command-line client: "
        "set NEUROFEAT or put it on PATH (it is built to build/client/cli/neurofeat)")


def _run_cli(args):
    done = subprocess.run([find_cli()] + args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()
        message = message[-1] if message else f"exit {done.returncode}"
        raise _errors.InvalidArgument(message.split("error: ", 1)[-1])
    return done.stdout


def plan_request(root, options):
    """The PlanBidsRequest of ``options`` (Client.extract_dataset's BIDS keywords)."""
    r = service_pb2.PlanBidsRequest(root=root)
    for key, field in (("subjects", r.subjects), ("sessions", r.sessions), ("task", r.tasks),
                       ("runs", r.runs), ("datatype", r.datatypes)):
        value = options.get(key)
        if value is not None:
            field.extend([value] if isinstance(value, str) else [str(v) for v in value])
    r.keep_bad_channels = bool(options.get("keep_bad_channels"))
    windows = options.get("windows", "fixed")
    if windows not in ("fixed", "events"):
        raise ValueError(f"windows: {windows!r} is not 'fixed' or 'events'")
    r.event_windows = windows == "events"
    if options.get("window_duration") is not None:
        r.window_duration_s = float(options["window_duration"])
    if options.get("window_stride") is not None:
        r.window_stride_s = float(options["window_stride"])
    r.trial_start_offset_s = float(options.get("trial_start_offset") or 0.0)
    r.trial_stop_offset_s = float(options.get("trial_stop_offset") or 0.0)
    r.drop_last = bool(options.get("drop_last_window"))
    return r


def _cli_flags(request, pipeline_path):
    flags = ["--bids", request.root]
    for flag, values in (("--subjects", request.subjects), ("--sessions", request.sessions),
                         ("--task", request.tasks), ("--runs", request.runs),
                         ("--datatype", request.datatypes)):
        if values:
            flags += [flag, ",".join(values)]
    if request.keep_bad_channels:
        flags.append("--keep-bad-channels")
    if request.event_windows:
        flags += ["--windows", "events"]
        if request.HasField("window_duration_s"):
            flags += ["--window-duration", repr(request.window_duration_s)]
        if request.HasField("window_stride_s"):
            flags += ["--window-stride", repr(request.window_stride_s)]
        if request.trial_start_offset_s:
            flags += ["--trial-start-offset", repr(request.trial_start_offset_s)]
        if request.trial_stop_offset_s:
            flags += ["--trial-stop-offset", repr(request.trial_stop_offset_s)]
        if request.drop_last:
            flags.append("--drop-last-window")
    return flags + ["--pipeline", pipeline_path]


def plan(client, bids, pipeline, options):
    """[(Recording or None, error or None)], in BIDS order."""
    local = not isinstance(bids, _inputs.ServerPath)
    request = plan_request(os.fspath(bids) if local else bids.path, options)
    if pipeline.HasField("window"):
        request.pipeline_window_frames = pipeline.window.size_samples
    if local:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write(json_format.MessageToJson(pipeline, preserving_proto_field_name=True))
        try:
            text = _run_cli(["bids-plan"] + _cli_flags(request, f.name))
        finally:
            os.unlink(f.name)
        response = json_format.Parse(text, service_pb2.PlanBidsResponse())
    else:
        response = client._with_retry(
            lambda: client._stub.PlanBids(request, timeout=client.timeout))
    out = []
    for r in response.recordings:
        if r.error_code != 0:
            code = next((c for c in grpc.StatusCode if c.value[0] == r.error_code),
                        grpc.StatusCode.UNKNOWN)
            out.append((r.bids_path, _CODES.get(r.error_code, _errors.Error)(
                r.error_message, code=code)))
            continue
        data = _inputs.LocalFile(r.path) if local else _inputs.ServerPath(r.path)
        out.append((r.bids_path, _inputs.Recording(
            data, sfreq=r.sampling_rate_hz or None,
            description={e.key: e.value for e in r.description}, name=r.bids_path,
            exclude_channels=list(r.exclude_channels) or None,
            window_starts=list(r.window_starts) or None, window_frames=r.window_frames or None,
            targets=list(r.targets) or None)))
    return out


def upload_local(client, local_file, meta):
    """A v1 Recording naming the upload of a local file, sent by ``neurofeat upload``."""
    flags = ["upload", "--server", client.target, "--input", local_file.path]
    if local_file.format != "auto":
        flags += ["--format", local_file.format]
    if meta.get("sfreq") is not None:
        flags += ["--fs", repr(float(meta["sfreq"]))]
    if meta.get("exclude_channels"):
        flags += ["--exclude-channels", ",".join(meta["exclude_channels"])]
    if meta.get("ch_names") is not None:
        flags += ["--channels", ",".join(str(c) for c in meta["ch_names"])]
    recording = json_format.Parse(_run_cli(flags), service_pb2.Recording())
    # The call's band overrides the file's, as for any other input.
    if meta.get("highpass") is not None:
        recording.highpass_hz = float(meta["highpass"])
    if meta.get("lowpass") is not None:
        recording.lowpass_hz = float(meta["lowpass"])
    return recording
