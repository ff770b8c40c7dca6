"""Fill-in templates: pre-filled header, validation, protection, instructions, intake round trip."""

from __future__ import annotations

import datetime as dt
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from evalkit.core.forms import FIGURES, LEDGER
from evalkit.core.periods import parse_period
from evalkit.export.fill_in import (
    BLANK_ROWS,
    LIST_NAME,
    enterprise_choices,
    instructions,
    write_template,
)
from evalkit.intake.loader import load
from fixtures_export import ENTERPRISES, HOSTILE

JULY = parse_period("2024-07")
NAMES = [e[0] for e in ENTERPRISES]
COL = {k: chr(ord("A") + i) for i, k in enumerate(LEDGER.keys)}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """石壁村's July template, written once."""
    path = tmp_path_factory.mktemp("tpl") / "t.xlsx"
    registry = pd.DataFrame(ENTERPRISES, columns=["name", "credit_code", "industry", "unit", "key_industry",
                                                  "risk_level"])
    return write_template(path, unit="石壁村", period=JULY, enterprise_names=enterprise_choices(registry, "石壁村"))


def _validations(ws) -> dict[str, object]:
    return {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}


def test_sheets_and_prefilled_header(template):
    """Sheets 填表说明, 统计表一, 统计表二 and a hidden 名录; unit and month pre-filled."""
    wb = load_workbook(template)
    assert wb.sheetnames == ["填表说明", "统计表一", "统计表二", "名录"]
    assert wb["名录"].sheet_state == "hidden"
    assert wb.active.title == "统计表一"
    ledger, figures = wb["统计表一"], wb["统计表二"]
    assert ledger["A3"].value == "填报部门（公章）：石壁村"
    assert "月份：7月" in [c.value for c in ledger[3]]
    assert figures["A3"].value == "填报地区（部门）：石壁村"
    assert [figures.cell(r, 1).value for r in (6, 7)] == ["本月数", "累计数"]


def test_enterprise_list_own_first_on_named_range(template):
    """The drop-down lists the unit's enterprises first, from a named range on the hidden sheet."""
    wb = load_workbook(template)
    names = [c.value for c in wb["名录"]["A"]]
    # row 1 names the sheet (intake knows it by it); own (石壁村) sorted, then the others
    # sorted; "=" sorts before CJK
    assert names == ["企业名录（供下拉选择，请勿修改）", HOSTILE, "石壁五金厂", "锦江服装有限公司", "石湖物流公司",
                     "蚶江渔具店"]
    assert wb.defined_names[LIST_NAME].attr_text == "'名录'!$A$2:$A$6"
    assert wb["名录"]["A2"].data_type == "s"  # a formula-looking name stays text
    dv = _validations(wb["统计表一"])[f"B5:B{4 + BLANK_ROWS}"]
    assert (dv.type, dv.formula1, dv.errorStyle) == ("list", f"={LIST_NAME}", "warning")


def test_date_fine_and_rectification_validation(template):
    """Dates within July (warning), fines >= 0 (stop), 整改 drop-down that allows free text."""
    dvs = _validations(load_workbook(template)["统计表一"])
    last = 4 + BLANK_ROWS
    date = dvs[f"{COL['inspection_date']}5:{COL['inspection_date']}{last}"]
    # Excel serials: 2024-01-01 is 45292; + 182 days (Jan–Jun 2024) = 45474; + 30 = 45504
    assert (date.type, date.operator, date.formula1, date.formula2) == ("date", "between", "45474", "45504")
    assert date.errorStyle == "warning"
    fine = dvs[f"{COL['fine_wan']}5:{COL['fine_wan']}{last}"]
    assert (fine.type, fine.operator, fine.formula1, fine.errorStyle) == ("decimal", "greaterThanOrEqual", "0", "stop")
    rect = dvs[f"{COL['rectifications']}5:{COL['rectifications']}{last}"]
    assert rect.type == "list" and rect.formula1 == '"已整改,限期整改,未整改"'
    assert not rect.showErrorMessage  # multi-item text must stay possible


def test_figures_validation_non_negative(template):
    """统计表二: counts whole >= 0, rates and 万元 decimal >= 0, on both rows."""
    dvs = _validations(load_workbook(template)["统计表二"])
    col = {k: chr(ord("A") + i) for i, k in enumerate(FIGURES.keys)}
    assert dvs[f"{col['inspected']}6:{col['inspected']}7"].type == "whole"
    assert dvs[f"{col['coverage_rate']}6:{col['coverage_rate']}7"].type == "decimal"
    assert dvs[f"{col['fines_wan']}6:{col['fines_wan']}7"].formula1 == "0"


def test_headers_locked_data_unlocked(template):
    """Both forms are protected; headers locked, data cells, 填报日期 and signature lines editable."""
    wb = load_workbook(template)
    ws = wb["统计表一"]
    assert ws.protection.sheet
    assert ws["B4"].protection.locked and ws["A3"].protection.locked
    assert not ws["B5"].protection.locked and not ws[f"K{4 + BLANK_ROWS}"].protection.locked
    filled = next(c for c in ws[3] if str(c.value or "").startswith("填报日期"))
    assert not filled.protection.locked
    sign = next(c for c in ws["A"] if c.value == "填报人签字：")
    assert not sign.protection.locked
    fig = wb["统计表二"]
    assert fig.protection.sheet and fig["A6"].protection.locked and not fig["B6"].protection.locked


def test_instructions_in_chinese_with_deadline(template):
    """填表说明 names the unit, the deadline (30 August for July) and the parsing rules."""
    lines = instructions("石壁村", JULY)
    text = "\n".join(lines)
    assert lines[0].startswith("石壁村 2024年7月")
    assert "8月30日前" in text and "5000元 填 0.5" in text and "复查（原检查YYYY-MM-DD）" in text
    assert "1. 已整改" in text and "Alt+Enter" in text
    ws = load_workbook(template)["填表说明"]
    assert [c.value for c in ws["A"]] == lines


def test_template_has_no_formula(template):
    """No sheet of the template holds a formula element."""
    with zipfile.ZipFile(template) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = z.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, name


def _data_dir(root, enterprises):
    (root / "registry").mkdir(parents=True)
    (root / "submissions").mkdir()
    frame = pd.DataFrame([(n, i, u, k or "否", r) for n, _, i, u, k, r in enterprises],
                         columns=["企业名称", "行业", "监管单位", "重点行业", "风险等级"])
    frame.to_csv(root / "registry" / "enterprises.csv", index=False, encoding="utf-8")
    return root


def test_filled_template_reads_back_exactly(tmp_path):
    """Rows typed into a template come back from evalkit.intake.loader.load exactly as entered."""
    data = _data_dir(tmp_path / "data", ENTERPRISES)
    path = data / "submissions" / "石壁村7月.xlsx"
    write_template(path, unit="石壁村", period=JULY, enterprise_names=NAMES)
    wb = load_workbook(path)
    ws = wb["统计表一"]
    typed = [
        [1, "石壁五金厂", dt.datetime(2024, 7, 3), "张三、李四", "1. 消防通道堵塞\n2. 灭火器过期",
         "1. 已整改\n2. 限期整改(限7月20日前)", "狮蚶应急罚〔2024〕5号", 0.3, "《安全生产法》第九十九条",
         "责令停产停业整顿", "复查（原检查2024-06-03）"],
        [2, HOSTILE, dt.datetime(2024, 7, 9), "王五、赵六", None, None, None, None, None, None, "@备注"],
    ]
    for r, values in enumerate(typed, 5):
        for c, value in enumerate(values, 1):
            ws.cell(r, c).value = value
    ws.cell(6, 2).data_type = "s"  # as Excel stores a typed formula-looking text
    ws.cell(6, 11).data_type = "s"
    fig = wb["统计表二"]
    for c in range(2, len(FIGURES.keys) + 1):
        fig.cell(6, c).value = 1
        fig.cell(7, c).value = 2
    fig.cell(6, FIGURES.keys.index("coverage_rate") + 1).value = 33.33
    wb.save(path)

    ds = load(data)
    assert ds.rows_rejected == 0
    # 填表说明 and the hidden 名录 are the template's own sheets: no sheet_unrecognised, no sheet_hidden
    assert not set(ds.problems["rule"]) & {"sheet_unrecognised", "sheet_hidden"}, ds.problems
    led = ds.ledger.sort_values("row").reset_index(drop=True)
    assert led["row"].tolist() == [5, 6] and led["period"].tolist() == ["2024-07", "2024-07"]
    assert led.loc[0, "enterprise"] == "石壁五金厂" and led.loc[1, "enterprise"] == HOSTILE
    assert led["inspection_date"].tolist() == [pd.Timestamp("2024-07-03"), pd.Timestamp("2024-07-09")]
    assert led["inspectors"].tolist() == [["张三", "李四"], ["王五", "赵六"]]
    assert led.loc[0, "hazards"] == ["消防通道堵塞", "灭火器过期"]
    assert led.loc[0, "rectifications"] == ["已整改", "限期整改(限7月20日前)"]
    assert (led.loc[0, "case_no"], led.loc[0, "fine_wan"]) == ("狮蚶应急罚〔2024〕5号", 0.3)
    assert led.loc[0, "legal_basis"] == "《安全生产法》第九十九条"
    assert led.loc[0, "other_handling"] == "责令停产停业整顿"
    assert led.loc[0, "is_recheck"] and led.loc[1, "remarks"] == "@备注"
    assert led.loc[1, "hazards"] == [] and pd.isna(led.loc[1, "fine_wan"])
    figs = ds.figures.set_index("kind")
    assert figs.loc["本月数", "coverage_rate"] == 33.33 and figs.loc["本月数", "inspected"] == 1
    assert figs.loc["累计数", "fines_wan"] == 2


def test_unfilled_template_has_no_ledger_rows(tmp_path):
    """An untouched template yields no 附件1 rows (the 50 blank rows are skipped)."""
    data = _data_dir(tmp_path / "data", ENTERPRISES)
    write_template(data / "submissions" / "blank.xlsx", unit="石壁村", period=JULY, enterprise_names=NAMES)
    ds = load(data)
    assert len(ds.ledger) == 0
    assert ds.submissions.set_index("form").loc["ledger", "rows_read"] == 0


def test_template_rows_from_the_largest_month():
    """67 rows in the unit's largest month, 1.5 times that (100.5) rounded up to ten: 110; a unit
    with 10 rows gets the 50 of BLANK_ROWS; another unit's rows do not count."""
    from evalkit.export.fill_in import template_rows

    ledger = pd.DataFrame({"unit": ["站"] * (53 + 67) + ["村"] * 10 + ["大"] * 900,
                           "period": ["2024-06"] * 53 + ["2024-03"] * 67 + ["2024-06"] * 10 + ["2024-06"] * 900})
    assert template_rows(ledger, "站") == 110
    assert template_rows(ledger, "村") == 50
    assert template_rows(ledger, "无") == 50
    assert template_rows(ledger, "大") == 1000  # 1350 capped at MAX_BLANK_ROWS: rows can be inserted


def test_rows_can_be_inserted_and_validation_covers_the_table(tmp_path):
    """The protected 统计表一 allows inserting rows; the validations cover all 110 blank rows."""
    path = tmp_path / "t.xlsx"
    write_template(path, unit="石壁村", period=JULY, enterprise_names=NAMES, blank_rows=110)
    ws = load_workbook(path)["统计表一"]
    assert ws.protection.sheet and ws.protection.insertRows is False  # False: allowed
    assert ws.cell(5 + 109, 2).protection.locked is False  # the last blank row is editable
    ranges = {str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert "B5:B114" in ranges and "C5:C114" in ranges and "H5:H114" in ranges


def test_figures_validation_messages_by_kind(template):
    """统计表二: rates 0–100 "如 17.86，不要填 0.1786"; 万元 its own message; counts whole numbers."""
    ws = load_workbook(template)["统计表二"]
    by_col = {str(dv.sqref).split(":")[0][:-1]: dv for dv in ws.data_validations.dataValidation}
    rate = by_col["D"]  # 检查覆盖率(%)
    assert (rate.type, rate.operator, rate.formula1, rate.formula2) == ("decimal", "between", "0", "100")
    assert "17.86" in rate.error and "0.1786" in rate.error
    money = by_col["K"]  # 罚款金额(万元)
    assert "万元" in money.error and "19.35" not in money.error and "百分数" not in money.error
    assert by_col["B"].type == "whole"


def test_instruction_wording(template):
    """Instruction 8 says what to write (only the number), the rates' formulas all × 100."""
    lines = [c.value for c in load_workbook(template)["填表说明"]["A"]]
    fine = next(t for t in lines if t.startswith("8. 立案案号"))
    assert "只填数字" in fine and "不要写“元”“万元”等文字" in fine and "以外的文字" not in fine
    rates = next(t for t in lines if t.startswith("2. 检查覆盖率"))
    assert "隐患整改率 = 隐患整改数 ÷ 排查隐患数 × 100" in rates and "不要填 0.1786" in rates
