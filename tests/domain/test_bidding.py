"""The budget text and the default bid: one rule, whichever front end asks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.domain import Bid, BidKind, JobKind, Opportunity, Platform
from app.domain.bidding import BidRule, budget_stated, budget_text, default_bid
from app.domain.policy import blocking, check_submission
from app.platforms import SPECS

D = Decimal


def opp(**kw: Any) -> Opportunity:
    fields: dict[str, Any] = {"platform": Platform.GIGRADAR, "external_id": "o1", "title": "Job"}
    fields.update(kw)
    return Opportunity(**fields)


# -- budget text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"kind": JobKind.FIXED, "budget": D("1200")}, "$1,200 fixed"),
        ({"kind": JobKind.FIXED, "budget": D("99.50")}, "$99.50 fixed"),
        ({"kind": JobKind.UNKNOWN, "budget": D("800")}, "$800"),
        ({"kind": JobKind.HOURLY, "hourly_min": D("40"), "hourly_max": D("70")}, "$40–70/h"),
        ({"kind": JobKind.HOURLY, "hourly_min": D("45"), "hourly_max": D("45")}, "$45/h"),
        ({"kind": JobKind.HOURLY, "hourly_min": D("70"), "hourly_max": D("40")}, "$40–70/h"),
        ({"kind": JobKind.HOURLY, "hourly_min": D("40")}, "From $40/h"),
        ({"kind": JobKind.HOURLY, "hourly_max": D("70")}, "Up to $70/h"),
        ({"kind": JobKind.HOURLY, "hourly_min": D("0"), "hourly_max": D("60")}, "Up to $60/h"),
        ({"kind": JobKind.UNKNOWN, "hourly_min": D("30"), "hourly_max": D("50")}, "$30–50/h"),
    ],
)
def test_a_stated_budget_reads_as_a_person_says_it(fields: dict[str, Any], text: str) -> None:
    job = opp(**fields)
    assert budget_text(job) == text
    assert budget_text(job, unstated="—") == text
    assert budget_stated(job)


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"kind": JobKind.HOURLY}, "Hourly, no stated rate"),
        # A zero is how platforms say "not stated": never "$0" nor "$0–0/h".
        (
            {"kind": JobKind.HOURLY, "hourly_min": D("0"), "hourly_max": D("0")},
            "Hourly, no stated rate",
        ),
        ({"kind": JobKind.FIXED}, "Fixed price, no stated budget"),
        ({"kind": JobKind.FIXED, "budget": D("0")}, "Fixed price, no stated budget"),
        ({"kind": JobKind.UNKNOWN}, "No stated budget"),
        ({"kind": JobKind.UNKNOWN, "budget": D("0"), "hourly_max": D("0")}, "No stated budget"),
    ],
)
def test_a_missing_or_zero_budget_says_so(fields: dict[str, Any], text: str) -> None:
    job = opp(**fields)
    assert budget_text(job) == text
    assert not budget_stated(job)
    assert budget_text(job, unstated="—") == "—"
    assert budget_text(job, unstated="") == ""


def test_an_hourly_job_is_read_by_its_rate_not_a_stray_total() -> None:
    job = opp(kind=JobKind.HOURLY, budget=D("500"))
    assert budget_text(job) == "Hourly, no stated rate"
    assert budget_text(opp(kind=JobKind.HOURLY, budget=D("500"), hourly_max=D("50"))) == (
        "Up to $50/h"
    )


# -- default bid ----------------------------------------------------------------------------

FIXED_JOB = {"kind": JobKind.FIXED, "budget": D("1200")}
HOURLY_JOB = {"kind": JobKind.HOURLY, "hourly_min": D("40"), "hourly_max": D("70")}


@pytest.mark.parametrize("route", [Platform.GIGRADAR, Platform.UPHUNT])
def test_routes_with_default_terms_bid_the_jobs_own_kind(route: Platform) -> None:
    rule = SPECS[route].bids
    assert rule.kinds == (BidKind.HOURLY, BidKind.FIXED, BidKind.PLATFORM_DEFAULT)
    # A fixed job: the client's budget, visibly.
    assert default_bid(opp(**FIXED_JOB), rule) == Bid(kind=BidKind.FIXED, amount=D("1200"))
    # An hourly job: no amount, so the platform bids the profile's rate.
    assert default_bid(opp(**HOURLY_JOB), rule) == Bid(kind=BidKind.HOURLY)
    # A job of unknown kind: the route's default terms, even with a stated total.
    unknown = opp(kind=JobKind.UNKNOWN, budget=D("300"))
    assert default_bid(unknown, rule) == Bid(kind=BidKind.PLATFORM_DEFAULT)


def test_gigiac_bids_the_tasks_budget_whatever_the_job_says() -> None:
    rule = SPECS[Platform.GIGIAC].bids
    assert rule.fixed_only
    for fields in (FIXED_JOB, {**HOURLY_JOB, "budget": D("1200")}, {"budget": D("1200")}):
        job = opp(platform=Platform.GIGIAC, **fields)
        assert default_bid(job, rule) == Bid(kind=BidKind.FIXED, amount=D("1200"))
    # Asked for an hourly bid, Gigiac still gets a fixed one: it takes no other kind.
    job = opp(platform=Platform.GIGIAC, **FIXED_JOB)
    assert default_bid(job, rule, BidKind.HOURLY) == Bid(kind=BidKind.FIXED, amount=D("1200"))


def test_no_stated_budget_leaves_the_amount_to_the_user() -> None:
    rule = SPECS[Platform.GIGRADAR].bids
    for budget in (None, D("0")):
        bid = default_bid(opp(kind=JobKind.FIXED, budget=budget), rule)
        assert bid == Bid(kind=BidKind.FIXED, amount=None)
        job = opp(kind=JobKind.FIXED, budget=budget)
        codes = [i.code for i in blocking(check_submission("A letter. " * 20, bid, (), job))]
        assert "missing_amount" in codes  # said before anything is sent
    gigiac = opp(platform=Platform.GIGIAC, budget=D("0"))
    assert default_bid(gigiac, SPECS[Platform.GIGIAC].bids) == Bid(kind=BidKind.FIXED)


def test_a_kind_the_user_chose_wins_when_the_route_takes_it() -> None:
    rule = SPECS[Platform.UPHUNT].bids
    hourly = opp(**HOURLY_JOB, budget=D("900"))
    assert default_bid(hourly, rule, BidKind.FIXED) == Bid(kind=BidKind.FIXED, amount=D("900"))
    assert default_bid(opp(**FIXED_JOB), rule, BidKind.HOURLY) == Bid(kind=BidKind.HOURLY)
    assert default_bid(opp(**FIXED_JOB), rule, BidKind.PLATFORM_DEFAULT) == Bid(
        kind=BidKind.PLATFORM_DEFAULT
    )


def test_every_default_bid_is_one_its_route_accepts() -> None:
    jobs = [opp(**FIXED_JOB), opp(**HOURLY_JOB), opp(), opp(kind=JobKind.FIXED)]
    for spec in SPECS.values():
        for job in jobs:
            for kind in (None, *BidKind):
                assert default_bid(job, spec.bids, kind).kind in spec.bids.kinds


def test_a_rule_whose_fallback_it_does_not_accept_is_refused() -> None:
    with pytest.raises(ValueError, match="fallback"):
        BidRule(kinds=(BidKind.FIXED,), fallback=BidKind.HOURLY)
