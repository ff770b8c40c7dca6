"""The consolidated dataset, loaded once and reused by every report.

Reading a month of workbooks (``evalkit.intake.loader.load``) is the slow step of every
notebook. ``load_cached(data_dir)`` keys the loaded ``Dataset`` by a content hash of
the files intake reads and of evalkit's own source (a change to intake invalidates it),
and keeps it in two places:

* on disk, ``<cache dir>/<key>/dataset/``: Parquet files for the tables and typed JSON
  for the rest (``evalkit.report.cache_format``), never a pickle: reading an entry runs
  no code, and an entry that is corrupt, foreign, of another format or not written by
  this user is rebuilt. The cache dir is ``$EVALKIT_CACHE_DIR``, else
  ``$XDG_CACHE_HOME/evalkit``, else ``~/.cache/evalkit`` (created 0700), so it is never
  inside a report folder that gets published;
* in memory, so a warm kernel that runs many reports (``evalkit.report.batch``) loads it once.

The key covers exactly what intake reads (``data_fingerprint``): the registry files
(``intake.registry.registry_files``) and the files ``intake.listing.list_files``
returns for submissions/ (any name, ``*.tmp`` included) plus the names it skips and the
names of workbooks placed outside submissions/ (``intake.listing.stray_files``). Their
bytes are hashed on every call (about 7 ms for data/sample's 2.8 MB), so an edit that
keeps size and mtime is still seen; a file that cannot be read is keyed by its path,
stat and error, and intake reports it. The key is computed again after loading: when
a file changed meanwhile, the dataset is not stored.

Each caller gets its own shallow copy of the tables (copy-on-write), so a notebook
that adds a column cannot leak it into the next report.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import os
import re
import shutil
import stat
from pathlib import Path

import pandas as pd

from evalkit import __version__
from evalkit.core.dataset import Dataset
from evalkit.exceptions import DataDirError
from evalkit.intake.listing import MAX_FILE_BYTES, list_files, stray_files
from evalkit.intake.loader import load
from evalkit.intake.registry import SUBMISSIONS_DIR, registry_files
from evalkit.report.cache_format import FORMAT, VALUE_FILE, CorruptEntry, Uncacheable, read_bundle, write_bundle

CACHE_ENV = "EVALKIT_CACHE_DIR"
#: Set by ``evalkit.report.batch`` for its kernels: "<resolved data_dir>\n<cache key>". Every report
#: of one run then reads the snapshot the run hashed at its start (and skips re-hashing),
#: even if a file is edited while the run is going.
PIN_ENV = "EVALKIT_DATASET_PIN"
CACHE_FORMAT = FORMAT  # part of the key: entries of another layout are never looked up
KEEP_ENTRIES = 6  # older cache entries are pruned
DATASET_ENTRY = "dataset"

_MEMO: dict[tuple[str, str], object] = {}  # (cache dir, cache key) -> Dataset, for this process
_FILE_DIGESTS: dict[str, tuple[tuple, str]] = {}  # source file path -> (stat signature, sha256)
_SOURCE_DIGEST: tuple[tuple, str] | None = None


# --------------------------------------------------------------------------- files


def _stat_signature(path: Path) -> tuple:
    """What changes when a file is rewritten: ctime too (a user cannot set it back), unlike mtime."""
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def content_digest(path: Path, limit: int | None = None) -> str:
    """sha256 of a file's bytes, read every time; never raises and never blocks.

    A file that cannot be read (no permission, vanished, a folder, a FIFO or device, or
    larger than ``limit`` bytes, which intake refuses unread) is keyed by its stat and the
    reason instead: loading it is intake's business, which reports it as a problem.
    """
    h = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or (limit is not None and st.st_size > limit):
                raise OSError(0, "not read")
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as exc:
        try:
            sig = _stat_signature(path)
        except OSError:
            sig = ()
        return "unreadable:" + hashlib.sha256(repr((exc.errno, sig)).encode()).hexdigest()
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """``content_digest``, remembered per process while the file's stat signature stays the same.

    Used for evalkit's own source only; data files are hashed afresh (``data_fingerprint``).
    """
    key = str(path)
    try:
        sig = _stat_signature(path)
    except OSError:
        return content_digest(path)
    hit = _FILE_DIGESTS.get(key)
    if hit and hit[0] == sig:
        return hit[1]
    digest = content_digest(path)
    _FILE_DIGESTS[key] = (sig, digest)
    return digest


def _visible_files(root: Path):
    """Files under ``root``, sorted, skipping hidden names (.git, .cache, editor files)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        for name in sorted(filenames):
            if not name.startswith(".") and not name.endswith((".pyc", ".tmp")):
                yield Path(dirpath) / name


def data_fingerprint(data_dir: str | os.PathLike) -> str:
    """Content hash (hex sha256) of exactly what ``intake.loader.load`` reads from ``data_dir``.

    The registry files (``registry_files``) and the submissions ``list_files`` returns,
    each as relative path + bytes, plus the names ``list_files`` skips and the workbooks
    placed outside submissions/ (``stray_files``): their ``file_skipped`` and
    ``file_outside_submissions`` warnings are part of the dataset. Raises OSError when submissions/
    cannot be listed (``load`` then says why).
    """
    root = Path(data_dir)
    h = hashlib.sha256(b"evalkit data 2\n")
    for path in registry_files(root):
        h.update(b"R " + path.relative_to(root).as_posix().encode("utf-8", "surrogateescape") + b"\0")
        h.update(content_digest(path).encode("ascii") + b"\n")
    sub_dir = root / SUBMISSIONS_DIR
    if sub_dir.is_dir():
        with os.scandir(sub_dir):  # an unreadable folder raises here, as in load
            pass
        entries, skipped = list_files(sub_dir, root)
        for entry in entries:  # a link inside DATA_DIR is read as its target, under its own name
            h.update(b"F " + entry.name.encode("utf-8", "surrogateescape") + b"\0")
            h.update(content_digest(entry.path, MAX_FILE_BYTES).encode("ascii") + b"\n")
        for problem in skipped:
            h.update(b"S " + str(problem.file).encode("utf-8", "surrogateescape") + b"\n")
    for problem in stray_files(root):  # workbooks outside submissions/: not read, but warned about
        h.update(b"X " + str(problem.file).encode("utf-8", "surrogateescape") + b"\n")
    return h.hexdigest()


def source_fingerprint() -> str:
    """Hash of evalkit's installed source (code, resources, templates) and its version."""
    global _SOURCE_DIGEST
    pkg = Path(__file__).resolve().parent.parent  # the whole evalkit package
    files = list(_visible_files(pkg))
    sig = tuple((str(p), _stat_signature(p)) for p in files)
    if _SOURCE_DIGEST and _SOURCE_DIGEST[0] == sig:
        return _SOURCE_DIGEST[1]
    h = hashlib.sha256(f"evalkit {__version__} cache {CACHE_FORMAT}\n".encode())
    for path in files:
        h.update(path.relative_to(pkg).as_posix().encode("utf-8") + b"\0")
        h.update(file_digest(path).encode("ascii") + b"\n")
    _SOURCE_DIGEST = (sig, h.hexdigest())
    return _SOURCE_DIGEST[1]


def dataset_key(data_dir: str | os.PathLike) -> str:
    """The cache key of a data folder: its content hash combined with the source hash."""
    both = f"{data_fingerprint(data_dir)}:{source_fingerprint()}"
    return hashlib.sha256(both.encode()).hexdigest()[:20]


# --------------------------------------------------------------------------- where
def repo_root(start: str | os.PathLike | None = None) -> Path | None:
    """The evalkit repository root (the folder holding pyproject.toml and src/evalkit), if any.

    Searched upwards from ``start`` (default: the current directory), then from this
    package's location (an editable install lives in the repository).
    """
    candidates = [Path(start or Path.cwd()).resolve(), Path(__file__).resolve().parent.parent]
    for base in candidates:
        for folder in (base, *base.parents):
            if (folder / "pyproject.toml").is_file() and (folder / "src" / "evalkit").is_dir():
                return folder
    return None


def default_cache_dir() -> Path:
    """``$EVALKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/evalkit``, else ``~/.cache/evalkit``.

    The user's own cache folder, outside any report folder (``--out``) and any checkout.
    """
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"  # XDG: relative is invalid
    return base / "evalkit"


def ensure_private_dir(folder: Path) -> Path:
    """Create ``folder`` (and missing parents) readable by this user only (0700)."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700)
    return folder


def resolve_data_dir(data_dir: str | os.PathLike) -> Path:
    """Find ``data_dir`` as given, else relative to the repository root.

    Notebooks default to ``../data/sample`` (relative to notebooks/); this also accepts
    ``data/sample`` from the repository root, so a path works wherever the kernel runs.
    """
    path = Path(data_dir).expanduser()
    if path.is_dir():
        return path.resolve()
    root = repo_root()
    if root is not None and not path.is_absolute():
        for base in (root, root / "notebooks"):
            if (base / path).is_dir():
                return (base / path).resolve()
    raise DataDirError(path, "目录不存在（相对路径按当前目录和仓库根目录查找）")


# --------------------------------------------------------------------------- load
def _private_copy(ds):
    """A Dataset whose tables are shallow copies (copy-on-write) of the cached ones."""
    tables = {f.name: getattr(ds, f.name).copy(deep=False) for f in dataclasses.fields(ds)
              if isinstance(getattr(ds, f.name), pd.DataFrame)}
    return dataclasses.replace(ds, **tables, meta=copy.deepcopy(ds.meta))


def _prune(cache_dir: Path, keep: str) -> None:
    entries = sorted((p for p in cache_dir.iterdir() if p.is_dir() and len(p.name) == 20),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_ENTRIES:]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


def _read_dataset(entry: Path) -> Dataset | None:
    """The dataset stored in ``entry``, or None (missing, corrupt or foreign: rebuilt by the caller)."""
    if not (entry / VALUE_FILE).is_file():
        return None
    try:
        ds = read_bundle(entry)
    except (CorruptEntry, OSError):
        return None
    if not isinstance(ds, Dataset) or not isinstance(ds.meta, dict):
        return None
    with contextlib.suppress(OSError):
        os.utime(entry.parent)  # mark as recently used for pruning
    return ds


def _key_or_none(data_dir: Path) -> str | None:
    try:
        return dataset_key(data_dir)
    except OSError:
        return None


def load_cached(data_dir: str | os.PathLike, cache_dir: str | os.PathLike | None = None,
                *, refresh: bool = False):
    """Load a data folder through the cache; returns a ``Dataset`` (see ``evalkit.intake.loader.load``).

    ``refresh=True`` re-reads the workbooks and rewrites the cache entry. The key
    (``ds.meta['cache_key']``) changes whenever a file intake reads or evalkit's source
    changes, so a stale entry is never used. A folder whose files cannot even be listed is
    loaded without the cache (``load`` raises ``DataDirError`` saying why).
    """
    data_dir = resolve_data_dir(data_dir)
    key = _pinned_key(data_dir) or _key_or_none(data_dir)
    if key is None:
        return load(data_dir)
    folder = Path(cache_dir or default_cache_dir()).expanduser().absolute()
    if not refresh and (str(folder), key) in _MEMO:
        ds = _MEMO[(str(folder), key)]
    else:
        entry = folder / key / DATASET_ENTRY
        ds = None if refresh else _read_dataset(entry)
        if ds is None:
            ds = load(data_dir)
            ds.meta = dict(ds.meta or {})
            if _key_or_none(data_dir) != key:  # a file changed while it was read: do not keep a mixture
                ds.meta["cache_key"] = None
                view = _private_copy(ds)
                view.data_dir = data_dir
                return view
            try:
                ensure_private_dir(folder)
                write_bundle(entry, ds)
                _prune(folder, keep=key)
            except (Uncacheable, OSError):
                pass  # still correct, only not kept on disk
        ds.meta["cache_key"] = key
        ds.meta["cache_dir"] = str(folder)
        _MEMO.clear()  # one dataset per process is enough; keeps a warm kernel small
        _MEMO[(str(folder), key)] = ds
    view = _private_copy(ds)
    view.data_dir = data_dir
    return view


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock on ``path`` across processes (POSIX flock; no lock elsewhere)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        try:
            import fcntl  # POSIX only: imported where it is used so Windows still loads
        except ImportError:  # pragma: no cover - Windows
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cached_result(ds, name: str, compute):
    """A town-wide result (scores, audit, ...) computed once per dataset and shared on disk.

    Stored beside the dataset (``<cache dir>/<key>/results/<name>/``, the same Parquet +
    typed-JSON form), so every report of a batch, and every kernel, computes it once: the
    first caller computes it while holding a lock, the others wait and read it. Only
    values that form can hold are stored (JSON-able values, DataFrames and the evalkit
    result dataclasses of ``cache_format.DATACLASSES``); anything else is computed by
    every caller. The key covers the data and evalkit's source (packaged configs
    included), so a stale result is never read. A dataset not loaded through
    ``load_cached`` is simply computed.
    """
    key, folder = (ds.meta or {}).get("cache_key"), (ds.meta or {}).get("cache_dir")
    if not key or not folder:
        return compute()
    path = Path(folder) / key / "results" / re.sub(r"[^\w-]+", "_", name)

    def read():
        if not (path / VALUE_FILE).is_file():
            return False, None
        try:
            return True, read_bundle(path)
        except (CorruptEntry, OSError):
            return False, None

    ok, value = read()
    if ok:
        return value
    with _locked(path.with_name(path.name + ".lock")):
        ok, value = read()
        if ok:
            return value
        value = compute()
        try:
            write_bundle(path, value)
        except (Uncacheable, OSError):
            pass  # not storable: still correct, only not shared
    return value


def _pinned_key(data_dir: Path) -> str | None:
    pin = os.environ.get(PIN_ENV, "")
    path, _, key = pin.partition("\n")
    return key if key and Path(path) == data_dir else None


def pin_environment(data_dir: str | os.PathLike, key: str) -> dict[str, str]:
    """The environment entry that pins ``data_dir`` to cache ``key`` (see ``PIN_ENV``)."""
    return {PIN_ENV: f"{resolve_data_dir(data_dir)}\n{key}"}


def clear_memory() -> None:
    """Forget the in-memory dataset (the disk cache stays)."""
    _MEMO.clear()
