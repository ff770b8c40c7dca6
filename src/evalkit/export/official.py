"""Official Excel outputs of a month: ``evalkit export DATA_DIR --period 2024-06``.

``export_period(dataset, "2024-06", out_dir)`` writes, under ``out_dir/2024-06/``
(see ``ExportPaths`` and docs/export.md for the exact names)::

    excel/附件2_全镇汇总_2024-06.xlsx       统计表（二）, every unit's 本月数 and 累计数 and 合计
    excel/附件1_全镇台账_2024-06.xlsx       统计表（一）, sheet 全镇 + one official sheet per unit
    disclosure/阳光执法_行政处罚公示_2024-06.xlsx|.csv
    disclosure/信用推送_黑名单联合惩戒_2024-06.xlsx|.csv
    templates/2024-07/统计表_<单位>_2024-07.xlsx   next month's fill-in template, one per unit

附件2 figures come from ``evalkit.metrics.engine.compute_metrics`` with ``source="ledger"``
(scope ``month`` for 本月数, ``ytd`` for 累计数); the 合计 rows are its ``.total``.
Nothing is recomputed here. Where a unit's own 附件2 row says something else
(``evalkit.audit.reconcile.differs``, the audit's rule 1), the cell carries a comment
(批注) with the reported value.

Each unit's two rows share the 单位 column as ``"<单位> 本月数"`` / ``"<单位> 累计数"``,
so the sheet keeps the official columns; ``read_consolidated_figures`` reads it back.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook

from evalkit._text import BLANK, INCOMPLETE, NOT_APPLICABLE, format_value, is_missing
from evalkit.audit.reconcile import COMPARED, SCOPE_OF_ROW, verdict
from evalkit.core import hierarchy
from evalkit.core.atomic import TMP_SUFFIX, save_workbook
from evalkit.core.file_names import file_stems, safe_stem
from evalkit.core.form_writer import SheetLayout, write_figures_sheet
from evalkit.core.forms import FIGURES, LEDGER
from evalkit.core.hierarchy import DEFAULT_ROOT
from evalkit.core.outdir import output_lock
from evalkit.core.periods import Period, parse_period
from evalkit.exceptions import ParameterError
from evalkit.export import xlsx_style as style
from evalkit.export.disclosure import export_disclosure
from evalkit.export.fill_in import write_unit_templates
from evalkit.export.ledger_stream import (  # noqa: F401  (LEDGER_* are part of this module's interface)
    ALL_UNITS_SHEET,
    LEDGER_COLUMN_STYLES,
    LEDGER_NOTES,
    LedgerJob,
    month_ledger,
    write_consolidated_ledger,
)
from evalkit.export.ordering import unit_order
from evalkit.intake.cells import split_items, split_persons
from evalkit.metrics.engine import TOTAL_LABEL as TOWN_TOTAL
from evalkit.metrics.engine import MetricsEngine, compute_metrics

REGION = DEFAULT_ROOT  # a town folder's root; export_period reads the folder's (core.hierarchy.root)
#: From this many ledger rows in the month, the consolidated 附件1 (the largest output, all
#: Python work) is written by a second process while this one writes the lists and the
#: templates (``ledger_stream.LedgerJob``): on the 2-core machine a 200,000-row export takes
#: a third less time. A smaller month is written in this process (starting one costs about
#: two seconds).
LEDGER_WORKER_ROWS = 20_000
TOTAL_LABEL = "合计"
FIGURES_SHEET = "统计表二"
MONTH_LABEL, CUMULATIVE_LABEL = FIGURES.row_labels  # 本月数, 累计数
_UNIT_IN_REMARKS = re.compile(r"^【([^】]+)】")

FIGURES_NOTES = (
    "说明：1. 本表各单位“本月数”“累计数”由各单位报送的统计表（一）台账逐条汇总计算（evalkit metrics，"
    "来源 ledger），“合计”为全镇汇总；比率为百分数（保留两位小数），分母为零时填“不适用”。",
    "2. 单元格带批注的，表示该单位自行报送的统计表（二）数字与台账汇总数不一致，批注内为其报送数。",
)


@dataclass(frozen=True)
class ExportPaths:
    """Where ``export_period`` writes the outputs of one month (predictable names)."""

    root: Path
    period: str  # YYYY-MM
    next_period: str  # YYYY-MM of the templates
    #: unit -> file stem (``core.file_names.file_stems`` over every unit, so no two clash)
    unit_stems: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def excel_dir(self) -> Path:
        return self.root / "excel"

    @property
    def disclosure_dir(self) -> Path:
        return self.root / "disclosure"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates" / self.next_period

    @property
    def figures(self) -> Path:
        return self.excel_dir / f"附件2_全镇汇总_{self.period}.xlsx"

    @property
    def ledger(self) -> Path:
        return self.excel_dir / f"附件1_全镇台账_{self.period}.xlsx"

    @property
    def penalties_xlsx(self) -> Path:
        return self.disclosure_dir / f"阳光执法_行政处罚公示_{self.period}.xlsx"

    @property
    def penalties_csv(self) -> Path:
        return self.penalties_xlsx.with_suffix(".csv")

    @property
    def credit_xlsx(self) -> Path:
        return self.disclosure_dir / f"信用推送_黑名单联合惩戒_{self.period}.xlsx"

    @property
    def credit_csv(self) -> Path:
        return self.credit_xlsx.with_suffix(".csv")

    @property
    def review_dir(self) -> Path:
        """Internal files (they hold personal data): never published with disclosure/."""
        return self.root / "review"

    @property
    def review_xlsx(self) -> Path:
        return self.review_dir / f"阳光执法清单脱敏核对_内部_{self.period}.xlsx"

    def template(self, unit: str) -> Path:
        stem = self.unit_stems.get(unit) or safe_stem(unit, "单位")
        return self.templates_dir / f"统计表_{stem}_{self.next_period}.xlsx"


def month_period(period: str | Period) -> Period:
    """``period`` as a single month; anything else is a ParameterError."""
    p = period if isinstance(period, Period) else parse_period(str(period))
    if p.kind != "month":
        raise ParameterError("period", getattr(period, "text", period), "一个月份，如 2024-06")
    return p


def next_month(period: str | Period) -> Period:
    """The month after ``period`` (2024-12 -> 2025-01)."""
    p = month_period(period)
    year, month = (p.year + 1, 1) if p.last_month == 12 else (p.year, p.last_month + 1)
    return parse_period(f"{year}-{month:02d}")


def export_paths(out_dir: str | Path, period: str | Period, units: Sequence[str] = ()) -> ExportPaths:
    """The output paths of ``period`` under ``out_dir`` (nothing is written); ``units``
    (all of them) makes the template names unique even where two names clean alike."""
    p = month_period(period)
    return ExportPaths(Path(out_dir) / p.text, p.text, next_month(p).text, file_stems(units, "单位"))


def export_period(dataset, period: str | Period, out_dir: str | Path = "outputs", *,
                  filled_date: dt.date | None = None, region: str | None = None) -> list[Path]:
    """Write all official outputs of ``period`` (a month) and return their paths.

    Order: 附件2, 附件1, penalty disclosure (xlsx, csv), credit push (xlsx, csv), the internal
    masking review (review/, holds personal data: not for publication), then one
    template per unit for the next month, in the order of ``dataset.units``.
    ``filled_date`` is printed as 填报日期 (default: today). A month of at least
    ``LEDGER_WORKER_ROWS`` rows has its 附件1 written by a worker process meanwhile.
    """

    p = month_period(period)
    region = region or hierarchy.root(dataset.units)
    paths = export_paths(out_dir, p, unit_order(dataset))
    with output_lock(out_dir, "evalkit export"):  # one writer per output folder (core.outdir)
        for folder in (paths.excel_dir, paths.disclosure_dir, paths.review_dir, paths.templates_dir):
            folder.mkdir(parents=True, exist_ok=True)
            for leftover in folder.glob(f".*{TMP_SUFFIX}"):  # of an export killed half-way
                leftover.unlink(missing_ok=True)
        filled_date = filled_date or dt.date.today()
        units = unit_order(dataset)

        write_figures_workbook(paths.figures, period=p, region=region, units=units,
                               **figures_inputs(dataset, p))
        month = month_ledger(dataset.ledger, p)
        ledger = {"period": p, "units": units, "region": region, "filled_date": filled_date}
        if len(month) < LEDGER_WORKER_ROWS:
            write_consolidated_ledger(paths.ledger, month, **ledger)
            rest = _lists_and_templates(dataset, p, paths)
        else:
            job = LedgerJob(paths.ledger, month, **ledger)  # a second process writes it meanwhile
            try:
                rest = _lists_and_templates(dataset, p, paths)
            except BaseException:
                job.stop()  # before the lock goes
                raise
            job.wait()  # raises the worker's error, the lock still held
        written = [paths.figures, paths.ledger, *rest]
        if hierarchy.kind_of(dataset.units, region) == "市":  # a city folder: the city's own 附件2 too
            city = paths.excel_dir / f"附件2_{safe_stem(region)}汇总_{p.text}.xlsx"
            written.insert(1, write_level_figures(dataset, p, city, region))
    return written


def _lists_and_templates(dataset, period: Period, paths: ExportPaths) -> list[Path]:
    """The disclosure lists, the masking review and next month's templates (their paths)."""
    return [*export_disclosure(dataset, period, paths), *write_unit_templates(dataset, next_month(period), paths)]


# --------------------------------------------------------------------------- 附件2
def figures_inputs(dataset, period: Period) -> dict:
    """The metric tables the consolidated 附件2 shows, from ``compute_metrics``, and the
    units' own 附件2 rows of the month to compare them with (the cells as written, as the
    audit compares them; a unit without a row is absent)."""
    engine = MetricsEngine(dataset, None)  # prepared once, used for the four tables
    month = compute_metrics(engine, period.text, scope=SCOPE_OF_ROW[MONTH_LABEL], source="ledger")
    ytd = compute_metrics(engine, period.text, scope=SCOPE_OF_ROW[CUMULATIVE_LABEL], source="ledger")
    rep_month = compute_metrics(engine, period.text, scope="month", source="reported")
    rep_ytd = compute_metrics(engine, period.text, scope="ytd", source="reported")
    # The reported town total covers only the units that submitted: compare it with
    # ours only when every unit did.
    return {
        "month": month.frame, "cumulative": ytd.frame,
        "month_total": month.total, "cumulative_total": ytd.total,
        "reported_month": _submitted(dataset.figures, period, MONTH_LABEL),
        "reported_cumulative": _submitted(dataset.figures, period, CUMULATIVE_LABEL),
        "reported_month_total": None if rep_month.missing else rep_month.total,
        "reported_cumulative_total": None if rep_ytd.missing else rep_ytd.total,
        "month_incomplete": month.incomplete, "cumulative_incomplete": ytd.incomplete,
    }


def export_level_figures(dataset, period: str | Period, out_dir: str | Path = "outputs", *,
                         unit: str | None = None, level: str | None = None) -> Path:
    """The consolidated 附件2 one level up (``evalkit export --level``/``--unit``): one 本月数/累计数
    pair per unit that reports to ``unit`` (default the root: the towns, 街道 and city departments
    of a city folder; ``level`` narrows them, ``hierarchy.select_units``) and that unit's own
    figures as the total row (全市合计 for the city, ``hierarchy.total_label``). Every figure is
    the metrics' (``MetricsEngine``: a town's is the union of its units' ledgers), compared with
    what each unit reported as ``write_figures_workbook`` does. Returns the path written:
    ``excel/附件2_<unit>汇总_<period>.xlsx``."""
    p = month_period(period)
    top = unit or hierarchy.root(dataset.units)
    path = Path(out_dir) / p.text / "excel" / f"附件2_{safe_stem(top)}汇总_{p.text}.xlsx"
    with output_lock(out_dir, "evalkit export"):
        return write_level_figures(dataset, p, path, top, level)


def write_level_figures(dataset, p: Period, path: Path, top: str, level: str | None = None) -> Path:
    """``export_level_figures``' workbook, written to ``path`` (the caller holds the output lock)."""
    tree = hierarchy.Tree(dataset.units)
    rows = hierarchy.select_units(dataset.units, level, top) if level else tree.children.get(top, [])
    if tree.keeps_ledger(top):
        rows = [top]
    elif rows == [top]:  # --level 市 (the root's own level): its units, as without --level
        rows = tree.children.get(top, [])
    inputs = figures_inputs(dataset, p)
    for key in ("month", "cumulative"):  # the chosen unit's own row is the total
        frame = inputs[key]
        if top in frame.index:
            inputs[f"{key}_total"] = frame.loc[top].astype(object)
    for key in ("month", "cumulative"):
        reported = compute_metrics(dataset, p.text, scope=SCOPE_OF_ROW[MONTH_LABEL if key == "month"
                                                                        else CUMULATIVE_LABEL], source="reported")
        inputs[f"reported_{key}_total"] = (reported.frame.loc[top].astype(object)
                                           if top in reported.frame.index else inputs[f"reported_{key}_total"])
        inputs[f"{key}_incomplete"] = {**inputs[f"{key}_incomplete"],
                                       TOWN_TOTAL: inputs[f"{key}_incomplete"].get(top, {})}
    return write_figures_workbook(path, period=p, units=rows, region=top,
                                  total_label=hierarchy.total_label(dataset.units, top), **inputs)


def _submitted(figures: pd.DataFrame | None, period: Period, label: str) -> pd.DataFrame:
    """The units' 附件2 ``label`` rows of ``period`` as written (index unit, FIGURES keys)."""
    keys = [c.key for c in COMPARED]
    if figures is None or figures.empty:
        return pd.DataFrame(columns=keys, index=pd.Index([], name="unit"))
    rows = figures[(figures["period"] == period.text) & (figures["kind"] == label)]
    return rows.drop_duplicates("unit", keep="last").set_index("unit")[keys]


def figure_cell_value(key: str, value):
    """What a 附件2 cell holds for metric ``key``: a number, 不适用 for an undefined rate,
    None (blank) for a missing count. Whole numbers are written as int."""
    kind = FIGURES.column(key).kind
    if is_missing(value):
        return NOT_APPLICABLE if kind == "rate" else None
    value = float(value)
    if kind == "count" and value.is_integer():
        return int(value)
    return value


def _row_values(frame: pd.DataFrame | None, unit: str) -> dict | None:
    if frame is None or unit not in frame.index:
        return None
    row = frame.loc[unit]
    values = {key: row[key] for key in FIGURES.keys[1:] if key in row.index}
    if all(is_missing(v) for v in values.values()):
        return None
    return values


def _reported_row(frame: pd.DataFrame | None, unit: str) -> dict | None:
    """The unit's own 附件2 row as written; None when it sent none (a blank row is a row)."""
    if frame is None or unit not in frame.index:
        return None
    row = frame.loc[unit]
    return {key: row[key] for key in FIGURES.keys[1:] if key in row.index}


def _series_values(series: pd.Series | None) -> dict | None:
    if series is None:
        return None
    values = {key: series[key] for key in FIGURES.keys[1:] if key in series.index}
    return None if all(is_missing(v) for v in values.values()) else values


#: How a 附件2 column kind is printed in a cell comment (``_text.format_value``).
_TEXT_KIND = {"rate": "rate", "money_wan": "money", "count": "count"}


def _shown(key: str, value) -> str:
    kind = _TEXT_KIND[FIGURES.column(key).kind]
    return format_value(value, kind, missing=f"{BLANK}/{NOT_APPLICABLE}", percent_sign=False)


def write_figures_workbook(path: str | Path, *, period: Period, units: Sequence[str],
                           month: pd.DataFrame, cumulative: pd.DataFrame,
                           month_total: pd.Series, cumulative_total: pd.Series,
                           reported_month: pd.DataFrame | None = None,
                           reported_cumulative: pd.DataFrame | None = None,
                           reported_month_total: pd.Series | None = None,
                           reported_cumulative_total: pd.Series | None = None,
                           month_incomplete: Mapping[str, Mapping[str, str]] | None = None,
                           cumulative_incomplete: Mapping[str, Mapping[str, str]] | None = None,
                           region: str = REGION, total_label: str = TOTAL_LABEL) -> Path:
    """Write the town's consolidated 附件2 (统计表二) for ``period``.

    ``month``/``cumulative`` are ``MetricsResult.frame`` tables (index unit, columns
    metric ids); the totals their ``.total``. ``reported_month``/``reported_cumulative``
    are the units' own 本月数/累计数 rows (index unit; a unit absent sent none) and the
    reported totals ``.total`` with ``source="reported"``. A cell that
    ``evalkit.audit.reconcile.differs`` from the reported one gets a comment with the
    reported value, and a unit without its own 附件2 row gets a comment on its label cell.
    ``month_incomplete``/``cumulative_incomplete`` are the tables' ``MetricsResult.incomplete``:
    such a cell is not compared (``reconcile.verdict``) and its comment gives the reason.
    """
    rows: list[tuple[str, dict]] = []
    checks: list[tuple[dict | None, dict | None, Mapping[str, str]]] = []  # (ours, reported, incomplete)
    partial = {MONTH_LABEL: month_incomplete or {}, CUMULATIVE_LABEL: cumulative_incomplete or {}}
    for unit in units:
        for label, ours, theirs in (
            (MONTH_LABEL, _row_values(month, unit), _reported_row(reported_month, unit)),
            (CUMULATIVE_LABEL, _row_values(cumulative, unit), _reported_row(reported_cumulative, unit)),
        ):
            ours = ours or {}
            rows.append((f"{unit} {label}", {k: figure_cell_value(k, v) for k, v in ours.items()}))
            checks.append((ours, theirs, partial[label].get(unit, {})))
    for label, ours, theirs in (
        (MONTH_LABEL, _series_values(month_total), _series_values(reported_month_total)),
        (CUMULATIVE_LABEL, _series_values(cumulative_total), _series_values(reported_cumulative_total)),
    ):
        ours = ours or {}
        rows.append((f"{total_label} {label}", {k: figure_cell_value(k, v) for k, v in ours.items()}))
        checks.append((ours, theirs, partial[label].get(TOWN_TOTAL, {})))

    wb = Workbook()
    ws = wb.active
    ws.title = FIGURES_SHEET
    lay = write_figures_sheet(ws, unit=region, year=period.year, month=period.last_month, rows=rows)
    ncols = len(FIGURES.columns)
    for offset, (ours, theirs, incomplete) in enumerate(checks):
        r = lay.first_data_row + offset
        label_cell = ws.cell(r, 1)
        for c, key in enumerate(FIGURES.keys[1:], 2):
            if incomplete.get(key):  # partial whether or not the unit reported: say so
                reported = "" if theirs is None else f"单位报送数：{_shown(key, theirs.get(key))}\n"
                style.add_comment(ws.cell(r, c), f"{reported}台账汇总数{INCOMPLETE}：{incomplete[key]}")
        if theirs is None:
            if not str(label_cell.value).startswith(total_label):
                style.add_comment(label_cell, "该单位本期未报送统计表（二），无报送数可比对。")
            continue
        for c, key in enumerate(FIGURES.keys[1:], 2):
            if verdict(theirs.get(key), ours.get(key), FIGURES.column(key).kind,
                       incomplete=incomplete.get(key)) == "differs":
                style.add_comment(ws.cell(r, c), f"单位报送数：{_shown(key, theirs.get(key))}\n"
                                                  f"台账汇总数：{_shown(key, ours.get(key))}")
    _finish_figures_sheet(ws, lay, units, ncols, total_label)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(wb, path)
    return path


def _finish_figures_sheet(ws, lay: SheetLayout, units: Iterable[str], ncols: int,
                          total_label: str = TOTAL_LABEL) -> None:
    labels = [f"{u} {CUMULATIVE_LABEL}" for u in units]
    style.set_widths(ws, {1: max([12.0] + [style.text_width(t) + 3 for t in labels])})
    for r in range(lay.first_data_row, lay.last_data_row + 1):
        ws.cell(r, 1).alignment = style.CENTER
        if str(ws.cell(r, 1).value).startswith(total_label):
            for c in range(1, ncols + 1):
                ws.cell(r, c).font = style.Font(bold=True)
    notes_row = ws.max_row + 2
    style.write_note_lines(ws, notes_row, FIGURES_NOTES, ncols)
    style.fit_row_heights(ws, lay.first_data_row, lay.last_data_row)
    style.figures_header_height(ws, lay.header_row)
    style.setup_print(ws, title_rows=(lay.header_row - 1, lay.header_row), last_column=ncols)


def read_consolidated_figures(path: str | Path, sheet: str | None = None) -> pd.DataFrame:
    """Read a consolidated 附件2 back: one row per (unit, kind), columns unit, kind and the
    ``FIGURES`` metric ids (float; NaN where blank or 不适用).

    Also reads a unit's own 附件2 (labels 本月数/累计数; unit from 填报地区（部门）).
    """
    wb = load_workbook(path, data_only=True)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    top = next((i for i, r in enumerate(grid) if r and str(r[0] or "").strip() == FIGURES.columns[0].header),
               None)
    if top is None:
        raise ValueError(f"{path}: 找不到统计表（二）表头（“{FIGURES.columns[0].header}”列）")
    by_header = {_norm(c.header): c.key for c in FIGURES.columns}
    by_header.update({_norm(a): c.key for c in FIGURES.columns for a in c.aliases})
    keys: dict[int, str] = {}
    for j in range(len(grid[top])):
        for text in (grid[top + 1][j], grid[top][j]):
            if text is not None and _norm(text) in by_header:
                keys[j] = by_header[_norm(text)]
                break
    region = _meta_value(grid, FIGURES.unit_label)
    records = []
    for r in grid[top + 2:]:
        label = str(r[0] or "").strip()
        kind = next((k for k in FIGURES.row_labels if label.endswith(k)), None)
        if kind is None:
            break
        unit = label[: -len(kind)].strip() or region
        record = {"unit": unit, "kind": kind}
        for j, key in keys.items():
            if key != "label":
                record[key] = _number(r[j])
        records.append(record)
    return pd.DataFrame(records, columns=["unit", "kind", *FIGURES.keys[1:]])


def _norm(text) -> str:
    return re.sub(r"\s+", "", str(text)).replace("（", "(").replace("）", ")")


def _meta_value(grid, label: str) -> str | None:
    want = _norm(label)
    for row in grid[:4]:
        for cell in row:
            text = _norm(cell or "")
            if text.startswith(want):
                return text[len(want):].lstrip(":：") or None
    return None


def _number(value) -> float:
    if value is None or value == "" or value == NOT_APPLICABLE:
        return math.nan
    return float(value)


# --------------------------------------------------------------------------- 附件1
def write_ledger_workbook(path: str | Path, ledger: pd.DataFrame, *, period: Period,
                          units: Sequence[str], region: str = REGION,
                          filled_date: dt.date | str | None = None) -> Path:
    """Write the month's consolidated 附件1 (统计表一).

    Sheet ``全镇``: every unit's accepted rows, 填报部门 = the town, the unit written at
    the start of 备注 as ``【单位】``. Then one sheet per unit that has rows, each a
    plain official 附件1 (填报部门 = the unit) that ``evalkit.intake.loader`` reads as usual.
    Streamed to disk by ``export.ledger_stream`` (xlsxwriter): a month may have 200,000 rows.
    """
    return write_consolidated_ledger(path, ledger, period=period, units=units, region=region,
                                     filled_date=filled_date)


def read_consolidated_ledger(path: str | Path, sheet: str = ALL_UNITS_SHEET) -> pd.DataFrame:
    """Read the ``全镇`` sheet of a consolidated 附件1 back.

    Columns: unit (from the 【单位】 mark), the ``LEDGER`` keys, with inspectors, hazards
    and rectifications as lists, inspection_date a Timestamp, fine_wan float (NaN blank)
    and remarks without the unit mark (None when it held only the mark).
    """

    wb = load_workbook(path, data_only=True)
    ws = wb[sheet]
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(grid) if r and _norm(r[1] or "") == _norm(LEDGER.columns[1].header))
    records = []
    for r in grid[header + 1:]:
        if r[1] is None:  # footer lines only use column A
            break
        rec = dict(zip(LEDGER.keys, r, strict=False))
        remarks = rec.get("remarks") or ""
        m = _UNIT_IN_REMARKS.match(remarks)
        rec["unit"] = m.group(1) if m else None
        rec["remarks"] = (remarks[m.end():] if m else remarks) or None
        rec["inspectors"] = split_persons(rec["inspectors"])
        rec["hazards"] = split_items(rec["hazards"])
        rec["rectifications"] = split_items(rec["rectifications"])
        rec["inspection_date"] = pd.Timestamp(rec["inspection_date"])
        rec["fine_wan"] = _number(rec["fine_wan"])
        records.append(rec)
    return pd.DataFrame(records, columns=["unit", *LEDGER.keys])
