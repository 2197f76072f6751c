"""What the three platform emulators share: one request pipeline with per-platform hooks.

For every request under a platform's prefix: run due lifecycle steps, authenticate, charge
the rate budget, roll for a fault, run the handler, add the platform's headers, and apply
after-handler faults. Each platform only says how it authenticates, which budgets a route
spends, and how its errors and headers look.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from app.sandbox.clock import Clock, Scheduler
from app.sandbox.events import EventLog
from app.sandbox.faults import BEFORE_HANDLER, Fault, FaultInjector
from app.sandbox.ratelimit import RateDecision, RateLimiter, Window

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

logger = logging.getLogger(__name__)

KEY = web.RequestKey("sandbox_api_key", str)


@dataclass
class SandboxContext:
    """The pieces every platform emulator uses; owned by `Sandbox`."""

    clock: Clock
    scheduler: Scheduler
    limiter: RateLimiter
    faults: FaultInjector
    events: EventLog
    seed: int
    timeout_hold: float
    base_urls: dict[str, str] = field(default_factory=dict)
    closing: asyncio.Event | None = None  # set when the sandbox stops: held answers end
    # Documents-only mode (`biddesk sandbox --strict`): every `[P]` item of
    # platform-apis.md is left out (undocumented endpoints answer 404, no proposed
    # headers). The webhook deliverer reads the same flag.
    strict: bool = False
    # A kept world (world.py): each start's runtime streams (proposal ids, queue ids,
    # outcomes) get their own salt so a restart never hands out an id again, and every
    # arrival is journalled so the next start rebuilds the same jobs with the same ids.
    runtime_salt: str = ""
    journal: Journal | None = None

    def journal_entry(self, entry: dict[str, Any]) -> None:
        if self.journal is not None:
            self.journal.append(entry)

    async def hold(self, seconds: float) -> bool:
        """Wait `seconds` unless the sandbox stops first; True if it ran to the end."""
        if self.closing is None:
            await asyncio.sleep(seconds)
            return True
        if self.closing.is_set():
            return False
        try:
            async with asyncio.timeout(seconds):
                await self.closing.wait()
        except TimeoutError:
            return True
        return False


_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Journal:
    """A kept world's journal (world.py), held as the JSON it is saved as.

    One entry per arrival and per draw of an arrival gap, for as long as the world lives
    (at speed 120, 24,000 an hour). Each entry is encoded once, when it happens, so a save
    (every second while the world changes) joins bytes instead of encoding the whole
    journal again (measured: 45-80 ms on the loop per save after an hour at speed 120), and
    an entry costs ~45 bytes instead of a dict's ~250."""

    _CHUNK = 1_000

    def __init__(self, entries: Iterable[dict[str, Any]] = ()) -> None:
        self._chunks: list[bytes] = []  # _CHUNK entries each, joined by ","
        self._tail: list[bytes] = []
        self._count = 0
        for entry in entries:
            self.append(entry)

    def append(self, entry: dict[str, Any]) -> None:
        self._tail.append(_DUMPS(entry).encode())
        self._count += 1
        if len(self._tail) >= self._CHUNK:
            self._chunks.append(b",".join(self._tail))
            self._tail = []

    def __len__(self) -> int:
        return self._count

    def encoded(self) -> bytes:
        """The JSON array of every entry."""
        return b"[" + b",".join([*self._chunks, *self._tail]) + b"]"

    def entries(self) -> list[dict[str, Any]]:
        value: list[dict[str, Any]] = json.loads(self.encoded())
        return value


def journal_arrival(platform: str, at: float, overrides: dict[str, Any]) -> dict[str, Any]:
    """A kept world's journal entry for one arrival (world.py): overrides only when given,
    since the journal holds one per arrival for as long as the world lives."""
    entry: dict[str, Any] = {"platform": platform, "at": at}
    if overrides:
        entry["overrides"] = copy.deepcopy(overrides)
    return entry


def bearer_token(request: web.Request) -> str:
    """The token of an `Authorization: Bearer <token>` header; "" without one."""
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


class PlatformApi:
    """Base of the three emulators' HTTP faces. Subclasses fill in the hooks."""

    name = ""
    prefix = ""
    # Route names that only platform-apis.md proposes (`[P]`): left out in strict mode.
    undocumented: frozenset[str] = frozenset()
    # Whether the platform's documents promise `Retry-After` on a 429 (strict mode drops
    # the header where they do not).
    documents_retry_after = True

    def __init__(self, ctx: SandboxContext, api_key: str) -> None:
        self.ctx = ctx
        self.api_key = api_key

    # -- hooks -------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    def served_routes(self) -> list[web.RouteDef]:
        """`routes()`, without the undocumented ones in strict mode (they answer 404)."""
        routes = self.routes()
        if not self.ctx.strict:
            return routes
        return [r for r in routes if r.kwargs.get("name") not in self.undocumented]

    def _drop_proposed(self, response: web.StreamResponse) -> web.StreamResponse:
        if self.ctx.strict and not self.documents_retry_after:
            response.headers.popall("Retry-After", None)
        return response

    def authenticate(self, request: web.Request) -> str | None:
        raise NotImplementedError

    def auth_exempt(self, request: web.Request) -> bool:
        return False

    def rate_windows(self, request: web.Request, key: str) -> tuple[Window, ...]:
        return ()

    def error(
        self, request: web.Request, status: int, code: str, message: str, **extra: Any
    ) -> web.Response:
        raise NotImplementedError

    def unauthorized(self, request: web.Request) -> web.Response:
        return self.error(request, 401, "UNAUTHORIZED", "Missing or invalid API key")

    def rate_limited(
        self, request: web.Request, decision: RateDecision | None, retry_after: int
    ) -> web.Response:
        return self.error(
            request,
            429,
            "RATE_LIMITED",
            f"Rate limit exceeded; retry after {retry_after} seconds",
        )

    def base_headers(self, request: web.Request) -> dict[str, str]:
        return {}

    def rate_headers(self, decision: RateDecision) -> dict[str, str]:
        return {}

    def injected_rate_headers(
        self, request: web.Request, key: str | None, retry_after: int
    ) -> dict[str, str]:
        """Headers of a 429 fault: as if the budget were spent until Retry-After."""
        return {}

    # -- pipeline ------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.prefix + path

    async def dispatch(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.ctx.scheduler.advance()
        headers = self.base_headers(request)
        decision: RateDecision | None = None
        key: str | None = None
        if not self.auth_exempt(request):
            key = self.authenticate(request)
            if key is None:
                return self._finish(self.unauthorized(request), headers)
            request[KEY] = key
            windows = self.rate_windows(request, key)
            if windows:
                decision = self.ctx.limiter.hit(windows)
                headers.update(self.rate_headers(decision))
                if not decision.allowed:
                    headers["Retry-After"] = str(decision.retry_after)
                    refused = self.rate_limited(request, decision, decision.retry_after)
                    return self._drop_proposed(self._finish(refused, headers))
        fault = self.ctx.faults.pick(self.name, request.method, request.path)
        if fault is not None and fault.kind in BEFORE_HANDLER:
            return self._drop_proposed(self._before_handler_fault(request, fault, key, headers))
        response: web.StreamResponse
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = self._http_exception(request, exc)
        response = self._finish(response, headers)
        if fault is not None:
            return await self._after_handler_fault(request, fault, response)
        return response

    def _finish(self, response: web.StreamResponse, headers: dict[str, str]) -> web.StreamResponse:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    def _http_exception(self, request: web.Request, exc: web.HTTPException) -> web.Response:
        # Strict mode answers 404 for a method the documents do not list on a known path
        # (GET /webhooks where only POST is documented), as an independent stand-in does.
        if exc.status == 404 or (exc.status == 405 and self.ctx.strict):
            return self.error(
                request, 404, "NOT_FOUND", f"No route for {request.method} {request.path}"
            )
        if exc.status == 405 and not self.ctx.strict:
            return self.error(
                request,
                405,
                "METHOD_NOT_ALLOWED",
                f"{request.method} is not allowed on {request.path}",
            )
        return self.error(request, exc.status, "ERROR", exc.reason)

    def _before_handler_fault(
        self, request: web.Request, fault: Fault, key: str | None, headers: dict[str, str]
    ) -> web.StreamResponse:
        if fault.kind == "500":
            response = self.error(request, 500, "INTERNAL", "Internal server error")
            return self._finish(response, headers)
        retry_after = fault.retry_after or 1
        fault_headers = dict(headers)
        fault_headers.update(self.injected_rate_headers(request, key, retry_after))
        fault_headers["Retry-After"] = str(retry_after)
        response = self.rate_limited(request, None, retry_after)
        for name, value in fault_headers.items():
            response.headers[name] = value
        return response

    async def _after_handler_fault(
        self, request: web.Request, fault: Fault, response: web.StreamResponse
    ) -> web.StreamResponse:
        if fault.kind == "timeout":
            if not await self.ctx.hold(self.ctx.timeout_hold):
                self._abort(request)  # sandbox stopping: never answer a held request
            return response
        if fault.kind == "reset":
            self._abort(request)
            return response
        if fault.kind == "malformed":
            return self._malformed(response)
        return response

    @staticmethod
    def _abort(request: web.Request) -> None:
        # Abort drops the socket without flushing: the client sees the connection die with
        # no status line. aiohttp then fails to write the response and ignores that.
        transport = request.transport
        if transport is not None:
            transport.abort()

    @staticmethod
    def _malformed(response: web.StreamResponse) -> web.StreamResponse:
        body = response.body if isinstance(response, web.Response) else None
        raw = bytes(body) if isinstance(body, bytes | bytearray) else b""
        truncated = raw[: len(raw) // 2] if len(raw) >= 4 else b'{"data": [{"id": '
        headers = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in ("content-length", "content-type")
        }
        return web.Response(
            body=truncated, status=response.status, headers=headers, content_type="application/json"
        )
