"""The consolidated dataset, loaded once and reused by every report.

Reading a month of workbooks (``evalkit.intake.loader.load``) is the slow step of every
notebook. ``load_cached(data_dir)`` keys the loaded ``Dataset`` by a content hash of
the data folder and of evalkit's own source (a change to intake invalidates it), and
keeps it in two places:

* on disk, ``<cache dir>/<key>/dataset.pkl`` (pickle: the tables hold lists and dicts
  that Parquet would have to re-encode); the cache dir is ``$EVALKIT_CACHE_DIR``, else
  ``outputs/.cache`` of the repository, else ``~/.cache/evalkit``;
* in memory, so a warm kernel that runs many reports (``evalkit.report.batch``) loads it once.

Each caller gets its own shallow copy of the tables (copy-on-write), so a notebook
that adds a column cannot leak it into the next report.

The pickle is a local cache written by this user; do not point ``EVALKIT_CACHE_DIR``
at a folder others can write to.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import os
import pickle
import re
import shutil
from pathlib import Path

import pandas as pd

from evalkit import __version__
from evalkit.exceptions import DataDirError
from evalkit.intake.loader import load

CACHE_ENV = "EVALKIT_CACHE_DIR"
#: Set by ``evalkit.report.batch`` for its kernels: "<resolved data_dir>\n<cache key>". Every report
#: of one run then reads the snapshot the run hashed at its start (and skips re-hashing),
#: even if a file is edited while the run is going.
PIN_ENV = "EVALKIT_DATASET_PIN"
CACHE_FORMAT = 1  # bump when the pickle layout changes
KEEP_ENTRIES = 6  # older cache entries are pruned

_MEMO: dict[tuple[str, str], object] = {}  # (cache dir, cache key) -> Dataset, for this process
_FILE_DIGESTS: dict[str, tuple[tuple, str]] = {}  # path -> (stat signature, sha256)
_SOURCE_DIGEST: tuple[tuple, str] | None = None


# --------------------------------------------------------------------------- files
def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``.

    A reader (or a run killed half-way) sees the old file or the new one, never a
    half-written one. Temporary names end in ``.tmp`` and are git-ignored.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with open(tmp, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _stat_signature(path: Path) -> tuple:
    st = path.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes; remembered per process while size/mtime/inode stay the same."""
    key = str(path)
    sig = _stat_signature(path)
    hit = _FILE_DIGESTS.get(key)
    if hit and hit[0] == sig:
        return hit[1]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
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
    """Content hash of every file under ``data_dir`` (relative path + bytes), hex sha256."""
    root = Path(data_dir)
    h = hashlib.sha256()
    for path in _visible_files(root):
        # a name that is not valid UTF-8 (GBK bytes from a Windows archive) hashes as its raw bytes
        h.update(path.relative_to(root).as_posix().encode("utf-8", "surrogateescape") + b"\0")
        h.update(file_digest(path).encode("ascii") + b"\n")
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
    """``$EVALKIT_CACHE_DIR``, else ``<repo>/outputs/.cache``, else ``~/.cache/evalkit``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    root = repo_root()
    if root is not None:
        return root / "outputs" / ".cache"
    return Path.home() / ".cache" / "evalkit"


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


def load_cached(data_dir: str | os.PathLike, cache_dir: str | os.PathLike | None = None,
                *, refresh: bool = False):
    """Load a data folder through the cache; returns a ``Dataset`` (see ``evalkit.intake.loader.load``).

    ``refresh=True`` re-reads the workbooks and rewrites the cache entry. The key
    (``ds.meta['cache_key']``) changes whenever a file under ``data_dir`` or evalkit's
    source changes, so a stale entry is never used.
    """
    data_dir = resolve_data_dir(data_dir)
    key = _pinned_key(data_dir) or dataset_key(data_dir)
    folder = (Path(cache_dir) if cache_dir else default_cache_dir()).resolve()
    if not refresh and (str(folder), key) in _MEMO:
        ds = _MEMO[(str(folder), key)]
    else:
        pkl = folder / key / "dataset.pkl"
        ds = None
        if pkl.is_file() and not refresh:
            try:
                with open(pkl, "rb") as f:
                    ds = pickle.load(f)
                os.utime(pkl.parent)  # mark as recently used for pruning
            except Exception:  # a corrupt or incompatible entry is rebuilt, not fatal
                ds = None
        if ds is None:
            ds = load(data_dir)
            ds.meta = dict(ds.meta or {})
            atomic_write(pkl, pickle.dumps(ds, protocol=pickle.HIGHEST_PROTOCOL))
            _prune(folder, keep=key)
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

    Stored beside the dataset (``<cache dir>/<key>/results/<name>.pkl``), so every report
    of a batch, and every kernel, computes it once: the first caller computes it while
    holding a lock, the others wait and read it. The key covers the data and evalkit's
    source (packaged configs included), so a stale result is never read. A dataset not
    loaded through ``load_cached`` is simply computed.
    """
    key, folder = (ds.meta or {}).get("cache_key"), (ds.meta or {}).get("cache_dir")
    if not key or not folder:
        return compute()
    path = Path(folder) / key / "results" / (re.sub(r"[^\w.-]+", "_", name) + ".pkl")

    def read():
        try:
            with open(path, "rb") as f:
                return True, pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return False, None

    if path.is_file():
        ok, value = read()
        if ok:
            return value
    with _locked(path.with_suffix(".lock")):
        if path.is_file():
            ok, value = read()
            if ok:
                return value
        value = compute()
        try:
            atomic_write(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        except (pickle.PicklingError, TypeError, AttributeError):
            pass  # not picklable: still correct, only not shared
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
