"""report.sections.phase_table: the plan's three phases at the end of a period (hand-counted days)."""

from __future__ import annotations

from evalkit.report.sections import phase_table


def _states(period: str) -> dict[str, str]:
    table = phase_table(None, period)
    return dict(zip(table["阶段"], table["期末状态"], strict=True))


def test_a_phase_in_progress_shows_the_share_of_its_days_passed():
    """June 2024: 集中推进 runs 3月31日—11月30日, 245 days counting both ends; by 6月30日 92 have
    passed (1 + 30 + 31 + 30), 92 / 245 = 37.55% → 38%."""
    assert _states("2024-06") == {"动员部署": "已结束", "集中推进": "进行中（已过 38%）", "总结提高": "未开始"}


def test_a_phase_on_its_last_day_has_ended_not_100_percent_in_progress():
    """November 2024 ends on 11月30日, 集中推进's last day: at the end of that day it has ended."""
    assert _states("2024-11") == {"动员部署": "已结束", "集中推进": "已结束", "总结提高": "未开始"}
    assert _states("2024-03")["动员部署"] == "已结束"  # 3月31日 is 动员部署's last day
    assert _states("2024")["总结提高"] == "已结束"  # the whole year: 12月20日 has passed
