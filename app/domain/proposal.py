"""The rules of a proposal's route and terms, as the editor applies them while a person
writes: which route and account a proposal goes through by default, what each route
lets them set, the bid read from the form, and why a proposal cannot be sent yet.

Plain functions over domain objects: the editor pane renders their answers, tests check
them without a window. What the default bid kind is and how a budget reads live with the
platform specs, not here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum

from app.domain.money import CENT
from app.domain.opportunity import Opportunity, Platform, Question
from app.domain.policy import PolicyIssue, Severity, question_key
from app.domain.submission import Answer, Bid, BidKind, Submission, SubmissionState

__all__ = [
    "Blocker",
    "BlockerKind",
    "RouteTerms",
    "amount_from_input",
    "choose_account",
    "choose_route",
    "form_bid",
    "latest_submission",
    "live_submission",
    "matched_answers",
    "missing_account_hint",
    "next_full_hour",
    "route_hint",
    "route_terms",
    "submit_blocker",
]


@dataclass(frozen=True, slots=True)
class RouteTerms:
    """What a person may set when a proposal goes through one route."""

    bid_kinds: tuple[BidKind, ...]  # in the order offered; the first is the fallback
    fixed_only: bool  # the amount is always a fixed price (no kind to choose)
    freelancer_terms: bool  # a freelancer profile, a timeline and a boost in Connects
    schedulable: bool  # the proposal may be sent at a set time


_ROUTE_TERMS = {
    Platform.GIGRADAR: RouteTerms(
        bid_kinds=(BidKind.HOURLY, BidKind.FIXED, BidKind.PLATFORM_DEFAULT),
        fixed_only=False,
        freelancer_terms=False,
        schedulable=True,
    ),
    Platform.UPHUNT: RouteTerms(
        bid_kinds=(BidKind.HOURLY, BidKind.FIXED, BidKind.PLATFORM_DEFAULT),
        fixed_only=False,
        freelancer_terms=True,
        schedulable=False,
    ),
    Platform.GIGIAC: RouteTerms(
        bid_kinds=(BidKind.FIXED,),
        fixed_only=True,
        freelancer_terms=False,
        schedulable=False,
    ),
}


def route_terms(route: Platform) -> RouteTerms:
    """The terms a proposal through `route` has."""
    return _ROUTE_TERMS[route]


def _with_article(label: str) -> str:
    return f"an {label}" if label[:1].lower() in "aeiou" else f"a {label}"


def missing_account_hint(route: Platform) -> str:
    """What to do when no account can send through `route`: "Add an UpHunt account"."""
    return f"Add {_with_article(route.label)} account"


def choose_route(
    routes: Sequence[Platform],
    accounts: Mapping[Platform, Sequence[str]],
    preferred: Platform | None = None,
) -> Platform:
    """The route a proposal starts on: the draft's (if still allowed), else the first
    allowed route with an account, else the first allowed route."""
    if not routes:
        raise ValueError("An opportunity offers at least one route.")
    if preferred is not None and preferred in routes:
        return preferred
    with_account = [r for r in routes if accounts.get(r)]
    return (with_account or list(routes))[0]


def route_hint(
    route: Platform, routes: Sequence[Platform], accounts: Mapping[Platform, Sequence[str]]
) -> str:
    """The line under the route choice: the only route's name (with what is missing), or
    what is missing among several routes; empty when nothing needs saying."""
    missing = [missing_account_hint(r) for r in routes if not accounts.get(r)]
    if len(routes) == 1:
        return route.label if not missing else f"{route.label} — {missing[0]}"
    return " · ".join(missing)


def choose_account(
    route: Platform,
    names: Sequence[str],
    opportunity: Opportunity | None,
    *wanted: str | None,
) -> str | None:
    """The account a proposal through `route` goes from: the first of `wanted` that is
    configured, else the account the job arrived through on that route's platform (its
    own, or one of its `sources`), else the first configured one; None when the route
    has no account."""
    found = () if opportunity is None else opportunity.all_sources
    defaults = [s.account for s in found if s.platform is route and s.account]
    for name in (*wanted, *defaults):
        if name and name in names:
            return name
    return names[0] if names else None


def amount_from_input(value: float) -> Decimal | None:
    """A spin box's amount in whole cents; zero (or less) means "no amount"."""
    if value <= 0:
        return None
    try:
        return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None


def form_bid(
    route: Platform,
    kind: BidKind,
    amount: Decimal | None,
    *,
    timeline: str | None = None,
    boost_connects: int | None = None,
) -> Bid:
    """The bid the form says, under the route's terms: a fixed-price route bids a fixed
    price, the platform's default terms carry no amount, and a timeline and a boost go
    only where the route has them (0 Connects and an empty timeline: none)."""
    terms = route_terms(route)
    if terms.fixed_only:
        kind = BidKind.FIXED
    return Bid(
        kind=kind,
        amount=None if kind is BidKind.PLATFORM_DEFAULT else amount,
        timeline=(timeline or None) if terms.freelancer_terms else None,
        boost_connects=(boost_connects or None) if terms.freelancer_terms else None,
    )


def matched_answers(
    questions: Iterable[Question],
    answers: Iterable[Answer],
    *,
    skip_empty: bool = False,
) -> list[str]:
    """Each question's answer among `answers`, in question order ("" for none): matched by
    the question's id, else by its text as the policy compares texts (case and spacing do
    not count). With `skip_empty`, an empty answer matched by id gives way to one matched
    by text (a model's drafts); without, the answer saved for that id stands (a draft)."""
    answers = list(answers)
    by_id = {a.question_id: a.answer for a in answers if a.question_id}
    by_text = {question_key(a.question): a.answer for a in answers}
    matched: list[str] = []
    for question in questions:
        answer = by_id.get(question.id)
        if answer is None or (skip_empty and not answer):
            answer = by_text.get(question_key(question.text)) or ""
        matched.append(answer)
    return matched


def next_full_hour(now: datetime) -> datetime:
    """The first full hour after `now`: the send time offered for a scheduled proposal."""
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def latest_submission(submissions: Iterable[Submission]) -> Submission | None:
    """The submission to show for a job: the last created (the last updated on a tie)."""
    return max(submissions, key=lambda s: (s.created_at, s.updated_at), default=None)


def live_submission(submissions: Iterable[Submission]) -> Submission | None:
    """The submission that counts against one proposal per job, if any."""
    live = [s for s in submissions if s.is_live]
    return max(live, key=lambda s: s.created_at) if live else None


class BlockerKind(Enum):
    ALREADY_SENT = "already_sent"
    NO_ACCOUNT = "no_account"
    ERRORS = "errors"


@dataclass(frozen=True, slots=True)
class Blocker:
    """Why a proposal cannot be sent yet, as one sentence."""

    kind: BlockerKind
    message: str


_LIVE_PHRASE = {
    SubmissionState.STAGED: "queued",
    SubmissionState.SCHEDULED: "scheduled",
    SubmissionState.SUBMITTING: "sending",
    SubmissionState.UNKNOWN: "sent (checking with the platform)",
    SubmissionState.SUBMITTED: "sent",
}


def submit_blocker(
    submissions: Iterable[Submission],
    route: Platform,
    account: str | None,
    issues: Iterable[PolicyIssue],
) -> Blocker | None:
    """What stops this proposal from going, in the order a person fixes it: a proposal
    already sent for the job, no account for the route, policy errors. None: it may go
    (warnings are confirmed, not blocking)."""
    live = live_submission(submissions)
    if live is not None:
        phrase = _LIVE_PHRASE.get(live.state, "sent")
        return Blocker(
            BlockerKind.ALREADY_SENT, f"Already {phrase}: BidDesk sends one proposal per job."
        )
    if account is None:
        return Blocker(
            BlockerKind.NO_ACCOUNT,
            f"{missing_account_hint(route)} to send through {route.label}.",
        )
    errors = sum(1 for i in issues if i.severity is Severity.ERROR)
    if errors:
        plural = "s" if errors != 1 else ""
        return Blocker(BlockerKind.ERRORS, f"✖ Fix {errors} problem{plural} before sending.")
    return None
