"""What can be sent: numpy arrays, MNE objects, files on the server, and the
Recording wrapper that adds metadata to any of them."""

import dataclasses
import os
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from neurofeat.v1 import service_pb2

# Larger inputs are uploaded in chunks instead of sent inline (the server's
# default message limit is 64 MiB).
INLINE_LIMIT_BYTES = 32 << 20
UPLOAD_CHUNK_BYTES = 4 << 20

_DTYPES = {np.dtype("<i2"): service_pb2.INT16, np.dtype("<f4"): service_pb2.FLOAT32,
           np.dtype("<f8"): service_pb2.FLOAT64}
_FORMATS = {"auto": service_pb2.FILE_FORMAT_AUTO, "npy": service_pb2.NPY,
            "raw": service_pb2.RAW, "spikeglx": service_pb2.SPIKEGLX,
            "openephys": service_pb2.OPENEPHYS, "edf": service_pb2.EDF, "bdf": service_pb2.EDF,
            "brainvision": service_pb2.BRAINVISION, "eeglab": service_pb2.EEGLAB,
            "fif": service_pb2.FIF, "nwb": service_pb2.NWB}


@dataclasses.dataclass(frozen=True)
class ServerPath:
    """A recording file the server reads, under one of its data roots.

    ``format``: "auto" (from the name and the file's first bytes), "npy",
    "raw", "spikeglx", "openephys", "edf", "brainvision", "eeglab", "fif",
    "nwb". Raw files also need ``raw_dtype`` ("int16", "float32",
    "float64") and ``raw_channels``; ``nwb_series`` picks an
    ElectricalSeries of an NWB file with several. EEG formats give volts,
    as MNE's ``get_data()``.

    Example::

        client.extract(ServerPath("sub-01/eeg.edf"), pipeline)
    """

    path: str
    format: str = "auto"
    raw_dtype: Optional[str] = None
    raw_channels: int = 0
    raw_header_bytes: int = 0
    stream_index: int = 0
    nwb_series: str = ""


@dataclasses.dataclass(frozen=True)
class LocalFile:
    """A recording file on this machine in any format neurofeat reads, sent to
    the server as its samples by the ``neurofeat`` command-line client (which
    reads it exactly as the server would). BIDS datasets on this machine are
    read this way.

    Example::

        client.extract(LocalFile("sub-01_task-rest_eeg.vhdr"), pipeline)
    """

    path: str
    format: str = "auto"


@dataclasses.dataclass
class Recording:
    """Samples and what describes them, for one recording of a dataset.

    ``data``: numpy ``(windows, channels, times)`` epochs or ``(frames,
    channels)`` traces, an ``mne.io.Raw`` or ``mne.Epochs``, or a
    :class:`ServerPath`. Its own ``sfreq``, ``ch_names``, ``highpass``,
    ``lowpass`` override the call's; ``description`` becomes columns of the
    table (a ``target`` goes last, as EEGDash puts it); ``name`` fills the
    ``recording`` column.

    Example::

        Recording(x, sfreq=256, description={"subject": "01", "target": 1}, name="sub-01")
    """

    data: Any
    sfreq: Optional[float] = None
    ch_names: Optional[Sequence[str]] = None
    highpass: Optional[float] = None
    lowpass: Optional[float] = None
    description: Optional[Mapping[str, Any]] = None
    name: Optional[str] = None
    # Channels to leave out (a BIDS recording's bad channels).
    exclude_channels: Optional[Sequence[str]] = None
    # Windows of ``window_frames`` at these first frames instead of the
    # pipeline's grid, each with its ``targets`` entry (BIDS event windows).
    window_starts: Optional[Sequence[int]] = None
    window_frames: Optional[int] = None
    targets: Optional[Sequence[Any]] = None


def _is_mne(obj, kind):
    return type(obj).__module__.startswith("mne") and hasattr(obj, "get_data") and any(
        kind in c.__name__ for c in type(obj).__mro__)


def samples_and_info(data):
    """(array or ServerPath, info dict from MNE: sfreq, ch_names, highpass, lowpass)."""
    if isinstance(data, (ServerPath, LocalFile)):
        return data, {}
    if _is_mne(data, "Raw"):
        info = data.info
        return np.ascontiguousarray(data.get_data().T), {
            "sfreq": info["sfreq"], "ch_names": list(data.ch_names),
            "highpass": info["highpass"] or None, "lowpass": info["lowpass"]}
    if _is_mne(data, "Epochs"):
        info = data.info
        return np.ascontiguousarray(data.get_data()), {
            "sfreq": info["sfreq"], "ch_names": list(data.ch_names),
            "highpass": info["highpass"] or None, "lowpass": info["lowpass"]}
    array = np.asarray(data)
    if array.ndim not in (2, 3):
        raise ValueError(
            f"data: expected (frames, channels) traces or (windows, channels, times) epochs, "
            f"got an array of shape {array.shape}")
    if array.dtype.newbyteorder("<") not in _DTYPES:
        array = array.astype(np.float64)
    return np.ascontiguousarray(array.astype(array.dtype.newbyteorder("<"), copy=False)), {}


def resolve(recording, **defaults):
    """A Recording whose unset metadata come from MNE's info, then `defaults`."""
    if not isinstance(recording, Recording):
        recording = Recording(recording)
    samples, info = samples_and_info(recording.data)
    merged = {}
    for key in ("sfreq", "ch_names", "highpass", "lowpass"):
        own = getattr(recording, key)
        merged[key] = own if own is not None else info.get(key, defaults.get(key))
    merged["exclude_channels"] = recording.exclude_channels
    return samples, merged, recording


def recording_message(samples, meta, upload, upload_file=None):
    """The v1 Recording: inline samples, an upload (via `upload(array)` -> id), a
    path, or a local file (via `upload_file(LocalFile, meta)` -> Recording)."""
    if isinstance(samples, LocalFile):
        return upload_file(samples, meta)
    r = service_pb2.Recording()
    if isinstance(samples, ServerPath):
        if samples.format not in _FORMATS:
            raise ValueError(f"ServerPath.format: {samples.format!r} is not one of "
                             f"{', '.join(_FORMATS)}")
        r.path.path = samples.path
        r.path.format = _FORMATS[samples.format]
        if samples.raw_dtype is not None:
            r.path.raw_dtype = {"int16": service_pb2.INT16, "float32": service_pb2.FLOAT32,
                                "float64": service_pb2.FLOAT64}[samples.raw_dtype]
        r.path.raw_num_channels = samples.raw_channels
        r.path.raw_header_bytes = samples.raw_header_bytes
        r.path.stream_index = samples.stream_index
        r.path.nwb_series = samples.nwb_series
    elif samples.nbytes > INLINE_LIMIT_BYTES:
        r.upload_id = upload(samples)
    else:
        r.samples.dtype = _DTYPES[samples.dtype]
        r.samples.shape.extend(samples.shape)
        r.samples.data = samples.tobytes()
    if meta.get("sfreq") is not None:
        r.sampling_rate_hz = float(meta["sfreq"])
    if meta.get("ch_names") is not None:
        r.channel_names.extend(str(c) for c in meta["ch_names"])
    if meta.get("highpass") is not None:
        r.highpass_hz = float(meta["highpass"])
    if meta.get("lowpass") is not None:
        r.lowpass_hz = float(meta["lowpass"])
    if meta.get("exclude_channels"):
        r.exclude_channels.extend(meta["exclude_channels"])
    return r


def upload_messages(array):
    """The Upload stream of an array: a header, then chunks."""
    header = service_pb2.UploadChunk()
    header.header.dtype = _DTYPES[array.dtype]
    header.header.shape.extend(array.shape)
    yield header
    view = memoryview(array).cast("B")
    for start in range(0, len(view), UPLOAD_CHUNK_BYTES):
        yield service_pb2.UploadChunk(data=bytes(view[start:start + UPLOAD_CHUNK_BYTES]))


def default_name(samples, index):
    if isinstance(samples, (ServerPath, LocalFile)):
        return os.path.basename(samples.path)
    return str(index)
