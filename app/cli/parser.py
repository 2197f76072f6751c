"""The `biddesk` command line: every subcommand and option."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from app import __version__
from app.cli.commands import retention
from app.domain import Platform
from app.domain.insights import Dimension
from app.services.inbox import LOCAL_STATES


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
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="a team database, postgresql://user@host:5432/dbname (or $BIDDESK_DATABASE_URL); "
        "its password goes in the keyring with `biddesk team password`",
    )
    gui = parser.add_argument_group("desktop app (no COMMAND)")
    gui.add_argument(
        "--sandbox",
        action="store_true",
        help="start with an embedded sandbox and accounts wired to it "
        "(a temporary profile unless --profile)",
    )
    gui.add_argument(
        "--hidden",
        "--minimized",
        dest="hidden",
        action="store_true",
        help="start in the tray with the window hidden (minimized where the desktop has no "
        "tray); what start at login uses when set to start hidden",
    )
    gui.add_argument(
        "--sandbox-history",
        action="store_true",
        help="with --sandbox: fill a profile with no proposals yet with twelve weeks of "
        "generated ones, so Insights has something to show (a temporary profile always gets them)",
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

    p = sub.add_parser(
        "stats", help="what wins: the funnel, reply and win rates, time to send, cost"
    )
    p.add_argument("--since", type=_date, metavar="DATE", help="jobs detected from DATE (UTC)")
    p.add_argument("--until", type=_date, metavar="DATE", help="… and before DATE (UTC)")
    p.add_argument("--platform", action="append", choices=[p.value for p in Platform], default=[])
    p.add_argument(
        "--by",
        choices=[d.value for d in Dimension],
        help="break the rates down: template, platform, niche, bid, hour, verified, speed, …",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output (shape in README)")

    p = sub.add_parser("export", help="opportunities and submissions for a spreadsheet")
    fmt = p.add_mutually_exclusive_group(required=True)
    fmt.add_argument("--csv", action="store_const", const="csv", dest="format")
    fmt.add_argument("--json", action="store_const", const="json", dest="format")
    p.add_argument(
        "--what",
        choices=["opportunities", "submissions"],
        help="one table (CSV holds one; JSON without --what holds both)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")

    p = sub.add_parser("claim", help="team: say you are writing this job's proposal")
    p.add_argument("opportunity", help="an ID from `biddesk list`, a key, or an Upwork job URL")
    p.add_argument(
        "--take-over", action="store_true", help="take another member's claim (confirmed)"
    )
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("release", help="team: let go of your claim on a job")
    p.add_argument("opportunity")
    p.add_argument("--force", action="store_true", help="release whoever holds it")

    p = sub.add_parser("team", help="a team on one database: status, live changes, password")
    tsub = p.add_subparsers(dest="team_cmd", metavar="ACTION", required=True)
    t = tsub.add_parser("status", help="who is here, live claims, whether a server is alive")
    t.add_argument(
        "--window",
        type=lambda s: timedelta(seconds=float(s)),
        default=timedelta(minutes=5),
        metavar="SECONDS",
        help=argparse.SUPPRESS,
    )
    t = tsub.add_parser("watch", help="print other desktops' changes as they happen (JSON)")
    t.add_argument("--count", type=int, default=None, help="stop after N changes")
    tsub.add_parser("password", help="read the database password from stdin into the keyring")
    tsub.add_parser(
        "join", help="remember --database-url for this profile (its password in the keyring)"
    )
    tsub.add_parser("leave", help="this profile goes back to its own database file")

    retention.add_parser(sub)

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


def _date(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” is not a date like 2026-01-31") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be more than zero")
    return value
