"""Every column's order, both ways, ties included, against a plain Python sort.

The index sorts a million rows by shortcuts: kept ascending orders, descending ones made
by reversing the groups of equal keys found in them (`_Groups`, as slices or one
scatter), columns of a few codes by one radix sort either way (`code_order`), and the
rows that arrived since the load put first without sorting every row (`_by_arrival`).
Here an inbox that was loaded, then received arrivals, updates, removals and state
changes, is sorted by every column both ways, with and without a filter, and the rows
shown must be `sorted_order` (app/services/inbox_rows.py) over the sort values in
arrival order: the oracle knows nothing of the shortcuts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.domain.filters import FilterSpec
from app.domain.opportunity import Opportunity, Platform
from app.services import inbox_index
from app.services.inbox_index import InboxIndex, build_index
from app.services.inbox_rows import Column, sorted_order
from app.services.inbox_source import StoreSource
from app.store import Store
from tests.services.test_inbox_index import clock, make_opportunity, visible_keys

SPECS = [FilterSpec(), FilterSpec(text="react"), FilterSpec(include_archived=True)]


def sort_value(index: InboxIndex, key: str, column: Column) -> Any:
    """The value the index sorts `key` by: the sort value, cut where the index cuts it
    (titles and skills are kept as prefixes of their bytes; rows alike that far tie)."""
    i = index.id_of(key)
    assert i is not None
    value = index.sort_value(i, column)
    if column == Column.TITLE:
        return value.encode()[: inbox_index._TITLE_PREFIX]
    if column == Column.SKILLS:
        return (value or "").encode()[: inbox_index._SKILLS_PREFIX] or None
    return value


def expected(index: InboxIndex, arrival: list[str], column: Column, descending: bool) -> list[str]:
    shown = set(visible_keys(index))
    keys = [key for key in arrival if key in shown]
    values = [sort_value(index, key, column) for key in keys]
    return [keys[i] for i in sorted_order(values, list(range(len(keys))), descending)]


def alike(n: int, **fields: object) -> Opportunity:
    """Rows with many ties: few scores, Connects prices and titles, some missing."""
    ties: dict[str, object] = {
        "match_score": (None, 0.5, 0.75, 0.5)[n % 4],
        "connects_price": (None, 4, 8, 0, 16, 4)[n % 6],  # 0: the lowest, as a missing one
        "title": ("Same title for a start", "Another", "Same title for a start, longer")[n % 3]
        + ("" if n % 2 else f" {n}"),
    }
    ties.update(fields)
    return make_opportunity(n, **ties)


@pytest.mark.parametrize("sliced", [0, 4096], ids=["scatter,radix", "slices,passes"])
@pytest.mark.parametrize("bits_from", [1, 10**9], ids=["starts", "bits"])
def test_every_column_both_ways_is_the_plain_sort(
    store: Store, monkeypatch: pytest.MonkeyPatch, sliced: int, bits_from: int
) -> None:
    monkeypatch.setattr(inbox_index, "_SLICED_GROUPS", sliced)
    monkeypatch.setattr(inbox_index, "_CODE_PASSES", 8 if sliced else 0)
    monkeypatch.setattr(inbox_index, "_BITS_FROM", bits_from)
    # Whole orders of small ranks made in parts of 16 rows, or in one (`_stable_order32`).
    monkeypatch.setattr(inbox_index, "_ORDER_PART", 16 if sliced else 1 << 20)
    store.opportunities.upsert_many([alike(n) for n in range(120)])
    source = StoreSource(store.opportunities)
    index = InboxIndex(clock=clock, source=source)
    index.adopt(build_index(source, source.load_slices(size=50), {}, all_orders=True))
    index.sort(-1, False)
    index.set_filter(FilterSpec(include_archived=True))
    arrival = visible_keys(index)  # the load's order
    index.set_filter(FilterSpec())

    def check(phase: str) -> None:
        for spec in SPECS:
            index.set_filter(spec)
            for column in Column:
                for descending in (False, True):
                    index.sort(column, descending)
                    assert visible_keys(index) == expected(index, arrival, column, descending), (
                        phase,
                        spec,
                        column.name,
                        descending,
                    )
                    index.sort(-1, False)
                    assert visible_keys(index) == [
                        k for k in arrival if k in set(visible_keys(index))
                    ]

    check("loaded")
    # Arrivals after the load come first, the later batch before the earlier, each batch
    # in its own order (`seq` below the load's); updates of known rows keep their place
    # in arrival but change their values (the kept orders re-place them).
    for batch in ([alike(n) for n in range(200, 206)], [alike(n) for n in range(206, 209)]):
        store.opportunities.upsert_many(batch)
        index.add_or_update(batch)
        arrival = [o.key for o in batch] + arrival
    changed = [alike(n, match_score=0.75, connects_price=None) for n in (3, 5, 8)]
    changed += [alike(4, connects_price=99), alike(209, connects_price=2)]  # a wider range
    store.opportunities.upsert_many(changed)
    index.add_or_update(changed)
    arrival = [alike(209).key, *arrival]
    gone = [alike(n).key for n in (0, 7, 201)]
    index.remove(gone)
    arrival = [key for key in arrival if key not in gone]
    index.set_state(alike(10).key, "drafted")
    index.set_state(alike(11).key, "submitted")
    index.set_flags(alike(12).key, archived=True)
    for n in (13, 14, 15):
        index.set_flags(alike(n).key, read=True)
    check("changed")
    # Known rows only: the bounds of the Connects prices are widened by them, not read
    # again (no row was added).
    wider = [alike(16, connects_price=120), alike(17, connects_price=1)]
    store.opportunities.upsert_many(wider)
    index.add_or_update(wider)
    check("updated")


def test_an_arrival_between_two_sorts_keeps_the_descending_order_exact(
    store: Store,
) -> None:
    """The groups of a kept order belong to that order: an arrival re-places rows in it,
    and the descending order after is made from the new order's groups, not the old."""
    store.opportunities.upsert_many([alike(n) for n in range(60)])
    source = StoreSource(store.opportunities)
    index = InboxIndex(clock=clock, source=source)
    index.adopt(build_index(source, source.load_slices(), {}, all_orders=True))
    index.sort(-1, False)
    arrival = visible_keys(index)
    for column in (Column.SCORE, Column.TITLE):
        index.sort(column, True)
        late = alike(500 + column)
        store.opportunities.upsert_many([late])
        index.add_or_update([late])
        arrival = [late.key, *arrival]
        index.sort(column, False)
        index.sort(column, True)
        assert visible_keys(index) == expected(index, arrival, column, True)


@pytest.mark.parametrize("probes", [1, 3, 64])
def test_arrivals_while_sorted_are_placed_where_the_sort_puts_them(
    store: Store, monkeypatch: pytest.MonkeyPatch, probes: int
) -> None:
    """A few rows arriving while the table is sorted are placed among the rows shown by a
    search that reads `_PROBES` keys a round (`_insertion_points`), after asking the two
    ends: they land first, last, between two rows, among ties and among missing values
    exactly where a whole sort puts them, in every column both ways, with a filter too."""
    monkeypatch.setattr(inbox_index, "_PROBES", probes)
    store.opportunities.upsert_many([alike(n) for n in range(150)])
    source = StoreSource(store.opportunities)
    index = InboxIndex(clock=clock, source=source)
    index.adopt(build_index(source, source.load_slices(size=40), {}, all_orders=True))
    index.sort(-1, False)
    arrival = visible_keys(index)
    n = 1_000
    for spec in (FilterSpec(), FilterSpec(text="react")):
        index.set_filter(spec)
        for column in Column:
            for descending in (False, True):
                index.sort(column, descending)
                before = visible_keys(index)
                batch = [
                    alike(n),
                    # Past every title shown either way (earlier arrivals included).
                    alike(n + 1, match_score=0.99, connects_price=1, title=f"aaa {9_999 - n}"),
                    alike(n + 2, match_score=0.01, connects_price=90, title=f"zzz {n}"),
                ]
                n += len(batch)
                store.opportunities.upsert_many(batch)
                index.add_or_update(batch)
                arrival = [o.key for o in batch] + arrival
                want = expected(index, arrival, column, descending)
                assert visible_keys(index) == want, (spec, column.name, descending)
                # Placed, not sorted again: the rows shown before kept their order.
                assert [k for k in want if k in set(before)] == before


@pytest.mark.parametrize("part", [1, 5, 64, 1 << 20])
def test_an_order_of_small_ranks_made_in_parts_is_the_stable_sort(
    monkeypatch: pytest.MonkeyPatch, part: int
) -> None:
    """`_stable_order32` places each part's rows after the earlier parts' rows of the same
    rank: the order is numpy's stable argsort, as int32 (4 bytes a row, not 8)."""
    monkeypatch.setattr(inbox_index, "_ORDER_PART", part)
    rng = np.random.default_rng(7)
    for size, n in ((1, 40), (3, 200), (50, 1_000), (30_000, 2_000)):
        ranks = rng.integers(0, size, n).astype(np.int16)
        order = inbox_index._stable_order32(ranks, size)
        assert order.dtype == np.int32
        assert order.tolist() == np.argsort(ranks, kind="stable").tolist()


def test_arrival_order_puts_later_rows_first_without_sorting_the_load() -> None:
    """`_by_arrival`: rows of the load keep their ids' order; later rows (negative seq,
    lower the later) go first, sorted among themselves."""
    seq = np.array([0, 1, 2, 3, -2, -1, -4, -3], dtype=np.int32)
    ids = np.arange(8, dtype=np.int32)
    assert inbox_index._by_arrival(ids, seq).tolist() == [6, 7, 4, 5, 0, 1, 2, 3]
    assert inbox_index._by_arrival(ids[:4], seq).tolist() == [0, 1, 2, 3]


def test_positions_searched_after_a_sort_are_the_table_s(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a change of order the first rows asked for are searched for in the rows
    shown (the selection kept across a sort), the rest read from the positions' table
    made then: both give every row's place, and None for a row not shown."""
    monkeypatch.setattr(inbox_index, "_SEARCHES", 3)
    index = InboxIndex(clock=clock)
    index.add_or_update([alike(n) for n in range(40)])
    index.set_filter(FilterSpec(text="react"))
    index.sort(Column.TITLE, True)
    shown = index.visible.tolist()
    for i in range(index.data.n + 2):
        expected_at = shown.index(i) if i in shown else None
        assert index.position_of_id(i) == expected_at, i
    assert index._positions is not None  # past the searches, the table
    index.sort(Column.SCORE, False)
    assert index._positions is None
    assert index.position_of_id(int(index.visible[-1])) == len(index.visible) - 1
    assert index._positions is None  # one search, no table


def cipher(job: int) -> str:
    return f"~01job{job:08d}"


def sources(job: int, platforms: list[Platform], first: int) -> list[Opportunity]:
    """Further sources of the Upwork job `job` (its row: `alike(job)`, which names it):
    opportunities `first`, `first + 1`... of `platforms`, each merged into the job's row
    by the store. Their own fields differ from the row's: only the row's are shown."""
    return [
        alike(first + k, platform=platform, upwork_job_id=cipher(job))
        for k, platform in enumerate(platforms)
    ]


def job(n: int) -> Opportunity:
    """`alike(n)`, a job on Upwork that further sources may join."""
    return alike(n, upwork_job_id=cipher(n))


def ingest(store: Store, index: InboxIndex, batch: list[Opportunity]) -> list[str]:
    """Store `batch` and hand the index the jobs it touched as the inbox service does
    (`InboxService._store_batch`): each job as it shows, with all its sources. Returns
    the keys of the jobs new to the inbox, in the batch's order."""
    result = store.opportunities.upsert_many(batch)
    touched = dict.fromkeys(result.job_of(o.key) for o in batch)
    views = store.opportunities.jobs_of(touched)
    index.add_or_update(views[key] for key in touched if key in views)
    return [key for key in touched if key in result.new]


GR, UH, GG = Platform.GIGRADAR, Platform.UPHUNT, Platform.GIGIAC


@pytest.mark.parametrize("passes", [0, 64], ids=["radix", "passes"])
def test_the_platform_column_sorts_by_the_sources_it_shows(
    store: Store, monkeypatch: pytest.MonkeyPatch, passes: int
) -> None:
    """A job several platforms found shows its sources' line ("GigRadar ×2 · UpHunt"),
    and sorts by that line, not by the platform of its own row: after the load, after
    jobs of several sources arrive, and after a new source joins a known job (its line
    changes, so it moves). The Platform facet still matches any of a job's sources."""
    monkeypatch.setattr(inbox_index, "_CODE_PASSES", passes)
    extra = {  # job -> the platforms of its further sources
        n: [[GR], [UH], [GR, GR], [GG, UH], [], [UH, UH, GR]][n % 6] for n in range(48)
    }
    batch = [job(n) for n in range(48)]
    for n, platforms in extra.items():
        batch += sources(n, platforms, 1_000 + 10 * n)
    store.opportunities.upsert_many(batch)
    source = StoreSource(store.opportunities)
    index = InboxIndex(clock=clock, source=source)
    index.adopt(build_index(source, source.load_slices(size=20), {}, all_orders=True))
    index.sort(-1, False)
    arrival = visible_keys(index)
    assert len(arrival) == 48  # one row per job

    def check(phase: str) -> None:
        labels = {index.sort_value(index.id_of(k) or 0, Column.PLATFORM) for k in arrival}
        # Several sources: a Gigiac row that sorts among GigRadar's, an UpHunt one too.
        assert {"gigradar · uphunt · gigiac", "gigradar ×2", "uphunt ×2"} <= labels
        for spec in (FilterSpec(), FilterSpec(text="react")):
            index.set_filter(spec)
            for descending in (False, True):
                index.sort(Column.PLATFORM, descending)
                assert visible_keys(index) == expected(
                    index, arrival, Column.PLATFORM, descending
                ), (phase, spec, descending)
                index.sort(-1, False)
        # Filtering is by any source, as before: not by the line.
        index.set_filter(FilterSpec(platforms=frozenset({GG})))
        gigiac = set(visible_keys(index))
        index.set_filter(FilterSpec())
        with_gigiac = {
            o.key for o in store.opportunities.jobs_of(arrival).values() if GG in o.source_platforms
        }
        assert gigiac == with_gigiac, phase

    check("loaded")
    # New jobs of several sources, and sources joining known jobs, some while sorted.
    for step, descending in enumerate((False, True, None)):
        if descending is not None:
            index.sort(Column.PLATFORM, descending)
        first = 100 + 10 * step
        batch = [job(first), *sources(first, [GR, UH], 2_000 + 10 * first), job(first + 1)]
        batch += sources(first + 1, [GG], 2_000 + 10 * first + 5)
        # A known job's line changes: "Gigiac" -> "Gigiac · UpHunt" -> "GigRadar · ..."
        batch += sources(2, [[UH], [GR], [GR, GR]][step], 3_000 + 10 * step)
        batch += sources(4 + step, [GG], 3_100 + 10 * step)
        arrival = ingest(store, index, batch) + arrival
        if descending is not None:
            assert visible_keys(index) == expected(index, arrival, Column.PLATFORM, descending)
        index.sort(-1, False)
        check(f"arrivals {step}")
    # A source joins a job that arrived after the load.
    assert ingest(store, index, sources(110, [GR, GG], 4_000)) == []
    check("joined late")


def test_many_distinct_sources_lines_widen_their_code_column() -> None:
    """One code a row (a uint8) for the distinct lines of a job's sources: past 256 of
    them the column is widened, and the order stays the lines' (as text: "×10" before
    "×2")."""
    index = InboxIndex(clock=clock)
    assert index.data.cols["label"].dtype == np.uint8
    found = tuple(alike(5_000 + k, platform=GR).own_source for k in range(300))
    index.add_or_update(
        [alike(n).model_copy(update={"sources": found[: n + 1]}) for n in range(300)]
    )
    assert index.data.cols["label"].dtype == np.uint16
    arrival = visible_keys(index)
    for descending in (False, True):
        index.sort(Column.PLATFORM, descending)
        assert visible_keys(index) == expected(index, arrival, Column.PLATFORM, descending)
    # Descending, first: "GigRadar ×99" (a Gigiac row), the last line as text.
    assert index.key_at(0) == alike(98).key


def test_rows_re_placed_in_an_order_where_every_key_is_missing() -> None:
    """A kept order with no key in it (no row has a match score) has no groups: rows
    re-placed in it (a state set while sorted) regroup it without failing, and the
    descending order is still the arrival's (found by the filter oracle's hypothesis)."""
    index = InboxIndex(clock=clock)
    rows = [alike(n, match_score=None) for n in range(3)]
    index.add_or_update(rows)
    arrival = visible_keys(index)
    index.sort(Column.SCORE, True)
    for row in rows:
        index.set_state(row.key, "new")
    index.set_filter(FilterSpec(states=frozenset({"new"})))  # the kept order, re-placed
    assert visible_keys(index) == arrival
    index.add_or_update([alike(9, match_score=0.5)])  # a first key among the missing
    assert visible_keys(index) == [alike(9).key, *arrival]
