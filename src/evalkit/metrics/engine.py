"""The campaign's metrics: defined once, computed per unit and for the town total.

Each metric is one ``MetricDef`` in a registry (``get_metric``, ``list_metrics``): id,
Chinese name, formula, unit of measure, direction, the plan/form clause it comes
from, and its rounding. ``compute_metrics`` computes all of them for one period and
scope from the 附件1 ledger (``source="ledger"``) or takes them from the 附件2 figures
as submitted (``source="reported"``). Each metric also has a plain function of the
same name (``coverage_rate(dataset, "2024-05", scope="ytd", unit="石壁村")``).

Conventions (docs/metrics.md has the full table):

* A rate is numerator / denominator × 100, rounded half-up (``decimal.ROUND_HALF_UP``)
  to 2 decimals; a zero denominator gives ``None`` (不适用), never 0 or 100.
* Money is in 万元, summed exactly (in 1e-6 万元 = 分 steps) and rounded half-up to 4
  decimals.
* Counts in 家 are distinct enterprises (``enterprise_name``); the town total of such a
  count is the distinct union over units, so an enterprise inspected by two units counts
  once in the total. Counts in 处/件/人/起 are summed. Rates of the total are recomputed
  from the total's numerator and denominator, never averaged.
* Units are ``Dataset.units``; a unit without data gets 0 for counts and None for rates.
  Ledger rows of a unit not listed there are ignored.

The engine works on integer codes prepared once per dataset (``MetricsEngine``), so
each scope costs a few ``numpy.bincount`` passes over the ledger; no Python loop runs
over ledger rows. scripts/bench_metrics.py measures it against DuckDB.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.config import loader as yaml_config
from evalkit.config.models import MetricsFile
from evalkit.core.dataset import Dataset
from evalkit.core.forms import FIGURES
from evalkit.core.periods import Period, parse_period
from evalkit.exceptions import ParameterError, UnknownMetricError
from evalkit.intake.handling import HANDLING_METRICS, handling_counts

__all__ = [
    "MetricDef", "MetricsConfig", "MetricsEngine", "MetricsResult", "COMPONENTS",
    "VIOLATION_HANDLING_VARIANTS", "DEFAULT_CONFIG_PATH", "TOTAL_LABEL", "SOURCES",
    "compute_metrics", "load_config", "register_metric", "get_metric", "list_metrics",
    "metric_ids", "rate", "round_half_up", "money_wan",
    "supervised_total", "inspected", "coverage_rate", "hazards_found", "hazards_rectified",
    "rectification_rate", "cases_filed", "case_ratio", "violation_handling_rate",
    "suspended", "fines_wan", "closure_requested", "licenses_suspended", "blacklisted",
    "joint_punishment", "criminal_referrals", "referred_other", "reports_verified",
]

SOURCES = ("ledger", "reported")
TOTAL_LABEL = "全镇合计"
NOT_APPLICABLE = "不适用"
NOT_SUBMITTED = "未报送"
DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "metrics.yaml"  # for docs and users

# --------------------------------------------------------------------------- rounding


def _dec(value) -> Decimal:
    """A number as Decimal; a float goes through repr (its shortest text: 0.1 -> "0.1")."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, np.integer)):
        return Decimal(int(value))
    return Decimal(repr(float(value)))


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def round_half_up(value, decimals: int) -> float | None:
    """``value`` rounded half-up (0.125 -> 0.13 at 2 decimals); None stays None."""
    if _missing(value):
        return None
    step = Decimal(1).scaleb(-decimals)
    return float(_dec(value).quantize(step, rounding=ROUND_HALF_UP))


def rate(numerator, denominator) -> float | None:
    """numerator / denominator × 100, rounded half-up to 2 decimals.

    Range [0, 100] when numerator <= denominator. None when the denominator is 0 or
    either side is unknown: an undefined rate is 不适用, never 0 or 100.
    """
    if _missing(numerator) or _missing(denominator):
        return None
    den = _dec(denominator)
    if den == 0:
        return None
    return float((_dec(numerator) * 100 / den).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


_MICRO = 1_000_000  # fines are summed as integers of 1e-6 万元 (= 0.01 元), so sums are exact


def money_wan(micro: int) -> float:
    """An amount given in 1e-6 万元 as 万元, rounded half-up to 4 decimals."""
    return float((Decimal(int(micro)) / _MICRO).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


# --------------------------------------------------------------------------- components
#: The quantities metrics are built from, computed per unit and for the town. Rates name
#: their numerator and denominator here; ``MetricsResult.components`` shows them.
COMPONENTS: dict[str, str] = {
    "supervised_total": "监管企业(单位)总数：企业名录中监管单位为本单位的企业数",
    "inspected": "现场检查企业数：范围内有台账行的不同企业数（家）",
    "inspected_in_registry": "其中在本单位名录内的企业数（家）；inspected 减去它 = 检查了名录外或其他单位名录内的企业",
    "hazards_found": "新发现的违法行为(隐患)项数（items.counts_as_hazard）",
    "hazards_rectified": "其中已整改的项数：整改情况为已整改，或被范围结束日及以前的复查闭合",
    "case_items": "有立案案号的检查行上的新违法行为(隐患)项数",
    "cases_filed": "有立案案号的不同企业数（家）",
    "violating_enterprises": "有新违法行为(隐患)的不同企业数（家）",
    "cases_among_violating": "既有立案案号又有新违法行为(隐患)的不同企业数（家）",
    "rectification_orders": "责令整改数：有新违法行为(隐患)的检查行数（每次检查下一份整改指令）",
    "fines_micro": "罚款金额合计，单位 1e-6 万元（整数，精确求和）",
    **{m: f"从 其他查处(或移送)情况 读出的 {FIGURES.column(m).header}" for m in HANDLING_METRICS},
    "reports_verified": "备注含“举报”的检查行数（件）",
}

# --------------------------------------------------------------------------- definitions
Kind = Literal["count", "distinct", "money", "rate"]
_ROUNDING = {
    "count": "整数",
    "distinct": "整数（不同企业数）",
    "money": "万元，4位小数，ROUND_HALF_UP",
    "rate": "百分数，2位小数，ROUND_HALF_UP；分母为0时为 null（不适用）",
}


@dataclass(frozen=True)
class MetricDef:
    """One metric, defined once.

    kind        count (summed; town total = sum), distinct (家: distinct enterprises;
                town total = distinct union), money (万元), rate (%)
    component   the ``COMPONENTS`` id a count/money metric reads
    numerator, denominator   the ``COMPONENTS`` ids of a rate
    notes       edge cases and reading choices
    reported    how ``source="reported"`` obtains it from 附件2
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

    @property
    def rounding(self) -> str:
        return _ROUNDING[self.kind]

    @property
    def decimals(self) -> int:
        return {"rate": 2, "money": 4}.get(self.kind, 0)

    @property
    def header(self) -> str:
        """Column header for tables: the Chinese name with its unit."""
        return f"{self.name_zh}({self.unit})"

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
            f"舍入：{self.rounding}。",
            f"出处：{self.clause}。",
        ]
        if self.notes:
            lines.append(f"说明：{self.notes}")
        if self.reported:
            lines.append(f"报送口径（source='reported'）：{self.reported}")
        lines += ["", "Returns the value for ``unit``, or with ``unit=None`` the town total;",
                  "arguments as ``compute_metrics``."]
        return "\n".join(lines)


_REGISTRY: dict[str, MetricDef] = {}


def register_metric(defn: MetricDef) -> MetricDef:
    """Add a metric to the registry. An id registered twice is refused (ValueError)."""
    if defn.id in _REGISTRY:
        raise ValueError(f"指标 {defn.id!r} 已注册，不能重复注册")
    needed = [defn.component] if defn.kind in ("count", "distinct", "money") else [defn.numerator, defn.denominator]
    unknown = [c for c in needed if c not in COMPONENTS]
    if unknown:
        raise ValueError(f"指标 {defn.id!r} 引用了未知的组成量 {unknown}；可用：{', '.join(COMPONENTS)}")
    if not (defn.name_zh and defn.formula and defn.clause):
        raise ValueError(f"指标 {defn.id!r} 缺少中文名称、公式或出处")
    _REGISTRY[defn.id] = defn
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


_R = register_metric
_PLAN6 = "方案二(六) 执法力度（检查覆盖率、隐患整改率、违法行为查处率）"
_FIG = "附件2"
_FROM_HANDLING = ("从 附件1 其他查处(或移送)情况 的文字中读出（词表见 evalkit.intake.handling 与 docs/metrics.md）；")
_R(MetricDef(
    "supervised_total", "监管企业(单位)总数", "企业名录中监管单位为本单位的企业数", "家", None,
    f"方案二(二) 明确每个生产经营单位的安全监管主体；{_FIG} 监管企业(单位)总数", "count",
    component="supervised_total",
    notes="取自 Dataset.units.supervised_total，与期间无关；全镇合计为各单位之和（每家企业只有一个监管单位）。",
    reported="本月数/累计数行的该列；季度、年度取最后一个月本月数行（存量，不相加）。"))
_R(MetricDef(
    "inspected", "现场监督检查企业(单位)数", "范围内至少有一行台账的不同企业数", "家", True,
    f"方案二(二) 计划执法；附件1 受检企业(单位)名称；{_FIG} 现场监督检查企业(单位)数", "distinct",
    component="inspected",
    notes="按 enterprise_name（名录名称，未匹配则为填写名称）去重：4月、5月都检查的企业在累计中只算一次；复查行也是现场检查。",
    reported="本月数行；ytd 取累计数行；季度、年度见 docs/metrics.md（家数不能逐月相加）。"))
_R(MetricDef(
    "coverage_rate", "检查覆盖率", "本单位名录内被检查的企业数 / 监管企业(单位)总数 × 100", "%", True,
    f"{_PLAN6}；{_FIG} 备注2", "rate",
    numerator="inspected_in_registry", denominator="supervised_total",
    notes="分子只计本单位名录内的企业，使覆盖率不超过100；检查名录外企业的数目见 components（inspected − inspected_in_registry）。",
    reported="月、ytd 取报送值；季度、年度用 现场检查企业数 / 监管企业总数 重算（报送口径无法区分名录外企业）。"))
_R(MetricDef(
    "hazards_found", "排查隐患数", "范围内新发现的违法行为(隐患)项数", "处", True,
    f"方案二(五) 隐患排查治理；附件1 安全生产违法行为(隐患)；{_FIG} 检查情况 排查隐患数", "count",
    component="hazards_found",
    notes="复查行上与此前未闭合隐患相同的项是旧隐患的复述，不计（items.counts_as_hazard=False）。",
    reported="本月数行；ytd 取累计数行；季度、年度为各月本月数之和。"))
_R(MetricDef(
    "hazards_rectified", "隐患整改数", "范围内发现的隐患中已整改的项数", "处", True,
    f"附件1 完成整改情况；{_FIG} 检查情况 隐患整改数", "count",
    component="hazards_rectified",
    notes="整改情况为已整改，或后来的复查行在范围结束日及以前确认已整改（closed_date）。"
          "只计本范围内发现的隐患，因此不超过排查隐患数；累计值不等于各月之和（后月的复查会闭合前月的隐患）。",
    reported="本月数行；ytd 取累计数行；季度、年度为各月本月数之和。"))
_R(MetricDef(
    "rectification_rate", "隐患整改率", "隐患整改数 / 排查隐患数 × 100", "%", True,
    f"{_PLAN6}；{_FIG} 备注2", "rate",
    numerator="hazards_rectified", denominator="hazards_found",
    notes="附件2 没有此列，但备注2 给出了定义。",
    reported="由报送的隐患整改数 / 排查隐患数重算。"))
_R(MetricDef(
    "cases_filed", "立案数", "范围内有立案案号的不同企业数", "家", True,
    f"方案二(五) 开展立案调查，实施行政处罚；附件1 立案案号；{_FIG} 立案情况 立案数", "distinct",
    component="cases_filed",
    notes="空白或只有空格的案号不算立案。",
    reported="同 现场监督检查企业(单位)数。"))
_R(MetricDef(
    "case_ratio", "立案占实际检查企业比例", "立案数 / 现场监督检查企业(单位)数 × 100", "%", True,
    f"{_FIG} 立案情况 占实际检查企业(单位)总数比例", "rate",
    numerator="cases_filed", denominator="inspected",
    reported="月、ytd 取报送值；季度、年度用 立案数 / 现场检查企业数 重算。"))
_R(MetricDef(
    "violation_handling_rate", "违法行为查处率",
    "有立案案号的检查行上的违法行为(隐患)项数 / 排查隐患数 × 100", "%", True,
    f"{_PLAN6}；{_FIG} 备注2（脚注缺字）", "rate",
    numerator="case_items", denominator="hazards_found",
    notes="附件2 备注2 的脚注缺字；默认口径如上，另两种口径可在 config/metrics.yaml 中选择"
          "（violation_handling_rate.variant），见 VIOLATION_HANDLING_VARIANTS。分子只计新发现的隐患项，故不超过100。",
    reported="月、ytd 取报送值（单位自己的口径）；季度、年度把各月 报送率×排查隐患数/100 相加后除以隐患数之和。"))
_R(MetricDef(
    "suspended", "责令停产停业整顿", "其他查处情况中有停产停业整顿的不同企业数", "家", True,
    f"方案二(四) 停产整顿；{_FIG} 惩处情况 责令停产停业整顿", "distinct", component="suspended",
    notes=_FROM_HANDLING + "同一企业多次停产整顿只算一家。", reported="同 现场监督检查企业(单位)数。"))
_R(MetricDef(
    "fines_wan", "罚款金额", "范围内罚款金额之和", "万元", True,
    f"方案二(五) 严格执行处罚；附件1 罚款金额(万)；{_FIG} 惩处情况 罚款金额(万元)", "money",
    component="fines_micro",
    notes="空白单元格按0计；以分（1e-6 万元）为步长精确求和后按 ROUND_HALF_UP 保留4位小数。",
    reported="本月数行；ytd 取累计数行；季度、年度为各月本月数之和。"))
_R(MetricDef(
    "closure_requested", "提请关闭企业(单位)", "其他查处情况中有提请关闭、关闭取缔的不同企业数", "家", True,
    f"方案二(四) 关闭取缔；{_FIG} 惩处情况 提请关闭企业(单位)", "distinct",
    component="closure_requested", notes=_FROM_HANDLING + "按企业去重。",
    reported="同 现场监督检查企业(单位)数。"))
_R(MetricDef(
    "licenses_suspended", "暂扣吊销有关证件", "其他查处情况中暂扣、吊销证照的件数之和", "件", True,
    f"方案二(四) 依法精准采取执法措施；{_FIG} 惩处情况 暂扣吊销有关证件", "count",
    component="licenses_suspended", notes=_FROM_HANDLING + "读出“2本”“3件”等件数，未写数字按1件。",
    reported="本月数行；ytd 取累计数行；季度、年度为各月本月数之和。"))
_R(MetricDef(
    "blacklisted", "纳入黑名单", "其他查处情况中纳入黑名单的不同企业数", "家", True,
    f"方案二(一) 诚信体系建设、纳入社会信用管理；{_FIG} 曝光、惩戒情况 纳入黑名单", "distinct",
    component="blacklisted", notes=_FROM_HANDLING + "按企业去重。",
    reported="同 现场监督检查企业(单位)数。"))
_R(MetricDef(
    "joint_punishment", "联合惩戒", "其他查处情况中实施联合惩戒的不同企业数", "家", True,
    f"方案二(一) 纳入社会信用管理；{_FIG} 曝光、惩戒情况 联合惩戒（单位按“家”读，见 forms.OCR_READINGS）",
    "distinct", component="joint_punishment", notes=_FROM_HANDLING + "按企业去重。",
    reported="同 现场监督检查企业(单位)数。"))
_R(MetricDef(
    "criminal_referrals", "移送追究刑事责任", "其他查处情况中移送公安、司法机关的人数之和", "人", True,
    f"方案二(三) 及时移送司法机关，杜绝以罚代刑；{_FIG} 曝光、惩戒情况 移送追究刑事责任", "count",
    component="criminal_referrals", notes=_FROM_HANDLING + "读出“2人”“两名”等人数，未写数字按1人。",
    reported="本月数行；ytd 取累计数行；季度、年度为各月本月数之和。"))
_R(MetricDef(
    "referred_other", "移送其他部门", "其他查处情况中移送、移交其他部门的起数之和", "起", True,
    f"方案二(四) 移交纪检监察机关、部门协调联动；{_FIG} 曝光、惩戒情况 移送其他部门", "count",
    component="referred_other",
    notes=_FROM_HANDLING + "移送公安、司法机关的计入移送追究刑事责任，不在此重复计。",
    reported="本月数行；ytd 取累计数行；季度、年度为各月本月数之和。"))
_R(MetricDef(
    "reports_verified", "举报核查数", "备注中含“举报”的检查行数", "件", True,
    f"方案二(一) 安全生产举报工作机制、二(四) 举报奖励；{_FIG} 举报奖励情况 举报核查数",
    "count", component="reports_verified",
    notes="台账没有举报列：默认把备注含“举报”的检查行当作一次举报核查（只能统计形成检查记录的核查，是下限）；"
          "配置 reports_verified.ledger: none 时输出 None（不适用）。",
    reported="本月数行；ytd 取累计数行；季度、年度为各月本月数之和。"))
del _R

# --------------------------------------------------------------------------- configuration
#: 违法行为查处率 readings: variant -> (numerator, denominator, formula).
VIOLATION_HANDLING_VARIANTS: dict[str, tuple[str, str, str]] = {
    "case_items_per_hazard": (
        "case_items", "hazards_found", "有立案案号的检查行上的违法行为(隐患)项数 / 排查隐患数 × 100"),
    "cases_per_violating_enterprise": (
        "cases_among_violating", "violating_enterprises",
        "立案数（限有违法行为的企业）/ 发现违法行为的企业数 × 100"),
    "cases_per_rectification_order": (
        "cases_among_violating", "rectification_orders",
        "立案数（限有违法行为的企业）/ 责令整改数（发现隐患的检查次数）× 100"),
}


@dataclass(frozen=True)
class MetricsConfig:
    """Options chosen in config/metrics.yaml (or a user's ``--config`` file)."""

    violation_handling_rate: str = "case_items_per_hazard"
    reports_verified_ledger: str = "remarks"
    path: str = "<默认>"

    def apply(self, defn: MetricDef) -> MetricDef:
        """The definition as this configuration computes it."""
        if defn.id == "violation_handling_rate":
            num, den, formula = VIOLATION_HANDLING_VARIANTS[self.violation_handling_rate]
            return dataclasses.replace(defn, numerator=num, denominator=den, formula=formula)
        return defn


def load_config(config=None) -> MetricsConfig:
    """Read the metric options: None (packaged defaults), a YAML path, a dict, or a MetricsConfig.

    A user file only needs the keys it changes (merged over config/metrics.yaml by
    ``evalkit.config.loader``, validated by ``evalkit.config.models.MetricsFile``).
    Unknown keys or values raise ConfigError.
    """
    if isinstance(config, MetricsConfig):
        return config
    model, where = yaml_config.load_model("metrics", MetricsFile, config, context={
        "violation_handling_variants": list(VIOLATION_HANDLING_VARIANTS)})
    return MetricsConfig(violation_handling_rate=model.violation_handling_rate.variant,
                         reports_verified_ledger=model.reports_verified.ledger,
                         path="<默认>" if config is None else where)


# --------------------------------------------------------------------------- the ledger engine
class _Ledger:
    """The ledger as integer arrays, prepared once per dataset.

    unit (-1 for a unit not listed: such rows never enter a scope), pair (unit ×
    enterprise) and period codes; per-row flags and counts; each pair's unit and
    enterprise. Items are folded into per-row counts through row_id.
    """

    def __init__(self, dataset: Dataset, units: list[str]):
        ledger, items, reg = dataset.ledger, dataset.items, dataset.enterprises
        self.n = len(ledger)
        self.unit = _codes(ledger["unit"], units)
        ent, ent_names = pd.factorize(ledger["enterprise_name"], use_na_sentinel=False)
        self.n_ent = max(len(ent_names), 1)
        pair_key = self.unit * self.n_ent + ent
        self.pair, pairs = pd.factorize(pair_key)
        pairs = np.asarray(pairs, dtype=np.int64)
        self.n_pairs = len(pairs)
        self.pair_unit, self.pair_ent = pairs // self.n_ent, pairs % self.n_ent
        self.period, self.period_names = pd.factorize(ledger["period"])

        self.has_case = _nonblank(ledger["case_no"])
        fines = pd.to_numeric(ledger["fine_wan"], errors="coerce").fillna(0).to_numpy(dtype=float)
        self.fine_micro = np.rint(fines * _MICRO).astype(np.int64)
        # Registry pairs (name, unit): is the enterprise in the inspecting unit's own list?
        reg_ent = pd.Index(ent_names).get_indexer(reg["name"]) if len(reg) else np.array([], np.int64)
        reg_unit = _codes(reg["unit"], units) if len(reg) else np.array([], np.int64)
        ok = (reg_ent >= 0) & (reg_unit >= 0)
        self.in_registry = np.isin(pair_key, reg_unit[ok] * self.n_ent + reg_ent[ok])
        handling = handling_counts(ledger["other_handling"])
        self.handling = {m: handling[m].to_numpy() for m in HANDLING_METRICS}
        self.report = _contains(ledger["remarks"], "举报")

        # Items: new hazards per row, and those already rectified by their own text.
        row = _row_positions(ledger["row_id"], items["row_id"])
        new = _bool(items["counts_as_hazard"]) & (row >= 0)
        fixed = new & items["status"].eq("rectified").fillna(False).to_numpy(dtype=bool)
        self.new_hazards = np.bincount(row[new], minlength=self.n)
        self.rectified_by_text = np.bincount(row[fixed], minlength=self.n)
        # New hazards not rectified by their own text but closed by a later 复查 row:
        # whether they count depends on the scope's end date.
        closed = new & ~fixed & items["closed_by"].notna().to_numpy()
        self.closure_row = row[closed]
        self.closure_date = pd.to_datetime(items["closed_date"]).to_numpy(dtype="datetime64[ns]")[closed]

    def in_scope(self, period: Period) -> np.ndarray:
        keys = set(period.period_keys)
        lut = np.array([p in keys for p in self.period_names] + [False], dtype=bool)
        return lut[self.period] & (self.unit >= 0)  # code -1 (no period) hits the trailing False


def _codes(series: pd.Series, names: list[str]) -> np.ndarray:
    """Position of each value in ``names`` (-1 if absent), hashing each distinct value once."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    pos = {n: i for i, n in enumerate(names)}
    lut = np.array([pos.get(str(u), -1) for u in uniques] + [-1], dtype=np.int64)
    return lut[codes]


def _row_positions(row_ids: pd.Series, item_row_ids: pd.Series) -> np.ndarray:
    """For each item, the position of its ledger row (-1 if none), by row_id."""
    # One hash pass over both columns; ledger ids come first, so unique ids get codes 0..n-1.
    codes, _ = pd.factorize(pd.concat([row_ids, item_row_ids], ignore_index=True))
    n = len(row_ids)
    if not np.array_equal(codes[:n], np.arange(n)):  # duplicate ledger row ids: slower lookup
        return pd.Index(row_ids).get_indexer_non_unique(item_row_ids)[0][: len(item_row_ids)]
    found = codes[n:]
    return np.where(found < n, found, -1)


def _by_unique(series: pd.Series, test: Callable[[str], bool]) -> np.ndarray:
    # Text columns repeat few values: test each distinct value once, gather by code.
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    flags = np.array([bool(test(str(u))) for u in uniques] + [False], dtype=bool)
    return flags[codes]  # code -1 (blank cell) hits the trailing False


def _nonblank(series: pd.Series) -> np.ndarray:
    return _by_unique(series, lambda text: text.strip() != "")


def _contains(series: pd.Series, word: str) -> np.ndarray:
    return _by_unique(series, lambda text: word in text)


def _bool(series: pd.Series) -> np.ndarray:
    if series.dtype == bool:
        return series.to_numpy()
    return series.astype(object).fillna(False).astype(bool).to_numpy()


class MetricsEngine:
    """Computes metrics for many periods of one dataset; prepares the ledger once.

    ``compute_metrics(dataset, ...)`` builds one per call; notebooks and batch jobs that
    need several periods keep one engine and call ``compute`` repeatedly.
    """

    def __init__(self, dataset: Dataset, config=None):
        self.dataset = dataset
        self.config = load_config(config)
        self.units: list[str] = [str(u) for u in dataset.units["unit"]] if len(dataset.units) else []
        sup = dataset.units["supervised_total"] if len(dataset.units) else pd.Series(dtype=float)
        self.supervised = pd.to_numeric(sup, errors="coerce").fillna(0).to_numpy(dtype=np.int64)
        self.definitions = {d.id: self.config.apply(d) for d in list_metrics()}

    @cached_property
    def _ledger(self) -> _Ledger:
        return _Ledger(self.dataset, self.units)

    # -- ledger source -------------------------------------------------------------
    def components(self, period: Period) -> tuple[pd.DataFrame, pd.Series]:
        """Per-unit components (DataFrame) and the town's (Series) for ``period``."""
        L, nu = self._ledger, len(self.units)
        rows = np.flatnonzero(L.in_scope(period))  # the ledger rows of the scope
        unit, pair = L.unit[rows], L.pair[rows]
        per_unit: dict[str, np.ndarray] = {"supervised_total": self.supervised}
        total: dict[str, int] = {"supervised_total": int(self.supervised.sum())}

        def summed(name: str, values: np.ndarray) -> None:
            per_unit[name] = np.bincount(unit, weights=values[rows], minlength=nu).astype(np.int64)
            total[name] = int(per_unit[name].sum())

        def distinct(name: str, pair_flag: np.ndarray) -> None:
            # Per unit: pairs (unit, enterprise) with the property; town: the union of enterprises.
            per_unit[name] = np.bincount(L.pair_unit[pair_flag], minlength=nu).astype(np.int64)
            seen = np.zeros(L.n_ent, dtype=bool)
            seen[L.pair_ent[pair_flag]] = True
            total[name] = int(seen.sum())

        def pair_any(row_flag: np.ndarray | None) -> np.ndarray:
            flag = np.zeros(L.n_pairs, dtype=bool)
            flag[pair if row_flag is None else pair[row_flag[rows]]] = True
            return flag

        has_hazard = L.new_hazards > 0
        case_pairs, hazard_pairs = pair_any(L.has_case), pair_any(has_hazard)
        distinct("inspected", pair_any(None))
        distinct("inspected_in_registry", pair_any(L.in_registry))
        distinct("cases_filed", case_pairs)
        distinct("violating_enterprises", hazard_pairs)
        distinct("cases_among_violating", case_pairs & hazard_pairs)
        summed("hazards_found", L.new_hazards)
        summed("case_items", L.new_hazards * L.has_case)
        summed("rectification_orders", has_hazard.astype(np.int64))
        summed("fines_micro", L.fine_micro)
        # Rectified: by the item's own text, or closed by a 复查 on/before the scope's end.
        end = np.datetime64(period.end, "ns") + np.timedelta64(1, "D")
        in_scope = np.zeros(L.n, dtype=bool)
        in_scope[rows] = True
        closed = in_scope[L.closure_row] & (L.closure_date < end)
        closures = np.bincount(L.unit[L.closure_row[closed]], minlength=nu).astype(np.int64)
        summed("hazards_rectified", L.rectified_by_text)
        per_unit["hazards_rectified"] = per_unit["hazards_rectified"] + closures
        total["hazards_rectified"] += int(closures.sum())
        for m, measure in HANDLING_METRICS.items():
            if measure == "家":
                distinct(m, pair_any(L.handling[m] > 0))
            else:
                summed(m, L.handling[m])
        summed("reports_verified", L.report.astype(np.int64))
        frame = pd.DataFrame(per_unit, index=pd.Index(self.units, name="unit"))[list(COMPONENTS)]
        return frame, pd.Series(total)[list(COMPONENTS)]

    def _from_components(self, frame: pd.DataFrame, total: pd.Series):
        values = {}
        for mid, d in self.definitions.items():
            if mid == "reports_verified" and self.config.reports_verified_ledger == "none":
                values[mid] = ([None] * len(frame), None)
            elif d.kind == "rate":
                col = [rate(n, dn) for n, dn in zip(frame[d.numerator], frame[d.denominator], strict=True)]
                values[mid] = (col, rate(total[d.numerator], total[d.denominator]))
            elif d.kind == "money":
                values[mid] = ([money_wan(v) for v in frame[d.component]], money_wan(total[d.component]))
            else:
                values[mid] = ([int(v) for v in frame[d.component]], int(total[d.component]))
        return values

    # -- entry point -----------------------------------------------------------------
    def compute(self, period, scope: str | None = None, source: str = "ledger") -> MetricsResult:
        """All metrics for ``period`` (``"2024-05"``, ``"2024Q2"``, ``"2024"`` or a Period)."""
        period = _as_period(period, scope)
        if source not in SOURCES:
            raise ParameterError("source", source, " | ".join(SOURCES))
        if source == "ledger":
            comp, comp_total = self.components(period)
            values, missing = self._from_components(comp, comp_total), {}
        else:
            comp = comp_total = None
            values, missing = _reported_values(self, period)
        frame = pd.DataFrame(
            {mid: pd.array(col, dtype=_dtype(self.definitions[mid], col)) for mid, (col, _) in values.items()},
            index=pd.Index(self.units, name="unit"))
        total = pd.Series({mid: tot for mid, (_, tot) in values.items()}, dtype=object, name=TOTAL_LABEL)
        return MetricsResult(period, source, frame, total, dict(self.definitions), self.config,
                             comp, comp_total, missing)


def _as_period(period, scope: str | None) -> Period:
    if isinstance(period, Period):
        if scope not in (None, period.kind):
            raise ParameterError("scope", scope, f"{period.kind}（或省略），因为 period 已是 Period")
        return period
    return parse_period(period, scope)


def _dtype(defn: MetricDef, col: list) -> str:
    if defn.kind in ("count", "distinct"):
        known = [v for v in col if v is not None]
        return "Int64" if all(float(v).is_integer() for v in known) else "Float64"
    return "Float64"


# --------------------------------------------------------------------------- reported source
_ADDITIVE = ("hazards_found", "hazards_rectified", "fines_wan", "licenses_suspended",
             "criminal_referrals", "referred_other", "reports_verified")
_DISTINCT_COLS = ("inspected", "cases_filed", "suspended", "closure_requested", "blacklisted",
                  "joint_punishment")
_SUBMITTED_RATES = {"coverage_rate": "supervised_total", "case_ratio": "inspected",
                    "violation_handling_rate": "hazards_found"}


def _reported_values(engine: MetricsEngine, period: Period):
    """Per unit, the 附件2 figures as submitted for the scope (docs/metrics.md, “报送口径”).

    month: the 本月数 row; ytd: the 累计数 row of the last month; quarter/year: the 本月数
    rows summed for additive columns, supervised_total from the last month, 家 columns from
    the 累计数 row of the last month when the scope starts in January (year, Q1) and else
    summed (an upper bound), rates recomputed. A unit missing any needed row gets None.
    """
    fig = engine.dataset.figures
    keys = period.period_keys
    fig = fig[fig["unit"].isin(engine.units) & fig["period"].isin(keys)]
    fig = fig.drop_duplicates(["unit", "period", "kind"], keep="last")
    rows = {(r["unit"], r["period"], r["kind"]): r for r in fig.to_dict("records")}
    ids = list(engine.definitions)
    per_unit: list[dict] = []
    missing: dict[str, list[str]] = {}
    for unit in engine.units:
        if period.kind in ("month", "ytd"):
            kind = "本月数" if period.kind == "month" else "累计数"
            row = rows.get((unit, keys[-1], kind))
            if row is None:
                missing[unit] = [keys[-1]]
                per_unit.append(None)
            else:
                per_unit.append(_submitted_row(row))
            continue
        months = [rows.get((unit, k, "本月数")) for k in keys]
        if any(r is None for r in months):
            missing[unit] = [k for k, r in zip(keys, months, strict=True) if r is None]
            per_unit.append(None)
            continue
        cumulative = rows.get((unit, keys[-1], "累计数")) if period.months[0] == 1 else None
        per_unit.append(_summed_rows(months, cumulative))
    values = {}
    for mid in ids:
        col = [None if v is None else v.get(mid) for v in per_unit]
        values[mid] = (col, _reported_total(mid, [v for v in per_unit if v is not None]))
    return values, missing


def _cell(row: dict, key: str):
    v = row.get(key)
    return None if _missing(v) else float(v)


def _count(v):
    return None if v is None else (int(v) if float(v).is_integer() else v)


def _submitted_row(row: dict) -> dict:
    out = {k: _count(_cell(row, k)) for k in ("supervised_total", *_DISTINCT_COLS, *_ADDITIVE)}
    out["fines_wan"] = round_half_up(_cell(row, "fines_wan"), 4)
    for rid, den in _SUBMITTED_RATES.items():
        submitted, d = _cell(row, rid), out.get(den)
        out[rid] = None if submitted is None or d in (None, 0) else round_half_up(submitted, 2)
    out["rectification_rate"] = rate(out["hazards_rectified"], out["hazards_found"])
    out["_vhr_num"] = _vhr_numerator(out["violation_handling_rate"], out["hazards_found"])
    return out


def _vhr_numerator(vhr, hazards):
    # The form has no 违法行为查处数 column; rebuild it from the rate to sum over months/units.
    return None if vhr is None or hazards is None else _dec(vhr) * _dec(hazards) / 100


def _sum(values):
    known = [v for v in values if v is not None]
    return None if len(known) < len(values) or not known else sum(known)


def _summed_rows(months: list[dict], cumulative: dict | None) -> dict:
    subs = [_submitted_row(r) for r in months]
    out = {k: _count(_sum([s[k] for s in subs])) for k in (*_ADDITIVE, *_DISTINCT_COLS)}
    out["fines_wan"] = round_half_up(_sum([s["fines_wan"] for s in subs]), 4)
    if cumulative is not None:
        cum = _submitted_row(cumulative)
        out.update({k: cum[k] for k in _DISTINCT_COLS})
    out["supervised_total"] = subs[-1]["supervised_total"]
    out["coverage_rate"] = rate(out["inspected"], out["supervised_total"])
    out["case_ratio"] = rate(out["cases_filed"], out["inspected"])
    out["rectification_rate"] = rate(out["hazards_rectified"], out["hazards_found"])
    out["_vhr_num"] = _sum([s["_vhr_num"] for s in subs])
    out["violation_handling_rate"] = rate(out["_vhr_num"], out["hazards_found"])
    return out


def _reported_total(mid: str, rows: list[dict]):
    """Town total over the units that submitted: sums, and rates from summed parts."""
    if not rows:
        return None

    def both(num: str, den: str):
        pairs = [(r[num], r[den]) for r in rows if r.get(num) is not None and r.get(den) is not None]
        return rate(sum(n for n, _ in pairs), sum(d for _, d in pairs)) if pairs else None

    ratios = {"coverage_rate": ("inspected", "supervised_total"), "case_ratio": ("cases_filed", "inspected"),
              "rectification_rate": ("hazards_rectified", "hazards_found"),
              "violation_handling_rate": ("_vhr_num", "hazards_found")}
    if mid in ratios:
        return both(*ratios[mid])
    known = [r.get(mid) for r in rows if r.get(mid) is not None]
    if not known:
        return None
    return round_half_up(sum(known), 4) if mid == "fines_wan" else _count(sum(known))


# --------------------------------------------------------------------------- result
@dataclass
class MetricsResult:
    """Metrics of every unit (``frame``: index unit, one column per metric id) and the town
    (``total``: Series by metric id). ``components`` hold the numerators/denominators
    (ledger source only); ``missing`` maps a unit to the periods it did not submit
    (reported source only)."""

    period: Period
    source: str
    frame: pd.DataFrame
    total: pd.Series
    definitions: dict[str, MetricDef]
    config: MetricsConfig
    components: pd.DataFrame | None = None
    components_total: pd.Series | None = None
    missing: dict[str, list[str]] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        return self.period.kind

    def table(self) -> pd.DataFrame:
        """``frame`` with the town total appended as the row ``全镇合计`` (object dtype)."""
        return pd.concat([self.frame.astype(object), self.total.to_frame().T])

    def to_dict(self) -> dict:
        """The JSON structure of ``evalkit metrics --json``; None for 不适用 or 未报送."""
        return {
            "period": self.period.text,
            "scope": self.scope,
            "source": self.source,
            "units": {str(u): {m: _py(v) for m, v in row.items()} for u, row in self.frame.iterrows()},
            "total": {m: _py(v) for m, v in self.total.items()},
        }

    def to_text(self) -> str:
        """Readable tables with Chinese headers, one per 附件2 column group."""
        src = "附件1台账重算" if self.source == "ledger" else "附件2报送数"
        lines = [f"执法提升专项行动指标 {self.period.label}（来源：{src}）", ""]
        grouped = {i for _, ids in _TEXT_GROUPS for i in ids}
        extra = ("其他指标", tuple(i for i in self.definitions if i not in grouped))  # registered later
        for title, ids in (*_TEXT_GROUPS, extra):
            ids = [i for i in ids if i in self.definitions]
            if not ids:
                continue
            headers = ["单位", *[self.definitions[i].header for i in ids]]
            body = []
            for unit, row in self.frame.iterrows():
                if unit in self.missing:
                    body.append([str(unit), *[NOT_SUBMITTED] * len(ids)])
                else:
                    body.append([str(unit), *[_show(self.definitions[i], row[i]) for i in ids]])
            body.append([TOTAL_LABEL, *[_show(self.definitions[i], self.total[i]) for i in ids]])
            lines += [f"【{title}】", *_align([headers, *body]), ""]
        vhr = self.definitions.get("violation_handling_rate")
        if vhr is not None and self.source == "ledger":
            lines.append(f"违法行为查处率口径：{vhr.formula}（配置：{self.config.path}）")
        if self.missing:
            lines.append(f"未报送：{'、'.join(self.missing)}（全镇合计只含已报送单位）")
        lines.append(f"{NOT_APPLICABLE}：分母为0或无法计算。")
        return "\n".join(lines).rstrip()


_TEXT_GROUPS = (
    ("检查覆盖", ("supervised_total", "inspected", "coverage_rate")),
    ("隐患排查整改", ("hazards_found", "hazards_rectified", "rectification_rate")),
    ("立案情况", ("cases_filed", "case_ratio", "violation_handling_rate")),
    ("惩处情况", ("suspended", "fines_wan", "closure_requested", "licenses_suspended")),
    ("曝光、惩戒、移送与举报", ("blacklisted", "joint_punishment", "criminal_referrals",
                        "referred_other", "reports_verified")),
)


def _py(value):
    """A JSON-ready Python value: NA/NaN -> None, numpy scalars -> int/float."""
    if _missing(value):
        return None
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value)
    return value


def _show(defn: MetricDef, value) -> str:
    if _missing(value):
        return NOT_APPLICABLE
    if defn.kind in ("rate", "money"):
        return f"{float(value):.{defn.decimals}f}"
    return str(_count(float(value)))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _align(rows: list[list[str]]) -> list[str]:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [r[0] + " " * (widths[0] - _width(r[0]))]
        cells += [" " * (w - _width(c)) + c for c, w in zip(r[1:], widths[1:], strict=True)]
        out.append("  ".join(cells).rstrip())
    return out


# --------------------------------------------------------------------------- entry points
def compute_metrics(dataset: Dataset | MetricsEngine, period, *, scope: str | None = None,
                    source: str = "ledger", config=None) -> MetricsResult:
    """Every registered metric for every unit and the town, for one period and scope.

    dataset  a Dataset (or a MetricsEngine to reuse its prepared ledger)
    period   "2024-05", "2024Q2", "2024" or a Period
    scope    month | ytd | quarter | year (for a month period; default month)
    source   ledger (recomputed from 附件1) | reported (附件2 as submitted)
    config   None (config/metrics.yaml), a YAML path, a dict or a MetricsConfig
    """
    if isinstance(dataset, MetricsEngine):
        engine = dataset if config is None else MetricsEngine(dataset.dataset, config)
    else:
        engine = MetricsEngine(dataset, config)
    return engine.compute(period, scope=scope, source=source)


def _metric_function(metric_id: str) -> Callable:
    defn = get_metric(metric_id)

    def metric(dataset: Dataset | MetricsEngine, period, *, scope: str | None = None,
               unit: str | None = None, source: str = "ledger", config=None):
        result = compute_metrics(dataset, period, scope=scope, source=source, config=config)
        if unit is None:
            return _py(result.total[metric_id])
        if unit not in result.frame.index:
            raise ParameterError("unit", unit, "、".join(map(str, result.frame.index)) or "（无单位）")
        return _py(result.frame.at[unit, metric_id])

    metric.__name__ = metric.__qualname__ = metric_id
    metric.__doc__ = defn.doc
    return metric


# sklearn.metrics style: one plain function per metric; docstrings come from the registry.
supervised_total = _metric_function("supervised_total")
inspected = _metric_function("inspected")
coverage_rate = _metric_function("coverage_rate")
hazards_found = _metric_function("hazards_found")
hazards_rectified = _metric_function("hazards_rectified")
rectification_rate = _metric_function("rectification_rate")
cases_filed = _metric_function("cases_filed")
case_ratio = _metric_function("case_ratio")
violation_handling_rate = _metric_function("violation_handling_rate")
suspended = _metric_function("suspended")
fines_wan = _metric_function("fines_wan")
closure_requested = _metric_function("closure_requested")
licenses_suspended = _metric_function("licenses_suspended")
blacklisted = _metric_function("blacklisted")
joint_punishment = _metric_function("joint_punishment")
criminal_referrals = _metric_function("criminal_referrals")
referred_other = _metric_function("referred_other")
reports_verified = _metric_function("reports_verified")
