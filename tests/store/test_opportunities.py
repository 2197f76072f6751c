"""Opportunities: exact round trips, new/changed detection, and the user's own marks."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.opportunity import (
    ClientInfo,
    JobKind,
    Opportunity,
    OpportunityStatus,
    Platform,
    Question,
)
from app.store import Store
from tests.helpers.profiles import examples
from tests.store.factories import T0, hourly_opportunity, opportunity

# --- round trips ------------------------------------------------------------------


def test_full_round_trip(store: Store) -> None:
    opp = opportunity(1)
    store.opportunities.upsert_many([opp])
    loaded = store.opportunities.get(opp.key)
    assert loaded == opp
    assert loaded is not None
    assert loaded.budget == Decimal("1250.50")
    assert str(loaded.budget) == "1250.50"  # exponent kept, not just the value
    assert loaded.client.total_spent == Decimal("98765.43")
    assert isinstance(loaded.skills, tuple)
    assert isinstance(loaded.questions[0], Question)
    assert loaded.detected_at.tzinfo is not None
    assert loaded.detected_at.utcoffset() == timedelta(0)


def test_minimal_round_trip(store: Store) -> None:
    opp = Opportunity(platform=Platform.UPHUNT, external_id="x", title="t", detected_at=T0)
    store.opportunities.upsert_many([opp])
    assert store.opportunities.get(opp.key) == opp


def test_other_time_zones_come_back_as_the_same_instant_in_utc(store: Store) -> None:
    tokyo = timezone(timedelta(hours=9))
    opp = opportunity(1, posted_at=datetime(2025, 3, 2, 9, 0, tzinfo=tokyo))
    store.opportunities.upsert_many([opp])
    loaded = store.opportunities.get(opp.key)
    assert loaded is not None
    assert loaded.posted_at == datetime(2025, 3, 2, 0, 0, tzinfo=UTC)
    assert loaded.posted_at is not None
    assert loaded.posted_at.utcoffset() == timedelta(0)


def test_storage_format(sqlite_store: Store) -> None:
    store = sqlite_store
    store.opportunities.upsert_many([opportunity(1), hourly_opportunity(2)])
    with store.db.read() as conn:
        rows = conn.execute(
            "SELECT typeof(budget_cents), budget_cents, typeof(hourly_min_cents),"
            " hourly_min_cents, detected_at FROM opportunities ORDER BY key"
        ).fetchall()
    assert rows[0][:2] == ("null", None)  # gigiac hourly
    assert rows[0][2:4] == ("integer", 2500)
    assert rows[1][:2] == ("integer", 125050)
    # Fixed-width UTC text: text order is time order.
    assert rows[1][4] == "2025-03-01T12:00:01.123456+00:00"


def test_the_database_refuses_fractional_cents(sqlite_store: Store) -> None:
    # SQLite would keep 12.5 in an INTEGER column, so a CHECK refuses it; PostgreSQL's
    # BIGINT column cannot hold it at all (tests/store/test_pg_backend.py).
    store = sqlite_store
    store.opportunities.upsert_many([opportunity(1)])
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"), store.db.read() as conn:
        conn.execute("UPDATE opportunities SET budget_cents = 12.5")


def test_sub_cent_amounts_are_rounded_half_up(store: Store) -> None:
    opp = opportunity(1, budget=Decimal("10.005"), hourly_min=Decimal("0.004"))
    store.opportunities.upsert_many([opp])
    loaded = store.opportunities.get(opp.key)
    assert loaded is not None
    assert (loaded.budget, loaded.hourly_min) == (Decimal("10.01"), Decimal("0.00"))


def test_raw_keeps_odd_values_as_text(store: Store) -> None:
    opp = opportunity(1, raw={"amount": Decimal("1.10"), "at": T0, "nested": {"ok": [1, None]}})
    store.opportunities.upsert_many([opp])
    loaded = store.opportunities.get(opp.key)
    assert loaded is not None
    assert loaded.raw == {
        "amount": "1.10",
        "at": "2025-03-01T12:00:00.123456Z",
        "nested": {"ok": [1, None]},
    }


# --- upsert: new, changed, unchanged ---------------------------------------------


def test_new_changed_unchanged(store: Store) -> None:
    repo = store.opportunities
    first = repo.upsert_many([opportunity(1), opportunity(2)])
    assert first.new == ("gigradar:opp-1", "gigradar:opp-2")
    assert (first.changed, first.unchanged, first.total) == ((), 0, 2)

    again = repo.upsert_many([opportunity(2), opportunity(1), opportunity(3)])
    assert again.new == ("gigradar:opp-3",)
    assert again.changed == ()
    assert again.unchanged == 2

    edited = repo.upsert_many(
        [
            opportunity(1, title="New title"),
            opportunity(2, client=ClientInfo(name="Acme", rating=5.0)),
            opportunity(3),
        ]
    )
    assert edited.changed == ("gigradar:opp-1", "gigradar:opp-2")
    assert (edited.new, edited.unchanged) == ((), 1)
    assert repo.count() == 3


@pytest.mark.parametrize(
    "change",
    [
        {"budget": Decimal("1250.51")},
        {"skills": ("python", "qt")},
        {"raw": {"id": "opp-1", "budget": {"amount": 1250.6}, "tags": ["a", "b"]}},
        {"questions": ()},
        {"status": OpportunityStatus.CLOSED},
        {"deadline": T0 + timedelta(days=3)},
        {"match_score": 0.870001},
        {"context": {}},
    ],
    ids=lambda change: next(iter(change)),
)
def test_any_field_change_is_detected(store: Store, change: dict[str, object]) -> None:
    store.opportunities.upsert_many([opportunity(1)])
    result = store.opportunities.upsert_many([opportunity(1, **change)])
    assert result.changed == ("gigradar:opp-1",)


def test_last_value_wins_within_a_batch(store: Store) -> None:
    result = store.opportunities.upsert_many(
        [opportunity(1, title="first"), opportunity(1, title="second")]
    )
    assert (result.new, result.unchanged) == (("gigradar:opp-1",), 0)
    loaded = store.opportunities.get("gigradar:opp-1")
    assert loaded is not None
    assert loaded.title == "second"


def test_empty_batch_and_generator_input(store: Store) -> None:
    assert store.opportunities.upsert_many([]).total == 0
    result = store.opportunities.upsert_many(opportunity(n) for n in range(5))
    assert len(result.new) == 5


def test_update_preserves_first_seen_and_user_flags(store: Store) -> None:
    repo = store.opportunities
    repo.upsert_many([opportunity(1)])
    before = repo.flags("gigradar:opp-1")
    assert before is not None
    assert before.read_at is None
    assert (before.read, before.starred, before.archived) == (False, False, False)

    read_at = T0 + timedelta(hours=1)
    assert repo.set_read("gigradar:opp-1", at=read_at)
    assert repo.set_starred("gigradar:opp-1")
    assert repo.set_archived("gigradar:opp-1")

    repo.upsert_many([opportunity(1)])  # unchanged: not even updated_at moves
    unchanged = repo.flags("gigradar:opp-1")
    assert unchanged is not None
    assert unchanged.updated_at == before.updated_at

    repo.upsert_many([opportunity(1, title="Edited by the client")])
    after = repo.flags("gigradar:opp-1")
    assert after is not None
    assert (after.read_at, after.starred, after.archived) == (read_at, True, True)
    assert after.first_seen_at == before.first_seen_at
    assert after.updated_at >= before.updated_at

    assert repo.set_read("gigradar:opp-1", False)
    assert repo.set_starred("gigradar:opp-1", False)
    cleared = repo.flags("gigradar:opp-1")
    assert cleared is not None
    assert (cleared.read, cleared.starred, cleared.archived) == (False, False, True)


def test_flags_of_unknown_opportunity(store: Store) -> None:
    repo = store.opportunities
    assert repo.flags("gigradar:nope") is None
    assert not repo.set_read("gigradar:nope")
    assert not repo.set_starred("gigradar:nope")
    assert not repo.set_archived("gigradar:nope")


# --- reads ------------------------------------------------------------------------


def test_get_many_all_and_lookups(store: Store) -> None:
    repo = store.opportunities
    via_uphunt = opportunity(9, platform=Platform.UPHUNT, upwork_job_id="~01shared")
    via_gigradar = opportunity(8, upwork_job_id="~01shared")
    repo.upsert_many([opportunity(1), opportunity(2), via_gigradar, via_uphunt])

    assert repo.get("gigradar:missing") is None
    got = repo.get_many(["gigradar:opp-2", "gigradar:missing", "gigradar:opp-1", "gigradar:opp-2"])
    assert list(got) == ["gigradar:opp-2", "gigradar:opp-1"]
    assert got["gigradar:opp-1"] == opportunity(1)

    newest_first = [o.external_id for o in repo.all()]
    assert newest_first == ["opp-9", "opp-8", "opp-2", "opp-1"]
    assert [o.external_id for o in repo.all(limit=2)] == ["opp-9", "opp-8"]
    assert repo.by_upwork_job("~01shared") == [via_gigradar, via_uphunt]
    assert repo.by_upwork_job("~01none") == []
    assert repo.count() == 4


def test_load_all_rows_is_light_and_convertible(store: Store) -> None:
    repo = store.opportunities
    repo.upsert_many([opportunity(1), hourly_opportunity(2)])
    repo.set_starred("gigradar:opp-1")
    rows = repo.load_all_rows()
    assert [row.key for row in rows] == ["gigiac:task-2", "gigradar:opp-1"]
    hourly, fixed = rows
    assert (fixed.budget, fixed.budget_cents, fixed.starred) == (Decimal("1250.50"), 125050, 1)
    assert (hourly.hourly_min, hourly.hourly_max) == (Decimal("25.00"), Decimal("60.00"))
    assert fixed.skills == ("python", "qt", "sqlite")
    assert fixed.client["total_spent"] == "98765.43"
    assert fixed.detected == opportunity(1).detected_at
    assert hourly.kind == JobKind.HOURLY.value
    assert fixed.read_at is None


# --- property: any valid opportunity comes back equal -------------------------------

# Any text SQLite can hold: UTF-8, so no lone surrogates (NUL and the rest included).
_text = st.text(st.characters(codec="utf-8"), max_size=20)
_money = st.none() | st.integers(0, 10**13).map(lambda cents: Decimal(cents).scaleb(-2))
_when = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
    ),
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_int64 = st.integers(-(2**63), 2**63 - 1)
_clients = st.builds(
    ClientInfo,
    name=st.none() | _text,
    country=st.none() | _text,
    city=st.none() | _text,
    payment_verified=st.none() | st.booleans(),
    total_spent=_money,
    hire_rate=st.none() | st.floats(0, 1),
    total_hires=st.none() | _int64,
    jobs_posted=st.none() | _int64,
    rating=st.none() | st.floats(0, 5),
    reviews=st.none() | _int64,
)
_opportunities = st.builds(
    Opportunity,
    platform=st.sampled_from(Platform),
    external_id=_text.filter(bool),
    account=_text,
    upwork_job_id=st.none() | _text,
    title=_text,
    description=_text,
    url=st.none() | _text,
    kind=st.sampled_from(JobKind),
    budget=_money,
    hourly_min=_money,
    hourly_max=_money,
    skills=st.lists(_text, max_size=4).map(tuple),
    category=st.none() | _text,
    client=_clients,
    questions=st.lists(st.builds(Question, id=_text, text=_text), max_size=3).map(tuple),
    match_score=st.none() | st.floats(0, 1),
    connects_price=st.none() | _int64,
    posted_at=st.none() | _when,
    detected_at=_when,
    deadline=st.none() | _when,
    status=st.sampled_from(OpportunityStatus),
    context=st.dictionaries(_text, _text, max_size=3),
    raw=st.dictionaries(_text, _json, max_size=4),
)


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    # Module-scoped: hypothesis runs many examples against one database.
    with Store.open(tmp_path_factory.mktemp("hypothesis") / Path("profile")) as opened:
        yield opened


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(_opportunities, min_size=1, max_size=3))
def test_any_opportunity_round_trips_exactly(shared_store: Store, batch: list[Opportunity]) -> None:
    repo = shared_store.opportunities
    # A key seen before keeps the detection time of its first sighting (upsert_many).
    first_seen = {o.key: found.detected_at for o in batch if (found := repo.get(o.key))}
    repo.upsert_many(batch)
    latest = {
        opp.key: opp.model_copy(update={"detected_at": first_seen.get(opp.key, opp.detected_at)})
        for opp in batch
    }
    for key, opp in latest.items():
        assert repo.get(key) == opp
    assert repo.get_many(latest) == latest
    # Encoding is deterministic: writing the same values again changes nothing.
    again = repo.upsert_many(latest.values())
    assert again.unchanged == len(latest)


def test_a_repoll_that_stamps_a_new_detection_time_changes_nothing(tmp_path) -> None:
    """Gigiac has no detection time: its client stamps "now" on every poll. The first
    time we saw a task is what detected_at means, so a re-poll is not a change."""
    from datetime import timedelta

    from app.domain import JobKind, Opportunity, Platform
    from app.store import Store

    first = Opportunity(
        platform=Platform.GIGIAC, external_id="t-1", title="Label photos", kind=JobKind.FIXED
    )
    with Store.open(tmp_path / "p") as store:
        assert store.opportunities.upsert_many([first]).new == (first.key,)
        later = first.model_copy(update={"detected_at": first.detected_at + timedelta(minutes=5)})
        result = store.opportunities.upsert_many([later])
        assert result.changed == () and result.new == ()
        assert store.opportunities.get(first.key).detected_at == first.detected_at
        retitled = later.model_copy(update={"title": "Label 500 photos"})
        assert store.opportunities.upsert_many([retitled]).changed == (first.key,)
        assert store.opportunities.get(first.key).detected_at == first.detected_at
