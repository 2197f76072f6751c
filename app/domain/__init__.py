"""Pure domain models: no I/O, no Qt, no asyncio."""

from app.domain.account import DEFAULT_BASE_URLS, Account
from app.domain.local_state import LocalState
from app.domain.money import format_money, to_money
from app.domain.opportunity import (
    ClientInfo,
    JobKind,
    Opportunity,
    OpportunitySource,
    OpportunityStatus,
    Platform,
    Question,
    opportunity_key,
    sources_label,
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
    "Draft",
    "Failure",
    "FailureReason",
    "HistoryEntry",
    "InvalidTransition",
    "JobKind",
    "LocalState",
    "Opportunity",
    "OpportunitySource",
    "OpportunityStatus",
    "Outcome",
    "Platform",
    "Question",
    "StatusUpdate",
    "Submission",
    "SubmissionState",
    "format_money",
    "opportunity_key",
    "sources_label",
    "split_key",
    "to_money",
    "utcnow",
]
