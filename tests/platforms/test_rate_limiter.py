"""RateLimiter math on a fake clock: windows, speed, 429 blocks, header learning."""

from __future__ import annotations

import asyncio
import random

import pytest

from app.platforms.errors import RateLimited
from app.platforms.gigradar import LIMITS as GIGRADAR_LIMITS
from app.platforms.http import RateLimiter, Window, parse_retry_after
from tests.platforms.conftest import FakeTime

MINUTE = {"api": (Window("minute", 30, 60.0),)}


async def test_thirty_per_minute_then_waits_for_the_oldest_to_leave(fake_time: FakeTime) -> None:
    limiter = fake_time.limiter(MINUTE)
    start = fake_time.now
    for _ in range(30):
        await limiter.acquire("api")
    assert fake_time.sleeps == []
    await limiter.acquire("api")
    assert fake_time.sleeps == [pytest.approx(60.0)]
    assert fake_time.now == pytest.approx(start + 60.0)


async def test_sliding_window_never_allows_more_than_limit_in_any_span(
    fake_time: FakeTime,
) -> None:
    limiter = fake_time.limiter(MINUTE)
    stamps: list[float] = []
    for i in range(95):
        await limiter.acquire("api")
        stamps.append(fake_time.now)
        fake_time.advance(0.7 if i % 3 else 0.1)
    for i, t in enumerate(stamps):
        in_window = [s for s in stamps[i:] if s < t + 60.0]
        assert len(in_window) <= 30


async def test_minute_and_day_windows_are_both_enforced(fake_time: FakeTime) -> None:
    limiter = fake_time.limiter(GIGRADAR_LIMITS)
    first = fake_time.now
    for _ in range(1000):
        await limiter.acquire("api")
    # The minute window made it wait: 1,000 requests take at least 33 full minutes.
    assert fake_time.now - first >= 33 * 60
    assert limiter.snapshot()["api"].windows[1].remaining == 0
    before = fake_time.now
    await limiter.acquire("api")
    # The 1,001st waits until the first request of the day leaves the 24 h window.
    assert fake_time.now == pytest.approx(first + 86_400.0)
    assert fake_time.now > before


async def test_speed_divides_every_window(fake_time: FakeTime) -> None:
    limiter = fake_time.limiter(MINUTE, speed=60.0)
    for _ in range(30):
        await limiter.acquire("api")
    await limiter.acquire("api")
    assert fake_time.sleeps == [pytest.approx(1.0)]


async def test_retry_after_blocks_the_bucket(fake_time: FakeTime) -> None:
    limiter = fake_time.limiter(MINUTE)
    assert limiter.observe("api", 429, {"retry-after": "7"}) == pytest.approx(7.0)
    assert limiter.wait_time("api") == pytest.approx(7.0)
    await limiter.acquire("api")
    assert fake_time.sleeps == [pytest.approx(7.0)]


async def test_retry_after_is_wall_clock_even_at_speed(fake_time: FakeTime) -> None:
    """The server's Retry-After is real seconds (HTTP); only our own windows scale."""
    limiter = fake_time.limiter(MINUTE, speed=10.0)
    limiter.observe("api", 429, {"Retry-After": "30"})
    assert limiter.wait_time("api") == pytest.approx(30.0)


def test_missing_retry_after_backs_off_exponentially_from_five_seconds(
    fake_time: FakeTime,
) -> None:
    limiter = fake_time.limiter(MINUTE, rng=random.Random(4))
    first = limiter.observe("api", 429, {})
    second = limiter.observe("api", 429, {})
    third = limiter.observe("api", 429, {})
    assert first is not None
    assert second is not None
    assert third is not None
    assert 5.0 <= first <= 7.5
    assert 10.0 <= second <= 15.0
    assert 20.0 <= third <= 30.0
    limiter.observe("api", 200, {})
    again = limiter.observe("api", 429, {})
    assert again is not None
    assert 5.0 <= again <= 7.5


def test_backoff_jitter_spreads_clients(fake_time: FakeTime) -> None:
    delays = {
        fake_time.limiter(MINUTE, rng=random.Random(seed)).observe("api", 429, {})
        for seed in range(10)
    }
    assert len(delays) > 5


async def test_minute_headers_clamp_the_budget(fake_time: FakeTime) -> None:
    limiter = fake_time.limiter(GIGRADAR_LIMITS)
    reset = fake_time.wall() + 30
    limiter.observe(
        "api",
        200,
        {"x-ratelimit-remaining-minute": "2", "x-ratelimit-reset-minute": str(int(reset))},
    )
    assert limiter.snapshot()["api"].windows[0].remaining == 2
    await limiter.acquire("api")
    await limiter.acquire("api")
    assert fake_time.sleeps == []
    await limiter.acquire("api")
    assert fake_time.sleeps == [pytest.approx(30.0)]


async def test_day_header_learns_usage_from_an_earlier_session(fake_time: FakeTime) -> None:
    limiter = fake_time.limiter(GIGRADAR_LIMITS)
    limiter.observe(
        "api",
        200,
        {
            "X-RateLimit-Remaining-Minute": "29",
            "X-RateLimit-Reset-Minute": str(int(fake_time.wall() + 60)),
            "X-RateLimit-Remaining-Day": "0",
            "X-RateLimit-Reset-Day": str(int(fake_time.wall() + 7200)),
        },
    )
    assert limiter.wait_time("api") == pytest.approx(7200.0)
    with pytest.raises(RateLimited) as caught:
        await limiter.acquire("api", max_wait=60.0)
    assert caught.value.retry_after == pytest.approx(7200.0)


def test_headers_never_raise_the_local_budget(fake_time: FakeTime) -> None:
    limiter = fake_time.limiter(MINUTE)
    for _ in range(25):
        limiter._bucket("api").windows[0].take(fake_time.now)
    limiter.observe("api", 200, {"X-RateLimit-Remaining": "30"})
    assert limiter.snapshot()["api"].remaining == 5


def test_unsuffixed_headers_clamp_the_shortest_window(fake_time: FakeTime) -> None:
    limiter = fake_time.limiter(
        {"apply": (Window("day", 1000, 86_400.0), Window("minute", 60, 60))}
    )
    limiter.observe(
        "apply",
        200,
        {"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": str(fake_time.wall() + 20)},
    )
    minute, day = limiter.snapshot()["apply"].windows
    assert (minute.name, minute.remaining, day.remaining) == ("minute", 3, 1000)
    assert minute.resets_in == pytest.approx(20.0, abs=1.0)


def test_a_reset_far_beyond_the_window_is_capped(fake_time: FakeTime) -> None:
    limiter = fake_time.limiter(MINUTE, speed=60.0)
    # A sandbox reporting resets on its own uncompressed clock: 60 s means 1 s here.
    limiter.observe("api", 200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "60"})
    assert limiter.wait_time("api") == pytest.approx(1.0)
    limiter.observe(
        "api", 200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(fake_time.wall() + 500)}
    )
    assert limiter.wait_time("api") <= 1.0


def test_clamp_expires_at_reset(fake_time: FakeTime) -> None:
    limiter = fake_time.limiter(MINUTE)
    limiter.observe("api", 200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "10"})
    assert limiter.wait_time("api") == pytest.approx(10.0)
    fake_time.advance(10.0)
    assert limiter.wait_time("api") == 0.0
    assert limiter.snapshot()["api"].remaining == 30


async def test_snapshot_reports_remaining_and_reset(fake_time: FakeTime) -> None:
    limiter = fake_time.limiter(GIGRADAR_LIMITS)
    for _ in range(3):
        await limiter.acquire("api")
    fake_time.advance(10.0)
    snap = limiter.snapshot()["api"]
    minute, day = snap.windows
    assert (minute.limit, minute.remaining) == (30, 27)
    assert (day.limit, day.remaining) == (1000, 997)
    assert minute.resets_in == pytest.approx(50.0)
    assert day.resets_in == pytest.approx(86_390.0)
    assert snap.remaining == 27
    assert snap.wait == 0.0
    assert snap.blocked_for == 0.0
    limiter.observe("api", 429, {"Retry-After": "12"})
    assert limiter.snapshot()["api"].blocked_for == pytest.approx(12.0)


async def test_unknown_bucket_is_unlimited_but_honours_429(fake_time: FakeTime) -> None:
    limiter = fake_time.limiter({})
    for _ in range(500):
        await limiter.acquire("other")
    assert fake_time.sleeps == []
    limiter.observe("other", 429, {"Retry-After": "3"})
    await limiter.acquire("other")
    assert fake_time.sleeps == [pytest.approx(3.0)]


async def test_concurrent_waiters_are_served_in_order_without_busy_looping(
    fake_time: FakeTime,
) -> None:
    limiter = fake_time.limiter({"api": (Window("minute", 2, 60.0),)})
    order: list[int] = []

    async def one(i: int) -> None:
        await limiter.acquire("api")
        order.append(i)

    await asyncio.gather(*(one(i) for i in range(6)))
    assert order == list(range(6))
    # 6 requests at 2/min: two waits of a minute each, no spinning.
    assert len(fake_time.sleeps) == 2
    assert fake_time.sleeps == [pytest.approx(60.0), pytest.approx(60.0)]


async def test_real_clock_and_sleep_by_default() -> None:
    limiter = RateLimiter({"api": (Window("minute", 1, 60.0),)}, speed=600.0, margin=0.0)
    await limiter.acquire("api")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await limiter.acquire("api")
    assert loop.time() - started == pytest.approx(0.1, abs=0.08)


def test_speed_must_be_positive() -> None:
    with pytest.raises(ValueError, match="speed"):
        RateLimiter({}, speed=0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        ("2.5", 2.5),
        ("-3", 0.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    # 1445412480 is 2015-10-21 07:28:00 UTC: the date above is 10 s later.
    assert parse_retry_after(value, 1_445_412_480.0) == expected
