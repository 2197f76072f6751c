"""Cover-letter and bid checks run before anything is sent.

Upwork (reached through GigRadar and UpHunt) limits letters to 5,000 characters and forbids
contact details and unsafe links; the same rules keep Gigiac proposals on-platform.
An `error` blocks sending; a `warning` asks the user to confirm.

The contact-detail patterns are tuned so that a letter a professional would write passes
clean: years and year ranges ("2015 - 2023 (8 years)"), money ("$4,500", "$45/h"),
percentages, versions ("Python 3.10 3.11 3.12", "React 18.2.0"), dates, round numbers
("100 000 000 rows"), technology names that look like hosts ("ASP.NET/C#", "Socket.io/Redis")
and messenger names used as products ("I built 10 Telegram bots", "a strong signal") are
not contact details. Code annotations are not handles either: `@Input()`, `@Override`,
`@media`, `@angular/core` pass; a bare `@johndoe` is a handle and is an error. The price of
catching "skype: john.doe" is that a colon after a messenger name always reads as a handle
("Telegram: aiogram bots" is flagged); a bare domain without a path ("Booking.com") is a
name, not a link, so "mysite.dev" alone is not caught.
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


# Characters that end a link written in prose ("see https://x.dev/a." ends at "a").
_URL_BODY = r"[^\s<>()\"'`]"
_URL_END = r"[^\s<>()\"'`.,;:!?]"

# Every pattern that starts with a run of characters anchors that run on its left
# (`(?<![…])`): unanchored, the engine retries the run from each of its characters, which
# is quadratic — a 5,000-character "a.a.a.…" took seconds.
_EMAIL = re.compile(
    # Plain addresses; "icon@2x.png" is a file name, not an address.
    r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.(?!(?:png|jpe?g|gif|svg|webp)\b)[a-z]{2,}\b"
    # Spelled out: "john (at) gmail (dot) com", "john [at] gmail.com", "john at gmail dot com".
    r"|(?<![\w.+-])[\w.+-]+\s*[\[(]\s*at\s*[\])]\s*[\w-]+"
    r"(?:\s*(?:[\[(]\s*dot\s*[\])]|\.)\s*[\w-]+)+"
    r"|(?<![\w.+-])[\w.+-]+\s+at\s+[\w-]+\s+dot\s+(?:com|net|org|io|dev|me|co|ai|info)\b",
    re.IGNORECASE,
)

# A run of digits and phone punctuation on one line; `_looks_like_phone` then tells a
# number someone could dial from years, dates, versions and amounts.
_PHONE = re.compile(r"(?<![\w$€£#/])\+?\(?\d[\d \t\u00a0().\-]{7,}\d(?![\w%])")
_DIGITS = re.compile(r"\d+")
_ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_YEAR = re.compile(r"(?:19|20)\d\d")


def _looks_like_phone(text: str) -> bool:
    groups = _DIGITS.findall(text)
    digits = sum(len(g) for g in groups)
    if not 9 <= digits <= 15:  # E.164 numbers have at most 15 digits
        return False
    if _ISO_DATE.search(text):  # "2023-01-01 - 2024-06-30"
        return False
    if sum(1 for g in groups if _YEAR.fullmatch(g)) >= 2:  # "2015 - 2023 (8 years)"
        return False
    if "." in text and sum(1 for g in groups if len(g) == 1) >= 2:  # "3.9 3.10 3.11"
        return False
    # Thousands groups: "1.000.000.000", "100 000 000" (but "612 345 678" is a phone).
    return not (
        len(groups) >= 3
        and "+" not in text
        and "(" not in text
        and len(groups[0]) <= 3
        and all(len(g) == 3 for g in groups[1:])
        and ("." in text or groups[-1] == "000")
    )


# Names that are a messenger account and little else, so "skype: x" is a handle.
_STRONG_APPS = r"(?:skype|whats\s?app|telegram|viber|we\s?chat|discord|kakao\s?talk|snapchat)"
# Apps whose names are also ordinary words or products a freelancer builds for ("signal
# processing", "Slack bots", "Zoom integration"): a handle needs more evidence there.
_SOCIAL = r"(?:signal|instagram|linkedin|twitter|facebook)"
_APPS = rf"(?:{_STRONG_APPS}|{_SOCIAL}|slack|zoom)"
_PHONE_LIKE = r"\+?\d[\d \t\u00a0().\-]{5,}\d"
_HANDLE = r"[@+]?[\w.+#-]{3,}(?::[\w.+#-]+)*"  # Skype ids: "live:.cid.1a2b"

_MESSENGER_LINK = re.compile(
    r"\b(?:t\.me|telegram\.me|wa\.me|m\.me|signal\.me|line\.me|discord\.gg"
    rf"|discord(?:app)?\.com/invite|join\.skype\.com)/{_URL_BODY}*{_URL_END}",
    re.IGNORECASE,
)
_MESSENGER = (
    # "skype: john.doe", "WhatsApp = +44 7700 900123", "discord: john#1234"
    re.compile(rf"\b{_STRONG_APPS}\b\s*[:=]\s*(?:{_PHONE_LIKE}|{_HANDLE})", re.IGNORECASE),
    # "Discord username john_doe": without a separator, only a handle-looking word counts,
    # so "WhatsApp number verification" stays a feature description.
    re.compile(
        rf"\b{_STRONG_APPS}\s+(?:id|handle|user\s?name|account)\s+(?=[\w.#-]*[_#\d])"
        r"[\w.+#-]{3,}",
        re.IGNORECASE,
    ),
    # "telegram @handle", "WhatsApp +44 7700 900123", "Zoom ID: 123 456 7890"
    re.compile(
        rf"\b{_APPS}\b(?:\s+(?:id|handle|user\s?name|account|number|no\.?|#))?\s*[:=]?\s*"
        rf"(?:@[\w.]{{3,}}|(?P<phone>{_PHONE_LIKE}))",
        re.IGNORECASE,
    ),
    # "my Skype is john.doe", "our Telegram username: acme_dev"
    re.compile(
        rf"\b(?:my|our)\s+{_APPS}(?:\s+(?:id|handle|user\s?name|account|number))?"
        rf"\s*(?:\bis\b|[:=])\s*{_HANDLE}",
        re.IGNORECASE,
    ),
    # "reach me on Telegram": taking the conversation off-platform, even without a handle.
    re.compile(
        r"\b(?:contact|reach|message|text|call|ping|add|find|dm|chat\s+with|talk\s+to"
        r"|connect\s+with|write\s+to)\s+(?:me|us)\s+(?:on|via|over|through|at|in|using)\s+"
        rf"(?:{_STRONG_APPS}|{_SOCIAL})\b",
        re.IGNORECASE,
    ),
)
# A bare social handle. Not after a word, a dot or a slash (e-mails, "medium.com/@x",
# "@angular/core"), not a dotted or called name ("@app.route", "@Input()").
_BARE_HANDLE = re.compile(r"(?<![\w.@/\\])@([A-Za-z]\w{4,})\b(?!\.\w|\(|/)")
# Decorators, annotations, at-rules and doc tags a developer may quote in a letter.
_CODE_AT_NAMES = frozenset(
    {
        "abstractmethod", "after", "apply", "autowired", "before", "cached_property",
        "charset", "classmethod", "component", "container", "controller", "dataclass",
        "deprecated", "directive", "entity", "example", "extend", "import", "include",
        "injectable", "input", "keyframes", "layer", "media", "mixin", "ngmodule", "output",
        "override", "overload", "param", "property", "repository", "restcontroller",
        "return", "returns", "service", "staticmethod", "supports", "tailwind", "throws",
        "typedef", "viewchild",
    }
)  # fmt: skip

_TLDS = (
    "com|net|org|io|dev|app|co|me|ai|ly|gl|be|to|gg|so|sh|tv|cc|us|uk|de|fr|ca|au|in|eu"
    "|info|biz|site|page|link|tech|xyz|online|store|pro|design|studio"
)
_URL = re.compile(
    rf"\b(?:https?://|www\.){_URL_BODY}*{_URL_END}"
    # A host with a path and no scheme: "calendly.com/x", "github.com/me".
    rf"|(?<![\w.-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:{_TLDS})/(?:{_URL_BODY}*{_URL_END})?",
    re.IGNORECASE,
)
# Technologies whose names read as hosts: "ASP.NET/C#", "Socket.io/Redis", "Fly.io/Render".
_TECH_HOSTS = frozenset({"asp.net", "ado.net", "vb.net", "socket.io", "fly.io"})

_PLACEHOLDER = re.compile(
    # "{client_name}", "{{ first_name }}", "${name}"; not a route parameter ("/users/{id}").
    r"(?<![/\w])\{\{?\s*[a-z_][\w.:-]*\s*\}\}?"
    r"|\[\[?\s*(?:insert|your|name|client|company|first\s+name|recipient|hiring\s+manager"
    r"|project|job\s+title|xxx*)\b[^\]\n]{0,60}\]\]?"
    r"|<\s*(?:insert|your|client|company|name|first\s+name|recipient)\b[^>\n]{0,60}>",
    re.IGNORECASE,
)

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


def is_on_platform_link(url: str, platform: Platform) -> bool:
    """A link to the platform's own site (a profile or portfolio page there) is allowed."""
    return _on_platform(url, platform)


def _issue(code: str, message: str, m: re.Match[str]) -> PolicyIssue:
    return PolicyIssue(code, Severity.ERROR, message, m.start(), m.end())


def _contact_details(letter: str, platform: Platform) -> list[PolicyIssue]:
    """E-mails, messenger handles, off-platform links and phone numbers, left to right
    within each kind; a span claimed by an earlier kind is not reported twice."""
    issues: list[PolicyIssue] = []
    taken: list[tuple[int, int]] = []

    def claim(m: re.Match[str]) -> bool:
        if any(m.start() < e and s < m.end() for s, e in taken):
            return False
        taken.append(m.span())
        return True

    for m in _EMAIL.finditer(letter):
        if claim(m):
            issues.append(
                _issue(
                    "contact_email",
                    f"Remove the e-mail address “{m.group()}”: contact details are not allowed.",
                    m,
                )
            )
    messengers = [*_MESSENGER_LINK.finditer(letter)]
    for pattern in _MESSENGER:
        for m in pattern.finditer(letter):
            phone = m.groupdict().get("phone")
            if phone is None or sum(len(g) for g in _DIGITS.findall(phone)) >= 7:
                messengers.append(m)
    messengers += [
        m for m in _BARE_HANDLE.finditer(letter) if m.group(1).lower() not in _CODE_AT_NAMES
    ]
    for m in sorted(messengers, key=lambda m: (m.start(), -m.end())):
        if claim(m):
            issues.append(
                _issue(
                    "contact_messenger",
                    f"Remove the messenger contact “{m.group().strip()}”: contact details "
                    "are not allowed.",
                    m,
                )
            )
    for m in _URL.finditer(letter):
        text = m.group()
        if _on_platform(text, platform):
            continue
        if not re.match(r"(?i)https?://|www\.", text) and _host(text) in _TECH_HOSTS:
            continue
        if claim(m):
            issues.append(
                _issue(
                    "off_platform_link",
                    f"Remove the link “{text}”: off-platform links are not allowed.",
                    m,
                )
            )
    for m in _PHONE.finditer(letter):
        if _looks_like_phone(m.group()) and claim(m):
            issues.append(
                _issue(
                    "contact_phone",
                    f"Remove the phone number “{m.group().strip()}”: contact details are "
                    "not allowed.",
                    m,
                )
            )
    return issues


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
    issues += _contact_details(letter, platform)
    issues += (
        _issue("placeholder", f"Fill in the placeholder “{m.group()}” before sending.", m)
        for m in _PLACEHOLDER.finditer(letter)
    )
    return issues


def question_key(text: str) -> str:
    """Question texts compared the way a reader would: case and spacing do not count."""
    return " ".join(text.lower().split())


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
    answered_text = {question_key(a.question) for a in answers if a.answer.strip()}
    missing = [
        q
        for q in opportunity.questions
        if q.id not in answered and question_key(q.text) not in answered_text
    ]
    if missing:
        issues.append(
            PolicyIssue(
                "unanswered_question",
                Severity.ERROR,
                f"Answer every screening question ({len(missing)} unanswered: "
                f"“{missing[0].text}”).",
            )
        )
    if route is Platform.GIGIAC and bid.amount is None and opportunity.budget is None:
        issues.append(
            PolicyIssue("missing_amount", Severity.ERROR, "Gigiac needs a proposed amount.")
        )
    elif bid.kind is BidKind.FIXED and bid.amount is None:
        issues.append(
            PolicyIssue("missing_amount", Severity.ERROR, "A fixed-price bid needs an amount.")
        )
    elif (
        route is Platform.GIGRADAR
        and bid.kind is BidKind.PLATFORM_DEFAULT
        and opportunity.kind is JobKind.FIXED
    ):
        # GigRadar sends `bid: null`, which is valid: the scanner's bidding terms apply
        # (platform-apis.md §1.7.1). Worth a look, not a block.
        issues.append(
            PolicyIssue(
                "default_bid",
                Severity.WARNING,
                "No amount given: GigRadar will bid the scanner's default terms on this "
                "fixed-price job.",
            )
        )
    if bid.amount is not None and bid.amount <= 0:
        issues.append(
            PolicyIssue("bad_amount", Severity.ERROR, "The bid amount must be more than zero.")
        )
    if (
        bid.kind is BidKind.HOURLY
        and bid.amount is not None
        and opportunity.hourly_max is not None
        and bid.amount > opportunity.hourly_max * 2
    ):
        issues.append(
            PolicyIssue(
                "bid_high",
                Severity.WARNING,
                f"${bid.amount}/h is over twice the client's top rate "
                f"(${opportunity.hourly_max}/h).",
            )
        )
    return issues


def blocking(issues: list[PolicyIssue]) -> list[PolicyIssue]:
    return [i for i in issues if i.severity is Severity.ERROR]
