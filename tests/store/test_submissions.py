"""Submissions: exact round trips, one live proposal per job, append-only history."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from decimal import Decimal

import pytest

from app.domain.opportunity import Platform
from app.domain.submission import (
    Failure,
    FailureReason,
    Outcome,
    StatusUpdate,
    Submission,
    SubmissionState,
)
from app.store import (
    DuplicateSubmissionError,
    StaleSubmissionError,
    Store,
    SubmissionRepo,
)
from tests.store.backends import reopen
from tests.store.factories import T0, submission

JOB = "upwork:~01aa"


def _fail(sub: Submission, *, retryable: bool = True) -> Submission:
    if sub.state is not SubmissionState.SUBMITTING:
        sub = sub.transition(SubmissionState.SUBMITTING, at=T0 + timedelta(minutes=1))
    return sub.transition(
        SubmissionState.FAILED,
        failure=Failure.of(FailureReason.TRANSIENT, "HTTP 503", retryable=retryable),
        at=T0 + timedelta(minutes=2),
    )


def test_round_trip_with_everything(store: Store) -> None:
    sub = submission(
        state=SubmissionState.SUBMITTED,
        refs={"application_id": "app-1"},
        platform_status="SENT",
        profile_id="prof-1",
        auto_fill_questions=True,
        scheduled_at=T0 + timedelta(hours=1),
    )
    store.submissions.insert(sub)
    loaded = store.submissions.get(sub.id)
    assert loaded == sub
    assert loaded is not None
    assert loaded.bid.amount == Decimal("1200.00")
    assert str(loaded.bid.amount) == "1200.00"
    assert loaded.submitted_at is not None
    assert loaded.submitted_at.utcoffset() == timedelta(0)
    assert len(loaded.history) == 2
    assert store.submissions.get("nope") is None


def test_failure_round_trips(store: Store) -> None:
    sub = _fail(submission(state=SubmissionState.SUBMITTING))
    store.submissions.insert(sub)
    loaded = store.submissions.get(sub.id)
    assert loaded == sub
    assert loaded is not None
    assert loaded.failure == Failure.of(FailureReason.TRANSIENT, "HTTP 503", retryable=True)


# --- at most one live submission per job ------------------------------------------


def test_second_live_submission_is_refused(store: Store) -> None:
    first = submission(JOB, state=SubmissionState.STAGED)
    store.submissions.insert(first)
    second = submission(JOB, state=SubmissionState.SUBMITTING, platform=Platform.UPHUNT)
    with pytest.raises(DuplicateSubmissionError) as caught:
        store.submissions.insert(second)
    assert caught.value.existing == first
    assert caught.value.dedupe_key == JOB
    assert first.id in caught.value.user_message
    assert store.submissions.get(second.id) is None
    assert store.submissions.live_for(JOB) == first


def test_allowed_again_once_the_first_failed(store: Store) -> None:
    first = submission(JOB, state=SubmissionState.SUBMITTING)
    store.submissions.insert(first)
    store.submissions.save(_fail(first))
    assert store.submissions.live_for(JOB) is None
    second = submission(JOB, state=SubmissionState.STAGED)
    store.submissions.insert(second)
    assert store.submissions.live_for(JOB) == second


def test_drafts_do_not_count_but_cannot_go_live_beside_another(store: Store) -> None:
    live = submission(JOB, state=SubmissionState.SUBMITTED)
    waiting = submission(JOB, state=SubmissionState.DRAFT)
    store.submissions.insert(live)
    store.submissions.insert(waiting)  # not live: allowed
    with pytest.raises(DuplicateSubmissionError) as caught:
        store.submissions.save(waiting.transition(SubmissionState.STAGED))
    assert caught.value.existing == live
    assert store.submissions.get(waiting.id) == waiting  # the refused save changed nothing


def test_refused_across_two_connections(store: Store) -> None:
    # Two Database objects are two connections, as two BidDesk processes would have.
    with reopen(store) as other_db:
        one = store
        other = SubmissionRepo(other_db)
        first = submission(JOB)
        one.submissions.insert(first)
        with pytest.raises(DuplicateSubmissionError) as caught:
            other.insert(submission(JOB))
        assert caught.value.existing == first


def test_inserting_the_same_id_twice_is_a_bug(store: Store) -> None:
    sub = submission(state=SubmissionState.DRAFT)
    store.submissions.insert(sub)
    with pytest.raises(sqlite3.IntegrityError):
        store.submissions.insert(sub)


# --- history -------------------------------------------------------------------------


def _events(store: Store, submission_id: str) -> list[tuple[object, ...]]:
    with store.db.read() as conn:
        return conn.execute(
            "SELECT seq, state, outcome, via, detail FROM submission_events"
            " WHERE submission_id = ? ORDER BY seq",
            (submission_id,),
        ).fetchall()


def test_history_is_complete_across_saves(store: Store) -> None:
    repo = store.submissions
    sub = submission(state=SubmissionState.STAGED, platform=Platform.GIGIAC)
    repo.insert(sub)
    sub = sub.transition(SubmissionState.SUBMITTING, via="api", at=T0 + timedelta(seconds=10))
    repo.save(sub)
    sub = sub.apply(
        StatusUpdate(state=SubmissionState.SUBMITTED, refs={"proposal_id": "p-1"}, detail="ok"),
        via="api",
        at=T0 + timedelta(seconds=11),
    )
    repo.save(sub)
    # Same lifecycle position, new verbatim status: the row changes, the history does not.
    sub = sub.apply(StatusUpdate(platform_status="pending"), via="poll")
    repo.save(sub)
    sub = sub.apply(StatusUpdate(outcome=Outcome.VIEWED), via="webhook", at=T0 + timedelta(hours=1))
    repo.save(sub)
    repo.save(sub)  # saving the same copy again appends nothing

    loaded = repo.get(sub.id)
    assert loaded == sub
    assert _events(store, sub.id) == [
        (0, "staged", "none", "local", None),
        (1, "submitting", "none", "api", None),
        (2, "submitted", "none", "api", "ok"),
        (3, "submitted", "viewed", "webhook", None),
    ]
    assert loaded is not None
    assert loaded.platform_status == "pending"
    assert loaded.refs == {"proposal_id": "p-1"}


def test_history_cannot_be_rewritten(store: Store) -> None:
    sub = submission(state=SubmissionState.SUBMITTED)
    store.submissions.insert(sub)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.db.read() as conn:
        conn.execute("UPDATE submission_events SET detail = 'forged'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.db.read() as conn:
        conn.execute("DELETE FROM submission_events")
    assert len(_events(store, sub.id)) == 2


def test_a_stale_copy_cannot_drop_history(store: Store) -> None:
    repo = store.submissions
    sub = submission(state=SubmissionState.SUBMITTING)
    repo.insert(sub)
    window_a = repo.get(sub.id)
    window_b = repo.get(sub.id)
    assert window_a is not None
    assert window_b is not None

    repo.save(window_a.transition(SubmissionState.SUBMITTED, via="api"))
    behind = window_b.transition(SubmissionState.UNKNOWN, via="local")
    with pytest.raises(StaleSubmissionError) as caught:
        repo.save(behind)
    assert sub.id in caught.value.user_message
    stored = repo.get(sub.id)
    assert stored is not None
    assert stored.state is SubmissionState.SUBMITTED
    assert [e.state for e in stored.history][-1] is SubmissionState.SUBMITTED

    # An older copy with fewer entries is refused too.
    with pytest.raises(StaleSubmissionError):
        repo.save(window_b)


def test_saving_a_never_inserted_submission_is_a_bug(store: Store) -> None:
    with pytest.raises(KeyError, match="insert it first"):
        store.submissions.save(submission())


# --- queries -------------------------------------------------------------------------


def test_list_filters_newest_first(store: Store) -> None:
    repo = store.submissions
    old = submission("a", state=SubmissionState.SUBMITTED, created_at=T0)
    mid = submission(
        "b",
        state=SubmissionState.STAGED,
        platform=Platform.UPHUNT,
        opportunity_key="gigradar:opp-2",
        created_at=T0 + timedelta(hours=1),
    )
    new = submission("c", state=SubmissionState.DRAFT, created_at=T0 + timedelta(hours=2))
    for sub in (mid, old, new):
        repo.insert(sub)

    assert repo.list() == [new, mid, old]
    assert repo.list(limit=2) == [new, mid]
    assert repo.list(state=SubmissionState.STAGED) == [mid]
    assert repo.list(state=[SubmissionState.DRAFT, SubmissionState.SUBMITTED]) == [new, old]
    assert repo.list(platform=Platform.UPHUNT) == [mid]
    assert repo.list(opportunity_key="gigradar:opp-2") == [mid]
    assert repo.by_opportunity("gigradar:opp-1") == [new, old]
    assert repo.list(state=SubmissionState.FAILED, platform=Platform.GIGIAC) == []
    assert repo.count() == 3


def test_needing_tracking_follows_the_domain(store: Store) -> None:
    repo = store.submissions
    gigiac_sent = submission("g1", state=SubmissionState.SUBMITTED, platform=Platform.GIGIAC)
    subs = [
        submission("s1", state=SubmissionState.STAGED),
        submission("s2", state=SubmissionState.SCHEDULED),
        submission("s3", state=SubmissionState.SUBMITTING),
        submission("s4", state=SubmissionState.UNKNOWN),
        submission("s5", state=SubmissionState.SUBMITTED),  # gigradar: nothing to track
        gigiac_sent,
        gigiac_sent.model_copy(
            update={"id": "accepted", "dedupe_key": "g2", "outcome": Outcome.ACCEPTED}
        ),
        gigiac_sent.model_copy(
            update={"id": "viewed", "dedupe_key": "g3", "outcome": Outcome.VIEWED}
        ),
        _fail(submission("s6", state=SubmissionState.SUBMITTING)),
        submission("s7", state=SubmissionState.DRAFT),
    ]
    for sub in subs:
        repo.insert(sub)
    tracked = {sub.id for sub in repo.needing_tracking()}
    assert tracked == {sub.id for sub in subs if sub.needs_tracking}
    assert len(tracked) == 5
