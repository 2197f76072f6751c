"""The database itself: `biddesk backup`, `restore`, `check`.

These never open the store the usual way (which migrates, and fails on a damaged file):
the database may be exactly what is broken."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from app.cli.common import EXIT_OK, CliError
from app.cli.output import _out
from app.store.paths import db_path


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def cmd_backup(args: argparse.Namespace, directory: Path) -> int:
    from app.store.backup import backup_file

    _out(str(backup_file(db_path(directory)).path))
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, directory: Path) -> int:
    from app.store.backup import restore, restore_latest
    from app.store.migrations import LATEST_VERSION

    database = db_path(directory)
    if args.file:
        source = Path(args.file)
        aside = restore(database, source, LATEST_VERSION)
    else:
        latest, aside = restore_latest(database, LATEST_VERSION)
        source = latest.path
    _out(f"Restored {database} from {source}.")
    if aside is not None:
        _out(f"The file it replaced is kept as {aside}.")
    return EXIT_OK


def cmd_check(args: argparse.Namespace, directory: Path) -> int:
    from app.store.backup import Problem, inspect, list_backups
    from app.store.errors import NewerSchemaError, NotBidDeskDatabaseError
    from app.store.migrations import LATEST_VERSION

    database = db_path(directory)
    found = inspect(database, LATEST_VERSION)
    if found.problem is Problem.MISSING:
        raise CliError(
            f"There is no database at {database} yet; BidDesk creates it when it starts."
        )
    if found.problem is Problem.DAMAGED:
        raise CliError(
            f"The database file {database} is damaged ({found.detail}); put back the latest "
            "backup with `biddesk restore`."
        )
    if found.problem is Problem.NEWER:
        raise CliError(NewerSchemaError(database, found.version, LATEST_VERSION).user_message)
    if found.problem is Problem.FOREIGN:
        raise CliError(NotBidDeskDatabaseError(database).user_message)
    if found.problem is Problem.EMPTY:
        _out(f"The database {database} is empty; BidDesk sets it up when it next starts.")
    else:
        later = (
            f"; this BidDesk upgrades it to version {LATEST_VERSION} when it next opens it"
            if found.version < LATEST_VERSION
            else ""
        )
        _out(f"The database {database} is sound (schema version {found.version}{later}).")
    backups = list_backups(database)
    if backups:
        _out(
            f"{len(backups)} backup(s) in {backups[0].path.parent}, the newest from "
            f"{_when(backups[0].taken_at)}."
        )
    else:
        _out("There are no backups yet; `biddesk backup` makes one.")
    return EXIT_OK
