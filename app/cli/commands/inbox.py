"""The inbox from the terminal: `biddesk fetch`, `list` and `status`."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable
from typing import Any

from app.cli.common import EXIT_ERROR, EXIT_OK, CliError, resolve_opportunity
from app.cli.output import (
    _age,
    _budget,
    _clip,
    _err,
    _json_out,
    _out,
    _short,
    opportunity_json,
    submission_json,
)
from app.domain import Platform, Submission, utcnow
from app.domain.filters import ARCHIVED, FilterSpec, haystack
from app.platforms import SPECS
from app.platforms.errors import PlatformError
from app.services.container import Services
from app.services.secrets import SecretError
from app.services.submissions import SubmitError
from app.store.retention import archived_keys

log = logging.getLogger("app.cli")


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
    """One entry per job, whoever found it (a job two GigRadar scanners matched and UpHunt
    looked up is one entry, with its three `sources` and the best of their scores)."""
    now = utcnow()
    platforms = frozenset(Platform(p) for p in args.platform or ())
    spec = FilterSpec(
        text=args.search or "",
        states=frozenset(args.state or ()),
        include_archived=args.archived,
    )
    predicate = spec.compile(now)
    states = services.inbox.local_states()
    # Archived rows (by the user, or by retention's age rule) show only with --archived.
    archived = archived_keys(services.store.db)

    def state(key: str) -> str:
        return ARCHIVED if key in archived else states.get(key, "new")

    opps = [
        o
        for o in services.store.opportunities.jobs()
        if (not platforms or any(s.platform in platforms for s in o.all_sources))
        and predicate(o, haystack(o), state(o.key))
    ]
    opps.sort(key=lambda o: (-(o.match_score or 0.0), -o.detected_at.timestamp()))
    if args.limit:
        opps = opps[: args.limit]
    if args.json:
        # Who is writing each job's proposal, on a team database (null: no one).
        claimed = services.team.claimed_by() if services.team.shared else {}
        _json_out(
            {
                "count": len(opps),
                "opportunities": [
                    {**opportunity_json(o, state(o.key)), "claimed_by": claimed.get(o.key)}
                    for o in opps
                ],
            }
        )
        return EXIT_OK
    if not opps:
        _out("No opportunities match. Run `biddesk fetch` to pull new ones.")
        return EXIT_OK
    _out(
        f"{'ID':<20} {'SCORE':>5}  {'KIND':<6} {'BUDGET':>14}  {'POSTED':>6}  {'STATE':<10} "
        f"{'FOUND BY':<20} TITLE"
    )
    for o in opps:
        score = "—" if o.match_score is None else f"{round(o.match_score * 100)}"
        _out(
            f"{_short(o.key):<20} {score:>5}  {o.kind.value:<6} {_budget(o):>14}  "
            f"{_age(o.posted_at or o.detected_at, now):>6}  {states.get(o.key, 'new'):<10} "
            f"{_clip(o.sources_label, 20):<20} {_clip(o.title, 60)}"
        )
    _out(f"\n{len(opps)} shown. Full details: `biddesk list --json`.")
    return EXIT_OK


def cmd_status(args: argparse.Namespace, services: Services) -> int:
    async def run() -> tuple[list[Submission], dict[str, str]]:
        try:
            subs = services.store.submissions.list()
            if args.opportunity:
                opp = resolve_opportunity(services, args.opportunity)
                if opp is None:
                    raise CliError(f"There is no opportunity “{args.opportunity}” in the inbox.")
                # The job's submissions, whichever of its sources they were sent through.
                subs = [
                    s
                    for s in subs
                    if s.opportunity_key == opp.key or s.dedupe_key == opp.dedupe_key
                ]
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
