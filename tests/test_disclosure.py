"""阳光执法 lists: content, no personal data, no formulas, UTF-8 CSV with BOM."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from evalkit.core.periods import parse_period
from evalkit.export.disclosure import (
    CREDIT_COLUMNS,
    MISSING_CODE_NOTE,
    PENALTY_COLUMNS,
    credit_table,
    csv_safe,
    penalty_table,
    scrub_personal,
    write_table_csv,
    write_table_xlsx,
)
from evalkit.export.official import export_paths
from evalkit.metrics.engine import compute_metrics
from fixtures_export import HOSTILE, LEDGER_ROWS, make_dataset

JUNE = parse_period("2024-06")
# A June row of the hostile enterprise with a case, a fine, personal data in every free-text
# column and a blacklisting: it must reach both lists, scrubbed and literal.
PERSONAL_ROW = dict(
    unit="石壁村", period="2024-06", enterprise=HOSTILE, date="2024-06-28", inspectors=["张三", "李四"],
    hazards=["负责人王五（电话13912345678）拒不整改", "执法人员张三发现消防通道堵塞"],
    rectifications=["逾期未整改", "已整改"], case_no="狮蚶应急罚〔2024〕3号", fine_wan=1.2,
    legal_basis="-《安全生产法》第一百零二条，联系人陈小明0595-88881234",
    other_handling="纳入黑名单；法定代表人身份证350581199001011234")


@pytest.fixture(scope="module")
def dataset():
    """The fixture dataset plus PERSONAL_ROW."""
    return make_dataset(ledger_rows=[*LEDGER_ROWS, PERSONAL_ROW])


def test_penalty_table_lists_case_or_fine_rows(dataset):
    """Rows with a 立案案号 or a fine, by unit then date; date honestly labelled 检查日期."""
    table = penalty_table(dataset, JUNE)
    assert tuple(table.columns) == PENALTY_COLUMNS
    assert "决定日期" not in table.columns
    assert list(table["企业名称"]) == ["石壁五金厂", HOSTILE, "蚶江渔具店"]
    assert list(table["检查日期"]) == ["2024-06-03", "2024-06-28", "2024-06-20"]
    assert table.loc[0, "处罚结果"] == "罚款0.5万元；纳入黑名单"
    assert table.loc[2, "处罚结果"] == "责令停产停业整顿；联合惩戒"
    assert table.loc[0, "统一社会信用代码"] == "91350581MA0000001A"
    assert table.loc[0, "违法事实"] == "1. 特种作业人员无证上岗\n2. 安全出口堵塞"


def test_penalty_table_has_no_personal_data(dataset):
    """No inspector name, person's name or phone/ID number survives in the penalty list."""
    table = penalty_table(dataset, JUNE)
    text = table.to_csv()
    for secret in ("张三", "李四", "赵六", "钱七", "王五", "陈小明", "13912345678", "88881234",
                   "350581199001011234"):
        assert secret not in text, secret
    row = table.loc[1]
    assert row["违法事实"] == "1. 负责人王某（电话[电话已隐去]）拒不整改\n2. 执法人员张某发现消防通道堵塞"
    assert row["处罚结果"] == "罚款1.2万元；纳入黑名单；法定代表人身份证[证件号已隐去]"


def test_credit_table_matches_the_metrics_count(dataset):
    """The credit list has the 黑名单/联合惩戒 rows; its blacklisted enterprises equal metrics'."""
    table = credit_table(dataset, JUNE)
    assert tuple(table.columns) == CREDIT_COLUMNS
    assert list(zip(table["企业名称"], table["惩戒措施"], strict=True)) == [
        ("石壁五金厂", "纳入黑名单"), (HOSTILE, "纳入黑名单"), ("蚶江渔具店", "联合惩戒")]
    # HOSTILE has no credit code in the registry
    assert table.loc[1, "备注"] == MISSING_CODE_NOTE and pd.isna(table.loc[1, "统一社会信用代码"])
    total = compute_metrics(dataset, "2024-06", scope="month", source="ledger").total
    listed = table[table["惩戒措施"].str.contains("黑名单")]["企业名称"].nunique()
    assert listed == total["blacklisted"] == 2
    assert table[table["惩戒措施"].str.contains("联合惩戒")]["企业名称"].nunique() == total["joint_punishment"]


@pytest.mark.parametrize(("text", "expected"), [
    ("负责人王五电话13912345678", "负责人王某电话[电话已隐去]"),
    ("联系人：陈小明（0595-88881234）", "联系人：陈某（[电话已隐去]）"),
    ("法定代表人欧阳娜娜拒不整改", "法定代表人欧阳某拒不整改"),
    ("安全员 黄大伟 未持证", "安全员 黄某 未持证"),
    ("张先生称已整改", "某先生称已整改"),
    ("手机１３９１２３４５６７８", "手机[电话已隐去]"),
    ("+86 139 1234 5678", "[电话已隐去]"),
    ("电话：88881234", "电话：[电话已隐去]"),
    ("身份证350581199001011234", "身份证[证件号已隐去]"),
    ("邮箱 abc@x.com", "邮箱 [邮箱已隐去]"),
])
def test_scrub_personal_removes(text, expected):
    """Names after a role word, 张先生 forms, phone, ID and e-mail patterns are replaced."""
    assert scrub_personal(text) == expected


@pytest.mark.parametrize("text", [
    "员工未佩戴安全帽", "工人高处作业未系安全带", "2024-06-03检查，罚款0.5万元", "执法人员现场检查",
    "负责人未到场", "狮蚶应急罚〔2024〕12号", "依据《中华人民共和国安全生产法》第九十九条", "主任文件未归档",
])
def test_scrub_personal_keeps_ordinary_text(text):
    """Ordinary enforcement text (dates, amounts, case numbers, role words alone) is unchanged."""
    assert scrub_personal(text) == text


def test_scrub_personal_masks_known_names_anywhere():
    """Inspector names passed in are masked wherever they appear, with no role word."""
    assert scrub_personal("由张三、李四复查", names=["张三", "李四"]) == "由张某、李某复查"
    assert scrub_personal(None) is None


def test_csv_safe_prefixes_formula_triggers():
    """Text starting with = + - @ tab CR gets a leading quote; other values are untouched."""
    assert [csv_safe(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "a=b", -5, None)] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "a=b", -5, None]


def test_csv_is_utf8_with_bom_and_reads_back(dataset, tmp_path):
    """CSV starts with the UTF-8 BOM; read back, it equals the table except quote-prefixed cells."""
    table = penalty_table(dataset, JUNE)
    path = write_table_csv(tmp_path / "p.csv", table)
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns) == list(PENALTY_COLUMNS)
    assert back.loc[1, "企业名称"] == "'" + HOSTILE
    assert back.loc[1, "处罚依据"].startswith("'-《安全生产法》")
    assert back.loc[0, "违法事实"] == table.loc[0, "违法事实"]  # multi-line cell survives
    assert back["序号"].tolist() == ["1", "2", "3"]


def test_xlsx_lists_keep_hostile_text_literal(dataset, tmp_path):
    """In both .xlsx lists the hostile name is a string cell and the sheet XML has no formula."""
    for table in (penalty_table(dataset, JUNE), credit_table(dataset, JUNE)):
        path = write_table_xlsx(tmp_path / "t.xlsx", table, title="公示")
        with zipfile.ZipFile(path) as z:
            xml = z.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in xml and "<f " not in xml
        ws = load_workbook(path).active
        cell = next(c for row in ws.iter_rows() for c in row if c.value == HOSTILE)
        assert cell.data_type == "s"
        header = [c.value.replace("\n", "") for c in ws[2]]  # printed headers break to the widths
        assert header == list(table.columns)
        back = pd.DataFrame([[c.value for c in row] for row in ws.iter_rows(min_row=3, max_row=2 + len(table))],
                            columns=header)
        assert back["企业名称"].tolist() == table["企业名称"].tolist()


def test_export_writes_both_formats(dataset, tmp_path):
    """export_disclosure writes the two lists as .xlsx and .csv, and the internal review, at the documented paths."""
    from evalkit.export.disclosure import export_disclosure

    paths = export_paths(tmp_path, "2024-06")
    written = export_disclosure(dataset, JUNE, paths)
    assert written == [paths.penalties_xlsx, paths.penalties_csv, paths.credit_xlsx, paths.credit_csv,
                       paths.review_xlsx]
    assert paths.review_xlsx.parent.name == "内部核对" and paths.review_xlsx.parent != paths.disclosure_dir
    ws = load_workbook(paths.penalties_xlsx).active
    assert ws["A1"].value == "蚶江镇2024年6月安全生产行政处罚信息公示"
    notes = [c.value for c in ws["A"] if isinstance(c.value, str)]
    assert any("不是行政处罚决定日期" in n for n in notes)
    credit = pd.read_csv(paths.credit_csv, encoding="utf-8-sig", dtype=str)
    assert len(credit) == 3


def test_penalty_authority_from_the_case_number_and_the_fine_as_a_number(dataset):
    """处罚机关 from the case number's prefix (config/disclosure.yaml), never the village; the fine
    as a number (万元) beside 处罚结果; 检查单位 is the unit that inspected."""
    table = penalty_table(dataset, JUNE)
    # 狮蚶应急罚〔2024〕1号 and 3号 (石壁村's cases), 狮蚶综执罚〔2024〕2号 (综合执法队)
    assert list(table["处罚机关"]) == ["蚶江镇人民政府", "蚶江镇人民政府", "蚶江镇综合执法队"]
    assert list(table["检查单位"]) == ["石壁村", "石壁村", "综合执法队"]
    assert table["罚款金额(万元)"].tolist()[:2] == [0.5, 1.2] and pd.isna(table.loc[2, "罚款金额(万元)"])


def test_authority_of_takes_the_longest_prefix():
    """The longest matching prefix wins, spaces ignored; no match is None."""
    from evalkit.export.disclosure import authority_of

    mapping = {"狮蚶": "镇", "狮蚶综执罚": "队"}
    assert authority_of("狮蚶综执罚[2024]8号", mapping) == "队"
    assert authority_of("狮 蚶应急罚〔2024〕1号", mapping) == "镇"
    assert authority_of("晋应急罚〔2024〕1号", mapping) is None


def test_unknown_prefix_is_a_problem_naming_the_case_and_its_row(dataset):
    """A case number no prefix maps: 处罚机关 says so and a warning names the case, file, sheet and row."""
    from evalkit.export.disclosure import UNKNOWN_AUTHORITY, penalty_problems

    mapping = {"狮蚶应急罚": "蚶江镇人民政府"}  # 狮蚶综执罚 left out
    table = penalty_table(dataset, JUNE, mapping)
    assert table.loc[2, "处罚机关"] == UNKNOWN_AUTHORITY
    (problem,) = penalty_problems(dataset, JUNE, mapping)
    assert (problem.rule, problem.severity, problem.value) == ("authority_unknown", "warning", "狮蚶综执罚〔2024〕2号")
    # the fixture's 综合执法队 row is its file's 统计表一, Excel row 4 + 4 (the 4th ledger row)
    assert (problem.file, problem.sheet, problem.row, problem.column) == ("综合执法队.xlsx", "统计表一", 8, "立案案号")
    assert "狮蚶综执罚〔2024〕2号" in problem.message


def test_authorities_config_is_validated(tmp_path):
    """config/disclosure.yaml: a blank authority is a ConfigError naming the file; a user file replaces the table."""
    from evalkit.exceptions import ConfigError
    from evalkit.export.disclosure import penalty_authorities

    assert penalty_authorities()["狮蚶综执罚"] == "蚶江镇综合执法队"
    own = tmp_path / "d.yaml"
    own.write_text("authorities:\n  晋应急罚: 晋江市应急管理局\n", encoding="utf-8")
    assert penalty_authorities(own) == {"晋应急罚": "晋江市应急管理局"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("authorities:\n  晋应急罚: ' '\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.yaml"):
        penalty_authorities(bad)


def test_csv_has_crlf_line_ends_and_the_bom(dataset, tmp_path):
    """As Excel writes CSV: CRLF after every record (a line break inside a quoted cell stays LF)."""
    path = write_table_csv(tmp_path / "p.csv", penalty_table(dataset, JUNE))
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    records = data.split(b"\r\n")
    assert len(records) == 1 + 3 + 1 and records[-1] == b""  # header, 3 rows, the last CRLF
    assert b"\n2. " in records[1]  # 违法事实 keeps its own line break inside the quotes
