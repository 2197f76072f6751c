"""The index's orders against a plain Python sort: (missing last, key, then arrival).

`_full_order` and `_descending` take shortcuts to keep their scratch small at a million
rows (no copy of a column when every row is alive and present, int32 positions, the
groups of equal keys found a slice at a time): the oracle is `sorted` over the same rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from app.services.inbox_index import InboxIndex, _descending, _full_order, build_index
from app.services.inbox_rows import Column
from app.services.inbox_source import StoreSource
from app.store import Store
from tests.helpers.profiles import examples
from tests.services.test_inbox_index import assert_ordered, make_opportunity, visible_keys

CHEAP = {Column.PLATFORM, Column.KIND, Column.CONNECTS, Column.STATE}


def reference(
    key: NDArray[Any],
    missing: NDArray[np.bool_],
    seq: NDArray[np.int32],
    alive: NDArray[np.bool_],
    descending: bool,
) -> list[int]:
    """Live rows by key (None last either way), ties in arrival order (`seq`)."""
    live = [i for i in range(len(key)) if alive[i]]
    present = [i for i in live if not missing[i]]
    absent = sorted((i for i in live if missing[i]), key=lambda i: seq[i])
    by_arrival = sorted(present, key=lambda i: seq[i])
    # Stable: equal keys keep arrival order in both directions.
    ordered = sorted(by_arrival, key=lambda i: key[i].item(), reverse=descending)
    return ordered + absent


KEYS = st.sampled_from(["float", "small", "wide", "bytes"])


def keys_of(kind: str, values: list[int]) -> tuple[NDArray[Any], NDArray[np.bool_]]:
    raw = np.array(values, dtype=np.int64)
    if kind == "float":
        key = raw.astype(np.float64) / 4
        key[raw % 5 == 0] = np.nan
        return key, np.isnan(key)
    if kind == "small":  # a range numpy sorts by radix
        return raw % 7, raw % 6 == 0
    if kind == "wide":  # beyond int16, and negative
        key = raw * 1_000_003 - 5_000_000
        return key, raw % 6 == 0
    key = np.array([str(v % 9).encode() * (v % 3) for v in values], dtype="S4")
    return key, key == b""


@settings(database=None, deadline=None, max_examples=examples(200))
@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=60),
    KEYS,
    st.data(),
)
def test_orders_are_the_plain_sort(values: list[int], kind: str, data: st.DataObject) -> None:
    n = len(values)
    key, missing = keys_of(kind, values)
    alive = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    if data.draw(st.booleans()):
        alive[:] = True  # the load's case: nothing removed
    late = data.draw(st.booleans())  # rows arrived after the load: seq is not the id order
    seq = (
        np.array(data.draw(st.permutations(range(n))), dtype=np.int32) - n
        if late
        else np.arange(n, dtype=np.int32)
    )
    ascending = _full_order(key, missing, seq, alive, late)
    assert ascending.tolist() == reference(key, missing, seq, alive, False)
    descending = _descending(ascending, key, missing)
    assert descending.tolist() == reference(key, missing, seq, alive, True)


def test_groups_of_equal_keys_across_the_slices_of_the_descending_order() -> None:
    """`_descending` compares neighbours 65,536 at a time: a group of equal keys that
    straddles two slices is still one group."""
    n = 140_000
    rng = np.random.default_rng(5)
    key = np.sort(rng.integers(0, 40, n))  # long runs, some across 65,536 and 131,072
    key[[65_535, 65_536, 65_537]] = key[65_535]
    missing = np.zeros(n, dtype=bool)
    missing[rng.integers(0, n, 50)] = True
    seq = np.arange(n, dtype=np.int32)
    alive = np.ones(n, dtype=bool)
    ascending = _full_order(key, missing, seq, alive, False)
    present = ascending[~missing[ascending]]
    assert np.all(np.diff(key[present]) >= 0)
    descending = _descending(ascending, key, missing)
    assert descending.tolist() == reference(key, missing, seq, alive, True)


def test_a_load_makes_only_the_orders_that_take_a_full_sort(store: Store) -> None:
    store.opportunities.upsert_many([make_opportunity(n) for n in range(30)])
    source = StoreSource(store.opportunities)
    data = build_index(source, source.load_slices(), {}, all_orders=True)
    assert set(data.perms) == set(Column) - CHEAP
    assert all(data.cheap_order(column) for column in CHEAP)


def test_no_order_of_a_few_codes_is_kept_and_only_the_descending_order_shown() -> None:
    """A column of a few codes is sorted when asked for, the filter's rows only (one
    radix sort, ~10 ms at a million rows), and a descending order is made again from the
    ascending one and its groups: neither is worth keeping for a column not shown (4 MB
    each at a million rows)."""
    index = InboxIndex()
    index.add_or_update([make_opportunity(n) for n in range(40)])
    arrival = visible_keys(index)
    data = index.data
    for column in (Column.PLATFORM, Column.KIND, Column.SCORE, Column.POSTED, Column.STATE):
        for descending in (False, True):
            index.sort(column, descending)
            assert_ordered(index)
            assert not [c for c in data.perms if c in CHEAP]
            assert len(data.descending_perms) == int(descending and column not in CHEAP)
    assert {Column.SCORE, Column.POSTED} <= set(data.perms)
    index.sort(-1, False)
    assert visible_keys(index) == arrival


def test_a_load_prepared_in_parts_is_the_load_in_one(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`build_index` prepares each slice of the source a part at a time (the peak memory
    of a load): every column, order and word is as if prepared at once."""
    from app.services import inbox_index

    store.opportunities.upsert_many([make_opportunity(n) for n in range(30)])
    source = StoreSource(store.opportunities)
    whole = build_index(source, source.load_slices(), {}, all_orders=True)
    monkeypatch.setattr(inbox_index, "_PART_ROWS", 7)
    parts = build_index(source, source.load_slices(size=12), {}, all_orders=True)
    assert parts.n == whole.n == 30
    for name in whole.cols:
        nan = whole.col(name).dtype.kind == "f"
        assert np.array_equal(parts.col(name), whole.col(name), equal_nan=nan), name
    assert set(parts.perms) == set(whole.perms)
    for column, order in whole.perms.items():
        assert np.array_equal(parts.perms[column], order), column
    for word in ("react", "python", "figma", "we"):
        assert parts.text.term(word) == whole.text.term(word), word
