"""The sample town: reporting units, their profiles, the enterprise registry and the plan.

Part of the sample generator (``evalkit.sample.generate``). Everything here is drawn from one
``random.Random`` so the same seed gives the same town.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

VILLAGES = ("蚶江", "锦里", "大厦", "石农", "石渔", "莲东", "莲中", "莲西", "青莲", "洪窟",
            "锦亭", "水头", "莲塘", "溪前", "厝仔", "石壁", "锦江", "东埯", "古山")

#: Key industries as the registry writes them (重点行业); None = 否.
KEY_INDUSTRIES = ("危化品", "渔业船舶", "烟花爆竹", "民爆物品", "重点建设施工项目", "两客一危", "校车")


@dataclass(frozen=True)
class Profile:
    """How a unit works. ``tier`` names the profile; the numbers drive the simulation.

    coverage     share of its enterprises inspected at least once in the year
    visits       mean inspections per covered enterprise per year (key industries get more)
    case_rate    chance that an inspection with hazards is filed as a case
    onspot       chance that a hazard is rectified on the spot
    recheck      chance that a pending hazard is re-inspected (复查)
    blank_rect   chance that 完成整改情况 is left blank for a pending hazard
    fine_level   0..1, where in the legal range the unit's fines sit
    """

    tier: str
    coverage: float
    visits: float
    case_rate: float
    onspot: float
    recheck: float
    blank_rect: float = 0.0
    fine_level: float = 0.3


TIERS = {
    "strong": Profile("strong", 0.96, 7.0, 0.30, 0.50, 0.99, 0.0, 0.45),
    "good": Profile("good", 0.85, 5.5, 0.15, 0.40, 0.93, 0.0, 0.30),
    "mid": Profile("mid", 0.68, 3.6, 0.10, 0.35, 0.60, 0.05, 0.20),
    "weak": Profile("weak", 0.38, 1.6, 0.0, 0.20, 0.15, 0.35, 0.10),
}


@dataclass(frozen=True)
class Style:
    """How a unit fills in its workbooks (each unit keeps its own template all year)."""

    file_name: str  # a format string, see samplegen_write.FILE_NAMES
    two_files: bool = False  # 附件1 and 附件2 sent as separate files
    header: str = "standard"  # standard | blank_row | note_row | meta_split
    dates: str = "excel"  # excel | dotted | md | iso | slash | cn | mixed
    items: str = "dot"  # dot ("1. …\n2. …") | comma ("1、…；2、…") | fullwidth
    sep: str = "、"  # between inspector names
    money: str = "number"  # number | wan_text ("0.5万") | yuan_text ("5000元")
    sheets: tuple[str, str] = ("统计表一", "统计表二")
    month_text: str = "{m}"  # rendered before 月: "5" -> 5月, "2024年5" -> 2024年5月
    subfolder: bool = False  # files in submissions/2024-MM/<unit>/
    case_brackets: str = "〔〕"
    long_law_name: bool = False  # 《中华人民共和国安全生产法》


@dataclass(frozen=True)
class Unit:
    name: str
    kind: str  # 村 | 部门
    tier: str
    case_prefix: str  # cases filed by (or jointly for) the unit
    size: int  # enterprises supervised (before scripted extras)
    sectors: tuple[tuple[str, float], ...]  # (sector id, share)
    style: Style = field(default_factory=lambda: Style("{unit}{m}月执法统计"))

    @property
    def profile(self) -> Profile:
        return TIERS[self.tier]


_V = "village"
# Village sizes and tiers; strong: 石壁 蚶江 锦里; weak: 厝仔 东埯 古山.
_VILLAGE_SETUP = {
    "蚶江": (30, "strong"), "锦里": (26, "strong"), "大厦": (18, "mid"), "石农": (14, "mid"),
    "石渔": (12, "mid"), "莲东": (24, "mid"), "莲中": (20, "mid"), "莲西": (22, "mid"),
    "青莲": (16, "mid"), "洪窟": (15, "mid"), "锦亭": (18, "mid"), "水头": (20, "good"),
    "莲塘": (22, "good"), "溪前": (14, "mid"), "厝仔": (16, "weak"), "石壁": (28, "strong"),
    "锦江": (20, "good"), "东埯": (15, "weak"), "古山": (18, "weak"),
}

_VILLAGE_SECTORS = (("garment", 0.38), ("textile", 0.10), ("shoes", 0.08), ("trims", 0.14),
                    ("workshop", 0.10), ("rental", 0.08), ("warehouse", 0.06), ("eatery", 0.06))

_VILLAGE_STYLES = {
    "蚶江": Style("{unit}{m}月执法统计", header="standard", dates="excel"),
    "锦里": Style("锦里村{yyyy}年{m}月安全生产执法统计表", header="meta_split", dates="dotted",
                 items="comma"),
    "大厦": Style("{m}月份{unit}统计表（一）（二）", dates="md"),
    "石农": Style("{unit}-{yyyy}.{mm}", header="blank_row", dates="slash", sheets=("附件1", "附件2")),
    "石渔": Style("石渔村执法统计{yyyy}{mm}", dates="cn", items="fullwidth"),
    "莲东": Style("附件{form} {unit} {m}月", two_files=True, dates="iso"),
    "莲中": Style("{unit}{m}月报表", header="note_row", dates="mixed", sep="，"),
    "莲西": Style("莲西村{m}月安全执法台账及汇总", dates="dotted", sheets=("Sheet1", "Sheet2")),
    "青莲": Style("青莲村{yyyy}年{m}月统计表", items="comma", month_text="{yyyy}年{m}"),
    "洪窟": Style("{unit}{m}月执法统计", header="blank_row", dates="md"),
    "锦亭": Style("{yyyy}年{m}月{unit}执法提升统计", dates="excel", money="wan_text"),
    "水头": Style("水头村{m}月", header="meta_split", dates="iso", sep=" "),
    "莲塘": Style("{unit}执法统计表（{m}月）", dates="mixed", items="fullwidth"),
    "溪前": Style("溪前{mm}", dates="slash", sheets=("{m}月台账", "{m}月汇总")),
    "厝仔": Style("厝仔村{m}月份报表", header="note_row", dates="md", items="comma"),
    "石壁": Style("{unit}{m}月执法统计", dates="excel", subfolder=False),
    "锦江": Style("蚶江镇{unit}{yyyy}年{m}月执法统计", dates="cn", money="yuan_text"),
    "东埯": Style("新建 Microsoft Excel 工作表", dates="dotted", sheets=("Sheet1", "Sheet2")),
    "古山": Style("古山{m}月", header="blank_row", dates="md", sep="，"),
}

# name, tier, case prefix, size, sectors, style
_DEPARTMENTS = (
    ("镇应急管理站", "strong", "狮蚶应急罚", 45,
     (("hazchem", 10 / 45), ("fireworks", 12 / 45), ("factory", 23 / 45)),
     Style("附件1-2 {unit} {yyyy}.{mm}", dates="excel", month_text="{yyyy}年{m}")),
    ("综合执法队", "good", "狮蚶综执罚", 30,
     (("transport", 10 / 30), ("gas_supply", 5 / 30), ("eatery", 15 / 30)),
     Style("附件{form}-综合执法队-{yyyy}年{m}月", two_files=True, header="note_row", dates="iso",
           case_brackets="[]")),
    ("规划建设办", "good", "狮蚶建罚", 22, (("construction", 1.0),),
     Style("规划建设办{m}月执法统计", header="blank_row", dates="dotted", long_law_name=True)),
    ("经济发展办", "weak", "狮蚶应急罚", 45,
     (("garment_big", 0.45), ("textile_big", 0.25), ("logistics", 0.30)),
     Style("经发办{yyyy}年{m}月附件{form}", two_files=True, dates="cn")),
    ("社会事务办", "mid", "狮蚶社罚", 12, (("school", 1.0),),
     Style("社会事务办-{m}月", dates="md", items="comma")),
    ("蚶江市场监管所", "good", "狮市监蚶罚", 40,
     (("eatery", 0.5), ("equipment", 0.375), ("market", 0.125)),
     Style("市场监管所{yyyy}{mm}执法统计", header="meta_split", dates="slash",
           long_law_name=True)),
    ("蚶江消防救援站", "good", "狮蚶消行罚", 30, (("crowded", 1.0),),
     Style("消防站{m}月安全生产执法统计表", dates="mixed", sheets=("附件1", "附件2"))),
    ("渔业海事站", "strong", "狮蚶渔罚", 34, (("fishery", 1.0),),
     Style("{m}月报表", dates="excel", subfolder=True, items="fullwidth")),
)

#: Per sector: (行业 as the registry writes it, key industry or None, risk weights
#: (重大, 较大, 一般, 低)).
SECTORS = {
    "garment": ("服装（西裤）制造", None, (0, 1, 5, 4)),
    "garment_big": ("服装制造", None, (0, 3, 6, 1)),
    "textile": ("纺织", None, (0, 2, 5, 3)),
    "textile_big": ("纺织印染", None, (1, 4, 4, 1)),
    "shoes": ("制鞋", None, (0, 2, 5, 3)),
    "trims": ("服装辅料", None, (0, 1, 5, 4)),
    "workshop": ("家庭作坊", None, (0, 2, 5, 3)),
    "rental": ("厂房出租", None, (0, 1, 5, 4)),
    "warehouse": ("仓储", None, (0, 2, 6, 2)),
    "eatery": ("餐饮（燃气）", None, (0, 2, 5, 3)),
    "factory": ("工贸企业（粉尘涉爆、有限空间）", None, (2, 5, 3, 0)),
    "hazchem": ("危险化学品经营", "危化品", (6, 4, 0, 0)),
    "fireworks": ("烟花爆竹零售", "烟花爆竹", (2, 6, 2, 0)),
    "transport": ("道路运输（两客一危）", "两客一危", (4, 6, 0, 0)),
    "gas_supply": ("瓶装燃气供应", None, (2, 6, 2, 0)),
    "construction": ("建设施工", "重点建设施工项目", (3, 6, 1, 0)),
    "logistics": ("港口物流", None, (1, 4, 4, 1)),
    "school": ("学校（校车）", "校车", (0, 6, 4, 0)),
    "equipment": ("特种设备使用", None, (0, 4, 5, 1)),
    "market": ("商贸市场", None, (0, 3, 6, 1)),
    "crowded": ("人员密集场所", None, (1, 4, 5, 0)),
    "fishery": ("渔业船舶", "渔业船舶", (2, 6, 2, 0)),
}

RISK_LEVELS = ("重大", "较大", "一般", "低")

BRANDS = tuple("恒达 金利 鸿运 华鑫 宏盛 永兴 信诚 锦华 嘉禾 瑞丰 万隆 海峰 顺发 源泰 联兴 佳美 凯旋 新宏 "
               "福华 龙腾 东方 润泽 腾飞 协盛 晋发 振兴 长丰 富源 泰和 明达 荣昌 祥和 裕隆 天成 盛达 "
               "汇丰 金港 海联 闽星 蓝海 南洋 豪利 名仕 雅琪 帝豪 柏仕 红狮 丰泽 通达 安泰 百盛 利达 "
               "金丰 鑫源 宝隆 华峰 诚信 鸿祥 恒兴 美华 伟达 宏达 世纪 友谊 隆鑫 金源 益丰 骏达 "
               "兴隆 华泰 乐华 闽南 港湾 海欣 建兴 正大 中兴 和顺 聚福 天宏".split())

SURNAMES = tuple("蔡林王陈黄吴李洪施许郭张邱杨颜高卢龚庄")
GIVEN = tuple("建国 志强 明辉 少华 文彬 国栋 志明 伟杰 丽华 秀英 晓峰 金水 清河 振南 荣发 "
              "锦程 雅婷 佳琪 家豪 俊杰 子涵 文龙 志远 海燕 春生 美玲 永福 成功 天赐 宗泽".split())

PROJECTS = ("石湖港区三期码头", "蚶江安置房一期", "锦江路提升改造", "滨海大道蚶江段", "蚶江中心小学扩建",
            "莲塘片区安置房", "古山农贸市场改造", "水头污水管网", "石壁标准厂房", "六胜塔景区提升",
            "林銮渡文化公园", "蚶江客运站改造", "大厦村道路拓宽", "莲西标准化厂房", "石湖港区堆场",
            "锦里幼儿园新建", "青莲片区旧改", "洪窟排洪渠", "溪前村道路硬化", "锦亭社区服务中心",
            "蚶江卫生院扩建", "东埯海堤加固", "石农村安置房二期", "石渔码头改造")

_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
SHISHI = "350581"  # administrative division code of 石狮市


def credit_code(rng: random.Random, category: str = "91") -> str:
    """A plausible 18-character 统一社会信用代码 with valid check digits (GB 32100, GB 11714)."""
    body = "MA" + rng.choice("234") + "".join(rng.choice(_CODE_CHARS[:10] + "ABCDEFGHJKLMNPQRTUWXY")
                                              for _ in range(5))
    values = [int(c, 36) for c in body]
    c9 = 11 - sum(v * w for v, w in zip(values, _ORG_WEIGHTS, strict=True)) % 11
    org = body + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))
    code17 = category + SHISHI + org
    total = sum(_CODE_CHARS.index(c) * w for c, w in zip(code17, _CODE_WEIGHTS, strict=True))
    return code17 + _CODE_CHARS[(31 - total % 31) % 31]


@dataclass
class Enterprise:
    name: str
    credit_code: str
    industry: str
    unit: str
    key_industry: str | None
    risk: str
    sector: str
    village: str  # where it is, for names and the story; departments' firms too

    @property
    def is_key(self) -> bool:
        return self.key_industry is not None


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def build_units() -> list[Unit]:
    """The 19 villages and 8 departments, in report order (villages first)."""
    units = []
    for v in VILLAGES:
        size, tier = _VILLAGE_SETUP[v]
        units.append(Unit(v + "村", "村", tier, "狮蚶应急罚", size, _VILLAGE_SECTORS, _VILLAGE_STYLES[v]))
    for name, tier, prefix, size, sectors, style in _DEPARTMENTS:
        units.append(Unit(name, "部门", tier, prefix, size, sectors, style))
    return units


def _firm_name(rng: random.Random, sector: str, village: str, brand: str) -> tuple[str, str]:
    """(name, credit-code category) for a firm of ``sector`` in ``village``."""
    v = village
    forms = {
        "garment": [f"石狮市{brand}服饰有限公司", f"蚶江{brand}西裤厂", f"石狮市{brand}制衣有限公司",
                    f"石狮市{v}{brand}服装厂"],
        "garment_big": [f"石狮市{brand}服装织造有限公司", f"福建{brand}服饰股份有限公司",
                        f"石狮市{brand}时装有限公司"],
        "textile": [f"石狮市{brand}纺织有限公司", f"蚶江{brand}织造厂", f"石狮市{brand}针织有限公司"],
        "textile_big": [f"石狮市{brand}印染有限公司", f"石狮市{brand}染整有限公司"],
        "shoes": [f"石狮市{brand}鞋业有限公司", f"蚶江{brand}鞋服厂"],
        "trims": [f"石狮市{brand}服装辅料有限公司", f"石狮市{brand}拉链有限公司", f"蚶江{brand}织带厂",
                  f"石狮市{brand}纽扣有限公司", f"石狮市{brand}商标织造有限公司"],
        "workshop": [f"蚶江{v}{brand}服装加工场", f"{v}村{brand}五金加工作坊"],
        "rental": [f"石狮市{brand}物业管理有限公司（{v}出租厂房）", f"蚶江{v}{brand}标准厂房"],
        "warehouse": [f"石狮市{brand}仓储有限公司", f"蚶江{brand}货运仓库"],
        "eatery": [f"蚶江{brand}大酒楼", f"石狮市{brand}餐饮管理有限公司", f"蚶江{brand}海鲜排档",
                   f"{v}{brand}小吃店"],
        "factory": [f"石狮市{brand}五金制品有限公司", f"石狮市{brand}塑胶制品有限公司",
                    f"石狮市{brand}食品有限公司", f"石狮市{brand}水产冷冻有限公司"],
        "hazchem": [f"石狮市{brand}化工贸易有限公司", f"石狮市{brand}气体有限公司",
                    f"石狮市{brand}石油化工有限公司"],
        "fireworks": [f"石狮市蚶江{brand}烟花爆竹经营部", f"蚶江{v}{brand}烟花爆竹零售点"],
        "transport": [f"石狮市{brand}危险货物运输有限公司", f"石狮市{brand}客运有限公司",
                      f"石狮市{brand}汽车运输有限公司"],
        "gas_supply": [f"石狮市{brand}燃气有限公司蚶江供应站", f"蚶江{brand}液化气供应点"],
        "construction": [f"福建{brand}建设工程有限公司（{rng.choice(PROJECTS)}项目部）",
                         f"{brand}建设集团有限公司（{rng.choice(PROJECTS)}项目部）"],
        "logistics": [f"石狮市{brand}物流有限公司", f"石狮{brand}港务有限公司", f"石狮市{brand}国际货运代理有限公司"],
        "school": [f"石狮市{v}{brand}幼儿园", f"石狮市蚶江{brand}校车服务有限公司"],
        "equipment": [f"石狮市{brand}机械有限公司", f"石狮市{brand}电梯工程有限公司（蚶江使用点）",
                      f"石狮市{brand}钢结构有限公司"],
        "market": [f"蚶江{brand}农贸市场", f"石狮市{brand}商贸有限公司"],
        "crowded": [f"蚶江{brand}大酒店", f"蚶江{brand}KTV", f"石狮市{brand}商贸城", f"蚶江{brand}宾馆",
                    f"蚶江{brand}网吧"],
        "fishery": [f"蚶江{brand}渔业合作社", f"石狮市{brand}渔业有限公司", f"石狮市{brand}远洋渔业有限公司",
                    f"石狮市{v}{brand}渔业专业合作社"],
    }
    name = rng.choice(forms[sector])
    category = {"fishery": "93", "fireworks": "92", "workshop": "92", "school": "52"}.get(sector, "91")
    if "合作社" not in name and category == "93":
        category = "91"
    return name, category


def build_enterprises(rng: random.Random, units: list[Unit]) -> list[Enterprise]:
    """The registry: each unit's enterprises, names unique across the town."""
    used: set[str] = set()
    out: list[Enterprise] = []
    for unit in units:
        home = unit.name[:-1] if unit.kind == "村" else None
        sectors, weights = zip(*unit.sectors, strict=True)
        counts = _apportion(unit.size, weights)
        for sector, n in zip(sectors, counts, strict=True):
            industry, key, risk_w = SECTORS[sector]
            for _ in range(n):
                village = home or rng.choice(VILLAGES)
                for _attempt in range(200):
                    name, cat = _firm_name(rng, sector, village, rng.choice(BRANDS))
                    if name not in used:
                        break
                else:  # pragma: no cover - the brand list is large enough
                    raise RuntimeError(f"no unique name for {sector}")
                used.add(name)
                risk = rng.choices(RISK_LEVELS, weights=risk_w)[0]
                out.append(Enterprise(name, credit_code(rng, cat), industry, unit.name, key, risk,
                                      sector, village))
    return out


def _apportion(total: int, weights) -> list[int]:
    """Split ``total`` by ``weights`` into integers (largest remainder)."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts
