"""What stops a proposal: why Submit is off and the sentence under it, the question asked
before sending one with warnings, the field Ctrl+Enter puts the focus on, and which
failures of an earlier send are final (a retry cannot fix them; the editor offers Archive).

The pane keeps the state (what is sending, what asks, what the model writes) and the
widgets; these functions only decide what that state means."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from PySide6.QtWidgets import QMessageBox, QWidget

from app.domain.opportunity import Platform
from app.domain.policy import PolicyIssue, Severity
from app.domain.proposal import Blocker, BlockerKind, latest_submission, submit_blocker
from app.domain.submission import Failure, FailureReason, Submission, SubmissionState
from app.ui.panes.editor_letter import LetterRoom
from app.ui.panes.editor_terms import TermsRoom
from app.ui.widgets.labels import ERROR_COLOR, INFO_COLOR, NEUTRAL_COLOR, WARNING_COLOR
from app.ui.widgets.question import Button, question_box

__all__ = [
    "FINAL_REASONS",
    "final_failure",
    "problem_widget",
    "send_anyway_box",
    "submit_block",
    "submit_status",
]

# Failures a second try cannot fix: Submit stays off, Archive is offered.
FINAL_REASONS = frozenset({FailureReason.JOB_UNAVAILABLE, FailureReason.DUPLICATE})
# Policy issues about the bid: the focus goes to the amount.
_BID_CODES = frozenset({"missing_amount", "bad_amount", "default_bid", "bid_high"})
_BLOCKER_COLOR = {
    BlockerKind.ALREADY_SENT: NEUTRAL_COLOR,
    BlockerKind.NO_ACCOUNT: WARNING_COLOR,
    BlockerKind.ERRORS: ERROR_COLOR,
}


def final_failure(submissions: Iterable[Submission]) -> Failure | None:
    """Why the latest submission failed for good (not retryable), if it did."""
    latest = latest_submission(submissions)
    if latest is None or latest.state is not SubmissionState.FAILED or latest.retryable:
        return None
    return latest.failure


def problem_widget(
    blocker: Blocker | None,
    issues: Sequence[PolicyIssue],
    letter: LetterRoom,
    terms: TermsRoom,
) -> QWidget | None:
    """The field behind `blocker` (its first error's span selected in the letter), or None
    when no field can fix it (a proposal already sent)."""
    if blocker is None:
        return None
    if blocker.kind is BlockerKind.NO_ACCOUNT:
        return terms.account_widget()
    if blocker.kind is not BlockerKind.ERRORS:
        return None
    issue = next((i for i in issues if i.severity is Severity.ERROR), None)
    if issue is None:
        return None
    if issue.code == "unanswered_question":
        for _, edit in letter.questions:
            if not edit.toPlainText().strip():
                return edit
    if issue.code in _BID_CODES:
        return terms.amount_widget()
    if issue.start is not None and issue.end is not None:
        letter.select_span(issue.start, issue.end)
    return letter.letter


def submit_block(
    submissions: Collection[Submission],
    route: Platform,
    account: str | None,
    issues: Sequence[PolicyIssue],
    *,
    sending: bool,
    confirming: bool,
    drafting: bool,
) -> tuple[str, str] | None:
    """Why Submit is disabled now, as (sentence, colour); None when it may be pressed.
    `sending`: a request for the job is in flight; `confirming`: the send-anyway question
    is open; `drafting`: a model is writing the letter."""
    if sending:
        return "Sending…", INFO_COLOR
    if confirming:
        return "Waiting for your confirmation…", WARNING_COLOR
    if drafting:
        return "The model is writing… (Stop keeps what it wrote so far)", INFO_COLOR
    failure = final_failure(submissions)
    if failure is not None and failure.reason in FINAL_REASONS:
        return f"Not sent: {failure.describe()}", ERROR_COLOR
    blocker = submit_blocker(submissions, route, account, issues)
    if blocker is None:
        return None
    return blocker.message, _BLOCKER_COLOR[blocker.kind]


def submit_status(
    block: tuple[str, str] | None, failure: Failure | None, issues: Sequence[PolicyIssue]
) -> tuple[str, str]:
    """The sentence under Submit, as (text, colour): why it is off (`block`), else what
    pressing it will do."""
    if block is not None:
        return block
    if failure is not None:
        # Not "Ready to send": the last try failed for a reason a retry will not fix.
        text = f"Not sent: {failure.describe()} Edit and send again, or archive the job."
        return text, ERROR_COLOR
    warnings = sum(1 for i in issues if i.severity is Severity.WARNING)
    if warnings:
        plural = "s" if warnings != 1 else ""
        return f"⚠ {warnings} warning{plural}: you will be asked to confirm.", WARNING_COLOR
    return "Ready to send · Ctrl+Enter", NEUTRAL_COLOR


def send_anyway_box(
    parent: QWidget, warnings: Sequence[PolicyIssue], auto_bidder: str | None
) -> QMessageBox:
    """The question before sending a proposal with warnings, or while GigRadar's
    auto-bidder is on (`auto_bidder`: its sentence). Not opened (see `question_box`)."""
    lines = [f"⚠ {i.message}" for i in warnings]
    if auto_bidder is not None:
        lines.insert(0, auto_bidder)
    return question_box(
        parent,
        name="confirm_auto_bidder" if auto_bidder is not None else "confirm_warnings",
        title="Send anyway?",
        text=(
            "GigRadar's auto-bidder is on for this scanner. Send anyway?"
            if auto_bidder is not None
            else "This proposal has warnings. Send anyway?"
        ),
        accept=(Button.Yes, "Send anyway"),
        reject=(Button.No, "Keep editing"),
        icon=QMessageBox.Icon.Warning,
        informative="\n".join(lines),
    )
