"""read_table: a table the ``neurofeat`` command-line client wrote, read back
with its names and exact numbers."""

import csv
import os

import numpy as np
import pandas as pd

# A number as the CLI writes one (std::to_chars' shortest form, or an integer),
# and the words it writes for the values that are not finite.
_NUMBER = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
_NOT_FINITE = ["nan", "-nan", "inf", "-inf", "+inf", "NaN", "-NaN", "Inf", "-Inf"]
# "01", "-007": integers whose text a number would not give back.
_LEADING_ZERO = r"[+-]?0\d"
# Always text, whatever it looks like: the recording's name.
_TEXT_COLUMNS = ("recording",)


def _is_text(values):
    """True if a column of texts holds anything a number would not write back:
    words, or identifiers with leading zeros (subject "01")."""
    written = values[(values != "") & ~values.isin(_NOT_FINITE)]
    return bool((~written.str.fullmatch(_NUMBER)).any() or written.str.match(_LEADING_ZERO).any())


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        if next(csv.reader(f), None) is None:
            raise ValueError(f"{path}: empty, not a table the neurofeat CLI wrote (no header)")
    table = pd.read_csv(path, float_precision="round_trip", keep_default_na=False,
                        na_values=["", "nan", "-nan", "NaN", "-NaN"])
    # Columns of floats without gaps are features; the others (integers, texts,
    # gaps) are read again as texts to see which hold identifiers.
    candidates = [c for c in table.columns if c in _TEXT_COLUMNS or not (
        table[c].dtype == np.float64 and table[c].notna().all())]
    if candidates:
        texts = pd.read_csv(path, usecols=candidates, dtype=str, keep_default_na=False,
                            na_filter=False)
        for c in candidates:
            if c in _TEXT_COLUMNS or _is_text(texts[c]):
                table[c] = texts[c].astype(object)
    return table


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
