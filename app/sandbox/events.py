"""The sandbox's record of platform events, in the order they happened.

Each platform records what would trigger one of its webhooks (GigRadar opportunity
created / proposal updated, UpHunt application applied / failed, Gigiac task created,
proposal accepted / rejected, low balance). A webhook deliverer consumes this log: it reads
`since(seq)` or registers a listener, and builds each delivery from `envelope()`.
"""

from __future__ import annotations

import copy
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
    data: dict[str, Any] = field(repr=False)

    def envelope(self, *, strict: bool = False) -> dict[str, Any]:
        """The webhook body the platform would POST (platform-apis.md §1.10, §2.8, §3.9).

        `strict`: only what the documents describe. GigRadar's and Gigiac's envelopes are
        documented; UpHunt documents only the event names, so its body is the event and
        the status fields of `GET /status` minus `applicationStatus` (the receiver must
        go by the event's name); a Gigiac `task.created` carries the task's id and title
        under the names of the documented example (`task_id`, `task_title`).
        """
        if self.platform == "gigradar":
            return {"type": self.type, "data": self.data}
        if strict and self.platform == "uphunt":
            documented = ("queueId", "jobId", "processedJobId", "appliedAt", "processedAt")
            data = {k: self.data[k] for k in documented if k in self.data}
            if self.data.get("errorMessage"):
                data["errorMessage"] = self.data["errorMessage"]
            return {"event": self.type, "data": data}
        if strict and self.platform == "gigiac" and self.type == "task.created":
            data = {"task_id": self.data.get("task_id"), "task_title": self.data.get("title")}
            return {"event": self.type, "timestamp": iso_pg(self.at), "data": data}
        if self.platform == "uphunt":
            return {
                "event": self.type,
                "deliveryId": f"dlv_{self.id.replace('-', '')[:26]}",
                "createdAt": iso_z(self.at),
                "data": self.data,
            }
        return {"event": self.type, "timestamp": iso_pg(self.at), "data": self.data}


Listener = Callable[[SandboxEvent], None]


class EventLog:
    """Bounded, append-only; sequence numbers keep increasing when old entries drop off."""

    def __init__(self, clock: Clock, maxlen: int = 20_000) -> None:
        self._clock = clock
        self._items: deque[SandboxEvent] = deque(maxlen=maxlen)
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
        if self.muted:
            return SandboxEvent(0, "", platform, type_, self._clock.wall(), data)
        self._seq += 1
        # Deep copy: the payload must show the state at the time of the event, not a live
        # view of an object that keeps changing.
        event = SandboxEvent(
            self._seq, str(uuid.uuid4()), platform, type_, self._clock.wall(), copy.deepcopy(data)
        )
        self._items.append(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                logger.exception("sandbox event listener failed")
        return event

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
