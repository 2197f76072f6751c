"""The sandbox server: one aiohttp app on 127.0.0.1 serving all three platforms by prefix.

`Sandbox` owns everything it starts (the runner, the lifecycle timer, held responses) and
`stop()` releases all of it; `run_sandbox` is the headless entry point that prints one JSON
line with the base URLs and keys, then serves until cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import ipaddress
import json
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from aiohttp import web

from app.connections import Connections
from app.sandbox import world as kept
from app.sandbox.clock import Clock, Scheduler
from app.sandbox.common import json_response, read_json
from app.sandbox.data import UpworkUniverse
from app.sandbox.deliverer import ATTEMPTS_KEPT, Deliverer, WebhookFaults
from app.sandbox.events import EventLog
from app.sandbox.faults import FaultInjector
from app.sandbox.gigiac import KEEP_TASKS, GigiacApi, GigiacState
from app.sandbox.gigradar import KEEP_OPPORTUNITIES, GigRadarApi, GigRadarState
from app.sandbox.openai_api import MODEL, OpenAIApi
from app.sandbox.platform import Journal, PlatformApi, SandboxContext
from app.sandbox.ratelimit import RateLimiter
from app.sandbox.uphunt import UpHuntApi, UpHuntState

if TYPE_CHECKING:
    from app.sandbox.platform import Handler

logger = logging.getLogger(__name__)

CONTROL_PREFIX = "/_sandbox"


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 0
    speed: float = 1.0
    faults: str | None = None  # e.g. "429=0.05,500=0.02,timeout=0.01,reset=0.01,malformed=0.01"
    initial_opportunities: int = 40  # GigRadar opportunities at start
    initial_tasks: int = 30  # Gigiac open tasks at start
    arrivals: bool = True  # new jobs/tasks keep arriving over time
    # What the sandbox remembers of what arrived: the newest N GigRadar opportunities and
    # Gigiac tasks nobody applied to; older ones are forgotten (their reads answer 404),
    # so a sandbox that runs for hours stays bounded. Applied-to ones are kept for good.
    keep_opportunities: int = KEEP_OPPORTUNITIES
    keep_tasks: int = KEEP_TASKS
    timeout_hold: float = 30.0  # real seconds a "timeout" fault holds its answer
    # Rate budgets per key and window; windows scale with speed.
    gigradar_per_minute: int = 30
    gigradar_per_day: int = 1000
    gigiac_reads_per_minute: int = 120
    gigiac_writes_per_minute: int = 30
    uphunt_limits: dict[str, int] | None = None  # per-endpoint overrides (uphunt.DEFAULT_LIMITS)
    openai_requests_per_minute: int = 500  # the sandbox model's budget (OpenAI's tier-1 RPM)
    # Webhook deliveries: the platforms' own duplicates, and faults for tests.
    webhook_duplicates: float = 0.02
    webhook_drop: float = 0.0
    webhook_corrupt: float = 0.0
    # Documents-only mode: serve only what the three platform documents describe (no
    # `[P]` endpoint, header or payload field of platform-apis.md); the rest answers 404.
    strict: bool = False
    # A kept world (world.py): the folder holding `world-<seed>.json`, e.g. the profile's
    # `sandbox/`. Restarts then rebuild the same jobs under the same ids, with the
    # applications and proposals sent to them. None: a fresh world each start.
    state_dir: Path | None = None
    save_every: float = 1.0  # real seconds between saves of a changed kept world (and at stop)


@dataclass(frozen=True)
class PlatformEndpoint:
    base_url: str
    api_key: str


@dataclass(frozen=True)
class ModelEndpoint:
    """Where the sandbox's OpenAI-compatible model answers, as an SDK client configures it."""

    base_url: str
    api_key: str
    model: str


@dataclass(frozen=True)
class SandboxInfo:
    port: int
    gigradar: PlatformEndpoint
    uphunt: PlatformEndpoint
    gigiac: PlatformEndpoint
    speed: float = 1.0
    seed: int = 0
    openai: ModelEndpoint | None = None
    strict: bool = False

    def as_dict(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "sandbox": {
                name: {"base_url": endpoint.base_url, "api_key": endpoint.api_key}
                for name, endpoint in (
                    ("gigradar", self.gigradar),
                    ("uphunt", self.uphunt),
                    ("gigiac", self.gigiac),
                )
            },
            "speed": self.speed,
            "seed": self.seed,
        }
        if self.strict:
            payload["strict"] = True
        if self.openai is not None:
            payload["openai"] = {
                "base_url": self.openai.base_url,
                "api_key": self.openai.api_key,
                "model": self.openai.model,
            }
        return payload

    def to_json(self) -> str:
        """One line: {"sandbox": {"gigradar": {"base_url", "api_key"}, "uphunt": ...,
        "gigiac": ...}, "speed": X, "seed": N, "openai": {"base_url", "api_key", "model"}}."""
        return json.dumps(self.as_dict())


def api_key(platform: str, seed: int) -> str:
    """Keys stable per seed, in each platform's documented format."""
    digest = hashlib.sha256(f"biddesk-sandbox:{platform}:{seed}".encode()).hexdigest()[:16]
    prefix = {
        "gigradar": "gr_live_sandbox_",
        "uphunt": "sk_uphunt_sandbox_",
        "gigiac": "gig_sandbox_",
        "openai": "sk-sandbox-",
    }
    return prefix[platform] + digest


class Sandbox:
    """GigRadar, UpHunt and Gigiac emulated on one loopback port."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        cfg = self.config
        world: kept.KeptWorld | None = None
        if cfg.state_dir is not None:
            world = kept.load(cfg, Path(cfg.state_dir), time.time())
        try:
            self._assemble(world)
        except Exception:
            if world is None or world.starts == 0:
                raise
            # A file that reads but does not rebuild (edited by hand, a bug): the sandbox
            # must still start. Everything is assembled again, from a new world.
            logger.exception(
                "the kept sandbox world %s could not be rebuilt; set aside, a new one begins",
                world.path,
            )
            kept.set_aside(world.path, time.time())
            self._assemble(kept.KeptWorld(world.path, epoch=time.time()))

    def _assemble(self, world: kept.KeptWorld | None) -> None:
        """Build the world (a kept one as it was) and the platforms serving it."""
        cfg = self.config
        self.clock = Clock(cfg.speed)
        self.scheduler = Scheduler(self.clock)
        self.faults = FaultInjector(cfg.faults, cfg.seed)
        self.events = EventLog(self.clock)
        self.ctx = SandboxContext(
            clock=self.clock,
            scheduler=self.scheduler,
            limiter=RateLimiter(self.clock),
            faults=self.faults,
            events=self.events,
            seed=cfg.seed,
            timeout_hold=cfg.timeout_hold,
            strict=cfg.strict,
        )
        self.world = world
        if world is not None:
            self.ctx.runtime_salt = world.runtime_salt
        # One data stream in a fixed order: the same seed always builds the same world
        # (a kept one at the time it was first built, so its ids and times come out equal).
        data_rng = random.Random(f"data:{cfg.seed}")
        self.universe = UpworkUniverse(random.Random(f"universe:{cfg.seed}"))
        with self.clock.pinned(self.world.epoch) if self.world else contextlib.nullcontext():
            self.gigradar = GigRadarState(
                self.ctx,
                self.universe,
                data_rng,
                initial=cfg.initial_opportunities,
                keep=cfg.keep_opportunities,
            )
            self.uphunt = UpHuntState(self.ctx, self.universe, data_rng)
            self.gigiac = GigiacState(
                self.ctx, data_rng, initial=cfg.initial_tasks, keep=cfg.keep_tasks
            )
        if self.world is not None:
            kept.replay(self, self.world)
            self.ctx.journal = Journal(self.world.journal)
            self.world.journal = []  # replayed: the encoded copy is the one kept
        self.keys = {
            name: api_key(name, cfg.seed) for name in ("gigradar", "uphunt", "gigiac", "openai")
        }
        self._apis: list[PlatformApi] = [
            GigRadarApi(
                self.ctx,
                self.keys["gigradar"],
                self.gigradar,
                per_minute=cfg.gigradar_per_minute,
                per_day=cfg.gigradar_per_day,
            ),
            UpHuntApi(self.ctx, self.keys["uphunt"], self.uphunt, limits=cfg.uphunt_limits),
            GigiacApi(
                self.ctx,
                self.keys["gigiac"],
                self.gigiac,
                reads_per_minute=cfg.gigiac_reads_per_minute,
                writes_per_minute=cfg.gigiac_writes_per_minute,
            ),
            OpenAIApi(
                self.ctx, self.keys["openai"], requests_per_minute=cfg.openai_requests_per_minute
            ),
        ]
        self.deliverer = Deliverer(
            self.events,
            self.gigradar,
            self.clock,
            seed=cfg.seed,
            faults=WebhookFaults(cfg.webhook_duplicates, cfg.webhook_drop, cfg.webhook_corrupt),
            strict=cfg.strict,
        )
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.AbstractServer | None = None
        self._connections = Connections()
        self._info: SandboxInfo | None = None
        self._arrivals_scheduled = False  # one arrival chain each, even across restarts
        self._saver: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def info(self) -> SandboxInfo:
        if self._info is None:
            raise RuntimeError("the sandbox is not started")
        return self._info

    @property
    def started(self) -> bool:
        return self._runner is not None

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=1024**2)
        for api in self._apis:
            app.router.add_routes(api.served_routes())
        app.router.add_routes(self._control_routes())
        return app

    async def start(self) -> SandboxInfo:
        if self._runner is not None:
            return self.info
        cfg = self.config
        # Short shutdown: held "timeout" answers end on their own when `closing` is set.
        runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        server = runner.server
        assert server is not None
        self._connections = Connections()
        try:
            listener = await asyncio.get_running_loop().create_server(
                self._connections.wrap(server), cfg.host, cfg.port, reuse_address=True
            )
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._listener = listener
        port = int(listener.sockets[0].getsockname()[1]) if listener.sockets else cfg.port
        host = cfg.host if ":" not in cfg.host else f"[{cfg.host}]"
        root = f"http://{host}:{port}"
        self._info = SandboxInfo(
            port=port,
            gigradar=PlatformEndpoint(f"{root}/gigradar/public-api/v1", self.keys["gigradar"]),
            uphunt=PlatformEndpoint(f"{root}/uphunt", self.keys["uphunt"]),
            gigiac=PlatformEndpoint(f"{root}/gigiac", self.keys["gigiac"]),
            speed=float(cfg.speed),
            seed=cfg.seed,
            openai=ModelEndpoint(f"{root}/openai/v1", self.keys["openai"], MODEL),
            strict=cfg.strict,
        )
        self.ctx.base_urls = {
            "gigradar": self._info.gigradar.base_url,
            "uphunt": self._info.uphunt.base_url,
            "gigiac": self._info.gigiac.base_url,
        }
        self.ctx.closing = asyncio.Event()
        self.scheduler.attach(asyncio.get_running_loop())
        await self.deliverer.start()
        if cfg.arrivals and not self._arrivals_scheduled:
            self._arrivals_scheduled = True
            self.gigradar.schedule_arrival()
            self.gigiac.schedule_arrival()
        if self.world is not None:
            await self.save_world()  # the epoch is kept from the first start on
            self._saver = asyncio.create_task(self._save_periodically(), name="sandbox:world")
        logger.info(
            "sandbox listening on %s (seed %s, speed %s%s)",
            root,
            cfg.seed,
            cfg.speed,
            ", documents only" if cfg.strict else "",
        )
        return self._info

    def halt(self) -> None:
        """Stop at once what runs by itself: the lifecycle clock and the periodic save.

        For a `stop` cut short (a shutdown's timeout): what it did not reach would go on
        firing after the owner's loop stopped (measured: the save's thread hand-off ran
        in qasync's last pass of Qt events, outside any running loop, and failed)."""
        self.scheduler.detach()
        saver, self._saver = self._saver, None
        if saver is not None:
            saver.cancel()

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        saver = self._saver
        self.halt()
        if self.ctx.closing is not None:
            self.ctx.closing.set()
        if saver is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await saver
        await self.deliverer.stop()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        await runner.cleanup()
        if listener is not None:
            await listener.wait_closed()
        # What aiohttp's sweep missed, and every socket closed before this returns
        # (app/connections.py).
        await self._connections.close_all()
        if self.world is not None:
            await self.save_world()
        logger.info("sandbox stopped")

    async def save_world(self) -> None:
        """Write the kept world now (a no-op without `state_dir`); a failure is logged."""
        world = self.world
        if world is None:
            return
        # On the loop: the state cannot move meanwhile, and the thread only writes bytes.
        data = kept.encode(kept.snapshot(self, world))
        try:
            await asyncio.to_thread(kept.write, world.path, data)
        except OSError as exc:
            logger.warning("the sandbox world could not be saved to %s: %s", world.path, exc)

    async def _save_periodically(self) -> None:
        last: tuple[int, ...] | None = None
        while True:
            await asyncio.sleep(self.config.save_every)
            # The event log and the journal move with every change worth keeping, except
            # an unscheduled application; the state digest catches that one too.
            marker = (self.events.last_seq, len(self.ctx.journal or ()), *self._digest())
            if marker != last:
                await self.save_world()
                last = marker

    def _digest(self) -> tuple[int, ...]:
        return (
            sum(o.applications_created for o in self.gigradar.opportunities.values()),
            sum(a.generation for a in self._applications()),
            len(self.uphunt.queue),
            len(self.gigiac.proposals),
            sum(s.auto_bidder for s in self.gigradar.scanners.values()),
        )

    def _applications(self) -> list[Any]:
        return [o.application for o in self.gigradar.opportunities.values() if o.application]

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- world controls ------------------------------------------------------------------

    def advance(self) -> int:
        """Run every lifecycle step that is due now; returns how many ran."""
        return self.scheduler.advance()

    def close_job(self, ciphertext: str) -> None:
        """The Upwork job closes: GigRadar sends fail, UpHunt ends in not_available."""
        self.universe.close(ciphertext, self.clock.wall())

    def close_task(self, task_id: str) -> None:
        """The Gigiac task is no longer open (cancelled); pending proposals are rejected."""
        self.gigiac.close_task(task_id)

    def add_opportunity(self, **overrides: Any) -> dict[str, Any]:
        """A new GigRadar opportunity now; returns (a copy of) its wire dict.

        Overrides: scannerId, jobId, category, score, qualification, detected, title, job.
        """
        return copy.deepcopy(self.gigradar.wire(self.gigradar.add_opportunity(**overrides)))

    def add_task(self, **overrides: Any) -> dict[str, Any]:
        """A new open Gigiac task now (any task field may be overridden); returns a copy."""
        return copy.deepcopy(self.gigiac.add_task(**overrides))

    # -- HTTP plumbing -------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await self._route(request, handler)
        except ConnectionResetError:
            # The client left while its body was being read (an app stopping in the middle
            # of a request, seen in a test run on a busy machine): a platform drops such a
            # connection without a word, where aiohttp would log an ERROR. The answer goes
            # nowhere; aiohttp ignores writing it to the closed connection.
            logger.debug("a client left before its %s %s was read", request.method, request.path)
            return json_response({"error": "the request did not arrive whole"}, 400)

    async def _route(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        for api in self._apis:
            if path.startswith(api.prefix + "/") or path == api.prefix:
                return await api.dispatch(request, handler)
        if path.startswith(CONTROL_PREFIX + "/") and not self._is_loopback(request):
            return json_response({"error": "the control surface is loopback-only"}, 403)
        self.scheduler.advance()
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status in (404, 405):
                return json_response({"error": exc.reason, "path": path}, exc.status)
            raise

    @staticmethod
    def _is_loopback(request: web.Request) -> bool:
        remote = request.remote or ""
        try:
            return ipaddress.ip_address(remote).is_loopback
        except ValueError:
            return False

    def _control_routes(self) -> list[web.RouteDef]:
        p = CONTROL_PREFIX
        return [
            web.get(p + "/info", self._ctl_info),
            web.get(p + "/faults", self._ctl_faults_get),
            web.post(p + "/faults", self._ctl_faults_post),
            web.delete(p + "/faults", self._ctl_faults_delete),
            web.post(p + "/jobs/{ciphertext}/close", self._ctl_close_job),
            web.post(p + "/tasks/{task_id}/close", self._ctl_close_task),
            web.post(p + "/opportunities", self._ctl_add_opportunity),
            web.post(p + "/scanners/{scanner_id}", self._ctl_scanner),
            web.post(p + "/tasks", self._ctl_add_task),
            web.get(p + "/events", self._ctl_events),
            web.get(p + "/webhooks", self._ctl_webhooks_get),
            web.post(p + "/webhooks", self._ctl_webhooks_post),
            web.delete(p + "/webhooks/{platform}", self._ctl_webhooks_delete),
            web.post(p + "/webhook-faults", self._ctl_webhook_faults),
        ]

    def _webhooks_state(self) -> dict[str, Any]:
        return {
            "gigradar": [h.wire() for h in self.gigradar.webhooks.values()],
            "gigradar_registrations": self.gigradar.webhook_posts,
            "dashboard": {p: t.url for p, t in self.deliverer.dashboard.items()},
            "faults": dict(self.deliverer.faults.__dict__),
            "stats": self.deliverer.stats.as_dict(),
            "attempts": [a.__dict__ for a in list(self.deliverer.log)[-ATTEMPTS_KEPT:]],
        }

    async def _ctl_webhooks_get(self, request: web.Request) -> web.Response:
        return json_response(self._webhooks_state())

    async def _ctl_webhooks_post(self, request: web.Request) -> web.Response:
        """What a user sets in UpHunt's or Gigiac's dashboard: a URL and a signing secret."""
        body, problem = await read_json(request)
        if problem or not isinstance(body, dict):
            return json_response({"error": problem or "body must be a JSON object"}, 400)
        try:
            self.deliverer.set_dashboard(
                str(body.get("platform")), str(body.get("url", "")), str(body.get("secret") or "")
            )
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response(self._webhooks_state(), 201)

    async def _ctl_webhooks_delete(self, request: web.Request) -> web.Response:
        self.deliverer.dashboard.pop(request.match_info["platform"], None)
        return json_response(self._webhooks_state())

    async def _ctl_webhook_faults(self, request: web.Request) -> web.Response:
        body, problem = await read_json(request)
        if problem or not isinstance(body, dict):
            return json_response({"error": problem or "body must be a JSON object"}, 400)
        try:
            self.deliverer.faults.update(body)
        except (TypeError, ValueError) as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response(self._webhooks_state())

    async def _ctl_info(self, request: web.Request) -> web.Response:
        payload = self.info.as_dict()
        payload["state"] = {
            "opportunities": len(self.gigradar.opportunities),
            "upwork_jobs": len(self.universe.jobs),
            "uphunt_queue": len(self.uphunt.queue),
            "uphunt_credits_remaining": self.uphunt.credits_remaining,
            "gigiac_tasks": len(self.gigiac.tasks),
            "gigiac_proposals": len(self.gigiac.proposals),
            "events": self.events.last_seq,
            "pending_lifecycle_steps": len(self.scheduler),
        }
        return json_response(payload)

    def _faults_state(self) -> dict[str, Any]:
        return {"rates": self.faults.rates, "pending": self.faults.pending}

    async def _ctl_faults_get(self, request: web.Request) -> web.Response:
        return json_response(self._faults_state())

    async def _ctl_faults_post(self, request: web.Request) -> web.Response:
        body, problem = await read_json(request)
        if problem or not isinstance(body, dict):
            return json_response({"error": problem or "body must be a JSON object"}, 400)
        try:
            if "spec" in body:
                self.faults.set_spec(body["spec"])
            else:
                allowed = {"kind", "platform", "method", "path_contains", "count", "retry_after"}
                unknown = set(body) - allowed
                if unknown or "kind" not in body:
                    raise ValueError(f"expected kind plus any of {sorted(allowed - {'kind'})}")
                kwargs = {k: v for k, v in body.items() if k != "kind"}
                self.faults.inject(str(body["kind"]), **kwargs)
        except (TypeError, ValueError) as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response(self._faults_state(), 201)

    async def _ctl_faults_delete(self, request: web.Request) -> web.Response:
        self.faults.clear()
        return json_response(self._faults_state())

    async def _ctl_close_job(self, request: web.Request) -> web.Response:
        cipher = request.match_info["ciphertext"]
        try:
            self.close_job(cipher)
        except KeyError:
            return json_response({"error": f"unknown job {cipher}"}, 404)
        return json_response({"ciphertext": cipher, "status": "closed"})

    async def _ctl_close_task(self, request: web.Request) -> web.Response:
        task_id = request.match_info["task_id"]
        try:
            self.close_task(task_id)
        except KeyError:
            return json_response({"error": f"unknown task {task_id}"}, 404)
        return json_response({"id": task_id, "status": self.gigiac.tasks[task_id]["status"]})

    async def _overrides(self, request: web.Request) -> dict[str, Any] | web.Response:
        if not (await request.read()).strip():
            return {}
        body, problem = await read_json(request)
        if problem or not isinstance(body, dict):
            return json_response({"error": problem or "body must be a JSON object"}, 400)
        return body

    async def _ctl_add_opportunity(self, request: web.Request) -> web.Response:
        overrides = await self._overrides(request)
        if isinstance(overrides, web.Response):
            return overrides
        try:
            return json_response(self.add_opportunity(**overrides), 201)
        except (KeyError, TypeError, ValueError) as exc:
            return json_response({"error": str(exc)}, 400)

    async def _ctl_scanner(self, request: web.Request) -> web.Response:
        """{"autoBidder": bool}: what the user sets in the scanner's settings."""
        scanner = self.gigradar.scanners.get(request.match_info["scanner_id"])
        if scanner is None:
            return json_response({"error": "unknown scanner"}, 404)
        body, problem = await read_json(request)
        if problem or not isinstance(body, dict) or not isinstance(body.get("autoBidder"), bool):
            return json_response({"error": problem or 'body must be {"autoBidder": bool}'}, 400)
        scanner.auto_bidder = body["autoBidder"]
        return json_response(scanner.wire(self.gigradar.team))

    async def _ctl_add_task(self, request: web.Request) -> web.Response:
        overrides = await self._overrides(request)
        if isinstance(overrides, web.Response):
            return overrides
        try:
            return json_response(self.add_task(**overrides), 201)
        except (KeyError, TypeError, ValueError) as exc:
            return json_response({"error": str(exc)}, 400)

    async def _ctl_events(self, request: web.Request) -> web.Response:
        after_text = request.query.get("after", "0")
        if not after_text.isdigit():
            return json_response({"error": "after must be a non-negative integer"}, 400)
        platform = request.query.get("platform") or None
        events = self.events.since(int(after_text), platform=platform)
        return json_response(
            {
                "events": [
                    {
                        "seq": e.seq,
                        "id": e.id,
                        "platform": e.platform,
                        "type": e.type,
                        "body": e.envelope(),
                    }
                    for e in events
                ],
                "last_seq": self.events.last_seq,
            }
        )


async def run_sandbox(config: SandboxConfig, out: TextIO) -> None:
    """Start, write the one-line JSON info to `out`, serve until cancelled, stop cleanly."""
    sandbox = Sandbox(config)
    await sandbox.start()
    try:
        out.write(sandbox.info.to_json() + "\n")
        out.flush()
        await asyncio.Event().wait()  # until the caller cancels us (SIGINT/SIGTERM)
    finally:
        await sandbox.stop()
