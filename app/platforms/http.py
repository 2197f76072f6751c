"""Shared HTTP plumbing for the platform clients: rate limiter, client wrapper, redaction.

- `RateLimiter` keeps each account inside its platform's documented budgets (several
  windows per bucket, e.g. GigRadar 30/min AND 1,000/day), learns from the platform's
  rate-limit headers and blocks a bucket after a 429 until `Retry-After`.
- `ApiClient` wraps `httpx.AsyncClient`: it acquires the limiter, maps every answer to a
  typed `PlatformError`, retries only idempotent requests, and turns a create whose answer
  was lost into `AmbiguousSend` (never retried: at most one proposal per job).
- `redact` / `RedactingFilter` / `register_secret` keep API keys out of messages and logs.

Time: every window length and our own backoff is divided by `speed` (a sandbox at speed 60
runs a minute window in one second). What a server says in `Retry-After` or a reset header
is wall-clock time, as HTTP defines it, and is never scaled. Clocks and sleep are
injectable so tests never sleep.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from app.platforms.errors import (
    AmbiguousSend,
    AuthError,
    Conflict,
    InsufficientFunds,
    InvalidRequest,
    MalformedResponse,
    NotFound,
    PlatformError,
    RateLimited,
    ServerError,
    TransportError,
)

__all__ = [
    "ApiClient",
    "ApiResponse",
    "BucketSnapshot",
    "ErrorStyle",
    "RateLimiter",
    "RedactingFilter",
    "RetryPolicy",
    "Window",
    "WindowSnapshot",
    "get_logger",
    "install_redaction",
    "normalize_base_url",
    "parse_retry_after",
    "redact",
    "register_secret",
]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# --------------------------------------------------------------------------- redaction

_MASK = "***"
_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
_secret_pattern: re.Pattern[str] | None = None
_MIN_SECRET = 4  # shorter strings would mask ordinary words

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"gr_live_[A-Za-z0-9_\-]+"), "gr_live_" + _MASK),
    (re.compile(r"sk_uphunt_[A-Za-z0-9_\-]+"), "sk_uphunt_" + _MASK),
    (re.compile(r"\bgig_[A-Za-z0-9_\-]{6,}"), "gig_" + _MASK),
    # OpenAI-style model keys (sk-..., sk-proj-..., the sandbox's sk-sandbox-...).
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}"), "sk-" + _MASK),
    # The auth scheme is case-insensitive in HTTP but written capitalized in practice;
    # "bearer of news" must survive. Registered secrets catch any other spelling.
    (re.compile(r"\b(Bearer|BEARER)\s+[A-Za-z0-9._~+/=\-]{4,}"), r"\1 " + _MASK),
    (re.compile(r"\b(Basic|BASIC)\s+[A-Za-z0-9+/=]{8,}"), r"\1 " + _MASK),
    (
        re.compile(r"(?i)(x-api-key['\"]?\s*[:=,]\s*['\"]?)[^\s'\",;}\]]+"),
        r"\1" + _MASK,
    ),
)


def register_secret(value: str | None) -> None:
    """Mask `value` in every message and log line from now on (keys loaded at run time)."""
    global _secret_pattern
    if not value or len(value) < _MIN_SECRET:
        return
    with _SECRETS_LOCK:
        if value in _SECRETS:
            return
        _SECRETS.add(value)
        ordered = sorted(_SECRETS, key=len, reverse=True)
        _secret_pattern = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    """`text` with API keys, bearer tokens and registered secrets masked."""
    if not text:
        return text
    pattern = _secret_pattern
    if pattern is not None:
        text = pattern.sub(_MASK, text)
    for regex, replacement in _PATTERNS:
        text = regex.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in a record's message, args and exception text.

    Attach it to handlers (the app's root handler) or to the loggers that create records:
    a filter on a logger only sees records created on that very logger.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg} {record.args}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text)
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_redaction(*targets: logging.Handler | logging.Logger) -> None:
    """Attach one RedactingFilter to each target (default: every root handler). Idempotent."""
    chosen: Sequence[logging.Handler | logging.Logger] = targets or tuple(
        logging.getLogger().handlers
    )
    for target in chosen:
        if not any(isinstance(f, RedactingFilter) for f in target.filters):
            target.addFilter(RedactingFilter())


def get_logger(name: str) -> logging.Logger:
    """`logging.getLogger(name)` with a RedactingFilter on it, for this package's modules."""
    logger = logging.getLogger(name)
    install_redaction(logger)
    return logger


_log = get_logger(__name__)

# --------------------------------------------------------------------------- rate limiter


@dataclass(frozen=True, slots=True)
class Window:
    """At most `limit` requests in any `seconds`-long span. `name` matches header suffixes
    (`minute` ↔ `X-RateLimit-Remaining-Minute`)."""

    name: str
    limit: int
    seconds: float


@dataclass(frozen=True, slots=True)
class WindowSnapshot:
    name: str
    limit: int
    remaining: int
    resets_in: float  # seconds until the window's whole budget is back


@dataclass(frozen=True, slots=True)
class BucketSnapshot:
    bucket: str
    windows: tuple[WindowSnapshot, ...]
    wait: float  # seconds until the next request may go (0 = now)
    blocked_for: float  # seconds left of a 429 block

    @property
    def remaining(self) -> int | None:
        return min((w.remaining for w in self.windows), default=None)

    @property
    def resets_in(self) -> float:
        return max((w.resets_in for w in self.windows), default=self.blocked_for)


class _WindowState:
    """A sliding log of one window: stricter than a refilling token bucket, which can let
    through up to twice its capacity in one window; the platforms count per window."""

    __slots__ = ("clamp_remaining", "clamp_until", "length", "stamps", "window")

    def __init__(self, window: Window, speed: float) -> None:
        self.window = window
        self.length = window.seconds / speed
        self.stamps: deque[float] = deque()
        self.clamp_remaining: int | None = None
        self.clamp_until = 0.0

    def _prune(self, now: float) -> None:
        horizon = now - self.length
        while self.stamps and self.stamps[0] <= horizon:
            self.stamps.popleft()
        if self.clamp_remaining is not None and now >= self.clamp_until:
            self.clamp_remaining = None

    def wait(self, now: float, margin: float) -> float:
        self._prune(now)
        delay = 0.0
        limit = self.window.limit
        if len(self.stamps) >= limit:
            # The request `limit` places back must leave the window first.
            delay = self.stamps[len(self.stamps) - limit] + self.length + margin - now
        if self.clamp_remaining is not None and self.clamp_remaining <= 0:
            delay = max(delay, self.clamp_until + margin - now)
        return max(delay, 0.0)

    def take(self, now: float) -> None:
        self.stamps.append(now)
        if self.clamp_remaining is not None:
            self.clamp_remaining -= 1

    def remaining(self, now: float) -> int:
        self._prune(now)
        left = self.window.limit - len(self.stamps)
        if self.clamp_remaining is not None:
            left = min(left, self.clamp_remaining)
        return max(left, 0)

    def resets_in(self, now: float) -> float:
        self._prune(now)
        full = self.stamps[-1] + self.length - now if self.stamps else 0.0
        if self.clamp_remaining is not None:
            full = max(full, self.clamp_until - now)
        return max(full, 0.0)

    def clamp(self, remaining: int, until: float, now: float) -> None:
        """The platform says only `remaining` are left until `until`: never trust more."""
        if self.remaining(now) <= remaining:
            return
        self.clamp_remaining = remaining
        self.clamp_until = max(until, now)


class _Bucket:
    __slots__ = ("blocked_until", "lock", "strikes", "windows")

    def __init__(self, windows: Sequence[Window], speed: float) -> None:
        self.windows = [_WindowState(w, speed) for w in sorted(windows, key=lambda w: w.seconds)]
        self.blocked_until = 0.0
        self.strikes = 0  # 429s in a row without Retry-After, for the backoff
        self.lock: asyncio.Lock | None = None


class RateLimiter:
    """Per-account request budgets: named buckets, each with one or more windows.

    `acquire(bucket)` waits (asyncio.sleep, never a busy loop) until every window of the
    bucket has room and no 429 block is active, then records the request. Waiters of one
    bucket are served first come, first served. `observe()` feeds each response back: its
    rate-limit headers can only lower the local budget, and a 429 blocks the bucket.

    One limiter per account (budgets are per key); a bucket not configured has no windows
    but still honours 429 blocks and headers.
    """

    def __init__(
        self,
        limits: Mapping[str, Sequence[Window]],
        *,
        speed: float = 1.0,
        clock: Clock = time.monotonic,
        wall: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        margin: float = 0.02,
        backoff_start: float = 5.0,
        backoff_cap: float = 300.0,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.clock = clock
        self.wall = wall
        self.sleep = sleep
        self.rng = rng or random.Random()
        # Real (unscaled) slack added to every wait: the platform counts a request when
        # it arrives, a little after we counted it.
        self.margin = margin
        self.backoff_start = backoff_start
        self.backoff_cap = backoff_cap
        self._buckets: dict[str, _Bucket] = {
            name: _Bucket(windows, speed) for name, windows in limits.items()
        }

    def _bucket(self, name: str) -> _Bucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            bucket = self._buckets[name] = _Bucket((), self.speed)
        return bucket

    def _wait(self, bucket: _Bucket, now: float) -> float:
        delay = max(bucket.blocked_until - now, 0.0)
        for window in bucket.windows:
            delay = max(delay, window.wait(now, self.margin))
        return delay

    def wait_time(self, name: str) -> float:
        """Seconds until `acquire(name)` would let a request go (0 = at once)."""
        return self._wait(self._bucket(name), self.clock())

    async def acquire(self, name: str, *, max_wait: float | None = None) -> None:
        """Wait for room in bucket `name` and take it.

        With `max_wait`, a wait longer than that (say the day's budget is spent) raises
        RateLimited with `retry_after` at once instead of holding the caller for hours.
        """
        bucket = self._bucket(name)
        if bucket.lock is None:
            bucket.lock = asyncio.Lock()
        async with bucket.lock:
            while True:
                now = self.clock()
                delay = self._wait(bucket, now)
                if delay <= 0:
                    for window in bucket.windows:
                        window.take(now)
                    return
                if max_wait is not None and delay > max_wait:
                    raise RateLimited(
                        f"local budget for {name!r} exhausted; next request in {delay:.1f} s",
                        retry_after=delay,
                    )
                await self.sleep(delay)

    def block(self, name: str, retry_after: float | None) -> float:
        """A 429: block the bucket for `retry_after` seconds (wall clock, as the server
        said), or, without one, for an exponential backoff from `backoff_start` with
        jitter (scaled by speed). Returns the real seconds of the block."""
        bucket = self._bucket(name)
        if retry_after is not None and retry_after >= 0:
            delay = retry_after
        else:
            bucket.strikes += 1
            base = min(self.backoff_start * 2.0 ** (bucket.strikes - 1), self.backoff_cap)
            delay = base * (1.0 + 0.5 * self.rng.random()) / self.speed
        bucket.blocked_until = max(bucket.blocked_until, self.clock() + delay)
        return delay

    def observe(self, name: str, status: int, headers: Mapping[str, str]) -> float | None:
        """Learn from one response. Returns the real block time after a 429, else None."""
        bucket = self._bucket(name)
        now = self.clock()
        lowered = {key.lower(): value for key, value in headers.items()}
        self._learn_headers(bucket, lowered, now)
        if status == 429:
            return self.block(name, parse_retry_after(lowered.get("retry-after"), self.wall()))
        if 200 <= status < 300:
            bucket.strikes = 0
        return None

    def _learn_headers(self, bucket: _Bucket, headers: Mapping[str, str], now: float) -> None:
        if not bucket.windows:
            return
        generic_used = False
        for index, window in enumerate(bucket.windows):
            suffix = window.window.name.lower()
            remaining = _header_int(headers, f"x-ratelimit-remaining-{suffix}")
            reset = headers.get(f"x-ratelimit-reset-{suffix}")
            if remaining is None and index == 0 and not generic_used:
                # UpHunt/Gigiac: one unsuffixed pair, taken for the shortest window.
                remaining = _header_int(headers, "x-ratelimit-remaining")
                reset = headers.get("x-ratelimit-reset")
                generic_used = True
            if remaining is None:
                continue
            seconds = self._reset_in(reset, window.length)
            window.clamp(max(remaining, 0), now + seconds, now)

    def _reset_in(self, value: str | None, length: float) -> float:
        """Real seconds until a reset header's moment, capped at the window length (a
        sandbox may report resets on its own compressed or uncompressed clock)."""
        number: float | None = None
        if value is not None:
            try:
                number = float(value.strip())
            except ValueError:
                number = None
        if number is None or math.isnan(number):
            return length
        if number > 1e9:  # unix seconds
            number -= self.wall()
        return min(max(number, 0.0), length)

    def snapshot(self) -> dict[str, BucketSnapshot]:
        """Remaining budget per bucket and when it comes back, for the status bar."""
        now = self.clock()
        result: dict[str, BucketSnapshot] = {}
        for name, bucket in self._buckets.items():
            windows = tuple(
                WindowSnapshot(
                    name=w.window.name,
                    limit=w.window.limit,
                    remaining=w.remaining(now),
                    resets_in=w.resets_in(now),
                )
                for w in bucket.windows
            )
            result[name] = BucketSnapshot(
                bucket=name,
                windows=windows,
                wait=self._wait(bucket, now),
                blocked_for=max(bucket.blocked_until - now, 0.0),
            )
        return result


def parse_retry_after(value: str | None, wall_now: float) -> float | None:
    """`Retry-After` as seconds: a number (fractions tolerated) or an HTTP date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = moment.timestamp() - wall_now
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(seconds, 0.0)


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None


# --------------------------------------------------------------------------- HTTP client


def normalize_base_url(
    label: str, base_url: str, repeated: Sequence[str]
) -> tuple[str, str | None]:
    """`base_url` without a trailing API path the client adds itself, and a sentence
    saying so (None when nothing was removed).

    A base URL copied with part of an endpoint path (UpHunt's ".../api/auto-apply-v2",
    Gigiac's ".../api") would otherwise double that path on every call and fail with
    404s that say nothing. `repeated` lists such suffixes, longest first; one is removed.
    """
    base = base_url.rstrip("/")
    lowered = base.lower()
    for suffix in repeated:
        if lowered.endswith(suffix.lower()):
            fixed = base[: len(base) - len(suffix)].rstrip("/")
            if "://" not in fixed or not fixed.split("://", 1)[1]:
                continue  # nothing but the suffix: leave it alone
            note = (
                f"{label}: the base URL {base} already ends in {suffix}, which BidDesk adds "
                f"to every call itself, so it uses {fixed} instead."
            )
            _log.info("%s", note)
            return fixed, note
    return base, None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries of idempotent requests: jittered exponential backoff, a few tries."""

    max_attempts: int = 4
    base_delay: float = 0.5  # seconds, divided by speed
    max_delay: float = 8.0
    # A Retry-After longer than this (real seconds) is surfaced as RateLimited, not waited.
    max_retry_after: float = 60.0
    # The longest the limiter may hold a request before it raises RateLimited.
    max_wait: float = 120.0
    # A create (non-idempotent) refused with 429 was not processed (the documents say so:
    # back off and retry), so it is sent again: at most `create_attempts` tries in all,
    # all within `create_window` real seconds of the first. A lost answer never is.
    create_attempts: int = 3
    create_window: float = 120.0


@dataclass(frozen=True, slots=True)
class ErrorStyle:
    """How a platform words errors: where its message and code live in the body, the
    header carrying its request id, and a hook refining the generic mapping."""

    message_keys: tuple[str, ...] = ("message", "error")
    code_keys: tuple[str, ...] = ("code",)
    request_id_header: str | None = None
    send_request_id: bool = False
    refine: Callable[[PlatformError, Any], PlatformError] | None = None


@dataclass(frozen=True, slots=True)
class ApiResponse:
    status: int
    data: Any
    headers: httpx.Headers = field(repr=False)
    request_id: str | None = None  # issued by the platform (a header), never our own
    client_request_id: str | None = None  # the id BidDesk sent, where the platform takes one


# Transport failures where nothing left the machine: safe to call "not sent".
_NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.ProxyError,
    httpx.LocalProtocolError,
)
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiClient:
    """One platform account's HTTP client: limiter, error mapping, retries, logging."""

    def __init__(
        self,
        *,
        label: str,
        base_url: str,
        headers: Mapping[str, str],
        limiter: RateLimiter,
        style: ErrorStyle,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
        connect_timeout: float = 5.0,
        retry: RetryPolicy | None = None,
        secrets: Sequence[str] = (),
    ) -> None:
        for secret in secrets:
            register_secret(secret)
        install_redaction(logging.getLogger("httpx"), logging.getLogger("httpcore"))
        self.label = label
        self.limiter = limiter
        self.style = style
        self.retry = retry or RetryPolicy()
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Accept": "application/json", "User-Agent": "BidDesk/0.1", **headers},
            timeout=httpx.Timeout(timeout, connect=min(connect_timeout, timeout)),
            transport=transport,
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        bucket: str,
        params: Mapping[str, object] | None = None,
        json: object = None,
        idempotent: bool | None = None,
    ) -> ApiResponse:
        """Send one request and return its parsed answer, or raise a PlatformError.

        `idempotent` (default: True for GET) allows retries on 429/5xx/transport errors.
        A non-idempotent request is retried only after a 429 (the platform refused it
        before doing anything; `RetryPolicy.create_attempts` tries within
        `create_window` seconds); when its outcome is unknown (5xx, a transport error
        after connecting, an unreadable 2xx) it raises AmbiguousSend with the original
        error as `__cause__`, and is never sent again.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in _IDEMPOTENT_METHODS
        query = _clean_params(params)
        attempt = 0
        first_try = self.limiter.clock()
        while True:
            attempt += 1
            try:
                return await self._send(method, path, bucket, query, json)
            except PlatformError as exc:
                if not idempotent:
                    if _ambiguous(exc):
                        raise AmbiguousSend(
                            f"{self.label}: {method} {path} may or may not have taken effect"
                            f" ({exc.message})",
                            status=exc.status,
                            request_id=exc.request_id,
                            client_request_id=exc.client_request_id,
                        ) from exc
                    if not self._create_retry(exc, attempt, bucket, first_try):
                        if attempt > 1 and isinstance(exc, RateLimited):
                            raise RateLimited(
                                f"{exc.message} (refused for rate {attempt} times in a row; "
                                "nothing was sent)",
                                status=exc.status,
                                platform_code=exc.platform_code,
                                request_id=exc.request_id,
                                retry_after=exc.retry_after,
                                client_request_id=exc.client_request_id,
                            ) from exc
                        raise
                    _log.info(
                        "%s %s %s refused for rate (%s); nothing was done, try %d/%d",
                        self.label,
                        method,
                        path,
                        exc,
                        attempt + 1,
                        self.retry.create_attempts,
                    )
                    continue  # the limiter holds the next acquire until the block ends
                delay = self._retry_delay(exc, attempt)
                if delay is None:
                    raise
                _log.info(
                    "%s %s %s failed (%s); retry %d/%d in %.2f s",
                    self.label,
                    method,
                    path,
                    exc,
                    attempt + 1,
                    self.retry.max_attempts,
                    delay,
                )
                if delay > 0:
                    await self.limiter.sleep(delay)

    def _create_retry(
        self, exc: PlatformError, attempt: int, bucket: str, first_try: float
    ) -> bool:
        """Whether a refused create goes again: only a platform's 429, within the bounds."""
        if not isinstance(exc, RateLimited) or exc.status != 429:
            return False
        if attempt >= self.retry.create_attempts:
            return False
        wait = self.limiter.wait_time(bucket)
        if exc.retry_after is not None:
            wait = max(wait, exc.retry_after)
        elapsed = self.limiter.clock() - first_try
        return elapsed + wait <= self.retry.create_window

    def _retry_delay(self, exc: PlatformError, attempt: int) -> float | None:
        if attempt >= self.retry.max_attempts:
            return None
        if isinstance(exc, RateLimited):
            if exc.status != 429:
                return None  # our own budget is spent: waiting is the caller's call
            wait = exc.retry_after or 0.0
            if wait > self.retry.max_retry_after:
                return None
            return 0.0  # the limiter holds the next acquire until the block ends
        if not isinstance(exc, ServerError | TransportError):
            return None
        backoff = min(self.retry.base_delay * 2.0 ** (attempt - 1), self.retry.max_delay)
        delay = backoff * (0.5 + 0.5 * self.limiter.rng.random()) / self.limiter.speed
        if exc.retry_after is not None:
            wait = exc.retry_after
            if wait > self.retry.max_retry_after:
                return None
            delay = max(delay, wait)
        return delay

    async def _send(
        self,
        method: str,
        path: str,
        bucket: str,
        params: dict[str, str] | None,
        body: object,
    ) -> ApiResponse:
        await self.limiter.acquire(bucket, max_wait=self.retry.max_wait)
        headers: dict[str, str] = {}
        sent_id: str | None = None
        if self.style.request_id_header and self.style.send_request_id:
            sent_id = str(uuid.uuid4())
            headers[self.style.request_id_header] = sent_id
        started = time.perf_counter()
        try:
            response = await self._client.request(
                method,
                path,
                params=params,
                json=body,
                headers=headers,
            )
        except httpx.TransportError as exc:
            maybe_sent = not isinstance(exc, _NOT_SENT)
            _log.debug(
                "%s %s %s: %s (request id %s, maybe sent: %s)",
                self.label,
                method,
                path,
                type(exc).__name__,
                sent_id,
                maybe_sent,
            )
            raise TransportError(
                redact(f"{self.label}: {_transport_words(exc)}"),
                maybe_sent=maybe_sent,
                client_request_id=sent_id,
            ) from exc
        elapsed = (time.perf_counter() - started) * 1000
        # Only an id the platform sent is its request id: ours is the client request id.
        request_id = self._request_id(response)
        _log.debug(
            "%s %s %s -> %d (request id %s, client request id %s, %.0f ms)",
            self.label,
            method,
            path,
            response.status_code,
            request_id,
            sent_id,
            elapsed,
        )
        self.limiter.observe(bucket, response.status_code, response.headers)
        status = response.status_code
        if 200 <= status < 300:
            try:
                data = self._parse_ok(response, request_id)
            except PlatformError as exc:
                exc.client_request_id = sent_id
                raise
            return ApiResponse(status, data, response.headers, request_id, sent_id)
        error = self._error(response, request_id)
        error.client_request_id = sent_id
        raise error

    def _request_id(self, response: httpx.Response) -> str | None:
        if self.style.request_id_header:
            value = response.headers.get(self.style.request_id_header)
            if value:
                return str(value)
        fallback = response.headers.get("x-request-id")
        return str(fallback) if fallback else None

    def _parse_ok(self, response: httpx.Response, request_id: str | None) -> Any:
        content = response.content
        if not content.strip():
            return None
        try:
            return json.loads(content)
        except ValueError as exc:
            raise MalformedResponse(
                f"{self.label}: the answer is not valid JSON",
                status=response.status_code,
                request_id=request_id,
            ) from exc

    def _error(self, response: httpx.Response, request_id: str | None) -> PlatformError:
        status = response.status_code
        body: Any = None
        try:
            body = json.loads(response.content) if response.content.strip() else None
        except ValueError:
            body = None
        message = _pick_text(body, self.style.message_keys)
        if message is None and body is None and response.content.strip():
            message = response.text.strip()[:200]
        message = redact(f"{self.label}: {message or response.reason_phrase or 'error'}")
        code = _pick_text(body, self.style.code_keys)
        if request_id is None and isinstance(body, dict):
            request_id = _pick_text(body, ("requestId", "request_id"))
        retry_after = parse_retry_after(response.headers.get("retry-after"), self.limiter.wall())
        kw: dict[str, Any] = {
            "status": status,
            "platform_code": redact(code) if code else None,
            "request_id": request_id,
            "retry_after": retry_after,
        }
        exc: PlatformError
        if status in (401, 403):
            exc = AuthError(message, **kw)
        elif status == 402:
            exc = InsufficientFunds(message, **kw)
        elif status in (404, 410):
            exc = NotFound(message, **kw)
        elif status == 409:
            exc = Conflict(message, **kw)
        elif status in (400, 422):
            exc = InvalidRequest(message, **kw)
        elif status == 429:
            exc = RateLimited(message, **kw)
        elif status >= 500:
            exc = ServerError(message, **kw)
        else:
            exc = InvalidRequest(message, **kw)
        if self.style.refine is not None:
            exc = self.style.refine(exc, body)
        return exc


def _ambiguous(exc: PlatformError) -> bool:
    if isinstance(exc, TransportError):
        return exc.maybe_sent
    return isinstance(exc, ServerError | MalformedResponse)


def _pick_text(body: object, keys: Sequence[str]) -> str | None:
    if not isinstance(body, dict):
        return None
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:500]
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def _clean_params(params: Mapping[str, object] | None) -> dict[str, str] | None:
    if not params:
        return None
    clean: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            clean[key] = "true" if value else "false"
        else:
            clean[key] = str(value)
    return clean or None


def _transport_words(exc: httpx.TransportError) -> str:
    kinds: tuple[tuple[type[Exception], str], ...] = (
        (httpx.ConnectTimeout, "connection timed out"),
        (httpx.ConnectError, "could not connect"),
        (httpx.ReadTimeout, "no answer in time"),
        (httpx.WriteTimeout, "sending timed out"),
        (httpx.PoolTimeout, "no free connection"),
        (httpx.RemoteProtocolError, "connection closed by the server"),
        (httpx.ReadError, "connection broke while reading"),
        (httpx.WriteError, "connection broke while sending"),
    )
    words = next((text for kind, text in kinds if isinstance(exc, kind)), "network error")
    detail = str(exc).strip()
    return f"{words} ({detail[:200]})" if detail else words
