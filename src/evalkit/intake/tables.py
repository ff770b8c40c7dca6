"""The Dataset tables built from what was read: ledger, items (with 复查 linking), figures,
submissions, files and rejected rows, plus the checks across ledger rows.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import chain, compress

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
    text_array,
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


_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default str dtype


def _as_column(values: list) -> pd.Series | list:
    """A Python list of texts and blanks as the str column pandas infers from it, built by
    pyarrow in one pass (``records.text_array``; pandas first copies and checks every value:
    2-5x slower on a million texts); any other list, or blanks only (pandas infers object),
    is returned as it is, for pandas to infer."""
    array = text_array(values)
    if not isinstance(array, pa.Array):
        return values
    return pd.Series(pd.arrays.ArrowStringArray(array.cast(pa.large_string()), dtype=_TEXT))


def _accepted_columns(files: list[FileRead], form: str, keys: list[str]) -> dict[str, list | pd.Series]:
    """The accepted rows of every ``form`` sheet, column by column (``RowBlock.columns``), with
    the sheet's file, sheet, row, unit, year, month, period (and row_id for the ledger).

    A column is joined from each sheet's piece: a list, or a pyarrow array (the text fields,
    ``records.TEXT_COLUMNS``); arrays are joined as arrays (``_joined``).
    """
    pieces: dict[str, list] = {k: [] for k in keys}
    rows: list[int] = []
    sheets: dict[str, list] = {k: [] for k in _SHEET_FIELDS}
    prefixes: list[str] = []
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
            mine = block.rows if whole else [block.rows[i] for i in keep]
            n = len(mine)
            rows += mine
            prefixes.append(f"{s.file}#{s.sheet}#")
            for key, value in (("file", s.file), ("sheet", s.sheet), ("year", s.year),
                               ("month", s.month), ("period", s.period)):
                sheets[key].append(value)
            counts.append(n)
            for key in keys:
                if key in meta:
                    continue
                column = block.columns.get(key)
                if column is None:  # a unit's own sheet: no ``via``; its unit is the sheet's
                    pieces[key].append([s.unit if key == "unit" else None] * n)
                elif isinstance(column, pa.Array):
                    pieces[key].append(column if whole else column.take(keep))
                else:
                    pieces[key].append(column if whole else [column[i] for i in keep])
    out: dict[str, list | pd.Series] = {}
    for key in keys:
        if key in _SHEET_FIELDS:
            out[key] = _repeated(sheets[key], counts) if counts else []
        elif key == "row":
            out[key] = rows
        elif key == "row_id":
            out[key] = _row_ids(prefixes, counts, rows)
        else:
            out[key] = _joined(pieces[key])
    return out


def _joined(pieces: list) -> pd.Series | list:
    """The sheets' pieces of one column as the column pandas infers from all their values.

    Pieces are lists, or pyarrow string arrays (``records.text_array``); when every piece is an
    array or a list of blanks only, they are joined as arrays into one str column; when every
    value is blank, a list of None (pandas infers object from it, as from the values); otherwise
    as one list (``_as_column``)."""
    arrays = [p if isinstance(p, pa.Array) else pa.nulls(len(p), pa.string()) if p.count(None) == len(p) else None
              for p in pieces]
    if pieces and all(a is not None for a in arrays):
        array = pa.chunked_array(arrays, type=pa.string()).cast(pa.large_string()).combine_chunks()
        if array.null_count == len(array):
            return [None] * len(array)
        return pd.Series(pd.arrays.ArrowStringArray(array, dtype=_TEXT))
    values: list = []
    for p in pieces:
        values += p.to_pylist() if isinstance(p, pa.Array) else p
    return _as_column(values)


def _row_ids(prefixes: list[str], counts: list[int], rows: list[int]) -> pd.Series | list:
    """``f"{file}#{sheet}#{row}"`` of every row, joined by pyarrow from one prefix per sheet."""
    if not rows:
        return []
    prefix = pa.array(prefixes, type=pa.large_string()).take(
        np.repeat(np.arange(len(prefixes), dtype=np.int64), np.asarray(counts, dtype=np.int64)))
    numbers = pc.cast(pa.array(rows, type=pa.int64()), pa.large_string())
    joined = pc.binary_join_element_wise(prefix, numbers, pa.scalar("", type=pa.large_string()))
    return pd.Series(pd.arrays.ArrowStringArray(joined, dtype=_TEXT))


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


def _inspection_order(ledger: pd.DataFrame) -> np.ndarray:
    """The positions of the ledger's rows in inspection order (date, then file, sheet, row;
    stable), sorting only those four columns."""
    keys = ledger[_ORDER].reset_index(drop=True)
    return keys.sort_values(_ORDER, kind="stable").index.to_numpy(dtype=np.int64)


def _order(ledger: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of the ledger in inspection order (date, then file, sheet, row); only these
    are reordered (the ledger's lists and texts cost seconds to move at national size)."""
    return ledger[list(dict.fromkeys([*_ORDER, *columns]))].take(_inspection_order(ledger))


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


def _text_ranks(texts: pd.Series) -> np.ndarray:
    """The dense rank of each text in sorted order (equal texts, equal ranks): the codes
    ``pd.factorize(texts, sort=True)`` gives, computed by pyarrow's sort for a str column
    without blanks (code point order: UTF-8 bytes sort as code points, as Python's str does)."""
    array = getattr(texts.array, "_pa_array", None)
    if array is None or array.null_count or not pa.types.is_large_string(array.type) or len(array) < 2:
        return pd.factorize(texts, sort=True)[0]
    order = pc.sort_indices(array)
    ordered = array.take(order)
    step = pc.not_equal(ordered[1:], ordered[:-1]).to_numpy(zero_copy_only=False)
    ranks = np.empty(len(array), dtype=np.int64)
    ranks[order.to_numpy()] = np.concatenate([[0], np.cumsum(step)])
    return ranks


def _hazard_key(hazard: str) -> str:
    return cells.norm(hazard).rstrip("。.;；")


def items_frame(ledger: pd.DataFrame, days: int = cells.DEFAULT_RECTIFICATION_DAYS) -> pd.DataFrame:
    """One row per hazard item, with status, deadline and the 复查 linking (docs/design.md).

    Column-wise: the items of every row are laid out at once; status, deadline and the
    linking key are computed once per distinct text (``_each_distinct``); the linking itself
    (earliest earlier open item of the same enterprise and hazard text) runs in inspection
    order, but only over the keys that a 复查 item has: an item whose key no 复查 item shares
    is never linked. The items come out by row_id, then item number. The ledger's columns are
    taken once, straight into that order (moving a million texts costs about 0.1 s a column).
    """
    at = _inspection_order(ledger)  # ledger positions, in inspection order
    hz_rows = ledger["hazards"].to_numpy(dtype=object)[at].tolist()
    rc_rows = ledger["rectifications"].to_numpy(dtype=object)[at].tolist()
    lengths = np.fromiter(map(len, hz_rows), dtype=np.int64, count=len(hz_rows))
    n = int(lengths.sum())
    if not n:
        return _typed_items(pd.DataFrame([], columns=ITEM_COLUMNS))
    # every item in inspection order: its ledger row, number, hazard and paired rectification
    row_of = at[np.repeat(np.arange(len(hz_rows), dtype=np.int64), lengths)]
    numbers = np.arange(1, n + 1, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    hazards = list(chain.from_iterable(hz_rows))
    rects = list(chain.from_iterable(map(cells.pair_items, compress(hz_rows, lengths), compress(rc_rows, lengths))))
    date_codes, date_values = pd.factorize(ledger["inspection_date"])
    days_of = [d.date() for d in date_values]
    status = _each_distinct(pd.Series(rects, dtype=object), cells.rectification_status).tolist()
    deadlines, bases, stamps, memo = [], [], {}, {}
    for rect, hazard, code in zip(rects, hazards, date_codes[row_of].tolist(), strict=True):
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
    recheck = ledger["is_recheck"].to_numpy(dtype=bool)[row_of]
    rectified = [s == cells.STATUS_RECTIFIED for s in status]
    counts = [True] * n
    closed_by: list = [None] * n
    closed_date: list = [pd.NaT] * n
    if recheck.any():
        names = _each_distinct(ledger["enterprise_name"], cells.normalise_name)[row_of].tolist()
        keys = list(zip(names, _each_distinct(pd.Series(hazards, dtype=object), _hazard_key).tolist(), strict=True))
        linked = {keys[k] for k in np.flatnonzero(recheck).tolist()}
        row_ids, row_dates = ledger["row_id"].array, ledger["inspection_date"].array
        rows = row_of.tolist()
        open_items: dict[tuple[str, str], list[int]] = defaultdict(list)
        for k in range(n):
            key = keys[k]
            if key not in linked:
                continue
            if recheck[k] and open_items[key]:
                original = open_items[key][0]
                counts[k] = False
                if status[k] == cells.STATUS_RECTIFIED:
                    closed_by[original], closed_date[original] = row_ids[rows[k]], row_dates[rows[k]]
                    rectified[original] = True
                    open_items[key].pop(0)
            elif status[k] != cells.STATUS_RECTIFIED:
                open_items[key].append(k)

    # by row_id, then item number (what sort_values(["row_id", "item_no"]) gives), ranking the
    # ledger's row ids once instead of sorting a million item texts
    final = np.lexsort((numbers, _text_ranks(ledger["row_id"])[row_of]))
    source = row_of[final]
    places = final.tolist()

    def per_item(column: str):
        return ledger[column].array.take(source)

    def moved(values: list) -> list:
        return [values[k] for k in places]

    # case_no as Python objects, so its dtype is inferred from the items' own values (all
    # blank: float NaN) exactly as for the other tables built from records
    case_nos = ledger["case_no"].astype(object).to_numpy()[source].tolist()
    frame = pd.DataFrame({
        "row_id": per_item("row_id"), "item_no": numbers[final], "hazard": _as_column(moved(hazards)),
        "rectification": _as_column(moved(rects)), "unit": per_item("unit"), "period": per_item("period"),
        "enterprise_name": per_item("enterprise_name"), "inspection_date": per_item("inspection_date"),
        "case_no": case_nos, "is_recheck": recheck[final].tolist(), "status": _as_column(moved(status)),
        "deadline": moved(deadlines), "counts_as_hazard": moved(counts), "closed_by": moved(closed_by),
        "closed_date": moved(closed_date), "rectified": moved(rectified), "deadline_basis": _as_column(moved(bases)),
    }, columns=ITEM_COLUMNS)
    return _typed_items(frame)


def _typed_items(frame: pd.DataFrame) -> pd.DataFrame:
    frame["item_no"] = frame["item_no"].astype("int64")
    frame["inspection_date"] = pd.to_datetime(frame["inspection_date"])
    frame["deadline"] = pd.to_datetime(frame["deadline"])
    frame["closed_date"] = pd.to_datetime(frame["closed_date"])
    frame["closed_by"] = frame["closed_by"].astype(object).where(frame["closed_by"].notna(), None)
    for key in ("is_recheck", "counts_as_hazard", "rectified"):
        frame[key] = frame[key].astype(bool)
    return frame


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
