"""Which documents a period gets, and writing them: ``write_documents``.

``--period 2024Q2`` (or a month of it): the quarter's 活动开展情况 and 典型案例 (a month's
quarter up to that month). ``--period 2024``: the fourth quarter's two documents (as far as
the data goes) and the year's 专项行动总结, all dated 12月20日. With ``units``: the same for
each of those units (their own submissions to the town), beside the town's.

Files go to ``<out>/<period>/公文/`` under their titles (the town's or unit's name first, so
files of several towns or units can share a folder).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evalkit.core.dataset import covered_months, within_data
from evalkit.core.file_names import safe_stem
from evalkit.core.periods import Period, parse_period
from evalkit.documents.activities import activities_title, write_activities
from evalkit.documents.cases import cases_title, write_cases
from evalkit.documents.common import Scope, quarter_of
from evalkit.documents.summary import summary_title, write_summary
from evalkit.report import sections

FOLDER = "公文"


@dataclass(frozen=True)
class Planned:
    """One document to write: its kind (activities | cases | summary), scope and title (a
    line break where the title is set on two lines; the file name is the title on one)."""

    kind: str
    scope: Scope
    title: str

    @property
    def file_name(self) -> str:
        return f"{safe_stem(self.title.replace(chr(10), ''), 'document')}.docx"


_WRITERS = {"activities": write_activities, "cases": write_cases, "summary": write_summary}
_TITLES = {"activities": activities_title, "cases": cases_title, "summary": summary_title}


def _covered(ds, period: Period) -> bool:
    months = set(covered_months(ds))
    return any(k in months for k in period.period_keys)


def plan_documents(ds, period, units: list[str] | None = None) -> list[Planned]:
    """The documents of ``period`` for the town and for each of ``units``."""
    p = period if isinstance(period, Period) else parse_period(period)
    quarter = quarter_of(p)
    kinds: list[tuple[str, Period]] = []
    q = within_data(ds, quarter)
    if _covered(ds, q):
        kinds += [("activities", q), ("cases", q)]
    if p.kind == "year":
        kinds.append(("summary", within_data(ds, p)))
    planned = []
    for unit in [None, *(units or [])]:
        for kind, per in kinds:
            scope = Scope(ds, per, unit)
            planned.append(Planned(kind, scope, _TITLES[kind](scope)))
    return planned


def write_documents(data_dir, period, out_dir, units: list[str] | None = None) -> list[Path]:
    """Write the period's documents under ``out_dir/<period>/公文/``; return their paths.

    ``data_dir`` is read through the dataset cache (``report.cache``), as the report
    notebooks read it; the figures are the reports' (``report.sections``).
    """
    p = period if isinstance(period, Period) else parse_period(period)
    ds = sections.open_dataset(data_dir)
    folder = Path(out_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for doc in plan_documents(ds, p, units):
        path = folder / doc.file_name
        _WRITERS[doc.kind](doc.scope, path)
        written.append(path)
    return written
