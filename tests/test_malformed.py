"""A corpus of malformed submissions: each gives its precise problem row and exact row counts.

Each case builds one file in a fresh data folder (tmp_path), loads it and checks:
the (file, sheet, row, column) of every problem with the case's rule, that no other
error appears, and the file's rows_read / rows_accepted / rows_rejected.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from openpyxl import Workbook

from evalkit.core.form_writer import write_submission
from evalkit.intake import loader as intake
from evalkit.intake import workbooks
from intake_helpers import LEDGER_HEADER, grid_file, inspection, ledger_file, make_data_dir, where

S = "submissions"
L1 = "统计表一"  # the sheet name layout.write_submission gives 附件1
L2 = "统计表二"


def _write(data_dir, name, data: bytes):
    (data_dir / S / name).write_bytes(data)


def _zip(entries: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in entries.items():
            zf.writestr(name, text)
    return buf.getvalue()


def _with_cached_value(path, cell_ref: str, cached: str):
    """Give the formula in ``cell_ref`` a cached value, as Excel would after saving."""
    src = path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                head, tail = data.split(f'<c r="{cell_ref}"'.encode(), 1)
                # <v /> (ElementTree) or <v></v> (lxml, when installed) is the empty cached value
                tail = re.sub(rb"<v ?/>|<v></v>", f"<v>{cached}</v>".encode(), tail, count=1)
                data = head + f'<c r="{cell_ref}"'.encode() + tail
            zout.writestr(item, data)
    path.write_bytes(out.getvalue())


# --------------------------------------------------------------------------- the builders


def corrupt_zip(d):
    _write(d, "a.xlsx", b"PK\x03\x04" + b"\x00garbage" * 20)


def empty_file(d):
    _write(d, "a.xlsx", b"")


def empty_workbook(d):
    Workbook().save(d / S / "a.xlsx")


def password_protected(d):
    _write(d, "a.xlsx", workbooks.OLE_MAGIC + b"\x00" * 504)


def legacy_xls(d):
    _write(d, "a.xls", workbooks.OLE_MAGIC + b"\x00" * 504)


def docx_renamed(d):
    _write(d, "a.xlsx", _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"}))


def txt_renamed(d):
    _write(d, "a.xlsx", "石壁村5月统计表：检查3家\n".encode())


def csv_submission(d):
    _write(d, "a.csv", (",".join(LEDGER_HEADER) + "\n1,石狮市宏达五金厂,2024-05-06\n").encode("utf-8"))


def pdf_submission(d):
    _write(d, "a.pdf", b"%PDF-1.4\n%\xe2\xe3\n")


def unrecognised_form(d):
    grid_file(d, "a.xlsx", {"Sheet1": [["姓名", "电话"], ["张三", "123"]]})


def missing_unit(d):
    ledger_file(d, "a.xlsx", [inspection()], unit="")


def unknown_unit(d):
    ledger_file(d, "a.xlsx", [inspection()], unit="锦里村")


def missing_month(d):
    ledger_file(d, "a.xlsx", [inspection()], month=None)


def text_in_number(d):
    ledger_file(d, "a.xlsx", [inspection(case_no="狮蚶应急罚〔2024〕1号", fine_wan="待定")])


def negative_number(d):
    ledger_file(d, "a.xlsx", [inspection(case_no="狮蚶应急罚〔2024〕1号", fine_wan=-0.5)])


def unparseable_date(d):
    ledger_file(d, "a.xlsx", [inspection(date="上旬")])


def date_outside_month(d):
    ledger_file(d, "a.xlsx", [inspection(date=dt.date(2024, 4, 28))])


def single_inspector(d):
    ledger_file(d, "a.xlsx", [inspection(inspectors=["张三"])])


def fine_without_case(d):
    ledger_file(d, "a.xlsx", [inspection(fine_wan=0.5, legal_basis="安全生产法第一百零五条")])


def case_without_penalty(d):
    ledger_file(d, "a.xlsx", [inspection(case_no="狮蚶应急罚〔2024〕2号")])


def duplicate_case_no(d):
    ledger_file(d, "a.xlsx", [inspection(case_no="狮蚶应急罚〔2024〕2号", fine_wan=0.5),
                              inspection(enterprise="蚶江锦里制衣有限公司", case_no="狮蚶应急罚〔2024〕2号",
                                         fine_wan=1)])


def more_rectifications(d):
    ledger_file(d, "a.xlsx", [inspection(hazards=["消防通道堵塞"], rectifications=["已整改", "已整改"])])


def unregistered_enterprise(d):
    ledger_file(d, "a.xlsx", [inspection(enterprise="某某无名小作坊")])


def enterprise_date_twice(d):
    ledger_file(d, "a.xlsx", [inspection(), inspection(hazards=["灭火器过期"])])


def late_submission(d):
    (d / "registry" / "received.csv").write_text("文件,收到日期\na.xlsx,2024-07-05\n", encoding="utf-8")
    ledger_file(d, "a.xlsx", [inspection()])


def formula_with_cached_value(d):
    path = ledger_file(d, "a.xlsx", [inspection(case_no="狮蚶应急罚〔2024〕1号", fine_wan=None,
                                                legal_basis="安全生产法第九十九条")])
    from openpyxl import load_workbook
    wb = load_workbook(path)
    wb.active["H5"] = "=0.2+0.3"
    wb.save(path)
    _with_cached_value(path, "H5", "0.5")


def formula_without_cached_value(d):
    path = ledger_file(d, "a.xlsx", [inspection()])
    from openpyxl import load_workbook
    wb = load_workbook(path)
    wb.active["H5"] = "=0.2+0.3"  # openpyxl stores no cached value
    wb.save(path)


def missing_required_header(d):
    header = [h for h in LEDGER_HEADER if h != "检查时间"]
    grid_file(d, "a.xlsx", {"Sheet1": [["填报部门：石壁村", "月份：5月"], header,
                                       [1, "石狮市宏达五金厂", "张三、李四"]]})


def missing_enterprise(d):
    ledger_file(d, "a.xlsx", [inspection(enterprise=None)])


def fine_in_yuan(d):
    ledger_file(d, "a.xlsx", [inspection(case_no="狮蚶应急罚〔2024〕1号", fine_wan=5000)])


def figures_missing_cumulative(d):
    write_submission(d / S / "a.xlsx", unit="石壁村", year=2024, month=5,
                     month_values={"supervised_total": 2})
    from openpyxl import load_workbook
    wb = load_workbook(d / S / "a.xlsx")
    wb.active.delete_rows(7)  # the 累计数 row
    wb.save(d / S / "a.xlsx")


def figures_text_in_count(d):
    write_submission(d / S / "a.xlsx", unit="石壁村", year=2024, month=5,
                     month_values={"supervised_total": 2, "inspected": "两家"}, cumulative_values={})


def duplicate_submission(d):
    ledger_file(d, "a.xlsx", [inspection()])
    ledger_file(d, "b.xlsx", [inspection(), inspection(enterprise="蚶江锦里制衣有限公司")])


A = f"{S}/a.xlsx"
# (builder, rule, expected locations (file, sheet, row, column), the checked file, (read, accepted, rejected))
CASES = {
    "corrupt_zip": (corrupt_zip, "file_unreadable", [(A, None, None, None)], A, (0, 0, 0)),
    "empty_file": (empty_file, "file_empty", [(A, None, None, None)], A, (0, 0, 0)),
    "empty_workbook": (empty_workbook, "file_empty", [(A, None, None, None)], A, (0, 0, 0)),
    "password_protected": (password_protected, "file_encrypted", [(A, None, None, None)], A, (0, 0, 0)),
    "legacy_xls": (legacy_xls, "file_unreadable", [(f"{S}/a.xls", None, None, None)], f"{S}/a.xls", (0, 0, 0)),
    "docx_renamed": (docx_renamed, "file_not_excel", [(A, None, None, None)], A, (0, 0, 0)),
    "txt_renamed": (txt_renamed, "file_not_excel", [(A, None, None, None)], A, (0, 0, 0)),
    "csv_submission": (csv_submission, "file_not_excel", [(f"{S}/a.csv", None, None, None)], f"{S}/a.csv",
                       (0, 0, 0)),
    "pdf_submission": (pdf_submission, "file_not_excel", [(f"{S}/a.pdf", None, None, None)], f"{S}/a.pdf",
                       (0, 0, 0)),
    "unrecognised_form": (unrecognised_form, "form_unrecognised", [(A, "Sheet1", None, None)], A, (2, 0, 2)),
    "missing_unit": (missing_unit, "unit_missing", [(A, L1, 3, "填报部门（公章）")], A, (1, 0, 1)),
    "unknown_unit": (unknown_unit, "unit_unknown", [(A, L1, 3, "填报部门（公章）")], A, (1, 0, 1)),
    "missing_month": (missing_month, "month_missing", [(A, L1, 3, "月份")], A, (1, 0, 1)),
    # an unreadable fine blanks its cell, the row is kept (docs/intake.md §8)
    "text_in_number": (text_in_number, "number_unparseable", [(A, L1, 5, "罚款金额(万)")], A, (1, 1, 0)),
    "negative_number": (negative_number, "number_negative", [(A, L1, 5, "罚款金额(万)")], A, (1, 1, 0)),
    "unparseable_date": (unparseable_date, "date_unparseable", [(A, L1, 5, "检查时间")], A, (1, 0, 1)),
    "date_outside_month": (date_outside_month, "date_outside_month", [(A, L1, 5, "检查时间")], A, (1, 1, 0)),
    "single_inspector": (single_inspector, "inspectors_fewer_than_two", [(A, L1, 5, "执法人员")], A, (1, 1, 0)),
    "fine_without_case": (fine_without_case, "fine_without_case", [(A, L1, 5, "立案案号")], A, (1, 1, 0)),
    "case_without_penalty": (case_without_penalty, "case_without_penalty", [(A, L1, 5, "立案案号")], A,
                             (1, 1, 0)),
    "duplicate_case_no": (duplicate_case_no, "case_no_duplicate", [(A, L1, 6, "立案案号")], A, (2, 2, 0)),
    "more_rectifications": (more_rectifications, "rectifications_exceed_hazards", [(A, L1, 5, "完成整改情况")],
                            A, (1, 1, 0)),
    "unregistered_enterprise": (unregistered_enterprise, "enterprise_unregistered",
                                [(A, L1, 5, "受检企业(单位)名称")], A, (1, 1, 0)),
    "enterprise_date_twice": (enterprise_date_twice, "enterprise_date_duplicate",
                              [(A, L1, 6, "受检企业(单位)名称")], A, (2, 2, 0)),
    "late_submission": (late_submission, "submission_late", [(A, L1, None, None)], A, (1, 1, 0)),
    "formula_with_cached_value": (formula_with_cached_value, "formula_no_cached_value", [], A, (1, 1, 0)),
    "formula_without_cached_value": (formula_without_cached_value, "formula_no_cached_value",
                                     [(A, L1, 5, "罚款金额(万)")], A, (1, 1, 0)),
    "missing_required_header": (missing_required_header, "header_column_missing", [(A, "Sheet1", 2, "检查时间")],
                                A, (1, 0, 1)),
    "missing_enterprise": (missing_enterprise, "enterprise_missing", [(A, L1, 5, "受检企业(单位)名称")], A,
                           (1, 0, 1)),
    "fine_in_yuan": (fine_in_yuan, "fine_implausible", [(A, L1, 5, "罚款金额(万)")], A, (1, 1, 0)),
    "figures_missing_cumulative": (figures_missing_cumulative, "figures_row_missing", [(A, L2, 5, None)], A,
                                   (1, 0, 1)),
    "figures_text_in_count": (figures_text_in_count, "number_unparseable",
                              [(A, L2, 6, "现场监督检查企业(单位)数(家)")], A, (2, 1, 1)),
    "duplicate_submission": (duplicate_submission, "submission_duplicate", [(A, L1, None, None)], A, (1, 0, 1)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_file(tmp_path, case):
    """Each malformed file gives its precise problem row and exact row counts, never a traceback."""
    build, rule, expected, file, counts = CASES[case]
    data_dir = make_data_dir(tmp_path / "data")
    build(data_dir)
    ds = intake.load(data_dir)
    assert where(ds.problems, rule) == expected
    # the case's rule is the only error (header_column_absent and the like are warnings)
    errors = set(ds.problems.loc[ds.problems["severity"] == "error", "rule"])
    assert errors <= {rule}
    row = ds.files.set_index("file").loc[file]
    assert (row["rows_read"], row["rows_accepted"], row["rows_rejected"]) == counts
    assert row["rows_read"] == row["rows_accepted"] + row["rows_rejected"]
    if counts[2]:
        rejected = ds.rejected[ds.rejected["file"] == file]
        assert len(rejected) == counts[2] and all(rule in r for r in rejected["reason"])


def test_formula_cached_value_is_used(tmp_path):
    """A formula with a cached value is read as that value, never evaluated."""
    data_dir = make_data_dir(tmp_path / "data")
    formula_with_cached_value(data_dir)
    assert list(intake.load(data_dir).ledger["fine_wan"]) == [0.5]


def test_formula_without_cached_value_is_blank(tmp_path):
    """A formula without a cached value reads as a blank cell."""
    data_dir = make_data_dir(tmp_path / "data")
    formula_without_cached_value(data_dir)
    assert intake.load(data_dir).ledger["fine_wan"].isna().all()


def test_corpus_is_large_enough():
    """The issue asks for at least 15 malformed files."""
    assert len(CASES) >= 15


@pytest.mark.parametrize("case, fragment", [
    ("text_in_number", "罚款金额 '待定' 不是数字：请填写以万元为单位的数字，如 0.5"),
    ("single_inspector", "行政处罚法第四十二条"),
    ("unparseable_date", "检查时间 '上旬' 不是日期"),
    ("password_protected", "密码"),
    ("legacy_xls", "旧版 .xls 的目录无法读取"),
    ("password_protected", "工作簿设置了打开密码"),
    ("csv_submission", "CSV"),
])
def test_messages_say_what_was_found_and_expected(tmp_path, case, fragment):
    """Messages quote the value found and say what is expected."""
    data_dir = make_data_dir(tmp_path / "data")
    CASES[case][0](data_dir)
    messages = intake.load(data_dir).problems["message"]
    assert any(fragment in m for m in messages), list(messages)
