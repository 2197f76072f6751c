"""What wins: the funnel, rates by dimension, time to send and cost, from proposal facts.

Pure functions over `ProposalFact`s (one per opportunity the user drafted, opened or sent)
and the per-platform count of opportunities seen, which the store counts in SQL. The
whole history of a busy year is ~20,000 facts: a filter change is a pass over them here
(~10 ms), not a new query.

Definitions (the README's `biddesk stats` section repeats them):

- The period is a *cohort*: opportunities detected in [since, until). What became of them
  (drafted, sent, viewed, …) is counted whenever it happened.
- Funnel stages are cumulative: a reply counts as viewed, a win as replied. An outcome is
  the furthest the submission ever reached (its history), so a reply later rejected still
  counts as a reply. A rejection counts as viewed (the client read it to decide).
- Every rate carries its counts and a Wilson 95% interval; fewer than `SMALL` proposals
  behind a rate is flagged, never shown as a bare percentage.
- Time to send: posted → sent (what the client sees) and detected → sent (what BidDesk and
  the user control). Buckets are fixed so week-to-week figures compare.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from statistics import median
from typing import Any

from app.domain.opportunity import Platform

SMALL = 20  # fewer proposals than this behind a rate: say the number is small
Z95 = 1.959963984540054
CONNECT_PRICE_USD = 0.15  # Upwork's price of one Connect (platform-apis.md, UW-con)

STAGES: tuple[str, ...] = ("seen", "drafted", "sent", "viewed", "replied", "accepted")


class Reached(IntEnum):
    """How far a sent proposal got with the client (the furthest point of its history)."""

    NONE = 0
    VIEWED = 1
    REPLIED = 2
    ACCEPTED = 3


class Dimension(StrEnum):
    """What a breakdown groups the sent proposals by."""

    TEMPLATE = "template"
    PROFILE = "profile"
    PLATFORM = "platform"  # the route the proposal went through
    NICHE = "niche"  # the job's category, else its first skill
    SKILL = "skill"  # each of the job's skills (a proposal counts under each)
    BID = "bid"  # the bid against the job's budget or hourly range
    VERIFIED = "verified"
    SPEND = "spend"
    HIRE_RATE = "hire_rate"
    COUNTRY = "country"
    SCORE = "score"
    SPEED = "speed"  # posted → sent
    DETECTED_SPEED = "detected_speed"  # detected → sent
    HOUR = "hour"  # hour of the day it was sent (UTC)
    MEMBER = "member"  # who sent it (a team's member; this desktop's user on its own)


@dataclass(frozen=True, slots=True)
class ProposalFact:
    """One opportunity the user worked on, and what became of it."""

    key: str
    platform: Platform  # where the job came from
    detected_at: datetime
    posted_at: datetime | None = None
    drafted: bool = False
    route: Platform | None = None  # the platform it was sent through; None: not sent
    sent_at: datetime | None = None
    reached: Reached = Reached.NONE
    template: str | None = None
    profile: str | None = None
    skills: tuple[str, ...] = ()
    category: str | None = None
    bid_ratio: float | None = None  # bid / job budget (or hourly midpoint)
    payment_verified: bool | None = None
    total_spent: float | None = None
    hire_rate: float | None = None  # 0..1
    country: str | None = None
    match_score: float | None = None  # 0..1
    connects: int = 0
    uphunt_credits: int = 0
    gigiac_credits: int = 0
    notified_at: datetime | None = None
    opened_at: datetime | None = None
    draft_ready_at: datetime | None = None
    active_seconds: float = 0.0
    member: str | None = None  # who sent it (None: not known; see `ME`)

    # Derived once, here: a report passes over 20,000 facts several times, and datetime
    # arithmetic in each pass was most of its time (0.6 s → 0.1 s measured).
    minutes_posted_to_sent: float | None = field(init=False, default=None, compare=False)
    minutes_detected_to_sent: float | None = field(init=False, default=None, compare=False)
    level: int = field(init=False, default=-1, compare=False)  # Reached as int; -1: not sent
    week: datetime | None = field(init=False, default=None, compare=False)  # Monday of sent_at
    # minutes: detected → opened, notified → opened, opened → draft ready, draft → sent
    steps: tuple[float | None, float | None, float | None, float | None] = field(
        init=False, default=(None, None, None, None), compare=False
    )

    def __post_init__(self) -> None:
        sent = self.sent_at
        put = object.__setattr__
        opened = self.opened_at
        if opened is not None or self.draft_ready_at is not None:
            put(
                self,
                "steps",
                (
                    _minutes(self.detected_at, opened),
                    _minutes(self.notified_at, opened),
                    _minutes(opened, self.draft_ready_at),
                    _minutes(self.draft_ready_at, sent),
                ),
            )
        if sent is not None:
            put(self, "minutes_posted_to_sent", _minutes(self.posted_at, sent))
            put(self, "minutes_detected_to_sent", _minutes(self.detected_at, sent))
            put(self, "level", int(self.reached))
            put(self, "week", week_start(sent))

    @property
    def sent(self) -> bool:
        return self.sent_at is not None


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds() / 60.0)


@dataclass(frozen=True, slots=True)
class Activity:
    """What BidDesk measured while the user worked on one opportunity."""

    opportunity_key: str
    notified_at: datetime | None = None
    opened_at: datetime | None = None
    draft_ready_at: datetime | None = None
    active_ms: int = 0
    template: str | None = None
    profile: str | None = None


@dataclass(frozen=True, slots=True)
class Query:
    """The user's choice: a period (cohort by detection) and the platforms of the jobs."""

    since: datetime | None = None
    until: datetime | None = None
    platforms: frozenset[Platform] = frozenset()  # empty: all

    def admits(self, fact: ProposalFact) -> bool:
        if self.since is not None and fact.detected_at < self.since:
            return False
        if self.until is not None and fact.detected_at >= self.until:
            return False
        return not self.platforms or fact.platform in self.platforms


@dataclass(frozen=True, slots=True)
class Rate:
    """`hits` of `n`, with a Wilson 95% interval; `small` when n < SMALL."""

    hits: int
    n: int

    @property
    def value(self) -> float | None:
        return None if self.n == 0 else self.hits / self.n

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.hits, self.n)

    @property
    def small(self) -> bool:
        return self.n < SMALL

    def text(self) -> str:
        """ "23% (7/30, 12–40%)"; "3/8 (few)" where the numbers are too small for a rate."""
        if self.n == 0:
            return "—"
        if self.small:
            return f"{self.hits}/{self.n} (few)"
        low, high = self.interval or (0.0, 0.0)
        return f"{self.hits / self.n:.0%} ({self.hits}/{self.n}, {low * 100:.0f}–{high:.0%})"

    def to_json(self) -> dict[str, Any]:
        interval = self.interval
        return {
            "count": self.hits,
            "of": self.n,
            "rate": None if self.value is None else round(self.value, 4),
            "low": None if interval is None else round(interval[0], 4),
            "high": None if interval is None else round(interval[1], 4),
            "small": self.small,
        }


def wilson(hits: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for a proportion: sane at 0/n and n/n and small n."""
    if n <= 0:
        return None
    p = hits / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class Funnel:
    seen: int
    drafted: int
    sent: int
    viewed: int
    replied: int
    accepted: int

    def counts(self) -> tuple[int, ...]:
        return (self.seen, self.drafted, self.sent, self.viewed, self.replied, self.accepted)

    def to_json(self) -> dict[str, int]:
        return dict(zip(STAGES, self.counts(), strict=True))


@dataclass(frozen=True, slots=True)
class Cost:
    connects: int = 0
    uphunt_credits: int = 0
    gigiac_credits: int = 0

    @property
    def connects_usd(self) -> float:
        return round(self.connects * CONNECT_PRICE_USD, 2)

    def per(self, n: int) -> dict[str, float | None]:
        def each(total: float) -> float | None:
            return None if n == 0 else round(total / n, 2)

        return {
            "connects": each(self.connects),
            "connects_usd": each(self.connects_usd),
            "uphunt_credits": each(self.uphunt_credits),
            "gigiac_credits": each(self.gigiac_credits),
        }

    def to_json(self) -> dict[str, float | int]:
        return {
            "connects": self.connects,
            "connects_usd": self.connects_usd,
            "uphunt_credits": self.uphunt_credits,
            "gigiac_credits": self.gigiac_credits,
        }


@dataclass(frozen=True, slots=True)
class Group:
    """One row of a breakdown: the proposals sent in it and what they got."""

    key: str
    sent: int
    viewed: Rate
    replied: Rate
    accepted: Rate
    cost: Cost

    @property
    def small(self) -> bool:
        return self.sent < SMALL

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "sent": self.sent,
            "viewed": self.viewed.to_json(),
            "replied": self.replied.to_json(),
            "accepted": self.accepted.to_json(),
            "cost": self.cost.to_json(),
            "small": self.small,
        }


@dataclass(frozen=True, slots=True)
class Week:
    start: datetime  # Monday 00:00 UTC
    sent: int
    replied: Rate
    accepted: Rate

    def to_json(self) -> dict[str, Any]:
        return {
            "week": self.start.date().isoformat(),
            "sent": self.sent,
            "replied": self.replied.to_json(),
            "accepted": self.accepted.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Spread:
    """Minutes: median and quartiles, and how many values they come from."""

    n: int
    median: float | None
    p25: float | None
    p75: float | None

    def to_json(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 1)

        return {"n": self.n, "median": r(self.median), "p25": r(self.p25), "p75": r(self.p75)}


def spread(values: Sequence[float]) -> Spread:
    if not values:
        return Spread(0, None, None, None)
    ordered = sorted(values)
    return Spread(
        len(ordered), float(median(ordered)), _quantile(ordered, 0.25), _quantile(ordered, 0.75)
    )


def _quantile(ordered: Sequence[float], q: float) -> float:
    if len(ordered) == 1:
        return float(ordered[0])
    pos = q * (len(ordered) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (pos - low))


@dataclass(frozen=True, slots=True)
class Speed:
    """Where the minutes go between a job appearing and the proposal leaving."""

    posted_to_sent: Spread
    detected_to_sent: Spread
    detected_to_opened: Spread
    notified_to_opened: Spread
    opened_to_draft: Spread
    draft_to_sent: Spread
    active_minutes: Spread  # time the editor showed the job, for the ones sent

    def to_json(self) -> dict[str, Any]:
        return {
            "posted_to_sent": self.posted_to_sent.to_json(),
            "detected_to_sent": self.detected_to_sent.to_json(),
            "detected_to_opened": self.detected_to_opened.to_json(),
            "notified_to_opened": self.notified_to_opened.to_json(),
            "opened_to_draft": self.opened_to_draft.to_json(),
            "draft_to_sent": self.draft_to_sent.to_json(),
            "active_minutes": self.active_minutes.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Report:
    query: Query
    funnel: Funnel
    funnel_by_platform: dict[Platform, Funnel]
    viewed: Rate
    replied: Rate
    accepted: Rate
    cost: Cost
    weeks: tuple[Week, ...]
    speed: Speed
    # posted → sent minutes of every sent proposal (the distribution chart)
    send_minutes: tuple[float, ...]
    breakdowns: dict[Dimension, tuple[Group, ...]] = field(default_factory=dict)

    def to_json(self, by: Dimension | None = None) -> dict[str, Any]:
        """The stable shape of `biddesk stats --json` (documented in the README)."""
        sent = self.funnel.sent
        return {
            "version": 1,
            "period": {
                "since": _iso(self.query.since),
                "until": _iso(self.query.until),
                "platforms": sorted(p.value for p in self.query.platforms),
            },
            "funnel": self.funnel.to_json(),
            "funnel_by_platform": {
                p.value: f.to_json() for p, f in sorted(self.funnel_by_platform.items())
            },
            "rates": {
                "viewed": self.viewed.to_json(),
                "replied": self.replied.to_json(),
                "accepted": self.accepted.to_json(),
            },
            "cost": {
                "total": self.cost.to_json(),
                "per_sent": self.cost.per(sent),
                "per_reply": self.cost.per(self.funnel.replied),
                "per_win": self.cost.per(self.funnel.accepted),
            },
            "time_to_send": self.speed.to_json(),
            "weekly": [w.to_json() for w in self.weeks],
            "breakdown": None
            if by is None
            else {"by": by.value, "groups": [g.to_json() for g in self.breakdowns.get(by, ())]},
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


# -- buckets -----------------------------------------------------------------------------

# (upper bound in minutes, label); the last bound is infinite
SPEED_BUCKETS: tuple[tuple[float, str], ...] = (
    (15, "< 15 min"),
    (60, "15–60 min"),
    (180, "1–3 h"),
    (720, "3–12 h"),
    (1440, "12–24 h"),
    (math.inf, "> 1 day"),
)
BID_BUCKETS: tuple[tuple[float, str], ...] = (
    (0.7, "< 70% of budget"),
    (0.9, "70–90%"),
    (1.1, "90–110%"),
    (1.3, "110–130%"),
    (math.inf, "> 130%"),
)
SPEND_BUCKETS: tuple[tuple[float, str], ...] = (
    (0.01, "$0 spent"),
    (1_000, "< $1k"),
    (10_000, "$1k–10k"),
    (100_000, "$10k–100k"),
    (math.inf, "≥ $100k"),
)
HIRE_BUCKETS: tuple[tuple[float, str], ...] = (
    (0.25, "< 25% hire rate"),
    (0.5, "25–50%"),
    (0.75, "50–75%"),
    (math.inf, "≥ 75%"),
)
SCORE_BUCKETS: tuple[tuple[float, str], ...] = (
    (0.5, "score < 0.50"),
    (0.7, "0.50–0.70"),
    (0.85, "0.70–0.85"),
    (math.inf, "≥ 0.85"),
)
UNKNOWN = "unknown"
ME = "you"  # the member of a proposal no one signed (a desktop of its own, no name given)
NOT_SIGNED = "(not signed)"  # on a team database: a proposal sent before the team


def _bucket(value: float | None, buckets: Sequence[tuple[float, str]]) -> str:
    if value is None:
        return UNKNOWN
    for bound, label in buckets:
        if value < bound:
            return label
    return buckets[-1][1]


def _order(buckets: Sequence[tuple[float, str]]) -> list[str]:
    return [label for _, label in buckets] + [UNKNOWN]


def speed_bucket(minutes: float | None) -> str:
    return _bucket(minutes, SPEED_BUCKETS)


def _keys(fact: ProposalFact, by: Dimension) -> Iterable[str]:
    match by:
        case Dimension.TEMPLATE:
            yield fact.template or "(typed by hand)"
        case Dimension.PROFILE:
            yield fact.profile or "(default)"
        case Dimension.PLATFORM:
            yield (fact.route or fact.platform).label
        case Dimension.NICHE:
            yield fact.category or (fact.skills[0] if fact.skills else UNKNOWN)
        case Dimension.SKILL:
            yield from fact.skills or (UNKNOWN,)
        case Dimension.BID:
            yield (
                "no budget or default bid"
                if fact.bid_ratio is None
                else _bucket(fact.bid_ratio, BID_BUCKETS)
            )
        case Dimension.VERIFIED:
            if fact.payment_verified is None:
                yield UNKNOWN
            else:
                yield "payment verified" if fact.payment_verified else "not verified"
        case Dimension.SPEND:
            yield _bucket(fact.total_spent, SPEND_BUCKETS)
        case Dimension.HIRE_RATE:
            yield _bucket(fact.hire_rate, HIRE_BUCKETS)
        case Dimension.COUNTRY:
            yield fact.country or UNKNOWN
        case Dimension.SCORE:
            yield _bucket(fact.match_score, SCORE_BUCKETS)
        case Dimension.SPEED:
            yield speed_bucket(fact.minutes_posted_to_sent)
        case Dimension.DETECTED_SPEED:
            yield speed_bucket(fact.minutes_detected_to_sent)
        case Dimension.HOUR:
            assert fact.sent_at is not None
            yield f"{fact.sent_at.hour:02d}:00"
        case Dimension.MEMBER:
            yield fact.member or ME


_FIXED_ORDER: dict[Dimension, list[str]] = {
    Dimension.BID: [*_order(BID_BUCKETS)[:-1], "no budget or default bid"],
    Dimension.VERIFIED: ["payment verified", "not verified", UNKNOWN],
    Dimension.SPEND: _order(SPEND_BUCKETS),
    Dimension.HIRE_RATE: _order(HIRE_BUCKETS),
    Dimension.SCORE: _order(SCORE_BUCKETS),
    Dimension.SPEED: _order(SPEED_BUCKETS),
    Dimension.DETECTED_SPEED: _order(SPEED_BUCKETS),
    Dimension.HOUR: [f"{h:02d}:00" for h in range(24)],
}
# The hot dimensions, as plain functions (a generator per fact costs more than the work).
_KEY_OF: dict[Dimension, Callable[[ProposalFact], str]] = {
    Dimension.SPEED: lambda f: speed_bucket(f.minutes_posted_to_sent),
    Dimension.DETECTED_SPEED: lambda f: speed_bucket(f.minutes_detected_to_sent),
    Dimension.TEMPLATE: lambda f: f.template or "(typed by hand)",
    Dimension.PROFILE: lambda f: f.profile or "(default)",
    Dimension.COUNTRY: lambda f: f.country or UNKNOWN,
    Dimension.MEMBER: lambda f: f.member or ME,
}
MAX_GROUPS = 12  # categorical breakdowns: the biggest groups, then "other"


# -- computing -----------------------------------------------------------------------------


def _tally(facts: Iterable[ProposalFact]) -> tuple[int, int, int, int, Cost]:
    sent = viewed = replied = accepted = 0
    connects = uphunt = gigiac = 0
    for f in facts:
        level = f.level
        if level < 0:
            continue
        sent += 1
        if level >= 1:
            viewed += 1
            if level >= 2:
                replied += 1
                if level >= 3:
                    accepted += 1
        connects += f.connects
        uphunt += f.uphunt_credits
        gigiac += f.gigiac_credits
    return sent, viewed, replied, accepted, Cost(connects, uphunt, gigiac)


def _group(key: str, facts: Sequence[ProposalFact]) -> Group:
    sent, viewed, replied, accepted, cost = _tally(facts)
    return Group(key, sent, Rate(viewed, sent), Rate(replied, sent), Rate(accepted, sent), cost)


def breakdown(facts: Iterable[ProposalFact], by: Dimension) -> tuple[Group, ...]:
    """Sent proposals grouped by `by`, each group with its rates and cost."""
    groups: dict[str, list[ProposalFact]] = {}
    sent = [fact for fact in facts if fact.level >= 0]
    if by is Dimension.SKILL:
        for fact in sent:
            for key in _keys(fact, by):
                groups.setdefault(key, []).append(fact)
    else:
        one = _KEY_OF.get(by)
        for fact in sent:
            key = one(fact) if one is not None else next(iter(_keys(fact, by)))
            group = groups.get(key)
            if group is None:
                groups[key] = [fact]
            else:
                group.append(fact)
    order = _FIXED_ORDER.get(by)
    if order is not None:
        return tuple(_group(k, groups[k]) for k in order if k in groups)
    ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    head = [_group(k, v) for k, v in ranked[:MAX_GROUPS]]
    rest = [f for _, v in ranked[MAX_GROUPS:] for f in v]
    if rest and by is not Dimension.SKILL:
        head.append(_group("other", rest))
    return tuple(head)


def funnel(facts: Iterable[ProposalFact], seen: int) -> Funnel:
    funnel_, _ = _funnel_and_cost(facts, seen)
    return funnel_


def _funnel_and_cost(facts: Iterable[ProposalFact], seen: int) -> tuple[Funnel, Cost]:
    """One pass: how many were drafted, and the tally of those sent."""
    facts = list(facts)
    drafted = sum(1 for f in facts if f.drafted or f.level >= 0)
    sent, viewed, replied, accepted, cost = _tally(facts)
    # A draft of a job whose row is gone still counts; "seen" never falls below it.
    return Funnel(max(seen, drafted), drafted, sent, viewed, replied, accepted), cost


def week_start(moment: datetime) -> datetime:
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def weekly(facts: Iterable[ProposalFact]) -> tuple[Week, ...]:
    weeks: dict[datetime, list[ProposalFact]] = {}
    for f in facts:
        if f.week is not None:
            weeks.setdefault(f.week, []).append(f)
    out = []
    for start in sorted(weeks):
        sent, _, replied, accepted, _ = _tally(weeks[start])
        out.append(Week(start, sent, Rate(replied, sent), Rate(accepted, sent)))
    return tuple(out)


def speed(facts: Iterable[ProposalFact]) -> Speed:
    """Medians of each step, in one pass (sent-only steps over the sent facts)."""
    posted: list[float] = []
    detected: list[float] = []
    detected_opened: list[float] = []
    notified_opened: list[float] = []
    opened_draft: list[float] = []
    draft_sent: list[float] = []
    active: list[float] = []
    for f in facts:
        to_open, notified, drafting, reviewing = f.steps
        if to_open is not None:
            detected_opened.append(to_open)
        if notified is not None:
            notified_opened.append(notified)
        if drafting is not None:
            opened_draft.append(drafting)
        if f.level < 0:
            continue
        if reviewing is not None:
            draft_sent.append(reviewing)
        if f.minutes_posted_to_sent is not None:
            posted.append(f.minutes_posted_to_sent)
        if f.minutes_detected_to_sent is not None:
            detected.append(f.minutes_detected_to_sent)
        if f.active_seconds > 0:
            active.append(f.active_seconds / 60.0)
    return Speed(
        posted_to_sent=spread(posted),
        detected_to_sent=spread(detected),
        detected_to_opened=spread(detected_opened),
        notified_to_opened=spread(notified_opened),
        opened_to_draft=spread(opened_draft),
        draft_to_sent=spread(draft_sent),
        active_minutes=spread(active),
    )


def report(
    facts: Sequence[ProposalFact],
    seen: dict[Platform, int],
    query: Query = Query(),
    dimensions: Iterable[Dimension] = (),
) -> Report:
    """Everything the Insights view and `biddesk stats` show, for `query`.

    `facts` may hold more than the query admits (the whole history, loaded once);
    `seen` is the store's count of opportunities detected in the query's period, per
    platform (already limited to the period, not to the platforms).
    """
    chosen = [f for f in facts if query.admits(f)]
    platforms = sorted(query.platforms or set(Platform))
    groups: dict[Platform, list[ProposalFact]] = {p: [] for p in platforms}
    for f in chosen:
        groups[f.platform].append(f)
    by_platform: dict[Platform, Funnel] = {}
    total = [0] * 6
    connects = uphunt = gigiac = 0
    for p in platforms:  # the overall figures are the platforms' sums: no second pass
        part, c = _funnel_and_cost(groups[p], seen.get(p, 0))
        by_platform[p] = part
        total = [a + b for a, b in zip(total, part.counts(), strict=True)]
        connects, uphunt, gigiac = (
            connects + c.connects,
            uphunt + c.uphunt_credits,
            gigiac + c.gigiac_credits,
        )
    overall = Funnel(*total)
    sent, viewed, replied, accepted = (
        overall.sent,
        overall.viewed,
        overall.replied,
        overall.accepted,
    )
    cost = Cost(connects, uphunt, gigiac)
    timing = speed(chosen)
    return Report(
        query=query,
        funnel=overall,
        funnel_by_platform=by_platform,
        viewed=Rate(viewed, sent),
        replied=Rate(replied, sent),
        accepted=Rate(accepted, sent),
        cost=cost,
        weeks=weekly(chosen),
        speed=timing,
        send_minutes=tuple(
            f.minutes_posted_to_sent for f in chosen if f.minutes_posted_to_sent is not None
        ),
        breakdowns={d: breakdown(chosen, d) for d in dimensions},
    )


def _ago(minutes: float) -> str:
    if minutes < 1:
        return "just now"
    if minutes < 90:
        return f"{minutes:.0f} min ago"
    if minutes < 48 * 60:
        return f"{minutes / 60:.0f} h ago"
    return f"{minutes / 1440:.0f} days ago"


def speed_text(detected_at: datetime, active_seconds: float, now: datetime) -> str:
    """The editor's line on speed: "Detected 9 min ago · 3 min on it so far".

    Replies fall off quickly with the time since posting (Insights shows by how much for
    the user's own proposals), so the editor keeps this in view while the letter is
    written; the job's header above already says when it was posted.
    """
    parts = [f"Detected {_ago(_minutes(detected_at, now) or 0.0)}"]
    minutes = active_seconds / 60.0
    if minutes >= 1:
        parts.append(f"{minutes:.0f} min on it so far")
    elif active_seconds >= 1:
        parts.append(f"{active_seconds:.0f} s on it so far")
    return " · ".join(parts)
