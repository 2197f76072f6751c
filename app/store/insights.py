"""The store's side of Insights: proposal facts, seen counts, proposal activity, export rows.

Reads are plain, portable SQL (no date arithmetic, no JSON functions): times are compared
as the fixed-width ISO text they are stored as, and per-proposal arithmetic happens in
`app.domain.insights` over ~20,000 facts rather than in a dialect. No report reads the
1,000,000-row table at length (migration 11; only an export does, in batches): the
opportunities seen in a period are per-day counts summed (plus index range counts of its
two partial days), and the facts' job columns come from `insight_jobs`, the worked-on
jobs' copy kept by triggers.

Heavy reads run on the store's reader (`Database.reader()`): on SQLite a read-only
connection of its own, so the app's one shared connection — and with it webhooks and the
window — is never held for the length of an insights query (WAL lets the two read and
write side by side); on a team's PostgreSQL a connection of the pool, in one REPEATABLE
READ snapshot. The same SQL runs on both.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Collection, Generator, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from app.domain.insights import Activity, ProposalFact, Reached
from app.domain.opportunity import Platform
from app.store._codec import (
    dt_to_text,
    fast_loads,
    gc_paused,
    in_chunks,
    text_to_dt_or_none,
)
from app.store.db import Database
from app.store.errors import StoreError

log = logging.getLogger(__name__)

_REACHED_SQL = (
    "CASE outcome WHEN 'accepted' THEN 3 WHEN 'replied' THEN 2"
    " WHEN 'viewed' THEN 1 WHEN 'rejected' THEN 1 ELSE 0 END"
)
_OPP_COLUMNS = (
    "key, platform, detected_at, posted_at, kind, budget_cents, hourly_min_cents,"
    " hourly_max_cents, skills, category, client, match_score, connects_price"
)
# The submission chosen per opportunity: a sent one first, then the latest.
_STATE_RANK = {"submitted": 3, "unknown": 2, "submitting": 2, "scheduled": 1, "staged": 1}


class ActivityRepo:
    """Writes of the editor's measurements: small, on the app's connection."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, key: str) -> Activity | None:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT opportunity_key, notified_at, opened_at, draft_ready_at, active_ms,"
                " template, profile FROM proposal_activity WHERE opportunity_key = ?",
                (key,),
            ).fetchone()
        if row is None:
            return None
        return Activity(
            row[0],
            text_to_dt_or_none(row[1]),
            text_to_dt_or_none(row[2]),
            text_to_dt_or_none(row[3]),
            int(row[4]),
            row[5],
            row[6],
        )

    def _touch(self, conn: sqlite3.Connection, key: str, at: datetime) -> None:
        conn.execute(
            "INSERT INTO proposal_activity (opportunity_key, updated_at) VALUES (?, ?)"
            " ON CONFLICT (opportunity_key) DO NOTHING",
            (key, dt_to_text(at)),
        )

    def _first(self, key: str, column: str, at: datetime) -> None:
        # The first time only: a later notification or reopening does not move it.
        with self._db.transaction() as conn:
            self._touch(conn, key, at)
            conn.execute(
                f"UPDATE proposal_activity SET {column} = ?, updated_at = ?"
                f" WHERE opportunity_key = ? AND {column} IS NULL",
                (dt_to_text(at), dt_to_text(at), key),
            )

    def notified(self, key: str, at: datetime) -> None:
        self._first(key, "notified_at", at)

    def opened(self, key: str, at: datetime) -> None:
        self._first(key, "opened_at", at)

    def draft_ready(
        self, key: str, at: datetime, template: str | None, profile: str | None = None
    ) -> None:
        """A letter was made (by a template or the model); the latest source wins, the
        first time stays."""
        with self._db.transaction() as conn:
            self._touch(conn, key, at)
            conn.execute(
                "UPDATE proposal_activity SET draft_ready_at = coalesce(draft_ready_at, ?),"
                " template = ?, profile = coalesce(?, profile), updated_at = ?"
                " WHERE opportunity_key = ?",
                (dt_to_text(at), template, profile, dt_to_text(at), key),
            )

    def add_active(self, key: str, ms: int, at: datetime) -> None:
        if ms <= 0:
            return
        with self._db.transaction() as conn:
            self._touch(conn, key, at)
            conn.execute(
                "UPDATE proposal_activity SET active_ms = active_ms + ?, updated_at = ?"
                " WHERE opportunity_key = ?",
                (int(ms), dt_to_text(at), key),
            )

    def put_many(self, rows: Sequence[Activity], at: datetime) -> None:
        """Bulk insert (a generated history); existing rows are replaced."""
        with self._db.transaction() as conn:
            conn.executemany(
                # ON CONFLICT rather than SQLite's INSERT OR REPLACE: PostgreSQL says it too.
                "INSERT INTO proposal_activity (opportunity_key, notified_at,"
                " opened_at, draft_ready_at, active_ms, template, profile, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (opportunity_key) DO UPDATE SET notified_at = excluded.notified_at,"
                " opened_at = excluded.opened_at, draft_ready_at = excluded.draft_ready_at,"
                " active_ms = excluded.active_ms, template = excluded.template,"
                " profile = excluded.profile, updated_at = excluded.updated_at",
                [
                    (
                        a.opportunity_key,
                        _text(a.notified_at),
                        _text(a.opened_at),
                        _text(a.draft_ready_at),
                        a.active_ms,
                        a.template,
                        a.profile,
                        dt_to_text(at),
                    )
                    for a in rows
                ],
            )

    def file_away(self, keys: Sequence[str], at: datetime) -> None:
        """Mark opportunities read and archived in one go (a generated history: its old
        jobs belong in Insights, not at the top of the inbox)."""
        with self._db.transaction() as conn:
            conn.executemany(
                "UPDATE opportunities SET archived = 1, read_at = coalesce(read_at, ?)"
                " WHERE key = ?",
                [(dt_to_text(at), key) for key in keys],
            )


def _text(value: datetime | None) -> str | None:
    return None if value is None else dt_to_text(value)


class InsightsRepo:
    """The reads behind the Insights view, `biddesk stats` and `biddesk export`.

    `unsigned` names the member of a proposal whose history no one signed (a desktop of
    its own writes none): the `member` breakdown shows it for them.
    """

    def __init__(self, db: Database, unsigned: str | None = None) -> None:
        self._db = db
        self._unsigned = unsigned
        self._reader: Database | None = None
        self._reader_lock = threading.Lock()
        self._reader_failed = False

    def close(self) -> None:
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    def _reader_db(self) -> Database:
        """The store's reader (SQLite: a read-only connection of its own; a team's
        PostgreSQL: a connection of the pool), else the shared database."""
        with self._reader_lock:
            if self._reader is None and not self._reader_failed:
                try:
                    self._reader = self._db.reader()
                except (StoreError, sqlite3.Error):
                    log.info("insights read on the shared connection", exc_info=True)
                    self._reader_failed = True
            return self._reader or self._db

    @contextmanager
    def _read(self, *, own: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection for a read, in one snapshot for its statements. `own`: a reader
        opened for this read alone (the whole history's facts, the longest read here), so
        the short ones (a period's count, a report's part) never queue behind it."""
        db: Database | None = None
        if own:
            try:
                db = self._db.reader()
            except (StoreError, sqlite3.Error):
                log.info("insights read on the shared reader", exc_info=True)
        if db is None:
            with self._reader_db().transaction(immediate=False) as conn:
                yield conn
            return
        try:
            with db.transaction(immediate=False) as conn:
                yield conn
        finally:
            db.close()

    def seen(self, since: datetime | None, until: datetime | None) -> dict[Platform, int]:
        """Opportunities detected in [since, until), per platform: the whole days of the
        period summed from `opportunity_days` (migration 11), its partial first and last
        days counted on the (platform, detected_at) index. Exactly what counting the rows
        would give, in a few milliseconds at any size."""
        with self._read() as conn:
            return _seen(conn, since, until)

    def facts(
        self,
        keys: Sequence[str] | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        platforms: Collection[Platform] = (),
    ) -> list[ProposalFact]:
        """One fact per opportunity the user drafted, opened or sent, with its outcome;
        only those of `keys` when given (a submission changed: read its fact again); only
        those detected in [since, until) and on `platforms` (empty: all) when given (a
        report asked for before the whole history was read)."""
        # Paused collector: 20,000 facts on a worker thread would otherwise run the cyclic
        # GC there, which may collect the window's Qt objects off their thread.
        whole = keys is None and since is None and until is None and not platforms
        with gc_paused(), self._read(own=whole) as conn:
            if keys is None:
                where, params = _period("detected_at", since, until)
                if platforms:
                    marks = ", ".join("?" * len(platforms))
                    where += f" AND platform IN ({marks})"
                    params.extend(sorted(p.value for p in platforms))
                return self._facts(conn, None, (where, params))
            out: list[ProposalFact] = []
            for chunk, placeholders in in_chunks(list(keys)):
                out.extend(self._facts(conn, (chunk, placeholders)))
            return out

    def _facts(
        self,
        conn: sqlite3.Connection,
        only: tuple[Sequence[str], str] | None,
        period: tuple[str, list[str]] | None = None,
    ) -> list[ProposalFact]:
        keys: Sequence[str] = ()
        # The jobs' columns come from `insight_jobs` (migration 11), one row per job
        # someone worked on, kept in step with the opportunity by triggers: a scan of a
        # small table, not 20,000 lookups into the big one.
        if only is None:
            where, params = period or ("", [])
            opps = conn.execute(
                f"SELECT {_OPP_COLUMNS} FROM insight_jobs"
                + (f" WHERE {where.removeprefix(' AND ')}" if where else ""),
                params,
            ).fetchall()
            where_key = where_sub = ""
            if where:
                # A part of the history: its proposals only (a few SQL rows, not all).
                if not opps:
                    return []
                placeholders = f"(SELECT key FROM insight_jobs WHERE {where.removeprefix(' AND ')})"
                where_key = f" WHERE opportunity_key IN {placeholders}"
                where_sub = (
                    " WHERE submission_id IN (SELECT id FROM submissions"
                    f" WHERE opportunity_key IN {placeholders})"
                )
                keys = params
        else:
            keys, placeholders = only
            opps = conn.execute(
                f"SELECT {_OPP_COLUMNS} FROM insight_jobs WHERE key IN {placeholders}", keys
            ).fetchall()
            if not opps:
                return []
            where_key = f" WHERE opportunity_key IN {placeholders}"
            where_sub = (
                " WHERE submission_id IN (SELECT id FROM submissions"
                f" WHERE opportunity_key IN {placeholders})"
            )
        subs = conn.execute(
            "SELECT id, opportunity_key, platform, state, outcome, bid, profile_id,"
            f" submitted_at, created_at FROM submissions{where_key}",
            keys,
        ).fetchall()
        reached: dict[str, int] = {}
        signer: dict[str, str] = {}
        # Who sent it: the signer of its first `submitted` entry (later ones are outcomes,
        # signed by whichever desktop polled them), else of its first signed entry.
        for sub_id, rank, sender, starter in conn.execute(
            "SELECT f.submission_id, f.reached, s.member, g.member FROM ("
            f"SELECT submission_id, max({_REACHED_SQL}) AS reached,"
            " min(CASE WHEN state = 'submitted' THEN seq END) AS sent_seq,"
            " min(CASE WHEN member IS NOT NULL THEN seq END) AS signed_seq"
            f" FROM submission_events{where_sub} GROUP BY submission_id) AS f"
            " LEFT JOIN submission_events AS s"
            " ON s.submission_id = f.submission_id AND s.seq = f.sent_seq"
            " LEFT JOIN submission_events AS g"
            " ON g.submission_id = f.submission_id AND g.seq = f.signed_seq",
            keys,
        ):
            reached[sub_id] = rank
            if sender or starter:
                signer[sub_id] = sender or starter
        drafts = {
            row[0] for row in conn.execute(f"SELECT opportunity_key FROM drafts{where_key}", keys)
        }
        activity = {
            row[0]: row
            for row in conn.execute(
                "SELECT opportunity_key, notified_at, opened_at, draft_ready_at, active_ms,"
                f" template, profile FROM proposal_activity{where_key}",
                keys,
            )
        }
        best: dict[str, tuple[Any, ...]] = {}
        for sub in subs:
            key = sub[1]
            held = best.get(key)
            if held is None or (_STATE_RANK.get(sub[3], 0), sub[8]) > (
                _STATE_RANK.get(held[3], 0),
                held[8],
            ):
                best[key] = sub
        unsigned = self._unsigned
        return [
            _fact(row, best.get(row[0]), reached, drafts, activity, signer, unsigned)
            for row in opps
        ]

    def opportunity_rows(self, batch: int = 5000) -> Generator[list[tuple[Any, ...]]]:
        """Every opportunity as export columns (no raw payload), in batches."""
        with self._read() as conn:
            columns = ", ".join(EXPORT_OPPORTUNITY_COLUMNS)
            cursor = conn.execute(f"SELECT {columns} FROM opportunities")
            while rows := cursor.fetchmany(batch):
                yield rows

    def submission_rows(self) -> Generator[list[tuple[Any, ...]]]:
        with self._read() as conn:
            yield conn.execute(
                f"SELECT {', '.join(EXPORT_SUBMISSION_COLUMNS)} FROM submissions"
                " ORDER BY created_at, id"
            ).fetchall()


# What an export carries: chosen columns, never `raw`, `context` or `refs` (platform
# payloads and ids), never anything from accounts or settings.
EXPORT_OPPORTUNITY_COLUMNS: tuple[str, ...] = (
    "key",
    "platform",
    "external_id",
    "upwork_job_id",
    "title",
    "url",
    "kind",
    "budget_cents",
    "hourly_min_cents",
    "hourly_max_cents",
    "skills",
    "category",
    "client",
    "match_score",
    "connects_price",
    "posted_at",
    "detected_at",
    "status",
    "starred",
    "archived",
)
EXPORT_SUBMISSION_COLUMNS: tuple[str, ...] = (
    "id",
    "opportunity_key",
    "platform",
    "account",
    "state",
    "outcome",
    "failure",
    "platform_status",
    "cover_letter",
    "bid",
    "profile_id",
    "created_at",
    "submitted_at",
)


def _period(column: str, since: datetime | None, until: datetime | None) -> tuple[str, list[str]]:
    where, params = "", []
    if since is not None:
        where += f" AND {column} >= ?"
        params.append(dt_to_text(since))
    if until is not None:
        where += f" AND {column} < ?"
        params.append(dt_to_text(until))
    return where, params


_MIDNIGHT = "T00:00:00.000000+00:00"  # a day's first instant, as `dt_to_text` writes it


def _seen(
    conn: sqlite3.Connection, since: datetime | None, until: datetime | None
) -> dict[Platform, int]:
    """See `InsightsRepo.seen`: whole days summed, the partial days at either end of the
    period counted row by row on the index, exactly as a count of [since, until) does."""
    low = None if since is None else dt_to_text(since)
    high = None if until is None else dt_to_text(until)
    out = dict.fromkeys(Platform, 0)
    if low is not None and high is not None:
        if low >= high:
            return out
        if low[:10] == high[:10]:  # within one day
            _count_rows(conn, out, low, high)
            return out
    first = last = None  # the whole days: first <= day < last (None: unbounded)
    if low is not None:
        first = low[:10]
        if low != first + _MIDNIGHT:
            try:
                first = (date.fromisoformat(first) + timedelta(days=1)).isoformat()
            except OverflowError:  # the last day there is
                _count_rows(conn, out, low, high)
                return out
            _count_rows(conn, out, low, first + _MIDNIGHT)
    if high is not None:
        last = high[:10]
        if high != last + _MIDNIGHT:
            _count_rows(conn, out, last + _MIDNIGHT, high)
    if first is not None and last is not None and first >= last:
        return out
    where, params = "", []
    if first is not None:
        where += " AND day >= ?"
        params.append(first)
    if last is not None:
        where += " AND day < ?"
        params.append(last)
    for platform, seen in conn.execute(
        f"SELECT platform, sum(seen) FROM opportunity_days WHERE seen <> 0{where}"
        " GROUP BY platform",
        params,
    ).fetchall():
        if platform in _PLATFORMS:
            out[_PLATFORMS[platform]] += int(seen)
    return out


def _count_rows(
    conn: sqlite3.Connection, out: dict[Platform, int], low: str, high: str | None
) -> None:
    """Add the opportunities detected in [low, high) to `out`: index range counts."""
    where, params = " AND detected_at >= ?", [low]
    if high is not None:
        where += " AND detected_at < ?"
        params.append(high)
    for platform in Platform:
        [(n,)] = conn.execute(
            f"SELECT count(*) FROM opportunities WHERE platform = ?{where}",
            (platform.value, *params),
        ).fetchall()
        out[platform] += int(n)


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _bid_ratio(bid: dict[str, Any], kind: str, budget: Any, low: Any, high: Any) -> float | None:
    amount = _float(bid.get("amount"))
    if amount is None or amount <= 0:
        return None
    if bid.get("kind") == "hourly" or (bid.get("kind") != "fixed" and kind == "hourly"):
        ends = [c for c in (low, high) if c]
        reference = sum(ends) / len(ends) / 100 if ends else None
    else:
        reference = budget / 100 if budget else None
    return None if not reference else amount / reference


_PLATFORMS = {p.value: p for p in Platform}
_RANKS = tuple(Reached)
_parse = datetime.fromisoformat


def _dt(value: str | datetime) -> datetime:
    # Stored as fixed-width UTC text (`_codec.dt_to_text`); a driver that hands back
    # datetimes (PostgreSQL's) is taken as is.
    return value if isinstance(value, datetime) else _parse(value)


def _dt_or_none(value: str | datetime | None) -> datetime | None:
    return None if value is None else _dt(value)


def _fact(
    opp: Sequence[Any],
    sub: Sequence[Any] | None,
    reached: dict[str, int],
    drafts: set[str],
    activity: dict[str, Sequence[Any]],
    signer: dict[str, str],
    unsigned: str | None,
) -> ProposalFact:
    # 20,000 of these are built in one read: plain lookups, no enum calls or codec layers.
    (key, platform, detected, posted, kind, budget, low, high, skills, category, client,
     score, connects_price) = opp  # fmt: skip
    client_info: dict[str, Any] = fast_loads(client) if client and client != "{}" else {}
    act = activity.get(key)
    route: Platform | None = None
    sent_at: datetime | None = None
    rank = Reached.NONE
    bid: dict[str, Any] = {}
    connects = uphunt = 0
    member: str | None = None
    profile = act[6] if act else None
    if sub is not None:
        bid = fast_loads(sub[5]) if sub[5] else {}
        profile = profile or sub[6]
        if sub[3] == "submitted":
            route = _PLATFORMS[sub[2]]
            sent_at = _dt(sub[7] or sub[8])
            rank = _RANKS[max(reached.get(sub[0], 0), _outcome_rank(sub[4]))]
            member = signer.get(sub[0], unsigned)
            if route is not Platform.GIGIAC:
                connects = int(connects_price or 0) + int(bid.get("boost_connects") or 0)
            if route is Platform.UPHUNT:
                uphunt = 1  # one auto-apply credit, deducted only on `applied`
    return ProposalFact(
        key=key,
        platform=_PLATFORMS[platform],
        detected_at=_dt(detected),
        posted_at=_dt_or_none(posted),
        drafted=key in drafts or sub is not None or bool(act and act[3]),
        route=route,
        sent_at=sent_at,
        reached=rank,
        template=act[5] if act else None,
        profile=profile,
        skills=tuple(fast_loads(skills)) if skills and skills != "[]" else (),
        category=category,
        bid_ratio=_bid_ratio(bid, kind, budget, low, high) if bid else None,
        payment_verified=client_info.get("payment_verified"),
        total_spent=_float(client_info.get("total_spent")),
        hire_rate=_float(client_info.get("hire_rate")),
        country=client_info.get("country"),
        match_score=score,
        connects=connects,
        uphunt_credits=uphunt,
        gigiac_credits=0,  # Gigiac charges a worker nothing to propose (platform-apis.md)
        notified_at=_dt_or_none(act[1]) if act else None,
        opened_at=_dt_or_none(act[2]) if act else None,
        draft_ready_at=_dt_or_none(act[3]) if act else None,
        active_seconds=(act[4] or 0) / 1000.0 if act else 0.0,
        member=member,
    )


def _outcome_rank(outcome: str) -> int:
    return {"accepted": 3, "replied": 2, "viewed": 1, "rejected": 1}.get(outcome, 0)
