"""The normalized opportunity: keys, dedupe, time zones, validation bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.domain.opportunity import (
    ClientInfo,
    JobKind,
    Opportunity,
    OpportunityStatus,
    Platform,
    ensure_utc,
    opportunity_key,
    split_key,
    utcnow,
)


def make(**fields: object) -> Opportunity:
    base: dict[str, object] = {"platform": Platform.GIGRADAR, "external_id": "507f", "title": "T"}
    base.update(fields)
    return Opportunity.model_validate(base)


@pytest.mark.parametrize("platform", list(Platform))
@pytest.mark.parametrize("external_id", ["507f1f77", "~01abc", "a:b:c", "task_xyz789", " x "])
def test_key_round_trips(platform: Platform, external_id: str) -> None:
    opp = make(platform=platform, external_id=external_id)
    assert opp.key == f"{platform.value}:{external_id}"
    assert opp.key == opportunity_key(platform, external_id)
    assert opportunity_key(platform.value, external_id) == opp.key
    assert split_key(opp.key) == (platform, external_id)


@settings(database=None, deadline=None)
@given(st.sampled_from(list(Platform)), st.text(min_size=1))
def test_any_key_round_trips(platform: Platform, external_id: str) -> None:
    assert split_key(opportunity_key(platform, external_id)) == (platform, external_id)


@pytest.mark.parametrize("key", ["", "gigradar", "gigradar:", ":507f", "upwork:~01", "GigRadar:1"])
def test_split_key_rejects_malformed_keys(key: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - ValueError is the documented contract
        split_key(key)


def test_opportunity_key_rejects_an_unknown_platform() -> None:
    with pytest.raises(ValueError, match="upwork"):
        opportunity_key("upwork", "1")


def test_an_empty_external_id_is_rejected() -> None:
    # Its key "gigradar:" could not be split back: the store's primary key must round-trip.
    with pytest.raises(ValidationError):
        make(external_id="")


def test_dedupe_key_prefers_the_upwork_job() -> None:
    via_gigradar = make(platform=Platform.GIGRADAR, external_id="507f", upwork_job_id="~01abc")
    via_uphunt = make(platform=Platform.UPHUNT, external_id="~01abc", upwork_job_id="~01abc")
    assert via_gigradar.dedupe_key == via_uphunt.dedupe_key == "upwork:~01abc"
    assert via_gigradar.key != via_uphunt.key
    gigiac = make(platform=Platform.GIGIAC, external_id="task-1")
    assert gigiac.dedupe_key == gigiac.key == "gigiac:task-1"
    assert make(upwork_job_id="").dedupe_key == "gigradar:507f"


def test_naive_datetimes_become_utc() -> None:
    naive = datetime(2025, 3, 1, 12, 0)
    opp = make(posted_at=naive, detected_at=naive, deadline=naive)
    for value in (opp.posted_at, opp.detected_at, opp.deadline):
        assert value == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
        assert value is not None
        assert value.tzinfo is UTC


def test_aware_datetimes_are_converted_to_utc() -> None:
    kyiv = timezone(timedelta(hours=2))
    opp = make(posted_at=datetime(2025, 3, 1, 14, 0, tzinfo=kyiv))
    assert opp.posted_at == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert opp.posted_at is not None
    assert opp.posted_at.utcoffset() == timedelta(0)


def test_iso_strings_are_parsed_to_utc() -> None:
    opp = make(posted_at="2025-03-01T12:00:00Z", deadline="2025-03-08T12:00:00")
    assert opp.posted_at == datetime(2025, 3, 1, 12, tzinfo=UTC)
    assert opp.deadline == datetime(2025, 3, 8, 12, tzinfo=UTC)


def test_detected_at_defaults_to_now_in_utc() -> None:
    before = utcnow()
    opp = make()
    assert before <= opp.detected_at <= utcnow()
    assert opp.detected_at.tzinfo is UTC
    assert opp.posted_at is None


def test_ensure_utc() -> None:
    assert ensure_utc(datetime(2025, 1, 1)).tzinfo is UTC
    east = datetime(2025, 1, 1, 5, tzinfo=timezone(timedelta(hours=5)))
    assert ensure_utc(east) == datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("score", [0.0, 0.5, 1.0, None])
def test_match_score_in_range(score: float | None) -> None:
    assert make(match_score=score).match_score == score


@pytest.mark.parametrize("score", [-0.01, 1.01, 85, float("nan"), float("inf")])
def test_match_score_out_of_range(score: float) -> None:
    with pytest.raises(ValidationError):
        make(match_score=score)


@pytest.mark.parametrize(("field", "low", "high"), [("hire_rate", 0.0, 1.0), ("rating", 0.0, 5.0)])
def test_client_bounds(field: str, low: float, high: float) -> None:
    for ok in (low, (low + high) / 2, high, None):
        assert getattr(ClientInfo.model_validate({field: ok}), field) == ok
    for bad in (low - 0.001, high + 0.001, float("nan")):
        with pytest.raises(ValidationError):
            ClientInfo.model_validate({field: bad})


def test_defaults_and_immutability() -> None:
    opp = make()
    assert opp.kind is JobKind.UNKNOWN
    assert opp.status is OpportunityStatus.OPEN
    assert opp.client == ClientInfo()
    assert opp.questions == ()
    with pytest.raises(ValidationError):
        opp.title = "changed"  # type: ignore[misc]


def test_money_fields_are_decimal() -> None:
    opp = make(budget="500.00", hourly_min=25, client=ClientInfo(total_spent=Decimal("1e4")))
    assert opp.budget == Decimal("500.00")
    assert isinstance(opp.hourly_min, Decimal)
    assert opp.client.total_spent == Decimal(10_000)


def test_platform_labels() -> None:
    assert [p.label for p in Platform] == ["GigRadar", "UpHunt", "Gigiac"]
