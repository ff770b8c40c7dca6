"""Write an output file so that no reader ever sees it half-written.

Every file evalkit writes goes to a temporary name in the same folder (``.<name>.<pid>.tmp``,
hidden and git-ignored), is flushed to disk, and is then renamed over the final name with
``os.replace``, which is atomic on one file system. A run killed at any moment (SIGKILL,
power loss) leaves the old file or the new one under the final name, and at worst a
``.tmp`` file that the next run removes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "atomic_write", "save_workbook", "TMP_SUFFIX"]

TMP_SUFFIX = ".tmp"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path``, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")
    try:
        yield tmp
        with open(tmp, "rb+") as f:  # the writer may not have synced: make the bytes durable first
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically; return ``path``."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)
    return Path(path)


def save_workbook(wb, path: str | os.PathLike) -> Path:
    """``wb.save(path)`` atomically (openpyxl writes the zip in place, piece by piece)."""
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)
