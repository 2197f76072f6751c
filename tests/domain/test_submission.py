"""The submission lifecycle: explicit transitions, passive updates, failures.

The expected tables below are written out from DESIGN.md ("The submission lifecycle") and
platform-apis.md §5.4 rather than read from the module, so a change to the machine has to
change them too.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.opportunity import Platform
from app.domain.submission import (
    DEFAULT_RETRYABLE,
    REASON_TEXT,
    TERMINAL_OUTCOMES,
    Failure,
    FailureReason,
    InvalidTransition,
    Outcome,
    StatusUpdate,
    Submission,
    SubmissionState,
    Via,
    can_move,
    is_progress,
    outcome_is_progress,
)
from tests.helpers.profiles import examples

S = SubmissionState
OC = Outcome
R = FailureReason

HYPOTHESIS = settings(database=None, deadline=None, max_examples=examples(300))

# Explicit moves (transition): what the lifecycle allows.
ALLOWED: dict[SubmissionState, set[SubmissionState]] = {
    S.DRAFT: {S.STAGED, S.SCHEDULED, S.SUBMITTING},
    S.STAGED: {S.SCHEDULED, S.SUBMITTING, S.SUBMITTED, S.FAILED, S.UNKNOWN},
    S.SCHEDULED: {S.SUBMITTING, S.SUBMITTED, S.FAILED, S.UNKNOWN},
    S.SUBMITTING: {S.SCHEDULED, S.SUBMITTED, S.FAILED, S.UNKNOWN},
    S.UNKNOWN: {S.STAGED, S.SCHEDULED, S.SUBMITTING, S.SUBMITTED, S.FAILED},
    S.SUBMITTED: {S.WITHDRAWN},
    S.FAILED: {S.SUBMITTING},
    S.WITHDRAWN: set(),
}

# How far along the delivery a state is, for "never moves back". `unknown` sits with
# `submitting` (the send happened, its answer was lost).
RANK: dict[SubmissionState, int] = {
    S.DRAFT: 0,
    S.STAGED: 1,
    S.SCHEDULED: 2,
    S.SUBMITTING: 3,
    S.UNKNOWN: 3,
    S.SUBMITTED: 4,
    S.FAILED: 4,
    S.WITHDRAWN: 5,
}
OUTCOME_RANK: dict[Outcome, int] = {
    OC.NONE: 0,
    OC.VIEWED: 1,
    OC.REPLIED: 2,
    OC.ACCEPTED: 3,
    OC.REJECTED: 3,
    OC.CLOSED: 3,
}

# platform-apis.md §5.4, FailureReason table ("after user action" and "yes (auto, later)"
# are retryable: the retry is offered once the user or time has fixed the cause).
RETRYABLE_BY_TABLE: dict[FailureReason, bool] = {
    R.JOB_UNAVAILABLE: False,
    R.INELIGIBLE: False,
    R.INSUFFICIENT_FUNDS: True,
    R.DUPLICATE: False,
    R.SCHEDULING: True,
    R.SESSION: True,
    R.VALIDATION: False,
    R.RATE_LIMITED: True,
    R.TRANSIENT: True,
}

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
RETRYABLE = Failure.of(R.TRANSIENT, "HTTP 503")
FINAL = Failure.of(R.DUPLICATE, "9012 ProposalAlreadySent")


def make(
    state: SubmissionState = S.DRAFT,
    *,
    outcome: Outcome = OC.NONE,
    failure: Failure | None = None,
    **fields: object,
) -> Submission:
    """A submission sitting in `state`, built directly (no history)."""
    if state is S.FAILED and failure is None:
        failure = RETRYABLE
    submitted = state in {S.SUBMITTED, S.WITHDRAWN}
    base: dict[str, object] = {
        "opportunity_key": "gigiac:task-1",
        "platform": Platform.GIGIAC,
        "account": "main",
        "dedupe_key": "gigiac:task-1",
        "cover_letter": "Hello",
        "state": state,
        "outcome": outcome,
        "failure": failure if state is S.FAILED else None,
        "submitted_at": T0 if submitted else None,
        "created_at": T0,
        "updated_at": T0,
    }
    base.update(fields)
    return Submission.model_validate(base)


def observed(state: SubmissionState | None = None, **fields: object) -> StatusUpdate:
    """A platform observation; a reported failure carries a reason unless told otherwise."""
    if state is S.FAILED and "failure" not in fields:
        fields["failure"] = FINAL
    return StatusUpdate.model_validate({"state": state, **fields})


PAIRS = list(itertools.product(S, S))
OUTCOME_PAIRS = list(itertools.product(OC, OC))


def test_the_expected_table_covers_every_state() -> None:
    assert set(ALLOWED) == set(S)
    assert set(RANK) == set(S)


# -- explicit transitions -------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_transition_is_allowed_exactly_by_the_table(
    current: SubmissionState, target: SubmissionState
) -> None:
    sub = make(current)
    assert can_move(current, target) is (target in ALLOWED[current])
    failure = FINAL if target is S.FAILED else None
    if target not in ALLOWED[current]:
        with pytest.raises(InvalidTransition):
            sub.transition(target, failure=failure)
        return
    moved = sub.transition(target, failure=failure, via="api", detail="why", at=T0)
    assert moved.state is target
    assert moved.outcome is sub.outcome
    assert moved.failure == failure
    assert moved.attempts == sub.attempts + (1 if target is S.SUBMITTING else 0)
    assert len(moved.history) == len(sub.history) + 1
    entry = moved.history[-1]
    assert (entry.state, entry.outcome, entry.via, entry.detail, entry.at) == (
        target,
        sub.outcome,
        "api",
        "why",
        T0,
    )
    assert moved.updated_at == T0
    assert sub.state is current  # frozen: the original is untouched


def test_retry_from_failed_only_when_the_failure_is_retryable() -> None:
    retried = make(S.FAILED, failure=RETRYABLE, attempts=1).transition(S.SUBMITTING)
    assert retried.state is S.SUBMITTING
    assert retried.failure is None
    assert retried.attempts == 2
    for failure in (FINAL, Failure.of(R.SESSION, retryable=False)):
        sub = make(S.FAILED, failure=failure)
        assert not sub.retryable
        with pytest.raises(InvalidTransition, match="cannot be retried"):
            sub.transition(S.SUBMITTING)


@pytest.mark.parametrize("current", sorted(s for s in S if S.FAILED in ALLOWED[s]))
def test_failed_needs_a_failure(current: SubmissionState) -> None:
    with pytest.raises(InvalidTransition, match="failure reason"):
        make(current).transition(S.FAILED)
    moved = make(current).transition(S.FAILED, failure=FINAL)
    assert moved.failure == FINAL
    assert not moved.retryable


def test_a_failure_given_for_another_state_is_not_kept() -> None:
    assert make(S.DRAFT).transition(S.SUBMITTING, failure=FINAL).failure is None


def test_attempts_count_every_entry_into_submitting() -> None:
    sub = make(S.DRAFT).transition(S.SUBMITTING)
    sub = sub.transition(S.FAILED, failure=RETRYABLE).transition(S.SUBMITTING)
    sub = sub.transition(S.UNKNOWN).transition(S.SUBMITTING)
    assert sub.attempts == 3
    assert [h.state for h in sub.history] == [
        S.SUBMITTING,
        S.FAILED,
        S.SUBMITTING,
        S.UNKNOWN,
        S.SUBMITTING,
    ]


def test_submitted_at_is_set_once() -> None:
    sub = make(S.SUBMITTING).transition(S.SUBMITTED, at=T0)
    assert sub.submitted_at == T0
    later = sub.transition(S.WITHDRAWN, at=T0 + timedelta(days=2))
    assert later.submitted_at == T0
    assert later.updated_at == T0 + timedelta(days=2)


def test_submitted_at_defaults_to_now() -> None:
    before = datetime.now(UTC)
    sub = make(S.SUBMITTING).transition(S.SUBMITTED)
    assert sub.submitted_at is not None
    assert before <= sub.submitted_at <= datetime.now(UTC)


def test_times_given_naive_are_stored_as_utc() -> None:
    # model_copy() skips validators: a naive `at` used to be stored as given.
    naive = datetime(2025, 3, 1, 12, 0)
    sub = make(S.SUBMITTING).transition(S.SUBMITTED, at=naive)
    assert sub.submitted_at == T0
    assert sub.submitted_at.tzinfo is UTC
    assert sub.history[-1].at == T0
    paris = timezone(timedelta(hours=1))
    other = make(S.SUBMITTING).transition(S.SUBMITTED, at=datetime(2025, 3, 1, 13, tzinfo=paris))
    assert other.submitted_at == T0
    assert other.submitted_at.tzinfo is UTC


def test_history_records_every_move_with_its_via() -> None:
    sub = make(S.DRAFT)
    steps: list[tuple[SubmissionState, Via]] = [
        (S.STAGED, "local"),
        (S.SCHEDULED, "api"),
        (S.SUBMITTING, "poll"),
        (S.SUBMITTED, "webhook"),
        (S.WITHDRAWN, "reconcile"),
    ]
    for state, via in steps:
        sub = sub.transition(state, via=via)
    assert [(h.state, h.via) for h in sub.history] == steps


def test_liveness_and_tracking() -> None:
    assert not make(S.DRAFT).is_live
    assert all(make(s).is_live for s in (S.STAGED, S.SCHEDULED, S.SUBMITTING, S.UNKNOWN))
    assert make(S.SUBMITTED).is_live
    assert not make(S.FAILED).is_live
    assert not make(S.WITHDRAWN).is_live
    assert make(S.UNKNOWN).needs_tracking
    assert make(S.SUBMITTED).needs_tracking  # Gigiac: outcome still to come
    assert not make(S.SUBMITTED, outcome=OC.ACCEPTED).needs_tracking
    assert not make(S.SUBMITTED, platform=Platform.UPHUNT).needs_tracking
    assert not make(S.FAILED).needs_tracking


# -- passive updates: state -----------------------------------------------------------


@pytest.mark.parametrize(("current", "seen"), PAIRS, ids=[f"{a}+{b}" for a, b in PAIRS])
def test_apply_takes_only_progress(current: SubmissionState, seen: SubmissionState) -> None:
    sub = make(current)
    new = sub.apply(observed(seen), via="poll", at=T0 + timedelta(minutes=1))
    if not is_progress(current, seen):
        assert new is sub
        return
    assert seen in ALLOWED[current]
    assert seen is not S.UNKNOWN
    assert current is S.UNKNOWN or RANK[seen] > RANK[current]
    assert new.state is seen
    assert len(new.history) == 1
    assert new.history[-1].via == "poll"
    assert new.history[-1].state is seen
    assert new.failure == (FINAL if seen is S.FAILED else None)


@pytest.mark.parametrize(("current", "seen"), PAIRS, ids=[f"{a}+{b}" for a, b in PAIRS])
def test_apply_never_moves_back(current: SubmissionState, seen: SubmissionState) -> None:
    new = make(current).apply(observed(seen), via="webhook")
    if current is not S.UNKNOWN:
        assert RANK[new.state] >= RANK[current]
    assert new.state is current or new.state is seen


def test_passive_progress_is_the_expected_set() -> None:
    progress = {(a, b) for a, b in PAIRS if is_progress(a, b)}
    assert progress == {
        (S.DRAFT, S.STAGED),
        (S.DRAFT, S.SCHEDULED),
        (S.DRAFT, S.SUBMITTING),
        (S.STAGED, S.SCHEDULED),
        (S.STAGED, S.SUBMITTING),
        (S.STAGED, S.SUBMITTED),
        (S.STAGED, S.FAILED),
        (S.SCHEDULED, S.SUBMITTING),
        (S.SCHEDULED, S.SUBMITTED),
        (S.SCHEDULED, S.FAILED),
        (S.SUBMITTING, S.SUBMITTED),
        (S.SUBMITTING, S.FAILED),
        (S.UNKNOWN, S.STAGED),
        (S.UNKNOWN, S.SCHEDULED),
        (S.UNKNOWN, S.SUBMITTING),
        (S.UNKNOWN, S.SUBMITTED),
        (S.UNKNOWN, S.FAILED),
        (S.SUBMITTED, S.WITHDRAWN),
    }


@pytest.mark.parametrize(
    ("current", "late"),
    [
        (S.SUBMITTED, S.SUBMITTING),  # a poll answer that left before the send landed
        (S.SUBMITTED, S.SCHEDULED),
        (S.SUBMITTED, S.STAGED),
        (S.FAILED, S.SUBMITTING),  # only an explicit retry leaves failed
        (S.FAILED, S.SCHEDULED),
        (S.FAILED, S.SUBMITTED),
        (S.WITHDRAWN, S.SUBMITTED),  # a replayed "proposal created" webhook
        (S.SUBMITTING, S.SCHEDULED),
        (S.SCHEDULED, S.STAGED),
        (S.SUBMITTED, S.FAILED),
    ],
)
def test_late_and_replayed_updates_are_ignored(
    current: SubmissionState, late: SubmissionState
) -> None:
    sub = make(current, platform_status="applied", refs={"proposal_id": "p1"})
    update = observed(late, platform_status="processing", refs={"proposal_id": "old"})
    assert sub.apply(update, via="poll") is sub


def test_a_replayed_update_changes_nothing_the_second_time() -> None:
    update = observed(S.SUBMITTED, outcome=OC.VIEWED, refs={"proposal_id": "p1"})
    once = make(S.SUBMITTING).apply(update, via="webhook")
    assert once.state is S.SUBMITTED
    assert once.outcome is OC.VIEWED
    assert once.apply(update, via="webhook") is once


@pytest.mark.parametrize("seen", sorted(ALLOWED[S.UNKNOWN]))
def test_unknown_accepts_any_platform_report(seen: SubmissionState) -> None:
    new = make(S.UNKNOWN).apply(observed(seen), via="reconcile")
    assert new.state is seen
    assert new.history[-1].via == "reconcile"


@pytest.mark.parametrize("current", list(S))
def test_an_observed_unknown_is_never_taken(current: SubmissionState) -> None:
    # `unknown` is our verdict on a lost answer, not something a platform reports; taking it
    # let scheduled -> unknown -> scheduled -> unknown flip-flop on alternating polls.
    sub = make(current)
    assert sub.apply(observed(S.UNKNOWN), via="poll") is sub


def test_alternating_polls_cannot_flip_flop() -> None:
    sub = make(S.SCHEDULED)
    for seen in (S.UNKNOWN, S.SCHEDULED, S.UNKNOWN, S.SCHEDULED):
        sub = sub.apply(observed(seen), via="poll")
    assert sub.state is S.SCHEDULED
    assert sub.history == ()


@pytest.mark.parametrize("current", [S.STAGED, S.SCHEDULED, S.SUBMITTING, S.UNKNOWN])
def test_a_failed_update_without_a_failure_is_ignored(current: SubmissionState) -> None:
    sub = make(current)
    update = StatusUpdate(state=S.FAILED, refs={"queue_id": "q1"}, platform_status="failed")
    assert sub.apply(update, via="poll") is sub


def test_a_failed_update_keeps_its_failure() -> None:
    failure = Failure.of(R.INSUFFICIENT_FUNDS, platform_code="not_enough_connects")
    new = make(S.SUBMITTING).apply(observed(S.FAILED, failure=failure), via="poll")
    assert new.failure == failure
    assert new.retryable


def test_leaving_failed_through_unknown_clears_the_failure() -> None:
    sub = make(S.UNKNOWN).apply(observed(S.SUBMITTED), via="reconcile")
    assert sub.failure is None


def test_submitted_at_comes_from_the_platform_then_the_call_then_the_clock() -> None:
    platform_time = datetime(2025, 3, 1, 11, 59)  # naive: UTC by convention
    new = make(S.SUBMITTING).apply(observed(S.SUBMITTED, submitted_at=platform_time), via="poll")
    assert new.submitted_at == datetime(2025, 3, 1, 11, 59, tzinfo=UTC)
    assert new.submitted_at.tzinfo is UTC
    new = make(S.SUBMITTING).apply(observed(S.SUBMITTED), via="poll", at=T0)
    assert new.submitted_at == T0
    new = make(S.SUBMITTING).apply(observed(S.SUBMITTED), via="poll")
    assert new.submitted_at is not None
    assert new.submitted_at.tzinfo is UTC


def test_submitted_at_is_not_moved_by_later_updates() -> None:
    sub = make(S.SUBMITTED)
    later = sub.apply(observed(S.WITHDRAWN, submitted_at=T0 + timedelta(days=1)), via="webhook")
    assert later.submitted_at == T0


# -- passive updates: outcome ---------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "seen"), OUTCOME_PAIRS, ids=[f"{a}+{b}" for a, b in OUTCOME_PAIRS]
)
def test_outcome_moves_only_forward(current: Outcome, seen: Outcome) -> None:
    sub = make(S.SUBMITTED, outcome=current)
    new = sub.apply(StatusUpdate(outcome=seen), via="webhook", at=T0)
    forward = current not in TERMINAL_OUTCOMES and OUTCOME_RANK[seen] > OUTCOME_RANK[current]
    assert outcome_is_progress(current, seen) is forward
    if not forward:
        assert new is sub
        return
    assert new.outcome is seen
    assert new.state is S.SUBMITTED
    assert len(new.history) == 1
    assert (new.history[-1].outcome, new.history[-1].via) == (seen, "webhook")


def test_the_outcome_path() -> None:
    sub = make(S.SUBMITTED)
    for outcome in (OC.VIEWED, OC.REPLIED, OC.ACCEPTED):
        sub = sub.apply(StatusUpdate(outcome=outcome), via="webhook")
    assert sub.outcome is OC.ACCEPTED
    for late in (OC.NONE, OC.VIEWED, OC.REPLIED, OC.REJECTED, OC.CLOSED):
        assert sub.apply(StatusUpdate(outcome=late), via="webhook") is sub
    assert [h.outcome for h in sub.history] == [OC.VIEWED, OC.REPLIED, OC.ACCEPTED]


@pytest.mark.parametrize("state", [s for s in S if s is not S.SUBMITTED])
@pytest.mark.parametrize("outcome", [o for o in OC if o is not OC.NONE])
def test_outcome_only_after_submitted(state: SubmissionState, outcome: Outcome) -> None:
    sub = make(state)
    assert sub.apply(StatusUpdate(outcome=outcome), via="webhook") is sub


def test_an_update_that_submits_may_carry_its_outcome() -> None:
    new = make(S.SUBMITTING).apply(observed(S.SUBMITTED, outcome=OC.VIEWED), via="webhook")
    assert (new.state, new.outcome) == (S.SUBMITTED, OC.VIEWED)
    assert len(new.history) == 1


def test_a_stale_state_does_not_hide_a_new_outcome() -> None:
    # Each part of an update is judged on its own: the late "submitting" is dropped, the
    # "viewed" is news.
    new = make(S.SUBMITTED).apply(observed(S.SUBMITTING, outcome=OC.VIEWED), via="poll")
    assert (new.state, new.outcome) == (S.SUBMITTED, OC.VIEWED)


# -- passive updates: refs and verbatim status -----------------------------------------


def test_refs_merge_without_a_history_entry() -> None:
    sub = make(S.SUBMITTING, refs={"queue_id": "q1"})
    new = sub.apply(StatusUpdate(refs={"processed_job_id": "j1", "empty": ""}), via="poll")
    assert new is not sub
    assert new.refs == {"queue_id": "q1", "processed_job_id": "j1"}
    assert new.history == sub.history
    assert new.state is sub.state
    assert new.apply(StatusUpdate(refs={"queue_id": "q1"}), via="poll") is new


def test_platform_status_is_kept_verbatim_without_a_history_entry() -> None:
    sub = make(S.SUBMITTING)
    new = sub.apply(StatusUpdate(platform_status="processing"), via="poll")
    assert new.platform_status == "processing"
    assert new.history == ()
    assert new.apply(StatusUpdate(platform_status="processing"), via="poll") is new


def test_a_stale_update_neither_rewrites_the_status_nor_replaces_refs() -> None:
    # Formerly a late "processing" poll left a submitted submission showing "processing".
    sub = make(S.SUBMITTED, platform_status="applied", refs={"queue_id": "q1"})
    late = observed(
        S.SUBMITTING, platform_status="processing", refs={"queue_id": "q0", "job": "j1"}
    )
    new = sub.apply(late, via="poll")
    assert new.platform_status == "applied"
    assert new.refs == {"queue_id": "q1", "job": "j1"}  # gaps filled, nothing replaced
    assert new.history == ()


def test_a_progress_update_replaces_refs_and_status() -> None:
    sub = make(S.SUBMITTING, platform_status="processing", refs={"queue_id": "q1"})
    new = sub.apply(
        observed(S.SUBMITTED, platform_status="applied", refs={"queue_id": "q2"}), via="poll"
    )
    assert (new.platform_status, new.refs) == ("applied", {"queue_id": "q2"})


# -- property: any sequence of updates --------------------------------------------------

failures = st.builds(Failure.of, st.sampled_from(list(R)), st.none() | st.text(max_size=20))
updates = st.builds(
    StatusUpdate,
    state=st.none() | st.sampled_from(list(S)),
    outcome=st.none() | st.sampled_from(list(OC)),
    failure=st.none() | failures,
    refs=st.dictionaries(st.sampled_from(["a", "b", "c"]), st.sampled_from(["", "1", "2"])),
    platform_status=st.none() | st.sampled_from(["processing", "applied", "failed"]),
    detail=st.none() | st.text(max_size=10),
)
vias = st.sampled_from(["api", "poll", "webhook", "local", "reconcile"])


@HYPOTHESIS
@given(
    start=st.sampled_from(list(S)),
    start_outcome=st.sampled_from(list(OC)),
    steps=st.lists(st.tuples(updates, vias), max_size=25),
)
def test_any_sequence_of_updates_only_moves_forward(
    start: SubmissionState,
    start_outcome: Outcome,
    steps: list[tuple[StatusUpdate, Via]],
) -> None:
    sub = make(start, outcome=start_outcome if start is S.SUBMITTED else OC.NONE)
    moves = 0
    for update, via in steps:
        new = sub.apply(update, via=via)
        if sub.state is not S.UNKNOWN:
            assert (RANK[new.state], OUTCOME_RANK[new.outcome]) >= (
                RANK[sub.state],
                OUTCOME_RANK[sub.outcome],
            )
        assert new.state is sub.state or is_progress(sub.state, new.state)
        assert new.state is not S.UNKNOWN or sub.state is S.UNKNOWN
        if sub.outcome in TERMINAL_OUTCOMES:
            assert new.outcome is sub.outcome
        if new.outcome is not sub.outcome:
            assert new.state is S.SUBMITTED
        if (new.state, new.outcome) != (sub.state, sub.outcome):
            moves += 1
            assert new.history[-1].via == via
        else:
            assert new.history == sub.history
        assert set(sub.refs) <= set(new.refs)
        sub = new
    assert len(sub.history) == moves
    if sub.history:
        assert (sub.history[-1].state, sub.history[-1].outcome) == (sub.state, sub.outcome)
    assert (sub.state is S.FAILED) is (sub.failure is not None)
    assert (sub.submitted_at is not None) is (sub.state in {S.SUBMITTED, S.WITHDRAWN})
    assert sub.outcome is OC.NONE or sub.state in {S.SUBMITTED, S.WITHDRAWN}


# -- failures ---------------------------------------------------------------------------


@pytest.mark.parametrize("reason", list(R))
def test_failure_defaults_follow_the_reason_table(reason: FailureReason) -> None:
    assert DEFAULT_RETRYABLE[reason] is RETRYABLE_BY_TABLE[reason]
    failure = Failure.of(reason)
    assert failure.retryable is RETRYABLE_BY_TABLE[reason]
    assert Failure.of(reason, retryable=not failure.retryable).retryable is not failure.retryable


@pytest.mark.parametrize("reason", list(R))
def test_describe_is_one_sentence(reason: FailureReason) -> None:
    plain = Failure.of(reason).describe()
    assert plain == REASON_TEXT[reason]
    assert plain[0].isupper()
    assert plain.endswith(".")
    detailed = Failure.of(reason, "Task is not open.", platform_code="TASK_NOT_OPEN").describe()
    assert detailed.endswith("(Task is not open).")
    assert detailed.count(".") == plain.count(".")  # no ". (" mid-way
    assert detailed[0].isupper()


def test_describe_ignores_a_blank_message() -> None:
    assert Failure.of(R.TRANSIENT, "  ").describe() == REASON_TEXT[R.TRANSIENT]


def test_session_failures_take_an_explicit_retryable() -> None:
    logged_out = Failure.of(R.SESSION, platform_code="logged_out")
    bad_key = Failure.of(R.SESSION, "401", retryable=False)
    assert logged_out.retryable
    assert not bad_key.retryable
    assert bad_key.platform_code is None
    assert logged_out.platform_code == "logged_out"
