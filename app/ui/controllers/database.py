"""Start-up when the database cannot be opened: ask, then restore or switch profiles.

The file work (checking the backups, copying one back) runs on a thread; the dialog in
`app/ui/dialogs/database_problem.py` only shows the sentence and returns the choice.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from app.store.backup import latest_good_backup, restore
from app.store.errors import (
    CannotOpenError,
    CorruptDatabaseError,
    NewerSchemaError,
    NotBidDeskDatabaseError,
    StorageIOError,
    StoreError,
)
from app.store.migrations import LATEST_VERSION
from app.store.paths import data_dir, db_path
from app.ui.dialogs.database_problem import Ask, Choice, ask

log = logging.getLogger(__name__)

# A backup can fix what is wrong with the file itself, not a full disk, a lock or a
# permission: for those the restore button would only fail again.
RESTORE_HELPS = (CorruptDatabaseError, NotBidDeskDatabaseError, NewerSchemaError, StorageIOError)


async def recover(error: StoreError, directory: Path | None, *, ask: Ask = ask) -> Path | None:
    """Ask about `error` in the profile `directory` (None: no usable folder) until a choice
    works: the profile folder to start with (the same one after a restore, or the one
    chosen), or None when the user quits."""
    while True:
        log.warning("the database cannot be opened: %s", error.user_message)
        latest = None
        if directory is not None and isinstance(error, RESTORE_HELPS):
            try:
                latest = await asyncio.to_thread(
                    latest_good_backup, db_path(directory), LATEST_VERSION
                )
            except StoreError as exc:
                log.warning("the backups could not be read: %s", exc.user_message)
        decision = await ask(error.user_message, latest)
        try:
            if decision.choice is Choice.RESTORE and directory and latest is not None:
                await asyncio.to_thread(restore, db_path(directory), latest.path, LATEST_VERSION)
                return directory
            if decision.choice is Choice.OTHER_PROFILE and decision.folder is not None:
                return data_dir(decision.folder)
            return None
        except StoreError as exc:
            error = exc  # the restore was refused, the folder is unusable: say so, ask again
        except OSError:
            error = CannotOpenError(decision.folder or directory or Path.cwd())
