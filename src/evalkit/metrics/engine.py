"""The campaign's metrics computed per unit and for the town total.

Each metric is one ``MetricDef`` in ``evalkit.metrics.registry`` (``get_metric``,
``list_metrics``, re-exported here): id, Chinese name, formula, unit of measure, direction,
the plan/form clause it comes from, its rounding, how it aggregates (``aggregation``) and
how the reported source combines months (``reported_combine``). ``compute_metrics``
computes all of them for one period and scope from the 附件1 ledger (``source="ledger"``)
or takes them from the 附件2 figures as submitted (``source="reported"``). Each metric also
has a plain function of the same name (``coverage_rate(dataset, "2024-05", scope="ytd",
unit="石壁村")``), made from its definition.

Conventions (docs/metrics.md has the full table):

* A rate is numerator / denominator × 100, rounded half-up (``decimal.ROUND_HALF_UP``)
  to 2 decimals; a zero denominator gives ``None`` (不适用), never 0 or 100.
* Money is in 万元, summed exactly (in 1e-6 万元 = 分 steps, held as float64 whole
  numbers, exact up to 2**53 steps = 9e9 万元; intake rejects a fine above 1e5 万元, so no
  plausible sum comes near) and rounded half-up to 4 decimals. Money never passes through
  an int64, so a sum cannot wrap; a non-finite amount (only possible in a Dataset built
  by hand) gives None (不适用).
* A unit's figures are the ledgers of ``core.hierarchy.ledger_units``: a village's or a
  department's own, a town's (街道's, the city's) the union of its leaf descendants'; the
  total is the root's (``hierarchy.root``: the town of a town folder, the city of a city
  folder). Counts in 家 are distinct enterprises (``enterprise_name``) over that union,
  so an enterprise inspected by two villages counts once for their town, and one
  inspected in two towns once for the city. Counts in 处/件/人/起 are summed. Rates of a
  parent and of the total are recomputed from its numerator and denominator, never averaged.
* Units are ``Dataset.units``; a unit without data gets 0 for counts and None for rates.
  Ledger rows of a unit not listed there are ignored.
* A cell intake kept its row for but could not read (``ledger.unreadable``: a fine that
  reads 待定) is unknown, not 0: the metrics it feeds (``registry.CELL_COMPONENTS``) count the
  cells that were read and are listed in ``MetricsResult.incomplete`` for that unit (and the
  town) and scope, with the reason.

The engine works on integer codes prepared once per dataset (``MetricsEngine``), so
each scope costs a few ``numpy.bincount`` passes over the ledger; no Python loop runs
over ledger rows. scripts/bench_metrics.py measures it against DuckDB.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit._text import NOT_APPLICABLE, NOT_SUBMITTED, format_table, format_value, is_missing
from evalkit.config import loader as yaml_config
from evalkit.config.models import MetricsFile
from evalkit.core import hierarchy
from evalkit.core.dataset import Dataset, within_data
from evalkit.core.forms import LEDGER
from evalkit.core.periods import Period, parse_period
from evalkit.exceptions import ParameterError
from evalkit.intake import handling as _handling
from evalkit.intake.handling import handling_counts, is_summary_fine
from evalkit.metrics.escalation import recheck_escalations
from evalkit.metrics.hazards import done_on
from evalkit.metrics.registry import (
    _REGISTRY,
    CELL_COMPONENTS,
    COMPONENTS,
    HANDLING_METRICS,
    MetricDef,
    get_metric,
    list_metrics,
    metric_ids,
    register_metric,
    text_groups,
)

__all__ = [
    "MetricDef", "MetricsConfig", "MetricsEngine", "MetricsResult", "COMPONENTS",
    "VIOLATION_HANDLING_VARIANTS", "DEFAULT_CONFIG_PATH", "TOTAL_LABEL", "SOURCES",
    "compute_metrics", "load_config", "register_metric", "get_metric", "list_metrics",
    "metric_ids", "rate", "round_half_up", "money_wan",
    *metric_ids(),  # one plain function per registered metric (module __getattr__ below)
]

SOURCES = ("ledger", "reported")
TOTAL_LABEL = "全镇合计"
INCOMPLETE_MARK = "*"  # to_text: the value counts only the cells intake could read
DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "metrics.yaml"  # for docs and users

# --------------------------------------------------------------------------- rounding


def _dec(value) -> Decimal:
    """A number as Decimal; a float goes through repr (its shortest text: 0.1 -> "0.1")."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, np.integer)):
        return Decimal(int(value))
    return Decimal(repr(float(value)))


def _finite(value) -> bool:
    return not isinstance(value, (float, np.floating)) or bool(np.isfinite(value))


def round_half_up(value, decimals: int) -> float | None:
    """``value`` rounded half-up (0.125 -> 0.13 at 2 decimals); None stays None, and so does
    a non-finite value (not a number one can round)."""
    if is_missing(value) or not _finite(value):
        return None
    step = Decimal(1).scaleb(-decimals)
    return float(_dec(value).quantize(step, rounding=ROUND_HALF_UP))


def rate(numerator, denominator) -> float | None:
    """numerator / denominator × 100, rounded half-up to 2 decimals.

    Range [0, 100] when numerator <= denominator. None when the denominator is 0 or
    either side is unknown: an undefined rate is 不适用, never 0 or 100.
    """
    if is_missing(numerator) or is_missing(denominator):
        return None
    den = _dec(denominator)
    if den == 0:
        return None
    return float((_dec(numerator) * 100 / den).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


_MICRO = 1_000_000  # fines are summed as integers of 1e-6 万元 (= 0.01 元), so sums are exact


def money_wan(micro) -> float | None:
    """An amount given in 1e-6 万元 (a whole number, int or float) as 万元, rounded half-up to
    4 decimals; None when it is not finite."""
    if not _finite(micro):
        return None
    return float((Decimal(int(micro)) / _MICRO).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


# --------------------------------------------------------------------------- configuration
#: 违法行为查处率 readings: variant -> (numerator, denominator, formula). The default is the first.
VIOLATION_HANDLING_VARIANTS: dict[str, tuple[str, str, str]] = {
    "handled_items_per_hazard": (
        "handled_items", "hazards_found",
        "被查处的违法行为(隐患)项数（发现它的检查行立案或简易程序当场罚款，或范围结束日前的复查行逾期未改立案或罚款）"
        "/ 排查隐患数 × 100"),
    "case_handled_items_per_hazard": (
        "case_handled_items", "hazards_found",
        "立案查处的违法行为(隐患)项数（发现它的检查行有立案案号，或范围结束日前的复查行逾期未改立案）"
        "/ 排查隐患数 × 100"),
    "case_items_per_hazard": (
        "case_items", "hazards_found", "有立案案号的检查行上的违法行为(隐患)项数 / 排查隐患数 × 100"),
    "cases_per_violating_enterprise": (
        "cases_among_violating", "violating_enterprises",
        "立案数（限有违法行为的企业）/ 发现违法行为的企业数 × 100"),
    "cases_per_rectification_order": (
        "cases_among_violating", "rectification_orders",
        "立案数（限有违法行为的企业）/ 责令整改数（发现隐患的检查次数）× 100"),
}


@dataclass(frozen=True)
class MetricsConfig:
    """Options chosen in config/metrics.yaml (or a user's ``--config`` file)."""

    violation_handling_rate: str = "handled_items_per_hazard"
    reports_verified_ledger: str = "remarks"
    path: str = "<默认>"

    def apply(self, defn: MetricDef) -> MetricDef:
        """The definition as this configuration computes it."""
        if defn.id == "violation_handling_rate":
            num, den, formula = VIOLATION_HANDLING_VARIANTS[self.violation_handling_rate]
            return dataclasses.replace(defn, numerator=num, denominator=den, formula=formula)
        return defn


def load_config(config=None) -> MetricsConfig:
    """Read the metric options: None (packaged defaults), a YAML path, a dict, or a MetricsConfig.

    A user file only needs the keys it changes (merged over config/metrics.yaml by
    ``evalkit.config.loader``, validated by ``evalkit.config.models.MetricsFile``).
    Unknown keys or values raise ConfigError.
    """
    if isinstance(config, MetricsConfig):
        return config
    model, where = yaml_config.load_model("metrics", MetricsFile, config, context={
        "violation_handling_variants": list(VIOLATION_HANDLING_VARIANTS)})
    return MetricsConfig(violation_handling_rate=model.violation_handling_rate.variant,
                         reports_verified_ledger=model.reports_verified.ledger,
                         path="<默认>" if config is None else where)


# --------------------------------------------------------------------------- the ledger engine
class _Ledger:
    """The ledger as integer arrays, prepared once per dataset.

    unit (-1 for a unit not listed: such rows never enter a scope), pair (unit ×
    enterprise) and period codes; per-row flags and counts; each pair's unit and
    enterprise. Items are folded into per-row counts through row_id.
    """

    def __init__(self, dataset: Dataset, units: list[str]):
        ledger, items, reg = dataset.ledger, dataset.items, dataset.enterprises
        self.n = len(ledger)
        self.unit = _codes(ledger["unit"], units)
        ent, ent_names = pd.factorize(ledger["enterprise_name"], use_na_sentinel=False)
        self.n_ent = max(len(ent_names), 1)
        pair_key = self.unit * self.n_ent + ent
        self.pair, pairs = pd.factorize(pair_key)
        pairs = np.asarray(pairs, dtype=np.int64)
        self.n_pairs = len(pairs)
        self.pair_unit, self.pair_ent = pairs // self.n_ent, pairs % self.n_ent
        self.period, self.period_names = pd.factorize(ledger["period"])

        self.has_case = _nonblank(ledger["case_no"])
        fines = pd.to_numeric(ledger["fine_wan"], errors="coerce").fillna(0).to_numpy(dtype=float)
        # 查处: a 立案案号, or a 简易程序 fine within its limit (行政处罚法第五十一条: decided on the
        # spot, no case filed), as audit rule 7 counts a penalty (``intake.handling.is_summary_fine``).
        self.penalised = self.has_case | _summary_fines(ledger, fines, self.has_case)
        self.fine_micro = np.rint(fines * _MICRO)  # float64 whole numbers: never an int64 that could wrap
        # Registry pairs (name, unit): is the enterprise in the inspecting unit's own list?
        reg_ent = pd.Index(ent_names).get_indexer(reg["name"]) if len(reg) else np.array([], np.int64)
        reg_unit = _codes(reg["unit"], units) if len(reg) else np.array([], np.int64)
        ok = (reg_ent >= 0) & (reg_unit >= 0)
        self.in_registry = np.isin(pair_key, reg_unit[ok] * self.n_ent + reg_ent[ok])
        # Cells intake could not read but kept the row for (ledger.unreadable): one flag per column.
        unreadable = ledger["unreadable"] if "unreadable" in ledger else pd.Series([None] * self.n, dtype=object)
        self.unreadable = {key: _by_unique(unreadable, lambda text, key=key: key in text.split(";"))
                           for key in CELL_COMPONENTS}
        handling = handling_counts(ledger["other_handling"])
        self.handling = {m: handling[m].to_numpy() for m in HANDLING_METRICS}
        # 移送追究刑事责任: ``handling.criminal_referrals`` (其他查处, else 备注), once per distinct pair
        pairs, distinct_pairs = pd.MultiIndex.from_arrays([ledger["other_handling"], ledger["remarks"]]).factorize()
        people = np.fromiter((_handling.criminal_referrals(o, r) for o, r in distinct_pairs), dtype=np.int64,
                             count=len(distinct_pairs))
        self.handling["criminal_referrals"] = people[pairs] if len(pairs) else self.handling["criminal_referrals"]
        self.report = _contains(ledger["remarks"], "举报")

        # Items: new hazards per row; whether each is rectified depends on the scope's end
        # date (metrics.hazards.hazard_status), so the new hazards are kept with their row.
        row = _row_positions(ledger["row_id"], items["row_id"])
        new = _bool(items["counts_as_hazard"]) & (row >= 0)
        self.new_hazards = np.bincount(row[new], minlength=self.n)
        self.hazard_row = row[new]
        self.hazard_items = items.loc[new, ["status", "deadline", "closed_by", "closed_date"]]
        self.done_at = done_on(self.hazard_items)  # metrics.hazards' rule, columns read once
        # The day a later 复查 row escalated each new hazard with a penalty (NaT: none), for
        # 违法行为查处率 (metrics.escalation; the scope's end decides, like a closure).
        penalised_ids = set(ledger["row_id"].astype(str).to_numpy()[self.penalised].tolist())
        escalated = recheck_escalations(items[row >= 0], penalised_rows=penalised_ids)["by_date"]
        self.escalated_day = pd.to_datetime(escalated.reindex(items.index[new])).to_numpy(dtype="datetime64[D]")
        # the same with 立案案号 only (variant case_handled_items_per_hazard, the 立案 reading)
        by_case = recheck_escalations(items[row >= 0])["by_date"]
        self.case_escalated_day = pd.to_datetime(by_case.reindex(items.index[new])).to_numpy(dtype="datetime64[D]")

    def in_scope(self, period: Period) -> np.ndarray:
        keys = set(period.period_keys)
        lut = np.array([p in keys for p in self.period_names] + [False], dtype=bool)
        return lut[self.period] & (self.unit >= 0)  # code -1 (no period) hits the trailing False


def _codes(series: pd.Series, names: list[str]) -> np.ndarray:
    """Position of each value in ``names`` (-1 if absent), hashing each distinct value once."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    pos = {n: i for i, n in enumerate(names)}
    lut = np.array([pos.get(str(u), -1) for u in uniques] + [-1], dtype=np.int64)
    return lut[codes]


def _row_positions(row_ids: pd.Series, item_row_ids: pd.Series) -> np.ndarray:
    """For each item, the position of its ledger row (-1 if none), by row_id."""
    # One hash pass over both columns; ledger ids come first, so unique ids get codes 0..n-1.
    codes, _ = pd.factorize(pd.concat([row_ids, item_row_ids], ignore_index=True))
    n = len(row_ids)
    if not np.array_equal(codes[:n], np.arange(n)):  # duplicate ledger row ids: slower lookup
        return pd.Index(row_ids).get_indexer_non_unique(item_row_ids)[0][: len(item_row_ids)]
    found = codes[n:]
    return np.where(found < n, found, -1)


def _by_unique(series: pd.Series, test: Callable[[str], bool]) -> np.ndarray:
    # Text columns repeat few values: test each distinct value once, gather by code.
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    flags = np.array([bool(test(str(u))) for u in uniques] + [False], dtype=bool)
    return flags[codes]  # code -1 (blank cell) hits the trailing False


def _summary_fines(ledger: pd.DataFrame, fines: np.ndarray, has_case: np.ndarray) -> np.ndarray:
    """Per ledger row: a 简易程序 fine (``is_summary_fine``: no case, recorded as such, within its
    limit). Only rows with a fine and no case can be one, so only those texts are read."""
    out = np.zeros(len(ledger), dtype=bool)
    maybe = np.flatnonzero((fines > 0) & ~has_case)
    if len(maybe):
        cols = [ledger[c].to_numpy(dtype=object)[maybe]
                for c in ("case_no", "other_handling", "legal_basis", "remarks")]
        out[maybe] = [is_summary_fine(f, *texts) for f, *texts in zip(fines[maybe].tolist(), *cols, strict=True)]
    return out


def _nonblank(series: pd.Series) -> np.ndarray:
    return _by_unique(series, lambda text: text.strip() != "")


def _contains(series: pd.Series, word: str) -> np.ndarray:
    return _by_unique(series, lambda text: word in text)


def _bool(series: pd.Series) -> np.ndarray:
    if series.dtype == bool:
        return series.to_numpy()
    return series.astype(object).fillna(False).astype(bool).to_numpy()


class MetricsEngine:
    """Computes metrics for many periods of one dataset; prepares the ledger once.

    ``compute_metrics(dataset, ...)`` builds one per call; notebooks and batch jobs that
    need several periods keep one engine and call ``compute`` repeatedly.
    """

    def __init__(self, dataset: Dataset, config=None):
        self.dataset = dataset
        self.config = load_config(config)
        self.units: list[str] = [str(u) for u in dataset.units["unit"]] if len(dataset.units) else []
        self.groups = _Groups(dataset.units, self.units)
        sup = dataset.units["supervised_total"] if len(dataset.units) else pd.Series(dtype=float)
        own = pd.to_numeric(sup, errors="coerce").fillna(0).to_numpy(dtype=np.int64)
        self.supervised, self.supervised_total = self.groups.sums(own)  # a stock: each enterprise has one unit
        self.definitions = {d.id: self.config.apply(d) for d in list_metrics()}
        self.total_label = hierarchy.total_label(dataset.units) if len(dataset.units) else TOTAL_LABEL

    @cached_property
    def _ledger(self) -> _Ledger:
        return _Ledger(self.dataset, self.units)

    # -- ledger source -------------------------------------------------------------
    def components(self, period: Period) -> tuple[pd.DataFrame, pd.Series]:
        """Per-unit components (DataFrame) and the town's (Series) for ``period``."""
        L, nu, G = self._ledger, len(self.units), self.groups
        rows = np.flatnonzero(L.in_scope(period))  # the ledger rows of the scope
        unit, pair = L.unit[rows], L.pair[rows]
        per_unit: dict[str, np.ndarray] = {"supervised_total": self.supervised}
        total: dict[str, int] = {"supervised_total": int(self.supervised_total)}

        def by_unit(name: str, own: np.ndarray) -> None:
            # own: per unit, its own ledger's sum; a parent's and the total's: their leaves' (_Groups)
            grouped, whole = G.sums(own)
            if own.dtype.kind == "f":  # money in 1e-6 万元: stays float (see module doc)
                per_unit[name], total[name] = grouped, float(whole)
            else:
                per_unit[name], total[name] = grouped.astype(np.int64), int(whole)

        def summed(name: str, values: np.ndarray) -> None:
            sums = np.bincount(unit, weights=values[rows], minlength=nu)  # float64
            by_unit(name, sums if values.dtype.kind == "f" else sums.astype(np.int64))

        def distinct(name: str, pair_flag: np.ndarray) -> None:
            # Per unit and for the total: distinct enterprises over the unit's leaves (_Groups).
            per_unit[name], total[name] = G.distinct(L.pair_unit[pair_flag], L.pair_ent[pair_flag], L.n_ent)

        def pair_any(row_flag: np.ndarray | None) -> np.ndarray:
            flag = np.zeros(L.n_pairs, dtype=bool)
            flag[pair if row_flag is None else pair[row_flag[rows]]] = True
            return flag

        has_hazard = L.new_hazards > 0
        case_pairs, hazard_pairs = pair_any(L.has_case), pair_any(has_hazard)
        distinct("inspected", pair_any(None))
        distinct("inspected_in_registry", pair_any(L.in_registry))
        distinct("cases_filed", case_pairs)
        distinct("violating_enterprises", hazard_pairs)
        distinct("cases_among_violating", case_pairs & hazard_pairs)
        summed("hazards_found", L.new_hazards)
        summed("case_items", L.new_hazards * L.has_case)
        summed("rectification_orders", has_hazard.astype(np.int64))
        summed("fines_micro", L.fine_micro)
        # Rectified: the scope's new hazards whose status at the scope's end is rectified or closed.
        done = L.done_at(period.end)
        in_scope = np.zeros(L.n, dtype=bool)
        in_scope[rows] = True
        rectified = done & in_scope[L.hazard_row]
        by_unit("hazards_rectified", np.bincount(L.unit[L.hazard_row[rectified]], minlength=nu).astype(np.int64))
        # 查处: the scope's new hazards whose own row has a case or a 简易程序 fine, or escalated by a
        # 复查 penalty by the scope's end.
        end = np.datetime64(pd.Timestamp(period.end).date(), "D")
        handled = in_scope[L.hazard_row] & (L.penalised[L.hazard_row] | (L.escalated_day <= end))
        by_unit("handled_items", np.bincount(L.unit[L.hazard_row[handled]], minlength=nu).astype(np.int64))
        by_case = in_scope[L.hazard_row] & (L.has_case[L.hazard_row] | (L.case_escalated_day <= end))
        by_unit("case_handled_items", np.bincount(L.unit[L.hazard_row[by_case]], minlength=nu).astype(np.int64))
        for m, measure in HANDLING_METRICS.items():
            if measure == "家":
                distinct(m, pair_any(L.handling[m] > 0))
            else:
                summed(m, L.handling[m])
        summed("reports_verified", L.report.astype(np.int64))
        frame = pd.DataFrame(per_unit, index=pd.Index(self.units, name="unit"))[list(COMPONENTS)]
        return frame, pd.Series(total)[list(COMPONENTS)]

    def incomplete(self, period: Period) -> dict[str, dict[str, str]]:
        """Unit (and ``TOTAL_LABEL`` for the town) -> metric id -> why its ledger value is
        incomplete for ``period``: the scope holds cells intake could not read
        (``ledger.unreadable``) that feed the metric (``registry.CELL_COMPONENTS``). The value
        itself counts the cells that were read (a fine that reads 待定 adds nothing)."""
        L = self._ledger
        rows = np.flatnonzero(L.in_scope(period))
        per_unit: dict[str, dict[str, list[str]]] = {}
        town: dict[str, list[str]] = {}
        for key, flag in L.unreadable.items():
            hit = rows[flag[rows]]
            if not len(hit):
                continue
            label = LEDGER.column(key).header.split("(")[0]
            fed = set(CELL_COMPONENTS[key])
            metrics = [mid for mid, d in self.definitions.items() if fed & set(d.parts)]
            counts, whole = self.groups.sums(np.bincount(L.unit[hit], minlength=len(self.units)))
            for name, n in [*zip(self.units, counts, strict=True), (TOTAL_LABEL, whole)]:
                if n:
                    why = f"台账有 {int(n)} 处{label}无法识别，重算不完整"
                    target = town if name == TOTAL_LABEL else per_unit.setdefault(name, {})
                    for mid in metrics:
                        target.setdefault(mid, []).append(why)
        out = {u: {m: "；".join(w) for m, w in ms.items()} for u, ms in per_unit.items()}
        if town:
            out[TOTAL_LABEL] = {m: "；".join(w) for m, w in town.items()}
        return out

    def _from_components(self, frame: pd.DataFrame, total: pd.Series):
        values = {}
        for mid, d in self.definitions.items():
            if mid == "reports_verified" and self.config.reports_verified_ledger == "none":
                values[mid] = ([None] * len(frame), None)
            elif d.kind == "rate":
                col = [rate(n, dn) for n, dn in zip(frame[d.numerator], frame[d.denominator], strict=True)]
                values[mid] = (col, rate(total[d.numerator], total[d.denominator]))
            elif d.kind == "money":
                values[mid] = ([money_wan(v) for v in frame[d.component]], money_wan(total[d.component]))
            else:
                values[mid] = ([int(v) for v in frame[d.component]], int(total[d.component]))
        return values

    # -- entry point -----------------------------------------------------------------
    def compute(self, period, scope: str | None = None, source: str = "ledger") -> MetricsResult:
        """All metrics for ``period`` (``"2024-05"``, ``"2024Q2"``, ``"2024"`` or a Period); a
        quarter or year still in progress covers the months submitted (``within_data``)."""
        period = within_data(self.dataset, _as_period(period, scope))
        if source not in SOURCES:
            raise ParameterError("source", source, " | ".join(SOURCES))
        if source == "ledger":
            comp, comp_total = self.components(period)
            values, missing, not_applicable, as_of = self._from_components(comp, comp_total), {}, {}, {}
            incomplete = self.incomplete(period)
        else:
            comp = comp_total = None
            values, missing, not_applicable, as_of = _reported_values(self, period)
            incomplete = {}
        frame = pd.DataFrame(
            {mid: pd.array(col, dtype=_dtype(self.definitions[mid], col)) for mid, (col, _) in values.items()},
            index=pd.Index(self.units, name="unit"))
        total = pd.Series({mid: tot for mid, (_, tot) in values.items()}, dtype=object, name=TOTAL_LABEL)
        return MetricsResult(period, source, frame, total, dict(self.definitions), self.config,
                             comp, comp_total, missing, not_applicable, as_of, incomplete,
                             total_label=self.total_label)


class _Groups:
    """Each listed unit's leaves (``core.hierarchy.ledger_groups``) as index arrays, so that a
    parent's figures are computed from per-unit arrays in one vectorised pass: sums over its
    leaves, and distinct enterprises over the union of its leaves' (unit, enterprise) pairs.
    In a town folder every unit is its own only leaf and the root's leaves are every unit."""

    def __init__(self, units_frame: pd.DataFrame, units: list[str]):
        pos = {u: i for i, u in enumerate(units)}
        groups = hierarchy.ledger_groups(units_frame) if len(units) else {}
        top = hierarchy.root(units_frame) if len(units) else hierarchy.DEFAULT_ROOT
        gi, mi = [], []
        for i, u in enumerate(units):
            for m in groups.get(u, [u]):
                if m in pos:
                    gi.append(i)
                    mi.append(pos[m])
        self.n = len(units)
        self.group = np.asarray(gi, dtype=np.int64)
        self.member = np.asarray(mi, dtype=np.int64)
        self.identity = bool(np.array_equal(self.group, np.arange(self.n)) and
                             np.array_equal(self.member, np.arange(self.n)))
        self.in_total = np.zeros(self.n, dtype=bool)
        self.in_total[[pos[m] for m in groups.get(top, []) if m in pos]] = True
        order = np.argsort(self.member, kind="stable")  # member -> the groups it belongs to (CSR)
        self.groups_of = self.group[order]
        self.start = np.searchsorted(self.member[order], np.arange(self.n + 1))

    def sums(self, own: np.ndarray) -> tuple[np.ndarray, float | int]:
        """Per unit: the sum of ``own`` over its leaves; and the root's."""
        whole = own[self.in_total].sum()
        if self.identity:
            return own, whole
        grouped = np.bincount(self.group, weights=own[self.member].astype(float), minlength=self.n)
        return (grouped if own.dtype.kind == "f" else np.rint(grouped).astype(np.int64)), whole

    def distinct(self, pair_unit: np.ndarray, pair_ent: np.ndarray, n_ent: int) -> tuple[np.ndarray, int]:
        """Per unit and for the root: distinct enterprises among the pairs (unit, enterprise)
        whose unit is one of its leaves (each pair is one leaf's enterprise, counted once)."""
        seen = np.zeros(n_ent, dtype=bool)
        seen[pair_ent[self.in_total[pair_unit]]] = True
        if self.identity:
            return np.bincount(pair_unit, minlength=self.n).astype(np.int64), int(seen.sum())
        counts = self.start[pair_unit + 1] - self.start[pair_unit]
        which = np.repeat(np.arange(len(pair_unit)), counts)
        offset = np.arange(len(which)) - np.repeat(np.cumsum(counts) - counts, counts)
        group = self.groups_of[self.start[pair_unit][which] + offset]
        keys = np.unique(group * n_ent + pair_ent[which])
        return np.bincount(keys // n_ent, minlength=self.n).astype(np.int64), int(seen.sum())


def _as_period(period, scope: str | None) -> Period:
    if isinstance(period, Period):
        if scope not in (None, period.kind):
            raise ParameterError("scope", scope, f"{period.kind}（或省略），因为 period 已是 Period")
        return period
    return parse_period(period, scope)


def _dtype(defn: MetricDef, col: list) -> str:
    if defn.kind in ("count", "distinct"):
        known = [v for v in col if v is not None]
        return "Int64" if all(float(v).is_integer() for v in known) else "Float64"
    return "Float64"


# --------------------------------------------------------------------------- reported source
def _reported_values(engine: MetricsEngine, period: Period):
    """Per unit, the 附件2 figures as submitted for the scope (docs/metrics.md, “报送口径”).

    month: the 本月数 row; ytd: the 累计数 row of the last month; year: the unit's latest
    累计数 row of the year (the year so far; ``as_of`` names a unit whose latest is before
    the period's last month); quarter: the months' 本月数 rows combined by each definition's
    ``reported_combine`` (sum, latest, cumulative: the last month's 累计数 when the span
    starts in January, else None; rates recomputed). A unit missing a needed row gets None
    for every metric. Returns (values, missing: unit -> periods, not_applicable: metric id
    -> the reason it is None, as_of: unit -> month).
    """
    fig = engine.dataset.figures
    keys = period.period_keys
    fig = fig[fig["unit"].isin(engine.units) & fig["period"].isin(keys)]
    fig = fig.drop_duplicates(["unit", "period", "kind"], keep="last")
    rows = {(r["unit"], r["period"], r["kind"]): r for r in fig.to_dict("records")}
    defs = list(engine.definitions.values())
    per_unit: list[dict] = []
    missing: dict[str, list[str]] = {}
    as_of: dict[str, str] = {}  # unit -> the earlier month its year figures stop at
    why: dict[str, dict[str, list[str]]] = {}  # metric -> reason -> units
    for unit in engine.units:
        if period.kind in ("month", "ytd"):
            kind = "本月数" if period.kind == "month" else "累计数"
            row = rows.get((unit, keys[-1], kind))
            if row is None:
                missing[unit] = [keys[-1]]
                per_unit.append(None)
            else:
                per_unit.append(_submitted_row(row, defs))
            continue
        if period.kind == "year":
            # 年度 = 年初以来: the unit's latest 累计数 row (a year in progress stops at its
            # latest month), so a month it missed does not void its year.
            latest = next((k for k in reversed(keys) if (unit, k, "累计数") in rows), None)
            if latest is None:
                missing[unit] = list(keys)
                per_unit.append(None)
                continue
            if latest != keys[-1]:
                as_of[unit] = latest
            per_unit.append(_submitted_row(rows[(unit, latest, "累计数")], defs))
            continue
        months = [rows.get((unit, k, "本月数")) for k in keys]
        if any(r is None for r in months):
            missing[unit] = [k for k, r in zip(keys, months, strict=True) if r is None]
            per_unit.append(None)
            continue
        cumulative = rows.get((unit, keys[-1], "累计数")) if period.months[0] == 1 else None
        out, reasons = _combined_rows(defs, months, cumulative, period)
        per_unit.append(out)
        for mid, reason in reasons.items():
            why.setdefault(mid, {}).setdefault(reason, []).append(unit)
    # A parent (town, 街道, city) that sent no 附件2 of its own: its units' rows combined, as the
    # total combines the root's (the same _reported_total); a parent's own row is what it reported.
    G = engine.groups
    leaves_of = {i: G.member[G.group == i] for i in range(len(engine.units))} if not G.identity else {}
    for i, unit in enumerate(engine.units):
        members = leaves_of.get(i)
        if per_unit[i] is not None or members is None or list(members) == [i]:
            continue
        sent = [per_unit[j] for j in members if per_unit[j] is not None]
        if sent:
            per_unit[i] = _combined_reported(defs, sent)
            missing.pop(unit, None)
            as_of.pop(unit, None)
    in_total = [v for v, t in zip(per_unit, G.in_total, strict=True) if v is not None and t]
    values = {}
    for d in defs:
        col = [None if v is None else v.get(d.id) for v in per_unit]
        values[d.id] = (col, _reported_total(d, in_total))
    submitted = len(engine.units) - len(missing)
    not_applicable = {
        mid: "；".join(r if len(units) == submitted else f"{r}（{'、'.join(units)}）" for r, units in rs.items())
        for mid, rs in why.items()}
    return values, missing, not_applicable, as_of


def _cell(row: dict, key: str):
    v = row.get(key)
    return None if is_missing(v) else float(v)


def _count(v):
    return None if v is None else (int(v) if float(v).is_integer() else v)


def _hidden(metric_id: str) -> str:
    # A rate whose numerator has no 附件2 column keeps the rebuilt numerator under this key.
    return f"{metric_id}:numerator"


def _submitted_row(row: dict, defs: list[MetricDef]) -> dict:
    """One 附件2 row as metric values: counts, 万元 to 4 d.p., rates as submitted (2 d.p.;
    None over a zero or blank denominator), rates not on the form recomputed."""
    out = {}
    for d in defs:
        if d.kind != "rate":
            out[d.id] = round_half_up(_cell(row, d.id), 4) if d.kind == "money" else _count(_cell(row, d.id))
    for d in defs:
        if d.kind != "rate":
            continue
        num, den = d.reported_pair
        if d.on_form:
            submitted, dv = _cell(row, d.id), out.get(den)
            out[d.id] = None if submitted is None or dv in (None, 0) else round_half_up(submitted, 2)
        else:
            out[d.id] = rate(out.get(num), out.get(den))
        if num is None:
            out[_hidden(d.id)] = _rebuilt_numerator(out[d.id], out.get(den))
    return out


def _rebuilt_numerator(submitted_rate, denominator):
    # The form has no column for the numerator (违法行为查处数): rebuild it from the rate to
    # sum over months and units. Over a denominator of 0 the numerator is 0 whatever the
    # (undefined) rate, so a month without hazards does not void its quarter.
    if denominator is not None and denominator == 0:
        return Decimal(0)
    return None if submitted_rate is None or denominator is None else _dec(submitted_rate) * _dec(denominator) / 100


def _sum(values):
    known = [v for v in values if v is not None]
    return None if len(known) < len(values) or not known else sum(known)


def _combined_rows(defs: list[MetricDef], months: list[dict], cumulative: dict | None,
                   period: Period) -> tuple[dict, dict[str, str]]:
    """A quarter or year from its months' 本月数 rows (and the last 累计数 row when the span
    starts in January), by each definition's ``reported_combine``; and the reasons of Nones."""
    subs = [_submitted_row(r, defs) for r in months]
    cum = _submitted_row(cumulative, defs) if cumulative is not None else None
    out: dict = {}
    reasons: dict[str, str] = {}
    for d in defs:
        if d.kind == "rate":
            continue
        vals = [s[d.id] for s in subs]
        if d.reported_combine == "sum":
            total = _sum(vals)
            out[d.id] = round_half_up(total, 4) if d.kind == "money" else _count(total)
        elif d.reported_combine == "latest":
            out[d.id] = vals[-1]
        elif cum is not None:  # cumulative
            out[d.id] = cum[d.id]
        else:
            out[d.id] = None
            why = ("家数（不同企业数）不能由各月本月数相加得出" if d.aggregation == "distinct"
                   else "后月的复查会闭合前月的隐患，各月本月数之和只是下限")
            reasons[d.id] = (f"{period.label}不从1月开始：{why}，附件2 无季度累计数"
                             if period.months[0] != 1 else f"未报送 {period.period_keys[-1]} 累计数行")
    for d in defs:
        if d.kind != "rate":
            continue
        num, den = d.reported_pair
        if num is None:
            out[_hidden(d.id)] = _sum([s[_hidden(d.id)] for s in subs])
        out[d.id] = rate(out[_hidden(d.id) if num is None else num], out[den])
        lost = [get_metric(p).name_zh for p in (num, den) if p in reasons]
        if out[d.id] is None and lost:
            reasons[d.id] = f"{'、'.join(lost)} 不适用"
    return out, reasons


def _combined_reported(defs: list[MetricDef], rows: list[dict]) -> dict:
    """Several units' reported rows as one (a parent that sent none): ``_reported_total`` per
    metric, and the rebuilt numerators summed so the parent can be combined again."""
    out = {d.id: _reported_total(d, rows) for d in defs}
    for d in defs:
        if d.kind == "rate" and d.reported_pair[0] is None:
            known = [r.get(_hidden(d.id)) for r in rows if r.get(_hidden(d.id)) is not None]
            out[_hidden(d.id)] = sum(known) if known else None
    return out


def _reported_total(defn: MetricDef, rows: list[dict]):
    """Town total over the units that submitted: sums, and rates from summed parts."""
    if not rows:
        return None
    if defn.kind == "rate":
        num, den = defn.reported_pair
        num = _hidden(defn.id) if num is None else num
        pairs = [(r[num], r[den]) for r in rows if r.get(num) is not None and r.get(den) is not None]
        return rate(sum(n for n, _ in pairs), sum(d for _, d in pairs)) if pairs else None
    known = [r.get(defn.id) for r in rows if r.get(defn.id) is not None]
    if not known:
        return None
    return round_half_up(sum(known), 4) if defn.kind == "money" else _count(sum(known))


# --------------------------------------------------------------------------- result
@dataclass
class MetricsResult:
    """Metrics of every unit (``frame``: index unit, one column per metric id) and the town
    (``total``: Series by metric id). ``components`` hold the numerators/denominators
    (ledger source only); ``missing`` maps a unit to the periods it did not submit and
    ``not_applicable`` a metric id to the reason it is None where a number was expected,
    e.g. a 家 count of Q2 from monthly forms (reported source only). ``incomplete`` (ledger
    source) names, per unit and for the town, the metrics whose value counts only the cells
    intake could read (a fine that reads 待定)."""

    period: Period
    source: str
    frame: pd.DataFrame
    total: pd.Series
    definitions: dict[str, MetricDef]
    config: MetricsConfig
    components: pd.DataFrame | None = None
    components_total: pd.Series | None = None
    missing: dict[str, list[str]] = field(default_factory=dict)
    not_applicable: dict[str, str] = field(default_factory=dict)
    #: Year, reported source: unit -> the month its latest 累计数 row is from, where that is
    #: before the period's last month (its figures stop there: “截至10月”).
    as_of: dict[str, str] = field(default_factory=dict)
    #: Ledger source: unit (``TOTAL_LABEL`` for the town) -> metric id -> the reason its value
    #: is incomplete, e.g. fines_wan over a scope with a fine intake could not read
    #: (“台账有 1 处罚款金额无法识别，重算不完整”). The value counts what was read.
    incomplete: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The total's name as printed: 全镇合计 for a town folder, 全市合计 for a city's (``hierarchy.total_label``).
    total_label: str = TOTAL_LABEL

    def readings(self, unit: str) -> dict[str, list[float | None]]:
        """Other readings of the form's rates that ``unit``'s 附件2 (``TOTAL_LABEL``: the total's)
        may have followed, for ``audit.reconcile.held_to``: 检查覆盖率 by the formula 附件2 备注2
        prints (现场监督检查企业数 / 监管企业总数, enterprises outside the unit's registry included);
        违法行为查处率 by every reading of ``VIOLATION_HANDLING_VARIANTS`` (its footnote is garbled:
        each is a reading a unit may take). Empty without components (the reported source)."""
        if unit == TOTAL_LABEL:
            comp = self.components_total
        elif self.components is not None and unit in self.components.index:
            comp = self.components.loc[unit]
        else:
            comp = None
        if comp is None:
            return {}
        return {"coverage_rate": [rate(comp.get("inspected"), comp.get("supervised_total"))],
                "violation_handling_rate": [rate(comp.get(num), comp.get(den))
                                            for num, den, _ in VIOLATION_HANDLING_VARIANTS.values()]}

    def for_units(self, units: list[str], total_of: str | None = None, label: str | None = None) -> MetricsResult:
        """The same result with only ``units``' rows (``--level``/``--unit``, ``hierarchy.select_units``)
        and, when ``total_of`` is a listed unit, that unit's figures as the total (``label``)."""
        keep = [u for u in units if u in self.frame.index]
        out = dataclasses.replace(self, frame=self.frame.loc[keep],
                                  components=None if self.components is None else self.components.loc[keep],
                                  missing={u: v for u, v in self.missing.items() if u in keep},
                                  as_of={u: v for u, v in self.as_of.items() if u in keep})
        if total_of is not None and total_of in self.frame.index:
            total = self.frame.loc[total_of].astype(object).rename(TOTAL_LABEL)
            inc = {u: v for u, v in self.incomplete.items() if u in keep}
            if total_of in self.incomplete:
                inc[TOTAL_LABEL] = self.incomplete[total_of]
            comp_total = None if self.components is None else self.components.loc[total_of]
            out = dataclasses.replace(out, total=total, components_total=comp_total, incomplete=inc,
                                      total_label=label or f"{total_of}合计")
        return out

    def is_incomplete(self, unit: str, metric_id: str) -> str | None:
        """The reason ``metric_id`` of ``unit`` (or ``TOTAL_LABEL``) is incomplete, else None."""
        return self.incomplete.get(unit, {}).get(metric_id)

    @property
    def scope(self) -> str:
        return self.period.kind

    def table(self) -> pd.DataFrame:
        """``frame`` with the town total appended as the row ``全镇合计`` (object dtype)."""
        return pd.concat([self.frame.astype(object), self.total.to_frame().T])

    def to_dict(self) -> dict:
        """The JSON structure of ``evalkit metrics --json``; None for 不适用 or 未报送.

        ``not_applicable`` (metric id -> reason) is present only when some metric could
        not be derived (reported source, a quarter not starting in January)."""
        out = {
            "period": self.period.text,
            "scope": self.scope,
            "source": self.source,
            "units": {str(u): {m: _py(v) for m, v in row.items()} for u, row in self.frame.iterrows()},
            "total": {m: _py(v) for m, v in self.total.items()},
        }
        if self.not_applicable:
            out["not_applicable"] = dict(self.not_applicable)
        if self.period.through:
            out["through"] = f"{self.period.year}-{self.period.through:02d}"
        if self.as_of:
            out["as_of"] = dict(self.as_of)
        if self.incomplete:
            out["incomplete"] = {u: dict(ms) for u, ms in self.incomplete.items()}
        return out

    def _cell(self, unit: str, metric_id: str, value) -> str:
        shown = _show(self.definitions[metric_id], value)
        return shown + INCOMPLETE_MARK if self.is_incomplete(unit, metric_id) else shown

    def headers_by_reason(self) -> dict[str, list[str]]:
        """``not_applicable`` grouped: reason -> the column headers it applies to."""
        out: dict[str, list[str]] = {}
        for mid, reason in self.not_applicable.items():
            out.setdefault(reason, []).append(self.definitions[mid].header)
        return out

    def to_text(self) -> str:
        """Readable tables with Chinese headers, one per 附件2 column group; a value marked
        ``INCOMPLETE_MARK`` is incomplete (``incomplete``, reason under the tables)."""
        src = "附件1台账重算" if self.source == "ledger" else "附件2报送数"
        lines = [f"执法提升专项行动指标 {self.period.label}（来源：{src}）", ""]
        for title, ids in text_groups(self.definitions.values()):
            headers = ["单位", *[self.definitions[i].header for i in ids]]
            body = []
            for unit, row in self.frame.iterrows():
                if unit in self.missing:
                    body.append([str(unit), *[NOT_SUBMITTED] * len(ids)])
                else:
                    body.append([str(unit), *[self._cell(unit, i, row[i]) for i in ids]])
            body.append([self.total_label, *[self._cell(TOTAL_LABEL, i, self.total[i]) for i in ids]])
            right = [False] + [True] * len(ids)
            lines += [f"【{title}】", format_table(headers, body, right=right), ""]
        vhr = self.definitions.get("violation_handling_rate")
        if vhr is not None and self.source == "ledger":
            lines.append(f"违法行为查处率口径：{vhr.formula}（配置：{self.config.path}）")
        if self.missing:
            lines.append(f"未报送：{'、'.join(self.missing)}（{self.total_label}只含已报送单位）")
        if self.as_of:
            earlier = "、".join(f"{u}（截至{int(k[5:])}月）" for u, k in self.as_of.items())
            lines.append(f"累计数截至较早月份：{earlier}")
        lines += [f"{'、'.join(headers)} {NOT_APPLICABLE}：{reason}"
                  for reason, headers in self.headers_by_reason().items()]
        for unit, ms in self.incomplete.items():
            lines += [f"{INCOMPLETE_MARK} {unit} {self.definitions[m].header}：{why}" for m, why in ms.items()]
        lines.append(f"{NOT_APPLICABLE}：分母为0或无法计算。")
        return "\n".join(lines).rstrip()


def _py(value):
    """A JSON-ready Python value: NA/NaN -> None, numpy scalars -> int/float."""
    if is_missing(value):
        return None
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value)
    return value


def _show(defn: MetricDef, value) -> str:
    return format_value(value, defn.text_kind, percent_sign=False)  # the header says (%)


# --------------------------------------------------------------------------- entry points
def compute_metrics(dataset: Dataset | MetricsEngine, period, *, scope: str | None = None,
                    source: str = "ledger", config=None) -> MetricsResult:
    """Every registered metric for every unit and the town, for one period and scope.

    dataset  a Dataset (or a MetricsEngine to reuse its prepared ledger)
    period   "2024-05", "2024Q2", "2024" or a Period
    scope    month | ytd | quarter | year (for a month period; default month)
    source   ledger (recomputed from 附件1) | reported (附件2 as submitted)
    config   None (config/metrics.yaml), a YAML path, a dict or a MetricsConfig
    """
    if isinstance(dataset, MetricsEngine):
        engine = dataset if config is None else MetricsEngine(dataset.dataset, config)
    else:
        engine = MetricsEngine(dataset, config)
    return engine.compute(period, scope=scope, source=source)


def _metric_function(metric_id: str) -> Callable:
    defn = get_metric(metric_id)

    def metric(dataset: Dataset | MetricsEngine, period, *, scope: str | None = None,
               unit: str | None = None, source: str = "ledger", config=None):
        result = compute_metrics(dataset, period, scope=scope, source=source, config=config)
        if unit is None:
            return _py(result.total[metric_id])
        if unit not in result.frame.index:
            raise ParameterError("unit", unit, "、".join(map(str, result.frame.index)) or "（无单位）")
        return _py(result.frame.at[unit, metric_id])

    metric.__name__ = metric.__qualname__ = metric_id
    metric.__doc__ = defn.doc
    return metric


# sklearn.metrics style: one plain function per registered metric (``coverage_rate(ds, ...)``),
# made on first access from its definition, so a metric registered later has one too.
_FUNCTIONS: dict[str, Callable] = {}


def __getattr__(name: str):
    if name in _REGISTRY:
        if name not in _FUNCTIONS:
            _FUNCTIONS[name] = _metric_function(name)
        return _FUNCTIONS[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_REGISTRY))
