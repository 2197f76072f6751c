"""The sandbox's record of platform events, in the order they happened.

Each platform records what would trigger one of its webhooks (GigRadar opportunity
created / proposal updated, UpHunt application applied / failed, Gigiac task created,
proposal accepted / rejected, low balance). A webhook deliverer consumes this log: it reads
`since(seq)` or registers a listener, and builds each delivery from `envelope()`.

The log is bounded for a sandbox that runs for hours (at speed 120 about 200 events a real
minute): an event is kept while a platform could still be delivering it (the longest retry
schedule, UpHunt's +6 h of platform-apis.md §2.8, plus a margin: `KEEP_SANDBOX_SECONDS`), the
newest `min_keep` always (tests and `/_sandbox/events` readers at high speeds), and never
more than `maxlen`. Each event holds its payload as compact JSON bytes: a snapshot of the
state at that moment, as safe as a deep copy, at a third of its memory and cost.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.sandbox.clock import Clock
from app.sandbox.common import iso_pg, iso_z

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SandboxEvent:
    seq: int
    id: str  # stable per event: a deliverer uses it as the delivery id across retries
    platform: str  # "gigradar" | "uphunt" | "gigiac"
    type: str  # e.g. "GIGRADAR.OPPORTUNITY.CREATE", "application.applied", "task.created"
    at: float  # unix seconds
    # The payload as it was when recorded (compact JSON): nothing can change it afterwards,
    # and it costs a third of the dict tree a deep copy kept. `data` decodes a fresh copy.
    raw: bytes = field(repr=False)

    @property
    def data(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.raw)
        return value

    def envelope(self, *, strict: bool = False) -> dict[str, Any]:
        """The webhook body the platform would POST (platform-apis.md §1.10, §2.8, §3.9).

        `strict`: only what the documents describe. GigRadar's and Gigiac's envelopes are
        documented; UpHunt documents only the event names, so its body is the event and
        the status fields of `GET /status` minus `applicationStatus` (the receiver must
        go by the event's name); a Gigiac `task.created` carries the task's id and title
        under the names of the documented example (`task_id`, `task_title`).
        """
        payload = self.data
        if self.platform == "gigradar":
            return {"type": self.type, "data": payload}
        if strict and self.platform == "uphunt":
            documented = ("queueId", "jobId", "processedJobId", "appliedAt", "processedAt")
            data = {k: payload[k] for k in documented if k in payload}
            if payload.get("errorMessage"):
                data["errorMessage"] = payload["errorMessage"]
            return {"event": self.type, "data": data}
        if strict and self.platform == "gigiac" and self.type == "task.created":
            data = {"task_id": payload.get("task_id"), "task_title": payload.get("title")}
            return {"event": self.type, "timestamp": iso_pg(self.at), "data": data}
        if self.platform == "uphunt":
            return {
                "event": self.type,
                "deliveryId": f"dlv_{self.id.replace('-', '')[:26]}",
                "createdAt": iso_z(self.at),
                "data": payload,
            }
        return {"event": self.type, "timestamp": iso_pg(self.at), "data": payload}


Listener = Callable[[SandboxEvent], None]

# Sandbox seconds an event stays readable: as long as a platform may still be delivering it.
# The longest retry schedule is UpHunt's, its last retry 6 h after the first attempt
# (platform-apis.md §2.8 [P], deliverer.RETRY_SCHEDULES); 8 h leaves room for the attempts'
# timeouts. The deliverer holds what it is delivering itself: this is for readers of the log.
KEEP_SANDBOX_SECONDS = 8 * 3600.0


_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _encode(data: dict[str, Any]) -> bytes:
    return _DUMPS(data).encode()


class EventLog:
    """Bounded, append-only; sequence numbers keep increasing when old entries drop off.

    Kept: events younger than `keep_seconds` of sandbox time, and the newest `min_keep`
    whatever their age; at most `maxlen`."""

    def __init__(
        self,
        clock: Clock,
        maxlen: int = 20_000,
        *,
        keep_seconds: float = KEEP_SANDBOX_SECONDS,
        min_keep: int = 1_000,
    ) -> None:
        self._clock = clock
        self._items: deque[SandboxEvent] = deque(maxlen=maxlen)
        self.keep_seconds = keep_seconds
        self.min_keep = min_keep
        self._seq = 0
        self._listeners: list[Listener] = []
        # While a kept world is replayed (world.py), what happened in an earlier run is
        # not recorded again: no webhook announces an old job as new.
        self.muted = False

    def __len__(self) -> int:
        return len(self._items)

    @property
    def last_seq(self) -> int:
        return self._seq

    def record(self, platform: str, type_: str, data: dict[str, Any]) -> SandboxEvent:
        if self.muted:  # nothing is kept or delivered: no payload either
            return SandboxEvent(0, "", platform, type_, self._clock.wall(), b"{}")
        # Encoded now: the payload must show the state at the time of the event, not a live
        # view of an object that keeps changing.
        self._seq += 1
        now = self._clock.wall()
        event = SandboxEvent(self._seq, str(uuid.uuid4()), platform, type_, now, _encode(data))
        self._items.append(event)
        self._expire(now)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                logger.exception("sandbox event listener failed")
        return event

    def _expire(self, now: float) -> None:
        items = self._items
        oldest = now - self._clock.real(self.keep_seconds)
        while len(items) > self.min_keep and items[0].at < oldest:
            items.popleft()

    def since(
        self, seq: int = 0, *, platform: str | None = None, type_: str | None = None
    ) -> list[SandboxEvent]:
        """Events with a sequence number above `seq`, optionally of one platform/type."""
        if seq >= self._seq:
            return []
        return [
            e
            for e in self._items
            if e.seq > seq
            and (platform is None or e.platform == platform)
            and (type_ is None or e.type == type_)
        ]

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.remove(listener)
