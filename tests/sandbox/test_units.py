"""Unit tests of the sandbox's moving parts, driven by a manual clock (no server, no sleeps)."""

from __future__ import annotations

import logging
import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.sandbox.clock import ManualClock, Scheduler
from app.sandbox.data import (
    CONNECTS_RATE_CARD,
    TIMELINES,
    UpworkUniverse,
    make_task,
    task_budget_cents,
)
from app.sandbox.events import EventLog
from app.sandbox.faults import FaultInjector
from app.sandbox.gigiac import GigiacState
from app.sandbox.gigradar import GigRadarState
from app.sandbox.platform import SandboxContext
from app.sandbox.ratelimit import MINUTE, RateLimiter
from app.sandbox.uphunt import TERMINAL, UpHuntState


def context(speed: float = 1.0) -> tuple[SandboxContext, ManualClock]:
    clock = ManualClock(speed)
    ctx = SandboxContext(
        clock=clock,
        scheduler=Scheduler(clock),
        limiter=RateLimiter(clock),
        faults=FaultInjector(),
        events=EventLog(clock),
        seed=5,
        timeout_hold=1.0,
    )
    return ctx, clock


def test_scheduler_runs_due_callbacks_in_order_including_chained_ones() -> None:
    clock = ManualClock()
    scheduler = Scheduler(clock)
    ran: list[str] = []
    scheduler.call_later(5, lambda: ran.append("b"))
    scheduler.call_later(
        1, lambda: (ran.append("a"), scheduler.call_later(0, lambda: ran.append("a2")))
    )
    scheduler.call_later(10, lambda: ran.append("c"))
    assert scheduler.advance() == 0
    clock.advance(5)
    assert scheduler.advance() == 3
    assert ran == ["a", "b", "a2"]  # a chained step counts from the clock, not its parent
    assert scheduler.next_due() == pytest.approx(clock.monotonic() + 5)


# A lifecycle callback raises on purpose; the scheduler logs it and runs the next ones.
@pytest.mark.allow_error_log("a failing callback is logged", logger="app.sandbox.clock")
def test_a_failing_callback_is_logged_and_later_ones_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock()
    scheduler = Scheduler(clock)
    ran: list[int] = []

    def broken() -> None:
        raise RuntimeError("boom")

    scheduler.call_later(1, broken)
    scheduler.call_later(2, lambda: ran.append(2))
    clock.advance(3)
    with caplog.at_level(logging.ERROR, logger="app.sandbox.clock"):
        assert scheduler.advance() == 2
    assert ran == [2]
    assert "lifecycle callback failed" in caplog.text


def test_rate_window_rolls_over_and_scales_with_speed() -> None:
    clock = ManualClock(speed=60)  # a minute lasts one second
    limiter = RateLimiter(clock)
    window = limiter.window("k", "b", 2, MINUTE)
    assert window.length == pytest.approx(1.0)
    assert limiter.hit((window,)).allowed
    assert limiter.hit((window,)).allowed
    refused = limiter.hit((window,))
    assert not refused.allowed
    assert refused.retry_after == 1
    clock.advance(0.4)
    assert limiter.hit((window,)).retry_after == 1  # ceil, never 0
    clock.advance(0.6)
    decision = limiter.hit((window,))
    assert decision.allowed
    assert window.remaining == 1
    assert decision.reset_unix(window) >= clock.wall()


def test_gigradar_application_lifecycle_with_a_manual_clock() -> None:
    ctx, clock = context(speed=10)
    universe = UpworkUniverse(random.Random(1))
    state = GigRadarState(ctx, universe, random.Random(2), initial=5)
    opp = next(o for o in state.opportunities.values() if not o.job.questions)
    app = state.create_application(opp, "[[sim:sent]] Hello", None, [], clock.wall())
    assert app.state == "scheduled"
    clock.advance(0.4)  # 4 sandbox seconds: below the 5 s minimum latency
    ctx.scheduler.advance()
    assert app.sent is None
    clock.advance(6)  # 60 sandbox seconds: always past the latency
    ctx.scheduler.advance()
    assert app.state == "sent"
    assert app.proposal is not None
    assert universe.agency_proposals[opp.job.ciphertext] == "gigradar"
    # A second scanner's application on the same Upwork job would be a duplicate (9012).
    twin = state.add_opportunity(jobId=opp.job.ciphertext)
    twin_app = state.create_application(twin, "Hello again", None, [], clock.wall())
    clock.advance(6)
    ctx.scheduler.advance()
    assert twin_app.error
    assert twin_app.error_code == 9012


def test_uphunt_queue_reaches_a_terminal_state_and_settles_credits() -> None:
    ctx, clock = context(speed=1)
    universe = UpworkUniverse(random.Random(1))
    state = UpHuntState(ctx, universe, random.Random(2), extra_jobs=10)
    jobs = list(universe.jobs.values())
    items = [
        state.enqueue(
            job,
            profile_id=state.default_profile_id,
            cover_letter="Hi",
            proposal={},
            auto_fill=False,
            question_answers=[],
        )
        for job in jobs
    ]
    assert state.credits_remaining == 50 - len(items)
    clock.advance(600)  # far beyond the p95 of 90 s, even with same-agency pacing
    ctx.scheduler.advance()
    assert all(item.status in TERMINAL for item in items)
    applied = sum(item.status == "applied" for item in items)
    assert state.reserved == 0
    assert state.credits == 50 - applied
    assert len(ctx.events.since(0, platform="uphunt")) == len(items)


def test_gigiac_commissioner_decides_and_a_closed_task_rejects() -> None:
    ctx, clock = context()
    state = GigiacState(ctx, random.Random(3), initial=6)
    first, second = list(state.tasks.values())[:2]
    accepted = state.propose(first, 4500, "[[sim:accept]]", None)
    pending = state.propose(second, 2000, "Hi", None)
    state.close_task(second["id"])
    assert pending.status == "rejected"
    assert second["status"] == "cancelled"
    clock.advance(121)
    ctx.scheduler.advance()
    assert accepted.status == "accepted"
    assert first["status"] == "in_progress"
    types = [e.type for e in ctx.events.since(0)]
    assert types == ["proposal.rejected", "proposal.accepted"]


@pytest.mark.parametrize("seed", range(6))
def test_generated_jobs_look_like_upwork_posts(seed: int) -> None:
    universe = UpworkUniverse(random.Random(seed))
    for _ in range(40):
        job = universe.new_job(1_750_000_000.0)
        data = job.data
        assert re.fullmatch(r"~0[12][0-9a-f]{18}", job.ciphertext)
        assert 18 <= len(job.uid) <= 19
        assert job.uid.isdigit()
        assert "{" not in data["title"]
        assert "{" not in data["description"]
        assert len(data["description"].split("\n\n")) >= 3
        assert 3 <= len(data["skills"]) <= 8
        assert len({s["name"] for s in data["skills"]}) == len(data["skills"])
        assert 0 <= len(data["questions"]) <= 3
        assert data["duration"] in TIMELINES
        assert data["connectsPrice"] in CONNECTS_RATE_CARD
        stats = data["client"]["stats"]
        assert 0 <= stats["hireRate"] <= 1
        assert 0 <= stats["feedbackScore"] <= 5
        assert stats["totalHiresActive"] <= max(stats["totalHires"], 0) or stats["totalHires"] == 0
        assert 0 <= stats["totalSpent"] <= 500_000
        budget = data["budget"]
        if budget["type"] == 1:
            assert 50 <= budget["fixed"] <= 15_000
        elif budget["hourlyMin"] is not None:
            assert 10 <= budget["hourlyMin"] < budget["hourlyMax"] <= 150


@given(st.integers(min_value=0, max_value=10_000))
def test_gigiac_task_budgets_are_readable_in_either_form(seed: int) -> None:
    task = make_task(random.Random(seed), 1_750_000_000.0)
    cents = task_budget_cents(task)
    assert cents >= 1000
    if "budget_amount" in task:
        assert re.fullmatch(r"\d+\.\d{2}", task["budget_amount"])
        assert round(float(task["budget_amount"]) * 100) == cents


@given(
    prefix=st.sampled_from(
        [
            "",
            "https://www.upwork.com/jobs/",
            "https://www.upwork.com/freelance-jobs/apply/Build-an-API_",
        ]
    ),
    suffix=st.sampled_from(["", "/", "?source=rss", "/?referrer_url_path=%2Fnx%2Ffind-work"]),
)
def test_uphunt_resolves_urls_around_a_ciphertext(prefix: str, suffix: str) -> None:
    ctx, _ = context()
    universe = UpworkUniverse(random.Random(1))
    state = UpHuntState(ctx, universe, random.Random(2), extra_jobs=2)
    job = next(iter(universe.jobs.values()))
    assert state.resolve(prefix + job.ciphertext + suffix) is job
    assert state.resolve(job.processed_id) is job
    assert state.resolve(job.ciphertext[1:]) is job
