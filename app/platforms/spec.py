"""What BidDesk knows about a platform as a whole: the shared type each platform module fills in.

Each platform module exposes a `SPEC` (app/platforms/__init__.py gathers them in `SPECS`):
whether it has a feed of opportunities and how often discovery may poll it within the
platform's documented request budget, the bid kinds it accepts and the default-bid rule's
parameters, the extra fields a proposal sent through it has (what the editor shows for the
route), and its label. The poller, the editor, the CLI and the demo read these instead of
branching on the platform; the rules themselves (`default_bid`, `budget_text`) live in
app/domain/bidding.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from app.domain import Platform
from app.domain.bidding import BidRule
from app.platforms.http import Window

__all__ = ["DAY", "PlatformSpec", "RequestBudget", "RouteField", "StatusPolling"]

DAY = 86_400.0


class RouteField(StrEnum):
    """A field a proposal sent through a route has, besides letter, answers and bid."""

    FREELANCER = "freelancer"  # which freelancer profile applies (UpHunt)
    TIMELINE = "timeline"  # the proposal's duration estimate (UpHunt)
    BOOST = "boost"  # Connects to boost the proposal with (UpHunt)
    SEND_TIME = "send_time"  # send later, at a chosen time (GigRadar's scheduling)


@dataclass(frozen=True, slots=True)
class RequestBudget:
    """The platform's documented request limits per key (None: no such limit)."""

    per_minute: int | None = None
    per_day: int | None = None

    @classmethod
    def of(cls, windows: Iterable[Window]) -> RequestBudget:
        """The budget the client's rate limiter enforces (its minute and day windows)."""
        by_span = {w.seconds: w.limit for w in windows}
        return cls(per_minute=by_span.get(60.0), per_day=by_span.get(DAY))


@dataclass(frozen=True, slots=True)
class StatusPolling:
    """How to follow a sent proposal until the platform settles it (platform seconds, divided
    by the account's speed): waits grow by `factor` from `first` up to `ceiling`, at most
    `max_polls` times or for `max_seconds`; with `fast_until`, a fast first phase and then
    `slow_interval`."""

    first: float
    factor: float
    ceiling: float
    max_polls: int | None = None
    max_seconds: float | None = None
    fast_until: float | None = None
    slow_interval: float | None = None


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    platform: Platform
    label: str
    color: str  # the badge colour in the window, readable on light and dark palettes
    budget: RequestBudget
    bids: BidRule
    status_polling: StatusPolling
    route_fields: frozenset[RouteField] = frozenset()
    # Discovery: seconds between rounds at speed 1; None when the platform has no feed.
    discovery_interval: float | None = None
    # Sends proposals to Upwork jobs found elsewhere (by their ciphertext): UpHunt.
    upwork_route: bool = False
    # Runs its own auto-bidder that may send for the same opportunity (GigRadar's scanners).
    auto_bidder: bool = False

    @property
    def feed(self) -> bool:
        """Whether the platform has opportunities to poll."""
        return self.discovery_interval is not None

    def has(self, field: RouteField) -> bool:
        return field in self.route_fields
