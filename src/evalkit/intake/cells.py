"""Cell parsing primitives: one small pure function per kind of cell.

Every function takes a raw cell value as openpyxl gives it (str, int, float,
datetime, None) and returns a clean Python value. A value that cannot be parsed
raises ``CellError`` carrying the rule id (``evalkit.core.problems.RULES``) and the
second half of a Chinese message (what is wrong and what is expected). The caller
(``evalkit.intake.loader``) prefixes the column name and the raw value, e.g.
"罚款金额 '待定' " + "不是数字：请填写以万元为单位的数字，如 0.5".

Rules fixed here (docs/intake.md repeats them for users):

- Text is compared after ``norm``: NFKC (full-width letters, digits and
  punctuation become half-width, so （）equals ()), every kind of bracket
  folded to (), all whitespace removed.
- A cell holding only a placeholder such as "无", "/", "-", "—" counts as blank
  (``is_null``).
- Money (``parse_money_wan``): a bare number in a 万 column is 万元; "5000元" is
  0.5; "0.5万"/"0.5万元" is 0.5; full-width digits and thousands separators are
  accepted.
- Numbers must be finite and plausible (errors, so the row is rejected): a value that
  is infinite or not a number (``1e309`` in the sheet XML, a 400-digit text) is
  number_unparseable; an amount above ``MAX_MONEY_WAN`` (100,000 万元 = 10 亿元, for a
  fine or a unit's monthly total), a count above ``MAX_COUNT`` (10,000,000) or a rate
  above ``MAX_RATE`` (1,000 %) is number_implausible. Below these bounds a bare fine
  >= ``IMPLAUSIBLE_WAN`` (100) is only the fine_implausible warning (元 written as 万元).
  The bounds keep every sum far inside exact float range (metrics sum money as floats).
- Dates (``parse_date``): Excel dates, Excel serial numbers, "2024.5.6",
  "2024-05-06", "2024/5/6", "2024年5月6日", "20240506"; without a year ("5月6日",
  "5.6", "5/6") the year of the form's 月份 is used.
- Items (``split_items``): "1. … 2. …", "1、…", "（1）…", "①…" numbering, else one
  item per line.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from collections.abc import Sequence

# --------------------------------------------------------------------------- errors


class CellError(ValueError):
    """Raised when a cell cannot be parsed; ``rule`` is a problems.RULES id and
    ``detail`` the Chinese "what is wrong：what is expected" half of the message."""

    def __init__(self, rule: str, detail: str):
        self.rule, self.detail = rule, detail
        super().__init__(detail)


# --------------------------------------------------------------------------- text

_BRACKETS = str.maketrans({"【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")",
                           "｛": "(", "｝": ")", "{": "(", "}": ")", "﹙": "(", "﹚": ")",
                           "〈": "(", "〉": ")", "<": "(", ">": ")"})
_SPACE = re.compile(r"\s+")
#: Placeholders that mean "nothing here" (compared after ``norm``).
NULL_MARKERS = frozenset({"无", "/", "//", "\\", "-", "--", "—", "——", "－", "一", "暂无", "空",
                          "null", "none", "n/a", "na", "nan", "#n/a", "无需整改", "不需整改", "无隐患",
                          "未发现隐患", "未发现问题", "无问题", "无违法行为", "未发现违法行为"})


def to_text(value) -> str | None:
    """A cell value as stripped text; None for a blank cell.

    Whole floats print without ".0" (a seq typed as 3 comes back as 3.0), dates print
    as ISO dates.
    """
    if value is None:
        return None
    if type(value) is str:  # the common case, first (what the general path below does for a str)
        return value.strip().strip("\u3000\ufeff") or None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    else:
        text = str(value)
    text = text.strip().strip("\u3000\ufeff")
    return text or None


def norm(text) -> str:
    """NFKC, brackets folded to (), all whitespace removed, letters lower-cased."""
    if text is None:
        return ""
    text = str(text)
    if len(text) <= _NORM_CACHED_CHARS:
        return _norm_cached(text)
    return _norm(text)


_NORM_CACHED_CHARS = 200  # short texts (headers, names, placeholders) repeat on every row


def _norm(text: str) -> str:
    plain = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
    return _SPACE.sub("", plain).lower()


_norm_cached = functools.lru_cache(maxsize=1 << 15)(_norm)


def is_null(value) -> bool:
    """True for a blank cell or a placeholder such as "无", "/", "-"."""
    text = to_text(value)
    return text is None or norm(text) in NULL_MARKERS


def clean_text(value) -> str | None:
    """Free text: stripped, runs of spaces collapsed (line breaks kept); placeholders -> None."""
    if is_null(value):
        return None
    text = to_text(value)
    lines = [re.sub(r"[ \t\u3000]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line) or None


def clean_name(value) -> str | None:
    """An enterprise or unit name as written, with every space removed."""
    if is_null(value):
        return None
    return _SPACE.sub("", to_text(value).replace("\u3000", "")) or None


def normalise_name(value) -> str:
    """The key two names are compared on: ``norm`` (NFKC, brackets, spaces)."""
    return norm(value)


def normalise_case_no(value) -> str:
    """The key two 立案案号 are compared on: ``norm`` (so 〔2024〕, [2024] and （2024） agree)."""
    return norm(value)


# --------------------------------------------------------------------------- numbers

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_COUNT_UNITS = ("家", "处", "起", "人", "件", "个", "项", "次", "条", "户")


def _plain_number(text: str) -> float | None:
    """'1,234.5' -> 1234.5; None when ``text`` is not a plain decimal number."""
    if _GROUPED.match(text):
        text = text.replace(",", "")
    if _NUMBER.match(text):
        return float(text)
    return None


#: Bounds of a plausible number (docs/intake.md); above them the row is rejected (number_implausible).
MAX_MONEY_WAN = 100_000  # 万元 (10 亿元): one fine, or a unit's monthly or cumulative total
MAX_COUNT = 10_000_000  # enterprises, hazards, cases … in one unit's 附件2
MAX_RATE = 100  # per cent: a rate is a share (issue 12: above 100 is an error)


def _finite(number: float | None) -> float | None:
    if number is not None and not math.isfinite(number):
        raise CellError("number_unparseable", "不是有效的数字（无穷大或超出数值范围）：请填写正常大小的数字")
    return number


def _numeric_text(value) -> tuple[float | None, str]:
    """(number, normalised text) for a cell; number None when it is not plain.

    Raises number_unparseable for an infinite number (a cell value or a very long digit string).
    """
    if isinstance(value, bool):
        return None, str(value)
    if isinstance(value, int | float):
        number = float(value)
        return (None, "nan") if math.isnan(number) else (_finite(number), repr(value))
    text = norm(to_text(value))
    return _finite(_plain_number(text)), text


def _check_bound(number: float, bound: float, what: str) -> float:
    if number > bound:
        raise CellError("number_implausible", f"超出合理范围（{what}不应超过 {bound:,}）：请核对数值和单位")
    return number


def _check_negative(number: float) -> float:
    if number < 0:
        raise CellError("number_negative", "为负数：请填写 0 或正数")
    return number


def parse_number(value, *, expected: str = "请填写数字，如 12") -> float | None:
    """A plain number; None for blank. Full-width digits and thousands separators accepted.

    Raises CellError number_unparseable / number_negative.
    """
    if is_null(value):
        return None
    number, _ = _numeric_text(value)
    if number is None:
        raise CellError("number_unparseable", f"不是数字：{expected}")
    return _check_negative(number)


def parse_count(value, unit: str = "") -> float | None:
    """A whole count such as 5, "5家", "５处"; None for blank.

    A trailing count word (家 处 起 人 件 个 项 次 条 户) is dropped. A fraction
    raises number_unparseable.
    """
    if is_null(value):
        return None
    number, text = _numeric_text(value)
    if number is None and text.endswith(_COUNT_UNITS):
        number = _finite(_plain_number(text[:-1]))
    example = f"如 12 或 12{unit}" if unit else "如 12"
    if number is None:
        raise CellError("number_unparseable", f"不是数字：请填写整数，{example}")
    if not number.is_integer():
        raise CellError("number_unparseable", f"不是整数：请填写整数，{example}")
    return _check_bound(_check_negative(number), MAX_COUNT, "一个单位的计数")


def parse_rate(value) -> float | None:
    """A percentage as written: 85, "85%", "85.5％" -> 85.5; None for blank.

    A rate stored as a fraction with a % number format (0.855) comes back as 0.855 here;
    ``figures_rows`` scales it when the cell's format or the row's own counts say so.
    """
    if is_null(value):
        return None
    number, text = _numeric_text(value)
    if number is None and text.endswith("%"):
        number = _finite(_plain_number(text[:-1]))
    if number is None:
        raise CellError("number_unparseable", "不是百分数：请填写数字，如 85 或 85%")
    return _check_bound(_check_negative(number), MAX_RATE, "百分比")


_MONEY = re.compile(r"^(?:罚款)?[¥￥]?(?P<num>[+-]?[\d,]*\.?\d+)(?P<unit>万元|万|元)?$")


def parse_money(value, bare_unit: str = "万元") -> tuple[float | None, bool]:
    """(amount in 万元, bare) for a money cell; (None, True) for blank.

    The one money rule (docs/design.md): a bare number is in ``bare_unit`` (万元 for
    the official 罚款金额(万) column; 元 only when the submitted header itself says 元);
    "5000元" -> 0.5; "0.5万" or "0.5万元" -> 0.5. ``bare`` tells the caller no unit was
    written, so a bare number >= 100 can draw the fine_implausible warning. Raises
    number_unparseable (also for an infinite number), number_negative, and
    number_implausible above MAX_MONEY_WAN.
    """
    if is_null(value):
        return None, True
    number, text = _numeric_text(value)
    unit = ""
    if number is None:
        m = _MONEY.match(text)
        if m:
            number = _finite(_plain_number(m.group("num")))
            unit = m.group("unit") or ""
    if number is None:
        raise CellError("number_unparseable", "不是数字：请填写以万元为单位的数字，如 0.5")
    _check_negative(number)
    unit = unit or bare_unit
    wan = number / 10_000 if unit == "元" else number
    if wan > MAX_MONEY_WAN:
        raise CellError("number_implausible", f"超出合理范围（折合 {wan:,.6g} 万元，罚款金额不应超过 "
                                              f"{MAX_MONEY_WAN:,} 万元即 10 亿元）：请核对金额，本列单位为万元")
    return round(wan, 6), unit == bare_unit and not text.endswith(("元", "万"))


def parse_money_wan(value, bare_unit: str = "万元") -> float | None:
    """Amount in 万元 (see ``parse_money``); None for blank."""
    return parse_money(value, bare_unit)[0]


#: A bare number at or above this in a 万元 column was probably written in 元.
IMPLAUSIBLE_WAN = 100


# --------------------------------------------------------------------------- dates

_TIME = r"(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?"
_YMD = re.compile(r"^(\d{4})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*[日号]?" + _TIME + "$")
_YMD_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MD = re.compile(r"^(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*[日号]?$")
_D = re.compile(r"^(\d{1,2})\s*[日号]$")
_SERIAL_MIN, _SERIAL_MAX = 20_000, 80_000  # 1954 .. 2119
_DATE_EXPECTED = "请填写日期，如 2024-05-06 或 2024年5月6日"


def _make_date(year: int, month: int, day: int, raw: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError("date_unparseable", f"不是有效日期：{_DATE_EXPECTED}") from None


def parse_date(value, year: int, month: int | None = None) -> dt.date | None:
    """An inspection date; None for blank.

    Accepts Excel dates (datetime cells), Excel serial numbers (20000–80000),
    "2024.5.6", "2024-05-06", "2024/5/6", "2024年5月6日", "20240506", and, taking the
    year from ``year`` (the form's), "5月6日", "5.6", "5/6", "5-6"; "6日" takes the
    month from ``month`` too. A number cell such as 5.6 (Excel stores a typed 5.6 as a
    number) is read as month.day, so 5.10 typed as a number arrives as 5.1 = 5月1日.
    Raises CellError date_unparseable.
    """
    if is_null(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if _SERIAL_MIN <= number < _SERIAL_MAX:
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(number))
        if number.is_integer() and 19_000_000 < number < 21_000_000:
            text = str(int(number))
        else:
            text = f"{number:g}"
    else:
        text = unicodedata.normalize("NFKC", to_text(value)).strip()
    raw = text
    if m := _YMD.match(text) or _YMD_COMPACT.match(text):
        return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), raw)
    if m := _MD.match(text):
        return _make_date(year, int(m.group(1)), int(m.group(2)), raw)
    if month is not None and (m := _D.match(text)):
        return _make_date(year, month, int(m.group(1)), raw)
    raise CellError("date_unparseable", f"不是日期：{_DATE_EXPECTED}")


_ONE_DECIMAL = re.compile(r"^(\d{1,2})\.([1-9])$")


def ambiguous_numeric_date(value, year: int) -> tuple[dt.date, dt.date] | None:
    """(month.day, month.day×10) when ``value`` is a number such as 5.1: Excel stores a typed
    5.10 as 5.1, so 5月1日 and 5月10日 are both possible (5.2: 5月2日 or 5月20日). None when
    only one reading is a date (5.4: there is no 5月40日) or the value is not such a number."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    m = _ONE_DECIMAL.match(f"{float(value):g}")
    if m is None:
        return None
    month, digit = int(m.group(1)), int(m.group(2))
    try:
        return dt.date(year, month, digit), dt.date(year, month, digit * 10)
    except ValueError:
        return None


_FIND_YMD = re.compile(r"(\d{4})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})")
_FIND_MD = re.compile(r"(?<![\d.])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")


def find_date(text, year: int) -> dt.date | None:
    """The first date written inside free text ("限2024年6月10日前", "限期至6月10日"), or None."""
    if not text:
        return None
    plain = unicodedata.normalize("NFKC", str(text))
    for pattern, y in ((_FIND_YMD, None), (_FIND_MD, year)):
        for m in pattern.finditer(plain):
            parts = [int(g) for g in m.groups()]
            ymd = parts if y is None else [y, *parts]
            try:
                return dt.date(*ymd)
            except ValueError:
                continue
    return None


# --------------------------------------------------------------------------- month / year

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
              "十": 10, "十一": 11, "十二": 12, "正": 1, "冬": 11, "腊": 12}
_MONTH_PATTERNS = (
    re.compile(r"^(?:(\d{4})年)?(\d{1,2})月?份?$"),
    re.compile(r"^(\d{4})[.\-/](\d{1,2})$"),
)
_CN_MONTH = re.compile(r"^(?:(\d{4})年)?(十[一二]?|[一二三四五六七八九十正冬腊])月份?$")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")


def parse_month(value) -> tuple[int | None, int]:
    """(year or None, month) from a 月份 value: 5, "5月", " 5 月", "2024年5月", "2024-05",
    "五月", or an Excel date. Raises CellError month_missing."""
    expected = "请填写报送的月份，如 5月 或 2024年5月"
    if is_null(value) or norm(value) in ("月", "月份"):
        raise CellError("month_missing", f"为空：{expected}")
    if isinstance(value, dt.date):
        return value.year, value.month
    year, month = None, None
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        month = int(value)
    else:
        text = norm(value)
        for pattern in _MONTH_PATTERNS:
            if m := pattern.match(text):
                year, month = (int(m.group(1)) if m.group(1) else None), int(m.group(2))
                break
        else:
            if m := _CN_MONTH.match(text):
                year, month = (int(m.group(1)) if m.group(1) else None), _CN_DIGITS[m.group(2)]
    if month is None or not 1 <= month <= 12:
        raise CellError("month_missing", f"不是月份：{expected}")
    return year, month


def year_in_text(text) -> int | None:
    """The year of a title such as "石狮市2024年安全生产…", or None."""
    if not text:
        return None
    m = _YEAR.search(unicodedata.normalize("NFKC", str(text)))
    return int(m.group(1)) if m else None


# --------------------------------------------------------------------------- items

_CIRCLED = {chr(0x2460 + i): f"({i + 1})" for i in range(20)}  # ①..⑳
_CIRCLED |= {chr(0x2776 + i): f"({i + 1})" for i in range(10)}  # ❶..❿
_CIRCLED |= {chr(0x2780 + i): f"({i + 1})" for i in range(10)}  # ➀..➉
_CIRCLED |= {chr(0x278A + i): f"({i + 1})" for i in range(10)}  # ➊..➓
_CIRCLED_TABLE = str.maketrans(_CIRCLED)
_ITEM_TRIM = " \t\n;；,，。.、:：…"
_LEAD_IN_END = (":", "：")


def _marker(k: int) -> re.Pattern:
    # "k." "k、" "k)" or "(k)"; not part of a longer number, not a decimal ("1.5米").
    return re.compile(rf"(?<![\d.])(?:\({k}\)|{k}\s*[.、)](?!\d))")


def _clean_item(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(_ITEM_TRIM)
    return text


def split_items(value) -> list[str]:
    """A multi-item cell ("1. … 2. …") as a list of item texts; [] for blank or "无".

    Numbering: "1." "1、" "1)" "(1)" "（1）" "①" (full-width digits and punctuation
    too), numbered 1, 2, 3 … in order; a number glued to a decimal ("1.5米") or to a
    longer number is not a marker. Text before "1" is kept only when numbering starts
    the cell; a lead-in ending in a colon ("存在问题：1. …") is dropped. Without
    numbering, each line is an item. Items that are empty or only punctuation
    ("1. 2. 3. ..." in the blank template) are dropped.
    """
    text = clean_text(value)
    if text is None:
        return []
    text = unicodedata.normalize("NFKC", text.translate(_CIRCLED_TABLE))
    first = _marker(1).search(text)
    items: list[str] | None = None
    if first is not None:
        lead = text[: first.start()].strip()
        if not lead or lead.endswith(_LEAD_IN_END):
            items, k, start = [], 2, first.end()
            while (nxt := _marker(k).search(text, start)) is not None:
                items.append(text[start: nxt.start()])
                start, k = nxt.end(), k + 1
            items.append(text[start:])
    if items is None:
        items = text.splitlines()
    cleaned = [_clean_item(i) for i in items]
    return [i for i in cleaned if i and norm(i) not in NULL_MARKERS]


def pair_items(hazards: Sequence[str], rectifications: Sequence[str]) -> list[str | None]:
    """The 完成整改情况 text paired with each 违法行为(隐患) item.

    Same number of items: item i with item i. One rectification text for several
    hazards ("均已整改"): that text for every hazard. Fewer rectifications: the
    missing ones are None. More rectifications than hazards: the extra ones are
    dropped (the caller warns rectifications_exceed_hazards).
    """
    if len(rectifications) == 1 and len(hazards) > 1:
        return [rectifications[0]] * len(hazards)
    return [rectifications[i] if i < len(rectifications) else None for i in range(len(hazards))]


# --------------------------------------------------------------------------- persons

_PERSON_SEP = re.compile(r"[、,;；，\s/]+")
#: The number of officers a cell states itself: "黄文龙等2人", "张三、李四共3人", "计两名".
#: Not when the people came along ("企业负责人等2人陪同", "等2人陪检"): those are not the officers.
_STATED_PERSONS = re.compile(r"(?:等|共|计)\s*(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*(?:人|名)(?!\s*(?:陪|随))")


def split_persons(value) -> list[str]:
    """执法人员 as a list of names, split on 、 ， , ; ； / and spaces, and after a closing
    bracket (张三（执法证…）李四（执法证…） is two names); duplicates removed."""
    text = clean_text(value)
    if text is None:
        return []
    text = unicodedata.normalize("NFKC", text).replace(")", ")、")
    names = [n.strip() for n in _PERSON_SEP.split(text)]
    return list(dict.fromkeys(n for n in names if n and norm(n) not in NULL_MARKERS))


def count_persons(value) -> int:
    """How many officers an 执法人员 cell names: its names (``split_persons``), or the number it
    states (等2人, 共3人, 计两名: 行政处罚法第四十二条 asks for two, not for their names), the larger."""
    names = split_persons(value)
    text = clean_text(value)
    stated = [_cn_count(m.group(1)) for m in _STATED_PERSONS.finditer(unicodedata.normalize("NFKC", text or ""))]
    return max([len(names), *(n for n in stated if n)])


# --------------------------------------------------------------------------- rectification

STATUS_RECTIFIED, STATUS_PENDING, STATUS_OVERDUE = "rectified", "pending", "overdue"
_OVERDUE = ("逾期未整改", "逾期未改正", "拒不整改", "拒不改正", "拒不执行")
_NEGATED = ("未整改", "未完成整改", "未改正", "未落实整改", "尚未整改", "整改中", "正在整改")
_RECTIFIED = ("已整改", "已完成整改", "整改完毕", "整改完成", "已改正", "已落实整改", "当场整改",
              "立行立改", "现场整改")
_PENDING = ("限期整改", "责令限期整改", "责令整改", "责令改正", "限期改正")
#: Words of a finished correction read only when a text says nothing else (no order, no
#: negation): 整改到位, 隐患已消除, 已更换灭火器, 现场清理完毕. Only as a statement of its own clause:
#: not after a word of ``_DONE_BLOCKERS`` anywhere earlier in the clause (督促企业尽快整改到位,
#: 企业承诺下周完成整改, 不能按期完成整改), nor right after one of ``_DONE_NEAR`` (限7月1日前完成整改,
#: 7日内完成整改; single characters only next to the word: 仓库内过期灭火器已更换 is done), nor with
#: one of ``_DONE_UNFINISHED`` after it (整改到位后申请复查, 已更换部分灭火器, 已配备灭火器但压力不足).
#: A text this misses stays unread: intake warns rectification_unclear.
_DONE = ("完成整改", "整改到位", "改正到位", "按要求整改", "按期整改", "全部整改", "已消除", "已排除", "清理完毕",
         "已清理", "已拆除", "已更换", "已修复", "已补齐", "已配齐", "已配备", "复查合格", "验收合格", "复查通过")
_DONE_BLOCKERS = re.compile("未能|尚未|没有|不能|无法|要求|责令|限期|督促|尽快|计划|承诺|准备|将于|拟|请|应当|需要|必须"
                            "|部分|其余")
_DONE_NEAR = re.compile("(?:未|不|没|尚|应|须|需|待|将|会|限|前|内)$")
_DONE_UNFINISHED = re.compile("后|但|仍|不足|部分|其余|尚")
#: Words holding a blocker's character that say nothing about the correction.
_DONE_HARMLESS = re.compile("应急|如期|按期|内容")
_DONE_CLAUSES = re.compile(r"[,;。、:!?]")
_PENDING_RE = re.compile(r"限.{0,20}前.{0,4}(整改|改正)|限期至"
                         r"|(?:\d+|[一二两三四五六七八九十]+)\s*个?(?:工作日|日|天|小时)\s*(?:以内|之内|内).{0,4}(?:整改|改正)")
#: Days allowed for rectification when the text gives no date (documented default).
DEFAULT_RECTIFICATION_DAYS = 30

#: 完成整改情况 words saying a hazard was corrected on the spot, in the inspectors' presence
#: (行政处罚法第三十三条: a minor violation promptly corrected, a first one in particular, may
#: go unpunished; audit rule 7). Declared once: ``rectified_on_the_spot`` reads them for the
#: audit and the typical cases' 回头看; docs/audit.md lists them; tests/test_cells.py checks each.
ON_THE_SPOT_TERMS = ("当场整改", "当场改正", "当场纠正", "现场整改", "现场改正", "现场纠正", "立行立改",
                     "立查立改", "即查即改", "边查边改", "当即整改", "当即改正",
                     "当场已整改", "当场已改正", "现场已整改", "现场已改正", "当即已整改", "当场完成整改",
                     "现场完成整改")
#: Words that, written just before a term, make it no fact: a negation (未当场整改) or an
#: order (责令当场改正 says what was ordered, not what was done).
ON_THE_SPOT_BLOCKERS = ("未", "未能", "没有", "没", "不能", "无法", "尚未", "不", "拒不", "责令", "要求", "应", "须",
                        "需")
# A negated on-the-spot word is no rectification either (未当场整改 is not 当场整改).
_NEGATED_SPOT = re.compile("(?:未能|没有|不能|无法|尚未|未|没|不)(?:" + "|".join(ON_THE_SPOT_TERMS) + ")")


def rectification_status(value) -> str | None:
    """"rectified" | "overdue" | "pending" | None for a 完成整改情况 text.

    Checked in this order so negations win: overdue words (逾期未整改, 拒不整改,
    拒不执行), then negated forms (未整改, 整改中 …) -> pending, then rectified words
    (已整改, 整改完毕, 当场整改, 立行立改 …) outside a negated on-the-spot phrase (未当场整改,
    无法现场整改: those alone read pending), then order words (限期整改, 限…前整改,
    责令改正, 7日内整改 …) -> pending, then words of a finished correction (``_DONE``:
    整改到位, 完成整改, 隐患已消除, 已更换…, 清理完毕; not after 未/要求/限/前/内 …) -> rectified.
    None when the text says none of these.
    """
    text = norm(value)
    if not text:
        return None
    if any(w in text for w in _OVERDUE):
        return STATUS_OVERDUE
    if any(w in text for w in _NEGATED):
        return STATUS_PENDING
    # 未当场整改 says nothing was done on the spot, not that nothing was done: read the rest
    # (未当场整改，次日整改完毕 is rectified; 未当场整改，限7月1日前整改 is pending).
    rest = _NEGATED_SPOT.sub("", text)
    if any(w in rest for w in _RECTIFIED) or _on_the_spot_term(rest):
        return STATUS_RECTIFIED
    if rest != text or any(w in rest for w in _PENDING) or _PENDING_RE.search(rest):
        return STATUS_PENDING
    if _done_term(text):
        return STATUS_RECTIFIED
    return None


def _done_term(text: str) -> bool:
    # a ``_DONE`` word stated in a clause of the normalised ``text``: no blocker before it in the
    # clause, nothing unfinished after it
    for clause in _DONE_CLAUSES.split(text):
        plain = _DONE_HARMLESS.sub(lambda m: "□" * len(m.group(0)), clause)
        for term in _DONE:
            start = plain.find(term)
            while start >= 0:
                before, after = plain[:start], plain[start + len(term):]
                if not (_DONE_BLOCKERS.search(before) or _DONE_NEAR.search(before[-2:])
                        or _DONE_UNFINISHED.search(after)):
                    return True
                start = plain.find(term, start + 1)
    return False


#: How a hazard's deadline was found (``items.deadline_basis``): a date written in the text
#: ("限2024年7月20日前整改", "限期至7月20日"), a period written relative to the inspection
#: ("7日内整改", "限期15天", "5个工作日内"), or none written (the inspection date + the
#: assumed number of days, ``DEFAULT_RECTIFICATION_DAYS``).
DEADLINE_WRITTEN, DEADLINE_RELATIVE, DEADLINE_ASSUMED = "written", "relative", "assumed"
DEADLINE_BASES = (DEADLINE_WRITTEN, DEADLINE_RELATIVE, DEADLINE_ASSUMED)


def rectified_on_the_spot(value) -> bool:
    """True when a 完成整改情况 text says the hazard was corrected on the spot.

    The text must read rectified (``rectification_status``) and hold one of
    ``ON_THE_SPOT_TERMS`` (当场整改, 立行立改, 现场整改完毕, 当场改正 …) not preceded by one of
    ``ON_THE_SPOT_BLOCKERS``: 未当场整改, 无法现场整改 (negations) and 责令当场改正 (an order)
    do not count. 已整改 alone does not say when: False.
    """
    text = norm(value)
    return bool(text) and rectification_status(text) == STATUS_RECTIFIED and _on_the_spot_term(text)


def _on_the_spot_term(text: str) -> bool:
    # an ON_THE_SPOT_TERMS word of the normalised ``text`` without a blocker just before it
    for term in ON_THE_SPOT_TERMS:
        start = text.find(term)
        while start >= 0:
            before = text[max(0, start - 2):start]
            if not any(before.endswith(b) for b in ON_THE_SPOT_BLOCKERS):
                return True
            start = text.find(term, start + 1)
    return False

_CN_NUM = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9}
_NUM_TEXT = r"(\d{1,3}|[零〇一二两三四五六七八九十]{1,4})"
#: A period counted from the inspection: "7日内", "十五天之内", "限期7日", "限3天", "5个工作日内",
#: "24小时内". Not a date: "10日前" (a day of the month) never matches, dates are tried first.
_RELATIVE = re.compile(
    rf"(?:(?:限期|限)\s*{_NUM_TEXT}\s*个?\s*(工作日|日|天|小时)(?:以内|之内|内)?"
    rf"|{_NUM_TEXT}\s*个?\s*(工作日|日|天|小时)\s*(?:以内|之内|内))")


def _cn_count(text: str) -> int | None:
    """Arabic digits or a Chinese numeral up to 九十九 ("七", "十五", "三十") as an int."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            return None
        t = _CN_NUM.get(tens, 1) if tens else 1
        o = _CN_NUM.get(ones, 0) if ones else 0
        return t * 10 + o
    return _CN_NUM.get(text) if len(text) == 1 else None


def _add_workdays(date: dt.date, n: int) -> dt.date:
    """``date`` + ``n`` working days, Monday to Friday (public holidays are not known)."""
    day, left = date, n
    while left > 0:
        day = _plus_days(day, 1)
        if day == dt.date.max:
            return day
        if day.weekday() < 5:
            left -= 1
    return day


def relative_deadline(text, inspection_date: dt.date) -> dt.date | None:
    """The last day of a period written relative to the inspection, or None.

    "7日内整改" / "限期7日" / "七天之内" -> inspection + 7 days (the inspection day is not
    counted, 民法典第二百零一条, so the 7th day after it is the last day); "5个工作日内" ->
    the 5th weekday after it (public holidays are not known, weekends are skipped);
    "24小时内" -> the next day (hours rounded up to whole days). A period of 0 or more than
    365 days is not read (a typo, not a deadline).
    """
    if not text:
        return None
    plain = unicodedata.normalize("NFKC", str(text))
    m = _RELATIVE.search(plain)
    if m is None:
        return None
    number, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    n = _cn_count(number)
    if n is None or n <= 0:
        return None
    if unit == "小时":
        n = -(-n // 24)
    if n > 365:
        return None
    return _add_workdays(inspection_date, n) if unit == "工作日" else _plus_days(inspection_date, n)


def deadline_with_basis(texts: Sequence[str | None], inspection_date: dt.date,
                        days: int = DEFAULT_RECTIFICATION_DAYS) -> tuple[dt.date, str]:
    """(deadline, basis) of a hazard; basis is one of ``DEADLINE_BASES``.

    The texts are tried in order (the paired 完成整改情况, then the hazard text); in each,
    a written date first (``find_date``: "限2024年6月10日前", "限6月10日前", "限期至6月10日";
    the date itself is the last day allowed), then a period relative to the inspection
    (``relative_deadline``: "7日内整改"). A date without a year takes the inspection's
    year, or the next year when that would fall before the inspection. Nothing written:
    ``inspection_date`` + ``days``, basis "assumed".
    """
    for text in texts:
        found = find_date(text, inspection_date.year)
        if found is not None:
            if found < inspection_date and not _FIND_YMD.search(unicodedata.normalize("NFKC", text)):
                try:
                    found = found.replace(year=found.year + 1)
                except ValueError:  # 2月29日, or year 9999
                    found = _plus_days(found, 365)
            return found, DEADLINE_WRITTEN
        period = relative_deadline(text, inspection_date)
        if period is not None:
            return period, DEADLINE_RELATIVE
    return _plus_days(inspection_date, days), DEADLINE_ASSUMED


def rectification_deadline(texts: Sequence[str | None], inspection_date: dt.date,
                           days: int = DEFAULT_RECTIFICATION_DAYS) -> dt.date:
    """The deadline of a hazard (``deadline_with_basis`` without the basis): a date written
    in ``texts``, else a period written relative to the inspection, else ``inspection_date``
    + ``days``."""
    return deadline_with_basis(texts, inspection_date, days)[0]


def _plus_days(date: dt.date, days: int) -> dt.date:
    """``date`` + ``days``, capped at date.max (a typo such as 9999-12-31 must not crash)."""
    try:
        return date + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max


RECHECK_MARK = "复查"


def is_recheck(*texts) -> bool:
    """True when any of the texts (备注, 完成整改情况) contains 复查."""
    return any(RECHECK_MARK in norm(t) for t in texts if t)


# --------------------------------------------------------------------------- meta cells

#: Header-field labels, by field, in the order they are tried (longest first).
META_LABELS: dict[str, tuple[str, ...]] = {
    "unit": ("填报地区(部门)", "填报部门", "填报单位", "报送单位", "填报地区"),
    "filled_date": ("填报日期", "报送日期"),
    "month": ("统计月份", "报送月份", "月份"),
}
_STAMP = r"(?:\((?:公章|盖章|签章|章)\))?"
_LABEL_RE = re.compile(
    "(" + "|".join(re.escape(label) for field in META_LABELS.values() for label in field)
    + ")" + _STAMP + r"[:]?"
)
_LABEL_FIELD = {norm(label): field for field, labels in META_LABELS.items() for label in labels}


def read_meta(cells: Sequence) -> dict[str, tuple[object, int]]:
    """Header fields found in one row of cells: {field: (raw value, index of its cell)}.

    ``field`` is "unit", "month" or "filled_date". A label and its value may share a
    cell ("填报部门（公章）：石壁村", several labels in one cell are split) or the value
    may be the next non-empty cell ("月份：" | 5). A label with no value gives
    (None, index).
    """
    found: dict[str, tuple[object, int]] = {}
    pending: tuple[str, int] | None = None  # a label whose value may be the next cell
    for index, raw in enumerate(cells):
        if is_null(raw) and not (isinstance(raw, str) and raw.strip()):
            continue
        text = norm(raw) if isinstance(raw, str) else ""
        matches = list(_LABEL_RE.finditer(text)) if text else []
        if not matches or matches[0].start() != 0:
            if pending is not None:
                found.setdefault(pending[0], (raw, index))
                pending = None
            continue
        if pending is not None:
            found.setdefault(pending[0], (None, pending[1]))
            pending = None
        for i, m in enumerate(matches):
            field = _LABEL_FIELD[norm(m.group(1))]
            end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            value = text[m.end(): end]
            if value:
                found.setdefault(field, (value, index))
            elif i + 1 == len(matches):
                pending = (field, index)
            else:
                found.setdefault(field, (None, index))
    if pending is not None:
        found.setdefault(pending[0], (None, pending[1]))
    return found


def strip_stamp(value: str | None) -> str | None:
    """A unit name without a trailing "(公章)"/"(盖章)" mark."""
    if value is None:
        return None
    text = re.sub(r"\((?:公章|盖章|签章|章)\)$", "", norm(value))
    return text or None


_NOTHING = re.compile(r"^(本月|当月|该月)?(无|没有|未开展|未进行|暂无)(任何)?(安全生产)?"
                      r"(执法|检查|数据|记录|情况|内容)")


def is_nothing_note(value) -> bool:
    """True for a note that there is nothing to report: "本月无执法检查", "暂无数据"."""
    return bool(_NOTHING.match(norm(value)))


# --------------------------------------------------------------------------- footer rows

#: A row whose first non-empty cell starts with one of these is a footer, not data.
FOOTER_PREFIXES = ("填报人", "联系电话", "电话", "备注:", "备注1", "注:", "说明:", "日期:",
                   "审核人", "负责人", "单位负责人", "制表人", "统计人", "签字", "填表人", "合计",
                   "总计", "小计")


def is_footer_text(value) -> bool:
    """True when a cell starts a footer line (填报人签字, 联系电话, 备注, 日期, 合计 …)."""
    text = norm(value)
    return bool(text) and text.startswith(FOOTER_PREFIXES)
