"""BidDesk's storage: one SQLite file (WAL) in the user's data directory.

`Store.open()` resolves the data directory (`--profile` > `BIDDESK_HOME` > the platform's
user data folder), opens and migrates the database, and hands out one repository per
table family. Repositories speak domain models; environment failures surface as
`StoreError`s with a sentence for the user (see `app.store.errors`).

The store is synchronous and thread-safe (one connection behind a lock): async services
call it directly for small writes and through `asyncio.to_thread` for bulk work.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from app.store.accounts import AccountRepo
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

    @classmethod
    def open(
        cls,
        directory: str | Path | None = None,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        read_only: bool = False,
        daily_backups: bool = True,
    ) -> Store:
        """Open the store in `directory` (the `--profile` folder), or the default one;
        `read_only` opens it without changing anything (see `Database.open`)."""
        path = db_path(data_dir(directory))
        return cls(
            Database.open(
                path, busy_timeout=busy_timeout, read_only=read_only, daily_backups=daily_backups
            )
        )

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
    "AccountExistsError",
    "AccountNotFoundError",
    "AccountRepo",
    "CannotOpenError",
    "CorruptDatabaseError",
    "Database",
    "DatabaseLockedError",
    "DiskFullError",
    "DraftRepo",
    "DuplicateSubmissionError",
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
    "UpsertResult",
    "WebhookDelivery",
    "WebhookDeliveryRepo",
    "classify",
    "data_dir",
    "db_path",
    "profile_is_read_only",
]
