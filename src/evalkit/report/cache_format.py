"""The cache's files: Parquet for tables, typed JSON for everything else; nothing runs on load.

The dataset cache used to be a pickle, and unpickling a file runs whatever it names: a
swapped cache file would execute code on the next ``evalkit run``. An entry is now a
folder (a "bundle") read without executing anything it contains:

``value.json``
    ``{"evalkit_cache": FORMAT, "value": <tree>, "frames": [{"file", "sha256"}, ...]}``.
    The tree is JSON; values JSON cannot say are tagged objects ``{"$": tag, ...}``:
    tuple, date, datetime, Timestamp, NaT, NA, NaN/inf, a numpy scalar, a path, a dict
    whose keys are not all text, a DataFrame (``{"$": "frame", "ref": i}``, the i-th
    Parquet file) and a dataclass of the few evalkit types in ``DATACLASSES`` (the
    Dataset, Period, AuditResult, ScoreResult), rebuilt by calling that class with its
    fields. Any other type cannot be stored: ``Uncacheable``, and the value is not cached.
``frame-<i>.parquet``
    One DataFrame. Object columns (lists, dicts, dates, None) are stored as text, one
    typed-JSON value per cell, and decoded on read; the other columns are Parquet's own
    types. ``evalkit`` schema metadata lists the JSON columns and every column's pandas
    dtype, so a dtype Parquet cannot hold (``datetime64[s]`` is written as ms) is cast
    back. A frame is checked when written (read back and compared with
    ``pandas.testing.assert_frame_equal``): a frame that would not come back exactly is
    ``Uncacheable``.

``read_bundle`` raises ``CorruptEntry`` for anything unexpected (garbage, a foreign or
older format, a frame whose sha256 does not match), and the caller rebuilds the entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib
import io
import json
import math
import os
import shutil
from pathlib import Path, PurePath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

FORMAT = 2  # 1 was the pickle; bump when this layout changes
VALUE_FILE = "value.json"
_META_KEY = b"evalkit"
_TAG = "$"

#: The dataclasses a bundle may hold, "module:qualname". Rebuilt by calling the class with the
#: stored fields (its generated __init__); nothing else is ever imported or called.
DATACLASSES = frozenset({
    "evalkit.core.dataset:Dataset",
    "evalkit.core.periods:Period",
    "evalkit.audit.run:AuditResult",
    "evalkit.assess.scoring:ScoreResult",
})
_NUMPY_KINDS = "biuf"


class Uncacheable(TypeError):
    """The value holds something this format cannot store exactly; it is not cached."""


class CorruptEntry(ValueError):
    """A cache entry that cannot be read back (garbage, foreign, another format): rebuild it."""


# --------------------------------------------------------------------------- typed JSON
def _type_name(value) -> str:
    return f"{type(value).__module__}:{type(value).__qualname__}"


def encode(value, frames: list | None = None):
    """``value`` as a JSON tree (tagged objects for the other types); DataFrames go to ``frames``."""
    kind = type(value)
    if value is None or kind in (bool, str, int):
        return value
    if kind is float:
        return value if math.isfinite(value) else {_TAG: "float", "v": repr(value)}
    if kind is list:
        if all(type(v) is str for v in value):  # the common case (inspectors, hazards ...): already JSON
            return value
        return [encode(v, frames) for v in value]
    if kind is tuple:
        return {_TAG: "tuple", "v": [encode(v, frames) for v in value]}
    if kind is dict:
        if all(type(k) is str for k in value) and _TAG not in value:
            return {k: encode(v, frames) for k, v in value.items()}
        return {_TAG: "dict", "v": [[encode(k, frames), encode(v, frames)] for k, v in value.items()]}
    if value is pd.NaT:
        return {_TAG: "nat"}
    if value is pd.NA:
        return {_TAG: "na"}
    if kind is pd.Timestamp:
        if value.tzinfo is not None:
            raise Uncacheable("带时区的时间")
        return {_TAG: "timestamp", "v": value.isoformat(), "unit": value.unit}
    if kind is dt.datetime:
        if value.tzinfo is not None:
            raise Uncacheable("带时区的时间")
        return {_TAG: "datetime", "v": value.isoformat()}
    if kind is dt.date:
        return {_TAG: "date", "v": value.isoformat()}
    if isinstance(value, np.generic) and value.dtype.kind in _NUMPY_KINDS:
        return {_TAG: "np", "dtype": value.dtype.str, "v": encode(value.item())}
    if isinstance(value, PurePath):
        return {_TAG: "path", "v": str(value)}
    if kind is pd.DataFrame:
        if frames is None:
            raise Uncacheable("表格中的单元格不能是表格")
        frames.append(value)
        return {_TAG: "frame", "ref": len(frames) - 1}
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and _type_name(value) in DATACLASSES:
        fields = dataclasses.fields(value)
        if any(not f.init for f in fields):
            raise Uncacheable(_type_name(value))
        return {_TAG: "dataclass", "type": _type_name(value),
                "v": {f.name: encode(getattr(value, f.name), frames) for f in fields}}
    raise Uncacheable(_type_name(value))


def _dataclass(name: str):
    if name not in DATACLASSES:
        raise CorruptEntry(f"unknown type {name!r}")
    module, _, qualname = name.partition(":")
    cls = getattr(importlib.import_module(module), qualname, None)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise CorruptEntry(f"not a dataclass: {name!r}")
    return cls


def decode(tree, frames: list | None = None):
    """The value ``encode`` made ``tree`` from (``frames``: the bundle's DataFrames)."""
    if tree is None or type(tree) in (bool, str, int, float):
        return tree
    if type(tree) is list:
        if all(type(v) is str for v in tree):
            return tree
        return [decode(v, frames) for v in tree]
    if type(tree) is not dict:
        raise CorruptEntry(f"unexpected {type(tree).__name__}")
    if _TAG not in tree:
        return {k: decode(v, frames) for k, v in tree.items()}
    tag, v = tree[_TAG], tree.get("v")
    if tag == "float" and v in ("nan", "inf", "-inf"):
        return float(v)
    if tag == "tuple":
        return tuple(decode(x, frames) for x in v)
    if tag == "dict":
        return {decode(k, frames): decode(x, frames) for k, x in v}
    if tag == "nat":
        return pd.NaT
    if tag == "na":
        return pd.NA
    if tag == "timestamp":
        return pd.Timestamp(v).as_unit(tree["unit"])
    if tag == "datetime":
        return dt.datetime.fromisoformat(v)
    if tag == "date":
        return dt.date.fromisoformat(v)
    if tag == "np":
        dtype = np.dtype(tree["dtype"])
        if dtype.kind not in _NUMPY_KINDS:
            raise CorruptEntry(f"numpy dtype {dtype}")
        return dtype.type(decode(v))
    if tag == "path":
        return Path(v)
    if tag == "frame" and frames is not None and type(tree.get("ref")) is int and 0 <= tree["ref"] < len(frames):
        return frames[tree["ref"]]
    if tag == "dataclass":
        return _dataclass(tree["type"])(**{k: decode(x, frames) for k, x in v.items()})
    raise CorruptEntry(f"unknown tag {tag!r}")


_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def dumps(value) -> str:
    """``value`` (no DataFrames) as typed-JSON text."""
    return _JSON.encode(encode(value))


def loads(text: str):
    return decode(json.loads(text))


def _loads_column(texts) -> list:
    """The values of a column of typed-JSON texts, parsed in one ``json.loads`` call."""
    texts = list(texts)
    if not all(type(t) is str for t in texts):
        raise CorruptEntry("a JSON column holds a non-text cell")
    return [decode(tree) for tree in json.loads("[" + ",".join(texts) + "]")] if texts else []


# --------------------------------------------------------------------------- frames
def frame_to_parquet(df: pd.DataFrame) -> bytes:
    """Parquet bytes of ``df`` that ``frame_from_parquet`` turns back into an equal frame.

    Raises ``Uncacheable`` when it would not come back exactly (checked by reading it back).
    """
    if df.attrs or not df.columns.is_unique or not all(type(c) is str for c in df.columns):
        raise Uncacheable("表格的列名或属性无法保存")
    json_columns = [c for c in df.columns if df[c].dtype == object]
    stored = df.copy(deep=False)
    for c in json_columns:
        stored[c] = pd.Series([dumps(v) for v in df[c]], index=df.index, dtype="str")
    meta = {"json_columns": json_columns, "dtypes": {c: str(df[c].dtype) for c in df.columns}}
    try:
        table = pa.Table.from_pandas(stored, preserve_index=None)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               _META_KEY: json.dumps(meta).encode("utf-8")})
        sink = io.BytesIO()
        pq.write_table(table, sink)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise Uncacheable(f"Parquet: {exc}") from None
    data = sink.getvalue()
    try:
        back = _frame_from_table(pq.read_table(io.BytesIO(data)), skip_json=True)
        pd.testing.assert_frame_equal(df.drop(columns=json_columns), back.drop(columns=json_columns),
                                      check_exact=True, check_column_type=True, check_index_type=True)
        if list(back.columns) != list(df.columns):
            raise AssertionError("column order")
    except (AssertionError, CorruptEntry, pa.ArrowException, ValueError, TypeError) as exc:
        raise Uncacheable(f"表格无法原样保存：{str(exc).splitlines()[0] if str(exc) else exc!r}") from None
    return data


def _frame_from_table(table: pa.Table, skip_json: bool = False) -> pd.DataFrame:
    raw = (table.schema.metadata or {}).get(_META_KEY)
    if raw is None:
        raise CorruptEntry("not an evalkit table")
    meta = json.loads(raw.decode("utf-8"))
    df = table.to_pandas()
    dtypes = meta["dtypes"]
    for c in df.columns:
        if c in meta["json_columns"]:
            if not skip_json:
                values = _loads_column(table.column(c).to_pylist())
                if len(values) != len(df):
                    raise CorruptEntry(f"column {c!r}: {len(values)} values for {len(df)} rows")
                df[c] = pd.Series(values, index=df.index, dtype=object)
        elif str(df[c].dtype) != dtypes[c]:
            df[c] = df[c].astype(dtypes[c])  # e.g. datetime64[ms] back to datetime64[s]
    return df


def frame_from_parquet(data: bytes) -> pd.DataFrame:
    try:
        return _frame_from_table(pq.read_table(io.BytesIO(data)))
    except CorruptEntry:
        raise
    except (pa.ArrowException, OSError, ValueError, TypeError, KeyError) as exc:
        raise CorruptEntry(f"Parquet: {exc}") from None


# --------------------------------------------------------------------------- bundles
def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def encode_bundle(value) -> tuple[bytes, list[bytes]]:
    """(value.json bytes, Parquet bytes of each frame); raises ``Uncacheable``."""
    frames: list[pd.DataFrame] = []
    tree = encode(value, frames)
    blobs = [frame_to_parquet(df) for df in frames]
    doc = {"evalkit_cache": FORMAT, "value": tree,
           "frames": [{"file": f"frame-{i}.parquet", "sha256": _sha(b)} for i, b in enumerate(blobs)]}
    text = json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8"), blobs


def write_bundle(folder: Path, value) -> Path:
    """Store ``value`` as the bundle ``folder`` (replacing one there); raises ``Uncacheable``.

    Written into a temporary folder and renamed into place, so a reader sees a whole
    bundle or none.
    """
    doc, blobs = encode_bundle(value)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    old = folder.with_name(f".{folder.name}.{os.getpid()}.old")
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        for i, blob in enumerate(blobs):
            _write_file(tmp / f"frame-{i}.parquet", blob)
        _write_file(tmp / VALUE_FILE, doc)
        if folder.is_dir() and not folder.is_symlink():
            os.replace(folder, old)  # a folder cannot be replaced by a rename: move it aside first
        elif folder.exists() or folder.is_symlink():
            folder.unlink()
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return folder


def _trusted(path: Path) -> bool:
    """A file written by this user (another user's file in a shared cache folder is not read)."""
    if not hasattr(os, "geteuid"):  # pragma: no cover - Windows
        return True
    st = path.lstat()
    return st.st_uid == os.geteuid() and path.is_file() and not path.is_symlink()


def read_bundle(folder: Path):
    """The value stored in the bundle ``folder``; raises ``CorruptEntry`` (or FileNotFoundError)."""
    path = folder / VALUE_FILE
    if not _trusted(path):
        raise CorruptEntry("not written by this user")
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CorruptEntry(f"value.json: {exc}") from None
    if not isinstance(doc, dict) or doc.get("evalkit_cache") != FORMAT:
        raise CorruptEntry("another format")
    frames = []
    try:
        for entry in doc["frames"]:
            name = entry["file"]
            if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
                raise CorruptEntry(f"frame name {name!r}")
            if not _trusted(folder / name):
                raise CorruptEntry("not written by this user")
            data = (folder / name).read_bytes()
            if _sha(data) != entry["sha256"]:
                raise CorruptEntry(f"{name}: sha256")
            frames.append(frame_from_parquet(data))
        return decode(doc["value"], frames)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        if isinstance(exc, CorruptEntry):
            raise
        raise CorruptEntry(f"{type(exc).__name__}: {exc}") from None
