"""Official Excel outputs of a month: ``evalkit export DATA_DIR --period 2024-06``.

``export_period(dataset, "2024-06", out_dir)`` writes, under ``out_dir/2024-06/``
(see ``ExportPaths`` and docs/export.md for the exact names)::

    报表/蚶江镇_附件2_汇总_2024年6月.xlsx      统计表（二）, every unit's 本月数, 累计数, 合计; sheet 差异说明
    报表/蚶江镇_附件1_台账_2024年6月.xlsx      统计表（一）, sheet 全镇 + one official sheet per unit
    公示/蚶江镇_阳光执法_行政处罚公示_2024年6月.xlsx|.csv
    公示/蚶江镇_信用推送_黑名单联合惩戒_2024年6月.xlsx|.csv
    内部核对/蚶江镇_阳光执法清单脱敏核对_内部_2024年6月.xlsx   (personal data: never published)
    下月模板/蚶江镇_<单位>_统计表_2024年7月.xlsx   next month's fill-in template, one per unit

附件2 figures come from ``evalkit.metrics.engine.compute_metrics`` with ``source="ledger"``
(scope ``month`` for 本月数, ``ytd`` for 累计数); the 合计 rows are its ``.total``.
Nothing is recomputed here. Where a unit's own 附件2 row says something else
(``evalkit.audit.reconcile.verdict``, the audit's rule 1), the cell carries a comment
(批注) with the reported value, prints with a ※ before its number, and is listed on the
printed sheet 差异说明.

Each unit's two rows share the 单位 column as ``"<单位> 本月数"`` / ``"<单位> 累计数"``,
so the sheet keeps the official columns; ``read_consolidated_figures`` reads it back.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook

from evalkit._text import BLANK, INCOMPLETE, NOT_APPLICABLE, format_value, is_missing
from evalkit.audit.reconcile import COMPARED, SCOPE_OF_ROW, held_to, verdict
from evalkit.core import hierarchy
from evalkit.core.atomic import TMP_SUFFIX, save_workbook
from evalkit.core.cell_style import style_cell
from evalkit.core.file_names import file_stems, safe_stem
from evalkit.core.form_writer import BORDER, TITLE_HEIGHT, SheetLayout, set_text, write_figures_sheet
from evalkit.core.forms import FIGURES, LEDGER
from evalkit.core.hierarchy import DEFAULT_ROOT
from evalkit.core.outdir import output_lock
from evalkit.core.periods import Period, parse_period, submission_deadline
from evalkit.exceptions import ParameterError
from evalkit.export import print_fit
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
    "说明：1. 本表各单位“本月数”“累计数”由各单位统计表（一）台账逐条汇总计算，“合计”为全镇汇总；"
    "比率为百分数（保留两位小数），分母为零时填“不适用”。",
    "2. 数字前标“※”的，表示该单位自行报送的统计表（二）数字与台账汇总数不一致，逐条列于“差异说明”表"
    "（在 Excel 中该单元格的批注内亦有其报送数）。",
)


#: The clerk's folders under ``out_dir/<period>/`` (Chinese, as the clerk names them)
REPORTS_DIR, DISCLOSURE_DIR, REVIEW_DIR, TEMPLATES_DIR = "报表", "公示", "内部核对", "下月模板"


@dataclass(frozen=True)
class ExportPaths:
    """Where ``export_period`` writes the outputs of one month (predictable names).

    Every file name starts with the town (``region``), so files of several towns can share
    a folder at 市安办, and says the month in words ("蚶江镇_附件2_汇总_2024年6月.xlsx")."""

    root: Path
    period: str  # YYYY-MM
    next_period: str  # YYYY-MM of the templates
    #: unit -> file stem (``core.file_names.file_stems`` over every unit, so no two clash)
    unit_stems: Mapping[str, str] = field(default_factory=dict, compare=False)
    region: str = REGION

    @property
    def _town(self) -> str:
        return safe_stem(self.region, "town")

    @staticmethod
    def _month(period: str) -> str:
        year, month = period.split("-")
        return f"{year}年{int(month)}月"

    def _name(self, what: str, period: str | None = None, suffix: str = ".xlsx") -> str:
        return f"{self._town}_{what}_{self._month(period or self.period)}{suffix}"

    @property
    def excel_dir(self) -> Path:
        """报表/: the consolidated 附件1 and 附件2."""
        return self.root / REPORTS_DIR

    @property
    def disclosure_dir(self) -> Path:
        """公示/: the public lists only."""
        return self.root / DISCLOSURE_DIR

    @property
    def templates_dir(self) -> Path:
        """下月模板/: next month's fill-in workbooks, directly in the month's folder."""
        return self.root / TEMPLATES_DIR

    @property
    def figures(self) -> Path:
        return self.excel_dir / self._name("附件2_汇总")

    @property
    def level_figures(self) -> Path:
        """A city's (or any parent's) 附件2 with one pair per unit directly below it."""
        return self.excel_dir / self._name("附件2_下级单位汇总")

    @property
    def ledger(self) -> Path:
        return self.excel_dir / self._name("附件1_台账")

    @property
    def penalties_xlsx(self) -> Path:
        return self.disclosure_dir / self._name("阳光执法_行政处罚公示")

    @property
    def penalties_csv(self) -> Path:
        return self.penalties_xlsx.with_suffix(".csv")

    @property
    def credit_xlsx(self) -> Path:
        return self.disclosure_dir / self._name("信用推送_黑名单联合惩戒")

    @property
    def credit_csv(self) -> Path:
        return self.credit_xlsx.with_suffix(".csv")

    @property
    def review_dir(self) -> Path:
        """内部核对/: internal files (they hold personal data): never published with 公示/."""
        return self.root / REVIEW_DIR

    @property
    def review_xlsx(self) -> Path:
        return self.review_dir / self._name("阳光执法清单脱敏核对_内部")

    def template(self, unit: str) -> Path:
        stem = self.unit_stems.get(unit) or safe_stem(unit, "单位")
        return self.templates_dir / self._name(f"{stem}_统计表", self.next_period)


class ExportResult(list):
    """The paths ``export_period`` wrote (a list), with ``problems``: what the export found
    in the data that a clerk should fix (``authority_unknown``: a case number whose prefix
    names no 处罚机关), as ``core.problems.Problem`` rows."""

    def __init__(self, paths=(), problems=()):
        super().__init__(paths)
        self.problems = list(problems)


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


def export_paths(out_dir: str | Path, period: str | Period, units: Sequence[str] = (),
                 region: str = REGION) -> ExportPaths:
    """The output paths of ``period`` under ``out_dir`` (nothing is written); ``units``
    (all of them) makes the template names unique even where two names clean alike."""
    p = month_period(period)
    return ExportPaths(Path(out_dir) / p.text, p.text, next_month(p).text, file_stems(units, "单位"), region)


def default_filled_date(period: str | Period, today: dt.date | None = None) -> dt.date:
    """填报日期 when none is given: today for the month being reported now (today falls
    between the month's first day and its deadline, ``periods.submission_deadline``: the
    plan's “每月30日前报送上月”), else that deadline, so re-exporting an old month does
    not stamp today's date on it."""
    p = month_period(period)
    today = today or dt.date.today()
    deadline = submission_deadline(p.year, p.last_month)
    return today if p.start <= today <= deadline else deadline


def export_period(dataset, period: str | Period, out_dir: str | Path = "outputs", *,
                  filled_date: dt.date | None = None, region: str | None = None) -> ExportResult:
    """Write all official outputs of ``period`` (a month) and return their paths.

    Order: 附件2, 附件1, penalty disclosure (xlsx, csv), credit push (xlsx, csv), the internal
    masking review (内部核对/, holds personal data: not for publication), then one
    template per unit for the next month, in the order of ``dataset.units``; the result's
    ``problems`` lists what the clerk should fix (``ExportResult``).
    ``filled_date`` is printed as 填报日期 (default: ``default_filled_date``). A month of at least
    ``LEDGER_WORKER_ROWS`` rows has its 附件1 written by a worker process meanwhile.
    """

    p = month_period(period)
    region = region or hierarchy.root(dataset.units)
    paths = export_paths(out_dir, p, unit_order(dataset), region)
    with output_lock(out_dir, "evalkit export"):  # one writer per output folder (core.outdir)
        for folder in (paths.excel_dir, paths.disclosure_dir, paths.review_dir, paths.templates_dir):
            folder.mkdir(parents=True, exist_ok=True)
            for leftover in folder.glob(f".*{TMP_SUFFIX}"):  # of an export killed half-way
                leftover.unlink(missing_ok=True)
        filled_date = filled_date or default_filled_date(p)
        problems: list = []
        units = unit_order(dataset)

        write_figures_workbook(paths.figures, period=p, region=region, units=units,
                               **figures_inputs(dataset, p))
        month = month_ledger(dataset.ledger, p)
        ledger = {"period": p, "units": units, "region": region, "filled_date": filled_date}
        if len(month) < LEDGER_WORKER_ROWS:
            write_consolidated_ledger(paths.ledger, month, **ledger)
            rest = _lists_and_templates(dataset, p, paths, problems)
        else:
            job = LedgerJob(paths.ledger, month, **ledger)  # a second process writes it meanwhile
            try:
                rest = _lists_and_templates(dataset, p, paths, problems)
            except BaseException:
                job.stop()  # before the lock goes
                raise
            job.wait()  # raises the worker's error, the lock still held
        written = [paths.figures, paths.ledger, *rest]
        if hierarchy.kind_of(dataset.units, region) == "市":  # a city folder: the city's own 附件2 too
            written.insert(1, write_level_figures(dataset, p, paths.level_figures, region))
    return ExportResult(written, problems)


def _lists_and_templates(dataset, period: Period, paths: ExportPaths, problems: list) -> list[Path]:
    """The disclosure lists, the masking review and next month's templates (their paths)."""
    return [*export_disclosure(dataset, period, paths, problems),
            *write_unit_templates(dataset, next_month(period), paths)]


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
        "month_readings": _readings(month), "cumulative_readings": _readings(ytd),
    }


def _readings(result) -> dict[str, dict]:
    """``MetricsResult.readings`` of every unit and of the total (``TOWN_TOTAL``)."""
    return {**{u: result.readings(u) for u in result.frame.index}, TOWN_TOTAL: result.readings(TOWN_TOTAL)}


def export_level_figures(dataset, period: str | Period, out_dir: str | Path = "outputs", *,
                         unit: str | None = None, level: str | None = None) -> Path:
    """The consolidated 附件2 one level up (``evalkit export --level``/``--unit``): one 本月数/累计数
    pair per unit that reports to ``unit`` (default the root: the towns, 街道 and city departments
    of a city folder; ``level`` narrows them, ``hierarchy.select_units``) and that unit's own
    figures as the total row (全市合计 for the city, ``hierarchy.total_label``). Every figure is
    the metrics' (``MetricsEngine``: a town's is the union of its units' ledgers), compared with
    what each unit reported as ``write_figures_workbook`` does. Returns the path written:
    ``<period>/报表/<unit>_附件2_下级单位汇总_<年月>.xlsx`` (``ExportPaths.level_figures``)."""
    p = month_period(period)
    top = unit or hierarchy.root(dataset.units)
    path = export_paths(out_dir, p, (), top).level_figures
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
        inputs[f"{key}_readings"] = {**inputs[f"{key}_readings"], TOWN_TOTAL: inputs[f"{key}_readings"].get(top, {})}
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
                           month_readings: Mapping[str, Mapping] | None = None,
                           cumulative_readings: Mapping[str, Mapping] | None = None,
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
    ``month_readings``/``cumulative_readings``: unit (``TOWN_TOTAL`` for the total) ->
    ``MetricsResult.readings``, the other readings a reported rate may follow (``reconcile.held_to``).
    """
    rows: list[tuple[str, dict]] = []
    checks: list[tuple] = []  # (ours, reported, incomplete, other readings)
    partial = {MONTH_LABEL: month_incomplete or {}, CUMULATIVE_LABEL: cumulative_incomplete or {}}
    other = {MONTH_LABEL: month_readings or {}, CUMULATIVE_LABEL: cumulative_readings or {}}
    for unit in units:
        for label, ours, theirs in (
            (MONTH_LABEL, _row_values(month, unit), _reported_row(reported_month, unit)),
            (CUMULATIVE_LABEL, _row_values(cumulative, unit), _reported_row(reported_cumulative, unit)),
        ):
            ours = ours or {}
            rows.append((f"{unit} {label}", {k: figure_cell_value(k, v) for k, v in ours.items()}))
            checks.append((ours, theirs, partial[label].get(unit, {}), other[label].get(unit, {})))
    for label, ours, theirs in (
        (MONTH_LABEL, _series_values(month_total), _series_values(reported_month_total)),
        (CUMULATIVE_LABEL, _series_values(cumulative_total), _series_values(reported_cumulative_total)),
    ):
        ours = ours or {}
        rows.append((f"{total_label} {label}", {k: figure_cell_value(k, v) for k, v in ours.items()}))
        checks.append((ours, theirs, partial[label].get(TOWN_TOTAL, {}), other[label].get(TOWN_TOTAL, {})))

    wb = Workbook()
    print_fit.set_default_font(wb)
    ws = wb.active
    ws.title = FIGURES_SHEET
    lay = write_figures_sheet(ws, unit=region, year=period.year, month=period.last_month, rows=rows)
    ncols = len(FIGURES.columns)
    differences: list[tuple[str, str, str, str, str]] = []  # (unit, 行别, column, reported, ledger)
    for offset, ((label, _), (ours, theirs, incomplete, readings)) in enumerate(zip(rows, checks, strict=True)):
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
            kind = FIGURES.column(key).kind
            held = held_to(key, theirs.get(key), ours.get(key), readings, kind)  # another reading the unit followed
            if verdict(theirs.get(key), held, kind, incomplete=incomplete.get(key)) == "differs":
                reported, ledger = _shown(key, theirs.get(key)), _shown(key, held)
                style.add_comment(ws.cell(r, c), f"单位报送数：{reported}\n台账汇总数：{ledger}")
                _mark_difference(ws.cell(r, c))
                unit, kind = label.rsplit(" ", 1)
                differences.append((unit, kind, FIGURES.column(key).header, reported, ledger))
    _finish_figures_sheet(ws, lay, rows, ncols, total_label)
    _differences_sheet(wb.create_sheet(DIFFERENCES_SHEET), differences, period, region)
    for sheet in wb.worksheets:
        print_fit.name_fonts(sheet)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(wb, path)
    return path


#: The printed mark of a cell whose reported figure differs (comments do not print): the
#: symbol is part of the number format, so the cell keeps its number and prints "※12".
DIFFERENCE_MARK = print_fit.DIFFERENCE_MARK
DIFFERENCES_SHEET = "差异说明"
DIFFERENCE_COLUMNS = ("序号", "单位", "行别", "栏目", "单位报送数", "台账汇总数")


def _mark_difference(cell) -> None:
    """Prefix the printed value with ``DIFFERENCE_MARK`` (survives black-and-white printing)."""
    fmt = cell.number_format if cell.number_format not in (None, "General") else "0"
    if isinstance(cell.value, str):
        fmt = "@"
    cell.number_format = f'"{DIFFERENCE_MARK}"{fmt}'


def _differences_sheet(ws, differences: Sequence[tuple], period: Period, region: str) -> None:
    """The printed list of the cells marked ``DIFFERENCE_MARK``: unit, row, column, the unit's
    figure and the ledger's (the same cells as the comments and the audit's rule 1)."""
    ncols = len(DIFFERENCE_COLUMNS)
    set_text(ws.cell(1, 1), f"{region}{period.label}统计表（二）差异说明")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    style_cell(ws.cell(1, 1), font=print_fit.TITLE_FONT, alignment=style.CENTER)
    ws.row_dimensions[1].height = TITLE_HEIGHT
    for c, name in enumerate(DIFFERENCE_COLUMNS, 1):
        set_text(ws.cell(2, c), name)
        style_cell(ws.cell(2, c), font=print_fit.HEADER_FONT, alignment=style.CENTER, border=BORDER)
    records = [(n, *d) for n, d in enumerate(differences, 1)]
    for r, values in enumerate(records, 3):
        for c, value in enumerate(values, 1):
            set_text(ws.cell(r, c), value)
            style_cell(ws.cell(r, c), font=print_fit.BODY_FONT, border=BORDER,
                       alignment=style.RIGHT if c >= 5 else style.TOP_LEFT)
    last = 2 + len(records)
    note = (f"说明：统计表（二）中数字前标“{DIFFERENCE_MARK}”的单元格，即该单位自行报送的数字与台账汇总数不一致"
            f"（判断规则与核查相同），共 {len(records)} 处，逐条列于上表。" if records else
            "说明：本月各单位报送的统计表（二）与台账汇总数一致，或未报送，无差异。")
    style.write_note_lines(ws, last + 2, [note], ncols)
    widths = [print_fit.wanted_width(h, [row[i] for row in records], maximum=30)
              for i, h in enumerate(DIFFERENCE_COLUMNS)]
    style.print_widths(ws, print_fit.fit_columns(widths, style.MARGINS), (2,))
    style.fit_row_heights(ws, 3, last)
    ws.freeze_panes = ws.cell(3, 1)
    style.setup_print(ws, title_rows=(2, 2), last_column=ncols)


def _finish_figures_sheet(ws, lay: SheetLayout, rows: Sequence[tuple[str, dict]], ncols: int,
                          total_label: str = TOTAL_LABEL) -> None:
    marked = {(r - lay.first_data_row, FIGURES.keys[c - 1])
              for r in range(lay.first_data_row, lay.last_data_row + 1) for c in range(2, ncols + 1)
              if str(ws.cell(r, c).number_format).startswith(f'"{DIFFERENCE_MARK}"')}
    fitted = print_fit.fit_columns(print_fit.figures_columns(rows, marked), style.MARGINS)
    style.print_widths(ws, fitted, (lay.header_row - 1, lay.header_row))
    numbers = range(2, ncols + 1)
    for r in range(lay.first_data_row, lay.last_data_row + 1):
        style_cell(ws.cell(r, 1), alignment=style.CENTER)
        total = str(ws.cell(r, 1).value).startswith(total_label)
        for c in numbers:  # numbers and 不适用 alike, right-aligned
            style_cell(ws.cell(r, c), alignment=style.RIGHT)
        if total:
            for c in range(1, ncols + 1):
                style_cell(ws.cell(r, c), font=print_fit.HEADER_FONT)
    notes_row = ws.max_row + 2
    style.write_note_lines(ws, notes_row, FIGURES_NOTES, ncols)
    style.fit_row_heights(ws, lay.first_data_row, lay.last_data_row)
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
