"""Sandbox time: a speed factor over the monotonic clock, and a scheduler of due callbacks.

Timestamps the sandbox shows to clients stay real wall-clock time (so "published 5 minutes
ago" means what it says); only durations the sandbox invents (lifecycle delays, arrivals,
rate-limit windows) are divided by `speed`. Every state change happens in
`Scheduler.advance(now)`, driven both by a loop timer (so events are produced for webhook
delivery even when nobody polls) and by each incoming request (so a read never shows a
state older than its due time).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
import time
from collections.abc import Callable, Iterator

logger = logging.getLogger(__name__)


class Clock:
    """Real monotonic time with a wall-clock mapping fixed at creation."""

    def __init__(self, speed: float = 1.0) -> None:
        if not speed > 0 or math.isinf(speed):
            raise ValueError(f"speed must be a positive finite number, got {speed!r}")
        self.speed = float(speed)
        self._mono0 = time.monotonic()
        # Derive wall time from the monotonic clock so NTP steps never move sandbox time
        # backwards (a reset header or a `sent` stamp earlier than its `scheduledAt`).
        self._wall0 = time.time()
        self._pinned: float | None = None

    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self, mono: float | None = None) -> float:
        """Unix seconds at monotonic instant `mono` (default: now, or the pinned time)."""
        if mono is None and self._pinned is not None:
            return self._pinned
        return self._wall0 + ((self.monotonic() if mono is None else mono) - self._mono0)

    @contextlib.contextmanager
    def pinned(self, wall: float) -> Iterator[None]:
        """`wall()` answers `wall` inside the block: a kept world (world.py) is rebuilt at
        the times it was first built, so the same seed gives the same ids and timestamps."""
        previous, self._pinned = self._pinned, wall
        try:
            yield
        finally:
            self._pinned = previous

    def mono_at_wall(self, wall: float) -> float:
        return self._mono0 + (wall - self._wall0)

    def real(self, sim_seconds: float) -> float:
        """Real seconds that `sim_seconds` of sandbox time take at this speed."""
        return sim_seconds / self.speed


class ManualClock(Clock):
    """A clock that only moves when told to: for unit tests of the state machines."""

    def __init__(self, speed: float = 1.0, start: float = 1000.0) -> None:
        super().__init__(speed)
        self._now = start
        self._mono0 = start

    def monotonic(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


Callback = Callable[[], None]


class Scheduler:
    """A heap of (due monotonic time, callback), run in order by `advance`.

    Callbacks are plain synchronous functions: they only mutate in-memory state and record
    events, so running them inline (from a timer or a request) is cheap and never blocks.
    A callback that no longer applies (application rescheduled, proposal withdrawn) checks
    its own generation token and returns; nothing is ever removed from the heap.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[tuple[float, int, Callback]] = []
        self._seq = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due = math.inf
        self._running = False

    def __len__(self) -> int:
        return len(self._heap)

    def call_at(self, due: float, callback: Callback) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), callback))
        if self._loop is not None and due < self._timer_due:
            self._arm(due)

    def call_later(self, real_delay: float, callback: Callback) -> None:
        self.call_at(self.clock.monotonic() + max(0.0, real_delay), callback)

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def advance(self, now: float | None = None) -> int:
        """Run every callback due at or before `now`; returns how many ran."""
        if self._running:  # a callback that triggers a read must not recurse
            return 0
        current = self.clock.monotonic() if now is None else now
        ran = 0
        self._running = True
        try:
            heap = self._heap
            while heap and heap[0][0] <= current:
                _, _, callback = heapq.heappop(heap)
                ran += 1
                try:
                    callback()
                except Exception:
                    # One broken transition must not stall every later one.
                    logger.exception("sandbox lifecycle callback failed")
        finally:
            self._running = False
        return ran

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        if self._heap:
            self._arm(self._heap[0][0])

    def detach(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_due = math.inf
        self._loop = None

    def _arm(self, due: float) -> None:
        assert self._loop is not None
        if self._timer is not None:
            self._timer.cancel()
        delay = max(0.0, due - self.clock.monotonic())
        self._timer_due = due
        self._timer = self._loop.call_at(self._loop.time() + delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_due = math.inf
        # asyncio may fire a timer up to its clock resolution early; a millisecond of slack
        # avoids re-arming a zero-delay timer in a tight loop.
        self.advance(self.clock.monotonic() + 0.001)
        if self._loop is not None and self._heap:
            self._arm(self._heap[0][0])
