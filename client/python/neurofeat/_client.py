"""The neurofeat client: connections to one neurofeatd, or to its replicas."""

import json
import os
import random
import sys
import threading
import time
from typing import Any, Iterable, Mapping, Optional

import grpc
import numpy as np
import pandas as pd
from google.protobuf import json_format

from neurofeat import _errors, _inputs, _replicas, _table
from neurofeat.v1 import pipeline_pb2, service_pb2, service_pb2_grpc

_RETRIED = (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE)
# The C++ client library's policy (client/lib/retry_policy.h), the same
# numbers: a budget for the whole call, backoff from 0.1 s doubling to 5 s
# with jitter, the server's pushback when it sends one.
DEFAULT_RETRY_BUDGET = 300.0


def _unknown_upload(error):
    """NOT_FOUND for recording.upload_id: the server restarted (or another
    replica holds the upload): upload again."""
    try:
        return (error.code() == grpc.StatusCode.NOT_FOUND
                and "recording.upload_id" in (error.details() or ""))
    except Exception:  # not every RpcError has a code
        return False
_CACHE = {"default": service_pb2.CACHE_DEFAULT, "bypass": service_pb2.CACHE_BYPASS,
          "refresh": service_pb2.CACHE_REFRESH}


def _pipeline_message(pipeline):
    """A Pipeline from a dict, a JSON string, a path to a JSON file, or a Pipeline."""
    if isinstance(pipeline, pipeline_pb2.Pipeline):
        return pipeline
    if isinstance(pipeline, Mapping):
        text = json.dumps(pipeline)
    elif isinstance(pipeline, (str, os.PathLike)) and not str(pipeline).lstrip().startswith("{"):
        with open(pipeline, encoding="utf-8") as f:
            text = f.read()
    else:
        text = str(pipeline)
    message = pipeline_pb2.Pipeline()
    try:
        json_format.Parse(text, message)
    except json_format.ParseError as e:
        raise _errors.InvalidArgument(f"pipeline: {e}") from None
    return message


def _credentials(tls):
    if tls is None or tls is False:
        return None
    if tls is True:
        return grpc.ssl_channel_credentials()
    if isinstance(tls, grpc.ChannelCredentials):
        return tls

    def read(value):
        if value is None:
            return None
        if isinstance(value, bytes):
            return value
        with open(value, "rb") as f:
            return f.read()

    return grpc.ssl_channel_credentials(root_certificates=read(tls.get("ca")),
                                        private_key=read(tls.get("key")),
                                        certificate_chain=read(tls.get("cert")))


def _pushback_seconds(error):
    try:
        for key, value in error.trailing_metadata() or ():
            if key == "grpc-retry-pushback-ms":
                return int(value) / 1000.0
    except Exception:  # not every RpcError carries metadata
        pass
    return None


class _CallRegistry:
    """The RPCs in flight, so Ctrl-C can cancel them (the server then stops computing)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._calls = set()

    def add(self, call):
        with self._lock:
            self._calls.add(call)

    def discard(self, call):
        with self._lock:
            self._calls.discard(call)

    def cancel_all(self):
        with self._lock:
            calls = list(self._calls)
        for call in calls:
            call.cancel()


class Client:
    """A connection to a neurofeatd, or to several replicas of it.

    ``target``: "host:port", a comma-separated list "host:port,host:port"
    or "dns:///name:port" (every address the name resolves to, resolved
    again every 10 s: a Kubernetes headless Service's pods), as the C++
    client takes it. With several replicas a recording goes to the one its
    content key ranks first by rendezvous hashing (``placement``
    "rendezvous", the default: where its cached results are; what is hashed
    is in ``neurofeat._replicas``), and on a refusal to the one ranked
    next; "round-robin" sends recordings in turn. Calls without a recording
    go in turn. ``tls``: None (plaintext), True (system roots), a
    dict ``{"ca": path, "cert": path, "key": path}`` (mutual TLS with a
    client certificate) or ``grpc.ChannelCredentials``. ``timeout``: the
    deadline of each call in seconds. ``retry_budget``: how long, in all, a
    call may keep being retried, attempts and waits together (default 300 s,
    the C++ client's). A unit of retry is a recording's upload and the
    request reading it: RESOURCE_EXHAUSTED (unless the server says never)
    and UNAVAILABLE answers start it afresh after a backoff (exponential
    with jitter, or the server's retry pushback), and an upload the server
    does not know (it restarted) is sent again at once.

    Example::

        with neurofeat.Client("127.0.0.1:50051") as client:
            print(client.info()["threads"])
            table = client.extract(windows, "pipeline.json", sfreq=256, ch_names=names)
    """

    def __init__(self, target, *, tls=None, timeout=60.0, retry_budget=DEFAULT_RETRY_BUDGET,
                 placement="rendezvous"):
        self.target = target
        self.timeout = timeout
        self.retry_budget = retry_budget
        options = [("grpc.max_receive_message_length", 256 << 20),
                   ("grpc.max_send_message_length", 256 << 20)]
        credentials = _credentials(tls)

        def connect(address):
            channel = (grpc.secure_channel(address, credentials, options) if credentials
                       else grpc.insecure_channel(address, options))
            return channel, service_pb2_grpc.NeurofeatStub(channel)

        self._replicas = _replicas.Replicas(target, connect, placement=placement)
        # The replica the running attempt of this thread is on (_with_retry).
        self._attempt = threading.local()
        self._calls = _CallRegistry()

    @property
    def _stub(self):
        """The stub of the replica the running attempt is on (else the next in turn)."""
        replica = getattr(self._attempt, "replica", None)
        return (replica or self._replicas.order(None)[0]).stub

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __deepcopy__(self, memo):
        # A connection is shared, never copied (sklearn's clone deep-copies parameters).
        return self

    def __reduce__(self):
        raise TypeError("a neurofeat.Client holds live connections and does not pickle; "
                        "pass its target (a string) instead")

    def close(self):
        """Cancels what is in flight and closes the connections."""
        self._calls.cancel_all()
        self._replicas.close()

    # ---- Plumbing ---------------------------------------------------------------

    def _with_retry(self, attempt, key=None):
        """Runs `attempt()` (one unit: uploads and the request) on the replica `key`
        ranks first (no key: the next in turn), on a refusal on the one ranked
        next, and after a round of refusals again after a backoff, within the
        budget, as the C++ client does (client/lib/retry_policy.h, replicas.h).
        During an attempt, ``self._stub`` is its replica's."""
        start = time.monotonic()
        delay = 0.1
        while True:
            pushback = 0.0
            worth_waiting = False  # some replica said "later", not "never"
            for replica in self._replicas.order(key):
                outer = getattr(self._attempt, "replica", None)
                self._attempt.replica = replica
                try:
                    for again in range(3):
                        try:
                            return attempt()
                        except grpc.RpcError as error:
                            # An upload the server does not know (it restarted):
                            # at once, afresh, twice at most.
                            if (again == 2 or not _unknown_upload(error)
                                    or time.monotonic() - start > self.retry_budget):
                                raise
                except grpc.RpcError as error:
                    last = error
                    if error.code() not in _RETRIED:
                        raise _errors.from_rpc_error(error) from None
                    if error.code() == grpc.StatusCode.UNAVAILABLE:
                        self._replicas.mark_unreachable(replica)
                    wait = _pushback_seconds(error)
                    if wait is None or wait >= 0:
                        worth_waiting = True
                        pushback = max(pushback, wait or 0.0)
                finally:
                    self._attempt.replica = outer
            if not worth_waiting:
                raise _errors.from_rpc_error(last) from None
            if pushback > 0:
                wait = pushback
            else:
                wait = random.uniform(0.5, 1.0) * delay  # jitter
                delay = min(delay * 2, 5.0)
            if time.monotonic() - start + wait > self.retry_budget:
                raise _errors.from_rpc_error(last) from None
            time.sleep(wait)

    def _placement_key(self, samples):
        """The key that places a recording on a replica (neurofeat._replicas), or
        None when there is one replica to send it to."""
        if not self._replicas.uses_keys():
            return None
        if isinstance(samples, _inputs.ServerPath):
            file_format = _inputs._FORMATS.get(samples.format)  # pylint: disable=protected-access
            if file_format is None:
                return None  # refused when the request is made
            return _replicas.path_key(samples.path, service_pb2.FileFormat.Name(file_format))
        if isinstance(samples, _inputs.LocalFile):
            try:
                return _replicas.file_key(samples.path)
            except OSError:
                return None  # the upload says why
        return _replicas.bytes_key(samples)

    def _threads(self):
        """The threads of every replica that answers: how many recordings to send
        at once."""
        total = 0
        for replica in self._replicas.current():
            try:
                total += max(1, replica.stub.GetServerInfo(service_pb2.ServerInfoRequest(),
                                                           timeout=self.timeout).threads)
            except grpc.RpcError:
                pass  # it may come back; its share goes to the others meanwhile
        return total or max(1, int(self.info().get("threads", 1)))

    def _stream(self, method, request):
        """The messages of a server-streaming call, cancelled on Ctrl-C or failure."""
        call = method(request, timeout=self.timeout)
        self._calls.add(call)
        try:
            for message in call:
                yield message
        except BaseException:
            call.cancel()
            raise
        finally:
            self._calls.discard(call)

    def _upload(self, array):
        response = self._stub.Upload(_inputs.upload_messages(array), timeout=self.timeout)
        return response.upload_id

    def _upload_file(self, local_file, meta):
        from neurofeat import _bids  # pylint: disable=import-outside-toplevel
        # Uploaded to the replica of the running attempt (its .target).
        replica = getattr(self._attempt, "replica", None) or self._replicas.order(None)[0]
        return _bids.upload_local(replica, local_file, meta)

    def _recording(self, data, index=0, **defaults):
        """(make, rec, name, key): `make()` is the v1 Recording, uploading the
        samples if they are sent that way; each attempt of a call makes it afresh.
        `key` places it on a replica."""
        samples, meta, rec = _inputs.resolve(data, **defaults)

        def make():
            return _inputs.recording_message(samples, meta, self._upload, self._upload_file)

        name = rec.name if rec.name is not None else _inputs.default_name(samples, index)
        return make, rec, name, self._placement_key(samples)

    # ---- Calls --------------------------------------------------------------------

    def info(self):
        """The server's version, limits and roots, as a dict (GetServerInfo)."""
        reply = self._with_retry(lambda: self._stub.GetServerInfo(
            service_pb2.ServerInfoRequest(), timeout=self.timeout))
        return json_format.MessageToDict(reply, preserving_proto_field_name=True,
                                         including_default_value_fields=True)

    def health(self):
        """"SERVING", "NOT_SERVING" (draining) or "UNKNOWN" (grpc.health.v1). With
        several replicas: "SERVING" when every one is, else the first other
        answer; an unreachable one raises :class:`Unavailable`."""
        for replica in self._replicas.current():
            check = replica.channel.unary_unary("/grpc.health.v1.Health/Check",
                                                request_serializer=lambda _: b"",
                                                response_deserializer=lambda b: b)
            try:
                reply = check(None, timeout=self.timeout)
            except grpc.RpcError as error:
                raise _errors.from_rpc_error(error) from None
            # HealthCheckResponse: field 1, an enum varint (1 SERVING, 2 NOT_SERVING).
            status = reply[1] if len(reply) >= 2 and reply[0] == 0x08 else 0
            if status != 1:
                return {2: "NOT_SERVING"}.get(status, "UNKNOWN")
        return "SERVING"

    def features(self):
        """The feature bank as a DataFrame: fn, kind, summary, parents, params."""
        reply = self._with_retry(lambda: self._stub.ListFeatures(
            service_pb2.ListFeaturesRequest(), timeout=self.timeout))
        return pd.DataFrame([{
            "fn": f.fn, "kind": f.kind, "summary": f.summary, "parents": list(f.parents),
            "params": {p.name: json.loads(p.default_json) for p in f.params}}
            for f in reply.features])

    def extract(self, data, pipeline, *, sfreq=None, ch_names=None, highpass=None,
                lowpass=None, description=None, cache="default"):
        """Features of one recording, as a DataFrame with EEGDash's column names.

        ``data``: numpy ``(windows, channels, times)`` epochs, ``(frames,
        channels)`` traces (the pipeline then needs a ``window``), an
        ``mne.io.Raw`` or ``mne.Epochs``, a :class:`ServerPath`, or a
        :class:`Recording`. ``pipeline``: a dict, JSON text, or a path.
        ``cache``: "default", "bypass" or "refresh". Columns: ``recording``,
        ``window``, ``start_sample``, the description's keys, the features
        in tree order (counts as integers), and ``target`` last.

        Example::

            df = client.extract(X, {"features": [{"name": "var", "fn": "signal_variance"}]},
                                sfreq=256, ch_names=["O1", "O2"])
        """
        recording = data if isinstance(data, _inputs.Recording) else _inputs.Recording(
            data, description=description)
        if description is not None and recording.description is None:
            recording.description = description
        rows = self._extract_rows(recording, _pipeline_message(pipeline), 0, cache,
                                  dict(sfreq=sfreq, ch_names=ch_names, highpass=highpass,
                                       lowpass=lowpass), None)
        return _table.frame([rows])

    def fit(self, data, labels, pipeline, *, sfreq=None, ch_names=None):
        """Fits the pipeline's trainable features (EEGDash's CommonSpatialPattern)
        on labelled windows; returns the fitted pipeline as a dict, ready for
        :meth:`extract` (and for ``json.dump``: the models are in it).

        ``data``: ``(windows, channels, times)`` epochs as for :meth:`extract`;
        ``labels``: one integer per window, two classes.

        Example::

            fitted = client.fit(X_train, y_train, {"features": [
                {"name": "csp", "fn": "CommonSpatialPattern"}]}, sfreq=256,
                ch_names=["Fz", "C3", "C4", "Pz"])
            test = client.extract(X_test, fitted, sfreq=256, ch_names=["Fz", "C3", "C4", "Pz"])
        """
        make, _, _, key = self._recording(data, 0, sfreq=sfreq, ch_names=ch_names)
        labels = np.asarray(labels)
        if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError("labels: a 1-D array of integer labels, one per window")
        request = service_pb2.FitRequest(labels=labels.tolist(),
                                         pipeline=_pipeline_message(pipeline))

        def attempt():
            request.recording.CopyFrom(make())
            return self._stub.Fit(request, timeout=self.timeout)

        reply = self._with_retry(attempt, key)
        return json_format.MessageToDict(reply.pipeline, preserving_proto_field_name=True)

    def _extract_rows(self, recording, pipeline, index, cache, defaults, on_rows):
        if cache not in _CACHE:
            raise ValueError(f"cache: {cache!r} is not one of {', '.join(_CACHE)}")
        make, rec, name, key = self._recording(recording, index, **defaults)
        request = service_pb2.ExtractRequest(pipeline=pipeline, cache_policy=_CACHE[cache])
        if rec.window_starts:
            request.window_starts.extend(int(s) for s in rec.window_starts)
            request.window_frames = int(rec.window_frames or 0)

        def attempt():
            request.recording.CopyFrom(make())
            reader = _table.RowsReader(name, rec.description, on_rows, rec.targets,
                                       server=self.target)
            for response in self._stream(self._stub.Extract, request):
                reader.add(response)
            return reader.finish()

        return self._with_retry(attempt, key)

    def preprocess(self, data, pipeline, *, start_frame=0, end_frame=None, dtype=None,
                   sfreq=None, ch_names=None):
        """The pipeline's preprocess chain over frames [start_frame, end_frame), as a
        ``(frames, channels)`` numpy array (int16 for int16 input unless ``dtype``
        says "float32").

        Chunks stream in and are copied once, into the result.

        Example::

            y = client.preprocess(ServerPath("probe.ap.bin"), chain, start_frame=60 * 30000,
                                  end_frame=61 * 30000)
        """
        make, _, _, key = self._recording(data, sfreq=sfreq, ch_names=ch_names)
        request = service_pb2.PreprocessRequest(pipeline=_pipeline_message(pipeline),
                                                start_frame=start_frame)
        if end_frame is not None:
            request.end_frame = end_frame
        if dtype is not None:
            request.output_dtype = {"int16": service_pb2.INT16,
                                    "float32": service_pb2.FLOAT32}[np.dtype(dtype).name]

        def attempt():
            request.recording.CopyFrom(make())
            out = None
            for response in self._stream(self._stub.Preprocess, request):
                chunk = response.chunk
                if out is None:
                    np_dtype = np.int16 if chunk.dtype == service_pb2.INT16 else np.float32
                    out = np.empty((response.total_frames, len(response.channel_names)),
                                   np_dtype)
                    received = 0
                first = chunk.start_frame - request.start_frame
                out[first:first + chunk.num_frames] = np.frombuffer(
                    chunk.data, out.dtype).reshape(chunk.num_frames, chunk.num_channels)
                received += chunk.num_frames
            if out is None or received != out.shape[0]:
                raise _errors.DataLoss("the server sent fewer frames than it announced")
            return out

        return self._with_retry(attempt, key)

    def extract_dataset(self, recordings=None, pipeline=None, *, bids=None, sfreq=None,
                        ch_names=None, highpass=None, lowpass=None, max_in_flight=None,
                        progress=None, cache="default", on_error="fail", **bids_options):
        """Features of many recordings, as one DataFrame, rows in input order.

        ``recordings``: an iterable of :class:`Recording` (or anything
        ``extract`` takes); each one's own metadata override the call's.
        Or ``bids``: a BIDS dataset, a :class:`ServerPath` root under the
        server's data roots (the server plans and reads it) or a local
        folder (planned and read here by the ``neurofeat`` command-line
        client, and sent); rows in BIDS order with the columns subject,
        session, task, run and participants.tsv's, as ``neurofeat extract
        --bids``. BIDS keywords: ``task``, ``subjects``, ``sessions``,
        ``runs``, ``datatype`` (a label or a list), ``keep_bad_channels``,
        ``windows`` ("fixed" or "events": braindecode's
        create_windows_from_events on *_events.tsv, trial_type as target),
        ``window_duration``, ``window_stride``, ``trial_start_offset``,
        ``trial_stop_offset`` (seconds), ``drop_last_window``.
        ``on_error``: "fail" (raise :class:`DatasetError` listing every
        unreadable recording) or "skip" (leave them out; the DataFrame's
        ``attrs["skipped"]`` lists them with the reason).
        ``max_in_flight``: recordings sent at once (default: the server's
        threads); the server's arena decides the cores. Every window each
        recording announced must arrive, or the call raises; a recording that
        fails (after retries of RESOURCE_EXHAUSTED / UNAVAILABLE) makes it
        raise :class:`DatasetError` listing the missing recordings. Ctrl-C
        cancels what is in flight. ``progress``: a tqdm bar per recording, or
        without tqdm a line per recording on stderr (default: when stderr is a
        terminal). ``attrs``: engine_version, pipeline_digest and servers.

        Example::

            df = client.extract_dataset(
                [Recording(x, description={"subject": s, "target": y}) for ...],
                pipeline, sfreq=256, ch_names=names)
        """
        from neurofeat import _bids, _dataset  # pylint: disable=import-outside-toplevel

        if pipeline is None:
            raise ValueError("pipeline: required")
        if on_error not in ("fail", "skip"):
            raise ValueError(f"on_error: {on_error!r} is not 'fail' or 'skip'")
        message = _pipeline_message(pipeline)
        failed = []
        if bids is not None:
            if recordings is not None:
                raise ValueError("give recordings or bids, not both")
            unknown = set(bids_options) - {"task", "subjects", "sessions", "runs", "datatype",
                                           "keep_bad_channels", "windows", "window_duration",
                                           "window_stride", "trial_start_offset",
                                           "trial_stop_offset", "drop_last_window"}
            if unknown:
                raise TypeError(f"extract_dataset: unknown keywords {sorted(unknown)}")
            recordings = []
            for name, item in _bids.plan(self, bids, message, bids_options):
                if isinstance(item, _errors.Error):
                    failed.append((len(recordings) + len(failed), name, item))
                else:
                    recordings.append(item)
        elif bids_options:
            raise TypeError(f"extract_dataset: {sorted(bids_options)} go with bids=")
        if recordings is None:
            raise ValueError("recordings: required (or bids=)")
        return _dataset.run(self, list(recordings), message,
                            dict(sfreq=sfreq, ch_names=ch_names, highpass=highpass,
                                 lowpass=lowpass), max_in_flight, progress, cache,
                            on_error, failed)
