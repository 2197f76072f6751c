"""Sorting SQLite failures into the user's problems and our bugs."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

from app.store import (
    CorruptDatabaseError,
    DatabaseLockedError,
    DiskFullError,
    ReadOnlyError,
    StoreError,
    classify,
)
from app.store.errors import (
    CannotOpenError,
    StorageIOError,
    classify_os_error,
    translate_errors,
)

DB = Path("/data/profile/biddesk.sqlite3")


def _error(
    cls: type[sqlite3.Error], message: str, code: int | None = None, name: str = ""
) -> sqlite3.Error:
    exc = cls(message)
    if code is not None:
        # The sqlite3 module sets these on the errors it raises; do the same.
        exc.sqlite_errorcode = code
        exc.sqlite_errorname = name
    return exc


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            _error(sqlite3.OperationalError, "database or disk is full", 13, "SQLITE_FULL"),
            DiskFullError,
        ),
        (
            _error(sqlite3.OperationalError, "database is locked", 5, "SQLITE_BUSY"),
            DatabaseLockedError,
        ),
        (_error(sqlite3.OperationalError, "x", 517, "SQLITE_BUSY_SNAPSHOT"), DatabaseLockedError),
        (
            _error(sqlite3.OperationalError, "database table is locked", 6, "SQLITE_LOCKED"),
            DatabaseLockedError,
        ),
        (
            _error(
                sqlite3.OperationalError,
                "attempt to write a readonly database",
                8,
                "SQLITE_READONLY",
            ),
            ReadOnlyError,
        ),
        (
            _error(sqlite3.DatabaseError, "file is not a database", 26, "SQLITE_NOTADB"),
            CorruptDatabaseError,
        ),
        (
            _error(sqlite3.DatabaseError, "database disk image is malformed", 11, "SQLITE_CORRUPT"),
            CorruptDatabaseError,
        ),
        (
            _error(sqlite3.OperationalError, "disk I/O error", 4874, "SQLITE_IOERR_SHMSIZE"),
            StorageIOError,
        ),
    ],
)
def test_codes(exc: sqlite3.Error, expected: type[StoreError]) -> None:
    error = classify(exc, DB)
    assert type(error) is expected
    assert error.path == DB


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("database or disk is full", DiskFullError),
        ("database is locked", DatabaseLockedError),
        ("attempt to write a readonly database", ReadOnlyError),
        ("file is not a database", CorruptDatabaseError),
        ("database disk image is malformed", CorruptDatabaseError),
        ("disk I/O error", StorageIOError),
    ],
)
def test_message_fallback_without_code(message: str, expected: type[StoreError]) -> None:
    error = classify(sqlite3.OperationalError(message), DB)
    assert type(error) is expected


@pytest.mark.parametrize(
    "exc",
    [
        _error(sqlite3.OperationalError, 'near "SELEC": syntax error', 1, "SQLITE_ERROR"),
        _error(sqlite3.OperationalError, "no such table: nope", 1, "SQLITE_ERROR"),
        _error(
            sqlite3.IntegrityError,
            "UNIQUE constraint failed: t.x",
            2067,
            "SQLITE_CONSTRAINT_UNIQUE",
        ),
        # An IntegrityError is ours even if its text looks like an environment problem.
        sqlite3.IntegrityError("database is locked"),
        sqlite3.ProgrammingError("Cannot operate on a closed database."),
        sqlite3.InterfaceError("Error binding parameter 1"),
    ],
)
def test_bugs_are_not_classified(exc: sqlite3.Error) -> None:
    assert classify(exc, DB) is None


def test_cannot_open_in_a_missing_folder_is_not_read_only(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "biddesk.sqlite3"
    exc = _error(sqlite3.OperationalError, "unable to open database file", 14, "SQLITE_CANTOPEN")
    assert type(classify(exc, missing)) is CannotOpenError


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (errno.ENOSPC, DiskFullError),
        (errno.EACCES, ReadOnlyError),
        (errno.EPERM, ReadOnlyError),
        (errno.EROFS, ReadOnlyError),
        (errno.ENOENT, None),
    ],
)
def test_os_errors(number: int, expected: type[StoreError] | None) -> None:
    error = classify_os_error(OSError(number, "x"), DB)
    assert (None if error is None else type(error)) is expected


@pytest.mark.parametrize(
    "error",
    [
        DiskFullError(DB),
        DatabaseLockedError(DB),
        ReadOnlyError(DB),
        ReadOnlyError(DB, detail="its folder is read-only"),
        CorruptDatabaseError(DB),
        StorageIOError(DB),
        CannotOpenError(DB),
    ],
)
def test_messages_are_one_sentence_naming_the_file(error: StoreError) -> None:
    message = error.user_message
    assert str(DB) in message
    assert str(error) == message
    assert message[0].isupper()
    assert message.endswith(".")
    assert "\n" not in message
    assert message.count(". ") == 0  # one sentence: no second one after a full stop


def test_disk_full_wording() -> None:
    assert DiskFullError(DB).user_message == (
        f"The disk holding {DB} is full; free some space and try again."
    )


def test_translate_errors_converts_environment_and_chains() -> None:
    original = _error(sqlite3.OperationalError, "database or disk is full", 13, "SQLITE_FULL")
    with pytest.raises(DiskFullError) as caught, translate_errors(DB):
        raise original
    assert caught.value.__cause__ is original


def test_translate_errors_lets_bugs_through() -> None:
    with pytest.raises(sqlite3.OperationalError, match="syntax error"), translate_errors(DB):
        raise _error(sqlite3.OperationalError, "syntax error", 1, "SQLITE_ERROR")
    with pytest.raises(KeyError), translate_errors(DB):
        raise KeyError("unrelated")
    with pytest.raises(FileNotFoundError), translate_errors(DB):
        raise FileNotFoundError(errno.ENOENT, "gone")
