"""The Dataset tables built from what was read: ledger, items (with 复查 linking), figures,
submissions, files and rejected rows, plus the checks across ledger rows.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from evalkit.core.forms import FIGURES, LEDGER
from evalkit.core.problems import Problem, make_problem
from evalkit.intake import cells
from evalkit.intake.records import (
    FIGURE_KEYS,
    FIGURES_COLUMNS,
    FILE_COLUMNS,
    ITEM_COLUMNS,
    LEDGER_COLUMNS,
    REJECTED_COLUMNS,
    SUBMISSION_COLUMNS,
    SUPERSEDED_COLUMNS,
    FileRead,
    RowRead,
    cut,
)


def ledger_frame(files: list[FileRead]) -> pd.DataFrame:
    records = []
    for f in files:
        for s in f.sheets:
            if s.form != LEDGER.id:
                continue
            for r in s.rows:
                if r.rejected or r.record.get("superseded_by"):
                    continue
                rec = r.record
                records.append({
                    "row_id": f"{s.file}#{s.sheet}#{r.row}", "file": s.file, "sheet": s.sheet, "row": r.row,
                    "unit": s.unit, "year": s.year, "month": s.month, "period": s.period, "via": None, **rec,
                })
    frame = pd.DataFrame(records, columns=LEDGER_COLUMNS)
    frame["seq"] = frame["seq"].astype("Int64")
    frame["inspection_date"] = pd.to_datetime(frame["inspection_date"])
    frame["fine_wan"] = frame["fine_wan"].astype("float64")
    for key in ("row", "year", "month", "inspector_count"):
        frame[key] = frame[key].astype("int64")
    for key in ("registered", "is_recheck"):
        frame[key] = frame[key].astype(bool)
    return frame


def _order(ledger: pd.DataFrame) -> pd.DataFrame:
    return ledger.sort_values(["inspection_date", "file", "sheet", "row"], kind="stable")


def cross_row_checks(ledger: pd.DataFrame) -> list[Problem]:
    """Duplicate 立案案号 within a year, and one enterprise inspected twice on one day.

    Both flag the later occurrences (by inspection date, then file, sheet, row) and
    name the first. A 复查 row repeating its own enterprise's case number refers to
    that case and is not flagged.
    """
    problems: list[Problem] = []
    first_case: dict[tuple, dict] = {}
    first_visit: dict[tuple, dict] = {}
    for r in _order(ledger).to_dict("records"):
        where = dict(file=r["file"], sheet=r["sheet"], row=int(r["row"]))
        if isinstance(r["case_no"], str) and r["case_no"]:
            key = (r["year"], cells.normalise_case_no(r["case_no"]))
            first = first_case.get(key)
            if first is None:
                first_case[key] = r
            elif not (r["is_recheck"] and r["enterprise_name"] == first["enterprise_name"]):
                problems.append(make_problem(
                    "case_no_duplicate",
                    f"立案案号 {cut(r['case_no'])} 与 {first['file']} {first['sheet']} 第 {first['row']} 行重复："
                    "同一案号一年内只能用于一个案件，请核对", column=LEDGER.column("case_no").header,
                    value=r["case_no"], **where))
        key = (r["unit"], cells.normalise_name(r["enterprise_name"]), r["inspection_date"])
        first = first_visit.get(key)
        if first is None:
            first_visit[key] = r
        else:
            problems.append(make_problem(
                "enterprise_date_duplicate",
                f"{cut(r['enterprise_name'])} 在 {r['inspection_date'].date().isoformat()} 的检查已填报于 "
                f"{first['file']} {first['sheet']} 第 {first['row']} 行：同一企业同一天只应填报一次",
                column=LEDGER.column("enterprise").header, value=r["enterprise"], **where))
    return problems


def items_frame(ledger: pd.DataFrame, days: int = cells.DEFAULT_RECTIFICATION_DAYS) -> pd.DataFrame:
    """One row per hazard item, with status, deadline and the 复查 linking (docs/design.md)."""
    items: list[dict] = []
    open_items: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in _order(ledger).to_dict("records"):
        date = r["inspection_date"].date()
        pairs = cells.pair_items(r["hazards"], r["rectifications"])
        for no, (hazard, rect) in enumerate(zip(r["hazards"], pairs, strict=True), 1):
            status = cells.rectification_status(rect)
            deadline, basis = cells.deadline_with_basis([rect, hazard], date, days)
            item = {
                "row_id": r["row_id"], "item_no": no, "hazard": hazard, "rectification": rect,
                "unit": r["unit"], "period": r["period"], "enterprise_name": r["enterprise_name"],
                "inspection_date": r["inspection_date"], "case_no": r["case_no"],
                "is_recheck": bool(r["is_recheck"]), "status": status,
                "deadline": pd.Timestamp(deadline), "deadline_basis": basis,
                "counts_as_hazard": True, "closed_by": None, "closed_date": pd.NaT,
                "rectified": status == cells.STATUS_RECTIFIED,
            }
            key = (cells.normalise_name(r["enterprise_name"]), cells.norm(hazard).rstrip("。.;；"))
            if r["is_recheck"] and open_items[key]:
                original = items[open_items[key][0]]
                item["counts_as_hazard"] = False
                if status == cells.STATUS_RECTIFIED:
                    original["closed_by"], original["closed_date"] = r["row_id"], r["inspection_date"]
                    original["rectified"] = True
                    open_items[key].pop(0)
            elif status != cells.STATUS_RECTIFIED:
                open_items[key].append(len(items))
            items.append(item)
    frame = pd.DataFrame(items, columns=ITEM_COLUMNS)
    frame["item_no"] = frame["item_no"].astype("int64")
    frame["inspection_date"] = pd.to_datetime(frame["inspection_date"])
    frame["deadline"] = pd.to_datetime(frame["deadline"])
    frame["closed_date"] = pd.to_datetime(frame["closed_date"])
    frame["closed_by"] = frame["closed_by"].astype(object).where(frame["closed_by"].notna(), None)
    for key in ("is_recheck", "counts_as_hazard", "rectified"):
        frame[key] = frame[key].astype(bool)
    return frame.sort_values(["row_id", "item_no"], kind="stable").reset_index(drop=True)


def figures_frame(files: list[FileRead]) -> pd.DataFrame:
    records = [{"file": s.file, "sheet": s.sheet, "row": r.row, "unit": s.unit, "year": s.year,
                "month": s.month, "period": s.period, "via": None, **r.record}
               for f in files for s in f.sheets if s.form == FIGURES.id for r in s.rows
               if not r.rejected and not r.record.get("superseded_by")]
    frame = pd.DataFrame(records, columns=FIGURES_COLUMNS)
    for key in FIGURE_KEYS:
        frame[key] = frame[key].astype("float64")
    for key in ("row", "year", "month"):
        frame[key] = frame[key].astype("int64")
    frame["via"] = frame["via"].astype(object)
    return frame


def superseded_frame(files: list[FileRead]) -> pd.DataFrame:
    """Accepted rows a consolidating unit relayed for a unit that sent its own original too
    (``consolidated.supersede_relayed``): not counted, kept for reconciling the 合计."""
    records = [{"file": s.file, "sheet": s.sheet, "row": r.row, "form": s.form, "year": s.year, "month": s.month,
                "period": s.period, **{k: r.record.get(k) for k in ("unit", "via", "superseded_by")},
                "kind": r.record.get("kind") if s.form == FIGURES.id else None,
                **{k: r.record.get(k, float("nan")) if s.form == FIGURES.id else float("nan") for k in FIGURE_KEYS}}
               for f in files for s in f.sheets for r in s.rows
               if not r.rejected and r.record.get("superseded_by")]
    frame = pd.DataFrame(records, columns=SUPERSEDED_COLUMNS)
    for key in FIGURE_KEYS:
        frame[key] = frame[key].astype("float64")
    for key in ("row", "year", "month"):
        frame[key] = frame[key].astype("int64")
    return frame


def _counts(rows: list[RowRead]) -> tuple[int, int, int]:
    rejected = sum(1 for r in rows if r.rejected)
    return len(rows), len(rows) - rejected, rejected


def bookkeeping_tables(files: list[FileRead]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    subs, file_rows, rejected = [], [], []
    for f in files:
        read = accepted = rejected_n = 0
        for s in f.sheets:
            n, a, j = _counts(s.rows)
            read, accepted, rejected_n = read + n, accepted + a, rejected_n + j
            if s.form:
                subs.append({"file": s.file, "sheet": s.sheet, "form": s.form, "unit": s.unit,
                             "year": s.year, "month": s.month, "period": s.period,
                             "filled_date": s.filled_date, "received": s.received, "late": s.late,
                             "rows_read": n, "rows_accepted": a, "rows_rejected": j})
            rejected += [{"file": s.file, "sheet": s.sheet, "row": r.row, "form": s.form,
                          "reason": ";".join(r.errors), "values": r.values} for r in s.rows if r.rejected]
        file_rows.append({"file": f.file, "rows_read": read, "rows_accepted": accepted,
                          "rows_rejected": rejected_n})
    submissions = pd.DataFrame(subs, columns=SUBMISSION_COLUMNS)
    files_frame = pd.DataFrame(file_rows, columns=FILE_COLUMNS)
    for frame, keys in ((submissions, ("rows_read", "rows_accepted", "rows_rejected")),
                        (files_frame, ("rows_read", "rows_accepted", "rows_rejected"))):
        for key in keys:
            frame[key] = frame[key].astype("int64")
    submissions["late"] = submissions["late"].astype(bool)
    submissions[["filled_date", "received"]] = submissions[["filled_date", "received"]].astype(object)
    return submissions, files_frame, pd.DataFrame(rejected, columns=REJECTED_COLUMNS)

