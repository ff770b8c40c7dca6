"""Shared chart style: a CJK font, A4-friendly sizes, one colour per unit."""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
import warnings

import matplotlib

# Headless by default (CLI, batch workers), but never override a chosen backend: inside a
# Jupyter kernel MPLBACKEND is the inline backend, and forcing Agg would hide every chart.
if "MPLBACKEND" not in os.environ and "ipykernel" not in sys.modules:
    matplotlib.use("Agg", force=False)
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colormaps, font_manager, ft2font  # noqa: E402
from matplotlib import text as mtext  # noqa: E402
from matplotlib.colors import rgb_to_hsv, to_hex, to_rgb  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from evalkit._text import NOT_APPLICABLE  # noqa: E402

#: Preferred CJK families, first found wins. Debian's fonts-noto-cjk provides the first.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "WenQuanYi Zen Hei",
                "Source Han Sans SC", "SimHei", "Microsoft YaHei")


def find_cjk_family() -> str | None:
    """Return the first installed CJK font family matplotlib can use, or None."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in names:
            return family
    return None


def _rebuild_font_list() -> None:
    font_manager.fontManager = font_manager.FontManager()
    font_manager._load_fontmanager(try_read_cache=False)


@functools.cache
def _font_list_current() -> bool:
    """Rebuild matplotlib's cached font list once if fonts were installed after it was built
    (scripts/setup.sh installs the fallbacks on a machine that may already have a cache)."""
    known = {f.fname for f in font_manager.fontManager.ttflist}
    if any(path not in known for path in font_manager.findSystemFonts(fontext="ttf")):
        _rebuild_font_list()
    return True


def check_cjk_font() -> str:
    """Make sure a CJK font is found, rebuilding matplotlib's font cache once if needed."""
    _font_list_current()
    family = find_cjk_family()
    if family is None:  # the cache may predate the font's installation
        _rebuild_font_list()
        family = find_cjk_family()
    if family is None:
        raise RuntimeError("未找到中文字体：请运行 scripts/setup.sh（安装 fonts-noto-cjk）")
    return family


#: Fallbacks after the CJK family, per glyph (matplotlib >= 3.6): HanaMinA/B (Debian's
#: fonts-hanazono) cover the CJK extensions A-F, where 生僻字 of village and person names
#: live (𡒄 is in Extension B); Symbola (fonts-symbola) covers emoji and symbols in black and
#: white; DejaVu Sans the rest of Latin, Greek and Cyrillic. Only installed ones are used.
FALLBACK_FAMILIES = ("HanaMinA", "HanaMinB", "Symbola", "DejaVu Sans")


def font_chain() -> list[str]:
    """The font families charts use, in fallback order: the CJK family, then the installed fallbacks."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    return [check_cjk_font(), *(f for f in FALLBACK_FAMILIES if f in names)]


@functools.cache
def _charmap(path: str) -> frozenset[int]:
    return frozenset(ft2font.FT2Font(path).get_charmap())


def _covered() -> frozenset[int]:
    covered: set[int] = set()
    for family in font_chain():
        path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        covered |= _charmap(path)
    return frozenset(covered)


def missing_glyphs(fig) -> list[str]:
    """The characters in ``fig``'s texts (titles, labels, ticks, legends, annotations) that
    no font of ``font_chain()`` has: they would print as empty boxes. Sorted, unique."""
    covered = _covered()
    chars = {ch for text in fig.findobj(mtext.Text) for ch in text.get_text()
             if not ch.isspace() and ord(ch) >= 0x20}
    return sorted(ch for ch in chars if ord(ch) not in covered)


def use_style() -> str:
    """Configure matplotlib for Chinese labels and A4-width figures; returns the font family.

    A glyph no font has is not an error (a village name may hold a 生僻字 no font covers):
    matplotlib's warning is silenced and ``missing_glyphs`` lets the report say so in words.
    """
    family = check_cjk_font()
    plt.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": font_chain(),
        "axes.unicode_minus": False,  # the CJK font lacks U+2212
        "figure.figsize": (7.5, 3.8),  # fits A4 portrait width with margins
        "figure.dpi": 110,
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "font.size": 9,
    })
    warnings.filterwarnings("ignore", message=r"Glyph .* missing", category=UserWarning)
    return family


# --------------------------------------------------------------------------- colours
#: Colour of the town (全镇) series, drawn beside a unit's own colour.
TOWN_COLOR = "#7f7f7f"
#: Grey for 不适用 (undefined) cells of a heatmap.
NA_COLOR = "#e6e6e6"
#: Colours of the 评议考核 grades (assess.scoring: 优秀, 良好, 合格, 不合格): a score bar is
#: coloured by its grade, and the chart's legend says so.
GRADE_COLORS = {"优秀": "#1a7f37", "良好": "#2f6db5", "合格": "#d4a017", "不合格": "#c0392b"}


def is_greyish(color: str) -> bool:
    """True for a colour a reader could take for the town's grey: low saturation."""
    return float(rgb_to_hsv(to_rgb(color))[1]) < 0.2


def unit_colors(units) -> dict[str, str]:
    """A stable unit -> colour map: the units sorted by name, each given a distinct colour.

    Built from the dataset's full unit list (``Dataset.units``), so a unit has the same
    colour in every chart of every report of that dataset, whatever subset a chart shows.
    The strong shades of tab20/tab20b/tab20c come first (readable as thin lines);
    pale shades follow, and past the palette's length the colours repeat. Greys are left
    out: grey is the town's colour (``TOWN_COLOR``), and a unit drawn in grey beside the
    town line could not be told from it.
    """
    t20, t20b, t20c = ([to_hex(c) for c in colormaps[name].colors] for name in ("tab20", "tab20b", "tab20c"))
    strong = t20[0::2] + t20b[0::4] + t20b[1::4] + t20c[0::4] + t20c[1::4]
    pale = t20[1::2] + t20b[2::4] + t20b[3::4] + t20c[2::4] + t20c[3::4]
    palette = [c for c in dict.fromkeys(strong + pale) if not is_greyish(c)]
    return {u: palette[i % len(palette)] for i, u in enumerate(sorted(map(str, units)))}


# --------------------------------------------------------------------------- plots
def _finish(ax, title: str | None, xlabel: str | None, ylabel: str | None) -> None:
    if title:
        ax.set_title(title, loc="left", fontsize=10, fontweight="bold")
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)


def bar_by_unit(values, *, colors: dict[str, str], title: str, ylabel: str,
                reference: float | None = None, reference_label: str = "全镇",
                highlight: str | None = None, fmt: str = "{:.1f}", legend: dict[str, str] | None = None,
                ax=None):
    """Vertical bars, one per unit in the given order, each in its colour in ``colors``.

    ``values``: Series indexed by unit (NaN/None = 不适用, drawn as an empty slot and
    labelled). ``reference`` draws a dashed town line; ``highlight`` fades other units;
    ``legend`` (label -> colour) says what the colours mean (e.g. the grades).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.6))
    units = [str(u) for u in values.index]
    vals = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    cols = [colors.get(u, TOWN_COLOR) for u in units]
    alphas = [1.0 if highlight in (None, u) else 0.35 for u in units]
    bars = ax.bar(range(len(units)), np.nan_to_num(vals), color=cols)
    for bar, alpha, v in zip(bars, alphas, vals, strict=True):
        bar.set_alpha(alpha)
        label = NOT_APPLICABLE if np.isnan(v) else fmt.format(v)
        ax.annotate(label, (bar.get_x() + bar.get_width() / 2, 0 if np.isnan(v) else v),
                    ha="center", va="bottom", fontsize=6.5, rotation=90 if len(units) > 12 else 0,
                    xytext=(0, 2), textcoords="offset points")
    handles = [Patch(color=c, label=label) for label, c in (legend or {}).items()]
    if reference is not None:
        handles.append(ax.axhline(reference, color=TOWN_COLOR, linestyle="--", linewidth=1,
                                  label=f"{reference_label} {fmt.format(reference)}"))
    if handles:
        ax.legend(handles=handles, loc="upper right", fontsize=7, frameon=False, ncol=len(handles))
    ax.set_xticks(range(len(units)), units, rotation=60 if len(units) > 8 else 0, ha="right"
                  if len(units) > 8 else "center", fontsize=7)
    ax.grid(axis="x", visible=False)
    _finish(ax, title, None, ylabel)
    return ax


def lines_by_month(frame, *, colors: dict[str, str], title: str, ylabel: str,
                   xlabel: str = "月份", ax=None, ylim=None):
    """One line per column of ``frame`` (index: month numbers 1-12), in its unit colour.

    A column not in ``colors`` (e.g. 全镇) is drawn dashed in ``TOWN_COLOR``; NaN
    (不适用) leaves a gap.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.2))
    for col in frame.columns:
        own = col in colors
        ax.plot(frame.index, frame[col].astype(float), marker="o", markersize=3,
                color=colors.get(col, TOWN_COLOR), linestyle="-" if own else "--", label=str(col))
    ax.set_xticks(list(frame.index), [f"{m}月" for m in frame.index], fontsize=7.5)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.legend(fontsize=7.5, frameon=False)
    _finish(ax, title, xlabel, ylabel)
    return ax


def heatmap(frame, *, title: str, colorbar_label: str, vmin: float = 0, vmax: float = 100,
            fmt: str = "{:.0f}", cmap: str = "RdYlGn", ax=None):
    """Units (rows) × measures (columns) heatmap with values printed; NaN shows 不适用."""
    data = frame.astype(float).to_numpy()
    height = max(2.5, 0.24 * len(frame) + 1.2)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, height))
    masked = np.ma.masked_invalid(data)
    cm = plt.get_cmap(cmap).copy()
    cm.set_bad(NA_COLOR)
    image = ax.imshow(masked, cmap=cm, vmin=vmin, vmax=vmax, aspect="auto")
    for (i, j), v in np.ndenumerate(data):
        # Light text on dark cells (the ends of a diverging map), dark text elsewhere.
        r, g, b, _ = cm((v - vmin) / ((vmax - vmin) or 1)) if not np.isnan(v) else (1, 1, 1, 1)
        dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
        ax.text(j, i, NOT_APPLICABLE if np.isnan(v) else fmt.format(v), ha="center", va="center",
                fontsize=6.5, color="white" if dark else "#333333")
    ax.set_xticks(range(frame.shape[1]), [str(c) for c in frame.columns], fontsize=7.5)
    ax.set_yticks(range(frame.shape[0]), [str(i) for i in frame.index], fontsize=7)
    ax.grid(False)
    ax.tick_params(length=0)
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    bar.set_label(colorbar_label)
    _finish(ax, title, None, None)
    return ax


def hbar(values, *, title: str, xlabel: str, color: str = TOWN_COLOR, fmt: str = "{:g}", ax=None):
    """Horizontal bars (largest on top) for a category breakdown."""
    values = values.sort_values()
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, max(2.0, 0.3 * len(values) + 0.8)))
    bars = ax.barh([str(i) for i in values.index], values.astype(float), color=color)
    for bar, v in zip(bars, values, strict=True):
        ax.annotate(fmt.format(v), (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    va="center", fontsize=7, xytext=(3, 0), textcoords="offset points")
    ax.grid(axis="y", visible=False)
    _finish(ax, title, xlabel, None)
    return ax


#: The plan's three phases (方案 三、工作步骤): (name, first day, last day) as (month, day).
PLAN_PHASES = (("动员部署", (1, 1), (3, 31)), ("集中推进", (3, 31), (11, 30)), ("总结提高", (12, 1), (12, 20)))
_PHASE_COLORS = ("#dbe9f6", "#e5f3e0", "#fbeedd")


def phase_chart(monthly, cumulative=None, *, year: int, as_of=None, title: str,
                ylabel: str, cumulative_label: str = "累计检查覆盖率（%）", ax=None):
    """Monthly bars over the year with the plan's phases shaded; optional cumulative line.

    ``monthly``: Series indexed by month (1-12); ``cumulative``: Series by month on a
    0-100 scale (right axis); ``as_of``: a date marking where the data ends.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.4))
    for (name, start, end), shade in zip(PLAN_PHASES, _PHASE_COLORS, strict=True):
        a, b = dt.date(year, *start), dt.date(year, *end) + dt.timedelta(days=1)
        ax.axvspan(a, b, color=shade, zorder=0)
        ax.text(a + (b - a) / 2, 0.98, name, transform=ax.get_xaxis_transform(), ha="center",
                va="top", fontsize=7.5, color="#444444")
    mids = [dt.date(year, int(m), 15) for m in monthly.index]
    ax.bar(mids, monthly.astype(float), width=20, color="#1c4e80", alpha=0.85, label=ylabel, zorder=2)
    ax.set_xlim(dt.date(year, 1, 1), dt.date(year, 12, 31))
    ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%-m月"))
    ax.tick_params(axis="x", labelsize=7.5)
    ax.grid(axis="x", visible=False)
    handles, labels = ax.get_legend_handles_labels()
    if cumulative is not None and len(cumulative):
        right = ax.twinx()
        right.plot([dt.date(year, int(m), 15) for m in cumulative.index], cumulative.astype(float),
                   color="#c0392b", marker="o", markersize=3, label=cumulative_label, zorder=3)
        right.set_ylim(0, 105)
        right.set_ylabel(cumulative_label)
        right.grid(False)
        right.spines["right"].set_visible(True)
        h2, l2 = right.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    if as_of is not None:
        ax.axvline(as_of, color="#333333", linewidth=1, linestyle=":")
        ax.annotate(f"数据截至{as_of.month}月{as_of.day}日", (as_of, 0.03),
                    xycoords=("data", "axes fraction"), fontsize=7, ha="left", xytext=(3, 0),
                    textcoords="offset points")
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(0, 0.9), fontsize=7, frameon=False)
    _finish(ax, title, "月份", ylabel)
    return ax
