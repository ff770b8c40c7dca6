"""What the report notebooks show: tables, charts and text, so the notebooks stay thin.

A notebook cell calls one function here and displays its result. Everything is
computed from ``evalkit.metrics.engine`` / ``audit`` / ``scoring`` / ``cases`` on the
consolidated ``Dataset`` (``evalkit.report.cache.load_cached``); nothing is recomputed by
hand in a notebook. Results that several sections (and, in a warm batch kernel,
several reports) need are memoised per dataset and period (``_memo``).

Conventions: Chinese labels; an undefined rate is shown as 不适用, never 0; one colour
per unit everywhere (``charts.unit_colors`` over the dataset's full unit list); a
function named ``plot_*`` draws on a new figure and returns it, the notebook cell ends
with ``plt.show()``.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import math
import numbers
import re
from collections.abc import Callable, Iterable

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display

from evalkit._text import (
    HAZARD_STATUS_ZH,
    INCOMPLETE,
    NONE_RECORDED,
    NOT_APPLICABLE,
    NOT_COMPARABLE,
    NOT_SUBMITTED,
    as_number,
    format_value,
    is_missing,
    money_decimals,
    severity_rank,
)
from evalkit.assess.cases import (
    CRITERIA,
    DUPLICATE_CASE_NO,
    NEGATIVE,
    POSITIVE,
    PUBLICATION_NOT_RECORDED,
    case_candidates,
    key_case_numbers,
)
from evalkit.assess.cases import lookback as _lookback
from evalkit.assess.scoring import (
    FAIL,
    GRADE_NAMES,
    INDICATORS,
    finding_month,
    load_scoring_config,
    score_units,
    scored_span,
    shares_audit,
)
from evalkit.audit.reconcile import COMPARED, SCOPE_OF_ROW, held_to, verdict
from evalkit.audit.rules import AUDIT_RULES
from evalkit.audit.rules_handling import group_overdue
from evalkit.audit.run import run_audit
from evalkit.core import hierarchy
from evalkit.core.catalogue import load_catalogue, match_violation
from evalkit.core.dataset import covered_months, within_data
from evalkit.core.forms import FIGURES
from evalkit.core.periods import Period, parse_period
from evalkit.core.problems import RULES as VALIDATION_RULES
from evalkit.exceptions import ParameterError
from evalkit.metrics.engine import TOTAL_LABEL, MetricsEngine, compute_metrics, get_metric
from evalkit.metrics.hazards import CLOSED, DONE, OPEN, OVERDUE, RECTIFIED, hazard_status
from evalkit.report import charts
from evalkit.report.cache import cached_result, load_cached
from evalkit.report.html import HEADLINE_MIME

#: Metrics of the KPI tables, in reading order.
KPI_METRICS = ("inspected", "coverage_rate", "hazards_found", "hazards_rectified", "rectification_rate",
               "cases_filed", "case_ratio", "violation_handling_rate", "fines_wan", "suspended",
               "criminal_referrals")
#: The key rates of the town heatmap.
KEY_RATES = ("coverage_rate", "rectification_rate", "violation_handling_rate", "case_ratio")
PENALTY_METRICS = ("cases_filed", "fines_wan", "suspended", "closure_requested", "licenses_suspended",
                   "blacklisted", "joint_punishment", "criminal_referrals", "referred_other")
AGE_BUCKETS = ((30, "30天以内"), (60, "31—60天"), (90, "61—90天"), (math.inf, "90天以上"))
#: Labels of ``metrics.hazards.hazard_status``, in table order.
STATUS_ZH = {key: HAZARD_STATUS_ZH[key] for key in (RECTIFIED, CLOSED, OVERDUE, OPEN)}

_MEMO: dict[tuple, object] = {}


# --------------------------------------------------------------------------- session
def open_dataset(data_dir):
    """Chart style on, pandas display settings for reports, the dataset through the cache."""
    charts.use_style()
    pd.set_option("display.max_columns", 40)
    pd.set_option("display.width", 160)
    return load_cached(data_dir)


def as_period(period, ds=None) -> Period:
    """A Period from a Period or its text; with the dataset, a quarter or year in progress is
    cut at the data's latest month (``core.dataset.within_data``: label “2024年（截至11月）”)."""
    p = period if isinstance(period, Period) else parse_period(period)
    return p if ds is None else within_data(ds, p)


def _key(ds) -> str:
    return str((ds.meta or {}).get("cache_key") or id(ds))


def _memo(ds, name: str, *args, compute: Callable, shared: bool = False):
    """Memoise a computation per (dataset, name, args); datasets are keyed by cache key.

    ``shared=True`` also keeps the result on disk beside the cached dataset
    (``cache.cached_result``), for the slow town-wide results every report needs.
    """
    key = (_key(ds), name, *args)
    if key not in _MEMO:
        if len(_MEMO) > 256:
            _MEMO.clear()
        if shared:
            _MEMO[key] = cached_result(ds, "-".join(map(str, (name, *args))), compute)
        else:
            _MEMO[key] = compute()
    return _MEMO[key]


def colors(ds) -> dict[str, str]:
    """The unit -> colour map of this dataset (same in every chart and report)."""
    return _memo(ds, "colors", compute=lambda: charts.unit_colors(ds.units["unit"]))


# --------------------------------------------------------------------------- display helpers
def _display(obj, raw: bool = False):
    display(obj, raw=raw)


def title(text: str, subtitle: str | None = None) -> None:
    """The report's H1 (and a grey subtitle line); ``text`` may hold a submitted unit name."""
    body = f"# {md_text(text)}"
    if subtitle:
        body += f"\n\n<span class='ek-note'>{html.escape(subtitle)}</span>"
    _display(Markdown(body))


def note(text: str) -> None:
    """A grey explanatory note."""
    _display(HTML(f'<p class="ek-note">{html.escape(text)}</p>'))


def warn(text: str) -> None:
    """A visible warning box (e.g. a section that could not be computed)."""
    _display(HTML(f'<div class="ek-warn" style="border-left:4px solid #c0392b;padding:4px 8px">'
                  f'{html.escape(text)}</div>'))


def bullets(lines: Iterable[str], empty: str = "无") -> None:
    """A bulleted list (Markdown)."""
    lines = list(lines)
    _display(Markdown("\n".join(f"- {md_text(x)}" for x in lines) if lines else md_text(empty)))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md_text(text) -> str:
    """``text`` as literal Markdown: HTML-escaped (a submitted ``<script>`` stays text, since
    Markdown passes raw HTML through) and Markdown punctuation backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False)).replace("\n", " ")


def headline(figures: dict[str, str], note_text: str | None = None) -> None:
    """KPI cards, also published for the batch index (``render.HEADLINE_MIME``)."""
    cards = "".join(
        f'<div class="ek-kpi" style="display:inline-block;border:1px solid #cbd2d9;border-radius:4px;'
        f'padding:4px 10px;margin:0 6px 6px 0"><div class="ek-kpi-label">{html.escape(k)}</div>'
        f'<div class="ek-kpi-value" style="font-size:1.3em;font-weight:bold">{html.escape(str(v))}</div></div>'
        for k, v in figures.items())
    extra = f'<div class="ek-kpi-note">{html.escape(note_text)}</div>' if note_text else ""
    text = "；".join(f"{k}：{v}" for k, v in figures.items())
    _display({"text/html": f'<div class="ek-kpis">{cards}</div>{extra}', "text/plain": text,
              HEADLINE_MIME: {k: str(v) for k, v in figures.items()}}, raw=True)


def show(frame: pd.DataFrame, caption: str | None = None, *, highlight=None, index: bool = False,
         empty: str = "（无记录）", css_class: str | None = None) -> None:
    """Display a table (pandas Styler): caption, 不适用 for missing values, optional highlight.

    ``highlight``: a DataFrame of booleans (same shape) marking cells to colour red.
    Columns of figures (``numeric_columns``) are right-aligned and do not wrap; a header may
    break before its unit, "(家)", and nowhere else unless it must (``header_text``).
    ``css_class``: extra class of the table (e.g. ``ek-fixed``: equal columns, full width).
    """
    if frame is None or len(frame) == 0:
        note(f"{caption + '：' if caption else ''}{empty}")
        return
    # escape="html": cells, index and headers may hold submitted text (unit and enterprise names)
    styler = frame.style.format(_cell_text, na_rep=NOT_APPLICABLE, escape="html")
    for column, fmt in _kind_formatters(frame).items():
        styler = styler.format(fmt, subset=[column], escape="html")
    styler = styler.format_index(escape="html", axis=0).format_index(header_text, escape="html", axis=1)
    names = [c for c in frame.columns if c in _NAME_COLUMNS]
    if names:  # an enterprise name wrapping two characters a line is unreadable
        styler = styler.set_properties(subset=names, **{"min-width": "6em"})
    figures = numeric_columns(frame)
    if figures:
        styler = styler.set_properties(subset=figures, **{"text-align": "right", "white-space": "nowrap"})
    dates = [c for c in frame.columns if c not in figures and _all_dates(frame[c])]
    if dates:  # 2024-06-10 on one line
        styler = styler.set_properties(subset=dates, **{"white-space": "nowrap"})
    styler = styler.set_table_attributes(f'class="ek-table{" " + css_class if css_class else ""}"')
    if caption:
        styler = styler.set_caption(html.escape(caption))
    if not index:
        styler = styler.hide(axis="index")
    if highlight is not None:
        styler = styler.apply(lambda _: highlight.replace({True: "background-color:#f8d7d3;font-weight:bold",
                                                           False: ""}), axis=None)
    styler = styler.set_table_styles([{"selector": "caption", "props": "caption-side:top;text-align:left;"
                                                                      "font-weight:bold;padding:4px 0"}])
    _display(styler)


#: A cell of a column of figures: 12, 0.5, 85.00%, 4/27 (a rank), 3.00（已达上限）, 8（不完整）.
_FIGURE_TEXT = re.compile(r"^[-+]?\d+(?:\.\d+)?(?:%|/\d+)?(?:（[^）]*）)?$")
#: What a column of figures holds where there is no figure.
_NO_FIGURE = frozenset({NOT_APPLICABLE, NOT_SUBMITTED, NOT_COMPARABLE, NONE_RECORDED, INCOMPLETE, ""})


def numeric_columns(frame: pd.DataFrame) -> list:
    """The columns of ``frame`` that hold figures (numbers, or their text as ``format_value``
    writes it, with 不适用 / — where there is none): they are right-aligned in a report."""
    found = []
    for col in frame.columns:
        figures, other = 0, False
        for value in frame[col]:
            if is_missing(value):
                continue
            if isinstance(value, bool):
                other = True
            elif isinstance(value, numbers.Number):
                figures += 1
            elif str(value).strip() in _NO_FIGURE:
                continue
            elif _FIGURE_TEXT.match(str(value).strip()):
                figures += 1
            else:
                other = True
            if other:
                break
        if figures and not other:
            found.append(col)
    return found


#: Columns of names that must not shrink to two characters a line.
_NAME_COLUMNS = frozenset({"企业", "问题类型", "计分项"})
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _all_dates(values) -> bool:
    known = [str(v).strip() for v in values if not is_missing(v) and str(v).strip() not in _NO_FIGURE]
    return bool(known) and all(_DATE_TEXT.match(v) for v in known)


_HEADER_BREAK = re.compile(r"(?=[(（])")
_BRACKETED = re.compile(r"[(（][^()（）]{1,4}[)）]")
_ZWSP, _WORD_JOINER = "\u200b", "\u2060"


def header_text(text) -> str:
    """A column header that breaks before its unit in brackets and never inside it: a
    zero-width space before “(”, word joiners inside a short bracket group, so “立案数(家)”
    may break as 立案数 / (家), and “罚款(万元)” never as 罚款(万 / 元)."""
    text = _BRACKETED.sub(lambda m: _WORD_JOINER.join(m.group()), str(text))
    return _HEADER_BREAK.sub(_ZWSP, text).lstrip(_ZWSP)


#: ``frame.attrs`` key: column -> ``format_value`` kind, for the columns of a table whose figures
#: have one fixed form (评议考核 scores: always 2 decimals, 34.00 beside 30.32), honoured by
#: ``show`` and ``cell_texts``; the frame itself keeps numbers, for analysts and charts.
KINDS_ATTR = "evalkit_kinds"


def with_kinds(frame: pd.DataFrame, **kinds: str) -> pd.DataFrame:
    """``frame`` with ``kinds`` (column -> ``format_value`` kind) recorded for display.

    pandas keeps ``attrs`` through filtering, ``head`` and column selection, but ``merge`` and
    ``concat`` with an unmarked frame drop them and ``rename`` leaves the old names: mark a
    table after its last reshaping."""
    frame.attrs[KINDS_ATTR] = {**frame.attrs.get(KINDS_ATTR, {}), **kinds}
    return frame


def score_text(value) -> str:
    """A 评议考核 score as text: 2 decimals (``format_value`` "score"), 不适用 without one."""
    return format_value(value, "score")


def cell_texts(frame: pd.DataFrame) -> list[list[str]]:
    """Every row of ``frame`` as the texts ``show`` prints (the Word documents' tables)."""
    marked = _kind_formatters(frame)
    fmts = [marked.get(c, _cell_text) for c in frame.columns]
    return [[f(v) for f, v in zip(fmts, rec, strict=True)] for rec in frame.itertuples(index=False)]


def _kind_formatters(frame: pd.DataFrame) -> dict:
    """Column -> formatter, for the columns of ``frame`` marked by ``with_kinds``."""
    return {c: functools.partial(format_value, kind=k) for c, k in frame.attrs.get(KINDS_ATTR, {}).items()
            if c in frame.columns}


def _cell_text(value) -> str:
    if is_missing(value):
        return NOT_APPLICABLE
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{int(value)}"
    if isinstance(value, (list, tuple)):
        return "；".join(map(str, value))
    return str(value)


def _kind(metric_id: str) -> str:
    """The ``format_value`` kind of a metric: rate (with %), money (万元) or count."""
    return get_metric(metric_id).text_kind


def column_texts(values, metric_id: str) -> list[str]:
    """A column of ``metric_id`` figures as text; 万元 all with the same decimals (those of
    the most precise figure, ``_text.money_decimals``), so the column lines up."""
    values = list(values)
    kind = _kind(metric_id)
    places = money_decimals(values) if kind == "money" else None
    return [format_value(v, kind, decimals=places) for v in values]


def _shown(values, metric_id: str) -> str:
    """``values[metric_id]`` (a metrics row or total) as text in the metric's kind."""
    return format_value(values[metric_id], _kind(metric_id))


# --------------------------------------------------------------------------- shared computations
def engine(ds):
    return _memo(ds, "engine", compute=lambda: MetricsEngine(ds))


def metrics(ds, period, scope: str | None = None, source: str = "ledger"):
    """``compute_metrics`` memoised (one prepared engine per dataset)."""
    p = as_period(period, ds)
    return _memo(ds, "metrics", p.text, p.kind, scope, source,
                 compute=lambda: compute_metrics(engine(ds), p.text, scope=scope, source=source))


def audit(ds, period):
    """``run_audit`` memoised."""
    p = as_period(period, ds)
    return _memo(ds, "audit", p.text, p.kind, compute=lambda: run_audit(ds, p), shared=True)


def scores(ds, period):
    """``score_units`` memoised, built on the shared ``audit`` of the span it scores (one audit
    run per span, not one for the findings and another inside the scores)."""
    p = as_period(period, ds)

    def compute():
        if not shares_audit(load_scoring_config(None)[0]):
            return score_units(ds, p)
        return score_units(ds, p, audit=audit(ds, scored_span(ds, p)))

    return _memo(ds, "scores", p.text, p.kind, compute=compute, shared=True)


def candidates(ds, period):
    """``cases.case_candidates`` (all candidates, ranked) memoised and shared."""
    p = as_period(period, ds)
    return _memo(ds, "candidates", p.text, p.kind, compute=lambda: case_candidates(ds, p), shared=True)


def lookback(ds, period, case_nos=None):
    """``cases.lookback`` memoised and shared (for the default selection of cases)."""
    p = as_period(period, ds)
    if case_nos is not None:
        return _lookback(ds, p, list(case_nos))
    return _memo(ds, "lookback", p.text, p.kind, compute=lambda: _lookback(ds, p), shared=True)


def lookback_selection(ds, period, case_nos=None, top: int | None = 20) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(key cases, the other cases, what the look-back covers, in words) of the period.

    ``case_nos`` given: exactly those cases, nothing else. Otherwise every case of the period
    is checked (``lookback``) and the ``top`` key cases by the typical-case criteria
    (``cases.key_case_numbers``: criteria score, then fine) come first, in that order; the
    rest follow in a second table, so the full list stays in the report. ``top`` 0 or None:
    every case is a key case.
    """
    p = as_period(period, ds)
    if top is not None and (not isinstance(top, int) or isinstance(top, bool) or top < 0):
        raise ParameterError("top", top, "0（全部案件）或正整数")
    checks = lookback(ds, p, case_nos)
    if case_nos is not None:
        return checks, checks.iloc[0:0], f"指定的 {len(checks)} 件案件"
    order = {c: i for i, c in enumerate(key_case_numbers(ds, p, candidates(ds, p)))}
    ranked = checks.assign(_o=[order.get(c, len(order)) for c in checks["case_no"]]).sort_values(
        "_o", kind="stable").drop(columns="_o")
    cases = list(dict.fromkeys(ranked["case_no"]))
    if not top or top >= len(cases):
        return ranked.reset_index(drop=True), ranked.iloc[0:0], f"本期立案的全部 {len(ranked)} 件案件"
    # a case number used for two enterprises is two cases (``cases.case_rows``): counted as rows
    keep = ranked["case_no"].isin(cases[:top])
    n_key, n_all = int(keep.sum()), len(ranked)
    return (ranked[keep].reset_index(drop=True), ranked[~keep].reset_index(drop=True),
            f"按典型案例入选标准排序的前 {n_key} 件重点案件"
            f"（本期立案案件共 {n_all} 件，其余 {n_all - n_key} 件见附表）")


def ytd_scope(period) -> str | None:
    """The scope giving a month's year-to-date (累计) figures; None for a quarter or year."""
    return "ytd" if as_period(period).kind == "month" else None


def span_phrase(period, scope: str | None = None) -> str:
    """What a figure covers, written before its name: 本月, 本季度, 全年, or 年初以来（截至6月）
    for a month's ytd and for a year still in progress; a quarter in progress is
    本季度（截至11月）. A quarter's figures are never called 年初以来, nor the other way round."""
    p = as_period(period)
    kind = scope or p.kind
    if kind == "ytd":
        return f"年初以来（截至{p.last_month}月）"
    if kind == "month":
        return "本月"
    if kind == "quarter":
        return "本季度" + (f"（截至{p.through}月）" if p.through else "")
    return f"年初以来（截至{p.through}月）" if p.through else "全年"


def scope_label(period, scope: str | None) -> str:
    p = as_period(period)
    if scope == "ytd":
        return f"{p.year}年1—{p.last_month}月累计"
    return p.label


def _rank(values: pd.Series, higher_is_better: bool | None, unit: str) -> str:
    known = values.dropna()
    known = known[[v is not None for v in known]].astype(float) if len(known) else known
    if higher_is_better is None or unit not in known.index or known.nunique() <= 1:
        return "—"  # no direction, no value, or every unit equal: a rank would say nothing
    ranks = known.rank(ascending=not higher_is_better, method="min")
    return f"{int(ranks[unit])}/{len(known)}"


# --------------------------------------------------------------------------- levels
def region(ds) -> str:
    """The data folder's root (``core.hierarchy.root``): the town, or the city."""
    return hierarchy.root(ds.units)


def summary_units(ds) -> list[str]:
    """The units the root's summary lists: those reporting to it (every unit of a town folder;
    the towns, 街道 and city departments of a city folder)."""
    return hierarchy.children_of(ds.units, region(ds))


def whole(ds, unit: str | None = None) -> str:
    """“全镇” or “全市”: how the text names ``unit``'s (default the root's) whole."""
    return hierarchy.total_label(ds.units, unit).removesuffix("合计")


def _members(ds, unit: str) -> list[str]:
    """The units whose ledgers make up ``unit``'s figures (``hierarchy.ledger_units``)."""
    return _memo(ds, "members", unit, compute=lambda: hierarchy.ledger_units(ds.units, unit))


def _with_below(ds, unit: str) -> list[str]:
    """``unit`` and every unit below it: whose findings and submissions are the unit's too."""
    return _memo(ds, "below", unit, compute=lambda: [unit, *hierarchy.descendants(ds.units, unit)])


def supervised(ds, unit: str) -> int:
    """监管企业 of ``unit``: its own registry enterprises, a town's those of its units (a stock)."""
    own = ds.units.set_index("unit")["supervised_total"]
    return int(sum(int(own.get(u, 0)) for u in _members(ds, unit)))


def figures_source(ds, unit: str | None = None) -> str:
    """Where ``unit``'s (default the root's) figures come from, in words for the report.

    A unit's own workbooks; the rows its town relayed on a consolidated form (``via``); for a
    town, 街道 or the city: recomputed from its units' ledgers, which came in the towns'
    consolidated forms, the forwarded originals, or both."""
    unit = region(ds) if unit is None else unit
    led = ds.ledger[ds.ledger["unit"].isin(_members(ds, unit))]
    via = led["via"] if "via" in led else pd.Series([None] * len(led), dtype=object)
    relayed = sorted({str(v) for v in via.dropna()})
    own = int(via.isna().sum())
    if hierarchy.Tree(ds.units).keeps_ledger(unit):
        if relayed and not own:
            return f"{'、'.join(relayed)}汇总报送的统计表（附件1、附件2）中本单位的记录"
        return "本单位报送的统计表（附件1、附件2）"
    if relayed and own:
        how = f"{'、'.join(relayed)}报送的汇总表和其余单位转报的原始报表"
    elif relayed:
        how = f"{'、'.join(relayed)}报送的汇总表"
    else:
        how = "各下属单位转报的原始报表"
    return f"{how}（附件1、附件2）；指标由各单位附件1台账重算，同一企业只计一次"


# --------------------------------------------------------------------------- unit report
def unit_kpis(ds, period, unit: str, scope: str | None = None) -> pd.DataFrame:
    """The unit's KPIs beside its peers and its parent: 本单位, 各单位平均, 全镇合计, 本单位排名.

    The peers are the units ranked with it (``hierarchy.peer_groups``: every unit of a town
    folder); 各单位平均 is their mean over defined values; 全镇合计 (全市合计 …) is its
    parent's figures (rates recomputed from the parent's numerator and denominator, as
    ``metrics`` does); 排名 counts peers with a defined value, best first (direction from the
    metric's definition; ties share the best rank).
    """
    res = metrics(ds, period, scope=scope)
    if unit not in res.frame.index:
        raise ParameterError("unit", unit, "、".join(map(str, res.frame.index)))
    groups = hierarchy.peer_groups(ds.units)
    peers = [u for u in res.frame.index if groups.get(u) == groups.get(unit)] or [unit]
    parent = hierarchy.parent_of(ds.units, unit) or region(ds)
    total = res.frame.loc[parent] if parent in res.frame.index else res.total
    total_name = hierarchy.total_label(ds.units, parent)
    rows = []
    for mid in KPI_METRICS:
        if mid not in res.frame.columns:
            continue
        d = get_metric(mid)
        col = res.frame.loc[peers, mid].map(as_number)
        mean = col.dropna().astype(float).mean() if col.notna().any() else None
        kind = _kind(mid)
        # 万元 side by side with the same decimals: those the units' figures were written with
        places = money_decimals([*col, total[mid]]) if kind == "money" else None
        rows.append({"指标": d.header, "本单位": format_value(col[unit], kind, decimals=places),
                     "各单位平均": format_value(mean, kind, decimals=places),
                     total_name: format_value(total[mid], kind, decimals=places),
                     "本单位排名": _rank(col, d.higher_is_better, unit)})
    return pd.DataFrame(rows)


def _unit_submissions(ds, p, unit: str) -> pd.DataFrame:
    """The unit's submission sheets (``Dataset.submissions`` rows) of the months of ``p``
    (a town's: its own consolidated forms and its units')."""
    sub = ds.submissions
    return sub[sub["unit"].isin(_with_below(ds, unit)) & sub["period"].isin(p.period_keys)] if len(sub) else sub


def submission_warning(ds, period, unit: str) -> None:
    """Warn, visibly, when the unit sent no form for some month of the period, or sent late."""
    p = as_period(period, ds)
    mine = _unit_submissions(ds, p, unit)
    # Only months the data reaches count: in a year still in progress (data to November)
    # December is not missing yet, for any unit.
    covered = covered_months(ds)
    expected = [k for k in p.period_keys if covered and covered[0] <= k <= covered[-1]]
    missing = [k for k in expected if mine.empty or k not in set(mine["period"])]
    if missing:
        months = "、".join(f"{int(k[5:])}月" for k in missing)
        warn(f"{unit}未报送 {months} 的统计表：这些月份的本期指标按 0 或“{NOT_APPLICABLE}”计。")
    late = sorted(set(mine.loc[mine["late"].astype(bool), "period"])) if len(mine) else []
    if late:
        note(f"逾期报送：{'、'.join(f'{int(k[5:])}月' for k in late)}（按收到日期判断）。")
    rejected_rows_notice(ds, p, unit)


def rejected_problems(ds, period, unit: str) -> pd.DataFrame:
    """The errors that kept rows of the unit's forms of ``period`` out of the figures: one
    row per problem (文件, 工作表, 行, 列, 问题), the sheet-level ones (行 blank) first."""
    p = as_period(period, ds)
    rej, probs = ds.rejected, ds.problems
    mine = _unit_submissions(ds, p, unit)
    columns = ["文件", "工作表", "行", "列", "问题"]
    if mine.empty or not len(rej) or not len(probs):
        return pd.DataFrame(columns=columns)
    sheets = set(zip(mine["file"], mine["sheet"], strict=True))
    rows = {(f, sh, int(r)) for f, sh, r in zip(rej["file"], rej["sheet"], rej["row"], strict=True)
            if (f, sh) in sheets}
    errors = probs[probs["severity"] == "error"]
    keep = [((f, sh) in sheets and (is_missing(r) or (f, sh, int(r)) in rows))
            for f, sh, r in zip(errors["file"], errors["sheet"], errors["row"], strict=True)]
    found = errors[keep]
    out = pd.DataFrame({"文件": found["file"], "工作表": found["sheet"],
                        "行": [None if is_missing(r) else int(r) for r in found["row"]],
                        "列": found["column"], "问题": found["message"]}, columns=columns)
    return out.sort_values(["文件", "工作表", "行"], na_position="first", kind="stable").reset_index(drop=True)


def rejected_rows_notice(ds, period, unit: str) -> None:
    """Say, visibly, how many of the unit's rows of ``period`` were rejected and why.

    A unit whose every row was rejected would otherwise get a report of zeros and
    "不适用" with nothing saying why; the rows and their problems are listed here, as
    the data check (``evalkit validate``) reports them."""
    p = as_period(period, ds)
    mine = _unit_submissions(ds, p, unit)
    if mine.empty:
        return
    read, rejected = int(mine["rows_read"].sum()), int(mine["rows_rejected"].sum())
    if rejected == 0:
        return
    if rejected == read:
        warn(f"{unit}本期报送的统计表共 {read} 行，全部未通过校验，均未计入本报告的指标："
             "请按下表修改后重新报送（数据校验清单列出全部问题）。")
    else:
        warn(f"{unit}本期报送的统计表共 {read} 行，其中 {rejected} 行未通过校验，未计入本报告的指标；"
             "原因见下表。")
    show(rejected_problems(ds, p, unit), "未计入的行及原因", empty="（问题明细不可用）")


def unit_summary(ds, period, unit: str) -> dict:
    """The unit's headline figures (for the KPI cards, the printed check line and the index)."""
    p = as_period(period, ds)
    ytd = ytd_scope(p)
    cum = metrics(ds, p, scope=ytd)
    res = scores(ds, p)
    row = res.frame.loc[unit] if res is not None and unit in res.frame.index else None
    groups = hierarchy.peer_groups(ds.units)
    n_units = (sum(groups.get(u) == groups.get(unit) for u in res.frame.index) if res is not None
               else len(ds.units))
    out = {
        "综合得分": format_value(row["total"], "score") if row is not None else NOT_APPLICABLE,
        "排名": f"{int(row['rank'])}/{n_units}" if row is not None else NOT_APPLICABLE,
        "等级": str(row["grade"]) if row is not None else NOT_APPLICABLE,
        f"{span_phrase(p, ytd)}检查覆盖率": format_value(cum.frame.at[unit, "coverage_rate"], "rate"),
        f"{span_phrase(p, ytd)}隐患整改率": format_value(cum.frame.at[unit, "rectification_rate"], "rate"),
    }
    return out


def summary_line(name: str, figures: dict) -> str:
    """One stable line of headline figures (the nbval-checked output)."""
    return f"{name}：" + "；".join(f"{k} {v}" for k, v in figures.items())


def monthly_series(ds, period, metric_id: str, scope: str = "month", unit: str | None = None) -> pd.Series:
    """``metric_id`` for each month from January to the period's last month (index 1..m).

    ``scope`` "month" gives each month alone, "ytd" the running total to that month.
    ``unit=None`` gives the town total.
    """
    p = as_period(period, ds)
    values = {}
    for m in range(1, p.last_month + 1):
        res = metrics(ds, f"{p.year}-{m:02d}", scope=scope)
        values[m] = as_number(res.total[metric_id] if unit is None else res.frame.at[unit, metric_id])
    return pd.Series(values, dtype=object, name=metric_id)


def unit_monthly_table(ds, period, unit: str) -> pd.DataFrame:
    """Month by month: inspections, hazards, rectified, cases, fines of the unit (this year)."""
    ids = ("inspected", "hazards_found", "hazards_rectified", "rectification_rate", "cases_filed", "fines_wan")
    frame = pd.DataFrame({get_metric(m).header: monthly_series(ds, period, m, unit=unit).map(
        lambda v, m=m: format_value(v, _kind(m))) for m in ids})
    frame.insert(0, "月份", [f"{m}月" for m in frame.index])
    return frame


def _glyphs_checked(plot):
    """A chart whose texts hold a character no font has (a 生僻字 beyond the fonts, a rare
    symbol) still renders, with a visible warning naming the characters, never an error."""
    @functools.wraps(plot)
    def wrapper(*args, **kwargs):
        fig = plot(*args, **kwargs)
        missing = charts.missing_glyphs(fig) if fig is not None else []
        if missing:
            warn(f"图中以下字符没有可用字体，显示为空白方框：{'、'.join(missing)}（数据本身不受影响）")
        return fig
    return wrapper


@_glyphs_checked
def plot_unit_trends(ds, period, unit: str):
    """Two panels: cumulative coverage and monthly rectification rate, unit vs town."""
    cols = colors(ds)
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.5, 3.0))
    cov = pd.DataFrame({unit: monthly_series(ds, period, "coverage_rate", "ytd", unit),
                        whole(ds): monthly_series(ds, period, "coverage_rate", "ytd")})
    charts.lines_by_month(cov, colors={unit: cols[unit]}, title="累计检查覆盖率", ylabel="覆盖率（%）",
                          ax=left, ylim=(0, 105))
    rect = pd.DataFrame({unit: monthly_series(ds, period, "rectification_rate", "month", unit),
                         whole(ds): monthly_series(ds, period, "rectification_rate", "month")})
    charts.lines_by_month(rect, colors={unit: cols[unit]}, title="当月隐患整改率", ylabel="整改率（%）",
                          ax=right, ylim=(0, 105))
    fig.tight_layout()
    return fig


def _period_items(ds, period, unit: str | None = None) -> pd.DataFrame:
    p = as_period(period, ds)
    it = ds.items
    mask = it["period"].isin(p.period_keys) & it["counts_as_hazard"].astype(bool)
    if unit is not None:
        mask &= it["unit"].isin(_members(ds, unit))
    return it[mask]


def hazard_categories(ds, period, unit: str | None = None) -> pd.DataFrame:
    """New hazards of the period by catalogue category and violation (``catalogue.match_violation``).

    Columns 类别, 代码, 违法行为, 隐患数(处); an item no catalogue entry describes is 未归类.
    """
    items = _period_items(ds, period, unit)
    cat = load_catalogue()
    codes = [match_violation(h) for h in items["hazard"]]
    frame = pd.DataFrame({
        "类别": [cat.at[c, "category"] if c else "未归类" for c in codes],
        "代码": [c or "—" for c in codes],
        "违法行为": [cat.at[c, "short"] if c else "（未能归入目录）" for c in codes],
    })
    if frame.empty:
        return pd.DataFrame(columns=["类别", "代码", "违法行为", "隐患数(处)"])
    out = frame.value_counts().rename("隐患数(处)").reset_index()
    return out.sort_values(["隐患数(处)", "代码"], ascending=[False, True], kind="stable").reset_index(drop=True)


@_glyphs_checked
def plot_hazard_categories(ds, period, unit: str | None = None):
    """Horizontal bars: hazards per category (the unit's colour, or the town's grey)."""
    table = hazard_categories(ds, period, unit)
    if table.empty:
        note("本期没有新发现的隐患，不绘制类别分布图。")
        return None
    by_cat = table.groupby("类别")["隐患数(处)"].sum()
    color = colors(ds).get(unit, charts.TOWN_COLOR) if unit else "#1c4e80"
    ax = charts.hbar(by_cat, title="隐患类别分布", xlabel="隐患数（处）", color=color)
    return ax.figure


def rectification_items(ds, period, unit: str | None = None) -> pd.DataFrame:
    """Every new hazard found from January to the period end, with its status at the period end.

    status: ``metrics.hazards.hazard_status`` at the period end (STATUS_ZH): rectified
    (its own row says so), closed (a 复查 dated on or before the end found it rectified),
    overdue (neither, deadline before the end), open (neither, not yet due).
    age_days: days from the inspection to the period end.
    """
    p = as_period(period, ds)
    end = pd.Timestamp(p.end)
    keys = [f"{p.year}-{m:02d}" for m in range(1, p.last_month + 1)]
    it = ds.items
    mask = it["period"].isin(keys) & it["counts_as_hazard"].astype(bool)
    if unit is not None:
        mask &= it["unit"].isin(_members(ds, unit))
    it = it[mask]
    status = hazard_status(it, end)
    return pd.DataFrame({
        "unit": it["unit"], "enterprise": it["enterprise_name"], "hazard": it["hazard"],
        "inspection_date": pd.to_datetime(it["inspection_date"]), "deadline": pd.to_datetime(it["deadline"]),
        "rectification": it["rectification"], "period": it["period"], "status": status,
        "age_days": (end - pd.to_datetime(it["inspection_date"])).dt.days,
        "overdue_days": (end - pd.to_datetime(it["deadline"])).dt.days.where(status == OVERDUE),
    })


def rectification_status_table(ds, period, unit: str | None = None) -> pd.DataFrame:
    """Counts by status: hazards found in the period, and all found since January."""
    p = as_period(period, ds)
    items = rectification_items(ds, p, unit)
    in_p = items["period"].isin(p.period_keys)
    rows = []
    for key, name in STATUS_ZH.items():
        rows.append({"整改状态": name, "本期发现(处)": int((in_p & (items["status"] == key)).sum()),
                     "年初以来发现(处)": int((items["status"] == key).sum())})
    rows.append({"整改状态": "合计", "本期发现(处)": int(in_p.sum()), "年初以来发现(处)": len(items)})
    return pd.DataFrame(rows)


def aging_table(ds, period, unit: str | None = None) -> pd.DataFrame:
    """Open (not rectified) hazards by age at the period end: counts (处) per status (STATUS_ZH)."""
    items = rectification_items(ds, period, unit)
    open_ = items[~items["status"].isin(DONE)]
    rows = []
    low = -1
    for high, name in AGE_BUCKETS:
        sel = open_[(open_["age_days"] > low) & (open_["age_days"] <= high)]
        rows.append({"隐患发现至期末": name, STATUS_ZH[OPEN]: int((sel["status"] == OPEN).sum()),
                     STATUS_ZH[OVERDUE]: int((sel["status"] == OVERDUE).sum())})
        low = high
    return pd.DataFrame(rows)


def overdue_list(ds, period, unit: str | None = None) -> pd.DataFrame:
    """The overdue items at the period end, longest overdue first."""
    items = rectification_items(ds, period, unit)
    od = items[items["status"] == OVERDUE].sort_values("overdue_days", ascending=False, kind="stable")
    out = pd.DataFrame({
        "单位": od["unit"], "企业": od["enterprise"], "隐患": od["hazard"],
        "检查时间": od["inspection_date"].dt.strftime("%Y-%m-%d"),
        "整改期限": od["deadline"].dt.strftime("%Y-%m-%d"),
        "逾期天数": od["overdue_days"].astype("Int64"),
        "整改情况记载": od["rectification"].fillna("（未填写）"),
    })
    return out if unit is None else out.drop(columns=["单位"])


def cases_table(ds, period, unit: str | None = None) -> pd.DataFrame:
    """Ledger rows of the period with a case number, a fine or other handling."""
    p = as_period(period, ds)
    led = ds.ledger
    mask = led["period"].isin(p.period_keys)
    if unit is not None:
        mask &= led["unit"].isin(_members(ds, unit))
    led = led[mask]
    fine = pd.to_numeric(led["fine_wan"], errors="coerce")
    keep = led["case_no"].notna() | (fine.fillna(0) > 0) | led["other_handling"].notna()
    led, fine = led[keep], fine[keep]
    unread = led["unreadable"].fillna("").astype(str).str.contains("fine_wan", regex=False)
    out = pd.DataFrame({
        "单位": led["unit"], "检查时间": pd.to_datetime(led["inspection_date"]).dt.strftime("%Y-%m-%d"),
        "企业": led["enterprise_name"], "立案案号": led["case_no"].fillna(NONE_RECORDED),
        "罚款(万元)": [fine_text(v, unreadable=u) for v, u in zip(fine, unread, strict=True)],
        "处罚依据": led["legal_basis"].fillna(NONE_RECORDED),
        "其他查处(或移送)情况": led["other_handling"].fillna("—"),
    }).sort_values("检查时间", kind="stable")
    return out if unit is None else out.drop(columns=["单位"])


def fine_text(value, *, unreadable: bool = False) -> str:
    """A row's fine (万元) in a table: the amount, “—” where the row has no fine (blank or 0),
    “未能识别” where intake could not read the cell (a fine reading 待定). Not 不适用: that
    word is kept for a rate whose denominator is zero."""
    if unreadable:
        return "未能识别"
    v = as_number(value)
    return NONE_RECORDED if v is None or v == 0 else format_value(v, "money")


def figures_comparison(ds, period, unit: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """附件2 as the unit reported it beside the figures recomputed from its 附件1 ledger.

    Returns (table, differs). For a month the pairs are the audit's (rule 1): the unit's
    本月数 row vs the ledger for the month, its 累计数 row vs January to the month, and
    ``differs`` marks the recomputed cells that ``evalkit.audit.reconcile.differs`` says
    differ, which are exactly the unit's reconciliation_mismatch findings of the month.

    For a quarter or a year, one pair: the period's reported figures (``source="reported"``:
    a quarter's months combined by the registry, a year's latest 累计数) vs the ledger for
    the period. The audit does not compare these totals, it compares every month's rows,
    so nothing is marked here: the cells to check are ``monthly_mismatches``. A reported
    figure monthly forms cannot give (``MetricsResult.not_applicable``, e.g. a quarter's 家
    columns) reads 不可比. A unit without a 附件2 row shows 未报送. A recomputed figure that
    is incomplete (``MetricsResult.incomplete``: a fine of the ledger reads 待定) reads
    “X（不完整）” and is never marked (``reconcile.verdict``; the audit's reconciliation_incomplete).
    """
    p = as_period(period, ds)
    if p.kind == "month":
        figs = ds.figures
        # scope None for 本月数: the month itself, memoised with the other sections' month figures
        scopes = [(None if SCOPE_OF_ROW[label] == "month" else SCOPE_OF_ROW[label], label)
                  for label in FIGURES.row_labels]
    else:
        scopes = [(None, p.label)]
    table, marked = {"项目": []}, {"项目": []}
    for scope, label in scopes:
        own = metrics(ds, p, scope=scope, source="ledger")
        if p.kind == "month":
            mine = figs[(figs["unit"] == unit) & (figs["period"] == p.text) & (figs["kind"] == label)]
            missing = mine.empty
            reported = None if missing else mine.iloc[-1]
            unsupported = {}
        else:
            rep = metrics(ds, p, scope=scope, source="reported")
            missing = unit in rep.missing or unit not in rep.frame.index
            reported = None if missing else rep.frame.loc[unit]
            unsupported = rep.not_applicable
            if unit in rep.as_of:
                label = f"{label}（本单位截至{int(rep.as_of[unit][5:])}月）"
        r_col, o_col, d_col = [], [], []
        for col in COMPARED:
            kind = _kind(col.key)
            r = None if missing else as_number(reported[col.key])
            o = as_number(own.frame.at[unit, col.key]) if unit in own.frame.index else None
            held = o  # another reading of the rate the unit may have followed (``reconcile.held_to``)
            if p.kind == "month" and not missing:
                held = as_number(held_to(col.key, r, o, own.readings(unit), col.kind))
            partial = own.is_incomplete(unit, col.key)  # a cell of the ledger could not be read
            r_col.append(NOT_SUBMITTED if missing else NOT_COMPARABLE if col.key in unsupported
                         else format_value(r, kind))
            shown = format_value(o, kind)
            if partial:
                shown = f"{shown}（{INCOMPLETE}）"
            elif held != o:
                shown = f"{shown}（按另一口径为 {format_value(held, kind)}，与报送相符）"
            o_col.append(shown)
            d_col.append(p.kind == "month" and not missing
                         and verdict(r, held, col.kind, incomplete=partial) == "differs")
        table[f"{label}·报送"] = r_col
        table[f"{label}·台账重算"] = o_col
        marked[f"{label}·报送"] = [False] * len(COMPARED)
        marked[f"{label}·台账重算"] = d_col
    table["项目"] = [get_metric(col.key).header for col in COMPARED]
    marked["项目"] = [False] * len(COMPARED)
    return pd.DataFrame(table), pd.DataFrame(marked)


def monthly_mismatches(ds, period, unit: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The unit's reconciliation_mismatch findings of the period, one row per differing
    cell (month, 附件2 row, column, reported, recomputed, evidence), and the marks: the
    recomputed cell of every row is red. One row, one finding, one red cell."""
    res = audit(ds, period)
    f = res.for_unit(unit)
    f = f[f["rule"] == "reconciliation_mismatch"]
    columns = ["月份", "报表行", "项目", "报送", "台账重算", "证据"]
    rows = []
    for rec in f.to_dict("records"):
        d = rec["details"]
        kind = _kind(d["metric"])
        rows.append({"月份": f"{int(d['month'][5:])}月", "报表行": d["kind"], "项目": get_metric(d["metric"]).header,
                     "报送": format_value(d["reported"], kind), "台账重算": format_value(d["recomputed"], kind),
                     "证据": "；".join(_evidence_text(e) for e in rec["evidence"])})
    table = pd.DataFrame(rows, columns=columns)
    marks = pd.DataFrame({c: [c == "台账重算"] * len(table) for c in columns})
    return table, marks


def figures_check(ds, period, unit: str) -> None:
    """§六 of the unit report: the comparison table and, for a quarter or year, the monthly
    cells that differ (red), with the reasons of any 不可比 figure."""
    p = as_period(period, ds)
    table, marks = figures_comparison(ds, p, unit)
    if p.kind == "month":
        show(table, "统计表（二）核对", highlight=marks)
        return
    show(table, f"{p.label}报送数与台账重算数（合计对照，不标红；逐月核对见下表）")
    for reason, headers in metrics(ds, p, source="reported").headers_by_reason().items():
        note(f"{'、'.join(headers)}：{NOT_COMPARABLE}，{reason}")  # one line per reason, not per column
    rows, marked = monthly_mismatches(ds, p, unit)
    show(rows, f"{p.label}逐月核对：不一致的格子（每格一条核查问题）", highlight=marked,
         empty="本期各月报送的本月数、累计数与台账重算数一致。")


def findings_table(ds, period, unit: str | None = None) -> pd.DataFrame:
    """Audit findings, most severe first; 逾期未整改 findings one line per enterprise.

    Of the town (``unit=None``): the period's audit. Of a unit: the findings scoring used,
    over the scoring span (year to date for a month), each with its month, evidence and the
    points it cost in 评议考核 (``ScoreResult.deductions``): “0（已达上限）” past its rule's
    cap, “不计分” for a rule scoring does not count. Scored validation problems (a late or
    missing submission) are listed too, so every deduction has its row here. The unit's
    table starts with 编号 (1, 2, … in the order shown); ``deduction_table`` names the 编号
    of the line each deduction is on.

    Rule 9's findings (one per overdue item) are shown one line per enterprise
    (``rules_handling.group_overdue``): its items with their deadlines and days overdue,
    the months of their rows, their evidence, the most severe severity, and as 扣分 the sum
    of the items' points. Scoring still counts each item (the audit's ``--json`` lists them
    one by one); the grouping changes only the display.
    """
    if unit is None:
        f = audit(ds, period).findings
        lines = _finding_lines(f)
        out = pd.DataFrame({
            "严重程度": [sev for _, sev, _, _ in lines],
            "规则": [f.at[k[0], "rule_name"] for k, _, _, _ in lines],
            "单位": [f.at[k[0], "unit"] if isinstance(f.at[k[0], "unit"], str) else "—" for k, _, _, _ in lines],
            "企业": [f.at[k[0], "enterprise"] if isinstance(f.at[k[0], "enterprise"], str) else "—"
                   for k, _, _, _ in lines],
            "问题": [msg for _, _, msg, _ in lines],
            "证据(条)": [len(ev) for _, _, _, ev in lines],
        }, columns=["严重程度", "规则", "单位", "企业", "问题", "证据(条)"])
        return _by_severity(out)
    return _unit_findings(ds, period, unit)[0]


def _finding_lines(f: pd.DataFrame) -> list[tuple[list, str, str, list]]:
    """(finding index labels, severity, message, evidence) per line of a findings table, in
    the findings' order: one line per finding, except rule 9's, one per enterprise (placed
    where the enterprise's first finding is)."""
    if f is None or f.empty:
        return []
    groups = group_overdue(f)
    first_of = {g.findings[0]: g for g in groups.itertuples(index=False)}
    grouped = {i for g in groups.itertuples(index=False) for i in g.findings}
    lines = []
    for i, r in zip(f.index, f.to_dict("records"), strict=True):
        if i in first_of:
            g = first_of[i]
            lines.append((list(g.findings), g.severity, g.message, list(g.evidence)))
        elif i not in grouped:
            ev = list(r["evidence"]) if isinstance(r["evidence"], (list, tuple)) else []
            lines.append(([i], r["severity"], r["message"], ev))
    return lines


def _unit_findings(ds, period, unit: str) -> tuple[pd.DataFrame, dict]:
    """(§七 table with 编号, key -> 编号): the key of a finding is ("f", its index in the
    scoring's audit findings), of a scored validation problem ("p", its row in
    ``ScoreResult.deductions``). Memoised: ``deduction_table`` reads the same numbering."""
    p = as_period(period, ds)
    return _memo(ds, "unit_findings", p.text, p.kind, unit, compute=lambda: _build_unit_findings(ds, p, unit))


def _build_unit_findings(ds, period, unit: str) -> tuple[pd.DataFrame, dict]:
    columns = ["编号", "严重程度", "问题类型", "月份", "企业", "问题", "证据", "扣分"]
    res = scores(ds, period)
    if res is None:
        return pd.DataFrame(columns=columns), {}
    mine = res.deductions[res.deductions["unit"] == unit]
    cost: dict[int, float] = {}
    for i, pts in zip(mine["finding"], mine["points"], strict=True):
        if not is_missing(i):
            cost[int(i)] = cost.get(int(i), 0.0) + float(pts)
    f = res.audit.findings
    below = _with_below(ds, unit)
    f = f[f["unit"].isin(below)] if len(f) else f
    if len(below) > 1:  # a town's table lists its units' findings too: say whose each one is
        columns.insert(columns.index("企业"), "单位")
    rows, keys = [], []
    for idx, severity, message, evidence in _finding_lines(f):
        first = f.loc[idx[0]]
        months = sorted({m for m in (finding_month(ds, f.loc[i].to_dict()) for i in idx) if m},
                        key=lambda m: (m[:7], m))
        counted = [cost[i] for i in idx if i in cost]
        ent = first["enterprise"]
        rows.append({"严重程度": severity, "问题类型": first["rule_name"],
                     "月份": "、".join(_month_text(m) for m in months) if months else "—",
                     "单位": first["unit"] if isinstance(first["unit"], str) and first["unit"] else "—",
                     "企业": ent if isinstance(ent, str) and ent else "—",
                     "问题": message, "证据": _evidence_cell(evidence),
                     "扣分": ("不计分" if not counted else format_value(sum(counted), "score") if sum(counted) > 0
                              else "0（已达上限）")})
        keys.append([("f", int(i)) for i in idx])
    problems = mine[[is_missing(i) for i in mine["finding"]]]
    for d, r in zip(problems.index, problems.to_dict("records"), strict=True):
        rows.append({"严重程度": "低", "问题类型": r["rule_name"], "月份": _month_text(r["month"]), "单位": unit,
                     "企业": "—",
                     "问题": r["message"], "证据": _evidence_cell(r["evidence"]),
                     "扣分": format_value(r["points"], "score") if r["points"] > 0 else "0（已达上限）"})
        keys.append([("p", int(d))])
    ranked = sorted(range(len(rows)), key=lambda k: severity_rank(rows[k]["严重程度"]))  # stable
    number: dict = {}
    table = []
    for n, k in enumerate(ranked, 1):
        table.append({"编号": n, **rows[k]})
        for key in keys[k]:
            number[key] = n
    return pd.DataFrame(table, columns=columns), number


def scoring_span_label(ds, period) -> str:
    """What 评议考核 (and so the unit report's §七) covers: “2024年1—6月（累计）” for June."""
    res = scores(ds, period)
    return as_period(period, ds).label if res is None else res.span.label


def _by_severity(frame: pd.DataFrame) -> pd.DataFrame:
    return (frame.assign(_o=frame["严重程度"].map(severity_rank)).sort_values("_o", kind="stable")
            .drop(columns="_o").reset_index(drop=True))


def _month_text(month) -> str:
    """"2024-06" -> 6月; a span "2024-01/2024-06" (``scoring.finding_month``) -> 1—6月."""
    if not isinstance(month, str) or len(month) not in (7, 15):
        return "—"
    if len(month) == 7:
        return f"{int(month[5:])}月"
    return f"{int(month[5:7])}—{int(month[13:])}月"


def _evidence_cell(evidence) -> str:
    ev = list(evidence) if isinstance(evidence, (list, tuple)) or hasattr(evidence, "__len__") else []
    if not ev:
        return "（无文件：未报送）"
    return "；".join(_evidence_text(e) for e in ev[:3]) + (f" 等 {len(ev)} 处" if len(ev) > 3 else "")


def score_tables(ds, period, unit: str):
    """(dimension table, part table, explanation lines) of the unit's 评议考核 score, or None."""
    res = scores(ds, period)
    if res is None or unit not in res.frame.index:
        return None
    row = res.frame.loc[unit]
    dims = pd.DataFrame([{"维度": v["name"], "分值": v["weight"], "得分": as_number(row[d])}
                         for d, v in res.dimensions.items()])
    dims.loc[len(dims)] = {"维度": "总分", "分值": 100, "得分": as_number(row["total"])}
    with_kinds(dims, 得分="score")
    parts = res.parts[res.parts["unit"] == unit]
    part_table = pd.DataFrame({
        "计分项": parts["name"],
        "计分方法": ["分值减去扣分，扣完为止" if t == "deduction" else "达到目标得满分，未达到按比例得分"
                 for t in parts["type"]],
        "实际值": [part_value_text(r) for r in parts.to_dict("records")],
        "目标": [part_target_text(r) for r in parts.to_dict("records")],
        "分值": parts["weight"].map(as_number), "得分": parts["points"].map(as_number),
        "适用": parts["applicable"].map(lambda a: "是" if a else "否（不适用，折算）"),
    })
    with_kinds(part_table, 得分="score")
    return dims, part_table, list(row["explanation"])


def _measured(value, measure) -> str:
    if measure == "%":
        return format_value(value, "rate")
    v = as_number(value)
    return NOT_APPLICABLE if v is None else f"{v:g} {measure}" if measure else f"{v:g}"


def part_value_text(part: dict) -> str:
    """计分项明细's 实际值 in words: 86.67% for a rate, “1 件”, and for a deduction part the
    points deducted (“扣 5 分”; “未扣分”); 不适用 for a rate whose denominator is zero."""
    if part.get("type") == "deduction":
        v = as_number(part.get("value")) or 0.0
        return f"扣 {v:g} 分" if v > 0 else "未扣分"
    return _measured(part.get("value"), part.get("measure"))


def part_target_text(part: dict) -> str:
    """计分项明细's 目标: 50% (a target prorated over the months is shown prorated), “1 件”;
    a deduction part has no target, it starts from full marks: “不扣分（满分）”."""
    if part.get("type") == "deduction":
        return "不扣分（满分）"
    v = as_number(part.get("target"))
    if v is None:
        return NOT_APPLICABLE
    return f"{v:g}%" if part.get("measure") == "%" else _measured(v, part.get("measure"))


def scoring_method() -> tuple[pd.DataFrame, list[str]]:
    """The appendix of a unit report: how 评议考核 is scored, from the packaged scoring
    config (the one ``score_units`` uses). (table: 维度, 计分项, 分值, 计分办法; lines: the
    grades, 一票否决 and the re-weighting of 不适用 parts). No rule id, no file name."""
    cfg, _ = load_scoring_config(None)
    audit_titles = {rid: rule.title for rid, rule in AUDIT_RULES.items()}
    rows = []
    for dim in cfg["dimensions"].values():
        for part in dim["parts"].values():
            if part["type"] == "ratio":
                what = (get_metric(part["metric"]).name_zh if "metric" in part
                        else INDICATORS[part["indicator"]][0])
                measure = "%" if "metric" in part else INDICATORS[part["indicator"]][1]
                target = f"{float(part['target']):g}{measure if measure == '%' else ' ' + measure}"
                how = (f"{what}达到目标 {target} 得满分，未达到按“分值 × 实际值 ÷ 目标”得分"
                       + ("；月度、季度的目标按已过月数折算（如1—6月为全年目标的 6/12）" if part.get("prorate") else "")
                       + "；分母为 0（不适用）时不计分，其分值按本维度其余指标折算")
            else:
                rules = []
                for rid, spec in part["rules"].items():
                    title = (VALIDATION_RULES[rid].title if spec.get("source") == "validation"
                             else audit_titles.get(rid, rid))
                    only = f"（仅{'、'.join(spec['severity'])}风险）" if spec.get("severity") else ""
                    rules.append(f"{title}{only}每条扣 {float(spec['points']):g} 分、最多扣 {float(spec['cap']):g} 分")
                how = "从满分扣减，扣完为止：" + "；".join(rules)
            rows.append({"维度": f"{dim['name']}（{float(dim['weight']):g}分）", "计分项": part["name"],
                         "分值": float(part["weight"]), "计分办法": how})
    grades = sorted(cfg["grades"].items(), key=lambda kv: -float(kv[1]))
    lines = ["等级：" + "，".join(f"{float(low):g} 分及以上为{name}" for name, low in grades)
             + f"，其余为{FAIL}（总分保留两位小数后比较）。",
             "一票否决：出现" + "、".join(audit_titles.get(r, r) for r in cfg["veto"]["rules"])
             + f"的单位，等级一律为{FAIL}，排名列于其他单位之后（分数照常计算）。",
             "月度报告按年初至本月累计评分；季度、年度报告按该期间评分。总分相同者名次相同。"]
    return pd.DataFrame(rows), lines


def deduction_table(ds, period, unit: str) -> pd.DataFrame:
    """Every finding or problem that cost the unit points in 评议考核, with its month, evidence
    (file·sheet·row) and the points it cost: the rows add up to the points its deduction
    parts lost (``ScoreResult.deductions``, the scoring's own record). One row per finding,
    also for rule 9 (each overdue item costs its own points); 见§七编号 is the 编号 of the
    §七 line (``findings_table``) that lists it, one line per enterprise for rule 9."""
    res = scores(ds, period)
    columns = ["计分项", "问题类型", "月份", "问题", "证据", "扣分", "见§七编号"]
    if res is None:
        return pd.DataFrame(columns=columns)
    mine = res.deductions[res.deductions["unit"] == unit]
    mine = mine[mine["points"] > 0]  # past a rule's cap a finding costs nothing: §七 lists it at 0
    _, number = _unit_findings(ds, period, unit)
    refs = [number.get(("p", int(d)) if is_missing(i) else ("f", int(i))) for d, i in zip(mine.index, mine["finding"],
                                                                                           strict=True)]
    return pd.DataFrame({
        "计分项": mine["part_name"], "问题类型": mine["rule_name"],
        "月份": [_month_text(m) for m in mine["month"]], "问题": mine["message"],
        "证据": [_evidence_cell(ev) for ev in mine["evidence"]],
        "扣分": [format_value(v, "score") for v in mine["points"]],
        "见§七编号": [str(n) if n is not None else "—" for n in refs],
    }, columns=columns).reset_index(drop=True)


def _evidence_text(ref: str) -> str:
    """submissions/石壁村6月.xlsx#统计表一#12 -> 石壁村6月.xlsx 统计表一 第12行."""
    parts = str(ref).split("#")
    name = parts[0].rsplit("/", 1)[-1]
    if len(parts) >= 3 and parts[2].isdigit():
        return f"{name} {parts[1]} 第{parts[2]}行"
    return " ".join([name, *parts[1:]])


# --------------------------------------------------------------------------- town summary
def town_summary(ds, period) -> dict:
    """The town's headline figures."""
    p = as_period(period, ds)
    ytd = ytd_scope(p)
    cum = metrics(ds, p, scope=ytd)
    now = metrics(ds, p)
    findings = audit(ds, p).findings
    this, cum_phrase = span_phrase(p), span_phrase(p, ytd)
    return {
        "单位数": f"{len(summary_units(ds))}",
        f"{this}检查企业数": _shown(now.total, "inspected") + " 家",
        f"{cum_phrase}检查覆盖率": _shown(cum.total, "coverage_rate"),
        f"{cum_phrase}隐患整改率": _shown(cum.total, "rectification_rate"),
        f"{this}罚款金额": _shown(now.total, "fines_wan") + " 万元",
        f"{this}核查问题": f"{len(findings)} 条（高 {int((findings['severity'] == '高').sum())}）",
    }


def town_overview(ds, period, scope: str | None = None) -> pd.DataFrame:
    """The units reporting to the root (``summary_units``) side by side on the KPI metrics, with
    the total (全镇合计, 全市合计) last."""
    res = metrics(ds, period, scope=scope)
    ids = [m for m in KPI_METRICS if m in res.frame.columns]
    frame = res.for_units(summary_units(ds)).table()[ids]
    out = pd.DataFrame({get_metric(m).header: column_texts(frame[m], m) for m in ids}, index=frame.index)
    out.insert(0, "单位", [str(u) for u in frame.index])
    out.loc[out["单位"] == TOTAL_LABEL, "单位"] = res.total_label
    return out.reset_index(drop=True)


def ranking_table(ds, period) -> pd.DataFrame | None:
    """The 评议考核 ranking: 名次, 单位, one column per dimension, 总分, 等级."""
    res = scores(ds, period)
    if res is None:
        return None
    f = res.frame[res.frame.index.isin(summary_units(ds))]
    # ranks are within each peer group (towns and 街道; city departments: docs/scoring.md), group by group
    groups = hierarchy.peer_groups(ds.units)
    order = {g: i for i, g in enumerate(dict.fromkeys(groups.get(u, "") for u in f.index))}
    f = f.assign(_group=[order[groups.get(u, "")] for u in f.index])
    f = f.sort_values(["_group", "rank", "total"], ascending=[True, True, False], kind="stable")
    out = pd.DataFrame({"名次": f["rank"].astype(int), "单位": [str(u) for u in f.index]})
    if len(order) > 1:
        out["排名范围"] = [groups.get(u, "") for u in f.index]
    for d, v in res.dimensions.items():
        out[f"{v['name']}({v['weight']:g})"] = f[d].map(as_number).to_numpy()
    out["总分"] = f["total"].map(as_number).to_numpy()
    out["等级"] = [g + ("（否决）" if v else "") for g, v in zip(f["grade"], f["vetoed"], strict=True)]
    out = out.reset_index(drop=True)
    return with_kinds(out, **{f"{v['name']}({v['weight']:g})": "score" for v in res.dimensions.values()}, 总分="score")


@_glyphs_checked
def plot_ranking(ds, period):
    """Total score by unit, best first, each bar in the colour of its grade (``charts.GRADE_COLORS``,
    with a legend), and the units' mean as a dashed line."""
    table = ranking_table(ds, period)
    if table is None or table.empty:
        return None
    values = pd.Series(table["总分"].to_numpy(), index=table["单位"])
    res = scores(ds, period)
    grade = res.frame["grade"]
    by_unit = {str(u): charts.GRADE_COLORS.get(str(g), charts.TOWN_COLOR) for u, g in grade.items()}
    shown = [g for g in (*GRADE_NAMES, FAIL) if g in set(grade)]
    mean = values.dropna().astype(float).mean() if values.notna().any() else None
    ax = charts.bar_by_unit(values, colors=by_unit, title=f"评议考核总分（{res.span.label}，颜色表示等级）",
                            ylabel="总分（分）", reference=mean, reference_label="各单位平均", fmt="{:.1f}",
                            legend={g: charts.GRADE_COLORS[g] for g in shown})
    ax.set_ylim(0, 112)
    return ax.figure


@_glyphs_checked
def plot_rate_heatmap(ds, period, scope: str | None = None):
    """Units × key rates heatmap (green = high); 不适用 cells grey."""
    res = metrics(ds, period, scope=scope).for_units(summary_units(ds))
    frame = pd.DataFrame({get_metric(m).name_zh: res.frame[m].map(as_number) for m in KEY_RATES})
    frame.index = [str(u) for u in res.frame.index]
    ax = charts.heatmap(frame.astype(float), title=f"关键比率（{scope_label(period, scope)}）",
                        colorbar_label="比率（%）")
    return ax.figure


def figures_preview_blocks(ds, period, scope: str | None = None, blocks: int = 2) -> list[pd.DataFrame]:
    """``figures_preview`` cut into ``blocks`` tables of about equal width, each beginning with
    the 单位 column: 18 columns of 附件2 do not fit A4 or a screen in one table."""
    table = figures_preview(ds, period, scope)
    figures = list(table.columns[1:])
    size = math.ceil(len(figures) / max(blocks, 1)) or 1
    return [table[["单位", *figures[i:i + size]]] for i in range(0, len(figures), size)]


def show_figures_preview(ds, period, scope: str | None = None, caption: str = "") -> None:
    """Display ``figures_preview_blocks``: (一) and (二), equal column widths, full page width."""
    parts = figures_preview_blocks(ds, period, scope)
    for n, block in enumerate(parts, 1):
        label = f"（{'一二三四'[n - 1]}）" if len(parts) > 1 else ""
        show(block, f"{caption}{label}", css_class="ek-fixed")


def figures_preview(ds, period, scope: str | None = None) -> pd.DataFrame:
    """The consolidated 附件2 (recomputed from the ledger) with the official headers."""
    res = metrics(ds, period, scope=scope).for_units(summary_units(ds))
    table = res.table()
    out = pd.DataFrame({"单位": [str(u) for u in table.index]})
    for col in FIGURES.columns[1:]:
        if col.key in table.columns:
            out[col.header] = column_texts(table[col.key], col.key)
    out.loc[out["单位"] == TOTAL_LABEL, "单位"] = res.total_label
    return out


def findings_by_rule(ds, period) -> pd.DataFrame:
    """Findings per audit rule and severity (every rule listed)."""
    res = audit(ds, period)
    f = res.findings
    rows = []
    for rid, rule in AUDIT_RULES.items():
        sel = f[f["rule"] == rid] if len(f) else f
        rows.append({"规则": rule.title, "高": int((sel["severity"] == "高").sum()),
                     "中": int((sel["severity"] == "中").sum()), "低": int((sel["severity"] == "低").sum()),
                     "合计": len(sel)})
    return pd.DataFrame(rows)


def findings_by_unit(ds, period) -> pd.DataFrame:
    """Findings per unit and severity, most findings first; units without findings included."""
    f = audit(ds, period).findings
    units = summary_units(ds)
    rows = []
    for u in units:
        sel = f[f["unit"].isin(_with_below(ds, u))] if len(f) else f
        rows.append({"单位": u, "高": int((sel["severity"] == "高").sum()), "中": int((sel["severity"] == "中").sum()),
                     "低": int((sel["severity"] == "低").sum()), "合计": len(sel)})
    town = f[f["unit"].isna()] if len(f) else f
    if len(town):
        rows.append({"单位": "（全镇层面）", "高": int((town["severity"] == "高").sum()),
                     "中": int((town["severity"] == "中").sum()), "低": int((town["severity"] == "低").sum()),
                     "合计": len(town)})
    return pd.DataFrame(rows).sort_values(["合计", "高"], ascending=False, kind="stable").reset_index(drop=True)


def key_industry_pending(ds, period) -> pd.DataFrame:
    """Key-industry enterprises not inspected yet this year but planned for a later month
    (待检, ``audit.rules.key_industry_coverage``): listed, not findings. Columns 单位, 企业,
    重点行业, 计划月份, 计划单位, 方式; empty when none (or at the year's end, when every
    planned month has passed)."""
    columns = ["单位", "企业", "重点行业", "计划月份", "计划单位", "方式"]
    t = audit(ds, period).tables.get("key_industry_pending")
    if t is None or t.empty:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame({"单位": t["unit"], "企业": t["enterprise"], "重点行业": t["key_industry"],
                         "计划月份": [f"{int(m)}月" for m in t["planned_month"]], "计划单位": t["plan_unit"],
                         "方式": t["method"]}, columns=columns).reset_index(drop=True)


def penalties_table(ds, period, scope: str | None = None) -> pd.DataFrame:
    """Cases, fines, measures and referrals per unit (units with none left out), town total last."""
    res = metrics(ds, period, scope=scope).for_units(summary_units(ds))
    table = res.table()
    ids = [m for m in PENALTY_METRICS if m in table.columns]
    vals = table[ids].map(as_number)
    any_ = vals.fillna(0).astype(float).sum(axis=1) > 0
    vals = vals[any_ | (vals.index == TOTAL_LABEL)]
    out = pd.DataFrame({get_metric(m).header: column_texts(vals[m], m) for m in ids}, index=vals.index)
    out.insert(0, "单位", [res.total_label if u == TOTAL_LABEL else str(u) for u in vals.index])
    return out.reset_index(drop=True)


def referrals_list(ds, period) -> pd.DataFrame:
    """Ledger rows of the period whose 其他查处 text records a referral (移送)."""
    table = cases_table(ds, period)
    return table[table["其他查处(或移送)情况"].str.contains("移送|移交", regex=True, na=False)].reset_index(drop=True)


def submission_matrix(ds, period) -> pd.DataFrame:
    """Units × months (January to the period end): ✓ 按时, 迟 late, — none (附件1 or 附件2 received)."""
    p = as_period(period, ds)
    sub = ds.submissions
    months = [f"{p.year}-{m:02d}" for m in range(1, p.last_month + 1)]
    rows = []
    for u in summary_units(ds):
        row = {"单位": u}
        mine = sub[sub["unit"].isin(_with_below(ds, u))] if len(sub) else sub
        for key in months:
            got = mine[mine["period"] == key] if len(mine) else mine
            row[f"{int(key[5:])}月"] = "—" if got.empty else ("迟" if got["late"].astype(bool).any() else "✓")
        rows.append(row)
    return pd.DataFrame(rows)


def missing_submissions(ds, period) -> list[str]:
    """One line per unit that has not sent the forms of a month whose deadline has passed
    (audit rule submission_missing over the period): “古山村：2月（报送期限 2024-03-30）”."""
    f = audit(ds, period).findings
    f = f[f["rule"] == "submission_missing"] if len(f) else f
    by_unit: dict[str, list[str]] = {}
    for rec in f.to_dict("records"):
        d = rec["details"] if isinstance(rec["details"], dict) else {}
        month = d.get("month") or rec.get("period")
        due = f"（报送期限 {d['deadline']}）" if d.get("deadline") else ""
        by_unit.setdefault(str(rec["unit"]), []).append(f"{_month_text(month)}{due}")
    return [f"{u}：{'、'.join(ms)}" for u, ms in by_unit.items()]


def phase_table(ds, period) -> pd.DataFrame:
    """The plan's three phases with their dates, what is due, and where the data stands.

    期末状态 is the state at the end of the period's last day (``as_of``): a phase whose last
    day it is has ended; one in progress shows the share of its days (both ends counted)
    that have passed, ``round((as_of − start + 1) / (end − start + 1) × 100)``, at most 99, so a phase
    is never “进行中（已过 100%）”.
    """
    p = as_period(period, ds)
    as_of = p.end
    phases = []
    for name, start, end in charts.PLAN_PHASES:
        a, b = dt.date(p.year, *start), dt.date(p.year, *end)
        if as_of < a:
            state = "未开始"
        elif as_of >= b:
            state = "已结束"
        else:
            passed, days = (as_of - a).days + 1, (b - a).days + 1
            state = f"进行中（已过 {min(99, round(100 * passed / days))}%）"
        phases.append((name, a, b, state))
    due = {
        "动员部署": "制定实施方案并专题动员部署（台账无此项记录，请另行核实）",
        "集中推进": "每月30日前报送上月统计表（附件1、2）；季度第一个月1日前报送上季度活动情况及典型案例",
        "总结提高": "12月20日前报送第四季度活动情况、典型案例及专项行动总结",
    }
    return pd.DataFrame([{"阶段": n, "时间": f"{a:%-m月%-d日}—{b:%-m月%-d日}" if n != "动员部署" else "3月31日前",
                          "要求": due[n], "期末状态": s} for n, a, b, s in phases])


@_glyphs_checked
def plot_phase_progress(ds, period):
    """Town inspections per month with cumulative coverage, over the plan's phases."""
    p = as_period(period, ds)
    monthly = monthly_series(ds, p, "inspected", "month").astype(float)
    cumulative = monthly_series(ds, p, "coverage_rate", "ytd").astype(float)
    ax = charts.phase_chart(monthly, cumulative, year=p.year, as_of=p.end, title=f"{whole(ds)}执法检查进度与工作阶段",
                            ylabel="检查企业数（家）")
    return ax.figure


def year_end_summary(ds, period) -> str:
    """The year-end 总结 (Markdown): 工作开展、执法处罚、存在问题、下一步, from the data."""
    p = as_period(period, ds)
    year = metrics(ds, p)
    t = year.total
    findings = audit(ds, p).findings
    res = scores(ds, p)
    high = findings[findings["severity"] == "高"] if len(findings) else findings
    top_rules = high["rule_name"].value_counts().head(3) if len(high) else pd.Series(dtype=int)
    upto = f"，数据截至{p.through}月" if p.through else ""
    lines = [f"## {p.year}年安全生产执法提升专项行动总结（数据生成{upto}）", "",
             "### 一、工作开展情况", "",
             f"{whole(ds)} {len(summary_units(ds))} 个单位{span_phrase(p)}现场检查企业（单位）"
             f"{_shown(t, 'inspected')} 家，"
             f"检查覆盖率 {_shown(t, 'coverage_rate')}；排查隐患 {_shown(t, 'hazards_found')} 处，"
             f"整改 {_shown(t, 'hazards_rectified')} 处，隐患整改率 {_shown(t, 'rectification_rate')}。", "",
             "### 二、执法处罚情况", "",
             f"立案 {_shown(t, 'cases_filed')} 家，罚款 {_shown(t, 'fines_wan')} 万元；"
             f"责令停产停业整顿 {_shown(t, 'suspended')} 家，提请关闭 {_shown(t, 'closure_requested')} 家，"
             f"移送追究刑事责任 {_shown(t, 'criminal_referrals')} 人，移送其他部门 {_shown(t, 'referred_other')} 起；"
             f"违法行为查处率 {_shown(t, 'violation_handling_rate')}。", "",
             "### 三、存在问题", ""]
    if len(findings):
        lines.append(f"核查发现问题 {len(findings)} 条，其中高风险 {len(high)} 条。")
        lines += [f"- {md_text(name)}：{int(n)} 条" for name, n in top_rules.items()]
    else:
        lines.append("核查未发现问题。")
    if res is not None:
        weak = res.frame[res.frame["grade"] == "不合格"]
        if len(weak):
            lines += ["", "评议考核不合格单位：" + "、".join(md_text(u) for u in weak.index) + "。"]
    lines += ["", "### 四、下一步工作", "",
              "- 对逾期未整改隐患逐项督办，复查闭环后销号；",
              "- 对同一违法行为反复出现的企业依法从重查处，涉嫌犯罪的及时移送，杜绝以罚代刑；",
              "- 完善执法统计、执法考评和典型案例报送制度，推动专项行动转入常态化监管执法。"]
    return "\n".join(lines)


def period_summary_text(ds, period) -> str:
    """A short progress paragraph for a month or quarter summary (Markdown)."""
    p = as_period(period, ds)
    now = metrics(ds, p)
    # 年初以来 means January to the period's last month, for a quarter as for a month (the
    # quarter's own figures are 本期; calling them 年初以来 understated Q2 coverage)
    last = as_period(f"{p.year}-{p.last_month:02d}")
    cum = metrics(ds, last, scope="ytd")
    t, c = now.total, cum.total
    phase = next((r["阶段"] for _, r in phase_table(ds, p).iterrows() if r["期末状态"].startswith("进行中")), None)
    lead = f"{p.label}，专项行动处于{phase}阶段。" if phase else f"{p.label}。"
    return (lead + f"{span_phrase(p)}{whole(ds)}现场检查企业 {_shown(t, 'inspected')} 家，"
            f"排查隐患 {_shown(t, 'hazards_found')} 处、"
            f"已整改 {_shown(t, 'hazards_rectified')} 处，立案 {_shown(t, 'cases_filed')} 家，"
            f"罚款 {_shown(t, 'fines_wan')} 万元。{span_phrase(last, 'ytd')}检查覆盖率 "
            f"{_shown(c, 'coverage_rate')}，隐患整改率 {_shown(c, 'rectification_rate')}。")


# --------------------------------------------------------------------------- typical cases
#: What a criterion means, in the plan's words (【典型意义】).
_SIGNIFICANCE = {
    "criminal_referral": "严格落实安全生产行政执法与刑事司法衔接，对涉嫌犯罪的依法及时移送司法机关，"
                         "不以行政处罚代替移送，杜绝有案不送、以罚代刑（方案二（三））。",
    "severe_measure": "依法精准采取停产整顿、上限处罚、提请关闭等执法措施，"
                      "确保打得准、打得狠、打出成效（方案二（四））。",
    "major_hazard": "聚焦重大事故隐患排查整治和动态清零，以执法倒逼企业落实主体责任。",
    "top_fine": "严格依据法律法规实施行政处罚，顶格处罚体现严格执法、严厉处罚，纠正以整改代替处罚（方案二（五））。",
    "dual_penalty": "对单位及其主要负责人一案双罚，压实企业主要负责人安全生产第一责任。",
    "repeat_offender": "对同一违法行为反复出现的依法从重查处，提高执法震慑力（方案二（五））。",
    "key_industry": "重点行业领域执法检查全覆盖，突出重点行业、重点环节精准执法（方案二（二）、（五））。",
    "from_report": "发挥安全生产举报机制作用，鼓励举报重大事故隐患和违法行为，推进安全生产社会治理（方案二（一））。",
}


def _ledger_rows(ds, row_ids) -> pd.DataFrame:
    led = ds.ledger.set_index("row_id", drop=False)
    return led.loc[[r for r in row_ids if r in led.index]]


def _date_zh(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "（日期未记录）"
    ts = pd.Timestamp(value)
    return f"{ts.year}年{ts.month}月{ts.day}日"


def case_writeup(ds, candidate) -> dict[str, str]:
    """The five sections of a 典型案例 written from the data, for one ``case_candidates`` row.

    【案例名称】 enterprise + its main violation (catalogue short name); 【关键词】 the
    criteria met and the violation categories; 【基本案情】 who inspected whom, when, and
    what was found; 【处理结果】 case number, fine and its basis, other measures and the
    rectification; 【典型意义】 the plan's wording for each criterion met.
    """
    c = candidate if isinstance(candidate, dict) else candidate._asdict() if hasattr(candidate, "_asdict") \
        else dict(candidate)
    rows = _ledger_rows(ds, c.get("rows") or [])
    items = ds.items[ds.items["row_id"].isin(list(rows.index))]
    cat = load_catalogue()
    codes = [x for x in dict.fromkeys(match_violation(h) for h in items["hazard"]) if x]
    main = cat.at[codes[0], "short"] if codes else (items["hazard"].iloc[0] if len(items) else "安全生产违法")
    enterprise = str(c.get("enterprise") or "某企业")
    ents = ds.enterprises.set_index("name") if len(ds.enterprises) else None
    industry = ents.at[enterprise, "industry"] if ents is not None and enterprise in ents.index else None
    if isinstance(industry, pd.Series):
        industry = industry.iloc[0]
    criteria = [CRITERIA[k].title for k in c.get("criteria") or [] if k in CRITERIA]
    categories = list(dict.fromkeys(cat.at[x, "category"] for x in codes))
    keywords = list(dict.fromkeys([*criteria[:3], *categories[:2]])) or ["安全生产执法"]
    hazards = list(dict.fromkeys(items["hazard"]))
    first = rows.iloc[0] if len(rows) else None
    who = str(c.get("unit") or (first["unit"] if first is not None else "执法单位"))
    ind = f"（{industry}）" if isinstance(industry, str) and industry else ""
    facts = (f"{_date_zh(c.get('date'))}，{who}执法人员对{enterprise}{ind}开展现场检查，"
             + (f"发现该单位存在{'；'.join(hazards[:4])}{'等' if len(hazards) > 4 else ''}"
                f"{len(hazards)}项安全生产违法行为(隐患)。" if hazards else "。"))
    if "repeat_offender" in (c.get("criteria") or []):
        facts += "经查，同类违法行为在12个月内已被查处过，属屡查屡犯。"
    result = []
    if c.get("case_no"):
        result.append(f"{who}依法立案调查（案号：{c['case_no']}）")
    bases = [b for b in rows["legal_basis"].dropna().unique()] if len(rows) else []
    fine = float(c.get("fine_wan") or 0)
    if fine > 0:
        result.append(f"依据{'、'.join(bases) if bases else '相关法律规定'}，对该单位处以罚款{fine:g}万元")
    others = [o for o in rows["other_handling"].dropna().unique()] if len(rows) else []
    result += others
    if len(items):
        done, n = int(items["rectified"].astype(bool).sum()), len(items)
        result.append(f"{n}项隐患均已整改" if done == n else f"{n}项隐患中{done}项已整改、{n - done}项尚未整改")
    significance = [_SIGNIFICANCE[k] for k in c.get("criteria") or [] if k in _SIGNIFICANCE]
    if not significance:
        significance = ["坚持严格执法、严厉处罚，以案说法、以案普法，督促企业落实安全生产主体责任。"]
    return {
        "案例名称": f"{enterprise}{main}案",
        "关键词": "；".join(keywords),
        "基本案情": facts,
        "处理结果": "；".join(result) + "。" if result else "（台账未记录处理结果）",
        "典型意义": "".join(significance),
    }


def show_case(ds, candidate, number: int | None = None) -> None:
    """Display one case write-up as a definition list, followed by its timeline table."""
    parts = case_writeup(ds, candidate)
    head = f"<h3>案例{number}：{html.escape(parts['案例名称'])}</h3>" if number else ""
    body = "".join(f"<dt>【{html.escape(k)}】</dt><dd>{html.escape(v)}</dd>" for k, v in parts.items())
    _display(HTML(f'{head}<dl class="ek-case">{body}</dl>'))
    c = candidate if isinstance(candidate, dict) else dict(candidate)
    timeline = pd.DataFrame(c.get("timeline") or [], columns=["日期", "事件", "证据"])
    if len(timeline):
        timeline["日期"] = timeline["日期"].fillna("（未记录）")
        timeline["证据"] = timeline["证据"].map(_evidence_label)
    show(timeline, "办理过程")


def _evidence_label(row_id) -> str:
    """'submissions/a.xlsx#附件1#12' -> 'a.xlsx 第12行'."""
    parts = str(row_id).split("#")
    if len(parts) == 3:
        return f"{parts[0].rsplit('/', 1)[-1]} 第{parts[2]}行"
    return str(row_id)


def candidates_table(candidates: pd.DataFrame) -> pd.DataFrame:
    """The ranked candidates in Chinese columns; 核查提示 names a 反面典型's audit findings."""
    if candidates is None or len(candidates) == 0:
        return pd.DataFrame(columns=["名次", "案件", "单位", "企业", "得分", "罚款(万元)", "入选理由", "核查提示"])
    return pd.DataFrame({
        "名次": candidates["rank"], "案件": [c if isinstance(c, str) else "（未立案）" for c in candidates["case_no"]],
        "单位": candidates["unit"], "企业": candidates["enterprise"], "得分": candidates["score"],
        "罚款(万元)": candidates["fine_wan"].map(fine_text), "入选理由": candidates["reasons"].map("；".join),
        "核查提示": [f"{s}：{'；'.join(w)}" if w else "—"
                 for s, w in zip(candidates["standing"], candidates["warnings"], strict=True)],
    })


def positive_candidates(candidates: pd.DataFrame) -> pd.DataFrame:
    """The candidates that may be written up as positive 典型案例 (standing 正面典型, no audit finding)."""
    return candidates[candidates["standing"] == POSITIVE] if len(candidates) else candidates


def negative_candidates(candidates: pd.DataFrame) -> pd.DataFrame:
    """The candidates with audit findings against them (反面典型: 以罚代刑, a fine out of range)."""
    return candidates[candidates["standing"] == NEGATIVE] if len(candidates) else candidates


# --------------------------------------------------------------------------- look-back
# × for 不符合, as Chinese forms mark it (and in the PDF font's cut, where ✗ U+2717 is not)
_MARK = {True: "✓", False: "×", None: "—"}


def lookback_table(checks: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(table, problems) of ``cases.lookback`` in Chinese with ✓ / × / — (not applicable)."""
    def mark(v):
        return _MARK[None if is_missing(v) else bool(v)]

    cols = [("rectified", "隐患全部整改"), ("verified", "经复查确认"), ("fine_in_range", "罚款在法定幅度内"),
            ("escalation_applied", "应从重已从重"), ("referral_made", "应移送已移送")]
    dup = checks["duplicate_case_no"] if "duplicate_case_no" in checks else pd.Series(False, index=checks.index)
    table = pd.DataFrame({"案号": [f"{c}（案号重复）" if d else c for c, d in zip(checks["case_no"], dup, strict=True)],
                          "单位": checks["unit"], "企业": checks["enterprise"],
                          "隐患(项)": checks["hazards"], "罚款(万元)": checks["fine_wan"].map(fine_text)})
    bad = pd.DataFrame(False, index=table.index, columns=table.columns)
    for key, name in cols:
        table[name] = checks[key].map(mark)
        bad[name] = table[name] == _MARK[False]
    table["阳光执法公示"] = checks["published"]
    bad["阳光执法公示"] = False
    table["闭环状态"] = checks["status"]
    bad["闭环状态"] = checks["status"] != "闭环"
    bad["案号"] = dup.astype(bool).to_numpy()
    return table, bad


def _case_lines(checks: pd.DataFrame, column: str) -> list[str]:
    """One line per entry of ``column`` (a list per case): '案号（企业）：事项'."""
    return [f"{rec['case_no']}（{rec['enterprise']}）：{item}"
            for rec in checks.to_dict("records") for item in rec[column]]


def open_items_list(checks: pd.DataFrame) -> list[str]:
    """Every open item of the look-back, one line per item."""
    return _case_lines(checks, "open_items")


def notes_list(checks: pd.DataFrame) -> list[str]:
    """The notes of the look-back: a note every case shares is said once, with the number of
    cases (publication not recorded: “49 件案件台账未记录…”, the cases are the 未记录 of the
    table's 阳光执法公示 column); any other note one line per case."""
    lines = []
    if len(checks):
        n = int(checks["notes"].map(lambda ns: PUBLICATION_NOT_RECORDED in ns).sum())
        if n:
            lines.append(f"{'全部 ' if n == len(checks) else ''}{n} 件案件：{PUBLICATION_NOT_RECORDED}"
                         "（即“阳光执法公示”为“未记录”的案件）")
        # a reused case number: one line per number (its note names every enterprise using it)
        lines += list(dict.fromkeys(x for ns in checks["notes"] for x in ns if x.startswith(DUPLICATE_CASE_NO)))
    rest = checks.assign(notes=checks["notes"].map(
        lambda ns: [x for x in ns if x != PUBLICATION_NOT_RECORDED and not x.startswith(DUPLICATE_CASE_NO)]))
    return lines + _case_lines(rest, "notes")


def lookback_rest_table(checks: pd.DataFrame) -> pd.DataFrame:
    """The cases of a look-back outside the key ones, one line each: 案号, 单位, 企业, 罚款,
    闭环状态 and its open items (the full check of any of them: ``case_nos``)."""
    dup = checks["duplicate_case_no"] if "duplicate_case_no" in checks else pd.Series(False, index=checks.index)
    return pd.DataFrame({"案号": [f"{c}（案号重复）" if d else c for c, d in zip(checks["case_no"], dup, strict=True)],
                         "单位": checks["unit"], "企业": checks["enterprise"],
                         "罚款(万元)": checks["fine_wan"].map(fine_text), "闭环状态": checks["status"],
                         "未结事项": checks["open_items"].map(lambda xs: "；".join(xs) if len(xs) else NONE_RECORDED)},
                        columns=["案号", "单位", "企业", "罚款(万元)", "闭环状态", "未结事项"])
