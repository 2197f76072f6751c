"""The webhook receiver: an aiohttp server, one route per account.

The app runs it on a thread, loop and store connection of its own (`ReceiverThread`, at
the end of this module): a delivery is recorded and answered there, applied on a second
thread, and what that changes reaches the app's loop in batches. `WebhookReceiver` alone
runs on the caller's loop (the unit tests), where it shares each pass with the window
(SLICE, below).

A delivery goes through, in order: the route (`POST /hooks/{platform}/{account}/{token}`,
404 for an account BidDesk does not have), authentication (→ 401), the body's size (413),
read within BODY_TIMEOUT (408), the platform's own reading of it, deduplication, and then
200 at once. Platform rules (payload shapes, dedupe keys, what an event means) live in
app/platforms (`WEBHOOKS`); this module keeps transport, authentication, dedupe and
batching.

Authentication (credentials in app/ingest/hookkeys.py):

- the URL's token, compared in constant time: what the user pasted into UpHunt's or
  Gigiac's dashboard (or GigRadar's settings page), so a platform that sends plain
  unsigned POSTs just works; a wrong token is refused even if the rest is right, so a
  rotated URL stops working at once;
- GigRadar: the HTTP Basic credentials BidDesk registered, with or without the token;
- a signing secret the user added: then a valid `sha256=` HMAC of the body is required too.

The old token-less URL (`/hooks/{platform}/{account}`, registered before tokens existed)
keeps working only with what authenticated it then: GigRadar's Basic credentials, or a
valid signature made with the secret stored for it. Anything else there is refused with
401 and a sentence that points to the new URL.

An authenticated delivery that cannot be read (not JSON, a 5,000-digit number, nesting
too deep, another content type, an unknown shape) is answered 200 — GigRadar asks for 200
even on errors, to prevent retry storms — and kept in `webhook_deliveries`, marked
unreadable with the reason, for `biddesk webhooks status` to show. Nothing authenticated
gets a 5xx except a store that cannot record it (503: the platform should retry).

Processing happens after the answer, once the oldest delivery waiting has waited COALESCE:
a burst (up to one delivery per connection in each pass of the loop) becomes one store
transaction and one table update instead of one per delivery. And one pass of the loop
spends at most about SLICE on deliveries: a handler that would start later waits for the
next pass, so the window paints and reads input in between.

Every accepted delivery is recorded (unprocessed) before the answer and marked processed
after its effects are stored, so a crash in between replays it on the next start; a
duplicate is answered 200 and dropped. A replayed or late status never moves a submission
backwards: updates go through `Submission.apply`, which only moves forward.

Hardening: headers must arrive within HEADER_TIMEOUT (aiohttp's keep-alive timer, which
also runs before the first request), the body within BODY_TIMEOUT, at most
MAX_CONNECTIONS connections are open at once (the next ones get 503), and a client that
goes away mid-body is logged at DEBUG.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import logging
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import quote

from app.connections import Connections
from app.domain import Account, Opportunity, Platform, Submission, utcnow
from app.domain.submission import StatusUpdate
from app.ingest.hookkeys import HookCredentials
from app.platforms import WEBHOOKS
from app.platforms.gigradar import SCOPE_OPPORTUNITY_CREATE, SCOPE_PROPOSAL_UPDATE
from app.platforms.webhook import (
    LowBalance,
    NewOpportunity,
    SubmissionUpdate,
    Unreadable,
    Unused,
    WebhookAuth,
    WebhookEffect,
    WebhookEnvelope,
    decode_body,
)
from app.services.events import CreditsLow, EventBus, OpportunitiesAdded, OpportunitiesUpdated
from app.services.inbox import Inbox
from app.services.submissions import SubmissionService
from app.store import Database, Store
from app.store.webhooks import UNREADABLE  # a kept delivery's event: "unreadable: <reason>"

__all__ = [
    "GIGRADAR_OPPORTUNITY",
    "GIGRADAR_PROPOSAL",
    "Delivery",
    "Handoff",
    "HookCredentials",
    "ReceiverThread",
    "WebhookProcessor",
    "WebhookReceiver",
    "auth_scheme",
    "hook_path",
    "is_hook_path",
    "parse_delivery",
    "sign",
]


if TYPE_CHECKING:
    from aiohttp import web
else:

    class _Web:
        """aiohttp.web, imported when the receiver first uses it: the app builds its
        realtime service (and this module) with every window, webhooks on or off, and
        aiohttp is ~8 MB and ~100 ms of imports a profile without webhooks never uses."""

        def __getattr__(self, name: str) -> Any:
            from aiohttp import web as module

            globals()["web"] = module
            return getattr(module, name)

    web = _Web()

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20  # 1 MiB: a GigRadar opportunity with its full job is ~10 KB
# Seconds a client has to send its headers (and that an idle keep-alive connection stays
# open), and to send its body once the headers are in. Platforms send a few KB at once.
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0
MAX_CONNECTIONS = 256  # open connections at once; a platform's burst uses a few dozen
# Deliveries applied per store transaction, and per turn of the loop.
BATCH = 64
# How long the first delivery of a burst waits for the others to be answered before they
# are applied together. Measured on a 1,000-delivery burst over 32 connections: applying
# each one right after its answer made one pass of the loop do 32 answers and 32
# transactions (a 65-80 ms stall of the window); 2 ms costs received → visible ~2 ms.
COALESCE = 0.002
# The time one pass of the loop may spend on deliveries before the rest wait for the next:
# 32 connections sending as fast as they are answered put 32 handlers (and their
# processing) in every pass, a 45-60 ms stall of the window each time.
SLICE = 0.005
# How long a thread holding the GIL keeps it while another waits (Python's default: 5 ms).
# Three threads of Python share it here (the window's loop, the receiver, the applier): at
# 5 ms an answer waited behind a batch being applied, or the window behind both (measured
# at 500 deliveries/s: ack p50 14 ms -> 0.9 ms at 1 ms). Process-wide, and never raised.
SWITCH_INTERVAL = 0.001
THREAD_BATCH = 16
# The app's loop takes the receiver's events in one pass for at most about this long, with
# at most this many rows an event (measured in a 100k inbox: 64 rows 5 ms, 256 rows 43 ms).
HANDOFF_SLICE = 0.008
HANDOFF_MERGE = 64  # deliveries applied per transaction by the receiver on its own thread
MAX_PASSES_WAITED = 50  # a delivery waits for no more passes than this, busy or not
# Deliveries are marked processed in one transaction at most this often: a crash in
# between only replays deliveries whose effects are stored, and applying one twice
# changes nothing (upserts, forward-only statuses).
MARK_INTERVAL = 0.5
ACCOUNT_TTL = 2.0  # seconds an account lookup is trusted (one SQL query less per request)
ROUTE_PREFIX = "/hooks"

GIGRADAR_OPPORTUNITY = SCOPE_OPPORTUNITY_CREATE
GIGRADAR_PROPOSAL = SCOPE_PROPOSAL_UPDATE


def hook_path(platform: Platform | str, account: str, token: str | None = None) -> str:
    """The receiver's path for one account: what the platform must call. Without a token,
    the old path (still accepted for GigRadar's Basic credentials or a legacy signature)."""
    path = f"{ROUTE_PREFIX}/{Platform(platform).value}/{quote(account, safe='')}"
    return f"{path}/{quote(token, safe='')}" if token else path


def is_hook_path(path: str, platform: Platform | str, account: str) -> bool:
    """Whether `path` is one of this account's receiver paths, whatever its token."""
    base = hook_path(platform, account)
    return path == base or (path.startswith(base + "/") and "/" not in path[len(base) + 1 :])


def auth_scheme(platform: Platform, creds: HookCredentials | None) -> WebhookAuth:
    """What authenticates this account's deliveries now (for status and setup)."""
    spec = WEBHOOKS[platform]
    if creds is not None and creds.secret and spec.signature_header:
        return WebhookAuth.SIGNATURE
    if spec.auth is WebhookAuth.BASIC and creds is not None and creds.has_basic:
        return WebhookAuth.BASIC
    return WebhookAuth.URL_TOKEN


def sign(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256(secret, raw body)>` (platform-apis.md §2.8, §3.9, [P])."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def basic_auth_ok(header: str | None, creds: HookCredentials) -> bool:
    if not header or creds.username is None or creds.password is None:
        return False
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    user, sep, password = decoded.partition(b":")
    if not sep:
        return False
    # Both compared, always, so the time taken says nothing about which one was wrong.
    user_ok = hmac.compare_digest(user, creds.username.encode())
    password_ok = hmac.compare_digest(password, creds.password.encode())
    return user_ok and password_ok


def token_ok(given: str, creds: HookCredentials) -> bool:
    expected = creds.token or ""
    # Compared even when none is stored, so the time taken says nothing either way.
    same = hmac.compare_digest(given.encode(), expected.encode())
    return same and bool(expected)


def signature_ok(header: str | None, secret: str | None, body: bytes) -> bool:
    if not header or not secret:
        return False
    return hmac.compare_digest(header.strip().encode(), sign(secret, body).encode())


class Rejected(Exception):
    """A delivery that is answered with an error status and not processed."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Delivery:
    platform: Platform
    account: str
    event: str
    dedupe_key: str
    data: dict[str, Any] = field(repr=False)
    raw: bytes = field(repr=False, default=b"")
    received_at: float = field(default_factory=time.perf_counter)  # for latency figures


def parse_delivery(
    platform: Platform, account: str, headers: Mapping[str, str], raw: bytes
) -> Delivery:
    """An authenticated request's body → Delivery; Unreadable when it is not one."""
    envelope = WEBHOOKS[platform].parse(decode_body(raw), headers)
    return Delivery(
        platform, account, envelope.event, f"{account}/{envelope.dedupe_key}", envelope.data, raw
    )


@dataclass
class ReceiverStats:
    accepted: int = 0
    duplicates: int = 0
    rejected: Counter[int] = field(default_factory=Counter)
    processed: int = 0
    unreadable: int = 0
    last_unreadable: str | None = None
    last_delivery_at: datetime | None = None
    last_event: str | None = None
    last_account: str | None = None


CredentialsLookup = Callable[[str], HookCredentials | None]


_Record = tuple[Platform, str, bytes, str | None, str | None]


class AccountFinder(Protocol):
    """Where the receiver looks an account up (AccountService, or a store's accounts)."""

    def find(self, name: str) -> Account | None: ...


class _StoreAccounts:
    """Account lookups on the receiver thread's own connection."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def find(self, name: str) -> Account | None:
        return self._store.accounts.get(name)


Elsewhere = Callable[[list["Delivery"]], Awaitable[list["Delivery"]]]


class WebhookProcessor:
    """Applies deliveries: new opportunities to the inbox, status updates to submissions.

    With `elsewhere`, everything but new opportunities (status updates, low balances: a
    few a day, and they touch tracking tasks that live on the app's loop) is handed to it
    to apply; it returns the deliveries it applied."""

    def __init__(
        self,
        store: Store,
        inbox: Inbox,
        submissions: SubmissionService,
        bus: EventBus,
        *,
        elsewhere: Elsewhere | None = None,
    ) -> None:
        self.store = store
        self.inbox = inbox
        self.submissions = submissions
        self.bus = bus
        self.elsewhere = elsewhere

    async def process(self, batch: list[Delivery]) -> list[Delivery]:
        """Apply a batch; returns the deliveries whose effects are stored."""
        opportunities: list[tuple[Delivery, NewOpportunity]] = []
        done: list[Delivery] = []
        remote: list[Delivery] = []
        for delivery in batch:
            try:
                effect = _read(delivery)
            except Exception as exc:
                # Authenticated but not usable (a task without a title…): kept, not retried.
                log.warning(
                    "webhook %s from %s not usable: %s", delivery.event, delivery.account, exc
                )
                done.append(delivery)
                continue
            if isinstance(effect, NewOpportunity):
                opportunities.append((delivery, effect))
                continue
            if self.elsewhere is not None:
                remote.append(delivery)
                continue
            try:
                self._apply(delivery, effect)
                done.append(delivery)
            except Exception:
                log.exception("webhook %s from %s failed", delivery.event, delivery.account)
        if opportunities:
            fresh = self._unknown([effect for _, effect in opportunities])
            try:
                await self.inbox.ingest(fresh)
                done.extend(d for d, _ in opportunities)
            except Exception:
                log.exception("storing %d webhook opportunities failed", len(fresh))
        if remote and self.elsewhere is not None:
            try:
                done.extend(await self.elsewhere(remote))
            except Exception:
                log.exception("applying %d webhook deliveries failed", len(remote))
        return done

    def _unknown(self, found: list[NewOpportunity]) -> list[Opportunity]:
        """A partial summary (Gigiac's `task.created`) never overwrites the full record a
        poll already stored; a full one (GigRadar's opportunity) always goes in."""
        partial = [e.opportunity.key for e in found if e.partial]
        if not partial:
            return [e.opportunity for e in found]
        known = set(self.store.opportunities.get_many(partial))
        return [e.opportunity for e in found if not (e.partial and e.opportunity.key in known)]

    def _apply(self, delivery: Delivery, effect: WebhookEffect) -> None:
        if isinstance(effect, LowBalance):
            self.bus.publish(
                CreditsLow(delivery.account, effect.balance_cents, effect.threshold_cents)
            )
            return
        if not isinstance(effect, SubmissionUpdate):
            reason = effect.reason if isinstance(effect, Unused) else type(effect).__name__
            log.info("webhook %s from %s not applied: %s", delivery.event, delivery.account, reason)
            return
        sub = self._find(delivery.platform, effect)
        if sub is None:
            log.info(
                "webhook %s from %s matches no submission of ours",
                delivery.event,
                delivery.account,
            )
            return
        self.submissions.apply_update(sub, effect.update, via="webhook")

    def _find(self, platform: Platform, effect: SubmissionUpdate) -> Submission | None:
        """The submission an update is about: one of the opportunity's (the one with the
        same platform id, else the newest), or the live one holding the Upwork job through
        this platform with the same reference, or any of this platform's with it."""
        if effect.opportunity_key:
            candidates = self.store.submissions.list(
                platform=platform, opportunity_key=effect.opportunity_key
            )
            found = _best(candidates, effect.update)
            if found is not None:
                return found
        ref_key, ref_value = effect.ref or ("", "")
        if effect.upwork_job:
            live = self.store.submissions.live_for(f"upwork:{effect.upwork_job}")
            if (
                live is not None
                and live.platform is platform
                and (not ref_value or live.refs.get(ref_key) in (None, ref_value))
            ):
                return live
        if ref_value:
            for sub in self.store.submissions.list(platform=platform, limit=500):
                if sub.refs.get(ref_key) == ref_value:
                    return sub
        return None


def _read(delivery: Delivery) -> WebhookEffect:
    envelope = WebhookEnvelope(delivery.event, delivery.dedupe_key, delivery.data)
    return WEBHOOKS[delivery.platform].read(envelope, delivery.account)


def _best(candidates: list[Submission], update: StatusUpdate | None) -> Submission | None:
    """Of one opportunity's submissions (newest first), the one the update is about: the
    one with the same platform id if any, else the newest."""
    if not candidates:
        return None
    refs = update.refs if update is not None else {}
    for key in ("proposal_id", "queue_id"):
        value = refs.get(key)
        if value:
            for sub in candidates:
                if sub.refs.get(key) == value:
                    return sub
    return candidates[0]


class _Busy(asyncio.Protocol):
    """A connection over MAX_CONNECTIONS: told so and closed, before any parsing."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
            b"Retry-After: 5\r\nConnection: close\r\n\r\n"
        )
        transport.close()


class _Closing(asyncio.Protocol):
    """A connection whose accept finished after the receiver began to stop: closed at once.

    asyncio accepts on a task of its own, so a socket accepted just before the listener
    closed gets its protocol after aiohttp's shutdown swept its connections; an aiohttp
    handler made then would hold the socket open until it is garbage (a ResourceWarning)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


class WebhookReceiver:
    """The HTTP side: authenticate, bound, parse, dedupe, answer, queue."""

    def __init__(
        self,
        store: Store,
        processor: WebhookProcessor,
        accounts: AccountFinder,
        credentials: CredentialsLookup,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_body: int = MAX_BODY,
        on_delivery: Callable[[Delivery], None] | None = None,
        refresh: CredentialsLookup | None = None,
        header_timeout: float = HEADER_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
        stats: ReceiverStats | None = None,
        slice_budget: float | None = SLICE,
        batch: int = BATCH,
        apply_loop: asyncio.AbstractEventLoop | None = None,
        group_commit: bool = False,
    ) -> None:
        self.store = store
        self.processor = processor
        self.accounts = accounts
        self.credentials = credentials
        self.refresh = refresh  # re-reads credentials another process may have changed
        self.host = host
        self.port = port
        self.max_body = max_body
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.max_connections = max_connections
        self.stats = stats if stats is not None else ReceiverStats()
        # On the app's loop, a pass spends at most `slice_budget` on deliveries (the window
        # paints in between); on a loop of its own (None) a handler never waits for one.
        self.slice_budget = slice_budget
        self.batch = batch
        # Where the processor runs: this loop, or (the receiver's thread) a loop of its own
        # on another thread, so that answers never wait behind a batch being applied.
        self.apply_loop = apply_loop
        # Deliveries whose handlers run in one pass of the loop recorded in one commit (each
        # commit rewrites a few 8 KiB pages: ~32 KB of WAL a delivery on its own).
        self.group_commit = group_commit
        self._to_record: list[tuple[_Record, asyncio.Future[bool]]] = []
        self._on_delivery = on_delivery
        self._pending: deque[Delivery] = deque()
        self._processing = False
        self._resume: asyncio.TimerHandle | None = None
        self._slice_start: float | None = None  # when this pass began on deliveries
        self._to_mark: list[tuple[Platform, str]] = []
        self._mark_timer: asyncio.TimerHandle | None = None
        self._accounts: dict[str, tuple[float, Account | None]] = {}
        self._runner: web.AppRunner | None = None
        self._server: asyncio.AbstractServer | None = None
        self._stopping = False
        # Every handler made, with when: stop closes whatever is still open, whether or not
        # aiohttp still lists it (one registered after its sweep, or unlisted before its
        # socket closed). Pruned as connections come, so it stays about as long as the
        # open connections (at most MAX_CONNECTIONS).
        self._made: list[tuple[Any, float]] = []
        # Every connection from its accept until its socket is closed (app/connections.py).
        self._connections = Connections()
        self._background: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url_for(self, platform: Platform | str, account: str, base: str | None = None) -> str:
        """The full URL the platform must call for this account (with its token, if any)."""
        creds = self.credentials(account)
        token = creds.token if creds is not None else None
        return (base or self.base_url).rstrip("/") + hook_path(platform, account, token)

    def build_app(self) -> web.Application:
        # client_max_size also bounds a chunked body that announced no length.
        app = web.Application(client_max_size=self.max_body)
        app.add_routes(
            [
                web.post(ROUTE_PREFIX + "/{platform}/{account}/{token}", self._handle),
                web.post(ROUTE_PREFIX + "/{platform}/{account}", self._handle),
                web.get(ROUTE_PREFIX + "/health", self._health),
            ]
        )
        return app

    async def start(self) -> int:
        """Serve on host:port (0 = a free port); returns the bound port."""
        if self._runner is not None:
            return self.port
        self._stopping = False
        # A short grace on shutdown: deliveries take milliseconds, and the app quits in 2 s.
        # aiohttp's keep-alive timer also runs from the moment a connection opens until its
        # first request's headers are in: it is the header timeout.
        runner = web.AppRunner(
            self.build_app(),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=0.5,
            keepalive_timeout=self.header_timeout,
        )
        await runner.setup()
        server = runner.server
        assert server is not None
        cap = self.max_connections

        def made() -> asyncio.BaseProtocol:
            if self._stopping:
                return _Closing()
            if len(server.connections) >= cap:
                log.debug("webhook receiver: %d connections open, one more refused", cap)
                return _Busy()
            handler = server()
            now = time.monotonic()
            # connection_made follows within a pass: a handler with no transport after a
            # few seconds has been closed and let go of it.
            self._made = [(h, t) for h, t in self._made if h.transport is not None or now - t < 5.0]
            self._made.append((handler, now))
            return handler

        self._connections = Connections()
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(
                self._connections.wrap(made), self.host, self.port, reuse_address=True
            )
        except OSError as exc:
            await runner.cleanup()
            raise OSError(
                exc.errno,
                f"The webhook receiver cannot listen on {self.host}:{self.port}: "
                f"{exc.strerror or exc}; choose another port in Settings.",
            ) from None
        sockets = list(self._server.sockets)
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        self._runner = runner
        if await self.replay_pending():
            self._background = asyncio.ensure_future(self._process_pending())
        log.info("webhook receiver listening on %s", self.base_url)
        return self.port

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        listener, self._server = self._server, None
        self._stopping = True  # an accept still under way gets a closed connection
        if listener is not None:
            listener.close()  # no new connections; the open ones are closed by the runner
        server = None if runner is None else runner.server
        if runner is not None:
            await runner.cleanup()
        if listener is not None:
            await listener.wait_closed()
        if server is not None:
            # A handler whose connection_made came after the runner's sweep (made before
            # `_stopping`, registered a pass later) is closed too.
            for _ in range(3):  # the accept task, then its connection_made
                await asyncio.sleep(0)
            self.abort_connections(server.connections)
        # Every socket accepted, also one whose connection_made is still to come, closed
        # before this returns (not a loop pass later, when the thread's loop may be gone).
        await self._connections.close_all()
        # Let what was answered be processed; whatever is left stays pending in the store
        # and is replayed on the next start.
        try:
            await asyncio.wait_for(self.wait_idle(), 1.0)
        except TimeoutError:
            log.warning("webhook receiver stopped with %d deliveries queued", len(self._pending))
        self.flush_marks()
        if self._resume is not None:
            self._resume.cancel()
            self._resume = None
        replay, self._background = self._background, None
        if replay is not None:
            replay.cancel()
            await asyncio.gather(replay, return_exceptions=True)

    def abort_connections(self, listed: Iterable[Any] = (), *, closing_too: bool = False) -> None:
        """Close every connection this receiver made a handler for (and `listed`, aiohttp's
        own list) whose socket is still open; with `closing_too`, also those closing
        gracefully (a write buffer a silent peer never drains would hold one open).

        The handlers are kept: one whose connection_made has not run yet has no transport
        now, and a later sweep (the receiver thread's last, once its loop's tasks are done)
        closes it then."""
        for handler in [*listed, *(h for h, _ in self._made)]:
            transport = handler.transport
            if transport is not None and (closing_too or not transport.is_closing()):
                transport.abort()
        # aiohttp lets go of a transport it closes gracefully (force_close), while a reply
        # still waits to be flushed to a peer that does not read: that socket is open until
        # the flush, and was left open when the loop ended. Every socket not yet lost:
        for transport in self._connections.transports():
            if isinstance(transport, asyncio.Transport) and (
                closing_too or not transport.is_closing()
            ):
                transport.abort()

    async def wait_idle(self) -> None:
        """Until every accepted delivery is processed (tests, shutdown)."""
        while self._pending or self._processing:
            if not self._processing:
                await self._process_pending()  # left over by a cancelled pass
                continue
            self._idle.clear()
            await self._idle.wait()
        self.flush_marks()

    async def replay_pending(self) -> int:
        """Queue deliveries answered before a crash but never processed."""
        replayed = 0
        unusable: list[tuple[Platform, str]] = []
        for stored in self.store.webhooks.pending():
            if stored.account is None or stored.raw is None:
                unusable.append((stored.platform, stored.dedupe_key))
                continue
            raw = stored.raw if isinstance(stored.raw, bytes) else stored.raw.encode()
            try:
                delivery = parse_delivery(stored.platform, stored.account, {}, raw)
            except Unreadable:
                unusable.append((stored.platform, stored.dedupe_key))
                continue
            self._pending.append(
                Delivery(
                    delivery.platform,
                    delivery.account,
                    delivery.event,
                    stored.dedupe_key,
                    delivery.data,
                    raw,
                )
            )
            replayed += 1
        if unusable:  # never replayed again and again
            self.store.webhooks.mark_processed(unusable)
        if replayed:
            log.info("replaying %d webhook deliveries left unprocessed", replayed)
        return replayed

    # -- HTTP ------------------------------------------------------------------------------

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    def _reject(self, status: int, reason: str, **headers: str) -> web.Response:
        self.stats.rejected[status] += 1
        return web.json_response({"error": reason}, status=status, headers=headers)

    def _spent(self) -> float:
        """How long this pass of the loop has spent on deliveries so far."""
        now = time.perf_counter()
        if self._slice_start is None:
            self._slice_start = now
            asyncio.get_running_loop().call_soon(self._end_slice)  # runs on the next pass
            return 0.0
        return now - self._slice_start

    def _end_slice(self) -> None:
        self._slice_start = None

    def _creds(self, account: str, token: str | None) -> HookCredentials | None:
        creds = self.credentials(account)
        if self.refresh is not None and (
            creds is None or (token is not None and not token_ok(token, creds))
        ):
            creds = self.refresh(account)  # rotated by another BidDesk process?
        return creds

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        budget = self.slice_budget
        for _ in range(MAX_PASSES_WAITED if budget is not None else 0):
            if self._spent() <= (budget or 0.0):
                break
            await asyncio.sleep(0)  # this pass has had its share: the next one
        try:
            platform = Platform(request.match_info["platform"])
        except ValueError:
            return self._reject(404, "no such platform")
        account_name = request.match_info["account"]
        account = self._account(account_name)
        if account is None or account.platform is not platform or not account.enabled:
            return self._reject(404, "no such account")
        spec = WEBHOOKS[platform]
        token = request.match_info.get("token")
        creds = self._creds(account_name, token)
        if creds is None:
            return self._reject(401, "webhooks are not set up for this account")
        # Who authenticates this delivery: the URL's token, GigRadar's Basic credentials,
        # or (the old token-less URL only) a signature with the secret stored for it.
        if token is not None and not token_ok(token, creds):
            return self._reject(
                401, "unknown webhook URL: copy the current one from BidDesk's Webhooks window"
            )
        basic = spec.auth is WebhookAuth.BASIC and creds.has_basic
        presented = request.headers.get("Authorization") if basic else None
        if presented is not None and not basic_auth_ok(presented, creds):
            # Credentials that are presented must be right, token or not: GigRadar still
            # sending an old password means its registration is stale.
            return self._reject(
                401, "bad credentials", **{"WWW-Authenticate": 'Basic realm="BidDesk"'}
            )
        authenticated = token is not None or presented is not None
        secret = creds.secret if spec.signature_header else None
        if not authenticated:
            secret = (creds.secret or creds.legacy_secret) if spec.signature_header else None
            if not secret:
                if spec.auth is WebhookAuth.BASIC:
                    return self._reject(
                        401, "bad credentials", **{"WWW-Authenticate": 'Basic realm="BidDesk"'}
                    )
                return self._reject(
                    401, "this URL has no token: copy the current one from BidDesk's Webhooks"
                )
        length = request.content_length
        if length is not None and length > self.max_body:
            return self._reject(413, "the body is too large")
        raw = await self._read_body(request)
        if not isinstance(raw, bytes):
            return raw
        if secret and not signature_ok(
            request.headers.get(spec.signature_header or ""), secret, raw
        ):
            return self._reject(401, "bad signature")
        try:
            # No Content-Type at all: the documents only say "a JSON body", so try it.
            ctype = request.content_type.lower() if "Content-Type" in request.headers else ""
            if ctype and ctype != "application/json" and not ctype.endswith("+json"):
                raise Unreadable(f"the content type is {ctype}, not JSON")
            delivery = parse_delivery(platform, account_name, request.headers, raw)
        except Unreadable as exc:
            return self._keep_unreadable(platform, account_name, raw, exc.reason)
        except Exception as exc:  # a platform's parser tripped on a shape it did not expect
            log.debug("reading a webhook from %s failed", account_name, exc_info=True)
            reason = f"BidDesk could not read it ({type(exc).__name__})"
            return self._keep_unreadable(platform, account_name, raw, reason)
        try:
            if self.group_commit:
                new = await self._record_together(
                    (platform, delivery.dedupe_key, raw, account_name, delivery.event)
                )
            else:
                new = self.store.webhooks.record(
                    platform,
                    delivery.dedupe_key,
                    raw,
                    account=account_name,
                    event=delivery.event,
                    processed=False,
                )
        except Exception:
            log.exception("recording a webhook delivery failed")
            # Not stored, so not acknowledged: the platform will retry.
            return self._reject(503, "BidDesk could not store the delivery; retry later")
        if not new:
            self.stats.duplicates += 1
            return web.json_response({"ok": True, "duplicate": True})
        self.stats.accepted += 1
        self.stats.last_delivery_at = utcnow()
        self.stats.last_event = delivery.event
        self.stats.last_account = account_name
        self._pending.append(delivery)
        if self._on_delivery is not None:
            self._on_delivery(delivery)
        response = web.json_response({"ok": True})
        if self._processing:
            return response  # the pass under way takes this one too
        # Answer first, then have what is pending processed when due — in a task of its
        # own, not this handler's: aiohttp reads a connection's next request only once
        # this handler returns, and a handler that processed the burst (its loop takes
        # what arrives meanwhile) held the next delivery on its connection back for as
        # long: 1-2 s for one delivery in most 1,000-delivery bursts over 32 connections.
        try:
            await response.prepare(request)
            await response.write_eof()
        except ConnectionError:
            log.debug("the sender of a webhook from %s left before its answer", account_name)
        waited = time.perf_counter() - self._pending[0].received_at
        budget = self.slice_budget
        if waited >= COALESCE and (budget is None or self._spent() <= budget):
            self._start_processing()
        else:
            self._process_later(max(0.0, COALESCE - waited))
        return response

    def _record_together(self, item: _Record) -> asyncio.Future[bool]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        if not self._to_record:
            loop.call_soon(self._flush_records)  # after every handler ready in this pass
        self._to_record.append((item, future))
        return future

    def _flush_records(self) -> None:
        group, self._to_record = self._to_record, []
        try:
            news = self.store.webhooks.record_many([item for item, _ in group])
        except Exception as exc:
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), new in zip(group, news, strict=True):
            if not future.done():
                future.set_result(new)

    async def _read_body(self, request: web.Request) -> bytes | web.StreamResponse:
        """The whole body within body_timeout, or the answer to give instead."""
        try:
            if request.content.is_eof():
                # All of it is in already (the usual case: a few KB in one packet): no timer,
                # which under qasync would cost a Qt timer per delivery.
                return await request.read()
            async with asyncio.timeout(self.body_timeout):
                return await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._reject(413, "the body is too large")
        except TimeoutError:
            self.stats.rejected[408] += 1
            log.debug("a webhook body took over %.1f s; connection closed", self.body_timeout)
            response = web.json_response({"error": "the body took too long"}, status=408)
            response.force_close()
            try:
                await response.prepare(request)
                await response.write_eof()
            except ConnectionError:
                pass
            # Close now rather than linger reading what a trickling sender has left.
            request.protocol.force_close()
            return response
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            log.debug("a webhook sender left mid-body: %s", exc)
            self.stats.rejected[400] += 1
            return web.Response(status=400)

    def _account(self, name: str) -> Account | None:
        now = time.monotonic()
        cached = self._accounts.get(name)
        if cached is not None and now - cached[0] < ACCOUNT_TTL:
            return cached[1]
        account = self.accounts.find(name)
        self._accounts[name] = (now, account)
        return account

    def _keep_unreadable(
        self, platform: Platform, account: str, raw: bytes, reason: str
    ) -> web.Response:
        """An authenticated delivery BidDesk cannot read: answered 200 (a platform retries
        anything else, and would only send the same bytes again), kept for inspection with
        the reason, never processed."""
        digest = hashlib.sha256(raw).hexdigest()[:32]
        self.stats.unreadable += 1
        self.stats.last_unreadable = reason
        try:
            self.store.webhooks.record(
                platform,
                f"{account}/{UNREADABLE}:{digest}",
                raw,
                account=account,
                event=f"{UNREADABLE}: {reason}",
            )
        except Exception:
            log.exception("keeping an unreadable webhook delivery failed")
            return self._reject(503, "BidDesk could not store the delivery; retry later")
        log.warning(
            "webhook from %s (%s) could not be read (%s); kept for inspection",
            account,
            platform.value,
            reason,
        )
        return web.json_response({"ok": True, "unreadable": reason})

    # -- processing ------------------------------------------------------------------------

    def _mark_later(self, done: list[Delivery]) -> None:
        self._to_mark.extend((d.platform, d.dedupe_key) for d in done)
        if self._to_mark and self._mark_timer is None:
            loop = asyncio.get_running_loop()
            self._mark_timer = loop.call_later(MARK_INTERVAL, self.flush_marks)

    def flush_marks(self) -> None:
        """Record as processed what has been applied so far."""
        if self._mark_timer is not None:
            self._mark_timer.cancel()
            self._mark_timer = None
        marks, self._to_mark = self._to_mark, []
        if not marks:
            return
        try:
            self.store.webhooks.mark_processed(marks)
        except Exception:
            # Left pending: replayed (harmlessly) on the next start.
            log.exception("marking %d webhook deliveries processed failed", len(marks))

    def _process_later(self, delay: float) -> None:
        """Process what is pending after `delay`, unless a handler does it first."""
        if self._resume is not None:
            return

        def resume() -> None:
            self._resume = None
            if self._pending:
                self._start_processing()

        self._resume = asyncio.get_running_loop().call_later(delay, resume)

    def _start_processing(self) -> None:
        """Process what is pending in a task of its own, unless one is running or about
        to (it takes what is pending when it runs, and what comes meanwhile)."""
        task = self._background
        if self._processing or (task is not None and not task.done()):
            return
        self._background = asyncio.ensure_future(self._process_pending())

    async def _apply(self, batch: list[Delivery]) -> list[Delivery]:
        if self.apply_loop is None:
            return await self.processor.process(batch)
        future = asyncio.run_coroutine_threadsafe(self.processor.process(batch), self.apply_loop)
        return await asyncio.wrap_future(future)

    async def _process_pending(self) -> None:
        """Apply accepted deliveries in slices until none is left; one pass at a time."""
        if self._processing:
            return
        self._processing = True
        self._spent()  # processing counts against this pass's share too
        try:
            while self._pending:
                # A backlog (a burst outrunning the applier) is taken in bigger bites, up
                # to BATCH: fewer commits and table updates for the same rows.
                size = min(max(self.batch, len(self._pending) // 4, 1), BATCH, len(self._pending))
                batch = [self._pending.popleft() for _ in range(size)]
                try:
                    done = await self._apply(batch)
                    self._mark_later(done)
                    self.stats.processed += len(done)
                except Exception:
                    # Left unprocessed in the store: replayed on the next start.
                    log.exception("processing %d webhook deliveries failed", len(batch))
                if self._pending:
                    # A replayed backlog or a burst over many connections: let the window
                    # paint and answers go out between slices (~15 ms each).
                    await asyncio.sleep(0)
                    self._spent()
        finally:
            self._processing = False
            self._idle.set()


# -- the receiver on a thread of its own ---------------------------------------------------

T = TypeVar("T")


def _settle(future: asyncio.Future[Any], result: object) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


class Handoff:
    """Calls made on the receiver's thread, run on the owner's loop in batches.

    `post` may be called from any thread; the owner's loop is woken once for all that
    was posted until it runs them (`call_soon_threadsafe`), in the order posted. Events
    about new or changed opportunities that follow one another are merged into one, so
    a burst reaches the table as a few updates, not one per delivery."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._lock = threading.Lock()
        self._items: list[tuple[Callable[[Any], object], Any]] = []
        self._scheduled = False

    def post(self, fn: Callable[[T], object], arg: T) -> None:
        with self._lock:
            self._items.append((fn, arg))
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self.loop.call_soon_threadsafe(self.run)
        except RuntimeError:  # the owner's loop is closed: nobody is left to tell
            with self._lock:
                self._scheduled = False

    def run(self) -> None:
        """Run what was posted (on the owner's loop), for at most about HANDOFF_SLICE: the
        rest waits for the loop's next pass, so the window paints in between."""
        with self._lock:
            items, self._items = self._items, []
            self._scheduled = False
        merged = _merged(items)
        began = time.perf_counter()
        for done, (fn, arg) in enumerate(merged, 1):
            try:
                fn(arg)
            except Exception:
                log.exception("a webhook hand-off to the app's loop failed")
            if done < len(merged) and time.perf_counter() - began > HANDOFF_SLICE:
                with self._lock:
                    self._items[:0] = merged[done:]
                    again = not self._scheduled
                    self._scheduled = True
                if again:
                    self.loop.call_soon(self.run)
                return

    async def barrier(self) -> None:
        """Until everything posted before now has run on the owner's loop."""
        done: asyncio.Future[None] = self.loop.create_future()
        self.post(lambda _: _settle(done, None), None)
        await done


def _merged(
    items: list[tuple[Callable[[Any], object], Any]],
) -> list[tuple[Callable[[Any], object], Any]]:
    out: list[tuple[Callable[[Any], object], Any]] = []
    for fn, arg in items:
        if out and out[-1][0] == fn:
            last = out[-1][1]
            for kind in (OpportunitiesAdded, OpportunitiesUpdated):
                if (
                    type(arg) is kind
                    and type(last) is kind
                    and len(last.opportunities) + len(arg.opportunities) <= HANDOFF_MERGE
                ):
                    out[-1] = (fn, kind(last.opportunities + arg.opportunities))
                    break
            else:
                out.append((fn, arg))
            continue
        out.append((fn, arg))
    return out


class HandoffBus(EventBus):
    """The receiver thread's bus: what is published on it is published on the app's bus,
    on the app's loop, in batches."""

    def __init__(self, target: EventBus, handoff: Handoff) -> None:
        super().__init__()
        self._target = target
        self._handoff = handoff

    def publish(self, event: object) -> None:
        self._handoff.post(self._target.publish, event)


class ReceiverThread:
    """The webhook receiver on a thread, an asyncio loop and a store connection of its own.

    On the app's loop, a delivery's commit before its 200 waited behind whatever the window
    was doing (measured: ack p99 14x a bare aiohttp handler, throughput 5-9x below it). Here
    the receiver authenticates, records the delivery durably on its own connection (WAL lets
    two connections share the file), answers, and applies new opportunities on that same
    connection; the events they raise reach the app's bus on the app's loop through a
    `Handoff`, in batches. Status updates and low balances are applied on the app's loop
    (its processor), because they touch the tracking tasks that live there.

    The interface is the receiver's (start, stop, wait_idle, stats, base_url, url_for), all
    called from the app's loop. `stop` closes the listener, every connection the receiver
    accepted (including one whose accept was still under way), lets every task of the
    thread's loop finish, closes the loop and the connection, and joins the thread.
    """

    def __init__(
        self,
        store: Store,
        processor: WebhookProcessor,
        credentials: CredentialsLookup,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        on_delivery: Callable[[Delivery], None] | None = None,
        refresh: CredentialsLookup | None = None,
        **options: Any,
    ) -> None:
        self.path = store.path
        # A team's PostgreSQL is shared as it is (its pool hands each transaction a
        # connection of its own); a SQLite file gets a connection of the thread's own.
        self._shared_db = None if store.db.backend == "sqlite" else store.db
        self.processor = processor  # the app's: applies what is not a new opportunity
        self.credentials = credentials
        self.refresh = refresh
        self.host = host
        self.port = port
        self.stats = ReceiverStats()
        self._on_delivery = on_delivery
        # No slices to share with a window, and small batches so that answers wait for
        # at most one short transaction of processing.
        self._options = {
            "slice_budget": None,
            "batch": THREAD_BATCH,
            "group_commit": True,
            **options,
        }
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._receiver: WebhookReceiver | None = None
        self._stop: asyncio.Event | None = None
        self._handoff: Handoff | None = None
        self._ended: asyncio.Future[None] | None = None

    # -- the receiver's interface, on the app's loop ------------------------------------

    @property
    def running(self) -> bool:
        return self._receiver is not None and self._thread is not None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url_for(self, platform: Platform | str, account: str, base: str | None = None) -> str:
        """The full URL the platform must call for this account (with its token, if any)."""
        creds = self.credentials(account)
        token = creds.token if creds is not None else None
        return (base or self.base_url).rstrip("/") + hook_path(platform, account, token)

    async def start(self) -> int:
        """Start the thread and serve on host:port (0 = a free port); returns the port.
        Raises what the receiver raised (OSError: the port is taken)."""
        if self._thread is not None:
            return self.port
        if sys.getswitchinterval() > SWITCH_INTERVAL:
            sys.setswitchinterval(SWITCH_INTERVAL)
        owner = asyncio.get_running_loop()
        started: asyncio.Future[int] = owner.create_future()
        self._ended = owner.create_future()
        self._handoff = Handoff(owner)
        self._stop = asyncio.Event()
        # Made here, run there: a stop requested while the thread starts is not lost.
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._run, args=(owner, started), name="webhook-receiver", daemon=True
        )
        self._thread.start()
        try:
            self.port = await started
        except BaseException:
            await self.stop()
            raise
        return self.port

    def request_stop(self) -> None:
        """Tell the thread to stop (any thread, never waits): it then closes its listener,
        every connection and its loop on its own, whether or not anyone awaits `stop`."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # its loop has ended already
                loop.call_soon_threadsafe(stop.set)

    async def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self.request_stop()
        ended = self._ended
        if ended is not None:
            # The thread ends within a second or so: processing left over gets at most 1 s,
            # and the rest stays pending in the store for the next start.
            await asyncio.shield(ended)
        thread.join()
        if self._handoff is not None:
            self._handoff.run()  # anything posted at the very end
        self._receiver = None

    async def wait_idle(self) -> None:
        """Until every accepted delivery is processed and what that raised has reached the
        app's bus (tests, shutdown)."""
        receiver, loop, handoff = self._receiver, self._loop, self._handoff
        if receiver is None or loop is None or handoff is None:
            return
        await self._on_thread(receiver.wait_idle())
        await handoff.barrier()

    async def _on_thread(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self._loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    # -- the thread -----------------------------------------------------------------------

    async def _elsewhere(self, deliveries: list[Delivery]) -> list[Delivery]:
        """Apply deliveries with the app's processor, on the app's loop."""
        assert self._handoff is not None
        owner = self._handoff.loop
        future = asyncio.run_coroutine_threadsafe(self.processor.process(deliveries), owner)
        return await asyncio.wrap_future(future)

    def _run(self, owner: asyncio.AbstractEventLoop, started: asyncio.Future[int]) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve(owner, started))
        except BaseException as exc:  # never leave the app waiting on `started`
            owner.call_soon_threadsafe(_settle, started, exc)
            log.exception("the webhook receiver's thread failed")
        finally:
            try:
                loop.run_until_complete(_drain(loop))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()
                assert self._ended is not None
                with contextlib.suppress(RuntimeError):  # the app's loop is gone: nobody waits
                    owner.call_soon_threadsafe(_settle, self._ended, None)

    async def _serve(self, owner: asyncio.AbstractEventLoop, started: asyncio.Future[int]) -> None:
        assert self._handoff is not None and self._stop is not None
        handoff = self._handoff
        stores: list[Store] = []
        applier: _LoopThread | None = None
        receiver: WebhookReceiver | None = None
        try:
            # One connection for recording (this thread) and applying (its own thread):
            # two writers in one process on two connections would wait on each other
            # through SQLite's busy handler, which sleeps (measured: acks of 3 s); on one
            # connection they wait on its lock, which wakes the next at once.
            if self._shared_db is not None:
                store = Store(self._shared_db)  # the app's to close, not this thread's
            else:
                store = Store(Database.open(self.path, daily_backups=False))
                stores.append(store)
            apply_store = store
            applier = _LoopThread("webhook-apply")
            bus = HandoffBus(self.processor.bus, handoff)
            inbox = Inbox(apply_store, bus, self.processor.inbox.accounts)
            processor = WebhookProcessor(
                apply_store, inbox, self.processor.submissions, bus, elsewhere=self._elsewhere
            )
            told = self._on_delivery
            on_delivery = None if told is None else (lambda d: handoff.post(told, d))
            receiver = WebhookReceiver(
                store,
                processor,
                _StoreAccounts(store),
                self.credentials,
                host=self.host,
                port=self.port,
                on_delivery=on_delivery,
                refresh=self.refresh,
                stats=self.stats,
                apply_loop=applier.loop,
                **self._options,
            )
            port = await receiver.start()
        except BaseException as exc:
            owner.call_soon_threadsafe(_settle, started, exc)
            if receiver is not None:
                await receiver.stop()
            if applier is not None:
                applier.stop()
            for opened in stores:
                opened.close()
            return
        self._receiver = receiver
        owner.call_soon_threadsafe(_settle, started, port)
        try:
            await self._stop.wait()
        finally:
            try:
                await receiver.stop()
                # Every accept under way ends (its socket closed by `_Closing`), then
                # whatever handler it still made is aborted: no socket outlives the loop.
                await _drain(asyncio.get_running_loop())
                receiver.abort_connections(closing_too=True)
                for _ in range(3):  # their connection_lost: the sockets close
                    await asyncio.sleep(0)
            finally:
                applier.stop()
                for opened in stores:
                    opened.close()


class _LoopThread:
    """An asyncio loop running on a thread of its own until `stop`."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        loop = self.loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            loop.run_until_complete(_drain(loop))
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):  # already closed
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()


async def _drain(loop: asyncio.AbstractEventLoop, timeout: float = 1.0) -> None:
    """Let every other task of this loop finish (accepts under way), cancelling what is
    still running after `timeout`; then a few passes for close callbacks to run."""
    current = asyncio.current_task()
    others = [t for t in asyncio.all_tasks(loop) if t is not current]
    if others:
        _, late = await asyncio.wait(others, timeout=timeout)
        for task in late:
            task.cancel()
        if late:
            await asyncio.gather(*late, return_exceptions=True)
    for _ in range(3):
        await asyncio.sleep(0)
