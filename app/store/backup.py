"""Backups of the database: daily, before every migration and on request; and restoring one.

Backups live in `<profile>/backups/` (mode 0700), one self-contained SQLite file each (mode
0600), named `<stem>-<UTC time>-v<schema version>.sqlite3`, e.g.
`biddesk-20261207T050403.123Z-v6.sqlite3`: the time is fixed-width, so name order is time
order. The newest `KEEP` (7) are kept; older ones are deleted after each new backup.

A copy is made with SQLite's online backup API, so it is consistent even while the app
writes (and with a WAL file beside the database), from a connection of its own, in one
step: in WAL mode that step reads one snapshot and never blocks the app's writers, whereas
a step-by-step copy restarts whenever another connection writes, and under a steady stream
of webhooks would never finish. (On a file system without WAL a reader does block
writers, so there the copy goes a few pages at a time with pauses in between.)

Each new copy passes SQLite's `quick_check` before it is kept: a copy of a damaged
database would otherwise push a good backup out of the rotation.

Restoring checks the backup first (`PRAGMA integrity_check`, and a schema version this
BidDesk can open), refuses while another connection (another BidDesk window, `biddesk
serve`, a command) holds the database, keeps the current file aside as
`<name>.before-restore-<time>` (its `-wal` with it) and puts the copy in its place.

Nothing here imports Qt: the GUI's database-problem dialog and the CLI share it.
"""

from __future__ import annotations

import atexit
import enum
import logging
import os
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.store.errors import (
    BackupError,
    CorruptDatabaseError,
    DatabaseLockedError,
    ProfileInUseError,
    StoreError,
    classify,
    classify_os_error,
    translate_errors,
)

log = logging.getLogger(__name__)

BACKUP_DIRNAME = "backups"
KEEP = 7
DAILY = timedelta(hours=24)
# How often a long-running process (the tray-resident window, `biddesk serve`) looks again
# whether a day has passed since the newest backup.
RECHECK_SECONDS = 3600.0
DIR_MODE = 0o700
FILE_MODE = 0o600
# Without WAL, a reader blocks writers: copy this many pages, then let them in.
_STEP_PAGES = 256
_STEP_PAUSE = 0.005
# A `.partial` file this old belongs to a copy that was cut short (a crash, a kill).
_STALE_PARTIAL = 3600.0

_NAME = re.compile(r"^(?P<stem>.+)-(?P<at>\d{8}T\d{6}\.\d{3}Z)-v(?P<version>\d+)\.sqlite3$")
_AT_FORMAT = "%Y%m%dT%H%M%S"

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class BackupInfo:
    """One backup file: where, when it was taken (UTC) and its schema version."""

    path: Path
    taken_at: datetime
    version: int


class Problem(enum.Enum):
    """What is wrong with a database file, as `inspect` finds it."""

    MISSING = "missing"
    EMPTY = "empty"  # no schema at all: a file created but never set up
    DAMAGED = "damaged"
    NEWER = "newer"  # written by a newer BidDesk
    FOREIGN = "foreign"  # an SQLite file BidDesk did not create


@dataclass(frozen=True)
class Inspection:
    path: Path
    version: int
    problem: Problem | None
    detail: str = ""  # SQLite's first finding for a damaged file

    @property
    def ok(self) -> bool:
        return self.problem is None


# --- where -------------------------------------------------------------------------------


def backups_dir(db_file: Path) -> Path:
    """The backups folder of the profile holding `db_file`."""
    return db_file.parent / BACKUP_DIRNAME


def ensure_backups_dir(db_file: Path) -> Path:
    """Create the backups folder if needed and make it private (0700): it is ours alone,
    so an existing one is tightened too."""
    folder = backups_dir(db_file)
    folder.mkdir(parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o777 != DIR_MODE:
        folder.chmod(DIR_MODE)
    return folder


def backup_name(db_file: Path, taken_at: datetime, version: int) -> str:
    at = taken_at.astimezone(UTC)
    stamp = f"{at.strftime(_AT_FORMAT)}.{at.microsecond // 1000:03d}Z"
    return f"{db_file.stem}-{stamp}-v{version}.sqlite3"


def parse_backup_name(path: Path, stem: str) -> BackupInfo | None:
    """The backup a file name describes, or None for any other file."""
    match = _NAME.match(path.name)
    if match is None or match["stem"] != stem:
        return None
    seconds, _, millis = match["at"].rstrip("Z").partition(".")
    taken_at = datetime.strptime(seconds, _AT_FORMAT).replace(
        tzinfo=UTC, microsecond=int(millis) * 1000
    )
    return BackupInfo(path=path, taken_at=taken_at, version=int(match["version"]))


def list_backups(db_file: Path) -> list[BackupInfo]:
    """The backups of `db_file`, newest first."""
    folder = backups_dir(db_file)
    try:
        entries = list(folder.iterdir())
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise (classify_os_error(exc, folder) or exc) from exc
    found = [info for p in entries if (info := parse_backup_name(p, db_file.stem)) is not None]
    found.sort(key=lambda info: info.path.name, reverse=True)
    return found


def backup_due(db_file: Path, now: datetime, interval: timedelta = DAILY) -> bool:
    """Whether the newest backup is older than `interval` (or there is none)."""
    backups = list_backups(db_file)
    return not backups or now - backups[0].taken_at >= interval


# --- making one --------------------------------------------------------------------------


def make_backup(
    source: sqlite3.Connection,
    db_file: Path,
    *,
    now: datetime | None = None,
    keep: int = KEEP,
    stepwise: bool = False,
) -> BackupInfo:
    """Copy the database open on `source` into the backups folder, then rotate.

    `source` must not be inside a transaction of its own. Raises `BackupError` when the
    copy fails its check (the database itself is damaged) and a `StoreError` for the
    disk's problems; a failed copy leaves no file behind.
    """
    with translate_errors(db_file):
        version = int(source.execute("PRAGMA user_version").fetchone()[0])
        folder = ensure_backups_dir(db_file)
        _remove_stale_partials(folder)
        taken_at = (now or _utcnow()).astimezone(UTC)
        taken_at = taken_at.replace(microsecond=taken_at.microsecond // 1000 * 1000)
        destination = folder / backup_name(db_file, taken_at, version)
        while destination.exists():  # two backups within one millisecond
            taken_at += timedelta(milliseconds=1)
            destination = folder / backup_name(db_file, taken_at, version)
        _copy(source, destination, stepwise=stepwise, what=db_file)
    info = BackupInfo(path=destination, taken_at=taken_at, version=version)
    log.info("Backed up %s to %s", db_file, destination)
    rotate(db_file, keep)
    return info


def backup_file(db_file: Path, *, now: datetime | None = None, keep: int = KEEP) -> BackupInfo:
    """`make_backup` from a read-only connection of its own (a thread, the CLI)."""
    if not db_file.is_file():
        raise BackupError(
            f"There is no database at {db_file} to back up yet; BidDesk creates it when it "
            "first starts.",
            path=db_file,
        )
    with translate_errors(db_file):
        source = sqlite3.connect(
            f"{db_file.as_uri()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
    try:
        with translate_errors(db_file):
            wal = str(source.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal"
        return make_backup(source, db_file, now=now, keep=keep, stepwise=not wal)
    finally:
        source.close()


def _copy(source: sqlite3.Connection, destination: Path, *, stepwise: bool, what: Path) -> None:
    """Copy into `<destination>.partial` (private from its first byte), check the copy,
    then move it into place in one rename."""
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    try:
        target = sqlite3.connect(partial, isolation_level=None)
        try:
            if stepwise:
                source.backup(
                    target, pages=_STEP_PAGES, progress=lambda *_: time.sleep(_STEP_PAUSE)
                )
            else:
                source.backup(target)
            # A copy in rollback-journal mode is one self-contained file.
            target.execute("PRAGMA journal_mode = DELETE").fetchall()
            findings = _findings(target.execute("PRAGMA quick_check").fetchall())
        finally:
            target.close()
        if findings:
            raise BackupError(
                f"The database {what} is damaged ({findings[0]}), so no backup of it was "
                "kept; `biddesk restore` puts back the latest good one.",
                path=what,
            )
        os.replace(partial, destination)
    except BaseException:
        # A half-written copy (disk full, say) must never be mistaken for a backup.
        for leftover in ("", "-journal", "-wal", "-shm"):
            partial.with_name(partial.name + leftover).unlink(missing_ok=True)
        raise


def _remove_stale_partials(folder: Path) -> None:
    cutoff = time.time() - _STALE_PARTIAL
    for leftover in folder.glob("*.partial*"):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            log.debug("could not remove %s", leftover, exc_info=True)


def rotate(db_file: Path, keep: int = KEEP) -> list[Path]:
    """Delete all but the newest `keep` backups; returns the deleted files."""
    removed = []
    for old in list_backups(db_file)[keep:]:
        try:
            old.path.unlink()
        except FileNotFoundError:
            continue  # another process rotated at the same time
        except OSError as exc:
            log.warning("could not delete the old backup %s: %s", old.path, exc.strerror)
            continue
        removed.append(old.path)
    return removed


# --- checking one ------------------------------------------------------------------------


def _findings(rows: list[tuple[object, ...]]) -> list[str]:
    found = [str(row[0]) for row in rows]
    return [] if found == ["ok"] else found


def inspect(path: Path, known_version: int, *, quick: bool = False) -> Inspection:
    """Check a database file without changing it: SQLite's integrity check (or the quicker
    `quick_check`), then its schema version. A problem of the disk (permissions, I/O)
    raises a `StoreError`; a problem of the file is the result's `problem`."""
    if not path.is_file():
        return Inspection(path, 0, Problem.MISSING)
    with translate_errors(path):
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        with translate_errors(path):
            try:
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                pragma = "quick_check" if quick else "integrity_check"
                findings = _findings(conn.execute(f"PRAGMA {pragma}").fetchall())
                objects = conn.execute(
                    "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
                ).fetchone()[0]
            except sqlite3.DatabaseError as exc:
                if not isinstance(classify(exc, path), CorruptDatabaseError):
                    raise
                return Inspection(path, 0, Problem.DAMAGED, str(exc))
    finally:
        conn.close()
    if findings:
        return Inspection(path, version, Problem.DAMAGED, findings[0])
    if version > known_version:
        return Inspection(path, version, Problem.NEWER)
    if version == 0:
        return Inspection(path, 0, Problem.FOREIGN if objects else Problem.EMPTY)
    return Inspection(path, version, None)


def latest_good_backup(db_file: Path, known_version: int) -> BackupInfo | None:
    """The newest backup that passes SQLite's quick check and that this BidDesk can open
    (`restore` runs the full integrity check before it replaces anything)."""
    for info in list_backups(db_file):
        if info.version > known_version:
            continue
        try:
            if inspect(info.path, known_version, quick=True).ok:
                return info
        except StoreError as exc:
            log.warning("could not check the backup %s: %s", info.path, exc.user_message)
            continue
        log.warning("skipping the damaged or unusable backup %s", info.path)
    return None


# --- restoring one -----------------------------------------------------------------------


def _unusable_backup(check: Inspection, known_version: int) -> BackupError:
    path = check.path
    if check.problem is Problem.MISSING:
        return BackupError(f"There is no backup file {path}.", path=path)
    if check.problem is Problem.DAMAGED:
        return BackupError(
            f"The backup {path} is damaged ({check.detail}), so it was not restored; "
            "choose another one.",
            path=path,
        )
    if check.problem is Problem.NEWER:
        return BackupError(
            f"The backup {path} was written by a newer BidDesk (database version "
            f"{check.version}, this one knows up to {known_version}); update BidDesk to "
            "restore it.",
            path=path,
        )
    return BackupError(f"The file {path} is not a backup of a BidDesk database.", path=path)


def database_in_use(db_file: Path) -> bool:
    """Whether another connection (in this process or another) has the database open.

    An exclusive lock is only granted while no other connection uses the file — in WAL
    mode every open connection holds a shared lock on it, even when idle — so this covers
    another BidDesk window, `biddesk serve` and a running command alike.
    """
    if not db_file.exists():
        return False
    try:
        probe = sqlite3.connect(db_file, timeout=0, isolation_level=None)
    except sqlite3.Error:
        return False  # nobody can be using what cannot be opened
    try:
        probe.execute("PRAGMA locking_mode = EXCLUSIVE")
        probe.execute("BEGIN EXCLUSIVE")
        probe.execute("ROLLBACK")
    except sqlite3.Error as exc:
        return isinstance(classify(exc, db_file), DatabaseLockedError)
    finally:
        probe.close()
    return False


def restore(
    db_file: Path, source: Path, known_version: int, *, now: datetime | None = None
) -> Path | None:
    """Put the backup `source` in place of `db_file`; returns where the replaced file was
    kept (None when there was none).

    Raises `BackupError` for a backup that fails its checks, `ProfileInUseError` while
    another connection has the database open, and `StoreError` for the disk's problems.
    Nothing is replaced unless every check passed and the copy was written in full.
    """
    source = source.expanduser().absolute()
    check = inspect(source, known_version)
    if not check.ok:
        raise _unusable_backup(check, known_version)
    if database_in_use(db_file):
        raise ProfileInUseError(db_file)
    stamp = (now or _utcnow()).astimezone(UTC).strftime(_AT_FORMAT) + "Z"
    incoming = db_file.with_name(f"{db_file.name}.restoring")
    with translate_errors(db_file):
        reader = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True, isolation_level=None)
        try:
            _copy(reader, incoming, stepwise=False, what=source)
        finally:
            reader.close()
        aside = None
        if db_file.exists():
            aside = db_file.with_name(f"{db_file.name}.before-restore-{stamp}")
            os.replace(db_file, aside)
            # The old file's WAL belongs to it: applied to the restored copy it would
            # damage it. It goes aside under the name SQLite looks for beside `aside`.
            wal = db_file.with_name(db_file.name + "-wal")
            if wal.exists():
                os.replace(wal, aside.with_name(aside.name + "-wal"))
        db_file.with_name(db_file.name + "-shm").unlink(missing_ok=True)
        db_file.with_name(db_file.name + "-journal").unlink(missing_ok=True)
        os.replace(incoming, db_file)
    log.info(
        "Restored %s from the backup %s (schema version %d); the replaced file is %s",
        db_file,
        source,
        check.version,
        aside,
    )
    return aside


def restore_latest(
    db_file: Path, known_version: int, *, now: datetime | None = None
) -> tuple[BackupInfo, Path | None]:
    """Restore the newest good backup; `BackupError` when there is none."""
    latest = latest_good_backup(db_file, known_version)
    if latest is None:
        raise BackupError(
            f"There is no usable backup in {backups_dir(db_file)}.", path=backups_dir(db_file)
        )
    return latest, restore(db_file, latest.path, known_version, now=now)


# --- the daily backup --------------------------------------------------------------------


# How long a process that is exiting waits for a daily copy under way (a 1.4 GB database,
# a million opportunities, copies in ~5 s here).
EXIT_WAIT = 60.0
_RUNNING: weakref.WeakSet[DailyBackups] = weakref.WeakSet()


@atexit.register
def _finish_copies_at_exit() -> None:
    """A process that ends during a daily copy finishes it first, rather than leave a
    partial file and no backup for the day. (The thread itself is a daemon, so that a
    store someone forgot to close never keeps a process alive.)"""
    for daily in list(_RUNNING):
        daily.wait_idle(EXIT_WAIT)


class DailyBackups:
    """Backs the database up when the newest backup is more than a day old: when it
    starts (unless `skip_first`, for a database created just now) and then every
    `recheck` seconds, on a thread of its own with its own read-only connection, so the
    app's loop never waits for it.
    """

    def __init__(
        self,
        db_file: Path,
        *,
        interval: timedelta = DAILY,
        recheck: float = RECHECK_SECONDS,
        keep: int = KEEP,
        clock: Clock = _utcnow,
        skip_first: bool = False,
    ) -> None:
        self.db_file = db_file
        self._interval = interval
        self._recheck = recheck
        self._keep = keep
        self._clock = clock
        self._skip_first = skip_first
        self._stop = threading.Event()
        self.checked = threading.Event()  # set after each check (tests wait on it)
        self._idle = threading.Event()
        self._idle.set()
        self.last: BackupInfo | None = None
        self._thread = threading.Thread(target=self._run, name="daily-backup", daemon=True)

    def start(self) -> None:
        _RUNNING.add(self)
        self._thread.start()

    def run_once(self) -> BackupInfo | None:
        """Make a backup if one is due; never raises for the disk's problems."""
        self._idle.clear()
        try:
            now = self._clock()
            if not backup_due(self.db_file, now, self._interval):
                return None
            self.last = backup_file(self.db_file, now=now, keep=self._keep)
            return self.last
        except StoreError as exc:
            log.warning("The daily backup was not made: %s", exc.user_message)
        except Exception:
            log.exception("the daily backup failed")
        finally:
            self._idle.set()
        return None

    def wait_idle(self, timeout: float) -> bool:
        """Wait for a copy under way to finish; False if it is still going."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        first = True
        while not self._stop.is_set():
            if not (first and self._skip_first):
                self.run_once()
            first = False
            self.checked.set()
            if self._stop.wait(self._recheck):
                break

    def stop(self, timeout: float = 0.2) -> None:
        """Stop looking; a copy under way finishes on its own (and before the process
        exits: `_finish_copies_at_exit`)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if not self._thread.is_alive():
            _RUNNING.discard(self)
