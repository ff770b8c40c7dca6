"""Hostile input against the exports: personal data in the public lists (issue 9, item 3).

Every expected text below is written by hand from the rule in
``evalkit.export.personal_data``'s docstring.
"""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from evalkit.core.periods import parse_period
from evalkit.export.disclosure import export_disclosure, masking_review, penalty_table
from evalkit.export.official import export_paths
from evalkit.export.personal_data import plausible_name, scrub, scrub_personal
from fixtures_export import LEDGER_ROWS, make_dataset

JUNE = parse_period("2024-06")


# ------------------------------------------------------------------ numbers written as people write them
@pytest.mark.parametrize(("text", "expected", "rule"), [
    ("联系电话0595-8888 1234", "联系电话[电话已隐去]", "座机（带区号）"),
    ("手机138.1234.5678", "手机[电话已隐去]", "手机号"),
    ("座机0595—88881234", "座机[电话已隐去]", "座机（带区号）"),
    ("（0595）8888123", "[电话已隐去]", "座机（带区号）"),
    ("身份证350581 19900101 123X", "身份证[证件号已隐去]", "身份证号"),
    ("身份证350581199001011234", "身份证[证件号已隐去]", "身份证号"),
    ("手机１３９　１２３４　５６７８", "手机[电话已隐去]", "手机号"),
])
def test_numbers_with_any_separator_are_masked(text, expected, rule):
    out, found = scrub(text)
    assert out == expected
    assert [m.rule for m in found] == [rule]


def test_two_numbers_in_one_run_are_two_maskings():
    out, found = scrub("13912345678 13812345678")
    assert out == "[电话已隐去] [电话已隐去]"
    assert [m.original for m in found] == ["13912345678", "13812345678"]


@pytest.mark.parametrize("text", [
    "2024-05-06 2024-06-30检查",  # two dates: 16 digits, but grouped as dates
    "罚款0.5万元，限2024.07.10前整改",
    "统一社会信用代码913505817054321234",  # 18 digits starting 9: an enterprise code, not an ID
    "狮蚶应急罚〔2024〕12号",
    "检查企业 12 家，隐患 35 条",
    "20240506",  # a date without separators, not after a phone word
])
def test_dates_amounts_and_codes_are_not_numbers_of_persons(text):
    assert scrub_personal(text) == text


# ------------------------------------------------------------------ names
def test_inspectors_typed_with_padding_spaces_are_masked_where_written_without():
    names = ["林　峰", " 陈 伟 "]
    out, found = scrub("经林峰、陈伟现场检查，林 峰复查", names)
    assert out == "经林某、陈某现场检查，林某复查"
    assert [(m.rule, m.original) for m in found] == [
        ("执法人员姓名", "林峰"), ("执法人员姓名", "陈伟"), ("执法人员姓名", "林 峰")]


def test_names_between_jing_and_an_inspection_verb_without_a_role_word():
    assert scrub_personal("经黄志强、吴小红现场检查发现") == "经黄某、吴某现场检查发现"
    assert scrub_personal("由于现场检查发现隐患") == "由于现场检查发现隐患"
    assert scrub_personal("经查，该企业未整改") == "经查，该企业未整改"


def test_only_whole_person_names_of_the_inspector_column_are_masked():
    """A token like 消防 or 大队 in the 执法人员 column is not a name; 《消防法》 stays."""
    assert plausible_name("消防") is None and plausible_name("大队") is None
    assert plausible_name("林　峰") == "林峰"
    text = "违反《中华人民共和国消防法》第十六条，消防通道堵塞"
    assert scrub_personal(text, names=["消防", "大队", "林峰"]) == text


def test_a_known_name_inside_a_book_title_is_kept():
    text = "依据《王平安全管理办法》，王平未到场"
    assert scrub_personal(text, names=["王平"]) == "依据《王平安全管理办法》，王某未到场"


def test_numbers_only_for_enterprise_names():
    out, found = scrub("张三五金店（13912345678）", names=["张三"], numbers_only=True)
    assert out == "张三五金店（[电话已隐去]）"
    assert [m.kind for m in found] == ["电话"]


def test_a_long_cell_is_scrubbed_in_linear_time():
    """32,767 characters without '@' and with many digits: the e-mail and number patterns
    must not be quadratic (the old e-mail pattern took 6.5 s on such a cell)."""
    import time

    text = ("a.b-c" * 6553)[:32767]
    digits = ("1 2 " * 8192)[:32767]
    start = time.perf_counter()
    assert scrub_personal(text) == text
    assert scrub_personal(digits) == digits
    # not a timing assertion on the machine's speed: 100x headroom over the measured ~20 ms
    assert time.perf_counter() - start < 5


# ------------------------------------------------------------------ the lists and their review
PHONE_ROW = dict(
    unit="石壁村", period="2024-06", enterprise="锦江服装有限公司", date="2024-06-29",
    inspectors=["林　峰", "陈　伟"], hazards=["经林峰、陈伟现场检查，负责人手机138.1234.5678未接"],
    rectifications=["限期整改"], case_no="狮蚶应急罚〔2024〕9号", fine_wan=0.3,
    legal_basis="《中华人民共和国消防法》第六十条", other_handling="联系0595—88881234")


@pytest.fixture(scope="module")
def dataset():
    return make_dataset(ledger_rows=[*LEDGER_ROWS, PHONE_ROW])


def test_public_list_has_no_inspector_name_or_number(dataset):
    table = penalty_table(dataset, JUNE)
    row = table[table["立案案号"] == "狮蚶应急罚〔2024〕9号"].iloc[0]
    assert row["违法事实"] == "1. 经林某、陈某现场检查，负责人手机[电话已隐去]未接"
    assert row["处罚依据"] == "《中华人民共和国消防法》第六十条"
    assert row["处罚结果"] == "罚款0.3万元；联系[电话已隐去]"
    text = " ".join(str(v) for v in table.to_numpy().ravel())
    for leaked in ("林峰", "陈伟", "1234.5678", "88881234", "张三", "李四", "赵六", "钱七"):
        assert leaked not in text


def test_every_masking_is_listed_for_review(dataset):
    review = masking_review(dataset, JUNE)
    mine = review[(review["清单"] == "行政处罚公示") & (review["原文"].isin(["林峰", "陈伟", "138.1234.5678",
                                                                            "0595—88881234"]))]
    assert sorted(mine["原文"]) == ["0595—88881234", "138.1234.5678", "林峰", "陈伟"]
    assert set(mine["列"]) == {"违法事实", "处罚结果"}
    assert set(mine["企业名称（已脱敏）"]) == {"锦江服装有限公司"}
    # 序号 points at the list row that holds the replacement
    table = penalty_table(dataset, JUNE)
    for _, r in mine.iterrows():
        assert r["替换为"] in table.loc[table["序号"] == r["序号"], r["列"]].iloc[0]


def test_the_review_is_written_outside_the_disclosure_folder(dataset, tmp_path):
    paths = export_paths(tmp_path, JUNE)
    export_disclosure(dataset, JUNE, paths)
    assert paths.review_xlsx.is_file() and paths.disclosure_dir not in paths.review_xlsx.parents
    public = [p for p in paths.disclosure_dir.iterdir()]
    for path in public:
        if path.suffix == ".csv":
            text = path.read_text(encoding="utf-8-sig")
        else:
            ws = load_workbook(path).active
            text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
        assert "林峰" not in text and "138.1234.5678" not in text, path.name
    ws = load_workbook(paths.review_xlsx).active
    assert "不得公开" in ws["A1"].value
    rows = pd.DataFrame(list(ws.iter_rows(min_row=3, values_only=True))).dropna(how="all")
    assert "138.1234.5678" in set(rows[6])


# ------------------------------------------------------------------ export stays linear (item 7)
def test_fit_row_heights_asks_the_sheet_width_once(monkeypatch):
    """``Worksheet.max_column`` scans every cell; asked per row it made export quadratic
    (10k rows 189 s). Counted, not timed: once per call whatever the number of rows."""
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from evalkit.export.xlsx_style import fit_row_heights

    calls = []
    real = Worksheet.max_column
    monkeypatch.setattr(Worksheet, "max_column", property(lambda ws: calls.append(1) or real.fget(ws)))
    for n in (10, 1000):
        ws = Workbook().active
        for r in range(1, n + 1):
            ws.cell(r, 1, "安全出口堵塞" * (r % 7))
            ws.cell(r, 3, "x")
        calls.clear()
        fit_row_heights(ws, 1, n)
        assert len(calls) == 1
        assert ws.row_dimensions[7].height == 15.0 + 3  # "" -> one line
        assert ws.row_dimensions[6].height > ws.row_dimensions[1].height


def test_style_cell_gives_what_the_assignments_give():
    """The memoised style equals setting the attributes one by one, also after a quote prefix."""
    from openpyxl import Workbook

    from evalkit.core.cell_style import style_cell
    from evalkit.core.form_writer import BORDER, WRAP

    ws = Workbook().active
    a, b, c = ws.cell(1, 1), ws.cell(2, 1), ws.cell(3, 1)
    a.alignment, a.border, a.number_format = WRAP, BORDER, "0.0000"
    style_cell(b, alignment=WRAP, border=BORDER, number_format="0.0000")
    c.quotePrefix = True
    style_cell(c, alignment=WRAP, border=BORDER, number_format="0.0000")
    assert tuple(a._style) == tuple(b._style)
    assert c.quotePrefix and c.alignment == WRAP and c.number_format == "0.0000"


# ------------------------------------------------------------------ file names from unit names (item 11)
def test_file_stems_are_safe_bounded_and_unique():
    from evalkit.core.file_names import MAX_STEM_BYTES, file_stems, safe_stem

    long_name = "蚶" * 121  # 363 bytes: "File name too long" before
    names = ["a/b", "a_b", "a:b", "石壁村", "../etc", "x\x00y", long_name, long_name + "村"]
    stems = file_stems(names)
    assert len(set(stems.values())) == len(names)
    assert stems["石壁村"] == "石壁村" and stems["../etc"].startswith("etc~") and stems["x\x00y"].startswith("x_y~")
    for name, stem in stems.items():
        assert "/" not in stem and "\\" not in stem and ":" not in stem and not stem.startswith("."), name
        assert len(stem.encode()) <= MAX_STEM_BYTES, name
    # a changed name gets a tag from the name itself: the same in any company
    assert stems["a/b"] == file_stems(["a/b"])["a/b"] == safe_stem("a/b") != stems["a_b"] == "a_b"
    assert stems["a/b"].startswith("a_b~") and len(stems["a/b"]) == len("a_b~") + 6


def test_export_gives_clashing_and_overlong_units_their_own_templates(tmp_path):
    import dataclasses

    from evalkit.export.fill_in import write_unit_templates

    ds = make_dataset()
    units = ["a/b", "a_b", "a:b", "蚶" * 121]
    ds = dataclasses.replace(ds, units=pd.DataFrame({"unit": units, "kind": ["村"] * 4,
                                                      "supervised_total": [0] * 4}))
    from evalkit.export.ordering import unit_order

    everyone = unit_order(ds)  # the registry's four plus the units of the ledger
    assert set(units) <= set(everyone)
    paths = export_paths(tmp_path, JUNE, everyone)
    written = write_unit_templates(ds, parse_period("2024-07"), paths)
    assert len(written) == len(set(written)) == len(everyone) and all(p.is_file() for p in written)
    assert all(p.parent == paths.templates_dir for p in written)


# ------------------------------------------------------------------ control characters (item 16)
def test_control_characters_in_names_do_not_stop_the_export(tmp_path):
    """A registry name with NUL and \\x07 made openpyxl raise IllegalCharacterError."""
    import dataclasses

    from evalkit.export.official import export_period

    bad_unit, bad_ent = "石壁\x00村\x07", "五金\x1f厂\x00"
    ds = make_dataset(ledger_rows=[{**LEDGER_ROWS[1], "unit": bad_unit, "enterprise": bad_ent}])
    ds = dataclasses.replace(ds, units=pd.DataFrame({"unit": [bad_unit, "综合执法队"], "kind": ["村", "部门"],
                                                      "supervised_total": [1, 0]}))
    written = export_period(ds, "2024-06", tmp_path)
    ledger = load_workbook(written[1])
    assert "石壁村" in ledger.sheetnames
    cells = [c.value for row in ledger["全镇"].iter_rows() for c in row if isinstance(c.value, str)]
    assert "五金厂" in cells and not any("\x00" in c or "\x07" in c for c in cells)


# ------------------------------------------------------------------ atomic writes (item 20)
def test_a_killed_save_leaves_the_old_file_and_no_partial_one(tmp_path, monkeypatch):
    """Export writes through a temporary file: a save that dies half-way (as under SIGKILL)
    leaves the previous workbook intact under the final name, and the next export removes
    the temporary file."""
    from openpyxl.workbook.workbook import Workbook as OpenpyxlWorkbook

    from evalkit.export.official import export_period

    ds = make_dataset()
    first = export_period(ds, "2024-06", tmp_path)
    before = {p: p.read_bytes() for p in first if p.suffix == ".xlsx"}
    real_save = OpenpyxlWorkbook.save

    def dying_save(self, filename):
        real_save(self, filename)
        with open(filename, "r+b") as f:  # half the zip, then death
            f.truncate(f.seek(0, 2) // 2)
        raise KeyboardInterrupt

    monkeypatch.setattr(OpenpyxlWorkbook, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        export_period(ds, "2024-06", tmp_path)
    monkeypatch.setattr(OpenpyxlWorkbook, "save", real_save)
    for path, data in before.items():
        assert path.read_bytes() == data, path.name
        load_workbook(path)  # still a whole workbook
    assert not list((tmp_path / "2024-06").rglob("*.tmp"))  # the temp file is removed on error


def test_control_characters_in_the_registry_are_removed_with_a_warning_naming_the_cell(tmp_path):
    from evalkit.export.official import export_period
    from evalkit.intake.loader import load
    from intake_helpers import make_data_dir

    data = make_data_dir(tmp_path / "data", enterprises=[("五金\x00厂", "五金", "石壁\x07村", "否", "一般")],
                         units=[("石壁\x07村", "村")])
    ds = load(data)
    assert list(ds.enterprises["name"]) == ["五金厂"] and list(ds.units["unit"]) == ["石壁村"]
    found = ds.problems[ds.problems["rule"] == "registry_control_characters"]
    where = sorted(zip(found["file"], found["row"], found["column"], strict=True))
    assert where == [("registry/enterprises.csv", 2, "企业名称"), ("registry/enterprises.csv", 2, "监管单位"),
                     ("registry/units.csv", 2, "单位")]
    assert set(found["severity"]) == {"warning"} and "\\x00" in found["message"].iloc[0]
    assert export_period(ds, "2024-06", tmp_path / "out")  # and the workbooks can be written
