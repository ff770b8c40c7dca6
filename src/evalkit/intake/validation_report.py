"""The result of ``evalkit validate``: counts and problems, as JSON or a Chinese text report.

``ValidationResult(dataset).to_dict()`` is exactly::

    {"files": N, "rows_read": N, "rows_accepted": N, "rows_rejected": N,
     "problems": [{"file", "sheet", "row", "column", "rule", "severity", "message", "value"}],
     "by_file": [{"file", "rows_read", "rows_accepted", "rows_rejected", "errors", "warnings"}]}

``to_text()`` puts the counts by rule first (so ~1000 problems stay readable),
then the per-file table, then the problems grouped by file, then a summary line.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from evalkit._text import VALIDATION_SEVERITY_ZH as _SEVERITY
from evalkit._text import format_table
from evalkit.core.dataset import Dataset
from evalkit.core.problems import PROBLEM_COLUMNS, RULES


def _plain(value):
    """A JSON-ready scalar: None for NA, int for whole numbers from Int64 columns."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


class ValidationResult:
    """What ``evalkit validate`` reports about one loaded data folder."""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset

    # ------------------------------------------------------------------ data
    def problems(self) -> list[dict]:
        frame = self.dataset.problems
        return [{k: _plain(row[k]) for k in PROBLEM_COLUMNS} for row in frame.to_dict("records")]

    def by_file(self) -> list[dict]:
        counts: dict[str, Counter] = {}
        for p in self.dataset.problems[["file", "severity"]].itertuples(index=False):
            counts.setdefault(p.file, Counter())[p.severity] += 1
        out = []
        for row in self.dataset.files.to_dict("records"):
            c = counts.get(row["file"], Counter())
            out.append({"file": row["file"], "rows_read": int(row["rows_read"]),
                        "rows_accepted": int(row["rows_accepted"]), "rows_rejected": int(row["rows_rejected"]),
                        "errors": c["error"], "warnings": c["warning"]})
        return out

    def to_dict(self) -> dict:
        return {**self.dataset.summary(), "problems": self.problems(), "by_file": self.by_file()}

    # ------------------------------------------------------------------ text
    def to_text(self) -> str:
        ds, problems = self.dataset, self.problems()
        errors = sum(1 for p in problems if p["severity"] == "error")
        warnings = len(problems) - errors
        lines = [f"校验报告：{ds.data_dir}",
                 f"文件 {len(ds.files)} 个；读取 {ds.rows_read} 行，接受 {ds.rows_accepted} 行，"
                 f"拒收 {ds.rows_rejected} 行；错误 {errors} 条，警告 {warnings} 条。", ""]
        by_rule = Counter(p["rule"] for p in problems)
        if by_rule:
            lines.append("一、按规则统计")
            rows = [[rule, _SEVERITY[RULES[rule].severity], n, RULES[rule].title]
                    for rule, n in sorted(by_rule.items(), key=lambda kv: (RULES[kv[0]].severity != "error",
                                                                           -kv[1], kv[0]))]
            lines += [format_table(["规则", "级别", "条数", "说明"], rows, right=[False, False, True, False],
                                   indent="  "), ""]
        lines.append("二、各文件行数")
        rows = [[f["file"], f["rows_read"], f["rows_accepted"], f["rows_rejected"], f["errors"], f["warnings"]]
                for f in self.by_file()]
        rows.append(["合计", ds.rows_read, ds.rows_accepted, ds.rows_rejected,
                     sum(r[4] for r in rows), sum(r[5] for r in rows)])
        lines += [format_table(["文件", "读取", "接受", "拒收", "错误", "警告"], rows,
                               right=[False] + [True] * 5, indent="  "), ""]
        if problems:
            lines.append("三、问题明细（按文件）")
            current = object()
            for p in problems:
                if p["file"] != current:
                    current = p["file"]
                    lines.append(f"■ {current}")
                where = " ".join(x for x in (p["sheet"] and f"[{p['sheet']}]",
                                             p["row"] is not None and f"第{p['row']}行",
                                             p["column"] and f"“{p['column']}”") if x)
                head = f"  {_SEVERITY[p['severity']]}" + (f" {where}" if where else "")
                lines.append(f"{head} {p['rule']}：{p['message']}")
            lines.append("")
        rule_text = "，".join(f"{rule} {n}" for rule, n in by_rule.most_common()) or "无"
        verdict = "有错误，被拒收的行未计入统计" if errors else "无错误"
        lines.append(f"合计：错误 {errors} 条，警告 {warnings} 条（{verdict}）。按规则：{rule_text}。")
        return "\n".join(lines)
