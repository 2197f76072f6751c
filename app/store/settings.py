"""Application settings as JSON values under string keys.

A damaged value — text that is not JSON, or JSON of the wrong shape for its reader — never
stops BidDesk: it reads as the setting's default, one WARNING line says so, and the value
is moved aside under `<key>.damaged-<UTC time>` (as the text it was), for inspection, so
that the next save writes a good one and the warning is not repeated on every read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from app.store._codec import dumps, loads
from app.store.db import Database
from app.store.errors import StoreError

log = logging.getLogger(__name__)

T = TypeVar("T")

DAMAGED_MARK = ".damaged-"
_MISSING = object()


class SettingsRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _raw(self, key: str) -> object:
        with self._db.read() as conn:
            row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return _MISSING if row is None else row[0]

    def get(self, key: str, default: Any = None) -> Any:
        """The value under `key`, or `default` when there is none or it is not JSON."""
        raw = self._raw(key)
        if raw is _MISSING:
            return default
        try:
            return loads(raw)  # type: ignore[arg-type]
        except (ValueError, TypeError) as exc:  # UnicodeDecodeError is a ValueError
            self._set_aside(key, raw, _reason(exc, "not JSON: "))
            return default

    def read(self, key: str, parse: Callable[[Any], T], default: T) -> T:
        """The value under `key` as `parse` makes it, or `default` when there is none.

        `parse` raises ValueError or TypeError (pydantic's ValidationError is a
        ValueError) for a value of the wrong shape: that value is then damaged, and is
        treated like text that is not JSON.
        """
        raw = self._raw(key)
        if raw is _MISSING:
            return default
        try:
            value = loads(raw)  # type: ignore[arg-type]
        except (ValueError, TypeError) as exc:
            self._set_aside(key, raw, _reason(exc, "not JSON: "))
            return default
        try:
            return parse(value)
        except (ValueError, TypeError) as exc:
            self._set_aside(key, raw, _reason(exc))
            return default

    def _set_aside(self, key: str, raw: object, reason: str) -> None:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        aside = f"{key}{DAMAGED_MARK}{stamp}"
        try:
            with self._db.transaction() as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                    (aside, dumps(text)),
                )
                conn.execute("DELETE FROM settings WHERE key = ?", (key,))
        except StoreError as exc:  # a read-only profile, say: the default still applies
            log.warning(
                "The setting %r is damaged (%s); using its default. It could not be set aside: %s",
                key,
                reason,
                exc.user_message,
            )
            return
        log.warning(
            "The setting %r is damaged (%s); using its default. The damaged value is kept as %r.",
            key,
            reason,
            aside,
        )

    def damaged(self) -> dict[str, str]:
        """Damaged values set aside so far, by their aside key: the text as it was."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT key, value FROM settings WHERE instr(key, ?) > 0 ORDER BY key",
                (DAMAGED_MARK,),
            ).fetchall()
        return {key: loads(value) for key, value in rows}

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
        """Every setting but the damaged ones (set aside as they are met)."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT key, value FROM settings WHERE instr(key, ?) = 0 ORDER BY key",
                (DAMAGED_MARK,),
            ).fetchall()
        found = {}
        for key, raw in rows:
            try:
                found[key] = loads(raw)
            except (ValueError, TypeError) as exc:
                self._set_aside(key, raw, _reason(exc, "not JSON: "))
        return found


def _reason(exc: Exception, prefix: str = "") -> str:
    """The exception as a short single line for the warning."""
    text = " ".join(str(exc).split())[:200] or type(exc).__name__
    return prefix + text
