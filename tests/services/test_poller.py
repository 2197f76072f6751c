"""Discovery polling: cadence by budget, back-off, stop on a bad key, refresh, pause."""

from __future__ import annotations

import asyncio

import pytest

from app.domain import Account, Opportunity, Platform
from app.ingest.poller import WAIT_STEP, Poller, discovery_interval
from app.platforms.errors import AuthError, ServerError
from app.services.container import Services
from app.services.events import AccountStatus
from tests.helpers.wait import wait_for as _until
from tests.services.conftest import ScriptedAdapter, make_opportunity


def test_gigradar_interval_keeps_discovery_inside_the_daily_budget() -> None:
    interval = discovery_interval(Platform.GIGRADAR)
    assert interval is not None
    rounds_per_day = 86_400 / interval
    assert rounds_per_day * 3 <= 1_000 * 0.6 + 1e-6  # 3 requests a round, 60% of the day's budget
    assert discovery_interval(Platform.GIGIAC) == 60.0
    assert discovery_interval(Platform.UPHUNT) is None


async def test_polls_every_feed_account_and_publishes_status(services: Services, adapters) -> None:
    gg: ScriptedAdapter = adapters[Platform.GIGIAC]
    rounds = {"n": 0}

    async def fetch():
        rounds["n"] += 1
        return [make_opportunity(Platform.GIGIAC, ext="t1")]

    gg.fetch_opportunities = fetch  # type: ignore[method-assign]
    statuses: list[AccountStatus] = []
    services.bus.subscribe(AccountStatus, statuses.append)
    poller = Poller(services.accounts, services.inbox, services.tasks, services.bus)
    started = poller.start()
    assert sorted(started) == ["gigiac-main", "gigradar-main"]  # UpHunt has no feed
    await _until(lambda: services.store.opportunities.get("gigiac:t1") is not None)
    await _until(lambda: any(s.account == "gigiac-main" and s.next_poll_at for s in statuses))
    await _until(lambda: rounds["n"] >= 3)  # every 60 s / speed 1000


async def test_a_rejected_key_stops_the_loop_with_a_reason(services: Services, adapters) -> None:
    async def refused():
        raise AuthError("Invalid API key", status=401)

    adapters[Platform.GIGRADAR].fetch_opportunities = refused  # type: ignore[method-assign]
    statuses: list[AccountStatus] = []
    services.bus.subscribe(AccountStatus, statuses.append)
    poller = Poller(services.accounts, services.inbox, services.tasks, services.bus)
    poller.start()
    await _until(lambda: not services.tasks.running("poll:gigradar-main"))
    last = [s for s in statuses if s.account == "gigradar-main"][-1]
    assert "Invalid API key" in (last.last_error or "")
    assert last.next_poll_at is None


async def test_server_errors_back_off_and_recover(services: Services, adapters) -> None:
    calls = {"n": 0}

    async def flaky():
        calls["n"] += 1
        if calls["n"] <= 2:
            raise ServerError("Internal error", status=500)
        return [make_opportunity(Platform.GIGIAC, ext="after-errors")]

    adapters[Platform.GIGIAC].fetch_opportunities = flaky  # type: ignore[method-assign]
    poller = Poller(services.accounts, services.inbox, services.tasks, services.bus)
    poller.start()
    await _until(lambda: services.store.opportunities.get("gigiac:after-errors") is not None)


async def test_pause_stops_rounds_and_refresh_wakes_one(services: Services, adapters) -> None:
    gg = adapters[Platform.GIGIAC]
    slept: list[float] = []
    release = asyncio.Event()

    async def long_sleep(seconds: float) -> None:
        slept.append(seconds)
        await release.wait()  # "sleeps" until refreshed

    poller = Poller(
        services.accounts, services.inbox, services.tasks, services.bus, sleep=long_sleep
    )
    fetched_while_paused: list[bool] = []
    fetch = gg.fetch_opportunities

    async def recording_fetch() -> list[Opportunity]:
        fetched_while_paused.append(poller.paused)
        return await fetch()

    gg.fetch_opportunities = recording_fetch  # type: ignore[method-assign]
    poller.start_account(services.accounts.get("gigiac-main"))
    await _until(lambda: len(fetched_while_paused) == 1 and len(slept) == 1)
    poller.refresh("gigiac-main")
    await _until(lambda: len(fetched_while_paused) == 2 and len(slept) == 2)
    poller.pause()
    assert poller.paused
    poller.refresh("gigiac-main")
    # The refresh ends the wait; the round then stops at the pause gate (its waiter is
    # there) instead of fetching.
    await _until(lambda: poller._paused._waiters)  # type: ignore[attr-defined]
    assert fetched_while_paused == [False, False]
    poller.resume()
    await _until(lambda: len(fetched_while_paused) == 3)
    assert fetched_while_paused == [False, False, False]


async def test_healthy_webhooks_slow_discovery_and_losing_them_polls_at_once(
    services: Services, adapters
) -> None:
    gg = adapters[Platform.GIGIAC]
    waits: list[float] = []
    release = asyncio.Event()

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await release.wait()

    healthy = {"gigiac-main": True}
    now = {"t": 1_000.0}
    poller = Poller(
        services.accounts,
        services.inbox,
        services.tasks,
        services.bus,
        sleep=sleep,
        clock=lambda: now["t"],
        webhook_health=lambda name: healthy.get(name, False),
    )
    account = services.accounts.get("gigiac-main")
    poller.start_account(account)
    await _until(lambda: sum(c[0] == "fetch" for c in gg.calls) == 1 and waits)
    normal = 60.0 / account.speed
    statuses: list[AccountStatus] = []
    services.bus.subscribe(AccountStatus, statuses.append)
    # Healthy: the next round is four intervals away (the safety net), not one.
    assert waits[-1] == pytest.approx(4 * normal)
    healthy["gigiac-main"] = False
    poller.health_changed("gigiac-main", False)  # the tunnel dropped: backfill now
    await _until(lambda: sum(c[0] == "fetch" for c in gg.calls) == 2)
    await _until(lambda: len(waits) >= 2)
    assert waits[-1] == pytest.approx(normal)


async def test_a_wall_clock_jump_runs_the_overdue_round(services: Services, adapters) -> None:
    """A laptop that slept: the monotonic clock stood still, the wall clock jumped. Waits
    are short steps checked against the wall clock, so the overdue round runs on waking."""
    gg = adapters[Platform.GIGIAC]
    services.store.accounts.add(
        Account(
            name="gigiac-slow", platform=Platform.GIGIAC, base_url="http://127.0.0.1:9", speed=1.0
        )
    )
    steps: list[float] = []
    now = {"t": 1_000.0}
    gate = asyncio.Event()

    async def sleep(seconds: float) -> None:
        steps.append(seconds)
        await gate.wait()
        gate.clear()

    poller = Poller(
        services.accounts,
        services.inbox,
        services.tasks,
        services.bus,
        sleep=sleep,
        clock=lambda: now["t"],
    )
    poller.start_account(services.accounts.get("gigiac-slow"))
    await _until(lambda: sum(c[0] == "fetch" for c in gg.calls) == 1 and steps)
    assert steps == [WAIT_STEP]  # a 60 s interval, waited in 15 s steps
    now["t"] += WAIT_STEP
    gate.set()  # one step over, 45 s to go: no round yet
    await _until(lambda: len(steps) == 2)
    assert sum(c[0] == "fetch" for c in gg.calls) == 1
    now["t"] += 3_600.0  # then an hour asleep
    gate.set()
    await _until(lambda: sum(c[0] == "fetch" for c in gg.calls) == 2)
