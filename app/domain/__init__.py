"""Pure domain models: no I/O, no Qt, no asyncio."""

from app.domain.account import DEFAULT_BASE_URLS, Account
from app.domain.local_state import LocalState
from app.domain.money import format_money, to_money
from app.domain.opportunity import (
    ClientInfo,
    Competition,
    JobKind,
    Opportunity,
    OpportunityStatus,
    Platform,
    Question,
    opportunity_key,
    split_key,
    utcnow,
)
from app.domain.submission import (
    Answer,
    Bid,
    BidKind,
    Draft,
    Failure,
    FailureReason,
    HistoryEntry,
    InvalidTransition,
    Outcome,
    StatusUpdate,
    Submission,
    SubmissionState,
)

__all__ = [
    "DEFAULT_BASE_URLS",
    "Account",
    "Answer",
    "Bid",
    "BidKind",
    "ClientInfo",
    "Competition",
    "Draft",
    "Failure",
    "FailureReason",
    "HistoryEntry",
    "InvalidTransition",
    "JobKind",
    "LocalState",
    "Opportunity",
    "OpportunityStatus",
    "Outcome",
    "Platform",
    "Question",
    "StatusUpdate",
    "Submission",
    "SubmissionState",
    "format_money",
    "opportunity_key",
    "split_key",
    "to_money",
    "utcnow",
]
