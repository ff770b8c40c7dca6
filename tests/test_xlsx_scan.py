"""scans.xlsx_sheet_is_plain: which worksheet parts calamine may read (the fast path).

The check counts every cell and row tag and those that open with an in-bounds reference;
anything else sends the file to the openpyxl reader, which must then give the same rows.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from evalkit.intake import workbooks
from evalkit.intake.grid import MAX_COLUMNS, MAX_ROWS
from evalkit.intake.loader import load
from evalkit.intake.ooxml import column_index
from evalkit.intake.scans import xlsx_sheet_is_plain

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def _sheet(cells: str, rows: str | None = None) -> bytes:
    body = rows if rows is not None else f'<row r="1">{cells}</row>'
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><cols><col min="1" max="2"/></cols><sheetData>{body}</sheetData>'
            '</worksheet>').encode()


@pytest.mark.parametrize("cells", [
    '<c r="A1" t="s"><v>0</v></c>',
    '<c r="A1"/><c r="AN9999" s="2"><v>1</v></c>',
    '<c r="Z1"\n t="n"><v>1</v></c>',
    '<c r="B2">',  # a bare tag (not well formed, but its reference is in bounds)
])
def test_plain_sheets_take_the_fast_path(cells):
    assert xlsx_sheet_is_plain(_sheet(cells))


@pytest.mark.parametrize("cells,why", [
    ('<c r="AO1"><v>1</v></c>', "column after AN"),
    ('<c r="BA1"><v>1</v></c>', "two letters after AN"),
    ('<c r="AAA1"><v>1</v></c>', "three letters"),
    ('<c r="A10000"><v>1</v></c>', "row of 5 digits"),
    ('<c t="n"><v>1</v></c>', "a cell without a reference"),
    ("<c><v>1</v></c>", "a bare cell"),
    ('<c s="1" r="A1"><v>1</v></c>', "reference not first: the openpyxl reader reads it"),
    ('<c r="A1"><f>1+1</f><v>2</v></c>', "a formula"),
    ('<x:c r="A1"><x:v>1</x:v></x:c>', "a prefixed cell"),
])
def test_unusual_sheets_go_to_openpyxl(cells, why):
    assert not xlsx_sheet_is_plain(_sheet(cells)), why


@pytest.mark.parametrize("rows,why", [
    ('<row r="10000"><c r="A1"/></row>', "row number of 5 digits"),
    ('<row><c r="A1"/></row>', "a row without a reference"),
    ('<row spans="1:2" r="1"><c r="A1"/></row>', "row reference not first"),
])
def test_unusual_rows_go_to_openpyxl(rows, why):
    assert not xlsx_sheet_is_plain(_sheet("", rows=rows)), why


def test_declaration_of_entities_goes_to_openpyxl():
    assert not xlsx_sheet_is_plain(b'<!DOCTYPE x [<!ENTITY a "b">]>' + _sheet('<c r="A1"/>'))


def _attributes_reordered(src: Path, dst: Path) -> int:
    """A copy of ``src`` whose cells carry their reference last (``<c t="s" r="A1">``): the
    same workbook to Excel, but not plain to the scan. Returns the number of cells changed."""
    changed = 0

    def swap(m: re.Match) -> str:
        nonlocal changed
        changed += 1
        return f"<c{m.group(2)} {m.group(1)}{m.group(3)}"

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(r'<c (r="[A-Z]+\d+")((?: [a-z]+="[^"]*")+)(/?>)', swap, data.decode()).encode()
            zout.writestr(info, data)
    return changed


def test_a_sheet_the_scan_declines_gives_the_same_rows_through_openpyxl(tmp_path, monkeypatch):
    """The same month read with every cell's reference moved last (openpyxl reader) and as sent
    (calamine): the same ledger, figures and problems."""
    data = tmp_path / "data"
    shutil.copytree(SAMPLE / "registry", data / "registry")
    month = data / "submissions" / "2024-06"
    month.mkdir(parents=True)
    sources = sorted((SAMPLE / "submissions" / "2024-06").glob("*.xlsx"))[:6]
    for src in sources:
        shutil.copy(src, month / src.name)
    plain = load(data, jobs=1)
    changed = 0
    for src in sources:
        changed += _attributes_reordered(src, month / src.name)
    opened = []
    real = workbooks._openpyxl_sheets
    monkeypatch.setattr(workbooks, "_openpyxl_sheets", lambda data, budget: opened.append(1) or real(data, budget))
    declined = load(data, jobs=1)
    assert changed > 100  # the copies really differ from the originals
    assert len(opened) == len(sources)  # and every one was read by openpyxl
    assert len(plain.ledger) > 0
    pd.testing.assert_frame_equal(plain.ledger, declined.ledger)
    pd.testing.assert_frame_equal(plain.figures, declined.figures)
    columns = ["rule", "file", "sheet", "row", "column", "message"]
    pd.testing.assert_frame_equal(plain.problems[columns], declined.problems[columns])


def _plain_by_counting(xml: bytes) -> bool:
    """The check as first written (the oracle): count every cell and row tag and those opening
    with an in-bounds reference, and search each unwanted construct with one plain pattern."""
    if (re.search(rb"<!(?:DOCTYPE|ENTITY)", xml, re.IGNORECASE) or re.search(rb"<\w+:(?:c|row|sheetData)\b", xml)
            or re.search(rb"<f[\s>/]", xml)):
        return False
    if len(re.findall(rb'<c r="(?:A[A-N]|[A-Z])\d{1,4}"[\s>/]', xml)) != len(re.findall(rb"<c[\s>/]", xml)) or \
            len(re.findall(rb'<row r="\d{1,4}"[\s>/]', xml)) != len(re.findall(rb"<row[\s>/]", xml)):
        return False
    dim = re.search(rb'<dimension\s+ref="([^"]*)"', xml)
    if dim is not None:
        m = re.match(r"^[A-Z]{1,3}\d{1,7}(?::([A-Z]{1,3})(\d{1,7}))?$", dim.group(1).decode("ascii", "replace"))
        if m is None or (m.group(1) and (column_index(m.group(1)) > MAX_COLUMNS or int(m.group(2)) > MAX_ROWS)):
            return False
    return True


TOKENS = [b'<c r="A1">', b'<c r="AN9999"/>', b'<c r="AO1">', b'<c t="s" r="A1">', b"<c>", b"<c/>", b'<c\tr="A1">',
          b'<c  r="A1">', b'<c r="A1"\n>', b'<c r="A10000">', b'<row r="1">', b'<row r="1" spans="1:2">', b"<row>",
          b'<row\nr="1">', b'<row r="12345">', b'<x:c r="A1">', b"<x:row>", b"<ns1:sheetData>", b"<a b:c>",
          b" :c ", b"<x:cols>", b"<x:c-1>", b"<cols>", b"<col/>", b"<f>", b"<f/>", b"<fo>", b'<dimension ref="A1:B2"/>',
          b'<dimension ref="A1:AO2"/>', b"<!doctype x>",
          b"<!ENTITY a>", b"<!EnTiTy", b"<!-- c -->", b"<![CDATA[<c>]]>", b"<!",
          b"<v>1</v>", b"</c>", b"</row>", b"<", b"c", b":", b" ", b"x"]


@pytest.mark.parametrize("seed", range(40))
def test_one_search_decides_as_the_counting_did(seed):
    """The one-search check (odd tags, prefixed names found from their colon) decides exactly as the
    counting check it replaced, on random runs of cell, row, prefixed, formula and dimension tags."""
    import random

    rng = random.Random(seed)
    for _ in range(300):
        xml = b"".join(rng.choice(TOKENS) for _ in range(rng.randint(0, 12)))
        assert xlsx_sheet_is_plain(xml) == _plain_by_counting(xml), xml
