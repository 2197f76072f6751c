"""Per-key fixed-window request budgets, with windows compressed by the sandbox speed.

A window opens at the first request after the previous one expired and lasts
`length / speed` real seconds, so the reset instant is exact and the headers derived from
it (remaining, reset in unix seconds, Retry-After) agree with what the next request sees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.sandbox.clock import Clock

MINUTE = 60.0
DAY = 86_400.0


class Window:
    __slots__ = ("count", "length", "limit", "start")

    def __init__(self, limit: int, length: float) -> None:
        self.limit = limit
        self.length = length  # real seconds
        self.start = -math.inf
        self.count = 0

    def roll(self, now: float) -> None:
        if now >= self.start + self.length:
            self.start = now
            self.count = 0

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def reset_mono(self) -> float:
        return self.start + self.length


@dataclass(slots=True)
class RateDecision:
    allowed: bool
    windows: tuple[Window, ...]
    retry_after: int  # whole seconds, >= 1 when refused, else 0
    clock: Clock

    def reset_unix(self, window: Window) -> int:
        """The window's reset as unix seconds, rounded up so it is never early."""
        return math.ceil(self.clock.wall(window.reset_mono))

    def tightest(self) -> Window:
        """The window with the fewest requests left (the one a client should watch)."""
        return min(self.windows, key=lambda w: (w.remaining, -w.reset_mono))


class RateLimiter:
    """Holds every (key, bucket) window; a request must fit all the windows it names."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._windows: dict[tuple[str, str, str], Window] = {}

    def window(self, key: str, bucket: str, limit: int, sim_length: float) -> Window:
        ident = (key, bucket, f"{sim_length:g}")
        found = self._windows.get(ident)
        if found is None:
            found = Window(limit, self.clock.real(sim_length))
            self._windows[ident] = found
        return found

    def hit(self, windows: tuple[Window, ...]) -> RateDecision:
        now = self.clock.monotonic()
        exhausted: list[Window] = []
        for window in windows:
            window.roll(now)
            if window.count >= window.limit:
                exhausted.append(window)
        if exhausted:
            wait = max(w.reset_mono for w in exhausted) - now
            return RateDecision(False, windows, max(1, math.ceil(wait)), self.clock)
        for window in windows:
            window.count += 1
        return RateDecision(True, windows, 0, self.clock)

    def reset(self) -> None:
        self._windows.clear()
