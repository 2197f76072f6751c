"""`biddesk demo`: the whole flow against the local sandbox, narrated in the terminal."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from app.cli.commands.inbox import fetch_all
from app.cli.common import EXIT_OK
from app.cli.output import _budget, _clip, _describe_submission
from app.domain import Answer, Opportunity, Platform, Submission
from app.domain.bidding import default_bid, stated
from app.platforms import SPECS
from app.services.container import open_services
from app.services.events import SubmissionChanged
from app.services.submissions import SubmitError, SubmitRequest


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


def best_matches(opps: list[Opportunity]) -> list[Opportunity]:
    """The opportunities by match score, best first (no score last), title breaking ties."""
    return sorted(opps, key=lambda o: (o.match_score is None, -(o.match_score or 0), o.title))


class _Narrator:
    """Prints each submission's changes after the line that starts it, never before.

    A send can change state while `submit()` is still running (Gigiac answers at once): the
    bus reports that change before the caller has printed the submission's first line. Such
    changes are held; the first line shows the state `submit()` returned, which already
    includes them, so the held ones are dropped and only later changes are printed."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        self._emit = emit
        self._started: set[str] = set()

    def on_change(self, event: SubmissionChanged) -> None:
        sub, previous = event.submission, event.previous
        if previous is None or sub.id not in self._started:
            return  # before its first line: that line will show the state reached
        if previous.state is not sub.state or previous.outcome is not sub.outcome:
            self._emit(f"   {sub.id[:8]} {sub.platform.label:<8} → {_describe_submission(sub)}")

    def started(self, sub: Submission, line: str) -> None:
        self._emit(line)
        self._started.add(sub.id)


async def run_demo(profile: Path, speed: float, seed: int, emit: Callable[[str], None]) -> int:
    from app.sandbox import Sandbox, SandboxConfig
    from app.sandbox.provision import provision

    # The profile keeps the sandbox's world (a second demo on a kept profile finds the
    # same jobs under the same ids, and the proposals the first one sent).
    config = SandboxConfig(seed=seed, speed=speed, state_dir=profile / "sandbox")
    async with Sandbox(config) as sandbox:
        info = sandbox.info
        emit(f"Sandbox on 127.0.0.1:{info.port} (speed ×{speed:g}): GigRadar, UpHunt and Gigiac.")
        services = open_services(profile)
        try:
            # Sandbox keys are not secrets; they are handed over for this run only.
            provision(info, services, speed=speed)
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
            # Rows of the inbox: one per job, however many scanners (or UpHunt) found it.
            rows = len(services.store.opportunities.jobs())
            emit(f"   {rows} opportunities in the inbox; the best matches:")
            for o in best_matches(gigradar[:3] + gigiac[:2]):
                score = "—" if o.match_score is None else f"{round(o.match_score * 100)}%"
                emit(f"   {score:>5}  {o.platform.label:<8} {_budget(o):>14}  {_clip(o.title, 52)}")
            seen_jobs: set[str] = set()
            picks: list[tuple[Opportunity, Platform]] = []
            live = services.store.submissions.live_for
            for o in gigradar:
                if o.dedupe_key not in seen_jobs and live(o.dedupe_key) is None:
                    seen_jobs.add(o.dedupe_key)
                    picks.append((o, Platform.GIGRADAR if len(picks) == 0 else Platform.UPHUNT))
                if len(picks) == 2:
                    break
            fresh_tasks = [o for o in gigiac if live(o.dedupe_key) is None]
            if fresh_tasks:
                picks.append((fresh_tasks[0], Platform.GIGIAC))
            emit("\n2. Submitting one proposal on each route")
            subs: list[Submission] = []
            narrator = _Narrator(emit)
            unsubscribe = services.bus.subscribe(SubmissionChanged, narrator.on_change)
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
                narrator.started(
                    sub,
                    f"   {sub.id[:8]} {route.label:<8} “{_clip(opp.title, 44)}”: {sub.state.value}",
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
