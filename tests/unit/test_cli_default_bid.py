"""The CLI bids and prints budgets with the one rule (app/domain/bidding.py)."""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import Any

import pytest

from app.cli.commands.submit import _bid_from
from app.cli.common import CliError
from app.cli.output import _budget
from app.domain import Bid, BidKind, JobKind, Opportunity, Platform


def args(**kw: Any) -> argparse.Namespace:
    return argparse.Namespace(**{"bid": None, "bid_type": None, "via": None, **kw})


def job(**kw: Any) -> Opportunity:
    fields: dict[str, Any] = {"platform": Platform.GIGRADAR, "external_id": "j", "title": "T"}
    return Opportunity(**{**fields, **kw})


def test_without_bid_a_fixed_job_bids_its_budget_and_an_hourly_one_the_profile_rate() -> None:
    fixed = job(kind=JobKind.FIXED, budget=Decimal("900"))
    assert _bid_from(args(), fixed) == Bid(kind=BidKind.FIXED, amount=Decimal("900"))
    hourly = job(kind=JobKind.HOURLY, hourly_max=Decimal("60"))
    assert _bid_from(args(), hourly) == Bid(kind=BidKind.HOURLY)
    assert _bid_from(args(via="uphunt"), job()) == Bid(kind=BidKind.PLATFORM_DEFAULT)
    task = job(platform=Platform.GIGIAC, budget=Decimal("300"))
    assert _bid_from(args(bid_type="hourly"), task) == Bid(
        kind=BidKind.FIXED, amount=Decimal("300")
    )


@pytest.mark.parametrize("budget", [None, Decimal("0")])
def test_no_budget_to_bid_is_one_sentence(budget: Decimal | None) -> None:
    with pytest.raises(CliError, match="states no budget to bid; give --bid"):
        _bid_from(args(), job(kind=JobKind.FIXED, budget=budget))
    with pytest.raises(CliError, match="give --bid"):
        _bid_from(args(), job(platform=Platform.GIGIAC, budget=budget))


def test_an_explicit_bid_is_kept() -> None:
    fixed = job(kind=JobKind.FIXED, budget=Decimal("900"))
    assert _bid_from(args(bid="750"), fixed) == Bid(kind=BidKind.FIXED, amount=Decimal("750"))


def test_the_list_column_reads_like_the_editor_and_never_says_zero_dollars() -> None:
    assert _budget(job(kind=JobKind.FIXED, budget=Decimal("1200"))) == "$1,200 fixed"
    assert _budget(job(kind=JobKind.HOURLY, hourly_min=Decimal("40"))) == "From $40/h"
    assert _budget(job(kind=JobKind.HOURLY, hourly_min=Decimal("0"))) == "—"
    assert _budget(job(kind=JobKind.FIXED, budget=Decimal("0"))) == "—"
