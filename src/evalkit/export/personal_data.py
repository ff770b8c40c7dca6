"""Personal data out of public lists: names of persons, phone numbers, ID-card numbers, e-mail.

``scrub(text, names)`` returns the text with each piece replaced and one ``Masking`` per
replacement, so a clerk can review every change before the list is published (docs/export.md).
``scrub_personal`` is the same without the record.

What is found, in this order:

1. **Numbers.** A run of digits with single separators between groups (space, full-width
   space, ``- . — – · ( )``) is read as its digits alone, so ``0595-8888 1234``,
   ``138.1234.5678``, ``0595—88881234`` and ``350581 19900101 123X`` are recognised as
   written. A run is split into the longest pieces that are, from the left:
   an ID-card number (18 characters, region code starting 1–8, a real birth date; or the
   old 15-digit form), a mobile number (11 digits 1[3-9]…, optionally +86), a landline
   with area code (0 + 9–11 digits), or 7–8 digits right after 电话/手机/座机/联系方式.
   Dates, amounts, case numbers and 统一社会信用代码 (first digit 9) stay.
2. **E-mail addresses** (ASCII local part and domain).
3. **Names.** A known name (every 执法人员 of the ledger, spaces inside ignored: ``林　峰``
   matches 林峰) where it stands as a whole name, i.e. not inside a 《书名号》 title (so
   《消防法》 keeps 消防 even if a ledger cell had that token); only tokens that look like
   a person's name are taken as names (2–4 Chinese characters starting with a common
   surname). Then names found by context: after a role word (负责人张三, 法定代表人：李四),
   right after 经/由 and before 现场检查/复查 (经林峰、陈伟现场检查), right before a phone
   number, and 张先生-style forms. A name becomes surname + 某 (张某), as in published
   decisions.

A heuristic: a name written bare with none of these contexts and not known as an inspector
is not detected, which is why the lists are marked for review before publication.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Masking", "scrub", "scrub_personal", "plausible_name", "PHONE_MASK", "ID_MASK", "EMAIL_MASK"]

PHONE_MASK, ID_MASK, EMAIL_MASK = "[电话已隐去]", "[证件号已隐去]", "[邮箱已隐去]"


@dataclass(frozen=True)
class Masking:
    """One replacement: ``kind`` 姓名 | 电话 | 证件号 | 邮箱, the ``rule`` that found it,
    the ``original`` text and its ``replacement``."""

    kind: str
    rule: str
    original: str
    replacement: str


# --------------------------------------------------------------------------- surnames
#: Common surnames (the first ~120 of the 2020 census ranking plus compound ones):
#: a token is only taken as a person's name when it starts with one.
_SURNAMES = (
    "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|令狐|"
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
    "毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
    "明佘池查麻苑迟邝洪"
)
_COMPOUND, _SINGLE = _SURNAMES.split("|")[:-1], _SURNAMES.split("|")[-1]
_SURNAME_RE = "(?:" + "|".join(_COMPOUND) + "|[" + _SINGLE + "])"
_PLAUSIBLE_NAME = re.compile(rf"{_SURNAME_RE}[\u4e00-\u9fff]{{1,3}}")
# Words that start with a surname character and may follow a role word or precede a
# phone number; never masked.
_NOT_NAMES = {"应急", "安全", "值班", "监督", "举报", "服务", "办公", "单位", "公司", "企业", "文件", "高处",
              "车间", "仓库", "现场", "管理", "何时", "全部", "全体", "包括", "于是", "任何", "方面"}
_SPACES = re.compile(r"[\s\u3000]+")


def plausible_name(token: str) -> str | None:
    """``token`` without spaces when it looks like a person's name (2–4 Chinese characters
    starting with a common surname, not a common word), else None."""
    name = _SPACES.sub("", str(token))
    if 2 <= len(name) <= 4 and _PLAUSIBLE_NAME.fullmatch(name) and name not in _NOT_NAMES:
        return name
    return None


def _masked(name: str) -> str:
    """张三 -> 张某, 欧阳娜娜 -> 欧阳某: the surname stays."""
    name = _SPACES.sub("", name)
    for compound in _COMPOUND:
        if name.startswith(compound):
            return compound + "某"
    return name[0] + "某"


# --------------------------------------------------------------------------- numbers
_FULLWIDTH = str.maketrans("０１２３４５６７８９－＋", "0123456789-+")
# One or two separator characters between digit groups; required, so the pattern cannot
# backtrack over ways of splitting a digit group.
_SEP = r"[ \u3000\-.—–·()（）]{1,2}"
_DIGIT_RUN = re.compile(rf"(?<![0-9A-Za-z])\+?\d+(?:{_SEP}\d+)*[Xx]?(?![0-9A-Za-z])")
_GROUP = re.compile(r"\d+")
_PHONE_WORD = re.compile(r"(?:电话|手机|座机|联系方式)[:：\s]*$")
_MAX_GROUPS = 8  # a number is written in at most this many groups


def _birth_date_ok(text: str) -> bool:
    try:
        day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return False
    return 1900 <= day.year <= 2100


def _number_kind(groups: list[str], x_suffix: bool, after_phone_word: bool) -> tuple[str, str] | None:
    """(kind, rule) when the digit ``groups`` (plus an X) are one personal number, else None.

    The grouping must be one a person writes: an ID in at most 4 groups, a mobile in at
    most 3 (3-4-4) after an optional 86, a landline as area code + number or in one
    piece. So "2024-05-06 2024-06-30" is never read as a number.
    """
    digits = "".join(groups)
    n = len(digits) + x_suffix
    if len(groups) <= 4 and n == 18 and digits[0] in "12345678" and _birth_date_ok(digits[6:14]):
        return "证件号", "身份证号"
    if len(groups) <= 4 and n == 15 and not x_suffix and digits[0] in "12345678" \
            and _birth_date_ok("19" + digits[6:12]):
        return "证件号", "身份证号（15位）"
    if x_suffix:
        return None
    body = groups[1:] if groups[0] == "86" else groups
    if groups[0] != "86" and len(groups) == 1 and len(digits) == 13 and digits.startswith("861"):
        body = [digits[2:]]
    mobile = "".join(body)
    if len(body) <= 3 and len(mobile) == 11 and mobile[0] == "1" and mobile[1] in "3456789":
        return "电话", "手机号"
    if len(groups) == 1 and digits[0] == "0" and 10 <= len(digits) <= 12:
        return "电话", "座机（带区号）"
    if 2 <= len(groups) <= 3 and re.fullmatch(r"0\d{2,3}", groups[0]) and 7 <= len("".join(groups[1:])) <= 8:
        return "电话", "座机（带区号）"
    if after_phone_word and len(groups) <= 2 and 7 <= len(digits) <= 8:
        return "电话", "电话号码"
    return None


def _scrub_numbers(text: str, found: list[Masking]) -> str:
    out, last = [], 0
    for run in _DIGIT_RUN.finditer(text):
        groups = list(_GROUP.finditer(run.group()))
        x_at_end = run.group()[-1] in "Xx"
        i = 0
        while i < len(groups):
            hit = None
            for j in range(min(len(groups), i + _MAX_GROUPS) - 1, i - 1, -1):
                start = run.start() + groups[i].start()
                end = run.start() + groups[j].end()
                x = x_at_end and j == len(groups) - 1
                kind = _number_kind([g.group() for g in groups[i:j + 1]], x,
                                    bool(_PHONE_WORD.search(text[max(0, start - 12):start])))
                if kind:
                    hit = (j, start, end + x, kind)
                    break
            if hit is None:
                i += 1
                continue
            j, start, end, (kind, rule) = hit
            if start > 0 and text[start - 1] == "+":
                start -= 1
            if start > 0 and text[start - 1] in "(（" and any(c in text[start:end] for c in ")）"):
                start -= 1  # "(0595)8888123": the bracket belongs to the number
            mask = ID_MASK if kind == "证件号" else PHONE_MASK
            found.append(Masking(kind, rule, text[start:end], mask))
            out += [text[last:start], mask]
            last = end
            i = j + 1
    out.append(text[last:])
    return "".join(out)


_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}")


# --------------------------------------------------------------------------- names
# Role words after which the next 2–4 characters are a person's name.
_ROLES = ("法定代表人|法人代表|实际控制人|主要负责人|安全负责人|负责人|法人|经营者|业主|店主|老板|厂长|"
          "经理|主任|联系人|当事人|执法人员|检查人员|经办人|承办人|安全员|电工|焊工|工人|员工|驾驶员|司机|"
          "船长|举报人|监护人|作业人员|操作工")
# A name ends before punctuation, a bracket, a space, the end, or one of these words.
_NAME_END = (r"(?=[，,。；;、：:\s（()）\[\]【】]|$|电话|手机|联系|先生|女士|未|无|不|已|在|于|等|同志|身份证|擅自|"
             r"拒|对|因|称|现场|签字|确认|负责)")
_ROLE_NAME = re.compile(
    rf"(?P<role>{_ROLES})(?P<sep>[:：\s]*)(?P<name>{_SURNAME_RE}[\u4e00-\u9fff]{{1,2}}?){_NAME_END}")
# 经林峰、陈伟现场检查 / 由张三复查: names between 经|由 and an inspection verb. The name's
# characters exclude the verbs' own, and 由于 / 经查 are words, not 于… / 查… names.
_ONE = rf"{_SURNAME_RE}(?:(?![现场检查复核进行])[\u4e00-\u9fff]){{1,2}}?"
_BY_INSPECTORS = re.compile(
    rf"(?:(?<=经)(?!查)|(?<=由)(?!于))(?P<names>{_ONE}(?:[、,，和及]{_ONE}){{0,5}})(?=现场|检查|复查|核查|进行)")
_TITLE_NAME = re.compile(rf"(?P<name>{_SURNAME_RE})(?P<title>先生|女士|小姐|师傅)")
_NAME_BEFORE_PHONE = re.compile(
    rf"(?P<name>{_SURNAME_RE}[\u4e00-\u9fff]{{1,2}}?)"
    rf"(?=[（(：:\s]*(?:电话|手机|联系电话|Tel|TEL|tel)?[：:\s]*{re.escape(PHONE_MASK)})")
_BOOK_TITLE = re.compile(r"《[^《》]{0,60}》")


def _known_names_pattern(names: Iterable[str]) -> re.Pattern | None:
    clean = {n for n in (plausible_name(t) for t in names if t) if n}
    if not clean:
        return None
    # longest first, so 欧阳娜娜 wins over 欧阳娜; spaces typed inside a name still match
    alternatives = ["[ \u3000]*".join(map(re.escape, n)) for n in sorted(clean, key=lambda n: (-len(n), n))]
    return re.compile("|".join(alternatives))


def _sub_outside_titles(pattern: re.Pattern, text: str, replace) -> str:
    """``pattern.sub(replace, text)`` except inside 《…》 titles."""
    titles = [m.span() for m in _BOOK_TITLE.finditer(text)]
    if not titles:
        return pattern.sub(replace, text)

    def guarded(m):
        inside = any(a <= m.start() and m.end() <= b for a, b in titles)
        return m.group() if inside else replace(m)
    return pattern.sub(guarded, text)


def _name_mask(found: list[Masking], rule: str):
    def mask(name: str) -> str:
        if _SPACES.sub("", name) in _NOT_NAMES or "某" in name:  # 某: masked already
            return name
        masked = _masked(name)
        found.append(Masking("姓名", rule, name, masked))
        return masked
    return mask


def scrub(text, names: Iterable[str] = (), *, numbers_only: bool = False) -> tuple[str | None, list[Masking]]:
    """``text`` without personal data, and the list of replacements made (module docstring).

    ``names`` are known names (the ledger's 执法人员); tokens that do not look like a
    person's name are ignored. ``numbers_only`` masks numbers and e-mail but no names (for
    企业名称, where a 个体工商户's registered name may contain its owner's name by law).
    Blank (None, NaN) stays None with no replacements.
    """
    if text is None or (isinstance(text, float) and text != text):
        return None, []
    found: list[Masking] = []
    out = _scrub_numbers(str(text).translate(_FULLWIDTH), found)
    if "@" in out:
        def email(m):
            found.append(Masking("邮箱", "电子邮箱", m.group(), EMAIL_MASK))
            return EMAIL_MASK
        out = _EMAIL.sub(email, out)
    if numbers_only:
        return out, found
    known = _known_names_pattern(names)
    if known is not None:
        mask = _name_mask(found, "执法人员姓名")
        out = _sub_outside_titles(known, out, lambda m: mask(m.group()))
    mask = _name_mask(found, "角色词后的姓名")
    out = _sub_outside_titles(_ROLE_NAME, out, lambda m: m.group("role") + m.group("sep") + mask(m.group("name")))
    mask = _name_mask(found, "经/由…检查的人员姓名")
    out = _sub_outside_titles(
        _BY_INSPECTORS, out,
        lambda m: re.sub(r"[^、,，和及]+", lambda n: mask(n.group()), m.group("names")))
    mask = _name_mask(found, "电话前的姓名")
    out = _sub_outside_titles(_NAME_BEFORE_PHONE, out, lambda m: mask(m.group("name")))

    def title(m):
        found.append(Masking("姓名", "称呼（先生/女士）", m.group(), "某" + m.group("title")))
        return "某" + m.group("title")
    out = _sub_outside_titles(_TITLE_NAME, out, title)
    return out, found


def scrub_personal(text, names: Iterable[str] = ()) -> str | None:
    """``scrub(text, names)`` without the record of replacements."""
    return scrub(text, names)[0]
