"""Removing opportunities from the inbox model: Qt's contract holds and the view follows."""

from __future__ import annotations

from PySide6.QtCore import QPersistentModelIndex, Qt
from pytestqt.modeltest import ModelTester

from app.ui.models.opportunities import Column, OpportunityTableModel
from tests.ui.test_inbox_model import clock, make_opportunity


def test_remove_keeps_qts_contract_and_persistent_indexes(
    qapp: object, qtmodeltester: ModelTester
) -> None:
    model = OpportunityTableModel(clock=clock)
    model.add_or_update([make_opportunity(n) for n in range(60)])
    model.sort(Column.SCORE, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(model)
    keys = [model.key_at(row) for row in range(model.rowCount())]
    kept = QPersistentModelIndex(model.index(10, Column.TITLE))
    model.remove([keys[2], keys[3], keys[30]])  # two runs, each one beginRemoveRows
    assert model.rowCount() == 57
    assert model.total_count() == 57
    assert kept.isValid() and model.key_at(kept.row()) == keys[10]
    model.remove(key for key in keys[:50] if key is not None)  # many: one reset
    assert [model.key_at(row) for row in range(model.rowCount())] == keys[50:]
    qtmodeltester.check(model)
