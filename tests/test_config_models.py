"""The three YAML configs validated by one mechanism (evalkit.config.models): each error is a
ConfigError naming the key path, what is allowed and the value given, in Chinese."""

from __future__ import annotations

import pytest
import yaml

from evalkit.assess.scoring import load_scoring_config
from evalkit.audit.run import load_audit_config
from evalkit.config.loader import packaged_default
from evalkit.exceptions import ConfigError
from evalkit.metrics.engine import load_config as load_metrics_config

LOADERS = {"metrics": load_metrics_config, "audit": load_audit_config, "scoring": load_scoring_config}

PART = "dimensions.enforcement.parts.coverage"
CASES = [
    # (config, YAML text, expected parts of the message)
    ("metrics", "violation_handling_rate:\n  variant: 3\n",
     ["键 'violation_handling_rate.variant' 应为文字", "实际为 3"]),
    ("metrics", "violation_handling_rate:\n  variant: 立案率\n",
     ["键 'violation_handling_rate.variant' 应为以下口径之一", "case_items_per_hazard", "实际为 '立案率'"]),
    ("metrics", "reports_verified:\n  ledgr: none\n",
     ["未知的键 'reports_verified.ledgr'", "可用的键：ledger"]),
    ("metrics", "reports_verified: guess\n",
     ["键 'reports_verified.ledger' 应为 remarks 或 none", "实际为 'guess'"]),
    ("audit", "rectification_only:\n  max_share: 高\n",
     ["键 'rectification_only.max_share' 应为数字", "实际为 '高'"]),
    ("audit", "random_inspection:\n  min_share: 1.5\n",
     ["键 'random_inspection.min_share' 应不大于 1", "实际为 1.5"]),
    ("audit", "key_industry:\n  high_from_month: 0\n",
     ["键 'key_industry.high_from_month' 应不小于 1", "实际为 0"]),
    ("audit", "closure:\n  short_windows_days: 90\n",
     ["未知的键 'closure.short_windows_days'", "可用的键：short_window_days、short_count"]),
    ("audit", "fines:\n  lower_bound: average\n",
     ["键 'fines.lower_bound' 应为以下取法之一：any_item、every_item", "实际为 'average'"]),
    ("audit", "disabled: [no_such_rule]\n",
     ["键 'disabled[0]' 应为以下核查规则 id 之一", "fine_disparity", "实际为 'no_such_rule'"]),
    ("scoring", "grades: {优秀: 九十, 良好: 80, 合格: 60}\n",
     ["键 'grades.优秀' 应为数字", "实际为 '九十'"]),
    ("scoring", "grades: {优秀: 120, 良好: 80, 合格: 60}\n",
     ["键 'grades.优秀' 应不大于 100", "实际为 120"]),
    ("scoring", "veto: {rules: [], flag: {}}\n",
     ["未知的键 'veto.flag'", "可用的键：rules、flags"]),
    ("scoring", "scope: week\n",
     ["键 'scope' 应为 ytd 或 month", "实际为 'week'"]),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[f"{c[0]}:{c[1].split(':')[0]}" for c in CASES])
def test_invalid_value_names_key_allowed_and_given(tmp_path, name, text, expected):
    """A wrong type, out-of-range value, unknown key or bad choice: ConfigError with key, allowed and given."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        LOADERS[name](path)
    message = str(exc.value)
    assert message.startswith(f"配置文件 {path}：") and "\n" not in message
    for part in expected:
        assert part in message, message


def _scoring_with_coverage(tmp_path, **changes):
    """A scoring override whose dimensions are the packaged ones with ``changes`` in the coverage part."""
    data = {"dimensions": packaged_default("scoring")["dimensions"]}
    data["dimensions"]["enforcement"]["parts"]["coverage"].update(changes)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(("changes", "expected"), [
    ({"weight": "十五"}, f"键 '{PART}.weight' 应为数字，实际为 '十五'"),
    ({"target": -5}, f"键 '{PART}.target' 应大于 0，实际为 -5"),
    ({"rules": {"closure_due": {"points": 1, "cap": 2}}}, f"未知的键 '{PART}.rules'；可用的键：name、type、weight"),
    ({"type": "bonus"}, f"键 '{PART}.type' 应为 ratio 或 deduction，实际为 'bonus'"),
    ({"prorate": "是"}, f"键 '{PART}.prorate' 应为 true 或 false，实际为 '是'"),
    ({"metric": "no_such"}, f"键 '{PART}.metric' 应为以下指标 id 之一"),
])
def test_scoring_part_errors(tmp_path, changes, expected):
    """Errors deep inside scoring.yaml name the full key path."""
    with pytest.raises(ConfigError) as exc:
        load_scoring_config(_scoring_with_coverage(tmp_path, **changes))
    assert expected in str(exc.value)


def test_unknown_deduction_rule_names_the_rule(tmp_path):
    """A deduction rule id that no audit or validation rule has: key path and the known ids."""
    path = tmp_path / "s.yaml"
    path.write_text("dimensions:\n  only:\n    name: 单项\n    weight: 100\n    parts:\n      d:\n"
                    "        name: 扣分\n        type: deduction\n        weight: 100\n"
                    "        rules: {no_rule: {points: 1, cap: 1, source: validation}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"'dimensions\.only\.parts\.d\.rules\.no_rule'：未知的校验规则"):
        load_scoring_config(path)


def test_several_problems_report_the_first_and_count_the_rest(tmp_path):
    """Two bad keys: the first is described, the other counted, still one line."""
    path = tmp_path / "a.yaml"
    path.write_text("overdue:\n  grace_days: -1\nclosure:\n  short_count: 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"overdue\.grace_days.*（另有 1 处问题）$"):
        load_audit_config(path)


def test_integral_float_counts_as_integer(tmp_path):
    """12.0 for a month is accepted as 12; 1.5 days is refused as not an integer."""
    path = tmp_path / "a.yaml"
    path.write_text("key_industry:\n  high_from_month: 12.0\n", encoding="utf-8")
    assert load_audit_config(path)[0]["key_industry"]["high_from_month"] == 12
    path.write_text("overdue:\n  grace_days: 1.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"'overdue\.grace_days' 应为整数，实际为 1\.5"):
        load_audit_config(path)


def test_override_merges_over_default(tmp_path):
    """A user file with one key keeps every other default (audit: key by key)."""
    path = tmp_path / "a.yaml"
    path.write_text("reconciliation:\n  tolerance_rate: 0.5\n", encoding="utf-8")
    cfg, source = load_audit_config(path)
    assert source == str(path) and cfg["reconciliation"]["tolerance_rate"] == 0.5
    assert cfg["reconciliation"]["tolerance_count"] == 0 and cfg["closure"]["short_count"] == 3


@pytest.mark.parametrize("name", ["audit", "scoring"])
def test_packaged_default_validates_to_its_own_shape(name):
    """The packaged YAML passes its model and comes back as the same dict (no added keys)."""
    assert LOADERS[name](None)[0] == packaged_default(name)
