"""The team backend: the same store on a shared PostgreSQL database.

`PgDatabase` is a `Database` whose `transaction()` and `read()` hand the repositories a
connection that speaks the part of `sqlite3.Connection` they use (`execute`,
`executemany`, cursors with `fetchone/fetchall/fetchmany/rowcount`), so the repositories
and the numbered migrations are the same on both backends: every statement passes
through `app.store.dialect` first, and PostgreSQL's constraint errors come back as
`sqlite3.IntegrityError`s with SQLite's own wording ("UNIQUE constraint failed:
submissions.dedupe_key"), which is what the repositories already recognise.

Driver: psycopg 3 with psycopg_pool. A pool gives each thread its own connection (the
SQLite store serialises everything behind one lock; PostgreSQL need not), checks a
connection before lending it, and replaces broken ones, which is the reconnection after
a PostgreSQL restart. psycopg also gives LISTEN/NOTIFY on a plain blocking connection
(`Listener`), pipelined `executemany`, and server-side prepared statements for the
statements a desktop repeats.

Semantics kept from SQLite: a write transaction (`immediate=True`) takes one team-wide
advisory lock, as `BEGIN IMMEDIATE` takes SQLite's write lock, so a repository's
read-then-write step means the same on both; a read transaction is a REPEATABLE READ
snapshot. Text columns use the "C" collation, so ORDER BY sorts byte by byte as SQLite.

Connection failures become `TeamDatabaseUnavailableError`: one sentence, no traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import logging
import re
import select
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import psycopg
import psycopg.errors
from psycopg import pq
from psycopg.adapt import Dumper
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from app.store import dialect
from app.store.db import Database
from app.store.errors import (
    ReadOnlyError,
    StoreError,
    TeamDatabaseUnavailableError,
)
from app.store.migrations import MIGRATIONS, Migration, check_sequence

log = logging.getLogger(__name__)

URL_SCHEMES = ("postgresql://", "postgres://")
# Keys of pg_advisory_xact_lock: an arbitrary constant per purpose ("BDsk" + 1, 2).
WRITE_LOCK = 0x4244736B01
MIGRATE_LOCK = 0x4244736B02
NOTIFY_CHANNEL = "biddesk"
_NOTIFY_KEYS = 50  # keys named in one notification; past that, "more" says reload
DEFAULT_CONNECT_TIMEOUT = 5.0
POOL_WAIT = 2.0  # how long a call waits for a pooled connection before saying so
OUTAGE_GRACE = 3.0  # after a failure, calls fail at once for this long (see _errors)


def is_database_url(text: str | None) -> bool:
    return bool(text) and str(text).strip().lower().startswith(URL_SCHEMES)


@dataclass(frozen=True)
class PgTarget:
    """Where the team database is: a `postgresql://` URL, its password kept apart."""

    url: str

    def params(self) -> dict[str, Any]:
        return dict(conninfo_to_dict(self.url))

    @property
    def where(self) -> str:
        """host:port/dbname, for sentences: never the password."""
        parts = urlsplit(self.url)
        host = parts.hostname or "localhost"
        port = parts.port or 5432
        name = parts.path.lstrip("/") or (parts.username or "")
        return f"{host}:{port}/{name}"

    @property
    def password(self) -> str | None:
        return urlsplit(self.url).password

    def without_password(self) -> str:
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        return parts._replace(netloc=f"{user}@{netloc}" if user else netloc).geturl()

    def conninfo(self, password: str | None = None, *, timeout: float) -> str:
        extra: dict[str, Any] = {"connect_timeout": max(1, round(timeout))}
        if password and not self.password:
            extra["password"] = password
        extra.setdefault("application_name", "biddesk")
        return make_conninfo(self.url, **extra)


def _unavailable(target: PgTarget, exc: BaseException) -> TeamDatabaseUnavailableError:
    text = str(exc).lower()
    reasons = (
        ("password authentication failed", "the user name or password was refused"),
        ("no password supplied", "it needs a password: store it with `biddesk team password`"),
        ("does not exist", "that database does not exist there"),
        ("connection refused", "nothing answers on that port"),
        ("timeout", "it did not answer in time"),
        ("timed out", "it did not answer in time"),
        ("could not translate host name", "that host name is unknown"),
        ("failed to resolve host", "that host name is unknown"),
        ("administrator command", "the database server was restarted"),
        ("server closed the connection", "the connection was cut"),
        ("consuming input failed", "the connection was cut"),
        ("the connection is lost", "the connection was cut"),
        ("the connection is closed", "the connection was cut"),
        ("starting up", "the database server is starting up"),
        ("shutting down", "the database server is shutting down"),
    )
    reason = next((why for needle, why in reasons if needle in text), "the connection failed")
    return TeamDatabaseUnavailableError(target.where, reason)


def _checked_target(url: str) -> PgTarget:
    target = PgTarget(url.strip())
    try:
        if not is_database_url(target.url):
            raise psycopg.ProgrammingError("it does not start with postgresql://")
        target.params()
        urlsplit(target.url).port  # noqa: B018 - raises ValueError on a port that is not one
    except ValueError:
        raise StoreError(
            "The team database URL's port is not a number; it looks like "
            "postgresql://user@host:5432/dbname."
        ) from None
    except psycopg.ProgrammingError as exc:
        # libpq quotes the URL it could not parse, password and all: never repeat that.
        why = str(exc).strip().splitlines()[0].replace(target.url, "…")
        why = re.sub(r"://[^@\s\"]*@", "://…@", why)
        raise StoreError(
            f"The team database URL is not valid ({why}); it looks like "
            "postgresql://user@host:5432/dbname."
        ) from None
    return target


@dataclass(frozen=True)
class PgProbe:
    """What one test connection found at a team database."""

    where: str
    server_version: str  # "16.4"
    schema_version: int | None  # None: no BidDesk tables there yet


def probe(
    url: str, password: str | None = None, *, timeout: float = DEFAULT_CONNECT_TIMEOUT
) -> PgProbe:
    """Connect once, read the server's version and BidDesk's schema version, change
    nothing. Raises `TeamDatabaseUnavailableError` (one sentence) or `StoreError` (a URL
    that is not one). Blocking: call it off the GUI loop."""
    target = _checked_target(url)
    try:
        with psycopg.connect(target.conninfo(password, timeout=timeout), autocommit=True) as conn:
            version = (conn.info.parameter_status("server_version") or "").split(" ", 1)[0]
            row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (_VERSION_TABLE,)).fetchone()
            schema = _version(conn) if row is not None and row[0] else None
    except psycopg.OperationalError as exc:
        raise _unavailable(target, exc) from None
    return PgProbe(target.where, version or "(unknown version)", schema)


class _BoolAsInt(Dumper):
    """Python bools as 0/1: SQLite stores them so, and the schema's flags are integers."""

    oid = psycopg.adapters.types["int8"].oid

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


# --- the connection the repositories see ------------------------------------------------


class PgIntegrityError(sqlite3.IntegrityError):
    """PostgreSQL refused a row; worded as SQLite words it."""


_KEY_DETAIL = re.compile(r"Key \((.*?)\)=")


def _integrity(exc: psycopg.errors.IntegrityError) -> PgIntegrityError:
    diag = exc.diag
    table = diag.table_name or "?"
    if isinstance(exc, psycopg.errors.UniqueViolation):
        found = _KEY_DETAIL.search(diag.message_detail or "")
        columns = [c.strip() for c in found.group(1).split(",")] if found else ["?"]
        text = "UNIQUE constraint failed: " + ", ".join(f"{table}.{c}" for c in columns)
    elif isinstance(exc, psycopg.errors.NotNullViolation):
        text = f"NOT NULL constraint failed: {table}.{diag.column_name}"
    elif isinstance(exc, psycopg.errors.CheckViolation):
        text = f"CHECK constraint failed: {diag.constraint_name}"
    elif isinstance(exc, psycopg.errors.ForeignKeyViolation):
        text = "FOREIGN KEY constraint failed"
    else:  # a trigger's RAISE (restrict_violation) and the rest: its own message
        text = diag.message_primary or str(exc)
    return PgIntegrityError(text)


class PgCursor:
    """A psycopg cursor that answers like sqlite3's for a statement without rows."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def description(self) -> Any:
        return self._cursor.description

    def fetchone(self) -> Any:
        return None if self._cursor.description is None else self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return [] if self._cursor.description is None else self._cursor.fetchall()

    def fetchmany(self, size: int = 1) -> list[Any]:
        return [] if self._cursor.description is None else self._cursor.fetchmany(size)

    def __iter__(self) -> Iterator[Any]:
        if self._cursor.description is None:
            return iter(())
        return iter(self._cursor)


class PgStream:
    """The rows of `PgConnection.stream`, read as from a cursor (`fetchmany`, iteration)."""

    __slots__ = ("_first", "_rows")

    def __init__(self, rows: Iterator[Any], first: Any) -> None:
        self._rows = rows
        self._first = first

    def fetchmany(self, size: int = 1) -> list[Any]:
        batch: list[Any] = []
        if self._first is not None and size > 0:
            batch.append(self._first)
            self._first = None
        batch += itertools.islice(self._rows, size - len(batch))
        return batch

    def __iter__(self) -> Iterator[Any]:
        while batch := self.fetchmany(1_000):
            yield from batch

    def close(self) -> None:
        """Stop early: the server's query is cancelled and the connection freed."""
        self._first = None
        close = getattr(self._rows, "close", None)
        if close is not None:
            close()


_INSERT_VALUES = re.compile(
    r"^\s*(INSERT\s+INTO\s+\w+\s*\(([^)]*)\)\s*VALUES\s*)(\((?:\s*%s\s*,)*\s*%s\s*\))(.*)$",
    re.IGNORECASE | re.DOTALL,
)
_CONFLICT_TARGET = re.compile(r"\bON\s+CONFLICT\s*\(([^)]*)\)", re.IGNORECASE)
# Column types by table, for the column-array INSERT (a migration that changes a
# table's columns runs before any connection of this process inserts into it).
_COLUMN_TYPES: dict[tuple[str, int, str, str], dict[str, str]] = {}


def _multi_row(
    query: str, rows: list[tuple[Any, ...]], types: Callable[[str], dict[str, str]]
) -> tuple[str, list[list[Any]]] | None:
    """An INSERT of many rows as one statement over column arrays, or None to run it
    row by row.

    `INSERT INTO t (a, b) SELECT * FROM unnest(%s::text[], %s::bigint[]) …` sends each
    column as one array: one round trip, one statement for PostgreSQL to plan, one
    firing of the change-notification trigger (row by row, a 10,000-row poll would
    notify 10,000 times). Not rewritten: a statement with RETURNING (its rows differ),
    and an `ON CONFLICT … DO UPDATE` whose batch repeats a conflict key (one statement
    cannot update a row twice; row by row it can, as in SQLite). `types(table)` gives
    the table's column types.
    """
    found = _INSERT_VALUES.match(query)
    if found is None or len(rows) < 2:
        return None
    head, columns, _values, rest = found.groups()
    if re.search(r"\bRETURNING\b", rest, re.IGNORECASE):
        return None
    names = [name.strip().lower() for name in columns.split(",")]
    if re.search(r"\bDO\s+UPDATE\b", rest, re.IGNORECASE):
        target = _CONFLICT_TARGET.search(rest)
        if target is None:
            return None
        try:
            where = [names.index(name.strip().lower()) for name in target.group(1).split(",")]
        except ValueError:
            return None
        keys = [tuple(row[i] for i in where) for row in rows]
        if len(set(keys)) != len(keys):
            return None
    table = re.match(r"\s*INSERT\s+INTO\s+(\w+)", head, re.IGNORECASE)
    known = types(table.group(1).lower()) if table else {}
    if any(name not in known for name in names) or len(rows[0]) != len(names):
        return None
    arrays = ", ".join(f"%b::{known[name]}[]" for name in names)  # binary: no escaping
    prefix = head[: head.upper().rindex("VALUES")]
    sql = f"{prefix}SELECT * FROM unnest({arrays}){rest}"
    return sql, [list(column) for column in zip(*rows, strict=True)]


# A statement with more parameters than this is never prepared on the server. psycopg
# prepares a statement run five times, and PostgreSQL then plans it once for any values
# (a generic plan): a long `key IN (?, ?, …)` list (the store looks rows up 500 keys at a
# time) is then compared element by element with every row scanned, where a plan made
# for the actual values hashes the list. Measured at 10,000 stored rows: 130-260 ms per
# 500-key lookup prepared against 6 ms planned each time, which made changed-row upserts
# 7x slower than new ones. Planning such a statement costs well under a millisecond.
_PREPARE_MAX_PARAMS = 32
# Rows in one chunk of `PgConnection.stream`: libpq hands a chunk over once it holds them
# all, and psycopg keeps the chunk's result while its rows are made. At 2,000 rows (~2 KB
# each) the inbox's first 300 waited for 1,700 more, and the chunks in hand cost the
# load ~6 MB more peak memory (measured streaming 1,000,000 rows: 80 MB peak at 2,000,
# 74 MB at 300, the same CPU time).
STREAM_CHUNK = 300


class PgConnection:
    """The repositories' view of one pooled PostgreSQL connection (see the module doc)."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != pq.TransactionStatus.IDLE

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> PgCursor:
        if sql.lstrip()[:6].upper() == "PRAGMA":
            return PgCursor(self.raw.cursor())  # SQLite's tuning knobs mean nothing here
        cursor = self.raw.cursor()
        values = tuple(parameters)
        prepare = False if len(values) > _PREPARE_MAX_PARAMS else None
        try:
            cursor.execute(dialect.query(sql), values, prepare=prepare)
        except psycopg.errors.IntegrityError as exc:
            raise _integrity(exc) from exc
        return PgCursor(cursor)

    def stream(
        self, sql: str, parameters: Sequence[Any] = (), size: int = STREAM_CHUNK
    ) -> PgStream:
        """A SELECT whose rows arrive in chunks of `size` as the server sends them
        (libpq's chunked mode): the first rows are in hand before the last are sent, and
        the whole result never sits in this process at once. `execute` fetches all of it
        first: at 100,000 rows the inbox's start-up read painted its first rows 1.1 s
        later than on SQLite, and 150 MB more memory peaked. The connection is busy
        until the stream is read to its end or closed."""
        cursor = self.raw.cursor()
        query = dialect.query(sql)
        values = tuple(parameters)
        try:
            rows = cursor.stream(query, values, size=size)
            first = next(rows, None)
        except psycopg.NotSupportedError:  # a libpq before 17: row by row
            rows = cursor.stream(query, values)
            first = next(rows, None)
        return PgStream(rows, first)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> PgCursor:
        """Like sqlite3's; an `INSERT … VALUES (?, …)` runs as multi-row statements of up
        to `_MULTI_ROWS` rows (see `_multi_row`), else one statement per row."""
        cursor = self.raw.cursor()
        rows = [tuple(row) for row in seq]
        if not rows:
            return PgCursor(cursor)
        query = dialect.query(sql)
        try:
            multi = _multi_row(query, rows, self._column_types)
            if multi is not None and self._as_arrays(cursor, *multi):
                return PgCursor(cursor)
            cursor.executemany(query, rows)
        except psycopg.errors.IntegrityError as exc:
            raise _integrity(exc) from exc
        return PgCursor(cursor)

    def _as_arrays(self, cursor: psycopg.Cursor[Any], sql: str, columns: list[Any]) -> bool:
        """Run the column-array form; False (nothing done) when a column's values cannot
        be one array (text and bytes mixed in a BLOB column, as SQLite allows)."""
        try:
            with self.raw.transaction():  # a savepoint: a refused dump leaves no trace
                cursor.execute(sql, columns)
        except (psycopg.DataError, psycopg.ProgrammingError, TypeError, ValueError) as exc:
            log.debug("multi-row insert fell back to row by row: %s", exc)
            return False
        return True

    def _column_types(self, table: str) -> dict[str, str]:
        info = self.raw.info
        key = (info.host, info.port, info.dbname, table)
        cached = _COLUMN_TYPES.get(key)
        if cached is None:
            found = self.raw.execute(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
                " JOIN pg_class c ON c.oid = a.attrelid"
                " WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace"
                " AND a.attnum > 0 AND NOT a.attisdropped",
                (table,),
            ).fetchall()
            cached = {str(name): str(kind) for name, kind in found}
            if cached:
                _COLUMN_TYPES[key] = cached
        return cached

    def notify(self, payload: dict[str, Any]) -> None:
        """Tell every listening desktop (delivered when the transaction commits)."""
        self.raw.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, json.dumps(payload)))


# --- migrations ---------------------------------------------------------------------------

_VERSION_TABLE = "biddesk_schema"


def _pg_statements(migration: Migration) -> list[str] | None:
    """The PostgreSQL text of a migration (None: a callable, run through the facade)."""
    own = migration.postgres
    if own is not None:
        return list(own)
    if callable(migration.apply):
        return None
    return [out for statement in migration.apply for out in dialect.ddl(statement)]


def check_translatable(migrations: Sequence[Migration] = MIGRATIONS) -> None:
    """Every migration has PostgreSQL text (translated, or its own); raises otherwise."""
    for migration in migrations:
        if callable(migration.apply) and migration.postgres is None:
            raise dialect.UnsupportedSql(
                f"migration {migration.version} is a callable: give it Migration.postgres"
            )
        _pg_statements(migration)


def _version(raw: psycopg.Connection[Any]) -> int:
    row = raw.execute(f"SELECT max(version) FROM {_VERSION_TABLE}").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate_pg(
    raw: psycopg.Connection[Any], target: PgTarget, migrations: Sequence[Migration] = MIGRATIONS
) -> int:
    """Bring the team database to the latest version; returns the version it had.

    Each step runs in its own transaction (PostgreSQL's DDL is transactional), under an
    advisory lock so two desktops starting together do not both run it.
    """
    check_sequence(migrations)
    known = migrations[-1].version if migrations else 0
    with raw.transaction():
        raw.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
        raw.execute(f"CREATE TABLE IF NOT EXISTS {_VERSION_TABLE} (version BIGINT NOT NULL)")
        found = _version(raw)
    if found > known:
        raise TeamNewerSchemaError(target.where, found, known)
    for migration in migrations:
        if migration.version <= found:
            continue
        with raw.transaction():
            raw.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
            if _version(raw) >= migration.version:
                continue
            log.info(
                "Migrating the team database %s to version %d: %s",
                target.where,
                migration.version,
                migration.description,
            )
            statements = _pg_statements(migration)
            if statements is None:
                migration.run(cast(sqlite3.Connection, PgConnection(raw)))
            else:
                for statement in statements:
                    raw.execute(statement.encode())
            raw.execute(f"INSERT INTO {_VERSION_TABLE} (version) VALUES (%s)", (migration.version,))
    _install_notify_triggers(raw)
    return found


class TeamNewerSchemaError(StoreError):
    """The team database is ahead of this BidDesk (no local backup can help: not a
    NewerSchemaError, whose remedy is restoring this desktop's file)."""

    def __init__(self, where: str, found: int, known: int) -> None:
        super().__init__(
            f"The team database {where} was set up by a newer BidDesk (database version "
            f"{found}, this one knows up to {known}); update BidDesk on this desktop.",
        )
        self.found = found
        self.known = known


# Statement-level triggers: one notification per statement that changed rows, naming up
# to _NOTIFY_KEYS keys, with the sender's origin so a desktop can skip its own.
_NOTIFY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION biddesk_notify() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
    keys text[];
    total bigint;
BEGIN
    EXECUTE format('SELECT array_agg(k), count(*) FROM (SELECT %I::text AS k FROM changed) s',
                   TG_ARGV[0]) INTO keys, total;
    IF total = 0 THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('{NOTIFY_CHANNEL}', json_build_object(
        'table', TG_TABLE_NAME, 'op', lower(TG_OP),
        'keys', keys[1:{_NOTIFY_KEYS}], 'more', total > {_NOTIFY_KEYS},
        'origin', current_setting('biddesk.origin', true))::text);
    RETURN NULL;
END $body$
"""
# (table, key column): what a desktop shows and another must see.
NOTIFIED_TABLES: tuple[tuple[str, str], ...] = (
    ("opportunities", "key"),
    ("submissions", "id"),
    ("claims", "opportunity_key"),
    ("team_members", "name"),
)


def _trigger_statements(tables: set[str]) -> list[str]:
    return [
        f"CREATE OR REPLACE TRIGGER {table}_notify_{op.lower()} AFTER {op}"
        f" ON {table} REFERENCING {which} TABLE AS changed"
        f" FOR EACH STATEMENT EXECUTE FUNCTION biddesk_notify('{key}')"
        for table, key in NOTIFIED_TABLES
        if table in tables
        for op, which in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
    ]


def _trigger_names(tables: set[str]) -> set[str]:
    return {
        f"{table}_notify_{op}"
        for table, _key in NOTIFIED_TABLES
        if table in tables
        for op in ("insert", "update", "delete")
    }


def _notify_fingerprint(tables: set[str]) -> str:
    text = "\n".join([_NOTIFY_FUNCTION, *_trigger_statements(tables)])
    return "biddesk-notify " + hashlib.sha256(text.encode()).hexdigest()[:32]


_NOTIFY_INSTALLED = """
SELECT
    (SELECT obj_description(p.oid, 'pg_proc') FROM pg_proc p
      WHERE p.proname = 'biddesk_notify' AND p.pronamespace = current_schema()::regnamespace
      LIMIT 1),
    ARRAY(SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()),
    ARRAY(SELECT t.tgname::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
           WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal)
"""


def _install_notify_triggers(raw: psycopg.Connection[Any]) -> None:
    """The change-notification triggers, installed when missing or different.

    Only then: `CREATE OR REPLACE TRIGGER` takes a SHARE ROW EXCLUSIVE lock on the
    table, which waits for every transaction writing to it and for autovacuum (cancelled
    only after `deadlock_timeout`, 1 s), and holds the team's writes meanwhile. Run at
    every start, it added that second to the first rows painted on a team database
    whose opportunities autovacuum was working through (seen at 1,000,000 rows: 1,001 ms
    for the first trigger statement, then "canceling autovacuum task" in the server's log).
    What is installed is recognised by a fingerprint kept as the function's comment.
    """
    row = raw.execute(_NOTIFY_INSTALLED).fetchone()
    if row is not None:
        comment, tables, triggers = row[0], set(row[1] or ()), set(row[2] or ())
        if comment == _notify_fingerprint(tables) and _trigger_names(tables) <= triggers:
            return
    with raw.transaction():
        raw.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
        raw.execute(_NOTIFY_FUNCTION.encode())
        tables = {
            row[0]
            for row in raw.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        }
        for statement in _trigger_statements(tables):
            raw.execute(statement.encode())
        fingerprint = _notify_fingerprint(tables)
        raw.execute(f"COMMENT ON FUNCTION biddesk_notify() IS '{fingerprint}'".encode())


# --- the database -----------------------------------------------------------------------


def _check_lent(conn: psycopg.Connection[Any]) -> None:
    """The pool's check of a connection it lends: a round trip only when its socket has
    something to say.

    A server that restarts or drops the connection says so on the socket (the
    termination message, then the end of the stream), which is then readable: the
    round trip of the pool's own check finds it broken and the pool replaces it. Idle
    and quiet, the connection is as good as the check would find it, and a round trip
    per lend made half of the GUI thread's round trips (at 100,000 rows on a team
    database: 25 lends in the start's first second after the rows painted, 50-90 ms
    under load).
    """
    try:
        readable = bool(select.select([conn.pgconn.socket], [], [], 0)[0])
    except (OSError, ValueError, psycopg.Error):
        readable = True
    if readable:
        ConnectionPool.check_connection(conn)


class PgDatabase(Database):
    """An open team database. Use `PgDatabase.connect`, then `close()`."""

    backend = "postgresql"

    def __init__(
        self,
        pool: ConnectionPool[psycopg.Connection[Any]],
        target: PgTarget,
        directory: Path,
        *,
        read_only: bool,
        origin: str,
        password: str | None,
        owns_pool: bool = True,
    ) -> None:
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = pool
        self._owns_pool = owns_pool
        self.target = target
        self.path = directory
        self.read_only = read_only
        self.origin = origin
        self._password = password
        self._local = threading.local()
        self._down: TeamDatabaseUnavailableError | None = None
        self._down_until = 0.0
        self.daily_backups = None
        self._checkpointer = None

    @classmethod
    def connect(
        cls,
        url: str,
        directory: Path,
        *,
        password: str | None = None,
        read_only: bool = False,
        migrations: Sequence[Migration] = MIGRATIONS,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        pool_size: int = 4,
    ) -> PgDatabase:
        """Reach, migrate and open the team database at `url`.

        The first connection is made here, so an unreachable server is one sentence
        (`TeamDatabaseUnavailableError`) now rather than a stalled pool later.
        """
        target = _checked_target(url)
        conninfo = target.conninfo(password, timeout=connect_timeout)
        try:
            with psycopg.connect(conninfo, autocommit=True) as first:
                if not read_only:
                    migrate_pg(first, target, migrations)
                else:
                    found = _version(first)
                    if found > (migrations[-1].version if migrations else 0):
                        raise TeamNewerSchemaError(target.where, found, migrations[-1].version)
        except psycopg.OperationalError as exc:
            raise _unavailable(target, exc) from None
        origin = uuid.uuid4().hex

        def configure(conn: psycopg.Connection[Any]) -> None:
            conn.adapters.register_dumper(bool, _BoolAsInt)
            conn.execute("SELECT set_config('biddesk.origin', %s, false)", (origin,))
            if read_only:
                conn.execute("SET default_transaction_read_only = on")

        pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            conninfo,
            kwargs={"autocommit": True},
            min_size=min(2, max(1, pool_size)),
            max_size=max(1, pool_size),
            configure=configure,
            check=_check_lent,
            timeout=min(POOL_WAIT, connect_timeout),
            reconnect_timeout=365 * 24 * 3600.0,  # keep trying while the server is away
            name="biddesk-team",
            open=True,
        )
        return cls(pool, target, directory, read_only=read_only, origin=origin, password=password)

    # --- use -------------------------------------------------------------------------

    def _the_pool(self) -> ConnectionPool[psycopg.Connection[Any]]:
        if self._pool is None:
            raise sqlite3.ProgrammingError(f"the team database {self.target.where} is closed")
        return self._pool

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Connection failures as one sentence. After one, calls fail at once for
        `OUTAGE_GRACE` seconds instead of each waiting on the pool: typing saves its
        draft locally at once, and the window does not stall on every keystroke."""
        down = self._down
        if down is not None and time.monotonic() < self._down_until:
            raise TeamDatabaseUnavailableError(down.where, down.reason)
        try:
            yield
        except psycopg.errors.ReadOnlySqlTransaction as exc:
            raise ReadOnlyError(Path(self.target.where), detail="opened read-only") from exc
        except (psycopg.OperationalError, PoolTimeout) as exc:
            self._down = _unavailable(self.target, exc)
            self._down_until = time.monotonic() + OUTAGE_GRACE
            raise self._down from exc

    @contextmanager
    def _borrow(self) -> Iterator[tuple[PgConnection, bool]]:
        """This thread's connection: the one it is already using, or one from the pool."""
        current: PgConnection | None = getattr(self._local, "conn", None)
        if current is not None:
            yield current, False
            return
        with self._the_pool().connection() as raw:
            conn = PgConnection(raw)
            self._local.conn = conn
            try:
                yield conn, True
            finally:
                self._local.conn = None

    @contextmanager
    def transaction(self, *, immediate: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction (see `Database.transaction`): `immediate` takes the team-wide
        write lock at BEGIN, as SQLite's BEGIN IMMEDIATE does; nested calls are savepoints."""
        with self._errors(), self._borrow() as (conn, _fresh):
            raw = conn.raw
            if conn.in_transaction:
                with raw.transaction():  # a savepoint
                    yield cast(sqlite3.Connection, conn)
                return
            if immediate:
                # One round trip: BEGIN and the lock as one simple query.
                raw.execute(f"BEGIN; SELECT pg_advisory_xact_lock({int(WRITE_LOCK)})".encode())
            else:
                raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            try:
                yield cast(sqlite3.Connection, conn)
                raw.execute("COMMIT")
            except BaseException:
                if not raw.broken and not raw.closed:
                    try:
                        raw.execute("ROLLBACK")
                    except psycopg.Error:
                        log.warning("Rollback failed after an error", exc_info=True)
                raise

    @contextmanager
    def row_locking(self) -> Iterator[sqlite3.Connection]:
        """A READ COMMITTED transaction without the team-wide write lock, for work that
        locks its own rows (`FOR UPDATE SKIP LOCKED`: the outbox); nested calls made
        inside it (a repository's `transaction()`) are savepoints in it."""
        with self._errors(), self._borrow() as (conn, _fresh):
            raw = conn.raw
            if conn.in_transaction:
                with raw.transaction():
                    yield cast(sqlite3.Connection, conn)
                return
            raw.execute("BEGIN")
            try:
                yield cast(sqlite3.Connection, conn)
                raw.execute("COMMIT")
            except BaseException:
                if not raw.broken and not raw.closed:
                    with contextlib.suppress(psycopg.Error):
                        raw.execute("ROLLBACK")
                raise

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for statements that each stand alone (autocommit)."""
        with self._errors(), self._borrow() as (conn, _fresh):
            yield cast(sqlite3.Connection, conn)

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """This thread keeps one pooled connection until the block ends: the calls made
        in it (each a `read()` or a `transaction()`) use it without asking the pool, which
        checks a connection with a round trip of its own each time it lends one. A row's
        selection made 11 statements, and as many checks, on the GUI thread."""
        with self._errors(), self._borrow():
            yield

    def notify(self, payload: dict[str, Any]) -> None:
        with self.read() as conn:
            cast(PgConnection, conn).notify(payload)

    def reader(self) -> Database:
        """A read-only view for a worker thread: the pool already lends it its own
        connection, so it is this database, closed without closing the pool."""
        return PgDatabase(
            self._the_pool(),
            self.target,
            self.path,
            read_only=True,
            origin=self.origin,
            password=self._password,
            owns_pool=False,
        )

    def listener(
        self,
        on_change: Callable[[dict[str, Any]], None],
        on_status: Callable[[str | None], None] | None = None,
    ) -> Listener:
        return Listener(
            self.target.conninfo(self._password, timeout=DEFAULT_CONNECT_TIMEOUT),
            self.target,
            self.origin,
            on_change,
            on_status,
        )

    # --- maintenance -----------------------------------------------------------------

    def schema_version(self) -> int:
        with self._errors(), self._the_pool().connection() as raw:
            return _version(raw)

    def journal_mode(self) -> str:
        return "postgresql"

    def quick_check(self) -> list[str]:
        with self.read() as conn:
            conn.execute("SELECT 1").fetchall()
        return []

    def checkpoint(self) -> None:
        """PostgreSQL checkpoints by itself."""

    def releases_free_pages(self) -> bool:
        return False  # the server's autovacuum reuses and returns space

    def release_free_pages(self, *, step: int = 0) -> int:
        return 0

    def compact(self) -> None:
        """PostgreSQL's autovacuum compacts by itself."""

    @property
    def closed(self) -> bool:
        return self._pool is None

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None and self._owns_pool:
            pool.close(timeout=2.0)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<PgDatabase {self.target.where} ({state})>"


# --- live: LISTEN on a connection of its own ----------------------------------------------


class Listener:
    """Receives the team's change notifications on a thread and a connection of its own.

    It blocks on the connection's socket (no polling of the database); a lost connection
    is retried with a growing pause, and `on_status` hears one sentence when it is lost
    and None once it is back (then `on_change({"table": "*"})` asks for a reload, since
    notifications sent meanwhile were missed). Notifications from this process's own
    connections (the same origin) are skipped.
    """

    def __init__(
        self,
        conninfo: str,
        target: PgTarget,
        origin: str,
        on_change: Callable[[dict[str, Any]], None],
        on_status: Callable[[str | None], None] | None = None,
    ) -> None:
        self._conninfo = conninfo
        self._target = target
        self._origin = origin
        self._on_change = on_change
        self._on_status = on_status
        self._stop = threading.Event()
        self._conn: psycopg.Connection[Any] | None = None
        self._thread = threading.Thread(target=self._run, name="biddesk-listen", daemon=True)
        self.listening = threading.Event()

    def start(self) -> Listener:
        self._thread.start()
        return self

    def _status(self, sentence: str | None) -> None:
        if self._on_status is not None:
            try:
                self._on_status(sentence)
            except Exception:
                log.exception("the team status callback failed")

    def _run(self) -> None:
        pause = 0.2
        lost = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    self._conn = conn
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.listening.set()
                    pause = 0.2
                    if lost:
                        lost = False
                        self._status(None)
                        self._deliver({"table": "*", "op": "reconnect"})
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self._handle(note.payload)
            except psycopg.Error as exc:
                self.listening.clear()
                if self._stop.is_set():
                    break
                if not lost:
                    lost = True
                    self._status(
                        f"The team database at {self._target.where} is away "
                        f"({_unavailable(self._target, exc).reason}); BidDesk reconnects by "
                        "itself and keeps what you type on this desktop meanwhile."
                    )
                self._stop.wait(pause)
                pause = min(pause * 2, 5.0)
            finally:
                self._conn = None

    def _handle(self, payload: str) -> None:
        try:
            message = json.loads(payload)
        except ValueError:
            log.warning("an unreadable team notification was ignored")
            return
        if not isinstance(message, dict) or message.get("origin") == self._origin:
            return
        self._deliver(message)

    def _deliver(self, message: dict[str, Any]) -> None:
        try:
            self._on_change(message)
        except Exception:
            log.exception("a team change could not be handled")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3.0)
