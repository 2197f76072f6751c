"""What wins, from the terminal: `biddesk stats` and `biddesk export`.

`stats --json` prints `Report.to_json` (app/domain/insights.py), a shape documented in
the README and kept stable (it carries `"version": 1`). `export` writes chosen columns of
opportunities and submissions — never raw platform payloads, account settings or keys.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from app.cli.common import EXIT_OK, CliError
from app.cli.output import _err, _json_out, _out
from app.domain import Platform
from app.domain.formatting import minutes_text
from app.domain.insights import STAGES, Dimension, Group, Query, Report, Spread
from app.services.container import Services
from app.services.insights import Insights


def _spread(s: Spread) -> str:
    if s.n == 0:
        return "—"
    middle = f"{minutes_text(s.p25)}–{minutes_text(s.p75)}"
    return f"{minutes_text(s.median)} (middle half {middle}, n={s.n})"


def cmd_stats(args: argparse.Namespace, services: Services) -> int:
    query = Query(
        since=args.since,
        until=args.until,
        platforms=frozenset(Platform(p) for p in args.platform),
    )
    by = Dimension(args.by) if args.by else None
    insights = Insights(services.store, services.team.member)
    try:
        report = insights.compute(query, [by] if by else [])
    finally:
        insights.close()
    if args.json:
        _json_out(report.to_json(by))
        return EXIT_OK
    _print_report(report, by)
    return EXIT_OK


def _print_report(report: Report, by: Dimension | None) -> None:
    q = report.query
    since = q.since.date().isoformat() if q.since else "the start"
    until = q.until.date().isoformat() if q.until else "now"
    platforms = ", ".join(sorted(p.label for p in q.platforms)) or "all platforms"
    _out(f"Jobs detected from {since} to {until}, {platforms}.")
    _out()
    _out(f"{'':<10}" + "".join(f"{s:>10}" for s in STAGES))
    _out(f"{'all':<10}" + "".join(f"{n:>10}" for n in report.funnel.counts()))
    for platform, funnel in sorted(report.funnel_by_platform.items()):
        _out(f"{platform.label:<10}" + "".join(f"{n:>10}" for n in funnel.counts()))
    _out()
    _out("Of the proposals sent:")
    _out(f"  viewed    {report.viewed.text()}")
    _out(f"  replied   {report.replied.text()}")
    _out(f"  accepted  {report.accepted.text()}")
    _out()
    speed = report.speed
    _out(f"Time to send, after posting:    {_spread(speed.posted_to_sent)}")
    _out(f"Time to send, after detection:  {_spread(speed.detected_to_sent)}")
    _out(
        "Where the minutes go (medians):"
        f" detected → opened {minutes_text(speed.detected_to_opened.median)}"
        f", opened → draft ready {minutes_text(speed.opened_to_draft.median)}"
        f", draft ready → sent {minutes_text(speed.draft_to_sent.median)}"
    )
    _out()
    cost = report.cost
    per_win = cost.per(report.funnel.accepted)
    per_reply = cost.per(report.funnel.replied)
    _out(
        f"Cost: {cost.connects:,} Connects (${cost.connects_usd:,.2f}), "
        f"{cost.uphunt_credits:,} UpHunt credits, {cost.gigiac_credits:,} Gigiac credits."
    )
    if per_reply["connects"] is not None:
        _out(f"  per reply: {per_reply['connects']:,.1f} Connects, "
             f"{per_reply['uphunt_credits']:,.1f} UpHunt credits")  # fmt: skip
    if per_win["connects"] is not None:
        _out(f"  per win:   {per_win['connects']:,.1f} Connects, "
             f"{per_win['uphunt_credits']:,.1f} UpHunt credits")  # fmt: skip
    if by is not None:
        _out()
        _print_groups(by, report.breakdowns.get(by, ()))


def _print_groups(by: Dimension, groups: tuple[Group, ...]) -> None:
    _out(f"By {by.value.replace('_', ' ')}:")
    if not groups:
        _out("  nothing sent in this period")
        return
    _out(f"  {'':<28}{'sent':>6}  {'replied':<26}accepted")
    for g in groups:
        line = f"  {g.key[:28]:<28}{g.sent:>6}  {g.replied.text():<26}{g.accepted.text()}"
        _out(line.rstrip())
    if any(g.small for g in groups):
        _out("  (few: under 20 proposals, too few for a rate)")


def cmd_export(args: argparse.Namespace, services: Services) -> int:
    insights = Insights(services.store, services.team.member)
    out: TextIO
    try:
        if args.output:
            path = Path(args.output)
            with path.open("w", encoding="utf-8", newline="") as out:
                counts = _export(insights, args, out)
        else:
            counts = _export(insights, args, sys.stdout)
    except BrokenPipeError:
        # `biddesk export --json | head`: the reader has what it wanted.
        sys.stderr.close()
        return EXIT_OK
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror}") from None
    finally:
        insights.close()
    if args.output:
        _err(f"wrote {', '.join(f'{n:,} {what}' for what, n in counts)} to {args.output}")
    return EXIT_OK


def _export(insights: Insights, args: argparse.Namespace, out: TextIO) -> list[tuple[str, int]]:
    if args.format == "csv":
        what = args.what or "submissions"
        if args.what is None:
            _err("CSV holds one table: submissions (`--what opportunities` for the jobs)")
        return [(what, insights.export_csv(what, out))]
    if args.what:
        return [(args.what, insights.export_json(args.what, out))]
    counts = []
    out.write("{")
    for i, what in enumerate(("opportunities", "submissions")):
        out.write(f"{',' if i else ''}\n{json.dumps(what)}: ")
        counts.append((what, insights.export_json(what, out)))
    out.write("}\n")
    return counts
