"""The funnel and every breakdown on a hand-built history: exact counts and rates."""

from __future__ import annotations

import pytest

from app.domain.insights import Dimension, Query, Rate, wilson
from app.domain.opportunity import Platform
from app.services.insights import Insights
from tests.insights.conftest import FEB, JAN

JANUARY = Query(since=JAN.replace(day=1), until=FEB)


def _groups(
    insights: Insights, by: Dimension, query: Query = JANUARY
) -> dict[str, tuple[int, int]]:
    report = insights.compute(query, [by])
    return {g.key: (g.replied.hits, g.sent) for g in report.breakdowns[by]}


def test_funnel_counts_each_stage_once_and_cumulatively(insights: Insights) -> None:
    report = insights.compute(JANUARY)
    # 7 seen; 6 drafted (4 sent, 1 draft, 1 failed send); a reply later rejected still
    # counts as a reply; the February job is outside the period.
    assert report.funnel.to_json() == {
        "seen": 7,
        "drafted": 6,
        "sent": 4,
        "viewed": 3,
        "replied": 2,
        "accepted": 1,
    }
    assert report.funnel_by_platform[Platform.GIGRADAR].to_json() == {
        "seen": 5,
        "drafted": 4,
        "sent": 3,
        "viewed": 2,
        "replied": 1,
        "accepted": 1,
    }
    assert report.funnel_by_platform[Platform.GIGIAC].to_json() == {
        "seen": 2,
        "drafted": 2,
        "sent": 1,
        "viewed": 1,
        "replied": 1,
        "accepted": 0,
    }
    assert (report.replied.hits, report.replied.n) == (2, 4)
    assert (report.accepted.hits, report.accepted.n) == (1, 4)


def test_the_period_and_platform_filters_choose_the_cohort(insights: Insights) -> None:
    everything = insights.compute(Query())
    assert everything.funnel.sent == 5 and everything.funnel.replied == 3
    gigiac = insights.compute(Query(platforms=frozenset({Platform.GIGIAC})))
    assert gigiac.funnel.to_json() == {
        "seen": 2,
        "drafted": 2,
        "sent": 1,
        "viewed": 1,
        "replied": 1,
        "accepted": 0,
    }
    february = insights.compute(Query(since=FEB))
    assert february.funnel.seen == 1 and february.funnel.replied == 1


def test_breakdowns_by_template_verified_country_speed_and_bid(insights: Insights) -> None:
    assert _groups(insights, Dimension.TEMPLATE) == {
        "A": (1, 2),
        "B": (0, 1),
        "(typed by hand)": (1, 1),
    }
    verified = insights.compute(JANUARY, [Dimension.VERIFIED]).breakdowns[Dimension.VERIFIED]
    assert [(g.key, g.sent, g.replied.hits) for g in verified] == [
        ("payment verified", 2, 1),  # opp 1 (replied) and opp 3 (the factory's client)
        ("not verified", 1, 0),
        ("unknown", 1, 1),  # the Gigiac task says nothing about its client
    ]
    assert _groups(insights, Dimension.COUNTRY) == {
        "Germany": (1, 1),
        "India": (0, 1),
        "DE": (0, 1),
        "unknown": (1, 1),
    }
    # posted → sent: 10 min, 120 min, 30 min, 45 min
    assert _groups(insights, Dimension.SPEED) == {
        "< 15 min": (1, 1),
        "15–60 min": (1, 2),
        "1–3 h": (0, 1),
    }
    # 1200 against a 1250.50 budget; the hourly task's fixed bid has no reference
    assert _groups(insights, Dimension.BID) == {
        "90–110%": (1, 3),
        "no budget or default bid": (1, 1),
    }
    assert _groups(insights, Dimension.PLATFORM) == {"GigRadar": (1, 3), "Gigiac": (1, 1)}


def test_cost_of_wins_counts_connects_and_boosts(insights: Insights) -> None:
    report = insights.compute(JANUARY)
    payload = report.to_json()["cost"]
    # three GigRadar sends at 16 Connects plus a 5-Connect boost; the Gigiac one is free
    assert payload["total"] == {
        "connects": 63,
        "connects_usd": 9.45,
        "uphunt_credits": 0,
        "gigiac_credits": 0,
    }
    assert payload["per_win"]["connects"] == 63.0
    assert payload["per_reply"]["connects"] == 31.5


def test_time_to_send_medians_and_the_apps_share(insights: Insights) -> None:
    speed = insights.compute(JANUARY).speed
    assert speed.posted_to_sent.n == 4
    assert speed.posted_to_sent.median == pytest.approx((30 + 45) / 2)
    # opened 1 min after detection, draft ready 2 min later (three recorded jobs)
    assert speed.opened_to_draft.median == pytest.approx(2.0)
    assert speed.detected_to_opened.median == pytest.approx(1.0)


def test_weeks_group_sends_by_monday() -> None:
    from app.domain.insights import ProposalFact, Reached, weekly

    monday = JAN
    facts = [
        ProposalFact("a", Platform.GIGRADAR, monday, sent_at=monday, reached=Reached.REPLIED),
        ProposalFact("b", Platform.GIGRADAR, monday, sent_at=monday.replace(day=11)),
        ProposalFact("c", Platform.GIGRADAR, monday, sent_at=monday.replace(day=12)),
    ]
    weeks = weekly(facts)
    assert [(w.start.day, w.sent, w.replied.hits) for w in weeks] == [(5, 2, 1), (12, 1, 0)]


def test_rates_carry_counts_intervals_and_flag_small_numbers() -> None:
    low, high = wilson(5, 10) or (0, 0)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    assert wilson(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))
    assert wilson(0, 0) is None
    assert Rate(3, 8).small and Rate(3, 8).text() == "3/8 (few)"
    assert not Rate(10, 40).small
    assert Rate(10, 40).text() == "25% (10/40, 14–40%)"
    assert Rate(10, 40).to_json() == {
        "count": 10,
        "of": 40,
        "rate": 0.25,
        "low": 0.1419,
        "high": 0.4019,
        "small": False,
    }


def test_a_changed_submission_is_read_again_without_rereading_the_rest(
    history_store, insights: Insights
) -> None:
    from app.domain.submission import Outcome, StatusUpdate

    before = insights.compute(JANUARY)
    assert before.funnel.accepted == 1
    sub = history_store.submissions.by_opportunity("gigradar:opp-3")[0]
    history_store.submissions.save(sub.apply(StatusUpdate(outcome=Outcome.ACCEPTED), via="poll"))
    assert insights.compute(JANUARY).funnel.accepted == 1  # the held facts
    insights.update(["gigradar:opp-3"])
    after = insights.compute(JANUARY)
    # a win counts as viewed and replied too
    assert after.funnel.to_json() == {
        "seen": 7, "drafted": 6, "sent": 4, "viewed": 4, "replied": 3, "accepted": 2,
    }  # fmt: skip
    # a job worked on for the first time joins the facts
    insights.note_opened("gigradar:opp-5")
    insights.note_draft_ready("gigradar:opp-5", "B")
    insights.update(["gigradar:opp-5"])
    assert insights.compute(JANUARY).funnel.drafted == 7


def test_the_editors_speed_line() -> None:
    from datetime import timedelta

    from app.domain.insights import speed_text

    now = JAN + timedelta(hours=3)
    assert speed_text(now - timedelta(seconds=20), 0, now) == "Detected just now"
    assert (
        speed_text(now - timedelta(minutes=9), 42, now) == "Detected 9 min ago · 42 s on it so far"
    )
    assert speed_text(now - timedelta(hours=5), 185, now) == "Detected 5 h ago · 3 min on it so far"
    assert speed_text(now - timedelta(days=3), 0, now) == "Detected 3 days ago"
