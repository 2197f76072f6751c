"""The table model over an index of a million rows: Qt's model checks, and what scales.

The index is built from a handful of distinct rows repeated with their own keys, times
and scores (seconds, where the store and the sandbox's generators would take minutes),
through the same bulk path as a start-up. `qtmodeltester` walks every cell of the rows a
model shows (10 per row, a dozen checks each): it runs while a filter shows a few hundred
of the million, through arrivals, sorts, marks and removals; with all million shown, the
test checks what the view asks of the model (counts, first and last rows, a sort, an
arrival at its place).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester

from app.domain.filters import FilterSpec
from app.domain.opportunity import ClientInfo, JobKind, Opportunity, Platform
from app.services.inbox_index import IndexData, MemorySource, _prepared_of
from app.services.inbox_rows import PreparedRows
from app.ui.models.opportunities import SORT_ROLE, Column, OpportunityTableModel

ROWS = int(os.environ.get("BIDDESK_MILLION_ROWS", "1000000"))
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WORDS = ["react", "python", "shopify", "flutter", "dashboard", "api", "wordpress", "figma"]


def template(n: int) -> Opportunity:
    hourly = n % 3 == 0
    return Opportunity(
        platform=list(Platform)[n % 3],
        external_id=f"t{n}",
        title=f"{WORDS[n % 8].title()} {WORDS[(n + 3) % 8]} work #{n}",
        description=f"We need {WORDS[n % 8]} and {WORDS[(n * 5) % 8]} for a {n}-week job.",
        kind=JobKind.HOURLY if hourly else JobKind.FIXED,
        budget=None if hourly else Decimal(100 * (n % 40 + 1)),
        hourly_min=Decimal(20 + n % 30) if hourly else None,
        hourly_max=Decimal(60 + n % 50) if hourly and n % 4 else None,
        skills=(WORDS[n % 8].title(), WORDS[(n + 1) % 8].title()),
        client=ClientInfo(country=["Germany", "Canada", None][n % 3], hire_rate=(n % 10) / 10),
        match_score=None if n % 7 == 0 else (n % 100) / 100,
        connects_price=None if n % 5 == 0 else n % 16,
        posted_at=NOW - timedelta(minutes=n % 50_000),
        detected_at=NOW - timedelta(minutes=n % 50_000),
    )


def million_rows(count: int) -> tuple[MemorySource, PreparedRows, list[int]]:
    """`count` rows from 97 templates, each with its own key (the bulk path's input)."""
    base = _prepared_of([template(n) for n in range(97)])
    source = MemorySource()
    items = [(k, r, h) for k, r, h in zip(base.keys, base.rows, base.haystacks, strict=True)]
    refs = [ref or 0 for ref in source.admit(items)]
    pick = [n % 97 for n in range(count)]
    keys = [f"gigradar:m{n}" for n in range(count)]
    source._items = [(keys[n], base.rows[t], base.haystacks[t]) for n, t in enumerate(pick)]
    source._refs = {key: n for n, key in enumerate(keys)}
    prepared = PreparedRows(
        keys,
        [base.rows[t] for t in pick],
        [base.haystacks[t] for t in pick],
        [base.fields[t] for t in pick],
        ["new"] * count,
        ["new"] * count,
        [None] * count,
        [n % 2 == 0 for n in range(count)],
        [n % 50 == 0 for n in range(count)],
    )
    del refs
    return source, prepared, list(range(count))


@pytest.fixture(scope="module")
def big_model(qapp: object) -> OpportunityTableModel:
    source, prepared, refs = million_rows(ROWS)
    data = IndexData(source)
    data.reserve(ROWS)
    data.append(refs, prepared)
    data.finish()
    model = OpportunityTableModel(source=source, clock=NOW.timestamp)
    model.adopt(data)
    return model


@pytest.mark.slow
def test_qtmodeltester_on_a_million_row_index(
    big_model: OpportunityTableModel, qtmodeltester: ModelTester
) -> None:
    model = big_model
    # A few hundred rows of their own among the million (arriving as webhooks bring them).
    zebras = [
        template(n).model_copy(update={"external_id": f"z{n}", "title": f"Zebra crossing {n}"})
        for n in range(300)
    ]
    model.add_or_update(zebras)
    model.set_filter(FilterSpec(text="zebra"))
    assert model.rowCount() == 300
    qtmodeltester.check(model, force_py=True)
    model.sort(Column.BUDGET, Qt.SortOrder.DescendingOrder)
    arrival = zebras[3].model_copy(update={"external_id": "late", "match_score": 0.5})
    model.add_or_update([arrival])
    assert model.row_of(arrival.key) is not None
    model.set_flags(model.key_at(0) or "", archived=True)
    model.set_state(model.key_at(1) or "", "drafted")
    model.remove([model.key_at(2) or ""])
    model.sort(Column.TITLE, Qt.SortOrder.AscendingOrder)
    model.set_filter(FilterSpec(text="zebra -crossing OR figma zebra"))
    model.set_filter(FilterSpec(text="zebra", kinds=frozenset({JobKind.HOURLY})))
    assert 0 < model.rowCount() < 300


@pytest.mark.slow
def test_all_million_rows_shown_sorted_and_an_arrival_placed(
    big_model: OpportunityTableModel,
) -> None:
    model = big_model
    model.set_filter(FilterSpec(include_archived=True))
    shown = model.rowCount()
    assert shown >= ROWS  # the million, and the first test's arrivals
    for row in (0, shown // 2, shown - 1):
        assert model.index(row, Column.TITLE).data()
    model.sort(Column.SCORE, Qt.SortOrder.DescendingOrder)
    scores = [model.index(row, Column.SCORE).data(SORT_ROLE) for row in range(50)]
    assert scores == sorted(scores, reverse=True)
    assert model.index(shown - 1, Column.SCORE).data(SORT_ROLE) is None  # missing last
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    top = template(5).model_copy(update={"external_id": "top", "match_score": 1.0})
    model.add_or_update([top])
    assert inserted == [(0, 0)]  # one insert, at its place in a million
    assert model.key_at(0) == top.key
    assert model.rowCount() == shown + 1
