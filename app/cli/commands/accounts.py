"""`biddesk account add|set-key|remove|test|list`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from app.cli.common import EXIT_OK, CliError
from app.cli.output import _err, _json_out, _out
from app.domain import Platform
from app.services.container import Services
from app.services.secrets import KeyState, env_var_for


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
