"""File names made from submitted text (unit names): safe, bounded and unique.

A unit name comes from a registry or a workbook cell, so it may hold path separators,
characters Windows forbids, control characters, or be hundreds of characters long. Two
different names may also clean to the same text (``a/b``, ``a_b`` and ``a:b`` all give
``a_b``). ``file_stems(names)`` gives every name its own stem:

* separators, ``\\ / : * ? " < > |``, whitespace and control characters become ``_``;
  leading and trailing dots and ``_`` are dropped (no hidden files, no ``..``);
* the stem is cut to ``MAX_STEM_BYTES`` of UTF-8 (a CJK character is 3 bytes; file
  systems allow 255 bytes per name, and a prefix, suffix and extension are added);
* a name that had to be changed (cleaned or cut) gets ``~`` and 6 hex digits of the
  SHA-1 of the original name. So ``a_b`` stays ``a_b`` while ``a/b`` becomes
  ``a_b~3ec69c``: the stem depends on the name alone, the same in every run and for any
  subset of units (a report of ``--units a/b`` has the name a full run gives it).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable

__all__ = ["safe_stem", "file_stems", "MAX_STEM_BYTES"]

MAX_STEM_BYTES = 120
_UNSAFE = re.compile(r"[\\/:*?\"<>|\s\x00-\x1f\x7f\ud800-\udfff]+")


def _cut(text: str, limit: int) -> str:
    data = text.encode("utf-8")[:limit]
    return data.decode("utf-8", errors="ignore")


def _clean(name: str, fallback: str) -> str:
    return _UNSAFE.sub("_", str(name)).strip("._") or fallback


def _tag(name: str) -> str:
    return "~" + hashlib.sha1(str(name).encode("utf-8", errors="surrogateescape")).hexdigest()[:6]


def safe_stem(name: str, fallback: str = "unit") -> str:
    """The stem of one name (module docstring); depends on ``name`` alone."""
    clean = _clean(name, fallback)
    if clean == str(name) and len(clean.encode("utf-8")) <= MAX_STEM_BYTES:
        return clean
    return _cut(clean, MAX_STEM_BYTES - 7) + _tag(name)


def file_stems(names: Iterable[str], fallback: str = "unit") -> dict[str, str]:
    """{name: stem} for distinct ``names``: file-name safe, bounded, pairwise different.

    Only a 6-hex-digit SHA-1 clash (or a name that is literally another's stem) could
    repeat a stem; those are numbered -2, -3 in the order given.
    """
    out = {n: safe_stem(n, fallback) for n in dict.fromkeys(str(n) for n in names)}
    seen: Counter = Counter()
    for n, stem in out.items():
        seen[stem] += 1
        if seen[stem] > 1:
            out[n] = f"{stem}-{seen[stem]}"
    return out
