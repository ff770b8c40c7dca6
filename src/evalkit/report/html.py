"""HTML rendering of executed report notebooks, and the index page of a batch.

A report page shows no code: nbconvert's ``HTMLExporter`` with ``exclude_input``,
``exclude_input_prompt`` and ``exclude_output_prompt``, through our own template
(``html_templates/evalkit_report``) whose ``<head>`` carries only inline CSS. nbconvert's
default template loads MathJax and require.js from a CDN; ours loads nothing, so a
report opens offline. ``external_references(html)`` lists anything that would still
fetch from another host, and ``render_report`` refuses to return such a page.

Charts are already base64 PNG inside the executed notebook, so they are embedded as
``data:`` URIs. Cells tagged ``hide-in-report`` (analyst notes) are left out.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

from evalkit import __version__
from evalkit.core.hierarchy import DEFAULT_ROOT

#: Mimetype of the headline figures a report publishes for the index page
#: (see ``evalkit.report.sections.headline``): a JSON object label -> formatted value.
HEADLINE_MIME = "application/vnd.evalkit.headline+json"
HIDE_TAG = "hide-in-report"
BAND_TEMPLATE = "{region} 2024 年安全生产执法提升专项行动"
BAND = BAND_TEMPLATE.format(region=DEFAULT_ROOT)  # a town folder's band
TEMPLATE_NAME = "evalkit_report"

#: Every page forbids scripts, plugins, frames and anything fetched from elsewhere: the
#: reports need none, and submitted text that slipped through escaping still cannot run.
#: Inline styles and data: images (the charts) are what a page uses.
CONTENT_SECURITY_POLICY = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
                           "form-action 'none'; base-uri 'none'")

_EXPORTER = None  # built once per process: loading the Jinja templates is the slow part


def _templates_dir() -> Path:
    return Path(str(resources.files("evalkit.report").joinpath("html_templates")))


def report_css() -> str:
    """The report stylesheet (inline in every page)."""
    return (_templates_dir() / TEMPLATE_NAME / "report.css").read_text(encoding="utf-8")


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string: every ASCII character but letters, digits and the
    space, and every control or line-separator character, written as a CSS escape
    (``\\3c `` for <), so submitted text (a unit name) cannot end the string, the rule or
    the ``<style>`` element it sits in."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if (ch.isascii() and (ch.isalnum() or ch == " ")) or (not ch.isascii() and ch.isprintable()):
            out.append(ch)
        else:
            out.append(f"\\{code:x} ")
    return '"' + "".join(out) + '"'


#: In every page ``page_css`` writes: the PDF printer draws no header or footer of its own there.
PAGE_NUMBERS_MARK = "counter(pages)"


def page_css(running_title: str, band: str = BAND) -> str:
    """Printed page furniture (CSS paged media margin boxes): the report's title at the top
    left, the campaign at the top right, “第 N 页，共 M 页” at the bottom. Page 1 has no
    running head: its band and H1 already say both, right under it. Chromium (131 and later,
    including its ``--print-to-pdf``) prints them; a browser without margin boxes ignores the
    rule and prints the page without them."""
    return ("@page { @top-left { content: " + css_string(running_title) + "; }"
            " @top-right { content: " + css_string(band) + "; }"
            ' @bottom-center { content: "第 " counter(page) " 页，共 " counter(pages) " 页"; } }'
            " @page :first { @top-left { content: none; } @top-right { content: none; } }")


def _exporter():
    global _EXPORTER
    if _EXPORTER is None:
        # lazy: nbconvert takes about a second to import; only rendering needs it
        from nbconvert import HTMLExporter
        from nbconvert.preprocessors import TagRemovePreprocessor

        exporter = HTMLExporter(
            template_name=TEMPLATE_NAME,
            extra_template_basedirs=[str(_templates_dir())],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
        )
        exporter.register_preprocessor(
            TagRemovePreprocessor(remove_cell_tags={HIDE_TAG}, enabled=True), enabled=True)
        _EXPORTER = exporter
    return _EXPORTER


def warm_up() -> None:
    """Build the exporter and compile its templates (about 0.5 s), e.g. while a kernel boots."""
    import nbformat  # lazy: start-up time (jsonschema and friends)

    render_report(nbformat.v4.new_notebook(), "warm-up", index_href=None)


def render_report(nb, title: str, subtitle: str = "", index_href: str | None = "index.html",
                  region: str = DEFAULT_ROOT) -> str:
    """HTML of an executed notebook: no code cells, Chinese ``title``, print CSS, offline.

    Raises ``ValueError`` if the page would load anything from another host.
    """
    generated = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    meta = {
        "title": title,
        "band": BAND_TEMPLATE.format(region=region),
        "subtitle": " · ".join(x for x in (title, subtitle) if x),
        "footer": f"本报告由执法统计分析工具（evalkit {__version__}）于 {generated} 根据各单位报送的统计表自动生成；"
                  "数据口径见各节说明。",
        "page_css": page_css(title, BAND_TEMPLATE.format(region=region)),
        "index_href": index_href,
        "css": report_css(),
        "version": __version__,
        "csp": CONTENT_SECURITY_POLICY,
    }
    body, _ = _exporter().from_notebook_node(
        nb, resources={"metadata": {"name": title}, "evalkit": meta})
    problems = external_references(body)
    if problems:
        raise ValueError(f"报告页面引用了外部资源，离线无法打开：{problems[:5]}")
    active = active_content(body)
    if active:
        raise ValueError(f"报告页面含有可执行内容（脚本或事件属性），已拒绝生成：{active[:5]}")
    return body


def headline_of(nb) -> dict[str, str]:
    """The headline figures a report published (``HEADLINE_MIME`` outputs), merged in order."""
    found: dict[str, str] = {}
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            data = out.get("data") or {}
            if HEADLINE_MIME in data and isinstance(data[HEADLINE_MIME], dict):
                found.update({str(k): str(v) for k, v in data[HEADLINE_MIME].items()})
    return found


# --------------------------------------------------------------------------- offline check
_REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"""(?:@import\s+(?:url\()?|url\()\s*['"]?([^'")\s;]+)""", re.IGNORECASE)
# Attributes that make a browser fetch something (a plain <a href> does not).
_FETCHING = {
    "script": ("src",), "link": ("href",), "img": ("src", "srcset"), "iframe": ("src",),
    "source": ("src", "srcset"), "video": ("src", "poster"), "audio": ("src",),
    "embed": ("src",), "object": ("data",), "input": ("src",), "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
}


def _is_remote(url: str) -> bool:
    """True for http(s)://, protocol-relative // and any other scheme://host URL."""
    return bool(_REMOTE.match(url or ""))


class _RefCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.remote: list[str] = []
        self.links: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in _FETCHING.get(tag, ()):
            value = attrs.get(name) or ""
            urls = [u.strip().split(" ")[0] for u in value.split(",")] if name == "srcset" else [value]
            self.remote += [f"<{tag} {name}={u}>" for u in urls if _is_remote(u)]
        if tag == "a" and _is_remote(attrs.get("href") or ""):
            self.links.append(attrs["href"])
        if "style" in attrs:
            self._css(attrs["style"] or "", tag)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self._css(data, "style")

    def _css(self, text: str, where: str):
        self.remote += [f"<{where}> url({u})" for u in _CSS_URL.findall(text) if _is_remote(u)]


def external_references(page: str) -> list[str]:
    """Everything in ``page`` that a browser would fetch from another host.

    Checks src/href of script, link, img, iframe, media and the like, ``@import`` and
    ``url(...)`` (fonts included) in <style> blocks and style attributes. Hyperlinks
    (<a href>) are not fetched and are listed by ``external_links`` instead.
    """
    parser = _RefCollector()
    parser.feed(page)
    parser.close()
    return parser.remote


def external_links(page: str) -> list[str]:
    """The <a href> targets on another host (allowed, but reports should have none)."""
    parser = _RefCollector()
    parser.feed(page)
    parser.close()
    return parser.links


# --------------------------------------------------------------------------- index page
_STATUS = {"done": ("已生成", "ek-status-ok"), "skipped": ("未变化，沿用", "ek-status-skip"),
           "failed": ("失败", "ek-status-bad"), "stale": ("输入已变化，未重算", "ek-status-bad")}


class _ActiveContent(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed", "applet", "base", "form"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            elif name in ("href", "src", "action", "formaction", "xlink:href") and \
                    (value or "").strip().lower().startswith(("javascript:", "vbscript:", "data:text/html")):
                self.found.append(f"<{tag} {name}={value[:30]}>")


def active_content(page: str) -> list[str]:
    """Tags and attributes in ``page`` that could run code (script, iframe, object, embed,
    form, base, on… event attributes, javascript: links). A report page has none: submitted
    text reaches it escaped, and ``render_report`` refuses a page where this finds any."""
    parser = _ActiveContent()
    parser.feed(page)
    parser.close()
    return parser.found


def render_index(period_label: str, rows: list[dict], generated: str | None = None,
                 files: list[tuple[str, str, str]] | None = None, region: str = DEFAULT_ROOT,
                 documents: list[tuple[str, str, str]] | None = None) -> str:
    """The batch's index.html: every report with its status and headline figures.

    ``rows``: dicts with ``group`` (section heading), ``title``, ``href`` (or None),
    ``status`` (done | skipped | failed | stale), ``headline`` (label -> value) and
    ``error`` (text, for failed reports). ``files``: (section, name, relative href) of the
    workbooks ``evalkit export`` wrote for the period, listed after the reports. A row's
    ``pdf_href`` (optional) links its PDF. ``documents``: (section, name, relative href) of
    the Word documents (公文) of the period, listed after the reports.
    """
    esc = html.escape
    generated = generated or dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    counts = {k: sum(r["status"] == k for r in rows) for k in _STATUS}
    band = BAND_TEMPLATE.format(region=region)
    parts = [
        "<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8" />',
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CONTENT_SECURITY_POLICY)}">',
        f"<title>{esc(period_label)} 执法报告目录</title>",
        f'<style type="text/css">{report_css()}\n{page_css(f"{period_label} 执法报告目录", band)}</style></head><body>',
        f'<header class="ek-band"><div class="ek-band-title">{esc(BAND_TEMPLATE.format(region=region))}</div>'
        f'<div class="ek-band-meta">{esc(period_label)} · 报告目录</div></header>',
        '<main class="ek-report">', f"<h1>{esc(period_label)} 执法报告目录</h1>",
        f'<p class="ek-note">共 {len(rows)} 份报告：新生成 {counts["done"]}，沿用 {counts["skipped"]}，'
        f'失败 {counts["failed"]}'
        + (f'，输入已变化未重算 {counts["stale"]}' if counts["stale"] else "")
        + "。点击报告名称打开；报告无需运行任何程序即可阅读和打印。</p>",
    ]
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["group"], []).append(row)
    for group, members in groups.items():
        parts.append(f"<h2>{esc(group)}</h2>")
        parts.append("<table><thead><tr><th>报告</th><th>状态</th><th>主要指标</th></tr></thead><tbody>")
        for row in members:
            label, css = _STATUS.get(row["status"], (row["status"], ""))
            name = esc(row["title"])
            if row.get("href"):
                name = f'<a href="{esc(row["href"])}">{name}</a>'
            if row.get("pdf_href"):
                name += f'（<a href="{esc(row["pdf_href"])}">PDF</a>）'
            figures = "；".join(f"{esc(k)}：{esc(str(v))}" for k, v in (row.get("headline") or {}).items())
            if row.get("error"):
                figures = f'<span class="ek-status-bad">{esc(row["error"])}</span>'
            parts.append(f'<tr><td class="ek-text">{name}</td><td class="ek-status {css}">{label}</td>'
                         f'<td class="ek-text">{figures or "—"}</td></tr>')
        parts.append("</tbody></table>")
    for heading, listed in (("报送文件（Word 公文）", documents), ("官方工作簿与公示", files)):
        if listed:
            parts.append(f"<h2>{heading}</h2>")
            parts.append("<table><thead><tr><th>类别</th><th>文件</th></tr></thead><tbody>")
            for section, name, href in listed:
                parts.append(f'<tr><td class="ek-text">{esc(section)}</td>'
                             f'<td class="ek-text"><a href="{esc(href)}">{esc(name)}</a></td></tr>')
            parts.append("</tbody></table>")
    parts += ["</main>", '<footer class="ek-footer">'
              f"执法统计分析工具（evalkit {esc(__version__)}）生成于 {esc(generated)}。"
              "“沿用”表示报告模板、参数与输入数据均未变化，沿用上次生成的报告。</footer>",
              "</body></html>"]
    return "\n".join(parts)
