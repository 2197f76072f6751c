"""The Connects column and the depth filters as a user meets them: the filter bar's
Connects, proposals, client hires and average rate fields, and in the real window on the
sandbox, a Connects bound and a sort by Connects over the inbox."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.domain.filters import FilterSpec
from app.ui.models.opportunities import SORT_ROLE, Column
from app.ui.widgets.filter_bar import FilterBar
from tests.ui.test_window import running, until, visible_keys

DEPTH = FilterSpec(
    connects_max=8, proposals_max=10, client_hires_min=5, client_avg_rate_min=Decimal("25.5")
)


@pytest.fixture
def bar(qtbot: QtBot) -> FilterBar:
    widget = FilterBar()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_depth_fields_restore_and_count(bar: FilterBar, qtbot: QtBot) -> None:
    with qtbot.assertNotEmitted(bar.filter_changed, wait=50):
        bar.set_spec(DEPTH)
    assert bar.spec() == DEPTH
    assert (bar.connects_max.text(), bar.proposals_max.text()) == ("8", "10")
    assert (bar.hires_min.text(), bar.avg_rate_min.text()) == ("5", "25.5")
    assert bar.more_button.text() == "More filters (4)"


def test_typing_a_connects_bound_emits_it(bar: FilterBar, qtbot: QtBot) -> None:
    bar.more_button.click()
    with qtbot.waitSignal(bar.filter_changed, timeout=2000) as blocker:
        qtbot.keyClicks(bar.connects_max, "8")
    assert blocker.args[0] == FilterSpec(connects_max=8)
    with qtbot.waitSignal(bar.filter_changed, timeout=2000) as blocker:
        qtbot.keyClicks(bar.proposals_max, "x1y0")  # only digits are taken
    assert blocker.args[0] == FilterSpec(connects_max=8, proposals_max=10)


@pytest.mark.integration
async def test_connects_filter_and_sort_in_the_window(tmp_path: Path) -> None:
    async with running(tmp_path) as desk:
        await until(lambda: desk.window.model.rowCount() >= 40)
        model, store = desk.window.model, desk.services.store.opportunities
        header = model.headerData(Column.CONNECTS, Qt.Orientation.Horizontal)
        assert header == "Connects"
        prices = {key: store.get(key).connects_price for key in visible_keys(desk)}
        assert any(p is not None and p > 8 for p in prices.values())

        desk.window.filter_bar.set_spec(FilterSpec(connects_max=8))
        desk.window.inbox_controller.on_filter_changed(desk.window.filter_bar.spec())
        kept = visible_keys(desk)
        assert kept and len(kept) < len(prices)
        for key in kept:
            price = store.get(key).connects_price
            assert price is None or price <= 8
            if price is not None:
                cell = model.index(kept.index(key), Column.CONNECTS).data()
                assert cell == str(price)

        desk.window.inbox_controller.on_filter_changed(FilterSpec())
        model.sort(Column.CONNECTS, Qt.SortOrder.DescendingOrder)
        values = [
            model.index(row, Column.CONNECTS).data(SORT_ROLE) for row in range(model.rowCount())
        ]
        known = [v for v in values if v is not None]
        assert known == sorted(known, reverse=True) and len(set(known)) > 1
        assert values[: len(known)] == known  # unknown (Gigiac) last

        # The competition filter on what the full sandbox serves.
        desk.window.inbox_controller.on_filter_changed(FilterSpec(proposals_max=10))
        few = visible_keys(desk)
        assert few
        for key in few:
            most = store.get(key).competition.proposals_range
            assert most is not None and most[1] is not None and most[1] <= 10


def test_a_narrow_inbox_keeps_connects_after_the_skills_hide(qtbot: QtBot) -> None:
    from app.ui.models.opportunities import OpportunityTableModel
    from app.ui.widgets.inbox_view import InboxView
    from tests.services.test_inbox_index import clock, make_opportunity

    model = OpportunityTableModel(clock=clock)
    model.add_or_update([make_opportunity(n) for n in range(5)])
    view = InboxView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(1600, 400)
    view.show()
    header = view.horizontalHeader()
    qtbot.waitUntil(lambda: not header.isSectionHidden(Column.SKILLS))
    assert not header.isSectionHidden(Column.CONNECTS)
    view.resize(820, 400)  # the inbox beside the editor on a laptop
    qtbot.waitUntil(lambda: header.isSectionHidden(Column.SKILLS))
    assert not header.isSectionHidden(Column.CONNECTS)  # what a proposal costs stays
