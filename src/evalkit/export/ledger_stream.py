"""The month's consolidated 附件1 (统计表一), streamed to disk with xlsxwriter.

A large month has hundreds of thousands of ledger rows, and the workbook holds each of
them twice (sheet ``全镇``, then the unit's own sheet). openpyxl keeps every cell of a
workbook in memory until it saves, about 11 µs a cell even in write-only mode; at
200,000 rows that was 80 s and most of the export's 2.7 GB. xlsxwriter's
``constant_memory`` mode writes each row out when the next one starts, so time is about
a third and memory stays flat (docs/export.md).

The layout is the one ``core.form_writer.write_ledger_sheet`` and ``export.xlsx_style``
give with openpyxl, which every other workbook (附件2, templates, disclosure, the sample
data) still uses. It is driven by the same declarations, so the form is described once:
the columns, headers, widths, footer and notes of ``core.forms.LEDGER``; the title and
footer cells (``form_writer.title_cells``/``footer_cells``); a row's values
(``form_writer.ledger_row_values``); the cell styles (``form_writer.HEADER_STYLE``,
``TITLE_STYLE``, ``ledger_cell_style`` with ``LEDGER_COLUMN_STYLES``,
``xlsx_style.NOTE_STYLE``: openpyxl style objects, translated here by ``format_properties``);
row heights (``xlsx_style.row_height``) and the print setup (``xlsx_style.MARGINS``,
``PAGE_FOOTER``, ``PAPER_A4``).

Text is always literal (``write_text``): every text goes through ``write_string`` (never
``write``, which would guess formulas, numbers and URLs; the workbook's options turn those
guesses off as well), after ``form_writer.clean_text``; a text starting with ``=``, ``+``,
``-``, ``@``, tab or CR gets a quote-prefix format, as ``form_writer.set_text`` gives it.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pandas as pd
import xlsxwriter
from openpyxl.utils import get_column_letter

from evalkit._text import is_missing
from evalkit.core.atomic import atomic_path
from evalkit.core.form_writer import (
    FORMULA_TRIGGERS,
    HEADER_STYLE,
    LEDGER_HEADER_ROW,
    TITLE_HEIGHT,
    TITLE_ROW,
    TITLE_STYLE,
    clean_text,
    footer_cells,
    ledger_cell_style,
    ledger_meta,
    ledger_row_values,
    title_cells,
)
from evalkit.core.forms import LEDGER
from evalkit.core.periods import Period
from evalkit.export import print_fit
from evalkit.export import xlsx_style as style
from evalkit.export.ordering import sorted_month_ledger

ALL_UNITS_SHEET = "全镇"
LEDGER_NOTES = (
    "说明：“全镇”表汇总各单位本月通过校验的台账记录，按单位、检查时间排序；官方表样无填报单位栏，"
    "故在备注栏开头以【单位】注明，其后为原备注。各单位分表保持官方表样，填报部门即该单位。",
)
#: The consolidated 附件1's data cells: 序号, 检查时间 and 罚款 centred, with their number formats.
LEDGER_COLUMN_STYLES = {
    "seq": {"alignment": style.CENTER},
    "inspection_date": {"alignment": style.CENTER, "number_format": style.DATE_FORMAT},
    "fine_wan": {"alignment": style.CENTER, "number_format": style.WAN_FORMAT},
}
#: xlsxwriter's options: never guess a formula, number or link from a text (we only call
#: ``write_string`` anyway), and keep one row in memory at a time.
WORKBOOK_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False, "default_format_properties": print_fit.DEFAULT_FORMAT_PROPERTIES}
MAX_CELL_TEXT = 32_767  # Excel's limit on a cell's text, in UTF-16 code units
#: Calibri 11's widest digit in pixels: a width of N characters is N * 7 pixels (xlsxwriter
#: stores pixels * 256 // 7 / 256, so the file holds N itself, as openpyxl writes it; its
#: ``set_column`` would add the cell padding and store N + 0.71).
DIGIT_PIXELS = 7
#: Points per pixel at 96 dpi. xlsxwriter keeps row heights in pixels: a height in points
#: given as pixels (a float) is stored exactly, where ``set_row`` would round 28 to 27.75.
POINTS_PER_PIXEL = 0.75
_RECORD_CHUNK = 10_000  # ledger rows turned into dicts at a time (memory stays flat)

_H_ALIGN = {"center": "center", "left": "left", "right": "right", "justify": "justify",
            "distributed": "distributed", "fill": "fill", "centerContinuous": "center_across"}
_V_ALIGN = {"center": "vcenter", "top": "top", "bottom": "bottom", "justify": "vjustify",
            "distributed": "vdistributed"}
_BORDERS = {"thin": 1, "medium": 2, "dashed": 3, "dotted": 4, "thick": 5, "double": 6, "hair": 7}


def format_properties(attrs: dict) -> dict:
    """xlsxwriter format properties for openpyxl style attributes (the ``style_cell``
    names: font, alignment, border, number_format), so both writers share the declarations."""
    props: dict = {}
    for name, value in attrs.items():
        if name == "font":  # named as every exported style is (print_fit.print_font)
            font = print_fit.print_font(value.b, value.sz, value.i)
            props.update({k: v for k, v in (("bold", bool(font.b) or None), ("italic", bool(font.i) or None),
                                             ("font_size", font.sz), ("font_name", font.name),
                                             ("font_charset", font.charset), ("font_family", font.family)) if v})
        elif name == "alignment":
            if value.horizontal not in (None, "general"):
                props["align"] = _H_ALIGN[value.horizontal]
            if value.vertical is not None:
                props["valign"] = _V_ALIGN[value.vertical]
            if value.wrap_text:
                props["text_wrap"] = True
        elif name == "border":
            for side in ("left", "right", "top", "bottom"):
                edge = getattr(value, side)
                if edge is not None and edge.style:
                    props[side] = _BORDERS[edge.style]
                    rgb = getattr(edge.color, "rgb", None)
                    if isinstance(rgb, str):
                        props[f"{side}_color"] = "#" + rgb[-6:]
        elif name == "number_format":
            props["num_format"] = value
        else:
            raise ValueError(f"format_properties: {name!r} has no xlsxwriter equivalent here")
    return props


class Formats:
    """The workbook's formats, one per distinct (style, quote prefix)."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self._wb = wb
        self._cache: dict = {}

    def get(self, attrs: dict | None = None, *, quoted: bool = False):
        """The format of ``attrs`` (None for the default style)."""
        props = format_properties(attrs or {})
        if quoted:
            props["quote_prefix"] = True
        if not props:
            return None
        key = tuple(sorted(props.items()))
        fmt = self._cache.get(key)
        if fmt is None:
            fmt = self._cache[key] = self._wb.add_format(props)
        return fmt

    def pair(self, attrs: dict | None = None) -> tuple:
        """(plain, quote-prefixed) formats of ``attrs``."""
        return self.get(attrs), self.get(attrs, quoted=True)


def excel_text(value: str) -> tuple[str, bool]:
    """``value`` as a cell holds it, and whether it needs a quote prefix: control
    characters removed (``clean_text``), line ends as line feeds (xlsxwriter would store a
    CR as the escape ``_x000D_``, which openpyxl and so intake read back literally), at
    most Excel's 32,767 characters. The quote prefix is decided before the line ends
    change, as ``form_writer.set_text`` decides it."""
    value = clean_text(value)
    quoted = value.startswith(FORMULA_TRIGGERS)
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if len(value) > MAX_CELL_TEXT // 2:
        value = style.utf16_cut(value, MAX_CELL_TEXT)
    return value, quoted


def write_text(ws, row: int, col: int, text: str, fmt, run_fmt=None) -> None:
    """Write ``text`` (already through ``excel_text``) as literal text, 0-based ``row``/``col``.

    In constant_memory mode xlsxwriter copies a string that starts with ``<r>`` and ends
    with ``</r>`` into the sheet XML unescaped (it takes it for its own rich-string XML),
    so such a text could inject any cell XML, a formula included. It is written as a
    rich string of three runs instead, which xlsxwriter escapes; it reads back as the same text.
    Each run is given ``fmt``'s font (else ``run_fmt``'s): a run without one prints in
    LibreOffice's fallback font, not the cell's.
    """
    if text.startswith("<r>") and text.endswith("</r>"):
        run = fmt if fmt is not None else run_fmt
        parts = [text[:1], text[1:2], text[2:]]
        if run is not None:
            parts = [item for part in parts for item in (run, part)]
        ws.write_rich_string(row, col, *parts, *([fmt] if fmt is not None else []))
    else:
        ws.write_string(row, col, text, fmt)


#: What a data cell holds, as ``prepare_cell`` finds it.
TEXT, NUMBER, DATE, BLANK, BOOLEAN = range(5)
#: A data cell ready to write: (kind, value, quote prefix, text lines). The value is text
#: through ``excel_text``, a finite number, a datetime, a bool or None; the lines are
#: ``xlsx_style.text_lines`` of a text (1 for anything else).
Cell = tuple


def prepare_cell(value, width: float) -> Cell:
    """``value`` in a column ``width`` wide as a ``Cell``."""
    if isinstance(value, str):
        text, quoted = excel_text(value)
        return TEXT, text, quoted, style.text_lines(text, width)
    if is_missing(value):
        return BLANK, None, False, 1
    if isinstance(value, bool):
        return BOOLEAN, value, False, 1
    if isinstance(value, dt.datetime):
        return DATE, value, False, 1
    if isinstance(value, dt.date):
        return DATE, dt.datetime(value.year, value.month, value.day), False, 1
    if isinstance(value, numbers.Real):  # inf has no cell value: blank
        return (NUMBER, value, False, 1) if math.isfinite(value) else (BLANK, None, False, 1)
    return prepare_cell(str(value), width)


_WIDTHS = [col.width for col in LEDGER.columns]
_SEQ, _REMARKS = LEDGER.keys.index("seq"), LEDGER.keys.index("remarks")
#: The widest each 附件1 column may grow (characters) when its content asks for it
#: (``ledger_widths``); the minimum is what its header needs (``print_fit.header_minimum``).
LEDGER_MAX_WIDTHS = {"seq": 6, "enterprise": 28, "inspection_date": 12, "inspectors": 16, "hazards": 40,
                     "rectifications": 30, "case_no": 22, "fine_wan": 10, "legal_basis": 30,
                     "other_handling": 24, "remarks": 30}
_FIXED_KINDS = ("seq", "date", "money_wan", "count", "rate")  # one line each: never narrower than the cells
_WIDTH_SAMPLE = 20_000  # rows looked at for the widths (evenly spread over a larger month)


def _printed(value) -> str | None:
    """A 附件1 cell's value as it prints, for its width."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def ledger_widths(records: Iterable[dict], *, marked: bool = False) -> list[float]:
    """The 附件1 column widths for ``records`` (``ledger_record`` dicts): each column as wide
    as most of its cells need (``print_fit.wanted_width``, at most ``LEDGER_MAX_WIDTHS``), all
    within the print budget (``print_fit.fit_columns``); ``marked`` when 备注 starts with
    ``【单位】`` (sheet 全镇). No records: the widths of ``forms.LEDGER``, fitted."""
    values: list[list] = [[] for _ in LEDGER.columns]
    for n, record in enumerate(records, 1):
        if marked:
            record = {**record, "remarks": marked_remarks(record.get("unit") or "", record.get("remarks"))}
        for i, value in enumerate(ledger_row_values(record, n)):
            values[i].append(_printed(value))
    if not values[0]:
        columns = [(print_fit.header_minimum(col.header), max(col.width, print_fit.header_minimum(col.header)))
                   for col in LEDGER.columns]
    else:
        columns = [print_fit.wanted_width(col.header, values[i], maximum=LEDGER_MAX_WIDTHS[col.key],
                                          fixed=col.kind in _FIXED_KINDS)
                   for i, col in enumerate(LEDGER.columns)]
    return print_fit.fit_columns(columns, style.MARGINS)


def prepare_row(values: Sequence, widths: Sequence[float] = _WIDTHS) -> list[Cell]:
    """A row's ``form_writer.ledger_row_values`` as ``Cell``s, in ``LEDGER`` column order,
    the text lines counted in columns ``widths`` wide."""
    cells = []
    for value, width in zip(values, widths, strict=True):
        if value.__class__ is str:  # most cells: spare the call
            text, quoted = excel_text(value)
            cells.append((TEXT, text, quoted, style.text_lines(text, width)))
        else:
            cells.append(prepare_cell(value, width))
    return cells


class LedgerSheet:
    """One 附件1 sheet being streamed: title rows and header on creation, then ``add`` each
    row (``prepare_row``), then ``finish``. Rows and columns are 1-based Excel numbers in
    this interface, as in ``core.form_writer.SheetLayout``."""

    def __init__(self, wb: xlsxwriter.Workbook, formats: Formats, title: str, *, unit: str, year: int,
                 month: int | str | None, filled_date=None,
                 column_styles: dict[str, dict] | None = None, widths: Sequence[float] = _WIDTHS):
        self.ws = ws = wb.add_worksheet(title)
        self.ncols = ncols = len(LEDGER.columns)
        self.widths = list(widths)
        self._plain = formats.pair()
        self._note = formats.pair(style.NOTE_STYLE)
        self._run = formats.get({"font": print_fit.BODY_FONT})  # the font of a rich string's runs
        for i, width in enumerate(self.widths):
            ws.set_column_pixels(i, i, width * DIGIT_PIXELS)
        title_fmt = formats.pair(TITLE_STYLE)
        ws.set_row_pixels(TITLE_ROW - 1, TITLE_HEIGHT / POINTS_PER_PIXEL)
        for r, c, text in title_cells(LEDGER, unit, year, month, ledger_meta(filled_date), ncols):
            if r == TITLE_ROW and c == 1:
                ws.merge_range(r - 1, 0, r - 1, ncols - 1, None, title_fmt[0])
                self._text(r, c, text, title_fmt)
            else:
                self._text(r, c, text, self._plain)
        self.header_row = LEDGER_HEADER_ROW
        header_fmt = formats.pair(HEADER_STYLE)
        lines = 1
        for c, (col, width) in enumerate(zip(LEDGER.columns, self.widths, strict=True), 1):
            text = print_fit.break_header(col.header, width)
            lines = max(lines, style.text_lines(text, width))
            self._text(self.header_row, c, text, header_fmt)
        ws.set_row_pixels(self.header_row - 1, style.lines_height(lines) / POINTS_PER_PIXEL)
        # each column's data formats: (plain, quote-prefixed, dated)
        self._data = [(*formats.pair(ledger_cell_style(col, False, column_styles)),
                       formats.get(ledger_cell_style(col, True, column_styles))) for col in LEDGER.columns]
        self.last_row = self.header_row  # the last row written

    def _text(self, row: int, col: int, value, fmts: tuple) -> None:
        text, quoted = excel_text(str(value))
        write_text(self.ws, row - 1, col - 1, text, fmts[quoted], self._run)

    def add(self, cells: Sequence[Cell]) -> None:
        """Write the next data row, its height fitted to its text (``xlsx_style.lines_height``)."""
        ws, r = self.ws, self.last_row  # 0-based index of the new row
        ws.set_row_pixels(r, style.lines_height(max([cell[3] for cell in cells])) / POINTS_PER_PIXEL)
        for c, (kind, value, quoted, _) in enumerate(cells):
            plain, quote, dated = self._data[c]
            if kind == TEXT:
                write_text(ws, r, c, value, quote if quoted else plain)
            elif kind == BLANK:
                ws.write_blank(r, c, None, plain)
            elif kind == NUMBER:
                ws.write_number(r, c, value, plain)
            elif kind == DATE:
                ws.write_datetime(r, c, value, dated)
            else:
                ws.write_boolean(r, c, value, plain)
        self.last_row += 1

    def finish(self, notes: Iterable[str] = ()) -> int:
        """Footer lines and the form's notes, then ``notes`` (merged, small) after a blank
        row; freeze the header, set up printing. Returns the last row written."""
        ws, ncols = self.ws, self.ncols
        data_end = self.last_row
        cells, row = footer_cells(LEDGER, data_end + 1)
        for r, text, merged in cells:
            if merged:
                ws.merge_range(r - 1, 0, r - 1, ncols - 1, None, self._plain[0])
            self._text(r, 1, text, self._plain)
        last = row - 1
        notes = list(notes)
        if notes:
            row = last + 2
            for line in notes:
                ws.merge_range(row - 1, 0, row - 1, ncols - 1, None, self._note[0])
                self._text(row, 1, line, self._note)
                row += 1
            last = row - 1
        ws.freeze_panes(self.header_row, 0)
        ws.set_paper(style.PAPER_A4)
        ws.set_landscape()
        # one page wide, as many tall as needed. The width as text: xlsxwriter leaves out a
        # width of 1 (the schema's default), and openpyxl, so intake, would then read none.
        ws.fit_to_pages("1", 0)
        ws.repeat_rows(self.header_row - 1)
        ws.print_area(f"A1:{get_column_letter(ncols)}{last}")
        ws.center_horizontally()
        m = style.MARGINS
        ws.set_margins(left=m["left"], right=m["right"], top=m["top"], bottom=m["bottom"])
        ws.set_header("", {"margin": m["header"]})
        ws.set_footer(f"&L{style.SHEET_FOOTER}&C{style.PAGE_FOOTER}", {"margin": m["footer"]})
        self.last_row = last
        return last


def ledger_record(row: dict, *, seq: int, remarks_unit: str | None = None) -> dict:
    """One ledger row (a ``Dataset.ledger`` row as a dict) as the record
    ``form_writer.ledger_row_values`` takes; ``remarks_unit`` is written at the start of
    备注 as ``【单位】``."""
    fine = row.get("fine_wan")
    remarks = row.get("remarks")
    remarks = None if is_missing(remarks) or remarks == "" else str(remarks)
    if remarks_unit is not None:
        remarks = marked_remarks(remarks_unit, remarks)
    date = row.get("inspection_date")
    return {
        "seq": seq,
        "enterprise": row.get("enterprise"),
        "inspection_date": None if is_missing(date) else pd.Timestamp(date).to_pydatetime(),
        "inspectors": list(row.get("inspectors") or []),
        "hazards": list(row.get("hazards") or []) or None,
        "rectifications": list(row.get("rectifications") or []) or None,
        "case_no": None if is_missing(row.get("case_no")) else row.get("case_no"),
        "fine_wan": None if is_missing(fine) else float(fine),
        "legal_basis": None if is_missing(row.get("legal_basis")) else row.get("legal_basis"),
        "other_handling": None if is_missing(row.get("other_handling")) else row.get("other_handling"),
        "remarks": remarks,
    }


def marked_remarks(unit: str, remarks: str | None) -> str:
    """备注 on sheet 全镇: the unit as ``【单位】``, then the row's own 备注."""
    return f"【{unit}】" + (remarks or "")


def _rows(frame: pd.DataFrame) -> Iterator[dict]:
    """The rows of ``frame`` as dicts, a chunk at a time (dicts, not iterrows: a Series per
    row costs more than writing the row)."""
    frame = frame[[c for c in ("unit", *LEDGER.keys) if c in frame.columns]]
    for start in range(0, len(frame), _RECORD_CHUNK):
        yield from frame.iloc[start:start + _RECORD_CHUNK].to_dict("records")


#: The ledger columns the consolidated 附件1 uses (``ordering.sorted_month_ledger`` sorts by
#: unit, date, file and row; the rest are written).
USED_COLUMNS = ("unit", "period", "file", "row", *(k for k in LEDGER.keys if k != "seq"))


def month_ledger(ledger: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The rows of ``period`` with the columns the 附件1 uses: all ``write_consolidated_ledger``
    needs, and small enough to hand to another process."""
    rows = ledger[ledger["period"] == period.text] if len(ledger) else ledger
    return rows[[c for c in USED_COLUMNS if c in rows.columns]]


def write_consolidated_ledger(path: str | Path, ledger: pd.DataFrame, *, period: Period,
                              units: Sequence[str], region: str,
                              filled_date: dt.date | str | None = None) -> Path:
    """Write the month's consolidated 附件1 to ``path`` (atomically, ``core.atomic``).

    Sheet ``全镇``: every unit's accepted rows of ``period`` (``ordering.sorted_month_ledger``),
    填报部门 = ``region``, the unit written at the start of 备注 as ``【单位】``, and a note
    naming the units without rows. Then one sheet per unit that has rows, each a plain
    official 附件1 (填报部门 = the unit) that ``evalkit.intake.loader`` reads as usual.
    """
    rows = sorted_month_ledger(ledger, period, units)
    present = list(dict.fromkeys(rows["unit"])) if len(rows) else []
    silent = [u for u in units if u not in present]
    notes = list(LEDGER_NOTES)
    if silent:
        notes.append("本月无通过校验的台账记录的单位：" + "、".join(silent) + "。")
    path = Path(path)
    step = max(1, len(rows) // _WIDTH_SAMPLE)
    sample = [ledger_record(r, seq=max(len(rows), 1)) | {"unit": r.get("unit")} for r in _rows(rows.iloc[::step])]
    widths = ledger_widths(sample, marked=True)
    sheet = {"year": period.year, "month": period.last_month, "filled_date": filled_date,
             "column_styles": LEDGER_COLUMN_STYLES, "widths": widths}
    # xlsxwriter keeps each sheet's rows in a temporary file until close(): in a scratch
    # folder of our own, removed whatever happens (after an error, without writing the workbook)
    with atomic_path(path) as tmp, \
            tempfile.TemporaryDirectory(prefix="evalkit-ledger-", ignore_cleanup_errors=True) as scratch:
        wb = xlsxwriter.Workbook(str(tmp), {**WORKBOOK_OPTIONS, "tmpdir": scratch})
        formats = Formats(wb)
        town = LedgerSheet(wb, formats, ALL_UNITS_SHEET, unit=region, **sheet)
        titles, own, unit, m = [ALL_UNITS_SHEET], None, None, 0
        # one pass: the rows come unit by unit, each unit's sheet written beside 全镇 (every
        # sheet streams to its own file), each row's cells prepared once for both
        for n, row in enumerate(_rows(rows), 1):
            if own is None or row["unit"] != unit:
                if own is not None:
                    own.finish()
                unit, m = row["unit"], 0
                titles.append(style.safe_sheet_title(unit, titles))
                own = LedgerSheet(wb, formats, titles[-1], unit=unit, **sheet)
            m += 1
            record = ledger_record(row, seq=m)
            cells = prepare_row(ledger_row_values(record, m), widths)
            own.add(cells)
            cells[_SEQ] = prepare_cell(n, widths[_SEQ])
            cells[_REMARKS] = prepare_cell(marked_remarks(unit, record["remarks"]), widths[_REMARKS])
            town.add(cells)
        if own is not None:
            own.finish()
        town.finish(notes)
        wb.close()
    return path


class LedgerJob:
    """``write_consolidated_ledger`` running in another Python process, started at once.

    The process is a fresh interpreter (``python -m evalkit.export._ledger_worker``) given
    the arguments through a pickle in a private temporary folder; the caller goes on with
    other work and calls ``wait`` (which raises the worker's error) or ``stop``. Used for a
    large month, where the 附件1 takes as long as the rest of the export together.
    """

    def __init__(self, path: str | Path, ledger: pd.DataFrame, **kwargs):
        self.path = Path(path)
        self._dir = tempfile.TemporaryDirectory(prefix="evalkit-ledger-job-")
        job = Path(self._dir.name)
        with open(job / "job.pickle", "wb") as f:
            pickle.dump({"path": self.path, "ledger": ledger, **kwargs}, f, protocol=pickle.HIGHEST_PROTOCOL)
        # the worker imports this very copy of evalkit, wherever it was imported from here
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        self._proc = subprocess.Popen([sys.executable, "-m", "evalkit.export._ledger_worker", str(job)],
                                      env=env, stdin=subprocess.DEVNULL)

    def wait(self) -> Path:
        """Wait for the worker; raise its error (or a RuntimeError if it died without one)."""
        try:
            code = self._proc.wait()
        except BaseException:
            self.stop()
            raise
        try:
            error = Path(self._dir.name) / "error.pickle"
            if error.exists():
                raise pickle.loads(error.read_bytes())
            if code != 0:
                raise RuntimeError(f"写出 {self.path.name} 的进程异常退出（退出码 {code}）")
        finally:
            self._dir.cleanup()
        return self.path

    def stop(self) -> None:
        """End the worker (it removes its temporary file) and wait for it to go."""
        if self._proc.poll() is None:
            self._proc.terminate()
        self._proc.wait()
        self._dir.cleanup()
