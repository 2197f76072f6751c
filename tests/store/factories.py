"""Small builders of realistic domain objects for the store tests."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.domain.account import Account
from app.domain.opportunity import (
    ClientInfo,
    JobKind,
    Opportunity,
    OpportunityStatus,
    Platform,
    Question,
)
from app.domain.submission import Answer, Bid, BidKind, Draft, Submission, SubmissionState

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def opportunity(n: int = 1, **changes: Any) -> Opportunity:
    """A fully populated GigRadar opportunity for an Upwork job; `n` varies the ids."""
    values: dict[str, Any] = {
        "platform": Platform.GIGRADAR,
        "external_id": f"opp-{n}",
        "account": "main",
        "upwork_job_id": f"~01{n:016x}",
        "title": f"Build a Qt dashboard #{n}",
        "description": "We need a desktop app — PySide6, SQLite, async. Ünïcödé welcome.",
        "url": f"https://www.upwork.com/jobs/~01{n:016x}",
        "kind": JobKind.FIXED,
        "budget": Decimal("1250.50"),
        "skills": ("python", "qt", "sqlite"),
        "category": "Desktop Software Development",
        "client": ClientInfo(
            name="Acme",
            country="DE",
            city="Berlin",
            payment_verified=True,
            total_spent=Decimal("98765.43"),
            hire_rate=0.75,
            total_hires=31,
            jobs_posted=40,
            rating=4.9,
            reviews=17,
        ),
        "questions": (Question(id="q1", text="Which Qt apps have you shipped?"),),
        "match_score": 0.87,
        "connects_price": 16,
        "posted_at": T0 - timedelta(minutes=5),
        "detected_at": T0 + timedelta(seconds=n),
        "deadline": None,
        "status": OpportunityStatus.OPEN,
        "context": {"scanner_id": "sc-1", "scanner_name": "Qt jobs"},
        "raw": {"id": f"opp-{n}", "budget": {"amount": 1250.5}, "tags": ["a", "b"]},
    }
    values.update(changes)
    return Opportunity(**values)


def hourly_opportunity(n: int = 1, **changes: Any) -> Opportunity:
    values: dict[str, Any] = {
        "platform": Platform.GIGIAC,
        "external_id": f"task-{n}",
        "title": f"Hourly task {n}",
        "kind": JobKind.HOURLY,
        "hourly_min": Decimal("25.00"),
        "hourly_max": Decimal("60.00"),
        "detected_at": T0 + timedelta(seconds=n),
    }
    values.update(changes)
    return Opportunity(**values)


def submission(
    dedupe_key: str = "upwork:~01aa",
    *,
    state: SubmissionState = SubmissionState.STAGED,
    platform: Platform = Platform.GIGRADAR,
    opportunity_key: str | None = None,
    created_at: datetime = T0,
    account: str = "main",
    **changes: Any,
) -> Submission:
    """A submission moved from draft to `state` through the real state machine, so its
    history is what the service would have produced."""
    sub = Submission(
        opportunity_key=opportunity_key or f"{platform.value}:opp-1",
        platform=platform,
        account=account,
        dedupe_key=dedupe_key,
        cover_letter="Hello — I have shipped three PySide6 apps.",
        bid=Bid(kind=BidKind.FIXED, amount=Decimal("1200.00"), boost_connects=5),
        answers=(Answer(question_id="q1", question="Which Qt apps?", answer="BidDesk."),),
        created_at=created_at,
        updated_at=created_at,
        **changes,
    )
    path = {
        SubmissionState.DRAFT: [],
        SubmissionState.STAGED: [SubmissionState.STAGED],
        SubmissionState.SCHEDULED: [SubmissionState.SCHEDULED],
        SubmissionState.SUBMITTING: [SubmissionState.SUBMITTING],
        SubmissionState.UNKNOWN: [SubmissionState.SUBMITTING, SubmissionState.UNKNOWN],
        SubmissionState.SUBMITTED: [SubmissionState.SUBMITTING, SubmissionState.SUBMITTED],
    }[state]
    for step, target in enumerate(path, start=1):
        sub = sub.transition(target, via="local", at=created_at + timedelta(seconds=step))
    return sub


def draft(opportunity_key: str = "gigradar:opp-1", **changes: Any) -> Draft:
    values: dict[str, Any] = {
        "opportunity_key": opportunity_key,
        "cover_letter": "Dear client,\nI can help.",
        "bid": Bid(kind=BidKind.HOURLY, amount=Decimal("45.50"), timeline="1 to 3 months"),
        "answers": (Answer(question="Why you?", answer="Experience."),),
        "via": Platform.UPHUNT,
        "account": "uphunt-main",
        "profile_id": "prof-7",
        "scheduled_at": T0 + timedelta(hours=2),
        "updated_at": T0,
    }
    values.update(changes)
    return Draft(**values)


def account(name: str = "main", **changes: Any) -> Account:
    values: dict[str, Any] = {
        "name": name,
        "platform": Platform.GIGRADAR,
        "base_url": "https://api.gigradar.io/public-api/v1",
        "speed": 1.0,
        "default_profile_id": None,
        "enabled": True,
        "created_at": T0,
    }
    values.update(changes)
    return Account(**values)


# --- whole profiles, and the ways their files get damaged ------------------------------


def profile_with(directory: Path, count: int, *, first: int = 1) -> Path:
    """A profile whose database holds opportunities `first`..`first + count - 1`; returns
    the database file. No daily backup is started (the tests make their own)."""
    from app.store import Store

    with Store.open(directory, daily_backups=False) as store:
        store.opportunities.upsert_many(opportunity(n) for n in range(first, first + count))
        return store.path


def stored_keys(db_file: Path) -> list[str]:
    """The opportunity keys in a database file, read without changing it."""
    conn = sqlite3.connect(f"{db_file.as_uri()}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("SELECT key FROM opportunities ORDER BY key")]
    finally:
        conn.close()


def write_garbage(path: Path) -> None:
    """A file that is not a database at all (and no WAL beside it to mend it)."""
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    path.write_bytes(b"this is not an SQLite database \x00\xff" * 500)


def damage_pages(path: Path) -> None:
    """Keep page 1 (header and schema), overwrite the rest with noise: the file opens, and
    fails its integrity check."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    data = bytearray(path.read_bytes())
    data[page_size:] = bytes((i * 151 + 7) % 256 for i in range(len(data) - page_size))
    path.write_bytes(bytes(data))
