"""The columnar index filters exactly as `FilterSpec.compile` does: random rows, random
specs (every facet, the boolean language, phrases, punctuation, non-ASCII text).

Rows reach the index both ways it takes them: in bulk (tokenized into the text bitmaps,
as at start-up) and one by one afterwards (the overlay, as webhooks bring them).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.filters import ARCHIVED, FilterSpec, haystack
from app.domain.opportunity import JobKind, Opportunity, Platform
from app.services.inbox_index import InboxIndex, IndexData, MemorySource, _prepared_of
from app.services.inbox_rows import Column
from tests.domain.test_filter_rows import STATES, WORDS, opportunities, specs
from tests.helpers.profiles import examples

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

# Query text from the same material the rows are made of, so terms do match: words,
# pieces of words, phrases and operators.
PIECES = st.sampled_from([*WORDS, "re", "ac", "e", "node.js", "c+", "min p", "σ", "’t", "x"])
QUERY = st.lists(
    PIECES | st.sampled_from(["OR", "-", "NOT", '"', "(", ")", "AND", "|"]) | st.text(max_size=3),
    max_size=5,
).map(" ".join)


def bulk_index(rows: list[Opportunity], index: InboxIndex | None = None) -> InboxIndex:
    """`rows` loaded in bulk (tokenized into the bitmaps), as at start-up, into `index`
    (a new one by default) and its row source."""
    index = index or InboxIndex(clock=NOW.timestamp, source=MemorySource())
    source = index.data.source
    data = IndexData(source)
    prepared = _prepared_of(rows)
    refs = source.admit(list(zip(prepared.keys, prepared.rows, prepared.haystacks, strict=True)))
    data.append([ref or 0 for ref in refs], prepared)
    data.finish()
    index.adopt(data)
    return index


@settings(database=None, deadline=None, max_examples=examples(80))
@given(
    st.lists(st.tuples(opportunities(), st.sampled_from(STATES)), min_size=1, max_size=12),
    st.integers(0, 12),
    specs(),
    QUERY,
    st.sampled_from([-1, *Column]),
    st.booleans(),
)
def test_the_index_shows_exactly_what_the_reference_filter_accepts(
    rows: list[tuple[Opportunity, str]],
    split: int,
    spec: FilterSpec,
    query: str,
    column: int,
    descending: bool,
) -> None:
    opps = [opp.model_copy(update={"external_id": f"job-{n}"}) for n, (opp, _) in enumerate(rows)]
    states = {opp.key: state for opp, (_, state) in zip(opps, rows, strict=True)}
    index = bulk_index(opps[:split])  # in bulk, as at start-up
    index.add_or_update(opps[split:])  # then one by one, as arrivals
    index.sort(column, descending)
    for opp in opps:
        state = states[opp.key]
        if state == ARCHIVED:
            index.set_flags(opp.key, archived=True)
        else:
            index.set_state(opp.key, state)
    for shown_spec in (spec, spec.model_copy(update={"text": query}), FilterSpec(text=query)):
        index.set_filter(shown_spec)
        predicate = shown_spec.compile(NOW)
        expected = {opp.key for opp in opps if predicate(opp, haystack(opp), states[opp.key])}
        shown = [index.key_at(p) for p in range(index.visible_count())]
        assert len(shown) == len(set(shown))
        assert set(shown) == expected, (shown_spec.text, shown, expected)


@settings(database=None, deadline=None, max_examples=examples(80))
@given(st.lists(opportunities(), min_size=1, max_size=8), QUERY)
def test_a_term_matches_the_rows_whose_haystack_holds_it(
    opps: list[Opportunity], query: str
) -> None:
    opps = [opp.model_copy(update={"external_id": f"job-{n}"}) for n, opp in enumerate(opps)]
    index = bulk_index(opps)
    for term in query.split():
        hits = index.data.text.term(term.lower())
        expected = {n for n, opp in enumerate(opps) if term.lower() in haystack(opp)}
        assert set(hits) == expected, term


def test_punctuation_only_terms_and_rows_without_words() -> None:
    """A term with no word in it ("++") and rows with no word at all, or empty, in bulk."""
    from app.services.inbox_text import TextIndex

    hays = ["abc +x", "", "a+b", "", "++", "c++ and c#"]
    text = TextIndex(lambda ids: [hays[i] for i in ids])
    text.add(list(range(len(hays))), hays)
    for term in ("+", "a+", "++", " +", "c#", "#", "c++ a", "x"):
        assert set(text.term(term)) == {i for i, hay in enumerate(hays) if term in hay}, term


def test_a_bulk_load_leaves_no_scratch_behind_and_a_later_one_still_finds_words() -> None:
    """The power tables of the token hashes are tens of MB at a year's inbox: gone once
    the load is over, made again for the next bulk load, with the same hashes."""
    from app.services import inbox_text
    from app.services.inbox_text import TextIndex

    hays = [f"python developer {n} for django and react" for n in range(3000)]
    text = TextIndex(lambda ids: [hays[i] for i in ids])
    text.add(list(range(2000)), hays[:2000])
    assert inbox_text._power_tables  # made for the load
    text.finish()
    assert inbox_text._power_tables == []
    text.add(list(range(2000, 3000)), hays[2000:])
    text.finish()
    assert set(text.term("django")) == set(range(3000))
    assert set(text.term("2500")) == {2500}


def test_an_hourly_range_filter_shows_what_the_reference_accepts_for_every_shape_of_rate() -> None:
    """Every shape a job's rate comes in (no end, either end alone, both, both reversed,
    equal), for each kind, with and without a budget, against every rate bound: the
    index's rows are the reference filter's. Random rows rarely hold one end alone under
    a bound that tells it apart."""
    ends = [None, Decimal(20), Decimal(50), Decimal(80)]
    rows = [
        Opportunity(
            platform=Platform.GIGRADAR,
            external_id=f"rate-{n}",
            title="A job",
            kind=kind,
            budget=budget,
            hourly_min=low,
            hourly_max=high,
        )
        for n, (kind, budget, low, high) in enumerate(
            itertools.product(list(JobKind), [None, Decimal(500)], ends, ends)
        )
    ]
    index = bulk_index(rows)
    for least, most in itertools.product(ends, ends):
        spec = FilterSpec(hourly_min=least, hourly_max=most)
        index.set_filter(spec)
        predicate = spec.compile(NOW)
        expected = {opp.key for opp in rows if predicate(opp, haystack(opp), "new")}
        shown = {index.key_at(p) for p in range(index.visible_count())}
        assert shown == expected, (least, most, sorted(shown ^ expected))
