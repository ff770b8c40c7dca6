"""Shared chart style: a CJK font, A4-friendly sizes, one colour per unit."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

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


def check_cjk_font() -> str:
    """Make sure a CJK font is found, rebuilding matplotlib's font cache once if needed."""
    family = find_cjk_family()
    if family is None:
        # The cache may predate the font's installation.
        font_manager.fontManager = font_manager.FontManager()
        font_manager._load_fontmanager(try_read_cache=False)
        family = find_cjk_family()
    if family is None:
        raise RuntimeError("未找到中文字体：请运行 scripts/setup.sh（安装 fonts-noto-cjk）")
    return family


def use_style() -> str:
    """Configure matplotlib for Chinese labels and A4-width figures; returns the font family."""
    family = check_cjk_font()
    plt.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": [family, "DejaVu Sans"],
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
    warnings.filterwarnings("error", message=r"Glyph .* missing", category=UserWarning)
    return family
