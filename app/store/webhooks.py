"""Webhook deliveries already seen, so a replayed or duplicated delivery is processed once.

`record` is one `INSERT OR IGNORE` on the (platform, dedupe_key) primary key: whether the
delivery is new is decided atomically by the database, even with two receivers running.
The body is kept, as received, for inspection. A delivery is recorded before it is
answered and marked processed after its effects are stored; `pending()` lists the ones a
crash cut short, so the next start replays them rather than losing them. What is still to
be processed lives in `webhook_pending`, a table of keys: marking a delivery processed
deletes a small row instead of rewriting the delivery and its body.

An authenticated delivery the receiver could not read is kept too, never pending, with
the event `unreadable: <reason>`; `unreadable()` counts them and gives the latest reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain.opportunity import Platform, utcnow
from app.store._codec import dt_to_text, text_to_dt
from app.store.db import Database


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    platform: Platform
    dedupe_key: str
    received_at: datetime
    raw: bytes | str | None
    account: str | None = None
    event: str | None = None
    processed: bool = True

    @property
    def unreadable_reason(self) -> str | None:
        """Why the receiver could not read it, for a delivery kept as unreadable."""
        if self.event is None or not self.event.startswith(UNREADABLE):
            return None
        return self.event[len(UNREADABLE) :].lstrip(": ") or "unreadable"


@dataclass(frozen=True, slots=True)
class UnreadableSummary:
    count: int
    latest_reason: str | None = None
    latest_at: datetime | None = None


UNREADABLE = "unreadable"
# A delivery with its pending row, if any: `d` and `p` in the queries below.
_SELECT = (
    "SELECT d.platform, d.dedupe_key, d.received_at, d.body, d.account, d.event,"
    " p.dedupe_key IS NULL FROM webhook_deliveries AS d"
)
_WITH_PENDING = (
    " LEFT JOIN webhook_pending AS p ON p.platform = d.platform AND p.dedupe_key = d.dedupe_key"
)


def _decode(row: Sequence[Any]) -> WebhookDelivery:
    platform, key, at, body, account, event, processed = row
    return WebhookDelivery(
        Platform(platform), key, text_to_dt(at), body, account, event, bool(processed)
    )


# A long job's WAL is folded in between its transactions once it is this large.
WAL_FOLD_BYTES = 16 * 1024 * 1024


def _keep_wal_small(db: Database) -> None:
    if db.wal_size() >= WAL_FOLD_BYTES:
        db.fold_wal()


class WebhookDeliveryRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self,
        platform: Platform | str,
        dedupe_key: str,
        raw: bytes | str | None = None,
        *,
        received_at: datetime | None = None,
        account: str | None = None,
        event: str | None = None,
        processed: bool = True,
    ) -> bool:
        """Remember a delivery; True if it is new, False if it was seen before.

        `processed=False` leaves it in `pending()` until `mark_processed`.
        """
        at = dt_to_text(received_at or utcnow())
        value = Platform(platform).value
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO webhook_deliveries"
                " (platform, dedupe_key, received_at, body, account, event)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (value, dedupe_key, at, raw, account, event),
            )
            new = cursor.rowcount == 1
            if new and not processed:
                conn.execute(
                    "INSERT OR IGNORE INTO webhook_pending (platform, dedupe_key) VALUES (?, ?)",
                    (value, dedupe_key),
                )
            return new

    def record_many(
        self, deliveries: Sequence[tuple[Platform, str, bytes, str | None, str | None]]
    ) -> list[bool]:
        """Record (platform, dedupe_key, body, account, event) deliveries as pending, in
        one transaction (one commit for all the receiver answers in one pass); for each,
        True if it is new (a repeat within the list is not)."""
        at = dt_to_text(utcnow())
        news: list[bool] = []
        with self._db.transaction() as conn:
            for platform, key, raw, account, event in deliveries:
                value = Platform(platform).value
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO webhook_deliveries"
                    " (platform, dedupe_key, received_at, body, account, event)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (value, key, at, raw, account, event),
                )
                new = cursor.rowcount == 1
                if new:
                    conn.execute(
                        "INSERT OR IGNORE INTO webhook_pending (platform, dedupe_key)"
                        " VALUES (?, ?)",
                        (value, key),
                    )
                news.append(new)
        return news

    def mark_processed(self, keys: Iterable[tuple[Platform | str, str]]) -> None:
        """Mark deliveries (platform, dedupe_key) processed, in one transaction."""
        with self._db.transaction() as conn:
            conn.executemany(
                "DELETE FROM webhook_pending WHERE platform = ? AND dedupe_key = ?",
                [(Platform(p).value, k) for p, k in keys],
            )

    def pending(self, limit: int = 10_000) -> list[WebhookDelivery]:
        """Deliveries answered but not processed (a crash in between), oldest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"{_SELECT} JOIN webhook_pending AS p"
                " ON p.platform = d.platform AND p.dedupe_key = d.dedupe_key"
                " ORDER BY d.received_at, d.rowid LIMIT ?",
                (limit,),
            ).fetchall()
        return [_decode(row) for row in rows]

    def seen(self, platform: Platform | str, dedupe_key: str) -> bool:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT 1 FROM webhook_deliveries WHERE platform = ? AND dedupe_key = ?",
                (Platform(platform).value, dedupe_key),
            ).fetchone()
        return row is not None

    def recent(self, limit: int = 100) -> list[WebhookDelivery]:
        """The latest deliveries, newest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"{_SELECT}{_WITH_PENDING} ORDER BY d.received_at DESC, d.rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [_decode(row) for row in rows]

    def unreadable(self) -> UnreadableSummary:
        """How many kept deliveries were unreadable, and the latest one's reason."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT count(*), max(received_at) FROM webhook_deliveries"
                " WHERE event LIKE 'unreadable%'"
            ).fetchall()
            count, latest_at = rows[0]
            if not count:
                return UnreadableSummary(0)
            latest = conn.execute(
                "SELECT event FROM webhook_deliveries WHERE event LIKE 'unreadable%'"
                " ORDER BY received_at DESC, rowid DESC LIMIT 1"
            ).fetchall()
        event = latest[0][0] if latest else None
        reason = WebhookDelivery(Platform.GIGRADAR, "", utcnow(), None, None, event)
        return UnreadableSummary(int(count), reason.unreadable_reason, text_to_dt(latest_at))

    def prune(self, older_than: datetime, *, chunk: int | None = None) -> int:
        """Forget deliveries received before `older_than` (platforms stop retrying after
        a few days, so their dedupe keys are no longer needed); returns how many were
        removed. One still pending goes too, with its pending row: a delivery that a
        month of restarts could not apply would otherwise be replayed at every start.
        With `chunk`, at most that many per transaction, so another thread waiting on the
        connection waits for one short transaction at a time."""
        before = dt_to_text(older_than)
        total = 0
        while True:
            limit = f" LIMIT {int(chunk)}" if chunk else ""
            with self._db.transaction() as conn:
                rows = conn.execute(
                    "SELECT rowid, platform, dedupe_key FROM webhook_deliveries"
                    f" WHERE received_at < ?{limit}",
                    (before,),
                ).fetchall()
                conn.executemany(
                    "DELETE FROM webhook_pending WHERE platform = ? AND dedupe_key = ?",
                    [(platform, key) for _, platform, key in rows],
                )
                conn.executemany(
                    "DELETE FROM webhook_deliveries WHERE rowid = ?", [(r[0],) for r in rows]
                )
            total += len(rows)
            _keep_wal_small(self._db)
            if not chunk or len(rows) < chunk:
                return total

    def drop_bodies(self, older_than: datetime, *, chunk: int | None = None) -> int:
        """Drop the bodies of deliveries received before `older_than` that nothing needs:
        processed (a pending one is replayed from its body) and readable (an unreadable
        one is kept for `biddesk webhooks status` to show). The dedupe key stays, so a
        platform's retry is still recognised; returns how many bodies were dropped."""
        before = dt_to_text(older_than)
        select = (
            "SELECT d.rowid FROM webhook_deliveries AS d WHERE d.received_at < ?"
            " AND d.body IS NOT NULL AND (d.event IS NULL OR d.event NOT LIKE 'unreadable%')"
            " AND NOT EXISTS (SELECT 1 FROM webhook_pending AS p"
            " WHERE p.platform = d.platform AND p.dedupe_key = d.dedupe_key)"
        )
        return self._in_chunks(
            f"UPDATE webhook_deliveries SET body = NULL WHERE rowid IN ({select}", before, chunk
        )

    def _in_chunks(self, statement: str, before: str, chunk: int | None) -> int:
        """Run `statement` (its subquery still open) in transactions of `chunk` rows."""
        total = 0
        while True:
            limit = f" LIMIT {int(chunk)})" if chunk else ")"
            with self._db.transaction() as conn:
                count = conn.execute(statement + limit, (before,)).rowcount
            total += count
            _keep_wal_small(self._db)
            if not chunk or count < chunk:
                return total

    def sizes(self) -> tuple[int, int]:
        """(deliveries kept, bytes of bodies kept)."""
        with self._db.read() as conn:
            count, size = conn.execute(
                "SELECT count(*), coalesce(sum(length(body)), 0) FROM webhook_deliveries"
            ).fetchone()
        return int(count), int(size)
