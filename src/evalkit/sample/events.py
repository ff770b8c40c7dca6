"""Simulate the sample year: inspections, hazards, rectification, re-inspections and cases.

Part of the sample generator (``evalkit.sample.generate``). The simulation works on the *true*
events; ``samplegen_defects`` later changes how a few of them are *written*. Every row
follows the conventions of docs/design.md:

- a 复查 row has "复查" in 备注 and restates the still-open items of one earlier row with the
  same text; its 完成整改情况 says 已整改 / 未整改 / 逾期未整改 per item;
- a pending item's deadline is the date in its text, else the inspection date + 30 days.

To keep the audit's findings exactly the planted ones, the random part of the simulation
never repeats a violation code for an enterprise within 365 days, never files a case on a
row holding a criminal-risk code (V17/V20/V28), and penalises an enterprise for a major
hazard at most twice a year. The scripted scenarios (``Scenarios``) break these on purpose.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from evalkit.sample.world import Enterprise, Unit, person_name

YEAR = 2024
MONTHS = tuple(range(1, 12))
FIRST_DAY = dt.date(YEAR, 1, 2)
LAST_DAY = dt.date(YEAR, 11, 30)

#: Relative inspection activity per month: Spring Festival in February, the lighter
#: 动员部署 stage before 3/31, the 集中推进 stage April–November (安全生产月 in June).
SEASON = {1: 0.7, 2: 0.3, 3: 0.75, 4: 1.0, 5: 1.05, 6: 1.25, 7: 0.95, 8: 0.9, 9: 1.1,
          10: 1.0, 11: 1.1}


def _span(start: dt.date, end: dt.date) -> set[dt.date]:
    return {start + dt.timedelta(d) for d in range((end - start).days + 1)}


HOLIDAYS = (_span(dt.date(2024, 1, 1), dt.date(2024, 1, 1)) | _span(dt.date(2024, 2, 10), dt.date(2024, 2, 17))
            | _span(dt.date(2024, 4, 4), dt.date(2024, 4, 6)) | _span(dt.date(2024, 5, 1), dt.date(2024, 5, 5))
            | _span(dt.date(2024, 6, 10), dt.date(2024, 6, 10)) | _span(dt.date(2024, 9, 15), dt.date(2024, 9, 17))
            | _span(dt.date(2024, 10, 1), dt.date(2024, 10, 7)))

#: Hazard wordings per catalogue code. Each maps back to its code with
#: ``catalogue.match_violation`` (tests/test_sample.py checks it) and holds no digits, so
#: numbered multi-item cells stay unambiguous.
HAZARD_TEXTS: dict[str, tuple[str, ...]] = {
    "V01": ("车间疏散通道堆放布料、纸箱等杂物", "安全出口锁闭", "二层安全出口被成品货物封堵", "仓库疏散通道被占用"),
    "V02": ("生产车间、仓库与员工宿舍在同一座建筑物内（三合一）", "存在“三合一”现象，仓库与员工宿舍在同一建筑内"),
    "V03": ("电焊作业人员未取得特种作业操作证上岗", "电工无特种作业操作证上岗作业"),
    "V04": ("未对从业人员进行安全生产教育和培训", "新员工未经安全培训上岗"),
    "V05": ("未如实记录安全生产教育和培训情况", "员工培训记录不全"),
    "V06": ("未配备专职安全生产管理人员", "未设置安全生产管理机构"),
    "V07": ("未制定生产安全事故应急救援预案", "未定期组织应急演练"),
    "V08": ("隐患排查治理情况未如实记录", "未将隐患排查治理情况向从业人员通报"),
    "V09": ("动火作业未安排专门人员进行现场安全管理", "吊装作业现场无专人监护"),
    "V10": ("有限空间作业未安排专人现场监护",),
    "V11": ("危险物品未建立专门安全管理制度", "危险化学品储存未采取可靠的安全措施，未建立专门安全管理制度"),
    "V12": ("未建立安全风险分级管控制度", "未按规定落实风险分级管控措施"),
    "V13": ("未建立事故隐患排查治理制度", "未建立隐患排查治理制度"),
    "V14": ("配电房等危险场所未设置明显的安全警示标志", "危险化学品仓库未设置安全警示标志"),
    "V15": ("安全设备的安装不符合国家标准", "除尘设备安装使用不符合国家标准或者行业标准"),
    "V16": ("消防水泵未进行经常性维护、保养", "安全设备未定期检测"),
    "V17": ("关闭、破坏有毒有害气体监控报警装置", "篡改、隐瞒、销毁车辆动态监控数据", "擅自关闭、破坏船舶北斗监控终端"),
    "V18": ("未为从业人员提供符合标准的劳动防护用品", "作业人员未佩戴安全帽等劳动防护用品"),
    "V19": ("餐饮场所使用燃气未安装可燃气体报警装置", "厨房燃气未安装可燃气体报警装置"),
    "V20": ("电气线路私拉乱接", "车间粉尘积聚未及时清理", "未采取措施消除电气线路私拉乱接隐患"),
    "V21": ("厂房出租未与承租单位签订安全生产管理协议", "出租场所未与承租单位明确各自安全生产管理职责"),
    "V22": ("主要负责人未履行安全生产管理职责",),
    "V23": ("安全生产管理人员未履行安全生产管理职责",),
    "V24": ("拒绝、阻碍执法人员依法实施监督检查",),
    "V25": ("灭火器失效，消防设施未保持完好有效", "消防安全标志缺失", "消防设施器材配置不符合标准"),
    "V26": ("占用、堵塞消防车通道", "消防车通道被车辆占用"),
    "V27": ("叉车未经定期检验继续使用", "起重机械未经定期检验继续使用", "特种设备超期未检验"),
    "V28": ("未经批准擅自从事烟花爆竹储存经营活动",),
}
MAJOR_PREFIX = "重大事故隐患："
CRIMINAL_CODES = ("V17", "V20", "V28")
RANDOM_MAJOR_CODES = ("V01", "V02", "V26")

_COMMON = {"V04": 2, "V05": 1, "V07": 1.5, "V08": 1, "V12": 1, "V13": 0.6, "V25": 3, "V14": 1.5,
           "V06": 0.8, "V18": 1, "V16": 1}
_FACTORY = {**_COMMON, "V01": 4, "V02": 2, "V20": 2.5, "V21": 0.8, "V22": 0.4, "V23": 0.3,
            "V27": 0.6, "V26": 0.6, "V03": 0.8, "V09": 0.6}
#: Violation code weights per sector (codes outside a sector's list are never drawn).
SECTOR_CODES: dict[str, dict[str, float]] = {
    "garment": _FACTORY, "garment_big": {**_FACTORY, "V06": 1.5, "V12": 2, "V27": 1.2},
    "textile": _FACTORY, "textile_big": {**_FACTORY, "V10": 1.5, "V15": 1.5, "V12": 2},
    "shoes": {**_FACTORY, "V11": 1.0}, "trims": _FACTORY,
    "workshop": {"V02": 4, "V01": 3, "V20": 3, "V25": 3, "V04": 1, "V18": 0.5},
    "rental": {"V21": 4, "V01": 2, "V02": 2, "V20": 1.5, "V25": 2, "V26": 1},
    "warehouse": {"V25": 4, "V01": 2, "V26": 2, "V27": 2, "V14": 1.5, "V04": 1, "V20": 1},
    "eatery": {"V19": 5, "V25": 3, "V01": 2, "V20": 1, "V04": 1, "V07": 0.5},
    "factory": {**_FACTORY, "V10": 2, "V15": 1.5, "V09": 1.5, "V03": 1.5, "V12": 2},
    "hazchem": {"V11": 3, "V13": 2, "V12": 2, "V03": 2, "V07": 2, "V14": 2, "V09": 1, "V02": 0.5,
                "V06": 1, "V16": 1.5},
    "fireworks": {"V11": 3, "V02": 3, "V25": 2, "V14": 1.5, "V04": 1, "V01": 1},
    "transport": {"V04": 2, "V07": 2, "V16": 2, "V06": 1, "V22": 0.4, "V05": 1, "V12": 1},
    "gas_supply": {"V11": 2, "V25": 2, "V14": 2, "V04": 1, "V07": 1.5, "V03": 1},
    "construction": {"V09": 3, "V03": 3, "V18": 2.5, "V10": 1, "V06": 2, "V27": 2, "V14": 2,
                     "V22": 0.4, "V07": 1, "V21": 0.5},
    "logistics": {"V27": 3, "V09": 2, "V14": 2, "V25": 2, "V04": 1, "V12": 1, "V26": 1, "V18": 1},
    "school": {"V16": 3, "V04": 2, "V07": 2, "V25": 1.5, "V05": 1},
    "equipment": {"V27": 5, "V03": 2, "V16": 2, "V14": 1.5, "V04": 1},
    "market": {"V25": 3, "V26": 2, "V01": 2, "V20": 1.5, "V19": 1},
    "crowded": {"V25": 5, "V26": 3, "V01": 4, "V07": 2, "V20": 1, "V16": 1},
    "fishery": {"V07": 2, "V15": 2, "V16": 2, "V03": 2, "V04": 2, "V18": 1.5, "V05": 1},
}

RECTIFIED_TEXTS = ("已整改", "当场整改", "已完成整改", "立行立改", "整改完毕")
RECHECK_DONE = ("已整改", "已完成整改", "整改完毕")
NICE_FINES = (0.1, 0.2, 0.3, 0.5, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0,
              6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 25.0, 30.0)
#: The same violation fined far more by one unit (同案不同罚): unit -> code -> fines.
FINE_OVERRIDES = {"锦里村": {"V25": (4.0, 4.5, 5.0)}}
CASE_RATE_OVERRIDES = {"厝仔村": 0.03}
HANDLING = {
    "suspend": "责令停产停业整顿", "closure": "提请镇人民政府予以关闭", "blacklist": "纳入黑名单管理",
    "joint": "实施联合惩戒",
}


@dataclass(eq=False)
class Item:
    """One 违法行为(隐患) item and its 完成整改情况."""

    hazard: str  # as written, with the 重大事故隐患： prefix for a major hazard
    code: str
    major: bool
    rect: str | None
    status: str | None  # rectified | pending | overdue | None (blank)
    deadline: dt.date | None = None
    origin: Item | None = None  # on a 复查 row: the earlier item it restates
    closed_by: Row | None = None  # on an original item: the 复查 row that found it rectified

    @property
    def is_open(self) -> bool:
        return self.origin is None and self.status != "rectified" and self.closed_by is None


@dataclass(eq=False)
class Case:
    code: str  # the violation the case punishes
    prefix: str  # 狮蚶应急罚 …
    number: str | None = None  # assigned chronologically per prefix


@dataclass(eq=False)
class Row:
    """One 附件1 row: what happened, and (attributes ``written_*``) how it is written."""

    uid: int
    unit: str
    enterprise: str  # the registry name (or the real name of an unregistered place)
    registered: bool
    date: dt.date
    inspectors: list[str]
    items: list[Item]
    month: int = 0  # submission month (the form's 月份)
    recheck_of: Row | None = None
    case: Case | None = None
    fine: float | None = None
    basis: str | None = None  # the article punished, catalogue wording
    suspend: bool = False
    closure: bool = False
    closure_text: str = "提请镇人民政府予以关闭"
    license: str | None = None  # 暂扣… text
    blacklist: bool = False
    joint: bool = False
    criminal: int = 0  # persons referred for criminal liability
    referred_to: str | None = None  # other department
    notice: bool = False  # 下达责令限期整改指令书 (no penalty)
    report: bool = False  # 举报件
    remarks: list[str] = field(default_factory=list)
    # how it is written (defects)
    written_name: str | None = None
    written_date: dt.date | None = None
    fine_text: str | None = None
    extra_rects: list[str] = field(default_factory=list)
    accepted: bool = True
    tags: list[str] = field(default_factory=list)

    def __post_init__(self):
        if not self.month:
            self.month = self.date.month

    @property
    def is_recheck(self) -> bool:
        return self.recheck_of is not None

    @property
    def shown_date(self) -> dt.date:
        return self.written_date or self.date


#: Sectors with workshops (车间), cloth and dust; other sectors get the generic wordings.
FACTORY_SECTORS = ("garment", "garment_big", "textile", "textile_big", "shoes", "trims", "workshop",
                   "factory", "rental")
_FACTORY_WORDS = ("车间", "布料", "成品", "粉尘", "除尘")


def fits_sector(text: str, sector: str | None) -> bool:
    """Whether a hazard wording suits an enterprise of ``sector`` (None: any wording)."""
    if sector is None:
        return True
    if sector not in FACTORY_SECTORS and any(w in text for w in _FACTORY_WORDS):
        return False
    if "危险化学品" in text and sector not in ("hazchem", "fireworks", "gas_supply", "factory", "shoes"):
        return False
    return True


def _pool(rng: random.Random, n: int) -> list[str]:
    """``n`` distinct inspector names."""
    names: list[str] = []
    while len(names) < n:
        name = person_name(rng)
        if name not in names:
            names.append(name)
    return names


def is_workday(d: dt.date) -> bool:
    return d.weekday() < 5 and d not in HOLIDAYS


def month_workdays(month: int) -> list[dt.date]:
    first = dt.date(YEAR, month, 1)
    days = [first + dt.timedelta(i) for i in range(31)]
    return [d for d in days if d.month == month and is_workday(d) and FIRST_DAY <= d <= LAST_DAY]


def poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def penalty_text(article: str, long_name: bool = False) -> str:
    """A catalogue article as a 处罚依据 cell: 《安全生产法》第一百零五条第（二）项."""
    for law in ("特种设备安全法", "安全生产法", "消防法"):
        if article.startswith(law):
            title = f"中华人民共和国{law}" if long_name else law
            return f"《{title}》{article[len(law):]}"
    return article


class Simulator:
    """Runs the year for every unit; ``rows`` collects the result."""

    def __init__(self, rng: random.Random, units: list[Unit], enterprises: list[Enterprise],
                 catalogue):
        self.rng = rng
        self.units = {u.name: u for u in units}
        self.enterprises = enterprises
        self.by_name = {e.name: e for e in enterprises}
        self.cat = catalogue
        self.rows: list[Row] = []
        self.ent_rows: dict[str, list[Row]] = {}
        self.used: dict[str, set[dt.date]] = {}
        self.found: dict[str, list[tuple[dt.date, str]]] = {}
        self.major_penalties: dict[str, int] = {}
        self.pools = {u.name: _pool(rng, rng.randint(4, 6)) for u in units}
        self._uid = 0

    # ------------------------------------------------------------------ helpers
    def _next_uid(self) -> int:
        self._uid += 1
        return self._uid

    def inspectors(self, unit: str) -> list[str]:
        k = 3 if self.rng.random() < 0.2 else 2
        return self.rng.sample(self.pools[unit], k)

    def free_day(self, enterprise: str, month: int) -> dt.date | None:
        used = self.used.setdefault(enterprise, set())
        days = [d for d in month_workdays(month) if d not in used]
        return self.rng.choice(days) if days else None

    def free_after(self, enterprise: str, target: dt.date, after: dt.date) -> dt.date | None:
        """The first workday on/after ``target`` (and after ``after``) not yet used."""
        used = self.used.setdefault(enterprise, set())
        d = max(target, after + dt.timedelta(1))
        while d <= LAST_DAY:
            if is_workday(d) and d not in used:
                return d
            d += dt.timedelta(1)
        return None

    def reserve(self, enterprise: str, d: dt.date) -> None:
        self.used.setdefault(enterprise, set()).add(d)

    def fine_for(self, unit: str, code: str, level: float | None = None) -> float:
        """A fine for ``code`` in the unit's habit. Fines stay in the lower part of the legal
        range (as discretion benchmarks do), so units differ little except where planted
        (``FINE_OVERRIDES``); ``level`` 0..1 picks low or high within that band."""
        override = FINE_OVERRIDES.get(unit, {}).get(code)
        if override:
            return self.rng.choice(override)
        lo, hi = self.cat.loc[code, "fine_min_wan"], self.cat.loc[code, "fine_max_wan"]
        band = [v for v in NICE_FINES if max(lo, hi * 0.06) <= v <= min(hi, max(lo * 2.5, hi * 0.25))]
        if level is None:
            level = self.units[unit].profile.fine_level
        idx = round(level * (len(band) - 1) + self.rng.gauss(0, 0.8))
        return band[min(len(band) - 1, max(0, idx))]

    def hazard_text(self, code: str, major: bool, variant: int | None = None,
                    sector: str | None = None) -> str:
        texts = HAZARD_TEXTS[code]
        if variant is None:
            fitting = [t for t in texts if fits_sector(t, sector)] or list(texts)
            text = self.rng.choice(fitting)
        else:
            text = texts[variant]
        return MAJOR_PREFIX + text if major else text

    def rect_for(self, unit: Unit, date: dt.date, major: bool) -> tuple[str | None, str | None, dt.date]:
        """(完成整改情况 text, status, deadline) for a new hazard."""
        prof, rng = unit.profile, self.rng
        if not major and rng.random() < prof.onspot:
            return rng.choice(RECTIFIED_TEXTS), "rectified", date
        deadline = date + dt.timedelta(rng.randint(15, 40) if major else rng.randint(7, 30))
        explicit = prof.tier in ("strong", "good") or (prof.tier == "mid" and rng.random() < 0.5)
        if explicit:
            return deadline_text(deadline, with_year=unit.style.dates != "md"), "pending", deadline
        text = rng.choice(("限期整改", "责令限期整改") if prof.tier == "mid" else ("整改中", "限期整改"))
        return text, "pending", date + dt.timedelta(30)

    def remember(self, enterprise: str, row: Row) -> None:
        for it in row.items:
            if it.origin is None:
                self.found.setdefault(enterprise, []).append((row.date, it.code))

    def recent_codes(self, enterprise: str, date: dt.date) -> set[str]:
        return {c for d, c in self.found.get(enterprise, []) if (date - d).days < 365}

    def open_codes(self, enterprise: str) -> set[str]:
        return {it.code for r in self.ent_rows.get(enterprise, ()) for it in r.items if it.is_open}

    # ------------------------------------------------------------------ cases
    def file_case(self, row: Row, code: str, *, fine: float | None = None, major: bool = False,
                  prefix: str | None = None) -> None:
        unit = self.units[row.unit]
        row.case = Case(code, prefix or unit.case_prefix)
        row.fine = fine if fine is not None else self.fine_for(row.unit, code)
        row.basis = self.cat.loc[code, "penalty_article"]
        if major:
            self.major_penalties[row.enterprise] = self.major_penalties.get(row.enterprise, 0) + 1

    def random_handling(self, row: Row, ent: Enterprise | None, major: bool) -> None:
        rng, tier = self.rng, self.units[row.unit].profile.tier
        if major and tier in ("strong", "good") and rng.random() < 0.5:
            row.suspend = True
        if ent is not None and ent.sector == "transport" and rng.random() < 0.35:
            row.license = "暂扣道路运输经营许可证"
        if ent is not None and ent.sector == "fishery" and rng.random() < 0.25:
            row.license = "暂扣渔业船舶证书"
        if (major or (row.fine or 0) >= 2) and rng.random() < 0.3:
            row.blacklist = True
            row.joint = rng.random() < 0.5
        elif (row.fine or 0) >= 1 and rng.random() < 0.08:
            row.joint = True

    # ------------------------------------------------------------------ random visits
    def n_hazards(self, unit: Unit, ent: Enterprise) -> int:
        lam = {"strong": 1.6, "good": 1.3, "mid": 1.0, "weak": 0.6}[unit.profile.tier]
        lam *= {"重大": 1.3, "较大": 1.1, "一般": 1.0, "低": 0.8}[ent.risk] * (1.15 if ent.is_key else 1)
        return min(4, poisson(self.rng, lam))

    def draw_codes(self, ent: Enterprise, k: int, date: dt.date) -> list[str]:
        weights = dict(SECTOR_CODES[ent.sector])
        if ent.unit in FINE_OVERRIDES:  # the unit that over-fines also finds more of that code
            for code in FINE_OVERRIDES[ent.unit]:
                weights[code] = weights.get(code, 0) + 3
        banned = self.recent_codes(ent.name, date) | self.open_codes(ent.name)
        pool = {c: w for c, w in weights.items() if c not in banned}
        out: list[str] = []
        while pool and len(out) < k:
            codes, ws = zip(*sorted(pool.items()), strict=True)
            c = self.rng.choices(codes, weights=ws)[0]
            out.append(c)
            del pool[c]
        return out

    def visit(self, ent: Enterprise, unit: Unit, date: dt.date, remarks: list[str]) -> Row:
        rng, prof = self.rng, unit.profile
        items = []
        blank = rng.random() < prof.blank_rect  # the unit left 完成整改情况 empty on this row
        for code in self.draw_codes(ent, self.n_hazards(unit, ent), date):
            p_major = {"重大": 0.2, "较大": 0.1, "一般": 0.04, "低": 0.02}[ent.risk]
            major = code in RANDOM_MAJOR_CODES and rng.random() < p_major
            rect, status, deadline = self.rect_for(unit, date, major)
            if blank:
                rect, status, deadline = None, None, date + dt.timedelta(30)
            items.append(Item(self.hazard_text(code, major, sector=ent.sector), code, major, rect, status,
                              deadline))
        row = Row(self._next_uid(), unit.name, ent.name, True, date, self.inspectors(unit.name), items,
                  remarks=list(remarks))
        self._maybe_case(row, ent, unit)
        self._maybe_referral(row, unit)
        if not row.case and any(it.status == "pending" for it in items) and prof.tier in ("strong", "good"):
            row.notice = rng.random() < 0.3
        if prof.tier in ("strong", "good") and rng.random() < 0.025:
            row.report = True
        self.add(row)
        return row

    def _maybe_case(self, row: Row, ent: Enterprise, unit: Unit) -> None:
        rng, prof = self.rng, unit.profile
        if not row.items or any(it.code in CRIMINAL_CODES for it in row.items):
            return
        rate = CASE_RATE_OVERRIDES.get(unit.name, prof.case_rate)
        major = [it for it in row.items if it.major]
        p = rate * (2.0 if major else 1.0) * (0.5 if row.date.month <= 3 else 1.0)
        if unit.name in FINE_OVERRIDES and any(it.code in FINE_OVERRIDES[unit.name] for it in row.items):
            p = max(p, 0.6)
        if rng.random() >= p:
            return
        if major and self.major_penalties.get(ent.name, 0) < 2:
            target = major[0]
        else:
            minor = [it for it in row.items if not it.major]
            if not minor:
                return
            overrides = FINE_OVERRIDES.get(unit.name, {})
            target = max(minor, key=lambda it: (it.code in overrides, self.cat.loc[it.code, "fine_max_wan"]))
        self.file_case(row, target.code, major=target.major,
                       fine=self.fine_for(unit.name, target.code, level=0.8) if target.major else None)
        self.random_handling(row, ent, target.major)

    def _maybe_referral(self, row: Row, unit: Unit) -> None:
        codes = {it.code for it in row.items}
        if unit.profile.tier == "weak":
            return
        if "V27" in codes and unit.name != "蚶江市场监管所" and self.rng.random() < 0.5:
            row.referred_to = "移送蚶江市场监管所"
        elif codes & {"V25", "V26"} and unit.kind == "村" and self.rng.random() < 0.08:
            row.referred_to = "移送蚶江消防救援站"

    def add(self, row: Row) -> None:
        self.reserve(row.enterprise, row.date)
        self.rows.append(row)
        self.ent_rows.setdefault(row.enterprise, []).append(row)
        self.remember(row.enterprise, row)

    # ------------------------------------------------------------------ 复查
    def recheck(self, origin: Row, date: dt.date, outcomes: list[str] | None = None, *,
                remarks: list[str] | None = None) -> Row | None:
        """A 复查 row restating ``origin``'s open items; ``outcomes`` per item:
        rectified | pending | overdue (default: drawn from the unit's profile)."""
        unit = self.units[origin.unit]
        open_items = [it for it in origin.items if it.is_open]
        if not open_items:
            return None
        p_fix = {"strong": 0.93, "good": 0.88, "mid": 0.72, "weak": 0.5}[unit.profile.tier]
        items = []
        row = Row(self._next_uid(), origin.unit, origin.enterprise, origin.registered, date,
                  self.inspectors(origin.unit), items, recheck_of=origin,
                  remarks=[f"复查（原检查{origin.date.isoformat()}）"] + (remarks or []))
        for n, it in enumerate(open_items):
            outcome = outcomes[n] if outcomes else (
                "rectified" if self.rng.random() < p_fix else ("overdue" if date > it.deadline else "pending"))
            text = {"rectified": self.rng.choice(RECHECK_DONE), "pending": "未整改",
                    "overdue": "逾期未整改"}[outcome]
            items.append(Item(it.hazard, it.code, it.major, text, outcome, it.deadline, origin=it))
            if outcome == "rectified":
                it.closed_by = row
        self.add(row)
        return row

    def last_date(self, origin: Row) -> dt.date:
        """The date of ``origin`` or of its latest 复查 so far."""
        rows = self.ent_rows.get(origin.enterprise, ())
        return max([origin.date] + [r.date for r in rows if r.recheck_of is origin])

    def follow_up(self, origin: Row, round_no: int = 1) -> None:
        """Schedule and run the 复查 of ``origin`` as the unit's profile says."""
        unit, rng = self.units[origin.unit], self.rng
        prof = unit.profile
        pending = [it for it in origin.items if it.is_open]
        if not pending:
            return
        p = prof.recheck if round_no == 1 else {"strong": 1.0, "good": 0.95, "mid": 0.5, "weak": 0.2}[prof.tier]
        if any(it.status is None for it in pending):
            p *= 0.5
        if rng.random() >= p:
            return
        deadline = min(it.deadline for it in pending)
        if round_no == 1:
            offset = {"strong": (-3, 2), "good": (-2, 5), "mid": (0, 15), "weak": (5, 30)}[prof.tier]
            target = deadline + dt.timedelta(rng.randint(*offset))
        else:
            target = self.last_date(origin) + dt.timedelta(rng.randint(10, 25))
        date = self.free_after(origin.enterprise, target, self.last_date(origin) + dt.timedelta(2))
        if date is None:
            return
        row = self.recheck(origin, date)
        if row is None:
            return
        late = [it for it in row.items if it.status == "overdue" and it.code not in CRIMINAL_CODES]
        criminal = any(it.code in CRIMINAL_CODES for it in row.items)
        if late and not criminal and prof.tier in ("strong", "good") and rng.random() < 0.7 and round_no < 3:
            target_item = late[0]
            if not target_item.major or self.major_penalties.get(origin.enterprise, 0) < 2:
                self.file_case(row, target_item.code, major=target_item.major,
                               fine=self.fine_for(row.unit, target_item.code, level=0.8))
                row.suspend = target_item.major or rng.random() < 0.4
        if round_no < 3:
            self.follow_up(origin, round_no + 1)


def deadline_text(deadline: dt.date, with_year: bool = True) -> str:
    """限2024年6月10日前整改 (the year is always written when it is not 2024)."""
    if with_year or deadline.year != YEAR:
        return f"限{deadline.year}年{deadline.month}月{deadline.day}日前整改"
    return f"限{deadline.month}月{deadline.day}日前整改"
