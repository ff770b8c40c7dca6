"""evalkit.intake.registry: enterprises, units, plan and received dates from registry/."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from openpyxl import Workbook

from evalkit.exceptions import DataDirError
from evalkit.intake.registry import load_registry, submission_key


def write(path, text, encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


@pytest.fixture
def reg(tmp_path):
    write(tmp_path / "registry" / "enterprises.csv",
          "企业名称,统一社会信用代码,行业,监管单位,重点行业,风险等级\n"
          "石狮市宏达五金厂,91350581MA0000001X,五金,石壁村,否,一般\n"
          "蚶江石湖港务有限公司,,港口物流,综合执法队,是,高\n"
          "蚶江渔业合作社,,渔业,综合执法队,渔业船舶,一般\n"
          "蚶江锦里制衣有限公司,,制衣,锦里村,,较高\n")
    return tmp_path


def problems(registry):
    return [(p.file, p.row, p.column, p.rule) for p in registry.problems]


def test_enterprises_read_with_contract_columns(reg):
    """The enterprises table: names, codes, key industry (是 -> 行业), risk level."""
    r = load_registry(reg)
    e = r.enterprises.set_index("name")
    assert list(e.index) == ["石狮市宏达五金厂", "蚶江石湖港务有限公司", "蚶江渔业合作社", "蚶江锦里制衣有限公司"]
    assert e.loc["石狮市宏达五金厂", "credit_code"] == "91350581MA0000001X"
    assert e.loc["蚶江石湖港务有限公司", "key_industry"] == "港口物流"  # 是 -> its 行业
    assert e.loc["蚶江渔业合作社", "key_industry"] == "渔业船舶"
    assert pd.isna(e.loc["石狮市宏达五金厂", "key_industry"])
    assert pd.isna(e.loc["蚶江锦里制衣有限公司", "key_industry"])  # blank = not key
    assert pd.isna(e.loc["蚶江渔业合作社", "credit_code"])
    assert problems(r) == []


def test_units_derived_without_units_csv(reg):
    """Without units.csv: units are the distinct 监管单位; 村 by the name ending."""
    units = load_registry(reg).units.set_index("unit")
    assert units["parent"].isna().all()  # no 上级单位: every unit reports to the root
    units = units.drop(columns="parent")
    assert units.to_dict("index") == {
        "石壁村": {"kind": "村", "supervised_total": 1},
        "综合执法队": {"kind": "部门", "supervised_total": 2},
        "锦里村": {"kind": "村", "supervised_total": 1},
    }


def test_units_csv_with_bad_kind_and_missing_unit(reg):
    """units.csv kinds are checked; a 监管单位 missing from it is added with a problem."""
    write(reg / "registry" / "units.csv", "单位,类型\n石壁村,村\n综合执法队,局\n应急站,部门\n")
    r = load_registry(reg)
    units = r.units.set_index("unit")
    assert units.loc["综合执法队", "kind"] == "部门"  # fallback after the problem
    assert units.loc["应急站", "supervised_total"] == 0
    assert units.loc["锦里村", "kind"] == "村"
    assert problems(r) == [("registry/units.csv", 3, "类型", "registry_invalid"),
                           ("registry/enterprises.csv", None, None, "registry_invalid")]


def test_bad_enterprise_rows(tmp_path):
    """Blank name, blank unit, duplicate name and unknown 重点行业 each give registry_invalid."""
    write(tmp_path / "registry" / "enterprises.csv",
          "企业名称,行业,监管单位,重点行业\n"
          ",五金,石壁村,否\n"              # row 2: no name -> dropped
          "甲厂,五金,,否\n"                # row 3: no unit -> dropped
          "乙厂,五金,石壁村,否\n"
          "乙 厂,五金,石壁村,否\n"          # row 5: duplicate after normalisation -> dropped
          "丙厂,五金,石壁村,很重要\n")       # row 6: kept, not key
    r = load_registry(tmp_path)
    assert list(r.enterprises["name"]) == ["乙厂", "丙厂"]
    assert problems(r) == [
        ("registry/enterprises.csv", 2, "企业名称", "registry_invalid"),
        ("registry/enterprises.csv", 3, "监管单位", "registry_invalid"),
        ("registry/enterprises.csv", 5, "企业名称", "registry_invalid"),
        ("registry/enterprises.csv", 6, "重点行业", "registry_invalid"),
    ]


def test_gbk_csv_and_xlsx_registry(tmp_path):
    """A GBK-encoded CSV and an xlsx registry both read."""
    write(tmp_path / "a" / "registry" / "enterprises.csv", "企业名称,监管单位\n甲厂,石壁村\n", encoding="gbk")
    assert list(load_registry(tmp_path / "a").enterprises["name"]) == ["甲厂"]
    (tmp_path / "b" / "registry").mkdir(parents=True)
    wb = Workbook()
    wb.active.append(["企业名称", "监管单位", "行业"])
    wb.active.append(["乙厂", "石壁村", "五金"])
    wb.save(tmp_path / "b" / "registry" / "enterprises.xlsx")
    assert list(load_registry(tmp_path / "b").enterprises["unit"]) == ["石壁村"]


def test_missing_or_unusable_enterprises_raise(tmp_path):
    """No enterprises file, a file without 监管单位, or two versions raise DataDirError."""
    (tmp_path / "registry").mkdir()
    with pytest.raises(DataDirError, match="缺少企业名录"):
        load_registry(tmp_path)
    write(tmp_path / "registry" / "enterprises.csv", "企业名称,行业\n甲厂,五金\n")
    with pytest.raises(DataDirError, match="缺少列：监管单位"):
        load_registry(tmp_path)
    write(tmp_path / "registry" / "enterprises.csv", "企业名称,监管单位\n甲厂,石壁村\n")
    Workbook().save(tmp_path / "registry" / "enterprises.xlsx")
    with pytest.raises(DataDirError, match="只保留一个"):
        load_registry(tmp_path)


def test_plan_rows_checked(reg):
    """Plan rows: names matched to the registry, months 1–12, methods 重点检查/双随机."""
    write(reg / "registry" / "plan.csv",
          "企业名称,监管单位,计划月份,方式\n"
          "石狮市宏达五金厂,,5月,重点检查\n"       # unit from the registry
          "蚶江渔业合作社,综合执法队,6,双随机抽查\n"
          "石狮宏达五金厂,石壁村,7,双随机\n"      # row 4: unknown name
          "蚶江石湖港务有限公司,综合执法队,13,重点检查\n"  # row 5: bad month
          "蚶江石湖港务有限公司,综合执法队,3,随便看看\n")   # row 6: bad method
    r = load_registry(reg)
    assert r.plan.to_dict("records") == [
        {"name": "石狮市宏达五金厂", "unit": "石壁村", "month": 5, "method": "重点检查"},
        {"name": "蚶江渔业合作社", "unit": "综合执法队", "month": 6, "method": "双随机"},
    ]
    assert [(p.row, p.column) for p in r.problems] == [(4, "企业名称"), (5, "计划月份"), (6, "方式")]
    assert "是否为：石狮市宏达五金厂？" in r.problems[0].message


def test_received_dates(reg):
    """received.csv: keys are submissions/<path>; a bad date is a problem."""
    write(reg / "registry" / "received.csv", "文件,收到日期\n石壁村\\5月.xlsx,2024-06-12\nb.xlsx,不详\n")
    r = load_registry(reg)
    assert r.received == {"submissions/石壁村/5月.xlsx": (dt.date(2024, 6, 12), 2)}
    assert problems(r) == [("registry/received.csv", 3, "收到日期", "registry_invalid")]


def test_submission_key():
    """Keys get the submissions/ prefix once, with forward slashes."""
    assert submission_key("a\\b.xlsx") == "submissions/a/b.xlsx"
    assert submission_key("./submissions/a.xlsx") == "submissions/a.xlsx"


def test_match_unit_variants_and_suggestion(reg):
    """Unit names match through town prefixes and 村委会; otherwise a suggestion."""
    r = load_registry(reg)
    assert r.match_unit("石狮市蚶江镇石壁村民委员会") == ("石壁村", None)
    assert r.match_unit("综合执法队（公章）") == ("综合执法队", None)
    assert r.match_unit("综合执法大队") == (None, "综合执法队")
    assert r.match_unit("") == (None, None)


def test_match_enterprise(reg):
    """Enterprise names match after normalisation; a near miss gets a suggestion."""
    r = load_registry(reg)
    assert r.match_enterprise(" 石狮市宏达五金厂 ") == ("石狮市宏达五金厂", None)
    assert r.match_enterprise("石狮市宏达五金") == (None, "石狮市宏达五金厂")
    assert r.match_enterprise("完全不同的名字") == (None, None)


def test_registered_name_is_match_enterprise_without_the_suggestion(reg):
    """The exact lookup intake does first: the same name match_enterprise gives, and no search."""
    r = load_registry(reg)
    for written in (" 石狮市宏达五金厂 ", "石狮市宏达五金", "完全不同的名字", "", None):
        assert r.registered_name(written) == r.match_enterprise(written)[0]
    assert r.registered_name("石狮市 宏达五金厂") == "石狮市宏达五金厂"
