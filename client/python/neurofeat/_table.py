"""Feature rows as they stream in, and the DataFrame made of them, with the
provenance every response carries (engine version, pipeline digest) and the
server that computed them."""

import numpy as np
import pandas as pd

from neurofeat import _errors


class Rows:
    """One recording's rows: values (windows x columns), window indices, starts,
    and their provenance: the engine version and pipeline digest of the
    responses (None when the server sent none) and the server's target."""

    def __init__(self, name, description, columns, integer, values, windows, starts,
                 targets=None, engine_version=None, pipeline_digest=None, server=None):
        self.name = name
        self.engine_version = engine_version
        self.pipeline_digest = pipeline_digest
        self.server = server
        # One target per window (event windows), else None.
        self.targets = targets
        self.description = dict(description or {})
        self.columns = columns
        self.integer = integer
        self.values = values
        self.windows = windows
        self.starts = starts


class RowsReader:
    """Collects ExtractResponse messages; checks each block, the total, and that
    every message names the same engine version and pipeline digest.

    ``on_rows(done, total)``, when given, is called after each block with the
    windows received so far and the total the server announced. ``server``:
    the target the messages come from.
    """

    def __init__(self, name, description, on_rows=None, targets=None, server=None):
        self._name = name
        self._server = server
        self._meta = None
        self._targets = list(targets) if targets is not None else None
        self._description = description
        self._on_rows = on_rows
        self._columns = None
        self._integer = None
        self._total = None
        self._blocks = []
        self._windows = []
        self._starts = []
        self._rows = 0

    def add(self, response):
        meta = (response.meta.engine_version, response.meta.pipeline_digest)
        if self._meta is None:
            self._meta = meta
        elif meta != self._meta:
            field, first, now = (("engine_version", self._meta[0], meta[0])
                                 if meta[0] != self._meta[0] else
                                 ("pipeline_digest", self._meta[1], meta[1]))
            raise _errors.DataLoss(
                f"recording {self._name}: the server's messages disagree on {field}: "
                f"{first!r} in the first, {now!r} after {self._rows} windows")
        if response.columns:
            self._columns = list(response.columns)
            self._integer = list(response.integer_columns) or [False] * len(self._columns)
            self._total = response.total_windows
        if self._columns is None:
            raise _errors.DataLoss("the server sent rows before the columns")
        rows = response.rows
        n, c = rows.num_rows, len(self._columns)
        if len(rows.values) != n * c or len(rows.start_sample) != n:
            raise _errors.DataLoss("the server sent a malformed block of rows")
        self._blocks.append(np.asarray(rows.values, dtype=np.float64).reshape(n, c))
        self._windows.append(np.arange(rows.first_window, rows.first_window + n, dtype=np.int64))
        self._starts.append(np.asarray(rows.start_sample, dtype=np.int64))
        self._rows += n
        if self._on_rows is not None:
            self._on_rows(self._rows, self._total)

    def finish(self):
        if self._columns is None:
            raise _errors.DataLoss("the server sent no columns")
        if self._rows != self._total:
            raise _errors.DataLoss(
                f"recording {self._name}: received {self._rows} of {self._total} windows")
        if self._targets is not None and len(self._targets) != self._rows:
            raise _errors.DataLoss(f"recording {self._name}: {len(self._targets)} targets for "
                                   f"{self._rows} windows")
        c = len(self._columns)
        values = np.concatenate(self._blocks) if self._blocks else np.empty((0, c))
        return Rows(self._name, self._description, self._columns, self._integer, values,
                    np.concatenate(self._windows) if self._windows else np.empty(0, np.int64),
                    np.concatenate(self._starts) if self._starts else np.empty(0, np.int64),
                    self._targets, engine_version=self._meta[0] or None,
                    pipeline_digest=self._meta[1] or None, server=self._server)


def _one_or_all(values):
    """The value all recordings share, or the distinct values in order."""
    distinct = list(dict.fromkeys(values))
    return distinct[0] if len(distinct) == 1 else distinct


def provenance(rows_list):
    """The attrs of a table made of `rows_list`: "engine_version" and
    "pipeline_digest" (one string when every recording agrees, else the
    distinct values in order; None without rows) and "servers" (the targets
    that computed the rows, in order)."""
    return {"engine_version": _one_or_all(r.engine_version for r in rows_list) if rows_list
            else None,
            "pipeline_digest": _one_or_all(r.pipeline_digest for r in rows_list) if rows_list
            else None,
            "servers": list(dict.fromkeys(r.server for r in rows_list if r.server is not None))}


def frame(rows_list):
    """One DataFrame: recording, window, start_sample, the descriptions' keys, the
    features (counts as int64), and target last, as EEGDash's
    to_dataframe(include_target=True); its attrs hold the provenance()."""
    df = _frame(rows_list)
    df.attrs.update(provenance(rows_list))
    return df


def _frame(rows_list):
    if not rows_list:
        return pd.DataFrame()
    columns = rows_list[0].columns
    if any(r.columns != columns for r in rows_list[1:]):
        # Recordings with other channels (a BIDS dataset's bad channels): the
        # union of the columns, NaN where a recording has none, as pandas
        # concatenates EEGDash's per-recording frames.
        parts = [_frame([r]) for r in rows_list]
        df = pd.concat(parts, ignore_index=True, sort=False)
        if "target" in df.columns:
            df = df[[c for c in df.columns if c != "target"] + ["target"]]
        return df
    keys = []
    for r in rows_list:
        for k in r.description:
            if k != "target" and k not in keys:
                keys.append(k)
    has_target = any("target" in r.description or r.targets is not None for r in rows_list)
    n = sum(len(r.windows) for r in rows_list)
    data = {"recording": np.concatenate([np.full(len(r.windows), str(r.name), dtype=object)
                                         for r in rows_list]),
            "window": np.concatenate([r.windows for r in rows_list]),
            "start_sample": np.concatenate([r.starts for r in rows_list])}
    for k in keys:
        data[k] = np.concatenate([np.full(len(r.windows), r.description.get(k), dtype=object)
                                  for r in rows_list])
    values = np.concatenate([r.values for r in rows_list]) if n else np.empty((0, len(columns)))
    integer = rows_list[0].integer
    for j, name in enumerate(columns):
        data[name] = values[:, j].astype(np.int64) if integer[j] else values[:, j]
    if has_target:
        data["target"] = np.concatenate([
            np.asarray(r.targets, dtype=object) if r.targets is not None else
            np.full(len(r.windows), r.description.get("target"), dtype=object)
            for r in rows_list])
    df = pd.DataFrame(data)
    # Description columns of one type get that type (subject ids, numeric targets).
    for k in keys + (["target"] if has_target else []):
        df[k] = df[k].infer_objects()
    return df
