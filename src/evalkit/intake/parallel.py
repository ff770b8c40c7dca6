"""Parsing the submission files in worker processes, with a progress bar on a terminal.

Each file is read and parsed on its own (``workbooks.read_file``), so files are spread over
``jobs`` worker processes (default: one per core the process may use). Workers are forked:
they inherit the registry, and only the parsed ``FileRead`` of each file comes back (pickled).
Small folders (fewer than ``MIN_FILES_PER_WORKER`` files per extra worker) are read in this
process, since starting workers would cost more than it saves. The results are in the
order of ``entries`` whatever the order the workers finish in, so the checks across files
(duplicates, lateness, case numbers) see exactly what a sequential read gives.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from evalkit.intake.listing import Entry
from evalkit.intake.records import FileRead
from evalkit.intake.registry import Registry

#: Below this many files per worker, a worker costs more to start than it saves.
MIN_FILES_PER_WORKER = 40

_state: dict = {}  # set in the parent before forking; the workers inherit it


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _work(index: int) -> FileRead:
    entry = _state["entries"][index]
    return _state["read"](entry.path, entry.name, _state["registry"])


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int):
    """tqdm's bar on a terminal; otherwise a stand-in (tqdm is not even imported: 16 ms)."""
    if not sys.stderr.isatty() or total < 2:
        return _NoBar()
    from tqdm import tqdm  # lazy: only a terminal shows the bar

    return tqdm(total=total, desc="读取报送文件", unit="个", file=sys.stderr, leave=False)


def read_files(entries: list[Entry], registry: Registry, read: Callable[..., FileRead],
               jobs: int | None = None) -> list[FileRead]:
    """``read(entry.path, entry.name, registry)`` for every entry, in entry order."""
    jobs = default_jobs() if jobs is None else max(1, int(jobs))
    jobs = min(jobs, max(1, len(entries) // MIN_FILES_PER_WORKER))
    bar = _progress_bar(len(entries))
    try:
        if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            out = []
            for e in entries:
                out.append(read(e.path, e.name, registry))
                bar.update()
            return out
        _state.update(entries=entries, registry=registry, read=read)
        try:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                out = []
                chunk = max(1, min(64, len(entries) // (jobs * 8)))
                for result in pool.map(_work, range(len(entries)), chunksize=chunk):
                    out.append(result)
                    bar.update()
                return out
        finally:
            _state.clear()
    finally:
        bar.close()
