"""A sandbox that runs for days of its own time stays bounded, and what the documents let a
client read back still reads back (app/sandbox: events.py, gigradar.py, gigiac.py, data.py).

Driven by a manual clock: three simulated days of arrivals (~4,300 GigRadar opportunities,
~2,900 Gigiac tasks) in a second or two, no server, no sleeps."""

from __future__ import annotations

import json
import random
from collections import deque
from typing import Any

from app.sandbox.clock import ManualClock, Scheduler
from app.sandbox.data import UpworkUniverse
from app.sandbox.deliverer import ATTEMPTS_KEPT, RETRY_SCHEDULES, TIMEOUTS, Deliverer, Target
from app.sandbox.events import KEEP_SANDBOX_SECONDS, EventLog, SandboxEvent
from app.sandbox.faults import FaultInjector
from app.sandbox.gigiac import GigiacState
from app.sandbox.gigradar import GigRadarState
from app.sandbox.platform import Journal, SandboxContext
from app.sandbox.ratelimit import RateLimiter
from app.sandbox.uphunt import UpHuntState

HOUR = 3600.0
KEEP = 300  # a small window, so three days cross it many times over


class World:
    def __init__(self) -> None:
        self.clock = ManualClock(speed=1.0)
        self.ctx = SandboxContext(
            clock=self.clock,
            scheduler=Scheduler(self.clock),
            limiter=RateLimiter(self.clock),
            faults=FaultInjector(),
            events=EventLog(self.clock),
            seed=11,
            timeout_hold=1.0,
            journal=Journal(),
        )
        data_rng = random.Random("data:11")
        self.universe = UpworkUniverse(random.Random("universe:11"))
        self.gigradar = GigRadarState(self.ctx, self.universe, data_rng, keep=KEEP)
        self.uphunt = UpHuntState(self.ctx, self.universe, data_rng)
        self.gigiac = GigiacState(self.ctx, data_rng, keep=KEEP)
        self.gigradar.schedule_arrival()
        self.gigiac.schedule_arrival()

    def run(self, hours: float) -> None:
        """Sandbox time passes five seconds at a time, as the lifecycle timer runs it."""
        for _ in range(int(hours * 720)):
            self.clock.advance(5.0)
            self.ctx.scheduler.advance()

    def containers(self) -> dict[str, int]:
        """The size of every container each part of the sandbox holds, by name."""
        sizes: dict[str, int] = {}
        parts = {
            "gigradar": self.gigradar,
            "gigiac": self.gigiac,
            "uphunt": self.uphunt,
            "universe": self.universe,
            "events": self.ctx.events,
            "scheduler": self.ctx.scheduler,
        }
        for name, part in parts.items():
            for attr, value in vars(part).items():
                if isinstance(value, dict | list | set | deque):
                    sizes[f"{name}.{attr}"] = len(value)
        return sizes


def test_the_event_log_keeps_every_event_a_platform_may_still_deliver() -> None:
    longest = max(
        schedule[-1] + TIMEOUTS[platform] * (len(schedule) + 1)
        for platform, schedule in RETRY_SCHEDULES.items()
    )
    assert longest <= KEEP_SANDBOX_SECONDS


def test_three_days_of_arrivals_stay_bounded_and_readable() -> None:
    world = World()
    world.run(1)
    gigradar, gigiac, uphunt = world.gigradar, world.gigiac, world.uphunt
    # What a client does in the first hour, and must still find days later.
    applied = max(gigradar.opportunities.values(), key=lambda o: o.sort_key)
    gigradar.create_application(applied, "A letter [[sim:sent]]", None, [], world.clock.wall())
    queued_job = next(
        o.job for o in gigradar.opportunities.values() if o is not applied and o.job.is_open
    )
    item = uphunt.enqueue(
        queued_job,
        profile_id=uphunt.default_profile_id,
        cover_letter="A letter",
        proposal={},
        auto_fill=False,
        question_answers=[],
    )
    task: dict[str, Any] = gigiac.newest_tasks()[0]
    proposal = gigiac.propose(task, 5000, "A letter", None)

    world.run(24)
    after_one_day = world.containers()
    world.run(48)
    after_three_days = world.containers()

    arrived = world.ctx.events.last_seq
    assert arrived > 6_000  # the days did happen: about 4,300 opportunities, 2,900 tasks
    # Nothing grows with the days (the clients new jobs are drawn among included), except
    # the kept world's journal (one entry per arrival).
    growing = {
        name: (after_one_day[name], size)
        for name, size in after_three_days.items()
        if size > after_one_day[name] + 50 and name != "universe.rng"
    }
    assert growing == {}, f"containers that keep growing: {growing}"
    assert len(gigradar.opportunities) <= KEEP + 1
    assert len(gigiac.tasks) <= KEEP + 1
    assert len(world.universe.jobs) <= KEEP + 1 + len(uphunt.extra_ciphertexts) + 1
    # A client is held while one of its jobs is.
    assert len(world.universe.clients) <= len(world.universe.jobs)
    assert len(world.ctx.events) <= world.ctx.events.min_keep

    # Read-back: what the client applied to stays, with its outcome; the newest arrivals
    # are there; the oldest untouched ones are gone (their reads answer 404).
    assert gigradar.opportunities[applied.id].application is not None
    assert gigradar.opportunities[applied.id].application.sent is not None  # type: ignore[union-attr]
    assert uphunt.resolve(queued_job.ciphertext) is queued_job
    assert uphunt.queue[item.queue_id].status != "processing"
    assert gigiac.tasks[task["id"]] is task
    assert gigiac.proposals[proposal.id].status in ("accepted", "rejected")
    assert all(uphunt.resolve(c) is not None for c in uphunt.extra_ciphertexts)
    newest = max(gigradar.opportunities.values(), key=lambda o: o.sort_key)
    assert world.universe.get(newest.job.ciphertext) is newest.job
    # Every event of the last eight hours is still in the log, in order.
    recent = [e for e in world.ctx.events.since(0) if e.at >= world.clock.wall() - 8 * HOUR]
    seqs = [e.seq for e in recent]
    assert seqs == list(range(seqs[0], world.ctx.events.last_seq + 1))


def test_an_event_shows_the_state_when_it_happened() -> None:
    world = World()
    payload: dict[str, Any] = {"job": {"status": "open"}, "tags": ["a"]}
    event = world.ctx.events.record("gigradar", "GIGRADAR.OPPORTUNITY.CREATE", payload)
    payload["job"]["status"] = "closed"
    payload["tags"].append("b")
    assert event.data == {"job": {"status": "open"}, "tags": ["a"]}
    event.data["job"]["status"] = "changed by a reader"
    assert event.envelope()["data"]["job"]["status"] == "open"


def test_the_journal_is_kept_encoded_and_saved_as_before() -> None:
    from app.sandbox import world as kept

    entries: list[dict[str, Any]] = [
        {"platform": "gigradar", "gap": True} if i % 2 else {"platform": "gigiac", "at": i + 0.5}
        for i in range(2_345)  # across chunks
    ]
    entries.append({"platform": "gigradar", "at": 1.0, "overrides": {"title": "Café \x00 ünïcode"}})
    journal = Journal(entries)
    assert len(journal) == len(entries)
    assert journal.entries() == entries
    document = {"version": 1, "journal": journal, "state": {"x": "\x00journal\x00"}}
    assert json.loads(kept.encode(document)) == {**document, "journal": entries}
    assert json.loads(Journal().encoded()) == []


async def test_the_deliverer_keeps_the_attempts_the_control_api_shows() -> None:
    """Each delivery attempt is logged for the control API's webhook state, which lists
    the newest ATTEMPTS_KEPT; an hour at x120 makes ~12,000, and the log held 2,000."""
    clock = ManualClock(speed=1.0)
    deliverer = Deliverer(EventLog(clock), None, clock)  # type: ignore[arg-type]

    async def answered(*_args: Any) -> int:
        return 200

    deliverer._post = answered  # type: ignore[method-assign,assignment]
    target = Target("gigradar", "http://127.0.0.1:9/hook")
    for n in range(3 * ATTEMPTS_KEPT):
        event = SandboxEvent(n, f"event-{n}", "gigradar", "GIGRADAR.OPPORTUNITY.CREATE", 0.0, b"{}")
        await deliverer._deliver(event, target)
    assert deliverer.stats.delivered == 3 * ATTEMPTS_KEPT
    assert len(deliverer.log) == ATTEMPTS_KEPT
    assert [a.delivery_id for a in deliverer.log][-1] == f"event-{3 * ATTEMPTS_KEPT - 1}"
