"""The inbox's row records, without Qt: a stored row and an arriving opportunity agree."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.filter_rows import fields_of
from app.domain.filters import haystack
from app.services.inbox_rows import (
    CELL_TEXTS,
    SORT_KEYS,
    Column,
    budget_text,
    client_text,
    prepare_rows,
    records_of,
    row_tooltip,
    sorted_order,
)
from app.store import Store
from tests.services.test_inbox_index import clock, make_opportunity


def test_prepared_rows_equal_the_records_of_the_same_opportunities(store: Store) -> None:
    opportunities = [make_opportunity(n) for n in range(40)]
    store.opportunities.upsert_many(opportunities)
    prepared = prepare_rows(store.opportunities.load_all_rows(), {})
    by_key = {opp.key: opp for opp in opportunities}
    for key, row, hay, fields in zip(
        prepared.keys, prepared.rows, prepared.haystacks, prepared.fields, strict=True
    ):
        opportunity = by_key[key]
        assert (row, hay, fields) == records_of(opportunity)
        assert hay == haystack(opportunity)
        assert fields == tuple(fields_of(opportunity))


def test_a_prepared_sort_is_the_sort_keys_order(store: Store) -> None:
    store.opportunities.upsert_many([make_opportunity(n) for n in range(30)])
    rows = store.opportunities.load_all_rows()
    prepared = prepare_rows(rows, {}, (Column.BUDGET, True))
    keys = [SORT_KEYS[Column.BUDGET](row, "new") for row in prepared.rows]
    assert prepared.sort_keys == keys
    assert prepared.order == sorted_order(keys, list(range(len(keys))), descending=True)
    assert prepare_rows(rows, {}, (None, False)).order is None


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"kind": "fixed", "budget": Decimal(1200)}, "$1,200"),
        ({"kind": "fixed", "budget": None}, "—"),
        ({"kind": "fixed", "budget": Decimal(0)}, "—"),  # a zero budget is not stated
        ({"kind": "hourly", "hourly_min": Decimal(40), "hourly_max": Decimal(70)}, "$40–70/h"),
        ({"kind": "hourly", "hourly_min": Decimal(70), "hourly_max": Decimal(40)}, "$40–70/h"),
        ({"kind": "hourly", "hourly_min": Decimal(25), "hourly_max": None}, "$25/h"),
    ],
)
def test_budget_text(fields: dict[str, object], text: str) -> None:
    base: dict[str, object] = {"budget": None, "hourly_min": None, "hourly_max": None}
    row, _hay, _fields = records_of(make_opportunity(3, **{**base, **fields}))
    assert budget_text(row) == text


def test_cells_and_tooltip_read_the_record() -> None:
    opportunity = make_opportunity(2, match_score=0.876, connects_price=8, skills=("A", "B"))
    row, _hay, _fields = records_of(opportunity)
    texts = [text(row, "drafted", True, clock) for text in CELL_TEXTS]
    assert len(texts) == len(Column)
    assert texts[Column.SCORE] == "88"
    assert texts[Column.TITLE] == f"★ {opportunity.title}"
    assert texts[Column.CLIENT] == client_text(row[7])
    assert texts[Column.SKILLS] == "A, B"
    assert texts[Column.CONNECTS] == "8"
    assert texts[Column.STATE] == "Drafted"
    assert row_tooltip(row).splitlines()[-1] == "Skills: A, B"
