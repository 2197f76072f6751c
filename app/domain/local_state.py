"""Where the user stands with an opportunity: the inbox's state column and filter."""

from __future__ import annotations

from enum import StrEnum

from app.domain.submission import SubmissionState


class LocalState(StrEnum):
    """One word per opportunity, in the order the inbox lists them (a `StrEnum`: the
    value is the word the filter bar shows and the saved filters keep)."""

    NEW = "new"
    READ = "read"
    DRAFTED = "drafted"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"

    @classmethod
    def of(cls, *, read: bool, drafted: bool, submission: SubmissionState | None) -> LocalState:
        """The state from the read flag, a saved draft and the latest submission's state
        (the latest submission wins, then a draft, then the read flag)."""
        if submission is not None:
            if submission in _FINAL:
                return cls(submission.value)
            if submission is not SubmissionState.DRAFT:
                return cls.SUBMITTING
        if drafted:
            return cls.DRAFTED
        return cls.READ if read else cls.NEW


_FINAL = frozenset({SubmissionState.SUBMITTED, SubmissionState.FAILED, SubmissionState.WITHDRAWN})
