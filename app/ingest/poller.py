"""Discovery polling: one loop per account, spending each platform's budget wisely.

Each platform's spec (app/platforms/spec.py, one `SPEC` per platform module) says whether
it has a feed and how often discovery may poll it within its documented request budget:
GigRadar's 1,000 requests a day give a round about every 7 minutes, Gigiac's 120 reads a
minute a round a minute, and UpHunt has no feed. Everything is divided by the account's
speed (a sandbox runs faster), errors back off exponentially, a rejected key stops the
loop until the user fixes it, and every round publishes an AccountStatus for the status
bar.

With webhooks healthy for an account (the tunnel is up and the platform delivers), its
discovery slows to `WEBHOOK_SLOWDOWN` times the interval: polling becomes the safety net
that catches a dropped delivery, and the budget is left to submissions. When they stop
being healthy, `health_changed` polls at once — the backfill of the gap (GigRadar's list
returns everything newer than the last round) — and the normal pace resumes.

Waits are measured on the wall clock in short steps, so after a laptop sleeps (the
monotonic clock stops, the wall clock jumps) an overdue round runs as soon as it wakes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

from app.domain import Account, Platform, utcnow
from app.platforms import SPECS
from app.platforms.errors import AuthError, PlatformError, RateLimited
from app.services.accounts import AccountService
from app.services.events import AccountStatus, EventBus
from app.services.inbox import Inbox
from app.services.secrets import SecretError
from app.services.tasks import TaskManager

log = logging.getLogger(__name__)

MAX_BACKOFF = 900.0
WEBHOOK_SLOWDOWN = 4.0
WAIT_STEP = 15.0  # longest single sleep: how late a round can be after a wall-clock jump

Sleep = Callable[[float], Awaitable[None]]
Health = Callable[[str], bool]


def discovery_interval(platform: Platform) -> float | None:
    """Seconds between discovery rounds at speed 1; None for a platform with no feed."""
    return SPECS[platform].discovery_interval


class Poller:
    def __init__(
        self,
        accounts: AccountService,
        inbox: Inbox,
        tasks: TaskManager,
        bus: EventBus,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        webhook_health: Health | None = None,
    ) -> None:
        self.accounts = accounts
        self.inbox = inbox
        self.tasks = tasks
        self.bus = bus
        self._sleep = sleep
        self._clock = clock
        self.webhook_health = webhook_health
        self._paused = asyncio.Event()
        self._paused.set()  # set = running
        self._wake: dict[str, asyncio.Event] = {}

    @staticmethod
    def _task_name(account: str) -> str:
        return f"poll:{account}"

    def start(self) -> list[str]:
        """Start a loop for every enabled account with a feed; returns their names."""
        started = []
        for account in self.accounts.list():
            if account.enabled and discovery_interval(account.platform) is not None:
                self.tasks.spawn(self._loop(account), name=self._task_name(account.name))
                started.append(account.name)
        return started

    def start_account(self, account: Account) -> None:
        if discovery_interval(account.platform) is not None:
            self.tasks.spawn(self._loop(account), name=self._task_name(account.name), replace=True)

    def stop_account(self, name: str) -> None:
        self.tasks.cancel(self._task_name(name))

    def refresh(self, name: str | None = None) -> None:
        """Poll now (one account, or all) instead of waiting for the next round."""
        for account, event in self._wake.items():
            if name is None or account == name:
                event.set()

    def health_changed(self, name: str, healthy: bool) -> None:
        """Webhooks for `name` started or stopped working. When they stop, poll now to
        backfill what they would have brought; when they start, the next wait is longer."""
        if not healthy:
            log.info("webhooks for %s stopped; polling now to fill the gap", name)
            self.refresh(name)

    def _healthy(self, name: str) -> bool:
        return self.webhook_health is not None and self.webhook_health(name)

    @property
    def paused(self) -> bool:
        return not self._paused.is_set()

    def pause(self) -> None:
        self._paused.clear()

    def resume(self) -> None:
        self._paused.set()

    async def _wait(self, account: str, seconds: float) -> None:
        """Until `seconds` of wall-clock time pass or `refresh` wakes the account."""
        wake = self._wake.setdefault(account, asyncio.Event())
        wake.clear()
        due = self._clock() + seconds
        while not wake.is_set():
            remaining = due - self._clock()
            if remaining <= 0:
                return
            sleeper = asyncio.ensure_future(self._sleep(min(remaining, WAIT_STEP)))
            waker = asyncio.ensure_future(wake.wait())
            try:
                await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for fut in (sleeper, waker):
                    fut.cancel()
                await asyncio.gather(sleeper, waker, return_exceptions=True)

    async def _loop(self, account: Account) -> None:
        interval = discovery_interval(account.platform)
        assert interval is not None
        interval /= account.speed
        failures = 0
        while True:
            await self._paused.wait()
            error: str | None = None
            try:
                await self.inbox.fetch(account)
                failures = 0
                delay = interval * (WEBHOOK_SLOWDOWN if self._healthy(account.name) else 1.0)
            except AuthError as exc:
                self._publish(account, None, f"{exc} Fix the key, then refresh.")
                log.warning("polling %s stopped: %s", account.name, exc)
                return
            except SecretError as exc:
                self._publish(account, None, str(exc))
                log.warning("polling %s stopped: %s", account.name, exc)
                return
            except RateLimited as exc:
                failures += 1
                error = str(exc)
                delay = max(exc.retry_after or 0.0, interval)
            except PlatformError as exc:
                failures += 1
                error = str(exc)
                delay = min(MAX_BACKOFF / account.speed, interval * 2 ** min(failures, 6) / 4)
            self._publish(account, delay, error)
            await self._wait(account.name, delay)

    def _publish(self, account: Account, delay: float | None, error: str | None) -> None:
        """The round's outcome as the inbox recorded it, plus when the next round is."""
        recorded = self.inbox.status(account.name) or AccountStatus(account=account.name)
        next_poll = None if delay is None else utcnow() + timedelta(seconds=delay)
        self.bus.publish(replace(recorded, next_poll_at=next_poll, last_error=error))
