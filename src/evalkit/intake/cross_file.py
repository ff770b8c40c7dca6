"""Checks across files: duplicate submissions, lateness, unknown received dates, settling rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from evalkit.core.periods import submission_deadline
from evalkit.core.problems import Problem, make_problem
from evalkit.intake.records import FORM_NAMES, FileRead, RowRead, SheetRead, sheet_problem
from evalkit.intake.registry import Registry


def resolve_duplicates(files: list[FileRead]) -> None:
    """Keep one submission per (form, unit, year, month) across files; reject the others.

    The kept one is the later: by received date when every candidate has one, else by
    填报日期 when every candidate has one, else by file path (the later in sort order).
    Sheets of one file are never duplicates of each other (a ledger split over sheets).
    """
    groups: dict[tuple, list[SheetRead]] = defaultdict(list)
    for f in files:
        for s in f.sheets:
            if s.form and s.unit and s.month and not any(p.rule == "unit_unknown" for p in s.problems):
                groups[(s.form, s.unit, s.year, s.month)].append(s)
    for (form, unit, year, month), sheets in groups.items():
        by_file: dict[str, list[SheetRead]] = defaultdict(list)
        for s in sheets:
            by_file[s.file].append(s)
        if len(by_file) < 2:
            continue
        firsts = [group[0] for group in by_file.values()]
        if all(s.received for s in firsts):
            key, why = (lambda s: (s.received, s.file)), "收到日期更晚"
        elif all(s.filled_date for s in firsts):
            key, why = (lambda s: (s.filled_date, s.file)), "填报日期更晚"
        else:
            key, why = (lambda s: s.file), "文件名排序在后"
        kept = max(firsts, key=key).file
        for s in sheets:
            if s.file == kept:
                continue
            s.rows = [RowRead(r.row, r.values, r.record) for r in s.rows]  # own problems dropped
            s.problems = [p for p in s.problems if p.rule == "formula_no_cached_value"]
            s.problems.append(sheet_problem(
                "submission_duplicate",
                f"{unit} {year}年{month}月的{FORM_NAMES[form]}重复报送：以 {kept} 为准（{why}），"
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
    """Row fate: a row is rejected when it or its sheet has an error."""
    for f in files:
        for s in f.sheets:
            sheet_errors = s.sheet_errors
            for r in s.rows:
                own = [p.rule for p in r.problems if p.severity == "error"]
                r.errors = list(dict.fromkeys(sheet_errors + own))

