"""Webhooks end to end: the receiver, the tunnel, the platforms' registration, and health.

`Realtime` is what the GUI and `biddesk serve` start. It runs the receiver on a thread
and loop of its own (`ReceiverThread`: applied rows reach the app's bus in batches), opens
the tunnel, and each time the tunnel reports a public URL (a cloudflared quick
tunnel gets a new one on every restart) registers it — that is the one registration path,
whoever started it (`registration()` waits for it): for GigRadar through its API
(POST /webhooks, the one webhook call its document has), exactly once per URL, with
freshly generated Basic credentials, after deleting the webhooks BidDesk registered
before where GigRadar offers GET/DELETE /webhooks (not documented: their absence is
logged and never stops the registration); for UpHunt and Gigiac, whose webhooks are set
in their dashboards, it produces the exact URL and steps to show the user. Every
account's URL ends in an unguessable token (app/ingest/hookkeys.py) that authenticates
what arrives through it.

An account's webhooks are *healthy* while the tunnel is up and, for GigRadar, registered
at the current URL; for a dashboard platform, once a delivery has arrived through the
current tunnel. The poller slows down for healthy accounts and backfills when one stops
being healthy. Status changes are published as `RealtimeStatus` on the bus, at most a few
times a second however fast deliveries come.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from app.domain import Account, Platform
from app.ingest.hookkeys import HookKeys
from app.ingest.poller import Poller
from app.ingest.tunnel import (
    TunnelProvider,
    TunnelSpec,
    TunnelState,
    TunnelStatus,
    create_tunnel,
    parse_tunnel_spec,
)
from app.ingest.webhooks import (
    GIGRADAR_OPPORTUNITY,
    GIGRADAR_PROPOSAL,
    Delivery,
    HookCredentials,
    ReceiverThread,
    WebhookProcessor,
    auth_scheme,
    hook_path,
    is_hook_path,
)
from app.platforms import WEBHOOKS
from app.platforms.errors import AuthError, PlatformError
from app.platforms.gigradar import GigRadarClient, listing_absent
from app.services.accounts import AccountError, AccountService
from app.services.container import Services
from app.services.events import EventBus, RealtimeStatus
from app.services.inbox import Inbox
from app.services.secrets import SecretError, SecretStore
from app.services.submissions import SubmissionService
from app.services.webhook_settings import RealtimeConfig as RealtimeConfig
from app.services.webhook_settings import Setup as Setup
from app.store import Store
from app.store.settings import SettingsRepo

log = logging.getLogger(__name__)

SETTINGS_KEY = "webhooks"
NGROK_SECRET = "ngrok"  # the keyring entry of the ngrok authtoken
REGISTERED_KEY = "webhooks.registered"  # {account: {"id", "url"}}: what to delete later
LIVE_KEY = "webhooks.live"  # {"receiver", "public"}: where a running BidDesk listens
STATUS_INTERVAL = 0.25  # seconds between two RealtimeStatus publications at most
DASHBOARD_FRESHNESS = 3_600.0  # a dashboard account is healthy this long after a delivery

DashboardHook = Callable[[Account, str, HookCredentials], Awaitable[None]]


def _log_failure(task: asyncio.Task[object]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("registering webhooks failed", exc_info=exc)


def load_config(settings: SettingsRepo) -> RealtimeConfig:
    """The webhook settings; a damaged value reads as the defaults (and is set aside)."""
    return settings.read(SETTINGS_KEY, RealtimeConfig.parse, RealtimeConfig())


def _parse_registered(value: object) -> dict[str, dict[str, object]]:
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ValueError("expected an object of objects")
    return value


def load_registered(settings: SettingsRepo) -> dict[str, dict[str, object]]:
    """What BidDesk registered with GigRadar, by account; damaged reads as nothing."""
    empty: dict[str, dict[str, object]] = {}
    return dict(settings.read(REGISTERED_KEY, _parse_registered, empty))


class Realtime:
    """The webhook receiver, its tunnel and the platforms' registrations.

    It is given the parts of the services it uses, not the container: `Realtime.of`
    takes them from one for the composition roots (the Runtime, `biddesk webhooks`)."""

    def __init__(
        self,
        *,
        store: Store,
        bus: EventBus,
        secrets: SecretStore,
        accounts: AccountService,
        inbox: Inbox,
        submissions: SubmissionService,
        config: RealtimeConfig | None = None,
        poller: Poller | None = None,
        host: str = "127.0.0.1",
        ngrok_authtoken: str | None = None,
        dashboard_hook: DashboardHook | None = None,
        restart_backoff: tuple[float, float] = (1.0, 60.0),
    ) -> None:
        self.settings = store.settings
        self.bus = bus
        self.accounts = accounts
        self.config = config or load_config(store.settings)
        self.spec: TunnelSpec = parse_tunnel_spec(self.config.tunnel)
        self.poller = poller
        self._ngrok_authtoken = ngrok_authtoken
        self._dashboard_hook = dashboard_hook
        self._restart_backoff = restart_backoff
        self.keys = HookKeys(secrets)
        self._saving: set[asyncio.Task[None]] = set()  # keyring writes under way
        self._registered_url: dict[str, str] = {}  # account → URL registered for it
        self._errors: dict[str, str] = {}
        self._last_seen: dict[str, float] = {}  # account → monotonic time of a delivery
        self._healthy: set[str] = set()
        self._tunnel_status: TunnelStatus | None = None
        self._publish_handle: asyncio.TimerHandle | None = None
        self._last_publish = 0.0
        self._register_task: asyncio.Task[list[Setup]] | None = None
        self._registering: set[str] = set()  # accounts register_all has still to do
        self.tunnel: TunnelProvider | None = None
        processor = WebhookProcessor(store, inbox, submissions, bus)
        # On a thread, loop and store connection of its own: see ReceiverThread.
        self.receiver = ReceiverThread(
            store,
            processor,
            self.credentials,
            host=host,
            port=self.config.port,
            on_delivery=self._on_delivery,
            refresh=self.keys.refresh,
        )

    @classmethod
    def of(cls, services: Services, **options: Any) -> Realtime:
        """One on these services; `options` are the constructor's keywords."""
        return cls(
            store=services.store,
            bus=services.bus,
            secrets=services.secrets,
            accounts=services.accounts,
            inbox=services.inbox,
            submissions=services.submissions,
            **options,
        )

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        await self.load_credentials()
        await self.receiver.start()
        self.tunnel = create_tunnel(
            self.spec,
            on_status=self._on_tunnel_status,
            ngrok_authtoken=self._ngrok_authtoken,
            restart_backoff=self._restart_backoff,
        )
        await self.tunnel.start(self.receiver.base_url)
        self._save_live()
        self._publish(force=True)

    async def stop(self, timeout: float = 2.0) -> None:
        """Within about `timeout`: the GigRadar registrations removed (when asked). Then,
        however long that took or if it gave up, the tunnel goes down (its child process
        is gone when that returns) and the receiver is closed: its listener and every
        connection, so no socket outlives the stop (its own steps are bounded: aiohttp's
        grace, `Connections.close_all`, the queue's drain).
        Before, a stop slower than its limit was cancelled whole, and a busy machine left
        the receiver listening with its connections open."""
        try:
            await asyncio.wait_for(self._stop_outside(), timeout)
        except TimeoutError:
            log.warning("removing the webhooks' registrations took over %.1f s; left", timeout)
        finally:
            # Also when this stop is cancelled: the tunnel and the sockets close all the same.
            await self._close_local()

    async def _stop_outside(self) -> None:
        """What stopping asks of the platform: pending registrations dropped, ours removed."""
        if self._register_task is not None:
            self._register_task.cancel()
            await asyncio.gather(self._register_task, return_exceptions=True)
        if self._saving:  # a signing secret shown to the user must reach the keyring
            await asyncio.gather(*self._saving, return_exceptions=True)
        if self.config.remove_on_exit:
            await self.unregister_all()

    async def _close_local(self) -> None:
        # The receiver's thread is told to stop first: it closes every socket itself,
        # whether or not the rest of this is waited for.
        self.receiver.request_stop()
        try:
            if self.tunnel is not None:
                await self.tunnel.stop()
            await self.receiver.stop()
        finally:
            self._save_live(clear=True)
            if self._publish_handle is not None:
                self._publish_handle.cancel()

    @property
    def public_url(self) -> str | None:
        status = self._tunnel_status
        if status is None or status.state is not TunnelState.UP:
            return None
        return status.public_url

    # -- credentials -----------------------------------------------------------------------

    def credentials(self, account: str) -> HookCredentials | None:
        """The receiver's lookup: memory first, then the keyring (once per account)."""
        return self.keys.get(account)

    async def load_credentials(self) -> None:
        """Read every account's webhook credentials from the keyring, off the loop, and give
        each a URL token: a delivery or a status then never waits on the keyring."""
        for account in self.accounts.list():
            _, problem = await self.keys.aensure(account.name)
            if problem:
                self._errors[account.name] = problem

    async def _adashboard_secret(self, account: str) -> HookCredentials:
        """`dashboard_secret` for the loop: the keyring is read and written off it."""
        creds, problem = await self.keys.aensure(account)
        if problem:
            self._errors[account] = problem
        return creds

    def _remember(self, account: str, creds: HookCredentials) -> str | None:
        """Keep GigRadar's new Basic credentials (the token and any secret stay); a
        sentence if only for this run."""
        return self.keys.merge(account, username=creds.username, password=creds.password)[1]

    async def _aremember(self, account: str, creds: HookCredentials) -> str | None:
        """`_remember` for the loop: the keyring is written off it."""
        changes = {"username": creds.username, "password": creds.password}
        return (await self.keys.amerge(account, **changes))[1]

    def set_secret(self, account: str, secret: str) -> str | None:
        """Add a signing secret: from then on a valid signature is required as well as the
        URL's token. An empty secret removes it."""
        return self.keys.set_secret(account, secret)

    def dashboard_secret(self, account: str) -> HookCredentials:
        """The account's credentials (with its URL token); a signing secret only if the
        user added one."""
        creds, problem = self.keys.ensure(account)
        if problem:
            self._errors[account] = problem
        return creds

    def url_for(self, account: Account, base: str | None = None) -> str | None:
        """The full URL the platform must call for this account, as reachable now (with
        `base`, that public URL): None without a public URL."""
        base = base or self.public_url
        if base is None:
            return None
        creds = self.dashboard_secret(account.name)
        return base.rstrip("/") + hook_path(account.platform, account.name, creds.token)

    async def rotate(self, account: Account) -> Setup:
        """A new token: the old URL stops working at once. GigRadar's webhook is registered
        again at the new URL (when there is a public URL); a dashboard platform needs the
        new URL pasted in."""
        _, problem = await self.keys.arotate(account.name)
        if problem:
            self._errors[account.name] = problem
        self._last_seen.pop(account.name, None)
        self._registered_url.pop(account.name, None)
        setup = await self.register(account)
        self._update_health()
        self._publish(force=True)
        return setup

    # -- registration ----------------------------------------------------------------------

    def _on_tunnel_status(self, status: TunnelStatus) -> None:
        previous = self._tunnel_status
        self._tunnel_status = status
        log.info("tunnel %s: %s", status.provider, status.message)
        came_up = status.state is TunnelState.UP and bool(status.public_url)
        if came_up and (
            previous is None
            or previous.state is not TunnelState.UP
            or previous.public_url != status.public_url
        ):
            # One registration per URL: a repeated "up" for the same URL registers nothing.
            if previous is None or previous.public_url != status.public_url:
                self._last_seen.clear()  # deliveries through an old URL prove nothing now
            if self._register_task is not None and not self._register_task.done():
                self._register_task.cancel()
            # Registering from now on (not only once the task runs): never "failed" meanwhile.
            self._registering = {a.name for a in self.accounts.list() if a.enabled}
            self._register_task = asyncio.ensure_future(self.register_all(status.public_url))
            self._register_task.add_done_callback(_log_failure)
        self._update_health()
        if self.receiver.running:
            self._save_live()
        self._publish(force=True)

    async def registration(self) -> list[Setup]:
        """The registration the tunnel started (or the one that already ended): what
        `biddesk serve` shows. Never registers a second time; with no public URL yet,
        says that webhooks wait for the tunnel."""
        task = self._register_task
        if task is not None:
            try:
                return await asyncio.shield(task)
            except asyncio.CancelledError:
                if self._register_task is task or self._register_task is None:
                    raise
                return await self.registration()  # a newer URL replaced it
        return [self.setup(a) for a in self.accounts.list() if a.enabled]

    async def register_all(
        self, public_url: str | None = None, *, force: bool = False
    ) -> list[Setup]:
        """Register every enabled account's webhook at the public URL. GigRadar gets one
        POST /webhooks per URL per run; `force` registers again anyway (a user's
        "register again"), replacing the earlier one where GigRadar lets it be deleted."""
        base = public_url or self.public_url
        results = []
        accounts = [a for a in self.accounts.list() if a.enabled]
        pending = {a.name for a in accounts}
        self._registering = pending  # a set of its own: a cancelled run clears only its own
        try:
            for account in accounts:
                try:
                    results.append(await self.register(account, base, force=force))
                except Exception as exc:
                    # One account's surprise must not leave the others unregistered, and
                    # the status bar must say it failed rather than wait for it forever.
                    log.exception("registering the webhook of %s failed", account.name)
                    self._errors[account.name] = f"Registering the webhook failed: {exc}"
                    self._registered_url.pop(account.name, None)
                finally:
                    pending.discard(account.name)
        finally:
            pending.clear()
        self._update_health()
        self._publish(force=True)
        return results

    async def register(
        self, account: Account, base: str | None = None, *, force: bool = False
    ) -> Setup:
        base = base or self.public_url
        url = self.url_for(account, base)
        if account.platform is Platform.GIGRADAR:
            return await self._register_gigradar(account, url, force=force)
        creds = await self._adashboard_secret(account.name)
        setup = self.setup(account, url)
        if url is not None and self._dashboard_hook is not None:
            try:
                await self._dashboard_hook(account, url, creds)
            except Exception as exc:
                log.warning("setting the %s dashboard webhook failed: %s", account.name, exc)
                self._errors[account.name] = f"Setting the webhook failed: {exc}"
        return setup

    async def _register_gigradar(
        self, account: Account, url: str | None, *, force: bool = False
    ) -> Setup:
        if url is None:
            return self.setup(account, None)
        try:
            adapter = await self.accounts.aadapter(account)
        except (SecretError, AccountError) as exc:
            self._errors[account.name] = f"The webhook cannot be registered: {exc}"
            self._registered_url.pop(account.name, None)
            return self.setup(account, url)
        if not isinstance(adapter, GigRadarClient):
            raise TypeError("a GigRadar account without a GigRadar client")
        if self._registered_url.get(account.name) == url and not force:
            return self.setup(account, url)  # registered at this very URL in this run
        # The same Basic credentials as before when they are kept: a webhook registered
        # earlier that could not be deleted (GigRadar documents no DELETE /webhooks) then
        # still authenticates instead of drawing 401s; deliveries are deduplicated anyway.
        kept = self.credentials(account.name)
        if kept is not None and kept.username and kept.password:
            creds = HookCredentials(username=kept.username, password=kept.password)
        else:
            creds = HookCredentials(
                username=f"biddesk-{secrets.token_hex(4)}", password=secrets.token_urlsafe(24)
            )
        try:
            await self._try_delete_stale(account, adapter)
            created = await adapter.create_webhook(
                url,
                scopes=(GIGRADAR_OPPORTUNITY, GIGRADAR_PROPOSAL),
                username=creds.username,
                password=creds.password,
            )
        except PlatformError as exc:
            self._errors[account.name] = f"GigRadar refused the webhook: {exc}"
            self._registered_url.pop(account.name, None)
            log.warning("registering the webhook of %s failed: %s", account.name, exc)
            return self.setup(account, url)
        problem = await self._aremember(account.name, creds)
        self._errors.pop(account.name, None)
        if problem:
            self._errors[account.name] = problem
        self._registered_url[account.name] = url
        registered = load_registered(self.settings)
        registered[account.name] = {"id": str(created.get("id", "")), "url": url}
        self.settings.set(REGISTERED_KEY, registered)
        log.info("registered the GigRadar webhook of %s", account.name)
        return self.setup(account, url)

    async def _try_delete_stale(self, account: Account, client: GigRadarClient) -> None:
        """The clean-up before a registration, which it never stops: GET and DELETE
        /webhooks are not in GigRadar's document, so a platform without them (or any
        other failure here but a rejected key) is logged and the POST goes ahead."""
        try:
            await self._delete_stale(account, client)
        except AuthError:
            raise
        except PlatformError as exc:
            log.info(
                "could not remove earlier GigRadar webhooks of %s (%s); registering anyway",
                account.name,
                exc,
            )

    async def _delete_stale(self, account: Account, client: GigRadarClient) -> int:
        """Delete the webhooks BidDesk registered for this account before: the one it
        recorded, and any other pointing at this account's path (an older tunnel URL).
        Without GET /webhooks, only the recorded one; without DELETE, none."""
        recorded = load_registered(self.settings).get(account.name)
        recorded_id = recorded.get("id") if isinstance(recorded, dict) else None
        stale: list[str] = []
        try:
            for hook in await client.list_webhooks():
                hook_id = str(hook.get("id", ""))
                url = str(hook.get("url", ""))
                if hook_id and (
                    hook_id == recorded_id
                    or is_hook_path(urlsplit(url).path, account.platform, account.name)
                ):
                    stale.append(hook_id)
        except PlatformError as exc:
            if not listing_absent(exc):
                raise
            log.info("GigRadar does not list webhooks to %s (HTTP %s)", account.name, exc.status)
            stale = [str(recorded_id)] if recorded_id else []
        deleted = 0
        for hook_id in stale:
            try:
                deleted += await client.delete_webhook(hook_id)
            except PlatformError as exc:
                if exc.status not in (405, 501):
                    raise
                log.info("GigRadar does not delete webhooks for %s (HTTP 405)", account.name)
                break
        return deleted

    async def unregister_all(self) -> int:
        """Remove the GigRadar webhooks BidDesk registered (the "remove on exit" option)."""
        removed = 0
        for account in self.accounts.for_platform(Platform.GIGRADAR):
            try:
                adapter = await self.accounts.aadapter(account)
                if not isinstance(adapter, GigRadarClient):
                    continue
                removed += await self._delete_stale(account, adapter)
            except (PlatformError, SecretError, AccountError) as exc:
                log.warning("removing the webhook of %s failed: %s", account.name, exc)
                continue
            self._registered_url.pop(account.name, None)
        registered = load_registered(self.settings)
        for name in list(registered):
            if name not in self._registered_url:
                registered.pop(name)
        self.settings.set(REGISTERED_KEY, registered)
        self._update_health()
        return removed

    def setup(self, account: Account, url: str | None = None) -> Setup:
        """What the user needs to know (and do) for this account's webhooks."""
        if url is None:
            url = self.url_for(account)
        error = self._errors.get(account.name)
        automatic = account.platform is Platform.GIGRADAR
        auth = auth_scheme(account.platform, self.keys.get(account.name)).value
        if url is None:
            state = self._tunnel_status.message if self._tunnel_status else "not started"
            return Setup(
                account.name,
                account.platform,
                None,
                automatic,
                False,
                (f"Webhooks wait for the tunnel: {state}",),
                error,
                auth,
            )
        steps = WEBHOOKS[account.platform].steps(url)
        if automatic:
            registered = self._registered_url.get(account.name) == url
        else:
            registered = account.name in self._healthy
        return Setup(account.name, account.platform, url, automatic, registered, steps, error, auth)

    def accounts_status(self) -> list[dict[str, object]]:
        """Per account: the full URL the platform must call now, and what authenticates it
        (`biddesk webhooks status --json`)."""
        rows: list[dict[str, object]] = []
        for account in self.accounts.list():
            if not account.enabled:
                continue
            _, problem = self.keys.ensure(account.name)
            if problem:
                self._errors.setdefault(account.name, problem)
            url = self.url_for(account, self.reachable_base())
            if problem and not self.receiver.running:
                url = None  # a token for this process only: not the URL platforms must call
            row: dict[str, object] = {
                "account": account.name,
                "platform": account.platform.value,
                "url": url,
                "auth": auth_scheme(account.platform, self.keys.get(account.name)).value,
            }
            if account.name in self._errors:
                row["error"] = self._errors[account.name]
            rows.append(row)
        return rows

    def reachable_base(self) -> str | None:
        """Where platforms reach the receiver now: the tunnel's public URL; with the tunnel
        "none", the receiver itself; read from a running BidDesk when this one is not."""
        if self.public_url is not None:
            return self.public_url
        live = self.settings.get(LIVE_KEY)
        if not self.receiver.running and isinstance(live, dict):
            found = live.get("public") or live.get("receiver")
            if isinstance(found, str) and found:
                return found
        if self.spec.provider == "manual" and self.spec.url:
            return self.spec.url
        if self.spec.provider == "none":
            if self.receiver.running:
                return self.receiver.base_url
            if self.config.port:
                return f"http://127.0.0.1:{self.config.port}"
        return None

    def _save_live(self, *, clear: bool = False) -> None:
        """Tell `biddesk webhooks status` (another process) where this one listens."""
        try:
            if clear:
                self.settings.delete(LIVE_KEY)
            else:
                value = {"receiver": self.receiver.base_url, "public": self.public_url}
                self.settings.set(LIVE_KEY, value)
        except Exception as exc:  # a status hint only: never worth failing for
            log.debug("could not record where the receiver listens: %s", exc)

    # -- health and status -----------------------------------------------------------------

    def _on_delivery(self, delivery: Delivery) -> None:
        self._last_seen[delivery.account] = time.monotonic()
        # A delivery proves a dashboard platform's webhook works; GigRadar's health is its
        # registration, which a delivery does not change.
        if delivery.platform is not Platform.GIGRADAR and delivery.account not in self._healthy:
            self._update_health()
        self._publish()

    def healthy(self, account: str) -> bool:
        return account in self._healthy

    def _compute_health(self) -> set[str]:
        if self.public_url is None:
            return set()
        healthy = set()
        now = time.monotonic()
        for account in self.accounts.list():
            if account.platform is Platform.GIGRADAR:
                if self._registered_url.get(account.name, "").startswith(self.public_url):
                    healthy.add(account.name)
            elif now - self._last_seen.get(account.name, -1e18) < DASHBOARD_FRESHNESS:
                healthy.add(account.name)
        return healthy

    def _update_health(self) -> None:
        healthy = self._compute_health()
        changed = healthy ^ self._healthy
        self._healthy = healthy
        if self.poller is not None:
            for name in changed:
                self.poller.health_changed(name, name in healthy)

    def registrations(self) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
        """(accounts being registered, (account, reason) for those that failed): the
        accounts BidDesk registers itself (GigRadar) not registered at the current URL.
        Dashboard platforms need no registration: their URL is shown for the user."""
        base = self.public_url
        if base is None:
            return (), ()
        pending: list[str] = []
        failed: list[tuple[str, str]] = []
        for account in self.accounts.for_platform(Platform.GIGRADAR):
            if not account.enabled:
                continue
            if self._registered_url.get(account.name) == self.url_for(account, base):
                continue
            if account.name in self._registering:
                pending.append(account.name)
            else:
                error = self._errors.get(account.name) or "The webhook is not registered."
                failed.append((account.name, error))
        return tuple(pending), tuple(failed)

    def status(self) -> RealtimeStatus:
        tunnel = self._tunnel_status
        stats = self.receiver.stats
        state = "off" if tunnel is None else tunnel.state.value
        message = "" if tunnel is None else tunnel.message
        if not self.receiver.running and tunnel is not None:
            state, message = TunnelState.FAILED.value, "The webhook receiver is not running."
        registering, failures = self.registrations()
        return RealtimeStatus(
            enabled=True,
            provider=self.spec.provider if tunnel is None else tunnel.provider,
            state=state,
            public_url=None if tunnel is None else tunnel.public_url,
            message=message,
            last_delivery_at=stats.last_delivery_at,
            last_event=stats.last_event,
            deliveries=stats.accepted,
            healthy_accounts=tuple(sorted(self._healthy)),
            registering=registering,
            registration_failures=failures,
        )

    def _publish(self, *, force: bool = False) -> None:
        """Publish the status now, or once at the end of the current interval."""
        now = time.monotonic()
        if force or now - self._last_publish >= STATUS_INTERVAL:
            if self._publish_handle is not None:
                self._publish_handle.cancel()
                self._publish_handle = None
            self._last_publish = now
            self.bus.publish(self.status())
        elif self._publish_handle is None:
            delay = STATUS_INTERVAL - (now - self._last_publish)
            self._publish_handle = asyncio.get_running_loop().call_later(delay, self._deferred)

    def _deferred(self) -> None:
        self._publish_handle = None
        self._publish(force=True)
