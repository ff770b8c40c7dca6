"""intake.arrow_pool: pyarrow's pool is the system allocator once a folder is loaded, unless the
user chose one with ARROW_DEFAULT_MEMORY_POOL."""

from __future__ import annotations

import pyarrow as pa
import pytest

from evalkit.intake import arrow_pool
from evalkit.intake.loader import load
from intake_helpers import make_data_dir


def _other_pool():
    """A pool that is not the system allocator (the Linux wheels have both)."""
    for name in ("mimalloc_memory_pool", "jemalloc_memory_pool"):
        try:
            return getattr(pa, name)()
        except (AttributeError, NotImplementedError):
            continue
    pytest.skip("this pyarrow build has only the system allocator")


@pytest.fixture
def restore_pool():
    before = pa.default_memory_pool()
    yield
    pa.set_memory_pool(before)


def test_system_pool_is_chosen(monkeypatch, restore_pool):
    """Without the variable, the default pool becomes the system allocator."""
    monkeypatch.delenv(arrow_pool.POOL_VARIABLE, raising=False)
    pa.set_memory_pool(_other_pool())
    arrow_pool.use_system_pool()
    assert pa.default_memory_pool().backend_name == "system"


def test_users_pool_is_left_alone(monkeypatch, restore_pool):
    """With ARROW_DEFAULT_MEMORY_POOL set, the pool in use stays as it is."""
    pool = _other_pool()
    pa.set_memory_pool(pool)
    monkeypatch.setenv(arrow_pool.POOL_VARIABLE, pool.backend_name)
    arrow_pool.use_system_pool()
    assert pa.default_memory_pool().backend_name == pool.backend_name != "system"


def test_load_uses_the_system_pool(monkeypatch, restore_pool, tmp_path):
    """evalkit's load switches the pool before it builds any table."""
    monkeypatch.delenv(arrow_pool.POOL_VARIABLE, raising=False)
    pa.set_memory_pool(_other_pool())
    load(make_data_dir(tmp_path), jobs=1)
    assert pa.default_memory_pool().backend_name == "system"
