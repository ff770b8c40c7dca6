"""Finding a form's header row by its column names, anywhere in the first rows of a sheet.
"""

from __future__ import annotations

from dataclasses import dataclass

from evalkit.core.forms import FIGURES, LEDGER, Column, Form
from evalkit.intake import cells

HEADER_SCAN_ROWS = 30  # the header row is looked for in this many rows


MIN_HEADER_MATCHES = 3  # a row naming fewer of a form's columns is not its header


@dataclass
class Header:
    form: Form
    row: int  # 1-based Excel row of the (lowest) header row
    top: int  # 1-based first header row (附件2: the group row)
    columns: dict[int, Column]  # 0-based column index -> form column
    written: dict[str, str]  # column key -> header as written


def _names(form: Form) -> dict[str, Column]:
    out: dict[str, Column] = {}
    for col in form.columns:
        for name in (col.header, *col.aliases):
            out.setdefault(cells.norm(name), col)
    return out


_FORM_NAMES_NORM = {form.id: _names(form) for form in (LEDGER, FIGURES)}


def _by_first(names) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name in names:
        if name:
            out.setdefault(name[0], []).append(name)
    return out


# the same names by first character: a bracketed cell ("检查时间(年月日)") is compared with
# the few names it can start with, not all of them (most cells under a header are data)
_BY_FIRST = {form_id: _by_first(names) for form_id, names in _FORM_NAMES_NORM.items()}


def header_names(form: Form) -> dict[str, Column]:
    """The normalised header names and aliases of ``form`` (what ``match_row`` looks up)."""
    return _FORM_NAMES_NORM[form.id]


def norm_row(row: list) -> list[str]:
    return [cells.norm(v) if isinstance(v, str) else "" for v in row]


def may_name_column(text: str, names: dict[str, Column]) -> bool:
    """Whether ``match_row`` could match this normalised cell: a header name or alias itself, or a
    text holding a bracket ("检查时间(年月日)"). A row with fewer such cells than
    MIN_HEADER_MATCHES is no header (most rows looked at are data)."""
    return text in names or "(" in text


def match_row(texts: list[str], form: Form, taken: dict[int, Column] | None = None) -> dict[int, Column]:
    """Column index -> form column for the header cells of one row (``texts`` normalised).

    Exact match of header or alias after ``cells.norm`` first; then a cell that is a
    name followed by a bracket ("检查时间(年月日)").
    """
    names = _FORM_NAMES_NORM[form.id]
    found: dict[int, Column] = dict(taken or {})
    used = {c.key for c in found.values()}
    for i, text in enumerate(texts):
        col = names.get(text) if text and i not in found else None
        if col is not None and col.key not in used:
            found[i], _ = col, used.add(col.key)
    by_first = _BY_FIRST[form.id]
    for i, text in enumerate(texts):
        if i in found or "(" not in text:
            continue
        best = max((n for n in by_first.get(text[0], ()) if text.startswith(n) and text[len(n):].startswith("(")
                    and names[n].key not in used), key=len, default=None)
        if best is not None:
            found[i], _ = names[best], used.add(names[best].key)
    return found


def find_header(grid: list[list]) -> Header | None:
    """The header row: the row naming most columns of either form (at least 3), with
    the row above filling in columns that span two header rows (附件2)."""
    best: tuple[int, int, Form, dict] | None = None
    normed = [norm_row(row) for row in grid[:HEADER_SCAN_ROWS]]
    for r, texts in enumerate(normed):
        if sum(1 for t in texts if t) < MIN_HEADER_MATCHES:
            continue
        for form in (LEDGER, FIGURES):
            names = _FORM_NAMES_NORM[form.id]
            if sum(1 for t in texts if may_name_column(t, names)) < MIN_HEADER_MATCHES:
                continue
            found = match_row(texts, form)
            if len(found) >= MIN_HEADER_MATCHES and (best is None or len(found) > best[0]):
                best = (len(found), r, form, found)
    if best is None:
        return None
    _, r, form, found = best
    top = r
    if r > 0:
        merged = match_row(normed[r - 1], form, taken=found)
        if len(merged) > len(found):
            found, top = merged, r - 1
    written = {}
    for i, col in found.items():  # the text where the column was found: own row first
        texts = [cells.to_text(grid[rr][i]) for rr in (r, top) if i < len(grid[rr])]
        written[col.key] = next((t for t in texts if t), "")
    return Header(form, r + 1, top + 1, dict(sorted(found.items())), written)

