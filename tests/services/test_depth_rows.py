"""Competition and client depth survive the store, and the inbox's light rows (loaded at
start-up without the models) carry them to the filters exactly as the models do."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from app.domain.filter_rows import fields_of
from app.domain.filters import FilterSpec
from app.domain.opportunity import ClientInfo, Competition, Opportunity, Platform
from app.services.inbox_rows import prepare_rows, records_of
from app.store import Store

COMPETITIONS = (
    Competition(),
    Competition(proposals_tier="5 to 10", interviewing=2, invites_sent=3),
    Competition(proposals_tier="50+", interviewing=0, invites_sent=0),
    Competition(proposals=4),
    Competition(proposals_tier="odd label"),
)
CLIENTS = (
    ClientInfo(),
    ClientInfo(
        total_hires=31,
        jobs_posted=40,
        avg_hourly_rate=Decimal("42.50"),
        member_since=datetime(2019, 3, 4, tzinfo=UTC),
    ),
    ClientInfo(total_hires=0, jobs_posted=1),
)


def _jobs() -> list[Opportunity]:
    return [
        Opportunity(
            platform=Platform.GIGRADAR,
            external_id=f"op-{i}-{j}",
            title=f"Job {i} {j}",
            competition=competition,
            client=client,
            connects_price=(None, 4, 16)[(i + j) % 3],
        )
        for i, competition in enumerate(COMPETITIONS)
        for j, client in enumerate(CLIENTS)
    ]


def test_depth_round_trips_and_light_rows_agree(store: Store) -> None:
    jobs = _jobs()
    store.opportunities.upsert_many(jobs)
    for job in jobs:
        assert store.opportunities.get(job.key) == job
    prepared = prepare_rows(store.opportunities.load_all_rows(), {})
    by_key = {job.key: job for job in jobs}
    for key, fields in zip(prepared.keys, prepared.fields, strict=True):
        assert fields == tuple(fields_of(by_key[key]))
        assert fields == records_of(by_key[key])[2]


def test_an_unchanged_competition_is_no_change_and_a_new_tier_is_one(store: Store) -> None:
    [job] = _jobs()[4:5]
    store.opportunities.upsert_many([job])
    assert store.opportunities.upsert_many([job]).unchanged == 1
    busier = job.model_copy(update={"competition": Competition(proposals_tier="10 to 15")})
    assert store.opportunities.upsert_many([busier]).changed == (job.key,)


def test_a_depth_filter_over_the_light_rows(store: Store) -> None:
    from app.domain.filter_rows import compile_rows

    store.opportunities.upsert_many(_jobs())
    prepared = prepare_rows(store.opportunities.load_all_rows(), {})
    spec = FilterSpec(proposals_max=10, client_hires_min=10)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    kept = compile_rows(spec, now)(
        range(len(prepared.keys)), prepared.fields, prepared.haystacks, prepared.filter_states
    )
    # "5 to 10" and exactly 4 proposals, each with the one client of 31 hires.
    assert sorted(prepared.keys[i] for i in kept) == ["gigradar:op-1-1", "gigradar:op-3-1"]
