"""What deserves a notification, and when: rules, quiet hours, bursts. No Qt.

The service listens to the EventBus. A new opportunity that matches one of the saved
filters the user chose ("tell me when a new job matches *React remote*") and a
submission that was sent, failed, or was accepted or rejected each become a
`Notification` for the sink (the GUI's tray message or banner). Two things keep it
bearable:

- Quiet hours: a local time range, possibly across midnight (22:00–07:00), during which
  nothing is shown; the matches are still counted for the tray icon.
- Bursts: the first notification goes at once; what follows within `burst_seconds` is
  held and delivered as one summary ("12 new matching opportunities") when the window
  ends, and a new window starts — at most one notification per window, whatever comes.

The clock and the timer are injected, so tests step time instead of sleeping. Rules are
persisted in the store's settings under `RULES_KEY`; saved filters are read where the
filter bar keeps them (`SAVED_FILTERS_KEY`), by name.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from typing import Any, Protocol

from app.domain import Opportunity, Submission
from app.domain.filters import FilterSpec, RowPredicate, haystack
from app.domain.submission import Outcome, SubmissionState
from app.services.events import EventBus, OpportunitiesAdded, SubmissionChanged
from app.store.opportunities import OpportunityRepo
from app.store.settings import SettingsRepo

log = logging.getLogger(__name__)

RULES_KEY = "notifications.rules"
SAVED_FILTERS_KEY = "ui.saved_filters"
BURST_SECONDS = 30.0
RECENT_MATCHES = 50
UNREAD_TRACKED = 999  # the tray says "999+" beyond; older unread matches are let go
SUMMARY_TITLES = 3


class NotificationKind(StrEnum):
    MATCH = "match"
    SUBMITTED = "submitted"
    FAILED = "failed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUMMARY = "summary"


@dataclass(frozen=True, slots=True)
class Notification:
    title: str
    body: str
    opportunity_key: str | None
    kind: NotificationKind


@dataclass(frozen=True, slots=True)
class Match:
    """A new opportunity that matched a notification rule (for the tray menu and badge)."""

    key: str
    title: str
    filter_name: str
    at: datetime


def _parse_time(value: object) -> time | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class NotificationRules:
    """What the user asked to be told about (Preferences)."""

    filters: frozenset[str] = frozenset()  # names of saved filters
    submissions: bool = True
    quiet_from: time | None = None
    quiet_to: time | None = None

    def quiet_at(self, moment: time) -> bool:
        """Whether `moment` (local wall-clock time) falls in the quiet hours.

        The range includes its start and excludes its end; a start after the end crosses
        midnight; equal or missing ends mean no quiet hours.
        """
        start, end = self.quiet_from, self.quiet_to
        if start is None or end is None or start == end:
            return False
        if start < end:
            return start <= moment < end
        return moment >= start or moment < end

    def to_dict(self) -> dict[str, Any]:
        return {
            "filters": sorted(self.filters),
            "submissions": self.submissions,
            "quiet_from": self.quiet_from.strftime("%H:%M") if self.quiet_from else None,
            "quiet_to": self.quiet_to.strftime("%H:%M") if self.quiet_to else None,
        }

    @classmethod
    def from_dict(cls, value: object) -> NotificationRules:
        """Read what `to_dict` wrote; anything unreadable falls back to the default."""
        if not isinstance(value, Mapping):
            return cls()
        filters = value.get("filters")
        names = (
            frozenset(n for n in filters if isinstance(n, str))
            if isinstance(filters, list)
            else frozenset()
        )
        return cls(
            filters=names,
            submissions=bool(value.get("submissions", True)),
            quiet_from=_parse_time(value.get("quiet_from")),
            quiet_to=_parse_time(value.get("quiet_to")),
        )


class Cancellable(Protocol):
    def cancel(self) -> None: ...


Clock = Callable[[], datetime]
Scheduler = Callable[[float, Callable[[], None]], Cancellable]
Sink = Callable[[Notification], None]


def local_now() -> datetime:
    """Now, aware, in the computer's time zone: quiet hours are wall-clock hours."""
    return datetime.now().astimezone()


def _loop_call_later(delay: float, callback: Callable[[], None]) -> Cancellable:
    return asyncio.get_running_loop().call_later(delay, callback)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def summarize(pending: list[Notification]) -> Notification:
    """Several notifications held during a burst, as one."""
    if len(pending) == 1:
        return pending[0]
    keys = {n.opportunity_key for n in pending}
    key = next(iter(keys)) if len(keys) == 1 else None
    matches = [n for n in pending if n.kind is NotificationKind.MATCH]
    others = len(pending) - len(matches)
    if not others:
        title = f"{len(matches)} new matching opportunities"
        lines = [n.body.split("\n", 1)[0] for n in matches[:SUMMARY_TITLES]]
        if len(matches) > SUMMARY_TITLES:
            lines.append(f"…and {len(matches) - SUMMARY_TITLES} more")
        return Notification(title, "\n".join(lines), key, NotificationKind.SUMMARY)
    parts = []
    if matches:
        parts.append(
            _plural(len(matches), "new matching opportunity", "new matching opportunities")
        )
    parts.append(_plural(others, "proposal update", "proposal updates"))
    title = f"{len(pending)} BidDesk updates"
    return Notification(title, ", ".join(parts) + ".", key, NotificationKind.SUMMARY)


class NotificationService:
    """Turns bus events into notifications for `sink`; see the module docstring."""

    def __init__(
        self,
        settings: SettingsRepo,
        opportunities: OpportunityRepo,
        bus: EventBus,
        sink: Sink,
        *,
        clock: Clock = local_now,
        call_later: Scheduler = _loop_call_later,
        burst_seconds: float = BURST_SECONDS,
    ) -> None:
        self.settings = settings
        self.opportunities = opportunities
        self.sink = sink
        self._clock = clock
        self._call_later = call_later
        self.burst_seconds = burst_seconds
        self._rules = NotificationRules.from_dict(settings.get(RULES_KEY))
        self._recent: deque[Match] = deque(maxlen=RECENT_MATCHES)
        self._unread: dict[str, Match] = {}  # oldest first; pruned as they are read
        self._pending: list[Notification] = []
        self._window: Cancellable | None = None
        self._listeners: list[Callable[[], None]] = []
        self._unsubscribe = [
            bus.subscribe(OpportunitiesAdded, self._on_bus_opportunities_added),
            bus.subscribe(SubmissionChanged, self._on_bus_submission_changed),
        ]

    def detach(self) -> None:
        """Stop listening and drop what a burst still holds (the app is closing)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._window is not None:
            self._window.cancel()
            self._window = None
        self._pending.clear()

    # -- rules ----------------------------------------------------------------------------

    @property
    def rules(self) -> NotificationRules:
        return self._rules

    def set_rules(self, rules: NotificationRules) -> None:
        self.settings.set(RULES_KEY, rules.to_dict())
        self._rules = rules

    def saved_filters(self) -> dict[str, str]:
        """The filter bar's saved filters, name -> FilterSpec JSON."""
        saved = self.settings.get(SAVED_FILTERS_KEY, {})
        if not isinstance(saved, dict):
            return {}
        return {k: v for k, v in saved.items() if isinstance(k, str) and isinstance(v, str)}

    def _predicates(self, now: datetime) -> list[tuple[str, RowPredicate]]:
        saved = self.saved_filters()
        compiled = []
        for name in sorted(self._rules.filters):
            text = saved.get(name)
            if text is None:
                continue  # deleted or renamed in the filter bar since
            try:
                compiled.append((name, FilterSpec.from_json(text).compile(now)))
            except ValueError:
                log.info("saved filter %r is unreadable; it notifies nothing", name)
        return compiled

    # -- matches --------------------------------------------------------------------------

    def recent_matches(self) -> list[Match]:
        """Matches since the app started, newest first."""
        return list(reversed(self._recent))

    def unread_matches(self) -> list[Match]:
        """Matches since the app started that the user has not opened, newest first.

        A match leaves this list for good once its opportunity is read or archived, so
        each call asks the store only about the ones still waiting.
        """
        for key in list(self._unread):
            flags = self.opportunities.flags(key)
            if flags is None or flags.read or flags.archived:
                del self._unread[key]
        return list(reversed(self._unread.values()))

    def add_listener(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` whenever new matches arrive (the tray redraws its badge)."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def _on_bus_opportunities_added(self, event: OpportunitiesAdded) -> None:
        if not self._rules.filters:
            return
        now = self._clock()
        predicates = self._predicates(now)
        if not predicates:
            return
        found = list(self._match(event.opportunities, predicates, now))
        if not found:
            return
        for listener in tuple(self._listeners):
            listener()
        for opp, match in found:
            self._offer(
                Notification(
                    f"New match: {match.filter_name}",
                    f"{opp.title}\n{opp.platform.label}",
                    opp.key,
                    NotificationKind.MATCH,
                )
            )

    def _match(
        self,
        opportunities: Iterable[Opportunity],
        predicates: list[tuple[str, RowPredicate]],
        now: datetime,
    ) -> Iterable[tuple[Opportunity, Match]]:
        for opp in opportunities:
            text = haystack(opp)
            for name, predicate in predicates:
                if predicate(opp, text, "new"):
                    match = Match(opp.key, opp.title, name, now)
                    self._recent.append(match)
                    self._unread.pop(match.key, None)
                    self._unread[match.key] = match
                    while len(self._unread) > UNREAD_TRACKED:
                        del self._unread[next(iter(self._unread))]
                    yield opp, match
                    break

    # -- submissions ----------------------------------------------------------------------

    def _on_bus_submission_changed(self, event: SubmissionChanged) -> None:
        if not self._rules.submissions:
            return
        notification = self._submission_notification(event.submission, event.previous)
        if notification is not None:
            self._offer(notification)

    def _submission_notification(
        self, sub: Submission, previous: Submission | None
    ) -> Notification | None:
        was_state = previous.state if previous is not None else None
        was_outcome = previous.outcome if previous is not None else Outcome.NONE
        key = sub.opportunity_key
        opp = self.opportunities.get(key)
        job = opp.title if opp is not None else key
        if sub.outcome is not was_outcome and sub.outcome in (Outcome.ACCEPTED, Outcome.REJECTED):
            accepted = sub.outcome is Outcome.ACCEPTED
            return Notification(
                "Proposal accepted" if accepted else "Proposal declined",
                f"{job}\n{sub.platform.label}, {sub.account}",
                key,
                NotificationKind.ACCEPTED if accepted else NotificationKind.REJECTED,
            )
        if sub.state is was_state:
            return None
        if sub.state is SubmissionState.SUBMITTED:
            return Notification(
                "Proposal sent",
                f"{job}\n{sub.platform.label}, {sub.account}",
                key,
                NotificationKind.SUBMITTED,
            )
        if sub.state is SubmissionState.FAILED:
            reason = sub.failure.describe() if sub.failure is not None else "No reason given."
            return Notification(
                "Proposal not sent", f"{job}\n{reason}", key, NotificationKind.FAILED
            )
        return None

    # -- delivery -------------------------------------------------------------------------

    def _quiet(self) -> bool:
        return self._rules.quiet_at(self._clock().time())

    def _offer(self, notification: Notification) -> None:
        if self._quiet():
            log.debug("quiet hours: not showing %r", notification.title)
            return
        if self._window is not None:
            self._pending.append(notification)
            return
        self._deliver(notification)
        self._open_window()

    def _open_window(self) -> None:
        self._window = self._call_later(self.burst_seconds, self._on_window_ended)

    def _on_window_ended(self) -> None:
        self._window = None
        pending, self._pending = self._pending, []
        if not pending or self._quiet():
            return
        self._deliver(summarize(pending))
        self._open_window()

    def _deliver(self, notification: Notification) -> None:
        try:
            self.sink(notification)
        except Exception:
            log.exception("showing a notification failed")


__all__ = [
    "BURST_SECONDS",
    "RULES_KEY",
    "SAVED_FILTERS_KEY",
    "Match",
    "Notification",
    "NotificationKind",
    "NotificationRules",
    "NotificationService",
    "summarize",
]
