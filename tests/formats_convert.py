"""Write an .xlsx submission's cells as .xls (xlwt), .ods (odfpy) or .xlsb (BIFF12 records written
here, ``to_xlsb``: no library writes .xlsb): the round-trip tests and
tests/fixtures/formats/ (``python tests/formats_convert.py`` rewrites those fixtures).

What is copied is what intake reads: every sheet's values (text, numbers, dates), merged
ranges (the value stays in the top-left cell, as Excel, WPS and LibreOffice keep it), the
sheet's visibility and, for .xls, percent number formats. The files are written by these
libraries, not by LibreOffice or WPS: the BIFF8 and OpenDocument structures are the same
formats those programs write, which is what python-calamine reads.
"""

from __future__ import annotations

import datetime as dt
import shutil
import struct
import sys
import zipfile
from pathlib import Path

from openpyxl import load_workbook


def _sheets(src: Path):
    wb = load_workbook(src, data_only=True)
    for ws in wb.worksheets:
        merged = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
        cells = {(c.row, c.column): (c.value, c.number_format) for row in ws.iter_rows() for c in row
                 if c.value is not None}
        yield ws.title, ws.sheet_state, merged, cells


def to_xls(src: Path, dest: Path) -> Path:
    import xlwt  # lazy: a test-only dependency

    book = xlwt.Workbook(encoding="utf-8")
    styles: dict[str, object] = {}

    def style(fmt: str, value):
        if isinstance(value, dt.datetime | dt.date):
            fmt = "yyyy-mm-dd" if fmt in ("General", "") else fmt
        if fmt not in styles:
            styles[fmt] = xlwt.easyxf(num_format_str=fmt or "General")
        return styles[fmt]

    for title, state, merged, cells in _sheets(src):
        sheet = book.add_sheet(title, cell_overwrite_ok=True)
        if state != "visible":
            sheet.visibility = 2 if state == "veryHidden" else 1
        covered = set()
        for r1, c1, r2, c2 in merged:
            value, fmt = cells.get((r1, c1), ("", "General"))
            sheet.write_merge(r1 - 1, r2 - 1, c1 - 1, c2 - 1, value, style(fmt, value))
            covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for (r, c), (value, fmt) in cells.items():
            if (r, c) not in covered:
                sheet.write(r - 1, c - 1, value, style(fmt, value))
    dest.parent.mkdir(parents=True, exist_ok=True)
    book.save(str(dest))
    return dest


def to_ods(src: Path, dest: Path) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet  # lazy: a test-only dependency
    from odf.style import Style, TableProperties  # lazy: as above
    from odf.table import CoveredTableCell, Table, TableCell, TableRow  # lazy: as above
    from odf.text import P  # lazy: as above

    doc = OpenDocumentSpreadsheet()
    hidden = None  # a hidden sheet's table style says display="false" (ODF has no "very hidden")
    for title, state, merged, cells in _sheets(src):
        if state != "visible" and hidden is None:
            hidden = Style(name="ta_hidden", family="table")
            hidden.addElement(TableProperties(display="false"))
            doc.automaticstyles.addElement(hidden)
        table = Table(name=title, stylename=hidden) if state != "visible" else Table(name=title)
        spans = {(r1, c1): (r2 - r1 + 1, c2 - c1 + 1) for r1, c1, r2, c2 in merged}
        covered = {(r, c) for r1, c1, r2, c2 in merged for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)
                   if (r, c) != (r1, c1)}
        last_row = max([r for r, _ in cells] + [r2 for _, _, r2, _ in merged] + [0])
        last_col = max([c for _, c in cells] + [c2 for _, _, _, c2 in merged] + [0])
        for r in range(1, last_row + 1):
            row = TableRow()
            for c in range(1, last_col + 1):
                if (r, c) in covered:
                    row.addElement(CoveredTableCell())
                    continue
                value, fmt = cells.get((r, c), (None, ""))
                attrs = {}
                if (r, c) in spans:
                    attrs = {"numberrowsspanned": spans[(r, c)][0], "numbercolumnsspanned": spans[(r, c)][1]}
                if value is None:
                    row.addElement(TableCell(**attrs))
                    continue
                if isinstance(value, dt.datetime | dt.date):
                    cell = TableCell(valuetype="date", datevalue=value.isoformat(), **attrs)
                    text = value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
                elif isinstance(value, bool):
                    cell = TableCell(valuetype="boolean", booleanvalue=str(value).lower(), **attrs)
                    text = str(value)
                elif isinstance(value, int | float):
                    kind = "percentage" if "%" in (fmt or "") else "float"
                    cell = TableCell(valuetype=kind, value=repr(float(value)), **attrs)
                    text = f"{value:g}"
                else:
                    cell = TableCell(valuetype="string", **attrs)
                    text = str(value)
                for line in text.split("\n"):
                    cell.addElement(P(text=line))
                row.addElement(cell)
            table.addElement(row)
        doc.spreadsheet.addElement(table)
    dest.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(dest))
    return dest


def _b12_varint(n: int, limit: int) -> bytes:
    out = bytearray()
    for _ in range(limit):
        out.append((n & 0x7F) | (0x80 if n >> 7 else 0))
        n >>= 7
        if not n:
            break
    return bytes(out)


def _b12(rtype: int, body: bytes = b"") -> bytes:
    """One BIFF12 record: type and size as 7-bit varints, then the body ([MS-XLSB] 2.1.4)."""
    return _b12_varint(rtype, 2) + _b12_varint(len(body), 4) + body


def _b12_text(text: str) -> bytes:
    data = text.encode("utf-16-le")
    return struct.pack("<I", len(data) // 2) + data


def _b12_sheet(cells: dict) -> bytes:
    """A worksheet part: BrtBeginSheet, BrtWsDim, BrtBeginSheetData, per row BrtRowHdr and its cells
    (BrtCellReal for numbers and dates as Excel serials, BrtCellBool, BrtCellSt for text), the ends."""
    rows: dict[int, list] = {}
    for (r, c), (value, _fmt) in cells.items():
        rows.setdefault(r, []).append((c, value))
    last_row, last_col = max(rows, default=1), max((c for _, c in cells), default=1)
    out = _b12(129) + _b12(148, struct.pack("<IIII", 0, last_row - 1, 0, last_col - 1)) + _b12(145)
    for r in sorted(rows):
        out += _b12(0, struct.pack("<IIHHBI", r - 1, 0, 300, 0, 0, 0))
        for c, value in sorted(rows[r]):
            head = struct.pack("<II", c - 1, 0)
            if isinstance(value, bool):
                out += _b12(4, head + struct.pack("<B", value))
            elif isinstance(value, int | float):
                out += _b12(5, head + struct.pack("<d", float(value)))
            elif isinstance(value, dt.date):  # a datetime too: no styles part, so an Excel serial number
                day = value.date() if isinstance(value, dt.datetime) else value
                out += _b12(5, head + struct.pack("<d", float((day - dt.date(1899, 12, 30)).days)))
            else:
                out += _b12(6, head + _b12_text(str(value)))
    return out + _b12(146) + _b12(130)


def to_xlsb(src: Path, dest: Path) -> Path:
    """The cells of ``src`` as an .xlsb (BIFF12 records written here: no Python library writes .xlsb,
    and LibreOffice only reads it). No styles part: dates become Excel serial numbers, percent
    formats are not kept, merged ranges keep their top-left value only."""
    sheets = list(_sheets(src))
    ns = "http://schemas.openxmlformats.org/"
    rel_type = f"{ns}officeDocument/2006/relationships/"
    binary = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"
    types = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="{ns}package/2006/content-types">'
             f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             f'<Default Extension="bin" ContentType="{binary}"/>'
             f'<Override PartName="/xl/workbook.bin" ContentType="{binary}"/>'
             + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.bin" '
                       'ContentType="application/vnd.ms-excel.worksheet"/>' for i in range(1, len(sheets) + 1))
             + "</Types>")
    rels = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
            f'xmlns="{ns}package/2006/relationships"><Relationship Id="rId1" Type="{rel_type}officeDocument" '
            'Target="xl/workbook.bin"/></Relationships>')
    book_rels = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
                 f'xmlns="{ns}package/2006/relationships">'
                 + "".join(f'<Relationship Id="rId{i}" Type="{rel_type}worksheet" Target="worksheets/sheet{i}.bin"/>'
                           for i in range(1, len(sheets) + 1)) + "</Relationships>")
    states = {"visible": 0, "hidden": 1, "veryHidden": 2}
    book = _b12(131) + _b12(143)  # BrtBeginBook, BrtBeginBundleShs
    for i, (title, state, _merged, _cells) in enumerate(sheets, 1):  # BrtBundleSh: state, tab id, rel id, name
        book += _b12(156, struct.pack("<II", states.get(state, 1), i) + _b12_text(f"rId{i}") + _b12_text(title))
    book += _b12(144) + _b12(132)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", types)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("xl/workbook.bin", book)
        zf.writestr("xl/_rels/workbook.bin.rels", book_rels)
        for i, (_title, _state, _merged, cells) in enumerate(sheets, 1):
            zf.writestr(f"xl/worksheets/sheet{i}.bin", _b12_sheet(cells))
    return dest


def convert_data_dir(src: Path, dest: Path, suffix: str) -> Path:
    """A copy of data folder ``src`` whose submissions are all in ``suffix`` (".xls", ".ods", ".xlsb"),
    the same names otherwise, the same modification times, received.csv renamed to match."""
    import os

    write = {".xls": to_xls, ".ods": to_ods, ".xlsb": to_xlsb}[suffix]
    shutil.copytree(src / "registry", dest / "registry")
    for path in sorted((src / "submissions").rglob("*.xlsx")):
        out = dest / path.relative_to(src).with_suffix(suffix)
        write(path, out)
        st = path.stat()
        os.utime(out, (st.st_atime, st.st_mtime))
    received = dest / "registry" / "received.csv"
    if received.exists():
        received.write_text(received.read_text(encoding="utf-8").replace(".xlsx,", f"{suffix},"), encoding="utf-8")
    return dest


FIXTURES = Path(__file__).parent / "fixtures" / "formats"
#: The sample files written as fixtures: 莲中村's June and 厝仔村's July (each with a planted
#: near-miss name), 石壁村's November (the planted 待定 fine: a rejected row).
FIXTURE_SOURCES = ("2024-06/莲中村6月报表.xlsx", "2024-07/厝仔村7月份报表.xlsx", "2024-11/石壁村11月执法统计.xlsx")


def main() -> None:  # pragma: no cover - run by hand to rewrite the fixtures
    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "submissions"
    for rel in FIXTURE_SOURCES:
        src = sample / rel
        for suffix, write in ((".xls", to_xls), (".ods", to_ods), (".xlsb", to_xlsb)):
            write(src, FIXTURES / Path(rel).with_suffix(suffix).name)
    _encrypted(FIXTURES / "encrypted.xlsx")
    print("written to", FIXTURES, file=sys.stderr)


def _encrypted(dest: Path) -> None:  # pragma: no cover - run by hand with main()
    """A password-protected .xlsx (an OLE container with EncryptionInfo), written by msoffcrypto-tool."""
    import io
    import tempfile

    from msoffcrypto.format.ooxml import OOXMLFile  # lazy: a dev-only dependency, for this fixture

    from intake_helpers import inspection, ledger_file, make_data_dir

    with tempfile.TemporaryDirectory() as tmp:
        path = ledger_file(make_data_dir(Path(tmp) / "d"), "a.xlsx", [inspection()])
        out = io.BytesIO()
        with open(path, "rb") as fh:
            OOXMLFile(fh).encrypt("not-a-real-password", out)
    dest.write_bytes(out.getvalue())


if __name__ == "__main__":
    main()
