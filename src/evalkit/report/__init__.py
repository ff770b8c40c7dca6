"""Reports: the content the report notebooks show (``sections``), charts, the papermill
batch, HTML rendering and the dataset cache. The report notebooks ship as package data
under ``report/notebooks``.

Kept import-light: papermill and nbconvert load only when a batch runs.
"""

__all__: list[str] = []
