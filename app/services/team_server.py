"""What runs beside the poller on a team database: the server's heartbeat and outbox, and
a desktop's following of that heartbeat.

- `TeamServer` (in `biddesk serve` on a team database): writes its heartbeat every
  `HEARTBEAT_EVERY` seconds, and drains the outbox (`app.store.outbox.take_staged`)
  whenever a submission changes (a NOTIFY wakes it) and once at start, sending each
  taken submission once and tracking it.
- `ServerFollower` (on a desktop): pauses this desktop's polling while a server's
  heartbeat is fresh and resumes it when the heartbeat stops; it reads the heartbeat when
  a member's row changes (a NOTIFY) or when a fresh heartbeat would have gone stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from app.services.submissions import SubmissionService
from app.services.tasks import TaskManager
from app.services.team import HEARTBEAT_EVERY, HEARTBEAT_FRESH, SERVER_ROLE, TeamService
from app.store import Store
from app.store.errors import StoreError
from app.store.outbox import take_staged

log = logging.getLogger(__name__)


class TeamServer:
    def __init__(
        self,
        store: Store,
        team: TeamService,
        submissions: SubmissionService,
        tasks: TaskManager,
        *,
        beat_every: float = HEARTBEAT_EVERY,
    ) -> None:
        self.store = store
        self.team = team
        self.submissions = submissions
        self.tasks = tasks
        self._beat_every = beat_every
        self._wake = asyncio.Event()
        self.sent = 0

    def start(self) -> None:
        self.tasks.spawn(self._heartbeat(), name="team:heartbeat")
        self.tasks.spawn(self._outbox(), name="team:outbox")

    def on_change(self, message: dict[str, Any]) -> None:
        """A team change (on the loop): a staged submission may be waiting."""
        if message.get("table") in ("submissions", "*"):
            self._wake.set()

    async def _heartbeat(self) -> None:
        away = False
        while True:
            try:
                await asyncio.to_thread(self.team.heartbeat, SERVER_ROLE)
                away = False
            except StoreError as exc:
                if not away:
                    log.warning("the team server's heartbeat could not be written: %s", exc)
                away = True
            await asyncio.sleep(self._beat_every)

    async def _outbox(self) -> None:
        self._wake.set()  # drain what was staged while no server ran
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                while (taken := await asyncio.to_thread(take_staged, self.store)) is not None:
                    log.info("the team server sends submission %s", taken.id)
                    self.sent += 1
                    self.tasks.spawn(self.submissions.send_taken(taken), name=f"send:{taken.id}")
            except StoreError as exc:
                log.warning("the outbox could not be read: %s", exc)


class ServerFollower:
    """Pause and resume this desktop's polling with the team server's heartbeat."""

    def __init__(
        self,
        team: TeamService,
        tasks: TaskManager,
        pause: Callable[[], None],
        resume: Callable[[], None],
    ) -> None:
        self.team = team
        self.tasks = tasks
        self._pause = pause
        self._resume = resume
        self._wake = asyncio.Event()
        self.server_alive: bool | None = None

    def check_now(self) -> bool:
        """Read the heartbeat once (at start, before polling begins)."""
        try:
            alive = self.team.server_alive()
        except StoreError:
            alive = False
        self._apply(alive)
        return alive

    def start(self) -> None:
        self.tasks.spawn(self._follow(), name="team:follow-server")

    def on_change(self, message: dict[str, Any]) -> None:
        if message.get("table") in ("team_members", "*"):
            self._wake.set()

    def _apply(self, alive: bool) -> None:
        if alive == self.server_alive:
            return
        self.server_alive = alive
        if alive:
            log.info("a team server is alive: this desktop leaves polling to it")
            self._pause()
        else:
            log.info("no team server: this desktop polls the platforms itself")
            self._resume()

    async def _follow(self) -> None:
        while True:
            timeout = HEARTBEAT_FRESH.total_seconds() if self.server_alive else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            self._wake.clear()
            try:
                alive = await asyncio.to_thread(self.team.server_alive)
            except StoreError:
                continue
            self._apply(alive)
