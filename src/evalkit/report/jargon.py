"""Developer vocabulary that must not reach a reviewer's page.

Reviewers read the HTML reports in Chinese; rule ids (``overdue_not_escalated``), column ids,
paths of the documentation or the code (``docs/scoring.md``) and command names
(``evalkit export``, ``--period``) are for analysts and developers, who find them in
``--json`` output and in the analysts' notebooks. ``developer_terms(page)`` lists what a page
still shows of that vocabulary, in the text a reader sees: the text of the ``<body>`` and the
``<title>``, never the markup, the stylesheet, attribute values or embedded images.

The tests scan every page of a month's, a quarter's and a year's run with it. It is a
check, not a filter: submitted text (an enterprise named ``abc_def``) would be reported too,
which is why pages are not refused at render time for it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["developer_terms", "visible_text", "PATTERNS"]

_NOT_WORD = r"(?<![A-Za-z0-9_])"  # \b treats 汉字 as word characters: "见docs/" has no \b before d
#: What counts as developer vocabulary, by kind (the kind is shown in a test's failure).
PATTERNS: dict[str, re.Pattern] = {
    "规则或字段 id": re.compile(_NOT_WORD + r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_])"),
    "文档或源码路径": re.compile(_NOT_WORD + r"(?:(?:docs|src|notebooks|scripts|tests|config|outputs|data)/"
                          r"|[\w-]+\.(?:md|py|ipynb|ya?ml|json|toml|cfg)(?![A-Za-z0-9_]))"),
    "命令或参数": re.compile(_NOT_WORD + r"(?:evalkit\s+(?:validate|metrics|audit|score|export|run|sample|cases)"
                        r"|papermill|jupyter|pytest|pip|python3?|DATA_DIR)(?![A-Za-z0-9_])"
                        r"|(?<![\w-])--[a-z][a-z-]+"),
}


class _Visible(HTMLParser):
    """Collects the text a reader sees: body and title text, without <style>/<script>."""

    _HIDDEN = {"style", "script", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._in_head = False
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag == "head":
            self._in_head = True
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag in self._HIDDEN:
            self._hidden = max(self._hidden - 1, 0)
        elif tag == "head":
            self._in_head = False
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._hidden or (self._in_head and not self._in_title):
            return
        self.parts.append(data)


def visible_text(page: str) -> str:
    """The text of ``page`` a reader sees (entities decoded), one space between elements."""
    parser = _Visible()
    parser.feed(page)
    parser.close()
    return " ".join(parser.parts)


def developer_terms(page: str) -> list[tuple[str, str]]:
    """(kind, the term with some context) for every piece of developer vocabulary the reader
    of ``page`` would see; empty for a clean page."""
    text = visible_text(page)
    found = []
    for kind, pattern in PATTERNS.items():
        for m in pattern.finditer(text):
            context = text[max(m.start() - 20, 0):m.end() + 20].replace("\n", " ")
            found.append((kind, f"{m.group()}（…{context}…）"))
    return found
