"""`biddesk serve` (receiver, tunnel, poller and tracking without the window) and
`biddesk webhooks`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from app.cli.common import EXIT_OK, EXIT_USAGE, CliError
from app.cli.output import _err, _iso, _json_out, _out
from app.platforms import WEBHOOKS
from app.platforms.webhook import WebhookAuth
from app.services.container import Services

if TYPE_CHECKING:
    from app.ingest.realtime import RealtimeConfig


def _webhook_config(services: Services) -> RealtimeConfig:
    from app.ingest.realtime import load_config

    return load_config(services.store.settings)


def _print_setup(setups: Sequence[Any]) -> None:
    for setup in setups:
        state = "registered" if setup.registered else "not yet delivering"
        where = setup.url or "no public URL yet"
        _out(f"  {setup.account} ({setup.platform.label}): {where} [{state}]")
        if setup.error:
            _err(f"{setup.account}: {setup.error}")
        if not setup.automatic:
            for step in setup.steps:
                _out(f"    - {step}")


def cmd_serve(args: argparse.Namespace, services: Services) -> int:
    """Receiver, tunnel, poller and tracking without the window, until SIGINT/SIGTERM."""
    import signal

    from app.ingest.runtime import Runtime
    from app.ingest.tunnel import parse_tunnel_spec
    from app.services.events import RealtimeStatus

    config = _webhook_config(services)
    config = replace(
        config,
        enabled=True,
        port=config.port if args.port is None else args.port,
        tunnel=args.tunnel or config.tunnel,
    )
    try:
        parse_tunnel_spec(config.tunnel)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    if not services.accounts.list():
        raise CliError("There are no accounts to serve; add one with `biddesk account add`.")

    async def run() -> int:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C still raises
                loop.add_signal_handler(sig, stop.set)
        runtime = Runtime(
            services,
            adjust_config=lambda _saved: config,
            webhooks_required=True,
            wait_for_registration=True,
            resume_in_background=False,
            team_server=services.team.shared,
        )
        shown: dict[str, object] = {}

        def on_status(status: RealtimeStatus) -> None:
            seen = (status.state, status.public_url)
            if shown.get("tunnel") != seen:
                shown["tunnel"] = seen
                _out(f"Tunnel ({status.provider}): {status.message}")

        services.bus.subscribe(RealtimeStatus, on_status)
        try:
            try:
                await runtime.start()
            except OSError as exc:
                raise CliError(str(exc.strerror or exc)) from None
            if runtime.realtime is not None:
                _out(f"Receiver: {runtime.realtime.receiver.base_url}")
            _out("Webhooks:")
            _print_setup(runtime.registered)
            _out(
                f"Polling {', '.join(runtime.polling) or 'nothing'}; tracking "
                f"{runtime.tracking} submission(s). Press Ctrl+C to stop."
            )
            await stop.wait()
            _out("Stopping…")
        finally:
            await runtime.stop()
            await services.aclose()
        return EXIT_OK

    return asyncio.run(run())


def cmd_webhooks(args: argparse.Namespace, services: Services) -> int:
    from app.ingest.realtime import NGROK_SECRET, SETTINGS_KEY, Realtime, load_registered
    from app.ingest.tunnel import parse_tunnel_spec
    from app.ingest.webhooks import HookCredentials

    config = _webhook_config(services)
    if args.webhooks_cmd == "set":
        if args.tunnel is not None:
            try:
                parse_tunnel_spec(args.tunnel)
            except ValueError as exc:
                raise CliError(str(exc), EXIT_USAGE) from None
        config = replace(
            config,
            enabled=config.enabled if args.enabled is None else args.enabled,
            port=config.port if args.port is None else args.port,
            tunnel=config.tunnel if args.tunnel is None else args.tunnel,
            remove_on_exit=(
                config.remove_on_exit if args.remove_on_exit is None else args.remove_on_exit
            ),
        )
        services.store.settings.set(SETTINGS_KEY, config.to_settings())
        if args.ngrok_token_stdin:
            token = sys.stdin.readline().strip()
            if not token:
                raise CliError("No ngrok authtoken was given on standard input.")
            services.secrets.set(NGROK_SECRET, token)
        _out(
            f"Webhooks {'on' if config.enabled else 'off'}; port {config.port or 'any free'}; "
            f"tunnel {config.tunnel}; remove on exit: {'yes' if config.remove_on_exit else 'no'}."
        )
        return EXIT_OK
    if args.webhooks_cmd == "secret":
        account = services.accounts.get(args.account)
        if WEBHOOKS[account.platform].auth is WebhookAuth.BASIC:
            raise CliError(
                f"{account.platform.label} webhooks use credentials BidDesk generates and "
                "registers itself."
            )
        realtime = Realtime.of(services, config=config)
        if args.set_stdin or args.clear:
            secret = "" if args.clear else sys.stdin.readline().strip()
            if not secret and not args.clear:
                raise CliError("No signing secret was given on standard input.")
            warning = realtime.set_secret(account.name, secret)
            if secret:
                _out(
                    f"Saved the signing secret of “{account.name}”: its deliveries now need a "
                    "valid signature as well as the URL's token."
                )
            else:
                _out(
                    f"Removed the signing secret of “{account.name}”; the URL's token alone "
                    "authenticates its deliveries."
                )
            if warning:
                print(f"biddesk: warning: {warning}", file=sys.stderr)
            return EXIT_OK
        creds: HookCredentials = realtime.dashboard_secret(account.name)
        if args.show:
            if not creds.secret:
                raise CliError(f"“{account.name}” has no signing secret.")
            _out(creds.secret)
        elif creds.secret:
            _out(f"“{account.name}” has a signing secret in the keyring; print it with --show.")
        else:
            _out(
                f"“{account.name}” has no signing secret: the token in its URL authenticates "
                "its deliveries. Add one with --set-stdin if the platform signs them."
            )
        return EXIT_OK
    if args.webhooks_cmd == "rotate":
        account = services.accounts.get(args.account)
        realtime = Realtime.of(services, config=config)
        _, problem = realtime.keys.rotate(account.name)
        if problem:
            raise CliError(f"The new webhook URL could not be kept: {problem}")
        url = realtime.url_for(account, realtime.reachable_base())
        _out(url or realtime.setup(account).steps[0])
        if WEBHOOKS[account.platform].auth is WebhookAuth.BASIC:  # BidDesk registers it
            _out(
                "The old URL and its credentials no longer work. BidDesk registers the new URL "
                f"with {account.platform.label} when it next starts; if it is running now (the "
                "app or `biddesk serve`), restart it, or use Rotate URL in its Webhooks window."
            )
        else:
            _out(
                f"The old URL no longer works: paste the new one into {account.platform.label}'s "
                "webhook settings. A BidDesk running now picks the new token up within "
                "seconds; restart it to stop it accepting the old one."
            )
        return EXIT_OK
    deliveries = services.store.webhooks.recent(args.limit)
    registered = load_registered(services.store.settings)
    unreadable = services.store.webhooks.unreadable()
    accounts = Realtime.of(services, config=config).accounts_status()
    if args.json:
        _json_out(
            {
                "config": config.to_settings(),
                "registered": registered,
                "accounts": accounts,
                "unreadable": {
                    "count": unreadable.count,
                    "latest_reason": unreadable.latest_reason,
                    "latest_at": _iso(unreadable.latest_at),
                },
                "pending": len(services.store.webhooks.pending()),
                "deliveries": [
                    {
                        "platform": d.platform.value,
                        "account": d.account,
                        "event": d.event,
                        "received_at": _iso(d.received_at),
                        "processed": d.processed,
                        "unreadable": d.unreadable_reason,
                    }
                    for d in deliveries
                ],
            }
        )
        return EXIT_OK
    _out(
        f"Webhooks {'on' if config.enabled else 'off'}; port {config.port or 'any free'}; "
        f"tunnel {config.tunnel}."
    )
    for row in accounts:
        _out(
            f"  {row['account']} ({row['platform']}, {row['auth']}): "
            f"{row['url'] or 'no URL to give yet (see below, or start BidDesk)'}"
        )
        if row.get("error"):
            _out(f"    ! {row['error']}")
    for name, entry in sorted(registered.items()):
        where = entry.get("url") if isinstance(entry, dict) else None
        _out(f"  {name}: registered with GigRadar at {where}")
    if unreadable.count:
        _out(
            f"Unreadable deliveries kept: {unreadable.count}; the latest: "
            f"{unreadable.latest_reason}."
        )
    if not deliveries:
        _out("No deliveries received yet.")
    for d in deliveries:
        state = "processed" if d.processed else "pending"
        if d.unreadable_reason:
            state = f"unreadable ({d.unreadable_reason})"
        _out(f"  {_iso(d.received_at)}  {d.account or '-':<12} {d.event or '-':<30} {state}")
    return EXIT_OK
