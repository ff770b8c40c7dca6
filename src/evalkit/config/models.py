"""Pydantic models of the three YAML configs (metrics, audit, scoring) and the one translation of
a validation error into a Chinese ``ConfigError``.

A model describes the *merged* config (the user's override over the packaged default), so
every key the packaged file has is required there and the YAML stays the one place for
defaults. Each section refuses unknown keys and lists the allowed ones (a typo must not be
silently ignored). Ids owned by higher layers (audit rule ids, metric ids, ...) are not
imported here: the loader passes them in the validation context under the names of
``CONTEXT_CHOICES``; a name missing from the context is not checked.

``validate(model, data, source, context)`` returns the model or raises ``ConfigError``
naming the key path (``reconciliation.tolerance_rate``), what was expected and the value
given, e.g. ``键 'closure.short_count' 应不小于 1，实际为 -1``.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from evalkit.exceptions import ConfigError

__all__ = ["MetricsFile", "AuditFile", "ScoringFile", "CONTEXT_CHOICES", "validate"]

#: Validation-context name -> what its values are (for the message).
CONTEXT_CHOICES = {
    "audit_rules": "核查规则 id",
    "validation_rules": "校验规则 id",
    "metrics": "指标 id",
    "indicators": "内置指标 id",
    "severities": "严重程度",
    "lower_bounds": "取法",
    "violation_handling_variants": "口径",
    "violation_codes": "违法行为代码（违法行为目录 V01—V28）",
}


def _fail(message: str, key: str | None = None) -> PydanticCustomError:
    """A rule broken across keys; ``key`` (dotted, below the error's location) names the key."""
    return PydanticCustomError("config_rule", "{message}", {"message": message, "key": key})


def _one_of(name: str):
    """A value that must be one of the context's ``name`` list."""

    def check(value, info: ValidationInfo):
        allowed = (info.context or {}).get(name)
        if allowed is not None and value not in allowed:
            raise PydanticCustomError("choice", "not one of {name}", {"name": name, "allowed": list(allowed)})
        return value

    return AfterValidator(check)


def _integral(value):
    """12.0 counts as the integer 12 (YAML writers sometimes add .0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise PydanticCustomError("regex", "bad regex", {"reason": str(exc)}) from None
    return value


def _none_to(empty):
    """``key: null`` (or an empty YAML value) read as an empty list or mapping."""
    return BeforeValidator(lambda v: type(empty)() if v is None else v)


Int = Annotated[int, BeforeValidator(_integral)]
Count = Annotated[Int, Field(ge=0)]
PositiveInt = Annotated[Int, Field(ge=1)]
Month = Annotated[Int, Field(ge=1, le=13)]
NonNegative = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]
Text = Annotated[str, Field(min_length=1)]
Regex = Annotated[str, Field(min_length=1), AfterValidator(_regex)]


class Section(BaseModel):
    """A YAML mapping: strict types, unknown keys refused with the allowed ones listed."""

    model_config = ConfigDict(strict=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_keys(cls, data):
        if isinstance(data, dict):
            allowed = cls.allowed_keys(data)
            unknown = [k for k in data if k not in allowed]
            if unknown:
                raise PydanticCustomError("unknown_key", "unknown key", {"key": str(unknown[0]), "allowed": allowed})
        return data

    @classmethod
    def allowed_keys(cls, data: dict) -> list[str]:
        """The keys this mapping may hold (YAML spelling)."""
        return [f.alias or name for name, f in cls.model_fields.items()]


class SparseSection(Section):
    """A section whose optional keys (None) are left out when dumped, as in the YAML."""

    @model_serializer(mode="wrap")
    def _drop_unset(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}


# ------------------------------------------------------------------ metrics.yaml
class ViolationHandlingRate(Section):
    variant: Annotated[str, _one_of("violation_handling_variants")]


class ReportsVerified(Section):
    ledger: Literal["remarks", "none"]

    @field_validator("ledger", mode="before")
    @classmethod
    def _null_is_none(cls, value):
        return "none" if value is None else value


class MetricsFile(Section):
    """config/metrics.yaml. Each option may be written as ``key: value`` for ``key: {…: value}``."""

    violation_handling_rate: ViolationHandlingRate
    reports_verified: ReportsVerified

    @field_validator("violation_handling_rate", mode="before")
    @classmethod
    def _variant_shorthand(cls, value):
        return value if isinstance(value, dict) else {"variant": value}

    @field_validator("reports_verified", mode="before")
    @classmethod
    def _ledger_shorthand(cls, value):
        return value if isinstance(value, dict) else {"ledger": value}


# ------------------------------------------------------------------ disclosure.yaml
class DisclosureFile(Section):
    """config/disclosure.yaml: 立案案号 prefix -> 处罚机关 of the 阳光执法 list."""

    authorities: dict[str, str]

    @field_validator("authorities")
    @classmethod
    def _non_blank(cls, value: dict[str, str]) -> dict[str, str]:
        for prefix, authority in value.items():
            if not prefix.strip() or not authority.strip():
                raise _fail(f"案号前缀和处罚机关都不能为空（{prefix!r}: {authority!r}）")
        return value


# ------------------------------------------------------------------ audit.yaml
class Reconciliation(Section):
    tolerance_count: Count
    tolerance_rate: NonNegative
    tolerance_money_wan: NonNegative


class Cumulative(Section):
    tolerance_count: Count
    tolerance_money_wan: NonNegative


class Consolidated(Section):
    distinct: Literal["bounds", "sum"]


class KeyIndustry(Section):
    high_from_month: Month


class RandomInspection(Section):
    min_share: Share
    executed_check_from_month: Month


class RectificationOnly(Section):
    max_share: Share
    min_inspections: PositiveInt
    must_punish_codes: Annotated[list[Annotated[str, _one_of("violation_codes")]], _none_to([])]


class RepeatOffence(Section):
    window_months: Annotated[Int, Field(ge=1, le=120)]


class Overdue(Section):
    grace_days: Annotated[Int, Field(ge=0, le=366)]
    assumed_days: Annotated[Int, Field(ge=1, le=366)]
    low_severity_days: Annotated[Int, Field(ge=0, le=366)]


class Fines(Section):
    lower_bound: Annotated[str, _one_of("lower_bounds")]


class Closure(Section):
    short_window_days: PositiveInt
    short_count: PositiveInt
    long_window_days: PositiveInt
    long_count: PositiveInt


class FineDisparity(Section):
    ratio: Annotated[float, Field(ge=1)]
    min_rows: PositiveInt
    min_units: PositiveInt
    min_unit_rows: PositiveInt
    aggravation: Regex


class AuditPatterns(Section):
    daily_penalty: Regex
    refusal: Regex
    publication: Regex
    report: Regex
    dual_penalty: Regex
    decision_date: Regex
    after_deadline: Regex
    suspension_refused: Regex
    heavier: Regex


class AuditFile(Section):
    """config/audit.yaml."""

    disabled: Annotated[list[Annotated[str, _one_of("audit_rules")]], _none_to([])]
    reconciliation: Reconciliation
    cumulative: Cumulative
    consolidated: Consolidated
    key_industry: KeyIndustry
    random_inspection: RandomInspection
    rectification_only: RectificationOnly
    repeat_offence: RepeatOffence
    overdue: Overdue
    fines: Fines
    closure: Closure
    fine_disparity: FineDisparity
    patterns: AuditPatterns


# ------------------------------------------------------------------ scoring.yaml
_RATIO_KEYS = ["name", "type", "weight", "metric", "indicator", "target", "prorate", "min_score"]
_DEDUCTION_KEYS = ["name", "type", "weight", "rules"]


class Grades(Section):
    excellent: Annotated[float, Field(alias="优秀", ge=0, le=100)]
    good: Annotated[float, Field(alias="良好", ge=0, le=100)]
    passing: Annotated[float, Field(alias="合格", ge=0, le=100)]

    @model_validator(mode="after")
    def _descending(self):
        if not self.excellent > self.good > self.passing:
            raise _fail("下限应依次递减：优秀 > 良好 > 合格，"
                        f"实际为 {self.excellent:g}、{self.good:g}、{self.passing:g}")
        return self


class RuleSpec(SparseSection):
    points: NonNegative
    cap: NonNegative
    source: Literal["audit", "validation"] | None = None
    severity: list[Annotated[str, _one_of("severities")]] | None = None


class Part(SparseSection):
    """A ratio part (metric or indicator against a target) or a deduction part (rules)."""

    name: Text
    type: Literal["ratio", "deduction"]
    weight: NonNegative
    metric: Annotated[str, _one_of("metrics")] | None = None
    indicator: Annotated[str, _one_of("indicators")] | None = None
    target: Annotated[float, Field(gt=0)] | None = None
    prorate: bool | None = None
    min_score: NonNegative | None = None
    rules: Annotated[dict[str, RuleSpec], Field(min_length=1)] | None = None

    @classmethod
    def allowed_keys(cls, data: dict) -> list[str]:
        kind = data.get("type")
        return {"ratio": _RATIO_KEYS, "deduction": _DEDUCTION_KEYS}.get(kind, _RATIO_KEYS + _DEDUCTION_KEYS[-1:])

    @model_validator(mode="after")
    def _complete(self, info: ValidationInfo):
        if self.type == "ratio":
            if (self.metric is None) == (self.indicator is None):
                raise _fail("应恰好给出 metric（指标 id）或 indicator（内置指标 id）之一")
            if self.target is None:
                raise PydanticCustomError("missing", "missing", {"key": "target"})
            return self
        if self.rules is None:
            raise PydanticCustomError("missing", "missing", {"key": "rules"})
        context = info.context or {}
        for rid, spec in self.rules.items():
            kind = "validation_rules" if spec.source == "validation" else "audit_rules"
            known = context.get(kind)
            if known is not None and rid not in known:
                word = "校验" if kind == "validation_rules" else "核查"
                raise _fail(f"未知的{word}规则 {rid!r}（source: {spec.source or 'audit'}）；"
                            f"可用：{'、'.join(known)}", key=f"rules.{rid}")
        return self


class Dimension(Section):
    name: Text
    weight: NonNegative
    parts: Annotated[dict[str, Part], Field(min_length=1)]

    @model_validator(mode="after")
    def _parts_add_up(self):
        total = sum(p.weight for p in self.parts.values())
        if not math.isclose(total, self.weight, abs_tol=1e-9):
            raise _fail(f"各计分项 weight 之和 {total:g} 应等于本维度 weight {self.weight:g}", key="parts")
        return self


class Veto(Section):
    rules: Annotated[list[Annotated[str, _one_of("audit_rules")]], _none_to([])] = []
    flags: Annotated[dict[str, Text], _none_to({})] = {}


class ScoringFile(Section):
    """config/scoring.yaml."""

    scope: Literal["ytd", "month"]
    audit_config: str | None = None
    grades: Grades
    dimensions: Annotated[dict[str, Dimension], Field(min_length=1)]
    veto: Annotated[Veto, _none_to({})]

    @model_validator(mode="after")
    def _weights_add_up(self):
        total = sum(d.weight for d in self.dimensions.values())
        if not math.isclose(total, 100, abs_tol=1e-9):
            raise _fail(f"各维度 weight 之和应为 100，实际为 {total:g}", key="dimensions")
        return self


# ------------------------------------------------------------------ errors in Chinese
_EXPECTED = {
    "int_type": "应为整数", "int_parsing": "应为整数", "int_from_float": "应为整数",
    "float_type": "应为数字", "float_parsing": "应为数字", "finite_number": "应为有限的数字",
    "bool_type": "应为 true 或 false", "bool_parsing": "应为 true 或 false",
    "string_type": "应为文字", "string_too_short": "应为非空文字",
    "list_type": "应为列表", "dict_type": "应为键值映射", "model_type": "应为键值映射",
    "model_attributes_type": "应为键值映射", "too_short": "不应为空",
}


def _path(loc, key: str | None = None) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    if key:
        text = f"{text}.{key}" if text else key
    return text


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def describe(error: dict) -> str:
    """One Chinese clause for one pydantic error: key path, what was expected, value given."""
    kind, ctx = error["type"], error.get("ctx") or {}
    key = _path(error["loc"], ctx.get("key") if kind in ("missing", "config_rule", "unknown_key") else None)
    given = f"，实际为 {_shown(error.get('input'))}"
    if kind == "unknown_key":
        return f"未知的键 {key!r}；可用的键：{'、'.join(ctx['allowed'])}"
    if kind == "missing":
        return f"缺少键 {key!r}"
    if kind == "config_rule":
        return f"键 {key!r}：{ctx['message']}" if key else ctx["message"]
    if kind == "choice":
        label = CONTEXT_CHOICES.get(ctx["name"], "值")
        label += " " if label[-1].isascii() else ""
        return f"键 {key!r} 应为以下{label}之一：{'、'.join(map(str, ctx['allowed']))}{given}"
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"键 {key!r} 应为 {' 或 '.join(allowed)}{given}"
    if kind == "regex":
        return f"键 {key!r} 不是有效的正则表达式（{ctx['reason']}）{given}"
    bounds = {"greater_than_equal": ("不小于", "ge"), "greater_than": ("大于", "gt"),
              "less_than_equal": ("不大于", "le"), "less_than": ("小于", "lt")}
    if kind in bounds:
        word, name = bounds[kind]
        bound = ctx[name]
        bound = int(bound) if isinstance(bound, float) and bound.is_integer() else bound
        return f"键 {key!r} 应{word} {bound}{given}"
    return f"键 {key!r} {_EXPECTED.get(kind, '无效（' + error['msg'] + '）')}{given}"


def validate(model: type[BaseModel], data, source, context: dict | None = None) -> BaseModel:
    """``model`` validated from ``data``; ConfigError (the first problem, in Chinese) naming ``source``."""
    try:
        return model.model_validate(data, context=context or {})
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        more = f"（另有 {len(errors) - 1} 处问题）" if len(errors) > 1 else ""
        raise ConfigError(source, describe(errors[0]) + more) from None
