"""Application settings as JSON values under string keys."""

from __future__ import annotations

from typing import Any

from app.store._codec import dumps, loads
from app.store.db import Database


class SettingsRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, key: str, default: Any = None) -> Any:
        with self._db.read() as conn:
            row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else loads(row[0])

    def set(self, key: str, value: Any) -> None:
        """Store any JSON-serialisable value; anything else is a bug (TypeError)."""
        text = dumps(value)  # before the transaction: a bad value never opens one
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, text),
            )

    def delete(self, key: str) -> bool:
        with self._db.transaction() as conn:
            return conn.execute("DELETE FROM settings WHERE key = ?", (key,)).rowcount > 0

    def all(self) -> dict[str, Any]:
        with self._db.read() as conn:
            rows = conn.execute("SELECT key, value FROM settings ORDER BY key").fetchall()
        return {key: loads(value) for key, value in rows}
