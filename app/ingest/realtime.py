"""Webhooks end to end: the receiver, the tunnel, the platforms' registration, and health.

`Realtime` is what the GUI and `biddesk serve` start. It runs the receiver on the app's
loop, opens the tunnel, and each time the tunnel reports a public URL (a cloudflared quick
tunnel gets a new one on every restart) registers it: for GigRadar through its API, with
freshly generated Basic credentials, after deleting the webhooks BidDesk registered
before; for UpHunt and Gigiac, whose webhooks are set in their dashboards, it keeps a
signing secret and produces the exact URL and steps to show the user.

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
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.domain import Account, Platform
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
    WebhookProcessor,
    WebhookReceiver,
    hook_path,
)
from app.platforms.errors import PlatformError
from app.platforms.gigradar import GigRadarClient
from app.services.accounts import AccountError
from app.services.container import Services
from app.services.events import RealtimeStatus
from app.services.secrets import SecretError

log = logging.getLogger(__name__)

SETTINGS_KEY = "webhooks"
NGROK_SECRET = "ngrok"  # the keyring entry of the ngrok authtoken
REGISTERED_KEY = "webhooks.registered"  # {account: {"id", "url"}}: what to delete later
STATUS_INTERVAL = 0.25  # seconds between two RealtimeStatus publications at most
DASHBOARD_FRESHNESS = 3_600.0  # a dashboard account is healthy this long after a delivery

DashboardHook = Callable[[Account, str, HookCredentials], Awaitable[None]]


def _log_failure(task: asyncio.Task[object]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("registering webhooks failed", exc_info=exc)


@dataclass(frozen=True)
class RealtimeConfig:
    """The user's webhook settings (stored under "webhooks")."""

    enabled: bool = False
    port: int = 0  # 0: a free port each run (fine with a tunnel, which is told the port)
    tunnel: str = "none"
    remove_on_exit: bool = False

    @classmethod
    def from_settings(cls, value: object) -> RealtimeConfig:
        if not isinstance(value, dict):
            return cls()
        port = value.get("port", 0)
        tunnel = value.get("tunnel", "none")
        return cls(
            enabled=bool(value.get("enabled", False)),
            port=port if isinstance(port, int) and 0 <= port < 65_536 else 0,
            tunnel=tunnel if isinstance(tunnel, str) and tunnel else "none",
            remove_on_exit=bool(value.get("remove_on_exit", False)),
        )

    def to_settings(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "port": self.port,
            "tunnel": self.tunnel,
            "remove_on_exit": self.remove_on_exit,
        }


@dataclass(frozen=True)
class Setup:
    """How one account's webhooks are set up, for the user to read."""

    account: str
    platform: Platform
    url: str | None
    automatic: bool  # GigRadar: registered by BidDesk
    registered: bool
    steps: tuple[str, ...]
    error: str | None = None


class Realtime:
    def __init__(
        self,
        services: Services,
        *,
        config: RealtimeConfig | None = None,
        poller: Poller | None = None,
        host: str = "127.0.0.1",
        ngrok_authtoken: str | None = None,
        dashboard_hook: DashboardHook | None = None,
        restart_backoff: tuple[float, float] = (1.0, 60.0),
    ) -> None:
        self.services = services
        self.config = config or RealtimeConfig.from_settings(
            services.store.settings.get(SETTINGS_KEY)
        )
        self.spec: TunnelSpec = parse_tunnel_spec(self.config.tunnel)
        self.poller = poller
        self._ngrok_authtoken = ngrok_authtoken
        self._dashboard_hook = dashboard_hook
        self._restart_backoff = restart_backoff
        self._creds: dict[str, HookCredentials] = {}
        self._loaded: set[str] = set()  # accounts whose credentials were looked up
        self._saving: set[asyncio.Task[None]] = set()  # keyring writes under way
        self._registered_url: dict[str, str] = {}  # account → URL registered for it
        self._errors: dict[str, str] = {}
        self._last_seen: dict[str, float] = {}  # account → monotonic time of a delivery
        self._healthy: set[str] = set()
        self._tunnel_status: TunnelStatus | None = None
        self._publish_handle: asyncio.TimerHandle | None = None
        self._last_publish = 0.0
        self._register_task: asyncio.Task[list[Setup]] | None = None
        self.tunnel: TunnelProvider | None = None
        processor = WebhookProcessor(
            services.store,
            services.inbox,
            services.submissions,
            services.bus,
        )
        self.receiver = WebhookReceiver(
            services.store,
            processor,
            services.accounts,
            self.credentials,
            host=host,
            port=self.config.port,
            on_delivery=self._on_delivery,
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
        self._publish(force=True)

    async def stop(self) -> None:
        if self._register_task is not None:
            self._register_task.cancel()
            await asyncio.gather(self._register_task, return_exceptions=True)
        if self._saving:  # a signing secret shown to the user must reach the keyring
            await asyncio.gather(*self._saving, return_exceptions=True)
        if self.config.remove_on_exit:
            await self.unregister_all()
        if self.tunnel is not None:
            await self.tunnel.stop()
        await self.receiver.stop()
        if self._publish_handle is not None:
            self._publish_handle.cancel()

    @property
    def public_url(self) -> str | None:
        status = self._tunnel_status
        if status is None or status.state is not TunnelState.UP:
            return None
        return status.public_url

    # -- credentials -----------------------------------------------------------------------

    @staticmethod
    def _secret_name(account: str) -> str:
        return f"webhook:{account}"

    def credentials(self, account: str) -> HookCredentials | None:
        """The receiver's lookup: memory first, then the keyring (once per account).

        `start` loads every account's credentials off the loop first, so a delivery only
        reaches the keyring here for an account added while the receiver runs."""
        creds = self._creds.get(account)
        if creds is None:
            try:
                creds = HookCredentials.from_json(
                    self.services.secrets.get(self._secret_name(account))
                )
            except (SecretError, ValueError):
                return None
            self._creds[account] = creds
        return creds

    async def load_credentials(self) -> None:
        """Read each account's webhook credentials from the keyring, off the loop (once)."""
        for account in self.services.accounts.list():
            if account.name in self._creds or account.name in self._loaded:
                continue
            self._loaded.add(account.name)
            try:
                raw = await self.services.secrets.aget(self._secret_name(account.name))
                self._creds[account.name] = HookCredentials.from_json(raw)
            except (SecretError, ValueError):
                continue

    async def _adashboard_secret(self, account: str) -> HookCredentials:
        """`dashboard_secret` for the loop: the keyring is read off it (at `start`, or now
        for an account added since), and a new secret is saved in the background, so the
        dashboard is set up at once."""
        if account not in self._creds and account not in self._loaded:
            await self.load_credentials()
        creds = self._creds.get(account)
        if creds is None or not creds.secret:
            creds = HookCredentials(secret=secrets.token_urlsafe(32))
            self._creds[account] = creds
            task = asyncio.ensure_future(self._save_secret(account, creds))
            self._saving.add(task)
            task.add_done_callback(self._saving.discard)
        return creds

    async def _save_secret(self, account: str, creds: HookCredentials) -> None:
        problem = await self._aremember(account, creds)
        if problem:
            self._errors[account] = problem

    def _remember(self, account: str, creds: HookCredentials) -> str | None:
        """Keep credentials for this run and in the keyring; a sentence if only for this run."""
        self._creds[account] = creds
        try:
            self.services.secrets.set(self._secret_name(account), creds.to_json())
        except SecretError as exc:
            return f"{exc} The webhook credentials are kept for this run only."
        return None

    async def _aremember(self, account: str, creds: HookCredentials) -> str | None:
        """`_remember` for the loop: the keyring is written off it."""
        self._creds[account] = creds
        try:
            await self.services.secrets.aset(self._secret_name(account), creds.to_json())
        except SecretError as exc:
            return f"{exc} The webhook credentials are kept for this run only."
        return None

    def set_secret(self, account: str, secret: str) -> str | None:
        """The signing secret a dashboard platform shows (UpHunt) or that the user chose."""
        if not secret.strip():
            raise ValueError("The signing secret is empty.")
        return self._remember(account, HookCredentials(secret=secret.strip()))

    def dashboard_secret(self, account: str) -> HookCredentials:
        creds = self.credentials(account)
        if creds is None or not creds.secret:
            creds = HookCredentials(secret=secrets.token_urlsafe(32))
            problem = self._remember(account, creds)
            if problem:
                self._errors[account] = problem
        return creds

    # -- registration ----------------------------------------------------------------------

    def _on_tunnel_status(self, status: TunnelStatus) -> None:
        previous = self._tunnel_status
        self._tunnel_status = status
        log.info("tunnel %s: %s", status.provider, status.message)
        if status.state is TunnelState.UP and status.public_url:
            if previous is None or previous.public_url != status.public_url:
                self._last_seen.clear()  # deliveries through an old URL prove nothing now
            if self._register_task is not None and not self._register_task.done():
                self._register_task.cancel()
            self._register_task = asyncio.ensure_future(self.register_all(status.public_url))
            self._register_task.add_done_callback(_log_failure)
        self._update_health()
        self._publish(force=True)

    async def register_all(self, public_url: str | None = None) -> list[Setup]:
        base = public_url or self.public_url
        results = []
        for account in self.services.accounts.list():
            if account.enabled:
                results.append(await self.register(account, base))
        self._update_health()
        self._publish(force=True)
        return results

    async def register(self, account: Account, base: str | None = None) -> Setup:
        base = base or self.public_url
        url = None if base is None else base.rstrip("/") + hook_path(account.platform, account.name)
        if account.platform is Platform.GIGRADAR:
            return await self._register_gigradar(account, url)
        creds = await self._adashboard_secret(account.name)
        setup = self.setup(account, url)
        if url is not None and self._dashboard_hook is not None:
            try:
                await self._dashboard_hook(account, url, creds)
            except Exception as exc:
                log.warning("setting the %s dashboard webhook failed: %s", account.name, exc)
                self._errors[account.name] = f"Setting the webhook failed: {exc}"
        return setup

    async def _register_gigradar(self, account: Account, url: str | None) -> Setup:
        if url is None:
            return self.setup(account, None)
        try:
            adapter = await self.services.accounts.aadapter(account)
        except (SecretError, AccountError) as exc:
            self._errors[account.name] = f"The webhook cannot be registered: {exc}"
            self._registered_url.pop(account.name, None)
            return self.setup(account, url)
        if not isinstance(adapter, GigRadarClient):
            raise TypeError("a GigRadar account without a GigRadar client")
        creds = HookCredentials(
            username=f"biddesk-{secrets.token_hex(4)}", password=secrets.token_urlsafe(24)
        )
        try:
            await self._delete_stale(account, adapter)
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
        registered = dict(self.services.store.settings.get(REGISTERED_KEY) or {})
        registered[account.name] = {"id": str(created.get("id", "")), "url": url}
        self.services.store.settings.set(REGISTERED_KEY, registered)
        log.info("registered the GigRadar webhook of %s", account.name)
        return self.setup(account, url)

    async def _delete_stale(self, account: Account, client: GigRadarClient) -> int:
        """Delete the webhooks BidDesk registered for this account before: the one it
        recorded, and any other pointing at this account's path (an older tunnel URL)."""
        recorded = (self.services.store.settings.get(REGISTERED_KEY) or {}).get(account.name)
        recorded_id = recorded.get("id") if isinstance(recorded, dict) else None
        path = hook_path(account.platform, account.name)
        deleted = 0
        for hook in await client.list_webhooks():
            hook_id = str(hook.get("id", ""))
            url = str(hook.get("url", ""))
            if hook_id and (hook_id == recorded_id or urlsplit(url).path == path):
                deleted += await client.delete_webhook(hook_id)
        return deleted

    async def unregister_all(self) -> int:
        """Remove the GigRadar webhooks BidDesk registered (the "remove on exit" option)."""
        removed = 0
        for account in self.services.accounts.for_platform(Platform.GIGRADAR):
            try:
                adapter = await self.services.accounts.aadapter(account)
                if not isinstance(adapter, GigRadarClient):
                    continue
                removed += await self._delete_stale(account, adapter)
            except (PlatformError, SecretError, AccountError) as exc:
                log.warning("removing the webhook of %s failed: %s", account.name, exc)
                continue
            self._registered_url.pop(account.name, None)
        registered = dict(self.services.store.settings.get(REGISTERED_KEY) or {})
        for name in list(registered):
            if name not in self._registered_url:
                registered.pop(name)
        self.services.store.settings.set(REGISTERED_KEY, registered)
        self._update_health()
        return removed

    def setup(self, account: Account, url: str | None = None) -> Setup:
        """What the user needs to know (and do) for this account's webhooks."""
        if url is None and self.public_url is not None:
            url = self.public_url.rstrip("/") + hook_path(account.platform, account.name)
        error = self._errors.get(account.name)
        if url is None:
            state = self._tunnel_status.message if self._tunnel_status else "not started"
            return Setup(
                account.name,
                account.platform,
                None,
                account.platform is Platform.GIGRADAR,
                False,
                (f"Webhooks wait for the tunnel: {state}",),
                error,
            )
        if account.platform is Platform.GIGRADAR:
            registered = self._registered_url.get(account.name) == url
            steps: tuple[str, ...] = (
                "BidDesk registers this URL with GigRadar itself (events "
                f"{GIGRADAR_OPPORTUNITY} and {GIGRADAR_PROPOSAL}), with credentials it "
                "generates and keeps in the system keyring.",
            )
            return Setup(account.name, account.platform, url, True, registered, steps, error)
        if account.platform is Platform.UPHUNT:
            steps = (
                "Open UpHunt: Dashboard → Auto-Apply → API & Webhooks.",
                f"Set the webhook URL to {url}",
                "Select the events application.applied and application.failed.",
                "Copy the signing secret UpHunt shows and paste it into BidDesk "
                "(Webhooks → Set secret…, or `biddesk webhooks secret "
                f"{account.name}`).",
            )
        else:
            steps = (
                "Open Gigiac: your bot profile's settings.",
                f"Set the webhook URL to {url}",
                "Set the webhook secret to the one BidDesk shows (Webhooks → Copy secret, "
                f"or `biddesk webhooks secret {account.name} --show`).",
                "Enable the events task.created, proposal.accepted, proposal.rejected and "
                "credits.low_balance.",
            )
        registered = account.name in self._healthy
        return Setup(account.name, account.platform, url, False, registered, steps, error)

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
        for account in self.services.accounts.list():
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

    def status(self) -> RealtimeStatus:
        tunnel = self._tunnel_status
        stats = self.receiver.stats
        return RealtimeStatus(
            enabled=True,
            provider=self.spec.provider if tunnel is None else tunnel.provider,
            state="off" if tunnel is None else tunnel.state.value,
            public_url=None if tunnel is None else tunnel.public_url,
            message="" if tunnel is None else tunnel.message,
            last_delivery_at=stats.last_delivery_at,
            last_event=stats.last_event,
            deliveries=stats.accepted,
            healthy_accounts=tuple(sorted(self._healthy)),
        )

    def _publish(self, *, force: bool = False) -> None:
        """Publish the status now, or once at the end of the current interval."""
        now = time.monotonic()
        if force or now - self._last_publish >= STATUS_INTERVAL:
            if self._publish_handle is not None:
                self._publish_handle.cancel()
                self._publish_handle = None
            self._last_publish = now
            self.services.bus.publish(self.status())
        elif self._publish_handle is None:
            delay = STATUS_INTERVAL - (now - self._last_publish)
            self._publish_handle = asyncio.get_running_loop().call_later(delay, self._deferred)

    def _deferred(self) -> None:
        self._publish_handle = None
        self._publish(force=True)
