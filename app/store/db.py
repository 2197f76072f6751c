"""The one SQLite connection of a BidDesk process, and how it is opened safely.

Opening does, in order: make the file private (0600) before SQLite ever writes to it,
switch to WAL with `synchronous=NORMAL` (durable at checkpoints, fast commits), turn on
foreign keys and a busy timeout, migrate the schema (backing the file up first), and
check the file can be written, so a read-only or damaged database is reported once, at
start-up, as a sentence. Then a thread of its own backs the file up when the newest backup
is more than a day old (`app.store.backup.DailyBackups`).

The connection is shared between threads (`check_same_thread=False`) because services
push bulk work through `asyncio.to_thread`; a re-entrant lock serialises every use, which
is what SQLite needs from a shared connection anyway. Every statement runs inside
`transaction()` or `read()`, and both translate environment errors into `StoreError`s.
"""

from __future__ import annotations

import itertools
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, cast

from app.store.backup import DailyBackups
from app.store.errors import NewerSchemaError, ReadOnlyError, translate_errors
from app.store.migrations import (
    LATEST_VERSION,
    MIGRATIONS,
    Migration,
    migrate,
    rollback_quietly,
    user_version,
)
from app.store.paths import ensure_private_dir

if TYPE_CHECKING:
    from app.store.pg import PgDatabase

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DEFAULT_BUSY_TIMEOUT = 5.0  # seconds
# After a checkpoint, shrink the WAL back to this size: a 100,000-row import would
# otherwise leave a file of hundreds of MB next to the database.
_JOURNAL_SIZE_LIMIT = 32 * 1024 * 1024
# Opportunities are 1–2 KB rows: 8 KiB pages hold them with less waste than the 4 KiB
# default, and a 100,000-row import writes ~40% less (measured: 3.4 s -> 1.9 s to insert
# and commit). Only takes effect when the file is created.
_PAGE_SIZE = 8192
_INCREMENTAL = 2  # PRAGMA auto_vacuum's value for INCREMENTAL
_RELEASE_STEP_PAGES = 1024  # 8 MB a transaction
_RELEASE_FOLD_BYTES = 16 * 1024 * 1024  # the WAL a release may grow before it is folded in
# A little more page cache than SQLite's 2 MB default for the indexes of a bulk upsert;
# much more makes the commit slower (more dirty pages flushed at once). Negative = KiB.
_CACHE_SIZE_KIB = 8 * 1024


# How often the checkpointer looks at the WAL. It folds the WAL into the database file once
# writes have paused for _CHECKPOINT_QUIET. Writes that never pause grow the WAL (a PASSIVE
# checkpoint cannot rewind a WAL that is being appended to); past _CHECKPOINT_FORCE_BYTES it
# is folded in and rewound anyway, which holds the writers back: measured at 256 MB with
# webhooks at 500/s, 100-190 ms. That rate writes ~50 MB of WAL a second (two commits, ~12
# pages in all, per delivery); real traffic pauses long before the bound.
#
# Webhooks now write on the receiver's own thread and connection, not the window's loop, so
# writes that never pause are checkpointed as they go once the WAL passes
# _CHECKPOINT_SOFT_BYTES (a PASSIVE checkpoint at most every _CHECKPOINT_SOFT_EVERY: it never
# blocks a writer; each copies what was written since the last, so they catch up, and once
# one has copied everything the next writer starts the WAL over and journal_size_limit
# trims the file), and the hard bound is 256 MB instead of 1 GiB: a forced RESTART blocks
# writers while it copies (measured: a 3 s wait for an acknowledgement at 256 MB).
_CHECKPOINT_INTERVAL = 0.25
_CHECKPOINT_QUIET = 0.2
_CHECKPOINT_SOFT_BYTES = 16 * 1024 * 1024
_CHECKPOINT_SOFT_EVERY = 0.25
_CHECKPOINT_FORCE_BYTES = 256 * 1024 * 1024
_CHECKPOINT_FORCE_WAIT_MS = 2000  # how long a forced checkpoint waits for the write lock


def team_database(db: object) -> PgDatabase | None:
    """`db` if it is a team database (PostgreSQL), else None. Asked by its backend's
    name, not by isinstance: a SQLite start then never imports psycopg (~9 MB, ~18% of
    the window's imports)."""
    return cast("PgDatabase", db) if getattr(db, "backend", None) == "postgresql" else None


class _Checkpointer:
    """Folds the WAL into the database file on its own thread and connection.

    SQLite's automatic checkpoint runs inside whichever commit crosses 1,000 WAL pages:
    on the app's loop, that commit stalled for 15–30 ms (measured with webhook bodies at
    500/s). A PASSIVE checkpoint here never waits for readers or writers — but running one
    every 250 ms while the loop kept writing still slowed a commit to 5–60 ms now and then
    (the checkpoint's writes and fsyncs against the loop's appends to the growing WAL),
    enough to put webhook acknowledgements over budget. So it waits for writes to pause,
    unless the WAL outgrows _CHECKPOINT_FORCE_BYTES: then a RESTART checkpoint (after a
    PASSIVE one, so that little is left to copy while writers wait) makes the next writer
    start the WAL over, and journal_size_limit trims the file.
    """

    def __init__(
        self,
        path: Path,
        last_write: Callable[[], float],
        interval: float = _CHECKPOINT_INTERVAL,
        quiet: float = _CHECKPOINT_QUIET,
        force_bytes: int = _CHECKPOINT_FORCE_BYTES,
        clock: Callable[[], float] = time.monotonic,
        soft_bytes: int = _CHECKPOINT_SOFT_BYTES,
    ) -> None:
        self._path = path
        self._clock = clock
        self._wal = path.with_name(path.name + "-wal")
        self._last_write = last_write
        self._interval = interval
        self._quiet = quiet
        self._force_bytes = force_bytes
        self._soft_bytes = soft_bytes
        self._checkpointed_at = 0.0  # monotonic; no write since then: nothing to fold in
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error:
            log.warning("the background checkpoint could not open %s", self._path, exc_info=True)
            return
        try:
            conn.execute(f"PRAGMA busy_timeout = {_CHECKPOINT_FORCE_WAIT_MS}")
            while not self._stop.wait(self._interval):
                mode = self._due()
                if mode is None:
                    continue
                try:
                    # fetchall: a statement left unfinished would keep a read lock.
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    if mode == "RESTART":
                        conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
                except sqlite3.Error:
                    log.debug("background checkpoint failed", exc_info=True)
        finally:
            conn.close()

    def _due(self) -> str | None:
        """Which checkpoint is due: PASSIVE once writes have paused (a burst of webhooks
        is not slowed by checkpoint I/O), RESTART when the WAL has outgrown its bound even
        though they have not, else None."""
        now = self._clock()
        last_write = self._last_write()
        if last_write < self._checkpointed_at:
            return None  # nothing written since the last checkpoint
        try:
            wal_size = self._wal.stat().st_size
        except OSError:
            wal_size = 0
        if wal_size >= self._force_bytes:
            mode = "RESTART"
        elif now - last_write >= self._quiet:
            mode = "PASSIVE"
        elif wal_size >= self._soft_bytes and now - self._checkpointed_at >= (
            _CHECKPOINT_SOFT_EVERY
        ):
            mode = "PASSIVE"  # writes that never pause: copied as they go
        else:
            return None
        self._checkpointed_at = now
        return mode

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)


def _make_private(path: Path) -> None:
    """Create the file 0600 if absent; strip group/other access from an existing one.

    An existing file is only ever made stricter: a user who made it read-only on purpose
    gets a ReadOnlyError, not a silently re-enabled write bit.
    """
    ensure_private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        mode = path.stat().st_mode & 0o777
        if mode & ~FILE_MODE:
            path.chmod(mode & FILE_MODE)
    else:
        os.close(fd)


def _connect_read_only(file: Path, busy_timeout: float) -> sqlite3.Connection:
    """Open `file` with SQLite's `mode=ro`, never writing it.

    A WAL database needs its -shm file: in a folder we may not write, with no -shm left
    (the last writer closed cleanly), `mode=ro` fails with SQLITE_READONLY_DIRECTORY. With
    no -wal file either, everything is in the main file, and `immutable=1` reads it
    without the shared memory. (While a writer has it open, its -wal and -shm exist and
    `mode=ro` reads them.)
    """

    def connect(query: str) -> sqlite3.Connection:
        conn = sqlite3.connect(
            f"{file.as_uri()}?{query}",
            uri=True,
            timeout=busy_timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        except BaseException:
            conn.close()
            raise
        return conn

    try:
        return connect("mode=ro")
    except sqlite3.OperationalError:
        wal = file.with_name(file.name + "-wal")
        if not file.is_file() or (wal.exists() and wal.stat().st_size > 0):
            raise
        log.info("opening %s as immutable: its folder is read-only and it has no WAL", file)
        return connect("mode=ro&immutable=1")


class Database:
    """An open BidDesk database. Use `Database.open`, then `close()` (or `with`).

    This one is the embedded SQLite file; `app.store.pg.PgDatabase` is the same interface
    on a team's PostgreSQL (`backend` tells them apart).
    """

    backend: ClassVar[str] = "sqlite"
    # Who this desktop is on a team database: signs the submission history it writes
    # (None on a desktop of its own).
    member: str | None = None

    def __init__(self, conn: sqlite3.Connection, path: Path, *, read_only: bool) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._lock = threading.RLock()
        self._savepoints = itertools.count(1)
        self.path = path
        self.read_only = read_only
        self._checkpointer: _Checkpointer | None = None
        self.daily_backups: DailyBackups | None = None
        # The last commit's time: the checkpointer waits for writes to pause.
        self._last_write = time.monotonic()

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        read_only: bool = False,
        migrations: Sequence[Migration] = MIGRATIONS,
        daily_backups: bool = True,
    ) -> Database:
        """Open (creating if needed) and migrate the database at `path`.

        `read_only=True` opens an existing file without changing it (no migration, no
        WAL switch, no backups): for inspecting a backup or a profile on read-only media.
        Writes then raise `ReadOnlyError`. `daily_backups=False` leaves the daily backup
        to another opener. Raises a `StoreError` subclass for anything the user must fix.
        """
        file = Path(path).expanduser().absolute()
        with translate_errors(file):
            if read_only:
                conn = _connect_read_only(file, busy_timeout)
            else:
                _make_private(file)
                conn = sqlite3.connect(
                    file, timeout=busy_timeout, isolation_level=None, check_same_thread=False
                )
        found = 0  # the version the file had before this open
        try:
            with translate_errors(file):
                cls._configure(conn, busy_timeout, read_only=read_only)
                if read_only:
                    cls._check_readable_version(conn, file, migrations)
                else:
                    found = migrate(conn, file, migrations=migrations)
                    cls._probe_writable(conn)
        except BaseException:
            conn.close()
            raise
        db = cls(conn, file, read_only=read_only)
        if not read_only and db.journal_mode().lower() == "wal":
            conn.execute("PRAGMA wal_autocheckpoint = 0")  # the checkpointer's job now
            db._checkpointer = _Checkpointer(file, lambda: db._last_write)
            db._checkpointer.start()
        if not read_only and daily_backups:
            # A database created just now has nothing worth a copy yet.
            db.daily_backups = DailyBackups(file, skip_first=found == 0)
            db.daily_backups.start()
        return db

    @staticmethod
    def _configure(conn: sqlite3.Connection, busy_timeout: float, *, read_only: bool) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA cache_size = -{_CACHE_SIZE_KIB}")
        if read_only:
            # Reading a page is enough to find out whether this is a database at all.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return
        conn.execute(f"PRAGMA page_size = {_PAGE_SIZE}")  # before WAL: a new file only
        # A new file gives the pages retention frees back to the disk, a few at a time
        # (`release_free_pages`); on an older file this is a no-op until `compact`.
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            # Some network file systems cannot do WAL; SQLite then keeps its old mode,
            # which is slower but correct.
            log.info("SQLite kept journal_mode=%s instead of WAL", mode)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA journal_size_limit = {_JOURNAL_SIZE_LIMIT}")

    @staticmethod
    def _probe_writable(conn: sqlite3.Connection) -> None:
        # A read-only file still opens and reads fine; writing the same user_version in a
        # rolled-back transaction is the cheapest real write, and it fails now, at start,
        # instead of at the first background poll. (BEGIN IMMEDIATE alone succeeds on a
        # read-only WAL database.)
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(f"PRAGMA user_version = {user_version(conn)}")
        finally:
            rollback_quietly(conn)

    @staticmethod
    def _check_readable_version(
        conn: sqlite3.Connection, file: Path, migrations: Sequence[Migration]
    ) -> None:
        known = migrations[-1].version if migrations else LATEST_VERSION
        found = user_version(conn)
        if found > known:
            raise NewerSchemaError(file, found, known)
        if found < known:
            raise ReadOnlyError(file, detail="it needs upgrading, which is a write")

    # --- use -------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            # A bug in the caller (use after close), not something the user can fix.
            raise sqlite3.ProgrammingError(f"the database {self.path} is closed")
        return self._conn

    @contextmanager
    def transaction(self, *, immediate: bool = True) -> Iterator[sqlite3.Connection]:
        """Run the block in one transaction, committed at the end or rolled back on error.

        `immediate` (the default, for writes) takes the write lock at BEGIN: in WAL mode a
        deferred transaction that reads and then writes fails at once with SQLITE_BUSY if
        another process wrote in between, whereas an immediate one waits its turn.
        Use `immediate=False` for a consistent multi-statement read. Nested calls become
        savepoints.
        """
        with self._lock, translate_errors(self.path):
            conn = self._connection()
            if conn.in_transaction:
                name = f"sp{next(self._savepoints)}"
                conn.execute(f"SAVEPOINT {name}")
                try:
                    yield conn
                except BaseException:
                    conn.execute(f"ROLLBACK TO {name}")
                    conn.execute(f"RELEASE {name}")
                    raise
                conn.execute(f"RELEASE {name}")
                return
            conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            try:
                yield conn
                conn.execute("COMMIT")
                self._last_write = time.monotonic()
            except BaseException:
                rollback_quietly(conn)
                raise

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection, locked, for statements that each stand alone (autocommit)."""
        with self._lock, translate_errors(self.path):
            yield self._connection()

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Keep this thread on one connection for a burst of small calls (a row's
        selection): nothing to do here, where there is one connection and the calls take
        its lock each, as before. A team database lends its connection once for them."""
        yield

    def reader(self) -> Database:
        """A read-only database of its own for a worker thread's long read (WAL lets it
        run beside the writes); close it when done."""
        return Database.open(self.path, read_only=True)

    def notify(self, payload: dict[str, Any]) -> None:
        """Tell the other desktops on this database: one desktop on SQLite has none."""

    # --- maintenance -----------------------------------------------------------------

    def schema_version(self) -> int:
        with self.read() as conn:
            return user_version(conn)

    def journal_mode(self) -> str:
        with self.read() as conn:
            return str(conn.execute("PRAGMA journal_mode").fetchone()[0])

    def quick_check(self) -> list[str]:
        """SQLite's quick integrity check: [] when the file is sound, else its findings.

        Too slow to run on every start (it reads the whole file); for a "check database"
        command or a support report.
        """
        with self.read() as conn:
            rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
        return [] if rows == ["ok"] else rows

    def wal_size(self) -> int:
        """Bytes of the write-ahead log now (0 when there is none)."""
        try:
            return self.path.with_name(self.path.name + "-wal").stat().st_size
        except OSError:
            return 0

    def fold_wal(self) -> None:
        """A PASSIVE checkpoint on a connection of its own, between a long job's
        transactions (retention): it never waits for a writer nor holds this connection's
        lock, and once it has copied everything the next write starts the WAL over."""
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:
            return
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            log.debug("a passive checkpoint failed", exc_info=True)
        finally:
            conn.close()

    def releases_free_pages(self) -> bool:
        """Can free pages go back to the disk without rewriting the file (a file
        created with incremental auto-vacuum, or compacted once)?"""
        with self.read() as conn:
            return int(conn.execute("PRAGMA auto_vacuum").fetchone()[0]) == _INCREMENTAL

    def release_free_pages(self, *, step: int = _RELEASE_STEP_PAGES) -> int:
        """Give the file's free pages back to the disk, `step` pages a transaction, so a
        writer waiting on this connection (a webhook's acknowledgement) waits for one
        short step, never for all of it; returns the pages released. Nothing on a file
        without incremental auto-vacuum (see `compact`)."""
        if not self.releases_free_pages():
            return 0
        released = 0
        while True:
            with self.transaction() as conn:
                before = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
                if before == 0:
                    return released
                # Stepped to the end: a pragma left half-run frees nothing.
                conn.execute(f"PRAGMA incremental_vacuum({int(step)})").fetchall()
                after = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
            released += before - after
            if after == 0 or after >= before:
                return released
            if self.wal_size() >= _RELEASE_FOLD_BYTES:
                self.fold_wal()

    def compact(self) -> None:
        """Rewrite the file without its free pages, and with incremental auto-vacuum from
        then on. Other writers wait until it is done (a minute or so for a year's inbox):
        for `biddesk retention --compact`, never in the background."""
        with self.read() as conn:
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            conn.execute("VACUUM")
        self._last_write = time.monotonic()
        self.checkpoint()

    def checkpoint(self) -> None:
        """Fold the WAL back into the database file and truncate it (after bulk work)."""
        with self.read() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @property
    def closed(self) -> bool:
        return self._conn is None

    def close(self) -> None:
        """Close the connection; safe to call twice. The WAL is checkpointed by SQLite."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        if self.daily_backups is not None:
            self.daily_backups.stop()
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is None:
                return
            try:
                if not self.read_only:
                    # Cheap, and keeps the query planner's statistics fresh
                    # (https://sqlite.org/pragma.html#pragma_optimize).
                    conn.execute("PRAGMA optimize")
            except sqlite3.Error:
                log.debug("PRAGMA optimize failed on close", exc_info=True)
            finally:
                conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<Database {self.path} ({state})>"
