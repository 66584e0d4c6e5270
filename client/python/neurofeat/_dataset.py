"""Many recordings through one client: concurrency, progress, and all-or-nothing."""

import concurrent.futures
import sys
import threading

from neurofeat import _errors, _inputs, _table


class _Progress:
    """One tqdm bar per recording (its windows, from the total the server
    announces), or without tqdm one line per finished recording on stderr:
    ``recording 3/16 sub-03: 120 windows``. Safe to call from the workers."""

    def __init__(self, total, tqdm):
        self._total = total
        self._tqdm = tqdm
        self._lock = threading.Lock()
        self._bars = {}

    def _label(self, index, name):
        return f"recording {index + 1}/{self._total} {name}"

    def started(self, index, name):
        """Recording `index` is being sent: its bar appears (total still unknown)."""
        if self._tqdm is None:
            return
        with self._lock:
            if index not in self._bars:
                self._bars[index] = self._tqdm(total=None, unit="windows",
                                               desc=self._label(index, name), leave=True)

    def on_rows(self, index, name):
        """The RowsReader callback of recording `index`: (windows so far, total)."""
        if self._tqdm is None:
            return None

        def update(done, total):
            self.started(index, name)
            with self._lock:
                bar = self._bars[index]
                if done < bar.n:  # a retry starts the recording again
                    bar.reset(total=total)
                bar.total = total  # known from the first message (the rate keeps its start)
                bar.update(done - bar.n)

        return update

    def finished(self, index, name, windows=None, error=None):
        """Recording `index` is done: `windows` rows, or failed with `error`."""
        outcome = f"{windows} windows" if error is None else f"failed ({error})"
        with self._lock:
            bar = self._bars.pop(index, None)
            if self._tqdm is None:
                print(f"{self._label(index, name)}: {outcome}", file=sys.stderr, flush=True)
                return
            if error is not None:
                if bar is not None:
                    bar.set_postfix_str("failed", refresh=False)
                    bar.close()
                self._tqdm.write(f"{self._label(index, name)}: {outcome}", file=sys.stderr)
                return
            if bar is None:  # no rows came (an empty recording)
                bar = self._tqdm(total=windows, unit="windows", desc=self._label(index, name),
                                 leave=True)
            bar.update(windows - bar.n)
            bar.close()

    def close(self):
        with self._lock:
            bars, self._bars = list(self._bars.values()), {}
        for bar in bars:
            bar.close()


def _progress(progress, total):
    """A _Progress, or None: `progress` False never, None when stderr is a
    terminal, True always (tqdm bars when tqdm is importable, else lines)."""
    if progress is False:
        return None
    if progress is None and not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm  # pylint: disable=import-outside-toplevel
    except ImportError:
        tqdm = None
    return _Progress(total, tqdm)


def _name(recording, index):
    """The name the table's recording column will show."""
    name = getattr(recording, "name", None)
    if name is not None:
        return str(name)
    return _inputs.default_name(getattr(recording, "data", recording), index)


def run(client, recordings, pipeline, defaults, max_in_flight, progress, cache,
        on_error="fail", failed=()):
    """`failed`: (index, name, error) of recordings that could not even be planned."""
    if max_in_flight is None:
        max_in_flight = client._threads()  # every replica's
    shown = _progress(progress, len(recordings))

    results = [None] * len(recordings)
    errors = {}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max_in_flight)

    def extract(i, rec):
        if shown is None:
            return client._extract_rows(rec, pipeline, i, cache, defaults, None)
        shown.started(i, _name(rec, i))
        return client._extract_rows(rec, pipeline, i, cache, defaults,
                                    shown.on_rows(i, _name(rec, i)))

    futures = {pool.submit(extract, i, rec): i for i, rec in enumerate(recordings)}
    try:
        for future in concurrent.futures.as_completed(futures):
            i = futures[future]
            try:
                results[i] = future.result()
            except _errors.Error as error:
                errors[i] = error
            except Exception as error:  # a bad input raised before any call
                errors[i] = _errors.Error(str(error))
            if shown is not None:
                shown.finished(i, _name(recordings[i], i),
                               windows=len(results[i].windows) if results[i] else None,
                               error=errors.get(i))
    except BaseException:
        # Ctrl-C (or anything else): stop the server's work, then leave.
        pool.shutdown(wait=False, cancel_futures=True)
        client._calls.cancel_all()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if shown is not None:
            shown.close()
    missing = list(failed)
    for i in sorted(errors):
        missing.append((i, _name(recordings[i], i), errors[i]))
    if missing and on_error != "skip":
        raise _errors.DatasetError(missing, len(recordings) + len(failed))
    df = _table.frame([r for r in results if r is not None])
    df.attrs["skipped"] = [(name, str(error)) for _, name, error in missing]
    return df
