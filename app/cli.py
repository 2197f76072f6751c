"""The `biddesk` command: the GUI by default, and headless subcommands on the same services.

Every failure a user can cause or meet (a bad flag, a missing key, a locked database, a
platform refusal) ends as one sentence on stderr and a non-zero exit, never a traceback;
tracebacks of genuine bugs go to the log file named in the message.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from app import __version__
from app.domain import (
    Answer,
    Bid,
    BidKind,
    JobKind,
    Opportunity,
    Platform,
    Submission,
    SubmissionState,
    utcnow,
)
from app.domain.bidding import budget_text, default_bid, stated
from app.domain.filters import FilterSpec, haystack
from app.instance import AlreadyRunning, InstanceLock
from app.instance import claim as claim_instance
from app.logs import open_log_file
from app.platforms import SPECS, WEBHOOKS, RouteField
from app.platforms.errors import PlatformError
from app.platforms.http import RedactingFilter
from app.platforms.webhook import WebhookAuth
from app.services.accounts import AccountError
from app.services.container import Services, open_services
from app.services.drafting import DraftingError
from app.services.events import SubmissionChanged
from app.services.inbox import LOCAL_STATES
from app.services.secrets import KeyState, SecretError, env_var_for
from app.services.submissions import (
    FINAL_STATES,
    AutoBidderOn,
    PolicyViolation,
    SubmitError,
    SubmitRequest,
)
from app.store.errors import StoreError
from app.store.paths import data_dir, db_path, profile_is_read_only

log = logging.getLogger("app.cli")

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """A sentence for stderr, and the exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


# -- output helpers ---------------------------------------------------------------------


def _out(text: str = "") -> None:
    print(text, flush=True)


def _err(text: str) -> None:
    """A sentence for the user that is not the command's output: warnings, reasons."""
    print(f"biddesk: {text}", file=sys.stderr, flush=True)


def _json_out(payload: object) -> None:
    print(json.dumps(payload, indent=2, ensure_ascii=False, default=str), flush=True)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _age(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "—"
    seconds = max(0, int((now - value).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _short(opp_key: str) -> str:
    platform, _, ext = opp_key.partition(":")
    return f"{platform}:{ext[:10]}" if len(ext) > 10 else opp_key


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _budget(opp: Opportunity) -> str:
    return budget_text(opp, unstated="—")


def opportunity_json(opp: Opportunity, state: str) -> dict[str, Any]:
    return {
        "key": opp.key,
        "platform": opp.platform.value,
        "account": opp.account or None,
        "upwork_job_id": opp.upwork_job_id,
        "title": opp.title,
        "url": opp.url,
        "kind": opp.kind.value,
        "budget": _money(opp.budget),
        "hourly_min": _money(opp.hourly_min),
        "hourly_max": _money(opp.hourly_max),
        "skills": list(opp.skills),
        "client": {
            "country": opp.client.country,
            "payment_verified": opp.client.payment_verified,
            "total_spent": _money(opp.client.total_spent),
            "hire_rate": opp.client.hire_rate,
            "rating": opp.client.rating,
        },
        "questions": [q.text for q in opp.questions],
        "match_score": opp.match_score,
        "connects_price": opp.connects_price,
        "posted_at": _iso(opp.posted_at),
        "detected_at": _iso(opp.detected_at),
        "status": opp.status.value,
        "state": state,
    }


def submission_json(sub: Submission) -> dict[str, Any]:
    return {
        "id": sub.id,
        "opportunity_key": sub.opportunity_key,
        "platform": sub.platform.value,
        "account": sub.account,
        "state": sub.state.value,
        "outcome": sub.outcome.value,
        "failure": None
        if sub.failure is None
        else {
            "reason": sub.failure.reason.value,
            "retryable": sub.failure.retryable,
            "message": sub.failure.describe(),
            "platform_code": sub.failure.platform_code,
        },
        "platform_status": sub.platform_status,
        "refs": dict(sub.refs),
        "bid": {
            "kind": sub.bid.kind.value,
            "amount": _money(sub.bid.amount),
        },
        "attempts": sub.attempts,
        "created_at": _iso(sub.created_at),
        "updated_at": _iso(sub.updated_at),
        "submitted_at": _iso(sub.submitted_at),
        "history": [
            {
                "at": _iso(h.at),
                "state": h.state.value,
                "outcome": h.outcome.value,
                "via": h.via,
                "detail": h.detail,
            }
            for h in sub.history
        ],
    }


def _describe_submission(sub: Submission) -> str:
    text = f"{sub.state.value}"
    if sub.state.value == "submitted" and sub.outcome.value != "none":
        text += f", {sub.outcome.value}"
    if sub.failure is not None:
        text += f" — {sub.failure.describe()}"
        if sub.failure.retryable:
            text += f" Retry with `biddesk retry {sub.id[:8]}`."
    return text


# -- local state of opportunities --------------------------------------------------------


def resolve_opportunity(services: Services, ref: str) -> Opportunity | None:
    """A full key, a unique prefix ("gigradar:507f1f"), a bare id prefix, or an Upwork
    job URL / ciphertext. None when nothing matches; CliError when ambiguous."""
    store = services.store.opportunities
    exact = store.get(ref)
    if exact is not None:
        return exact
    cipher = _ciphertext(ref)
    if cipher:
        found = store.by_upwork_job(cipher)
        if found:
            found = sorted(found, key=lambda o: not SPECS[o.platform].feed)  # a feed's copy first
            return found[0]
        return None
    platform, sep, rest = ref.partition(":")
    prefix = rest if sep else ref
    candidates = [
        o
        for o in store.all()
        if o.external_id.startswith(prefix) and (not sep or o.platform.value == platform)
    ]
    if len(candidates) > 1:
        shown = ", ".join(o.key for o in candidates[:5])
        raise CliError(
            f"“{ref}” matches {len(candidates)} opportunities ({shown}); be more specific."
        )
    return candidates[0] if candidates else None


_CIPHER = re.compile(r"~0[12][0-9a-f]{10,}", re.IGNORECASE)


def _ciphertext(ref: str) -> str | None:
    match = _CIPHER.search(ref)
    return match.group(0) if match else None


# -- commands ---------------------------------------------------------------------------


def cmd_sandbox(args: argparse.Namespace) -> int:
    from app.sandbox import SandboxConfig, run_sandbox

    config = SandboxConfig(
        port=args.port, seed=args.seed, speed=args.speed, faults=args.faults, strict=args.strict
    )
    try:
        asyncio.run(run_sandbox(config, sys.stdout))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise CliError(
            f"The sandbox could not listen on 127.0.0.1:{args.port} ({exc.strerror})."
        ) from None
    return EXIT_OK


def _read_key(args: argparse.Namespace, *, from_env: bool = True) -> str | None:
    if args.api_key_stdin:
        key = sys.stdin.readline().strip()
        if not key:
            raise CliError("No API key was given on standard input.")
        return key
    env = os.environ.get(env_var_for(args.name))
    if env and from_env:
        return env
    if sys.stdin.isatty():
        key = getpass.getpass(f"API key for {args.name} (input hidden): ").strip()
        return key or None
    raise CliError(
        "Give the API key on standard input with --api-key-stdin (keys are never taken "
        "as command-line arguments, which other users can see)."
    )


def cmd_account(args: argparse.Namespace, services: Services) -> int:
    if args.account_cmd == "add":
        key = _read_key(args)
        # A locked or unreachable keyring raises its sentence here and nothing is created,
        # unless the key comes from the environment (then the warning below).
        account, warning = services.accounts.add(
            args.name,
            Platform(args.platform),
            api_key=key,
            base_url=args.base_url,
            speed=args.speed,
            default_profile_id=args.profile_id,
        )
        _out(f"Added {account.platform.label} account “{account.name}” ({account.base_url}).")
        if warning:
            print(f"biddesk: warning: {warning}", file=sys.stderr)
            print(
                f"biddesk: the key was not stored; BidDesk reads {env_var_for(account.name)} "
                "from the environment on each run.",
                file=sys.stderr,
            )
        return EXIT_OK
    if args.account_cmd == "set-key":
        key = _read_key(args, from_env=False)
        if not key:
            raise CliError("No API key was given.")
        account = services.accounts.set_key(args.name, key)
        _out(f"Stored the new API key of “{account.name}” in the system keyring.")
        return EXIT_OK
    if args.account_cmd == "remove":
        warning = services.accounts.remove(args.name)
        if warning:
            _out(f"Removed account “{args.name}”.")
            print(f"biddesk: warning: {warning}", file=sys.stderr)
        else:
            _out(f"Removed account “{args.name}” and its stored key.")
        return EXIT_OK
    if args.account_cmd == "test":
        account = services.accounts.get(args.name)

        async def run() -> str:
            try:
                return await services.accounts.adapter(account).check_connection()
            finally:
                await services.aclose()

        for line in asyncio.run(run()).splitlines():
            if line.startswith("Warning: "):  # e.g. a GigRadar scanner's auto-bidder is on
                _err("warning: " + line.removeprefix("Warning: "))
            else:
                _out(line)
        return EXIT_OK
    rows = [(a, services.secrets.key_status(a.name)) for a in services.accounts.list()]
    # Each different problem once, with its fix: a locked keyring is not "missing".
    for problem in dict.fromkeys(
        key.message for _, key in rows if key.state not in (KeyState.STORED, KeyState.ENVIRONMENT)
    ):
        print(f"biddesk: {problem}", file=sys.stderr)
    if args.json:
        _json_out(
            {
                "accounts": [
                    {
                        "name": a.name,
                        "platform": a.platform.value,
                        "base_url": a.base_url,
                        "enabled": a.enabled,
                        "key": key.state.value,
                        "key_message": key.message,
                    }
                    for a, key in rows
                ]
            }
        )
        return EXIT_OK
    if not rows:
        _out(
            "No accounts yet. Add one with "
            "`biddesk account add NAME --platform gigradar|uphunt|gigiac`."
        )
        return EXIT_OK
    _out(f"{'NAME':<20} {'PLATFORM':<9} {'KEY':<11} BASE URL")
    for account, status in rows:
        _out(
            f"{account.name:<20} {account.platform.label:<9} {status.state.value:<11} "
            f"{account.base_url}"
        )
    return EXIT_OK


def _webhook_config(services: Services) -> Any:
    from app.ingest.realtime import load_config

    return load_config(services.store.settings)


def _ngrok_token(services: Services, tunnel: str) -> str | None:
    from app.ingest.realtime import NGROK_SECRET

    if not tunnel.strip().lower().startswith("ngrok"):
        return None
    try:
        return services.secrets.get(NGROK_SECRET)
    except SecretError:
        return None  # the tunnel says what is missing, in one sentence


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

    from app.ingest.poller import Poller
    from app.ingest.realtime import Realtime
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
        poller = Poller(services.accounts, services.inbox, services.tasks, services.bus)
        realtime = Realtime(
            services,
            config=config,
            poller=poller,
            ngrok_authtoken=_ngrok_token(services, config.tunnel),
        )
        poller.webhook_health = realtime.healthy
        shown: dict[str, object] = {}

        def on_status(status: RealtimeStatus) -> None:
            seen = (status.state, status.public_url)
            if shown.get("tunnel") != seen:
                shown["tunnel"] = seen
                _out(f"Tunnel ({status.provider}): {status.message}")

        services.bus.subscribe(RealtimeStatus, on_status)
        try:
            try:
                await realtime.start()
            except OSError as exc:
                raise CliError(str(exc.strerror or exc)) from None
            _out(f"Receiver: {realtime.receiver.base_url}")
            # The tunnel's "up" already started the one registration: wait for it.
            registered = await realtime.registration()
            _out("Webhooks:")
            _print_setup(registered)
            await services.submissions.reconcile_pending()
            tracking = services.submissions.resume_tracking()
            polling = poller.start()
            _out(
                f"Polling {', '.join(polling) or 'nothing'}; tracking {tracking} submission(s). "
                "Press Ctrl+C to stop."
            )
            await stop.wait()
            _out("Stopping…")
        finally:
            await realtime.stop()
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
        realtime = Realtime(services, config=config)
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
        realtime = Realtime(services, config=config)
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
    accounts = Realtime(services, config=config).accounts_status()
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
        url = entry.get("url") if isinstance(entry, dict) else None
        _out(f"  {name}: registered with GigRadar at {url}")
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


def _accounts_for(services: Services, name: str | None) -> list[Any]:
    if name:
        return [services.accounts.get(name)]
    accounts = [a for a in services.accounts.list() if a.enabled]
    if not accounts:
        raise CliError(
            "No accounts are configured; add one with `biddesk account add`, or try "
            "`biddesk demo` on the sandbox."
        )
    return accounts


async def fetch_all(
    services: Services,
    name: str | None,
    emit: Callable[[str], None],
    fail: Callable[[str], None] | None = None,
) -> int:
    """One discovery round per account: results through `emit`, errors through `fail`
    (the CLI: stdout and stderr). Returns how many accounts failed."""
    fail = fail or emit
    failures = 0
    for account in _accounts_for(services, name):
        spec = SPECS[account.platform]
        if not spec.feed:
            emit(
                f"{account.name}: {spec.label} has no opportunity feed; "
                "it is a route for Upwork jobs."
            )
            continue
        try:
            result = await services.inbox.fetch(account)
        except (PlatformError, SecretError) as exc:
            failures += 1
            fail(f"{account.name}: {exc}")
            continue
        emit(f"{account.name}: {result.summary()}")
    return failures


def cmd_fetch(args: argparse.Namespace, services: Services) -> int:
    async def run() -> int:
        try:
            return await fetch_all(
                services, args.account, _out, lambda text: _err(f"error: {text}")
            )
        finally:
            await services.aclose()

    failures = asyncio.run(run())
    return EXIT_ERROR if failures else EXIT_OK


def cmd_list(args: argparse.Namespace, services: Services) -> int:
    now = utcnow()
    spec = FilterSpec(
        text=args.search or "",
        platforms=frozenset(Platform(p) for p in args.platform or ()),
        states=frozenset(args.state or ()),
        include_archived=args.archived,
    )
    predicate = spec.compile(now)
    states = services.inbox.local_states()
    opps = [
        o
        for o in services.store.opportunities.all()
        if predicate(o, haystack(o), states.get(o.key, "new"))
    ]
    opps.sort(key=lambda o: (-(o.match_score or 0.0), -o.detected_at.timestamp()))
    if args.limit:
        opps = opps[: args.limit]
    if args.json:
        _json_out(
            {
                "count": len(opps),
                "opportunities": [opportunity_json(o, states.get(o.key, "new")) for o in opps],
            }
        )
        return EXIT_OK
    if not opps:
        _out("No opportunities match. Run `biddesk fetch` to pull new ones.")
        return EXIT_OK
    _out(f"{'ID':<20} {'SCORE':>5}  {'KIND':<6} {'BUDGET':>14}  {'POSTED':>6}  {'STATE':<10} TITLE")
    for o in opps:
        score = "—" if o.match_score is None else f"{round(o.match_score * 100)}"
        _out(
            f"{_short(o.key):<20} {score:>5}  {o.kind.value:<6} {_budget(o):>14}  "
            f"{_age(o.posted_at or o.detected_at, now):>6}  {states.get(o.key, 'new'):<10} "
            f"{_clip(o.title, 60)}"
        )
    _out(f"\n{len(opps)} shown. Full details: `biddesk list --json`.")
    return EXIT_OK


def _parse_amount(text: str) -> Decimal:
    try:
        amount = Decimal(text.strip().lstrip("$").replace(",", ""))
    except InvalidOperation:
        raise CliError(
            f"“{text}” is not an amount; write it like 45 or 1250.50.", EXIT_USAGE
        ) from None
    if not amount.is_finite() or amount <= 0:
        raise CliError("The bid amount must be more than zero.", EXIT_USAGE)
    return amount


def _parse_when(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CliError(
            f"“{text}” is not an ISO 8601 time; write it like 2026-11-24T09:00:00Z.", EXIT_USAGE
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _read_letter(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"There is no cover-letter file “{path}”.", EXIT_USAGE) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(
            f"The cover-letter file “{path}” cannot be read ({exc}).", EXIT_USAGE
        ) from None


def _answers_for(opp: Opportunity, texts: Sequence[str]) -> tuple[Answer, ...]:
    if len(texts) > len(opp.questions) and opp.questions:
        raise CliError(
            f"{len(texts)} answers were given but the job asks {len(opp.questions)} questions.",
            EXIT_USAGE,
        )
    return tuple(
        Answer(question_id=q.id, question=q.text, answer=a)
        for q, a in zip(opp.questions, texts, strict=False)
    )


def _bid_from(args: argparse.Namespace, opp: Opportunity) -> Bid:
    if args.bid is None:
        # No --bid: the one default (app/domain/bidding.py); a fixed price is the client's
        # stated budget, visibly.
        route = Platform(args.via) if args.via else opp.platform
        asked = BidKind(args.bid_type) if args.bid_type else None
        bid = default_bid(opp, SPECS[route].bids, asked)
        if bid.kind is BidKind.FIXED and bid.amount is None:
            raise CliError("This job states no budget to bid; give --bid.", EXIT_USAGE)
        return bid
    amount = _parse_amount(args.bid)
    kind = args.bid_type or ("hourly" if opp.kind is JobKind.HOURLY else "fixed")
    return Bid(kind=BidKind(kind), amount=amount)


async def _resolve_or_import(services: Services, ref: str, via: Platform | None) -> Opportunity:
    opp = resolve_opportunity(services, ref)
    if opp is not None:
        return opp
    cipher = _ciphertext(ref)
    if cipher and via is not None and SPECS[via].upwork_route:
        # A pasted Upwork job: UpHunt can resolve and send it without any feed.
        account = services.accounts.choose(via, None)
        stub = Opportunity(platform=via, external_id=cipher, upwork_job_id=cipher, title=cipher)
        fetched = await services.accounts.adapter(account).get_opportunity(stub)
        fetched = fetched.model_copy(update={"account": account.name})
        await services.inbox.ingest([fetched])
        return fetched
    raise CliError(
        f"There is no opportunity “{ref}” in the inbox; run `biddesk fetch` or `biddesk list`."
    )


def cmd_submit(args: argparse.Namespace, services: Services) -> int:
    letter = _read_letter(args.cover_letter_file)
    via = Platform(args.via) if args.via else None

    async def run() -> int:
        try:
            opp = await _resolve_or_import(services, args.opportunity, via)
            if args.schedule and not SPECS[via or opp.platform].has(RouteField.SEND_TIME):
                can = " or ".join(s.label for s in SPECS.values() if s.has(RouteField.SEND_TIME))
                raise CliError(
                    f"Only {can} can schedule a proposal; leave out --schedule.", EXIT_USAGE
                )
            request = SubmitRequest(
                opportunity_key=opp.key,
                cover_letter=letter,
                bid=_bid_from(args, opp),
                answers=_answers_for(opp, args.answer or ()),
                via=via,
                account=args.account,
                profile_id=args.profile_id,
                scheduled_at=_parse_when(args.schedule) if args.schedule else None,
                auto_fill_questions=args.auto_answer,
                confirm_warnings=args.yes,
                confirm_auto_bidder=args.yes,
            )
            if args.yes:  # confirmed, but still said
                warning = await services.submissions.auto_bidder_warning(opp, args.account, via)
                if warning:
                    _err(f"warning: {warning}")
            sub = await _submit_confirmed(services, request)
            _out(
                f"Submission {sub.id[:8]}: {opp.title} via {sub.platform.label} — "
                f"{_describe_submission(sub)}"
            )
            if args.wait or args.until_outcome:
                return await _wait_for(services, sub, args.timeout, args.until_outcome)
            if sub.state not in FINAL_STATES:
                _out("The platform is still working on it; `biddesk status` shows where it stands.")
            if sub.state is SubmissionState.FAILED:
                _err(_reason(sub))
                return EXIT_ERROR
            return EXIT_OK
        finally:
            await services.aclose()

    return asyncio.run(run())


async def _submit_confirmed(services: Services, request: SubmitRequest) -> Submission:
    """Submit; a warning (the letter's, or a GigRadar auto-bidder that is on) is shown on
    stderr and, on a terminal, confirmed interactively; elsewhere `--yes` confirms it."""
    while True:
        try:
            return await services.submissions.submit(request)
        except PolicyViolation as exc:
            errors = [i for i in exc.issues if i.severity.value == "error"]
            if errors or not sys.stdin.isatty():
                raise
            for issue in exc.issues:
                _err(f"warning: {issue.message}")
            request = replace(request, confirm_warnings=True)
        except AutoBidderOn as exc:
            if not sys.stdin.isatty():
                raise CliError(f"{exc.warning} Add --yes to send anyway.") from None
            _err(f"warning: {exc.warning}")
            request = replace(request, confirm_auto_bidder=True)
        answer = await asyncio.to_thread(input, "Send anyway? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise CliError("Not sent.") from None


def _reason(sub: Submission) -> str:
    """Why a submission did not end submitted, in one sentence."""
    if sub.failure is not None:
        text = sub.failure.describe()
        if sub.failure.retryable:
            text += f" Retry with `biddesk retry {sub.id[:8]}`."
        return text
    return f"The proposal ended {sub.state.value}."


async def _wait_for(
    services: Services, sub: Submission, timeout: float, until_outcome: bool
) -> int:
    """`--wait`: until the state is final (Gigiac's 201, UpHunt's applied, GigRadar's
    sent); `--until-outcome`: until the client decides. Changes another BidDesk process
    records on this profile (`biddesk serve` receiving a webhook) count too.
    Exit 0 when submitted, 1 otherwise, with the reason on stderr."""
    shown_id = sub.id
    shown = [_describe_submission(sub)]

    def progress(event: SubmissionChanged) -> None:
        if event.submission.id == shown_id:
            text = _describe_submission(event.submission)
            if text != shown[-1]:
                shown.append(text)
                _out(f"  → {text}")

    unsubscribe = services.bus.subscribe(SubmissionChanged, progress)
    try:
        sub = await services.submissions.wait_final(sub.id, timeout, until_outcome=until_outcome)
    finally:
        unsubscribe()
    if _describe_submission(sub) != shown[-1]:
        _out(f"  → {_describe_submission(sub)}")
    finished = not sub.needs_tracking if until_outcome else sub.state in FINAL_STATES
    if not finished:
        what = "the client's decision" if until_outcome else "a final state"
        _err(
            f"No {what} after {timeout:.0f} s (it is {sub.state.value}); "
            "check later with `biddesk status`."
        )
        return EXIT_ERROR
    if sub.state is SubmissionState.SUBMITTED:
        return EXIT_OK
    _err(_reason(sub))
    return EXIT_ERROR


def cmd_retry(args: argparse.Namespace, services: Services) -> int:
    async def run() -> int:
        try:
            sub = await services.submissions.retry(args.submission, confirm_warnings=args.yes)
            _out(f"Submission {sub.id[:8]}: {_describe_submission(sub)}")
            if args.wait:
                return await _wait_for(services, sub, args.timeout, until_outcome=False)
            if sub.state is SubmissionState.FAILED:
                _err(_reason(sub))
                return EXIT_ERROR
            return EXIT_OK
        finally:
            await services.aclose()

    return asyncio.run(run())


def cmd_status(args: argparse.Namespace, services: Services) -> int:
    async def run() -> tuple[list[Submission], dict[str, str]]:
        try:
            key = None
            if args.opportunity:
                opp = resolve_opportunity(services, args.opportunity)
                if opp is None:
                    raise CliError(f"There is no opportunity “{args.opportunity}” in the inbox.")
                key = opp.key
            subs = services.store.submissions.list(opportunity_key=key)
            if args.refresh:
                refreshed = []
                for sub in subs:
                    if sub.needs_tracking:
                        try:
                            sub = await services.submissions.reconcile(sub.id)
                        except (PlatformError, SecretError, SubmitError) as exc:
                            log.warning("could not refresh %s: %s", sub.id[:8], exc)
                    refreshed.append(sub)
                subs = refreshed
            found = services.store.opportunities.get_many([s.opportunity_key for s in subs])
            return subs, {key: opp.title for key, opp in found.items()}
        finally:
            await services.aclose()

    subs, titles = asyncio.run(run())
    if args.json:
        _json_out({"submissions": [submission_json(s) for s in subs]})
        return EXIT_OK
    if not subs:
        _out("No submissions yet.")
        return EXIT_OK
    _out(f"{'ID':<9} {'VIA':<8} {'STATE':<11} {'OUTCOME':<9} {'UPDATED':>7}  TITLE / REASON")
    now = utcnow()
    for s in subs:
        _out(
            f"{s.id[:8]:<9} {s.platform.label:<8} {s.state.value:<11} {s.outcome.value:<9} "
            f"{_age(s.updated_at, now):>7}  "
            f"{_clip(titles.get(s.opportunity_key, s.opportunity_key), 50)}"
        )
        if s.failure is not None:
            _out(f"{'':<48}↳ {s.failure.describe()}")
    return EXIT_OK


def cmd_draft(args: argparse.Namespace, services: Services) -> int:
    """Print a draft: the filled template, or a model's letter streamed as it arrives."""
    if (args.variant or args.base_url or args.model_name) and not args.model:
        raise CliError(
            "--variant, --base-url and --model-name are for the model; add --model.", EXIT_USAGE
        )

    async def run() -> int:
        try:
            opp = resolve_opportunity(services, args.opportunity)
            if opp is None:
                raise CliError(
                    f"There is no opportunity “{args.opportunity}” in the inbox; run "
                    "`biddesk fetch` or `biddesk list`."
                )
            drafter = services.drafter
            if not args.model:
                _out(drafter.draft_from_template(opp, args.template, args.freelancer).rstrip())
                return EXIT_OK
            if args.base_url or args.model_name:
                current = drafter.model_settings()
                drafter.save_model_settings(
                    replace(
                        current,
                        base_url=args.base_url or current.base_url,
                        model=args.model_name or current.model,
                    )
                )
            async with drafter.stream_draft(opp, args.freelancer, variant=args.variant) as stream:
                async for piece in stream:
                    sys.stdout.write(piece)
                    sys.stdout.flush()
            sys.stdout.write("\n")
            usage = stream.result.usage
            cost = "cost unknown" if usage.cost is None else f"about ${usage.cost:.4f}"
            print(
                f"biddesk: {stream.result.model}: {usage.prompt_tokens} prompt + "
                f"{usage.completion_tokens} completion tokens, {cost}.",
                file=sys.stderr,
            )
            return EXIT_OK
        finally:
            await services.aclose()

    return asyncio.run(run())


# -- the demo ---------------------------------------------------------------------------


def _demo_letter(opp: Opportunity) -> str:
    skills = ", ".join(opp.skills[:3]) or "this kind of work"
    return (
        f"Hello,\n\nI read your post “{opp.title}” with interest. I have shipped several "
        f"projects built on {skills}, and I can start this week. My plan: a short call to "
        "confirm the scope, a first working version within days, and then weekly "
        "milestones you can review.\n\nI'd be glad to walk you through similar work in the "
        "chat here.\n\nBest regards,\nAlex"
    )


def _demo_answers(opp: Opportunity) -> tuple[Answer, ...]:
    return tuple(
        Answer(
            question_id=q.id,
            question=q.text,
            answer="Yes — I have done this in recent projects and can share details in chat.",
        )
        for q in opp.questions
    )


async def run_demo(profile: Path, speed: float, seed: int, emit: Callable[[str], None]) -> int:
    from app.sandbox import Sandbox, SandboxConfig

    async with Sandbox(SandboxConfig(seed=seed, speed=speed)) as sandbox:
        info = sandbox.info
        emit(f"Sandbox on 127.0.0.1:{info.port} (speed ×{speed:g}): GigRadar, UpHunt and Gigiac.")
        services = open_services(profile)
        try:
            for name, platform, endpoint in (
                ("sandbox-gigradar", Platform.GIGRADAR, info.gigradar),
                ("sandbox-uphunt", Platform.UPHUNT, info.uphunt),
                ("sandbox-gigiac", Platform.GIGIAC, info.gigiac),
            ):
                # Sandbox keys are not secrets; hand them over for this run only.
                os.environ[env_var_for(name)] = endpoint.api_key
                if services.store.accounts.get(name) is None:
                    services.accounts.add(
                        name, platform, api_key=None, base_url=endpoint.base_url, speed=speed
                    )
            emit("\n1. Fetching opportunities")
            await fetch_all(services, None, lambda t: emit("   " + t))
            opps = services.store.opportunities.all()
            gigradar = sorted(
                (o for o in opps if o.platform is Platform.GIGRADAR and o.status.value == "open"),
                key=lambda o: -(o.match_score or 0),
            )
            gigiac = sorted(
                (
                    o
                    for o in opps
                    if o.platform is Platform.GIGIAC
                    and stated(o.budget) is not None
                    and o.context.get("location_type") != "on_site"
                ),
                key=lambda o: -(o.match_score or 0),
            )
            emit(f"   {len(opps)} opportunities in the inbox; the best matches:")
            for o in gigradar[:3] + gigiac[:2]:
                score = "—" if o.match_score is None else f"{round(o.match_score * 100)}%"
                emit(f"   {score:>5}  {o.platform.label:<8} {_budget(o):>14}  {_clip(o.title, 52)}")
            seen_jobs: set[str] = set()
            picks: list[tuple[Opportunity, Platform]] = []
            for o in gigradar:
                if o.dedupe_key not in seen_jobs:
                    seen_jobs.add(o.dedupe_key)
                    picks.append((o, Platform.GIGRADAR if len(picks) == 0 else Platform.UPHUNT))
                if len(picks) == 2:
                    break
            if gigiac:
                picks.append((gigiac[0], Platform.GIGIAC))
            emit("\n2. Submitting one proposal on each route")
            subs: list[Submission] = []

            def on_change(event: SubmissionChanged) -> None:
                if event.previous is not None and (
                    event.previous.state is not event.submission.state
                    or event.previous.outcome is not event.submission.outcome
                ):
                    emit(
                        f"   {event.submission.id[:8]} {event.submission.platform.label:<8} → "
                        f"{_describe_submission(event.submission)}"
                    )

            unsubscribe = services.bus.subscribe(SubmissionChanged, on_change)
            for opp, route in picks:
                request = SubmitRequest(
                    opportunity_key=opp.key,
                    cover_letter=_demo_letter(opp),
                    bid=default_bid(opp, SPECS[route].bids),
                    answers=_demo_answers(opp),
                    via=route,
                    confirm_warnings=True,
                )
                try:
                    sub = await services.submissions.submit(request)
                except SubmitError as exc:
                    emit(f"   {route.label}: not sent — {exc}")
                    continue
                emit(
                    f"   {sub.id[:8]} {route.label:<8} “{_clip(opp.title, 44)}”: {sub.state.value}"
                )
                subs.append(sub)
            if subs:
                emit("\n3. The same job again is refused, locally, before anything is sent")
                first = picks[0][0]
                try:
                    await services.submissions.submit(
                        SubmitRequest(
                            opportunity_key=first.key,
                            cover_letter=_demo_letter(first),
                            bid=subs[0].bid,
                            answers=_demo_answers(first),
                            via=Platform.UPHUNT if first.upwork_job_id else None,
                            confirm_warnings=True,
                        )
                    )
                    emit("   unexpected: a second proposal was accepted")
                except SubmitError as exc:
                    emit(f"   refused: {exc}")
            emit("\n4. Tracking each proposal to its final state")
            settled = await asyncio.gather(
                *(
                    services.submissions.wait_settled(s.id, timeout=600 / max(speed, 1) + 30)
                    for s in subs
                )
            )
            unsubscribe()
            emit("\nFinal states:")
            for sub in settled:
                emit(f"   {sub.id[:8]} {sub.platform.label:<8} {_describe_submission(sub)}")
            emit(
                "\nEverything above went over HTTP to the local sandbox; `biddesk sandbox` "
                "runs it on its own for your own scripts."
            )
            return EXIT_OK
        finally:
            await services.aclose()


# -- the database itself: backup, restore, check --------------------------------------
# These never open the store the usual way (which migrates, and fails on a damaged file):
# the database may be exactly what is broken.


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def cmd_backup(args: argparse.Namespace, directory: Path) -> int:
    from app.store.backup import backup_file

    _out(str(backup_file(db_path(directory)).path))
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, directory: Path) -> int:
    from app.store.backup import restore, restore_latest
    from app.store.migrations import LATEST_VERSION

    database = db_path(directory)
    if args.file:
        source = Path(args.file)
        aside = restore(database, source, LATEST_VERSION)
    else:
        latest, aside = restore_latest(database, LATEST_VERSION)
        source = latest.path
    _out(f"Restored {database} from {source}.")
    if aside is not None:
        _out(f"The file it replaced is kept as {aside}.")
    return EXIT_OK


def cmd_check(args: argparse.Namespace, directory: Path) -> int:
    from app.store.backup import Problem, inspect, list_backups
    from app.store.errors import NewerSchemaError, NotBidDeskDatabaseError
    from app.store.migrations import LATEST_VERSION

    database = db_path(directory)
    found = inspect(database, LATEST_VERSION)
    if found.problem is Problem.MISSING:
        raise CliError(
            f"There is no database at {database} yet; BidDesk creates it when it starts."
        )
    if found.problem is Problem.DAMAGED:
        raise CliError(
            f"The database file {database} is damaged ({found.detail}); put back the latest "
            "backup with `biddesk restore`."
        )
    if found.problem is Problem.NEWER:
        raise CliError(NewerSchemaError(database, found.version, LATEST_VERSION).user_message)
    if found.problem is Problem.FOREIGN:
        raise CliError(NotBidDeskDatabaseError(database).user_message)
    if found.problem is Problem.EMPTY:
        _out(f"The database {database} is empty; BidDesk sets it up when it next starts.")
    else:
        later = (
            f"; this BidDesk upgrades it to version {LATEST_VERSION} when it next opens it"
            if found.version < LATEST_VERSION
            else ""
        )
        _out(f"The database {database} is sound (schema version {found.version}{later}).")
    backups = list_backups(database)
    if backups:
        _out(
            f"{len(backups)} backup(s) in {backups[0].path.parent}, the newest from "
            f"{_when(backups[0].taken_at)}."
        )
    else:
        _out("There are no backups yet; `biddesk backup` makes one.")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    if args.profile:
        return asyncio.run(run_demo(Path(args.profile), args.speed, args.seed, _out))
    with tempfile.TemporaryDirectory(prefix="biddesk-demo-") as tmp:
        return asyncio.run(run_demo(Path(tmp), args.speed, args.seed, _out))


# -- wiring -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="biddesk",
        description="BidDesk: gather opportunities from GigRadar, UpHunt and Gigiac, "
        "write and send proposals, and track them to their final state.",
    )
    parser.add_argument("--version", action="version", version=f"biddesk {__version__}")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="use DIR for data instead of the default (or $BIDDESK_HOME)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    gui = parser.add_argument_group("desktop app (no COMMAND)")
    gui.add_argument(
        "--sandbox",
        action="store_true",
        help="start with an embedded sandbox and accounts wired to it "
        "(a temporary profile unless --profile)",
    )
    gui.add_argument(
        "--screenshot", metavar="PATH", help="render the main window to a PNG, then quit"
    )
    gui.add_argument(
        "--quit-after", type=_positive_float, metavar="SECONDS", help="quit after SECONDS"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "sandbox", help="serve emulated GigRadar, UpHunt and Gigiac APIs on 127.0.0.1"
    )
    p.add_argument(
        "--port", type=int, default=8765, help="port to listen on (0: any free port; default 8765)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed for the generated jobs (default 0)")
    p.add_argument(
        "--speed", type=_positive_float, default=1.0, help="time compression, e.g. 60 (default 1)"
    )
    p.add_argument(
        "--faults", metavar="SPEC", help='random faults, e.g. "429=0.05,500=0.02,timeout=0.01"'
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="serve only what the platform documents describe (undocumented calls answer 404)",
    )

    p = sub.add_parser("account", help="add, list, test or remove platform accounts")
    asub = p.add_subparsers(dest="account_cmd", metavar="ACTION", required=True)
    a = asub.add_parser("add", help="add an account; its key goes to the OS keyring")
    a.add_argument("name")
    a.add_argument("--platform", required=True, choices=[p.value for p in Platform])
    a.add_argument("--base-url", metavar="URL", help="API base URL (default: the platform's)")
    a.add_argument(
        "--api-key-stdin", action="store_true", help="read the API key from standard input"
    )
    a.add_argument("--profile-id", help="UpHunt: default freelancer profile")
    a.add_argument("--speed", type=_positive_float, default=1.0, help=argparse.SUPPRESS)
    a = asub.add_parser("set-key", help="store a new API key for an account")
    a.add_argument("name")
    a.add_argument(
        "--api-key-stdin", action="store_true", help="read the API key from standard input"
    )
    a = asub.add_parser("list", help="list accounts")
    a.add_argument("--json", action="store_true")
    a = asub.add_parser("remove", help="remove an account and its stored key")
    a.add_argument("name")
    a = asub.add_parser("test", help="make one authenticated call")
    a.add_argument("name")

    p = sub.add_parser("fetch", help="pull new opportunities into the inbox")
    p.add_argument("--account", metavar="NAME")

    p = sub.add_parser("list", help="show opportunities in the inbox")
    p.add_argument("--json", action="store_true", help="machine-readable output (shape in README)")
    p.add_argument("--platform", action="append", choices=[p.value for p in Platform])
    p.add_argument("--search", metavar="TEXT", help='words, "phrases", OR, NOT/-word')
    p.add_argument("--state", action="append", choices=LOCAL_STATES)
    p.add_argument("--archived", action="store_true", help="include archived opportunities")
    p.add_argument("--limit", type=int, default=50, help="at most N rows (0: all; default 50)")

    p = sub.add_parser("submit", help="send a proposal once and track it")
    p.add_argument("opportunity", help="an ID from `biddesk list`, a key, or an Upwork job URL")
    p.add_argument(
        "--cover-letter-file", required=True, metavar="FILE", help="the letter (- for stdin)"
    )
    p.add_argument("--bid", metavar="AMOUNT")
    p.add_argument("--bid-type", choices=["hourly", "fixed"])
    p.add_argument("--answer", action="append", metavar="TEXT", help="screening answers, in order")
    p.add_argument(
        "--auto-answer", action="store_true", help="UpHunt: let it answer the other questions"
    )
    p.add_argument("--schedule", metavar="ISO", help="GigRadar: send at this time")
    p.add_argument(
        "--via",
        choices=[p.value for p in Platform],
        help="route (an Upwork job: gigradar or uphunt)",
    )
    p.add_argument("--profile-id", help="UpHunt freelancer profile")
    p.add_argument("--account", metavar="NAME")
    p.add_argument(
        "--yes",
        action="store_true",
        help="send despite warnings, and through a GigRadar scanner whose auto-bidder is on "
        "(errors always block)",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="wait until it is submitted or failed (exit 0 only when submitted)",
    )
    p.add_argument(
        "--until-outcome",
        action="store_true",
        help="wait for the client's decision as well (can take days)",
    )
    p.add_argument(
        "--timeout", type=_positive_float, default=600.0, help="with --wait: seconds (default 600)"
    )

    p = sub.add_parser("retry", help="send a retryable failed submission again")
    p.add_argument("submission", help="submission ID (prefix)")
    p.add_argument("--yes", action="store_true")
    p.add_argument("--wait", action="store_true")
    p.add_argument("--timeout", type=_positive_float, default=600.0)

    p = sub.add_parser("status", help="show submissions (refreshing the unsettled ones)")
    p.add_argument("opportunity", nargs="?")
    p.add_argument("--json", action="store_true", help="machine-readable output (shape in README)")
    p.add_argument(
        "--no-refresh", dest="refresh", action="store_false", help="don't ask the platforms"
    )

    p = sub.add_parser("draft", help="draft a cover letter from a template or a model")
    p.add_argument("opportunity", help="an ID from `biddesk list`, a key, or an Upwork job URL")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--template", metavar="NAME", help="fill this template (default: Default)")
    how.add_argument(
        "--model",
        action="store_true",
        help="ask the configured model, streaming the letter (key: BIDDESK_API_KEY_OPENAI "
        "or the keyring entry “openai”)",
    )
    # dest differs from the global --profile DIR, which the subcommand must not overwrite.
    p.add_argument("--profile", dest="freelancer", metavar="NAME", help="freelancer profile")
    p.add_argument("--variant", choices=["shorter", "formal", "friendlier", "opening"])
    p.add_argument("--base-url", metavar="URL", help="with --model: set the model server URL")
    p.add_argument("--model-name", metavar="NAME", help="with --model: set the model name")

    p = sub.add_parser(
        "serve",
        help="receive webhooks, poll and track without the window (for a server)",
    )
    p.add_argument("--port", type=int, default=None, help="receiver port (default: settings)")
    p.add_argument(
        "--tunnel",
        metavar="SPEC",
        help="none | manual:URL | cloudflared[:PATH] | ngrok (default: settings)",
    )

    p = sub.add_parser("webhooks", help="webhook settings, secrets and recent deliveries")
    p.set_defaults(limit=20, json=False)
    wsub = p.add_subparsers(dest="webhooks_cmd", metavar="ACTION")
    w = wsub.add_parser("status", help="settings, registrations and recent deliveries")
    w.add_argument("--limit", type=int, default=20)
    w.add_argument("--json", action="store_true")
    w = wsub.add_parser("set", help="change the webhook settings")
    onoff = w.add_mutually_exclusive_group()
    onoff.add_argument("--enable", dest="enabled", action="store_true", default=None)
    onoff.add_argument("--disable", dest="enabled", action="store_false")
    w.add_argument("--port", type=int, default=None)
    w.add_argument("--tunnel", metavar="SPEC", default=None)
    keep = w.add_mutually_exclusive_group()
    keep.add_argument("--remove-on-exit", dest="remove_on_exit", action="store_true", default=None)
    keep.add_argument("--keep-on-exit", dest="remove_on_exit", action="store_false")
    w.add_argument(
        "--ngrok-token-stdin",
        action="store_true",
        help="read the ngrok authtoken from standard input into the keyring",
    )
    w = wsub.add_parser(
        "secret", help="an UpHunt/Gigiac account's optional signing secret (an extra check)"
    )
    w.add_argument("account")
    group = w.add_mutually_exclusive_group()
    group.add_argument(
        "--set-stdin",
        action="store_true",
        help="read a signing secret from stdin: signatures are then required too",
    )
    group.add_argument("--clear", action="store_true", help="remove the signing secret")
    group.add_argument("--show", action="store_true", help="print it, to paste it elsewhere")
    w = wsub.add_parser(
        "rotate", help="give an account a new webhook URL; the old one stops working"
    )
    w.add_argument("account")

    sub.add_parser("backup", help="back the database up now and print the backup's path")
    p = sub.add_parser(
        "restore",
        help="put back a backup (default: the latest good one); the replaced file is kept",
    )
    p.add_argument("file", nargs="?", metavar="FILE", help="the backup to restore")
    sub.add_parser("check", help="check the database's integrity and schema version")

    p = sub.add_parser("demo", help="run the sandbox and walk BidDesk end to end")
    p.add_argument(
        "--speed", type=_positive_float, default=30.0, help="time compression (default 30)"
    )
    p.add_argument("--seed", type=int, default=7)
    return parser


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be more than zero")
    return value


def setup_logging(
    directory: Path | None, verbose: bool
) -> tuple[Path | None, list[logging.Handler]]:
    """Console (warnings, or progress with -v) and a rotating file in the data folder;
    both redact secrets. Returns the log file and the handlers, which the caller removes."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    added: list[logging.Handler] = []
    redact = RedactingFilter()
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("biddesk: %(levelname)s: %(message)s"))
    console.addFilter(redact)
    root.addHandler(console)
    added.append(console)
    log_file = None
    if directory is not None:
        try:
            # 0600 in a 0700 folder, whatever was there before (app/logs.py).
            log_file, handler = open_log_file(directory)
            handler.setLevel(logging.INFO)
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
            )
            handler.addFilter(redact)
            root.addHandler(handler)
            added.append(handler)
        except OSError:
            log_file = None
    return log_file, added


def remove_logging(handlers: list[logging.Handler]) -> None:
    for handler in handlers:
        logging.getLogger().removeHandler(handler)
        with contextlib.suppress(Exception):
            handler.close()


def _run_gui(args: argparse.Namespace, err: TextIO, lock: InstanceLock | None) -> int:
    try:
        log_dir = None if args.sandbox and not args.profile else data_dir(args.profile)
    except StoreError:
        log_dir = None  # the window says what is wrong with the folder
    owned = None
    if lock is None and log_dir is not None and not args.sandbox and args.screenshot is None:
        # `app.launch` claims the profile before importing this module; callers that
        # come here directly claim it now, still before Qt is imported.
        try:
            lock = owned = claim_instance(log_dir)
        except AlreadyRunning as running:
            print(f"biddesk: {running}", file=err)
            return EXIT_OK if running.answered else EXIT_ERROR
        except OSError as exc:
            log.warning("no single-instance check: %s", exc)
    log_file, handlers = setup_logging(log_dir, args.verbose)
    try:
        return _start_gui(args, err, lock, log_file)
    finally:
        remove_logging(handlers)
        if owned is not None:
            owned.close()


def _start_gui(
    args: argparse.Namespace, err: TextIO, lock: InstanceLock | None, log_file: Path | None
) -> int:
    try:
        from app.ui.app import GuiOptions, NoDisplayError, run_gui
    except ImportError as exc:
        print(
            f"biddesk: error: the desktop window cannot start: {exc}. "
            "Headless commands still work (`biddesk --help`).",
            file=err,
        )
        return EXIT_ERROR
    options = GuiOptions(
        profile=Path(args.profile) if args.profile else None,
        sandbox=args.sandbox,
        screenshot=Path(args.screenshot) if args.screenshot else None,
        quit_after=args.quit_after,
    )
    try:
        return run_gui(options, instance=lock)
    except NoDisplayError as exc:
        print(f"biddesk: error: {exc}", file=err)
        return EXIT_ERROR
    except StoreError as exc:
        print(f"biddesk: error: {exc.user_message}", file=err)
        return EXIT_ERROR
    except Exception:
        log.exception("the desktop app failed")
        where = f" Details are in {log_file}." if log_file else ""
        print(f"biddesk: error: the desktop app stopped unexpectedly.{where}", file=err)
        return EXIT_ERROR


def _writes(args: argparse.Namespace) -> bool:
    """Whether the command changes the profile's database (not only the keyring)."""
    if args.command == "account":
        return bool(args.account_cmd in ("add", "remove"))
    if args.command == "status":
        return bool(args.refresh)
    if args.command == "webhooks":
        return bool(args.webhooks_cmd == "set")
    return bool(args.command in ("fetch", "submit", "retry", "serve"))


def _refuse_writes(args: argparse.Namespace, directory: Path) -> None:
    if _writes(args):
        hint = " (add --no-refresh to show it as stored)" if args.command == "status" else ""
        raise CliError(
            f"The profile {directory} is read-only, so `biddesk {args.command}` cannot "
            f"change it{hint}; use a profile you can write to."
        )


def main(
    argv: Sequence[str] | None = None,
    *,
    stderr: TextIO | None = None,
    instance: InstanceLock | None = None,
) -> int:
    """Run `biddesk argv…`; `instance` is the profile's claim when `app.launch` made it."""
    err = stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return _run_gui(args, err, instance)
    directory: Path | None = None
    if args.command not in ("sandbox", "demo"):
        try:
            directory = data_dir(args.profile)
        except OSError as exc:
            print(f"biddesk: error: the data folder cannot be created ({exc.strerror}).", file=err)
            return EXIT_ERROR
    read_only = directory is not None and profile_is_read_only(directory)
    # A read-only profile gets no log file: writing one would fail (or leave a trace in
    # someone else's folder).
    log_file, handlers_added = setup_logging(None if read_only else directory, args.verbose)
    try:
        if args.command == "sandbox":
            return cmd_sandbox(args)
        if args.command == "demo":
            return cmd_demo(args)
        maintenance = {"backup": cmd_backup, "restore": cmd_restore, "check": cmd_check}
        if args.command in maintenance:
            assert directory is not None
            return maintenance[args.command](args, directory)
        if read_only:
            assert directory is not None
            _refuse_writes(args, directory)
            print(
                f"biddesk: note: the profile {directory} is read-only; nothing is changed.",
                file=err,
            )
        services = open_services(directory, read_only=read_only)
        handlers: dict[str, Callable[[argparse.Namespace, Services], int]] = {
            "account": cmd_account,
            "fetch": cmd_fetch,
            "list": cmd_list,
            "submit": cmd_submit,
            "retry": cmd_retry,
            "status": cmd_status,
            "draft": cmd_draft,
            "serve": cmd_serve,
            "webhooks": cmd_webhooks,
        }
        try:
            return handlers[args.command](args, services)
        finally:
            services.store.close()
    except CliError as exc:
        print(f"biddesk: error: {exc}", file=err)
        return exc.code
    except StoreError as exc:
        print(f"biddesk: error: {exc.user_message}", file=err)
        return EXIT_ERROR
    except (SubmitError, AccountError, SecretError, DraftingError) as exc:
        print(f"biddesk: error: {exc}", file=err)
        return EXIT_ERROR
    except PlatformError as exc:
        print(f"biddesk: error: {exc}", file=err)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("biddesk: interrupted.", file=err)
        return 130
    except Exception:
        log.exception("unexpected error in `biddesk %s`", args.command)
        where = f" Details are in {log_file}." if log_file else ""
        print(f"biddesk: error: something unexpected went wrong.{where}", file=err)
        return EXIT_ERROR
    finally:
        remove_logging(handlers_added)
