"""Insights as a use case: load the facts once, answer each query off the loop.

The window's Insights tab, `biddesk stats` and `biddesk export` share this. Facts (one
per opportunity the user worked on, ~20,000 in a busy year) are read once and kept; a new
period or platform is then one small SQL count (opportunities seen: per-day counts kept by
the database, so always current) plus a pass over the facts in `app.domain.insights`. A
report asked for before the whole history was read (the tab opened in the first seconds
after start) reads the facts of its own period and platforms only. `invalidate()` (a
submission changed, a draft was made) makes the next query read them again. Everything
that touches the database runs in `asyncio.to_thread`, on the store's reader
(`Database.reader()`) for insights.

It also records the editor's measurements (opened, draft ready, active time, notified),
small writes on the app's connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import threading
from collections.abc import Callable, Generator, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol, TextIO

from app.domain.insights import (
    ME,
    NOT_SIGNED,
    Activity,
    Dimension,
    ProposalFact,
    Query,
    Report,
    report,
)
from app.domain.opportunity import Opportunity, Platform, utcnow
from app.domain.submission import Submission
from app.store import Store
from app.store._codec import gc_paused
from app.store.insights import (
    EXPORT_OPPORTUNITY_COLUMNS,
    EXPORT_SUBMISSION_COLUMNS,
    ActivityRepo,
    InsightsRepo,
)

__all__ = ["Activity", "Insights", "import_history", "seed_history"]


class Insights:
    """`member` is this desktop's name on the team (the CLI and the window pass
    `TeamService.member`: $BIDDESK_MEMBER, else the OS user). On a desktop of its own no
    submission is signed, so the `member` breakdown shows every proposal under that name
    (or "you" without one); on a team database each proposal is under whoever sent it,
    and one no one signed (sent before the team) under "(not signed)"."""

    def __init__(self, store: Store, member: str | None = None) -> None:
        self.store = store
        unsigned = (member or ME) if store.backend == "sqlite" else NOT_SIGNED
        self.repo = InsightsRepo(store.db, unsigned)
        self.activity = ActivityRepo(store.db)
        self._facts: list[ProposalFact] | None = None
        self._lock = threading.Lock()  # guards the fields below, never held for a read
        self._loading = threading.Lock()  # one read of the whole history at a time
        self._generation = 0  # bumped by invalidate(): a read started before is stale
        self._missed: set[str] | None = None  # changed while the whole history was read

    def close(self) -> None:
        self.repo.close()

    def invalidate(self) -> None:
        """Something the facts depend on changed: read them again next time."""
        with self._lock:
            self._facts = None
            self._generation += 1

    # -- synchronous (a worker thread, or the CLI) ----------------------------------------

    def facts(self) -> list[ProposalFact]:
        """Every fact, read once and held. The read (the longest one here) runs on a
        connection of its own and holds no lock the others need: a report asked for
        meanwhile reads its own part at once, and a fact that changes meanwhile is read
        again when it is done."""
        with self._loading:
            with self._lock:
                if self._facts is not None:
                    return self._facts
                generation = self._generation
                self._missed = set()
            try:
                fresh = self.repo.facts()
            finally:
                with self._lock:
                    missed, self._missed = self._missed or set(), None
            with self._lock:
                if self._generation == generation:
                    self._facts = fresh
            if missed:
                self.update(missed)
            with self._lock:
                return fresh if self._facts is None else self._facts

    def update(self, keys: Iterable[str]) -> None:
        """These opportunities changed (a submission moved, a draft was made): read their
        facts again, keeping the rest. Nothing is read if no facts are held yet (one
        being read then reads them again when it is done)."""
        wanted = sorted(set(keys))
        if not wanted:
            return
        with self._lock:
            if self._facts is None:
                if self._missed is not None:
                    self._missed.update(wanted)
                return
        fresh = self.repo.facts(wanted)
        with self._lock:
            if self._facts is None:
                return
            gone = set(wanted)
            kept = [f for f in self._facts if f.key not in gone]
            self._facts = kept + fresh

    @property
    def loaded(self) -> bool:
        with self._lock:
            return self._facts is not None

    def seen(self, since: datetime | None, until: datetime | None) -> dict[Platform, int]:
        """Opportunities seen in the period, counted now (a few milliseconds: per-day
        counts kept by the database), so jobs that arrived since the last report count."""
        return self.repo.seen(since, until)

    def compute(
        self, query: Query, dimensions: Iterable[Dimension] = (), *, read_all: bool = True
    ) -> Report:
        """The report for `query`. The facts are read once and held (`facts()`); with
        `read_all=False` (the window) a report asked for before they are held reads the
        facts its query admits instead, and holds nothing: that is what opens the tab at
        once in the first seconds after start, before the background read is done."""
        with self._lock:
            facts = self._facts
        if facts is None:
            if read_all:
                facts = self.facts()
            else:
                facts = self.repo.facts(
                    since=query.since, until=query.until, platforms=query.platforms
                )
        seen = self.seen(query.since, query.until)
        with gc_paused():  # on a worker thread: see InsightsRepo.facts
            return report(facts, seen, query, dimensions)

    # -- async (the window) ------------------------------------------------------------------

    async def areport(self, query: Query, dimensions: Iterable[Dimension] = ()) -> Report:
        wanted = tuple(dimensions)
        return await asyncio.to_thread(self.compute, query, wanted, read_all=False)

    # -- the editor's measurements -------------------------------------------------------------

    def note_opened(self, key: str, at: datetime | None = None) -> None:
        self.activity.opened(key, at or utcnow())

    def note_notified(self, key: str, at: datetime | None = None) -> None:
        self.activity.notified(key, at or utcnow())

    def note_draft_ready(
        self, key: str, template: str | None, profile: str | None = None, at: datetime | None = None
    ) -> None:
        self.activity.draft_ready(key, at or utcnow(), template, profile)

    def note_active(self, key: str, ms: int, at: datetime | None = None) -> None:
        self.activity.add_active(key, ms, at or utcnow())

    def activity_of(self, key: str) -> Activity | None:
        return self.activity.get(key)

    # -- export --------------------------------------------------------------------------------

    def export_csv(self, what: str, out: TextIO) -> int:
        """Write `opportunities` or `submissions` as CSV; return the number of rows."""
        columns, rows = self._export(what)
        writer = csv.writer(out)
        writer.writerow(columns)
        n = 0
        # closing(): a reader that stops early (a closed pipe) ends the read at once,
        # instead of leaving it holding the read connection.
        with contextlib.closing(rows):
            for batch in rows:
                writer.writerows(batch)
                n += len(batch)
        return n

    def export_json(self, what: str, out: TextIO) -> int:
        """Write `opportunities` or `submissions` as a JSON array (streamed)."""
        columns, rows = self._export(what)
        n = 0
        out.write("[")
        with contextlib.closing(rows):
            for batch in rows:
                for row in batch:
                    out.write(",\n" if n else "\n")
                    out.write(json.dumps(_json_row(columns, row), ensure_ascii=False))
                    n += 1
        out.write("\n]\n" if n else "]\n")
        return n

    def _export(self, what: str) -> tuple[tuple[str, ...], Generator[list[tuple[Any, ...]]]]:
        if what == "opportunities":
            return EXPORT_OPPORTUNITY_COLUMNS, self.repo.opportunity_rows()
        if what == "submissions":
            return EXPORT_SUBMISSION_COLUMNS, self.repo.submission_rows()
        raise ValueError(f"nothing to export called {what!r}")


def import_history(
    store: Store,
    opportunities: Sequence[Opportunity],
    submissions: Sequence[Submission],
    activities: Sequence[Activity],
) -> None:
    """Store a generated history (the sandbox's): its jobs filed away as read and
    archived, its proposals with their full history, the editor's measurements."""
    now = utcnow()
    store.opportunities.upsert_many(opportunities)
    for sub in submissions:
        if store.submissions.get(sub.id) is None:
            store.submissions.insert(sub)
    activity = ActivityRepo(store.db)
    activity.put_many(activities, now)
    activity.file_away([o.key for o in opportunities], now)


class _History(Protocol):
    @property
    def opportunities(self) -> Sequence[Opportunity]: ...
    @property
    def submissions(self) -> Sequence[Submission]: ...
    @property
    def activities(self) -> Sequence[Activity]: ...


def seed_history(store: Store, make: Callable[[], _History]) -> None:
    """Build a generated history and store it, on a worker thread: the collector is
    paused meanwhile, so no cycle of the window's Qt objects is collected off its thread."""
    with gc_paused():
        history = make()
        import_history(store, history.opportunities, history.submissions, history.activities)


_JSON_COLUMNS = frozenset({"skills", "client", "bid", "failure"})


def _json_row(columns: tuple[str, ...], row: tuple[Any, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column, value in zip(columns, row, strict=True):
        if column in _JSON_COLUMNS and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[column] = value
    return out


def csv_text(insights: Insights, what: str) -> str:
    """The CSV export as a string (small profiles, tests)."""
    buffer = io.StringIO()
    insights.export_csv(what, buffer)
    return buffer.getvalue()
