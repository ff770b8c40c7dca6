"""Chinese labels render with a real CJK font."""

from __future__ import annotations

import io
import warnings

import matplotlib.pyplot as plt

from evalkit.report.charts import use_style


def test_chinese_figure_has_no_missing_glyphs():
    """A figure with Chinese title, labels and ticks renders without a 'Glyph missing' warning."""
    family = use_style()
    assert "CJK" in family or family in {"WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.bar(["蚶江村", "石壁村", "镇应急管理站"], [-1, 2, 3])
        ax.set_title("检查覆盖率（%）—— 隐患整改率")
        ax.set_ylabel("罚款金额（万元）")
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
    missing = [str(w.message) for w in caught if "missing" in str(w.message)]
    assert missing == []
