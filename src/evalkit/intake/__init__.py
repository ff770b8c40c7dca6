"""Intake: read a data folder (registry + submitted workbooks) into a validated ``Dataset``.

``load(data_dir)`` (``loader``) is the entry point. The modules, in the order a file goes
through them:

registry      registry/: enterprises, units, the plan, received dates
listing       entries under submissions/: links and special files, readable names, reading bytes safely
workbooks     one file: sniffing by content, the zip-part limits, its sheets (hidden ones not counted)
grid          one worksheet's cells within fixed bounds, whatever the file declares
header        finding a form's header row by its names
sheets        one sheet: header, unit/month/year above it, its data rows
rows          which rows under the header hold data, their cells by column
ledger_rows   附件1 rows, cell by cell (``cells``: one parser per kind of cell)
columnar      each distinct value of a column parsed once, by that same per-cell parser
figures_rows  附件2 本月数/累计数 rows
cross_file    duplicates, lateness, received dates across files
tables        the Dataset tables, items and the 复查 linking, checks across ledger rows (column-wise)
records       RowRead/RowBlock/SheetRead/FileRead, the table columns, problem helpers
arrow_pool    pyarrow's memory pool while the tables are built (the system allocator: freed memory reused)
handling      the 其他查处 vocabulary; validation_report formats ``evalkit validate``
"""

from evalkit.intake.loader import load
from evalkit.intake.validation_report import ValidationResult
from evalkit.intake.workbooks import read_file

__all__ = ["ValidationResult", "load", "read_file"]
