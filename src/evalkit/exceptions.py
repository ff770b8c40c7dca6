"""Named exceptions. The CLI turns each into a one-line message and exit status 2."""

from __future__ import annotations


class EvalkitError(Exception):
    """Base class of every error evalkit raises on purpose."""


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


class InternalError(EvalkitError):
    """Raised when evalkit finds itself inconsistent (a bug, not bad input)."""

    def __init__(self, detail: str):
        self.detail = detail
        super().__init__(f"evalkit 内部错误：{detail}。请将此信息报告给 evalkit 维护者。")
