"""`biddesk retention`: what BidDesk forgets or archives with age, and the file's size.

biddesk retention                      the settings, the database's size, its WAL's
biddesk retention --archive-after 90   archive opportunities older than 90 days
biddesk retention --archive-after off  never archive by age (the default)
biddesk retention --delivery-days 14 --body-hours 6 --run
biddesk retention --compact            rewrite the file without its free space, once
                                       (a profile made before free pages went back to
                                       the disk by themselves)
"""

from __future__ import annotations

import argparse
import dataclasses

from app.cli.common import EXIT_OK, CliError
from app.cli.output import _json_out, _out
from app.services.container import Services
from app.services.retention import Retention, load_config, save_config
from app.store.retention import file_sizes


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _archive_after(text: str) -> int | None:
    if text.strip().lower() in ("off", "never", "0"):
        return None
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days or “off”") from None
    if days < 1:
        raise argparse.ArgumentTypeError("the number of days must be 1 or more")
    return days


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "retention",
        help="prune old webhook deliveries, archive old opportunities, show the file's size",
    )
    p.add_argument("--delivery-days", type=int, metavar="N", help="forget deliveries after N days")
    p.add_argument(
        "--body-hours", type=int, metavar="N", help="drop processed deliveries' bodies after N h"
    )
    p.add_argument(
        "--archive-after",
        type=_archive_after,
        metavar="DAYS|off",
        default=argparse.SUPPRESS,
        help="archive opportunities older than DAYS (not starred, drafted or submitted)",
    )
    p.add_argument("--run", action="store_true", help="apply the settings now")
    p.add_argument(
        "--compact",
        action="store_true",
        help="rewrite the database without its free space (other writers wait meanwhile)",
    )
    p.add_argument("--json", action="store_true")


def writes(args: argparse.Namespace) -> bool:
    changes = (args.delivery_days, args.body_hours)
    return (
        args.run
        or args.compact
        or any(c is not None for c in changes)
        or hasattr(args, "archive_after")
    )


def cmd_retention(args: argparse.Namespace, services: Services) -> int:
    store = services.store
    config = load_config(store)
    changes: dict[str, object] = {}
    for name in ("delivery_days", "body_hours"):
        value = getattr(args, name)
        if value is not None:
            if value < 1:
                raise CliError(f"--{name.replace('_', '-')} must be 1 or more.")
            changes[name] = value
    if hasattr(args, "archive_after"):
        changes["archive_days"] = args.archive_after
    if changes:
        config = dataclasses.replace(config, **changes)  # type: ignore[arg-type]
        save_config(store, config)
    retention = Retention(store)
    report = retention.run_now(config=config) if args.run else None
    sizes = report.sizes if report else file_sizes(store.db)
    compacted: tuple[int, int] | None = None
    if args.compact and store.db.backend == "sqlite":
        if not args.json:
            _out(f"Compacting {_mb(sizes.database)}; BidDesk's other writes wait until it is done…")
        store.db.compact()
        before, sizes = sizes.database, file_sizes(store.db)
        compacted = (before, sizes.database)
    deliveries, bodies = store.webhooks.sizes()
    opportunities = store.opportunities.count()
    if args.json:
        _json_out(
            {
                "config": config.to_settings(),
                "database_bytes": sizes.database,
                "wal_bytes": sizes.wal,
                "free_bytes": sizes.free,
                "opportunities": opportunities,
                "deliveries": deliveries,
                "delivery_body_bytes": bodies,
                "compacted": None
                if compacted is None
                else {"bytes_before": compacted[0], "bytes_after": compacted[1]},
                "free_pages_return_to_disk": store.db.releases_free_pages(),
                "run": None
                if report is None
                else {
                    "deliveries_forgotten": report.deliveries_forgotten,
                    "bodies_dropped": report.bodies_dropped,
                    "archived": len(report.archived),
                },
            }
        )
        return EXIT_OK
    archive = (
        f"archived after {config.archive_days} days"
        if config.archive_days
        else "never archived by age"
    )
    _out(
        f"Webhook deliveries are forgotten after {config.delivery_days} days, their bodies "
        f"dropped {config.body_hours} h after processing; opportunities are {archive}."
    )
    if report is not None:
        _out(
            f"Now: {report.deliveries_forgotten} deliveries forgotten, {report.bodies_dropped} "
            f"bodies dropped, {len(report.archived)} opportunities archived."
        )
    if compacted is not None:
        _out(f"Compacted: {_mb(compacted[0])} → {_mb(compacted[1])}.")
    elif args.compact:
        _out("A team database is compacted by PostgreSQL's own autovacuum.")
    if store.db.backend == "sqlite" and not store.db.releases_free_pages():
        _out(
            "Space freed by pruning is reused but not given back to the disk on this "
            "profile: `biddesk retention --compact` once changes that."
        )
    _out(
        f"Database {_mb(sizes.database)} ({_mb(sizes.free)} of it free for reuse), "
        f"WAL {_mb(sizes.wal)}; {opportunities} opportunities, {deliveries} deliveries "
        f"kept with {_mb(bodies)} of bodies."
    )
    return EXIT_OK
