"""Submissions and their append-only history.

The row in `submissions` is the current picture; `submission_events` is the history, one
row per `HistoryEntry`, numbered from 0 and never rewritten (the database refuses UPDATE
and DELETE on it). `save` appends only the entries the stored history does not have yet,
after checking the stored history is a prefix of the caller's: a caller holding an older
copy gets `StaleSubmissionError` instead of silently dropping what someone else wrote.

"At most one live proposal per job" is a partial unique index on `dedupe_key`; a refused
insert (or save) becomes `DuplicateSubmissionError` carrying the submission that holds
the job. Because it is the database that refuses, this holds across processes too.
"""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import TypeAdapter

from app.domain.opportunity import Platform
from app.domain.submission import (
    TERMINAL_OUTCOMES,
    Answer,
    Bid,
    Failure,
    HistoryEntry,
    Submission,
    SubmissionState,
)
from app.store._codec import (
    dt_to_text,
    dt_to_text_or_none,
    dumps,
    in_chunks,
    loads,
    text_to_dt_or_none,
)
from app.store.db import Database
from app.store.errors import DuplicateSubmissionError, StaleSubmissionError
from app.store.migrations import LIVE_STATE_VALUES

_COLUMNS: tuple[str, ...] = (
    "id",
    "opportunity_key",
    "platform",
    "account",
    "dedupe_key",
    "state",
    "outcome",
    "failure",
    "refs",
    "platform_status",
    "cover_letter",
    "bid",
    "answers",
    "profile_id",
    "auto_fill_questions",
    "scheduled_at",
    "attempts",
    "created_at",
    "updated_at",
    "submitted_at",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM submissions"
_INSERT = (
    f"INSERT INTO submissions ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
)
_UPDATE = (
    "UPDATE submissions SET "
    + ", ".join(f"{column} = ?" for column in _COLUMNS[1:])
    + " WHERE id = ?"
)
_INSERT_EVENT = (
    "INSERT INTO submission_events (submission_id, seq, at, state, outcome, via, detail, member)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_EVENT_COLUMNS = "submission_id, seq, at, state, outcome, via, detail, member"
_LIVE_SQL = ", ".join(f"'{value}'" for value in LIVE_STATE_VALUES)
# The message SQLite gives when the partial unique index refuses a row.
_LIVE_INDEX_CONFLICT = "submissions.dedupe_key"

_answers = TypeAdapter(tuple[Answer, ...])
_TRACKED_STATES = ", ".join(
    f"'{state.value}'"
    for state in (SubmissionState.SCHEDULED, SubmissionState.SUBMITTING, SubmissionState.UNKNOWN)
)
_TERMINAL_OUTCOMES = ", ".join(f"'{outcome.value}'" for outcome in TERMINAL_OUTCOMES)


def _encode(sub: Submission) -> tuple[Any, ...]:
    return (
        sub.id,
        sub.opportunity_key,
        sub.platform.value,
        sub.account,
        sub.dedupe_key,
        sub.state.value,
        sub.outcome.value,
        None if sub.failure is None else sub.failure.model_dump_json(),
        dumps(sub.refs),
        sub.platform_status,
        sub.cover_letter,
        sub.bid.model_dump_json(),
        _answers.dump_json(sub.answers).decode(),
        sub.profile_id,
        int(sub.auto_fill_questions),
        dt_to_text_or_none(sub.scheduled_at),
        sub.attempts,
        dt_to_text(sub.created_at),
        dt_to_text(sub.updated_at),
        dt_to_text_or_none(sub.submitted_at),
    )


def _encode_event(
    submission_id: str, seq: int, entry: HistoryEntry, member: str | None = None
) -> tuple[Any, ...]:
    """An entry as its row; `member` (this desktop's) signs an entry that has none yet."""
    return (
        submission_id,
        seq,
        dt_to_text(entry.at),
        entry.state.value,
        entry.outcome.value,
        entry.via,
        entry.detail,
        entry.member or member,
    )


def _decode_event(row: Sequence[Any]) -> HistoryEntry:
    _submission_id, _seq, at, state, outcome, via, detail, member = row
    return HistoryEntry.model_validate(
        {
            "at": at,
            "state": state,
            "outcome": outcome,
            "via": via,
            "detail": detail,
            "member": member,
        }
    )


def _decode(row: Sequence[Any], history: Sequence[HistoryEntry]) -> Submission:
    values = dict(zip(_COLUMNS, row, strict=True))
    failure = values["failure"]
    values["failure"] = None if failure is None else Failure.model_validate_json(failure)
    values["refs"] = loads(values["refs"])
    values["bid"] = Bid.model_validate_json(values["bid"])
    values["answers"] = _answers.validate_json(values["answers"])
    values["auto_fill_questions"] = bool(values["auto_fill_questions"])
    for column in ("scheduled_at", "created_at", "updated_at", "submitted_at"):
        values[column] = text_to_dt_or_none(values[column])
    values["history"] = tuple(history)
    return Submission.model_validate(values)


def _is_live_conflict(exc: sqlite3.IntegrityError) -> bool:
    return _LIVE_INDEX_CONFLICT in str(exc)


class SubmissionRepo:
    # `list` is a method name here (the brief's API), so annotations below spell the
    # builtin as `builtins.list`.

    def __init__(self, db: Database) -> None:
        self._db = db

    def insert(self, sub: Submission) -> None:
        """Store a new submission with its history.

        Raises `DuplicateSubmissionError` if it is live and another live submission holds
        the same `dedupe_key`. Inserting an id twice is a bug and raises IntegrityError.
        """
        try:
            with self._db.transaction() as conn:
                conn.execute(_INSERT, _encode(sub))
                member = self._db.member
                conn.executemany(
                    _INSERT_EVENT,
                    [
                        _encode_event(sub.id, seq, entry, member)
                        for seq, entry in enumerate(sub.history)
                    ],
                )
        except sqlite3.IntegrityError as exc:
            if not _is_live_conflict(exc):
                raise
            raise DuplicateSubmissionError(sub.dedupe_key, self.live_for(sub.dedupe_key)) from exc

    def save(self, sub: Submission) -> None:
        """Update a stored submission and append its new history entries, atomically.

        Raises `StaleSubmissionError` when the stored history has entries this copy
        lacks (someone else moved it on), `DuplicateSubmissionError` when it becomes live
        while another live submission holds the job, KeyError when it was never
        inserted (a bug: a submission is inserted before its request leaves).
        """
        try:
            with self._db.transaction() as conn:
                if (
                    conn.execute("SELECT 1 FROM submissions WHERE id = ?", (sub.id,)).fetchone()
                    is None
                ):
                    raise KeyError(f"submission {sub.id} is not stored; insert it first")
                stored = conn.execute(
                    f"SELECT {_EVENT_COLUMNS}"
                    " FROM submission_events WHERE submission_id = ? ORDER BY seq",
                    (sub.id,),
                ).fetchall()
                known = len(stored)
                member = self._db.member
                mine = [
                    _encode_event(sub.id, seq, entry, member)
                    for seq, entry in enumerate(sub.history)
                ]
                if known > len(mine) or [tuple(row) for row in stored] != mine[:known]:
                    raise StaleSubmissionError(sub.id)
                conn.execute(_UPDATE, (*_encode(sub)[1:], sub.id))
                if known < len(mine):
                    conn.executemany(_INSERT_EVENT, mine[known:])
        except sqlite3.IntegrityError as exc:
            if not _is_live_conflict(exc):
                raise
            raise DuplicateSubmissionError(sub.dedupe_key, self.live_for(sub.dedupe_key)) from exc

    def get(self, submission_id: str) -> Submission | None:
        """One submission with its full history."""
        found = self._query(f"{_SELECT} WHERE id = ?", (submission_id,))
        return found[0] if found else None

    def live_for(self, dedupe_key: str) -> Submission | None:
        """The live submission holding this job, if any (there is at most one)."""
        found = self._query(
            f"{_SELECT} WHERE dedupe_key = ? AND state IN ({_LIVE_SQL})", (dedupe_key,)
        )
        return found[0] if found else None

    def list(
        self,
        state: SubmissionState | Iterable[SubmissionState] | None = None,
        platform: Platform | None = None,
        opportunity_key: str | None = None,
        limit: int | None = None,
    ) -> builtins.list[Submission]:
        """Submissions matching every given filter, newest first."""
        where: builtins.list[str] = []
        params: builtins.list[Any] = []
        if state is not None:
            states = [state] if isinstance(state, SubmissionState) else list(state)
            where.append(f"state IN ({', '.join('?' * len(states))})")
            params.extend(s.value for s in states)
        if platform is not None:
            where.append("platform = ?")
            params.append(Platform(platform).value)
        if opportunity_key is not None:
            where.append("opportunity_key = ?")
            params.append(opportunity_key)
        sql = _SELECT
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return self._query(sql, params)

    def by_opportunity(self, opportunity_key: str) -> builtins.list[Submission]:
        return self.list(opportunity_key=opportunity_key)

    def needing_tracking(self) -> builtins.list[Submission]:
        """Submissions still waiting on the platform (`Submission.needs_tracking`), oldest first."""
        candidates = self._query(
            f"{_SELECT} WHERE state IN ({_TRACKED_STATES})"
            f" OR (state = 'submitted' AND outcome NOT IN ({_TERMINAL_OUTCOMES}))"
            " ORDER BY created_at, id"
        )
        # SQL narrows the rows; the domain property has the final word, so the two
        # cannot drift apart.
        return [sub for sub in candidates if sub.needs_tracking]

    def count(self) -> int:
        with self._db.read() as conn:
            return int(conn.execute("SELECT count(*) FROM submissions").fetchone()[0])

    def _query(self, sql: str, params: Sequence[Any] = ()) -> builtins.list[Submission]:
        # One read transaction, so rows and their histories are from the same snapshot.
        with self._db.transaction(immediate=False) as conn:
            rows = conn.execute(sql, params).fetchall()
            if not rows:
                return []
            events: dict[str, builtins.list[HistoryEntry]] = {}
            ids = [row[0] for row in rows]
            for chunk, placeholders in in_chunks(ids):
                for event in conn.execute(
                    f"SELECT {_EVENT_COLUMNS} FROM submission_events"
                    f" WHERE submission_id IN {placeholders}"
                    " ORDER BY submission_id, seq",
                    chunk,
                ):
                    events.setdefault(event[0], []).append(_decode_event(event))
        return [_decode(row, events.get(row[0], ())) for row in rows]
