"""The package's public surface resolves, so notebooks can rely on ``import evalkit as ek``."""

from __future__ import annotations

import pytest

import evalkit


@pytest.mark.parametrize("name", evalkit.__all__)
def test_every_public_name_resolves(name):
    """Every name in evalkit.__all__ can be imported from the package."""
    assert getattr(evalkit, name) is not None


def test_unknown_attribute_raises_attribute_error():
    """A misspelt name fails clearly instead of returning None."""
    with pytest.raises(AttributeError, match="no attribute 'compute_metric'"):
        evalkit.compute_metric  # noqa: B018
