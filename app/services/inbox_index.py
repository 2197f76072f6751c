"""The inbox's rows, their order and the filter: columnar storage, in Python, Qt-free.

`InboxIndex` holds ALL rows as light records in parallel lists (columns) — the display
record, the lowercase haystack the text query searches, the filter fields, the local
state, the user's marks — and a plain list of row ids, `visible`, in the current sort
order. The Qt table model (app/ui/models/opportunities.py) is a thin adapter over it; a
`RowChanges` listener hears each change of `visible` as the ranges Qt's
beginInsertRows/… want, before and after it happens.

This is the seam a different index replaces (a 1M-row one backed by FTS5 and bitmaps):
the model uses only the `RowIndex` protocol — `visible`, the counts, `key_at` and
`position_of`, the per-row reads (`keys`, `records`, `states`, `read`, `starred`),
`sort`, `set_filter`, `load_prepared` and the changes (`add_or_update`, `remove`,
`set_state`, `set_flags`) — and hears every change of `visible` through `RowChanges`.

- Row ids (`i`) index the parallel lists and never change; the opportunity key is the
  row's identity for everyone outside.
- `_order` lists every row in the current sort order; `visible` is the subsequence of
  it that passes the filter. Filtering keeps order, so a new filter never sorts.
- A new filter scans as little as it can: the visible rows when the spec narrows the
  previous one (the user typed on); the rows matching the same text when only the
  structured conditions changed (a platform toggle); a remembered result when the user
  goes back to a recent spec (backspace); all rows only otherwise. Each scan is one
  comprehension compiled from the spec (`compile_rows`).
- The order is total: the sort key (None last, either direction), then the row's
  arrival (`_seq`: the store's order at load, newer arrivals first). So any row's place
  in either list is found by binary search, and a changed or new row is moved or inserted
  where a full sort would put it — O(log n) comparisons, no re-filter, no re-sort.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from app.domain.filter_rows import (
    ARCHIVED_FIELD,
    Fields,
    FieldsPredicate,
    FilterFields,
    RowsFilter,
    compile_fields,
    compile_rows,
    filter_state,
)
from app.domain.filters import FilterSpec, Query, QueryNode
from app.domain.opportunity import Opportunity
from app.services.inbox_rows import (
    COLUMNS,
    SORT_KEYS,
    PreparedRows,
    RowRecord,
    prepare_rows,
    records_of,
    sorted_order,
)
from app.store.opportunities import OpportunityRow

__all__ = ["InboxIndex", "RowChanges", "RowIndex"]

_CACHE_SIZE = 12  # remembered filter results and text matches, each
# Above this many rows changing at once, one reset is cheaper than a signal per row.
ROW_SIGNALS_LIMIT = 32


class RowChanges(Protocol):
    """Hears how `InboxIndex.visible` changes, as positions in it (Qt's conventions).

    Each `begin_*` comes before the change, its `end_*` after it; `visible` is read
    between them only by the listener's own bookkeeping.
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


class RowIndex(Protocol):
    """The seam: what the Qt model reads and asks of an index of the inbox's rows.

    Positions count in `visible` (the filtered rows, in the sort order); row ids index
    the per-row sequences, which are never rebound. Every change of `visible` is told to
    the `RowChanges` listener the index was made with. `InboxIndex` is the in-memory one.
    """

    @property
    def visible(self) -> Sequence[int]: ...
    @property
    def keys(self) -> Sequence[str]: ...
    @property
    def records(self) -> Sequence[RowRecord]: ...
    @property
    def states(self) -> Sequence[str]: ...
    @property
    def read(self) -> Sequence[bool]: ...
    @property
    def starred(self) -> Sequence[bool]: ...

    def visible_count(self) -> int: ...
    def total_count(self) -> int: ...
    def count_matching(self, spec: FilterSpec) -> int: ...
    def count_matching_steps(
        self, specs: Sequence[FilterSpec], step: int = ...
    ) -> Iterator[list[int] | None]: ...
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
    def load_prepared(self, prepared: PreparedRows) -> None: ...
    def sort(self, column: int, descending: bool) -> None: ...
    def set_filter(self, spec: FilterSpec) -> None: ...
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


class InboxIndex:
    """Every opportunity, filtered and sorted in Python; see the module docstring."""

    def __init__(
        self, listener: RowChanges | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._listener: RowChanges = listener or _Quiet()
        self._clock = clock
        # Parallel per-row lists, indexed by row id i; cleared and extended, never rebound.
        self.keys: list[str] = []
        self.records: list[RowRecord] = []
        self._hay: list[str] = []
        self._fields: list[Fields] = []  # plain tuples laid out like FilterFields
        self.states: list[str] = []  # local state: new, read, drafted, ...
        self._fstate: list[str] = []  # as FilterSpec sees it (archived folded in)
        self._workflow: list[str | None] = []  # state from a draft or a submission
        self.read: list[bool] = []
        self.starred: list[bool] = []
        self._seq: list[int] = []  # arrival: ties in every sort go by it
        self._index: dict[str, int] = {}  # the live rows' ids by key
        self._removed: set[int] = set()  # ids of removed rows, kept until the next load
        self._min_seq = 0
        # Orders (lists of row ids).
        self._order: list[int] = []
        self.visible: list[int] = []
        self._sort_column: int | None = None
        self._descending = False
        self._sort_keys: list[Any] = self._seq  # the current column's key per row
        # The filter, and what recent scans found.
        self._spec = FilterSpec()
        self._now = datetime.fromtimestamp(clock(), UTC)  # anchors `posted_within`
        self._rows_filter: RowsFilter = compile_rows(self._spec, self._now)
        self._predicate: FieldsPredicate = compile_fields(self._spec, self._now)
        self._results: dict[FilterSpec, list[int]] = {}
        self._text_hits: dict[QueryNode, list[int]] = {}  # FilterSpec(text=...) results
        self._last_counts = (-1, -1)

    # -- reading ------------------------------------------------------------------------

    def visible_count(self) -> int:
        return len(self.visible)

    def total_count(self) -> int:
        return len(self._index)

    def count_matching(self, spec: FilterSpec) -> int:
        """How many rows `spec` would show, without showing them: one scan of every row."""
        steps = self.count_matching_steps([spec], step=max(1, len(self._order)))
        counts = [c for c in steps if c is not None]
        return counts[-1][0] if counts else 0

    def count_matching_steps(
        self, specs: Sequence[FilterSpec], step: int = 5_000
    ) -> Iterator[list[int] | None]:
        """How many rows each of `specs` would show (the filter bar's "hidden by" counts),
        `step` rows at a time: yields None after each slice, then the counts. A caller on
        the GUI loop yields to the loop between slices, so no scan stalls it; a reload
        under way ends the count early (nothing more is yielded)."""
        now = datetime.fromtimestamp(self._clock(), UTC)
        filters = [compile_rows(spec, now) for spec in specs]
        order, fields, hays, states = self._order, self._fields, self._hay, self._fstate
        counts = [0] * len(filters)
        for start in range(0, len(order), step):
            rows = order[start : start + step]
            try:
                for n, rows_filter in enumerate(filters):
                    counts[n] += len(rows_filter(rows, fields, hays, states))
            except IndexError:  # the rows were reloaded meanwhile: this count is void
                return
            yield None
        yield counts

    def key_at(self, position: int) -> str | None:
        visible = self.visible
        return self.keys[visible[position]] if 0 <= position < len(visible) else None

    def position_of(self, key: str) -> int | None:
        """Where the row of `key` is in `visible`; None if it is unknown or filtered out."""
        i = self._index.get(key)
        return None if i is None else self.position_of_id(i)

    def position_of_id(self, i: int) -> int | None:
        return self._find(self.visible, i)

    def state_of(self, key: str) -> str | None:
        i = self._index.get(key)
        return None if i is None else self.states[i]

    def haystack_of_key(self, key: str) -> str | None:
        """The text the query searches for one opportunity (tests, highlighting)."""
        i = self._index.get(key)
        return None if i is None else self._hay[i]

    def fields_of_key(self, key: str) -> FilterFields | None:
        i = self._index.get(key)
        return None if i is None else FilterFields._make(self._fields[i])

    def sort_value(self, i: int, column: int) -> Any:
        return SORT_KEYS[column](self.records[i], self.states[i])

    def spec(self) -> FilterSpec:
        return self._spec

    def sort_state(self) -> tuple[int | None, bool]:
        """(column, descending) of the current sort, for `prepare_rows` on a worker."""
        return self._sort_column, self._descending

    # -- loading, sorting, filtering ----------------------------------------------------

    def load_rows(self, rows: Iterable[OpportunityRow], states: Mapping[str, str]) -> None:
        """Replace everything with `rows` (newest first, as the store loads them)."""
        self.load_prepared(prepare_rows(rows, states))

    def load_prepared(self, prepared: PreparedRows) -> None:
        """Replace everything with rows built by `prepare_rows` (maybe on a worker thread)."""
        count = len(prepared.keys)
        index = {key: i for i, key in enumerate(prepared.keys)}
        if len(index) != count:
            raise ValueError("load_rows: opportunity keys must be unique")
        self._listener.begin_reset()
        self._clear()
        self.keys.extend(prepared.keys)
        self.records.extend(prepared.rows)
        self._hay.extend(prepared.haystacks)
        self._fields.extend(prepared.fields)
        self.states.extend(prepared.states)
        self._fstate.extend(prepared.filter_states)
        self._workflow.extend(prepared.workflow)
        self.read.extend(prepared.read)
        self.starred.extend(prepared.starred)
        self._seq.extend(range(count))
        self._index = index
        if prepared.sort == (self._sort_column, self._descending) and prepared.order is not None:
            assert prepared.sort_keys is not None
            self._sort_keys = prepared.sort_keys
            self._order = prepared.order
        else:
            self._sort_keys = self._compute_sort_keys()
            self._order = self._sorted(list(range(count)))
        self._compile(self._spec)
        self.visible = self._rows_filter(self._order, self._fields, self._hay, self._fstate)
        self._listener.end_reset()
        self._emit_counts()

    def sort(self, column: int, descending: bool) -> None:
        """Sort every row by `column` (None values last); -1 restores the arrival order."""
        sort_column = column if 0 <= column < COLUMNS else None
        descending = sort_column is not None and descending
        if (sort_column, descending) == (self._sort_column, self._descending):
            return
        self._listener.begin_layout()
        self._invalidate()
        self._sort_column, self._descending = sort_column, descending
        self._sort_keys = self._compute_sort_keys()
        self._order = self._sorted(self._arrival_order())
        visible = set(self.visible)
        self.visible = [i for i in self._order if i in visible]
        self._listener.end_layout()

    def set_filter(self, spec: FilterSpec) -> None:
        """Show the rows `spec` accepts, in the current sort order."""
        timeless = spec.posted_within is None  # a result that the clock cannot age
        if spec == self._spec and timeless:
            return
        previous = self._spec
        self._compile(spec)
        visible = self._results.get(spec) if timeless else None
        if visible is None:
            visible = self._scan(spec, previous)
            if timeless:
                self._remember(self._results, spec, visible)
        if _is_plain_text(spec):
            node = spec.query.node
            if node is not None:
                self._remember(self._text_hits, node, visible)
        if visible == self.visible:
            # The same rows ("python" -> "python -"): nothing to reset or repaint.
            self.visible = visible
        else:
            self._listener.begin_reset()
            self.visible = visible
            self._listener.end_reset()
        self._emit_counts()

    def _scan(self, spec: FilterSpec, previous: FilterSpec) -> list[int]:
        """The rows `spec` accepts, from the smallest list known to hold them all."""
        fields, hays, states = self._fields, self._hay, self._fstate
        source = self.visible if spec.narrows(previous) else self._order
        for remembered, rows in self._results.items():
            if len(rows) < len(source) and spec.narrows(remembered):
                source = rows
        query = spec.query
        node = query.node
        if node is None or not _default_states(spec):
            return self._rows_filter(source, fields, hays, states)
        # Text matches (archived rows left out) are remembered per query: a platform
        # toggle then scans only them, and a query that narrows a remembered one
        # ("python -wo" after "python") scans only the remembered matches.
        hits = self._text_hits.get(node)
        if hits is None:
            for remembered_node, rows in self._text_hits.items():
                if len(rows) < len(source) and query.narrows(_query_of(remembered_node)):
                    source = rows
            if source is not self._order:
                return self._rows_filter(source, fields, hays, states)
            text_only = FilterSpec(text=spec.text)
            hits = compile_rows(text_only, self._now)(source, fields, hays, states)
            self._remember(self._text_hits, node, hits)
        if _is_plain_text(spec):
            return hits
        if len(source) < len(hits):
            return self._rows_filter(source, fields, hays, states)
        structured = compile_rows(spec.model_copy(update={"text": ""}), self._now)
        return structured(hits, fields, hays, states)

    # -- changes ------------------------------------------------------------------------

    def add_or_update(self, opportunities: Iterable[Opportunity]) -> None:
        """Merge one coalesced batch: new keys are inserted where the sort puts them (if
        they pass the filter), known keys are updated in place."""
        batch: dict[str, Opportunity] = {}
        for opportunity in opportunities:
            batch[opportunity.key] = opportunity  # the latest copy of a key wins
        new = [opp for key, opp in batch.items() if key not in self._index]
        updated = [(self._index[key], opp) for key, opp in batch.items() if key in self._index]
        if updated:
            self._update_rows(updated)
        if new:
            self._insert_new(new)
        self._emit_counts()

    def remove(self, keys: Iterable[str]) -> None:
        """Forget the rows of `keys` (unknown ones are ignored); shown rows leave `visible`.

        A removed row's records stay in the columns, unreachable, until the next load;
        its key, if it comes back, becomes a new row.
        """
        removed = {i for key in keys if (i := self._index.pop(key, None)) is not None}
        if not removed:
            return
        self._invalidate()
        positions = [self._find(self.visible, i) for i in removed]
        self._removed |= removed
        self._order = [i for i in self._order if i not in removed]
        shown = sorted((p for p in positions if p is not None), reverse=True)
        listener = self._listener
        if len(shown) > ROW_SIGNALS_LIMIT:
            listener.begin_reset()
            self.visible = [i for i in self.visible if i not in removed]
            listener.end_reset()
        else:
            # Each run of adjacent rows as one removal, the last run first so the
            # positions before it stay valid.
            while shown:
                last = first = shown.pop(0)
                while shown and shown[0] == first - 1:
                    first = shown.pop(0)
                listener.begin_remove(first, last)
                del self.visible[first : last + 1]
                listener.end_remove()
        self._emit_counts()

    def set_state(self, key: str, state: str) -> None:
        """Record the workflow state of one opportunity ("drafted", "submitted"...).

        "new" and "read" mean no draft or submission: the read flag is set to match.
        """
        i = self._index.get(key)
        if i is None:
            return

        def change() -> None:
            if state in ("new", "read"):
                self._workflow[i] = None
                self.read[i] = state == "read"
            else:
                self._workflow[i] = state
            self._restate(i)

        self._change_row(i, change)
        self._emit_counts()

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
        i = self._index.get(key)
        if i is None:
            return

        def change() -> None:
            if read is not None:
                self.read[i] = read
            if starred is not None:
                self.starred[i] = starred
            if archived is not None:
                self._fields[i] = _with_archived(self._fields[i], archived)
            self._restate(i)

        self._change_row(i, change)
        self._emit_counts()

    # -- internals: records ----------------------------------------------------------------

    def _clear(self) -> None:
        for values in (
            self.keys,
            self.records,
            self._hay,
            self._fields,
            self.states,
            self._fstate,
            self._workflow,
            self.read,
            self.starred,
            self._seq,
        ):
            values.clear()
        self._index = {}
        self._removed = set()
        self._min_seq = 0
        self._order = []
        self.visible = []
        self._invalidate()

    def _restate(self, i: int) -> None:
        flow = self._workflow[i]
        state = flow or ("read" if self.read[i] else "new")
        self.states[i] = state
        self._fstate[i] = filter_state(state, self._fields[i][ARCHIVED_FIELD])

    # -- internals: order --------------------------------------------------------------------

    def _sort_key_of(self, i: int) -> Any:
        if self._sort_column is None:
            return self._seq[i]
        return SORT_KEYS[self._sort_column](self.records[i], self.states[i])

    def _compute_sort_keys(self) -> list[Any]:
        if self._sort_column is None:
            return self._seq
        key = SORT_KEYS[self._sort_column]
        return [key(row, state) for row, state in zip(self.records, self.states, strict=True)]

    def _arrival_order(self) -> list[int]:
        """Every row by `_seq`: later batches first, then the rows loaded at start-up.

        Already in order (a linear pass for the sort) until rows arrive after the load.
        """
        rows: Iterable[int] = range(len(self.keys))
        if self._removed:
            rows = (i for i in rows if i not in self._removed)
        return sorted(rows, key=self._seq.__getitem__)

    def _sorted(self, indexes: list[int]) -> list[int]:
        """`indexes` (in arrival order) in the current total order; stable, None last."""
        if self._sort_column is None:
            return indexes
        return sorted_order(self._sort_keys, indexes, self._descending)

    def _before(self, j: int, i: int) -> bool:
        """Whether row j comes before row i in the current total order."""
        keys = self._sort_keys
        kj, ki = keys[j], keys[i]
        if kj == ki:
            return bool(self._seq[j] < self._seq[i])
        if kj is None:
            return False
        if ki is None:
            return True
        return bool(kj > ki) if self._descending else bool(kj < ki)

    def _position(self, order: list[int], i: int) -> int:
        """Where row i belongs in `order` (which is in the current total order)."""
        before = self._before
        lo, hi = 0, len(order)
        while lo < hi:
            mid = (lo + hi) // 2
            if before(order[mid], i):
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _find(self, order: list[int], i: int) -> int | None:
        position = self._position(order, i)
        return position if position < len(order) and order[position] == i else None

    def _in_place(self, order: list[int], position: int) -> bool:
        i = order[position]
        after_previous = position == 0 or self._before(order[position - 1], i)
        before_next = position + 1 == len(order) or self._before(i, order[position + 1])
        return after_previous and before_next

    def _merge(self, order: list[int], extra: list[int]) -> list[int]:
        """`order` with the rows of `extra` (both in the total order) merged in."""
        merged: list[int] = []
        start = 0
        for i in extra:
            position = self._position(order, i)
            merged.extend(order[start:position])
            merged.append(i)
            start = position
        merged.extend(order[start:])
        return merged

    # -- internals: filter ---------------------------------------------------------------

    def _compile(self, spec: FilterSpec) -> None:
        self._spec = spec
        self._now = datetime.fromtimestamp(self._clock(), UTC)
        self._rows_filter = compile_rows(spec, self._now)
        self._predicate = compile_fields(spec, self._now)

    def _passes(self, i: int) -> bool:
        return bool(self._predicate(self._fields[i], self._hay[i], self.states[i]))

    @staticmethod
    def _remember(cache: dict[Any, list[int]], key: Any, rows: list[int]) -> None:
        cache.pop(key, None)
        cache[key] = rows
        while len(cache) > _CACHE_SIZE:
            del cache[next(iter(cache))]

    def _invalidate(self) -> None:
        """Rows or their order changed: remembered scans no longer hold."""
        self._results.clear()
        self._text_hits.clear()

    def _emit_counts(self) -> None:
        counts = (len(self.visible), len(self._index))
        if counts != self._last_counts:
            self._last_counts = counts
            self._listener.counts(*counts)

    # -- internals: changing rows --------------------------------------------------------

    def _insert_new(self, opportunities: list[Opportunity]) -> None:
        self._invalidate()
        count = len(opportunities)
        first_seq = self._min_seq - count
        self._min_seq = first_seq
        added: list[int] = []
        for offset, opportunity in enumerate(opportunities):
            row, hay, fields = records_of(opportunity)
            i = len(self.keys)
            self._index[opportunity.key] = i
            self.keys.append(opportunity.key)
            self.records.append(row)
            self._hay.append(hay)
            self._fields.append(fields)
            self._workflow.append(None)
            self.read.append(False)
            self.starred.append(False)
            self.states.append("new")
            self._fstate.append("new")
            self._seq.append(first_seq + offset)  # the batch's first on top
            if self._sort_column is not None:
                self._sort_keys.append(self._sort_key_of(i))
            added.append(i)
        added = self._sorted(added)  # `added` is in arrival order already
        self._order = self._merge(self._order, added)
        passing = [i for i in added if self._passes(i)]
        if not passing:
            return
        positions = [self._position(self.visible, i) for i in passing]
        listener = self._listener
        if positions[0] == positions[-1]:
            # One block at one place: the usual case (newest first, or a single row).
            first = positions[0]
            listener.begin_insert(first, first + len(passing) - 1)
            self.visible[first:first] = passing
            listener.end_insert()
            return
        if len(passing) <= ROW_SIGNALS_LIMIT:
            # A few rows scattered by the sort (webhooks trickling into a table sorted by
            # posting time): one insert each, last position first so the earlier
            # positions stay valid. A layout change would make the view re-read every
            # persistent index and row for each of them.
            # (`passing` is in the total order: of two rows due at one position, the later
            # one goes in first.)
            for position, n in sorted(
                zip(positions, range(len(passing)), strict=True), reverse=True
            ):
                listener.begin_insert(position, position)
                self.visible.insert(position, passing[n])
                listener.end_insert()
            return
        # Many, scattered by the sort: append them as one block, then move them into place.
        end = len(self.visible)
        listener.begin_insert(end, end + len(passing) - 1)
        self.visible.extend(passing)
        listener.end_insert()
        listener.begin_layout()
        self.visible = self._merge(self.visible[:end], passing)
        listener.end_layout()

    def _update_rows(self, updated: list[tuple[int, Opportunity]]) -> None:
        self._invalidate()
        if len(updated) <= ROW_SIGNALS_LIMIT:
            for i, opportunity in updated:
                self._change_row(i, partial(self._replace, i, opportunity))
            return
        # Many at once: take them out of both orders, change them, merge back the ones that
        # pass; one reset for the view instead of a signal per row.
        rows = {i for i, _ in updated}
        self._listener.begin_reset()
        order = [i for i in self._order if i not in rows]
        visible = [i for i in self.visible if i not in rows]
        for i, opportunity in updated:
            self._replace(i, opportunity)
        changed = self._sorted(sorted(rows, key=self._seq.__getitem__))
        self._order = self._merge(order, changed)
        self.visible = self._merge(visible, [i for i in changed if self._passes(i)])
        self._listener.end_reset()

    def _replace(self, i: int, opportunity: Opportunity) -> None:
        """New content for row i; the user's marks and the workflow state stay."""
        row, hay, fields = records_of(opportunity)
        self.records[i] = row
        self._hay[i] = hay
        self._fields[i] = _with_archived(fields, self._fields[i][ARCHIVED_FIELD])
        if self._sort_column is not None:
            self._sort_keys[i] = self._sort_key_of(i)

    def _change_row(self, i: int, change: Callable[[], None]) -> None:
        """Apply `change` to row i, then move, remove, insert or repaint it as needed."""
        self._invalidate()
        old_position = self._find(self.visible, i)
        order_position = self._find(self._order, i)
        old_key = self._sort_keys[i]
        change()
        if self._sort_column is not None:
            new_key = self._sort_key_of(i)
            if new_key != old_key and order_position is not None:
                del self._order[order_position]
                self._sort_keys[i] = new_key
                self._order.insert(self._position(self._order, i), i)
            self._sort_keys[i] = new_key
        passes = self._passes(i)
        visible = self.visible
        listener = self._listener
        if old_position is None:
            if passes:
                position = self._position(visible, i)
                listener.begin_insert(position, position)
                visible.insert(position, i)
                listener.end_insert()
            return
        if not passes:
            listener.begin_remove(old_position, old_position)
            del visible[old_position]
            listener.end_remove()
            return
        if not self._in_place(visible, old_position):
            del visible[old_position]
            position = self._position(visible, i)
            visible.insert(old_position, i)
            # Qt counts the destination before the move.
            destination = position if position < old_position else position + 1
            listener.begin_move(old_position, destination)
            del visible[old_position]
            visible.insert(position, i)
            listener.end_move()
            old_position = position
        listener.changed(old_position)


def _with_archived(fields: Fields, archived: bool) -> Fields:
    return (*fields[:ARCHIVED_FIELD], archived)


def _is_plain_text(spec: FilterSpec) -> bool:
    """Whether `spec` is a text query and nothing else (archived rows hidden)."""
    return spec.model_copy(update={"text": ""}) == _EMPTY_SPEC


def _query_of(node: QueryNode) -> Query:
    """A Query for a remembered tree, to ask `narrows` (which reads only the tree)."""
    return Query(text="", node=node, predicate=_match_all)


def _match_all(_haystack: str) -> bool:
    return True


def _default_states(spec: FilterSpec) -> bool:
    """Whether `spec` tests the state as the empty spec does (hides archived rows)."""
    return not spec.states and not spec.include_archived


_EMPTY_SPEC = FilterSpec()

if TYPE_CHECKING:
    _IN_MEMORY: type[RowIndex] = InboxIndex  # mypy holds InboxIndex to the seam
