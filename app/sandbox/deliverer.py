"""Webhook delivery, as the three platforms do it (platform-apis.md §1.10, §2.8, §3.9).

The deliverer listens to the sandbox's EventLog and POSTs each event's envelope to every
subscription that wants it: GigRadar's registered webhooks (`POST /webhooks`, with their
Basic credentials), and the UpHunt and Gigiac URLs a user would set in those platforms'
dashboards (here `POST /_sandbox/webhooks`: a URL, and optionally a signing secret). Like
the real services it retries a non-2xx answer or a timeout on each platform's schedule (compressed
by the sandbox's speed), keeps the delivery id stable across retries, and now and then
sends a delivery twice on purpose. For tests it can also drop or corrupt deliveries.

In strict mode (`biddesk sandbox --strict`: only what the documents describe) a delivery
carries nothing `[P]`: no signature, no `X-…-Event` / `X-GigRadar-Delivery` /
`X-Gigiac-Delivery` / timestamp headers, and the bodies of `SandboxEvent.envelope(strict)`
(UpHunt: the event name and the status fields, no `applicationStatus`). UpHunt's documented
`X-UpHunt-Delivery` and GigRadar's Basic credentials stay.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from app.sandbox.clock import Clock
from app.sandbox.events import EventLog, SandboxEvent
from app.sandbox.gigradar import GigRadarState

logger = logging.getLogger(__name__)

# Seconds after the first attempt, at speed 1 (§1.10, §2.8, §3.9 [P]).
RETRY_SCHEDULES: dict[str, tuple[float, ...]] = {
    "gigradar": (30, 120, 600, 1800, 7200),
    "uphunt": (60, 300, 1800, 7200, 21600),
    "gigiac": (30, 300, 1800, 7200),
}
TIMEOUTS = {"gigradar": 5.0, "uphunt": 10.0, "gigiac": 10.0}
DELIVERY_HEADERS = {
    "gigradar": "X-GigRadar-Delivery",
    "uphunt": "X-UpHunt-Delivery",
    "gigiac": "X-Gigiac-Delivery",
}
EVENT_HEADERS = {
    "gigradar": "X-GigRadar-Event",
    "uphunt": "X-UpHunt-Event",
    "gigiac": "X-Gigiac-Event",
}
SIGNATURE_HEADERS = {"uphunt": "X-UpHunt-Signature", "gigiac": "X-Gigiac-Signature"}
TIMESTAMP_HEADERS = {"uphunt": "X-UpHunt-Timestamp", "gigiac": "X-Gigiac-Timestamp"}
DOCUMENTED_HEADERS = {"uphunt": ("X-UpHunt-Delivery",)}  # what strict mode still sends
DASHBOARD_PLATFORMS = ("uphunt", "gigiac")


@dataclass
class WebhookFaults:
    """Probabilities per delivery; `duplicate` is the platforms' own habit, the rest are
    for tests."""

    duplicate: float = 0.02
    drop: float = 0.0  # never sent at all (and never retried)
    corrupt: float = 0.0  # the body is cut short: the receiver cannot parse it

    def update(self, values: dict[str, Any]) -> None:
        for name in ("duplicate", "drop", "corrupt"):
            if name in values:
                value = float(values[name])
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"{name} must be between 0 and 1")
                setattr(self, name, value)


@dataclass(frozen=True)
class Target:
    platform: str
    url: str
    username: str | None = None
    password: str | None = None
    secret: str | None = None


@dataclass
class Attempt:
    url: str
    event: str
    delivery_id: str
    attempt: int
    status: int | None  # None: timeout or connection error
    at: float = field(default_factory=time.time)


@dataclass
class DelivererStats:
    sent: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    duplicates: int = 0
    dropped: int = 0
    corrupted: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


ATTEMPTS_KEPT = 100  # delivery attempts the control API's webhook state lists


class Deliverer:
    def __init__(
        self,
        events: EventLog,
        gigradar: GigRadarState,
        clock: Clock,
        *,
        seed: int = 0,
        faults: WebhookFaults | None = None,
        strict: bool = False,
    ) -> None:
        self.events = events
        self.gigradar = gigradar
        self.clock = clock
        self.faults = faults or WebhookFaults()
        self.strict = strict
        self.dashboard: dict[str, Target] = {}  # UpHunt / Gigiac: set in their dashboards
        self.stats = DelivererStats()
        # The newest attempts, as the control API shows them (server.py). It kept 2,000,
        # ~0.5 KB each, which only filled the window's process: nothing read past 100.
        self.log: deque[Attempt] = deque(maxlen=ATTEMPTS_KEPT)
        self._rng = random.Random(f"webhooks:{seed}")
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._session is not None:
            return
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=64),
            # Keep-alive like a real platform's delivery workers.
            headers={"User-Agent": "BidDesk-Sandbox-Webhooks/1"},
        )
        self.events.add_listener(self._on_event)

    async def stop(self) -> None:
        if self._session is None:
            return
        self.events.remove_listener(self._on_event)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._session.close()
        self._session = None
        # Let the closed connections' transports finish closing before the loop may end
        # (aiohttp's advice for a graceful shutdown of a ClientSession).
        await asyncio.sleep(0)

    async def idle(self) -> None:
        """Until no delivery is in flight or waiting for a retry (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- subscriptions ---------------------------------------------------------------------

    def set_dashboard(self, platform: str, url: str, secret: str | None = None) -> None:
        """What a user sets in UpHunt's or Gigiac's dashboard: the URL, and a signing secret
        where the platform would take one ([P]; never used in strict mode)."""
        if platform not in DASHBOARD_PLATFORMS:
            raise ValueError(f"platform must be one of {', '.join(DASHBOARD_PLATFORMS)}")
        if not url.startswith(("http://", "https://")):
            raise ValueError("a webhook needs an http(s) url")
        self.dashboard[platform] = Target(platform, url, secret=secret or None)

    def targets(self, event: SandboxEvent) -> list[Target]:
        if event.platform == "gigradar":
            return [
                Target("gigradar", hook.url, hook.username, hook.password)
                for hook in self.gigradar.webhooks.values()
                if hook.enabled and event.type in hook.scopes
            ]
        target = self.dashboard.get(event.platform)
        return [] if target is None else [target]

    # -- delivery --------------------------------------------------------------------------

    def _on_event(self, event: SandboxEvent) -> None:
        if self._session is None:
            return
        for target in self.targets(event):
            copies = 2 if self._rng.random() < self.faults.duplicate else 1
            self.stats.duplicates += copies - 1
            for _ in range(copies):
                self._spawn(self._deliver(event, target))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _body(self, event: SandboxEvent) -> bytes:
        body = json.dumps(event.envelope(strict=self.strict), separators=(",", ":")).encode()
        if self._rng.random() < self.faults.corrupt:
            self.stats.corrupted += 1
            return body[: max(1, len(body) // 2)]
        return body

    def _headers(self, event: SandboxEvent, target: Target, body: bytes) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        delivery = DELIVERY_HEADERS[event.platform]
        if not self.strict or delivery in DOCUMENTED_HEADERS.get(event.platform, ()):
            headers[delivery] = event.id
        if not self.strict:
            headers[EVENT_HEADERS[event.platform]] = event.type
        if target.username is not None:
            token = base64.b64encode(f"{target.username}:{target.password or ''}".encode())
            headers["Authorization"] = "Basic " + token.decode()
        if target.secret and not self.strict:
            digest = hmac.new(target.secret.encode(), body, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADERS[event.platform]] = "sha256=" + digest
            headers[TIMESTAMP_HEADERS[event.platform]] = str(int(event.at))
        return headers

    async def _deliver(self, event: SandboxEvent, target: Target) -> None:
        if self._rng.random() < self.faults.drop:
            self.stats.dropped += 1
            return
        body = self._body(event)
        headers = self._headers(event, target, body)
        schedule = RETRY_SCHEDULES[event.platform]
        timeout = aiohttp.ClientTimeout(total=TIMEOUTS[event.platform])
        for attempt in range(len(schedule) + 1):
            if attempt:
                self.stats.retried += 1
                wait = schedule[attempt - 1] - (schedule[attempt - 2] if attempt > 1 else 0)
                await asyncio.sleep(self.clock.real(wait))
            status = await self._post(target.url, body, headers, timeout)
            self.log.append(Attempt(target.url, event.type, event.id, attempt + 1, status))
            if status is not None and 200 <= status < 300:
                self.stats.delivered += 1
                return
        self.stats.failed += 1
        logger.info("sandbox: gave up delivering %s to %s", event.type, target.url)

    async def _post(
        self, url: str, body: bytes, headers: dict[str, str], timeout: aiohttp.ClientTimeout
    ) -> int | None:
        assert self._session is not None
        self.stats.sent += 1
        try:
            async with self._session.post(url, data=body, headers=headers, timeout=timeout) as r:
                await r.read()
                return r.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            logger.debug("sandbox: delivery to %s failed: %s", url, exc)
            return None
