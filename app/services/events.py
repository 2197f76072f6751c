"""Plain events the core publishes, and the bus that carries them.

The core never imports Qt: the GUI's bridge subscribes here and re-emits Qt signals; the
CLI subscribes to print progress. Subscribers are called synchronously on the loop's
thread, in subscription order; one failing subscriber is logged and does not stop the
others (a broken view must not break ingest).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from app.domain import Opportunity, Submission

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OpportunitiesAdded:
    opportunities: tuple[Opportunity, ...]


@dataclass(frozen=True, slots=True)
class OpportunitiesUpdated:
    opportunities: tuple[Opportunity, ...]


@dataclass(frozen=True, slots=True)
class OpportunitiesArchived:
    """Retention archived these by age: they leave the live inbox (still searchable)."""

    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SubmissionChanged:
    submission: Submission
    previous: Submission | None = None


@dataclass(frozen=True, slots=True)
class AccountStatus:
    """What the status bar shows per account."""

    account: str
    last_poll_at: datetime | None = None
    next_poll_at: datetime | None = None
    budget: dict[str, Any] = field(default_factory=dict)
    last_error: str | None = None
    note: str | None = None  # not an error: how the account works (e.g. webhook-only)


@dataclass(frozen=True, slots=True)
class CreditsLow:
    """A platform says the account's credit balance fell below its threshold."""

    account: str
    balance_cents: int | None
    threshold_cents: int | None


@dataclass(frozen=True, slots=True)
class RealtimeStatus:
    """What the status bar shows about webhooks: the tunnel, the public URL, the last
    delivery, which accounts have a working webhook, and the registrations (GigRadar's)
    still under way or failed, with the reason."""

    enabled: bool
    provider: str = "none"
    state: str = "off"  # a TunnelState value
    public_url: str | None = None
    message: str = ""
    last_delivery_at: datetime | None = None
    last_event: str | None = None
    deliveries: int = 0
    healthy_accounts: tuple[str, ...] = ()
    registering: tuple[str, ...] = ()  # accounts whose webhook is being registered
    registration_failures: tuple[tuple[str, str], ...] = ()  # (account, reason)


E = TypeVar("E")
Callback = Callable[[Any], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[tuple[type | None, Callback]] = []

    def subscribe(
        self, event_type: type[E] | None, callback: Callable[[E], None]
    ) -> Callable[[], None]:
        """Call `callback` for every event of `event_type` (None: every event).

        Returns a function that removes the subscription.
        """
        entry: tuple[type | None, Callback] = (event_type, callback)
        self._subscribers.append(entry)

        def unsubscribe() -> None:
            if entry in self._subscribers:
                self._subscribers.remove(entry)

        return unsubscribe

    def publish(self, event: object) -> None:
        for event_type, callback in tuple(self._subscribers):
            if event_type is None or isinstance(event, event_type):
                try:
                    callback(event)
                except Exception:
                    log.exception(
                        "event subscriber %r failed on %s", callback, type(event).__name__
                    )
