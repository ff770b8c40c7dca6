"""Loading a packaged default YAML config and a user's override of it.

A user config is merged over the packaged default: mappings merge key by key, any
other value (number, string, list) replaces the default. So a user file may hold only
the keys it changes. Every problem becomes a ``ConfigError`` naming the file and the
key (dotted path), never a traceback.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path

import yaml

from evalkit.exceptions import ConfigError


def packaged_config_path(name: str) -> str:
    """Path text of ``src/evalkit/config/<name>.yaml`` (for messages)."""
    return f"evalkit/config/{name}.yaml"


def read_yaml(path) -> dict:
    """A YAML mapping from ``path``; ConfigError when missing, unparsable or not a mapping."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(p, "文件不存在")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(p, f"不是有效的 YAML：{str(exc).splitlines()[0]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(p, "顶层应为键值映射（mapping）")
    return data


def packaged_default(name: str) -> dict:
    """The packaged default config ``config/<name>.yaml`` as a dict."""
    with resources.files("evalkit.config").joinpath(f"{name}.yaml").open(encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def merge(base: dict, override: dict) -> dict:
    """``override`` merged over a deep copy of ``base`` (mappings key by key)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_config(name: str, path=None, *, strict_keys: bool = True) -> tuple[dict, str]:
    """(merged config, source text). ``strict_keys``: a key unknown to the default is an error."""
    default = packaged_default(name)
    if path is None:
        return default, packaged_config_path(name)
    user = read_yaml(path)
    if strict_keys:
        _check_known(default, user, path, "")
    return merge(default, user), str(path)


def _check_known(default: dict, user: dict, path, prefix: str) -> None:
    for key, value in user.items():
        dotted = f"{prefix}{key}"
        if key not in default:
            raise ConfigError(path, f"未知的键 {dotted!r}；可用的键：{', '.join(map(str, default))}")
        if isinstance(default[key], dict) and default[key] and isinstance(value, dict):
            _check_known(default[key], value, path, dotted + ".")


def number(cfg: dict, key: str, path, dotted: str, *, minimum: float | None = None,
           maximum: float | None = None, integer: bool = False) -> float:
    """``cfg[key]`` as a number within bounds, else ConfigError naming ``dotted``."""
    if key not in cfg:
        raise ConfigError(path, f"缺少键 {dotted!r}")
    value = cfg[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(path, f"键 {dotted!r} 应为数字，实际为 {value!r}")
    if integer and int(value) != value:
        raise ConfigError(path, f"键 {dotted!r} 应为整数，实际为 {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(path, f"键 {dotted!r} 应不小于 {minimum}，实际为 {value!r}")
    if maximum is not None and value > maximum:
        raise ConfigError(path, f"键 {dotted!r} 应不大于 {maximum}，实际为 {value!r}")
    return int(value) if integer else float(value)
