"""The consolidated 附件1 as export.ledger_stream streams it with xlsxwriter.

Three kinds of check: the layout of the fixture month written out by hand (values, merges,
formats, widths, heights, print setup); the same workbook compared cell by cell with the
layout the openpyxl form writer (core.form_writer + export.xlsx_style, still used by the
templates and the sample data) gives from the same declarations; and hostile text, which
must stay literal text (no <f> element anywhere) and keep the workbook whole.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree
from openpyxl import Workbook, load_workbook

from evalkit.core.form_writer import write_ledger_sheet
from evalkit.core.forms import LEDGER
from evalkit.core.periods import parse_period
from evalkit.export import ledger_stream, print_fit
from evalkit.export import xlsx_style as style
from evalkit.export.ledger_stream import ALL_UNITS_SHEET, LEDGER_COLUMN_STYLES, LEDGER_NOTES, ledger_record
from evalkit.export.official import REGION, read_consolidated_ledger, write_ledger_workbook
from evalkit.export.ordering import sorted_month_ledger, unit_order
from evalkit.intake.loader import load
from fixtures_export import FILLED, HOSTILE, HOSTILE_REMARK, LEDGER_ROWS, make_dataset, write_data_dir

ROOT = Path(__file__).resolve().parents[1]
JUNE = parse_period("2024-06")
COL = {key: i + 1 for i, key in enumerate(LEDGER.keys)}
TITLE = "石狮市2024年安全生产执法提升专项行动情况统计表（一）"
NOTE_1, NOTE_2 = LEDGER.notes
# Widths from the June rows of the fixture (sheet 全镇, 备注 marked 【单位】), worked by hand with
# print_fit's rules (CJK 1.85 units, padding 0.7, half-character steps). A text column's least is
# its header's narrowest break or half what 90 % of its cells need (at most two lines), its wanted
# what they need on one line; a column filled in 2 of 4 rows counts 0.75 of its extra:
#   序号 (4.5, 4.5); 企业名称 (26.7 / 2 + 0.35 = 13.7 -> 14, 27: the 26-character HYPERLINK name + 0.7);
#   检查时间 (11, 11: "2024-06-03" must fit); 执法人员 (5.5, 10: "张三、李四" 9.25);
#   隐患 (15.5 for "安全生产违法行为", 22.5: "1. 特种作业人员无证上岗" 21.5); 整改 (12.5, 23.5:
#   "1. 限期整改(限7月10日前)" 22.8); 案号 (11, 18.5: 20.5 wanted, 10.6 + 9.9 * 0.75); 罚款 (8.5, 8.5:
#   "罚款金额" 7.4); 依据 (15.5, 26.5: capped at 30, 15.35 + 14.65 * 0.75); 其他 (12.5, 21.5: capped at
#   24, 12.35 + 11.65 * 0.75); 备注 (15.5, 30: capped, "【石壁村】负责人王五电话13912345678" is 33.2).
#   Wanted 204 > budget 150.4 (805.9 pt printable / 0.84 / 6.375 pt per unit); least 126, so each
#   column gets its least + its extra * 24.4 / 78, rounded down to a half: total 148.
WIDTHS = {"A": 4.5, "B": 18, "C": 11, "D": 6.5, "E": 17.5, "F": 15.5, "G": 13, "H": 8.5, "I": 18.5, "J": 15,
          "K": 20}


def _write(path: Path, ds=None, period=JUNE) -> Path:
    ds = make_dataset() if ds is None else ds
    return write_ledger_workbook(path, ds.ledger, period=period, units=unit_order(ds), filled_date=FILLED)


@pytest.fixture(scope="module")
def june(tmp_path_factory) -> Path:
    return _write(tmp_path_factory.mktemp("ledger") / "附件1.xlsx")


def _sheet_xml(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return [z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/sheet")]


# --------------------------------------------------------------------------- the layout, by hand
def test_sheets_and_title_rows(june):
    """全镇 first, then each unit with rows in registry order; rows 1-4 as the official form."""
    wb = load_workbook(june)
    assert wb.sheetnames == ["全镇", "石壁村", "综合执法队"]
    for name, unit in (("全镇", "蚶江镇"), ("石壁村", "石壁村"), ("综合执法队", "综合执法队")):
        ws = wb[name]
        assert ws["A1"].value == "附件1"
        assert ws["A2"].value == TITLE and ws["A2"].font.b and ws["A2"].font.sz == 16
        assert (ws["A2"].font.name, ws["A2"].font.charset) == ("黑体", 134)
        assert ws["A2"].alignment.horizontal == "center" and ws["A2"].alignment.vertical == "center"
        assert (ws["A3"].value, ws["E3"].value, ws["H3"].value) == (
            f"填报部门（公章）：{unit}", "月份：6月", "填报日期：2024-07-05")
        # the headers broken where a person would, for the widths (print_fit.PRINT_HEADERS)
        assert [c.value for c in ws[4]] == [
            "序号", "受检企业(单位)名称", "检查时间", "执法\n人员", "安全生产违法行为\n(隐患)", "完成整改情况",
            "立案案号", "罚款金额\n(万)", "处罚依据(法律条款)", "其他查处\n(或移送)\n情况", "备注"]
        assert all(cell.font.name == "黑体" for cell in ws[4])
        assert ws["B5"].font.name == "宋体" and ws["B5"].font.charset == 134
        for cell in ws[4]:
            assert cell.font.b and cell.alignment.horizontal == "center" and cell.alignment.wrap_text
            assert {cell.border.left.style, cell.border.right.style, cell.border.top.style,
                    cell.border.bottom.style} == {"thin"}


def test_all_units_sheet_rows_by_hand(june):
    """Every cell of the four June rows of 全镇 (sorted by unit, then date; unit in 备注)."""
    ws = load_workbook(june)["全镇"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5, max_row=8)]
    assert rows == [
        [1, "石壁五金厂", dt.datetime(2024, 6, 3), "张三、李四", "1. 特种作业人员无证上岗\n2. 安全出口堵塞",
         "1. 限期整改\n2. 已整改", "狮蚶应急罚〔2024〕1号", 0.5, "《中华人民共和国安全生产法》第九十七条", "纳入黑名单",
         "【石壁村】负责人王五电话13912345678"],
        [2, HOSTILE, dt.datetime(2024, 6, 12), "张三、李四", None, None, None, None, None, None,
         f"【石壁村】{HOSTILE_REMARK}"],
        [3, "锦江服装有限公司", dt.datetime(2024, 6, 25), "张三、李四", "1. 消防通道堵塞", "1. 限期整改(限7月10日前)",
         None, None, None, None, "【石壁村】"],
        [4, "蚶江渔具店", dt.datetime(2024, 6, 20), "赵六、钱七", "1. 违规储存危险物品", "1. 未整改",
         "狮蚶综执罚〔2024〕2号", None, "《中华人民共和国消防法》第六十条", "责令停产停业整顿；联合惩戒",
         "【综合执法队】"],
    ]
    for row in ws.iter_rows(min_row=5, max_row=8):
        for cell in row:  # blanks too: the grid is bordered and wraps
            assert cell.border.left.style == "thin" and cell.border.bottom.style == "thin", cell.coordinate
            assert cell.alignment.wrap_text and cell.alignment.vertical == "center", cell.coordinate
            assert not cell.font.b
        assert row[COL["seq"] - 1].alignment.horizontal == "center"
        assert row[COL["inspection_date"] - 1].number_format == "yyyy-mm-dd"
        assert row[COL["inspection_date"] - 1].alignment.horizontal == "center"
        assert row[COL["fine_wan"] - 1].number_format == "0.0000"
        assert row[COL["enterprise"] - 1].number_format == "General"
        assert row[COL["enterprise"] - 1].alignment.horizontal is None
    # the formula-looking name is text with a quote prefix; 备注 starts with 【, so needs none
    assert ws["B6"].data_type == "s" and ws["B6"].quotePrefix
    assert not ws["K6"].quotePrefix and not ws["B5"].quotePrefix


def test_footer_notes_and_merges_by_hand(june):
    """Blank row, 填报人签字/联系电话, the seed's notes (merged), then 全镇's own note (merged, 9 pt)."""
    wb = load_workbook(june)
    ws = wb["全镇"]
    assert [ws.cell(r, 1).value for r in range(9, 16)] == [
        None, "填报人签字：", "联系电话：", NOTE_1, NOTE_2, None, LEDGER_NOTES[0]]
    assert ws["A15"].font.sz == 10 and ws["A15"].alignment.vertical == "top" and ws["A15"].alignment.wrap_text
    assert ws.max_row == 15
    assert sorted(str(r) for r in ws.merged_cells.ranges) == ["A12:K12", "A13:K13", "A15:K15", "A2:K2"]
    assert sorted(str(r) for r in wb["石壁村"].merged_cells.ranges) == ["A11:K11", "A12:K12", "A2:K2"]
    assert sorted(str(r) for r in wb["综合执法队"].merged_cells.ranges) == ["A10:K10", "A2:K2", "A9:K9"]
    assert [wb["综合执法队"].cell(r, 1).value for r in range(5, 11)] == [
        1, None, "填报人签字：", "联系电话：", NOTE_1, NOTE_2]
    # the unit sheets are plain official forms: 备注 without the unit mark
    assert wb["石壁村"]["K6"].value == HOSTILE_REMARK and wb["石壁村"]["K6"].quotePrefix
    assert wb["石壁村"]["K7"].value is None


def test_widths_heights_freeze_and_print_by_hand(june):
    """Widths from the content within the print budget (one set for the workbook), heights for the
    wrapped text at those widths, header frozen, A4 landscape, one page wide at 84 % or more."""
    wb = load_workbook(june)
    # header: 3 lines (其他查处/(或移送)/情况). 全镇: r2's hazards need 2 + 1 lines in 17.5 (16.8 usable);
    # the HYPERLINK name (26) 2 lines in 18; r5's "1. 限期整改(限7月10日前)" (22.8) 2 in 15.5;
    # r4's 其他查处 (24.05) 2 in 15. Lines of 15 pt + 3.
    heights = {"全镇": {2: 28, 4: 48, 5: 48, 6: 33, 7: 33, 8: 33}, "石壁村": {2: 28, 4: 48, 5: 48, 6: 33, 7: 33},
               "综合执法队": {2: 28, 4: 48, 5: 33}}
    last = {"全镇": 15, "石壁村": 12, "综合执法队": 10}
    for ws in wb.worksheets:
        assert {k: d.width for k, d in ws.column_dimensions.items() if d.width} == WIDTHS
        assert {r: d.height for r, d in ws.row_dimensions.items() if d.height} == heights[ws.title]
        assert ws.freeze_panes == "A5"
        ps = ws.page_setup
        assert (int(ps.paperSize), ps.orientation, ps.fitToWidth, ps.fitToHeight) == (9, "landscape", 1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        # 148 units * 8.5 px * 0.75 = 943.5 pt on 805.9 pt printable: 85.4 %, so 11 pt prints at 9.4 pt
        assert sum(WIDTHS.values()) == 148
        assert 805.8 / (148 * 6.375) >= 0.84
        assert ws.print_title_rows == "$4:$4"
        assert ws.print_area == f"'{ws.title}'!$A$1:$K${last[ws.title]}"
        assert ws.print_options.horizontalCentered
        m = ws.page_margins
        assert (m.left, m.right, m.top, m.bottom, m.header, m.footer) == (0.25, 0.25, 0.6, 0.6, 0.5, 0.5)
        assert ws.oddFooter.center.text == "第 &P 页，共 &N 页" and ws.oddFooter.left.text == "&A"


def test_month_without_rows_has_only_the_town_sheet(tmp_path):
    """No June rows: 全镇 alone, header and footer, and the note naming the silent units."""
    path = _write(tmp_path / "a.xlsx", period=parse_period("2024-07"))
    wb = load_workbook(path)
    assert wb.sheetnames == ["全镇"]
    ws = wb["全镇"]
    assert [ws.cell(r, 1).value for r in range(5, 13)] == [
        None, "填报人签字：", "联系电话：", NOTE_1, NOTE_2, None, LEDGER_NOTES[0],
        "本月无通过校验的台账记录的单位：石壁村、综合执法队。"]
    assert ws.print_area == "'全镇'!$A$1:$K$12"
    assert read_consolidated_ledger(path).empty


# --------------------------------------------------------------------------- the same as openpyxl's layout
def _openpyxl_layout(path: Path, ds, period=JUNE) -> Path:
    """The consolidated 附件1 laid out by the openpyxl form writer (core.form_writer and
    export.xlsx_style, as the templates and the sample data use it), from the same records."""
    units = unit_order(ds)
    rows = sorted_month_ledger(ds.ledger, period, units)
    present = list(dict.fromkeys(rows["unit"])) if len(rows) else []
    silent = [u for u in units if u not in present]
    notes = [*LEDGER_NOTES, *(["本月无通过校验的台账记录的单位：" + "、".join(silent) + "。"] if silent else [])]
    wb = Workbook()
    print_fit.set_default_font(wb)
    sheets = [(wb.active, REGION, [ledger_record(r, seq=n, remarks_unit=r["unit"])
                                   for n, r in enumerate(rows.to_dict("records"), 1)], notes)]
    sheets[0][0].title = ALL_UNITS_SHEET
    for unit in present:
        ws = wb.create_sheet(style.safe_sheet_title(unit, wb.sheetnames))
        sheets.append((ws, unit, [ledger_record(r, seq=n) for n, r in
                                  enumerate(rows[rows["unit"] == unit].to_dict("records"), 1)], ()))
    widths = ledger_stream.ledger_widths(sheets[0][2])  # 全镇's records, 备注 already marked
    for ws, unit, records, sheet_notes in sheets:
        lay = write_ledger_sheet(ws, unit=unit, year=period.year, month=period.last_month, rows=records,
                                 filled_date=FILLED, column_styles=LEDGER_COLUMN_STYLES)
        if sheet_notes:
            style.write_note_lines(ws, ws.max_row + 2, sheet_notes, len(LEDGER.columns))
        style.print_widths(ws, widths, (lay.header_row,))
        style.fit_row_heights(ws, lay.first_data_row, lay.last_data_row)
        style.setup_print(ws, title_rows=(lay.header_row, lay.header_row), last_column=len(LEDGER.columns))
        print_fit.name_fonts(ws)
    wb.save(path)
    return path


def _cell_facts(cell) -> tuple:
    b, a, f = cell.border, cell.alignment, cell.font
    return (cell.value, cell.data_type if cell.value is not None else None, cell.number_format,
            bool(f.b), bool(f.i), f.sz or 11.0,  # openpyxl's Font(bold=True) leaves the size to the default 11
            f.name or "宋体", f.charset or 134,  # a style without a font has the workbook's default, 宋体
            a.horizontal, a.vertical, bool(a.wrap_text),
            tuple(getattr(b, side).style for side in ("left", "right", "top", "bottom")),
            bool(cell.quotePrefix))


def _sheet_facts(ws) -> dict:
    ps, m = ws.page_setup, ws.page_margins
    return {
        "cells": {c.coordinate: _cell_facts(c) for row in ws.iter_rows() for c in row
                  if type(c).__name__ != "MergedCell" and (c.value is not None or c.has_style)},
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "widths": {k: d.width for k, d in ws.column_dimensions.items() if d.width},
        "heights": {r: d.height for r, d in ws.row_dimensions.items() if d.height},
        "freeze": ws.freeze_panes, "titles": ws.print_title_rows, "area": ws.print_area,
        "page": (int(ps.paperSize), ps.orientation, ps.fitToWidth, ps.fitToHeight,
                 ws.sheet_properties.pageSetUpPr.fitToPage, ws.print_options.horizontalCentered),
        "margins": (m.left, m.right, m.top, m.bottom, m.header, m.footer),
        "footer": (ws.oddFooter.left.text, ws.oddFooter.center.text),
    }


@pytest.mark.parametrize("month", ["2024-06", "2024-07"])
def test_same_layout_as_the_openpyxl_form_writer(tmp_path, month):
    """Cell by cell (value, type, number format, font, alignment, borders, quote prefix), merges,
    widths, heights, freeze panes and print setup equal the openpyxl form writer's layout."""
    ds = make_dataset()
    period = parse_period(month)
    ours = load_workbook(_write(tmp_path / "stream.xlsx", ds, period))
    theirs = load_workbook(_openpyxl_layout(tmp_path / "openpyxl.xlsx", ds, period))
    assert ours.sheetnames == theirs.sheetnames
    for name in theirs.sheetnames:
        got, want = _sheet_facts(ours[name]), _sheet_facts(theirs[name])
        assert got["cells"].keys() == want["cells"].keys(), name
        for ref, facts in want["cells"].items():
            assert got["cells"][ref] == facts, (name, ref)
        assert got == want, name


# --------------------------------------------------------------------------- hostile text
#: Texts that a spreadsheet or the writer could take for something else than text.
HOSTILE_TEXTS = {
    "enterprise": '=HYPERLINK("http://x","y")',
    "case_no": "+1+1",
    "legal_basis": "-2+3",
    "other_handling": "@SUM(A1:A2)",
    # a text shaped like xlsxwriter's own rich-string XML, smuggling in a formula
    "remarks": '<r><t>a</t></r></is><f>HYPERLINK("http://x","y")</f><is><r><t>b</t></r>',
}


def _hostile_dataset(**fields):
    row = {**LEDGER_ROWS[1], **fields}
    return make_dataset(ledger_rows=[row, {**LEDGER_ROWS[3], "remarks": "=cmd|' /C calc'!A0"}])


def _assert_no_formula(path: Path) -> None:
    for xml in _sheet_xml(path):
        etree.fromstring(xml.encode("utf-8"))  # well-formed
        assert not re.search(r"<f[ >/]", xml)


def test_hostile_text_stays_literal_text(tmp_path):
    """Formula-looking text and XML-looking text: no <f> element in any sheet, every cell reads
    back as the same text (type s), quote-prefixed where it starts like a formula."""
    path = _write(tmp_path / "a.xlsx", _hostile_dataset(**HOSTILE_TEXTS))
    _assert_no_formula(path)
    wb = load_workbook(path)
    for sheet, row, remark_mark in (("全镇", 5, "【石壁村】"), ("石壁村", 5, "")):
        ws = wb[sheet]
        for key, text in HOSTILE_TEXTS.items():
            cell = ws.cell(row, COL[key])
            want = remark_mark + text if key == "remarks" else text
            assert (cell.value, cell.data_type) == (want, "s"), (sheet, key)
            assert cell.quotePrefix == want.startswith(("=", "+", "-", "@")), (sheet, key)
    assert wb["综合执法队"]["K5"].value == "=cmd|' /C calc'!A0" and wb["综合执法队"]["K5"].quotePrefix
    back = read_consolidated_ledger(path)
    assert back.loc[0, "remarks"] == HOSTILE_TEXTS["remarks"] and back.loc[0, "enterprise"] == HOSTILE


def test_control_characters_are_removed_and_line_ends_kept(tmp_path):
    """NUL and other control characters are dropped (the workbook stays whole); tab and line
    feed stay; a carriage return is written as a line feed; a leading tab or CR gets the quote prefix."""
    ds = _hostile_dataset(enterprise="五金\x00厂\x07", legal_basis="a\tb\x1f", other_handling="\r=1",
                          remarks="第一行\r\n第二行\x0b")
    path = _write(tmp_path / "a.xlsx", ds)
    _assert_no_formula(path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["全镇", "石壁村", "综合执法队"]
    ws = wb["石壁村"]
    assert ws["A3"].value == "填报部门（公章）：石壁村"
    row = {key: ws.cell(5, COL[key]) for key in LEDGER.keys}
    assert row["enterprise"].value == "五金厂"
    assert row["legal_basis"].value == "a\tb"
    assert row["other_handling"].value == "\n=1" and row["other_handling"].quotePrefix
    assert row["remarks"].value == "第一行\n第二行"
    assert wb["全镇"].cell(5, COL["remarks"]).value == "【石壁村】第一行\n第二行"


def test_text_longer_than_a_cell_holds_is_cut_to_excels_limit(tmp_path):
    """Excel holds 32,767 characters in a cell: longer text is cut there (also where the cut
    would leave a text shaped like rich-string XML)."""
    crafted = "<r>" + "x" * (32_767 - 7) + "</r>" + "tail"
    path = _write(tmp_path / "a.xlsx", _hostile_dataset(remarks=crafted, legal_basis="隐" * 40_000))
    _assert_no_formula(path)
    ws = load_workbook(path)["石壁村"]
    assert ws.cell(5, COL["remarks"]).value == crafted[:32_767]
    assert ws.cell(5, COL["legal_basis"]).value == "隐" * 32_767
    assert ws.row_dimensions[5].height == style.MAX_LINES * style.LINE_HEIGHT + 3


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")),
                    reason="LibreOffice (soffice) is not installed")
def test_hostile_workbook_converts_to_pdf_in_libreoffice(tmp_path):
    """LibreOffice opens the streamed workbook with hostile text (rich-string runs, quote prefixes)."""
    _write(tmp_path / "x" / "附件1.xlsx", _hostile_dataset(**HOSTILE_TEXTS))
    run = subprocess.run(["bash", str(ROOT / "scripts" / "check_libreoffice.sh"), str(tmp_path / "x"),
                          str(tmp_path / "pdf")], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHON": sys.executable})
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(list((tmp_path / "pdf").rglob("*.pdf"))) == 1


def test_hostile_unit_sheets_read_back_through_intake(tmp_path):
    """The unit sheets stay plain submissions with hostile text: intake reads the texts back."""
    fields = {"legal_basis": HOSTILE_TEXTS["remarks"], "remarks": "=cmd|' /C calc'!A0",
              "other_handling": "纳入黑名单"}
    ds = _hostile_dataset(**fields)
    path = _write(tmp_path / "a.xlsx", ds)
    data = write_data_dir(tmp_path / "data")
    for old in (data / "submissions").iterdir():
        old.unlink()
    wb = load_workbook(path)
    del wb["全镇"]
    wb.save(data / "submissions" / "附件1.xlsx")
    got = load(data).ledger.sort_values(["unit"]).reset_index(drop=True)
    assert len(got) == 2 and list(got["unit"]) == ["石壁村", "综合执法队"]
    assert got.loc[0, "legal_basis"] == fields["legal_basis"]
    assert got.loc[0, "remarks"] == fields["remarks"]
    assert got.loc[1, "remarks"] == "=cmd|' /C calc'!A0"


def test_unit_names_that_excel_would_take_for_one_sheet(tmp_path):
    """Sheet names are unique with case ignored and at most 31 UTF-16 units (Excel's rules,
    which xlsxwriter enforces): abc and ABC get two sheets, a long name with emoji is cut."""
    long_name = "单位" + "😀" * 20
    rows = [{**LEDGER_ROWS[1], "unit": u} for u in ("abc", "ABC", long_name, "'引号'")]
    path = _write(tmp_path / "a.xlsx", make_dataset(ledger_rows=rows))
    names = load_workbook(path).sheetnames  # units not in the registry come sorted
    assert names[:4] == ["全镇", "引号", "ABC", "abc(2)"]
    assert names[4] == "单位" + "😀" * 14 and len(names[4].encode("utf-16-le")) // 2 == 30
    assert style.safe_sheet_title("Abc", ["aBC", "abc(2)"]) == "Abc(3)"


def test_a_failed_write_leaves_no_file_and_no_scratch(tmp_path, monkeypatch):
    """An error half-way leaves neither the workbook nor a temporary file, and removes the
    folder xlsxwriter kept its rows in."""
    import tempfile

    made = []
    real_dir = tempfile.TemporaryDirectory

    def recording_dir(*args, **kwargs):
        made.append(real_dir(*args, **kwargs))
        return made[-1]

    def failing_add(self, cells):
        raise OSError("disk full")

    monkeypatch.setattr(ledger_stream.tempfile, "TemporaryDirectory", recording_dir)
    monkeypatch.setattr(ledger_stream.LedgerSheet, "add", failing_add)
    with pytest.raises(OSError, match="disk full"):
        _write(tmp_path / "a.xlsx")
    assert list(tmp_path.iterdir()) == []
    assert made and not Path(made[0].name).exists()


def test_never_writes_through_xlsxwriter_write(tmp_path, monkeypatch):
    """Only write_string (and the typed writers) are used: write() would guess formulas and links."""
    import xlsxwriter.worksheet

    def no_guessing(self, *args, **kwargs):
        raise AssertionError("Worksheet.write() guesses types")

    monkeypatch.setattr(xlsxwriter.worksheet.Worksheet, "write", no_guessing)
    path = _write(tmp_path / "a.xlsx", _hostile_dataset(**HOSTILE_TEXTS))
    assert load_workbook(path).sheetnames == ["全镇", "石壁村", "综合执法队"]
    assert pd.notna(read_consolidated_ledger(path).loc[0, "inspection_date"])


# --------------------------------------------------------------------------- the worker process
def _recording_jobs(monkeypatch) -> list:
    from evalkit.export import official

    started = []

    class Recording(official.LedgerJob):
        def __init__(self, path, ledger, **kwargs):
            started.append((Path(path).name, len(ledger)))
            super().__init__(path, ledger, **kwargs)

    monkeypatch.setattr(official, "LedgerJob", Recording)
    return started


def test_a_large_month_writes_the_ledger_in_a_worker_with_the_same_sheets(tmp_path, monkeypatch):
    """From LEDGER_WORKER_ROWS rows a worker process writes 附件1 (meanwhile the lists and
    templates are written here); its sheets are byte for byte the ones written in-process."""
    from evalkit.export import official

    ds = make_dataset()
    inline = official.export_period(ds, "2024-06", tmp_path / "inline", filled_date=FILLED)
    started = _recording_jobs(monkeypatch)
    monkeypatch.setattr(official, "LEDGER_WORKER_ROWS", 1)
    worker = official.export_period(ds, "2024-06", tmp_path / "worker", filled_date=FILLED)
    assert started == [("蚶江镇_附件1_台账_2024年6月.xlsx", 4)]
    assert [p.relative_to(tmp_path / "worker") for p in worker] == [p.relative_to(tmp_path / "inline") for p in inline]
    assert _sheet_xml(worker[1]) == _sheet_xml(inline[1])
    assert all(p.is_file() for p in worker)


def test_the_workers_error_is_raised_after_the_rest_is_written(tmp_path, monkeypatch):
    """An error in the worker (here: a folder where the workbook goes) is raised by export_period,
    once the lists and templates are written; no temporary file is left."""
    from evalkit.export import official

    monkeypatch.setattr(official, "LEDGER_WORKER_ROWS", 1)
    paths = official.export_paths(tmp_path, "2024-06", unit_order(make_dataset()))
    paths.ledger.mkdir(parents=True)
    with pytest.raises(OSError):
        official.export_period(make_dataset(), "2024-06", tmp_path, filled_date=FILLED)
    assert paths.penalties_xlsx.is_file() and paths.template("石壁村").is_file()
    assert not list(paths.excel_dir.glob(".*.tmp"))


def test_a_script_without_a_main_guard_can_export_a_large_month(tmp_path):
    """The worker is a fresh interpreter, not multiprocessing: a script that calls export_period
    at its top level (no ``if __name__ == "__main__"``) is not run again in it."""
    script = tmp_path / "export_june.py"
    script.write_text(f"""
import sys
sys.path.insert(0, {str(ROOT / "tests")!r})
print("script ran")
from fixtures_export import FILLED, make_dataset
from evalkit.export import official
official.LEDGER_WORKER_ROWS = 1
written = official.export_period(make_dataset(), "2024-06", {str(tmp_path / "out")!r}, filled_date=FILLED)
print(len(written), "files")
""", encoding="utf-8")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.split("\n")[:2] == ["script ran", "9 files"]
    ledger = tmp_path / "out" / "2024-06" / "报表" / "蚶江镇_附件1_台账_2024年6月.xlsx"
    assert len(read_consolidated_ledger(ledger)) == 4


def test_an_error_here_stops_the_worker_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    """When the lists fail, the worker is ended before export_period raises (the lock is
    released only then) and removes its temporary file."""
    from evalkit.export import official

    stopped = []

    class Watched(official.LedgerJob):
        def stop(self):
            stopped.append(self._proc.poll())  # still running: None
            super().stop()

    def failing_lists(*args):
        raise ValueError("lists failed")

    monkeypatch.setattr(official, "LEDGER_WORKER_ROWS", 1)
    monkeypatch.setattr(official, "LedgerJob", Watched)
    monkeypatch.setattr(official, "_lists_and_templates", failing_lists)
    with pytest.raises(ValueError, match="lists failed"):
        official.export_period(make_dataset(), "2024-06", tmp_path, filled_date=FILLED)
    assert len(stopped) == 1
    excel = official.export_paths(tmp_path, "2024-06").excel_dir
    assert not list(excel.glob(".*.tmp"))
