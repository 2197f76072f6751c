"""BidDesk's storage: one SQLite file (WAL) in the user's data directory.

`Store.open()` resolves the data directory (`--profile` > `BIDDESK_HOME` > the platform's
user data folder), opens and migrates the database, and hands out one repository per
table family. Repositories speak domain models; environment failures surface as
`StoreError`s with a sentence for the user (see `app.store.errors`).

The store is synchronous and thread-safe (one connection behind a lock): async services
call it directly for small writes and through `asyncio.to_thread` for bulk work.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from app.store.accounts import AccountRepo
from app.store.claims import Claim, ClaimedError, ClaimRepo, MemberRepo
from app.store.db import DEFAULT_BUSY_TIMEOUT, Database
from app.store.drafts import DraftRepo
from app.store.errors import (
    AccountExistsError,
    AccountNotFoundError,
    CannotOpenError,
    CorruptDatabaseError,
    DatabaseLockedError,
    DiskFullError,
    DuplicateSubmissionError,
    NewerSchemaError,
    NotAFolderError,
    NotBidDeskDatabaseError,
    ReadOnlyError,
    StaleSubmissionError,
    StorageIOError,
    StoreError,
    TeamDatabaseUnavailableError,
    classify,
)
from app.store.migrations import LATEST_VERSION, MIGRATIONS, Migration
from app.store.opportunities import (
    OpportunityFlags,
    OpportunityRepo,
    OpportunityRow,
    UpsertResult,
)
from app.store.paths import data_dir, db_path, profile_is_read_only
from app.store.settings import SettingsRepo
from app.store.submissions import SubmissionRepo
from app.store.webhooks import WebhookDelivery, WebhookDeliveryRepo

DATABASE_URL_ENV = "BIDDESK_DATABASE_URL"


# In a profile folder: the team database this profile joined (`biddesk team join`), as
# its URL without a password (that is in the keyring).
TEAM_FILE = "team-database"


def database_url(explicit: str | None = None, directory: Path | None = None) -> str | None:
    """The team database's URL: `--database-url`, else $BIDDESK_DATABASE_URL, else the
    one the profile `directory` joined, else None (this desktop's own SQLite file)."""
    url = explicit if explicit is not None else os.environ.get(DATABASE_URL_ENV)
    if not url and directory is not None:
        try:
            url = (directory / TEAM_FILE).read_text(encoding="utf-8")
        except OSError:
            url = None
    return url.strip() or None if url else None


class Store:
    """The open database and its repositories. Close it (or use `with`) when done."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.opportunities = OpportunityRepo(db)
        self.drafts = DraftRepo(db)
        self.submissions = SubmissionRepo(db)
        self.accounts = AccountRepo(db)
        self.webhooks = WebhookDeliveryRepo(db)
        self.settings = SettingsRepo(db)
        self.claims = ClaimRepo(db)
        self.members = MemberRepo(db)

    @classmethod
    def open(
        cls,
        directory: str | Path | None = None,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        read_only: bool = False,
        daily_backups: bool = True,
        url: str | None = None,
        password: str | None = None,
    ) -> Store:
        """Open the store in `directory` (the `--profile` folder), or the default one;
        `read_only` opens it without changing anything (see `Database.open`).

        With a team database URL (`url`, else $BIDDESK_DATABASE_URL) the store is on that
        PostgreSQL instead, migrated to the same schema; `password` is the one kept in the
        keyring when the URL has none. An unreachable server raises
        `TeamDatabaseUnavailableError`.
        """
        folder = data_dir(directory)
        team_url = database_url(url, folder)
        if team_url is not None:
            from app.store.pg import PgDatabase, is_database_url

            if not is_database_url(team_url):
                raise StoreError(
                    "The team database URL must start with postgresql:// "
                    "(like postgresql://user@host:5432/dbname)."
                )
            return cls(PgDatabase.connect(team_url, folder, password=password, read_only=read_only))
        path = db_path(folder)
        return cls(
            Database.open(
                path, busy_timeout=busy_timeout, read_only=read_only, daily_backups=daily_backups
            )
        )

    @property
    def backend(self) -> str:
        """ "sqlite" (this desktop's own file) or "postgresql" (a team database)."""
        return self.db.backend

    @property
    def read_only(self) -> bool:
        return self.db.read_only

    @property
    def path(self) -> Path:
        return self.db.path

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "TEAM_FILE",
    "AccountExistsError",
    "AccountNotFoundError",
    "AccountRepo",
    "CannotOpenError",
    "Claim",
    "ClaimRepo",
    "ClaimedError",
    "CorruptDatabaseError",
    "Database",
    "DatabaseLockedError",
    "DiskFullError",
    "DraftRepo",
    "DuplicateSubmissionError",
    "MemberRepo",
    "Migration",
    "NewerSchemaError",
    "NotAFolderError",
    "NotBidDeskDatabaseError",
    "OpportunityFlags",
    "OpportunityRepo",
    "OpportunityRow",
    "ReadOnlyError",
    "SettingsRepo",
    "StaleSubmissionError",
    "StorageIOError",
    "Store",
    "StoreError",
    "SubmissionRepo",
    "TeamDatabaseUnavailableError",
    "UpsertResult",
    "WebhookDelivery",
    "WebhookDeliveryRepo",
    "classify",
    "data_dir",
    "database_url",
    "db_path",
    "profile_is_read_only",
]
