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


def test_rare_characters_fall_back_and_a_missing_glyph_is_a_visible_warning(monkeypatch):
    """A village name with an Extension B ideograph (𡒄) or an emoji draws with the fallback
    fonts; a character no font has is a warning in the report, never a failed chart."""
    import matplotlib.pyplot as plt

    from evalkit.report import charts, sections

    charts.use_style()
    chain = charts.font_chain()
    assert chain[1:3] == ["HanaMinA", "HanaMinB"] and "Symbola" in chain  # scripts/setup.sh installs them
    fig, ax = plt.subplots()
    ax.set_title("𡒄村 😀 检查覆盖率")
    assert charts.missing_glyphs(fig) == []
    fig.canvas.draw()  # no error
    nowhere = "\U000f0000"  # private use: no font has it
    ax.set_xlabel(f"单位{nowhere}")
    assert charts.missing_glyphs(fig) == [nowhere]
    fig.canvas.draw()  # still no error

    shown = []
    monkeypatch.setattr(sections, "warn", shown.append)

    @sections._glyphs_checked
    def plot():
        return fig
    assert plot() is fig
    assert len(shown) == 1 and nowhere in shown[0] and "空白方框" in shown[0]
    plt.close(fig)
