"""Each platform's spec says what the documents say: feed, budget, bids, route fields."""

from __future__ import annotations

import dataclasses

import pytest

from app.domain import BidKind, Platform
from app.platforms import SPECS, gigiac, gigradar, uphunt
from app.platforms.spec import DAY, RequestBudget, RouteField


def test_every_platform_has_one_spec_filed_under_its_own_name() -> None:
    assert set(SPECS) == set(Platform)
    for platform, spec in SPECS.items():
        assert spec.platform is platform
        assert spec.label == platform.label
        assert spec.color.startswith("#")
    assert SPECS[Platform.GIGRADAR] is gigradar.SPEC
    assert SPECS[Platform.UPHUNT] is uphunt.SPEC
    assert SPECS[Platform.GIGIAC] is gigiac.SPEC


def test_specs_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SPECS[Platform.GIGIAC].discovery_interval = 1.0  # type: ignore[misc]


def test_budgets_are_the_documented_limits_the_clients_enforce() -> None:
    assert SPECS[Platform.GIGRADAR].budget == RequestBudget(per_minute=30, per_day=1_000)
    assert SPECS[Platform.UPHUNT].budget == RequestBudget(per_minute=60, per_day=1_000)
    assert SPECS[Platform.GIGIAC].budget == RequestBudget(per_minute=120, per_day=None)


def test_discovery_stays_inside_the_budget() -> None:
    gr = SPECS[Platform.GIGRADAR]
    assert gr.feed and gr.discovery_interval is not None and gr.budget.per_day is not None
    requests_a_day = DAY / gr.discovery_interval * gigradar.REQUESTS_PER_ROUND
    assert requests_a_day <= gr.budget.per_day * gigradar.DISCOVERY_SHARE + 1e-6
    gg = SPECS[Platform.GIGIAC]
    assert gg.feed and gg.discovery_interval == 60.0
    assert not SPECS[Platform.UPHUNT].feed
    assert SPECS[Platform.UPHUNT].discovery_interval is None


def test_route_fields_and_bid_kinds() -> None:
    gr, uh, gg = (SPECS[p] for p in (Platform.GIGRADAR, Platform.UPHUNT, Platform.GIGIAC))
    assert gr.route_fields == {RouteField.SEND_TIME}
    assert uh.route_fields == {RouteField.FREELANCER, RouteField.TIMELINE, RouteField.BOOST}
    assert gg.route_fields == frozenset()
    assert gg.bids.kinds == (BidKind.FIXED,) and gg.bids.fixed_only
    assert BidKind.PLATFORM_DEFAULT in gr.bids.kinds and not gr.bids.fixed_only
    assert uh.upwork_route and not gr.upwork_route and not gg.upwork_route


def test_only_gigradar_runs_an_auto_bidder_of_its_own() -> None:
    assert [p for p, s in SPECS.items() if s.auto_bidder] == [Platform.GIGRADAR]
