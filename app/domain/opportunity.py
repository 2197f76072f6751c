"""The normalized, platform-neutral opportunity (platform-apis.md §5.2)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Platform(StrEnum):
    GIGRADAR = "gigradar"
    UPHUNT = "uphunt"
    GIGIAC = "gigiac"

    @property
    def label(self) -> str:
        return {"gigradar": "GigRadar", "uphunt": "UpHunt", "gigiac": "Gigiac"}[self.value]


class JobKind(StrEnum):
    FIXED = "fixed"
    HOURLY = "hourly"
    UNKNOWN = "unknown"


class OpportunityStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    UNKNOWN = "unknown"


def utcnow() -> datetime:
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted to UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ClientInfo(BaseModel):
    """What the platform tells about the client who posted the job."""

    model_config = ConfigDict(frozen=True)

    name: str | None = None
    country: str | None = None
    city: str | None = None
    payment_verified: bool | None = None
    total_spent: Decimal | None = None
    hire_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    total_hires: int | None = None
    jobs_posted: int | None = None
    rating: float | None = Field(default=None, ge=0.0, le=5.0)
    reviews: int | None = None
    # Depth: what an Upwork client's history says (GigRadar `client.stats`, UpHunt
    # `buyer.*`); None where the platform's job object does not carry it.
    avg_hourly_rate: Decimal | None = Field(default=None, ge=0)  # USD/h paid on average
    member_since: datetime | None = None  # when the client joined the platform

    @field_validator("member_since")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else ensure_utc(value)


# Upwork shows the proposals a job has received as a tier (platform-apis.md §4).
_PROPOSAL_TIERS: dict[str, tuple[int, int | None]] = {
    "less than 5": (0, 4),
    "5 to 10": (5, 10),
    "10 to 15": (10, 15),
    "15 to 20": (15, 20),
    "20 to 50": (20, 50),
    "50+": (50, None),
}


def proposals_tier_range(tier: str) -> tuple[int, int | None] | None:
    """(fewest, most) proposals a tier label means, e.g. "5 to 10" → (5, 10), "50+" →
    (50, None); None for a label it does not know. "N to M" and "N+" of any numbers read
    as such too."""
    text = " ".join(tier.lower().split())
    known = _PROPOSAL_TIERS.get(text)
    if known is not None:
        return known
    low, sep, high = text.partition(" to ")
    if sep and low.isdigit() and high.isdigit():
        return int(low), int(high)
    if text.endswith("+") and text[:-1].isdigit():
        return int(text[:-1]), None
    if text.startswith("less than ") and text[10:].isdigit():
        return 0, max(0, int(text[10:]) - 1)
    return None


class Competition(BaseModel):
    """How many freelancers are already after the job, as the platform reports it:
    Upwork's proposals tier ("5 to 10") or an exact count, those invited to interview, and
    the invitations the client sent. Every field may be missing (a platform's documented
    job object carries none of them; see platform-apis.md §4)."""

    model_config = ConfigDict(frozen=True)

    proposals: int | None = Field(default=None, ge=0)  # an exact count, when given
    proposals_tier: str | None = None  # the platform's own label, e.g. "5 to 10"
    interviewing: int | None = Field(default=None, ge=0)
    invites_sent: int | None = Field(default=None, ge=0)

    @property
    def known(self) -> bool:
        return any(
            value is not None
            for value in (self.proposals, self.proposals_tier, self.interviewing, self.invites_sent)
        )

    @property
    def proposals_range(self) -> tuple[int, int | None] | None:
        """(fewest, most) proposals so far: the exact count twice, the tier's range, or
        None when neither is known (or the tier is a label it cannot read)."""
        if self.proposals is not None:
            return self.proposals, self.proposals
        if self.proposals_tier:
            return proposals_tier_range(self.proposals_tier)
        return None

    @property
    def proposals_most(self) -> int | None:
        """The most proposals the job may have (None: unknown, or unbounded as "50+")."""
        span = self.proposals_range
        return None if span is None else span[1]

    @property
    def proposals_text(self) -> str | None:
        if self.proposals is not None:
            return f"{self.proposals:,}"
        return self.proposals_tier


class Question(BaseModel):
    """A screening question the client asks applicants."""

    model_config = ConfigDict(frozen=True)

    id: str
    text: str


class Opportunity(BaseModel):
    """One job or task a user may bid on, whatever platform it came from.

    `key` is `"{platform}:{external_id}"` and is the store's primary key. `upwork_job_id`
    (the Upwork ciphertext `~01…`) links the same Upwork job reached through GigRadar and
    UpHunt, and is what the duplicate-proposal guard keys on.
    """

    model_config = ConfigDict(frozen=True)

    platform: Platform
    # Non-empty, so that `key` always round-trips through `split_key`.
    external_id: str = Field(min_length=1)
    account: str = ""
    upwork_job_id: str | None = None
    title: str
    description: str = ""
    url: str | None = None
    kind: JobKind = JobKind.UNKNOWN
    budget: Decimal | None = None
    hourly_min: Decimal | None = None
    hourly_max: Decimal | None = None
    skills: tuple[str, ...] = ()
    category: str | None = None
    client: ClientInfo = ClientInfo()
    questions: tuple[Question, ...] = ()
    match_score: float | None = Field(default=None, ge=0.0, le=1.0)
    connects_price: int | None = None
    competition: Competition = Competition()
    posted_at: datetime | None = None
    detected_at: datetime = Field(default_factory=utcnow)
    deadline: datetime | None = None
    status: OpportunityStatus = OpportunityStatus.OPEN
    # Platform-specific ids needed on later calls, e.g. {"scanner_id": ..., "scanner_name": ...}.
    context: dict[str, str] = Field(default_factory=dict)
    raw: dict[str, Any] = Field(default_factory=dict)

    @field_validator("posted_at", "detected_at", "deadline")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else ensure_utc(value)

    @property
    def key(self) -> str:
        return opportunity_key(self.platform, self.external_id)

    @property
    def dedupe_key(self) -> str:
        """At most one live proposal per value of this key, across platforms."""
        if self.upwork_job_id:
            return f"upwork:{self.upwork_job_id}"
        return self.key


def opportunity_key(platform: Platform | str, external_id: str) -> str:
    return f"{Platform(platform).value}:{external_id}"


def split_key(key: str) -> tuple[Platform, str]:
    """Inverse of `opportunity_key`; raises ValueError on a malformed key."""
    platform, sep, external_id = key.partition(":")
    if not sep or not external_id:
        raise ValueError(f"not an opportunity key: {key!r}")
    return Platform(platform), external_id
