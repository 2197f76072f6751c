"""Retention: what BidDesk forgets or puts away with age, so a year stays a small file.

- Webhook deliveries are forgotten after `delivery_days` (30 by default): platforms stop
  retrying within days, so an older dedupe key recognises nothing. One still pending
  then goes too (a month of restarts could not apply it; it is not replayed forever).
- A processed, readable delivery's body is dropped after `body_hours` (24 by default):
  nothing reads it again (a pending one is replayed from its body; an unreadable one is
  kept for `biddesk webhooks status` until its delivery is forgotten). Measured before
  this: 1.4 GB after ~125k deliveries, almost all of it bodies.
- With `archive_days` set (off by default), opportunities detected longer ago than that
  are archived unless starred, drafted or submitted: they leave the live inbox and stay
  searchable on request (the filter bar's "archived", `biddesk list --archived`).

`Retention.run` does all three in short transactions on a worker thread (the window's
loop waits for one transaction at a time, never the whole run); the `Runtime` runs it
shortly after start and then every `INTERVAL`. The settings live under "retention";
`biddesk retention` shows and changes them and runs it now.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.domain import utcnow
from app.services.events import EventBus, OpportunitiesArchived
from app.store import Store
from app.store.retention import FileSizes, archive_older_than, file_sizes

log = logging.getLogger(__name__)

SETTINGS_KEY = "retention"
INTERVAL = 3_600.0  # seconds between two runs while BidDesk is open
FIRST_RUN_DELAY = 30.0  # after start: the window paints and the inbox loads first
CHUNK = 500


@dataclass(frozen=True)
class RetentionConfig:
    delivery_days: int = 30
    body_hours: int = 24
    archive_days: int | None = None  # None: never archive by age

    @classmethod
    def parse(cls, value: object) -> RetentionConfig:
        """The stored value; ValueError for a damaged one (read as the defaults)."""
        if not isinstance(value, dict):
            raise ValueError(f"expected an object, found {type(value).__name__}")
        default = cls()
        delivery = value.get("delivery_days", default.delivery_days)
        body = value.get("body_hours", default.body_hours)
        archive = value.get("archive_days", default.archive_days)
        for name, number in (("delivery_days", delivery), ("body_hours", body)):
            if isinstance(number, bool) or not isinstance(number, int) or number < 1:
                raise ValueError(f"{name} {number!r} is not a positive whole number")
        if archive is not None and (
            isinstance(archive, bool) or not isinstance(archive, int) or archive < 1
        ):
            raise ValueError(f"archive_days {archive!r} is not a positive whole number")
        return cls(delivery, body, archive)

    def to_settings(self) -> dict[str, Any]:
        return {
            "delivery_days": self.delivery_days,
            "body_hours": self.body_hours,
            "archive_days": self.archive_days,
        }


def load_config(store: Store) -> RetentionConfig:
    return store.settings.read(SETTINGS_KEY, RetentionConfig.parse, RetentionConfig())


def save_config(store: Store, config: RetentionConfig) -> None:
    store.settings.set(SETTINGS_KEY, config.to_settings())


@dataclass(frozen=True, slots=True)
class RetentionReport:
    deliveries_forgotten: int
    bodies_dropped: int
    archived: tuple[str, ...]
    sizes: FileSizes


class Retention:
    def __init__(self, store: Store, bus: EventBus | None = None) -> None:
        self.store = store
        self.bus = bus

    def run_now(
        self, now: datetime | None = None, config: RetentionConfig | None = None
    ) -> RetentionReport:
        """One run, on the calling thread (a worker thread, or the CLI)."""
        now = now or utcnow()
        config = config or load_config(self.store)
        hooks = self.store.webhooks
        forgotten = hooks.prune(now - timedelta(days=config.delivery_days), chunk=CHUNK)
        dropped = hooks.drop_bodies(now - timedelta(hours=config.body_hours), chunk=CHUNK)
        archived: list[str] = []
        if config.archive_days is not None:
            cutoff = now - timedelta(days=config.archive_days)
            archived = archive_older_than(self.store.db, cutoff, chunk=CHUNK)
        # What was freed goes back to the disk: the file shrinks, not only stops growing.
        released = self.store.db.release_free_pages()
        if forgotten or dropped or archived:
            log.info(
                "retention: %d deliveries forgotten, %d bodies dropped, %d opportunities"
                " archived, %d pages returned to the disk",
                forgotten,
                dropped,
                len(archived),
                released,
            )
        return RetentionReport(forgotten, dropped, tuple(archived), file_sizes(self.store.db))

    async def run(self, now: datetime | None = None) -> RetentionReport:
        """One run on a worker thread; what was archived is announced on the bus."""
        report = await asyncio.to_thread(self.run_now, now)
        if report.archived and self.bus is not None:
            self.bus.publish(OpportunitiesArchived(report.archived))
        return report

    async def run_forever(
        self, first_delay: float = FIRST_RUN_DELAY, interval: float = INTERVAL
    ) -> None:
        """Run after `first_delay`, then every `interval`, until cancelled; a failed run
        is logged and the next one comes all the same."""
        await asyncio.sleep(first_delay)
        while True:
            try:
                await self.run()
            except Exception as exc:
                log.warning("retention could not run: %s", exc)
            await asyncio.sleep(interval)
