"""A team on one database from the terminal: `claim`, `release` and `team`.

`biddesk claim ID` tells everyone on the team database that this member is writing the
proposal for that job (`--take-over` takes another member's claim, which is the
confirmation); `biddesk release ID` lets go. `biddesk team watch` prints, one JSON line
each, the changes other desktops make, as they arrive (LISTEN/NOTIFY); `biddesk team
password` puts the database password in this machine's keyring; `biddesk team status`
says who is here and whether a team server is alive.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from app.cli.common import EXIT_OK, CliError, resolve_opportunity
from app.cli.output import _json_out, _out
from app.domain import utcnow
from app.services.container import Services
from app.services.team import ClaimChanged, TeamLive, TeamStatus, password_entry
from app.store import TEAM_FILE, database_url
from app.store.claims import Claim
from app.store.pg import PgDatabase


def _team_only(services: Services, what: str) -> None:
    if not services.team.shared:
        raise CliError(
            f"`biddesk {what}` is for a team database: give --database-url "
            "(or set BIDDESK_DATABASE_URL) to a shared PostgreSQL."
        )


def _key(services: Services, ref: str) -> str:
    opp = resolve_opportunity(services, ref)
    if opp is None:
        raise CliError(f"There is no opportunity “{ref}” in the inbox.")
    return opp.key


def _claim_json(claim: Claim) -> dict[str, Any]:
    return {
        "opportunity": claim.opportunity_key,
        "claimed_by": claim.member,
        "claimed_at": claim.claimed_at.isoformat(),
        "active_at": claim.active_at.isoformat(),
    }


def cmd_claim(args: argparse.Namespace, services: Services) -> int:
    _team_only(services, "claim")
    key = _key(services, args.opportunity)
    claim = services.team.claim(key, take_over=args.take_over)
    if args.json:
        _json_out(_claim_json(claim))
    else:
        _out(f"{claim.member} is writing the proposal for {key}; others see it now.")
    return EXIT_OK


def cmd_release(args: argparse.Namespace, services: Services) -> int:
    _team_only(services, "release")
    key = _key(services, args.opportunity)
    if services.team.release(key, force=args.force):
        _out(f"Released {key}.")
    else:
        _out(f"{services.team.member} held no claim on {key}.")
    return EXIT_OK


def cmd_team(args: argparse.Namespace, services: Services) -> int:
    if args.team_cmd == "status":
        _team_only(services, "team status")
        since = utcnow() - args.window
        members = services.store.members.seen_since(since)
        _json_out(
            {
                "member": services.team.member,
                "server_alive": services.team.server_alive(),
                "members": [{"name": m.name, "role": m.role} for m in members],
                "claims": {k: c.member for k, c in services.store.claims.live().items()},
            }
        )
        return EXIT_OK
    if args.team_cmd == "join":
        _team_only(services, "team join")
        return _join(services)
    if args.team_cmd == "watch":
        _team_only(services, "team watch")
        return asyncio.run(_watch(services, args.count))
    raise CliError(f"unknown team action {args.team_cmd}")


async def _watch(services: Services, count: int | None) -> int:
    """Print each change another desktop commits, one JSON line, until interrupted
    (or `count` lines). The first line says the watch is listening."""
    done = asyncio.Event()
    seen = 0

    def line(kind: str, body: dict[str, Any]) -> None:
        nonlocal seen
        # One compact line per change, flushed: a script reads them as they come.
        print(json.dumps({"event": kind, "received": time.time(), **body}), flush=True)
        if kind != "listening":
            seen += 1
            if count is not None and seen >= count:
                done.set()

    def on_claim(event: ClaimChanged) -> None:
        holder = event.claim.member if event.claim else None
        line("claim", {"opportunity": event.opportunity_key, "claimed_by": holder})

    def on_status(event: TeamStatus) -> None:
        line("status", {"sentence": event.sentence})

    def on_message(message: dict[str, Any]) -> None:
        if message.get("table") != "claims":
            line(
                "change",
                {
                    "table": message.get("table"),
                    "op": message.get("op"),
                    "keys": message.get("keys") or [],
                },
            )

    services.bus.subscribe(ClaimChanged, on_claim)
    services.bus.subscribe(TeamStatus, on_status)
    live = TeamLive(services.store, services.bus, asyncio.get_running_loop(), on_message)
    live.start()
    try:
        if not await asyncio.to_thread(live.wait_listening, 30.0):
            raise CliError("The team database's notifications could not be reached.")
        line("listening", {"member": services.team.member})
        await done.wait()
    finally:
        await asyncio.to_thread(live.stop)
    return EXIT_OK


def cmd_team_local(args: argparse.Namespace, directory: Path) -> int:
    """`team password` (stdin into the keyring) and `team leave`: no database needed."""
    from app.services.secrets import SecretStore

    if args.team_cmd == "leave":
        (directory / TEAM_FILE).unlink(missing_ok=True)
        _out(f"The profile {directory} uses its own database file again.")
        return EXIT_OK
    url = database_url(args.database_url, directory)
    if url is None:
        raise CliError("Give --database-url (or set BIDDESK_DATABASE_URL) first.")
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise CliError("No password on standard input.")
    SecretStore().set(password_entry(url), password)
    _out("The team database password is in this machine's keyring.")
    return EXIT_OK


def _join(services: Services) -> int:
    """Remember the team database for this profile: its URL without the password (which
    goes to this machine's keyring), in the profile folder. Reaching it was the test."""
    from app.services.team_setup import remember_team

    db = services.store.db
    assert isinstance(db, PgDatabase)
    target = db.target
    remember_team(services.data_dir, services.secrets, target.url, target.password)
    _out(
        f"The profile {services.data_dir} now uses the team database at {target.where} "
        f"as {services.team.member}; `biddesk team leave` undoes it."
    )
    return EXIT_OK
