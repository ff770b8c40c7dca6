"""季度活动开展情况: “二、三、四季度第一个月1日前将上季度活动开展情况……报镇应急保障股”.

One document for the town (to 市安办) or for one unit (to 镇应急保障股), for a quarter:
what was done and the key figures (本季度 and 年初以来, with their definitions), progress
against the plan's phases and reporting rules, the problems the audit found, the 评议考核
ranking (or the unit's own score), and next steps drawn from the findings.
"""

from __future__ import annotations

import pandas as pd

from evalkit.documents.common import Scope, candidates, cell, cn_number, date_text, due_date, figure, quarter_name
from evalkit.documents.gongwen import Gongwen
from evalkit.metrics.engine import get_metric
from evalkit.report import sections

#: The key figures of the 指标 table, in reading order (the reports' KPI list).
KEY_METRICS = sections.KPI_METRICS


def activities_title(scope: Scope) -> str:
    return f"{scope.who}{quarter_name(scope.period)}\n安全生产执法提升专项行动开展情况"


def work_paragraph(scope: Scope) -> str:
    """What was done in the period: the counts (本季度) in one paragraph."""
    t = scope.values(scope.metrics())
    span = sections.span_phrase(scope.period)
    who = scope.members if scope.unit is None else scope.we
    return (f"{span}，{who}共现场监督检查企业（单位）{figure(t, 'inspected')}，"
            f"排查隐患{figure(t, 'hazards_found')}，已整改{figure(t, 'hazards_rectified')}，"
            f"隐患整改率{figure(t, 'rectification_rate')}；立案{figure(t, 'cases_filed')}，"
            f"罚款{figure(t, 'fines_wan')}，责令停产停业整顿{figure(t, 'suspended')}，"
            f"移送追究刑事责任{figure(t, 'criminal_referrals')}，移送其他部门{figure(t, 'referred_other')}。")


def ytd_paragraph(scope: Scope) -> str:
    """The three rates of 方案二（六） from January to the period's last month."""
    ytd = scope.ytd_period()
    c = scope.values(scope.metrics(ytd, scope="ytd"))
    return (f"{sections.span_phrase(ytd, 'ytd')}，检查覆盖率{figure(c, 'coverage_rate')}，"
            f"隐患整改率{figure(c, 'rectification_rate')}，违法行为查处率{figure(c, 'violation_handling_rate')}，"
            f"立案占实际检查企业比例{figure(c, 'case_ratio')}。")


def figures_table(scope: Scope) -> tuple[list[str], list[list[str]]]:
    """指标 | 本季度 | 年初以来（截至m月） | 计算口径: the same values as the reports' KPI tables."""
    now = scope.values(scope.metrics())
    ytd = scope.ytd_period()
    cum = scope.values(scope.metrics(ytd, scope="ytd"))
    headers = ["指标", sections.span_phrase(scope.period), sections.span_phrase(ytd, "ytd"), "计算口径"]
    rows = [[get_metric(m).header, cell(now, m), cell(cum, m), get_metric(m).formula] for m in KEY_METRICS]
    return headers, rows


def phase_lines(scope: Scope) -> list[tuple[str, str]]:
    """(heading, text) of each of the plan's phases (``sections.phase_table``)."""
    table = sections.phase_table(scope.ds, scope.period)
    return [(f"{r['阶段']}阶段（{r['时间']}）", f"期末状态：{r['期末状态']}。方案要求：{r['要求']}。")
            for r in table.to_dict("records")]


def findings(scope: Scope) -> pd.DataFrame:
    """The period's audit findings (of the unit, for a unit's document)."""
    res = sections.audit(scope.ds, scope.period)
    return res.for_unit(scope.unit) if scope.unit else res.findings


def problem_lines(scope: Scope, limit: int = 6) -> list[str]:
    """The audit's findings by kind, most first: “逾期未整改且未加重处理（110条，其中高风险2条）”
    (the count in brackets: a rule name may end in a number, “低于5%”)."""
    f = findings(scope)
    if f is None or f.empty:
        return []
    counts = f.groupby("rule_name", sort=False).agg(n=("rule", "size"), high=("severity", lambda s: (s == "高").sum()))
    counts = counts.sort_values("n", ascending=False, kind="stable").head(limit)
    return [f"{name}（{int(r.n)}条" + (f"，其中高风险{int(r.high)}条）" if r.high else "）")
            for name, r in counts.iterrows()]


def overdue_count(scope: Scope) -> int:
    table = sections.rectification_status_table(scope.ds, scope.period, scope.unit)
    row = table[table["整改状态"] == sections.STATUS_ZH[sections.OVERDUE]]
    return int(row["年初以来发现(处)"].iloc[0]) if len(row) else 0


def ranking_rows(scope: Scope) -> tuple[list[str], list[list[str]]] | None:
    table = sections.ranking_table(scope.ds, scope.period)
    if table is None or table.empty:
        return None
    headers = [str(c) for c in table.columns]
    rows = sections.cell_texts(table)
    return headers, rows


def next_steps(scope: Scope) -> list[str]:
    """Next steps, each drawn from a finding of the period (and the standing ones of the plan)."""
    f = findings(scope)
    rules = set(f["rule"]) if f is not None and len(f) else set()
    steps = []
    overdue = overdue_count(scope)
    if overdue:
        steps.append(f"对年初以来{overdue}处逾期未整改隐患逐项督办，复查闭环后销号；逾期未整改的依法从重查处。")
    if rules & {"closure_due"}:
        steps.append("对符合提请关闭情形的企业依法提请关闭。")
    if "criminal_referral_missing" in rules:
        steps.append("对涉嫌危险作业罪等情形的案件逐案复核，依法及时移送司法机关，杜绝有案不送、以罚代刑。")
    if rules & {"rectification_instead_of_penalty", "repeat_not_escalated"}:
        steps.append("纠正以检查代替执法、以整改代替处罚，对同一违法行为反复出现的依法从重查处。")
    if rules & {"fine_out_of_range", "fine_disparity", "case_basis_missing"}:
        steps.append("严格依据法律法规和法定幅度实施处罚，统一同类案件裁量，对有问题的案件逐案核查纠正。")
    if rules & {"reconciliation_mismatch", "reconciliation_incomplete", "cumulative_inconsistent",
                 "submission_missing"}:
        steps.append("规范执法统计，统计表（二）按台账如实填报，按时报送。")
    if rules & {"random_inspection_low", "plan_not_executed", "key_industry_uninspected"}:
        steps.append("落实年度执法计划和“双随机”抽查，重点行业领域检查全覆盖。")
    steps.append("持续推进“阳光执法”，及时公开执法检查和行政处罚情况，以案说法、以案普法。")
    return steps


def write_activities(scope: Scope, path) -> None:
    """The quarter's 活动开展情况 of the town or of one unit, as a 公文 at ``path``."""
    p = scope.period
    g = Gongwen()
    g.title(activities_title(scope))
    g.addressee(scope.addressee)
    g.para(f"根据{scope.plan_reference}要求，现将{scope.we}{p.label}安全生产执法提升专项行动开展情况报告如下：")

    g.h1("一、工作开展情况")
    g.para(work_paragraph(scope))
    g.para(ytd_paragraph(scope))
    missing = [line for line in sections.missing_submissions(scope.ds, p)
               if scope.unit is None or line.startswith(f"{scope.unit}：")]
    if missing:
        g.para("统计表未按期报送：" + "；".join(missing) + "。")

    g.h1("二、主要指标及计算口径")
    g.para("以下数据由各单位报送的统计表（一）执法检查台账逐条汇总计算；分母为零的比率记为“不适用”。")
    headers, rows = figures_table(scope)
    g.table(headers, rows, right=[False, True, True, False], widths_mm=[40, 22, 30, 64])

    g.h1("三、对照方案推进情况")
    for n, (head, text) in enumerate(phase_lines(scope), 1):
        g.h2(f"（{cn_number(n)}）{head}")
        g.para(text)

    g.h1("四、存在的问题")
    lines = problem_lines(scope)
    if lines:
        g.para(f"经对{p.label}台账和统计表逐条核查，发现问题{len(findings(scope))}条，主要是："
               + "；".join(lines) + "。")
    else:
        g.para(f"经对{p.label}台账和统计表逐条核查，未发现问题。")
    negative = sections.negative_candidates(candidates(scope.ds, p))
    if scope.unit:
        negative = negative[negative["unit"] == scope.unit] if len(negative) else negative
    if len(negative):
        g.para(f"核查发现{len(negative)}件案件存在以罚代刑或罚款超出法定幅度等问题，已列入回头看，逐案整改。")

    g.h1("五、评议考核情况")
    res = sections.scores(scope.ds, p)
    if scope.unit is None:
        ranking = ranking_rows(scope)
        if ranking:
            g.para(f"评议考核按{res.span.label}的数据计分，各单位得分及排名如下。")
            headers, rows = ranking
            g.table(headers, rows, right=[True, False, *[True] * (len(headers) - 3), False])
    elif res is not None and scope.unit in res.frame.index:
        row = res.frame.loc[scope.unit]
        g.para(f"评议考核按{res.span.label}的数据计分，{scope.we}总分{sections.score_text(row['total'])}分，"
               f"在{len(res.frame)}个单位中排第{int(row['rank'])}名，等级为{row['grade']}。")
        dims, _, _ = sections.score_tables(scope.ds, p, scope.unit)
        g.table(["维度", "分值", "得分"], sections.cell_texts(dims),
                right=[False, True, True])

    g.h1("六、下一步工作")
    for n, step in enumerate(next_steps(scope), 1):
        g.para(f"{cn_number(n)}是{step}")

    g.signature(scope.issuer, date_text(due_date(p)))
    g.save(path)
