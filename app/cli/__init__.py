"""The `biddesk` command: the GUI by default, and headless subcommands on the same services.

Every failure a user can cause or meet (a bad flag, a missing key, a locked database, a
platform refusal) ends as one sentence on stderr and a non-zero exit, never a traceback;
tracebacks of genuine bugs go to the log file named in the message.

The rooms: `parser.py` (every subcommand and option), `main` here (the profile, logging,
read-only profiles, and one sentence per failure), `output.py` (what commands print),
`common.py` (exit codes, `CliError`, finding an opportunity), `commands/` (accounts;
inbox: fetch, list, status; submit: submit, retry, draft; webhooks: serve, webhooks;
maintenance: backup, restore, check; sandbox: sandbox, demo), `demo.py` (the narrated
walk through the sandbox), `gui.py` (starting the window), `logging_setup.py`.
`app.launch` imports this package only once it knows the command is not a plain window
start on a profile that is already open.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from app.cli.commands import retention  # the parser's already (its subcommand's options)
from app.cli.common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, CliError, resolve_opportunity
from app.cli.gui import _run_gui
from app.cli.logging_setup import remove_logging, setup_logging
from app.cli.output import _err, _json_out, _out, opportunity_json, submission_json
from app.cli.parser import build_parser
from app.instance import InstanceLock
from app.store import DATABASE_URL_ENV, database_url
from app.store.errors import StoreError
from app.store.paths import data_dir, profile_is_read_only

if TYPE_CHECKING:
    from app.services.container import Services

__all__ = [
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_USAGE",
    "CliError",
    "_err",
    "_json_out",
    "_out",
    "build_parser",
    "fetch_all",
    "main",
    "opportunity_json",
    "remove_logging",
    "resolve_opportunity",
    "run_demo",
    "setup_logging",
    "submission_json",
]

log = logging.getLogger("app.cli")

# Imported when a command runs, not for the window: the commands bring the team
# database's driver (psycopg, ~100 ms), the insights and the demo, none of which the
# window's start needs (`biddesk` imports this package before every window start).
_LAZY = {"fetch_all": "app.cli.commands.inbox", "run_demo": "app.cli.demo"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def _writes(args: argparse.Namespace) -> bool:
    """Whether the command changes the profile's database (not only the keyring)."""
    if args.command == "account":
        return bool(args.account_cmd in ("add", "remove"))
    if args.command == "status":
        return bool(args.refresh)
    if args.command == "webhooks":
        return bool(args.webhooks_cmd == "set")
    if args.command == "retention":
        return retention.writes(args)
    return bool(args.command in ("fetch", "submit", "retry", "serve", "claim", "release"))


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
        if args.database_url:  # the window opens its services itself
            os.environ[DATABASE_URL_ENV] = args.database_url
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
    from app.cli.commands.accounts import cmd_account
    from app.cli.commands.inbox import cmd_fetch, cmd_list, cmd_status
    from app.cli.commands.insights import cmd_export, cmd_stats
    from app.cli.commands.maintenance import cmd_backup, cmd_check, cmd_restore
    from app.cli.commands.sandbox import cmd_demo, cmd_sandbox
    from app.cli.commands.submit import cmd_draft, cmd_retry, cmd_submit
    from app.cli.commands.team import cmd_claim, cmd_release, cmd_team, cmd_team_local
    from app.cli.commands.webhooks import cmd_serve, cmd_webhooks
    from app.platforms.errors import PlatformError
    from app.services.accounts import AccountError
    from app.services.container import open_services
    from app.services.drafting import DraftingError
    from app.services.secrets import SecretError
    from app.services.submissions import SubmitError

    try:
        if args.command == "sandbox":
            return cmd_sandbox(args)
        if args.command == "demo":
            return cmd_demo(args)
        if args.command == "team" and args.team_cmd in ("password", "leave"):
            assert directory is not None
            return cmd_team_local(args, directory)
        maintenance = {"backup": cmd_backup, "restore": cmd_restore, "check": cmd_check}
        if args.command in maintenance and database_url(args.database_url, directory):
            raise CliError(
                f"`biddesk {args.command}` works on this desktop's own database file; a team "
                "database is backed up and checked on its server (pg_dump, pg_amcheck)."
            )
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
        services = open_services(directory, read_only=read_only, url=args.database_url)
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
            "stats": cmd_stats,
            "export": cmd_export,
            "claim": cmd_claim,
            "release": cmd_release,
            "team": cmd_team,
            "retention": retention.cmd_retention,
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
