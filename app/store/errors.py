"""Store errors: what went wrong with the user's disk, told apart from our own bugs.

An environment problem (disk full, file locked by another program, read-only or damaged
file, a database from a newer BidDesk) becomes a `StoreError` whose `user_message` is one
plain sentence naming the file and what to do; the UI shows that sentence, not a
traceback. Everything else — a wrong SQL statement, a constraint our code should have
respected, a closed connection — propagates unchanged, because hiding a bug behind a
friendly sentence would only make it harder to find.

`translate_errors` is the one place where that sorting happens; `Database.transaction`
and `Database.read` wrap every statement a repository runs in it.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.domain.submission import Submission

# Primary SQLite result codes (https://sqlite.org/rescode.html). An extended code carries
# its primary code in the low byte.
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_PROTOCOL = 15
SQLITE_NOTADB = 26


class StoreError(Exception):
    """A storage problem the user can understand and act on.

    `str(error)` is the same sentence as `user_message`, so a log line or a dialog that
    only knows about exceptions still shows something readable.
    """

    def __init__(self, user_message: str, *, path: Path | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.path = path


class DiskFullError(StoreError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The disk holding {path} is full; free some space and try again.", path=path
        )


class DatabaseLockedError(StoreError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The database file {path} is in use by another program (perhaps another "
            "BidDesk window); close it and try again.",
            path=path,
        )


class ReadOnlyError(StoreError):
    def __init__(self, path: Path, *, detail: str | None = None) -> None:
        why = f" ({detail})" if detail else ""
        super().__init__(
            f"BidDesk cannot write to {path}{why}; make the file and its folder writable, "
            "or choose another data folder with --profile.",
            path=path,
        )


class CorruptDatabaseError(StoreError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The database file {path} is damaged or is not a BidDesk database; put back "
            "the latest backup with `biddesk restore` (BidDesk keeps the file it replaces), "
            "or move the file aside and start BidDesk again.",
            path=path,
        )


class NewerSchemaError(StoreError):
    def __init__(self, path: Path, found: int, known: int) -> None:
        super().__init__(
            f"The database file {path} was written by a newer BidDesk (database version "
            f"{found}, this one knows up to {known}); update BidDesk, or choose another "
            "data folder with --profile.",
            path=path,
        )
        self.found = found
        self.known = known


class NotBidDeskDatabaseError(StoreError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The file {path} is an SQLite database that BidDesk did not create; move it "
            "aside, "
            "or choose another data folder with --profile.",
            path=path,
        )


class StorageIOError(StoreError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"BidDesk could not read or write {path} (disk I/O error); check that the "
            "disk is connected and has free space, then try again.",
            path=path,
        )


class CannotOpenError(StoreError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"BidDesk cannot open {path}; check that its folder exists and is "
            "accessible, or choose another data folder with --profile.",
            path=path,
        )


class NotAFolderError(StoreError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The chosen data folder {path} is a file; choose another folder with --profile.",
            path=path,
        )


class BackupError(StoreError):
    """A backup could not be made, or the one chosen cannot be restored; the sentence
    says which and why."""


class ProfileInUseError(StoreError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The database file {path} is open in another BidDesk (a window, `biddesk "
            "serve` or a command); close it, then restore again.",
            path=path,
        )


class TeamDatabaseUnavailableError(StoreError):
    """The team database (PostgreSQL) cannot be reached; `reason` says why in a few words."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(
            f"BidDesk cannot reach the team database at {where} ({reason}); check that "
            "PostgreSQL is running there and the URL is right."
        )
        self.where = where
        self.reason = reason


class AccountExistsError(StoreError):
    def __init__(self, name: str) -> None:
        super().__init__(f"An account named {name!r} already exists; choose another name.")
        self.name = name


class AccountNotFoundError(StoreError):
    def __init__(self, name: str) -> None:
        super().__init__(f"There is no account named {name!r}; it may have been removed.")
        self.name = name


class DuplicateSubmissionError(StoreError):
    """The database refused a second live submission for the same job.

    `existing` is the live submission that holds the job (None only in the rare race where
    it stopped being live between the refusal and the look-up).
    """

    def __init__(self, dedupe_key: str, existing: Submission | None) -> None:
        where = ""
        if existing is not None:
            # On a team database the history names who moved it, and when.
            signed = [entry for entry in existing.history if entry.member]
            by = ""
            if signed:
                last = signed[-1]
                by = f" by {last.member} at {last.at:%Y-%m-%d %H:%M} UTC"
            where = f" (submission {existing.id}, {existing.state.value}{by})"
        super().__init__(
            f"A proposal for this job is already in progress or sent{where}; "
            "BidDesk sends at most one proposal per job."
        )
        self.dedupe_key = dedupe_key
        self.existing = existing


class StaleSubmissionError(StoreError):
    """The caller's copy is behind the stored one: saving it would drop history."""

    def __init__(self, submission_id: str) -> None:
        super().__init__(
            f"Submission {submission_id} was updated elsewhere (perhaps by another BidDesk "
            "window); reload it and try again."
        )
        self.submission_id = submission_id


def _primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _read_only_or_cannot_open(path: Path) -> StoreError:
    # SQLite says "unable to open database file" for a missing folder, a folder it may
    # not create the -wal/-shm files in, and a file it may not read; only the
    # permissions tell which one the user should fix.
    folder = path.parent
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        return ReadOnlyError(path, detail="its folder is read-only")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return ReadOnlyError(path, detail="the file is read-only")
    return CannotOpenError(path)


# When an error carries no code (raised by hand, or by an older sqlite3 module), its
# message is all there is; these are SQLite's own fixed English texts.
_MESSAGE_FALLBACKS: tuple[tuple[str, int], ...] = (
    ("database or disk is full", SQLITE_FULL),
    ("database is locked", SQLITE_BUSY),
    ("database table is locked", SQLITE_LOCKED),
    ("database schema is locked", SQLITE_LOCKED),
    ("readonly database", SQLITE_READONLY),
    ("read-only", SQLITE_READONLY),
    ("file is not a database", SQLITE_NOTADB),
    ("file is encrypted or is not a database", SQLITE_NOTADB),
    ("database disk image is malformed", SQLITE_CORRUPT),
    ("disk i/o error", SQLITE_IOERR),
    ("unable to open database file", SQLITE_CANTOPEN),
    ("access permission denied", SQLITE_PERM),
)


_ALWAYS_BUGS = (
    sqlite3.IntegrityError,
    sqlite3.ProgrammingError,
    sqlite3.InterfaceError,
    sqlite3.DataError,
    sqlite3.NotSupportedError,
    sqlite3.InternalError,
)
# Not every platform's errno module has EDQUOT (Windows does not).
_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
_PERMISSION_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def classify(exc: sqlite3.Error, path: str | Path) -> StoreError | None:
    """The `StoreError` an environment failure amounts to, or None for a bug.

    Only `OperationalError` and `DatabaseError` can be about the environment:
    `IntegrityError`, `ProgrammingError`, `InterfaceError` and friends are always ours.
    """
    if not isinstance(exc, sqlite3.DatabaseError) or isinstance(exc, _ALWAYS_BUGS):
        return None
    where = Path(path)
    code = _primary_code(exc)
    if code is None:
        text = str(exc).lower()
        code = next((c for needle, c in _MESSAGE_FALLBACKS if needle in text), None)
    if code == SQLITE_FULL:
        return DiskFullError(where)
    if code in (SQLITE_BUSY, SQLITE_LOCKED, SQLITE_PROTOCOL):
        return DatabaseLockedError(where)
    if code in (SQLITE_READONLY, SQLITE_PERM):
        return ReadOnlyError(where)
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return CorruptDatabaseError(where)
    if code == SQLITE_IOERR:
        return StorageIOError(where)
    if code == SQLITE_CANTOPEN:
        return _read_only_or_cannot_open(where)
    return None


def classify_os_error(exc: OSError, path: str | Path) -> StoreError | None:
    """The same sorting for the file-system calls made around SQLite (mkdir, chmod)."""
    where = Path(path)
    if exc.errno in _DISK_FULL_ERRNOS:
        return DiskFullError(where)
    if exc.errno in _PERMISSION_ERRNOS:
        return ReadOnlyError(where)
    return None


@contextmanager
def translate_errors(path: str | Path) -> Iterator[None]:
    """Turn environment failures inside the block into `StoreError`s; let bugs through."""
    try:
        yield
    except sqlite3.Error as exc:
        error = classify(exc, path)
        if error is None:
            raise
        raise error from exc
    except OSError as exc:
        os_error = classify_os_error(exc, path)
        if os_error is None:
            raise
        raise os_error from exc
