"""A query whose whole answer reads many rows' text (a phrase) shows its first rows at
once: `InboxIndex.preview_filter` checks candidates in the shown order only until a
screenful is found, and `set_filter` later shows the rest below them.

The oracle is the index's own whole answer (which test_inbox_index_oracle.py holds to the
reference filter) and the reference filter itself.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.filters import FilterSpec, haystack
from app.domain.opportunity import Opportunity
from app.services.inbox_index import InboxIndex, MemorySource
from app.services.inbox_rows import Column
from tests.domain.test_filter_rows import opportunities, specs
from tests.helpers.profiles import examples
from tests.services.test_inbox_index import ShadowView, make_opportunity
from tests.services.test_inbox_index_oracle import bulk_index as oracle_bulk_index

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

# Terms that must be checked against the text (a space or punctuation in them), and
# plain words, with the operators around them.
PHRASES = st.sampled_from(
    ['"admin panel"', '"react node"', '"need react"', '"don’t a"', '"c++ a"', '"a r"', "(c+"]
)
WORDS = st.sampled_from(["react", "node", "wordpress", "a", "panel", "mobile", "flutter"])
QUERY = st.lists(
    PHRASES | WORDS | st.sampled_from(["OR", "-", "NOT", "AND"]), min_size=1, max_size=5
).map(" ".join)


class CountingSource(MemorySource):
    """A row source that counts the haystacks read (a store read each, for real)."""

    def __init__(self) -> None:
        super().__init__()
        self.read = 0

    def haystacks(self, refs):  # type: ignore[no-untyped-def]
        self.read += len(refs)
        return super().haystacks(refs)


def bulk_index(rows: list[Opportunity], view: ShadowView | None = None) -> InboxIndex:
    """An index over `rows` loaded in bulk, its texts read from a counting source."""
    index = InboxIndex(view, clock=NOW.timestamp, source=CountingSource())
    if view is not None:
        view.index = index
    return oracle_bulk_index(rows, index)


def shown(index: InboxIndex) -> list[str]:
    return [index.key_at(p) or "" for p in range(index.visible_count())]


def complete(index: InboxIndex, spec: FilterSpec) -> None:
    """What the window does once the worker has checked every candidate."""
    text = index.data.text
    text.remember(text.compute(text.slow_terms(spec.query.node)))
    index.set_filter(spec)


def reference(opps: list[Opportunity], spec: FilterSpec) -> set[str]:
    predicate = spec.compile(NOW)
    return {opp.key for opp in opps if predicate(opp, haystack(opp), "new")}


@settings(database=None, deadline=None, max_examples=examples(120))
@given(
    st.lists(opportunities(), min_size=1, max_size=14),
    st.integers(0, 14),
    st.one_of(st.just(FilterSpec()), specs()),
    QUERY,
    st.sampled_from([-1, *Column]),
    st.booleans(),
    st.integers(1, 6),
)
def test_the_preview_is_the_first_rows_of_the_whole_answer(
    rows: list[Opportunity],
    split: int,
    facets: FilterSpec,
    query: str,
    column: int,
    descending: bool,
    wanted: int,
) -> None:
    opps = [opp.model_copy(update={"external_id": f"job-{n}"}) for n, opp in enumerate(rows)]
    view = ShadowView()
    index = bulk_index(opps[:split], view)  # in bulk, as at start-up
    index.add_or_update(opps[split:])  # then one by one, as arrivals
    index.sort(column, descending)
    spec = facets.model_copy(update={"text": query})
    slow = index.data.text.slow_terms(spec.query.node)
    index.preview_filter(spec, rows=wanted, seconds=3600)
    first = shown(index)
    assert view.keys == first
    assert index.spec() == spec
    signals = len(view.signals)
    complete(index, spec)
    whole = shown(index)
    assert set(whole) == reference(opps, spec)
    # The first rows of the whole answer, at least as many as asked for (or all of
    # them); a spec without slow terms is shown whole at once.
    assert first == whole[: len(first)]
    assert len(first) >= min(wanted, len(whole)) if slow else first == whole
    # The rest came in below them: the view was not reset (its scroll and selection stay).
    assert "reset" not in view.signals[signals:]
    assert view.keys == whole


@settings(database=None, deadline=None, max_examples=examples(80))
@given(
    st.lists(opportunities(), min_size=1, max_size=12),
    st.lists(opportunities(), max_size=4),
    QUERY,
    st.sampled_from([-1, *Column]),
    st.sampled_from([-1, *Column]),
    st.integers(1, 5),
)
def test_rows_that_change_or_arrive_during_a_preview_are_shown_only_when_they_pass(
    rows: list[Opportunity],
    arriving: list[Opportunity],
    query: str,
    column: int,
    resorted: int,
    wanted: int,
) -> None:
    opps = [opp.model_copy(update={"external_id": f"job-{n}"}) for n, opp in enumerate(rows)]
    view = ShadowView()
    index = bulk_index(opps, view)
    index.sort(column, False)
    spec = FilterSpec(text=query)
    index.preview_filter(spec, rows=wanted, seconds=3600)
    # A known row's text changes, new rows arrive (the overlay), the user sorts.
    changed = opps[0].model_copy(update={"title": "Admin panel for a react node app"})
    new = [opp.model_copy(update={"external_id": f"new-{n}"}) for n, opp in enumerate(arriving)]
    index.add_or_update([changed, *new])
    everything = [changed, *opps[1:], *new]
    expected = reference(everything, spec)
    assert set(shown(index)) <= expected  # nothing shown that does not pass
    assert view.keys == shown(index)
    index.sort(resorted, True)
    assert view.keys == shown(index)
    before = shown(index)
    complete(index, spec)
    whole = shown(index)
    assert set(whole) == expected
    assert before == whole[: len(before)]  # the new sort's first rows, then the rest


def test_a_preview_reads_the_text_of_a_screenful_not_of_every_candidate() -> None:
    opps = [make_opportunity(n, description=f"A mobile app, number {n}.") for n in range(3_000)]
    index = bulk_index(opps)
    source = index.data.source
    assert isinstance(source, CountingSource)
    spec = FilterSpec(text='"mobile app" OR nothinglikeit')
    index.preview_filter(spec, rows=50, seconds=3600)
    assert index.visible_count() == 50
    assert index.searching  # more may come
    assert source.read <= 128  # a chunk or two of the order, not 3,000 rows
    complete(index, spec)
    assert not index.searching
    assert index.visible_count() == 3_000
    assert source.read >= 3_000  # the whole answer did read them all


def test_a_preview_stops_at_its_time_budget_with_what_it_found() -> None:
    """Candidates that rarely hold the phrase: the preview gives up at its budget and
    shows the rows found so far (first rows of the answer still), not a long stall."""
    opps = [
        make_opportunity(n, description="mobile first, then an app" if n % 500 else "mobile app")
        for n in range(3_000)
    ]
    index = bulk_index(opps)
    spec = FilterSpec(text='"mobile app"')
    index.preview_filter(spec, rows=50, seconds=0)  # one chunk, then out of time
    first = shown(index)
    assert len(first) < 50
    complete(index, spec)
    whole = shown(index)
    assert len(whole) == 6
    assert first == whole[: len(first)]


def test_a_spec_without_slow_terms_is_shown_whole() -> None:
    opps = [make_opportunity(n) for n in range(300)]
    index = bulk_index(opps)
    spec = FilterSpec(text="react")
    index.preview_filter(spec, rows=5)
    assert set(shown(index)) == reference(opps, spec)
    assert index.visible_count() > 5
