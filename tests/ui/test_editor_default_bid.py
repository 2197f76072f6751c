"""The editor starts a new proposal with the one default bid (app/domain/bidding.py) and
shows each route's fields as its platform spec says."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QSpinBox

from app.domain import BidKind, JobKind, Platform
from tests.ui.test_editor_pane import (
    ACCOUNTS,
    choose_route,
    find,
    gigiac_opp,
    make_opp,
    pane,  # noqa: F401  (the fixture)
)


def test_a_fixed_job_starts_at_the_clients_budget(pane, qtbot) -> None:  # noqa: F811
    fixed = make_opp(kind=JobKind.FIXED, budget=Decimal("1200"), hourly_min=None, hourly_max=None)
    pane.show_opportunity(fixed, None, (), ACCOUNTS)
    assert find(pane, QComboBox, "bid_kind").currentData() == BidKind.FIXED.value
    assert find(pane, QDoubleSpinBox, "bid_amount").value() == 1200.0
    draft = pane.current_draft()
    assert draft is not None and draft.bid.amount == Decimal("1200")


def test_an_hourly_job_leaves_the_rate_to_the_profile(pane, qtbot) -> None:  # noqa: F811
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    assert find(pane, QComboBox, "bid_kind").currentData() == BidKind.HOURLY.value
    assert find(pane, QDoubleSpinBox, "bid_amount").value() == 0.0
    draft = pane.current_draft()
    assert draft is not None and draft.bid.amount is None


def test_a_fixed_job_without_budget_and_a_job_of_unknown_kind(pane, qtbot) -> None:  # noqa: F811
    no_budget = make_opp(kind=JobKind.FIXED, budget=Decimal("0"), hourly_min=None, hourly_max=None)
    pane.show_opportunity(no_budget, None, (), ACCOUNTS)
    assert find(pane, QComboBox, "bid_kind").currentData() == BidKind.FIXED.value
    assert find(pane, QDoubleSpinBox, "bid_amount").value() == 0.0  # the user names it
    assert "Fixed price, no stated budget" in find(pane, QLabel, "budget_hint").text()
    unknown = make_opp(
        external_id="op-3", kind=JobKind.UNKNOWN, budget=None, hourly_min=None, hourly_max=None
    )
    pane.show_opportunity(unknown, None, (), ACCOUNTS)
    assert find(pane, QComboBox, "bid_kind").currentData() == BidKind.PLATFORM_DEFAULT.value
    assert not find(pane, QDoubleSpinBox, "bid_amount").isEnabled()


def test_a_gigiac_task_starts_at_its_budget(pane, qtbot) -> None:  # noqa: F811
    pane.show_opportunity(gigiac_opp(), None, (), ACCOUNTS)
    assert find(pane, QDoubleSpinBox, "bid_amount").value() == 1200.0
    kinds = find(pane, QComboBox, "bid_kind")
    assert [kinds.itemData(i) for i in range(kinds.count())] == [BidKind.FIXED.value]


def test_each_route_shows_the_fields_its_spec_lists(pane, qtbot) -> None:  # noqa: F811
    pane.show_opportunity(make_opp(), None, (), ACCOUNTS)
    choose_route(pane, Platform.UPHUNT)
    assert find(pane, QComboBox, "profile").isVisible()
    assert find(pane, QComboBox, "timeline").isVisible()
    assert find(pane, QSpinBox, "boost").isVisible()
    assert not find(pane, QComboBox, "schedule").isVisible()
    choose_route(pane, Platform.GIGRADAR)
    assert not find(pane, QComboBox, "profile").isVisible()
    assert not find(pane, QSpinBox, "boost").isVisible()
    assert find(pane, QComboBox, "schedule").isVisible()
