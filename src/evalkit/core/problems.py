"""The one problem record used everywhere, the rule catalogue, and the report.

A ``Problem`` carries file, sheet, row (the Excel row number, 1-based), column (the
header text), a stable snake_case rule id, severity, a Chinese message saying what
was found and what was expected, and the value found.

Rules are data (``RULES``). Their severity decides what happens to a row:
an ``error`` on a row rejects that row (it is kept in ``Dataset.rejected`` with the
reason), except an error in a 附件1 cell that only blanks it (an unreadable fine:
``intake.records.BLANKABLE_COLUMNS``, the row is kept with the cell unknown); a ``warning``
keeps the row in the clean data and only reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

import pandas as pd

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str  # short Chinese name, for tables and notebooks
    scope: Literal["file", "sheet", "row", "cell", "dataset"]


_R = Rule
#: The validation rule catalogue. Stable ids: tests and notebooks filter on them.
RULES: dict[str, Rule] = {r.id: r for r in [
    # file level: the whole file cannot be read
    _R("file_unreadable", "error", "文件无法读取", "file"),
    _R("file_not_excel", "error", "不是Excel工作簿", "file"),
    _R("file_xls_legacy", "error", "旧版.xls格式", "file"),  # reserved: .xls is read since issue 12
    _R("file_encrypted", "error", "工作簿有密码保护", "file"),
    _R("file_empty", "error", "空文件或空工作簿", "file"),
    _R("file_skipped", "warning", "隐藏或临时文件，已跳过", "file"),
    _R("file_not_regular", "error", "链接或特殊文件，未读取", "file"),
    _R("file_outside_submissions", "warning", "工作簿不在 submissions/ 下，未读取", "file"),
    # sheet level: every row of the sheet is rejected
    _R("form_unrecognised", "error", "无法识别表格", "sheet"),
    _R("unit_missing", "error", "缺少填报单位", "sheet"),
    _R("unit_unknown", "error", "填报单位不在名录中", "sheet"),
    _R("month_missing", "error", "缺少或无法识别月份", "sheet"),
    _R("header_column_missing", "error", "缺少必需的表头列", "sheet"),
    _R("header_column_absent", "warning", "缺少非必需的表头列", "sheet"),
    _R("sheet_unrecognised", "warning", "工作表无法识别，已忽略", "sheet"),
    _R("sheet_hidden", "warning", "隐藏的工作表，未计入", "sheet"),
    _R("sheet_cells_ignored", "warning", "超出表格范围的单元格，已忽略", "sheet"),
    _R("submission_late", "warning", "逾期报送", "sheet"),
    _R("submission_duplicate", "error", "同一单位同月重复报送", "sheet"),
    _R("relayed_superseded", "warning", "汇总表中的单位另有原表，以原表为准", "row"),
    _R("relayed_unit_outside", "warning", "汇总表中的单位不属于报送的镇（街道）", "row"),
    # row / cell level
    _R("enterprise_missing", "error", "缺少受检企业名称", "cell"),
    _R("date_unparseable", "error", "检查时间无法识别", "cell"),
    _R("date_outside_month", "warning", "检查时间不在填报月份内", "cell"),
    _R("date_ambiguous", "warning", "检查时间是数字，月.日有两种读法", "cell"),
    _R("number_unparseable", "error", "数字无法识别", "cell"),
    _R("number_negative", "error", "数字为负", "cell"),
    _R("number_implausible", "error", "数字超出合理范围", "cell"),
    _R("fine_implausible", "warning", "罚款金额疑似以元填写", "cell"),
    _R("inspectors_fewer_than_two", "warning", "执法人员少于两人", "cell"),
    _R("fine_without_case", "warning", "有罚款无立案案号", "cell"),
    _R("case_without_penalty", "warning", "有立案案号无处罚或处理", "cell"),
    _R("case_no_duplicate", "warning", "立案案号年内重复", "cell"),
    _R("rectifications_exceed_hazards", "warning", "整改项多于隐患项", "cell"),
    _R("rectification_unclear", "warning", "完成整改情况看不出是否已整改", "cell"),
    _R("enterprise_unregistered", "warning", "受检企业不在名录中", "cell"),
    _R("enterprise_name_near_miss", "warning", "受检企业名称与名录相差一两个字，按名录企业计", "cell"),
    _R("enterprise_date_duplicate", "warning", "同一企业同一日期重复", "row"),
    _R("figures_row_missing", "error", "缺少本月数或累计数行", "sheet"),
    _R("figures_row_unrecognised", "error", "附件2数据行无法识别", "row"),
    _R("formula_no_cached_value", "warning", "公式没有计算结果，按空白处理", "cell"),
    _R("rate_percent_format", "warning", "比率以百分比格式的小数保存，已换算", "cell"),
    # registry files
    _R("registry_missing", "error", "缺少企业名录", "file"),
    _R("registry_invalid", "error", "名录内容有误", "cell"),
    _R("registry_control_characters", "warning", "名录含不可见的控制字符，已去除", "cell"),
    _R("received_file_unknown", "warning", "收到日期登记的文件不存在", "file"),
    # export: the 阳光执法 list (config/disclosure.yaml)
    _R("authority_unknown", "warning", "立案案号无法确定处罚机关", "cell"),
]}


@dataclass(frozen=True)
class Problem:
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    rule: str
    severity: Severity
    message: str
    value: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


PROBLEM_COLUMNS = ["file", "sheet", "row", "column", "rule", "severity", "message", "value"]


def make_problem(rule: str, message: str, *, file: str, sheet: str | None = None,
                 row: int | None = None, column: str | None = None, value=None) -> Problem:
    """Build a problem whose severity comes from the rule catalogue."""
    if rule not in RULES:
        raise KeyError(f"unknown rule {rule!r}; known rules: {sorted(RULES)}")
    shown = None if value is None else _show(value)
    return Problem(file, sheet, row, column, rule, RULES[rule].severity, message, shown)


def _show(value) -> str:
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "..."


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """Problems as a DataFrame with the standard columns, sorted by location."""
    rows = [p.to_dict() for p in problems]
    frame = pd.DataFrame(rows, columns=PROBLEM_COLUMNS)
    if not frame.empty:
        frame["row"] = frame["row"].astype("Int64")
        frame = frame.sort_values(["file", "sheet", "row", "rule"], na_position="first",
                                  kind="stable").reset_index(drop=True)
    return frame
