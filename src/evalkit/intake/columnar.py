"""Parsing a sheet's cells column by column: every distinct value of a column parsed once.

The cells of one column repeat: the dates of the month, the same two inspectors, the
status words, the enterprises of a unit, the empty 立案案号 and 罚款 cells. ``ColumnCache``
does what ``pandas.factorize`` does for a column of text: it calls the one per-cell parser
(``evalkit.intake.cells``, the registry's matchers) on the first occurrence of each distinct
value and hands the same result to every later cell with that value. There is no second
copy of any rule: the vectorised path *is* the per-cell path, applied to the distinct values
(``direct`` and ``direct_column`` are its per-cell twins for one cell and for a whole column,
``ColumnCache.__call__`` and ``ColumnCache.column``; tests/test_intake_columnar.py asserts both
give the same records and problems on random and hostile sheets).

Why not regular expressions vectorised over a column (``Series.str``): a sheet holds about
100 rows, where a pandas string call costs more than the parse it replaces, and the date,
money and item grammars would then exist twice (they are judgments: docs/design.md).

What counts as the same value: the exact type and value (``True``, ``1`` and ``1.0`` are
three values; ``-0.0`` and ``0.0`` are two, so a zero float is keyed by its ``hex()``; other
equal floats have the same bits, NaN is never equal, so they are keyed by value), plus
the parser and its other arguments (the form's year and month for a date). A parser that
raises ``CellError`` raises a fresh ``CellError`` with the same rule and detail for every
cell with that value. The parsers are pure, so one cache serves every sheet a process reads
(``shared_cache``: the dates of a month, the inspectors and the enterprises of a unit repeat
across its files); it is emptied when it holds ``MAX_ENTRIES`` results, so its memory stays
bounded (about 70 MB) whatever the number of files.
"""

from __future__ import annotations

from collections.abc import Callable

from evalkit.intake.cells import CellError


def direct(fn: Callable, value, *args):
    """The per-cell twin of ``ColumnCache.__call__``: ``fn(value, *args)``."""
    return fn(value, *args)


def direct_column(fn: Callable, values: list, *args) -> list:
    """The per-cell twin of ``ColumnCache.column``: ``[fn(v, *args) for v in values]``."""
    return [fn(v, *args) for v in values]


class ColumnCache:
    """``cache(fn, value, *args)`` == ``fn(value, *args)``, computed once per distinct
    (fn, type(value), value, args).

    Most cells are text or blank: those results live in one dict per parser (and its other
    arguments) keyed by the text itself or None (neither can be confused with a number; a
    ``str`` subclass takes the general path), which saves building and hashing a key tuple
    with the value on every cell.
    """

    __slots__ = ("_memo", "_texts", "_floats", "_size", "max_entries")

    def __init__(self, max_entries: int | None = None) -> None:
        self._memo: dict = {}
        self._texts: dict = {}  # fn, or (fn, args) -> {text or None: outcome}
        self._floats: dict = {}  # the same slots -> {float other than 0.0, -0.0 and NaN: outcome}
        self._size = 0
        self.max_entries = max_entries

    def __len__(self) -> int:
        return self._size

    def clear(self) -> None:
        self._memo.clear()
        self._texts.clear()
        self._floats.clear()
        self._size = 0

    def _outcome(self, fn: Callable, value, args: tuple) -> tuple:
        if self.max_entries is not None and self._size >= self.max_entries:
            self.clear()
        self._size += 1
        try:
            return True, fn(value, *args)
        except CellError as exc:
            return False, (exc.rule, exc.detail)

    def __call__(self, fn: Callable, value, *args):
        if value is None or type(value) is str:  # the common cases, first
            slot = (fn, args) if args else fn
            try:
                memo = self._texts.get(slot)
            except TypeError:  # an unhashable argument: parse it on its own
                return fn(value, *args)
            hit = None if memo is None else memo.get(value)
            if hit is None:
                self._remember(self._texts, slot, memo, value, hit := self._outcome(fn, value, args))
        elif type(value) is float and value and value == value:  # as in ``column``
            slot = (fn, args) if args else fn
            try:
                floats = self._floats.get(slot)
            except TypeError:
                return fn(value, *args)
            hit = None if floats is None else floats.get(value)
            if hit is None:
                self._remember(self._floats, slot, floats, value, hit := self._outcome(fn, value, args))
        else:
            hit = self._other(fn, value, args)
            if hit is None:  # an unhashable value: parse it on its own
                return fn(value, *args)
        if hit[0]:
            return hit[1]
        raise CellError(*hit[1])

    @staticmethod
    def _remember(table: dict, slot, memo: dict | None, value, hit: tuple) -> dict:
        """Keep ``hit`` for ``value`` in ``table[slot]`` and return that dict. ``memo`` is the slot's
        dict as the caller last saw it: when the slot is new, or the full cache was emptied while
        ``hit`` was computed, the slot starts again from empty (the bound counts every entry kept)."""
        if memo is None or table.get(slot) is not memo:
            memo = table[slot] = {}
        memo[value] = hit
        return memo

    def _other(self, fn: Callable, value, args: tuple) -> tuple | None:
        """The outcome for a value that is neither text nor blank; None when it cannot be a key."""
        kind = type(value)
        key = (fn, kind, value.hex() if kind is float else value, args)
        try:
            hit = self._memo.get(key)
        except TypeError:
            return None
        if hit is None:
            hit = self._memo[key] = self._outcome(fn, value, args)
        return hit

    def column(self, fn: Callable, values: list, *args) -> list:
        """``[self(fn, v, *args) for v in values]``, the slot looked up once for the column: the
        first cell whose value makes ``fn`` raise CellError raises it, as cell by cell."""
        slot = (fn, args) if args else fn
        try:
            memo = self._texts.get(slot)
        except TypeError:  # an unhashable argument: every cell parsed on its own
            return [fn(v, *args) for v in values]
        memo = {} if memo is None else memo
        floats = self._floats.get(slot, {})
        out = []
        append = out.append
        for value in values:
            kind = type(value)
            if value is None or kind is str:
                hit = memo.get(value)
                if hit is None:
                    memo = self._remember(self._texts, slot, memo, value, hit := self._outcome(fn, value, args))
            elif kind is float and value and value == value:  # equal floats are the same bits but for ±0.0
                hit = floats.get(value)
                if hit is None:
                    floats = self._remember(self._floats, slot, floats, value, hit := self._outcome(fn, value, args))
            else:
                hit = self._other(fn, value, args)
                if hit is None:
                    append(fn(value, *args))
                    continue
            if not hit[0]:
                raise CellError(*hit[1])
            append(hit[1])
        return out


#: Results ``shared_cache`` holds before it starts again from empty.
MAX_ENTRIES = 200_000  # about 360 bytes each: some 70 MB at most

_SHARED = ColumnCache(MAX_ENTRIES)
_OWNER: list = [None]  # the registry the shared cache's entries were computed with


def shared_cache(registry) -> ColumnCache:
    """This process's cache, for cells read against ``registry`` (its enterprise matchers are
    cached too): a different registry (another data folder, an edited one) starts it empty.
    Each worker process has its own copy; its entries are pure results, valid in any process."""
    if _OWNER[0] is not registry:
        _SHARED.clear()
        _OWNER[0] = registry
    return _SHARED


def release_shared_cache() -> None:
    """Empty this process's cache and forget its registry (``loader.load`` calls it once the files
    are read, so a notebook that loads a folder keeps no parse results in memory)."""
    _SHARED.clear()
    _OWNER[0] = None
