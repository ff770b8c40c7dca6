"""阳光执法: the public list of administrative penalties and the credit-push list.

The plan (二(一)五): “推行‘阳光执法’，及时公开执法检查和行政处罚情况……将行政处罚信息及时
推送至相关信用信息共享交换平台”. Two lists per month, each written as .xlsx and as
UTF-8 CSV with a BOM and CRLF line ends (as Excel writes and opens it):

* 行政处罚公示 (``penalty_table``): every accepted ledger row of the month with a 立案案号
  or a fine. Columns ``PENALTY_COLUMNS``: the fine also as a number (万元), and the 处罚机关
  from the case number's prefix (``authority_of``, config/disclosure.yaml; a village committee
  is not one), an unknown prefix being an ``authority_unknown`` problem. The ledger has the inspection date, not the
  date of the penalty decision, so the date column is labelled 检查日期 and a note says
  it is not the 处罚决定日期.
* 信用推送 (``credit_table``): rows whose 其他查处(或移送)情况 says 纳入黑名单 or 联合惩戒,
  read with ``evalkit.intake.handling.parse_handling`` (the reading ``evalkit.metrics.engine`` counts).

Public data carries no personal data: no 执法人员 column, and free text is scrubbed by
``evalkit.export.personal_data.scrub`` (names of persons, phone numbers, ID-card numbers,
e-mail addresses; in 企业名称 only numbers and e-mail). Every replacement is listed in an
internal review workbook (``masking_review``, written to ``内部核对/``, never to
``公示/``), so a clerk checks each one before the lists are published.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from evalkit._text import format_value, is_missing
from evalkit.config.loader import load_model
from evalkit.config.models import DisclosureFile
from evalkit.core import hierarchy
from evalkit.core.atomic import atomic_path, save_workbook
from evalkit.core.cell_style import style_cell
from evalkit.core.form_writer import FORMULA_TRIGGERS, format_items, set_text
from evalkit.core.periods import Period
from evalkit.core.problems import make_problem
from evalkit.export import print_fit
from evalkit.export import xlsx_style as style
from evalkit.export.ordering import sorted_month_ledger, unit_order
from evalkit.export.personal_data import scrub, scrub_personal
from evalkit.intake.handling import parse_handling

__all__ = ["penalty_table", "penalty_problems", "penalty_authorities", "authority_of", "credit_table",
           "masking_review", "scrub_personal", "csv_safe", "write_table_xlsx", "write_table_csv",
           "export_disclosure", "PENALTY_COLUMNS", "CREDIT_COLUMNS", "REVIEW_COLUMNS"]

#: the fine as a number (万元), beside 处罚结果's words
FINE_COLUMN = "罚款金额(万元)"
#: what 处罚机关 says where no authority can be given
NO_CASE_AUTHORITY = "无立案案号，以处罚决定书为准"
UNKNOWN_AUTHORITY = "未能确定，请核实"
PENALTY_COLUMNS = ("序号", "企业名称", "统一社会信用代码", "违法事实", "处罚依据", "处罚结果", FINE_COLUMN,
                   "立案案号", "处罚机关", "检查日期", "检查单位")
CREDIT_COLUMNS = ("序号", "企业名称", "统一社会信用代码", "惩戒措施", "违法事实", "处罚依据",
                  "立案案号", "检查日期", "认定单位", "备注")
_WIDTHS = {FINE_COLUMN: 10, "处罚机关": 16, "检查单位": 14,
           "序号": 6, "企业名称": 28, "统一社会信用代码": 22, "违法事实": 40, "处罚依据": 30,
           "处罚结果": 26, "立案案号": 22, "检查日期": 12, "执法单位": 14, "惩戒措施": 16, "认定单位": 14,
           "备注": 24, "清单": 14, "企业名称（已脱敏）": 28, "列": 10, "类别": 8, "规则": 20, "原文": 30,
           "替换为": 16}
PENALTY_TITLE = "{region}{period}安全生产行政处罚信息公示"
CREDIT_TITLE = "{region}{period}安全生产失信惩戒信息（推送信用信息共享交换平台）"
PENALTY_NOTES = (
    "说明：1. 本表依据各单位报送的统计表（一）台账整理，收录本月有立案案号或罚款的检查记录。",
    "2. “检查日期”为现场检查时间，不是行政处罚决定日期：台账未载决定日期，处罚决定日期以《行政处罚决定书》为准。",
    "3. “处罚机关”按立案案号的前缀确定；“检查单位”为报送台账、实施检查的村或部门，不是处罚机关。",
    "4. 已隐去执法人员及其他自然人的姓名、电话号码、身份证号码等个人信息。",
)
CREDIT_NOTES = (
    "说明：1. 收录本月台账“其他查处(或移送)情况”载明纳入黑名单或联合惩戒的企业。",
    "2. “检查日期”为现场检查时间，不是认定决定日期；缺统一社会信用代码的，推送前请补录。",
    "3. 已隐去自然人的姓名、电话号码、身份证号码等个人信息。",
)
MISSING_CODE_NOTE = "名录无统一社会信用代码，推送前请补录"
REVIEW_COLUMNS = ("清单", "序号", "企业名称（已脱敏）", "列", "类别", "规则", "原文", "替换为")
REVIEW_TITLE = "{region}{period}阳光执法清单脱敏核对表（内部核对用，含个人信息，不得公开）"
REVIEW_NOTES = (
    "说明：1. 本表逐条列出公示清单和信用推送清单中被隐去的姓名、电话号码、证件号码和电子邮箱，供公开前核对。",
    "2. 本表含原文（个人信息），仅供内部核对，不得公开或随清单报送；核对无误后，公示清单方可发布。",
    "3. 未被识别的个人信息（如无角色词、又非执法人员的裸写姓名）不会出现在本表中，请通读清单后再发布。",
)

def csv_safe(value):
    """A CSV cell that a spreadsheet will not run as a formula (OWASP): text starting
    with = + - @ tab or CR gets a leading single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


# --------------------------------------------------------------------------- tables
class _Scrubber:
    """Scrubs the cells of one list and keeps the review rows of what it replaced."""

    def __init__(self, dataset, table: str):
        self.names, self.table, self.review = _known_persons(dataset), table, []

    def __call__(self, value, column: str, seq: int, *, numbers_only: bool = False):
        text, found = scrub(value, self.names, numbers_only=numbers_only)
        self.review += [{"清单": self.table, "序号": seq, "列": column, "类别": m.kind, "规则": m.rule,
                         "原文": m.original, "替换为": m.replacement} for m in found]
        return text


def _known_persons(dataset) -> list[str]:
    if not len(dataset.ledger) or "inspectors" not in dataset.ledger:
        return []
    names = set()
    for persons in dataset.ledger["inspectors"]:
        if isinstance(persons, list | tuple):
            names.update(str(p) for p in persons if p)
    return sorted(names)


def _credit_codes(dataset) -> dict[str, str]:
    ent = dataset.enterprises
    if not len(ent) or "credit_code" not in ent:
        return {}
    codes = {}
    for name, code in zip(ent["name"], ent["credit_code"], strict=False):
        if isinstance(code, str) and code.strip():
            codes[str(name)] = code.strip()
    return codes


def _blank(value) -> bool:
    return is_missing(value) or (isinstance(value, str) and value == "")


def _month_rows(dataset, period: Period) -> pd.DataFrame:
    """The month's ledger rows in the order of the consolidated 附件1 (unit, date)."""

    return sorted_month_ledger(dataset.ledger, period, unit_order(dataset))


def _penalty_result(row) -> str:
    parts = []
    fine = row.get("fine_wan")
    if not _blank(fine) and float(fine) > 0:
        parts.append(f"罚款{format_value(fine, 'money')}万元")
    if not _blank(row.get("other_handling")):
        parts.append(str(row["other_handling"]))
    return "；".join(parts) or "已立案，台账未载处罚结果"


def _facts(row) -> str | None:
    return format_items(list(row.get("hazards") or [])) if len(row.get("hazards") or []) else None


def _date_text(value) -> str | None:
    return None if _blank(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def penalty_table(dataset, period: Period, authorities: dict[str, str] | None = None) -> pd.DataFrame:
    """The month's penalty disclosure: ledger rows with a 立案案号 or a fine > 0,
    sorted by unit then date; free text scrubbed of personal data; 处罚机关 from the case
    number (``authority_of`` with ``authorities``, default config/disclosure.yaml)."""
    return _penalty_table(dataset, period, authorities)[0]


def penalty_problems(dataset, period: Period, authorities: dict[str, str] | None = None) -> list:
    """The ``authority_unknown`` problems of the month's penalty list (one per case number
    whose prefix names no 处罚机关), with the ledger row's file, sheet and row."""
    problems: list = []
    _penalty_table(dataset, period, authorities, problems)
    return problems


def penalty_authorities(config=None) -> dict[str, str]:
    """The 立案案号 prefix -> 处罚机关 mapping of config/disclosure.yaml (``config``: a YAML
    file or a dict replacing its ``authorities``)."""
    model, _ = load_model("disclosure", DisclosureFile, config, whole_sections=True)
    return dict(model.authorities)


def authority_of(case_no, authorities: dict[str, str]) -> str | None:
    """The 处罚机关 of a 立案案号: the authority of the longest prefix it starts with
    (spaces ignored), None when none does."""
    text = "".join(str(case_no).split())
    best = max((p for p in authorities if text.startswith("".join(p.split()))), key=len, default=None)
    return None if best is None else authorities[best]


def _authority(row, authorities: dict[str, str], problems: list) -> str:
    if _blank(row.get("case_no")):
        return NO_CASE_AUTHORITY
    found = authority_of(row["case_no"], authorities)
    if found is None:
        problems.append(make_problem(
            "authority_unknown", f"立案案号“{row['case_no']}”的前缀不在 config/disclosure.yaml 的 authorities 中："
            "公示清单的处罚机关写“未能确定”；请在配置中补上该前缀对应的处罚机关",
            file=str(row.get("file") or ""), sheet=None if _blank(row.get("sheet")) else str(row["sheet"]),
            row=None if _blank(row.get("row")) else int(row["row"]), column="立案案号", value=row["case_no"]))
        return UNKNOWN_AUTHORITY
    return found


def _penalty_table(dataset, period: Period, authorities: dict[str, str] | None = None,
                   problems: list | None = None) -> tuple[pd.DataFrame, list[dict]]:
    rows = _month_rows(dataset, period)
    codes, clean = _credit_codes(dataset), _Scrubber(dataset, "行政处罚公示")
    authorities = penalty_authorities() if authorities is None else authorities
    problems = [] if problems is None else problems
    records = []
    for row in rows.to_dict("records"):
        fine = row.get("fine_wan")
        has_fine = not _blank(fine) and float(fine) > 0
        if _blank(row.get("case_no")) and not has_fine:
            continue
        seq = len(records) + 1
        records.append({
            "序号": seq,
            "企业名称": clean(row["enterprise_name"], "企业名称", seq, numbers_only=True),
            "统一社会信用代码": codes.get(row["enterprise_name"]),
            "违法事实": clean(_facts(row), "违法事实", seq),
            "处罚依据": clean(row.get("legal_basis"), "处罚依据", seq),
            "处罚结果": clean(_penalty_result(row), "处罚结果", seq),
            FINE_COLUMN: float(fine) if has_fine else None,
            "立案案号": None if _blank(row.get("case_no")) else str(row["case_no"]),
            "处罚机关": _authority(row, authorities, problems),
            "检查日期": _date_text(row.get("inspection_date")),
            "检查单位": row["unit"],
        })
    return pd.DataFrame(records, columns=list(PENALTY_COLUMNS)), _named(clean.review, records)


def _named(review: list[dict], records: list[dict]) -> list[dict]:
    """Review rows with the (scrubbed) enterprise name of their list row."""
    return [{**r, "企业名称（已脱敏）": records[r["序号"] - 1]["企业名称"]} for r in review]


def credit_table(dataset, period: Period) -> pd.DataFrame:
    """The month's credit-push list: rows whose 其他查处(或移送)情况 reads as 纳入黑名单
    and/or 联合惩戒 (``handling.parse_handling``), one row per ledger row."""
    return _credit_table(dataset, period)[0]


def _credit_table(dataset, period: Period) -> tuple[pd.DataFrame, list[dict]]:
    rows = _month_rows(dataset, period)
    codes, clean = _credit_codes(dataset), _Scrubber(dataset, "信用推送")
    records = []
    for row in rows.to_dict("records"):
        found = parse_handling(row.get("other_handling"))
        measures = [label for metric, label in (("blacklisted", "纳入黑名单"), ("joint_punishment", "联合惩戒"))
                    if found.get(metric)]
        if not measures:
            continue
        code = codes.get(row["enterprise_name"])
        seq = len(records) + 1
        records.append({
            "序号": seq,
            "企业名称": clean(row["enterprise_name"], "企业名称", seq, numbers_only=True),
            "统一社会信用代码": code,
            "惩戒措施": "、".join(measures),
            "违法事实": clean(_facts(row), "违法事实", seq),
            "处罚依据": clean(row.get("legal_basis"), "处罚依据", seq),
            "立案案号": None if _blank(row.get("case_no")) else str(row["case_no"]),
            "检查日期": _date_text(row.get("inspection_date")),
            "认定单位": row["unit"],
            "备注": None if code else MISSING_CODE_NOTE,
        })
    return pd.DataFrame(records, columns=list(CREDIT_COLUMNS)), _named(clean.review, records)


def masking_review(dataset, period: Period) -> pd.DataFrame:
    """Every replacement ``scrub`` made in the month's two lists, one row each
    (``REVIEW_COLUMNS``): which list, its 序号, the column, what was found by which rule,
    the original text and its replacement. Internal: it holds the personal data itself."""
    rows = _penalty_table(dataset, period)[1] + _credit_table(dataset, period)[1]
    return pd.DataFrame(rows, columns=list(REVIEW_COLUMNS))


# --------------------------------------------------------------------------- writers
def write_table_xlsx(path: str | Path, frame: pd.DataFrame, *, title: str, notes: Iterable[str] = (),
                     sheet: str = "公示") -> Path:
    """A plain list as a printable workbook: title, one header row, bordered rows, notes.

    Every text goes through ``form_writer.set_text`` (never a formula). Widths from the
    content within the print budget (``print_fit``), fonts named; numbers right-aligned."""
    wb = Workbook()
    print_fit.set_default_font(wb)
    ws = wb.active
    ws.title = sheet
    ncols = len(frame.columns)
    set_text(ws.cell(1, 1), title)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    style_cell(ws.cell(1, 1), font=print_fit.TITLE_FONT, alignment=style.CENTER)
    ws.row_dimensions[1].height = 28
    header = 2
    for c, name in enumerate(frame.columns, 1):
        cell = ws.cell(header, c)
        set_text(cell, name)
        style_cell(cell, font=print_fit.HEADER_FONT, alignment=style.CENTER)
    money = {c for c, name in enumerate(frame.columns, 1) if name == FINE_COLUMN}
    for r, values in enumerate(frame.itertuples(index=False), header + 1):
        for c, value in enumerate(values, 1):
            cell = ws.cell(r, c)
            if c in money:
                style_cell(cell, alignment=style.RIGHT, number_format=style.WAN_FORMAT)
            else:
                style_cell(cell, alignment=style.TOP_LEFT)
            set_text(cell, None if _blank(value) else value)
    last = header + len(frame)
    style.border_range(ws, header, last, 1, ncols)
    columns = []
    for name in frame.columns:
        shown = [None if _blank(v) else f"{v:.4f}" if name == FINE_COLUMN else str(v) for v in frame[name]]
        columns.append(print_fit.wanted_width(name, shown, maximum=_WIDTHS.get(name, 14),
                                              fixed=name in ("序号", FINE_COLUMN, "检查日期", "统一社会信用代码")))
    style.print_widths(ws, print_fit.fit_columns(columns, style.MARGINS), (header,))
    style.write_note_lines(ws, last + 2, notes, ncols)
    style.fit_row_heights(ws, header + 1, last)
    ws.freeze_panes = ws.cell(header + 1, 1)
    style.setup_print(ws, title_rows=(header, header), last_column=ncols)
    print_fit.name_fonts(ws)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(wb, path)
    return path


def write_table_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    """The list as UTF-8 CSV with BOM and CRLF line ends, as Excel writes it; formula-like
    text is quote-prefixed (``csv_safe``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = frame.astype(object).map(csv_safe) if len(frame) else frame
    with atomic_path(path) as tmp:
        safe.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def export_disclosure(dataset, period: Period, paths, problems: list | None = None) -> list[Path]:
    """Write both lists of ``period`` to ``paths`` (an ``export.ExportPaths``), and the
    internal masking review to ``paths.review_xlsx``; the ``authority_unknown`` problems
    are added to ``problems``."""
    label = period.label
    region = hierarchy.root(dataset.units)  # the town, or the city of a city folder
    penalties, penalty_review = _penalty_table(dataset, period, None, problems)
    credit, credit_review = _credit_table(dataset, period)
    review = pd.DataFrame(penalty_review + credit_review, columns=list(REVIEW_COLUMNS))
    return [
        write_table_xlsx(paths.penalties_xlsx, penalties, title=PENALTY_TITLE.format(region=region, period=label),
                         notes=PENALTY_NOTES, sheet="行政处罚公示"),
        write_table_csv(paths.penalties_csv, penalties),
        write_table_xlsx(paths.credit_xlsx, credit, title=CREDIT_TITLE.format(region=region, period=label),
                         notes=CREDIT_NOTES, sheet="信用推送"),
        write_table_csv(paths.credit_csv, credit),
        write_table_xlsx(paths.review_xlsx, review, title=REVIEW_TITLE.format(region=region, period=label),
                         notes=REVIEW_NOTES, sheet="脱敏核对"),
    ]
