"""The Dataset tables built from what was read: ledger, items (with 复查 linking), figures,
submissions, files and rejected rows, plus the checks across ledger rows.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
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
    cut,
)

#: Fields every row of a sheet shares: built from one value per sheet (``_repeated``).
_SHEET_FIELDS = ("file", "sheet", "year", "month", "period")


def _repeated(values: list, counts: list[int]) -> pd.Series:
    """``values[i]`` repeated ``counts[i]`` times: the column pandas infers from the whole list
    (its dtype depends only on the types present, and the distinct values hold them all), built
    from the distinct values and taken by code instead of from a Python list of every row's
    value (a million texts cost seconds to convert; ten thousand do not)."""
    values, counts = [v for v, n in zip(values, counts, strict=True) if n], [n for n in counts if n]
    codes: dict = {}
    per_value = [codes.setdefault((type(v), v), len(codes)) for v in values]
    distinct = pd.Series([v for _, v in codes], dtype=None if codes else object)
    taken = np.repeat(np.asarray(per_value, dtype=np.intp), np.asarray(counts, dtype=np.intp))
    return distinct.take(taken).reset_index(drop=True)


def _accepted_columns(files: list[FileRead], form: str, keys: list[str]) -> dict[str, list | pd.Series]:
    """The accepted rows of every ``form`` sheet, column by column (``RowBlock.columns``), with
    the sheet's file, sheet, row, unit, year, month, period (and row_id for the ledger)."""
    out: dict[str, list] = {k: [] for k in keys}
    sheets: dict[str, list] = {k: [] for k in _SHEET_FIELDS}
    counts: list[int] = []
    meta = {*_SHEET_FIELDS, "row", "row_id"}  # unit, via: per row if read so
    for f in files:
        for s in f.sheets:
            if s.form != form:
                continue
            block = s.block
            gone = block.columns.get("superseded_by")
            keep = block.accepted()
            if gone is not None:  # relayed rows an original replaced (Dataset.superseded)
                keep = [i for i in keep if not gone[i]]
            if not keep:
                continue
            whole = len(keep) == len(block)
            rows = block.rows if whole else [block.rows[i] for i in keep]
            n = len(rows)
            if "row_id" in out:
                prefix = f"{s.file}#{s.sheet}#"
                out["row_id"] += [f"{prefix}{r}" for r in rows]
            out["row"] += rows
            for key, value in (("file", s.file), ("sheet", s.sheet), ("year", s.year),
                               ("month", s.month), ("period", s.period)):
                sheets[key].append(value)
            counts.append(n)
            for key in keys:
                if key in meta:
                    continue
                column = block.columns.get(key)
                if column is None:  # a unit's own sheet: no ``via``; its unit is the sheet's
                    out[key] += [s.unit if key == "unit" else None] * n
                else:
                    out[key] += column if whole else [column[i] for i in keep]
    for key in _SHEET_FIELDS:
        if key in out:
            out[key] = _repeated(sheets[key], counts) if counts else []
    return out


def ledger_frame(files: list[FileRead]) -> pd.DataFrame:
    frame = pd.DataFrame(_accepted_columns(files, LEDGER.id, LEDGER_COLUMNS), columns=LEDGER_COLUMNS)
    frame["seq"] = frame["seq"].astype("Int64")
    frame["inspection_date"] = pd.to_datetime(frame["inspection_date"])
    frame["fine_wan"] = frame["fine_wan"].astype("float64")
    for key in ("row", "year", "month", "inspector_count"):
        frame[key] = frame[key].astype("int64")
    for key in ("registered", "is_recheck"):
        frame[key] = frame[key].astype(bool)
    return frame


_ORDER = ["inspection_date", "file", "sheet", "row"]


def _order(ledger: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of the ledger in inspection order (date, then file, sheet, row); only these
    are reordered (the ledger's lists and texts cost seconds to move at national size)."""
    return ledger[list(dict.fromkeys([*_ORDER, *columns]))].sort_values(_ORDER, kind="stable")


def _each_distinct(values, fn) -> np.ndarray:
    """``fn`` of every value, as an object array, calling ``fn`` once per distinct value
    (``pandas.factorize``; a missing value is one more distinct value)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    results = np.empty(len(uniques), dtype=object)
    for j, u in enumerate(uniques):
        results[j] = fn(u)
    return results[codes]


def _first_positions(keys: pd.DataFrame) -> np.ndarray:
    """For every row of ``keys``, the position of the first row with the same key."""
    groups = keys.groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()
    _, first = np.unique(groups, return_index=True)  # groups are numbered in order of appearance
    return first[groups]


def cross_row_checks(ledger: pd.DataFrame) -> list[Problem]:
    """Duplicate 立案案号 within a year, and one enterprise inspected twice on one day.

    Both flag the later occurrences (by inspection date, then file, sheet, row) and
    name the first. A 复查 row repeating its own enterprise's case number refers to
    that case and is not flagged. The repeats are found column-wise (groups of equal keys,
    ``cells.normalise_case_no`` / ``normalise_name`` once per distinct text); only the
    flagged rows are then written out one by one.
    """
    if ledger.empty:
        return []
    order = _order(ledger, ["case_no", "year", "unit", "enterprise_name", "enterprise", "is_recheck"])
    n = len(order)
    case = order["case_no"]
    with_case = np.flatnonzero((case.notna() & (case != "")).to_numpy(dtype=bool))
    case_first = np.full(n, -1)
    if len(with_case):
        keys = pd.DataFrame({"year": order["year"].to_numpy()[with_case],
                             "case": _each_distinct(case.iloc[with_case], cells.normalise_case_no)})
        case_first[with_case] = with_case[_first_positions(keys)]
    visit_first = _first_positions(pd.DataFrame({
        "unit": order["unit"].to_numpy(), "name": _each_distinct(order["enterprise_name"], cells.normalise_name),
        "date": order["inspection_date"].to_numpy()}))
    at = np.arange(n)
    case_repeat = (case_first >= 0) & (case_first != at)
    visit_repeat = visit_first != at
    flagged = np.flatnonzero(case_repeat | visit_repeat)
    if not len(flagged):
        return []
    needed = np.union1d(flagged, np.concatenate([case_first[flagged[case_repeat[flagged]]],
                                                 visit_first[flagged[visit_repeat[flagged]]]]))
    records = dict(zip(needed.tolist(), order.iloc[needed].to_dict("records"), strict=True))
    problems: list[Problem] = []
    for i in flagged.tolist():
        r = records[i]
        where = dict(file=r["file"], sheet=r["sheet"], row=int(r["row"]))
        if case_repeat[i]:
            first = records[int(case_first[i])]
            if not (r["is_recheck"] and r["enterprise_name"] == first["enterprise_name"]):
                problems.append(make_problem(
                    "case_no_duplicate",
                    f"立案案号 {cut(r['case_no'])} 与 {first['file']} {first['sheet']} 第 {first['row']} 行重复："
                    "同一案号一年内只能用于一个案件，请核对", column=LEDGER.column("case_no").header,
                    value=r["case_no"], **where))
        if visit_repeat[i]:
            first = records[int(visit_first[i])]
            problems.append(make_problem(
                "enterprise_date_duplicate",
                f"{cut(r['enterprise_name'])} 在 {r['inspection_date'].date().isoformat()} 的检查已填报于 "
                f"{first['file']} {first['sheet']} 第 {first['row']} 行：同一企业同一天只应填报一次",
                column=LEDGER.column("enterprise").header, value=r["enterprise"], **where))
    return problems


def _hazard_key(hazard: str) -> str:
    return cells.norm(hazard).rstrip("。.;；")


def items_frame(ledger: pd.DataFrame, days: int = cells.DEFAULT_RECTIFICATION_DAYS) -> pd.DataFrame:
    """One row per hazard item, with status, deadline and the 复查 linking (docs/design.md).

    Column-wise: the items of every row are laid out at once; status, deadline and the
    linking key are computed once per distinct text (``_each_distinct``); the linking itself
    (earliest earlier open item of the same enterprise and hazard text) runs in order, but only
    over the keys that a 复查 item has: an item whose key no 复查 item shares is never linked.
    """
    order = _order(ledger, ["hazards", "rectifications", "is_recheck", "enterprise_name", "row_id", "unit",
                            "period", "case_no"])
    pos, numbers, hazards, rects = [], [], [], []
    for i, (hz, rc) in enumerate(zip(order["hazards"].tolist(), order["rectifications"].tolist(), strict=True)):
        if not hz:
            continue
        pos += [i] * len(hz)
        numbers += range(1, len(hz) + 1)
        hazards += hz
        rects += cells.pair_items(hz, rc)
    n = len(pos)
    take = np.asarray(pos, dtype=np.int64)
    date_codes, date_values = pd.factorize(order["inspection_date"])
    days_of = [d.date() for d in date_values]
    status = _each_distinct(pd.Series(rects, dtype=object), cells.rectification_status).tolist() if n else []
    deadlines, bases, stamps, memo = [], [], {}, {}
    for rect, hazard, code in zip(rects, hazards, date_codes[take].tolist(), strict=True):
        key = (rect, hazard, code)
        hit = memo.get(key)
        if hit is None:
            deadline, basis = cells.deadline_with_basis([rect, hazard], days_of[code], days)
            stamp = stamps.get(deadline)
            if stamp is None:
                stamp = stamps[deadline] = pd.Timestamp(deadline)
            hit = memo[key] = (stamp, basis)
        deadlines.append(hit[0])
        bases.append(hit[1])
    recheck = order["is_recheck"].to_numpy(dtype=bool)[take]
    rectified = [s == cells.STATUS_RECTIFIED for s in status]
    counts = [True] * n
    closed_by: list = [None] * n
    closed_date: list = [pd.NaT] * n
    if recheck.any():
        names = _each_distinct(order["enterprise_name"], cells.normalise_name)[take].tolist()
        keys = list(zip(names, _each_distinct(pd.Series(hazards, dtype=object), _hazard_key).tolist(), strict=True))
        linked = {keys[k] for k in np.flatnonzero(recheck).tolist()}
        row_ids, row_dates = order["row_id"].array, order["inspection_date"].array
        open_items: dict[tuple[str, str], list[int]] = defaultdict(list)
        for k in range(n):
            key = keys[k]
            if key not in linked:
                continue
            if recheck[k] and open_items[key]:
                original = open_items[key][0]
                counts[k] = False
                if status[k] == cells.STATUS_RECTIFIED:
                    closed_by[original], closed_date[original] = row_ids[pos[k]], row_dates[pos[k]]
                    rectified[original] = True
                    open_items[key].pop(0)
            elif status[k] != cells.STATUS_RECTIFIED:
                open_items[key].append(k)

    def per_item(column: str):
        return order[column].array.take(take) if n else []

    # case_no as Python objects, so its dtype is inferred from the items' own values (all
    # blank: float NaN) exactly as for the other tables built from records
    case_nos = order["case_no"].astype(object).to_numpy()[take].tolist() if n else []

    frame = pd.DataFrame([], columns=ITEM_COLUMNS) if not n else pd.DataFrame({
        "row_id": per_item("row_id"), "item_no": numbers, "hazard": hazards, "rectification": rects,
        "unit": per_item("unit"), "period": per_item("period"), "enterprise_name": per_item("enterprise_name"),
        "inspection_date": per_item("inspection_date"), "case_no": case_nos, "is_recheck": recheck.tolist(),
        "status": status, "deadline": deadlines, "counts_as_hazard": counts, "closed_by": closed_by,
        "closed_date": closed_date, "rectified": rectified, "deadline_basis": bases,
    }, columns=ITEM_COLUMNS)
    frame["item_no"] = frame["item_no"].astype("int64")
    frame["inspection_date"] = pd.to_datetime(frame["inspection_date"])
    frame["deadline"] = pd.to_datetime(frame["deadline"])
    frame["closed_date"] = pd.to_datetime(frame["closed_date"])
    frame["closed_by"] = frame["closed_by"].astype(object).where(frame["closed_by"].notna(), None)
    for key in ("is_recheck", "counts_as_hazard", "rectified"):
        frame[key] = frame[key].astype(bool)
    return frame.sort_values(["row_id", "item_no"], kind="stable").reset_index(drop=True)


def figures_frame(files: list[FileRead]) -> pd.DataFrame:
    frame = pd.DataFrame(_accepted_columns(files, FIGURES.id, FIGURES_COLUMNS), columns=FIGURES_COLUMNS)
    for key in FIGURE_KEYS:
        frame[key] = frame[key].astype("float64")
    for key in ("row", "year", "month"):
        frame[key] = frame[key].astype("int64")
    frame["via"] = frame["via"].astype(object)
    return frame


def superseded_frame(files: list[FileRead]) -> pd.DataFrame:
    """Accepted rows a consolidating unit relayed for a unit that sent its own original too
    (``consolidated.supersede_relayed``): not counted, kept for reconciling the 合计."""
    records = []
    for f in files:
        for s in f.sheets:
            block = s.block
            if block is None or "superseded_by" not in block.columns:
                continue
            col = block.columns
            figures = s.form == FIGURES.id
            for i in block.accepted():
                if not col["superseded_by"][i]:
                    continue
                records.append({
                    "file": s.file, "sheet": s.sheet, "row": block.rows[i], "form": s.form, "year": s.year,
                    "month": s.month, "period": s.period,
                    **{k: col[k][i] if k in col else None for k in ("unit", "via", "superseded_by")},
                    "kind": col["kind"][i] if figures and "kind" in col else None,
                    **{k: (col[k][i] if figures and k in col else float("nan")) for k in FIGURE_KEYS}})
    frame = pd.DataFrame(records, columns=SUPERSEDED_COLUMNS)
    for key in FIGURE_KEYS:
        frame[key] = frame[key].astype("float64")
    for key in ("row", "year", "month"):
        frame[key] = frame[key].astype("int64")
    return frame


def bookkeeping_tables(files: list[FileRead]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    subs, file_rows, rejected = [], [], []
    for f in files:
        read = accepted = rejected_n = 0
        for s in f.sheets:
            block = s.block
            n, j = len(block), block.n_rejected
            a = n - j
            read, accepted, rejected_n = read + n, accepted + a, rejected_n + j
            if s.form:
                subs.append({"file": s.file, "sheet": s.sheet, "form": s.form, "unit": s.unit,
                             "year": s.year, "month": s.month, "period": s.period,
                             "filled_date": s.filled_date, "received": s.received, "late": s.late,
                             "rows_read": n, "rows_accepted": a, "rows_rejected": j})
            if block.errors:
                values = block.all_values()
                rejected += [{"file": s.file, "sheet": s.sheet, "row": block.rows[i], "form": s.form,
                              "reason": ";".join(block.errors[i]), "values": values[i]}
                             for i in sorted(block.errors)]
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
