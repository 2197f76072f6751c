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


_PLATFORM_BY_LABEL = {platform.label: platform for platform in Platform}


def label_platforms(label: str) -> frozenset[Platform]:
    """The platforms a `sources_label` line names ("GigRadar ×2 · UpHunt" -> GigRadar,
    UpHunt): how the store's light rows, which carry only that line, give a job's
    sources to the platform filter. Unknown parts are skipped."""
    found = set()
    for part in label.split(" · "):
        platform = _PLATFORM_BY_LABEL.get(part.split(" ×", 1)[0].strip())
        if platform is not None:
            found.add(platform)
    return frozenset(found)


def platform_bits(platforms: Iterable[Platform | str]) -> int:
    """A set of platforms as a bitmask (bit n: the n-th `Platform`), as the inbox's
    filter fields and columns keep a job's source platforms."""
    bits = 0
    for platform in platforms:
        bits |= 1 << _PLATFORM_ORDER[Platform(platform)]
    return bits


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
    competition: Competition = Competition()
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
    def source_platforms(self) -> frozenset[Platform]:
        """The platforms that found the job: the Platform facet matches any of them."""
        return frozenset(s.platform for s in self.all_sources)

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
