"""Drafts, bids and submissions, with the two-dimensional lifecycle of DESIGN.md.

A submission has a *state* (getting the proposal delivered) and, once submitted, an
*outcome* (what the client did). Both only move forward: a late poll answer or a replayed
webhook is applied with `Submission.apply`, which keeps whatever part of it advances the
lifecycle and ignores the rest. Explicit, user-driven moves (retry, withdraw) go through
`Submission.transition`, which raises `InvalidTransition` on anything the machine forbids.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.domain.opportunity import Platform, ensure_utc, utcnow


class BidKind(StrEnum):
    HOURLY = "hourly"
    FIXED = "fixed"
    PLATFORM_DEFAULT = "platform_default"


class Bid(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: BidKind = BidKind.PLATFORM_DEFAULT
    amount: Decimal | None = Field(default=None, ge=0)
    # UpHunt only: "Less than 1 month" | "1 to 3 months" | "3 to 6 months" | "More than 6 months".
    timeline: str | None = None
    boost_connects: int | None = Field(default=None, ge=0)


class Answer(BaseModel):
    model_config = ConfigDict(frozen=True)

    question_id: str | None = None
    question: str
    answer: str


class Draft(BaseModel):
    """What the user is writing for one opportunity; autosaved, one per opportunity."""

    model_config = ConfigDict(frozen=True)

    opportunity_key: str
    cover_letter: str = ""
    bid: Bid = Bid()
    answers: tuple[Answer, ...] = ()
    via: Platform | None = None  # route; None = the opportunity's own platform
    account: str | None = None
    profile_id: str | None = None  # UpHunt freelancer profile
    scheduled_at: datetime | None = None  # GigRadar
    updated_at: datetime = Field(default_factory=utcnow)


class SubmissionState(StrEnum):
    DRAFT = "draft"
    STAGED = "staged"
    SCHEDULED = "scheduled"
    SUBMITTING = "submitting"
    UNKNOWN = "unknown"  # the answer to a send was lost: reconcile before anything else
    SUBMITTED = "submitted"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


class Outcome(StrEnum):
    NONE = "none"
    VIEWED = "viewed"
    REPLIED = "replied"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CLOSED = "closed"


class FailureReason(StrEnum):
    JOB_UNAVAILABLE = "job_unavailable"
    INELIGIBLE = "ineligible"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    DUPLICATE = "duplicate"
    SCHEDULING = "scheduling"
    SESSION = "session"
    VALIDATION = "validation"
    RATE_LIMITED = "rate_limited"
    TRANSIENT = "transient"


# Whether a failure of this kind may be retried, when the platform does not say otherwise
# (platform-apis.md §5.4). `session` is retryable for UpHunt's `logged_out` but not for a
# rejected key, so callers pass `retryable` explicitly there.
DEFAULT_RETRYABLE: dict[FailureReason, bool] = {
    FailureReason.JOB_UNAVAILABLE: False,
    FailureReason.INELIGIBLE: False,
    FailureReason.INSUFFICIENT_FUNDS: True,
    FailureReason.DUPLICATE: False,
    FailureReason.SCHEDULING: True,
    FailureReason.SESSION: True,
    FailureReason.VALIDATION: False,
    FailureReason.RATE_LIMITED: True,
    FailureReason.TRANSIENT: True,
}

REASON_TEXT: dict[FailureReason, str] = {
    FailureReason.JOB_UNAVAILABLE: "The job is closed or no longer available.",
    FailureReason.INELIGIBLE: "The client's requirements exclude this profile.",
    FailureReason.INSUFFICIENT_FUNDS: "Not enough credits or Connects; top up, then retry.",
    FailureReason.DUPLICATE: "A proposal for this job was already sent.",
    FailureReason.SCHEDULING: "Outside the scanner's sending hours; retry later.",
    FailureReason.SESSION: "The platform session or API key was rejected.",
    FailureReason.VALIDATION: "The platform refused the proposal's content.",
    FailureReason.RATE_LIMITED: "The platform's rate limit was reached; retry shortly.",
    FailureReason.TRANSIENT: "A temporary platform or network error; retry.",
}


class Failure(BaseModel):
    model_config = ConfigDict(frozen=True)

    reason: FailureReason
    retryable: bool
    platform_code: str | None = None
    message: str | None = None

    @classmethod
    def of(
        cls,
        reason: FailureReason,
        message: str | None = None,
        *,
        platform_code: str | None = None,
        retryable: bool | None = None,
    ) -> Failure:
        return cls(
            reason=reason,
            retryable=DEFAULT_RETRYABLE[reason] if retryable is None else retryable,
            platform_code=platform_code,
            message=message,
        )

    def describe(self) -> str:
        """One plain sentence for the user, the platform's own words in parentheses."""
        text = REASON_TEXT[self.reason]
        message = (self.message or "").strip().rstrip(".")
        if message:
            # "…available (Task is not open)." rather than "…available. (Task is not open.)"
            text = f"{text.removesuffix('.')} ({message})."
        return text


Via = Literal["api", "poll", "webhook", "local", "reconcile"]


class HistoryEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: datetime
    state: SubmissionState
    outcome: Outcome
    via: Via
    detail: str | None = None
    member: str | None = None  # who did it, on a team database (None: this desktop)


class InvalidTransition(ValueError):
    """A move the lifecycle forbids (a bug, or a user action on a stale view)."""


TERMINAL_STATES = frozenset(
    {SubmissionState.SUBMITTED, SubmissionState.FAILED, SubmissionState.WITHDRAWN}
)
LIVE_STATES = frozenset(
    {
        SubmissionState.STAGED,
        SubmissionState.SCHEDULED,
        SubmissionState.SUBMITTING,
        SubmissionState.UNKNOWN,
        SubmissionState.SUBMITTED,
    }
)
TERMINAL_OUTCOMES = frozenset({Outcome.ACCEPTED, Outcome.REJECTED, Outcome.CLOSED})

# Allowed state moves. `failed -> submitting` is a retry (only when the failure is
# retryable); `unknown -> failed` is a reconcile that found no trace of the send.
_STATE_MOVES: dict[SubmissionState, frozenset[SubmissionState]] = {
    SubmissionState.DRAFT: frozenset(
        {
            SubmissionState.STAGED,
            SubmissionState.SCHEDULED,
            SubmissionState.SUBMITTING,
        }
    ),
    SubmissionState.STAGED: frozenset(
        {
            SubmissionState.SCHEDULED,
            SubmissionState.SUBMITTING,
            SubmissionState.SUBMITTED,
            SubmissionState.FAILED,
            SubmissionState.UNKNOWN,
        }
    ),
    SubmissionState.SCHEDULED: frozenset(
        {
            SubmissionState.SUBMITTING,
            SubmissionState.SUBMITTED,
            SubmissionState.FAILED,
            SubmissionState.UNKNOWN,
        }
    ),
    SubmissionState.SUBMITTING: frozenset(
        {
            SubmissionState.SCHEDULED,
            SubmissionState.SUBMITTED,
            SubmissionState.FAILED,
            SubmissionState.UNKNOWN,
        }
    ),
    SubmissionState.UNKNOWN: frozenset(
        {
            SubmissionState.STAGED,
            SubmissionState.SCHEDULED,
            SubmissionState.SUBMITTING,
            SubmissionState.SUBMITTED,
            SubmissionState.FAILED,
        }
    ),
    SubmissionState.SUBMITTED: frozenset({SubmissionState.WITHDRAWN}),
    SubmissionState.FAILED: frozenset({SubmissionState.SUBMITTING}),
    SubmissionState.WITHDRAWN: frozenset(),
}

# Passive updates (poll answers, webhooks) may only move a state by these; a poll that
# still says "submitting" after we hold "scheduled" is progress, the reverse is not.
_STATE_RANK: dict[SubmissionState, int] = {
    SubmissionState.DRAFT: 0,
    SubmissionState.STAGED: 1,
    SubmissionState.SCHEDULED: 2,
    SubmissionState.SUBMITTING: 3,
    SubmissionState.UNKNOWN: 3,
    SubmissionState.SUBMITTED: 5,
    SubmissionState.FAILED: 5,
    SubmissionState.WITHDRAWN: 6,
}
_OUTCOME_RANK: dict[Outcome, int] = {
    Outcome.NONE: 0,
    Outcome.VIEWED: 1,
    Outcome.REPLIED: 2,
    Outcome.ACCEPTED: 3,
    Outcome.REJECTED: 3,
    Outcome.CLOSED: 3,
}


def can_move(current: SubmissionState, new: SubmissionState) -> bool:
    return new in _STATE_MOVES[current]


def is_progress(current: SubmissionState, new: SubmissionState) -> bool:
    """Whether a passive observation `new` advances a submission that is in `current`.

    `unknown` is our own verdict on a send whose answer was lost, entered only by an
    explicit `transition`; a poll or webhook that "reports" it says nothing, and taking it
    would let `scheduled -> unknown -> scheduled -> …` flip back and forth.
    """
    if new is SubmissionState.UNKNOWN or not can_move(current, new):
        return False
    if current is SubmissionState.UNKNOWN:
        # Anything the platform reports about a lost send is news.
        return True
    return _STATE_RANK[new] > _STATE_RANK[current]


def outcome_is_progress(current: Outcome, new: Outcome) -> bool:
    return current not in TERMINAL_OUTCOMES and _OUTCOME_RANK[new] > _OUTCOME_RANK[current]


class StatusUpdate(BaseModel):
    """What a platform said about a submission: an API answer, a poll, a webhook."""

    model_config = ConfigDict(frozen=True)

    state: SubmissionState | None = None
    outcome: Outcome | None = None
    failure: Failure | None = None
    refs: dict[str, str] = Field(default_factory=dict)
    platform_status: str | None = None
    submitted_at: datetime | None = None
    detail: str | None = None


class Submission(BaseModel):
    """One attempt to get a proposal onto one opportunity, through one platform route."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    opportunity_key: str
    platform: Platform  # the route it goes through (UpHunt for an Upwork job sent via UpHunt)
    account: str
    dedupe_key: str  # "upwork:{ciphertext}" or the opportunity key
    cover_letter: str
    bid: Bid = Bid()
    answers: tuple[Answer, ...] = ()
    profile_id: str | None = None
    auto_fill_questions: bool = False
    scheduled_at: datetime | None = None
    state: SubmissionState = SubmissionState.DRAFT
    outcome: Outcome = Outcome.NONE
    failure: Failure | None = None
    refs: dict[str, str] = Field(default_factory=dict)
    platform_status: str | None = None
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None
    history: tuple[HistoryEntry, ...] = ()

    @field_validator("scheduled_at", "created_at", "updated_at", "submitted_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else ensure_utc(value)

    @property
    def is_live(self) -> bool:
        """Counts against the one-proposal-per-job rule."""
        return self.state in LIVE_STATES

    @property
    def needs_tracking(self) -> bool:
        """Still waiting for the platform to say how the send went."""
        return self.state in {
            SubmissionState.SCHEDULED,
            SubmissionState.SUBMITTING,
            SubmissionState.UNKNOWN,
        } or (
            self.state is SubmissionState.SUBMITTED
            and self.outcome not in TERMINAL_OUTCOMES
            and self.platform is Platform.GIGIAC
        )

    @property
    def retryable(self) -> bool:
        return self.state is SubmissionState.FAILED and bool(
            self.failure and self.failure.retryable
        )

    def _moved(
        self,
        state: SubmissionState,
        outcome: Outcome,
        via: Via,
        *,
        at: datetime | None = None,
        detail: str | None = None,
        **changes: object,
    ) -> Submission:
        when = ensure_utc(at) if at else utcnow()
        entry = HistoryEntry(at=when, state=state, outcome=outcome, via=via, detail=detail)
        update: dict[str, object] = {
            "state": state,
            "outcome": outcome,
            "updated_at": when,
            "history": (*self.history, entry),
            **changes,
        }
        return self.model_copy(update=update)

    def transition(
        self,
        state: SubmissionState,
        *,
        via: Via = "local",
        failure: Failure | None = None,
        detail: str | None = None,
        at: datetime | None = None,
    ) -> Submission:
        """An explicit move; raises InvalidTransition if the lifecycle forbids it."""
        if not can_move(self.state, state):
            raise InvalidTransition(f"a {self.state} submission cannot become {state}")
        if self.state is SubmissionState.FAILED and not self.retryable:
            raise InvalidTransition("this failure cannot be retried")
        if state is SubmissionState.FAILED and failure is None:
            raise InvalidTransition("a failed submission needs a failure reason")
        changes: dict[str, object] = {
            "failure": failure if state is SubmissionState.FAILED else None
        }
        if state is SubmissionState.SUBMITTING:
            changes["attempts"] = self.attempts + 1
        if state is SubmissionState.SUBMITTED and self.submitted_at is None:
            # model_copy() skips validators: normalize here, or a naive `at` is stored as is.
            changes["submitted_at"] = ensure_utc(at) if at else utcnow()
        return self._moved(state, self.outcome, via, at=at, detail=detail, **changes)

    def apply(self, update: StatusUpdate, *, via: Via, at: datetime | None = None) -> Submission:
        """Fold a platform observation in, keeping only what moves the lifecycle forward.

        Returns `self` unchanged (the same object) when nothing advanced, so callers can
        test `new is old` to skip a write.
        """
        state = self.state
        failure = self.failure
        # An update that reports a state we hold no longer (a late poll, a replayed webhook)
        # is stale: its verbatim status would contradict `state`, and its ids may only fill
        # gaps, never replace what a newer answer told us.
        stale = False
        if update.state is not None and update.state is not state:
            if is_progress(state, update.state):
                if update.state is SubmissionState.FAILED and update.failure is None:
                    return self  # a failure without a reason is not something we can show
                state = update.state
                failure = update.failure if state is SubmissionState.FAILED else None
            else:
                stale = True
        outcome = self.outcome
        if (
            update.outcome is not None
            and state is SubmissionState.SUBMITTED
            and outcome_is_progress(outcome, update.outcome)
        ):
            outcome = update.outcome
        refs = {
            **self.refs,
            **{k: v for k, v in update.refs.items() if v and not (stale and k in self.refs)},
        }
        platform_status = (None if stale else update.platform_status) or self.platform_status
        if state is self.state and outcome is self.outcome:
            if refs == self.refs and platform_status == self.platform_status:
                return self
            # New ids or a new verbatim status, same lifecycle position: no history entry.
            return self.model_copy(update={"refs": refs, "platform_status": platform_status})
        changes: dict[str, object] = {
            "failure": failure,
            "refs": refs,
            "platform_status": platform_status,
        }
        if state is SubmissionState.SUBMITTED and self.submitted_at is None:
            when = update.submitted_at or at
            changes["submitted_at"] = ensure_utc(when) if when else utcnow()
        return self._moved(state, outcome, via, at=at, detail=update.detail, **changes)
