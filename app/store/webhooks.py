"""Webhook deliveries already seen, so a replayed or duplicated delivery is processed once.

`record` is one `INSERT OR IGNORE` on the (platform, dedupe_key) primary key: whether the
delivery is new is decided atomically by the database, even with two receivers running.
The body is kept, as received, for inspection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.opportunity import Platform, utcnow
from app.store._codec import dt_to_text, text_to_dt
from app.store.db import Database


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    platform: Platform
    dedupe_key: str
    received_at: datetime
    raw: bytes | str | None


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
    ) -> bool:
        """Remember a delivery; True if it is new, False if it was seen before."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO webhook_deliveries"
                " (platform, dedupe_key, received_at, body) VALUES (?, ?, ?, ?)",
                (
                    Platform(platform).value,
                    dedupe_key,
                    dt_to_text(received_at or utcnow()),
                    raw,
                ),
            )
            return cursor.rowcount == 1

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
                "SELECT platform, dedupe_key, received_at, body FROM webhook_deliveries"
                " ORDER BY received_at DESC, rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            WebhookDelivery(Platform(platform), key, text_to_dt(at), body)
            for platform, key, at, body in rows
        ]

    def prune(self, older_than: datetime) -> int:
        """Forget deliveries received before `older_than` (platforms stop retrying after
        a few days); returns how many were removed."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM webhook_deliveries WHERE received_at < ?", (dt_to_text(older_than),)
            )
            return cursor.rowcount
