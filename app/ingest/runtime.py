"""What runs while BidDesk is open: polling, webhooks, notifications, tracking.

Both ways of running BidDesk — the window (`app/ui/app.py`) and `biddesk serve`
(`app/cli/commands/webhooks.py`) — start the same background machinery on top of the
services: the poller, the webhook receiver with its tunnel (`Realtime`), the notification
rules, the tracking of submissions still under way, and retention (`Retention`, hourly).
`Runtime` starts it in one order and stops it in one order; each caller only says what
differs:

    runtime = Runtime(services, adjust_config=..., notify=...)
    await runtime.start()
    ...
    await runtime.stop()        # then the caller closes the services

It lives in `app/ingest` because it composes the poller and `Realtime` (ingest) with
services, and the layers allow ingest → services, never services → ingest (DESIGN.md).
Qt-free: the window keeps its own parts (bridge, tray, status bar) in `app/ui/app.py`.

Shutdown order (DESIGN.md, Known traps): a caller that runs the sandbox stops the
sandbox's webhook deliverer BEFORE `stop()` closes the receiver, so nothing is mid-send.
The receiver's thread closes every connection it accepted whatever the order, and even
when `stop()`'s timeout cuts the wait short (see `Realtime.stop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from app.ingest.poller import Poller
from app.ingest.realtime import (
    NGROK_SECRET,
    DashboardHook,
    Realtime,
    RealtimeConfig,
    Setup,
    load_config,
)
from app.services import heap
from app.services.container import Services
from app.services.notifications import NotificationService, Sink
from app.services.retention import Retention
from app.services.secrets import SecretError
from app.services.team import TeamLive
from app.services.team_server import ServerFollower, TeamServer

log = logging.getLogger(__name__)

STOP_TIMEOUT = 2.0


class Runtime:
    """The poller, webhooks, notifications and tracking of one running BidDesk.

    - `adjust_config`: what the caller changes in the saved webhook settings, read again
      at each (re)start of the receiver (serve: on, its --port and --tunnel; the window
      with the sandbox: on, with no tunnel);
    - `webhooks_required`: a receiver that cannot start is an error `start()` raises
      (serve), rather than a status the caller shows while polling goes on (the window);
    - `wait_for_registration`: poll only once the webhooks are registered (serve prints
      them first);
    - `resume_in_background`: reconcile and resume tracking as a task (the window does not
      wait on the platforms to show itself) rather than before polling starts;
    - `notify`: where notifications go (the tray); none, no notification rules;
    - `dashboard_hook`: what a user does in a platform's dashboard, done for them (the
      sandbox's);
    - `team_server`: on a team database, be its server (heartbeat, outbox); otherwise a
      desktop on a team database follows the server's heartbeat (no polling while it is
      alive). Either way other desktops' changes arrive live (`TeamLive`).
    """

    def __init__(
        self,
        services: Services,
        *,
        adjust_config: Callable[[RealtimeConfig], RealtimeConfig] | None = None,
        webhooks_required: bool = False,
        wait_for_registration: bool = False,
        resume_in_background: bool = True,
        notify: Sink | None = None,
        dashboard_hook: DashboardHook | None = None,
        team_server: bool = False,
    ) -> None:
        self.services = services
        self._adjust_config = adjust_config
        self._webhooks_required = webhooks_required
        self._wait_for_registration = wait_for_registration
        self._resume_in_background = resume_in_background
        self._dashboard_hook = dashboard_hook
        self.poller = Poller(services.accounts, services.inbox, services.tasks, services.bus)
        self.notifications: NotificationService | None = None
        if notify is not None:
            store = services.store
            self.notifications = NotificationService(
                store.settings, store.opportunities, services.bus, notify
            )
        # Delivery bodies pruned, old opportunities archived, on a worker thread (hourly).
        self.retention = Retention(services.store, services.bus)
        self.realtime: Realtime | None = None
        self.realtime_error: Exception | None = None  # why the receiver is not running
        self.config: RealtimeConfig | None = None  # the webhook settings of the last start
        self.registered: list[Setup] = []  # with `wait_for_registration`: what start saw
        self.tracking = 0  # submissions resumed at start (when not in the background)
        self.polling: list[str] = []  # the accounts polled since start
        self.team_live: TeamLive | None = None
        self.team_server: TeamServer | None = None
        self.follower: ServerFollower | None = None
        if services.team.shared:
            if team_server:
                self.team_server = TeamServer(
                    services.store, services.team, services.submissions, services.tasks
                )
            else:
                self.follower = ServerFollower(
                    services.team, services.tasks, self.poller.pause, self.poller.resume
                )

    # -- the whole ------------------------------------------------------------------------

    async def start(self) -> None:
        """Tracking, webhooks, then polling (polling slows for accounts whose webhooks
        are healthy, so it starts once the receiver is up)."""
        if self._resume_in_background:
            self.services.tasks.spawn(self.resume(), name="startup:reconcile")
        if not self.services.store.read_only:
            self.services.tasks.spawn(self.retention.run_forever(), name="retention")
        # Free heap pages handed back once a minute for as long as the session runs (heap.py).
        self.services.tasks.spawn(heap.trim_forever(), name="heap:trim")
        if self._webhooks_required:
            await self.start_realtime()
        else:
            await self._start_realtime_or_say_why()
        if self._wait_for_registration and self.realtime is not None:
            # The tunnel's "up" already started the one registration: wait for it.
            self.registered = await self.realtime.registration()
        if not self._resume_in_background:
            await self.resume()
        await self._start_team()
        self.polling = self.poller.start()

    async def _start_team(self) -> None:
        if not self.services.team.shared:
            return
        parts = [p for p in (self.team_server, self.follower) if p is not None]

        def on_message(message: dict[str, object]) -> None:
            for part in parts:
                part.on_change(message)

        loop = asyncio.get_running_loop()
        self.team_live = TeamLive(self.services.store, self.services.bus, loop, on_message)
        self.team_live.start()
        if self.team_server is not None:
            self.team_server.start()
        if self.follower is not None:
            await asyncio.to_thread(self.follower.check_now)  # before the first poll
            self.follower.start()

    async def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """The receiver and tunnel (within `timeout`), then the notification rules. The
        caller then closes the services, which cancels the poller's and tracking's tasks."""
        await self.stop_realtime(timeout)
        if self.notifications is not None:
            self.notifications.detach()
        if self.team_live is not None:
            await asyncio.to_thread(self.team_live.stop)
            self.team_live = None

    async def resume(self) -> int:
        """Settle what an earlier run left in flight, then track what is still under way."""
        await self.services.submissions.reconcile_pending()
        self.tracking = self.services.submissions.resume_tracking()
        return self.tracking

    # -- webhooks -------------------------------------------------------------------------

    def realtime_config(self) -> RealtimeConfig:
        config = load_config(self.services.store.settings)
        return config if self._adjust_config is None else self._adjust_config(config)

    async def start_realtime(self) -> Realtime | None:
        """The receiver and tunnel when webhooks are on; None when they are off. Raises
        OSError (the port) or ValueError (the tunnel's spec) when they cannot start."""
        self.realtime_error = None
        config = self.config = self.realtime_config()
        if not config.enabled:
            self.poller.webhook_health = None
            return None
        token = None
        if config.tunnel.strip().lower().startswith("ngrok"):
            with contextlib.suppress(SecretError):  # the tunnel says what is missing
                token = await self.services.secrets.aget(NGROK_SECRET)
        services = self.services
        realtime = Realtime(
            store=services.store,
            bus=services.bus,
            secrets=services.secrets,
            accounts=services.accounts,
            inbox=services.inbox,
            submissions=services.submissions,
            config=config,
            poller=self.poller,
            ngrok_authtoken=token,
            dashboard_hook=self._dashboard_hook,
        )
        await realtime.start()
        self.realtime = realtime
        self.poller.webhook_health = realtime.healthy
        return realtime

    async def _start_realtime_or_say_why(self) -> Realtime | None:
        try:
            return await self.start_realtime()
        except (OSError, ValueError) as exc:
            log.warning("webhooks could not start: %s", exc)
            self.realtime_error = exc
            return None

    async def stop_realtime(self, timeout: float = STOP_TIMEOUT) -> None:
        realtime, self.realtime = self.realtime, None
        self.poller.webhook_health = None
        if realtime is None:
            return
        try:
            await realtime.stop(timeout)  # bounded; the receiver is closed whatever happens
        except Exception:
            # Shutdown goes on: drafts, the store and the sandbox still need closing.
            log.exception("stopping the webhook receiver failed")

    async def restart_realtime(self) -> Realtime | None:
        """After the webhook settings changed (or the sandbox started): stop, start again
        with the settings as they are now; a failure is kept in `realtime_error`."""
        await self.stop_realtime()
        return await self._start_realtime_or_say_why()
