"""The deterministic sample year (``evalkit sample``): the town, the simulated year, the
planted defects, the workbooks and MANIFEST.json."""

from evalkit.sample.generate import generate, simulate

__all__ = ["generate", "simulate"]
