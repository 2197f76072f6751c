"""Claims (who on the team is writing which job's proposal) and the team's members.

A claim is a row per opportunity: its holder, when it was claimed, and when the holder
was last active on it. A claim whose holder has been quiet for longer than `ttl` has
expired: it no longer holds anyone back and is taken without asking. Taking a live claim
from someone else needs `take_over=True` (the user confirmed). Every decision is one
write transaction, so two members claiming at once get one winner.

`team_members` is who is connected and in which role; the team server's row, refreshed
by its heartbeat, tells desktops whether to leave polling and sending to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.opportunity import utcnow
from app.store._codec import dt_to_text, text_to_dt
from app.store.db import Database
from app.store.errors import StoreError

DEFAULT_TTL = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Claim:
    opportunity_key: str
    member: str
    claimed_at: datetime
    active_at: datetime


class ClaimedError(StoreError):
    """Someone else holds a live claim on the job."""

    def __init__(self, claim: Claim) -> None:
        super().__init__(
            f"{claim.member} is writing the proposal for this job (claimed at "
            f"{claim.claimed_at:%H:%M} UTC, active at {claim.active_at:%H:%M} UTC); take "
            "the claim over first (`biddesk claim ID --take-over`, or Take over in the window)."
        )
        self.claim = claim


def _decode(row: tuple[str, str, str, str]) -> Claim:
    key, member, claimed_at, active_at = row
    return Claim(key, member, text_to_dt(claimed_at), text_to_dt(active_at))


_SELECT = "SELECT opportunity_key, member, claimed_at, active_at FROM claims"


class ClaimRepo:
    def __init__(self, db: Database, ttl: timedelta = DEFAULT_TTL) -> None:
        self._db = db
        self.ttl = ttl

    def _cutoff(self, now: datetime) -> str:
        return dt_to_text(now - self.ttl)

    def claim(
        self, key: str, member: str, *, take_over: bool = False, now: datetime | None = None
    ) -> Claim:
        """Claim `key` for `member` (or refresh their own claim); `ClaimedError` when
        another member's claim is live and `take_over` is False."""
        at = now or utcnow()
        with self._db.transaction() as conn:
            row = conn.execute(f"{_SELECT} WHERE opportunity_key = ?", (key,)).fetchone()
            current = None if row is None else _decode(row)
            if (
                current is not None
                and current.member != member
                and dt_to_text(current.active_at) >= self._cutoff(at)
                and not take_over
            ):
                raise ClaimedError(current)
            claimed_at = (
                current.claimed_at if current is not None and current.member == member else at
            )
            conn.execute(
                "INSERT INTO claims (opportunity_key, member, claimed_at, active_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (opportunity_key) DO UPDATE SET"
                " member = excluded.member, claimed_at = excluded.claimed_at,"
                " active_at = excluded.active_at",
                (key, member, dt_to_text(claimed_at), dt_to_text(at)),
            )
        return Claim(key, member, claimed_at, at)

    def touch(self, key: str, member: str, *, now: datetime | None = None) -> bool:
        """The holder is still at it: push the expiry back. False if it is not theirs."""
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE claims SET active_at = ? WHERE opportunity_key = ? AND member = ?",
                (dt_to_text(now or utcnow()), key, member),
            )
            return cursor.rowcount > 0

    def release(self, key: str, member: str | None = None) -> bool:
        """Let go of the claim (`member`: only if it is theirs); False if none was held."""
        with self._db.transaction() as conn:
            if member is None:
                cursor = conn.execute("DELETE FROM claims WHERE opportunity_key = ?", (key,))
            else:
                cursor = conn.execute(
                    "DELETE FROM claims WHERE opportunity_key = ? AND member = ?", (key, member)
                )
            return cursor.rowcount > 0

    def holder(self, key: str, *, now: datetime | None = None) -> Claim | None:
        """The live claim on `key`, if any (an expired one holds no one back)."""
        with self._db.read() as conn:
            row = conn.execute(
                f"{_SELECT} WHERE opportunity_key = ? AND active_at >= ?",
                (key, self._cutoff(now or utcnow())),
            ).fetchone()
        return None if row is None else _decode(row)

    def live(self, *, now: datetime | None = None) -> dict[str, Claim]:
        """Every live claim, by opportunity key."""
        with self._db.read() as conn:
            rows = conn.execute(
                f"{_SELECT} WHERE active_at >= ? ORDER BY opportunity_key",
                (self._cutoff(now or utcnow()),),
            ).fetchall()
        return {row[0]: _decode(row) for row in rows}


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    role: str
    seen_at: datetime


class MemberRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    def beat(self, name: str, role: str, *, now: datetime | None = None) -> None:
        """`name` is here in `role` (a heartbeat)."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO team_members (name, role, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET role = excluded.role,"
                " seen_at = excluded.seen_at",
                (name, role, dt_to_text(now or utcnow())),
            )

    def leave(self, name: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM team_members WHERE name = ?", (name,))

    def seen_since(self, since: datetime, role: str | None = None) -> list[Member]:
        sql = "SELECT name, role, seen_at FROM team_members WHERE seen_at >= ?"
        params: list[str] = [dt_to_text(since)]
        if role is not None:
            sql += " AND role = ?"
            params.append(role)
        with self._db.read() as conn:
            rows = conn.execute(sql + " ORDER BY name", params).fetchall()
        return [Member(name, role, text_to_dt(seen)) for name, role, seen in rows]
