"""What retention does to the database: archive old opportunities, report the file's size.

Archiving uses the opportunity's own `archived` flag, the one the user sets with
"Archive": an archived row leaves the live inbox and stays searchable on request (the
filter bar's "archived", `biddesk list --archived`). Only rows nobody is working on are
archived by age: not starred, no draft, no submission. Delivery bodies are pruned by
`WebhookDeliveryRepo.prune` / `drop_bodies` (app/store/webhooks.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.store._codec import dt_to_text
from app.store.db import Database
from app.store.webhooks import WAL_FOLD_BYTES

# Rows per transaction: another thread waiting on the connection (the window's loop) waits
# for one short transaction, never for the whole run.
CHUNK = 500


def archive_older_than(db: Database, older_than: datetime, *, chunk: int = CHUNK) -> list[str]:
    """Archive opportunities detected before `older_than` that nobody is working on
    (starred, drafted or with a submission: kept); returns their keys."""
    before = dt_to_text(older_than)
    archived: list[str] = []
    while True:
        with db.transaction() as conn:
            keys = [
                row[0]
                for row in conn.execute(
                    "SELECT o.key FROM opportunities AS o"
                    " WHERE o.detected_at < ? AND o.archived = 0 AND o.starred = 0"
                    " AND NOT EXISTS (SELECT 1 FROM drafts AS d WHERE d.opportunity_key = o.key)"
                    " AND NOT EXISTS"
                    " (SELECT 1 FROM submissions AS s WHERE s.opportunity_key = o.key)"
                    " LIMIT ?",
                    (before, chunk),
                )
            ]
            conn.executemany(
                "UPDATE opportunities SET archived = 1 WHERE key = ?", [(k,) for k in keys]
            )
        archived.extend(keys)
        if db.wal_size() >= WAL_FOLD_BYTES:
            db.fold_wal()
        if len(keys) < chunk:
            return archived


@dataclass(frozen=True, slots=True)
class FileSizes:
    database: int  # bytes of the main file
    wal: int  # bytes of its write-ahead log (0 when absent)
    free: int  # bytes of free pages inside the main file, reused before it grows

    @property
    def total(self) -> int:
        return self.database + self.wal


def file_sizes(db: Database) -> FileSizes:
    if db.backend != "sqlite":
        # A team's PostgreSQL: the server's size of this database; WAL and free pages
        # are the server's business (its own checkpoints and autovacuum).
        with db.read() as conn:
            size = int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])
        return FileSizes(database=size, wal=0, free=0)
    path: Path = db.path
    wal = path.with_name(path.name + "-wal")
    with db.read() as conn:
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        free_pages = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
    return FileSizes(
        database=path.stat().st_size if path.exists() else 0,
        wal=wal.stat().st_size if wal.exists() else 0,
        free=page_size * free_pages,
    )


def archived_keys(db: Database) -> set[str]:
    """The keys of every archived opportunity (the CLI's list hides them by default)."""
    with db.read() as conn:
        return {row[0] for row in conn.execute("SELECT key FROM opportunities WHERE archived = 1")}
