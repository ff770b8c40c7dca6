"""The Word documents the plan asks for (方案 四, 报送要求), as 公文 after GB/T 9704-2012.

``write_documents(data_dir, period, out_dir, units=None)`` writes a quarter's
活动开展情况 and 典型案例 and, for a year, also the 专项行动总结 (``write``). The layout
lives in one place, ``style`` (fonts, sizes, margins, lines per page, who signs);
``gongwen`` applies it; ``activities``, ``cases`` and ``summary`` write one kind each, from
the report sections' computations (``evalkit.report.sections``), never from typed numbers.
"""

from evalkit.documents.write import FOLDER, plan_documents, write_documents

__all__ = ["FOLDER", "plan_documents", "write_documents"]
