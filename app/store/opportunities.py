"""Opportunities: bulk upsert with new/changed detection, and fast bulk loads.

The inbox writes opportunities in batches (a poll, a burst of webhooks, an import of
100,000 rows) and wants to know which were new and which changed, to raise the right
events. One batch is one transaction: existing rows are fetched with a few `IN (...)`
queries, compared in Python as plain tuples of column values (the exact values SQLite
returns, so "unchanged" means byte-for-byte the same), and only new or changed rows are
written, with one `executemany`.

The user's own marks (read, starred, archived) and `first_seen_at` belong to the store,
not to the platform: an upsert never touches them.

One job, one row. GigRadar makes one opportunity per scanner × job and UpHunt reaches the
same Upwork job, so several stored opportunities may be one job. The first one stored is
the job's row (`primary_key` NULL); a later opportunity of the same Upwork job names it
in `primary_key` and is one more *source* of the job. The inbox loads the jobs' rows only
(`iter_rows`, `load_all_rows`, `jobs`), each with its sources and the best of their match
scores; the user's marks are one per job (written to every row of the job). Drafts and
submissions stay keyed by whichever opportunity they were made for; `primary_of` maps any
of them to the job's row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import TypeAdapter
from pydantic_core import to_json

from app.domain.money import to_cents
from app.domain.opportunity import (
    ClientInfo,
    Competition,
    Opportunity,
    Question,
    sources_label,
    utcnow,
)
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
    "competition",
)
_CONTENT = ", ".join(CONTENT_COLUMNS)
_UPSERT_SQL = (
    f"INSERT INTO opportunities ({_CONTENT}, primary_key, first_seen_at, updated_at)"
    f" VALUES ({', '.join('?' * (len(CONTENT_COLUMNS) + 3))})"
    " ON CONFLICT (key) DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in CONTENT_COLUMNS[1:])
    + ", primary_key = excluded.primary_key, updated_at = excluded.updated_at"
)
# The content, then the job's row (NULL: this is it).
_EXISTING_SQL = f"SELECT {_CONTENT}, primary_key FROM opportunities WHERE key IN "
_UPWORK = CONTENT_COLUMNS.index("upwork_job_id")
# The key of the job's row for the opportunity `?` (itself, or the row it names).
_PRIMARY_OF = "(SELECT coalesce(primary_key, key) FROM opportunities WHERE key = ?)"
# New sources of a known job take the job's marks.
_COPY_MARKS_SQL = (
    "UPDATE opportunities SET"
    " read_at = (SELECT p.read_at FROM opportunities AS p WHERE p.key = ?),"
    " starred = (SELECT p.starred FROM opportunities AS p WHERE p.key = ?),"
    " archived = (SELECT p.archived FROM opportunities AS p WHERE p.key = ?)"
    " WHERE key = ?"
)
# Every row of a job that has more than one, the job's row first, then in arrival order.
# Two searches of the partial index (an OR of the two would scan every row).
_SOURCES_SQL = (
    "SELECT primary_key, key, platform, match_score, 1, first_seen_at FROM opportunities"
    " WHERE primary_key IS NOT NULL"
    " UNION ALL"
    " SELECT key, key, platform, match_score, 0, first_seen_at FROM opportunities"
    " WHERE key IN (SELECT primary_key FROM opportunities WHERE primary_key IS NOT NULL)"
    " ORDER BY 5, 6, 2"
)

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
    "competition",
)
# Filled in from the job's other rows (`_JobExtras`); NULL for a job with one source.
_ROW_SQL = (
    f"SELECT {', '.join(_ROW_COLUMNS)}, NULL FROM opportunities WHERE primary_key IS NULL"
    " ORDER BY detected_at DESC, key"
)


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """Keys written by `upsert_many`, each listed once, in the order first given.

    `sources_of` maps each written key that is a further source of another row's job to
    that row's key (a second scanner's match, an UpHunt copy); other keys are their own
    job's row.
    """

    new: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: int
    sources_of: Mapping[str, str] = field(default_factory=dict)

    def job_of(self, key: str) -> str:
        """The key of the job's row for a written key."""
        return self.sources_of.get(key, key)

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
    competition_json: str = "{}"
    # "GigRadar ×2 · UpHunt" when the job has several sources (`match_score` is then the
    # best of theirs); None for a job with one.
    sources: str | None = None

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
        to_json(opp.competition, exclude_none=True).decode(),
    )


_validate_opportunity = Opportunity.model_validate
# Nested models are validated straight from their JSON text (parsing and validation in
# one pass in Rust), then handed to the outer model as instances, which it keeps as is.
_validate_client_json = ClientInfo.model_validate_json
_validate_questions_json = TypeAdapter(tuple[Question, ...]).validate_json
_EMPTY_CLIENT = ClientInfo()  # frozen, so one shared instance is safe
_validate_competition_json = Competition.model_validate_json
_NO_COMPETITION = Competition()


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
        competition,
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
            "competition": _NO_COMPETITION
            if competition == "{}"
            else _validate_competition_json(competition),
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
        rows are not written at all (no WAL traffic, `updated_at` kept). A new
        opportunity of an Upwork job already stored (or earlier in the batch) becomes a
        further source of that job's row and takes its marks. Thread-safe; a big batch
        (an import) belongs in `asyncio.to_thread`: 100,000 rows take a few seconds, most
        of it encoding, which runs before the write lock is taken.
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
        sources_of: dict[str, str] = {}
        joined: list[str] = []  # new sources of a job already stored: they take its marks
        now = dt_to_text(utcnow())
        stamps = (now, now)
        with self._db.transaction() as conn, gc_paused():
            stored = self._stored_rows(conn, keys)
            # Jobs to look up: the Upwork jobs of new rows, and of stored rows that only
            # now name one (a lone row until then: it has no sources of its own).
            ciphers = [
                row[_UPWORK]
                for key, row in latest.items()
                if row[_UPWORK] is not None and _lone(stored.get(key))
            ]
            rows_of_job = self._job_rows(conn, ciphers) if ciphers else {}
            for key, row in latest.items():
                before = stored.get(key)
                primary: str | None = None
                if before is None:
                    new.append(key)
                else:
                    primary = before[-1]
                    # detected_at is when we first saw it: a poll that stamps "now" on a
                    # platform without its own detection time changes nothing.
                    row = (*row[:_DETECTED], before[_DETECTED], *row[_DETECTED + 1 :])
                    if before[:-1] == row:
                        if primary is not None:
                            sources_of[key] = primary
                        continue
                    changed.append(key)
                cipher = row[_UPWORK]
                if cipher is not None and _lone(before):
                    owner = rows_of_job.get(cipher)
                    if owner is None or owner == key:
                        rows_of_job[cipher] = key  # the job's row: later ones join it
                    else:
                        primary = owner
                        joined.append(key)
                if primary is not None:
                    sources_of[key] = primary
                to_write.append((*row, primary, *stamps))
            if to_write:
                conn.executemany(_UPSERT_SQL, to_write)
            if joined:
                conn.executemany(_COPY_MARKS_SQL, [(sources_of[k],) * 3 + (k,) for k in joined])
        return UpsertResult(tuple(new), tuple(changed), len(keys) - len(to_write), sources_of)

    @staticmethod
    def _stored_rows(conn: sqlite3.Connection, keys: list[str]) -> dict[str, tuple[Any, ...]]:
        """The stored content of `keys`, each with its job's row key (or None) last."""
        stored: dict[str, tuple[Any, ...]] = {}
        for chunk, placeholders in in_chunks(keys):
            for row in conn.execute(_EXISTING_SQL + placeholders, chunk):
                stored[row[0]] = row
        return stored

    @staticmethod
    def _job_rows(conn: sqlite3.Connection, ciphers: list[str]) -> dict[str, str]:
        """The key of each stored Upwork job's row, by ciphertext."""
        found: dict[str, str] = {}
        wanted = list(dict.fromkeys(ciphers))
        for chunk, placeholders in in_chunks(wanted):
            for cipher, key, primary in conn.execute(
                "SELECT upwork_job_id, key, primary_key FROM opportunities"
                f" WHERE upwork_job_id IN {placeholders} ORDER BY first_seen_at, key",
                chunk,
            ):
                if primary is None:
                    found.setdefault(cipher, key)
                else:
                    found.setdefault(cipher, primary)
        return found

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
            return {key: _decode(rows[key][:-1]) for key in wanted if key in rows}

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
        """Every job's row as a light `OpportunityRow`, newest detected first.

        Several times faster than `all()` (measured here for 100,000 rows: under 1 s
        against about 3 s; no JSON parsing, no models): for building the inbox's table
        model at start-up. Fetch the full `Opportunity` with `job` when one is opened.
        """
        with gc_paused():
            with self._db.read() as conn:
                extras = _JobExtras.read(conn)
                rows = conn.execute(_ROW_SQL).fetchall()
            return list(extras.apply(map(OpportunityRow._make, rows)))

    def iter_rows(self) -> Iterator[OpportunityRow]:
        """Stream every job's row as a light row, newest detected first.

        Reads on its own read-only connection, which WAL lets run beside the app's writes,
        so a worker thread can build the inbox at start-up without holding the store's
        lock (the loop's draft saves never wait) and without the whole list in memory at
        once (about 250 MB less at 100,000 rows than `load_all_rows`).
        """
        make = OpportunityRow._make
        db = self._db.reader()
        try:
            with db.read() as conn:
                extras = _JobExtras.read(conn)
                cursor = conn.execute(_ROW_SQL)
                while batch := cursor.fetchmany(2_000):
                    yield from extras.apply(map(make, batch))
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
            f"SELECT rowid, {', '.join(_ROW_COLUMNS)}, NULL FROM opportunities"
            " WHERE primary_key IS NULL ORDER BY detected_at DESC, key"
        )  # one row per job (the NULL: its sources, filled in by `_JobExtras`)
        db = self._db.reader()  # SQLite: a read-only connection of its own; or the team's
        try:
            with db.read() as conn:
                extras = _JobExtras.read(conn)
                # A team database sends the rows as they come (`PgConnection.stream`), so
                # the first slice does not wait for the last row; SQLite's cursor steps.
                stream = getattr(conn, "stream", None)
                cursor = stream(sql) if stream is not None else conn.execute(sql)
                try:
                    yield from _slices(cursor, extras, size, first)
                finally:
                    cursor.close()
        finally:
            db.close()

    def rows_by_rowid(self, rowids: Sequence[int]) -> dict[int, OpportunityRow]:
        """The light rows of `rowids` (missing ones left out), by rowid."""
        found: dict[int, OpportunityRow] = {}
        make = OpportunityRow._make
        wanted = [int(rowid) for rowid in rowids]
        sql = f"SELECT rowid, {', '.join(_ROW_COLUMNS)}, NULL FROM opportunities WHERE rowid IN "
        with self._db.read() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                placeholders = "(" + ", ".join("?" * len(chunk)) + ")"
                rows = conn.execute(sql + placeholders, chunk).fetchall()
                extras = _JobExtras.read(conn, [row[1] for row in rows])
                for rowid, light in zip(
                    (row[0] for row in rows),
                    extras.apply(make(row[1:]) for row in rows),
                    strict=True,
                ):
                    found[rowid] = light
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
        """Stored opportunities, every source counted (see `count_jobs`)."""
        with self._db.read() as conn:
            return int(conn.execute("SELECT count(*) FROM opportunities").fetchone()[0])

    def count_jobs(self) -> int:
        """Rows of the inbox: one per job, however many sources found it."""
        with self._db.read() as conn:
            return int(
                conn.execute(
                    "SELECT count(*) FROM opportunities WHERE primary_key IS NULL"
                ).fetchone()[0]
            )

    # --- one row per job -------------------------------------------------------------

    def primary_of(self, key: str) -> str | None:
        """The key of the job's row for any of its sources' keys; None when unknown."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT coalesce(primary_key, key) FROM opportunities WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else str(row[0])

    def primaries_of(self, keys: Iterable[str]) -> dict[str, str]:
        """`primary_of` for many keys at once (unknown keys are left out)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        with self._db.read() as conn:
            for chunk, placeholders in in_chunks(wanted):
                for key, primary in conn.execute(
                    "SELECT key, coalesce(primary_key, key) FROM opportunities"
                    f" WHERE key IN {placeholders}",
                    chunk,
                ):
                    found[key] = primary
        return found

    def with_sources(self, keys: Iterable[str]) -> list[str]:
        """Those of the jobs' row keys `keys` whose job has more than one source."""
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        with self._db.read() as conn:
            for chunk, placeholders in in_chunks(wanted):
                found.update(
                    row[0]
                    for row in conn.execute(
                        "SELECT DISTINCT primary_key FROM opportunities"
                        f" WHERE primary_key IN {placeholders}",
                        chunk,
                    )
                )
        return [key for key in wanted if key in found]

    def members(self, key: str) -> list[Opportunity]:
        """Every stored source of the job `key` belongs to, the job's row first, then in
        the order they arrived; empty when `key` is unknown."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_CONTENT} FROM opportunities"
                f" WHERE key = {_PRIMARY_OF} OR primary_key = {_PRIMARY_OF}"
                " ORDER BY primary_key IS NOT NULL, first_seen_at, key",
                (key, key),
            ).fetchall()
        return [_decode(row) for row in rows]

    def sources_of(self, key: str) -> tuple[str, list[Opportunity]]:
        """`primary_of(key) or key` and `members(key)`, in one statement."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {_CONTENT}, {_PRIMARY_OF} FROM opportunities"
                f" WHERE key = {_PRIMARY_OF} OR primary_key = {_PRIMARY_OF}"
                " ORDER BY primary_key IS NOT NULL, first_seen_at, key",
                (key, key, key),
            ).fetchall()
        if not rows:  # `key` is not stored
            return key, []
        return str(rows[0][-1]), [_decode(row[:-1]) for row in rows]

    def job(self, key: str) -> Opportunity | None:
        """The job `key` is a source of, as the inbox shows it: its row's opportunity
        with every source (`sources`) and the best of their match scores."""
        return job_view(self.members(key))

    def jobs_of(self, keys: Iterable[str]) -> dict[str, Opportunity]:
        """`job` for the jobs' row keys `keys` (as an upsert names them), by that key."""
        wanted = list(dict.fromkeys(keys))
        groups: dict[str, list[Opportunity]] = {}
        with gc_paused(), self._db.read() as conn:
            for chunk, placeholders in in_chunks(wanted):
                for row in conn.execute(
                    f"SELECT {_CONTENT}, coalesce(primary_key, key) FROM opportunities"
                    f" WHERE key IN {placeholders} OR primary_key IN {placeholders}"
                    " ORDER BY primary_key IS NOT NULL, first_seen_at, key",
                    (*chunk, *chunk),
                ):
                    groups.setdefault(row[-1], []).append(_decode(row[:-1]))
        views = {key: job_view(groups.get(key, [])) for key in wanted}
        return {key: view for key, view in views.items() if view is not None}

    def jobs(self, limit: int | None = None) -> list[Opportunity]:
        """Every job (or the `limit` newest) as `job` shows it, newest detected first."""
        sql = (
            f"SELECT {_CONTENT} FROM opportunities WHERE primary_key IS NULL"
            " ORDER BY detected_at DESC, key"
        )
        params: tuple[int, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (limit,)
        with gc_paused():
            with self._db.read() as conn:
                rows = conn.execute(sql, params).fetchall()
                others = conn.execute(
                    f"SELECT {_CONTENT}, primary_key FROM opportunities"
                    " WHERE primary_key IS NOT NULL ORDER BY first_seen_at, key"
                ).fetchall()
            sources: dict[str, list[Opportunity]] = {}
            for row in others:
                sources.setdefault(row[-1], []).append(_decode(row[:-1]))
            jobs: list[Opportunity] = []
            for row in rows:
                opp = _decode(row)
                more = sources.get(opp.key)
                jobs.append(opp if not more else _joined(opp, more))
            return jobs

    # --- the user's marks ----------------------------------------------------------

    def _set(self, key: str, column: str, value: object) -> bool:
        """Set one mark on every row of the job `key` belongs to (one state per job)."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                f"UPDATE opportunities SET {column} = ?"
                f" WHERE key = {_PRIMARY_OF} OR primary_key = {_PRIMARY_OF}",
                (value, key, key),
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
        """The marks of the job `key` belongs to (its row's), and when it was first seen."""
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT read_at, starred, archived, first_seen_at, updated_at"
                f" FROM opportunities WHERE key = {_PRIMARY_OF}",
                (key,),
            ).fetchone()
        return None if row is None else _flags(row)


def _lone(stored: tuple[Any, ...] | None) -> bool:
    """Whether a row (None: not stored yet) may join a job: it belongs to none so far."""
    return stored is None or (stored[-1] is None and stored[_UPWORK] is None)


def job_view(members: Sequence[Opportunity]) -> Opportunity | None:
    """One job as the inbox shows it, from its stored sources (its row first)."""
    if not members:
        return None
    first, *more = members
    return first if not more else _joined(first, more)


def _joined(first: Opportunity, more: Sequence[Opportunity]) -> Opportunity:
    scores = [o.match_score for o in (first, *more) if o.match_score is not None]
    return first.model_copy(
        update={
            "sources": (first.own_source, *(o.own_source for o in more)),
            "match_score": max(scores) if scores else None,
        }
    )


class _JobExtras:
    """What a job's row shows of its other sources: the best score, the sources' line.

    Read once per load (only jobs with several sources have any), applied to each row
    as it streams by; a load with none costs nothing per row.
    """

    def __init__(self, by_key: dict[str, tuple[float | None, str]]) -> None:
        self._by_key = by_key

    @classmethod
    def read(cls, conn: sqlite3.Connection, keys: Sequence[str] | None = None) -> _JobExtras:
        """Every job's extras, or those of the jobs `keys` (rows of a page)."""
        if keys is None:
            found = conn.execute(_SOURCES_SQL).fetchall()
        else:
            found = []
            for chunk, placeholders in in_chunks(list(keys)):
                found += conn.execute(
                    "SELECT primary_key, key, platform, match_score, 1, first_seen_at"
                    f" FROM opportunities WHERE primary_key IN {placeholders}"
                    " UNION ALL"
                    " SELECT key, key, platform, match_score, 0, first_seen_at"
                    f" FROM opportunities WHERE key IN {placeholders}",
                    [*chunk, *chunk],
                ).fetchall()
            found.sort(key=lambda r: (r[4], r[5] or "", r[1]))
        sourced = {row[0] for row in found if row[4]}
        platforms: dict[str, list[str]] = {}
        best: dict[str, float | None] = {}
        for job, _key, platform, score, _is_source, _seen in found:
            if job not in sourced:
                continue  # a job of one source: nothing to add
            platforms.setdefault(job, []).append(platform)
            top = best.get(job)
            if score is not None and (top is None or score > top):
                best[job] = score
            else:
                best.setdefault(job, top)
        return cls({job: (best[job], sources_label(found)) for job, found in platforms.items()})

    def apply(self, rows: Iterable[OpportunityRow]) -> Iterable[OpportunityRow]:
        by_key = self._by_key
        if not by_key:
            return rows
        return (
            row
            if (extra := by_key.get(row.key)) is None
            else row._replace(match_score=extra[0], sources=extra[1])
            for row in rows
        )


def _slices(
    cursor: Any, extras: _JobExtras, size: int, first: int | None
) -> Generator[tuple[list[int], list[OpportunityRow]], None, None]:
    """`iter_row_slices`' slices from its open cursor."""
    make = OpportunityRow._make
    wanted = first or size
    while True:
        # Fetched a thousand at a time: fetchmany builds its rows holding the GIL, which
        # a GUI thread waiting for it feels as a stall.
        batch: list[Any] = []
        while len(batch) < wanted and (more := cursor.fetchmany(min(1_000, wanted))):
            batch += more
        if not batch:
            break
        yield (
            [row[0] for row in batch],
            list(extras.apply(make(row[1:]) for row in batch)),
        )
        wanted = size
