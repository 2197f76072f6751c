"""Insights per member and for the team: the `member` breakdown on hand-built histories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.domain.insights import ME, Dimension, Query
from app.services.insights import Insights
from app.services.team import MEMBER_ENV
from app.store import Store
from tests.helpers.cli import run
from tests.insights.conftest import FEB, build_history
from tests.insights.team_history import FUNNEL, JAN, SIGNED, UNSIGNED, build_team_history, counts

JANUARY = Query(since=JAN.replace(day=1), until=FEB)


def test_a_desktop_of_its_own_shows_one_member_with_every_proposal(insights: Insights) -> None:
    report = insights.compute(JANUARY, [Dimension.MEMBER])
    # The hand-built January history: 4 sent, 3 viewed, 2 replied, 1 accepted — all "you".
    assert counts(report.breakdowns[Dimension.MEMBER]) == {ME: (4, 3, 2, 1)}


def test_the_desktops_user_names_the_one_member(history_store: Store) -> None:
    named = Insights(history_store, "dana")
    try:
        report = named.compute(JANUARY, [Dimension.MEMBER])
    finally:
        named.close()
    assert counts(report.breakdowns[Dimension.MEMBER]) == {"dana": (4, 3, 2, 1)}


def test_each_proposal_counts_for_whoever_sent_it(store: Store) -> None:
    build_team_history(store)
    insights = Insights(store, "dana")
    try:
        report = insights.compute(JANUARY, [Dimension.MEMBER])
    finally:
        insights.close()
    # Not whoever started the send (alice, job 3) nor whoever polled the outcome (carol):
    # the signer of the `submitted` entry. The unsigned one is this desktop's user's.
    assert counts(report.breakdowns[Dimension.MEMBER]) == {**SIGNED, "dana": UNSIGNED}
    # The team's figures are the members' sums.
    assert report.funnel.to_json() == FUNNEL
    groups = report.breakdowns[Dimension.MEMBER]
    assert sum(g.sent for g in groups) == report.funnel.sent
    assert sum(g.replied.hits for g in groups) == report.funnel.replied


def test_stats_by_member_json(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = tmp_path / "prof"
    with Store.open(profile) as store:
        build_history(store)
        build_team_history(store)
    monkeypatch.setenv(MEMBER_ENV, "dana")
    code, out, err = run(
        ["--profile", str(profile), "stats", "--json", "--by", "member",
         "--since", "2026-01-01", "--until", "2026-02-01"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    breakdown = json.loads(out)["breakdown"]
    assert breakdown["by"] == "member"
    got = {
        g["key"]: (g["sent"], g["viewed"]["count"], g["replied"]["count"], g["accepted"]["count"])
        for g in breakdown["groups"]
    }
    # dana: the 4 unsigned proposals of the first history and the team history's one.
    assert got == {"dana": (5, 4, 2, 1), **SIGNED}
    assert [g["key"] for g in breakdown["groups"]] == ["dana", "alice", "bob"]
    code, out, err = run(["--profile", str(profile), "stats", "--by", "member"], capsys)
    assert code == 0, err
    assert "By member:" in out and "alice" in out and "dana" in out
