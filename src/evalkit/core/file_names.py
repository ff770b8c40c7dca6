"""File names made from submitted text (unit names): safe, bounded and unique.

A unit name comes from a registry or a workbook cell, so it may hold path separators,
characters Windows forbids, control characters, or be hundreds of characters long. Two
different names may also clean to the same text (``a/b``, ``a_b`` and ``a:b`` all give
``a_b``). ``file_stems(names)`` gives every name its own stem:

* separators, ``\\ / : * ? " < > |``, whitespace and control characters become ``_``;
  leading and trailing dots and ``_`` are dropped (no hidden files, no ``..``);
* the stem is cut to ``MAX_STEM_BYTES`` of UTF-8 (a CJK character is 3 bytes; file
  systems allow 255 bytes per name, and a prefix, suffix and extension are added);
* names whose stems would clash (after cleaning or cutting), or that were cut, get
  ``~`` and 6 hex digits of the SHA-1 of the original name: the same name gets the same
  stem in every run, whatever other names there are.
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
    """One name's stem, ignoring clashes with other names (see ``file_stems``)."""
    clean = _clean(name, fallback)
    if len(clean.encode("utf-8", errors="surrogateescape")) <= MAX_STEM_BYTES:
        return clean
    return _cut(clean, MAX_STEM_BYTES - 7) + _tag(name)


def file_stems(names: Iterable[str], fallback: str = "unit") -> dict[str, str]:
    """{name: stem} for distinct ``names``: file-name safe, bounded, pairwise different."""
    names = list(dict.fromkeys(str(n) for n in names))
    stems = {n: safe_stem(n, fallback) for n in names}
    counts = Counter(stems.values())
    out = {n: (s if counts[s] == 1 or s.endswith(_tag(n)) else _cut(s, MAX_STEM_BYTES - 7) + _tag(n))
           for n, s in stems.items()}
    if len(set(out.values())) != len(out):  # a SHA-1 prefix clash: number them
        seen: Counter = Counter()
        for n in names:
            seen[out[n]] += 1
            if seen[out[n]] > 1:
                out[n] = f"{out[n]}-{seen[out[n]]}"
    return out
