"""The inbox index without Qt: its change ranges, order and filter, as a view would see them.

`ShadowView` keeps its own list of keys from the `RowChanges` ranges alone (reading the
index only for the rows an insert announces, as a view does); after every change it must
equal the index's visible rows. The oracle for filtering is `FilterSpec.compile` on the
full `Opportunity` models; for order, the sort values themselves.
"""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.filters import ARCHIVED, FilterSpec, haystack
from app.domain.opportunity import ClientInfo, JobKind, Opportunity, Platform
from app.services import inbox_index
from app.services.inbox_index import ROW_SIGNALS_LIMIT, InboxIndex
from app.services.inbox_rows import Column
from app.store import Store

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WORDS = ["react", "node", "python", "django", "api", "mobile", "flutter", "figma"]


def clock() -> float:
    return NOW.timestamp()


def make_opportunity(n: int, **fields: object) -> Opportunity:
    rnd = random.Random(n)
    hourly = n % 3 == 1
    words = rnd.sample(WORDS, 4)
    base: dict[str, object] = {
        "platform": list(Platform)[n % 3],
        "external_id": f"job-{n:04d}",
        "title": " ".join(words[:3]).capitalize() + f" #{n}",
        "description": f"We need {words[0]} and {words[1]}.",
        "kind": JobKind.HOURLY if hourly else JobKind.FIXED,
        "budget": None if hourly or n % 11 == 0 else Decimal(rnd.choice([150, 1200, 12500])),
        "hourly_min": Decimal(rnd.choice([25, 40])) if hourly else None,
        "hourly_max": Decimal(rnd.choice([70, 120])) if hourly and n % 5 else None,
        "skills": tuple(w.capitalize() for w in words[2:]),
        "client": ClientInfo(
            country=("United States", "Germany", None)[n % 3],
            total_spent=None if n % 5 == 0 else Decimal(rnd.choice(["950.00", "12500.50"])),
            hire_rate=None if n % 8 == 0 else round(rnd.random(), 2),
        ),
        "match_score": None if n % 4 == 3 else round(rnd.uniform(0.3, 0.99), 2),
        "connects_price": None if n % 3 == 2 else rnd.choice([4, 8, 16]),
        "posted_at": None if n % 10 == 0 else NOW - timedelta(minutes=rnd.randint(1, 20_000)),
        "detected_at": NOW - timedelta(seconds=n),
    }
    base.update(fields)
    return Opportunity.model_validate(base)


class ShadowView:
    """What a view knows of the index: only what the change ranges told it."""

    def __init__(self) -> None:
        self.index: InboxIndex | None = None
        self.keys: list[str] = []
        self.pending: tuple[int, int] | None = None
        self.layout_keys: list[str] | None = None
        self.changed_keys: list[str] = []
        self.signals: list[str] = []
        self.last_counts: tuple[int, int] | None = None

    def _visible(self) -> list[str]:
        assert self.index is not None
        return [self.index.keys[i] for i in self.index.visible]

    def begin_reset(self) -> None:
        self.signals.append("reset")

    def end_reset(self) -> None:
        self.keys = self._visible()

    def begin_insert(self, first: int, last: int) -> None:
        assert 0 <= first <= len(self.keys) and first <= last
        assert self._visible() == self.keys  # nothing changed before the announcement
        self.pending = (first, last)
        self.signals.append("insert")

    def end_insert(self) -> None:
        assert self.pending is not None
        first, last = self.pending
        self.keys[first:first] = self._visible()[first : last + 1]
        self.pending = None

    def begin_remove(self, first: int, last: int) -> None:
        assert 0 <= first <= last < len(self.keys)
        self.pending = (first, last)
        self.signals.append("remove")

    def end_remove(self) -> None:
        assert self.pending is not None
        first, last = self.pending
        del self.keys[first : last + 1]
        self.pending = None

    def begin_move(self, source: int, destination: int) -> None:
        # Qt's convention: the destination counts positions before the move.
        assert 0 <= source < len(self.keys) and 0 <= destination <= len(self.keys)
        assert destination not in (source, source + 1)
        self.pending = (source, destination)
        self.signals.append("move")

    def end_move(self) -> None:
        assert self.pending is not None
        source, destination = self.pending
        key = self.keys.pop(source)
        self.keys.insert(destination if destination < source else destination - 1, key)
        self.pending = None

    def begin_layout(self) -> None:
        self.layout_keys = list(self.keys)
        self.signals.append("layout")

    def end_layout(self) -> None:
        assert self.layout_keys is not None
        now = self._visible()
        assert sorted(now) == sorted(self.layout_keys)  # a layout change only reorders
        self.keys = now
        self.layout_keys = None

    def changed(self, position: int) -> None:
        assert self.index is not None
        self.changed_keys.append(self.keys[position])
        assert self.keys[position] == self.index.key_at(position)

    def counts(self, visible: int, total: int) -> None:
        assert self.index is not None
        assert (visible, total) == (self.index.visible_count(), self.index.total_count())
        self.last_counts = (visible, total)


def watched(opportunities: list[Opportunity]) -> tuple[InboxIndex, ShadowView]:
    view = ShadowView()
    index = InboxIndex(view, clock=clock)
    view.index = index
    index.add_or_update(opportunities)
    return index, view


def visible_keys(index: InboxIndex) -> list[str]:
    return [index.key_at(position) or "" for position in range(index.visible_count())]


def assert_ordered(index: InboxIndex) -> None:
    column, descending = index.sort_state()
    if column is None:
        return
    values = [index.sort_value(i, column) for i in index.visible]
    # The index sorts titles and skills by a prefix of their bytes (rows alike that far
    # tie, then go by arrival): compared as it compares them.
    if column == Column.TITLE:
        values = [value.encode()[: inbox_index._TITLE_PREFIX] for value in values]
    elif column == Column.SKILLS:
        values = [(value or "").encode()[: inbox_index._SKILLS_PREFIX] or None for value in values]
    present = [value for value in values if value is not None]
    assert values == present + [None] * (len(values) - len(present))
    assert present == sorted(present, reverse=descending)


def test_the_index_imports_no_qt() -> None:
    code = (
        "import sys, app.services.inbox_index, app.domain.formatting;"
        "sys.exit(any(m.split('.')[0] in ('PySide6', 'shiboken6') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_a_load_is_one_reset_and_the_counts(store: Store) -> None:
    opportunities = [make_opportunity(n) for n in range(30)]
    store.opportunities.upsert_many(opportunities)
    store.opportunities.set_archived(opportunities[2].key, True)
    view = ShadowView()
    index = InboxIndex(view, clock=clock)
    view.index = index
    index.load_rows(store.opportunities.load_all_rows(), {opportunities[3].key: "drafted"})
    assert view.signals == ["reset"]
    assert view.keys == visible_keys(index)
    assert len(view.keys) == 29  # the archived row hidden
    assert view.last_counts == (29, 30)
    assert index.state_of(opportunities[3].key) == "drafted"
    assert index.position_of(opportunities[2].key) is None


def test_a_row_arriving_in_a_sorted_index_is_one_insert_at_its_place() -> None:
    index, view = watched([make_opportunity(n) for n in range(20)])
    index.sort(Column.SCORE, descending=True)
    view.signals.clear()
    index.add_or_update([make_opportunity(50, match_score=0.5)])
    assert view.signals == ["insert"]
    assert view.keys == visible_keys(index)
    assert_ordered(index)


def test_a_changed_sort_value_moves_the_row_and_repaints_it() -> None:
    index, view = watched([make_opportunity(n) for n in range(20)])
    index.sort(Column.SCORE, descending=False)
    top = index.key_at(0)
    assert top is not None
    view.signals.clear()
    moved = make_opportunity(int(top.rsplit("-", 1)[1]), match_score=0.999)
    assert moved.key == top
    index.add_or_update([moved])
    assert view.signals == ["move"]
    assert view.changed_keys == [top]
    scored = [i for i in index.visible if index.sort_value(i, Column.SCORE) is not None]
    assert index.position_of(top) == len(scored) - 1  # the other end now (None last)
    assert view.keys == visible_keys(index)


def test_archiving_removes_the_row_and_unarchiving_brings_it_back() -> None:
    index, view = watched([make_opportunity(n) for n in range(10)])
    key = make_opportunity(4).key
    position = index.position_of(key)
    assert position is not None
    view.signals.clear()
    index.set_flags(key, archived=True)
    assert view.signals == ["remove"]
    assert index.position_of(key) is None
    index.set_flags(key, archived=False)
    assert view.signals == ["remove", "insert"]
    assert index.position_of(key) == position
    assert view.keys == visible_keys(index)


def test_many_scattered_arrivals_are_one_insert_then_one_layout() -> None:
    index, view = watched([make_opportunity(n) for n in range(40)])
    index.sort(Column.POSTED, descending=True)
    view.signals.clear()
    index.add_or_update([make_opportunity(n) for n in range(100, 100 + ROW_SIGNALS_LIMIT + 5)])
    assert view.signals == ["insert", "layout"]
    assert view.keys == visible_keys(index)
    assert_ordered(index)


FILTERS = st.builds(
    FilterSpec,
    text=st.sampled_from(["", "r", "react", "react -node", "py", "python", "-figma"]),
    platforms=st.sampled_from([frozenset(), frozenset({Platform.GIGIAC})]),
    include_archived=st.booleans(),
)
OPERATIONS = st.lists(
    st.one_of(
        FILTERS.map(lambda spec: ("filter", spec)),
        st.tuples(st.just("archive"), st.integers(0, 29), st.booleans()),
        st.tuples(st.just("star"), st.integers(0, 29), st.booleans()),
        st.tuples(st.just("state"), st.integers(0, 29), st.sampled_from(["read", "drafted"])),
        st.tuples(st.just("add"), st.integers(0, 80), st.floats(0.0, 1.0)),
        st.tuples(st.just("sort"), st.sampled_from([-1, *Column]), st.booleans()),
        st.tuples(st.just("remove"), st.lists(st.integers(0, 80), max_size=40)),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=60, deadline=None, database=None)
@given(OPERATIONS)
def test_change_ranges_keep_a_view_in_step_and_filters_exact(
    operations: list[tuple[object, ...]],
) -> None:
    opportunities = {opp.key: opp for opp in (make_opportunity(n) for n in range(30))}
    index, view = watched(list(opportunities.values()))
    states = dict.fromkeys(opportunities, "new")
    archived: set[str] = set()
    for operation in operations:
        kind, *args = operation
        if kind == "filter":
            assert isinstance(args[0], FilterSpec)
            index.set_filter(args[0])
        elif kind == "add":  # new (n >= 30) or an update of a known key
            opp = make_opportunity(int(args[0]), match_score=round(float(args[1]), 3))  # type: ignore[call-overload]
            opportunities[opp.key] = opp
            states.setdefault(opp.key, "new")
            index.add_or_update([opp])
        elif kind == "sort":
            index.sort(int(args[0]), bool(args[1]))  # type: ignore[call-overload]
        elif kind == "remove":
            gone = {make_opportunity(n).key for n in args[0]}  # type: ignore[attr-defined]
            index.remove(gone)
            for key in gone:
                opportunities.pop(key, None)
                states.pop(key, None)
                archived.discard(key)
        else:
            key = make_opportunity(int(args[0])).key  # type: ignore[call-overload]
            # A row that is not there (removed) has no flags or state to change: one
            # added again later is a new row (found by hypothesis: remove, archive, add).
            there = key in opportunities
            if kind == "archive":
                index.set_flags(key, archived=bool(args[1]))
                if there:
                    (archived.add if args[1] else archived.discard)(key)
            elif kind == "star":
                index.set_flags(key, starred=bool(args[1]))
            else:
                index.set_state(key, str(args[1]))
                if there:
                    states[key] = str(args[1])
        assert view.keys == visible_keys(index)
        assert_ordered(index)
        predicate = index.spec().compile(NOW)
        seen = {key: ARCHIVED if key in archived else state for key, state in states.items()}
        expected = {
            key for key, opp in opportunities.items() if predicate(opp, haystack(opp), seen[key])
        }
        assert set(view.keys) == expected
        assert len(view.keys) == len(expected)
        assert index.total_count() == len(opportunities)


@pytest.mark.parametrize("column", list(Column))
def test_arrival_breaks_every_tie_in_both_directions(column: Column) -> None:
    same = [make_opportunity(n, match_score=0.5, connects_price=8) for n in range(6)]
    index, _view = watched(same)
    arrival = visible_keys(index)
    for descending in (False, True):
        index.sort(column, descending)
        assert_ordered(index)
        values = [index.sort_value(i, column) for i in index.visible]
        for a, b, key_a, key_b in zip(
            values, values[1:], visible_keys(index), visible_keys(index)[1:], strict=False
        ):
            if a == b:
                assert arrival.index(key_a) < arrival.index(key_b)


def test_removed_rows_leave_in_runs_and_a_returning_key_is_a_new_row() -> None:
    index, view = watched([make_opportunity(n) for n in range(12)])
    keys = visible_keys(index)
    view.signals.clear()
    index.remove([keys[3], keys[4], keys[5], keys[9], "gigiac:unknown"])
    assert view.signals == ["remove", "remove"]  # one per run of adjacent rows
    assert view.keys == [key for n, key in enumerate(keys) if n not in (3, 4, 5, 9)]
    assert view.last_counts == (8, 8)
    assert index.position_of(keys[4]) is None
    assert index.state_of(keys[4]) is None
    index.sort(Column.TITLE, descending=False)  # a new order never brings them back
    assert sorted(view.keys) == sorted(key for n, key in enumerate(keys) if n not in (3, 4, 5, 9))
    returning = next(opp for opp in map(make_opportunity, range(12)) if opp.key == keys[4])
    index.add_or_update([returning])
    assert index.total_count() == 9
    assert index.state_of(keys[4]) == "new"
    assert view.keys == visible_keys(index)


def test_removing_many_shown_rows_is_one_reset() -> None:
    index, view = watched([make_opportunity(n) for n in range(2 * ROW_SIGNALS_LIMIT + 4)])
    keys = visible_keys(index)
    view.signals.clear()
    index.remove(keys[::2][: ROW_SIGNALS_LIMIT + 1])
    assert view.signals == ["reset"]
    assert view.keys == visible_keys(index)
    assert index.total_count() == len(keys) - (ROW_SIGNALS_LIMIT + 1)


def test_arrivals_keep_the_page_cache_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # A session of arrivals: each new row's display record enters the page cache, and
    # rows found there never trim it; the cache must stay a cache all the same.
    monkeypatch.setattr(inbox_index, "_PAGE_CACHE", 300)  # above a page read around a row
    index, view = watched([make_opportunity(n) for n in range(10)])
    for first in range(100, 900, 50):
        index.add_or_update([make_opportunity(n) for n in range(first, first + 50)])
        assert index.cached_records() <= 300
    assert index.total_count() == 810
    assert view.keys == visible_keys(index)  # rows beyond the cache are read again


def test_orders_nobody_shows_do_not_gather_every_arrival() -> None:
    # Every column's order is kept (the load computes them all) but only the one shown
    # re-places arrivals at once; the others must not keep a set of every new row.
    index, view = watched([make_opportunity(n) for n in range(20)])
    data = index.data
    for column in Column:
        data.perm(column)
    for first in range(100, 1_400, 100):
        index.add_or_update([make_opportunity(n) for n in range(first, first + 100)])
    limit = max(1_000, data.n // 50)
    assert all(len(rows) <= limit for rows in data.stale.values())
    for column in (Column.SCORE, Column.POSTED):  # a dropped order comes back whole
        for descending in (False, True):
            index.sort(column, descending)
            assert_ordered(index)
            assert view.keys == visible_keys(index)
            assert len(view.keys) == 1_320


def test_an_arrival_is_prepared_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Preparing a row twice made two haystacks of it: one in the page cache, one in the
    # text overlay (~0.6 KB a row for the session's length), and twice the work.
    calls: list[str] = []
    made = inbox_index.records_of

    def counted(opportunity: Opportunity) -> object:
        calls.append(opportunity.key)
        return made(opportunity)

    monkeypatch.setattr(inbox_index, "records_of", counted)
    index, view = watched([make_opportunity(n) for n in range(5)])
    assert len(calls) == 5
    index.add_or_update([make_opportunity(n) for n in range(3, 8)])  # 2 known, 3 new
    assert len(calls) == 10
    assert index.total_count() == 8
    assert view.keys == visible_keys(index)


BATCHES = st.lists(
    st.one_of(
        st.tuples(
            st.just("add"),
            st.lists(st.tuples(st.integers(0, 300), st.floats(0.0, 1.0)), min_size=1, max_size=12),
        ),
        st.tuples(st.just("star"), st.integers(0, 199), st.booleans()),
        st.tuples(st.just("state"), st.integers(0, 199), st.sampled_from(["read", "drafted"])),
        st.tuples(st.just("archive"), st.integers(0, 199), st.booleans()),
        st.tuples(st.just("remove"), st.lists(st.integers(0, 300), max_size=6)),
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=40, deadline=None, database=None)
@given(
    st.sampled_from([-1, *Column]),
    st.booleans(),
    st.sampled_from(
        [FilterSpec(), FilterSpec(text="react"), FilterSpec(platforms=frozenset({Platform.GIGIAC}))]
    ),
    BATCHES,
)
def test_rows_placed_one_by_one_are_where_the_whole_order_puts_them(
    column: int, descending: bool, spec: FilterSpec, operations: list[tuple[object, ...]]
) -> None:
    """Few changed rows among many are placed by binary search into the shown rows; the
    result must be exactly the order and the rows computed from scratch, ties included,
    and a view kept by the announced ranges alone must agree."""
    index, view = watched([make_opportunity(n) for n in range(200)])
    index.sort(column, descending)
    index.set_filter(spec)
    for operation in operations:
        kind, *args = operation
        if kind == "add":
            batch = [
                make_opportunity(n, match_score=round(score, 1))  # ties on purpose
                for n, score in args[0]  # type: ignore[attr-defined]
            ]
            index.add_or_update(batch)
        elif kind == "remove":
            index.remove({make_opportunity(n).key for n in args[0]})  # type: ignore[attr-defined]
        elif kind == "state":
            index.set_state(make_opportunity(int(args[0])).key, str(args[1]))  # type: ignore[call-overload]
        else:
            flag = {"star": "starred", "archive": "archived"}[str(kind)]
            index.set_flags(make_opportunity(int(args[0])).key, **{flag: bool(args[1])})  # type: ignore[call-overload, arg-type]
        data = index.data
        mask = inbox_index._filter_mask(data, index.spec(), datetime.fromtimestamp(clock(), UTC))
        whole = inbox_index._ordered(data, mask, *index.sort_state())
        assert index.visible.tolist() == whole.tolist()
        assert view.keys == visible_keys(index)


def test_a_few_arrivals_in_a_large_inbox_do_not_recompute_the_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Arrivals into a big sorted inbox are placed, not re-sorted: the whole-table order
    (a pass over every row per batch) is not computed, and each run is one insert."""
    index, view = watched([make_opportunity(n) for n in range(600)])
    index.sort(Column.POSTED, descending=True)
    calls: list[int] = []
    monkeypatch.setattr(inbox_index, "_ordered", lambda *a: calls.append(1) or [])
    view.signals.clear()
    index.add_or_update([make_opportunity(n) for n in range(1000, 1005)])
    assert calls == []
    assert set(view.signals) == {"insert"}
    assert view.keys == visible_keys(index)
    assert_ordered(index)


def test_rows_positions_are_made_without_a_second_array_of_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The positions of every row (4 MB at 1M rows) are made at the first paint after a
    # load, on top of the load's memory: the window's peak. A temporary array of all the
    # positions beside them was another 4 MB of that peak.
    import tracemalloc

    monkeypatch.setattr(inbox_index, "_POSITIONS_PART", 256)
    n = 4_000
    index, _view = watched([make_opportunity(k) for k in range(n)])
    index.sort(Column.SCORE, descending=True)  # positions that are not the ids
    visible = index.visible.tolist()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        found = [index.position_of_id(i) for i in visible[:1]]
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert found == [0]
    assert peak < n * 4 * 1.5, peak  # the int32 positions, and no second copy
    assert [index.position_of_id(i) for i in visible] == list(range(len(visible)))
