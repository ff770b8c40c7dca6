"""Bounds of a workbook found before its reader runs: one cheap pass over the raw parts.

python-calamine (Rust) builds each sheet as a dense rectangle from its first to its last
cell: one cell in XFD1048576 of an .xlsx, or in IV65536 of an .xls, would make it allocate
gigabytes. So before calamine sees a file, ``scan_*`` reads the file's own structure and
reports, per sheet, the extent calamine will allocate, the content below ``MAX_ROWS``, the
formula cells (calamine gives a formula's cached value, but cannot say a cell was a formula)
and the cells stored with a percent number format (calamine gives 0.85 for 85%).

* .xlsx/.xlsm: ``scan_xlsx`` decides whether the fast path may be used at all (C-speed
  regular-expression searches over each decompressed sheet part); anything unusual (a
  formula, a cell outside the bounds, a cell without a reference, an XML declaration of
  entities) sends the file to the openpyxl reader, which enforces every bound itself.
* .xls: ``scan_biff`` walks the BIFF8 records of the Workbook stream (``ole``).
* .xlsb: ``scan_biff12`` walks the BIFF12 records of each sheet part.
* .ods: ``scan_ods`` stream-parses content.xml (defusedxml), following repeated rows/cells.

Every scan is bounded by the file's (already bounded) size.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

from defusedxml.ElementTree import iterparse as defused_iterparse

from evalkit.intake.grid import MAX_COLUMNS, MAX_ROWS, is_percent_format
from evalkit.intake.ooxml import column_index


@dataclass
class SheetScan:
    """What one sheet holds, in Excel's 1-based (row, column)."""

    name: str | None = None
    state: str = "visible"
    extent: tuple[int, int] = (0, 0)  # last row and column with any cell record (what calamine allocates)
    below: tuple[int, int] | None = None  # first content cell below MAX_ROWS, row-major
    formulas: set[tuple[int, int]] = field(default_factory=set)
    percent: set[tuple[int, int]] = field(default_factory=set)
    cells: int = 0  # content cells


@dataclass
class BookScan:
    sheets: list[SheetScan] = field(default_factory=list)
    encrypted: bool = False
    unreadable: str | None = None  # a Chinese phrase: the structure is broken


#: Cells calamine may allocate for one sheet (rows x columns of its extent): 4,000,000 cells
#: are about 130 MB inside calamine. A form is 18 columns by a few hundred rows.
MAX_DENSE_CELLS = 4_000_000

_BUILTIN_PERCENT_FORMATS = {9, 10}


def _note(scan: SheetScan, row: int, col: int, content: bool) -> None:
    """Row/column are 1-based."""
    r, c = scan.extent
    if row > r or col > c:
        scan.extent = (max(r, row), max(c, col))
    if content:
        scan.cells += 1
        if row > MAX_ROWS and (scan.below is None or (row, col) < scan.below):
            scan.below = (row, col)


# --------------------------------------------------------------------------- .xlsx


# What sends a sheet part to the openpyxl reader, found in one C-speed search (each is a tag
# opening, so the search stops only at a "<"): an XML declaration of a DTD or entities; a
# formula; a cell or row tag that does not open with an in-bounds reference (``r`` first, as Excel,
# WPS, LibreOffice and openpyxl write it: a column up to AN, a row of at most 4 digits; the
# lookahead after "<c " is bounded, so it never runs through a cell's attributes). A tag with
# ``r`` elsewhere only sends the file to the openpyxl reader (the same rows, read slower).
_NOT_PLAIN = re.compile(rb'<(?:!(?i:DOCTYPE|ENTITY)|f[\s>/]'
                        rb'|c(?:[\t\n\r\f\v>/]| (?!r="(?:A[A-N]|[A-Z])\d{1,4}"[\s>/]))'
                        rb'|row(?:[\t\n\r\f\v>/]| (?!r="\d{1,4}"[\s>/])))')
# A prefixed cell, row or sheetData tag (``<x:c``): found from its rare ":c", ":row" or
# ":sheetData", then checked back to its "<" (searching "<\w+:" would try every tag's name).
_PREFIXED_NAME = re.compile(rb":(?:c|row|sheetData)\b")
_WORD = re.compile(rb"\w+")
_DIMENSION = re.compile(rb'<dimension\s+ref="([^"]*)"')
_DIM_REF = re.compile(r"^[A-Z]{1,3}\d{1,7}(?::([A-Z]{1,3})(\d{1,7}))?$")


def _has_prefixed_cell(xml: bytes) -> bool:
    r"""Whether ``<\w+:(?:c|row|sheetData)\b`` occurs in ``xml``."""
    for m in _PREFIXED_NAME.finditer(xml):
        lt = xml.rfind(b"<", 0, m.start())
        if lt >= 0 and _WORD.fullmatch(xml, lt + 1, m.start()):
            return True
    return False


def xlsx_sheet_is_plain(xml: bytes) -> bool:
    """True when calamine may read this worksheet part: every cell and row carries its
    reference, all lie within MAX_ROWS x MAX_COLUMNS (so is its declared dimension), and
    there is no formula and no DTD. Otherwise the openpyxl reader handles the file."""
    if _NOT_PLAIN.search(xml) or _has_prefixed_cell(xml):
        return False
    dim = _DIMENSION.search(xml)
    if dim is not None:
        m = _DIM_REF.match(dim.group(1).decode("ascii", "replace"))
        if m is None:
            return False
        if m.group(1) and (column_index(m.group(1)) > MAX_COLUMNS or int(m.group(2)) > MAX_ROWS):
            return False
    return True


_NUMFMT = re.compile(rb'<numFmt\s[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"')
_CELLXFS = re.compile(rb"<cellXfs\b.*?</cellXfs>", re.DOTALL)
_XF = re.compile(rb"<xf\b([^>]*)>")
_XF_NUMFMT = re.compile(rb'\bnumFmtId="(\d+)"')


def xlsx_percent_styles(styles: bytes | None) -> set[int]:
    """Indexes of the cell formats (``s`` attribute) with a percent number format."""
    if not styles:
        return set()
    custom = {int(i): code.decode("utf-8", "replace").replace("&quot;", '"') for i, code in _NUMFMT.findall(styles)}
    block = _CELLXFS.search(styles)
    if block is None:
        return set()
    out = set()
    for index, attrs in enumerate(_XF.findall(block.group(0))):
        m = _XF_NUMFMT.search(attrs)
        fmt = int(m.group(1)) if m else 0
        if fmt in _BUILTIN_PERCENT_FORMATS or is_percent_format(custom.get(fmt)):
            out.add(index)
    return out


def xlsx_percent_cells(xml: bytes, styles: set[int]) -> set[tuple[int, int]]:
    if not styles:
        return set()
    pattern = re.compile(rb'<c\s[^>]*?\br="([A-Z]{1,3})(\d+)"[^>]*?\bs="(' +
                         b"|".join(str(s).encode() for s in sorted(styles)) + rb')"')
    pattern_rev = re.compile(rb'<c\s[^>]*?\bs="(' + b"|".join(str(s).encode() for s in sorted(styles)) +
                             rb')"[^>]*?\br="([A-Z]{1,3})(\d+)"')
    out = {(int(row), column_index(col.decode())) for col, row, _ in pattern.findall(xml)}
    out |= {(int(row), column_index(col.decode())) for _, col, row in pattern_rev.findall(xml)}
    return out


# --------------------------------------------------------------------------- .xls (BIFF8)

_BOF, _EOF, _BOUNDSHEET, _FILEPASS, _FORMAT, _XF_REC = 0x0809, 0x000A, 0x0085, 0x002F, 0x041E, 0x00E0
_CONTENT_RECORDS = {0x0203, 0x027E, 0x00FD, 0x0204, 0x00D6, 0x0205, 0x0006}  # NUMBER RK LABELSST LABEL RSTRING
_BLANK, _MULBLANK, _MULRK, _FORMULA_REC = 0x0201, 0x00BE, 0x00BD, 0x0006  # BOOLERR FORMULA
_STATES = {0: "visible", 1: "hidden", 2: "veryHidden"}


def _biff_string(data: bytes, pos: int, length_bytes: int = 2) -> str:
    """An XLUnicodeString (BIFF8) at ``pos``; "" when it runs past the data."""
    try:
        n = data[pos] if length_bytes == 1 else struct.unpack_from("<H", data, pos)[0]
        flags = data[pos + length_bytes]
        start = pos + length_bytes + 1
        if flags & 1:
            return data[start:start + 2 * n].decode("utf-16-le", "replace")
        return data[start:start + n].decode("latin-1")
    except (IndexError, struct.error):
        return ""


def scan_biff(stream: bytes) -> BookScan:
    """Sheets, bounds, formulas and percent cells of a BIFF8 Workbook stream (see module doc)."""
    book = BookScan()
    size = len(stream)
    formats: dict[int, str] = {}
    xf_formats: list[int] = []
    sheets: list[tuple[int, SheetScan]] = []
    pos = 0
    # the globals substream: up to its EOF
    while pos + 4 <= size:
        rtype, length = struct.unpack_from("<HH", stream, pos)
        body = pos + 4
        pos = body + length
        if rtype == _FILEPASS:
            book.encrypted = True
            return book
        if rtype == _BOUNDSHEET and length >= 8:
            offset, state, kind = struct.unpack_from("<IBB", stream, body)
            if kind == 0:  # a worksheet (not a chart or macro sheet)
                sheets.append((offset, SheetScan(_biff_string(stream, body + 6, 1), _STATES.get(state & 3, "hidden"))))
        elif rtype == _FORMAT and length >= 4:
            formats[struct.unpack_from("<H", stream, body)[0]] = _biff_string(stream, body + 2)
        elif rtype == _XF_REC and length >= 4:
            xf_formats.append(struct.unpack_from("<H", stream, body + 2)[0])
        elif rtype == _EOF:
            break
    percent_xf = {i for i, f in enumerate(xf_formats)
                  if f in _BUILTIN_PERCENT_FORMATS or is_percent_format(formats.get(f))}
    unpack = struct.unpack_from
    for offset, scan in sheets:
        pos = offset
        if pos + 4 > size or unpack("<H", stream, pos)[0] != _BOF:
            book.unreadable = f"工作表“{scan.name}”的位置无效"
            return book
        while pos + 4 <= size:
            rtype, length = unpack("<HH", stream, pos)
            body = pos + 4
            pos = body + length
            if rtype == _EOF:
                break
            if rtype in _CONTENT_RECORDS and length >= 6:
                row, col, xf = unpack("<HHH", stream, body)
                _note(scan, row + 1, col + 1, True)
                if rtype == _FORMULA_REC:
                    scan.formulas.add((row + 1, col + 1))
                if xf in percent_xf and rtype in (0x0203, 0x027E, 0x0006):
                    scan.percent.add((row + 1, col + 1))
            elif rtype == _MULRK and length >= 6:
                row, first = unpack("<HH", stream, body)
                last = unpack("<H", stream, body + length - 2)[0]
                for i, col in enumerate(range(first, last + 1)):
                    at = body + 4 + 6 * i
                    if at + 6 > body + length - 2:
                        break
                    _note(scan, row + 1, col + 1, True)
                    if unpack("<H", stream, at)[0] in percent_xf:
                        scan.percent.add((row + 1, col + 1))
            elif rtype == _BLANK and length >= 6:
                row, col = unpack("<HH", stream, body)
                _note(scan, row + 1, col + 1, False)
            elif rtype == _MULBLANK and length >= 6:
                row, first = unpack("<HH", stream, body)
                last = unpack("<H", stream, body + length - 2)[0]
                _note(scan, row + 1, last + 1, False)
        book.sheets.append(scan)
    return book


# --------------------------------------------------------------------------- .xlsb (BIFF12)

_B12_ROW, _B12_FORMULAS = 0x0000, {8, 9, 10, 11}
_B12_CELLS = set(range(1, 12))  # BrtCellBlank .. BrtFmlaError
_B12_BLANK = 1


def b12_varint(data: bytes, pos: int, limit: int) -> tuple[int, int]:
    value, shift = 0, 0
    for _ in range(limit):
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return value, pos


def scan_biff12(part: bytes, name: str | None = None) -> SheetScan:
    """Bounds and formulas of one .xlsb worksheet part (BIFF12 records)."""
    scan = SheetScan(name)
    pos, size, row = 0, len(part), 0
    unpack = struct.unpack_from
    try:
        while pos < size:
            rtype, pos = b12_varint(part, pos, 2)
            length, pos = b12_varint(part, pos, 4)
            body = pos
            pos += length
            if rtype == _B12_ROW and length >= 4:
                row = unpack("<I", part, body)[0] + 1
            elif rtype in _B12_CELLS and length >= 4:
                col = unpack("<I", part, body)[0] + 1
                _note(scan, row, col, rtype != _B12_BLANK)
                if rtype in _B12_FORMULAS:
                    scan.formulas.add((row, col))
    except (IndexError, struct.error):
        pass  # a truncated record: calamine refuses the part, or reads what is there
    return scan


# --------------------------------------------------------------------------- .ods

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_T = f"{{{_TABLE_NS}}}"
_TABLE, _ROW, _CELL, _COVERED = f"{_T}table", f"{_T}table-row", f"{_T}table-cell", f"{_T}covered-table-cell"
_VALUE_TYPE, _FORMULA_ATTR = f"{{{_OFFICE_NS}}}value-type", f"{_T}formula"
#: Repeats honoured for one row or cell: LibreOffice writes a million-row repeat of the
#: empty rows after the data; content repeated further than the bounds is counted at the bound.
_REPEAT_CAP = 1 << 20


def scan_ods(stream) -> BookScan:
    """Sheets, bounds, formulas and percent cells of an .ods content.xml (a file object)."""
    book = BookScan()
    scan: SheetScan | None = None
    row = col = 0
    row_repeat = 1
    row_has: list[tuple[int, bool]] = []  # (column, content) of cells in the current row
    depth_in_cell = 0
    cell_content = False
    for event, el in defused_iterparse(stream, events=("start", "end"), forbid_dtd=True):
        tag = el.tag
        if event == "start":
            if depth_in_cell:
                depth_in_cell += 1
                cell_content = True  # a <text:p> or any child is content
                continue
            if tag == _TABLE:
                scan = SheetScan(el.get(f"{_T}name"))
                row = 0
            elif tag == _ROW and scan is not None:
                row_repeat = min(int(el.get(f"{_T}number-rows-repeated", "1") or 1), _REPEAT_CAP)
                col = 0
                row_has = []
            elif tag in (_CELL, _COVERED) and scan is not None:
                depth_in_cell = 1
                cell_content = el.get(_VALUE_TYPE) is not None
            continue
        if depth_in_cell > 1:
            depth_in_cell -= 1
            el.clear()
            continue
        if tag in (_CELL, _COVERED) and scan is not None and depth_in_cell == 1:
            depth_in_cell = 0
            repeat = min(int(el.get(f"{_T}number-columns-repeated", "1") or 1), _REPEAT_CAP)
            first = col + 1
            col += repeat
            if cell_content:
                row_has.append((first, True))
                if repeat > 1:
                    row_has.append((min(col, first + _REPEAT_CAP), True))
                if el.get(_FORMULA_ATTR):
                    scan.formulas.add((row + 1, first))
                if el.get(_VALUE_TYPE) == "percentage":
                    scan.percent.add((row + 1, first))
            el.clear()
        elif tag == _ROW and scan is not None:
            for c, content in row_has:
                _note(scan, row + 1, c, content)
                if row_repeat > 1:
                    _note(scan, row + row_repeat, c, content)
            row += row_repeat
            el.clear()
        elif tag == _TABLE and scan is not None:
            book.sheets.append(scan)
            scan = None
            el.clear()
    return book
