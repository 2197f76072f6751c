"""Shared fixtures for the platform-client tests: a fake clock and a recording transport.

No test here opens a socket or sleeps for real: `FakeTime.sleep` advances a fake clock,
and `Wire` answers requests through `httpx.MockTransport`, recording each one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from app.platforms.http import RateLimiter, Window


class FakeTime:
    """A monotonic clock, a wall clock and an asyncio sleep that only move the clock."""

    def __init__(self, start: float = 1_000.0, wall_start: float = 1_750_000_000.0) -> None:
        self.now = start
        self._wall_offset = wall_start - start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now + self._wall_offset

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)

    def limiter(self, limits: dict[str, Sequence[Window]], **kw: Any) -> RateLimiter:
        kw.setdefault("margin", 0.0)
        return RateLimiter(limits, clock=self.clock, wall=self.wall, sleep=self.sleep, **kw)


@dataclass
class R:
    """A reply spec: builds a fresh httpx.Response for every request it answers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None

    def build(self, request: httpx.Request) -> httpx.Response:
        if self.raw is not None:
            content = self.raw
        elif self.body is None:
            content = b""
        else:
            content = json.dumps(self.body).encode()
        headers = {"content-type": "application/json", **self.headers}
        return httpx.Response(self.status, content=content, headers=headers, request=request)


Reply = R | type[httpx.TransportError] | Callable[[httpx.Request], httpx.Response]


class Wire:
    """Routes `(method, path)` to queued replies (the last one repeats) and records every
    request. Paths are relative to `base_path`, the base URL's path."""

    def __init__(self, base_path: str = "") -> None:
        self.base_path = base_path.rstrip("/")
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *replies: Reply) -> Wire:
        self.routes[(method.upper(), self.base_path + path)] = list(replies) or [R()]
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, request.url.path)
        queue = self.routes.get(key)
        if queue is None:
            return httpx.Response(404, json={"error": f"no route {key}"}, request=request)
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(reply, R):
            return reply.build(request)
        if isinstance(reply, type) and issubclass(reply, httpx.TransportError):
            raise reply("simulated network failure", request=request)
        assert callable(reply)
        return reply(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        full = self.base_path + path
        return [r for r in self.requests if r.method == method and r.url.path == full]

    @staticmethod
    def body(request: httpx.Request) -> Any:
        return json.loads(request.content)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()
