"""The index's narrow integer columns stay exact: money past int32 cents ($21.4M), counts
past int16, values at the types' edges, and negative ones (the domain allows them).

Money and counts start in int32 and int16 columns and are widened when a value does not
fit (`IndexData._put_ints`); these tests give the index such values in bulk, one by one
and as updates, and compare what it shows and how it sorts with the reference filter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.filters import MAX_COUNT, FilterSpec, haystack
from app.domain.opportunity import JobKind, Opportunity
from app.services.inbox_rows import Column
from tests.domain.test_filter_rows import opportunities
from tests.helpers.profiles import examples
from tests.services.test_inbox_index import assert_ordered, make_opportunity, visible_keys
from tests.services.test_inbox_index_oracle import bulk_index

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

_EDGES = [2**15, 2**31, 2**63]
# Cents around the edges of int16, int32 and int64 (less one: the store's own range).
CENTS = (
    st.none()
    | st.sampled_from(
        [v + d for e in _EDGES[:2] for v in (e, -e) for d in (-1, 0, 1)] + [2**63 - 1, -(2**63) + 1]
    )
    | st.integers(-(2**40), 2**40)
)
COUNTS = (
    st.none()
    | st.sampled_from([v + d for e in _EDGES[:2] for v in (e, -e) for d in (-1, 0, 1)])
    | st.integers(-(2**33), 2**33)
)


def _money(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents).scaleb(-2)


@st.composite
def wide_opportunities(draw: st.DrawFn) -> Opportunity:
    """A random job whose money and counts may not fit the narrow columns."""
    opp = draw(opportunities())
    if draw(st.booleans()):
        return opp  # most rows of a real inbox fit: the columns must widen for the rest
    client = opp.client.model_copy(
        update={
            "total_spent": _money(draw(CENTS)),
            "avg_hourly_rate": _money(draw(CENTS)),
            "total_hires": draw(COUNTS),
        }
    )
    competition = opp.competition.model_copy(update={"proposals": draw(COUNTS)})
    return opp.model_copy(
        update={
            "budget": _money(draw(CENTS)),
            "hourly_min": _money(draw(CENTS)),
            "hourly_max": _money(draw(CENTS)),
            "client": client,
            "competition": competition,
            "connects_price": draw(COUNTS),
        }
    )


BOUND = st.none() | st.integers(0, 2**41).map(lambda cents: Decimal(cents).scaleb(-2))
COUNT_BOUND = st.none() | st.integers(0, MAX_COUNT) | st.sampled_from([2**15 - 1, 2**15])


@st.composite
def wide_specs(draw: st.DrawFn) -> FilterSpec:
    return FilterSpec(
        budget_min=draw(BOUND),
        budget_max=draw(BOUND),
        hourly_min=draw(BOUND),
        hourly_max=draw(BOUND),
        client_spend_min=draw(BOUND),
        client_avg_rate_min=draw(BOUND),
        connects_max=draw(COUNT_BOUND),
        proposals_max=draw(COUNT_BOUND),
        client_hires_min=draw(COUNT_BOUND),
    ).model_copy(update={"include_archived": True})


@settings(database=None, deadline=None, max_examples=examples(120))
@given(
    st.lists(wide_opportunities(), min_size=1, max_size=10),
    st.integers(0, 10),
    st.lists(wide_opportunities(), max_size=3),
    wide_specs(),
    st.sampled_from([Column.BUDGET, Column.CLIENT, Column.CONNECTS, Column.SCORE]),
    st.booleans(),
)
def test_money_and_counts_of_any_size_filter_and_sort_exactly(
    rows: list[Opportunity],
    split: int,
    updates: list[Opportunity],
    spec: FilterSpec,
    column: int,
    descending: bool,
) -> None:
    opps = [opp.model_copy(update={"external_id": f"job-{n}"}) for n, opp in enumerate(rows)]
    index = bulk_index(opps[:split])  # in bulk, as at start-up
    index.add_or_update(opps[split:])  # then one by one, as arrivals
    # Then new content for known rows, as updates: a row may widen a column in place.
    changed = [
        new.model_copy(update={"external_id": old.external_id})
        for old, new in zip(opps, updates, strict=False)
    ]
    index.add_or_update(changed)
    final = {opp.key: opp for opp in [*opps, *changed]}
    index.sort(column, descending)
    index.set_filter(spec)
    predicate = spec.compile(NOW)
    expected = {key for key, opp in final.items() if predicate(opp, haystack(opp), "new")}
    assert set(visible_keys(index)) == expected
    assert_ordered(index)
    for key, opp in final.items():
        fields = index.fields_of_key(key)
        assert fields is not None
        assert fields.budget_cents == _cents(opp.budget)
        assert fields.spend_cents == _cents(opp.client.total_spent)
        assert fields.avg_rate_cents == _cents(opp.client.avg_hourly_rate)
        assert fields.connects == opp.connects_price
        assert fields.hires == opp.client.total_hires


def _cents(value: Decimal | None) -> int | None:
    return None if value is None else int(value.scaleb(2))


def test_columns_start_narrow_and_widen_only_when_a_value_does_not_fit() -> None:
    index = bulk_index([make_opportunity(n) for n in range(20)])
    cols = index.data.cols
    assert cols["budget"].dtype == np.int32 and cols["spend"].dtype == np.int32
    assert cols["connects"].dtype == np.int16 and cols["country"].dtype == np.int16
    # $30M does not fit int32 cents: every money column widens (they share one type).
    big = make_opportunity(3, external_id="job-0003", budget=Decimal(30_000_000))
    index.add_or_update([big])
    assert {cols[name].dtype for name in ("budget", "hmin", "hmax", "spend", "avgrate")} == {
        np.dtype(np.int64)
    }
    assert index.fields_of_key(big.key).budget_cents == 3_000_000_000  # type: ignore[union-attr]
    assert cols["connects"].dtype == np.int16  # the counts did not need it
    index.add_or_update([make_opportunity(4, external_id="job-0004", connects_price=40_000)])
    assert cols["connects"].dtype == np.int32
    index.set_filter(FilterSpec(budget_min=Decimal(29_000_000), kinds={JobKind.FIXED}))
    assert visible_keys(index) == [big.key]


def test_fractions_stay_exact_as_codes_wider_codes_and_floats() -> None:
    # A code a row while there are few distinct values; 300 need a uint16.
    scores = [n / 299 for n in range(300)]
    index = bulk_index([make_opportunity(n, match_score=scores[n]) for n in range(300)])
    data = index.data
    assert data.cols["score"].dtype == np.uint16
    assert data.cols["hire"].dtype == np.uint8  # make_opportunity's rates: few of them
    for n in (0, 1, 150, 299):
        fields = index.fields_of_key(make_opportunity(n).key)
        assert fields is not None and fields.match_score == scores[n]
    index.set_filter(FilterSpec(min_match_score=scores[250]))
    assert len(visible_keys(index)) == 50
    index.sort(Column.SCORE, True)
    assert_ordered(index)
    # Past 65,536 distinct values the column holds the floats themselves.
    values = [n / 70_001 for n in range(70_000)]
    wide = type(data)(data.source)
    wide.reserve(70_000)
    wide.n = 70_000
    wide._put_reals("score", slice(0, 70_000), [None, *values[1:]])
    assert wide.reals["score"] is None and wide.cols["score"].dtype == np.float64
    decoded = wide.real("score", wide.col("score"))
    assert np.isnan(decoded[0]) and decoded[1:].tolist() == values[1:]
    assert wide.real_at_least("score", wide.col("score"), values[5]).sum() == 70_000 - 5


def test_skills_prefixes_sort_the_same_as_codes_and_as_prefixes() -> None:
    skills = [("Zeta",), ("alpha", "Beta"), (), ("alpha",), ("Ägypten",), ("beta",)]
    rows = [make_opportunity(n, skills=skills[n % len(skills)]) for n in range(30)]
    index = bulk_index(rows[:20])
    index.add_or_update(rows[20:])  # arrivals placed by their prefixes' codes
    assert index.data.cols["skills"].dtype == np.uint16
    for descending in (False, True):
        index.sort(Column.SKILLS, descending)
        assert_ordered(index)
    # Past 65,536 distinct prefixes the column holds the prefixes themselves.
    data = index.data
    wide = type(data)(data.source)
    wide.reserve(70_000)
    wide.n = 70_000
    prefixes = [f"{n:06d}".encode() for n in range(70_000)]
    wide._put_skills(slice(0, 70_000), prefixes)
    assert wide.skills is None and wide.cols["skills"].dtype.kind == "S"
    key, missing = wide.sort_key(Column.SKILLS)
    assert key.tolist() == prefixes and not missing.any()
