"""Drafts: what the user is writing for an opportunity, autosaved, one per opportunity.

A draft is stored whole as the model's own JSON (pydantic keeps Decimal amounts and
datetimes exact), with its `updated_at` also in a column so drafts list newest first
without parsing every body.

On a team database a draft that cannot be saved because the database is away is kept in
the profile folder (`drafts-offline/`, one private file per opportunity) and written to
the database as soon as it answers again (the next save, or `flush_offline` when the
connection comes back): typing is never lost to a restart of PostgreSQL.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from app.domain.submission import Draft
from app.store._codec import dt_to_text
from app.store.db import Database
from app.store.errors import TeamDatabaseUnavailableError
from app.store.paths import ensure_private_dir

log = logging.getLogger(__name__)

OFFLINE_DIR = "drafts-offline"


class OfflineDrafts:
    """Drafts kept on this desktop while the team database is away."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _file(self, key: str) -> Path:
        return self.folder / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")

    def put(self, draft: Draft) -> None:
        ensure_private_dir(self.folder)
        target = self._file(draft.opportunity_key)
        partial = target.with_suffix(".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(draft.model_dump_json())
            out.flush()
            os.fsync(out.fileno())
        partial.replace(target)

    def get(self, key: str) -> Draft | None:
        try:
            return Draft.model_validate_json(self._file(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    def discard(self, key: str) -> None:
        self._file(key).unlink(missing_ok=True)

    def all(self) -> list[Draft]:
        if not self.folder.is_dir():
            return []
        return [
            Draft.model_validate_json(path.read_text(encoding="utf-8"))
            for path in sorted(self.folder.glob("*.json"))
        ]


class DraftRepo:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.offline = None if db.backend == "sqlite" else OfflineDrafts(db.path / OFFLINE_DIR)

    def _write(self, draft: Draft) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO drafts (opportunity_key, body, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (opportunity_key) DO UPDATE"
                " SET body = excluded.body, updated_at = excluded.updated_at",
                (draft.opportunity_key, draft.model_dump_json(), dt_to_text(draft.updated_at)),
            )

    def save(self, draft: Draft) -> None:
        """Insert or replace the draft for `draft.opportunity_key`."""
        if self.offline is None:
            self._write(draft)
            return
        try:
            self.flush_offline()
            self._write(draft)
        except TeamDatabaseUnavailableError as exc:
            self.offline.put(draft)
            log.info("draft for %s kept on this desktop: %s", draft.opportunity_key, exc)
            return
        self.offline.discard(draft.opportunity_key)

    def flush_offline(self) -> int:
        """Write the drafts kept on this desktop to the team database; how many."""
        if self.offline is None:
            return 0
        kept = self.offline.all()
        for draft in kept:
            self._write(draft)
            self.offline.discard(draft.opportunity_key)
        return len(kept)

    def get(self, opportunity_key: str) -> Draft | None:
        if self.offline is not None:
            kept = self.offline.get(opportunity_key)
            if kept is not None:  # newer than the database's: it was typed while away
                return kept
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT body FROM drafts WHERE opportunity_key = ?", (opportunity_key,)
            ).fetchone()
        return None if row is None else Draft.model_validate_json(row[0])

    def delete(self, opportunity_key: str) -> bool:
        """Forget the draft (after it was submitted); False if there was none."""
        kept = False
        if self.offline is not None:
            kept = self.offline.get(opportunity_key) is not None
            self.offline.discard(opportunity_key)
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM drafts WHERE opportunity_key = ?", (opportunity_key,)
            )
            return cursor.rowcount > 0 or kept

    def all(self) -> list[Draft]:
        """Every draft, most recently edited first."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT body FROM drafts ORDER BY updated_at DESC, opportunity_key"
            ).fetchall()
        stored = [Draft.model_validate_json(row[0]) for row in rows]
        if self.offline is None:
            return stored
        drafts = {d.opportunity_key: d for d in stored}
        drafts.update({d.opportunity_key: d for d in self.offline.all()})
        return sorted(drafts.values(), key=lambda d: (-d.updated_at.timestamp(), d.opportunity_key))
