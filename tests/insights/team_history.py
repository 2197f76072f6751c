"""A hand-built team history: who sent what is known exactly, from the signed history.

Six GigRadar jobs detected in January 2026, on one database written by several desktops
(`db.member` signs what each one writes, as `open_services` sets it on a team database):

    job 1: alice sends it; carol's desktop polls viewed, replied, accepted
    job 2: alice sends it; carol's desktop polls viewed
    job 3: alice starts the send (submitting), bob's desktop finishes it (submitted);
           then replied — bob sent it
    job 4: bob sends it; no answer
    job 5: bob's send fails (drafted — every job here was — but not sent)
    job 6: sent before the team (nothing signed); viewed
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from app.domain.insights import Group
from app.domain.submission import (
    Failure,
    FailureReason,
    Outcome,
    StatusUpdate,
    Submission,
    SubmissionState,
)
from app.store import Store
from tests.store.factories import opportunity, submission

JAN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

# member: (sent, viewed, replied, accepted), of the jobs above
SIGNED = {"alice": (2, 2, 1, 1), "bob": (2, 1, 1, 0)}
UNSIGNED = (1, 1, 0, 0)
FUNNEL = {"seen": 6, "drafted": 6, "sent": 5, "viewed": 4, "replied": 2, "accepted": 1}


BASE = 100  # job n is opportunity(BASE + n): apart from tests/insights/conftest.py's jobs


def key(n: int) -> str:
    return f"gigradar:opp-{BASE + n}"


def _new(store: Store, n: int, state: SubmissionState, member: str | None) -> Submission:
    store.db.member = member
    sub = submission(
        f"upwork:job-{n}",
        state=state,
        opportunity_key=key(n),
        created_at=JAN + timedelta(minutes=10 * n),
    )
    store.submissions.insert(sub)
    return sub


def _poll(store: Store, sub_id: str, member: str | None, *outcomes: Outcome) -> None:
    """Another desktop reads the submission back and records what the platform said."""
    store.db.member = member
    sub = store.submissions.get(sub_id)
    assert sub is not None
    at = sub.updated_at
    for outcome in outcomes:
        at += timedelta(hours=1)
        sub = sub.apply(StatusUpdate(outcome=outcome), via="poll", at=at)
    store.submissions.save(sub)


def build_team_history(store: Store) -> None:
    store.opportunities.upsert_many(
        [
            opportunity(BASE + n, detected_at=JAN, posted_at=JAN - timedelta(minutes=5))
            for n in range(1, 7)
        ]
    )
    submitted = SubmissionState.SUBMITTED
    first = _new(store, 1, submitted, "alice")
    _poll(store, first.id, "carol", Outcome.VIEWED, Outcome.REPLIED, Outcome.ACCEPTED)
    second = _new(store, 2, submitted, "alice")
    _poll(store, second.id, "carol", Outcome.VIEWED)

    third = _new(store, 3, SubmissionState.SUBMITTING, "alice")
    store.db.member = "bob"
    finished = store.submissions.get(third.id)
    assert finished is not None
    store.submissions.save(finished.transition(submitted, at=JAN + timedelta(hours=1)))
    _poll(store, third.id, "carol", Outcome.REPLIED)

    _new(store, 4, submitted, "bob")
    failing = _new(store, 5, SubmissionState.SUBMITTING, "bob")
    store.submissions.save(
        failing.transition(
            SubmissionState.FAILED,
            failure=Failure.of(FailureReason.JOB_UNAVAILABLE),
            at=JAN + timedelta(hours=2),
        )
    )
    sixth = _new(store, 6, submitted, None)
    _poll(store, sixth.id, None, Outcome.VIEWED)
    store.db.member = None


def counts(groups: Sequence[Group]) -> dict[str, tuple[int, int, int, int]]:
    """Each group's (sent, viewed, replied, accepted), in the breakdown's order."""
    return {g.key: (g.sent, g.viewed.hits, g.replied.hits, g.accepted.hits) for g in groups}
