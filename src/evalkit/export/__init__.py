"""Official workbooks: the consolidated 附件1/附件2, next month's fill-in workbooks, the
阳光执法 disclosure lists, and the xlsx styling they share."""

from evalkit.export.official import export_paths, export_period

__all__ = ["export_paths", "export_period"]
