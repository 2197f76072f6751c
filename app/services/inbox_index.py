"""The inbox's rows, their order and the filter, for a million rows: columnar, Qt-free.

`InboxIndex` keeps no Python object per row. Each row is an id (0, 1, 2… in arrival
order) into numpy columns: what the filter bar tests (platform, kind, money in cents,
hire rate, payment, country, match score, posting time, the user's marks and the local
state) and a prefix of what the title and skills columns sort by. The text a query
searches is a `TextIndex` (app/services/inbox_text.py) of token bitmaps. What a row
*shows* is read from a `RowSource` (the store) for the rows on screen only, kept in a
small page cache. So memory is ~200 bytes a row (measured at 1M rows), and a query or a
sort costs a few numpy passes over the columns instead of a Python call per row.

- A filter is evaluated whole: the text query on the bitmaps, each structured condition
  as a vectorized comparison, meaning exactly what `FilterSpec.compile` means (the
  property tests compare them on random rows and specs). Term results are cached, so a
  keystroke that narrows the previous query costs a vocabulary lookup and a union.
- The order is total: the sort key (None last, either direction), then arrival (`seq`:
  the store's order at load, later arrivals first). Per column the ascending permutation
  of every row (int32, 4 MB at 1M rows) is computed once, on the loading thread for the
  columns that take a full sort (score, title, budget, client, skills, posted), and kept
  up to date incrementally; a column of a few codes (`IndexData.cheap_order`) is one
  radix sort of a byte a row, of the filter's rows, when asked for, either way
  (`code_order`), and not kept. The descending order of the others is the ascending one with its
  groups of equal keys reversed, each keeping its arrival order: where the groups start
  is found on the loading thread too and kept (`_Groups`: a few KB a column, 125 KB at
  most), so a click reads no key, and only the descending order shown is kept. The
  visible rows are that permutation filtered by the filter's mask: a few ms at 1M rows.
- A change of a few rows (arrivals, updates, marks, removals) is placed into the visible
  rows by binary search on the sort key, reading ~log2(n) keys per row: a webhook burst
  costs the same per row in a 1M inbox as in a small one. Bigger changes, and rows that
  move, recompute the visible rows from the orders. Either way the `RowChanges` listener
  hears the difference as Qt wants it: inserts and removals by runs, one row's move, or a
  layout change or reset for big changes.

The Qt model (app/ui/models/opportunities.py) is a thin adapter over this index.
"""

from __future__ import annotations

import ctypes
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np
from numpy.typing import NDArray
from pyroaring import BitMap

from app.domain.filter_rows import ARCHIVED_FIELD, SOURCES_FIELD, Fields, FilterFields
from app.domain.filters import ARCHIVED, FilterSpec
from app.domain.opportunity import JobKind, Opportunity, Platform, ensure_utc, platform_bits
from app.services.inbox import LOCAL_STATES
from app.services.inbox_rows import (
    COLUMNS,
    R_PLATFORM,
    SORT_KEYS,
    Column,
    PreparedRows,
    RowRecord,
    prepare_rows,
    records_of,
)
from app.services.inbox_text import TextIndex
from app.store.opportunities import OpportunityRow

__all__ = [
    "ROW_SIGNALS_LIMIT",
    "InboxIndex",
    "IndexData",
    "LoadCancelled",
    "MemorySource",
    "RowChanges",
    "RowIndex",
    "RowSource",
    "build_index",
]

# Above this many rows changing at once, one reset is cheaper than a signal per row.
ROW_SIGNALS_LIMIT = 32
# Rows fetched around a missing one: a screenful or two (~35 rows at 800 px). The first
# paint after a sort or a new filter waits for it: 250 random rows read from the store
# took 40-50 ms on a busy 2-core machine, 64 ~10 ms.
_PAGE = 64
_PAGE_CACHE = 4_000  # display records kept
# Rows searched for in the rows shown (`position_of_id`) before their positions' table
# is made.
_SEARCHES = 8
_POSITIONS_PART = 65_536  # rows' positions made at once (see `position_of_id`)
# Up to this many changed rows at once are placed into the shown rows by search.
_PLACE_LIMIT = 256
# Keys read a round when placing arrivals among the rows shown (`_insertion_points`).
_PROBES = 512
# Rows ordered at once by `_stable_order32` (a whole order of small ranks).
_ORDER_PART = 65_536
# Bytes of the casefolded title and skills kept for sorting: rows alike that far sort by
# arrival (a million rows: 32 MB instead of the ~100 MB of the full texts).
_TITLE_PREFIX = 20
_SKILLS_PREFIX = 12

Item = tuple[str, RowRecord, str]  # key, display record, haystack


class RowChanges(Protocol):
    """Hears how `InboxIndex.visible` changes, as positions in it (Qt's conventions).

    Each `begin_*` comes before the change, its `end_*` after it.
    """

    def begin_reset(self) -> None: ...
    def end_reset(self) -> None: ...
    def begin_insert(self, first: int, last: int) -> None: ...
    def end_insert(self) -> None: ...
    def begin_remove(self, first: int, last: int) -> None: ...
    def end_remove(self) -> None: ...
    # `destination` counts positions before the move, as beginMoveRows does.
    def begin_move(self, source: int, destination: int) -> None: ...
    def end_move(self) -> None: ...
    def begin_layout(self) -> None: ...  # a reorder that keeps the row count
    def end_layout(self) -> None: ...
    def changed(self, position: int) -> None: ...  # one row's content, in place
    def counts(self, visible: int, total: int) -> None: ...


class RowSource(Protocol):
    """Where the rows' display records and haystacks live (the store, or memory).

    A `ref` is the source's name for a row (the store's rowid)."""

    def fetch(self, refs: Sequence[int]) -> list[Item | None]: ...
    def admit(self, items: Sequence[Item]) -> list[int | None]: ...
    def refs_of(self, keys: Sequence[str]) -> dict[str, int]: ...
    def haystacks(self, refs: Sequence[int]) -> list[str]: ...  # "" for a missing ref


class MemorySource:
    """Rows held in memory: tests, and rows that came without a store behind them."""

    def __init__(self) -> None:
        self._items: list[Item] = []
        self._refs: dict[str, int] = {}

    def fetch(self, refs: Sequence[int]) -> list[Item | None]:
        items = self._items
        return [items[ref] if 0 <= ref < len(items) else None for ref in refs]

    def refs_of(self, keys: Sequence[str]) -> dict[str, int]:
        return {key: ref for key in keys if (ref := self._refs.get(key)) is not None}

    def haystacks(self, refs: Sequence[int]) -> list[str]:
        return [item[2] if item is not None else "" for item in self.fetch(refs)]

    def admit(self, items: Sequence[Item]) -> list[int | None]:
        refs: list[int | None] = []
        for item in items:
            ref = self._refs.get(item[0])
            if ref is None:
                ref = self._refs[item[0]] = len(self._items)
                self._items.append(item)
            else:
                self._items[ref] = item
            refs.append(ref)
        return refs


class RowIndex(Protocol):
    """What the Qt model reads and asks of an index of the inbox's rows."""

    @property
    def visible(self) -> NDArray[np.int64]: ...
    @property
    def keys(self) -> _Lazy: ...
    @property
    def records(self) -> _Lazy: ...
    @property
    def states(self) -> _States: ...
    @property
    def read(self) -> NDArray[np.bool_]: ...
    @property
    def starred(self) -> NDArray[np.bool_]: ...
    @property
    def data(self) -> IndexData: ...

    def visible_count(self) -> int: ...
    def total_count(self) -> int: ...
    def count_matching(self, spec: FilterSpec) -> int: ...
    def count_matching_steps(self, specs: Sequence[FilterSpec]) -> Iterator[list[int] | None]: ...
    def key_at(self, position: int) -> str | None: ...
    def position_of(self, key: str) -> int | None: ...
    def position_of_id(self, i: int) -> int | None: ...
    def state_of(self, key: str) -> str | None: ...
    def haystack_of_key(self, key: str) -> str | None: ...
    def fields_of_key(self, key: str) -> FilterFields | None: ...
    def sort_value(self, i: int, column: int) -> Any: ...
    def spec(self) -> FilterSpec: ...
    def sort_state(self) -> tuple[int | None, bool]: ...
    def load_rows(self, rows: Iterable[OpportunityRow], states: Mapping[str, str]) -> None: ...
    def adopt(self, data: IndexData) -> None: ...
    def sort(self, column: int, descending: bool) -> None: ...
    def set_filter(self, spec: FilterSpec) -> None: ...
    @property
    def searching(self) -> bool: ...
    def preview_filter(self, spec: FilterSpec, rows: int = ..., seconds: float = ...) -> None: ...
    def add_or_update(self, opportunities: Iterable[Opportunity]) -> None: ...
    def remove(self, keys: Iterable[str]) -> None: ...
    def set_state(self, key: str, state: str) -> None: ...
    def set_flags(
        self,
        key: str,
        *,
        read: bool | None = None,
        starred: bool | None = None,
        archived: bool | None = None,
    ) -> None: ...


class _Quiet:
    """The listener of an index nobody watches (tests, a headless caller)."""

    def begin_reset(self) -> None:
        pass

    end_reset = end_insert = end_remove = end_move = begin_layout = end_layout = begin_reset

    def begin_insert(self, first: int, last: int) -> None:
        pass

    begin_remove = begin_move = begin_insert

    def changed(self, position: int) -> None:
        pass

    def counts(self, visible: int, total: int) -> None:
        pass


# -- codes: small tables of the strings a column holds ------------------------------------


class _Codes:
    """Strings as small integer codes (platforms, kinds, countries, states)."""

    def __init__(self, initial: Iterable[str] = ()) -> None:
        self.names: list[str] = []
        self._code: dict[str, int] = {}
        for name in initial:
            self.code(name)

    def code(self, name: str) -> int:
        found = self._code.get(name)
        if found is None:
            found = self._code[name] = len(self.names)
            self.names.append(name)
        return found

    def get(self, name: str) -> int | None:
        return self._code.get(name)

    def codes(self, names: Iterable[str]) -> list[int]:
        return [c for name in names if (c := self._code.get(name)) is not None]


# The narrowest type each column's values fit: a million rows cost 78 bytes each. Codes
# come from small tables (`_Codes`: platforms, kinds and workflow states are a few names;
# sources lines a few dozen; countries a few hundred); a ref is a rowid, and `id_by_ref`
# already has one entry per rowid, so refs stay far below 2**31.
#
# Money (cents) and counts start narrow and are widened, exactly, when a value does not
# fit (`IndexData._put_ints`): int32 holds $21.4M, int16 32,767 Connects, proposals or
# hires. A missing value is the smallest value of the column's type (`_none`), so a
# value equal to it widens the column too. The money columns share one type: the budget's
# sort key takes the maximum of two of them and the budget (`_budget_sort`).
_NUMERIC: dict[str, type[np.generic]] = {
    "ref": np.int32,  # the source's rowid
    "platform": np.int8,  # the row's own platform (`FilterFields.platform`)
    "sources": np.int8,  # the platforms of the job's sources, `platform_bits`
    # A code of `IndexData.labels`: the job's sources line ("GigRadar ×2 · UpHunt"), which
    # the Platform column shows and sorts by (widened past 256 lines: `_put_codes`).
    "label": np.uint8,
    "kind": np.int8,
    "budget": np.int32,
    "hmin": np.int32,
    "hmax": np.int32,
    "spend": np.int32,
    "connects": np.int16,
    "proposals": np.int16,  # the most proposals so far (`proposals_most`)
    "hires": np.int16,  # the client's total hires
    "avgrate": np.int32,  # the client's average hourly rate paid, cents
    "skills": np.uint16,  # a code of `IndexData.skills` (see `_Prefixes`)
    "hire": np.uint8,  # a code of `IndexData.reals["hire"]` (see `_Reals`)
    "score": np.uint8,  # a code of `IndexData.reals["score"]`
    "verified": np.int8,
    "country": np.int16,  # a code of `IndexData.countries`; -1: none (widened past 32,767)
    "posted": np.float64,
    "archived": np.bool_,
    "read": np.bool_,
    "starred": np.bool_,
    "flow": np.int8,  # workflow state code; -1: none (new or read by the flag)
    "seq": np.int32,
    "alive": np.bool_,
}
# Integer columns widened together when a value does not fit (see `_NUMERIC`).
_MONEY = ("budget", "hmin", "hmax", "spend", "avgrate")
_INT_GROUPS: tuple[tuple[str, ...], ...] = (_MONEY, ("connects",), ("proposals",), ("hires",))
_WIDER: dict[np.dtype[Any], type[np.signedinteger[Any]]] = {
    np.dtype(np.int16): np.int32,
    np.dtype(np.int32): np.int64,
}
# Unsigned code columns (no code for "none") widened when a code does not fit.
_WIDER_CODES: dict[np.dtype[Any], type[np.unsignedinteger[Any]]] = {
    np.dtype(np.uint8): np.uint16,
    np.dtype(np.uint16): np.uint32,
}


class _Reals:
    """The distinct values of a column of fractions (hire rate, match score), which the
    column holds as codes: a uint8 a row instead of a float64 while there are at most 256
    of them (rates and scores are mostly percentages), a uint16 up to 65,536; past that
    the column holds the floats themselves (`IndexData._put_reals`). Exact either way:
    a code stands for one float. Code 0 is nan: a missing value."""

    def __init__(self) -> None:
        self.values: list[float] = [float("nan")]
        self._code: dict[float, int] = {}
        self._array: NDArray[np.float64] | None = None

    def codes(self, values: Iterable[float | None]) -> list[int]:
        found = self._code
        out = []
        for value in values:
            if value is None or value != value:
                out.append(0)
                continue
            code = found.get(value)
            if code is None:
                code = found[value] = len(self.values)
                self.values.append(float(value))
                self._array = None
            out.append(code)
        return out

    @property
    def array(self) -> NDArray[np.float64]:
        if self._array is None:
            self._array = np.array(self.values, dtype=np.float64)
        return self._array


def _none(column: NDArray[Any]) -> int:
    """The value that stands for a missing one in an integer column of money or counts."""
    return _NONE[column.dtype]


# The minimum of each integer type, kept: `np.iinfo` makes an object a call (a webhook's
# row asked it 15 times on the window's thread).
_NONE: dict[np.dtype[Any], int] = {
    np.dtype(t): int(np.iinfo(t).min) for t in (np.int8, np.int16, np.int32, np.int64)
}
_MAX: dict[np.dtype[Any], int] = {
    np.dtype(t): int(np.iinfo(t).max) for t in (np.int8, np.int16, np.int32, np.int64)
}


_TEXT: dict[str, np.dtype[Any]] = {
    "title": np.dtype(f"S{_TITLE_PREFIX}"),
}
_SKILLS = np.dtype(f"S{_SKILLS_PREFIX}")


class _Prefixes:
    """The distinct skills prefixes (a few thousand: the first skill or two), which the
    column holds as uint16 codes, 2 bytes a row instead of 12; past 65,536 of them the
    column holds the prefixes themselves (`IndexData._put_skills`)."""

    def __init__(self) -> None:
        self.values: list[bytes] = []
        self._code: dict[bytes, int] = {}
        self._array: NDArray[np.bytes_] | None = None
        self._ranks: NDArray[np.int32] | None = None

    def codes(self, values: Iterable[bytes]) -> list[int]:
        found = self._code
        out = []
        for value in values:
            code = found.get(value)
            if code is None:
                code = found[value] = len(self.values)
                self.values.append(value)
                self._array = self._ranks = None
            out.append(code)
        return out

    @property
    def ranks(self) -> NDArray[np.int32]:
        """Each code's place among the prefixes in byte order: a sort key that orders the
        rows as their prefixes do, 4 bytes a row for the length of a sort, not 12."""
        if self._ranks is None:
            order = np.argsort(self.array, kind="stable")
            ranks = np.empty(len(order), dtype=np.int32)
            ranks[order] = np.arange(len(order), dtype=np.int32)
            self._ranks = ranks
        return self._ranks

    @property
    def array(self) -> NDArray[np.bytes_]:
        if self._array is None:
            self._array = np.array(self.values or [b""], dtype=_SKILLS)
        return self._array


class IndexData:
    """Everything the index knows of its rows; built on any thread, adopted on one."""

    def __init__(self, source: RowSource) -> None:
        self.source = source
        self.n = 0
        self.capacity = 0
        self.cols: dict[str, NDArray[Any]] = {}
        for name, dtype in _NUMERIC.items():
            self.cols[name] = np.zeros(0, dtype=dtype)
        for name, text_dtype in _TEXT.items():
            self.cols[name] = np.zeros(0, dtype=text_dtype)
        self.platforms = _Codes(p.value for p in Platform)
        self.kinds = _Codes(k.value for k in JobKind)
        self.countries = _Codes()
        self.flows = _Codes(LOCAL_STATES)
        self.labels = _Codes()  # the sources lines of the rows (`R_PLATFORM`)
        self._label_ranks = np.zeros(0, dtype=np.int16)  # `code_ranks` of `labels`
        # Per column of fractions, its values' table; None once the column holds floats.
        self.reals: dict[str, _Reals | None] = {"hire": _Reals(), "score": _Reals()}
        self.skills: _Prefixes | None = _Prefixes()  # None once the column holds prefixes
        self.text = TextIndex(self._haystacks)
        # The row id of each of the source's refs (-1: none): a key is found by asking
        # the source for its ref (the store's key index), not by keeping every key here.
        self.id_by_ref = np.full(0, -1, dtype=np.int32)
        self.perms: dict[int, NDArray[np.int64]] = {}  # ascending order per column
        self.stale: dict[int, set[int]] = {}  # per column: rows to re-place in its perm
        self.removed = 0
        self.min_seq = 0
        self.version = 0  # counts changes of rows: what is remembered below is per version
        self.descending_perms: dict[int, tuple[NDArray[np.int64], NDArray[np.int64]]] = {}
        # Per column, where the groups of equal keys start in its ascending order (`perm`,
        # the order they describe; see `_group_starts`): the descending order is that
        # order with its groups reversed, made in a few ms without reading a key.
        self.groups: dict[int, tuple[NDArray[np.int64], _Groups]] = {}
        # (rows, lowest, highest) key per column of small integers: see `code_range`.
        self._ranges: dict[int, tuple[int, int, int]] = {}
        self.facet_cache: dict[tuple[FilterSpec, datetime | None, int], NDArray[np.bool_]] = {}
        # (spec, column, descending, now, mask, visible) computed by `build_index`.
        self.view: tuple[FilterSpec, int | None, bool, datetime, Any, Any] | None = None
        # Display records by row id that `adopt` puts in the page cache: the start's first
        # rows, made on the loading thread from the rows it read, so their first paint
        # reads nothing back from the store (on a team database, two round trips on the
        # GUI thread inside the first frame).
        self.items: dict[int, Item] | None = None

    # -- growth ------------------------------------------------------------------------

    def reserve(self, count: int) -> None:
        """Room for `count` rows in all."""
        self._grow(count - self.n, exact=True)

    def _grow(self, extra: int, *, exact: bool = False) -> None:
        need = self.n + extra
        if need <= self.capacity:
            return
        capacity = need if exact else max(need, int(self.capacity * 1.5) + 1024)
        for name, column in self.cols.items():
            grown = np.zeros(capacity, dtype=column.dtype)
            grown[: self.n] = column[: self.n]
            self.cols[name] = grown
        self.capacity = capacity

    def col(self, name: str) -> NDArray[Any]:
        return self.cols[name][: self.n]

    def _widen(self, names: Sequence[str], low: int, high: int) -> None:
        """Widen the columns `names` (one type) until `low` and `high` fit above `_none`."""
        dtype = self.cols[names[0]].dtype
        # int64 is the widest (the value int64's minimum then reads as missing, as always).
        while dtype in _WIDER and not _NONE[dtype] < low <= high <= _MAX[dtype]:
            dtype = np.dtype(_WIDER[dtype])
        if dtype == self.cols[names[0]].dtype:
            return
        for name in names:
            column = self.cols[name]
            wide = column.astype(dtype)
            wide[column == _none(column)] = np.iinfo(dtype).min
            self.cols[name] = wide

    def _put_ints(
        self, names: Sequence[str], rows: slice, values: Sequence[Sequence[int | None]]
    ) -> None:
        """Write integers or None (missing) into the columns `names` of one type, at `rows`,
        widening them first when a value does not fit."""
        arrays = []
        low: int | None = None
        high: int | None = None
        for column_values in values:
            array_ = np.array([0 if v is None else v for v in column_values], dtype=np.int64)
            missing = np.array([v is None for v in column_values], dtype=bool)
            arrays.append((array_, missing))
            if len(column_values) < 8:  # a few rows (arrivals): plain Python is quicker
                known = [v for v in column_values if v is not None]
                bounds = (min(known), max(known)) if known else None
            else:
                present = array_[~missing]
                bounds = (int(present.min()), int(present.max())) if len(present) else None
            if bounds is not None:
                low = bounds[0] if low is None else min(low, bounds[0])
                high = bounds[1] if high is None else max(high, bounds[1])
        if low is not None and high is not None:
            self._widen(names, low, high)
        for name, (array_, missing) in zip(names, arrays, strict=True):
            column = self.cols[name]
            array_[missing] = _none(column)
            column[rows] = array_

    def _put_reals(self, name: str, rows: slice, values: Sequence[float | None]) -> None:
        """Write fractions (None: missing) into the column `name` of `reals`, widening its
        codes, or turning it into floats, when the distinct values outgrow them."""
        reals = self.reals[name]
        if reals is not None:
            codes = reals.codes(values)
            column = self.cols[name]
            if len(reals.values) <= np.iinfo(column.dtype).max + 1:
                column[rows] = codes
                return
            if len(reals.values) <= 1 << 16:
                column = self.cols[name] = column.astype(np.uint16)
                column[rows] = codes
                return
            self.cols[name] = reals.array[column]  # the floats themselves from now on
            self.reals[name] = None
        self.cols[name][rows] = np.array(values, dtype=np.float64)  # None -> nan

    def _put_skills(self, rows: slice, prefixes: Sequence[bytes]) -> None:
        """Write skills prefixes into their column, as codes while they fit a uint16."""
        table = self.skills
        if table is not None:
            codes = table.codes(prefixes)
            if len(table.values) <= 1 << 16:
                self.cols["skills"][rows] = codes
                return
            self.cols["skills"] = table.array[self.cols["skills"]]  # prefixes from now on
            self.skills = None
        self.cols["skills"][rows] = prefixes

    def skill_prefixes(self, column: NDArray[Any]) -> NDArray[np.bytes_]:
        """The prefixes of `column` (the skills column, or some of its rows)."""
        return column if self.skills is None else self.skills.array[column]

    def real(self, name: str, column: NDArray[Any]) -> NDArray[np.float64]:
        """The floats of `column` (the column `name` of `reals`, or some of its rows)."""
        reals = self.reals[name]
        return column if reals is None else reals.array[column]

    def real_at_least(self, name: str, column: NDArray[Any], bound: float) -> NDArray[np.bool_]:
        """`real(name, column) >= bound` (nan: False), from the table when there is one."""
        reals = self.reals[name]
        with np.errstate(invalid="ignore"):
            values = column if reals is None else reals.array
            passes: NDArray[np.bool_] = values >= bound
        return passes if reals is None else passes[column]

    def _put_codes(self, name: str, rows: slice, codes: Sequence[int]) -> None:
        """Write codes (-1: none, in a signed column) into a code column, widened when a
        code does not fit."""
        column = self.cols[name]
        top = max(codes, default=0)
        while top > np.iinfo(column.dtype).max:
            wider = _WIDER.get(column.dtype) or _WIDER_CODES[column.dtype]
            column = self.cols[name] = column.astype(wider)
        column[rows] = codes

    def _haystacks(self, ids: Sequence[int]) -> list[str]:
        refs = self.cols["ref"][np.asarray(ids, dtype=np.int64)].tolist()
        return list(self.source.haystacks(refs))

    # -- adding rows -------------------------------------------------------------------

    def append(
        self,
        refs: Sequence[int],
        prepared: PreparedRows,
        seqs: Sequence[int] | None = None,
        *,
        bulk: bool = True,
    ) -> NDArray[np.int64]:
        """Append prepared rows (keys new to the index); returns their ids."""
        count = len(prepared.keys)
        first = self.n
        self._grow(count)
        ids = np.arange(first, first + count, dtype=np.int64)
        self.n += count
        c = self.cols
        sl = slice(first, first + count)
        c["ref"][sl] = refs
        if count:
            f = list(zip(*prepared.fields, strict=True))
            c["platform"][sl] = [self.platforms.code(v) for v in f[0]]
            label = self.labels.code
            self._put_codes("label", sl, [label(r[R_PLATFORM]) for r in prepared.rows])
            c["kind"][sl] = [self.kinds.code(v) for v in f[1]]
            self._put_ints(_MONEY, sl, (f[2], f[3], f[4], f[5], f[14]))
            self._put_reals("hire", sl, f[6])
            c["verified"][sl] = [-1 if v is None else int(v) for v in f[7]]
            countries = [-1 if v is None else self.countries.code(v) for v in f[8]]
            self._put_codes("country", sl, countries)
            self._put_reals("score", sl, f[9])
            c["posted"][sl] = f[10]
            c["archived"][sl] = f[ARCHIVED_FIELD]
            self._put_ints(("proposals",), sl, (f[12],))
            self._put_ints(("hires",), sl, (f[13],))
            c["sources"][sl] = f[SOURCES_FIELD]
            self._put_ints(("connects",), sl, ([r[9] for r in prepared.rows],))
            title_key, skills_key = SORT_KEYS[Column.TITLE], SORT_KEYS[Column.SKILLS]
            c["title"][sl] = [
                title_key(r, "").encode("utf-8")[:_TITLE_PREFIX] for r in prepared.rows
            ]
            self._put_skills(
                sl,
                [(skills_key(r, "") or "").encode("utf-8")[:_SKILLS_PREFIX] for r in prepared.rows],
            )
            c["read"][sl] = prepared.read
            c["starred"][sl] = prepared.starred
            c["flow"][sl] = [-1 if w is None else self.flows.code(w) for w in prepared.workflow]
        c["seq"][sl] = range(first, first + count) if seqs is None else seqs
        c["alive"][sl] = True
        if bulk:
            self.text.add(ids, prepared.haystacks)
        else:
            for i, hay in zip(ids.tolist(), prepared.haystacks, strict=True):
                self.text.set_row(i, hay)
            self._point(c["ref"][sl], ids)
        return ids

    def _point(self, refs: NDArray[np.int64], ids: NDArray[np.int64]) -> None:
        if len(refs) == 0:
            return
        top = int(refs.max()) + 1
        if top > len(self.id_by_ref):
            grown = np.full(max(top, len(self.id_by_ref) * 5 // 4), -1, dtype=np.int32)
            grown[: len(self.id_by_ref)] = self.id_by_ref
            self.id_by_ref = grown
        self.id_by_ref[refs] = ids

    def finish(self) -> None:
        """The bulk load is over: the refs' table made, the text bitmaps made compact."""
        self._point(self.col("ref"), np.arange(self.n, dtype=np.int64))
        self.text.finish()

    # -- keys --------------------------------------------------------------------------

    def id_of_ref(self, ref: int | None) -> int | None:
        """The live row of a source's ref, if any."""
        if ref is None or not 0 <= ref < len(self.id_by_ref):
            return None
        i = int(self.id_by_ref[ref])
        return i if i >= 0 and self.cols["alive"][i] else None

    def id_of(self, key: str) -> int | None:
        return self.id_of_ref(self.source.refs_of([key]).get(key))

    # -- order -------------------------------------------------------------------------

    def sort_key(
        self, column: int, ids: NDArray[np.int64] | None = None
    ) -> tuple[NDArray[Any], NDArray[np.bool_]]:
        """(key, missing) per row for `column`, as `SORT_KEYS` orders it: of every row, or
        of the rows `ids` only (placing a few arrivals reads a few keys, not a column)."""
        if ids is None:
            c = {name: self.col(name) for name in self.cols}
            count = self.n
        else:
            c = _Picked(self.cols, ids)
            count = len(ids)
        if column == Column.SCORE:
            score = self.real("score", c["score"])
            return score, np.isnan(score)
        if column == Column.PLATFORM:
            return self.code_ranks(column)[c["label"]], np.zeros(count, dtype=bool)
        if column == Column.TITLE:
            return c["title"], np.zeros(count, dtype=bool)
        if column == Column.KIND:
            return self.code_ranks(column)[c["kind"]], np.zeros(count, dtype=bool)
        if column == Column.BUDGET:
            value = _budget_sort(c, self.kinds.code(JobKind.HOURLY.value))
            return value, value == _none(value)
        if column == Column.CLIENT:
            return c["spend"], c["spend"] == _none(c["spend"])
        if column == Column.SKILLS:
            table = self.skills
            if table is None:
                return c["skills"], c["skills"] == b""
            codes = c["skills"]
            return table.ranks[codes], (table.array == b"")[codes]
        if column == Column.POSTED:
            return c["posted"], np.zeros(count, dtype=bool)
        if column == Column.CONNECTS:
            return c["connects"], c["connects"] == _none(c["connects"])
        codes = _state_codes(c, self.flows)
        return self.code_ranks(column)[codes], np.zeros(count, dtype=bool)

    def code_ranks(self, column: int) -> NDArray[np.int16]:
        """Each code's sort rank in a column of codes (sources line, kind, state)."""
        if column == Column.PLATFORM:
            # The line as `SORT_KEYS` compares it, casefolded: lines equal so tie. Kept
            # until a new line comes (placing an arrival asks for them at every round).
            names = self.labels.names
            if len(self._label_ranks) != len(names):
                folded = np.array([name.casefold() for name in names], dtype=object)
                ranks = np.unique(folded, return_inverse=True)[1].reshape(-1)
                self._label_ranks = ranks.astype(np.int16)
            return self._label_ranks
        if column == Column.KIND:
            return _ranks(np.array(self.kinds.names, dtype=object))
        state_rank = {state: rank for rank, state in enumerate(LOCAL_STATES)}
        return np.array(
            [state_rank.get(name, len(state_rank)) for name in self.flows.names], dtype=np.int16
        )

    def perm(self, column: int) -> NDArray[np.int64]:
        """Every live row in ascending order of `column` (missing last, ties by arrival)."""
        for other in [c for c in self.descending_perms if c != column]:
            del self.descending_perms[other]  # see `descending`
        perm = self.perms.get(column)
        stale = self.stale.get(column)
        if perm is not None and not stale:
            return perm
        seq = self.col("seq")
        alive = self.col("alive")
        if perm is None or (stale is not None and len(stale) > self._stale_limit()):
            if self.cheap_order(column):
                perm = self.code_order(column, descending=False)
            else:
                key, missing = self.sort_key(column)
                perm = _full_order(key, missing, seq, alive, self.min_seq < 0)
                del key, missing
        else:
            key, missing = self.sort_key(column)
            assert stale is not None
            moved = np.fromiter(stale, dtype=np.int64, count=len(stale))
            out = np.zeros(self.n, dtype=bool)
            out[moved] = True
            kept_at = ~out[perm]
            keep = perm[kept_at]
            moved = moved[alive[moved]]
            moved = moved[np.lexsort((seq[moved], key[moved], missing[moved]))]
            old = perm
            perm, at = _merge_sorted(keep, moved, key, missing, seq)
            found = self.groups.get(column)
            if found is not None and found[0] is old:  # kept up to date, not found again
                self.groups[column] = (perm, _regroup(found[1], kept_at, perm, at, key, missing))
        if perm is not self.perms.get(column) and self.cheap_order(column):
            # Made again in a few ms when asked for: only the last one made is kept.
            for other in [c for c in self.perms if c != column and self.cheap_order(c)]:
                del self.perms[other]
                self.stale.pop(other, None)
        found = self.groups.get(column)
        if found is not None and found[0] is not perm:
            del self.groups[column]
        self.perms[column] = perm
        self.stale[column] = set()
        return perm

    def code_order(
        self, column: int, descending: bool, mask: NDArray[np.bool_] | None = None
    ) -> NDArray[np.int64]:
        """The rows of `mask` (every live row if None) in the order of a `cheap_order`
        column, either way. Each row's key is its code read through a small table
        (`_code_values`): the value counted from the first in the direction asked, a
        missing one one past the last. With few distinct values (platforms, kinds,
        states) the rows of each value are picked in turn, a pass each, in arrival order;
        else one radix sort of the filter's rows. ~10 ms at a million rows, less with a
        filter: not worth keeping (4 MB) while another column is shown. The passes touch
        half the scratch of a sort (4,000 fresh pages for a sort at 1M rows: 20-40 ms of
        page faults for the first sort after the load has trimmed the heap)."""
        self.descending_perms.clear()  # only the descending order shown is kept
        n = self.n
        if mask is None:
            mask = self.col("alive")
        seq = self.col("seq")
        late = self.min_seq < 0
        values = self._code_values(column, slice(0, n), descending)
        present = np.flatnonzero(np.bincount(values))
        if len(present) <= _CODE_PASSES:
            result = np.empty(int(np.count_nonzero(mask)), dtype=np.int32)
            chosen = np.empty(n, dtype=bool)
            at = 0
            for value in present.tolist():
                np.equal(values, value, out=chosen)
                chosen &= mask
                group = np.flatnonzero(chosen)
                if late:
                    group = _by_arrival(group, seq)
                result[at : at + len(group)] = group
                at += len(group)
            return cast("NDArray[np.int64]", result)
        rows = np.flatnonzero(mask).astype(np.int32)
        if late:
            rows = _by_arrival(rows, seq)
        order = np.argsort(values[rows], kind="stable")
        del values
        return cast("NDArray[np.int64]", rows[order])

    def _code_values(
        self, column: int, rows: NDArray[np.int64] | slice, descending: bool
    ) -> NDArray[np.unsignedinteger[Any]]:
        """The keys `code_order` sorts `rows` by: each row's code read through a table
        of its value in the direction asked (one gather from a table of a few bytes, or
        64 KB for Connects), not computed a pass at a time over the rows."""
        low, high = self.code_range(column)
        span = high - low + 1  # the value of a missing key
        small = np.uint8 if span < 1 << 8 else np.uint16
        c = self.cols
        if column != Column.CONNECTS:
            ranks = self.code_ranks(column).astype(np.int32)  # 0 <= rank <= high = span - 1
            value = (high - ranks if descending else ranks).astype(small)
            if column != Column.STATE:
                name = "label" if column == Column.PLATFORM else "kind"
                return cast("NDArray[np.unsignedinteger[Any]]", value[c[name][rows]])
            # A row's state is its workflow state (`flow` >= 0), else read or new by its
            # flag: one table over both, indexed by (flow + 1) * 2 + read.
            table = np.empty(2 * (len(value) + 1), dtype=small)
            table[0] = value[self.flows.code("new")]
            table[1] = value[self.flows.code("read")]
            table[2::2] = table[3::2] = value
            at = c["flow"][rows].astype(np.int16)
            at += 1
            at *= 2
            at += c["read"][rows]
            return cast("NDArray[np.unsignedinteger[Any]]", table[at])
        connects = c["connects"]
        if connects.dtype == np.int16:  # Connects as the store holds them: a 64 KB table
            table = np.full(1 << 16, span, dtype=small)
            present = np.arange(low, high + 1, dtype=np.int16)
            counted = np.arange(span - 1, -1, -1) if descending else np.arange(span)
            table[present.view(np.uint16)] = counted
            return cast("NDArray[np.unsignedinteger[Any]]", table[connects[rows].view(np.uint16)])
        # Widened: computed a pass at a time.
        key, missing = self.sort_key(column, None if isinstance(rows, slice) else rows)
        values = key.astype(np.int64)
        del key
        if descending:
            np.subtract(high, values, out=values)
        else:
            np.subtract(values, low, out=values)
        values[missing] = span
        return values.astype(small)

    def cheap_order(self, column: int) -> bool:
        """Whether `column`'s order is one radix sort of small integers (a few codes, or
        Connects prices: a range below 2**15; `code_order`): ~10 ms at a million rows,
        so not worth its 4 MB while another column is shown."""
        if column in (Column.PLATFORM, Column.KIND, Column.STATE):
            return True
        if column != Column.CONNECTS:
            return False
        low, high = self.code_range(column)
        return high - low < 1 << 15

    def code_range(self, column: int) -> tuple[int, int]:
        """Bounds of the keys of a column of codes or Connects (its present rows): a code
        table's, or the lowest and highest Connects read once (16 ms at 1M rows on a busy
        machine) and then widened by the rows that change (`mark_stale`), not read again
        at every sort nor after every mark. Loose bounds order the same."""
        if column != Column.CONNECTS:
            names = {
                Column.PLATFORM: self.labels,
                Column.KIND: self.kinds,
                Column.STATE: self.flows,
            }[Column(column)].names
            return 0, len(names)  # the state's rank of a name it does not know: the last
        found = self._ranges.get(column)
        if found is not None and found[0] == self.n:
            return found[1], found[2]
        connects = self.col("connects")
        known = connects != _none(connects)
        info = np.iinfo(connects.dtype)
        low = int(connects.min(where=known, initial=info.max))
        high = int(connects.max(where=known, initial=info.min))
        if low > high:  # nothing known
            low = high = 0
        self._ranges[column] = (self.n, low, high)
        return low, high

    def mark_stale(self, ids: Iterable[int]) -> None:
        """Rows whose sort keys (or existence) changed: each kept order re-places them.

        Only the column shown is re-placed at once; the others gather their rows until
        someone sorts by them. Past `_stale_limit` rows that order would be recomputed
        whole anyway, so it is dropped then: a session of arrivals does not keep a set
        of every new row per column (nor the outdated order) for a sort that may never
        come."""
        ids = list(ids)
        self.version += 1
        for column, (_n, low, high) in list(self._ranges.items()):
            key, missing = self.sort_key(column, np.array(ids, dtype=np.int64))
            known = key[~missing]
            if len(known):
                low, high = min(low, int(known.min())), max(high, int(known.max()))
            self._ranges[column] = (self.n, low, high)
        limit = self._stale_limit()
        for column in list(self.perms):
            stale = self.stale.setdefault(column, set())
            stale.update(ids)
            if len(stale) > limit:
                del self.perms[column], self.stale[column]
                self.descending_perms.pop(column, None)
                self.groups.pop(column, None)

    def _stale_limit(self) -> int:
        """Above this many rows to re-place, a column's order is recomputed whole."""
        return max(1_000, self.n // 50)

    def descending(self, column: int) -> NDArray[np.int64]:
        """`perm(column)` for a descending sort (derived once per version of the order)."""
        if self.cheap_order(column):
            return self.code_order(column, descending=True)
        perm = self.perm(column)
        kept = self.descending_perms.get(column)
        if kept is not None and kept[0] is perm:
            return kept[1]
        result = _reverse_groups(perm, self.group_starts(column))
        # Derived in linear time from the ascending order: only the one shown is kept
        # (every column's, once a user has clicked them all, was another 40 MB at 1M).
        self.descending_perms = {column: (perm, result)}
        return result

    def group_starts(self, column: int) -> _Groups:
        """Where the groups of equal keys start in `perm(column)` (a column that takes a
        full sort): found once per version of that order, reading every key in it (the
        load finds them on its thread, with the orders), then a few KB kept."""
        perm = self.perm(column)
        found = self.groups.get(column)
        if found is not None and found[0] is perm:
            return found[1]
        key, missing = self.sort_key(column)
        groups = _group_starts(perm, key, missing)
        del key, missing
        self.groups[column] = (perm, groups)
        return groups

    def facets(self, spec: FilterSpec, now: datetime) -> NDArray[np.bool_]:
        """`_facet_mask` of the spec's structured conditions, remembered while no row
        changes: typing in the search box recomputes only the text."""
        structured = spec.model_copy(update={"text": ""})
        key = (structured, now if spec.posted_within is not None else None, self.version)
        mask = self.facet_cache.get(key)
        if mask is None:
            mask = _facet_mask(self, structured, now)
            self.facet_cache = {k: v for k, v in self.facet_cache.items() if k[2] == self.version}
            while len(self.facet_cache) >= 4:
                del self.facet_cache[next(iter(self.facet_cache))]
            self.facet_cache[key] = mask
        return mask


class _Picked(dict[str, NDArray[Any]]):
    """The columns' values at some rows, each column read when first asked for."""

    def __init__(self, cols: Mapping[str, NDArray[Any]], ids: NDArray[np.int64]) -> None:
        super().__init__()
        self._cols, self._ids = cols, ids

    def __missing__(self, name: str) -> NDArray[Any]:
        value = self[name] = self._cols[name][self._ids]
        return value


def _full_order(
    key: NDArray[Any],
    missing: NDArray[np.bool_],
    seq: NDArray[np.int32],
    alive: NDArray[np.bool_],
    late_rows: bool,
) -> NDArray[np.int64]:
    """Every live row by (missing, key, seq): one stable sort of the key over the rows in
    arrival order (ids are in arrival order unless rows arrived after the load).

    Its scratch stays small (a sort at a million rows is the peak of a load, or of a
    click): ids are int32, and the common case (every row alive and present, in arrival
    order) copies no column."""
    n = len(alive)
    whole = not late_rows and bool(alive.all())
    span = _small_range(key, missing) if whole else None
    if span is not None:
        # Every row, small ranks: one radix sort of 2 bytes a row, a missing value one
        # past the largest (so last, in id order), the sort's positions the ids.
        low, high = span
        ranks = np.empty(n, dtype=np.int16)
        np.subtract(key, low, out=ranks, casting="unsafe")  # buffered: no int64 copy
        ranks[missing] = high - low + 1
        return _stable_order32(ranks, high - low + 2)
    if whole:
        # Every row, in id order: the sort's own positions are the ids, and a missing
        # value (the smallest of its type, or NaN) sorts to one end, in id order. No
        # table of ids nor copy of the present keys (4 + 8 MB at a million rows) rides
        # on the sort's scratch, the peak of the load.
        order = _argsort32(key)
        count = int(np.count_nonzero(missing))
        if count == 0:
            return order
        at = missing[order]
        if bool(at[:count].all()):  # first: move them last
            return np.concatenate((order[count:], order[:count]))
        if bool(at[n - count :].all()):
            return order
        del at, order  # missing values among the others: as below
    ids = np.arange(n, dtype=np.int32) if whole else np.flatnonzero(alive).astype(np.int32)
    if late_rows:
        ids = _by_arrival(ids, seq)
    absent = missing[ids] if not whole else missing
    any_absent = bool(absent.any())
    present = ids[~absent] if any_absent else ids
    values = key if whole and not any_absent else key[present]
    order = _argsort32(values)
    del values
    ordered = cast("NDArray[np.int64]", present[order])
    del order
    if not any_absent:
        return ordered
    return np.concatenate((ordered, ids[absent]))


def _stable_order32(ranks: NDArray[np.int16], size: int) -> NDArray[np.int64]:
    """The stable order of `ranks` (0 <= rank < size) as int32, sorted a part at a time.

    One argsort of a million ranks makes 8 MB of int64 positions, and its radix sort as
    much again of scratch, before they are narrowed to the 4 MB kept: the skills' order
    was the top of a 1M load (bare process: 24.8 MB above the rows before it). Here each
    part's positions go straight into the order, after the earlier parts': ~1 MB of
    scratch, at ~1.5x the time (36 ms at 1M rows, on the loading thread)."""
    n = len(ranks)
    if n <= _ORDER_PART:  # its scratch is small anyway
        return cast("NDArray[np.int64]", np.argsort(ranks, kind="stable").astype(np.int32))
    counts = np.bincount(ranks, minlength=size)
    next_at = np.zeros(size, dtype=np.int64)  # where each rank's next row goes
    np.cumsum(counts[:-1], out=next_at[1:])
    order = np.empty(n, dtype=np.int32)
    for first in range(0, n, _ORDER_PART):
        part = ranks[first : first + _ORDER_PART]
        local = np.argsort(part, kind="stable")
        ordered = part[local]
        # Each row's place among the part's rows of its rank, after the earlier parts'.
        within = np.arange(len(part)) - np.searchsorted(ordered, ordered, side="left")
        order[next_at[ordered] + within] = local + first
        next_at += np.bincount(part, minlength=size)
    return cast("NDArray[np.int64]", order)


def _small_range(key: NDArray[Any], missing: NDArray[np.bool_]) -> tuple[int, int] | None:
    """(lowest, highest) of the present values of an integer key when they span less
    than 2**15 - 1 (ranks that fit 2 bytes with one to spare: a radix sort), else None."""
    if key.dtype.kind not in "iu" or len(key) == 0:
        return None
    info = np.iinfo(key.dtype)
    present = ~missing
    if not present.any():
        return None
    low = int(np.min(key, where=present, initial=info.max))
    high = int(np.max(key, where=present, initial=info.min))
    return (low, high) if high - low + 1 < (1 << 15) - 1 else None


def _argsort32(values: NDArray[Any]) -> NDArray[np.int64]:
    """A stable argsort as int32 (a million rows' order in 4 MB; typed as the ids it
    holds): numpy's radix sort for small ranks."""
    if values.dtype.kind in "iu" and len(values) and values.dtype.itemsize > 2:
        low, high = int(values.min()), int(values.max())
        if high - low < 1 << 15:  # small ranks: numpy's radix sort, linear
            values = (values - low).astype(np.int16)
    order = np.argsort(values, kind="stable")
    del values
    return cast("NDArray[np.int64]", order.astype(np.int32))


def _by_arrival(ids: NDArray[Any], seq: NDArray[np.int32]) -> NDArray[Any]:
    """`ids` (ascending) in arrival order. A row of the load has its id as `seq`; a row
    that arrived later has a negative one, lower the later it came (`add_or_update`). So
    only the later rows need sorting, and they go first: not a sort of every row, ~70 ms
    at a million rows, at each sort after the first arrival."""
    later_at = seq[ids] < 0
    if not later_at.any():
        return ids
    later = ids[later_at]
    later = later[np.argsort(seq[later], kind="stable")]
    return np.concatenate((later, ids[~later_at]))


def _merge_sorted(
    perm: NDArray[np.int64],
    extra: NDArray[np.int64],
    key: NDArray[Any],
    missing: NDArray[np.bool_],
    seq: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """`perm` with `extra` (both in the total order) merged in, and where each of
    `extra` went (positions in `perm`, as `np.insert` takes them). Found by a binary
    search over `perm` for all of them at once, reading ~log2(n) keys a row: not the
    keys of every row (a million titles gathered at random: 20 MB, ~40 ms)."""
    if len(extra) == 0:
        return perm, np.zeros(0, dtype=np.int64)
    if len(perm) == 0:
        return extra, np.zeros(len(extra), dtype=np.int64)
    present = len(perm) - int(np.count_nonzero(missing[perm]))
    absent_extra = missing[extra]
    lo = np.where(absent_extra, present, 0).astype(np.int64)
    hi = np.where(absent_extra, len(perm), present).astype(np.int64)
    extra_key, extra_seq = key[extra], seq[extra]
    active = np.flatnonzero(lo < hi)
    while len(active):
        mid = (lo[active] + hi[active]) // 2
        rows = perm[mid]
        row_seq = seq[rows]
        mine_seq = extra_seq[active]
        earlier = row_seq < mine_seq  # among missing keys, arrival alone
        keyed = ~absent_extra[active]
        if keyed.any():
            row_key, mine_key = key[rows[keyed]], extra_key[active[keyed]]
            earlier[keyed] = (row_key < mine_key) | ((row_key == mine_key) & earlier[keyed])
        lo[active[earlier]] = mid[earlier] + 1
        hi[active[~earlier]] = mid[~earlier]
        active = active[lo[active] < hi[active]]
    return np.insert(perm, lo, extra.astype(perm.dtype)), lo


def _regroup(
    groups: _Groups,
    kept_at: NDArray[np.bool_],
    merged: NDArray[np.int64],
    at: NDArray[np.int64],
    key: NDArray[Any],
    missing: NDArray[np.bool_],
) -> _Groups:
    """The groups of `merged`: the order `groups` describe, without its rows where
    `kept_at` is False, with rows inserted at `at` (`_merge_sorted`). Only the rows
    whose neighbour changed are compared again: a few keys, not every key in order."""
    flags = groups.flags()[kept_at[: groups.present]]
    # A kept row right after a removed one may start a group now, or not. (No row of the
    # order holding a key: no groups, none to recheck.)
    after_gap = np.zeros(groups.present, dtype=bool)
    if groups.present:
        after_gap[1:] = ~kept_at[: groups.present - 1]
    recheck_kept = np.flatnonzero(after_gap[kept_at[: groups.present]])
    inserted = at + np.arange(len(at))  # their places in `merged`
    keyed = ~missing[merged[inserted]]
    flags = np.insert(flags, at[keyed], True)
    moved_kept = recheck_kept + np.searchsorted(at, recheck_kept, side="right")
    check = np.concatenate((inserted[keyed], inserted[keyed] + 1, moved_kept))
    check = np.unique(check[check < len(flags)])
    if len(check):
        rows = merged[check]
        before = merged[np.maximum(check - 1, 0)]
        flags[check] = (check == 0) | (key[rows] != key[before])
    return _Groups(flags)


class _Groups:
    """The groups of equal keys in an ascending order: the first `present` rows of it
    hold a key (the others miss it, in arrival order); where each group of them starts
    is kept as positions (`starts`, int32) while there are few groups, else as one bit a
    row (`bits`, packed: 125 KB at 1M rows), and not at all when every key differs."""

    __slots__ = ("bits", "count", "present", "starts")

    def __init__(self, starts_at: NDArray[np.bool_]) -> None:
        self.present = present = len(starts_at)
        self.count = int(np.count_nonzero(starts_at))
        self.starts: NDArray[np.int32] | None = None
        self.bits: NDArray[np.uint8] | None = None
        if self.count == present:
            return  # every key distinct: a plain reversal
        if self.count * _BITS_FROM <= present:
            self.starts = np.flatnonzero(starts_at).astype(np.int32)
        else:
            self.bits = np.packbits(starts_at)

    def flags(self) -> NDArray[np.bool_]:
        """One bool a present row of the order: does a group start there?"""
        if self.bits is not None:
            return np.unpackbits(self.bits, count=self.present).view(bool)
        if self.starts is None:
            return np.ones(self.present, dtype=bool)
        flags = np.zeros(self.present, dtype=bool)
        flags[self.starts] = True
        return flags

    def positions(self) -> NDArray[np.int32]:
        if self.starts is not None:
            return self.starts
        if self.bits is None:
            return np.arange(self.present, dtype=np.int32)
        return np.flatnonzero(np.unpackbits(self.bits, count=self.present)).astype(np.int32)


# Up to this many distinct values, a code column is ordered a pass per value, not sorted.
_CODE_PASSES = 8
# Group starts are kept as positions (int32) while fewer than one row in this many
# starts a group, else as one bit a row.
_BITS_FROM = 32
# Up to this many groups of equal keys, the descending order is the ascending one's
# groups copied in reverse, a slice each (memcpy speed); past it, one scatter of every row.
_SLICED_GROUPS = 4096


def _group_starts(
    perm: NDArray[np.int64], key: NDArray[Any], missing: NDArray[np.bool_]
) -> _Groups:
    """The groups of equal keys in the ascending order `perm` (see `_Groups`)."""
    absent_at = missing[perm]
    present = len(perm) - int(np.count_nonzero(absent_at))
    del absent_at
    if present == 0:
        return _Groups(np.zeros(0, dtype=bool))
    # Where a new key starts, compared a slice at a time: the keys in order would be a
    # copy of the column (20 MB of titles at a million rows).
    starts_at = np.ones(present, dtype=bool)
    step = 1 << 16
    for first in range(1, present, step):
        last = min(first + step, present)
        starts_at[first:last] = _differ(key[perm[first - 1 : last]])
    return _Groups(starts_at)


def _differ(keys: NDArray[Any]) -> NDArray[np.bool_]:
    """`keys[1:] != keys[:-1]`; byte strings compared as words (equal bytes, padding
    included, are equal strings: numpy pads them with NULs), 5x faster than as strings."""
    size = keys.dtype.itemsize
    if keys.dtype.kind == "S" and size % 4 == 0 and len(keys) > 1:
        words = np.ascontiguousarray(keys).view(np.uint32).reshape(len(keys), size // 4)
        differ: NDArray[np.bool_] = (words[1:] != words[:-1]).any(axis=1)
        return differ
    return cast("NDArray[np.bool_]", keys[1:] != keys[:-1])


def _reverse_groups(perm: NDArray[np.int64], groups: _Groups) -> NDArray[np.int64]:
    """The descending order from the ascending one and its groups: groups of equal keys
    reversed, each group keeping its arrival order; missing values stay last."""
    count = groups.present
    present = perm[:count]
    tail = perm[count:]
    if count == 0:
        return perm
    if groups.count == count:  # every key distinct: a plain reversal
        return np.concatenate((present[::-1], tail))
    starts = groups.positions()
    if len(starts) <= _SLICED_GROUPS:
        ends = [*starts[1:].tolist(), count]
        pieces = [
            present[a:b] for a, b in zip(reversed(starts.tolist()), reversed(ends), strict=True)
        ]
        pieces.append(tail)
        return np.concatenate(pieces)
    # Group g (first at starts[g], length len_g) goes to count - starts[g] - len_g; a row
    # at offset k in it keeps offset k there. So row p goes to p + shift[g] where shift =
    # count - 2 * starts[g] - len_g: one repeat of each group's shift.
    lengths = np.diff(np.append(starts, np.int32(count))).astype(np.int32, copy=False)
    shift = (count - 2 * starts - lengths).astype(np.int32)
    del starts
    position = np.repeat(shift, lengths)
    del shift, lengths
    position += np.arange(count, dtype=np.int32)
    result = np.empty(count, dtype=perm.dtype)
    result[position] = present
    del position
    if len(tail) == 0:
        return result
    return np.concatenate((result, tail))


def _descending(
    perm: NDArray[np.int64], key: NDArray[Any], missing: NDArray[np.bool_]
) -> NDArray[np.int64]:
    """The descending order from the ascending one: groups of equal keys reversed,
    each group keeping its arrival order; missing values stay last."""
    return _reverse_groups(perm, _group_starts(perm, key, missing))


def _state_codes(c: Mapping[str, NDArray[Any]], flows: _Codes) -> NDArray[np.int16]:
    """Each row's local state code: its workflow state, else read or new."""
    read_code, new_code = flows.code("read"), flows.code("new")
    codes = np.where(c["read"], np.int16(read_code), np.int16(new_code))
    flow = c["flow"]
    np.copyto(codes, flow, where=flow >= 0)
    return codes


def _budget_sort(c: Mapping[str, NDArray[Any]], hourly_code: int) -> NDArray[np.int64]:
    """The amount the BUDGET column shows: the upper rate of an hourly job, else the budget.

    (The upper of two rates, one of them maybe missing, is their maximum: `_none` is the
    smallest value of their type, which the money columns share.) One column of scratch,
    not six: it is made at every sort by it."""
    hmin, hmax, budget = c["hmin"], c["hmax"], c["budget"]
    none = _none(budget)
    has_rate = (hmin != none) | (hmax != none)
    kind_hourly = c["kind"] == hourly_code
    fixed = ~np.where(kind_hourly, has_rate, has_rate & (budget == none))
    del has_rate, kind_hourly
    value: NDArray[np.int64] = np.maximum(hmin, hmax)
    np.copyto(value, budget, where=fixed)
    return value


def _ranks(names: NDArray[Any]) -> NDArray[np.int16]:
    """Each name's place among them (a code's sort rank), for a column of codes."""
    return np.argsort(np.argsort(names, kind="stable")).astype(np.int16)


def _at_least(bound: Decimal) -> int:
    return int(bound.scaleb(2).to_integral_value(rounding=ROUND_CEILING))


def _at_most(bound: Decimal) -> int:
    return int(bound.scaleb(2).to_integral_value(rounding=ROUND_FLOOR))


# -- the filter, vectorized ----------------------------------------------------------------


def _facet_mask(
    data: IndexData, spec: FilterSpec, now: datetime, ids: NDArray[np.int64] | None = None
) -> NDArray[np.bool_]:
    """The structured conditions of `spec` (not the text) as a mask over the rows (or over
    `ids`): the meaning of `FilterSpec.compile` (app/domain/filter_rows.py, `_spec_source`)."""
    if ids is None:
        c = {name: data.col(name) for name in data.cols}
    else:
        c = {name: column[ids] for name, column in data.cols.items()}
    mask = c["alive"].copy()
    archived_code = data.flows.code(ARCHIVED)
    if spec.states:
        seen = np.where(c["archived"], archived_code, _state_codes(c, data.flows))
        mask &= np.isin(seen, data.flows.codes(spec.states))
    elif not spec.include_archived:
        # `seen != archived_code` without computing every row's state (5 ms at 1M rows,
        # a third of a keystroke): read and new are codes of their own, so only the flag
        # or a workflow state of that name is "archived".
        mask &= ~c["archived"] & (c["flow"] != archived_code)
    if spec.platforms:
        # Any source of the job: a GigRadar row also found by UpHunt is an UpHunt job.
        mask &= (c["sources"] & platform_bits(spec.platforms)) != 0
    if spec.kinds:
        mask &= np.isin(c["kind"], data.kinds.codes(k.value for k in spec.kinds))
    if spec.payment_verified is not None:
        mask &= c["verified"] == int(spec.payment_verified)
    if spec.min_match_score is not None:
        mask &= data.real_at_least("score", c["score"], spec.min_match_score)
    if spec.hire_rate_min is not None:
        mask &= data.real_at_least("hire", c["hire"], spec.hire_rate_min)
    # A bound outside a narrow column's type compares exactly (numpy >= 2 compares a
    # Python int with the column's values, not with the int cast to their type).
    if spec.client_spend_min is not None:
        spend = c["spend"]
        mask &= (spend != _none(spend)) & (spend >= _at_least(spec.client_spend_min))
    if spec.posted_within is not None:
        cutoff = (ensure_utc(now) - spec.posted_within).timestamp()
        mask &= c["posted"] >= cutoff
    # Depth: a job with no Connects price passes a Connects bound (a Gigiac task costs
    # none); unknown competition or client history fails its bound.
    if spec.connects_max is not None:
        connects = c["connects"]
        mask &= (connects == _none(connects)) | (connects <= spec.connects_max)
    if spec.proposals_max is not None:
        proposals = c["proposals"]
        mask &= (proposals != _none(proposals)) & (proposals <= spec.proposals_max)
    if spec.client_hires_min is not None:
        hires = c["hires"]
        mask &= (hires != _none(hires)) & (hires >= spec.client_hires_min)
    if spec.client_avg_rate_min is not None:
        least = _at_least(spec.client_avg_rate_min)
        avgrate = c["avgrate"]
        mask &= (avgrate != _none(avgrate)) & (avgrate >= least)
    kind, budget, hmin, hmax = c["kind"], c["budget"], c["hmin"], c["hmax"]
    none = _none(budget)  # the money columns share one type
    unknown = kind == data.kinds.code(JobKind.UNKNOWN.value)
    has_rate = (hmin != none) | (hmax != none)
    if spec.budget_min is not None or spec.budget_max is not None:
        hourly = np.where(
            unknown, (budget == none) & has_rate, kind == data.kinds.code(JobKind.HOURLY.value)
        )
        ok = budget != none
        if spec.budget_min is not None:
            ok &= budget >= _at_least(spec.budget_min)
        if spec.budget_max is not None:
            ok &= budget <= _at_most(spec.budget_max)
        mask &= hourly | ok
    if spec.hourly_min is not None or spec.hourly_max is not None:
        fixed = np.where(unknown, budget != none, kind == data.kinds.code(JobKind.FIXED.value))
        # A rate's range is its two ends, either one standing for both when the other is
        # missing, in either order: its low end is at most a bound when either present
        # end is, its high end at least one when either is. Asked of each end as bools
        # (1 MB at 1M rows), not of the ends' min and max made as columns: those were four
        # money columns at once, 12 MB over the window's steady memory at its peak.
        has_min, has_max = hmin != none, hmax != none
        ok = has_rate.copy()
        if spec.hourly_max is not None:
            most = _at_most(spec.hourly_max)
            ok &= (has_min & (hmin <= most)) | (has_max & (hmax <= most))
        if spec.hourly_min is not None:
            least = _at_least(spec.hourly_min)
            ok &= (has_min & (hmin >= least)) | (has_max & (hmax >= least))
        mask &= fixed | ok
    if spec.countries_include:
        mask &= np.isin(c["country"], data.countries.codes(spec.countries_include))
    if spec.countries_exclude:
        mask &= ~np.isin(c["country"], data.countries.codes(spec.countries_exclude))
    return mask


def _bitmap_mask(bitmap: BitMap, n: int) -> NDArray[np.bool_]:
    mask = np.zeros(n, dtype=bool)
    if bitmap:
        mask[np.frombuffer(bitmap.to_array(), dtype=np.uint32)] = True
    return mask


class _Lazy:
    """`keys[i]` / `records[i]`: read through the page cache."""

    def __init__(self, index: InboxIndex, part: int) -> None:
        self._index = index
        self._part = part

    def __getitem__(self, i: int) -> Any:
        item = self._index._item(int(i))
        return None if item is None else item[self._part]

    def __len__(self) -> int:
        return self._index._data.n


class _States:
    """`states[i]`: the local state's name of row i."""

    def __init__(self, index: InboxIndex) -> None:
        self._index = index

    def __getitem__(self, i: int) -> str:
        data = self._index._data
        flow = int(data.cols["flow"][i])
        if flow >= 0:
            return data.flows.names[flow]
        return "read" if data.cols["read"][i] else "new"

    def __len__(self) -> int:
        return self._index._data.n


def build_index(
    source: RowSource,
    slices: Iterable[tuple[Sequence[int], Sequence[OpportunityRow]]],
    states: Mapping[str, str],
    view: tuple[FilterSpec, int | None, bool, float] | None = None,
    *,
    cancelled: Callable[[], bool] = lambda: False,
    expected: int = 0,
    all_orders: bool = False,
) -> IndexData:
    """Build an index's data from stored rows in slices: pure Python and numpy, no Qt, for
    a worker thread. `slices` yields (refs, rows). `view` (spec, sort column, descending,
    the clock's time) is what the window shows: its order and filter are computed here
    too, off the GUI thread, and `InboxIndex.adopt` reuses them if they still apply.
    Raises `LoadCancelled` between slices once `cancelled()` is true. `expected`, the
    number of rows if known, saves growing the columns (and the peak memory of copying).
    `all_orders` computes every column's order here, so no sort waits for one later."""
    data = IndexData(source)
    data.reserve(expected)
    since_trim = 0
    for refs, rows in slices:
        if cancelled():
            raise LoadCancelled
        # A part at a time: the records of a whole slice (~3 KB a row with its haystack)
        # would ride on top of the load's peak, beside the text index's own scratch.
        for first in range(0, len(refs), _PART_ROWS):
            part = slice(first, first + _PART_ROWS)
            data.append(refs[part], prepare_rows(rows[part], states))
        since_trim += len(refs)
        if since_trim >= _TRIM_ROWS:
            since_trim = 0
            _trim_heap()
    data.finish()
    _trim_heap()
    if all_orders:
        for column in range(COLUMNS):
            if cancelled():
                raise LoadCancelled
            if not data.cheap_order(column):  # cheap ones are made when asked for
                data.perm(column)
                data.group_starts(column)  # the descending order's, a few KB
                _trim_heap()
    if view is not None:
        spec, sort_column, descending, now = view
        when = datetime.fromtimestamp(now, UTC)
        mask = _filter_mask(data, spec, when)
        shown = _ordered(data, mask, sort_column, descending)
        data.view = (spec, sort_column, descending, when, mask, shown)
        _trim_heap()
    return data


# Rows appended between two trims of the heap during a load.
_TRIM_ROWS = 50_000
# Rows prepared and appended at once (a slice of the source is split in parts).
_PART_ROWS = 1_000


def _trim_heap() -> None:
    """Hand the heap's free pages back to the system (glibc only).

    A load frees millions of small temporaries between the bitmaps' growing buffers;
    without this the process keeps their pages (~150 MB at a million rows). Done during
    the load as well, every `_TRIM_ROWS` rows and after each order: the free pages
    otherwise pile up to the end, and the process's peak is the end of the load."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:
        trim(0)


class LoadCancelled(Exception):
    """`build_index` stopped early: nobody wants its result any more."""


def _filter_mask(data: IndexData, spec: FilterSpec, now: datetime) -> NDArray[np.bool_]:
    """Which rows `spec` accepts: the structured conditions, then the text query."""
    mask = data.facets(spec, now)
    node = spec.query.node
    if node is None:
        mask = mask.copy()  # the caller changes it in place; the cache keeps its own
    else:
        universe = BitMap()
        universe.add_range(0, data.n)
        mask = mask & _bitmap_mask(data.text.evaluate(node, universe), data.n)
    return mask


def _ordered(
    data: IndexData, mask: NDArray[np.bool_], column: int | None, descending: bool
) -> NDArray[np.int64]:
    """The rows of `mask` in the total order of `column`."""
    if column is None:
        rows = cast("NDArray[np.int64]", np.flatnonzero(mask).astype(np.int32))
        if data.min_seq >= 0:  # no arrivals since the load: ids are in arrival order
            return rows
        return _by_arrival(rows, data.col("seq"))
    if data.cheap_order(column):  # the filter's rows only, sorted when asked for
        return data.code_order(column, descending, mask)
    perm = data.descending(column) if descending else data.perm(column)
    if len(mask) == len(perm) and bool(mask.all()):
        # Every row shown (no filter): the order itself, not a 4 MB copy of it at 1M rows.
        # Nothing writes into `visible`: every change makes a new array.
        return perm
    return perm[mask[perm]]


class _Preview:
    """What `InboxIndex.preview_filter` knows of its spec's slow terms: per term, the rows
    known to hold it (`sure`) and the candidates not read yet (`unsure`). Rows the walk
    reads move from `unsure` to `sure` or out; every other row does not hold the term."""

    def __init__(
        self, sure: dict[str, BitMap], unsure: dict[str, BitMap], rows: int, seconds: float
    ) -> None:
        self.sure = sure
        self.unsure = unsure
        self.rows = rows
        self.seconds = seconds

    def refresh(self, text: TextIndex) -> None:
        """Rows changed since: the overlay's text decides them."""
        changed = text.overlay_ids
        if not changed:
            return
        for term, unsure in self.unsure.items():
            unsure.difference_update(changed)
            self.sure[term] = (self.sure[term] - changed) | text.overlay_holding(term, changed)

    def read(self, text: TextIndex, ids: list[int]) -> dict[str, BitMap]:
        """Decide the candidates among `ids` by their text: returns each term's rows
        among `ids`."""
        hays = dict(zip(ids, text.texts(ids), strict=True))
        chunk = BitMap(ids)
        holding = {}
        for term, unsure in self.unsure.items():
            asked = unsure & chunk
            if asked:
                self.sure[term] |= BitMap(i for i in asked if term in hays[i])
                unsure.difference_update(asked)
            holding[term] = self.sure[term] & chunk
        return holding

    def assumed(self, text: TextIndex, rows: BitMap) -> tuple[dict[str, BitMap], BitMap]:
        """Each term's rows among `rows` (rows that changed or arrived meanwhile), and
        those of `rows` not decided yet (candidates not read)."""
        changed = rows & text.overlay_ids
        holding = {
            term: ((sure & rows) - changed) | text.overlay_holding(term, changed)
            for term, sure in self.sure.items()
        }
        undecided = BitMap.union(BitMap(), *(unsure & rows for unsure in self.unsure.values()))
        return holding, undecided - changed


class InboxIndex:
    """The inbox's rows, columnar; see the module docstring."""

    def __init__(
        self,
        listener: RowChanges | None = None,
        *,
        clock: Callable[[], float] = time.time,
        source: RowSource | None = None,
    ) -> None:
        self._listener: RowChanges = listener or _Quiet()
        self._clock = clock
        self._data = IndexData(source or MemorySource())
        self._data.finish()
        self.visible: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._positions: NDArray[np.int32] | None = None
        # (id of) the rows shown that `position_of_id` last searched, and how many times:
        # the count only chooses searching or the table, so an id reused is harmless.
        self._searched: tuple[int, int] | None = None
        self._sort_column: int | None = None
        self._descending = False
        self._spec = FilterSpec()
        self._now = datetime.fromtimestamp(clock(), UTC)
        self._mask: NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self._mask_room: NDArray[np.bool_] = np.zeros(0, dtype=bool)  # _mask's buffer
        self._pages: OrderedDict[int, Item] = OrderedDict()
        self._last_counts = (-1, -1)
        self._preview: _Preview | None = None  # what `preview_filter` left unknown
        self.keys = _Lazy(self, 0)
        self.records = _Lazy(self, 1)
        self.states = _States(self)

    # -- per-row columns the model reads ---------------------------------------------------

    @property
    def read(self) -> NDArray[np.bool_]:
        return self._data.cols["read"]

    @property
    def starred(self) -> NDArray[np.bool_]:
        return self._data.cols["starred"]

    @property
    def data(self) -> IndexData:
        return self._data

    # -- reading ------------------------------------------------------------------------

    def visible_count(self) -> int:
        return len(self.visible)

    def total_count(self) -> int:
        return self._data.n - self._data.removed

    def count_matching(self, spec: FilterSpec) -> int:
        """How many rows `spec` would show, without showing them (one vectorised mask)."""
        return int(np.count_nonzero(self._compute_mask(spec)))

    def count_matching_steps(self, specs: Sequence[FilterSpec]) -> Iterator[list[int] | None]:
        """How many rows each of `specs` would show (the filter bar's "hidden by" counts),
        one spec a step: yields None after each, then the counts. A caller on the GUI loop
        yields to the loop between steps; a reload under way ends the count early."""
        data = self._data
        counts: list[int] = []
        for spec in specs:
            counts.append(int(np.count_nonzero(_filter_mask(data, spec, self._now))))
            if self._data is not data:  # the rows were reloaded meanwhile: void
                return
            yield None
        yield counts

    def key_at(self, position: int) -> str | None:
        visible = self.visible
        if not 0 <= position < len(visible):
            return None
        item = self._item(int(visible[position]))
        return None if item is None else item[0]

    def id_of(self, key: str) -> int | None:
        return self._data.id_of(key)

    def position_of(self, key: str) -> int | None:
        """Where the row of `key` is in `visible`; None if it is unknown or filtered out."""
        i = self.id_of(key)
        return None if i is None else self.position_of_id(i)

    def position_of_id(self, i: int) -> int | None:
        if self._positions is None:
            # The first few rows asked for after the rows shown change (the selection
            # kept across a sort, the page of the first row painted) are searched for:
            # ~0.5 ms each at 1M rows, where the table of every row's position is
            # ~8 ms, on the click's clock.
            visible = self.visible
            searched = self._searched
            times = searched[1] if searched is not None and searched[0] == id(visible) else 0
            if times < _SEARCHES:
                self._searched = (id(visible), times + 1)
                if not 0 <= i < self._data.n or len(visible) == 0:
                    return None
                hits = visible == i
                at = int(hits.argmax())
                return at if bool(hits[at]) else None
            self._searched = None
            # int32: made at the first row painted after a load, 4 MB at 1M rows, not 8;
            # a part at a time, so no 4 MB of numbers rides on it (that is the window's
            # peak memory at 1M rows: the whole inbox adopted on top of the load).
            positions = np.full(self._data.n, -1, dtype=np.int32)
            visible = self.visible
            for first in range(0, len(visible), _POSITIONS_PART):
                last = min(first + _POSITIONS_PART, len(visible))
                positions[visible[first:last]] = np.arange(first, last, dtype=np.int32)
            self._positions = positions
        if not 0 <= i < len(self._positions):
            return None
        found = int(self._positions[i])
        return None if found < 0 else found

    def state_of(self, key: str) -> str | None:
        i = self.id_of(key)
        return None if i is None else self.states[i]

    def haystack_of_key(self, key: str) -> str | None:
        """The text the query searches for one opportunity (tests, highlighting)."""
        i = self.id_of(key)
        if i is None:
            return None
        item = self._item(i, fresh=True)
        return None if item is None else item[2]

    def fields_of_key(self, key: str) -> FilterFields | None:
        i = self.id_of(key)
        if i is None:
            return None
        data = self._data
        c = data.cols

        def money(name: str) -> int | None:
            value = int(c[name][i])
            return None if value == _none(c[name]) else value

        def real(name: str) -> float | None:
            value = float(data.real(name, c[name][i : i + 1])[0])
            return None if value != value else value

        count = money

        verified = int(c["verified"][i])
        country = int(c["country"][i])
        return FilterFields(
            platform=data.platforms.names[int(c["platform"][i])],
            kind=data.kinds.names[int(c["kind"][i])],
            budget_cents=money("budget"),
            hourly_min_cents=money("hmin"),
            hourly_max_cents=money("hmax"),
            spend_cents=money("spend"),
            hire_rate=real("hire"),
            payment_verified=None if verified < 0 else bool(verified),
            country_folded=None if country < 0 else data.countries.names[country],
            match_score=real("score"),
            posted_ts=float(c["posted"][i]),
            connects=count("connects"),
            proposals_most=count("proposals"),
            hires=count("hires"),
            avg_rate_cents=money("avgrate"),
            sources=int(c["sources"][i]),
            archived=bool(c["archived"][i]),
        )

    def sort_value(self, i: int, column: int) -> Any:
        """The value row i sorts by in `column` (as `inbox_rows.SORT_KEYS` gives it)."""
        record = self.records[i]
        return SORT_KEYS[column](record, self.states[i])

    def spec(self) -> FilterSpec:
        return self._spec

    def sort_state(self) -> tuple[int | None, bool]:
        return self._sort_column, self._descending

    # -- loading, sorting, filtering ----------------------------------------------------

    def load_rows(self, rows: Iterable[OpportunityRow], states: Mapping[str, str]) -> None:
        """Replace everything with `rows` (newest first), held in memory."""
        rows = list(rows)
        if len({row.key for row in rows}) != len(rows):
            raise ValueError("load_rows: opportunity keys must be unique")
        source = MemorySource()
        prepared = prepare_rows(rows, states)
        refs = source.admit(
            list(zip(prepared.keys, prepared.rows, prepared.haystacks, strict=True))
        )
        self.adopt(build_index(source, [([r or 0 for r in refs], rows)], states))

    def adopt(self, data: IndexData) -> None:
        """Replace everything with `data` (built by `build_index`, maybe on a worker)."""
        self._listener.begin_reset()
        self._data = data
        self._pages.clear()
        if data.items:
            self._pages.update(data.items)
            self._trim_pages()
        data.items = None
        view = data.view
        data.view = None
        self._preview = None
        timeless = self._spec.posted_within is None
        if view is not None and view[:3] == (self._spec, *self.sort_state()) and timeless:
            self._now, self._mask, self.visible = view[3], view[4], view[5]
        else:
            self._now = datetime.fromtimestamp(self._clock(), UTC)
            self._mask = self._compute_mask(self._spec)
            self.visible = self._order()
        self._positions = None
        self._listener.end_reset()
        self._emit_counts()

    def sort(self, column: int, descending: bool) -> None:
        """Sort every row by `column` (None values last); -1 restores the arrival order."""
        sort_column = column if 0 <= column < COLUMNS else None
        descending = sort_column is not None and descending
        if (sort_column, descending) == (self._sort_column, self._descending):
            return
        if self._preview is not None:
            # The rows shown are the first of the old order: find the new order's first.
            self._sort_column, self._descending = sort_column, descending
            self._show_preview(self._preview.rows)
            return
        self._listener.begin_layout()
        self._sort_column, self._descending = sort_column, descending
        self.visible = self._order()
        self._positions = None
        self._listener.end_layout()

    def set_filter(self, spec: FilterSpec) -> None:
        """Show the rows `spec` accepts, in the current sort order.

        After `preview_filter(spec)` this shows the whole answer: the rows shown so far
        are its first ones, so the rest is announced as inserted after them (the view
        keeps its scroll and selection)."""
        if self._preview is not None:
            self._preview = None
            if spec == self._spec:
                self._now = datetime.fromtimestamp(self._clock(), UTC)
                self._mask = self._compute_mask(spec)
                self._announce(self.visible, self._order(), [])
                self._last_counts = (-1, -1)  # the same numbers are not "searching" now
                self._emit_counts()
                return
        elif spec == self._spec and spec.posted_within is None:
            return
        self._spec = spec
        self._now = datetime.fromtimestamp(self._clock(), UTC)
        self._mask = self._compute_mask(spec)
        visible = self._order()
        if np.array_equal(visible, self.visible):
            self.visible = visible
        else:
            self._listener.begin_reset()
            self.visible = visible
            self._positions = None
            self._listener.end_reset()
        self._emit_counts()

    def preview_filter(self, spec: FilterSpec, rows: int = 120, seconds: float = 0.015) -> None:
        """Show the first `rows` rows `spec` accepts, exactly, without finding them all.

        For a query with a term whose candidate rows must be read to know (a phrase:
        `TextIndex.slow_terms`), the whole answer reads the text of every candidate,
        seconds at a million rows. Here the candidates are read in the order the rows
        show, only until `rows` rows are found or `seconds` have passed, so a screenful
        of the answer shows at once; `set_filter(spec)`, once the terms' rows are known
        (`TextIndex.compute` on a worker, then `remember`), shows the rest below them.
        Until then, the rows shown are the answer's first ones in the current order,
        rows that arrive or change are shown when they pass, and a new sort shows the
        first rows of the new order. A spec without such terms is shown whole."""
        text = self._data.text
        slow = text.slow_terms(spec.query.node)
        if not slow:
            self.set_filter(spec)
            return
        self._spec = spec
        self._now = datetime.fromtimestamp(self._clock(), UTC)
        split = {term: text.split(term) for term in slow}
        self._preview = _Preview(
            {term: sure.copy() for term, (sure, _unsure) in split.items()},
            {term: unsure.copy() for term, (_sure, unsure) in split.items()},
            rows,
            seconds,
        )
        self._show_preview(rows)

    def _show_preview(self, rows: int) -> None:
        """Find and show the first `rows` rows of the previewed spec in the current order
        (see `preview_filter`)."""
        preview = self._preview
        assert preview is not None
        data, node = self._data, self._spec.query.node
        assert node is not None
        text = data.text
        preview.refresh(text)
        universe = BitMap()
        universe.add_range(0, data.n)
        unsure = BitMap.union(BitMap(), *preview.unsure.values())
        # Rows no unsure term decides: exact with only the sure rows. The others are
        # candidates, decided below when the walk meets them.
        known = text.evaluate(node, universe - unsure, preview.sure)
        mask = data.facets(self._spec, self._now) & _bitmap_mask(known | unsure, data.n)
        order = _ordered(data, mask, self._sort_column, self._descending)
        found: list[int] = []
        deadline = time.perf_counter() + preview.seconds
        step = max(rows, 16)  # then twice as many each time: few reads when most pass
        position = 0
        while position < len(order) and len(found) < rows:
            chunk = order[position : position + step].tolist()
            position += len(chunk)
            asked = [i for i in chunk if i in unsure]
            if asked:
                hits = text.evaluate(node, BitMap(asked), preview.read(text, asked))
                for i in asked:
                    if i not in hits:
                        mask[i] = False
            found.extend(i for i in chunk if mask[i])
            if time.perf_counter() > deadline:
                break
            step = min(step * 2, 1_024)
        # Only the rows found show: those past the walk are shown when `set_filter` is.
        self._mask = np.zeros(data.n, dtype=bool)
        self._mask[found] = True
        self._listener.begin_reset()
        self.visible = np.asarray(found, dtype=np.int64)
        self._positions = None
        self._listener.end_reset()
        self._last_counts = (-1, -1)  # the same numbers are "searching" now
        self._emit_counts()

    @property
    def searching(self) -> bool:
        """Whether the rows shown are a preview's: the first of the answer, more may come."""
        return self._preview is not None

    # -- changes ------------------------------------------------------------------------

    def add_or_update(self, opportunities: Iterable[Opportunity]) -> None:
        """Merge one coalesced batch: new keys are inserted where the sort puts them (if
        they pass the filter), known keys are updated in place."""
        batch: dict[str, Opportunity] = {}
        for opportunity in opportunities:
            batch[opportunity.key] = opportunity  # the latest copy of a key wins
        if not batch:
            return
        data = self._data
        # Each row's record, haystack and filter fields, made once: the page cache and the
        # text overlay share one haystack (a second copy costs ~0.6 KB a row).
        made = {key: records_of(opportunity) for key, opportunity in batch.items()}
        items: list[Item] = [(key, record, hay) for key, (record, hay, _f) in made.items()]
        refs = data.source.admit(items)
        known: list[tuple[int, Item, Opportunity]] = []
        new: list[tuple[int, Item, Opportunity]] = []
        for ref, item, opportunity in zip(refs, items, batch.values(), strict=True):
            if ref is None:
                continue  # not in the source (a row the store does not hold)
            i = data.id_of_ref(ref)
            (new if i is None else known).append((ref, item, opportunity))
        changed: list[int] = []
        for ref, item, opportunity in known:
            i = data.id_of_ref(ref)
            assert i is not None
            self._replace(i, ref, opportunity, made)
            self._pages[i] = item
            data.text.set_row(i, item[2])
            changed.append(i)
        if new:
            data.min_seq -= len(new)
            prepared = _prepared_of([opp for _r, _i, opp in new], made)
            ids = data.append(
                [ref for ref, _i, _o in new],
                prepared,
                range(data.min_seq, data.min_seq + len(new)),
                bulk=False,
            )
            for i, (_ref, item, _opp) in zip(ids.tolist(), new, strict=True):
                self._pages[i] = item
            changed.extend(ids.tolist())
        # Arrivals are the rows most likely painted next, but the cache stays a cache: a
        # session's arrivals would otherwise all stay here (a row's record and haystack,
        # ~2 KB), since rows found in it never trim it.
        self._trim_pages()
        self._refresh(changed)

    def remove(self, keys: Iterable[str]) -> None:
        """Forget the rows of `keys` (unknown ones are ignored); shown rows leave `visible`.

        A key that comes back later becomes a new row.
        """
        data = self._data
        gone = {i for key in keys if (i := self.id_of(key)) is not None}
        if not gone:
            return
        for i in gone:
            data.cols["alive"][i] = False
            self._pages.pop(i, None)
        data.removed += len(gone)
        self._refresh(sorted(gone))

    def set_state(self, key: str, state: str) -> None:
        """Record the workflow state of one opportunity ("drafted", "submitted"...).

        "new" and "read" mean no draft or submission: the read flag is set to match.
        """
        i = self.id_of(key)
        if i is None:
            return
        c = self._data.cols
        if state in ("new", "read"):
            c["flow"][i] = -1
            c["read"][i] = state == "read"
        else:
            c["flow"][i] = self._data.flows.code(state)
        self._refresh([i])

    def set_flags(
        self,
        key: str,
        *,
        read: bool | None = None,
        starred: bool | None = None,
        archived: bool | None = None,
    ) -> None:
        """Update the user's marks on one opportunity; an archived row leaves `visible`
        unless the filter includes archived rows."""
        i = self.id_of(key)
        if i is None:
            return
        c = self._data.cols
        if read is not None:
            c["read"][i] = read
        if starred is not None:
            c["starred"][i] = starred
        if archived is not None:
            c["archived"][i] = archived
        self._refresh([i])

    # -- internals ------------------------------------------------------------------------

    def _item(self, i: int, *, fresh: bool = False) -> Item | None:
        pages = self._pages
        item = None if fresh else pages.get(i)
        if item is not None:
            pages.move_to_end(i)
            return item
        data = self._data
        if not 0 <= i < data.n:
            return None
        wanted = [i]
        position = self.position_of_id(i)
        if position is not None and not fresh:
            around = self.visible[max(0, position - _PAGE // 4) : position + _PAGE].tolist()
            wanted += [j for j in around if j != i and j not in pages]
        refs = data.cols["ref"][np.array(wanted, dtype=np.int64)].tolist()
        for j, found in zip(wanted, data.source.fetch(refs), strict=True):
            if found is not None:
                pages[j] = found
        self._trim_pages()
        return pages.get(i)

    def _trim_pages(self) -> None:
        """Forget the least recently read display records beyond `_PAGE_CACHE`."""
        pages = self._pages
        while len(pages) > _PAGE_CACHE:
            pages.popitem(last=False)

    def cached_records(self) -> int:
        """How many display records the page cache holds (tests, benchmarks)."""
        return len(self._pages)

    def _replace(
        self,
        i: int,
        ref: int,
        opportunity: Opportunity,
        made: Mapping[str, tuple[RowRecord, str, Fields]] | None = None,
    ) -> None:
        """New content for row i; the user's marks and the workflow state stay."""
        data = self._data
        prepared = _prepared_of([opportunity], made)
        c = data.cols
        keep = {name: c[name][i] for name in ("read", "starred", "flow", "archived", "seq")}
        scratch = IndexData(data.source)
        scratch.platforms, scratch.kinds = data.platforms, data.kinds
        scratch.countries, scratch.flows = data.countries, data.flows
        scratch.labels = data.labels
        scratch.append([ref], prepared, bulk=False)
        row = slice(i, i + 1)
        copied = {"country", "label", "skills", *data.reals}
        data._put_skills(row, [bytes(scratch.skill_prefixes(scratch.cols["skills"][:1])[0])])
        for name in data.reals:  # the scratch's codes are of its own tables
            value = float(scratch.real(name, scratch.cols[name][:1])[0])
            data._put_reals(name, row, [value])
        data._put_codes("country", row, [int(scratch.cols["country"][0])])
        data._put_codes("label", row, [int(scratch.cols["label"][0])])  # widened if need be
        for names in _INT_GROUPS:  # widened here too if the new values do not fit
            values = [(int(scratch.cols[name][0]), _none(scratch.cols[name])) for name in names]
            data._put_ints(names, row, [[None if v == none else v] for v, none in values])
            copied.update(names)
        for name in c:
            if name not in copied:
                c[name][i] = scratch.cols[name][0]
        for name, value in keep.items():
            c[name][i] = value

    def _compute_mask(self, spec: FilterSpec) -> NDArray[np.bool_]:
        return _filter_mask(self._data, spec, self._now)

    def _order(self) -> NDArray[np.int64]:
        return _ordered(self._data, self._mask, self._sort_column, self._descending)

    def _refresh(self, changed: list[int]) -> None:
        """Rows `changed` changed (content, marks, existence): recompute what shows, and
        tell the listener the difference.

        A few rows changing among many are placed by binary search into the rows shown
        (`_placed`): the cost grows with the changed rows and the log of the inbox, not
        with the inbox. Many at once, or rows that move among each other, take the
        whole-table path (`_order` and `_announce`)."""
        data = self._data
        data.mark_stale(changed)
        spec = self._spec
        mask = self._mask
        if len(mask) != data.n:
            # Grown with room to spare: arrivals come a few at a time, and copying the
            # whole mask for each batch would be a pass over the inbox per batch.
            spare = self._mask_room
            if mask.base is not spare or len(spare) < data.n:
                spare = np.zeros(max(data.n, len(spare) + len(spare) // 2 + 1024), dtype=bool)
                spare[: len(mask)] = mask
                self._mask_room = spare
            else:
                spare[len(mask) : data.n] = False
            mask = self._mask = spare[: data.n]
        ids = np.array(changed, dtype=np.int64)
        old = self.visible
        was = mask[ids].copy()
        mask[ids] = self._passes(ids, spec)
        if not self._placed(old, ids, was, mask[ids], changed):
            self._announce(old, self._order(), changed)
        self._emit_counts()

    def _placed(
        self,
        old: NDArray[np.int64],
        ids: NDArray[np.int64],
        was: NDArray[np.bool_],
        now: NDArray[np.bool_],
        changed: list[int],
    ) -> bool:
        """The incremental path of `_refresh`; False when it does not apply (nothing
        was changed then)."""
        if len(ids) > _PLACE_LIMIT or len(ids) * 8 > len(old) + 64:
            return False
        leaving, staying, entering = ids[was & ~now], ids[was & now], ids[~was & now]
        # A shown row whose content changed may have to move: it has not if it still
        # sorts between its two neighbours (a move is the whole path's).
        if self._sort_column is not None and not all(
            self._in_place(old, int(i)) for i in staying.tolist()
        ):
            return False
        out = np.array([self.position_of_id(int(i)) for i in leaving.tolist()], dtype=np.int64)
        base = np.delete(old, out) if len(out) else old
        entering = self._arrival_order(entering)
        at = self._insertion_points(base, entering)
        final = at + np.arange(len(at))  # the entering rows' places among the new rows
        runs_out = _runs(sorted(out.tolist()))
        runs_in = _runs(final.tolist())
        if len(runs_out) > ROW_SIGNALS_LIMIT or len(runs_in) > ROW_SIGNALS_LIMIT:
            new = np.insert(base, at, entering.astype(base.dtype)) if len(entering) else base
            self._announce(old, new, changed)
            return True
        listener = self._listener
        visible = self._remove_runs(old, runs_out)
        # Runs from the last up: the rows before a run are then the same as in `base`,
        # so each step is one copy of the shown rows, not a fresh insert of all runs.
        for first, last in reversed(runs_in):
            start = int(np.searchsorted(final, first))
            rows = entering[start : start + last - first + 1].astype(visible.dtype)
            where = int(at[start])
            listener.begin_insert(where, where + len(rows) - 1)
            visible = np.concatenate((visible[:where], rows, visible[where:]))
            self.visible = visible
            self._positions = None
            listener.end_insert()
        self._repaint(staying.tolist())
        return True

    def _order_keys(
        self, ids: NDArray[np.int64]
    ) -> tuple[NDArray[np.bool_], NDArray[Any], NDArray[np.int64]]:
        """(missing, key, seq) of rows `ids` in the current sort (key: the sort key,
        or seq alone when unsorted)."""
        seq = self._data.cols["seq"][ids].astype(np.int64)
        column = self._sort_column
        if column is None:
            return np.zeros(len(ids), dtype=bool), seq, seq
        key, missing = self._data.sort_key(column, ids)
        return missing, key, seq

    def _before(
        self,
        a: tuple[NDArray[np.bool_], NDArray[Any], NDArray[np.int64]],
        b: tuple[NDArray[np.bool_], NDArray[Any], NDArray[np.int64]],
    ) -> NDArray[np.bool_]:
        """Elementwise: does the row of `a` come before the row of `b` in the order
        `_order` gives (missing values last, key either way, then arrival)?"""
        a_missing, a_key, a_seq = a
        b_missing, b_key, b_seq = b
        both = ~a_missing & ~b_missing
        with np.errstate(invalid="ignore"):
            smaller = both & (a_key < b_key)
            larger = both & (a_key > b_key)
        if self._descending:
            smaller, larger = larger, smaller
        equal = (a_missing == b_missing) & ~smaller & ~larger
        earlier: NDArray[np.bool_] = (~a_missing & b_missing) | smaller | (equal & (a_seq < b_seq))
        return earlier

    def _insertion_points(
        self, base: NDArray[np.int64], rows: NDArray[np.int64]
    ) -> NDArray[np.int64]:
        """For each of `rows` (in order), how many of `base` (in order) come before it.

        Arrivals mostly go first (newest first, the usual order) or last: the ends are
        asked once. The rest are searched `_PROBES` keys a round, each row between two of
        them (2 rounds at 100k rows, 3 at 1M). A binary search took ~17 rounds of array
        calls: with a 100k inbox sorted by date, ~0.7 ms of the 2.2 ms one webhook row
        cost the window's thread (~0.35 ms now)."""
        count = len(rows)
        lo = np.zeros(count, dtype=np.int64)
        hi = np.full(count, len(base), dtype=np.int64)
        if count == 0 or len(base) == 0:
            return lo
        mine = self._order_keys(rows)
        ends = self._order_keys(base[[0, -1]].astype(np.int64))
        top = ~self._before(tuple(part[:1] for part in ends), mine)  # type: ignore[arg-type]
        bottom = self._before(tuple(part[1:] for part in ends), mine)  # type: ignore[arg-type]
        lo[bottom] = len(base)
        active = np.flatnonzero(~top & ~bottom)
        while len(active):
            low, span = lo[active], hi[active] - lo[active]
            k = min(_PROBES, int(span.max()))
            # Probes at lo + span*j/(k+1), j = 1..k: nondecreasing, all in [lo, hi), and
            # every place in the span once k >= span (that round is the last).
            probes = low[:, None] + span[:, None] * np.arange(1, k + 1) // (k + 1)
            theirs = self._order_keys(base[probes.reshape(-1)].astype(np.int64))
            shaped = tuple(part.reshape(probes.shape) for part in theirs)
            sub = tuple(part[active][:, None] for part in mine)
            earlier = self._before(shaped, sub)  # type: ignore[arg-type]
            before = earlier.sum(axis=1)  # probes before the row: a prefix of them
            picked = np.arange(len(active))
            found = before > 0
            lo[active[found]] = probes[picked[found], before[found] - 1] + 1
            inside = before < k
            hi[active[inside]] = probes[picked[inside], before[inside]]
            active = active[lo[active] < hi[active]]
        return lo

    def _arrival_order(self, rows: NDArray[np.int64]) -> NDArray[np.int64]:
        """`rows` sorted among themselves by the current order."""
        if len(rows) < 2:
            return rows
        missing, key, seq = self._order_keys(rows)
        rank = np.unique(key, return_inverse=True)[1].reshape(-1).astype(np.int64)
        rank[missing] = 0
        if self._descending:
            rank = -rank
        return rows[np.lexsort((seq, rank, missing))]

    def _in_place(self, visible: NDArray[np.int64], i: int) -> bool:
        """Is shown row i still between its neighbours in the current order?"""
        position = self.position_of_id(i)
        if position is None:
            return False
        row = np.array([i], dtype=np.int64)
        mine = self._order_keys(row)
        if position > 0:
            before = self._order_keys(visible[position - 1 : position].astype(np.int64))
            if not self._before(before, mine)[0]:
                return False
        if position + 1 < len(visible):
            after = self._order_keys(visible[position + 1 : position + 2].astype(np.int64))
            if not self._before(mine, after)[0]:
                return False
        return True

    def _passes(self, ids: NDArray[np.int64], spec: FilterSpec) -> NDArray[np.bool_]:
        data = self._data
        mask = _facet_mask(data, spec, self._now, ids)
        node = spec.query.node
        if node is not None and mask.any():
            universe = BitMap(ids[mask].astype(np.uint32))
            preview = self._preview
            if preview is None:
                hits = data.text.evaluate(node, universe)
            else:
                # A preview: its terms' candidates not read yet wait for `set_filter`.
                holding, undecided = preview.assumed(data.text, universe)
                hits = data.text.evaluate(node, universe, holding) - undecided
            mask &= np.isin(ids, np.frombuffer(hits.to_array(), dtype=np.uint32))
        return mask

    def _announce(self, old: NDArray[np.int64], new: NDArray[np.int64], changed: list[int]) -> None:
        listener = self._listener
        n = self._data.n
        in_old = np.zeros(n, dtype=bool)
        in_old[old] = True
        in_new = np.zeros(n, dtype=bool)
        in_new[new] = True
        added = np.flatnonzero(~in_old[new])  # positions in new
        gone = np.flatnonzero(~in_new[old])  # positions in old
        if len(added) == 0 and len(gone) == 0:
            if np.array_equal(old, new):
                self._repaint(changed)
                return
            moved = np.flatnonzero(old != new)
            if len(changed) == 1 and len(moved):
                self._move(old, new, changed[0])
                self._repaint(changed)
                return
            self._layout(new)
            return
        if len(added) and len(gone):
            self._reset(new)
            return
        kept = new[in_old[new]] if len(added) else old[in_new[old]]
        if not np.array_equal(kept, old if len(added) else new):
            self._reset(new)  # rows both moved and came or went
            return
        if len(gone):
            if len(gone) > ROW_SIGNALS_LIMIT:
                self._reset(new)
                return
            self._remove_runs(old, _runs(gone.tolist()))
            self._repaint(changed)
            return
        runs = _runs(added.tolist())
        if len(runs) > ROW_SIGNALS_LIMIT or (len(runs) > 1 and len(added) > ROW_SIGNALS_LIMIT):
            # Many, scattered by the sort: one block at the end, then moved into place.
            end = len(old)
            listener.begin_insert(end, end + len(added) - 1)
            self.visible = np.concatenate((old, new[added]))
            self._positions = None
            listener.end_insert()
            self._layout(new)
            return
        is_added = ~in_old[new]
        run_of = np.cumsum(np.concatenate(([False], is_added[1:] & ~is_added[:-1]))) + int(
            is_added[0]
        )
        for number, (first, last) in enumerate(runs, start=1):
            listener.begin_insert(first, last)
            self.visible = new[~is_added | (run_of <= number)] if number < len(runs) else new
            self._positions = None
            listener.end_insert()
        self._repaint([i for i in changed if in_old[i]])

    def _remove_runs(
        self, visible: NDArray[np.int64], runs: list[tuple[int, int]]
    ) -> NDArray[np.int64]:
        """Take the runs (positions in `visible`) out, the last first, each announced as
        one removal; returns what is shown after."""
        listener = self._listener
        for first, last in reversed(runs):
            listener.begin_remove(first, last)
            visible = np.concatenate((visible[:first], visible[last + 1 :]))
            self.visible = visible
            self._positions = None
            listener.end_remove()
        return visible

    def _move(self, old: NDArray[np.int64], new: NDArray[np.int64], i: int) -> None:
        source = int(np.flatnonzero(old == i)[0])
        target = int(np.flatnonzero(new == i)[0])
        destination = target if target < source else target + 1
        self._listener.begin_move(source, destination)
        self.visible = new
        self._positions = None
        self._listener.end_move()

    def _layout(self, new: NDArray[np.int64]) -> None:
        self._listener.begin_layout()
        self.visible = new
        self._positions = None
        self._listener.end_layout()

    def _reset(self, new: NDArray[np.int64]) -> None:
        self._listener.begin_reset()
        self.visible = new
        self._positions = None
        self._listener.end_reset()

    def _repaint(self, changed: list[int]) -> None:
        if len(changed) > ROW_SIGNALS_LIMIT:
            return
        for i in changed:
            position = self.position_of_id(i)
            if position is not None:
                self._listener.changed(position)

    def _emit_counts(self) -> None:
        counts = (len(self.visible), self.total_count())
        if counts != self._last_counts:
            self._last_counts = counts
            self._listener.counts(*counts)


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    """Sorted positions as runs of adjacent ones: [(first, last), ...]."""
    runs: list[tuple[int, int]] = []
    for p in positions:
        if runs and runs[-1][1] == p - 1:
            runs[-1] = (runs[-1][0], p)
        else:
            runs.append((p, p))
    return runs


def _prepared_of(
    opportunities: Sequence[Opportunity],
    made: Mapping[str, tuple[RowRecord, str, Fields]] | None = None,
) -> PreparedRows:
    """`PreparedRows` for opportunities that came from the bridge (new rows: unread);
    `made` holds their `records_of` by key where already computed."""
    prepared = PreparedRows([], [], [], [], [], [], [], [], [])
    for opportunity in opportunities:
        found = made.get(opportunity.key) if made is not None else None
        record, hay, fields = found if found is not None else records_of(opportunity)
        prepared.keys.append(opportunity.key)
        prepared.rows.append(record)
        prepared.haystacks.append(hay)
        prepared.fields.append(fields)
        prepared.states.append("new")
        prepared.filter_states.append("new")
        prepared.workflow.append(None)
        prepared.read.append(False)
        prepared.starred.append(False)
    return prepared


if TYPE_CHECKING:
    _IN_MEMORY: type[RowIndex] = InboxIndex  # mypy holds InboxIndex to the seam
