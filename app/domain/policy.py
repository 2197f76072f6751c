"""Cover-letter and bid checks run before anything is sent.

Upwork (reached through GigRadar and UpHunt) limits letters to 5,000 characters and forbids
contact details and unsafe links; the same rules keep Gigiac proposals on-platform.
An `error` blocks sending; a `warning` asks the user to confirm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from app.domain.opportunity import JobKind, Opportunity, Platform
from app.domain.submission import Answer, Bid, BidKind

MAX_COVER_LETTER = 5_000
SHORT_COVER_LETTER = 150


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class PolicyIssue:
    code: str
    severity: Severity
    message: str
    start: int | None = None  # span in the letter, for inline highlighting
    end: int | None = None


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
# International or grouped numbers with at least 9 digits; years and amounts stay clear.
_PHONE = re.compile(r"(?<![\w$])\+?\d[\d\s().-]{7,}\d(?![\w%])")
_MESSENGER = re.compile(
    r"\b(?:skype|whats\s?app|telegram|signal|viber|wechat|discord|zoom id)\b\s*[:=@]?\s*[@\w.+-]{3,}"
    r"|(?<![\w.])@[A-Za-z][\w]{4,}\b(?!\.\w)"  # a bare @handle
    r"|\b(?:t\.me|wa\.me|discord\.gg)/\S+",
    re.IGNORECASE,
)
_URL = re.compile(
    r"\b(?:https?://|www\.)[^\s<>()\"']+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|io|net|org|dev|app|co|me|ai)/\S*",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"\{[a-z_][\w:]*\}|\[\[?(?:insert|your|name|client)[^\]]*\]\]?", re.IGNORECASE)

_ON_PLATFORM_HOSTS: dict[Platform, tuple[str, ...]] = {
    Platform.GIGRADAR: ("upwork.com",),
    Platform.UPHUNT: ("upwork.com",),
    Platform.GIGIAC: ("gigiac.com",),
}


def _host(url: str) -> str:
    text = re.sub(r"^(?:https?://)?(?:www\.)?", "", url.lower())
    return text.split("/", 1)[0].split(":", 1)[0]


def _on_platform(url: str, platform: Platform) -> bool:
    host = _host(url)
    return any(host == h or host.endswith("." + h) for h in _ON_PLATFORM_HOSTS[platform])


def check_cover_letter(letter: str, platform: Platform) -> list[PolicyIssue]:
    """Checks on the letter alone: length, contact details, links, placeholders."""
    issues: list[PolicyIssue] = []
    text = letter.strip()
    if not text:
        return [PolicyIssue("empty", Severity.ERROR, "The cover letter is empty.")]
    if len(letter) > MAX_COVER_LETTER:
        issues.append(
            PolicyIssue(
                "too_long",
                Severity.ERROR,
                f"The cover letter has {len(letter):,} characters; the limit is "
                f"{MAX_COVER_LETTER:,}.",
                MAX_COVER_LETTER,
                len(letter),
            )
        )
    elif len(text) < SHORT_COVER_LETTER:
        issues.append(
            PolicyIssue(
                "too_short",
                Severity.WARNING,
                f"The cover letter is only {len(text)} characters long.",
            )
        )
    taken: list[tuple[int, int]] = []

    def overlaps(m: re.Match[str]) -> bool:
        return any(m.start() < e and s < m.end() for s, e in taken)

    for m in _EMAIL.finditer(letter):
        taken.append(m.span())
        issues.append(
            PolicyIssue("contact_email", Severity.ERROR,
                        f"Remove the e-mail address “{m.group()}”: contact details are not allowed.",
                        *m.span())
        )
    for m in _URL.finditer(letter):
        if overlaps(m):
            continue
        taken.append(m.span())
        if not _on_platform(m.group(), platform):
            issues.append(
                PolicyIssue("off_platform_link", Severity.ERROR,
                            f"Remove the link “{m.group()}”: off-platform links are not allowed.",
                            *m.span())
            )
    for m in _MESSENGER.finditer(letter):
        if overlaps(m):
            continue
        taken.append(m.span())
        issues.append(
            PolicyIssue("contact_messenger", Severity.ERROR,
                        f"Remove the messenger handle “{m.group().strip()}”: contact details "
                        "are not allowed.", *m.span())
        )
    for m in _PHONE.finditer(letter):
        if overlaps(m) or sum(c.isdigit() for c in m.group()) < 9:
            continue
        taken.append(m.span())
        issues.append(
            PolicyIssue("contact_phone", Severity.ERROR,
                        f"Remove the phone number “{m.group().strip()}”: contact details are "
                        "not allowed.", *m.span())
        )
    for m in _PLACEHOLDER.finditer(letter):
        issues.append(
            PolicyIssue("placeholder", Severity.ERROR,
                        f"Fill in the placeholder “{m.group()}” before sending.", *m.span())
        )
    return issues


def check_submission(
    letter: str,
    bid: Bid,
    answers: tuple[Answer, ...] | list[Answer],
    opportunity: Opportunity,
    via: Platform | None = None,
) -> list[PolicyIssue]:
    """Every rule a proposal must pass before it goes, in display order."""
    route = via or opportunity.platform
    issues = check_cover_letter(letter, route)
    answered = {a.question_id for a in answers if a.answer.strip() and a.question_id}
    answered_text = {a.question.strip().lower() for a in answers if a.answer.strip()}
    missing = [
        q for q in opportunity.questions
        if q.id not in answered and q.text.strip().lower() not in answered_text
    ]
    if missing:
        issues.append(
            PolicyIssue("unanswered_question", Severity.ERROR,
                        f"Answer every screening question ({len(missing)} unanswered: "
                        f"“{missing[0].text}”).")
        )
    is_fixed = bid.kind is BidKind.FIXED or (
        bid.kind is BidKind.PLATFORM_DEFAULT and opportunity.kind is JobKind.FIXED
    )
    if route is Platform.GIGIAC and bid.amount is None and opportunity.budget is None:
        issues.append(PolicyIssue("missing_amount", Severity.ERROR,
                                  "Gigiac needs a proposed amount."))
    elif is_fixed and bid.amount is None and route is Platform.GIGRADAR:
        issues.append(PolicyIssue("missing_amount", Severity.ERROR,
                                  "A fixed-price bid needs an amount."))
    elif bid.kind is BidKind.FIXED and bid.amount is None:
        issues.append(PolicyIssue("missing_amount", Severity.ERROR,
                                  "A fixed-price bid needs an amount."))
    if bid.amount is not None and bid.amount <= 0:
        issues.append(PolicyIssue("bad_amount", Severity.ERROR,
                                  "The bid amount must be more than zero."))
    if (
        bid.kind is BidKind.HOURLY
        and bid.amount is not None
        and opportunity.hourly_max is not None
        and bid.amount > opportunity.hourly_max * 2
    ):
        issues.append(PolicyIssue("bid_high", Severity.WARNING,
                                  f"${bid.amount}/h is over twice the client's top rate "
                                  f"(${opportunity.hourly_max}/h)."))
    return issues


def blocking(issues: list[PolicyIssue]) -> list[PolicyIssue]:
    return [i for i in issues if i.severity is Severity.ERROR]
