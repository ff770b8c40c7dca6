"""pyarrow's memory pool while evalkit builds its tables: the system allocator.

pyarrow's default pool on Linux wheels (mimalloc) hands freed memory back to the operating
system at once, so building the national ledger takes every page fresh from the system
again; on a virtual machine a fresh page is costly. On the 2-core benchmark machine (a
Firecracker VM) the national ledger table took 8.3 s with mimalloc and 4.5 s with the system
allocator, the checks across rows 3.8 s and 1.5 s (scripts/bench_intake.py; the tables are
identical, only where their memory comes from differs). The system allocator keeps freed
memory for reuse and is in every pyarrow build.

A pool the user chose (the ``ARROW_DEFAULT_MEMORY_POOL`` environment variable, which pyarrow
reads itself) is left alone.
"""

from __future__ import annotations

import os

import pyarrow as pa

#: The environment variable with which pyarrow lets a user choose its pool.
POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def use_system_pool() -> None:
    """Make the system allocator pyarrow's default pool, unless the user chose one."""
    if os.environ.get(POOL_VARIABLE):
        return
    if pa.default_memory_pool().backend_name != "system":
        pa.set_memory_pool(pa.system_memory_pool())
