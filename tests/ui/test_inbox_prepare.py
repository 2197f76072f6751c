"""The inbox built on the worker thread (its order and filter included) equals the one the
model computes itself, and a view computed for a sort or filter the user has since
changed is not reused."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt

from app.domain.filters import FilterSpec
from app.services.inbox_index import build_index
from app.services.inbox_source import StoreSource
from app.store import Store
from app.ui.models.opportunities import Column, OpportunityTableModel
from tests.ui.test_inbox_model import fill, make_opportunity


def keys_in_view(model: OpportunityTableModel) -> list[str]:
    return [model.key_at(r) or "" for r in range(model.rowCount())]


def built(store: Store, model: OpportunityTableModel) -> None:
    source = StoreSource(store.opportunities)
    view = (model.spec(), *model.sort_state(), time.time())
    model.adopt(build_index(source, source.load_slices(7, first=5), {}, view))


def test_an_index_built_on_the_worker_is_the_models_own(qapp: object, store: Store) -> None:
    fill(store, [make_opportunity(n) for n in range(60)])
    rows = store.opportunities.load_all_rows()
    spec = FilterSpec(text='"need react" OR py OR node.')  # phrases read the store
    for column in (Column.SCORE, Column.BUDGET, Column.POSTED, Column.TITLE):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            by_model = OpportunityTableModel()
            by_model.sort(column, order)
            by_model.set_filter(spec)
            by_model.load_rows(rows, {})
            by_worker = OpportunityTableModel(source=StoreSource(store.opportunities))
            by_worker.sort(column, order)
            by_worker.set_filter(spec)
            built(store, by_worker)
            assert 0 < by_worker.rowCount() < 60
            assert keys_in_view(by_worker) == keys_in_view(by_model)


def test_a_stale_view_is_not_reused(qapp: object, store: Store) -> None:
    fill(store, [make_opportunity(n) for n in range(40)])
    rows = store.opportunities.load_all_rows()
    model = OpportunityTableModel(source=StoreSource(store.opportunities))
    model.sort(Column.SCORE, Qt.SortOrder.DescendingOrder)
    source = StoreSource(store.opportunities)
    data = build_index(source, source.load_slices(), {}, (model.spec(), *model.sort_state(), 0.0))
    model.sort(Column.BUDGET, Qt.SortOrder.AscendingOrder)  # the user re-sorted meanwhile
    model.set_filter(FilterSpec(text="node"))  # and typed
    model.adopt(data)
    expected = OpportunityTableModel()
    expected.sort(Column.BUDGET, Qt.SortOrder.AscendingOrder)
    expected.set_filter(FilterSpec(text="node"))
    expected.load_rows(rows, {})
    assert keys_in_view(model) == keys_in_view(expected)
