"""Loading a packaged default YAML config and a user's override of it.

A user config is merged over the packaged default: mappings merge key by key, any
other value (number, string, list) replaces the default. So a user file may hold only
the keys it changes. ``load_model`` then validates the merged config with its pydantic
model (``evalkit.config.models``). Every problem becomes a ``ConfigError`` naming the file
and the key (dotted path), never a traceback.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel

from evalkit.config.models import validate
from evalkit.exceptions import ConfigError


def packaged_config_path(name: str) -> str:
    """Path text of ``src/evalkit/config/<name>.yaml`` (for messages)."""
    return f"evalkit/config/{name}.yaml"


def read_yaml(path) -> dict:
    """A YAML mapping from ``path``; ConfigError when missing, unparsable or not a mapping."""
    p = Path(path)
    if p.is_dir():
        raise ConfigError(p, "是目录，应为 YAML 文件")
    if not p.is_file():
        raise ConfigError(p, "文件不存在")
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(p, f"无法读取（{exc.strerror or exc}）：请检查文件权限") from None
    except UnicodeDecodeError:
        raise ConfigError(p, "不是 UTF-8 编码的文本：请用 UTF-8 保存") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
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


def load_config(name: str, path=None) -> tuple[dict, str]:
    """(packaged default with ``path`` merged over it, source text), not validated."""
    default = packaged_default(name)
    if path is None:
        return default, packaged_config_path(name)
    return merge(default, read_yaml(path)), str(path)


def load_model(name: str, model: type[BaseModel], path=None, *, context: dict | None = None,
               whole_sections: bool = False) -> tuple[BaseModel, str]:
    """(validated ``model``, source text) of config ``name`` with ``path`` over the default.

    ``path``: None (the packaged default), a YAML file, or a dict of overrides (source
    ``<dict>``). ``whole_sections``: a top-level key of the override replaces the default's
    whole section instead of merging into it. ``context``: the ids the model checks values
    against (see ``evalkit.config.models.CONTEXT_CHOICES``).
    """
    default = packaged_default(name)
    if path is None:
        data, source = default, packaged_config_path(name)
    else:
        user, source = (path, "<dict>") if isinstance(path, dict) else (read_yaml(path), str(path))
        data = {**default, **copy.deepcopy(user)} if whole_sections else merge(default, user)
    return validate(model, data, source, context), source
