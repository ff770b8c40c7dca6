"""Named exceptions. The CLI turns each into a one-line Chinese message on stderr and exits
with its ``exit_status``: 2 for what the user can fix (arguments, folders, configs, output
paths), 3 for ``InternalError`` (a bug in evalkit). ``Interrupted`` (a ``KeyboardInterrupt``) is
the one sentence a stopped run prints, with exit status 130.
"""

from __future__ import annotations

import errno

#: errno -> what it means for the user, in Chinese.
_OS_REASONS = {
    errno.ENOSPC: "磁盘空间已满，请清理磁盘后重试",
    errno.EDQUOT: "磁盘配额已用完，请清理磁盘后重试",
    errno.EACCES: "没有权限（目录或文件只读）",
    errno.EPERM: "没有权限（目录或文件只读）",
    errno.EROFS: "所在磁盘为只读",
    errno.ENOTDIR: "路径中有一段是文件而不是目录",
    errno.EEXIST: "已有同名文件，不是目录",
    errno.EISDIR: "是目录而不是文件",
    errno.ENOENT: "路径不存在",
    errno.ENAMETOOLONG: "路径过长",
}


def os_reason(exc: OSError) -> str:
    """What ``exc`` means, in Chinese (the system's text for an errno not listed)."""
    return _OS_REASONS.get(exc.errno, f"系统错误：{exc.strerror or exc}")


class EvalkitError(Exception):
    """Base class of every error evalkit raises on purpose."""

    exit_status = 2


class DataDirError(EvalkitError):
    """Raised when a data folder is missing or lacks its registry."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"数据目录 {self.path}：{reason}")


class ParameterError(EvalkitError, ValueError):
    """Raised when an argument is outside its allowed values."""

    def __init__(self, name: str, value, allowed: str):
        self.name, self.value, self.allowed = name, value, allowed
        super().__init__(f"参数 {name}={value!r} 无效：应为 {allowed}")


class PeriodNotCoveredError(EvalkitError, ValueError):
    """Raised when a command is asked for a period in which the data has no month at all
    (a typo such as 2023-06 would otherwise give a full-looking report of zeros)."""

    def __init__(self, period_label: str, covered: str):
        self.period_label, self.covered = period_label, covered
        super().__init__(f"{period_label}没有任何报送数据：数据覆盖 {covered}；请检查 --period")


class UnknownMetricError(EvalkitError, KeyError):
    """Raised when a metric id is not registered."""

    def __init__(self, metric_id: str, known: list[str]):
        self.metric_id, self.known = metric_id, known
        super().__init__(f"未知指标 {metric_id!r}；可用指标：{', '.join(known)}")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return self.args[0]


class ConfigError(EvalkitError):
    """Raised when a YAML config (weights, metric options) is invalid."""

    def __init__(self, path, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"配置文件 {self.path}：{reason}")


class ReportExecutionError(EvalkitError):
    """Raised when a notebook report fails; names the notebook, unit and cell."""

    def __init__(self, notebook: str, unit: str | None, cell_index: int | None, ename: str, evalue: str):
        self.notebook, self.unit, self.cell_index = notebook, unit, cell_index
        self.ename, self.evalue = ename, evalue
        where = f"单位 {unit} " if unit else ""
        super().__init__(f"{notebook} {where}第 {cell_index} 个单元格出错：{ename}: {evalue}")


class OutputError(EvalkitError):
    """Raised when an output (``--out`` folder or a file in it) cannot be written."""

    def __init__(self, path, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"无法写入 {self.path}：{reason}")


class OutputBusyError(EvalkitError):
    """Raised when another live process holds the lock of an output folder (``core.outdir``)."""

    def __init__(self, path, pid):
        self.path, self.pid = str(path), pid
        super().__init__(f"输出目录 {self.path} 正由进程 {pid} 使用：请等待其完成或换用其他 --out")


class Interrupted(KeyboardInterrupt):
    """Raised when a batch run is stopped (Ctrl-C, SIGTERM) after it cleaned up; exit status 130."""

    exit_status = 130

    def __init__(self, done: int, unfinished: int):
        self.done, self.unfinished = done, unfinished
        super().__init__(f"已中断：完成 {done} 份，未完成 {unfinished} 份")


class FileAccessError(EvalkitError):
    """Raised when a file or folder the user named cannot be read or written (OSError)."""

    def __init__(self, path, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"无法访问 {self.path}：{reason}")


class InternalError(EvalkitError):
    """Raised on an internal inconsistency (a bug in evalkit, not in the user's data)."""

    exit_status = 3

    def __init__(self, detail: str):
        self.detail = detail
        super().__init__(f"内部错误：{detail}。请将此信息报告给 evalkit 维护者（附上所用命令），"
                         "加 --debug 可显示详细信息")
