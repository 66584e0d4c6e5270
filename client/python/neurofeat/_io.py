"""read_table: a table the ``neurofeat`` command-line client wrote, read back
with its names and exact numbers."""

import csv
import os
import re

import numpy as np
import pandas as pd

# A number as the CLI writes one (std::to_chars' shortest form, or an integer),
# and the words it writes for the values that are not finite.
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
_NOT_FINITE = {"nan", "-nan", "inf", "-inf", "+inf", "NaN", "-NaN", "Inf", "-Inf"}
# "01", "-007": integers whose text a number would not give back.
_LEADING_ZERO = re.compile(r"[+-]?0\d")
# Always text, whatever it looks like: the recording's name.
_TEXT_COLUMNS = ("recording",)


def _is_text(values):
    """True if a column holds anything a number would not write back: words,
    or identifiers with leading zeros (subject "01")."""
    for v in values:
        if v == "" or v in _NOT_FINITE:
            continue
        if not _NUMBER.match(v) or _LEADING_ZERO.match(v):
            return True
    return False


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f), None)
    if header is None:
        raise ValueError(f"{path}: empty, not a table the neurofeat CLI wrote (no header)")
    # Every cell as its text first, to see which columns are identifiers.
    texts = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    text_columns = [c for c in texts.columns
                    if c in _TEXT_COLUMNS or _is_text(texts[c].to_numpy())]
    numeric = [c for c in texts.columns if c not in text_columns]
    if numeric:
        numbers = pd.read_csv(path, usecols=numeric, float_precision="round_trip",
                              na_values=["", "nan", "-nan", "NaN"], keep_default_na=False)
    else:
        numbers = pd.DataFrame(index=texts.index)
    data = {c: texts[c] if c in text_columns else numbers[c] for c in texts.columns}
    return pd.DataFrame(data, columns=list(texts.columns))


def _read_npy(path):
    names_path = os.fspath(path) + ".columns.txt"
    if not os.path.exists(names_path):
        raise FileNotFoundError(f"{names_path}: the column names of {path} are missing "
                                "(the CLI writes OUT.npy and OUT.npy.columns.txt)")
    values = np.load(path, allow_pickle=False)
    with open(names_path, encoding="utf-8") as f:
        names = f.read().splitlines()
    if values.ndim != 2 or values.shape[1] != len(names):
        raise ValueError(f"{path}: an array of shape {values.shape} for {len(names)} column "
                         f"names in {names_path}")
    return pd.DataFrame(values, columns=names)


def read_table(path):
    """A feature table the ``neurofeat`` command-line client wrote, as a DataFrame.

    ``OUT.csv``: every column under its name; features and other numbers
    exactly as written (the CLI writes the shortest text that reads back to
    the same double; read with ``float_precision="round_trip"``), counts as
    int64; ``recording`` and the description columns that hold identifiers
    (a word, or a number with leading zeros such as subject ``"01"``) as
    strings, empty cells there as ``""``. ``OUT.npy``: the (windows, columns)
    float64 array with the names in ``OUT.npy.columns.txt``.

    Example::

        df = neurofeat.read_table("features.csv")
        df["subject"]          # "01", "02", ... as the manifest wrote them
    """
    if os.fspath(path).endswith(".npy"):
        return _read_npy(path)
    return _read_csv(path)
