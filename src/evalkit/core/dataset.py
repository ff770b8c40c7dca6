"""The consolidated, validated data of one data folder: what intake hands on.

``evalkit.intake.loader.load(data_dir)`` returns a ``Dataset``. Everything downstream
(metrics, audit, scoring, cases, exports, notebooks) reads only this object, never
the workbooks. Its tables, and the columns each one is guaranteed to have:

enterprises  the 企业名录 (registry/enterprises.csv|xlsx), one row per enterprise
    name (str, 企业名称), credit_code (str|None, 统一社会信用代码), industry (str, 行业),
    unit (str, 监管单位), key_industry (str|None: the key-industry name, None if not
    key), risk_level (str, 风险等级)
units        one row per reporting unit
    unit (str), kind ("村" | "社区" | "部门" keep a ledger; "镇" | "街道" | "市" consolidate),
    supervised_total (int: registry enterprises whose unit is it), parent (str|None: 上级单位
    from units.csv; None = reports to the root, see ``core.hierarchy``)
plan         the 年度执法计划 (registry/plan.csv|xlsx; empty frame if absent)
    name (str, 企业名称), unit (str), month (int 1-12, 计划月份), method ("重点检查" | "双随机")
submissions  one row per recognised (file, sheet)
    file (str, relative to data_dir), sheet (str), form ("ledger" | "figures"), unit (str|None),
    year (int|None), month (int|None), period (str "YYYY-MM"|None), filled_date (date|None,
    填报日期), received (date|None), late (bool), rows_read, rows_accepted, rows_rejected (int)
files        one row per file under submissions/
    file, rows_read, rows_accepted, rows_rejected (int); rows_read = accepted + rejected
ledger       accepted 附件1 rows, one per inspection
    row_id (str "file#sheet#row"), file, sheet, row (Excel row), unit, year, month, period,
    seq (int|None), enterprise (str as written, cleaned of spaces), enterprise_name (str:
    the registry name it matched, else the written name), registered (bool),
    inspection_date (Timestamp), inspectors (list[str]), inspector_count (int),
    hazards (list[str]), rectifications (list[str]), case_no (str|None), fine_wan
    (float|NaN; NaN = cell blank, or unknown when ``unreadable`` names it), legal_basis
    (str|None), other_handling (str|None), remarks (str|None), is_recheck (bool: 备注 or
    完成整改情况 marks the row as a 复查), unreadable (str|None: the keys of the cells intake
    could not read but kept the row for, ";"-joined, e.g. "fine_wan" for a fine reading 待定;
    such a cell is unknown, not 0, and the metrics it feeds are marked incomplete), via
    (str|None: the consolidating unit whose consolidated 附件1 the row was read from, else None)
items        one row per 违法行为(隐患) item of an accepted ledger row
    row_id, item_no (1-based), hazard (str), rectification (str|None: the paired
    完成整改情况 item), plus unit, period, enterprise_name, inspection_date, case_no,
    is_recheck copied from the ledger row for convenience, and:
    status ("rectified" | "pending" | "overdue" | None when the text says nothing),
    deadline (Timestamp: a date written in the text, else a period written relative to the
    inspection such as 7日内, else inspection_date + 30 days), deadline_basis ("written" |
    "relative" | "assumed": which of the three, ``intake.cells.deadline_with_basis``),
    counts_as_hazard (bool: False for a 复查 item linked to an earlier item),
    closed_by (row_id of the later 复查 row that found it rectified, else None),
    closed_date (Timestamp|NaT), rectified (bool: status == "rectified" or closed_by set)
    See docs/design.md for the 复查 convention and the rectification vocabulary.
figures      accepted 附件2 rows: two per submission (本月数 and 累计数); a consolidated form gives two per
    unit it lists and the 合计 pair
    file, sheet, row, unit, year, month, period, kind ("本月数" | "累计数"), then one
    column per ``forms.FIGURES`` key (supervised_total … reports_verified), float|NaN (blank,
    不适用, - and — all read NaN: not applicable, never 0), via (str|None, see below)
    ``via`` (figures and ledger): None for a row of a unit's own submission; the consolidating
    unit (e.g. "蚶江镇") for a row read from its consolidated form, whose ``unit`` is the unit the
    row names (the village). A consolidated 附件2's 合计 pair is the consolidating unit's own
    figures row (unit "蚶江镇", via None). See ``intake.consolidated``.
rejected     every rejected input row, kept whole
    file, sheet, row, form, reason (the rule ids, ";"-joined), values (dict of header -> raw text)
problems     ``problems.problems_frame`` columns: file, sheet, row, column, rule,
    severity, message, value
superseded   accepted rows a consolidating unit relayed for a unit that also sent its own
    original of the same form and month: the original wins, these are not counted (not in
    ledger or figures) and are kept to reconcile the consolidating unit's 合计 (docs/intake.md §6)
    file, sheet, row, form, unit, via, year, month, period, kind (附件2: 本月数|累计数, else None),
    superseded_by (the original's file), then the ``forms.FIGURES`` keys (附件2 rows; NaN for 附件1)
Rows read = accepted + rejected per file; accepted = ledger + figures + superseded rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalkit.core.forms import FIGURES
from evalkit.exceptions import PeriodNotCoveredError

#: The columns of ``Dataset.superseded`` (intake fills it; an empty one by default).
SUPERSEDED_COLUMNS = ["file", "sheet", "row", "form", "unit", "via", "year", "month", "period", "kind",
                      "superseded_by", *(c.key for c in FIGURES.columns if c.key != "label")]


@dataclass
class Dataset:
    data_dir: Path
    enterprises: pd.DataFrame
    units: pd.DataFrame
    plan: pd.DataFrame
    submissions: pd.DataFrame
    files: pd.DataFrame
    ledger: pd.DataFrame
    items: pd.DataFrame
    figures: pd.DataFrame
    rejected: pd.DataFrame
    problems: pd.DataFrame
    meta: dict = field(default_factory=dict)
    superseded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SUPERSEDED_COLUMNS))

    @property
    def rows_read(self) -> int:
        return int(self.files["rows_read"].sum()) if len(self.files) else 0

    @property
    def rows_accepted(self) -> int:
        return int(self.files["rows_accepted"].sum()) if len(self.files) else 0

    @property
    def rows_rejected(self) -> int:
        return int(self.files["rows_rejected"].sum()) if len(self.files) else 0

    @property
    def error_count(self) -> int:
        return int((self.problems["severity"] == "error").sum()) if len(self.problems) else 0

    def summary(self) -> dict:
        """The counts ``evalkit validate --json`` prints (problems excluded)."""
        return {
            "files": int(len(self.files)),
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
        }


# --------------------------------------------------------------------------- coverage
def covered_months(ds: Dataset) -> list[str]:
    """The months ("YYYY-MM", sorted) for which the data holds any accepted form: a
    submission sheet, a ledger row or a 附件2 row."""
    months: set[str] = set()
    for frame in (ds.submissions, ds.ledger, ds.figures):
        if len(frame) and "period" in frame:
            # distinct values first: a national ledger holds a million rows and a dozen months
            months.update(str(p) for p in frame["period"].dropna().unique())
    return sorted(m for m in months if len(m) == 7 and m[4] == "-")


def describe_months(months: list[str]) -> str:
    """Runs of consecutive months in Chinese: ["2024-01", …, "2024-11"] -> "2024年1—11月";
    several runs are joined with 、; no months -> "（无任何月份）"."""
    runs: list[list[tuple[int, int]]] = []
    for m in months:
        year, month = int(m[:4]), int(m[5:])
        if runs and runs[-1][-1][0] == year and runs[-1][-1][1] == month - 1:
            runs[-1].append((year, month))
        else:
            runs.append([(year, month)])
    if not runs:
        return "（无任何月份）"
    return "、".join(f"{r[0][0]}年{r[0][1]}月" if len(r) == 1 else f"{r[0][0]}年{r[0][1]}—{r[-1][1]}月" for r in runs)


def within_data(ds: Dataset, period):
    """``period`` (a ``core.periods.Period``) as far as the data goes: a quarter, year or
    ytd running past the latest month any unit submitted is cut there (``Period.up_to``;
    label “2024年（截至11月）”), so it covers what was submitted and never an empty month.
    A period of another year than the latest is unchanged (that year is over or has no data)."""
    months = covered_months(ds)
    if not months:
        return period
    year, month = int(months[-1][:4]), int(months[-1][5:])
    return period.up_to(month) if period.year == year else period


def require_covered(ds: Dataset, period) -> None:
    """``PeriodNotCoveredError`` when no month of ``period`` (a ``core.periods.Period``) is
    covered by the data; a period that overlaps the data (a year in progress) is fine."""
    months = covered_months(ds)
    if not set(period.period_keys) & set(months):
        raise PeriodNotCoveredError(period.label, describe_months(months))
