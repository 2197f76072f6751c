"""Opportunities: bulk upsert with new/changed detection, and fast bulk loads.

The inbox writes opportunities in batches (a poll, a burst of webhooks, an import of
100,000 rows) and wants to know which were new and which changed, to raise the right
events. One batch is one transaction: existing rows are fetched with a few `IN (...)`
queries, compared in Python as plain tuples of column values (the exact values SQLite
returns, so "unchanged" means byte-for-byte the same), and only new or changed rows are
written, with one `executemany`.

The user's own marks (read, starred, archived) and `first_seen_at` belong to the store,
not to the platform: an upsert never touches them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import TypeAdapter
from pydantic_core import to_json

from app.domain.money import to_cents
from app.domain.opportunity import ClientInfo, Opportunity, Question, utcnow
from app.store._codec import (
    cents_to_money,
    dt_to_text,
    dt_to_text_or_none,
    fast_dumps,
    fast_loads,
    gc_paused,
    in_chunks,
    lenient_dumps,
    text_to_dt,
    text_to_dt_or_none,
)
from app.store.db import Database

# The columns an Opportunity maps onto, in the order of `_encode`'s tuple.
CONTENT_COLUMNS: tuple[str, ...] = (
    "key",
    "platform",
    "external_id",
    "account",
    "upwork_job_id",
    "title",
    "description",
    "url",
    "kind",
    "budget_cents",
    "hourly_min_cents",
    "hourly_max_cents",
    "skills",
    "category",
    "client",
    "questions",
    "match_score",
    "connects_price",
    "posted_at",
    "detected_at",
    "deadline",
    "status",
    "context",
    "raw",
)
_CONTENT = ", ".join(CONTENT_COLUMNS)
_UPSERT_SQL = (
    f"INSERT INTO opportunities ({_CONTENT}, first_seen_at, updated_at)"
    f" VALUES ({', '.join('?' * (len(CONTENT_COLUMNS) + 2))})"
    " ON CONFLICT (key) DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in CONTENT_COLUMNS[1:])
    + ", updated_at = excluded.updated_at"
)
_EXISTING_SQL = f"SELECT {_CONTENT} FROM opportunities WHERE key IN "

# The light row for the GUI: everything but the bulky `raw`, `context` and `questions`.
_ROW_COLUMNS: tuple[str, ...] = (
    *CONTENT_COLUMNS[:15],
    "match_score",
    "connects_price",
    "posted_at",
    "detected_at",
    "deadline",
    "status",
    "first_seen_at",
    "updated_at",
    "read_at",
    "starred",
    "archived",
)


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """Keys written by `upsert_many`, each listed once, in the order first given."""

    new: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: int

    @property
    def total(self) -> int:
        return len(self.new) + len(self.changed) + self.unchanged


@dataclass(frozen=True, slots=True)
class OpportunityFlags:
    """The user's own marks on an opportunity, and when the store first saw it."""

    read_at: datetime | None
    starred: bool
    archived: bool
    first_seen_at: datetime
    updated_at: datetime

    @property
    def read(self) -> bool:
        return self.read_at is not None


class OpportunityRow(NamedTuple):
    """One opportunity as stored, without conversions: for loading 100,000 at start-up.

    Money is integer cents, times are fixed-width ISO-8601 UTC text (which sorts like
    the times themselves), `skills` and `client` are JSON text. The properties convert
    one value when it is displayed.
    """

    key: str
    platform: str
    external_id: str
    account: str
    upwork_job_id: str | None
    title: str
    description: str
    url: str | None
    kind: str
    budget_cents: int | None
    hourly_min_cents: int | None
    hourly_max_cents: int | None
    skills_json: str
    category: str | None
    client_json: str
    match_score: float | None
    connects_price: int | None
    posted_at: str | None
    detected_at: str
    deadline: str | None
    status: str
    first_seen_at: str
    updated_at: str
    read_at: str | None
    starred: int
    archived: int

    @property
    def budget(self) -> Decimal | None:
        return cents_to_money(self.budget_cents)

    @property
    def hourly_min(self) -> Decimal | None:
        return cents_to_money(self.hourly_min_cents)

    @property
    def hourly_max(self) -> Decimal | None:
        return cents_to_money(self.hourly_max_cents)

    @property
    def skills(self) -> tuple[str, ...]:
        return tuple(fast_loads(self.skills_json))

    @property
    def client(self) -> dict[str, Any]:
        value: dict[str, Any] = fast_loads(self.client_json)
        return value

    @property
    def detected(self) -> datetime:
        return text_to_dt(self.detected_at)


_DETECTED = CONTENT_COLUMNS.index("detected_at")


def _encode(opp: Opportunity) -> tuple[Any, ...]:
    """An Opportunity as the tuple of CONTENT_COLUMNS values SQLite will hand back."""
    platform = opp.platform.value
    return (
        f"{platform}:{opp.external_id}",
        platform,
        opp.external_id,
        opp.account,
        opp.upwork_job_id,
        opp.title,
        opp.description,
        opp.url,
        opp.kind.value,
        to_cents(opp.budget),
        to_cents(opp.hourly_min),
        to_cents(opp.hourly_max),
        fast_dumps(opp.skills) if opp.skills else "[]",
        opp.category,
        # None fields are left out: most clients are partly known, and the row stays small.
        to_json(opp.client, exclude_none=True).decode(),
        fast_dumps(opp.questions) if opp.questions else "[]",
        opp.match_score,
        opp.connects_price,
        dt_to_text_or_none(opp.posted_at),
        dt_to_text(opp.detected_at),
        dt_to_text_or_none(opp.deadline),
        opp.status.value,
        fast_dumps(opp.context) if opp.context else "{}",
        lenient_dumps(opp.raw) if opp.raw else "{}",
    )


_validate_opportunity = Opportunity.model_validate
# Nested models are validated straight from their JSON text (parsing and validation in
# one pass in Rust), then handed to the outer model as instances, which it keeps as is.
_validate_client_json = ClientInfo.model_validate_json
_validate_questions_json = TypeAdapter(tuple[Question, ...]).validate_json
_EMPTY_CLIENT = ClientInfo()  # frozen, so one shared instance is safe


def _decode(row: Sequence[Any]) -> Opportunity:
    """The inverse of `_encode`, validated: a hand-edited row fails loudly, not later.

    Times are handed to pydantic as text: its Rust ISO parser is faster than parsing
    here, and the model's own validator normalises them to UTC.
    """
    (
        _key,
        platform,
        external_id,
        account,
        upwork_job_id,
        title,
        description,
        url,
        kind,
        budget_cents,
        hourly_min_cents,
        hourly_max_cents,
        skills,
        category,
        client,
        questions,
        match_score,
        connects_price,
        posted_at,
        detected_at,
        deadline,
        status,
        context,
        raw,
    ) = row
    return _validate_opportunity(
        {
            "platform": platform,
            "external_id": external_id,
            "account": account,
            "upwork_job_id": upwork_job_id,
            "title": title,
            "description": description,
            "url": url,
            "kind": kind,
            "budget": cents_to_money(budget_cents),
            "hourly_min": cents_to_money(hourly_min_cents),
            "hourly_max": cents_to_money(hourly_max_cents),
            "skills": fast_loads(skills),
            "category": category,
            "client": _EMPTY_CLIENT if client == "{}" else _validate_client_json(client),
            "questions": () if questions == "[]" else _validate_questions_json(questions),
            "match_score": match_score,
            "connects_price": connects_price,
            "posted_at": posted_at,
            "detected_at": detected_at,
            "deadline": deadline,
            "status": status,
            "context": fast_loads(context),
            "raw": fast_loads(raw),
        }
    )


def _flags(row: Sequence[Any]) -> OpportunityFlags:
    read_at, starred, archived, first_seen_at, updated_at = row
    return OpportunityFlags(
        read_at=text_to_dt_or_none(read_at),
        starred=bool(starred),
        archived=bool(archived),
        first_seen_at=text_to_dt(first_seen_at),
        updated_at=text_to_dt(updated_at),
    )


class OpportunityRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    def upsert_many(self, opportunities: Iterable[Opportunity]) -> UpsertResult:
        """Insert new opportunities and update changed ones, in one transaction.

        A key given twice in one batch is written once, with its last value. Unchanged
        rows are not written at all (no WAL traffic, `updated_at` kept). Thread-safe; a
        big batch (an import) belongs in `asyncio.to_thread`: 100,000 rows take a few
        seconds, most of it encoding, which runs before the write lock is taken.
        """
        latest: dict[str, tuple[Any, ...]] = {}
        with gc_paused():
            for opp in opportunities:
                row = _encode(opp)
                latest[row[0]] = row
        if not latest:
            return UpsertResult((), (), 0)
        keys = list(latest)
        new: list[str] = []
        changed: list[str] = []
        to_write: list[tuple[Any, ...]] = []
        now = dt_to_text(utcnow())
        stamps = (now, now)
        with self._db.transaction() as conn, gc_paused():
            stored = self._stored_rows(conn, keys)
            for key, row in latest.items():
                before = stored.get(key)
                if before is None:
                    new.append(key)
                else:
                    # detected_at is when we first saw it: a poll that stamps "now" on a
                    # platform without its own detection time changes nothing.
                    row = (*row[:_DETECTED], before[_DETECTED], *row[_DETECTED + 1 :])
                    if before == row:
                        continue
                    changed.append(key)
                to_write.append(row + stamps)
            if to_write:
                conn.executemany(_UPSERT_SQL, to_write)
        return UpsertResult(tuple(new), tuple(changed), len(keys) - len(to_write))

    @staticmethod
    def _stored_rows(conn: sqlite3.Connection, keys: list[str]) -> dict[str, tuple[Any, ...]]:
        stored: dict[str, tuple[Any, ...]] = {}
        for chunk, placeholders in in_chunks(keys):
            for row in conn.execute(_EXISTING_SQL + placeholders, chunk):
                stored[row[0]] = row
        return stored

    def upsert(self, opportunity: Opportunity) -> UpsertResult:
        return self.upsert_many((opportunity,))

    def get(self, key: str) -> Opportunity | None:
        with self._db.read() as conn:
            row = conn.execute(f"SELECT {_CONTENT} FROM opportunities WHERE key = ?", (key,))
            found = row.fetchone()
        return None if found is None else _decode(found)

    def get_many(self, keys: Iterable[str]) -> dict[str, Opportunity]:
        """The stored opportunities among `keys`, by key (missing keys are left out)."""
        wanted = list(dict.fromkeys(keys))
        with gc_paused():
            with self._db.transaction(immediate=False) as conn:
                rows = self._stored_rows(conn, wanted)
            return {key: _decode(rows[key]) for key in wanted if key in rows}

    def all(self, limit: int | None = None) -> list[Opportunity]:
        """Every opportunity (or the `limit` newest), newest detected first.

        Full, validated models: about 30 µs a row here, fetch and collection included.
        For the inbox's start-up load of everything, `load_all_rows` is the fast path.
        """
        sql = f"SELECT {_CONTENT} FROM opportunities ORDER BY detected_at DESC, key"
        params: tuple[int, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (limit,)
        with gc_paused():
            with self._db.read() as conn:
                rows = conn.execute(sql, params).fetchall()
            # Decoded outside the lock: the loop's small writes wait for the fetch only.
            return [_decode(row) for row in rows]

    def load_all_rows(self) -> list[OpportunityRow]:
        """Every opportunity as a light `OpportunityRow`, newest detected first.

        Several times faster than `all()` (measured here for 100,000 rows: under 1 s
        against about 3 s; no JSON parsing, no models): for building the inbox's table
        model at start-up. Fetch the full `Opportunity` with `get` when one is opened.
        """
        sql = f"SELECT {', '.join(_ROW_COLUMNS)} FROM opportunities ORDER BY detected_at DESC, key"
        make = OpportunityRow._make
        with gc_paused():
            with self._db.read() as conn:
                rows = conn.execute(sql).fetchall()
            return [make(row) for row in rows]

    def iter_rows(self) -> Iterator[OpportunityRow]:
        """Stream every opportunity as a light row, newest detected first.

        Reads on its own read-only connection, which WAL lets run beside the app's writes,
        so a worker thread can build the inbox at start-up without holding the store's
        lock (the loop's draft saves never wait) and without the whole list in memory at
        once (about 250 MB less at 100,000 rows than `load_all_rows`).
        """
        sql = f"SELECT {', '.join(_ROW_COLUMNS)} FROM opportunities ORDER BY detected_at DESC, key"
        make = OpportunityRow._make
        db = Database.open(self._db.path, read_only=True)
        try:
            with db.read() as conn:
                cursor = conn.execute(sql)
                while batch := cursor.fetchmany(2_000):
                    yield from map(make, batch)
        finally:
            db.close()

    def iter_row_slices(
        self, size: int = 20_000, first: int | None = None
    ) -> Generator[tuple[list[int], list[OpportunityRow]], None, None]:
        """Every opportunity as (rowids, light rows) in slices of `size` (the first of
        `first`), newest detected first.

        As `iter_rows` (its own read-only connection, one snapshot), with each row's
        rowid: the inbox index names rows by it and reads the ones on screen back with
        `rows_by_rowid`.
        """
        sql = (
            f"SELECT rowid, {', '.join(_ROW_COLUMNS)} FROM opportunities"
            " ORDER BY detected_at DESC, key"
        )
        make = OpportunityRow._make
        db = Database.open(self._db.path, read_only=True)
        try:
            with db.read() as conn:
                cursor = conn.execute(sql)
                wanted = first or size
                while True:
                    # Fetched a thousand at a time: fetchmany builds its rows holding the
                    # GIL, which a GUI thread waiting for it feels as a stall.
                    batch: list[Any] = []
                    while len(batch) < wanted and (more := cursor.fetchmany(min(1_000, wanted))):
                        batch += more
                    if not batch:
                        break
                    yield [row[0] for row in batch], [make(row[1:]) for row in batch]
                    wanted = size
        finally:
            db.close()

    def rows_by_rowid(self, rowids: Sequence[int]) -> dict[int, OpportunityRow]:
        """The light rows of `rowids` (missing ones left out), by rowid."""
        found: dict[int, OpportunityRow] = {}
        make = OpportunityRow._make
        wanted = [int(rowid) for rowid in rowids]
        sql = f"SELECT rowid, {', '.join(_ROW_COLUMNS)} FROM opportunities WHERE rowid IN "
        with self._db.read() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                placeholders = "(" + ", ".join("?" * len(chunk)) + ")"
                for row in conn.execute(sql + placeholders, chunk).fetchall():
                    found[row[0]] = make(row[1:])
        return found

    def search_texts(
        self, rowids: Sequence[int]
    ) -> dict[int, tuple[str, str, str, str, str | None]]:
        """(title, description, skills JSON, client JSON, category) of `rowids`: what the
        inbox's text query searches, for checking its candidates."""
        found: dict[int, tuple[str, str, str, str, str | None]] = {}
        wanted = [int(rowid) for rowid in rowids]
        sql = (
            "SELECT rowid, title, description, skills, client, category FROM opportunities"
            " WHERE rowid IN "
        )
        with self._db.read() as conn:
            for start in range(0, len(wanted), 5_000):
                chunk = wanted[start : start + 5_000]
                placeholders = "(" + ", ".join("?" * len(chunk)) + ")"
                for row in conn.execute(sql + placeholders, chunk).fetchall():
                    found[row[0]] = row[1:]
        return found

    def rowids_of(self, keys: Iterable[str]) -> dict[str, int]:
        """The rowids of the stored keys among `keys`."""
        found: dict[str, int] = {}
        with self._db.read() as conn:
            for chunk, placeholders in in_chunks(list(dict.fromkeys(keys))):
                sql = "SELECT key, rowid FROM opportunities WHERE key IN "
                found.update(conn.execute(sql + placeholders, chunk).fetchall())
        return found

    def by_upwork_job(self, ciphertext: str) -> list[Opportunity]:
        """Every stored route to one Upwork job (GigRadar and UpHunt may both hold it)."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_CONTENT} FROM opportunities WHERE upwork_job_id = ?"
                " ORDER BY detected_at, key",
                (ciphertext,),
            ).fetchall()
        return [_decode(row) for row in rows]

    def count(self) -> int:
        with self._db.read() as conn:
            return int(conn.execute("SELECT count(*) FROM opportunities").fetchone()[0])

    # --- the user's marks ----------------------------------------------------------

    def _set(self, key: str, column: str, value: object) -> bool:
        with self._db.transaction() as conn:
            cursor = conn.execute(
                f"UPDATE opportunities SET {column} = ? WHERE key = ?", (value, key)
            )
            return cursor.rowcount > 0

    def set_read(self, key: str, read: bool = True, *, at: datetime | None = None) -> bool:
        """Mark read (now, or `at`) or unread; False if there is no such opportunity."""
        stamp = dt_to_text(at or utcnow()) if read else None
        return self._set(key, "read_at", stamp)

    def set_starred(self, key: str, starred: bool = True) -> bool:
        return self._set(key, "starred", int(starred))

    def set_archived(self, key: str, archived: bool = True) -> bool:
        return self._set(key, "archived", int(archived))

    def flags(self, key: str) -> OpportunityFlags | None:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT read_at, starred, archived, first_seen_at, updated_at"
                " FROM opportunities WHERE key = ?",
                (key,),
            ).fetchone()
        return None if row is None else _flags(row)
