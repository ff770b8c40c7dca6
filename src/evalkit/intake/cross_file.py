"""Checks across files: duplicate submissions, lateness, unknown received dates, settling rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable

from evalkit.core.periods import submission_deadline
from evalkit.core.problems import Problem, make_problem
from evalkit.intake.records import FORM_NAMES, FileRead, SheetRead, sheet_problem
from evalkit.intake.registry import Registry

#: Copy suffixes at the end of a file name (without its extension): "(2)", "（2）", " - 副本",
#: "副本", " - Copy", " copy 2", "_1". See ``copy_number``.
_COPY_PAREN = re.compile(r"\s*[(（]\s*(\d{1,3})\s*[)）]$")
_COPY_WORD = re.compile(r"\s*[-－_]?\s*(?:副本|copy)(?:\s+(\d{1,3}))?$", re.IGNORECASE)
_COPY_UNDERSCORE = re.compile(r"_(\d{1,2})$")


def copy_number(file: str) -> int:
    """The copy number a file name's suffix gives: 0 for no suffix (the original).

    "X (1)" and "X（2）" (a browser's re-download) give 1 and 2; "X - 副本", "X副本",
    "X - Copy", "X copy" give 1 (Windows' and macOS's first copy); "X - 副本 (2)" and
    "X copy 2" give 2; "X_1" gives 1 (one or two digits only, so "X_2024" is no copy).
    """
    stem = file.rsplit("/", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    number = None
    if m := _COPY_PAREN.search(stem):
        number, stem = int(m.group(1)), stem[: m.start()]
    if m := _COPY_WORD.search(stem):
        return number if number is not None else int(m.group(1) or 1)
    if number is not None:
        return number
    m = _COPY_UNDERSCORE.search(stem)
    return int(m.group(1)) if m else 0


def _when(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _mtime_text(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


#: The tie levels of ``resolve_duplicates``, in order: (the reason shown, the sort key,
#: how a value is shown). A level applies only when every remaining candidate has a value.
_LEVELS: list[tuple[str, Callable, Callable]] = [
    ("收到日期更晚", lambda s, f: s.received, _when),
    ("填报日期更晚", lambda s, f: s.filled_date, _when),
    ("文件修改时间更晚", lambda s, f: f.mtime, _mtime_text),
    ("文件名的副本编号更大", lambda s, f: copy_number(s.file),
     lambda n: f"副本编号 {n}" if n else "原件（无副本编号）"),
]


def _pick(candidates: list[tuple[SheetRead, FileRead]]) -> tuple[str, dict[str, str]]:
    """The kept file of a duplicate group and, for each other file, why it lost: the Chinese
    reason, a closing bracket, then the values compared (the message's "以 X 为准（…").

    Levels in order: received date, 填报日期, file modification time (whole seconds), the
    copy number of the name; at each level the candidates with the latest value stay in
    (a level is skipped when some candidate has no value or all are equal); the file
    path (the later in sort order) settles what is left.
    """
    alive = list(candidates)
    lost: dict[str, str] = {}
    for why, key, show in _LEVELS:
        if len(alive) < 2:
            break
        values = [key(s, f) for s, f in alive]
        if any(v is None for v in values) or len(set(values)) < 2:
            continue
        best = max(values)
        for (s, _), v in zip(alive, values, strict=True):
            if v != best:
                lost[s.file] = f"{why}）：{show(best)}，本文件为 {show(v)}"
        alive = [(s, f) for (s, f), v in zip(alive, values, strict=True) if v == best]
    kept = max(s.file for s, _ in alive)
    for s, _ in alive:
        if s.file != kept:
            lost[s.file] = "文件名排序在后）：收到日期、填报日期、修改时间与副本编号都相同"
    return kept, lost


def resolve_duplicates(files: list[FileRead]) -> None:
    """Keep one submission per (form, unit, year, month) across files; reject the others.

    The kept one is the later by ``_pick``: the received date (registry) if they differ,
    then the 填报日期, then the file modification time, then the copy number of the name
    (``copy_number``: "X (2)" after "X (1)" after "X"), then the file path; the message
    names the level that decided. Sheets of one file are never duplicates of each other
    (a ledger split over sheets).
    """
    groups: dict[tuple, list[tuple[SheetRead, FileRead]]] = defaultdict(list)
    for f in files:
        for s in f.sheets:
            if s.form and s.unit and s.month and not any(p.rule == "unit_unknown" for p in s.problems):
                groups[(s.form, s.unit, s.year, s.month)].append((s, f))
    for (form, unit, year, month), sheets in groups.items():
        firsts: dict[str, tuple[SheetRead, FileRead]] = {}
        for s, f in sheets:
            firsts.setdefault(s.file, (s, f))
        if len(firsts) < 2:
            continue
        kept, lost = _pick(list(firsts.values()))
        for s, _ in sheets:
            if s.file == kept:
                continue
            s.block.drop_row_problems()
            s.problems = [p for p in s.problems if p.rule == "formula_no_cached_value"]
            s.problems.append(sheet_problem(
                "submission_duplicate",
                f"{unit} {year}年{month}月的{FORM_NAMES[form]}重复报送：以 {kept} 为准（{lost[s.file]}；"
                "本表各行未计入；如需更正，请只保留一个文件", s, value=kept))


def mark_late(files: list[FileRead], registry: Registry) -> None:
    for f in files:
        received = registry.received.get(f.file)
        for s in f.sheets:
            if received is None or not s.form:
                continue
            s.received = received[0]
            if s.month and s.year and s.year < dt.MAXYEAR:  # 9999年12月 has no deadline date
                deadline = submission_deadline(s.year, s.month)
                if s.received > deadline:
                    s.late = True
                    s.problems.append(sheet_problem(
                        "submission_late",
                        f"{s.year}年{s.month}月的统计表于 {s.received.isoformat()} 收到，晚于报送期限 "
                        f"{deadline.isoformat()}", s, value=s.received.isoformat()))


def unknown_received(files: list[FileRead], registry: Registry, skipped: list[Problem]) -> list[Problem]:
    known = {f.file for f in files} | {p.file for p in skipped}
    return [make_problem("received_file_unknown",
                         f"received.csv 第 {row} 行登记的文件 {key} 不在 submissions/ 中：请核对文件名",
                         file="registry/received.csv", row=row, column="文件", value=key)
            for key, (_, row) in registry.received.items() if key not in known]


def settle_rows(files: list[FileRead]) -> None:
    """Row fate: a row is rejected when it or its sheet has an error, except an error that
    only leaves a cell unknown (``RowBlock.blanked``: an unreadable fine)."""
    for f in files:
        for s in f.sheets:
            sheet_errors = s.sheet_errors
            block = s.block
            block.errors = {}
            for i in range(len(block)) if sheet_errors else sorted(block.problems):
                blanked = block.blanked.get(i, ())
                own = [p.rule for p in block.problems.get(i, ())
                       if p.severity == "error" and not any(p is b for b in blanked)]
                errors = list(dict.fromkeys(sheet_errors + own))
                if errors:
                    block.errors[i] = errors

