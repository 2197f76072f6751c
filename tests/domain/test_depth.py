"""Competition and client depth: what a proposals tier means, and the filters on Connects,
proposals, client hires and average rate (the light-row filter must agree: see
test_filter_rows.py, which draws these fields too)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.domain.filter_rows import PROPOSALS_UNBOUNDED, compile_fields, fields_of
from app.domain.filters import FilterSpec
from app.domain.opportunity import (
    ClientInfo,
    Competition,
    Opportunity,
    Platform,
    proposals_tier_range,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tier", "span"),
    [
        ("Less than 5", (0, 4)),
        ("5 to 10", (5, 10)),
        ("20  TO 50", (20, 50)),
        ("50+", (50, None)),
        ("7 to 9", (7, 9)),
        ("100+", (100, None)),
        ("less than 3", (0, 2)),
        ("a handful", None),
        ("", None),
    ],
)
def test_proposal_tiers_read_as_ranges(tier: str, span: tuple[int, int | None] | None) -> None:
    assert proposals_tier_range(tier) == span


def test_an_exact_count_wins_over_the_tier_and_nothing_known_is_unknown() -> None:
    both = Competition(proposals=7, proposals_tier="5 to 10")
    assert both.proposals_range == (7, 7) and both.proposals_text == "7"
    assert Competition(proposals_tier="10 to 15").proposals_most == 15
    assert Competition(proposals_tier="50+").proposals_most is None
    assert not Competition().known and Competition().proposals_range is None
    assert Competition(invites_sent=0).known  # zero invites is known, not missing


def _job(**kw: object) -> Opportunity:
    data: dict[str, object] = {"platform": Platform.GIGRADAR, "external_id": "1", "title": "t"}
    data.update(kw)
    return Opportunity.model_validate(data)


def _passes(spec: FilterSpec, opp: Opportunity) -> bool:
    full = spec.compile(NOW)(opp, "", "new")
    light = compile_fields(spec, NOW)(fields_of(opp), "", "new")
    assert full is light
    return bool(full)


def test_connects_at_most_keeps_cheap_jobs_and_tasks_that_cost_none() -> None:
    spec = FilterSpec(connects_max=8)
    assert _passes(spec, _job(connects_price=8))
    assert not _passes(spec, _job(connects_price=16))
    assert _passes(spec, _job(platform=Platform.GIGIAC))  # no Connects on Gigiac


@pytest.mark.parametrize(
    ("competition", "at_most_10"),
    [
        (Competition(proposals_tier="Less than 5"), True),
        (Competition(proposals_tier="5 to 10"), True),
        (Competition(proposals_tier="10 to 15"), False),  # may be 15
        (Competition(proposals_tier="50+"), False),
        (Competition(proposals=10), True),
        (Competition(proposals=11), False),
        (Competition(interviewing=0), False),  # proposals unknown
        (Competition(), False),
    ],
)
def test_proposals_at_most_trusts_only_the_upper_end(
    competition: Competition, at_most_10: bool
) -> None:
    assert _passes(FilterSpec(proposals_max=10), _job(competition=competition)) is at_most_10


def test_an_open_ended_tier_is_above_any_bound() -> None:
    job = _job(competition=Competition(proposals_tier="50+"))
    assert fields_of(job).proposals_most == PROPOSALS_UNBOUNDED
    assert not _passes(FilterSpec(proposals_max=1_000_000), job)


def test_client_history_bounds_fail_on_an_unknown_history() -> None:
    seasoned = _job(client=ClientInfo(total_hires=40, avg_hourly_rate=Decimal("35.50")))
    fresh = _job(client=ClientInfo(total_hires=0))
    unknown = _job()
    hires = FilterSpec(client_hires_min=10)
    assert _passes(hires, seasoned) and not _passes(hires, fresh) and not _passes(hires, unknown)
    rate = FilterSpec(client_avg_rate_min=Decimal("35.5"))
    assert _passes(rate, seasoned)
    assert not _passes(FilterSpec(client_avg_rate_min=Decimal("35.51")), seasoned)
    assert not _passes(rate, fresh) and not _passes(rate, unknown)


def test_depth_filters_survive_a_saved_filter() -> None:
    spec = FilterSpec(
        connects_max=8, proposals_max=10, client_hires_min=5, client_avg_rate_min=Decimal("30")
    )
    assert FilterSpec.from_json(spec.to_json()) == spec
