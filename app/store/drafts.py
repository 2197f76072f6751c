"""Drafts: what the user is writing for an opportunity, autosaved, one per opportunity.

A draft is stored whole as the model's own JSON (pydantic keeps Decimal amounts and
datetimes exact), with its `updated_at` also in a column so drafts list newest first
without parsing every body.
"""

from __future__ import annotations

from app.domain.submission import Draft
from app.store._codec import dt_to_text
from app.store.db import Database


class DraftRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    def save(self, draft: Draft) -> None:
        """Insert or replace the draft for `draft.opportunity_key`."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO drafts (opportunity_key, body, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (opportunity_key) DO UPDATE"
                " SET body = excluded.body, updated_at = excluded.updated_at",
                (draft.opportunity_key, draft.model_dump_json(), dt_to_text(draft.updated_at)),
            )

    def get(self, opportunity_key: str) -> Draft | None:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT body FROM drafts WHERE opportunity_key = ?", (opportunity_key,)
            ).fetchone()
        return None if row is None else Draft.model_validate_json(row[0])

    def delete(self, opportunity_key: str) -> bool:
        """Forget the draft (after it was submitted); False if there was none."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM drafts WHERE opportunity_key = ?", (opportunity_key,)
            )
            return cursor.rowcount > 0

    def all(self) -> list[Draft]:
        """Every draft, most recently edited first."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT body FROM drafts ORDER BY updated_at DESC, opportunity_key"
            ).fetchall()
        return [Draft.model_validate_json(row[0]) for row in rows]
