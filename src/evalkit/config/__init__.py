"""The packaged YAML configs (metrics, audit, scoring), their pydantic models and the loader
that merges a user's override over them. Edit the YAML, not code."""

from evalkit.config.loader import (
    load_config,
    load_model,
    merge,
    packaged_config_path,
    packaged_default,
)

__all__ = ["load_config", "load_model", "merge", "packaged_config_path", "packaged_default"]
