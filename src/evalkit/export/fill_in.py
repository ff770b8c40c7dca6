"""Fill-in templates for next month: one workbook per unit, unit and month pre-filled.

Sheets: 填表说明 (instructions, from the seed's notes and the parsing rules intake
applies), 统计表一 (附件1 with ``BLANK_ROWS`` empty rows), 统计表二 (附件2 with empty
本月数/累计数 rows) and a hidden 名录 sheet holding the enterprise list.

Both forms are protected without a password: the title, the pre-filled unit and
month and the headers are locked; the data rows, 填报日期 and the signature lines are
not. Data validation, chosen to match what intake accepts:

* 受检企业(单位)名称: drop-down of the registry names (the unit's own enterprises
  first, then the rest of the town), from the named range ``ENTERPRISE_LIST`` on the
  hidden sheet. A name not on the list asks for confirmation (style *warning*):
  intake accepts unregistered enterprises with a warning.
* 检查时间: a date within the month; style *warning*, because intake only warns
  about a date outside the month (the row still belongs to the form's 月份).
* 罚款金额(万): a number >= 0 (style *stop*; intake rejects negative numbers).
* 完成整改情况: a drop-down offering 已整改 / 限期整改 / 未整改 that does not forbid
  other text: the column is free text, one numbered item per hazard ("1. 已整改\\n
  2. 限期整改（限8月10日前）"), which a strict list would refuse.
* 统计表二: counts whole numbers >= 0, rates percentages 0-100 (17.86, not 0.1786), 万元
  numbers >= 0, each with its own message (``FIGURE_RULES``).

The 附件1 table has room for the unit's largest month and half again (``template_rows``), and
rows may be inserted in the protected sheet. 填表说明 and 名录 start with the texts
``intake.sheets.TEMPLATE_SHEETS`` knows, so reading a filled template warns about neither.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from evalkit.core import hierarchy
from evalkit.core.atomic import save_workbook
from evalkit.core.form_writer import set_text, write_figures_sheet, write_ledger_sheet
from evalkit.core.forms import FIGURES, LEDGER
from evalkit.core.periods import Period, submission_deadline
from evalkit.export import print_fit
from evalkit.export import xlsx_style as style
from evalkit.export.ledger_stream import ledger_widths
from evalkit.export.ordering import unit_order
from evalkit.intake.sheets import TEMPLATE_SHEETS

BLANK_ROWS = 50  # the fewest blank 附件1 rows a template has
ROOM = 1.5  # a unit's largest month of rows times this, rounded up to ten (``template_rows``)
MAX_BLANK_ROWS = 1000  # the most a template is given (rows can still be inserted): writing is per cell
LEDGER_SHEET, FIGURES_SHEET = "统计表一", "统计表二"
HELP_SHEET, LIST_SHEET = "填表说明", "名录"
LIST_HEADING = TEMPLATE_SHEETS[LIST_SHEET]  # row 1 of 名录: intake knows the sheet by it
LIST_NAME = "ENTERPRISE_LIST"  # ASCII: every spreadsheet program accepts it
RECTIFICATION_CHOICES = ("已整改", "限期整改", "未整改")
HELP_WIDTH = 80  # fits A4 portrait without scaling


def instructions(unit: str, period: Period) -> list[str]:
    """The 填表说明 lines (Chinese) for ``unit`` and ``period``."""
    deadline = submission_deadline(period.year, period.last_month)
    month = f"{period.year}年{period.last_month}月"
    return [
        f"{unit} {month} 安全生产执法统计表 填表说明",
        "一、报送要求",
        f"1. 本工作簿已预填填报单位（{unit}）和月份（{period.last_month}月），请勿修改；"
        f"请于 {deadline.month}月{deadline.day}日前将本工作簿报送镇应急保障股（方案：每月30日前报送上月执法统计表）。",
        "2. 以上填报数据应有《整改通知书》《现场检查记录》《行政处罚决定书》等行政执法文书、台账资料作为佐证材料。",
        "3. 表头已锁定（无密码保护），只需在空白行中填写；请勿增删列、合并单元格或改动表头。"
        "行数不够时，选中表格中间的一行，右键“插入”整行即可（插入的行同样可填写、带下拉和校验），无需撤销保护。",
        "二、统计表（一）（执法检查台账）",
        "1. 每检查一家企业（单位）填一行；同一企业同一天只填一行。",
        "2. 受检企业(单位)名称：从下拉列表选择（前面为本单位监管企业，后面为全镇其他企业）；"
        "名录外的企业可直接输入，系统会提示核对。",
        f"3. 检查时间：填写{month}内的日期，如 {period.year}-{period.last_month:02d}-05；"
        "台账按报送月份统计，检查时间不在本月的会被提示。",
        "4. 执法人员：至少两人（《行政处罚法》第四十二条），姓名之间用顿号“、”分隔。",
        "5. 安全生产违法行为(隐患)：一个单元格内逐项编号填写，每项一行（单元格内换行按 Alt+Enter），"
        "如“1. 未按规定配备灭火器”“2. 特种作业人员无证上岗”；重大事故隐患请写明“重大事故隐患”。",
        "6. 完成整改情况：与隐患逐项对应、编号相同，如“1. 已整改”“2. 限期整改（限8月10日前）”。"
        "可用词语：已整改、当场整改、限期整改（限X月X日前）、整改中、未整改、逾期未整改；"
        "未写期限的，按检查时间后30日计算整改期限。",
        "7. 复查：在备注栏写“复查（原检查YYYY-MM-DD）”，违法行为栏照抄原隐患原文，"
        "完成整改情况写“已整改”或“未整改”。",
        "8. 立案案号：立案的填写完整案号；罚款金额(万)：以万元为单位只填数字，如 5000元 填 0.5，"
        "不要写“元”“万元”等文字；无罚款的留空。",
        "9. 处罚依据(法律条款)：写明法律名称和条款，如《中华人民共和国安全生产法》第一百零二条。",
        "10. 其他查处(或移送)情况：如责令停产停业整顿、提请关闭、暂扣吊销××证、纳入黑名单、联合惩戒、"
        "移送公安机关×人、移送××部门；未采取的措施不要填写。",
        "三、统计表（二）（执法情况统计）",
        "1. 本月数填本月情况，累计数填1月至本月合计；只填数字，不填单位。",
        "2. 检查覆盖率 = 现场监督检查企业(单位)数 ÷ 监管企业(单位)总数 × 100；"
        "隐患整改率 = 隐患整改数 ÷ 排查隐患数 × 100；违法行为查处率 = 违法行为查处数 ÷ 排查隐患数 × 100。"
        "比率填百分数的数字（0–100），保留两位小数，如 17.86 表示 17.86%，不要填 0.1786；分母为零的留空。",
        "3. 罚款金额以万元为单位，保留四位小数。",
        "四、其他",
        "1. 填报人签字、联系电话、填报日期请填写完整；本说明页无需填写。",
    ]


def _ledger_validations(ws, first: int, last: int, period: Period, n_enterprises: int) -> None:
    col = {k: get_column_letter(LEDGER.keys.index(k) + 1) for k in LEDGER.keys}

    def rng(key: str) -> str:
        return f"{col[key]}{first}:{col[key]}{last}"

    if n_enterprises:
        names = DataValidation(type="list", formula1=f"={LIST_NAME}", allow_blank=True,
                               errorStyle="warning", showErrorMessage=True, showInputMessage=True,
                               errorTitle="企业不在名录中", error="该企业不在企业名录中，请核对名称。确定要填写吗？",
                               promptTitle="受检企业(单位)名称", prompt="从下拉列表选择；名录外企业可直接输入。")
        names.add(rng("enterprise"))
        ws.add_data_validation(names)
    start, end = to_excel(dt.datetime.combine(period.start, dt.time())), to_excel(
        dt.datetime.combine(period.end, dt.time()))
    dates = DataValidation(type="date", operator="between", formula1=str(int(start)), formula2=str(int(end)),
                           allow_blank=True, errorStyle="warning", showErrorMessage=True, showInputMessage=True,
                           errorTitle="检查时间不在本月",
                           error=f"检查时间应在 {period.start:%Y-%m-%d} 至 {period.end:%Y-%m-%d} 之间。确定要填写吗？",
                           promptTitle="检查时间", prompt=f"填写本月日期，如 {period.start:%Y-%m}-05")
    dates.add(rng("inspection_date"))
    fines = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                           errorStyle="stop", showErrorMessage=True, showInputMessage=True,
                           errorTitle="罚款金额", error="请填写不小于0的数字（万元），如 5000元 填 0.5。",
                           promptTitle="罚款金额(万元)", prompt="以万元为单位，如 5000元 填 0.5；无罚款留空。")
    fines.add(rng("fine_wan"))
    choices = ",".join(RECTIFICATION_CHOICES)
    rect = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True, showErrorMessage=False,
                          showInputMessage=True, promptTitle="完成整改情况",
                          prompt="可选已整改/限期整改/未整改；多项隐患请逐项编号，"
                                 "如“1. 已整改”换行“2. 限期整改（限X月X日前）”。")
    rect.add(rng("rectifications"))
    persons = DataValidation(type=None, allow_blank=True, showInputMessage=True, promptTitle="执法人员",
                             prompt="至少两人，姓名之间用顿号“、”分隔。")
    persons.add(rng("inspectors"))
    for dv in (dates, fines, rect, persons):
        ws.add_data_validation(dv)


#: 统计表二's validation, by column kind: (type, operator, formula1, formula2, message)
FIGURE_RULES = {
    "count": ("whole", "greaterThanOrEqual", "0", None, "请填写不小于0的整数。"),
    "rate": ("decimal", "between", "0", "100", "比率填百分数（0–100），如 17.86，不要填 0.1786。"),
    "money_wan": ("decimal", "greaterThanOrEqual", "0", None, "请填写以万元为单位、不小于0的数字，如 5000元 填 0.5。"),
}


def _figures_validations(ws, first: int, last: int) -> None:
    for col in FIGURES.columns[1:]:
        letter = get_column_letter(FIGURES.keys.index(col.key) + 1)
        kind, operator, low, high, message = FIGURE_RULES[col.kind]
        dv = DataValidation(type=kind, operator=operator, formula1=low, formula2=high,
                            allow_blank=True, errorStyle="stop", showErrorMessage=True, showInputMessage=True,
                            errorTitle=col.header[:32], error=message, promptTitle=col.header[:32], prompt=message)
        dv.add(f"{letter}{first}:{letter}{last}")
        ws.add_data_validation(dv)


def _unlock_footer(ws, after_row: int, last_col: int) -> None:
    """Leave the signature/phone/date lines under the data editable."""
    for row in range(after_row + 1, ws.max_row + 1):
        text = str(ws.cell(row, 1).value or "")
        if text.startswith(("填报人", "联系电话", "日期")):
            style.unlock(ws, row, row, 1, min(last_col, 6))


def _help_sheet(ws, lines: Sequence[str]) -> None:
    ws.column_dimensions["A"].width = HELP_WIDTH
    for r, line in enumerate(lines, 1):
        set_text(ws.cell(r, 1), line)
        ws.cell(r, 1).alignment = Alignment(wrap_text=True, vertical="top")
        heading = r == 1 or line[:2] in ("一、", "二、", "三、", "四、")
        ws.cell(r, 1).font = print_fit.print_font(heading, 14 if r == 1 else 11)
        ws.row_dimensions[r].height = style.text_lines(line, HELP_WIDTH) * style.LINE_HEIGHT + 4
    style.setup_print(ws, title_rows=(1, 1), last_column=1, landscape=False)


def enterprise_choices(enterprises, unit: str) -> list[str]:
    """Registry names for the drop-down: the unit's own first, then the others (each sorted)."""
    if enterprises is None or not len(enterprises):
        return []
    own = sorted(str(n) for n in enterprises.loc[enterprises["unit"] == unit, "name"])
    rest = sorted(str(n) for n in enterprises.loc[enterprises["unit"] != unit, "name"])
    return list(dict.fromkeys(own + rest))


def template_rows(ledger, unit: str) -> int:
    """Blank 附件1 rows of ``unit``'s template: its largest month of ledger rows times ``ROOM``,
    rounded up to ten, at least ``BLANK_ROWS`` and at most ``MAX_BLANK_ROWS`` (镇应急管理站's 67
    rows give 110)."""
    if ledger is None or not len(ledger):
        return BLANK_ROWS
    counts = ledger.loc[ledger["unit"] == unit].groupby("period").size()
    largest = int(counts.max()) if len(counts) else 0
    return min(MAX_BLANK_ROWS, max(BLANK_ROWS, math.ceil(largest * ROOM / 10) * 10))


def write_template(path: str | Path, *, unit: str, period: Period, enterprise_names: Sequence[str],
                   blank_rows: int = BLANK_ROWS) -> Path:
    """Write one unit's fill-in workbook for ``period`` (a month) with ``blank_rows`` 附件1 rows;
    rows may be inserted in the protected sheet (``xlsx_style.protect``), and the validation
    of the rows around an inserted one covers it."""
    wb = Workbook()
    print_fit.set_default_font(wb)
    help_ws = wb.active
    help_ws.title = HELP_SHEET
    _help_sheet(help_ws, instructions(unit, period))

    ws = wb.create_sheet(LEDGER_SHEET)
    lay = write_ledger_sheet(ws, unit=unit, year=period.year, month=period.last_month,
                             rows=[{"seq": None}] * blank_rows)
    ncols = len(LEDGER.columns)
    for r in range(lay.first_data_row, lay.last_data_row + 1):
        ws.cell(r, LEDGER.keys.index("inspection_date") + 1).number_format = style.DATE_FORMAT
        ws.cell(r, LEDGER.keys.index("fine_wan") + 1).number_format = style.WAN_FORMAT
        ws.row_dimensions[r].height = 2 * style.LINE_HEIGHT
    _ledger_validations(ws, lay.first_data_row, lay.last_data_row, period, len(enterprise_names))
    style.unlock(ws, lay.first_data_row, lay.last_data_row, 1, ncols)
    filled_col = next(c for c in range(1, ncols + 1) if str(ws.cell(3, c).value or "").startswith("填报日期"))
    style.unlock(ws, 3, 3, filled_col, filled_col)
    _unlock_footer(ws, lay.last_data_row, ncols)
    style.protect(ws, insert_rows=True)
    style.print_widths(ws, ledger_widths([]), (lay.header_row,))
    style.setup_print(ws, title_rows=(lay.header_row, lay.header_row), last_column=ncols)

    ws2 = wb.create_sheet(FIGURES_SHEET)
    lay2 = write_figures_sheet(ws2, unit=unit, year=period.year, month=period.last_month,
                               month_values={}, cumulative_values={})
    ncols2 = len(FIGURES.columns)
    _figures_validations(ws2, lay2.first_data_row, lay2.last_data_row)
    style.unlock(ws2, lay2.first_data_row, lay2.last_data_row, 2, ncols2)
    _unlock_footer(ws2, lay2.last_data_row, ncols2)
    style.protect(ws2)
    columns = print_fit.figures_columns([(f"{unit} {FIGURES.row_labels[1]}", {})])  # room for a unit's label
    style.print_widths(ws2, print_fit.fit_columns(columns, style.MARGINS), (lay2.header_row - 1, lay2.header_row))
    style.setup_print(ws2, title_rows=(lay2.header_row - 1, lay2.header_row), last_column=ncols2)

    lists = wb.create_sheet(LIST_SHEET)
    set_text(lists.cell(1, 1), LIST_HEADING)
    for r, name in enumerate(enterprise_names, 2):
        set_text(lists.cell(r, 1), name)
    lists.column_dimensions["A"].width = 40
    lists.sheet_state = "hidden"
    for sheet in wb.worksheets:
        print_fit.name_fonts(sheet)
    if enterprise_names:
        ref = f"{quote_sheetname(LIST_SHEET)}!$A$2:$A${len(enterprise_names) + 1}"
        wb.defined_names[LIST_NAME] = DefinedName(LIST_NAME, attr_text=ref)
    wb.active = wb.sheetnames.index(LEDGER_SHEET)
    help_ws.sheet_view.tabSelected = False
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(wb, path)
    return path


def write_unit_templates(dataset, period: Period, paths) -> list[Path]:
    """One template per unit of ``dataset`` that keeps a ledger (a town, 街道 or the city sends a
    consolidated form, not this one: ``core.hierarchy``) for ``period``, at ``paths.template(unit)``."""
    consolidating = hierarchy.consolidating(dataset.units)
    return [
        write_template(paths.template(unit), unit=unit, period=period,
                       enterprise_names=enterprise_choices(dataset.enterprises, unit),
                       blank_rows=template_rows(dataset.ledger, unit))
        for unit in unit_order(dataset) if unit not in consolidating
    ]
