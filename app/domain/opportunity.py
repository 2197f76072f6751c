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
