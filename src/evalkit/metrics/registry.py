"""The campaign's metrics, each declared once as a ``MetricDef``.

A definition says what a metric is (Chinese name, formula, unit, direction, plan clause)
and how it is put together, and every other list is derived from it:

* ``aggregation`` — how it aggregates from ledger rows, over months and over units:
  ``sum`` (additive: ytd = Σ months, town = Σ units), ``distinct`` (家: distinct
  enterprises; ytd and town are unions, not sums), ``stock`` (a registry count, the
  same whatever the period; town = Σ units), ``rate`` (numerator ÷ denominator × 100,
  recomputed at every level, never summed or averaged);
* ``reported_combine`` — how ``source="reported"`` combines the monthly 附件2 rows
  over a quarter (``REPORTED_COMBINE`` has the text; docs/metrics.md):
  ``sum`` Σ of the months' 本月数; ``latest`` the last month's 本月数; ``cumulative``
  the last month's 累计数 when the quarter is Q1, otherwise not derivable from monthly
  forms -> None (不可比) with the reason recorded; ``recompute`` (rates) from the
  combined numerator and denominator, None if either is. A year is not combined: it is
  the year so far, each unit's latest 累计数 row (``YEAR_RULE``);
* ``group`` — the section it is shown in (text tables, report sections);
* ``handling`` — counted from the 其他查处(或移送)情况 text (``evalkit.intake.handling``);
* ``reported_parts`` — a rate's numerator and denominator among the 附件2 columns;
* ``closes`` — a count whose 累计数 also grows by later closures of earlier items of
  another metric (隐患整改数 of 排查隐患数), so it is not additive over months.

``evalkit.metrics.engine`` computes the metrics; ``evalkit.audit.rules`` takes its
column lists (compared, additive, distinct, closing) from here. Adding a metric is one
``register_metric(MetricDef(...))`` below plus its hand-worked test
(tests/test_metrics_common.py fails for a metric without one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from evalkit.core.forms import FIGURES
from evalkit.exceptions import UnknownMetricError
from evalkit.intake import handling as vocabulary

__all__ = [
    "MetricDef", "COMPONENTS", "CELL_COMPONENTS", "AGGREGATIONS", "REPORTED_COMBINE", "HANDLING_METRICS",
    "OTHER_GROUP", "register_metric", "get_metric", "list_metrics", "metric_ids",
    "ids_by_aggregation", "text_groups",
]

# --------------------------------------------------------------------------- components
#: The quantities metrics are built from, computed per unit and for the town. Rates name
#: their numerator and denominator here; ``MetricsResult.components`` shows them. The
#: handling quantities are those the 其他查处 vocabulary can read.
COMPONENTS: dict[str, str] = {
    "supervised_total": "监管企业(单位)总数：企业名录中监管单位为本单位的企业数",
    "inspected": "现场检查企业数：范围内有台账行的不同企业数（家）",
    "inspected_in_registry": "其中在本单位名录内的企业数（家）；inspected 减去它 = 检查了名录外或其他单位名录内的企业",
    "hazards_found": "新发现的违法行为(隐患)项数（items.counts_as_hazard）",
    "hazards_rectified": "其中已整改的项数：整改情况为已整改，或被范围结束日及以前的复查闭合",
    "handled_items": ("被查处的新违法行为(隐患)项数：发现它的检查行有立案案号或简易程序当场罚款（限额内），"
                      "或范围结束日及以前的复查行（同一企业、同一隐患或同一违法行为代码）逾期未改立案或简易程序罚款"),
    "case_handled_items": ("立案查处的新违法行为(隐患)项数：发现它的检查行有立案案号，或范围结束日及以前的复查行"
                           "（同一企业、同一隐患或同一违法行为代码）逾期未改立案（简易程序罚款不计）"),
    "case_items": "有立案案号的检查行上的新违法行为(隐患)项数",
    "cases_filed": "有立案案号的不同企业数（家）",
    "violating_enterprises": "有新违法行为(隐患)的不同企业数（家）",
    "cases_among_violating": "既有立案案号又有新违法行为(隐患)的不同企业数（家）",
    "rectification_orders": "责令整改数：有新违法行为(隐患)的检查行数（每次检查下一份整改指令）",
    "fines_micro": "罚款金额合计，单位 1e-6 万元（整数，精确求和）",
    **{m: f"从 其他查处(或移送)情况 读出的 {FIGURES.column(m).header}" for m in vocabulary.HANDLING_METRICS},
    "reports_verified": "备注含“举报”的检查行数（件）",
}

#: The components each 附件1 cell feeds, for the cells intake may leave unknown while keeping
#: the row (``evalkit.intake.records.BLANKABLE_COLUMNS``; ``Dataset.ledger.unreadable``). A
#: metric built on such a component is marked incomplete (``MetricsResult.incomplete``) for a
#: unit and scope holding an unreadable cell: its value counts only the cells that were read.
CELL_COMPONENTS: dict[str, tuple[str, ...]] = {
    "fine_wan": ("fines_micro",),
}

# --------------------------------------------------------------------------- definitions
Kind = Literal["count", "distinct", "money", "rate"]
Aggregation = Literal["sum", "distinct", "stock", "rate"]
Combine = Literal["sum", "latest", "cumulative", "recompute"]

_ROUNDING = {
    "count": "整数",
    "distinct": "整数（不同企业数）",
    "money": "万元，4位小数，ROUND_HALF_UP",
    "rate": "百分数，2位小数，ROUND_HALF_UP；分母为0时为 null（不适用）",
}
#: aggregation -> how the ledger source aggregates (over months, and units into the town).
AGGREGATIONS: dict[str, str] = {
    "sum": "可加：累计 = 各月之和，全镇合计 = 各单位之和",
    "distinct": "不同企业数（家）：累计与全镇合计为企业集合的并集，不是相加",
    "stock": "存量（名录企业数），与期间无关，不随月份相加；全镇合计 = 各单位之和",
    "rate": "比率：由同一范围的分子、分母重算，不相加、不平均",
}
_DEFAULT_AGGREGATION = {"count": "sum", "money": "sum", "distinct": "distinct", "rate": "rate"}
#: reported_combine -> how the reported source combines the months of a quarter.
REPORTED_COMBINE: dict[str, str] = {
    "sum": "季度为各月本月数之和",
    "latest": "季度取最后一个月的本月数（存量，不相加）",
    "cumulative": ("一季度取3月的累计数；其他季度按月报表无法得出"
                   "（家数、会被后月复查闭合的整改数都不能逐月相加，附件2 没有季度累计数），为 None（不可比），"
                   "原因记入 not_applicable"),
    "recompute": "季度由合并后的分子、分母重算，任一为 None 时为 None（不适用）",
}
#: How the reported source gives a year, for every metric: the year so far.
YEAR_RULE = "年度（含进行中的年度，截至最新月份）取本单位最近一个月的累计数行"
_DEFAULT_COMBINE = {"sum": "sum", "stock": "latest", "distinct": "cumulative", "rate": "recompute"}
OTHER_GROUP = "其他指标"  # the section of a metric registered without a group


@dataclass(frozen=True)
class MetricDef:
    """One metric, defined once.

    kind        the value: count (整数), distinct (家: distinct enterprises), money (万元), rate (%)
    component   the ``COMPONENTS`` id a count/money metric reads (handling metrics: their id)
    numerator, denominator   the ``COMPONENTS`` ids of a rate (ledger source)
    notes       edge cases and reading choices
    reported    extra notes on the reported source (the rule itself follows reported_combine)
    aggregation sum | distinct | stock | rate (``AGGREGATIONS``); default from kind
    reported_combine  sum | latest | cumulative | recompute (``REPORTED_COMBINE``); default
                from aggregation: sum -> sum, stock -> latest, distinct -> cumulative,
                rate -> recompute
    group       the section title (text tables, report sections); "" -> 其他指标
    handling    read from the 其他查处(或移送)情况 text by ``evalkit.intake.handling``
    reported_parts  a rate's (numerator, denominator) among the 附件2 metric ids; default
                (numerator, denominator). A None numerator (the form has no such column) is
                rebuilt per month and unit as submitted rate × denominator / 100.
    closes      the metric whose items this count closes late (隐患整改数 -> 排查隐患数): its
                累计数 may exceed the sum of 本月数 but never the other's 累计数
    """

    id: str
    name_zh: str
    formula: str
    unit: str
    higher_is_better: bool | None  # None: context, not a performance measure
    clause: str
    kind: Kind
    component: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    notes: str = ""
    reported: str = ""
    aggregation: Aggregation | None = None
    reported_combine: Combine | None = None
    group: str = ""
    handling: bool = False
    reported_parts: tuple[str | None, str] | None = None
    closes: str | None = None

    def __post_init__(self):
        # Defaults that follow from other fields (frozen: set through object.__setattr__).
        if self.aggregation is None:
            object.__setattr__(self, "aggregation", _DEFAULT_AGGREGATION.get(self.kind))
        if self.reported_combine is None:
            object.__setattr__(self, "reported_combine", _DEFAULT_COMBINE.get(self.aggregation))
        if self.handling and self.component is None:
            object.__setattr__(self, "component", self.id)

    @property
    def parts(self) -> tuple[str, ...]:
        """The ``COMPONENTS`` it is computed from (ledger source): its component, or a rate's
        numerator and denominator."""
        return tuple(p for p in (self.component, self.numerator, self.denominator) if p is not None)

    @property
    def rounding(self) -> str:
        return _ROUNDING[self.kind]

    @property
    def decimals(self) -> int:
        return {"rate": 2, "money": 4}.get(self.kind, 0)

    @property
    def text_kind(self) -> str:
        """The ``_text.format_value`` kind it is printed as: rate, money or count."""
        return {"rate": "rate", "money": "money"}.get(self.kind, "count")

    @property
    def header(self) -> str:
        """Column header for tables: the Chinese name with its unit."""
        return f"{self.name_zh}({self.unit})"

    @property
    def on_form(self) -> bool:
        """True when 附件2 has a column of this id (reported, compared by the audit)."""
        return self.id in FIGURES.keys

    @property
    def section(self) -> str:
        return self.group or OTHER_GROUP

    @property
    def reported_pair(self) -> tuple[str | None, str | None]:
        """A rate's (numerator, denominator) for the reported source; (None, None) otherwise."""
        if self.kind != "rate":
            return (None, None)
        return self.reported_parts or (self.numerator, self.denominator)

    @property
    def reported_rule(self) -> str:
        """How ``source="reported"`` obtains the metric, month / ytd / quarter and year."""
        if not self.on_form and self.kind != "rate":
            return "附件2 无此栏目，报送口径为 None（不适用）。"
        if self.kind == "rate":
            num, den = self.reported_pair
            parts = f"{_name(num) if num else '报送率×' + _name(den) + '/100'} / {_name(den)}"
            month = "月、ytd 取报送值（分母报送为0时不适用）" if self.on_form else f"月、ytd 由报送的 {parts} 重算"
            year = "取报送值" if self.on_form else f"由其中的 {parts} 重算"
            return f"{month}；{YEAR_RULE}，{year}；季度由合并后的 {parts} 重算，任一为 None 时不适用。"
        return f"月取本月数行，ytd 取最后一个月的累计数行，{YEAR_RULE}；{REPORTED_COMBINE[self.reported_combine]}。"

    @property
    def doc(self) -> str:
        """The docstring of the metric's plain function."""
        direction = {True: "越高越好", False: "越低越好", None: "背景量，不分高低"}[self.higher_is_better]
        rng = "[0, 100]，分母为0时为 None（不适用）" if self.kind == "rate" else ">= 0"
        lines = [
            f"{self.name_zh}（{self.id}，单位：{self.unit}）。",
            "",
            f"公式：{self.formula}",
            f"取值：{rng}；{direction}。",
            f"汇总：{AGGREGATIONS[self.aggregation]}（aggregation={self.aggregation}）。",
            f"舍入：{self.rounding}。",
            f"出处：{self.clause}。",
        ]
        if self.notes:
            lines.append(f"说明：{self.notes}")
        lines.append(f"报送口径（source='reported'，reported_combine={self.reported_combine}）：{self.reported_rule}")
        if self.reported:
            lines.append(f"报送口径说明：{self.reported}")
        lines += ["", "Returns the value for ``unit``, or with ``unit=None`` the town total;",
                  "arguments as ``compute_metrics``."]
        return "\n".join(lines)


def _name(metric_id: str | None) -> str:
    return _REGISTRY[metric_id].name_zh if metric_id in _REGISTRY else str(metric_id)


_REGISTRY: dict[str, MetricDef] = {}
#: Metric id -> unit, for the registered metrics read from 其他查处(或移送)情况, in
#: registration (附件2) order; register_metric keeps it up to date.
HANDLING_METRICS: dict[str, str] = {}


def _problems(defn: MetricDef) -> list[str]:
    """What is wrong with a definition, as Chinese messages (empty: it can be registered)."""
    out = []
    if not (defn.name_zh and defn.formula and defn.clause):
        out.append("缺少中文名称、公式或出处")
    if defn.aggregation not in AGGREGATIONS:
        out.append(f"aggregation={defn.aggregation!r} 无效，应为 {' | '.join(AGGREGATIONS)}")
    elif (defn.kind == "rate") != (defn.aggregation == "rate") or (
            (defn.kind == "distinct") != (defn.aggregation == "distinct")):
        out.append(f"kind={defn.kind} 与 aggregation={defn.aggregation} 不一致")
    elif defn.aggregation == "stock" and defn.kind != "count":
        out.append("stock 只能用于整数计数")
    elif defn.kind != "rate" and (defn.unit == "家") != (defn.aggregation in ("distinct", "stock")):
        out.append("以“家”为单位的计数是不同企业数（distinct）或存量（stock），其他单位的计数不能按企业去重")
    if defn.reported_combine not in REPORTED_COMBINE:
        out.append(f"reported_combine={defn.reported_combine!r} 无效，应为 {' | '.join(REPORTED_COMBINE)}")
    elif (defn.kind == "rate") != (defn.reported_combine == "recompute"):
        out.append("比率的 reported_combine 应为 recompute，其他指标不能为 recompute")
    if defn.handling:
        if defn.id not in vocabulary.HANDLING_METRICS:
            out.append("handling=True 但 evalkit.intake.handling.HANDLING_TERMS 没有读它的词条")
        elif vocabulary.HANDLING_METRICS[defn.id] != defn.unit:
            out.append(f"单位 {defn.unit} 与词表的 {vocabulary.HANDLING_METRICS[defn.id]} 不一致")
        if defn.component != defn.id:
            out.append("handling 指标的 component 应为其 id")
    needed = [defn.component] if defn.kind != "rate" else [defn.numerator, defn.denominator]
    unknown = [c for c in needed if c not in COMPONENTS]
    if unknown:
        out.append(f"引用了未知的组成量 {unknown}；可用：{', '.join(COMPONENTS)}")
    if defn.kind == "rate":
        num, den = defn.reported_pair
        for part in (num, den):
            if part is not None and (part not in _REGISTRY or _REGISTRY[part].kind == "rate"):
                out.append(f"报送口径的分子/分母 {part!r} 应为已注册的非比率指标")
        if den is None or (num is None and not defn.on_form):
            out.append("报送口径缺少分母，或分子为 None 而附件2 没有此比率栏目")
    if defn.closes is not None and defn.closes not in _REGISTRY:
        out.append(f"closes={defn.closes!r} 不是已注册的指标")
    return out


def register_metric(defn: MetricDef) -> MetricDef:
    """Add a metric to the registry. An id registered twice, or an inconsistent definition
    (unknown components, aggregation not fitting kind or unit, …), is refused (ValueError)."""
    if defn.id in _REGISTRY:
        raise ValueError(f"指标 {defn.id!r} 已注册，不能重复注册")
    problems = _problems(defn)
    if problems:
        raise ValueError(f"指标 {defn.id!r} " + "；".join(problems))
    _REGISTRY[defn.id] = defn
    if defn.handling:
        HANDLING_METRICS[defn.id] = defn.unit
    return defn


def get_metric(metric_id: str) -> MetricDef:
    """The definition of ``metric_id``; UnknownMetricError lists the valid ids."""
    try:
        return _REGISTRY[metric_id]
    except KeyError:
        raise UnknownMetricError(metric_id, list(_REGISTRY)) from None


def list_metrics() -> list[MetricDef]:
    """Every registered definition, in 附件2 column order."""
    return list(_REGISTRY.values())


def metric_ids() -> list[str]:
    """Every registered id, in 附件2 column order."""
    return list(_REGISTRY)


def ids_by_aggregation(aggregation: str, *, on_form: bool | None = None) -> list[str]:
    """Registered ids with this ``aggregation`` (and, if given, on 附件2 or not), in order."""
    return [d.id for d in _REGISTRY.values()
            if d.aggregation == aggregation and (on_form is None or d.on_form == on_form)]


def text_groups(definitions: Iterable[MetricDef] | None = None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(section title, metric ids) of ``definitions`` (default: the registry) in order of
    first appearance; metrics without a group last, under 其他指标."""
    defs = list(_REGISTRY.values() if definitions is None else definitions)
    groups: dict[str, list[str]] = {}
    for d in defs:
        if d.group:
            groups.setdefault(d.group, []).append(d.id)
    other = [d.id for d in defs if not d.group]
    return tuple((t, tuple(ids)) for t, ids in [*groups.items(), (OTHER_GROUP, other)] if ids)


# --------------------------------------------------------------------------- the metrics
_R = register_metric
_PLAN6 = "方案二(六) 执法力度（检查覆盖率、隐患整改率、违法行为查处率）"
_FIG = "附件2"
_FROM_HANDLING = ("从 附件1 其他查处(或移送)情况 的文字中读出（词表见 evalkit.intake.handling 与 docs/metrics.md）；")
_G_COVER, _G_HAZARD, _G_CASE = "检查覆盖", "隐患排查整改", "立案情况"
_G_PUNISH, _G_EXPOSE = "惩处情况", "曝光、惩戒、移送与举报"
_R(MetricDef(
    "supervised_total", "监管企业(单位)总数", "企业名录中监管单位为本单位的企业数", "家", None,
    f"方案二(二) 明确每个生产经营单位的安全监管主体；{_FIG} 监管企业(单位)总数", "count",
    component="supervised_total", aggregation="stock", group=_G_COVER,
    notes="取自 Dataset.units.supervised_total，与期间无关；全镇合计为各单位之和（每家企业只有一个监管单位）。"))
_R(MetricDef(
    "inspected", "现场监督检查企业(单位)数", "范围内至少有一行台账的不同企业数", "家", True,
    f"方案二(二) 计划执法；附件1 受检企业(单位)名称；{_FIG} 现场监督检查企业(单位)数", "distinct",
    component="inspected", group=_G_COVER,
    notes="按 enterprise_name（名录名称，未匹配则为填写名称）去重：4月、5月都检查的企业在累计中只算一次；"
          "复查行也是现场检查。"))
_R(MetricDef(
    "coverage_rate", "检查覆盖率", "本单位名录内被检查的企业数 / 监管企业(单位)总数 × 100", "%", True,
    f"{_PLAN6}；{_FIG} 备注2", "rate",
    numerator="inspected_in_registry", denominator="supervised_total",
    reported_parts=("inspected", "supervised_total"), group=_G_COVER,
    notes="分子只计本单位名录内的企业，使覆盖率不超过100；"
          "检查名录外企业的数目见 components（inspected − inspected_in_registry）。",
    reported="报送口径无法区分名录外企业，季度、年度用 现场检查企业数 / 监管企业总数 重算，可能超过100。"))
_R(MetricDef(
    "hazards_found", "排查隐患数", "范围内新发现的违法行为(隐患)项数", "处", True,
    f"方案二(五) 隐患排查治理；附件1 安全生产违法行为(隐患)；{_FIG} 检查情况 排查隐患数", "count",
    component="hazards_found", group=_G_HAZARD,
    notes="复查行上与此前未闭合隐患相同的项是旧隐患的复述，不计（items.counts_as_hazard=False）。"))
_R(MetricDef(
    "hazards_rectified", "隐患整改数", "范围内发现的隐患中已整改的项数", "处", True,
    f"附件1 完成整改情况；{_FIG} 检查情况 隐患整改数", "count",
    component="hazards_rectified", closes="hazards_found", group=_G_HAZARD, reported_combine="cumulative",
    notes="整改情况为已整改，或后来的复查行在范围结束日及以前确认已整改（closed_date）。"
          "只计本范围内发现的隐患，因此不超过排查隐患数；累计值不等于各月之和（后月的复查会闭合前月的隐患）。",
    reported="各月本月数之和只是下限（不含季度内后月复查对前月隐患的闭合），所以季度、年度不相加："
             "从1月开始的取最后一个月的累计数，其他季度为不可比（隐患整改率随之不可比）。"))
_R(MetricDef(
    "rectification_rate", "隐患整改率", "隐患整改数 / 排查隐患数 × 100", "%", True,
    f"{_PLAN6}；{_FIG} 备注2", "rate",
    numerator="hazards_rectified", denominator="hazards_found", group=_G_HAZARD,
    notes="附件2 没有此列，但备注2 给出了定义。"))
_R(MetricDef(
    "cases_filed", "立案数", "范围内有立案案号的不同企业数", "家", True,
    f"方案二(五) 开展立案调查，实施行政处罚；附件1 立案案号；{_FIG} 立案情况 立案数", "distinct",
    component="cases_filed", group=_G_CASE,
    notes="空白或只有空格的案号不算立案。"))
_R(MetricDef(
    "case_ratio", "立案占实际检查企业比例", "立案数 / 现场监督检查企业(单位)数 × 100", "%", True,
    f"{_FIG} 立案情况 占实际检查企业(单位)总数比例", "rate",
    numerator="cases_filed", denominator="inspected", group=_G_CASE))
_R(MetricDef(
    "violation_handling_rate", "违法行为查处率",
    "被查处的违法行为(隐患)项数（发现它的检查行立案或简易程序当场罚款，或范围结束日前的复查行逾期未改立案或罚款）"
    "/ 排查隐患数 × 100",
    "%", True,
    f"{_PLAN6}；{_FIG} 备注2（脚注缺字）", "rate",
    numerator="handled_items", denominator="hazards_found",
    reported_parts=(None, "hazards_found"), group=_G_CASE,
    notes="附件2 备注2 的脚注缺字（“违法行为数/排查隐患数”）；默认口径如上：一项隐患在发现它的检查行立案"
          "或按简易程序当场罚款（行政处罚法第五十一条：对单位3000元、对公民200元以下，不立案；与核查规则7同一口径，"
          "intake.handling.is_summary_fine），或在范围结束日及以前复查时逾期未改、在复查行立案或罚款"
          "（方案二（五）逾期未整改的依法从重查处），都算查处"
          "（metrics.escalation）。另四种口径可在 config/metrics.yaml 中选择（violation_handling_rate.variant），"
          "见 VIOLATION_HANDLING_VARIANTS。分子只计本范围新发现的隐患项，故不超过100。",
    reported="报送值是单位自己的口径；附件2 没有查处数栏目，"
             "季度、年度与全镇合计把各月 报送率×排查隐患数/100 相加后除以隐患数之和。"))
_R(MetricDef(
    "suspended", "责令停产停业整顿", "其他查处情况中有停产停业整顿的不同企业数", "家", True,
    f"方案二(四) 停产整顿；{_FIG} 惩处情况 责令停产停业整顿", "distinct", handling=True, group=_G_PUNISH,
    notes=_FROM_HANDLING + "同一企业多次停产整顿只算一家。"))
_R(MetricDef(
    "fines_wan", "罚款金额", "范围内罚款金额之和", "万元", True,
    f"方案二(五) 严格执行处罚；附件1 罚款金额(万)；{_FIG} 惩处情况 罚款金额(万元)", "money",
    component="fines_micro", group=_G_PUNISH,
    notes="空白单元格按0计；无法识别的单元格（如“待定”）为未知：不计入，并在 MetricsResult.incomplete 中标为不完整；"
          "以分（1e-6 万元）为步长精确求和后按 ROUND_HALF_UP 保留4位小数。"))
_R(MetricDef(
    "closure_requested", "提请关闭企业(单位)", "其他查处情况中有提请关闭、关闭取缔的不同企业数", "家", True,
    f"方案二(四) 关闭取缔；{_FIG} 惩处情况 提请关闭企业(单位)", "distinct", handling=True, group=_G_PUNISH,
    notes=_FROM_HANDLING + "按企业去重。"))
_R(MetricDef(
    "licenses_suspended", "暂扣吊销有关证件", "其他查处情况中暂扣、吊销证照的件数之和", "件", True,
    f"方案二(四) 依法精准采取执法措施；{_FIG} 惩处情况 暂扣吊销有关证件", "count", handling=True, group=_G_PUNISH,
    notes=_FROM_HANDLING + "读出“2本”“3件”等件数，未写数字按1件。"))
_R(MetricDef(
    "blacklisted", "纳入黑名单", "其他查处情况中纳入黑名单的不同企业数", "家", True,
    f"方案二(一) 诚信体系建设、纳入社会信用管理；{_FIG} 曝光、惩戒情况 纳入黑名单", "distinct",
    handling=True, group=_G_EXPOSE, notes=_FROM_HANDLING + "按企业去重。"))
_R(MetricDef(
    "joint_punishment", "联合惩戒", "其他查处情况中实施联合惩戒的不同企业数", "家", True,
    f"方案二(一) 纳入社会信用管理；{_FIG} 曝光、惩戒情况 联合惩戒（单位按“家”读，见 forms.OCR_READINGS）",
    "distinct", handling=True, group=_G_EXPOSE, notes=_FROM_HANDLING + "按企业去重。"))
_R(MetricDef(
    "criminal_referrals", "移送追究刑事责任",
    "其他查处情况（该栏未写移送时看备注）中移送公安、司法机关的人数之和", "人", True,
    f"方案二(三) 及时移送司法机关，杜绝以罚代刑；{_FIG} 曝光、惩戒情况 移送追究刑事责任", "count",
    handling=True, group=_G_EXPOSE, notes=_FROM_HANDLING + "读出“2人”“两名”等人数，未写数字按1人；其他查处未写移送、"
    "备注写了的，按备注计（intake.handling.criminal_referrals，与核查规则6同一读法）。"))
_R(MetricDef(
    "referred_other", "移送其他部门", "其他查处情况中移送、移交其他部门的起数之和", "起", True,
    f"方案二(四) 移交纪检监察机关、部门协调联动；{_FIG} 曝光、惩戒情况 移送其他部门", "count",
    handling=True, group=_G_EXPOSE,
    notes=_FROM_HANDLING + "移送公安、司法机关的计入移送追究刑事责任，不在此重复计。"))
_R(MetricDef(
    "reports_verified", "举报核查数", "备注中含“举报”的检查行数", "件", True,
    f"方案二(一) 安全生产举报工作机制、二(四) 举报奖励；{_FIG} 举报奖励情况 举报核查数",
    "count", component="reports_verified", group=_G_EXPOSE,
    notes="台账没有举报列：默认把备注含“举报”的检查行当作一次举报核查（只能统计形成检查记录的核查，是下限）；"
          "配置 reports_verified.ledger: none 时输出 None（不适用）。"))
del _R
