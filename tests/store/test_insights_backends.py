"""The insights SQL on both backends: this desktop's SQLite and a team's PostgreSQL.

The reads go through the store's reader; each test here runs once per backend (the
`store` fixture) and expects the same exact figures from both.
"""

from __future__ import annotations

import io
from datetime import timedelta

from app.domain.insights import ME, NOT_SIGNED, Dimension, Query
from app.services.insights import Insights
from app.store import Store
from tests.insights.conftest import FEB, JAN, build_history
from tests.insights.team_history import FUNNEL, SIGNED, UNSIGNED, build_team_history, counts, key
from tests.insights.team_history import JAN as TEAM_JAN

JANUARY = Query(since=JAN.replace(day=1), until=FEB)


def test_the_report_is_the_same_on_either_backend(store: Store) -> None:
    build_history(store)
    insights = Insights(store)
    try:
        report = insights.compute(JANUARY, [Dimension.TEMPLATE, Dimension.SPEED])
        everything = insights.compute(Query())
    finally:
        insights.close()
    assert report.funnel.to_json() == {
        "seen": 7, "drafted": 6, "sent": 4, "viewed": 3, "replied": 2, "accepted": 1,
    }  # fmt: skip
    assert everything.funnel.to_json()["sent"] == 5  # February's one too
    templates = {g.key: (g.sent, g.replied.hits) for g in report.breakdowns[Dimension.TEMPLATE]}
    assert templates == {"A": (2, 1), "B": (1, 0), "(typed by hand)": (1, 1)}
    assert report.speed.posted_to_sent.n == 4
    # 10 min after posting for job 1 (its send is the fastest)
    assert min(report.send_minutes) == 10.0
    assert report.cost.connects > 0


def test_members_on_either_backend(store: Store) -> None:
    build_team_history(store)
    insights = Insights(store, "dana")
    try:
        report = insights.compute(
            Query(since=TEAM_JAN - timedelta(days=1), until=FEB), [Dimension.MEMBER]
        )
    finally:
        insights.close()
    # On a team database a proposal no one signed is not this desktop's to claim.
    unsigned = "dana" if store.backend == "sqlite" else NOT_SIGNED
    assert counts(report.breakdowns[Dimension.MEMBER]) == {**SIGNED, unsigned: UNSIGNED}
    assert report.funnel.to_json() == FUNNEL


def test_facts_of_some_keys_and_exports_on_either_backend(store: Store) -> None:
    build_team_history(store)
    insights = Insights(store)
    try:
        insights.compute(Query())
        insights.update([key(3), key(4)])
        report = insights.compute(Query(), [Dimension.MEMBER])
        out = io.StringIO()
        exported = insights.export_csv("submissions", out)
        opportunities = insights.export_json("opportunities", io.StringIO())
    finally:
        insights.close()
    got = counts(report.breakdowns[Dimension.MEMBER])
    assert got["bob"] == SIGNED["bob"]  # re-read facts keep their member
    assert got.get(ME if store.backend == "sqlite" else NOT_SIGNED) == UNSIGNED
    assert exported == 6 and opportunities == 6
