"""Tunnel providers: how a platform's webhooks reach a desktop behind NAT.

A platform can only deliver webhooks to a public URL; the receiver listens on loopback.
A provider bridges the two and reports, as `TunnelStatus` events, its state and the public
URL to register. Four kinds:

- `none`: no tunnel. The public URL is the local one: right for the sandbox, and for a
  user on a server with a public address.
- `manual`: the user's own reverse proxy; the given URL is up at once.
- `cloudflared`: a quick tunnel from the `cloudflared` binary (on PATH or configured). Its
  URL is read from the process output; a quick tunnel gets a NEW URL on every start, so
  every restart reports a new UP status and the caller re-registers its webhooks. The
  process is restarted with exponential backoff when it dies or prints no URL in time.
- `ngrok`: the official `ngrok` package, whose agent is compiled into the wheel (a wrapper
  that downloads a binary at run time would fail on locked-down machines). Optional: it
  is imported only when chosen.

Nothing here imports Qt: the UI learns about the tunnel through `on_status`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import logging
import os
import re
import shutil
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from app.domain import utcnow
from app.services.webhook_settings import SPEC_HELP as SPEC_HELP
from app.services.webhook_settings import ProviderName as ProviderName
from app.services.webhook_settings import TunnelSpec as TunnelSpec
from app.services.webhook_settings import check_manual_url as _check_manual_url
from app.services.webhook_settings import parse_tunnel_spec as parse_tunnel_spec

log = logging.getLogger(__name__)

StatusCallback = Callable[["TunnelStatus"], None]
Sleep = Callable[[float], Awaitable[None]]

DEFAULT_URL_TIMEOUT = 30.0
DEFAULT_STABLE_AFTER = 60.0
DEFAULT_STOP_GRACE = 1.5


class TunnelState(StrEnum):
    OFF = "off"
    STARTING = "starting"
    UP = "up"
    RESTARTING = "restarting"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class TunnelStatus:
    provider: str
    state: TunnelState
    public_url: str | None  # base URL, no trailing slash
    message: str  # one sentence for the status bar and the log
    at: datetime  # aware UTC


class TunnelError(Exception):
    """The tunnel could not come up; str() is a sentence to show the user."""


class TunnelProvider(ABC):
    """Shared status plumbing: every change goes to `on_status` and wakes `wait_up`."""

    name: ClassVar[str]

    def __init__(self, on_status: StatusCallback) -> None:
        self._on_status = on_status
        self._status = TunnelStatus(self.name, TunnelState.OFF, None, "Tunnel off.", utcnow())
        self._changed = asyncio.Event()

    @property
    def status(self) -> TunnelStatus:
        return self._status

    @abstractmethod
    async def start(self, local_url: str) -> None:
        """Begin exposing `local_url`; returns once the first attempt is under way."""

    @abstractmethod
    async def stop(self) -> None:
        """Take the tunnel down (idempotent); child processes are gone when this returns."""

    async def wait_up(self, timeout: float) -> str:
        """The public URL once UP; TunnelError if the tunnel fails, is off or times out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            status = self._status
            if status.state is TunnelState.UP and status.public_url:
                return status.public_url
            if status.state in (TunnelState.FAILED, TunnelState.OFF):
                raise TunnelError(status.message)
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise TunnelError(
                    f"The {self.name} tunnel was not up after {timeout:g} s ({status.message})"
                ) from None

    def _report(self, state: TunnelState, message: str, public_url: str | None = None) -> None:
        self._status = TunnelStatus(self.name, state, public_url, message, utcnow())
        log.info("tunnel %s: %s", self.name, message)
        # A fresh event per change: waiters wake once, later waits block until the next.
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
        try:
            self._on_status(self._status)
        except Exception:
            log.exception("tunnel status subscriber failed")


class NoTunnel(TunnelProvider):
    """Loopback: the receiver's own URL is the one to register."""

    name = "none"

    async def start(self, local_url: str) -> None:
        url = local_url.rstrip("/")
        self._report(TunnelState.UP, f"No tunnel: webhooks reach {url} directly.", url)

    async def stop(self) -> None:
        if self._status.state is not TunnelState.OFF:
            self._report(TunnelState.OFF, "Tunnel off.")


class ManualTunnel(TunnelProvider):
    """The user's own reverse proxy forwards the public URL to the receiver."""

    name = "manual"

    def __init__(self, on_status: StatusCallback, url: str) -> None:
        super().__init__(on_status)
        self._url = _check_manual_url(url)

    async def start(self, local_url: str) -> None:
        note = (
            " (plain http: deliveries are not encrypted)" if self._url.startswith("http:") else ""
        )
        self._report(
            TunnelState.UP,
            f"Tunnel up at {self._url}, forwarded by your proxy to {local_url.rstrip('/')}{note}.",
            self._url,
        )

    async def stop(self) -> None:
        if self._status.state is not TunnelState.OFF:
            self._report(TunnelState.OFF, "Tunnel off.")


# cloudflared's banner, each line behind a timestamp and "INF":
#   +------------------------------------------------------------------+
#   |  Your quick Tunnel has been created! Visit it at (it may take ...  |
#   |  https://some-random-words.trycloudflare.com                       |
#   +------------------------------------------------------------------+
_QUICK_URL = re.compile(r"https://[a-z0-9-]+(?:\.[a-z0-9-]+)*\.trycloudflare\.com\b", re.I)
_ANY_URL = re.compile(r"https://[^\s|]+", re.I)
_BANNER_HEADER = "quick tunnel has been created"
_ERROR_LINE = re.compile(r"\s(?:ERR|FTL)\s+(.*)$")


class QuickTunnelUrlParser:
    """Finds the public URL in cloudflared's output, fed one line at a time.

    Any `https://….trycloudflare.com` counts; so does any https URL on a line of the
    banner (after its header, before its closing border), in case the domain changes.
    Other URLs (cloudflared prints documentation links) do not.
    """

    def __init__(self) -> None:
        self._in_banner = False

    def feed(self, line: str) -> str | None:
        if found := _QUICK_URL.search(line):
            return found.group(0).rstrip("/")
        if _BANNER_HEADER in line.lower():
            self._in_banner = True
            return None
        if self._in_banner:
            if "+--" in line:
                self._in_banner = False
            elif found := _ANY_URL.search(line):
                return found.group(0).rstrip("/")
        return None


def _seconds(value: float) -> str:
    return f"{value:g} s"


class CloudflaredTunnel(TunnelProvider):
    """Runs `cloudflared tunnel --no-autoupdate --url <local>` and keeps it running."""

    name = "cloudflared"

    def __init__(
        self,
        on_status: StatusCallback,
        *,
        binary: str | None = None,
        restart_backoff: tuple[float, float] = (1.0, 60.0),
        url_timeout: float = DEFAULT_URL_TIMEOUT,
        stable_after: float = DEFAULT_STABLE_AFTER,
        stop_grace: float = DEFAULT_STOP_GRACE,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(on_status)
        self._binary = binary
        self._base_delay, self._max_delay = restart_backoff
        self._url_timeout = url_timeout
        self._stable_after = stable_after
        self._stop_grace = stop_grace
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._up_since: float | None = None

    @property
    def pid(self) -> int | None:
        """The running cloudflared's process id, if any (for diagnostics and tests)."""
        return self._proc.pid if self._proc is not None else None

    def _resolve_binary(self) -> str:
        if self._binary:
            path = Path(self._binary)
            if not path.is_file():
                raise TunnelError(
                    f"cloudflared not found at {self._binary}: install it or fix its path in "
                    "Settings."
                )
            if not os.access(path, os.X_OK):
                raise TunnelError(f"{self._binary} is not executable: check its permissions.")
            return str(path)
        found = shutil.which("cloudflared")
        if found is None:
            raise TunnelError("cloudflared not found: install it or set its path in Settings.")
        return found

    async def start(self, local_url: str) -> None:
        if self._task is not None and not self._task.done():
            return
        try:
            binary = self._resolve_binary()
        except TunnelError as exc:
            self._report(TunnelState.FAILED, str(exc))
            return
        first_attempt: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(
            self._supervise(binary, local_url, first_attempt), name="tunnel:cloudflared"
        )
        self._task.add_done_callback(_log_failure)
        await asyncio.wait([first_attempt, self._task], return_when=asyncio.FIRST_COMPLETED)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])  # its cleanup terminates the process
        if self._proc is not None:  # cancelled before its cleanup could run
            await self._terminate(self._proc)
            self._proc = None
        if self._status.state is not TunnelState.OFF:
            self._report(TunnelState.OFF, "Tunnel off.")

    async def _supervise(
        self, binary: str, local_url: str, first_attempt: asyncio.Future[None]
    ) -> None:
        loop = asyncio.get_running_loop()
        delay = self._base_delay
        attempt = 1
        while True:
            self._report(
                TunnelState.STARTING,
                "Starting cloudflared."
                if attempt == 1
                else f"Starting cloudflared (attempt {attempt}).",
            )
            self._up_since = None
            try:
                reason = await self._run_once(binary, local_url, first_attempt)
            except OSError as exc:
                self._report(
                    TunnelState.FAILED, f"cloudflared could not start: {exc.strerror or exc}."
                )
                return
            finally:
                if not first_attempt.done():
                    first_attempt.set_result(None)
            if self._up_since is not None and loop.time() - self._up_since >= self._stable_after:
                delay = self._base_delay  # it had settled: this death is news, not a loop
            self._report(TunnelState.RESTARTING, f"{reason}; restarting in {_seconds(delay)}.")
            await self._sleep(delay)
            delay = min(delay * 2, self._max_delay)
            attempt += 1

    async def _run_once(
        self, binary: str, local_url: str, first_attempt: asyncio.Future[None]
    ) -> str:
        """Run cloudflared once; returns why it ended, as the start of a sentence."""
        proc = await asyncio.create_subprocess_exec(
            binary,
            "tunnel",
            "--no-autoupdate",
            "--url",
            local_url,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._proc = proc
        if not first_attempt.done():
            first_attempt.set_result(None)
        try:
            return await self._watch(proc)
        finally:
            await self._terminate(proc)
            self._proc = None

    async def _watch(self, proc: asyncio.subprocess.Process) -> str:
        assert proc.stdout is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._url_timeout
        parser = QuickTunnelUrlParser()
        url: str | None = None
        last_error = ""
        while True:
            try:
                if url is None:
                    remaining = max(0.0, deadline - loop.time())
                    raw = await asyncio.wait_for(proc.stdout.readline(), remaining)
                else:
                    raw = await proc.stdout.readline()
            except TimeoutError:
                return f"cloudflared printed no tunnel URL within {_seconds(self._url_timeout)}"
            except ValueError:  # a line longer than the stream's limit: skipped
                continue
            if not raw:
                break
            line = raw.decode("utf-8", "replace").rstrip()
            log.debug("cloudflared: %s", line)
            if error := _ERROR_LINE.search(line):
                last_error = error.group(1).strip()[:160]
            if url is None and (url := parser.feed(line)) is not None:
                self._up_since = loop.time()
                self._report(TunnelState.UP, f"Tunnel up at {url}.", url)
        code = await proc.wait()
        detail = f": {last_error}" if last_error else ""
        return f"cloudflared exited (code {code}){detail}"

    async def _terminate(self, proc: asyncio.subprocess.Process) -> None:
        """SIGTERM, then SIGKILL after the grace period; always reaps (no zombie)."""
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), self._stop_grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
        await proc.wait()


class NgrokTunnel(TunnelProvider):
    """The official `ngrok` package: its agent runs inside this process, no binary."""

    name = "ngrok"

    def __init__(self, on_status: StatusCallback, authtoken: str | None) -> None:
        super().__init__(on_status)
        self._authtoken = authtoken or None
        self._task: asyncio.Task[None] | None = None
        self._listener: Any = None

    def __repr__(self) -> str:  # never show the authtoken
        return f"NgrokTunnel(state={self._status.state.value})"

    async def start(self, local_url: str) -> None:
        if self._task is not None and not self._task.done():
            return
        if not self._authtoken:
            self._report(
                TunnelState.FAILED,
                "ngrok needs an authtoken: copy yours from the ngrok dashboard into Settings.",
            )
            return
        try:
            sdk = importlib.import_module("ngrok")
        except ImportError:
            self._report(
                TunnelState.FAILED,
                "The ngrok package is not installed: install biddesk[ngrok] or choose another "
                "tunnel.",
            )
            return
        self._report(TunnelState.STARTING, "Starting ngrok.")
        self._task = asyncio.create_task(self._connect(sdk, local_url), name="tunnel:ngrok")
        self._task.add_done_callback(_log_failure)

    async def _connect(self, sdk: Any, local_url: str) -> None:
        try:
            # Inside a running loop, forward() returns a task that resolves to the listener.
            listener = await _resolved(sdk.forward(local_url, authtoken=self._authtoken))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._report(TunnelState.FAILED, f"ngrok could not connect: {self._redact(exc)}.")
            return
        self._listener = listener
        url = str(listener.url()).rstrip("/")
        self._report(TunnelState.UP, f"Tunnel up at {url}.", url)

    def _redact(self, exc: BaseException) -> str:
        text = str(exc).strip().rstrip(".") or type(exc).__name__
        if self._authtoken:
            text = text.replace(self._authtoken, "***")
        return text

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                await _resolved(listener.close())
            except Exception as exc:
                log.warning("closing the ngrok listener failed: %s", self._redact(exc))
        if self._status.state is not TunnelState.OFF:
            self._report(TunnelState.OFF, "Tunnel off.")


async def _resolved(value: Any) -> Any:
    """The ngrok SDK answers with a task inside a running loop and a value outside one."""
    return await value if inspect.isawaitable(value) else value


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("tunnel task %s failed", task.get_name(), exc_info=exc)


def create_tunnel(
    spec: TunnelSpec | str,
    *,
    on_status: StatusCallback,
    ngrok_authtoken: str | None = None,
    restart_backoff: tuple[float, float] = (1.0, 60.0),
    url_timeout: float = DEFAULT_URL_TIMEOUT,
) -> TunnelProvider:
    """Build the provider a setting names (a string is parsed first: ValueError if bad)."""
    parsed = parse_tunnel_spec(spec) if isinstance(spec, str) else spec
    if parsed.provider == "none":
        return NoTunnel(on_status)
    if parsed.provider == "manual":
        assert parsed.url is not None
        return ManualTunnel(on_status, parsed.url)
    if parsed.provider == "cloudflared":
        return CloudflaredTunnel(
            on_status,
            binary=parsed.binary,
            restart_backoff=restart_backoff,
            url_timeout=url_timeout,
        )
    return NgrokTunnel(on_status, ngrok_authtoken)
