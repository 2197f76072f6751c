"""The normalized, platform-neutral opportunity (platform-apis.md §5.2)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


_PLATFORM_ORDER = {platform: rank for rank, platform in enumerate(Platform)}


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


class OpportunitySource(BaseModel):
    """One way BidDesk learnt of a job: a platform's opportunity (a GigRadar scanner's
    match, an UpHunt lookup, a Gigiac task), with that source's own match score."""

    model_config = ConfigDict(frozen=True)

    platform: Platform
    external_id: str
    account: str = ""
    scanner: str | None = None  # the GigRadar scanner's name (or id) that matched it
    match_score: float | None = None

    @property
    def key(self) -> str:
        return opportunity_key(self.platform, self.external_id)

    @property
    def label(self) -> str:
        """ "GigRadar · React jobs" (the scanner when known), "UpHunt"."""
        return f"{self.platform.label} · {self.scanner}" if self.scanner else self.platform.label


def sources_label(platforms: Iterable[Platform | str]) -> str:
    """The inbox's short line for a job's sources: "GigRadar ×2 · UpHunt" (platforms in
    their usual order, a count where one platform found it more than once)."""
    counts: dict[Platform, int] = {}
    for platform in platforms:
        counts[Platform(platform)] = counts.get(Platform(platform), 0) + 1
    return " · ".join(
        f"{p.label} ×{n}" if n > 1 else p.label
        for p, n in sorted(counts.items(), key=lambda item: _PLATFORM_ORDER[item[0]])
    )


def found_by_text(sources: Sequence[OpportunitySource]) -> str:
    """The editor's line of a job's sources: "Found by GigRadar · React jobs (92%),
    UpHunt"; empty for one source that says no more than the platform's badge."""
    if len(sources) == 1 and sources[0].scanner is None:
        return ""
    parts = [
        s.label if s.match_score is None else f"{s.label} ({round(s.match_score * 100)}%)"
        for s in sources
    ]
    return "Found by " + ", ".join(parts)


class Opportunity(BaseModel):
    """One job or task a user may bid on, whatever platform it came from.

    `key` is `"{platform}:{external_id}"` and is the store's primary key. `upwork_job_id`
    (the Upwork ciphertext `~01…`) links the same Upwork job reached through GigRadar and
    UpHunt, and is what the duplicate-proposal guard keys on.

    The inbox shows one row per job (`job_key`): where several opportunities reach one
    Upwork job (two GigRadar scanners, UpHunt), the store's job view is the first one
    seen with `sources` listing all of them and `match_score` the best of theirs. A
    stored opportunity, as a platform sent it, has no `sources`.
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
    # Every source of the job, this one first, when the job has more than one (a job
    # view from the store); empty for a single source. Not stored: derived from the rows.
    sources: tuple[OpportunitySource, ...] = ()

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

    @property
    def job_key(self) -> str:
        """The job this opportunity is a source of: one inbox row per value."""
        return self.dedupe_key

    @property
    def own_source(self) -> OpportunitySource:
        """This opportunity as one source of its job."""
        return OpportunitySource(
            platform=self.platform,
            external_id=self.external_id,
            account=self.account,
            scanner=self.context.get("scanner_name") or self.context.get("scanner_id"),
            match_score=self.match_score,
        )

    @property
    def all_sources(self) -> tuple[OpportunitySource, ...]:
        """Every source of the job: `sources`, or this opportunity alone."""
        return self.sources or (self.own_source,)

    @property
    def sources_label(self) -> str:
        """ "GigRadar ×2 · UpHunt"; the platform's name for a single source."""
        if not self.sources:
            return self.platform.label
        return sources_label(s.platform for s in self.sources)


def opportunity_key(platform: Platform | str, external_id: str) -> str:
    return f"{Platform(platform).value}:{external_id}"


def split_key(key: str) -> tuple[Platform, str]:
    """Inverse of `opportunity_key`; raises ValueError on a malformed key."""
    platform, sep, external_id = key.partition(":")
    if not sep or not external_id:
        raise ValueError(f"not an opportunity key: {key!r}")
    return Platform(platform), external_id
