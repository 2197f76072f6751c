"""Notifications: which events reach the user, and when (quiet hours, bursts). No Qt.

Time is a manual clock: the burst window's timer fires when the test advances the clock,
so nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from app.domain import Platform, Submission, SubmissionState
from app.domain.filters import FilterSpec
from app.domain.submission import Failure, FailureReason, Outcome
from app.services.events import EventBus, OpportunitiesAdded, SubmissionChanged
from app.services.notifications import (
    RULES_KEY,
    Notification,
    NotificationKind,
    NotificationRules,
    NotificationService,
)
from app.store import Store
from tests.services.conftest import make_opportunity

TZ = timezone(timedelta(hours=2))


@dataclass
class _Timer:
    due: datetime
    callback: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class ManualClock:
    now: datetime
    timers: list[_Timer] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Timer:
        timer = _Timer(self.now + timedelta(seconds=delay), callback)
        self.timers.append(timer)
        return timer

    def advance(self, seconds: float) -> None:
        end = self.now + timedelta(seconds=seconds)
        while True:
            due = sorted(
                (t for t in self.timers if not t.cancelled and t.due <= end), key=lambda t: t.due
            )
            if not due:
                break
            timer = due[0]
            self.timers.remove(timer)
            self.now = timer.due
            timer.callback()
        self.now = end


@dataclass
class Desk:
    store: Store
    bus: EventBus
    clock: ManualClock
    shown: list[Notification]
    service: NotificationService

    def add(self, *ext: str, **kw: object) -> list[str]:
        opps = [make_opportunity(Platform.GIGIAC, ext=e, **kw) for e in ext]
        self.store.opportunities.upsert_many(opps)
        self.bus.publish(OpportunitiesAdded(tuple(opps)))
        return [o.key for o in opps]


REACT = FilterSpec(text="react").to_json()
PYTHON = FilterSpec(text="django", platforms=frozenset({Platform.GIGIAC})).to_json()


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    store = Store.open(tmp_path)
    store.settings.set("ui.saved_filters", {"React jobs": REACT, "Django": PYTHON})
    store.settings.set(RULES_KEY, NotificationRules(filters=frozenset({"React jobs"})).to_dict())
    bus = EventBus()
    clock = ManualClock(datetime(2026, 3, 2, 14, 0, tzinfo=TZ))
    shown: list[Notification] = []
    service = NotificationService(
        store.settings,
        store.opportunities,
        bus,
        shown.append,
        clock=clock,
        call_later=clock.call_later,
        burst_seconds=30,
    )
    yield Desk(store, bus, clock, shown, service)
    service.detach()
    store.close()


def test_a_new_opportunity_matching_a_chosen_filter_notifies(desk: Desk) -> None:
    (key,) = desk.add("r1", title="React admin panel for a logistics startup")
    assert len(desk.shown) == 1
    note = desk.shown[0]
    assert note.kind is NotificationKind.MATCH
    assert note.opportunity_key == key
    assert note.title == "New match: React jobs"
    assert "React admin panel" in note.body
    assert [m.key for m in desk.service.unread_matches()] == [key]


def test_a_non_match_or_an_unchosen_filter_stays_silent(desk: Desk) -> None:
    desk.add("v1", title="Vue storefront", description="Nuxt", skills=("Vue",))
    desk.add("d1", title="Django API", description="REST", skills=("Python",))  # not chosen
    assert desk.shown == []
    assert desk.service.unread_matches() == []


def test_rules_persist_and_a_deleted_saved_filter_is_ignored(desk: Desk) -> None:
    rules = NotificationRules(filters=frozenset({"Django", "Gone"}), submissions=False)
    desk.service.set_rules(rules)
    assert NotificationRules.from_dict(desk.store.settings.get(RULES_KEY)) == rules
    desk.add("d1", title="Django API", description="REST", skills=("Python",))
    assert [n.title for n in desk.shown] == ["New match: Django"]


def test_every_unread_match_counts_not_only_the_latest(desk: Desk) -> None:
    keys = desk.add(*(f"r{i}" for i in range(70)), title="React job")
    assert len(desk.service.recent_matches()) == 50  # the menu's memory is short
    assert len(desk.service.unread_matches()) == 70  # the badge's is not
    for key in keys[:30]:
        desk.store.opportunities.set_read(key)
    desk.store.opportunities.set_archived(keys[30])
    assert len(desk.service.unread_matches()) == 39


def test_reading_the_opportunity_clears_it_from_the_unread_matches(desk: Desk) -> None:
    (key,) = desk.add("r1", title="React dashboard")
    desk.store.opportunities.set_read(key)
    assert desk.service.unread_matches() == []
    assert [m.key for m in desk.service.recent_matches()] == [key]


@pytest.mark.parametrize(
    ("start", "end", "at", "quiet"),
    [
        ("22:00", "07:00", "23:30", True),  # across midnight, before it
        ("22:00", "07:00", "03:00", True),  # across midnight, after it
        ("22:00", "07:00", "07:00", False),  # the end is excluded
        ("22:00", "07:00", "14:00", False),
        ("12:00", "13:00", "12:30", True),
        ("12:00", "13:00", "13:30", False),
        ("09:00", "09:00", "09:00", False),  # equal ends: no quiet hours
    ],
)
def test_quiet_hours(start: str, end: str, at: str, quiet: bool) -> None:
    rules = NotificationRules(
        quiet_from=time.fromisoformat(start), quiet_to=time.fromisoformat(end)
    )
    assert rules.quiet_at(time.fromisoformat(at)) is quiet


def test_quiet_hours_suppress_but_still_count_the_match(desk: Desk) -> None:
    desk.service.set_rules(
        NotificationRules(
            filters=frozenset({"React jobs"}), quiet_from=time(22, 0), quiet_to=time(7, 0)
        )
    )
    desk.clock.now = datetime(2026, 3, 2, 23, 45, tzinfo=TZ)
    (key,) = desk.add("r1", title="React at night")
    assert desk.shown == []
    assert [m.key for m in desk.service.unread_matches()] == [key]
    desk.clock.now = datetime(2026, 3, 3, 7, 0, tzinfo=TZ)  # the morning: quiet is over
    desk.add("r2", title="React in the morning")
    assert [n.opportunity_key for n in desk.shown] == ["gigiac:r2"]


def test_a_burst_becomes_one_summary_at_the_end_of_the_window(desk: Desk) -> None:
    desk.add("r0", title="React first")
    assert len(desk.shown) == 1  # the first goes at once
    for i in range(1, 13):
        desk.clock.advance(1)
        desk.add(f"r{i}", title=f"React job {i}")
    assert len(desk.shown) == 1  # the rest wait for the window to end
    desk.clock.advance(30)
    assert len(desk.shown) == 2
    summary = desk.shown[1]
    assert summary.kind is NotificationKind.SUMMARY
    assert summary.title == "12 new matching opportunities"
    assert summary.opportunity_key is None
    assert "React job 1" in summary.body and "…and 9 more" in summary.body
    desk.clock.advance(120)  # nothing more arrives: the window closes
    desk.add("r99", title="React later")
    assert desk.shown[-1].kind is NotificationKind.MATCH
    assert len(desk.shown) == 3


def test_one_held_notification_is_delivered_as_itself(desk: Desk) -> None:
    desk.add("r0", title="React first")
    desk.clock.advance(5)
    desk.add("r1", title="React second")
    desk.clock.advance(30)
    assert [n.kind for n in desk.shown] == [NotificationKind.MATCH, NotificationKind.MATCH]
    assert desk.shown[1].opportunity_key == "gigiac:r1"


def _submission(key: str, **kw: object) -> Submission:
    base: dict[str, object] = dict(
        opportunity_key=key,
        platform=Platform.GIGIAC,
        account="gigiac-main",
        dedupe_key=key,
        cover_letter="Hello",
        state=SubmissionState.SUBMITTING,
    )
    base.update(kw)
    return Submission(**base)  # type: ignore[arg-type]


def test_submission_outcomes_notify_with_the_reason(desk: Desk) -> None:
    (key,) = desk.add("x1", title="Unrelated job", description="x", skills=())
    desk.service.burst_seconds = 0.001
    sending = _submission(key)
    sent = sending.model_copy(update={"state": SubmissionState.SUBMITTED})
    desk.bus.publish(SubmissionChanged(sent, sending))
    desk.clock.advance(1)
    accepted = sent.model_copy(update={"outcome": Outcome.ACCEPTED})
    desk.bus.publish(SubmissionChanged(accepted, sent))
    desk.clock.advance(1)
    desk.bus.publish(SubmissionChanged(sent.model_copy(update={"platform_status": "x"}), sent))
    failed = sending.model_copy(
        update={
            "state": SubmissionState.FAILED,
            "failure": Failure.of(FailureReason.JOB_UNAVAILABLE, "Task is not open"),
        }
    )
    desk.bus.publish(SubmissionChanged(failed, sending))
    desk.clock.advance(1)
    rejected = sent.model_copy(update={"outcome": Outcome.REJECTED})
    desk.bus.publish(SubmissionChanged(rejected, sent))
    desk.clock.advance(1)
    assert [(n.kind, n.title) for n in desk.shown] == [
        (NotificationKind.SUBMITTED, "Proposal sent"),
        (NotificationKind.ACCEPTED, "Proposal accepted"),
        (NotificationKind.FAILED, "Proposal not sent"),
        (NotificationKind.REJECTED, "Proposal declined"),
    ]
    assert all(n.opportunity_key == key for n in desk.shown)
    assert "Unrelated job" in desk.shown[0].body
    assert "no longer available (Task is not open)" in desk.shown[2].body


def test_submission_notifications_can_be_turned_off(desk: Desk) -> None:
    desk.service.set_rules(NotificationRules(submissions=False))
    sending = _submission("gigiac:x")
    desk.bus.publish(
        SubmissionChanged(sending.model_copy(update={"state": SubmissionState.SUBMITTED}), sending)
    )
    assert desk.shown == []


def test_detach_stops_listening_and_drops_the_held_burst(desk: Desk) -> None:
    desk.add("r0", title="React first")
    desk.add("r1", title="React second")
    desk.service.detach()
    desk.clock.advance(60)
    desk.add("r2", title="React third")
    assert len(desk.shown) == 1


def test_unreadable_rules_fall_back_to_the_defaults() -> None:
    assert NotificationRules.from_dict("nonsense") == NotificationRules()
    rules = NotificationRules.from_dict({"filters": ["a", 3], "quiet_from": "25:99"})
    assert rules.filters == frozenset({"a"}) and rules.quiet_from is None
