"""Benchmark evalkit.metrics.engine against DuckDB on a synthetic national-scale year.

Not a test. Run:  .venv/bin/python scripts/bench_metrics.py [--rows 1000000] [--repeat 3] [--threads 1]

Generates a year of data directly as DataFrames in the ``Dataset`` shape (numpy,
vectorised; default 1,000,000 ledger rows, about 1.2 million items, 200,000
enterprises, 500 units), then computes every metric for every unit and the town for
the 12 month scopes and the 12 ytd scopes:

* evalkit: one ``MetricsEngine`` (prepared once, time included), ``compute`` per scope;
* DuckDB, in the same process on the same frames (loaded into tables, load timed),
  in two formulations: rows enriched once then one statement per scope (what the
  engine does), and joins plus item aggregation inside every scope's statement.
  Each run's per-unit and town counts are checked equal to evalkit's components.

Prints the times (best of ``--repeat``), the ratios evalkit/DuckDB, and peak memory
(ru_maxrss of the process, which includes the data and DuckDB; and tracemalloc's
peak of one extra evalkit pass). Shortcuts, because metrics never read them: the list
columns (inspectors, hazards, rectifications) share a few list objects, closed_by holds
a placeholder instead of a real row id. DuckDB receives the 其他查处 vocabulary already
parsed (one row per distinct text, from evalkit.intake.handling) since it has no parser of
its own, and likewise each distinct hazard text's comparison key and catalogue code (for the
违法行为查处率's 复查-row cases, evalkit.metrics.escalation); evalkit's time includes both.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from evalkit.core.catalogue import match_violation
from evalkit.core.dataset import Dataset
from evalkit.core.periods import parse_period
from evalkit.intake.handling import HANDLING_METRICS, handling_counts
from evalkit.metrics.engine import MetricsEngine
from evalkit.metrics.escalation import hazard_key

HANDLING_TEXTS = [
    "责令停产整顿", "责令停产停业整顿；移送公安机关2人", "移送公安机关", "纳入失信黑名单",
    "暂扣安全生产许可证", "暂扣特种作业操作证2本", "提请关闭", "联合惩戒", "移送市场监管局",
    "移交住建部门", "责令停止施工，提请关闭；移交住建部门", "纳入失信黑名单；联合惩戒",
    "移送司法机关追究刑事责任3人", "未移送", "无", "停业整顿；移送镇综合执法队2起",
]
HAZARD_TEXTS = ["疏散通道堵塞", "灭火器过期", "三合一", "电线私拉乱接", "未开展安全培训", "特种作业无证上岗"]


def generate(n_rows: int, n_ent: int, n_units: int, seed: int) -> Dataset:
    """A year of synthetic data in the Dataset shape, vectorised."""
    rng = np.random.default_rng(seed)
    units = np.array([f"单位{i:03d}" for i in range(n_units)], dtype=object)
    names = np.array([f"企业{i:06d}" for i in range(n_ent)], dtype=object)
    ent_unit = rng.integers(0, n_units, n_ent)
    enterprises = pd.DataFrame({
        "name": pd.array(names, dtype="str"), "credit_code": None, "industry": "制造业",
        "unit": pd.array(units[ent_unit], dtype="str"), "key_industry": None, "risk_level": "一般"})
    unit_frame = pd.DataFrame({"unit": pd.array(units, dtype="str"), "kind": "村",
                               "supervised_total": np.bincount(ent_unit, minlength=n_units)})

    ent = rng.integers(0, n_ent, n_rows)
    row_unit = np.where(rng.random(n_rows) < 0.95, ent_unit[ent], rng.integers(0, n_units, n_rows))
    unregistered = rng.random(n_rows) < 0.03
    ent_name = names[ent].copy()
    ent_name[unregistered] = np.array([f"未登记{i}" for i in range(int(unregistered.sum()))], dtype=object)
    month = rng.integers(1, 13, n_rows)
    period = np.array([f"2024-{m:02d}" for m in range(1, 13)], dtype=object)[month - 1]
    date = (pd.to_datetime(pd.Series(period) + "-01") + pd.to_timedelta(rng.integers(0, 28, n_rows), "D"))
    has_case = rng.random(n_rows) < 0.10
    case_no = np.full(n_rows, None, dtype=object)
    case_no[has_case] = np.array([f"狮立〔2024〕{i}号" for i in range(int(has_case.sum()))], dtype=object)
    fine = np.where(has_case, rng.integers(100, 5_000_000, n_rows) / 1e6, np.nan)
    other = np.full(n_rows, None, dtype=object)
    has_other = rng.random(n_rows) < 0.06
    other[has_other] = np.array(HANDLING_TEXTS, dtype=object)[rng.integers(0, len(HANDLING_TEXTS), has_other.sum())]
    remarks = np.full(n_rows, None, dtype=object)
    r = rng.random(n_rows)
    remarks[r < 0.02] = "群众举报核查"
    remarks[(r >= 0.02) & (r < 0.07)] = "复查（原检查）"
    n_haz = np.clip(rng.poisson(1.2, n_rows), 0, 6)
    pool = [[HAZARD_TEXTS[k % len(HAZARD_TEXTS)] for k in range(n)] for n in range(7)]
    seq = np.arange(n_rows)
    file = pd.Series(units[row_unit]) + "_" + pd.Series(period) + ".xlsx"
    row_id = file + "#附件1#" + pd.Series(seq).astype(str)
    ledger = pd.DataFrame({
        "row_id": pd.array(row_id, dtype="str"), "file": pd.array(file, dtype="str"), "sheet": "附件1",
        "row": seq + 5, "unit": pd.array(units[row_unit], dtype="str"), "year": 2024, "month": month,
        "period": pd.array(period, dtype="str"), "seq": seq + 1,
        "enterprise": pd.array(ent_name, dtype="str"), "enterprise_name": pd.array(ent_name, dtype="str"),
        "registered": ~unregistered, "inspection_date": date.to_numpy(),
        "inspectors": pd.Series([["张三", "李四"]] * n_rows), "inspector_count": 2,
        "hazards": pd.Series(pool, dtype=object).iloc[n_haz].to_numpy(),
        "rectifications": pd.Series(pool, dtype=object).iloc[n_haz].to_numpy(),
        "case_no": pd.array(case_no, dtype="str"), "fine_wan": fine, "legal_basis": None,
        "other_handling": pd.array(other, dtype="str"), "remarks": pd.array(remarks, dtype="str"),
        "is_recheck": (r >= 0.02) & (r < 0.07),
    })

    item_row = np.repeat(seq, n_haz)
    n_items = len(item_row)
    status = np.array(["rectified", "pending", "overdue", None], dtype=object)[
        rng.choice(4, n_items, p=[0.7, 0.2, 0.05, 0.05])]
    counts = rng.random(n_items) < 0.95
    closable = (status != "rectified") & (rng.random(n_items) < 0.3)
    item_date = date.to_numpy()[item_row]
    closed_date = np.where(closable, item_date + rng.integers(1, 90, n_items).astype("timedelta64[D]"),
                           np.datetime64("NaT"))
    items = pd.DataFrame({
        "row_id": ledger["row_id"].to_numpy()[item_row],
        "item_no": (np.arange(n_items) - np.repeat(np.cumsum(n_haz) - n_haz, n_haz)) + 1,
        "hazard": pd.array(np.array(HAZARD_TEXTS, dtype=object)[rng.integers(0, 6, n_items)], dtype="str"),
        "rectification": None, "unit": ledger["unit"].to_numpy()[item_row],
        "period": ledger["period"].to_numpy()[item_row],
        "enterprise_name": ledger["enterprise_name"].to_numpy()[item_row],
        "inspection_date": item_date, "case_no": ledger["case_no"].to_numpy()[item_row],
        "is_recheck": ledger["is_recheck"].to_numpy()[item_row], "status": pd.array(status, dtype="str"),
        "deadline": item_date + np.timedelta64(30, "D"), "counts_as_hazard": counts,
        "closed_by": pd.array(np.where(closable, "recheck", None), dtype="str"),
        "closed_date": closed_date, "rectified": (status == "rectified") | closable,
    })
    empty = pd.DataFrame()
    return Dataset(Path("synthetic"), enterprises, unit_frame, empty, empty,
                   pd.DataFrame({"file": [], "rows_read": [], "rows_accepted": [], "rows_rejected": []}),
                   ledger, items, empty, empty, empty)


SCOPES = [(f"2024-{m:02d}", s) for s in ("month", "ytd") for m in range(1, 13)]


def run_evalkit(ds: Dataset) -> dict:
    engine = MetricsEngine(ds)
    return {key: engine.compute(key[0], scope=key[1]) for key in SCOPES}


# metrics.escalation in SQL: the earliest later 复查 row with a case restating each open new hazard
# (same enterprise; same hazard key, or same catalogue code).
_SQL_ESC = """
SELECT t.row_id, t.item_no, min(k.d) AS by_date
FROM (SELECT it.row_id, it.item_no, it.enterprise_name AS ent, it.inspection_date AS d, h.key, h.code,
             it.closed_date
      FROM items it JOIN hazards h ON h.hazard = it.hazard
      WHERE it.counts_as_hazard AND it.status IS DISTINCT FROM 'rectified') t
JOIN (SELECT it.row_id, it.enterprise_name AS ent, it.inspection_date AS d, h.key, h.code
      FROM items it JOIN hazards h ON h.hazard = it.hazard
      WHERE it.is_recheck AND it.case_no IS NOT NULL AND trim(it.case_no) <> '') k
  ON k.ent = t.ent AND (k.key = t.key OR (t.code IS NOT NULL AND k.code = t.code))
 AND k.d > t.d AND k.row_id <> t.row_id AND (t.closed_date IS NULL OR t.closed_date >= k.d)
GROUP BY t.row_id, t.item_no
"""

# Per scope, straight from the loaded tables: joins, item aggregation and grouping each time.
_SQL_JOINS = """
WITH l AS (
  SELECT l.row_id, l.unit, l.enterprise_name AS ent, coalesce(l.fine_wan, 0) AS fine,
         (l.case_no IS NOT NULL AND trim(l.case_no) <> '') AS has_case,
         (r.name IS NOT NULL) AS in_reg,
         {handling_cols},
         coalesce(contains(l.remarks, '举报'), false) AS report
  FROM ledger l
  LEFT JOIN registry r ON r.name = l.enterprise_name AND r.unit = l.unit
  LEFT JOIN handling h ON h.text = l.other_handling
  WHERE l.period IN ({periods})
),
i AS (
  SELECT row_id, count(*) AS nh,
         count(*) FILTER (WHERE status = 'rectified'
                          OR (closed_by IS NOT NULL AND closed_date < DATE '{end}')) AS rect
  FROM items WHERE period IN ({periods}) AND counts_as_hazard GROUP BY row_id
),
j AS (SELECT l.*, coalesce(i.nh, 0) AS nh, coalesce(i.rect, 0) AS rect FROM l LEFT JOIN i USING (row_id)),
cl AS (SELECT NULL::VARCHAR AS unit, 0::BIGINT AS n WHERE false),  -- closures are inside rect here
esc AS ({esc}),
hd AS (  -- 查处: the scope's new hazards on a case row, or escalated by a 复查 case by its end
  SELECT l.unit, count(*) AS n FROM items it JOIN l USING (row_id)
  LEFT JOIN esc e ON e.row_id = it.row_id AND e.item_no = it.item_no
  WHERE it.counts_as_hazard AND (l.has_case OR e.by_date < DATE '{end}') GROUP BY GROUPING SETS ((l.unit), ())
),
{tail}
"""

# Prepared once (like MetricsEngine): each ledger row with its flags and item counts;
# closures by a later 复查 are kept with their date, since a scope's end decides them,
# and counted per unit in each scope.
_SQL_PREPARE = """
CREATE TABLE lp AS
WITH i AS (SELECT row_id, count(*) AS nh, count(*) FILTER (status = 'rectified') AS rect_text
           FROM items WHERE counts_as_hazard GROUP BY row_id)
SELECT l.unit, l.period, l.enterprise_name AS ent,
       coalesce(l.fine_wan, 0) AS fine,
       (l.case_no IS NOT NULL AND trim(l.case_no) <> '') AS has_case, (r.name IS NOT NULL) AS in_reg,
       {handling_cols}, coalesce(contains(l.remarks, '举报'), false) AS report,
       coalesce(i.nh, 0) AS nh, coalesce(i.rect_text, 0) AS rect_text
FROM ledger l
LEFT JOIN registry r ON r.name = l.enterprise_name AND r.unit = l.unit
LEFT JOIN handling h ON h.text = l.other_handling
LEFT JOIN i USING (row_id);
CREATE TABLE closures AS
SELECT l.unit, l.period, it.closed_date FROM items it JOIN ledger l USING (row_id)
WHERE it.counts_as_hazard AND it.status IS DISTINCT FROM 'rectified' AND it.closed_by IS NOT NULL;
CREATE TABLE esc AS {esc};
CREATE TABLE handled AS  -- each new hazard: its unit and period, a case on its row, its escalation date
SELECT l.unit, l.period, (l.case_no IS NOT NULL AND trim(l.case_no) <> '') AS has_case, e.by_date
FROM items it JOIN ledger l USING (row_id) LEFT JOIN esc e ON e.row_id = it.row_id AND e.item_no = it.item_no
WHERE it.counts_as_hazard;
"""
_SQL_PREPARED = """
WITH j AS (SELECT *, rect_text AS rect FROM lp WHERE period IN ({periods})),
cl AS (  -- hazards of the scope closed by a 复查 on/before its end, per unit and for the town
  SELECT unit, count(*) AS n FROM closures
  WHERE period IN ({periods}) AND closed_date < DATE '{end}' GROUP BY GROUPING SETS ((unit), ())
),
hd AS (
  SELECT unit, count(*) AS n FROM handled
  WHERE period IN ({periods}) AND (has_case OR by_date < DATE '{end}') GROUP BY GROUPING SETS ((unit), ())
),
{tail}
"""
# Shared by both: distinct (unit, enterprise) pairs, the town's union, and per-unit sums.
_SQL_TAIL = """
pairs AS (
  SELECT unit, ent, bool_or(in_reg) AS reg, bool_or(has_case) AS cas, bool_or(nh > 0) AS viol, {pair_cols}
  FROM j GROUP BY unit, ent
),
ents AS (  -- the town's distinct union: one row per enterprise
  SELECT ent, bool_or(reg) AS reg, bool_or(cas) AS cas, bool_or(viol) AS viol,
         bool_or(cas AND viol) AS cas_viol, {ent_cols}
  FROM pairs GROUP BY ent
),
per_pair AS (  -- pairs are distinct (unit, enterprise), so a count per unit is a distinct count
  SELECT unit, count(*) AS inspected, count(*) FILTER (reg) AS inspected_in_registry,
         count(*) FILTER (cas) AS cases_filed, count(*) FILTER (viol) AS violating_enterprises,
         count(*) FILTER (cas AND viol) AS cases_among_violating, {pair_counts}
  FROM pairs GROUP BY unit
  UNION ALL
  SELECT NULL, count(*), count(*) FILTER (reg), count(*) FILTER (cas), count(*) FILTER (viol),
         count(*) FILTER (cas_viol), {pair_counts}
  FROM ents
),
per_row AS (  -- GROUPING SETS: a row per unit and the town's row (unit NULL)
  SELECT unit, sum(nh) AS hazards_found, sum(rect) AS hazards_rectified,
         coalesce(sum(nh) FILTER (has_case), 0) AS case_items,
         count(*) FILTER (nh > 0) AS rectification_orders,
         sum(fine) AS fines_wan, {row_sums}, count(*) FILTER (report) AS reports_verified
  FROM j GROUP BY GROUPING SETS ((unit), ())
),
fin AS (
  SELECT p.*, r.* EXCLUDE (unit, hazards_rectified), r.hazards_rectified + coalesce(c.n, 0) AS hazards_rectified,
         coalesce(h.n, 0) AS handled_items
  FROM per_pair p JOIN per_row r ON p.unit IS NOT DISTINCT FROM r.unit
  LEFT JOIN cl c ON c.unit IS NOT DISTINCT FROM p.unit
  LEFT JOIN hd h ON h.unit IS NOT DISTINCT FROM p.unit
)
SELECT f.*,
       round(100.0 * f.inspected_in_registry / nullif(s.supervised_total, 0), 2) AS coverage_rate,
       round(100.0 * f.cases_filed / nullif(f.inspected, 0), 2) AS case_ratio,
       round(100.0 * f.hazards_rectified / nullif(f.hazards_found, 0), 2) AS rectification_rate,
       round(100.0 * f.handled_items / nullif(f.hazards_found, 0), 2) AS violation_handling_rate
FROM fin f LEFT JOIN units s ON s.unit = f.unit
"""


def _sql_parts() -> dict[str, str]:
    distinct = [m for m, u in HANDLING_METRICS.items() if u == "家"]
    summed = [m for m, u in HANDLING_METRICS.items() if u != "家"]
    parts = {
        "handling_cols": ", ".join(f"coalesce(h.{m}, 0) AS {m}" for m in HANDLING_METRICS),
        "pair_cols": ", ".join(f"bool_or({m} > 0) AS {m}" for m in distinct),
        "pair_counts": ", ".join(f"count(*) FILTER ({m}) AS {m}" for m in distinct),
        "ent_cols": ", ".join(f"bool_or({m}) AS {m}" for m in distinct),
        "row_sums": ", ".join(f"sum({m}) AS {m}" for m in summed),
        "esc": _SQL_ESC,
    }
    parts["tail"] = _SQL_TAIL.format(**parts)
    return parts


def run_duckdb(ds: Dataset, handling: pd.DataFrame, prepared: bool, threads: int | None) -> tuple[dict, float]:
    """Load the frames into DuckDB tables, then one SQL statement per scope.

    ``prepared``: first enrich the ledger rows once (like MetricsEngine does), else join
    and aggregate items inside every scope's statement. Returns the per-scope results and
    the load time (the caller times the whole call).
    """
    con = duckdb.connect(config={"threads": threads} if threads else {})
    t0 = time.perf_counter()
    texts = pd.Series(ds.items["hazard"].unique())
    hazards = pd.DataFrame({"hazard": texts, "key": [hazard_key(t) for t in texts],
                            "code": [match_violation(t) for t in texts]})
    frames = {
        "ledger": ds.ledger[["row_id", "unit", "period", "enterprise_name", "fine_wan", "case_no",
                             "other_handling", "remarks"]],
        "items": ds.items[["row_id", "item_no", "period", "status", "closed_by", "closed_date", "counts_as_hazard",
                           "hazard", "enterprise_name", "inspection_date", "case_no", "is_recheck"]],
        "hazards": hazards,
        "registry": ds.enterprises[["name", "unit"]],
        "handling": handling,
        "units": ds.units[["unit", "supervised_total"]],
    }
    for name, frame in frames.items():
        con.register(f"{name}_df", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_df")
        con.unregister(f"{name}_df")
    t_load = time.perf_counter() - t0
    parts = _sql_parts()
    if prepared:
        con.execute(_SQL_PREPARE.format(**parts))
    template = _SQL_PREPARED if prepared else _SQL_JOINS
    out = {}
    for key in SCOPES:
        period = parse_period(key[0], key[1])
        periods = ", ".join(f"'{p}'" for p in period.period_keys)
        end = (pd.Timestamp(period.end) + pd.Timedelta(days=1)).date().isoformat()
        result = con.execute(template.format(periods=periods, end=end, **parts)).df()
        is_total = result["unit"].isna()
        out[key] = (result[~is_total], result[is_total])
    con.close()
    return out, t_load


def check_equal(ev: dict, db: dict) -> int:
    """Compare DuckDB's per-unit counts with evalkit's components; returns cells compared."""
    cells = 0
    for key, (per_unit, total) in db.items():
        comp = ev[key].components
        db_frame = per_unit.set_index("unit").reindex(comp.index).fillna(0)
        for col in db_frame.columns:
            if col in comp.columns:
                a = comp[col].to_numpy(dtype=np.int64)
                b = db_frame[col].to_numpy(dtype=np.int64)
                if not np.array_equal(a, b):
                    raise AssertionError(f"{key} {col}: evalkit {a[:5]} … DuckDB {b[:5]} …")
                cells += len(a)
        fines = np.rint(db_frame["fines_wan"].to_numpy(dtype=float) * 1e6).astype(np.int64)
        if not np.array_equal(fines, comp["fines_micro"].to_numpy(dtype=np.int64)):
            raise AssertionError(f"{key} fines differ")
        for col in total.columns:
            if col not in ev[key].components_total.index:
                continue
            if int(total[col].iloc[0]) != int(ev[key].components_total[col]):
                raise AssertionError(f"{key} total {col}: {total[col].iloc[0]} vs {ev[key].components_total[col]}")
            cells += 1
    return cells


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--enterprises", type=int, default=200_000)
    p.add_argument("--units", type=int, default=500)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--repeat", type=int, default=3, help="best of N runs for each timing")
    p.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: DuckDB's, one per core)")
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    ds = generate(args.rows, args.enterprises, args.units, args.seed)
    t_gen = time.perf_counter() - t0
    print(f"generated: {len(ds.ledger):,} ledger rows, {len(ds.items):,} items, "
          f"{len(ds.enterprises):,} enterprises, {len(ds.units)} units in {t_gen:.1f} s")
    texts = pd.Series(HANDLING_TEXTS)
    handling = pd.concat([texts.rename("text"), handling_counts(texts)], axis=1)

    # Best of N, alternating the engines, so a busy machine penalises all alike.
    t_ev, timings = float("inf"), {True: (float("inf"), 0.0), False: (float("inf"), 0.0)}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        ev = run_evalkit(ds)
        t_ev = min(t_ev, time.perf_counter() - t0)
        for prepared in (True, False):
            t0 = time.perf_counter()
            db, t_load = run_duckdb(ds, handling, prepared, args.threads)
            elapsed = time.perf_counter() - t0
            if elapsed < timings[prepared][0]:
                timings[prepared] = (elapsed, t_load)
            cells = check_equal(ev, db)

    tracemalloc.start()
    run_evalkit(ds)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    threads = args.threads or duckdb.execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"scopes: {len(SCOPES)} (12 months + 12 ytd), every metric, every unit and the town; "
          f"best of {args.repeat}")
    print(f"evalkit:                     {t_ev:6.2f} s  (prepare once + 24 scopes, single thread)")
    for prepared, label in ((True, "DuckDB, rows prepared once"), (False, "DuckDB, joins per scope")):
        t_db, t_load = timings[prepared]
        print(f"{label + ':':28} {t_db:6.2f} s  (load {t_load:.2f} s + SQL {t_db - t_load:.2f} s; "
              f"{threads} threads)  evalkit/DuckDB = {t_ev / t_db:.2f}")
    print(f"results agree: {cells:,} per-unit and town counts compared per DuckDB run (DuckDB {duckdb.__version__})")
    print(f"peak memory: process ru_maxrss {maxrss_mb:,.0f} MiB (data + evalkit + DuckDB); "
          f"tracemalloc peak of one evalkit pass {traced_peak / 2**20:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
