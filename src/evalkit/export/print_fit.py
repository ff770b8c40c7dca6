"""Legible print: named Chinese fonts, column widths from content, a print scale that keeps
body text at 9 pt or more on A4 landscape.

Every exported sheet prints fitted to one A4 landscape page width (``xlsx_style.setup_print``:
fitToWidth 1, fitToHeight 0, so as many pages down as needed). Fitting shrinks a sheet wider
than the page; how much depends only on the sheet's total column width. The widths are
therefore chosen here, from the cells' content, within a budget (``width_budget``) that keeps
the shrink factor at ``TARGET_SCALE`` or more: 11 pt body text then prints at 9.35 pt or more
and the 10 pt notes at 8.5 pt or more (targets 9 and 8).

Arithmetic (Excel's, with 宋体 11 as the workbook's default font): a column ``w`` characters
wide is ``w * MDW_PX`` pixels (``MDW_PX`` = 8, 宋体 11's widest digit; the stored width includes
the cell padding), a pixel is 0.75 pt, and the printable width of A4 landscape with the margins
of ``xlsx_style.MARGINS`` is 841.9 - 0.8 * 72 = 784.3 pt. So the scale is
``min(1, 784.3 / (sum(widths) * 6))`` (``print_scale``). LibreOffice measures a width with its
substitute for 宋体 and comes out a little narrower: scripts/check_libreoffice.sh measures the
printed sizes in its PDFs.

Fonts: every style names a font, 宋体 (SimSun) for body text and 黑体 (SimHei) for the title,
headers and 合计 rows, with charset 134 (GB2312), which is how Chinese Excel and WPS write
them. SpreadsheetML gives a cell one font name (no separate East Asian font, unlike Word's
``w:eastAsia``); naming a Chinese font with the GB2312 charset makes it the font of the Chinese
text and of the digits alike, as official forms print. The workbook's default style is 宋体 11
too (``set_default_font``), so blank cells and column widths use it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import cache

from openpyxl.styles import Font
from openpyxl.utils.indexed_list import IndexedList

from evalkit.core.cell_style import style_cell
from evalkit.core.forms import FIGURES

BODY_FONT_NAME = "宋体"  # SimSun
HEADING_FONT_NAME = "黑体"  # SimHei
GB2312_CHARSET = 134
FONT_FAMILY = 3  # as Chinese Excel writes 宋体/黑体
BODY_SIZE = 11.0
NOTE_SIZE = 10.0
TITLE_SIZE = 16.0
MIN_BODY_PT = 9.0  # printed body text at least this size
MIN_NOTE_PT = 8.0  # printed notes at least this size

A4_LANDSCAPE_WIDTH_PT = 297 / 25.4 * 72  # 841.9
#: The column width unit in pixels at 96 dpi: Excel's is the widest digit of the default font
#: (宋体 11: 8 px); LibreOffice, printing 宋体 with its substitute, comes to about 8.5 px
#: (measured in its PDFs). The wider one is budgeted for, so both print at the target or larger.
MDW_PX = 8.5
PT_PER_PX = 0.75
#: the scale the widths are budgeted for: a little above max(9/11, 8/10) = 0.818, so that
#: Excel's rounding of the fit to a whole per cent still holds
TARGET_SCALE = 0.84


def printable_width_pt(margins: dict) -> float:
    """The width (points) between the left and right margins (inches) of A4 landscape."""
    return A4_LANDSCAPE_WIDTH_PT - 72 * (margins["left"] + margins["right"])


def sheet_width_pt(widths: Iterable[float]) -> float:
    """The printed width (points, before scaling) of columns ``widths`` characters wide."""
    return sum(widths) * MDW_PX * PT_PER_PX


def print_scale(widths: Iterable[float], margins: dict) -> float:
    """The factor a sheet of column ``widths`` is shrunk by when fitted to one page width."""
    return min(1.0, printable_width_pt(margins) / sheet_width_pt(widths))


def width_budget(margins: dict, scale: float = TARGET_SCALE) -> float:
    """The largest total column width (characters) that prints at ``scale`` or more."""
    return math.floor(printable_width_pt(margins) / scale / (MDW_PX * PT_PER_PX) * 10) / 10


# --------------------------------------------------------------------------- widths
_NARROW = re.compile("[\x00-\u2e7f]+")  # runs of the characters before CJK
CJK_EXTRA = 0.85  # a CJK character is 1 + this many width units
PADDING = 0.7  # the cell's padding (5 px), in width units


def text_width(text: str) -> float:
    """Width of one line of ``text`` in Excel character units, the widest digit of the default
    font (宋体 11: 8 px in Excel): a CJK character 1.85 (14.7 px, so the estimate errs a little
    wide), anything else 1."""
    text = str(text)
    if text.isascii():
        return float(len(text))
    wide = len(text) - sum(map(len, _NARROW.findall(text)))  # CJK and everything after it
    return len(text) + CJK_EXTRA * wide


def longest_line(value) -> float:
    """The width of the widest line of a cell's text (0 for a blank cell)."""
    if value is None or value == "":
        return 0.0
    return max(text_width(line) for line in str(value).split("\n"))


def demand(values: Iterable, *, quantile: float = 0.9) -> tuple[float, float]:
    """(width, fill): the width (characters, padding included) that holds the ``quantile``
    share of the non-blank ``values`` on one line each (0 when all are blank), and the share
    of ``values`` that are not blank."""
    values = list(values)
    widths = sorted(longest_line(v) for v in values if v is not None and v != "")
    if not widths:
        return 0.0, 0.0
    return widths[min(len(widths) - 1, int(quantile * len(widths)))] + PADDING, len(widths) / len(values)


def wanted_width(header: str, values: Iterable, *, minimum: float = 0.0, maximum: float = 40.0,
                 fixed: bool = False) -> tuple[float, float, float]:
    """(least, wanted, floor) width of a column from its header and its cells.

    floor: the header's narrowest break (``header_minimum``) and ``minimum``. least: the floor,
    or, for text, half what most cells need (so they take at most two lines), whichever is
    wider; ``fixed`` (dates, numbers): the cells must fit on one line, so what they need.
    wanted: the width that holds most cells on one line (``demand``), at most ``maximum``; a
    mostly blank column (立案案号, 处罚依据 in most months) wants less: its extra width counts in
    proportion to how full it is (a quarter at least). ``fit_columns`` shares the budget."""
    floor = max(header_minimum(header), minimum)
    need, fill = demand(values, quantile=1.0 if fixed else 0.9)
    cap = max(maximum, floor)
    least = max(floor, need) if fixed else max(floor, min(need, cap) / 2 + PADDING / 2)
    least = min(least, cap) if not fixed else least
    want = min(max(need, least), cap)
    return least, least + (want - least) * min(1.0, 0.25 + fill), floor if not fixed else least


def _half_up(width: float) -> float:
    return math.ceil(width * 2 - 1e-9) / 2


def fit_widths(minimum: Sequence[float], wanted: Sequence[float], budget: float) -> list[float]:
    """Column widths between ``minimum`` and ``wanted`` (both rounded up to half a character)
    whose total is at most ``budget`` where the minimums allow: the wanted widths when they
    fit, else each column keeps its minimum and the room left is shared in proportion to what
    each wants beyond it (each share rounded down to half a character). Halves, because
    xlsxwriter stores a width through pixels (``ledger_stream.DIGIT_PIXELS``) and a multiple
    of 1/256 character comes back exact."""
    lo = [_half_up(m) for m in minimum]
    hi = [max(_half_up(w), m) for w, m in zip(wanted, lo, strict=True)]
    if sum(hi) <= budget:
        return hi
    spare, extra = max(budget - sum(lo), 0.0), sum(h - m for h, m in zip(hi, lo, strict=True))
    share = spare / extra if extra else 0.0
    return [m + math.floor((h - m) * share * 2 + 1e-9) / 2 for h, m in zip(hi, lo, strict=True)]


# --------------------------------------------------------------------------- headers
_UNIT_SUFFIX = re.compile(r"\((?:家|处|件|人|起|万元|万|%)\)$")


#: Where a person breaks the official headers (at most four characters a line, the unit on a
#: line of its own); ``break_header`` uses these when the column is too narrow for one line.
PRINT_HEADERS = {
    "受检企业(单位)名称": "受检企业\n(单位)名称",
    "安全生产违法行为(隐患)": "安全生产违法行为\n(隐患)",
    "完成整改情况": "完成整改\n情况",
    "罚款金额(万)": "罚款金额\n(万)",
    "处罚依据(法律条款)": "处罚依据\n(法律条款)",
    "其他查处(或移送)情况": "其他查处\n(或移送)\n情况",
    "监管企业(单位)总数(家)": "监管企业\n(单位)\n总数(家)",
    "现场监督检查企业(单位)数(家)": "现场监督\n检查企业\n(单位)数\n(家)",
    "检查覆盖率(%)": "检查\n覆盖率\n(%)",
    "排查隐患数(处)": "排查\n隐患数\n(处)",
    "隐患整改数(处)": "隐患\n整改数\n(处)",
    "立案数(家)": "立案数\n(家)",
    "占实际检查企业(单位)总数比例(%)": "占实际\n检查企业\n(单位)\n总数比例\n(%)",
    "违法行为查处率(%)": "违法行为\n查处率\n(%)",
    "责令停产停业整顿(家)": "责令停产\n停业整顿\n(家)",
    "罚款金额(万元)": "罚款金额\n(万元)",
    "提请关闭企业(单位)(家)": "提请关闭\n企业\n(单位)\n(家)",
    "暂扣吊销有关证件(件)": "暂扣吊销\n有关证件\n(件)",
    "纳入黑名单(家)": "纳入\n黑名单\n(家)",
    "联合惩戒(家)": "联合惩戒\n(家)",
    "移送追究刑事责任(人)": "移送追究\n刑事责任\n(人)",
    "移送其他部门(起)": "移送其他\n部门(起)",
    "举报核查数(件)": "举报\n核查数\n(件)",
    "举报奖励情况": "举报奖励\n情况",
    "曝光、惩戒情况": "曝光、\n惩戒情况",
}


def _lines_width(text: str) -> float:
    return max(text_width(line) for line in text.split("\n"))


def _chunks(text: str, n: int) -> list[str]:
    """``text`` cut into ``n`` pieces of (nearly) equal length, longer ones first."""
    size = math.ceil(len(text) / n)
    return [text[i:i + size] for i in range(0, len(text), size)]


def break_header(text: str, width: float) -> str:
    """A header as a person would break it in a column ``width`` characters wide: as it is
    when it fits, else ``PRINT_HEADERS``' breaks ("立案数\\n(家)", "罚款金额\\n(万元)") when they
    fit, else the unit on its own line, the rest broken before a bracket, and a piece still
    too long cut by characters."""
    text = str(text)
    usable = max(width - PADDING, 2.0) + 1e-6  # widths are sums of 0.85s: no float misses
    if "\n" in text or text_width(text) <= usable:
        return text
    table = PRINT_HEADERS.get(text)
    if table is not None and _lines_width(table) <= usable:
        return table
    unit = _UNIT_SUFFIX.search(text)
    rest, tail = (text[:unit.start()], [unit.group()]) if unit else (text, [])
    pieces = [p for p in re.split(r"(?=\()|(?<=\))", rest) if p]
    lines: list[str] = []
    for piece in pieces:
        if lines and text_width(lines[-1] + piece) <= usable:
            lines[-1] += piece
        elif text_width(piece) <= usable:
            lines.append(piece)
        else:  # cut into lines of equal length ("执法\n人员", not "执法人\n员")
            n = math.ceil(text_width(piece) / usable)
            while n < len(piece) and any(text_width(c) > usable for c in _chunks(piece, n)):
                n += 1
            lines += _chunks(piece, n)
    if tail and lines and text_width(lines[-1] + tail[0]) <= usable and len(lines) > 1:
        lines[-1] += tail[0]
    else:
        lines += tail
    return "\n".join(lines)


def header_minimum(text: str) -> float:
    """The narrowest column a header fits in when broken by ``break_header``: the widest line
    of its ``PRINT_HEADERS`` breaks, else its widest bracketed piece (or two CJK characters)."""
    if str(text) in PRINT_HEADERS:
        return _lines_width(PRINT_HEADERS[str(text)]) + PADDING
    pieces = [p for p in re.split(r"(?=\()|(?<=\))", str(text).replace("\n", "")) if p]
    brackets = [text_width(p) for p in pieces if p.startswith("(")]
    return max([text_width("二字"), *brackets]) + PADDING


# --------------------------------------------------------------------------- 附件2
#: The printed mark of a 附件2 cell whose reported figure differs (``export.official``)
DIFFERENCE_MARK = "※"


def figures_text(key: str, value) -> str | None:
    """A 附件2 cell as it prints (for its width)."""
    if value is None or isinstance(value, str):
        return value
    kind = FIGURES.column(key).kind
    return f"{value:.2f}" if kind == "rate" else f"{value:.4f}" if kind == "money_wan" else str(value)


def figures_columns(rows: Sequence[tuple[str, dict]], marked: set[tuple[int, str]] = frozenset()) -> list[tuple]:
    """(least, wanted, floor) of each 附件2 column (``wanted_width``) for ``rows``: the
    label column from the labels, each number column from its values as printed (with the ※ of
    the ``marked`` (row index, key) cells) and its header; a group of one column (举报奖励情况)
    needs room for the group's name as well."""
    columns = [wanted_width(FIGURES.columns[0].header, [label for label, _ in rows], minimum=12,
                                      maximum=24)]
    single = {keys[0]: name for name, keys in FIGURES.groups if len(keys) == 1}
    for col in FIGURES.columns[1:]:
        shown = [(DIFFERENCE_MARK if (i, col.key) in marked else "") + (figures_text(col.key, v.get(col.key)) or "")
                 for i, (_, v) in enumerate(rows)]
        group = header_minimum(single[col.key]) if col.key in single else 0.0
        columns.append(wanted_width(col.header, shown, minimum=group, maximum=12, fixed=True))
    return columns


# --------------------------------------------------------------------------- fonts
@cache
def named_font(bold: bool = False, size: float | None = None, italic: bool = False) -> Font:
    """The font of a style: 黑体 when bold, else 宋体, GB2312 charset; one shared object per
    (bold, size, italic), as ``core.cell_style.style_cell`` wants."""
    return Font(name=HEADING_FONT_NAME if bold else BODY_FONT_NAME, sz=size or BODY_SIZE, b=bold or None,
                i=italic or None, charset=GB2312_CHARSET, family=FONT_FAMILY)


#: xlsxwriter's properties of the default font (``Workbook(..., {"default_format_properties": ...})``)
DEFAULT_FORMAT_PROPERTIES = {"font_name": BODY_FONT_NAME, "font_size": BODY_SIZE, "font_charset": GB2312_CHARSET,
                             "font_family": FONT_FAMILY}
BODY_FONT = named_font()
NOTE_FONT = named_font(size=NOTE_SIZE)
HEADER_FONT = named_font(True)
TITLE_FONT = named_font(True, TITLE_SIZE)


def print_font(bold=False, size=None, italic=False) -> Font:
    """The named font of a style that asks for bold/size/italic: ``named_font``, a title
    (14 pt or more) at ``TITLE_SIZE``."""
    size = float(size or BODY_SIZE)
    return named_font(bool(bold), TITLE_SIZE if size >= 14 else size, bool(italic))


def set_default_font(wb) -> None:
    """Make 宋体 11 the workbook's default font (style Normal and font 0), before any cell
    is styled: blank cells and the column width unit then use it."""
    wb._fonts = IndexedList([BODY_FONT])
    wb._named_styles["Normal"].font = BODY_FONT


def name_fonts(ws) -> None:
    """Give every styled cell of ``ws`` its named font (``named_font``), keeping bold, italic
    and size; the title (size 14 or more) becomes ``TITLE_SIZE``."""
    for cell in list(ws._cells.values()):
        if not cell.has_style:
            continue
        f = cell.font
        style_cell(cell, font=print_font(f.b, f.sz, f.i))


def fit_columns(columns: Sequence[tuple[float, ...]], margins: dict) -> list[float]:
    """``fit_widths`` of (least, wanted[, floor]) columns (``wanted_width``) within ``width_budget``.
    Where even the leasts do not fit, each least gives way towards its floor, all in the same
    proportion, so the total stays within the budget wherever the floors allow."""
    budget = width_budget(margins)
    least = [c[0] for c in columns]
    floor = [c[2] if len(c) > 2 else c[0] for c in columns]
    if sum(map(_half_up, least)) > budget and sum(least) > sum(floor):
        t = max(0.0, (budget - len(columns) * 0.5 - sum(floor)) / (sum(least) - sum(floor)))
        least = [f + (m - f) * min(t, 1.0) for m, f in zip(least, floor, strict=True)]
    return fit_widths(least, [c[1] for c in columns], budget)
