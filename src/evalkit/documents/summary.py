"""专项行动总结: “12月20日前将第四季度活动开展情况、典型案例及‘安全生产执法提升专项行动’总结”.

The year's figures to the latest month submitted, the three phases, the 评议考核 results,
the problems the audit found, and 长效机制 suggestions drawn from those findings, dated for
the 12月20日 deadline (方案三（三） 总结提高阶段: “查摆问题、总结经验，积极探索加强安全监管执法的长效机制”).
"""

from __future__ import annotations

from evalkit.documents import activities
from evalkit.documents.common import Scope, cn_number, date_text, due_date, figure
from evalkit.documents.gongwen import Gongwen
from evalkit.report import sections


def summary_title(scope: Scope) -> str:
    return f"{scope.who}{scope.period.year}年\n安全生产执法提升专项行动总结"


def year_paragraphs(scope: Scope) -> list[str]:
    """The year's work and enforcement in two paragraphs (figures of the year so far)."""
    t = scope.values(scope.metrics())
    span = sections.span_phrase(scope.period)
    who = scope.members if scope.unit is None else scope.we
    return [
        f"{span}，{who}共现场监督检查企业（单位）{figure(t, 'inspected')}，检查覆盖率{figure(t, 'coverage_rate')}；"
        f"排查隐患{figure(t, 'hazards_found')}，已整改{figure(t, 'hazards_rectified')}，"
        f"隐患整改率{figure(t, 'rectification_rate')}。",
        f"立案{figure(t, 'cases_filed')}，罚款{figure(t, 'fines_wan')}，责令停产停业整顿{figure(t, 'suspended')}，"
        f"提请关闭{figure(t, 'closure_requested')}，移送追究刑事责任{figure(t, 'criminal_referrals')}，"
        f"移送其他部门{figure(t, 'referred_other')}；违法行为查处率{figure(t, 'violation_handling_rate')}，"
        f"立案占实际检查企业比例{figure(t, 'case_ratio')}。",
    ]


def mechanisms(scope: Scope) -> list[str]:
    """长效机制 suggestions: the next steps the findings call for, as standing rules."""
    steps = [s.rstrip("。") for s in activities.next_steps(scope)]
    steps.append("将专项行动中行之有效的做法固化为执法计划、执法统计、执法考评和典型案例报送制度，"
                 "推动由运动式集中整治向常态化监管执法转变（方案一）")
    return steps


def write_summary(scope: Scope, path) -> None:
    """The year's 专项行动总结 of the town or of one unit, as a 公文 at ``path``."""
    p = scope.period
    g = Gongwen()
    g.title(summary_title(scope))
    g.addressee(scope.addressee)
    upto = f"（数据截至{p.through}月）" if p.through else ""
    g.para(f"根据{scope.plan_reference}要求，{scope.we}扎实开展安全生产执法提升专项行动，现将{p.year}年工作总结如下{upto}：")

    g.h1("一、工作开展情况")
    for text in year_paragraphs(scope):
        g.para(text)
    headers, rows = activities.figures_table(scope)
    headers[1] = sections.span_phrase(p)
    g.table(headers[:2] + headers[3:], [[r[0], r[1], r[3]] for r in rows], right=[False, True, False],
            widths_mm=[44, 28, 84])

    g.h1("二、各阶段工作情况")
    for n, (head, text) in enumerate(activities.phase_lines(scope), 1):
        g.h2(f"（{cn_number(n)}）{head}")
        g.para(text)

    g.h1("三、评议考核情况")
    res = sections.scores(scope.ds, p)
    if scope.unit is None:
        ranking = activities.ranking_rows(scope)
        if ranking:
            grades = res.frame["grade"].value_counts()
            g.para(f"评议考核按{res.span.label}的数据计分，" + "，".join(
                f"{grade}{int(n)}个" for grade, n in grades.items()) + "。各单位得分及排名如下。")
            headers, rows = ranking
            g.table(headers, rows, right=[True, False, *[True] * (len(headers) - 3), False])
    elif res is not None and scope.unit in res.frame.index:
        row = res.frame.loc[scope.unit]
        g.para(f"评议考核按{res.span.label}的数据计分，{scope.we}总分{sections.score_text(row['total'])}分，"
               f"在{len(res.frame)}个单位中排第{int(row['rank'])}名，等级为{row['grade']}。")

    g.h1("四、存在的问题")
    lines = activities.problem_lines(scope)
    found = activities.findings(scope)
    if lines:
        g.para(f"经对全年台账和统计表逐条核查，发现问题{len(found)}条，主要是：" + "；".join(lines) + "。")
    else:
        g.para("经对全年台账和统计表逐条核查，未发现问题。")

    g.h1("五、长效机制建议")
    for n, step in enumerate(mechanisms(scope), 1):
        g.para(f"{cn_number(n)}是{step}。")

    g.signature(scope.issuer, date_text(due_date(p)))
    g.save(path)
