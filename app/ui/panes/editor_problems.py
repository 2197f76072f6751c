"""What stops a proposal, for Ctrl+Enter: the field to put the focus on, and which failures
of an earlier send are final (a retry cannot fix them; the editor offers Archive)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtWidgets import QWidget

from app.domain.policy import PolicyIssue, Severity
from app.domain.proposal import Blocker, BlockerKind, latest_submission
from app.domain.submission import Failure, FailureReason, Submission, SubmissionState
from app.ui.panes.editor_letter import LetterRoom
from app.ui.panes.editor_terms import TermsRoom

__all__ = ["FINAL_REASONS", "final_failure", "problem_widget"]

# Failures a second try cannot fix: Submit stays off, Archive is offered.
FINAL_REASONS = frozenset({FailureReason.JOB_UNAVAILABLE, FailureReason.DUPLICATE})
# Policy issues about the bid: the focus goes to the amount.
_BID_CODES = frozenset({"missing_amount", "bad_amount", "default_bid", "bid_high"})


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
