"""A seeded past for the sandbox: weeks of opportunities, drafts and sent proposals.

The live sandbox only starts answering once BidDesk runs, so the Insights tab of a fresh
sandbox profile would be empty. This writes the history a user would have after some
weeks of work: jobs seen on the three platforms, some opened and drafted, fewer sent, and
their outcomes drawn from `outcomes.py` (the same model the emulated platforms use), so the
planted differences — faster sends and verified clients get more replies — are there to
be found. Everything is domain objects; the caller stores them (`app.services.insights`'s
`import_history`). Keys start with `hist-` so they never meet the live sandbox's ids.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from app.domain.insights import Activity
from app.domain.opportunity import (
    ClientInfo,
    JobKind,
    Opportunity,
    OpportunityStatus,
    Platform,
)
from app.domain.submission import (
    Bid,
    BidKind,
    Outcome,
    StatusUpdate,
    Submission,
    SubmissionState,
)
from app.sandbox import outcomes

TEMPLATES = ("Default", outcomes.SHORT_TEMPLATE, "Portfolio first")
PROFILES = ("Alex Morgan", "Alex — data work")
NICHES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Web Development", ("Python", "Django", "React")),
    ("Data Science & Analytics", ("Python", "Pandas", "SQL")),
    ("Desktop Software Development", ("Python", "Qt", "SQLite")),
    ("DevOps & Cloud", ("AWS", "Docker", "Terraform")),
    ("Mobile Development", ("Flutter", "Dart", "Firebase")),
)
COUNTRIES = ("United States", "United Kingdom", "Germany", "Canada", "Australia", "India")
TITLES = (
    "Build a dashboard for our sales data",
    "Fix a slow Django API",
    "Desktop tool to manage inventory",
    "Automate our AWS deployments",
    "Scrape and clean product listings",
    "Port a small app to Flutter",
)


@dataclass(frozen=True)
class History:
    opportunities: tuple[Opportunity, ...]
    submissions: tuple[Submission, ...]
    activities: tuple[Activity, ...]


def _lognormal_minutes(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def generate_history(
    now: datetime,
    *,
    weeks: int = 12,
    seen_per_week: int = 300,
    sent_per_week: int = 40,
    seed: int = 7,
) -> History:
    """`weeks` of work up to `now`; the same seed gives the same history."""
    rng = random.Random(seed)
    opportunities: list[Opportunity] = []
    submissions: list[Submission] = []
    activities: list[Activity] = []
    start = now - timedelta(weeks=weeks)
    total = weeks * seen_per_week
    send_share = sent_per_week / seen_per_week
    platforms = (Platform.GIGRADAR, Platform.GIGRADAR, Platform.UPHUNT, Platform.GIGIAC)
    for n in range(total):
        platform = rng.choice(platforms)
        detected = start + timedelta(seconds=rng.uniform(0, weeks * 7 * 86400 - 3 * 86400))
        posted = detected - timedelta(minutes=_lognormal_minutes(rng, 6, 0.9))
        category, skills = rng.choice(NICHES)
        upwork = platform is not Platform.GIGIAC
        verified = (rng.random() < 0.7) if upwork else None
        hourly = rng.random() < 0.45
        budget = Decimal(rng.choice((250, 500, 800, 1200, 2500, 5000)))
        low = Decimal(rng.choice((20, 25, 30, 40)))
        opp = Opportunity(
            platform=platform,
            external_id=f"hist-{seed}-{n}",
            account=f"sandbox-{platform.value}",
            upwork_job_id=f"~02{seed:04x}{n:012x}" if upwork else None,
            title=rng.choice(TITLES),
            kind=JobKind.HOURLY if hourly else JobKind.FIXED,
            budget=None if hourly else budget,
            hourly_min=low if hourly else None,
            hourly_max=low * 2 if hourly else None,
            skills=skills,
            category=category,
            client=ClientInfo(
                country=rng.choice(COUNTRIES) if upwork else None,
                payment_verified=verified,
                total_spent=Decimal(rng.choice((0, 400, 3000, 25000, 150000))) if upwork else None,
                hire_rate=round(rng.uniform(0.1, 0.95), 2) if upwork else None,
            ),
            match_score=round(rng.uniform(0.35, 0.98), 2),
            connects_price=rng.choice((8, 12, 16)) if upwork else None,
            posted_at=posted,
            detected_at=detected,
            status=OpportunityStatus.CLOSED,
        )
        opportunities.append(opp)
        # Better-matching jobs get opened; a share of the opened get a proposal.
        if rng.random() > send_share * 1.15 * (0.6 + (opp.match_score or 0.5)):
            continue
        opened = detected + timedelta(minutes=_lognormal_minutes(rng, 20, 1.4))
        template = rng.choice(TEMPLATES)
        profile = rng.choice(PROFILES)
        if rng.random() < 0.3:  # opened, looked at, left
            activities.append(
                Activity(opp.key, opened_at=opened, active_ms=int(rng.uniform(10, 90) * 1000))
            )
            continue
        ready = opened + timedelta(minutes=rng.uniform(0.2, 4))
        sent_at = ready + timedelta(minutes=_lognormal_minutes(rng, 6, 0.8))
        if sent_at >= now or rng.random() < 0.15:  # drafted, never sent
            activities.append(
                Activity(
                    opp.key,
                    opened_at=opened,
                    draft_ready_at=ready,
                    active_ms=int(rng.uniform(60, 400) * 1000),
                    template=template,
                    profile=profile,
                )
            )
            continue
        active = (sent_at - opened).total_seconds() * rng.uniform(0.5, 0.95)
        activities.append(
            Activity(
                opp.key,
                notified_at=detected + timedelta(seconds=rng.uniform(1, 8)),
                opened_at=opened,
                draft_ready_at=ready,
                active_ms=int(active * 1000),
                template=template,
                profile=profile,
            )
        )
        route = platform
        if platform is Platform.GIGRADAR and rng.random() < 0.2:
            route = Platform.UPHUNT
        minutes = (sent_at - posted).total_seconds() / 60.0
        viewed, replied, accepted = outcomes.draw(rng, minutes, verified, template)
        reference = (low * 3 / 2) if hourly else budget
        amount = (reference * Decimal(str(round(rng.uniform(0.6, 1.4), 2)))).quantize(
            Decimal("0.01")
        )
        sub = Submission(
            id=f"hist-{seed}-{n}",
            opportunity_key=opp.key,
            platform=route,
            account=f"sandbox-{route.value}",
            dedupe_key=opp.dedupe_key,
            cover_letter=f"(a letter from the “{template}” template)",
            bid=Bid(
                kind=BidKind.HOURLY if hourly else BidKind.FIXED,
                amount=amount,
                boost_connects=rng.choice((None, None, 4)) if upwork else None,
            ),
            created_at=sent_at - timedelta(seconds=2),
            updated_at=sent_at - timedelta(seconds=2),
        )
        sub = sub.transition(SubmissionState.SUBMITTING, at=sent_at - timedelta(seconds=1))
        sub = sub.apply(StatusUpdate(state=SubmissionState.SUBMITTED), via="api", at=sent_at)
        at = sent_at
        for reached, outcome in (
            (viewed, Outcome.VIEWED),
            (replied, Outcome.REPLIED),
            (accepted, Outcome.ACCEPTED),
        ):
            if not reached:
                break
            at += timedelta(hours=rng.uniform(1, 30))
            if at >= now:
                break
            sub = sub.apply(StatusUpdate(outcome=outcome), via="poll", at=at)
        if viewed and not accepted and at < now and rng.random() < 0.5:
            late = at + timedelta(days=rng.uniform(1, 5))
            if late < now:
                sub = sub.apply(StatusUpdate(outcome=Outcome.REJECTED), via="poll", at=late)
        submissions.append(sub)
    return History(tuple(opportunities), tuple(submissions), tuple(activities))
