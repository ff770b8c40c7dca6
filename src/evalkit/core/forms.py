"""The two official forms of the plan, declared once.

附件1 = 统计表（一）: the inspection ledger, one row per inspected enterprise.
附件2 = 统计表（二）: a unit's monthly figures, two-level header, 本月数/累计数 rows.

These declarations are data. ``evalkit.intake.loader`` reads submissions with them and the
writers (sample generator, exports, templates) lay workbooks out with them, so a
header text changes in exactly one place.

The seed's OCR garbles part of 附件2's header. Every reading we chose is listed in
``OCR_READINGS`` below, the single place to correct it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["seq", "text", "date", "persons", "items", "case_no", "money_wan", "count", "rate"]


@dataclass(frozen=True)
class Column:
    """One column of an official form.

    key      stable English id used in code and DataFrames
    header   the header text exactly as the official form prints it
    kind     how a cell is parsed (see ``evalkit.intake.cells``)
    aliases  other spellings seen in submissions; matched after normalisation
    unit     unit of measure shown in the header, if any
    group    the level-1 header it sits under (附件2 only)
    width    column width used by writers, in Excel character units
    """

    key: str
    header: str
    kind: Kind
    aliases: tuple[str, ...] = ()
    unit: str = ""
    group: str = ""
    width: float = 12
    required: bool = False


@dataclass(frozen=True)
class Form:
    """An official form: title, header fields, columns, footer and notes."""

    id: str
    attachment: str  # 附件1 / 附件2
    title: str  # without the year, see ``title_for``
    unit_label: str  # the header field naming the unit
    month_label: str
    extra_meta: tuple[str, ...]
    columns: tuple[Column, ...]
    footer: tuple[str, ...]
    notes: tuple[str, ...]
    # Header cells that identify the form when found together on one row.
    signature: tuple[str, ...] = ()
    row_labels: tuple[str, ...] = ()  # 附件2: 本月数 / 累计数
    groups: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    def title_for(self, year: int) -> str:
        return self.title.format(year=year)

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"{self.id} has no column {key!r}; columns: {[c.key for c in self.columns]}")

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


# --------------------------------------------------------------------------- 附件1
LEDGER = Form(
    id="ledger",
    attachment="附件1",
    title="石狮市{year}年安全生产执法提升专项行动情况统计表（一）",
    unit_label="填报部门（公章）",
    month_label="月份",
    extra_meta=("填报日期",),
    columns=(
        Column("seq", "序号", "seq", aliases=("编号",), width=6),
        Column("enterprise", "受检企业(单位)名称", "text",
               aliases=("受检企业名称", "受检单位名称", "企业名称", "受检企业(单位)"), width=28, required=True),
        Column("inspection_date", "检查时间", "date", aliases=("检查日期",), width=12, required=True),
        Column("inspectors", "执法人员", "persons", aliases=("检查人员",), width=14),
        Column("hazards", "安全生产违法行为(隐患)", "items",
               aliases=("违法行为(隐患)", "安全生产违法行为", "违法行为", "隐患"), width=40),
        Column("rectifications", "完成整改情况", "items", aliases=("整改情况",), width=30),
        Column("case_no", "立案案号", "case_no", aliases=("案号",), width=22),
        Column("fine_wan", "罚款金额(万)", "money_wan", aliases=("罚款金额(万元)", "罚款金额"), unit="万元", width=10),
        Column("legal_basis", "处罚依据(法律条款)", "text", aliases=("处罚依据",), width=30),
        Column("other_handling", "其他查处(或移送)情况", "text",
               aliases=("其他查处情况", "其他查处(移送)情况"), width=24),
        Column("remarks", "备注", "text", width=14),
    ),
    footer=("填报人签字：", "联系电话："),
    notes=(
        "备注：1. 本表由市各有关部门负责填报市本级执法数据，从1月起，每月30日前向市安办报送（上月情况）。",
        "2. 以上填报数据应有《整改通知书》《现场检查记录》《行政处罚决定书》等行政执法文书、台账资料作为佐证材料。",
    ),
    signature=("受检企业", "检查时间"),
)

# --------------------------------------------------------------------------- 附件2
# Level-1 groups and their level-2 columns. Columns without a group span both header rows.
_G_CHECK = "检查情况"
_G_CASE = "立案情况"
_G_PUNISH = "惩处情况"
_G_EXPOSE = "曝光、惩戒情况"
_G_REPORT = "举报奖励情况"

FIGURES = Form(
    id="figures",
    attachment="附件2",
    title="石狮市{year}年安全生产执法提升专项行动情况统计表（二）",
    unit_label="填报地区（部门）",
    month_label="月份",
    extra_meta=(),
    columns=(
        Column("label", "单位", "text", width=12),
        Column("supervised_total", "监管企业(单位)总数(家)", "count", unit="家", width=10),
        Column("inspected", "现场监督检查企业(单位)数(家)", "count", unit="家", width=10),
        Column("coverage_rate", "检查覆盖率(%)", "rate", unit="%", width=9),
        Column("hazards_found", "排查隐患数(处)", "count", unit="处", group=_G_CHECK, width=9),
        Column("hazards_rectified", "隐患整改数(处)", "count", unit="处", group=_G_CHECK, width=9),
        Column("cases_filed", "立案数(家)", "count", unit="家", group=_G_CASE, width=8),
        Column("case_ratio", "占实际检查企业(单位)总数比例(%)", "rate", unit="%", group=_G_CASE, width=11),
        Column("violation_handling_rate", "违法行为查处率(%)", "rate", unit="%", group=_G_CASE, width=10),
        Column("suspended", "责令停产停业整顿(家)", "count", unit="家", group=_G_PUNISH, width=10),
        Column("fines_wan", "罚款金额(万元)", "money_wan", unit="万元", group=_G_PUNISH, width=10),
        Column("closure_requested", "提请关闭企业(单位)(家)", "count", unit="家", group=_G_PUNISH, width=10),
        Column("licenses_suspended", "暂扣吊销有关证件(件)", "count", unit="件", group=_G_PUNISH, width=10),
        Column("blacklisted", "纳入黑名单(家)", "count", unit="家", group=_G_EXPOSE, width=9),
        Column("joint_punishment", "联合惩戒(家)", "count", unit="家", group=_G_EXPOSE,
               aliases=("联合惩戒",), width=9),
        Column("criminal_referrals", "移送追究刑事责任(人)", "count", unit="人", group=_G_EXPOSE, width=10),
        Column("referred_other", "移送其他部门(起)", "count", unit="起", group=_G_EXPOSE,
               aliases=("移送达其部门(起)", "移送达其部门"), width=10),
        Column("reports_verified", "举报核查数(件)", "count", unit="件", group=_G_REPORT,
               aliases=("核数", "核查数"), width=9),
    ),
    footer=("填报人签字：",),
    notes=(
        "备注：1. 本表由各镇（街道）及市各有关部门负责填报，从1月起，每月30日前向市安办报送（上月情况）。",
        "2. 检查覆盖率：现场监督检查企业(单位)数/监管企业(单位)总数；隐患整改率：隐患整改数/排查隐患数；"
        "违法行为查处率：违法行为查处数/排查隐患数。",
    ),
    signature=("监管企业", "检查覆盖率"),
    row_labels=("本月数", "累计数"),
    groups=(
        (_G_CHECK, ("hazards_found", "hazards_rectified")),
        (_G_CASE, ("cases_filed", "case_ratio", "violation_handling_rate")),
        (_G_PUNISH, ("suspended", "fines_wan", "closure_requested", "licenses_suspended")),
        (_G_EXPOSE, ("blacklisted", "joint_punishment", "criminal_referrals", "referred_other")),
        (_G_REPORT, ("reports_verified",)),
    ),
)

#: Where the seed's OCR text is garbled, the reading we chose. Correct a reading by
#: editing the matching ``Column``/``groups`` above and this table; the seed's
#: garbled text stays an alias so old submissions still read.
OCR_READINGS: tuple[dict[str, str], ...] = (
    {"seed": "移送达其部门(起)", "reading": "移送其他部门(起)",
     "why": "“达其” is an OCR slip for “其他”; the issue and the plan (移送) name 移送其他部门."},
    {"seed": "举报奖励情况 / 核数", "reading": "举报奖励情况 / 举报核查数(件)",
     "why": "the group has one column whose text survived as “核数”; we read it as the number of "
            "举报 checked (核查) in the month. A unit may also write 核数 or 核查数."},
    {"seed": "联合惩戒 (no unit)", "reading": "联合惩戒(家)",
     "why": "every sibling column counts enterprises (家); the unit was lost."},
    {"seed": "five level-1 groups over 14 level-2 columns",
     "reading": "检查情况 2, 立案情况 3, 惩处情况 4, 曝光、惩戒情况 4, 举报奖励情况 1",
     "why": "the OCR kept the group names but not their spans; referrals sit with 曝光、惩戒 "
            "because 移送 is the last step of 惩戒 and the seed lists them after 联合惩戒."},
    {"seed": "footnote: “违法行为数/排查隐患数”", "reading": "违法行为查处率 = 违法行为查处数 / 排查隐患数",
     "why": "the footnote lost its first words; see evalkit.metrics.engine for the configurable definition."},
)

FORMS: dict[str, Form] = {LEDGER.id: LEDGER, FIGURES.id: FIGURES}

#: The 附件1 columns that are free text and may carry formulas in hostile submissions.
TEXT_KINDS = ("text", "persons", "items", "case_no")

DEFAULT_YEAR = 2024


@dataclass(frozen=True)
class ConsolidatedLayout:
    """How a consolidated form (a town's, or the city's) is laid out, declared once: the writers
    (``export.official``, the city sample) and the reader of what towns send up use it.

    附件2: one 本月数/累计数 pair per unit, labelled "{unit} 本月数" in the first column, then the
    pair of the total ("合计 本月数"). 附件1: one sheet with every unit's rows; the official form
    has no unit column, so 备注 starts with the unit as 【单位】."""

    figures_sheet: str = "统计表二"
    ledger_sheet: str = "全镇"
    total_label: str = "合计"
    unit_marker: str = "【{unit}】"

    def row_label(self, unit: str, kind: str) -> str:
        """"蚶江村 本月数": the first cell of a unit's (or the total's) row in a consolidated 附件2."""
        return f"{unit} {kind}"

    def remarks(self, unit: str, remarks: str | None) -> str:
        """备注 of a row on the all-units 附件1 sheet: the unit as 【单位】, then the row's own 备注."""
        return self.unit_marker.format(unit=unit) + (remarks or "")


CONSOLIDATED = ConsolidatedLayout()
