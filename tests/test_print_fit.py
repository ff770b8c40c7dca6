"""export.print_fit: header breaks, widths within the print budget, the print scale, named fonts;
and every exported workbook's print settings (without LibreOffice: scripts/check_libreoffice.sh
measures the PDFs where it is installed)."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from evalkit.export import print_fit
from evalkit.export.official import export_period
from evalkit.export.xlsx_style import MARGINS
from fixtures_export import FILLED, make_dataset

#: A4 landscape, 297 mm, less the 0.25-inch left and right margins, in points
PRINTABLE_PT = 297 / 25.4 * 72 - 0.5 * 72  # 805.89
#: a column width unit in points, LibreOffice's (the wider): 8.5 px at 0.75 pt
UNIT_PT = 8.5 * 0.75


def test_headers_break_where_a_person_would():
    """立案数 over (家), 罚款金额 over (万元); a header that fits stays on one line."""
    assert print_fit.break_header("立案数(家)", 7) == "立案数\n(家)"
    assert print_fit.break_header("罚款金额(万元)", 8.5) == "罚款金额\n(万元)"
    assert print_fit.break_header("罚款金额(万元)", 20) == "罚款金额(万元)"  # 8 + 6 * 0.85 = 13.1 fits 19.3
    # not in the table: cut into equal halves, never "执法人\n员"
    assert print_fit.break_header("执法人员", 7.5) == "执法\n人员"


def test_header_minimum_is_its_widest_line():
    """立案数\\n(家): 立案数 is 3 + 3 * 0.85 = 5.55, plus 0.7 padding."""
    assert print_fit.header_minimum("立案数(家)") == pytest.approx(6.25)
    assert print_fit.header_minimum("序号") == pytest.approx(4.4)  # two CJK characters at least


def test_fit_widths_keeps_the_minimums_and_shares_the_rest():
    """Budget 20 for minimums 4 + 6 and wants 10 + 16: 10 left over, 16 wanted beyond: 62.5 % each."""
    assert print_fit.fit_widths([4, 6], [10, 16], 20) == [7.5, 12.0]  # 4 + 3.75 -> 3.5; 6 + 6.25 -> 6.0
    assert print_fit.fit_widths([4, 6], [5, 7.2], 20) == [5.0, 7.5]  # fits: wanted, halves rounded up


def test_width_budget_and_print_scale():
    """805.9 pt at 84 % is 959.4 pt, at 6.375 pt a unit 150.49: 150.4; 150 units print at 84.3 %."""
    assert print_fit.width_budget(MARGINS) == 150.4
    assert print_fit.print_scale([150], MARGINS) == pytest.approx(PRINTABLE_PT / (150 * UNIT_PT))
    assert print_fit.print_scale([10], MARGINS) == 1.0  # never enlarged


def test_wanted_width_of_a_sparse_column():
    """备注 filled in 1 of 4 rows with 10 CJK characters (18.5 + 0.7 = 19.2 needed): least is half that
    plus half the padding (two lines at most), wanted the least + half its extra (0.25 + 0.25 filled);
    its floor is the header's two characters (3.7 + 0.7)."""
    least, want, floor = print_fit.wanted_width("备注", ["一二三四五六七八九十", None, None, None])
    assert least == pytest.approx(19.2 / 2 + 0.35)
    assert want == pytest.approx(9.95 + (19.2 - 9.95) * 0.5)
    assert floor == pytest.approx(4.4)
    # a date column must hold its values on one line: its least is what they need
    assert print_fit.wanted_width("检查时间", ["2024-06-03"], fixed=True) == pytest.approx((10.7, 10.7, 10.7))


def test_fit_columns_gives_way_to_the_floors_when_the_leasts_do_not_fit():
    """Twenty columns of least 10, floor 5 in a budget of 150.4: the leasts give way to 7.02 each
    (5 + 5 * 0.404: (150.4 - 20 * 0.5 for the rounding - 100) / 100 of the way from floor to least),
    rounded up to 7.5: total 150."""
    widths = print_fit.fit_columns([(10, 20, 5)] * 20, {"left": 0.25, "right": 0.25})
    assert widths == [7.5] * 20 and sum(widths) <= 150.4


def test_named_fonts():
    """Bold is 黑体, the rest 宋体, both GB2312 (charset 134); a title is 16 pt."""
    assert (print_fit.HEADER_FONT.name, print_fit.HEADER_FONT.charset) == ("黑体", 134)
    assert (print_fit.BODY_FONT.name, print_fit.BODY_FONT.sz, print_fit.BODY_FONT.charset) == ("宋体", 11, 134)
    assert print_fit.print_font(True, 14).sz == 16 and print_fit.print_font(False, 10).name == "宋体"


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    out = tmp_path_factory.mktemp("print")
    return [p for p in export_period(make_dataset(), "2024-06", out, filled_date=FILLED) if p.suffix == ".xlsx"]


def test_every_sheet_prints_on_a4_landscape_at_9_pt_or_more(workbooks):
    """Every sheet of every exported workbook: A4, landscape (the templates' 填表说明 portrait), one page
    wide and as many down as needed, and its columns narrow enough that 11 pt body text prints at
    9 pt or more and the 10 pt notes at 8 pt or more (scale >= 0.818 = 9 / 11)."""
    seen = 0
    for path in workbooks:
        for ws in load_workbook(path).worksheets:
            if ws.sheet_state != "visible":
                continue
            ps = ws.page_setup
            landscape = ws.title != "填表说明"
            assert (int(ps.paperSize), ps.orientation) == (9, "landscape" if landscape else "portrait"), ws.title
            assert ws.sheet_properties.pageSetUpPr.fitToPage and (ps.fitToWidth, ps.fitToHeight) == (1, 0)
            widths = [d.width for d in ws.column_dimensions.values() if d.width]
            printable = PRINTABLE_PT if landscape else 210 / 25.4 * 72 - 0.5 * 72
            scale = min(1.0, printable / (sum(widths) * UNIT_PT))
            assert scale * 11 >= 9 and scale * 10 >= 8, (path.name, ws.title, sum(widths))
            seen += 1
    # 附件2 (+ 差异说明), 附件1 (全镇 + 2 units), 2 lists, the review, 2 templates x 3 visible sheets
    assert seen == 2 + 3 + 3 + 6


def test_every_style_names_a_chinese_font(workbooks):
    """No cell of any exported workbook is left to the default Calibri: 宋体, or 黑体 where bold."""
    for path in workbooks:
        for ws in load_workbook(path).worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is None:
                        continue
                    font = cell.font
                    assert font.name == ("黑体" if font.b else "宋体"), (path.name, ws.title, cell.coordinate)
                    assert font.charset == 134, (path.name, ws.title, cell.coordinate)
