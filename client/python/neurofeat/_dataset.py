"""Many recordings through one client: concurrency, progress, and all-or-nothing."""

import concurrent.futures
import sys
import threading

from neurofeat import _errors, _table


def _progress_bar(progress, total_known):
    if progress is False:
        return None
    if progress is None and not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return tqdm(total=total_known, unit="windows", desc="extract")


def run(client, recordings, pipeline, defaults, max_in_flight, progress, cache,
        on_error="fail", failed=()):
    """`failed`: (index, name, error) of recordings that could not even be planned."""
    if max_in_flight is None:
        max_in_flight = client._threads()  # every replica's
    bar = _progress_bar(progress, None)
    bar_lock = threading.Lock()

    def on_rows(n):
        if bar is not None:
            with bar_lock:
                bar.update(n)

    results = [None] * len(recordings)
    errors = {}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max_in_flight)
    futures = {pool.submit(client._extract_rows, rec, pipeline, i, cache, defaults, on_rows): i
               for i, rec in enumerate(recordings)}
    try:
        for future in concurrent.futures.as_completed(futures):
            i = futures[future]
            try:
                results[i] = future.result()
            except _errors.Error as error:
                errors[i] = error
            except Exception as error:  # a bad input raised before any call
                errors[i] = _errors.Error(str(error))
    except BaseException:
        # Ctrl-C (or anything else): stop the server's work, then leave.
        pool.shutdown(wait=False, cancel_futures=True)
        client._calls.cancel_all()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if bar is not None:
            bar.close()
    missing = list(failed)
    for i in sorted(errors):
        rec = recordings[i]
        name = getattr(rec, "name", None) or str(i)
        missing.append((i, name, errors[i]))
    if missing and on_error != "skip":
        raise _errors.DatasetError(missing, len(recordings) + len(failed))
    df = _table.frame([r for r in results if r is not None])
    df.attrs["skipped"] = [(name, str(error)) for _, name, error in missing]
    return df
