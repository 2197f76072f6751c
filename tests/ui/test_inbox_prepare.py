"""The start-up sort computed on the worker thread equals the one the model computes."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.store import Store
from app.ui.models.opportunities import Column, OpportunityTableModel, prepare_rows
from tests.ui.test_inbox_model import fill, make_opportunity


def keys_in_view(model: OpportunityTableModel) -> list[str]:
    return [model.key_at(r) for r in range(model.rowCount())]


def test_a_sort_prepared_on_the_worker_is_the_models_own(qapp: object, store: Store) -> None:
    fill(store, [make_opportunity(n) for n in range(60)])
    rows = store.opportunities.load_all_rows()
    for column in (Column.SCORE, Column.BUDGET, Column.POSTED, Column.TITLE):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            by_model = OpportunityTableModel()
            by_model.sort(column, order)
            by_model.load_rows(rows, {})
            by_worker = OpportunityTableModel()
            by_worker.sort(column, order)
            prepared = prepare_rows(rows, {}, by_worker.sort_state())
            assert prepared.order is not None
            by_worker.load_prepared(prepared)
            assert keys_in_view(by_worker) == keys_in_view(by_model)


def test_a_stale_prepared_sort_is_not_reused(qapp: object, store: Store) -> None:
    fill(store, [make_opportunity(n) for n in range(40)])
    rows = store.opportunities.load_all_rows()
    model = OpportunityTableModel()
    model.sort(Column.SCORE, Qt.SortOrder.DescendingOrder)
    prepared = prepare_rows(rows, {}, model.sort_state())
    model.sort(Column.BUDGET, Qt.SortOrder.AscendingOrder)  # the user re-sorted meanwhile
    model.load_prepared(prepared)
    expected = OpportunityTableModel()
    expected.sort(Column.BUDGET, Qt.SortOrder.AscendingOrder)
    expected.load_rows(rows, {})
    assert keys_in_view(model) == keys_in_view(expected)
