"""阳光执法: the public list of administrative penalties and the credit-push list.

The plan (二(一)五): “推行‘阳光执法’，及时公开执法检查和行政处罚情况……将行政处罚信息及时
推送至相关信用信息共享交换平台”. Two lists per month, each written as .xlsx and as
UTF-8 CSV with a BOM (Excel opens it with the right encoding):

* 行政处罚公示 (``penalty_table``): every accepted ledger row of the month with a 立案案号
  or a fine. Columns ``PENALTY_COLUMNS``. The ledger has the inspection date, not the
  date of the penalty decision, so the date column is labelled 检查日期 and a note says
  it is not the 处罚决定日期.
* 信用推送 (``credit_table``): rows whose 其他查处(或移送)情况 says 纳入黑名单 or 联合惩戒,
  read with ``evalkit.intake.handling.parse_handling`` (the reading ``evalkit.metrics.engine`` counts).

Public data carries no personal data: no 执法人员 column, and free text is scrubbed by
``scrub_personal`` (names of persons, phone numbers, ID-card numbers, e-mail addresses).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from evalkit._text import format_value, is_missing
from evalkit.core.form_writer import FORMULA_TRIGGERS, format_items, set_text
from evalkit.core.periods import Period
from evalkit.export import xlsx_style as style
from evalkit.export.ordering import sorted_month_ledger, unit_order
from evalkit.intake.handling import parse_handling

PENALTY_COLUMNS = ("序号", "企业名称", "统一社会信用代码", "违法事实", "处罚依据", "处罚结果",
                   "立案案号", "检查日期", "执法单位")
CREDIT_COLUMNS = ("序号", "企业名称", "统一社会信用代码", "惩戒措施", "违法事实", "处罚依据",
                  "立案案号", "检查日期", "认定单位", "备注")
_WIDTHS = {"序号": 6, "企业名称": 28, "统一社会信用代码": 22, "违法事实": 40, "处罚依据": 30,
           "处罚结果": 26, "立案案号": 22, "检查日期": 12, "执法单位": 14, "惩戒措施": 16, "认定单位": 14,
           "备注": 24}
PENALTY_TITLE = "蚶江镇{period}安全生产行政处罚信息公示"
CREDIT_TITLE = "蚶江镇{period}安全生产失信惩戒信息（推送信用信息共享交换平台）"
PENALTY_NOTES = (
    "说明：1. 本表依据各单位报送的统计表（一）台账整理，收录本月有立案案号或罚款的检查记录。",
    "2. “检查日期”为现场检查时间，不是行政处罚决定日期；处罚决定日期以《行政处罚决定书》为准。",
    "3. 已隐去执法人员及其他自然人的姓名、电话号码、身份证号码等个人信息。",
)
CREDIT_NOTES = (
    "说明：1. 收录本月台账“其他查处(或移送)情况”载明纳入黑名单或联合惩戒的企业。",
    "2. “检查日期”为现场检查时间，不是认定决定日期；缺统一社会信用代码的，推送前请补录。",
    "3. 已隐去自然人的姓名、电话号码、身份证号码等个人信息。",
)
MISSING_CODE_NOTE = "名录无统一社会信用代码，推送前请补录"

# --------------------------------------------------------------------------- scrubbing
#: Common surnames (the first ~120 of the 2020 census ranking plus compound ones):
#: a name after a role word is only taken as a person's name when it starts with one.
_SURNAMES = (
    "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|令狐|"
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
    "毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
    "明佘池查麻苑迟邝洪蔡"
)
_COMPOUND, _SINGLE = _SURNAMES.split("|")[:-1], _SURNAMES.split("|")[-1]
_SURNAME_RE = "(?:" + "|".join(_COMPOUND) + "|[" + _SINGLE + "])"
# Role words after which the next 2–4 characters are a person's name.
_ROLES = ("法定代表人|法人代表|实际控制人|主要负责人|安全负责人|负责人|法人|经营者|业主|店主|老板|厂长|"
          "经理|主任|联系人|当事人|执法人员|检查人员|经办人|承办人|安全员|电工|焊工|工人|员工|驾驶员|司机|"
          "船长|举报人|监护人|作业人员|操作工")
# A name ends before punctuation, a bracket, a space, the end, or one of these words.
_NAME_END = (r"(?=[，,。；;、：:\s（()）\[\]【】]|$|电话|手机|联系|先生|女士|未|无|不|已|在|于|等|同志|身份证"
             r"|擅自|拒|对|因|称|现场|签字|确认|负责)")
_ROLE_NAME = re.compile(rf"(?P<role>{_ROLES})(?P<sep>[:：\s]*)"
                        rf"(?P<name>{_SURNAME_RE}[\u4e00-\u9fff]{{1,2}}?){_NAME_END}")
# 张先生 / 李女士 / 王师傅 …
_TITLE_NAME = re.compile(rf"(?P<name>{_SURNAME_RE})(?P<title>先生|女士|小姐|师傅)")
# A name written right before a phone number: 张三13812345678 / 张三（电话…）
_NAME_BEFORE_PHONE = re.compile(
    rf"(?P<name>{_SURNAME_RE}[\u4e00-\u9fff]{{1,2}}?)(?=[（(：:\s]*(?:电话|手机|联系电话|Tel|TEL|tel)?[：:\s]*\[电话已隐去\])")
# Words that start with a surname character and may follow a role word or precede a
# phone number; never masked.
_NOT_NAMES = {"应急", "安全", "值班", "监督", "举报", "服务", "办公", "单位", "公司", "企业", "文件", "高处",
              "车间", "仓库", "现场", "管理", "何时", "全部", "全体", "包括", "于是", "任何", "方面"}

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９－＋", "0123456789-+")
_PHONE_PATTERNS = (
    # ID-card numbers first (18 or 15 digits), so a phone pattern cannot eat part of one.
    (re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])|(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])"),
     "[证件号已隐去]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[邮箱已隐去]"),
    # mobile numbers, optionally +86, optionally split 3-4-4
    (re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)"), "[电话已隐去]"),
    # landlines with area code: 0595-88881234, (0595)8888123
    (re.compile(r"(?<!\d)(?:[(（]0\d{2,3}[)）]|0\d{2,3})[-\s]?\d{7,8}(?!\d)"), "[电话已隐去]"),
    # bare 7–8 digit numbers introduced as a phone
    (re.compile(r"(?<=电话|手机|座机)([:：\s]*)\d{7,8}(?!\d)|(?<=联系方式)([:：\s]*)\d{7,8}(?!\d)"),
     r"\1\2[电话已隐去]"),
)


def _unless_word(name: str) -> str:
    """``name`` masked, unless it is a common word that merely starts like a surname."""
    return name if name in _NOT_NAMES else _masked(name)


def _masked(name: str) -> str:
    """张三 -> 张某, 欧阳娜娜 -> 欧阳某: the surname stays, as in published decisions."""
    for compound in _COMPOUND:
        if name.startswith(compound):
            return compound + "某"
    return name[0] + "某"


def scrub_personal(text, names: Iterable[str] = ()) -> str | None:
    """``text`` without personal data, for public lists.

    Replaced: the given ``names`` (e.g. every 执法人员 of the ledger) wherever they
    appear; a name after a role word (负责人张三, 法定代表人：李四) or before a phone
    number; 张先生-style forms; mobile and landline numbers; ID-card numbers; e-mail
    addresses. A name becomes surname + 某 (张某); numbers become a bracketed note.
    Blank stays None. A heuristic: names written bare, without a role word and not
    known as inspectors, are not detected.
    """
    if text is None or (isinstance(text, float) and text != text):
        return None
    out = str(text).translate(_FULLWIDTH_DIGITS)
    for pattern, repl in _PHONE_PATTERNS:
        out = pattern.sub(repl, out)
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        out = out.replace(name, _masked(name))
    out = _ROLE_NAME.sub(lambda m: m.group("role") + m.group("sep") + _unless_word(m.group("name")), out)
    out = _NAME_BEFORE_PHONE.sub(lambda m: _unless_word(m.group("name")), out)
    out = _TITLE_NAME.sub(lambda m: "某" + m.group("title"), out)
    return out


def csv_safe(value):
    """A CSV cell that a spreadsheet will not run as a formula (OWASP): text starting
    with = + - @ tab or CR gets a leading single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


# --------------------------------------------------------------------------- tables
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


def penalty_table(dataset, period: Period) -> pd.DataFrame:
    """The month's penalty disclosure: ledger rows with a 立案案号 or a fine > 0,
    sorted by unit then date; free text scrubbed of personal data."""
    rows = _month_rows(dataset, period)
    names, codes = _known_persons(dataset), _credit_codes(dataset)
    records = []
    for _, row in rows.iterrows():
        fine = row.get("fine_wan")
        has_fine = not _blank(fine) and float(fine) > 0
        if _blank(row.get("case_no")) and not has_fine:
            continue
        records.append({
            "序号": len(records) + 1,
            "企业名称": row["enterprise_name"],
            "统一社会信用代码": codes.get(row["enterprise_name"]),
            "违法事实": scrub_personal(_facts(row), names),
            "处罚依据": scrub_personal(row.get("legal_basis"), names),
            "处罚结果": scrub_personal(_penalty_result(row), names),
            "立案案号": None if _blank(row.get("case_no")) else str(row["case_no"]),
            "检查日期": _date_text(row.get("inspection_date")),
            "执法单位": row["unit"],
        })
    return pd.DataFrame(records, columns=list(PENALTY_COLUMNS))


def credit_table(dataset, period: Period) -> pd.DataFrame:
    """The month's credit-push list: rows whose 其他查处(或移送)情况 reads as 纳入黑名单
    and/or 联合惩戒 (``handling.parse_handling``), one row per ledger row."""

    rows = _month_rows(dataset, period)
    names, codes = _known_persons(dataset), _credit_codes(dataset)
    records = []
    for _, row in rows.iterrows():
        found = parse_handling(row.get("other_handling"))
        measures = [label for metric, label in (("blacklisted", "纳入黑名单"), ("joint_punishment", "联合惩戒"))
                    if found.get(metric)]
        if not measures:
            continue
        code = codes.get(row["enterprise_name"])
        records.append({
            "序号": len(records) + 1,
            "企业名称": row["enterprise_name"],
            "统一社会信用代码": code,
            "惩戒措施": "、".join(measures),
            "违法事实": scrub_personal(_facts(row), names),
            "处罚依据": scrub_personal(row.get("legal_basis"), names),
            "立案案号": None if _blank(row.get("case_no")) else str(row["case_no"]),
            "检查日期": _date_text(row.get("inspection_date")),
            "认定单位": row["unit"],
            "备注": None if code else MISSING_CODE_NOTE,
        })
    return pd.DataFrame(records, columns=list(CREDIT_COLUMNS))


# --------------------------------------------------------------------------- writers
def write_table_xlsx(path: str | Path, frame: pd.DataFrame, *, title: str, notes: Iterable[str] = (),
                     sheet: str = "公示") -> Path:
    """A plain list as a printable workbook: title, one header row, bordered rows, notes.

    Every text goes through ``layout.set_text`` (never a formula)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ncols = len(frame.columns)
    set_text(ws.cell(1, 1), title)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = style.CENTER
    ws.row_dimensions[1].height = 28
    header = 2
    for c, name in enumerate(frame.columns, 1):
        cell = ws.cell(header, c)
        set_text(cell, name)
        cell.font, cell.alignment = Font(bold=True), style.CENTER
    for r, values in enumerate(frame.itertuples(index=False), header + 1):
        for c, value in enumerate(values, 1):
            set_text(ws.cell(r, c), None if _blank(value) else value)
            ws.cell(r, c).alignment = style.TOP_LEFT
    last = header + len(frame)
    style.border_range(ws, header, last, 1, ncols)
    style.set_widths(ws, {c: _WIDTHS.get(name, 14) for c, name in enumerate(frame.columns, 1)})
    style.write_note_lines(ws, last + 2, notes, ncols)
    style.fit_row_heights(ws, header + 1, last)
    ws.freeze_panes = ws.cell(header + 1, 1)
    style.setup_print(ws, title_rows=(header, header), last_column=ncols)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_table_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    """The list as UTF-8 CSV with BOM; formula-like text is quote-prefixed (``csv_safe``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = frame.astype(object).map(csv_safe) if len(frame) else frame
    safe.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def export_disclosure(dataset, period: Period, paths) -> list[Path]:
    """Write both lists of ``period`` to ``paths`` (an ``export.ExportPaths``)."""
    label = period.label
    penalties = penalty_table(dataset, period)
    credit = credit_table(dataset, period)
    return [
        write_table_xlsx(paths.penalties_xlsx, penalties, title=PENALTY_TITLE.format(period=label),
                         notes=PENALTY_NOTES, sheet="行政处罚公示"),
        write_table_csv(paths.penalties_csv, penalties),
        write_table_xlsx(paths.credit_xlsx, credit, title=CREDIT_TITLE.format(period=label),
                         notes=CREDIT_NOTES, sheet="信用推送"),
        write_table_csv(paths.credit_csv, credit),
    ]
