"""The 公文 layout of every Word document evalkit writes: the ONE place to change it.

After GB/T 9704-2012《党政机关公文格式》. A clerk who wants another font, size or margin
edits the values below (nothing else reads a font name or a margin) and re-runs
``evalkit run``; docs/documents.md says how. Font names are written into the document as
named here; the reader's Word or WPS substitutes a font it does not have (on a machine
without 方正小标宋简体 Word shows the title in another 宋体).

Sizes in the Chinese 号 system: 2号 = 22 pt, 3号 = 16 pt, 4号 = 14 pt, 小四 = 12 pt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Who signs and to whom the town's documents go. The plan (狮蚶政〔2024〕14号) is issued by
#: 蚶江镇人民政府; units report to the town's 应急保障股, and the town's figures go on to
#: 市安办 (附件1/2 备注: “每月30日前向市安办报送”).
TOWN_ISSUER = "蚶江镇人民政府"
TOWN_ADDRESSEE = "石狮市安全生产委员会办公室"
UNIT_ADDRESSEE = "镇应急保障股"
PLAN_REFERENCE = "《蚶江镇2024年安全生产执法提升专项行动方案》（狮蚶政〔2024〕14号）"

#: The same for a folder whose root is another town, a 街道 or the city (``core.hierarchy.root``).
#: Only 蚶江镇's plan and issuer are known from the plan; the others follow the usual form and
#: should be checked by the office that signs them. The city's documents go to 泉州市安委办.
ISSUER_OF_KIND = {"镇": "{name}人民政府", "街道": "{name}办事处", "市": "{name}人民政府"}
ADDRESSEE_OF_KIND = {"镇": TOWN_ADDRESSEE, "街道": TOWN_ADDRESSEE, "市": "泉州市安全生产委员会办公室"}
UNIT_ADDRESSEE_OF_KIND = {"镇": UNIT_ADDRESSEE, "街道": "街道应急保障部门", "市": TOWN_ADDRESSEE}
PLAN_OF_OTHER_ROOT = "《{name}2024年安全生产执法提升专项行动方案》"


@dataclass(frozen=True)
class Layout:
    """Page, fonts and spacing of a 公文 (values in mm and pt)."""

    page_width_mm: float = 210.0  # A4
    page_height_mm: float = 297.0
    margin_top_mm: float = 37.0  # 天头
    margin_bottom_mm: float = 35.0
    margin_left_mm: float = 28.0  # 订口
    margin_right_mm: float = 26.0
    footer_distance_mm: float = 24.0  # the page number sits about 7 mm below the text area
    lines_per_page: int = 22  # 每面排 22 行
    chars_per_line: int = 28  # 每行排 28 个字

    title_font: str = "方正小标宋简体"
    title_size_pt: float = 22.0  # 2号
    body_font: str = "仿宋_GB2312"
    body_size_pt: float = 16.0  # 3号
    heading1_font: str = "黑体"  # 一、
    heading2_font: str = "楷体_GB2312"  # （一）
    page_number_font: str = "宋体"
    page_number_size_pt: float = 14.0  # 4号
    table_font: str = "仿宋_GB2312"
    table_header_font: str = "黑体"
    table_size_pt: float = 12.0  # 小四
    first_line_indent_chars: int = 2  # 首行缩进 2 字

    @property
    def text_width_mm(self) -> float:
        return self.page_width_mm - self.margin_left_mm - self.margin_right_mm

    @property
    def text_height_mm(self) -> float:
        return self.page_height_mm - self.margin_top_mm - self.margin_bottom_mm

    @property
    def line_pitch_pt(self) -> float:
        """The exact line spacing giving ``lines_per_page`` lines in the text area: 225 mm / 22
        = 28.99 pt, rounded down to Word's twentieths of a point (28.95 pt), so 22 lines fit."""
        return math.floor(self.text_height_mm / 25.4 * 72 / self.lines_per_page * 20) / 20

    @property
    def char_pitch_pt(self) -> float:
        """The character pitch giving ``chars_per_line`` characters a line (15.79 pt)."""
        return self.text_width_mm / 25.4 * 72 / self.chars_per_line


LAYOUT = Layout()
