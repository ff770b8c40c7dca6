"""The package's public surface resolves, so notebooks can rely on ``import evalkit as ek``."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import evalkit

SUBPACKAGES = ["core", "config", "intake", "metrics", "audit", "assess", "export", "report", "sample"]

# name -> (module that defines it, what it must be)
EXPECTED = {
    "load": ("evalkit.intake.loader", "function"),
    "compute_metrics": ("evalkit.metrics.engine", "function"),
    "get_metric": ("evalkit.metrics.engine", "function"),
    "list_metrics": ("evalkit.metrics.engine", "function"),
    "run_audit": ("evalkit.audit.run", "function"),
    "score_units": ("evalkit.assess.scoring", "function"),
    "case_candidates": ("evalkit.assess.cases", "function"),
    "lookback": ("evalkit.assess.cases", "function"),
    "export_period": ("evalkit.export.official", "function"),
    "run_batch": ("evalkit.report.batch", "function"),
    "Dataset": ("evalkit.core.dataset", "class"),
    "Period": ("evalkit.core.periods", "class"),
    "parse_period": ("evalkit.core.periods", "function"),
}


@pytest.mark.parametrize("name", evalkit.__all__)
def test_every_public_name_resolves(name):
    """Every name in evalkit.__all__ is the object of that name in the module that defines it."""
    obj = getattr(evalkit, name)
    module = importlib.import_module(obj.__module__) if hasattr(obj, "__module__") else None
    if module is not None and hasattr(module, name):
        assert getattr(module, name) is obj


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_public_functions_come_from_their_layer(name):
    """The main entry points are the real functions of their layer, not re-wrapped copies."""
    where, kind = EXPECTED[name]
    obj = getattr(evalkit, name)
    assert obj is getattr(importlib.import_module(where), name)
    assert isinstance(obj, type) if kind == "class" else callable(obj) and not isinstance(obj, type)


@pytest.mark.parametrize("sub", SUBPACKAGES)
def test_each_layer_declares_its_public_surface(sub):
    """Each subpackage has a docstring and an ``__all__`` whose names all resolve."""
    module = importlib.import_module(f"evalkit.{sub}")
    assert module.__doc__ and module.__doc__.strip()
    assert isinstance(module.__all__, list)
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert missing == []


def test_import_evalkit_stays_light():
    """``import evalkit`` loads neither papermill, nbconvert nor matplotlib (notebooks start fast)."""
    code = ("import sys, evalkit; heavy = [m for m in ('papermill', 'nbconvert', 'matplotlib') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_attribute_raises_attribute_error():
    """A misspelt name fails clearly instead of returning None."""
    with pytest.raises(AttributeError, match="no attribute 'compute_metric'"):
        evalkit.compute_metric  # noqa: B018
