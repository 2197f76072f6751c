"""GigRadar Public API emulator (platform-apis.md §1, seed 000).

Scanners find Upwork jobs and create opportunities; an application created through the API
stays unsent until it has a `scheduledAt` (null means unscheduled, per the two-to-one
reading of the seed's contradiction, §1.7.1); at max(now, scheduledAt) + 5-60 s it is sent
(`sent`, `proposalId`) or fails (`error`, `errorCode`, `errorMessage`). A sent proposal's
Upwork status then evolves (SUBMITTED -> ACTIVE -> OFFER_WON/OFFER_LOST/...).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import logging
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from app.sandbox import corpus, outcomes
from app.sandbox.common import (
    has_magic,
    is_number,
    iso_z,
    json_response,
    magic_value,
    numeric_id,
    object_id,
    parse_iso,
    read_json,
)
from app.sandbox.data import UpworkJob, UpworkUniverse, served_job
from app.sandbox.platform import PlatformApi, SandboxContext, journal_arrival
from app.sandbox.ratelimit import DAY, MINUTE, RateDecision, Window

logger = logging.getLogger(__name__)

PLATFORM = "gigradar"
_GAP = {"platform": PLATFORM, "gap": True}  # one shared journal entry per draw (read only)
OPPORTUNITY_CREATE = "GIGRADAR.OPPORTUNITY.CREATE"
PROPOSAL_UPDATE = "GIGRADAR.PROPOSAL.UPDATE"
WEBHOOK_SCOPES = (OPPORTUNITY_CREATE, PROPOSAL_UPDATE)
STATES = ("unscheduled", "scheduled", "sent", "error")
COVER_LETTER_MAX = 5000

PROPOSAL_STATUS_CODES = {
    "SUBMITTED": 2,
    "OFFER_LOST": 3,
    "ACTIVE": 7,
    "JOB_CLOSED": 8,
    "OFFER_WON": 9,
    "HIRED": 10,
}
_OPEN_PROPOSAL = frozenset({"SUBMITTED", "ACTIVE"})
_ID_ANCHOR = 1_748_736_000.0  # 2025-06-01T00:00:00Z
# Opportunities kept that nobody applied to: the newest 1,000 (~17 sandbox hours of
# scanner matches, ~8 real minutes at speed 120). An older one is forgotten with its job
# unless UpHunt holds that: its reads answer 404 as for an opportunity that never was.
# Applied-to ones are kept for good. An emulator that runs for hours stays bounded.
KEEP_OPPORTUNITIES = 1_000

# errorCode -> (name, message). 234 is the one a client may fix by rescheduling.
SEND_ERRORS: dict[int | str, tuple[str, str]] = {
    2006: (
        "ContractorLocationMismatchPreferred",
        "The client prefers freelancers from other locations; Upwork refused the proposal.",
    ),
    2020: (
        "JobInterviewRequired",
        "The client requires an interview invitation before proposals can be submitted.",
    ),
    234: (
        "OutsideScheduledHours",
        "The scanner's sending schedule is closed at this time; the application was not sent.",
    ),
    9012: (
        "ProposalAlreadySent",
        "A proposal for this job has already been submitted from this agency.",
    ),
    "JOB_CLOSED": ("JobClosed", "The job is no longer available on Upwork (closed by the client)."),
}
RETRYABLE_ERRORS: frozenset[int | str] = frozenset({234})
_RANDOM_ERRORS: list[int | str] = [2006, 2020, 234, 9012]
_RANDOM_ERROR_WEIGHTS = [30, 25, 30, 15]

_FORCED_PATHS = {
    "SUBMITTED": [],
    "ACTIVE": ["ACTIVE"],
    "OFFER_WON": ["ACTIVE", "OFFER_WON"],
    "HIRED": ["ACTIVE", "OFFER_WON", "HIRED"],
    "OFFER_LOST": ["ACTIVE", "OFFER_LOST"],
    "JOB_CLOSED": ["JOB_CLOSED"],
}


class ValidationError(ValueError):
    """A request body that breaks the documented contract (answered 400)."""


@dataclass
class Scanner:
    id: str
    name: str
    query: dict[str, Any]
    categories: list[str]
    position: int
    avg_monthly_matches: int
    last_scan: float
    created_at: float
    auto_bidder: bool = False  # the seed: it must be OFF for API use; tests turn it on

    def wire(self, team: dict[str, str]) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "teamId": team["id"],
            "teamName": team["name"],
            "query": self.query,
            "autoBidder": {"enabled": self.auto_bidder},
            "disabled": False,
            "position": self.position,
            "avgMonthlyMatches": self.avg_monthly_matches,
            "lastScan": iso_z(self.last_scan),
            "createdAt": iso_z(self.created_at),
        }


@dataclass
class Application:
    cover_letter: str
    bid: dict[str, Any] | None
    questions: list[dict[str, str]]
    created_at: float
    updated_at: float
    connect_price: int
    scheduled_at: float | None = None
    sent: float | None = None
    proposal_id: str | None = None
    error: bool = False
    error_code: int | str | None = None
    error_message: str | None = None
    connects_expended: int | None = None
    proposal: dict[str, Any] | None = None
    generation: int = 0  # bumped on each (re)schedule so a stale send attempt does nothing
    # Reschedules after a send error: a forced *retryable* error ([[sim:error:234]],
    # outside the scanner's hours) holds only until the client reschedules, as the
    # sending window would have opened by then.
    retried_after_error: int = 0
    outcome_token: int = 0

    @property
    def state(self) -> str:
        if self.sent is not None:
            return "sent"
        if self.error:
            return "error"
        return "unscheduled" if self.scheduled_at is None else "scheduled"

    def wire(self) -> dict[str, Any]:
        return {
            "coverLetter": self.cover_letter,
            "bid": self.bid,
            "questions": self.questions,
            "scheduledAt": None if self.scheduled_at is None else iso_z(self.scheduled_at),
            "sent": None if self.sent is None else iso_z(self.sent),
            "proposalId": self.proposal_id,
            "error": self.error,
            "errorCode": self.error_code,
            "errorMessage": self.error_message,
            "connectPrice": self.connect_price,
            "connectsExpended": self.connects_expended,
            "boost": 0,
            "createdAt": iso_z(self.created_at),
            "updatedAt": iso_z(self.updated_at),
            "proposal": None if self.proposal is None else dict(self.proposal),
        }


@dataclass
class Opportunity:
    id: str
    scanner: Scanner
    job: UpworkJob
    score: int
    qualification: dict[str, Any]
    detected: float
    application: Application | None = None
    applications_created: int = 0  # how many times an application was created (tests)

    @property
    def sort_key(self) -> tuple[float, str]:
        return (self.detected, self.id)

    def wire(self, team: dict[str, str], strict: bool = False) -> dict[str, Any]:
        return {
            "id": self.id,
            "scannerId": self.scanner.id,
            "scannerName": self.scanner.name,
            "teamId": team["id"],
            "teamName": team["name"],
            "jobId": self.job.ciphertext,
            "jobUid": self.job.uid,
            "title": self.job.title,
            "published": iso_z(self.job.published),
            "detected": iso_z(self.detected),
            "score": self.score,
            "qualification": self.qualification,
            "irrelevant": False,
            "job": served_job(self.job.data, strict),
            "application": None if self.application is None else self.application.wire(),
        }


@dataclass
class Webhook:
    id: str
    url: str
    scopes: list[str]
    enabled: bool
    username: str | None
    password: str | None  # kept for the deliverer; never returned by the API
    created_at: float
    updated_at: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "scopes": list(self.scopes),
            "enabled": self.enabled,
            "hasAuth": self.username is not None,
            "createdAt": iso_z(self.created_at),
            "updatedAt": iso_z(self.updated_at or self.created_at),
        }


def _money(value: float) -> str:
    return f"${value / 1000:.1f}k" if value >= 1000 else f"${value:.0f}"


class GigRadarState:
    """Scanners, opportunities, applications and webhooks of one GigRadar team."""

    def __init__(
        self,
        ctx: SandboxContext,
        universe: UpworkUniverse,
        data_rng: random.Random,
        *,
        initial: int = 40,
        keep: int = KEEP_OPPORTUNITIES,
    ) -> None:
        self.ctx = ctx
        self.universe = universe
        self.keep = keep
        # Opportunities a kept world will give an application back to (world.py): held
        # while its journal is replayed, as the first run held them.
        self.pinned: set[str] = set()
        self._data_rng = data_rng
        self.rng = random.Random(f"gigradar-runtime:{ctx.seed}{ctx.runtime_salt}")
        self.arrival_rng = random.Random(f"gigradar-arrivals:{ctx.seed}")
        now = ctx.clock.wall()
        # Team and scanner ids stay the same from run to run for one seed (a demo config may
        # name a scanner), so their ObjectId time part comes from a fixed anchor date.
        anchor = _ID_ANCHOR - data_rng.uniform(0, 200) * 86_400
        self.team = {"id": object_id(data_rng, anchor - 400 * 86_400), "name": corpus.TEAM_NAMES[0]}
        self.scanners: dict[str, Scanner] = {}
        for position, spec in enumerate(corpus.SCANNERS, start=1):
            created = now - data_rng.uniform(20, 300) * 86_400
            scanner = Scanner(
                id=object_id(data_rng, anchor + position * 3_600),
                name=spec["name"],
                query=dict(spec["query"]),
                categories=list(spec["categories"]),
                position=position,
                avg_monthly_matches=spec["avgMonthlyMatches"],
                last_scan=now - data_rng.uniform(5, 90),
                created_at=created,
            )
            self.scanners[scanner.id] = scanner
        self.opportunities: dict[str, Opportunity] = {}
        self._order: list[tuple[float, str]] = []  # ascending (detected, id)
        self._by_job: dict[str, list[Opportunity]] = {}
        self.webhooks: dict[str, Webhook] = {}
        self.webhook_posts = 0  # successful POST /webhooks calls (tests count registrations)
        self._seed_initial(initial, now)
        universe.on_close(self._on_job_closed)

    # -- data ----------------------------------------------------------------------------

    def _seed_initial(self, count: int, now: float) -> None:
        rng = self._data_rng
        scanners = list(self.scanners.values())
        made = 0
        while made < count:
            scanner = rng.choices(scanners, weights=[45, 25, 30], k=1)[0]
            job = self.universe.new_job(now, category=rng.choice(scanner.categories), rng=rng)
            detected = min(now - 1, job.published + rng.uniform(20, 600))
            self._add(self._make(rng, scanner, job, detected))
            made += 1
            if made < count and rng.random() < 0.12:
                # Several scanners can match one job: the second opportunity shares it.
                other = rng.choice([s for s in scanners if s is not scanner])
                self._add(self._make(rng, other, job, min(now - 1, detected + rng.uniform(1, 30))))
                made += 1

    def _make(
        self, rng: random.Random, scanner: Scanner, job: UpworkJob, detected: float
    ) -> Opportunity:
        score = rng.randint(35, 98)
        qualified = score >= 60 if rng.random() < 0.9 else score < 60
        data = job.data
        stats = data["client"]["stats"]
        skills = [s["name"] for s in data["skills"][:2]]
        budget = data["budget"]
        if budget["type"] == 1:
            budget_text = f"${budget['fixed']:,.0f} fixed"
        elif budget["hourlyMin"] is not None:
            budget_text = f"${budget['hourlyMin']:.0f}-{budget['hourlyMax']:.0f}/hr"
        else:
            budget_text = "unstated hourly"
        pool = corpus.QUALIFIED_REASONS if qualified else corpus.UNQUALIFIED_REASONS
        reasoning = rng.choice(pool).format(
            skills=" and ".join(skills),
            budget=budget_text,
            rating=stats["feedbackScore"] or "no",
            country=data["client"]["location"]["country"],
            spent=_money(stats["totalSpent"]),
            hire=round(stats["hireRate"] * 100),
            duration=(data["duration"] or "").lower(),
        )
        return Opportunity(
            id=object_id(rng, detected),
            scanner=scanner,
            job=job,
            score=score,
            qualification={"qualified": qualified, "reasoning": reasoning},
            detected=detected,
        )

    def _add(self, opp: Opportunity) -> None:
        self.opportunities[opp.id] = opp
        bisect.insort(self._order, opp.sort_key)
        self._by_job.setdefault(opp.job.ciphertext, []).append(opp)
        self._let_go()

    def held(self, opp: Opportunity) -> bool:
        """Whether an opportunity stays past the window: a client applied to it."""
        return (
            opp.application is not None or opp.applications_created > 0 or (opp.id in self.pinned)
        )

    def _let_go(self) -> None:
        """Forget the opportunities older than the newest `keep` that nobody applied to.

        Which ones go depends only on each one's place in the detected order and on
        whether it was applied to (which can no longer happen once it is gone), so a kept
        world's replay lets go of exactly the ones the first run did. Before the window,
        only held opportunities remain: the sweep is as long as they are few."""
        order = self._order
        outside = len(order) - self.keep
        if outside <= 0:
            return
        gone = [key for key in order[:outside] if not self.held(self.opportunities[key[1]])]
        for key in gone:
            del order[bisect.bisect_left(order, key)]
            opp = self.opportunities.pop(key[1])
            cipher = opp.job.ciphertext
            siblings = [o for o in self._by_job.get(cipher, []) if o is not opp]
            if siblings:
                self._by_job[cipher] = siblings
            else:
                self._by_job.pop(cipher, None)
                self.universe.forget(cipher)

    def add_opportunity(self, **overrides: Any) -> Opportunity:
        """A scanner matches a new (or, with `jobId`, an existing) job now.

        Overrides: `scannerId`, `jobId`, `category` (a corpus key such as "web"), `score`,
        `qualification`, `detected` (ISO), `title`, and `job` (dict merged into the job).
        """
        rng = self.arrival_rng
        now = self.ctx.clock.wall()
        # First, even if the overrides turn out wrong: the draws below happen either way.
        self.ctx.journal_entry(journal_arrival(PLATFORM, now, overrides))
        scanner_id = overrides.pop("scannerId", None)
        if scanner_id is not None and scanner_id not in self.scanners:
            raise KeyError(f"unknown scanner {scanner_id!r}")
        scanner = (
            self.scanners[scanner_id] if scanner_id else rng.choice(list(self.scanners.values()))
        )
        cipher = overrides.pop("jobId", None)
        category = overrides.pop("category", None)
        if cipher is not None and cipher in self.universe.jobs:
            job = self.universe.jobs[cipher]
        else:
            job = self.universe.new_job(
                now,
                category=category or rng.choice(scanner.categories),
                age=(30.0, 600.0),
                rng=rng,
            )
            if cipher is not None:  # a caller-chosen ciphertext for a new job
                self.universe.jobs.pop(job.ciphertext)
                job.client.ciphertexts.remove(job.ciphertext)
                job.ciphertext = cipher
                job.data["ciphertext"] = cipher
                job.data["url"] = f"https://www.upwork.com/jobs/{cipher}"
                self.universe.add(job)
        if "title" in overrides:
            job.data["title"] = overrides.pop("title")
        job_overrides = overrides.pop("job", None)
        if job_overrides:
            job.data.update(job_overrides)
        detected = now
        if "detected" in overrides:
            detected = parse_iso(overrides.pop("detected"))
        opp = self._make(rng, scanner, job, detected)
        if "score" in overrides:
            opp.score = overrides.pop("score")
        if "qualification" in overrides:
            opp.qualification = overrides.pop("qualification")
        if overrides:
            raise TypeError(f"unknown opportunity overrides: {', '.join(sorted(overrides))}")
        self._add(opp)
        scanner.last_scan = now
        self.ctx.events.record(PLATFORM, OPPORTUNITY_CREATE, self.wire(opp))
        return opp

    def schedule_arrival(self) -> None:
        """Next scanner match in ~60 s of sandbox time (exponential gaps)."""
        gap = self.next_gap()
        self.ctx.scheduler.call_later(self.ctx.clock.real(gap), self._arrive)

    def next_gap(self) -> float:
        """Sandbox seconds to the next scanner match (journalled: it draws on arrivals)."""
        self.ctx.journal_entry(_GAP)
        return self.arrival_rng.expovariate(1 / 60.0)

    def _arrive(self) -> None:
        self.add_opportunity()
        self.schedule_arrival()

    def wire(self, opp: Opportunity) -> dict[str, Any]:
        return opp.wire(self.team, self.ctx.strict)

    def applications_for_job(self, cipher: str) -> int:
        """How many applications exist across this team's opportunities for one job."""
        return sum(1 for o in self._by_job.get(cipher, []) if o.application is not None)

    # -- listing -------------------------------------------------------------------------

    def page(
        self,
        *,
        scanner_id: str | None,
        since: float | None,
        until: float | None,
        has_application: bool | None,
        state: str | None,
        limit: int,
        cursor: tuple[float, str] | None,
    ) -> tuple[list[Opportunity], tuple[float, str] | None, int]:
        order = self._order
        start = len(order)
        if cursor is not None:
            start = min(start, bisect.bisect_left(order, cursor))
        if until is not None:
            start = min(start, bisect.bisect_left(order, (until, "")))

        def matches(opp: Opportunity) -> bool:
            if scanner_id is not None and opp.scanner.id != scanner_id:
                return False
            app = opp.application
            if has_application is not None and (app is not None) != has_application:
                return False
            return state is None or (app is not None and app.state == state)

        items: list[Opportunity] = []
        index = start - 1
        while index >= 0 and len(items) <= limit:
            detected, opp_id = order[index]
            if since is not None and detected < since:
                break
            opp = self.opportunities[opp_id]
            if matches(opp):
                items.append(opp)
            index -= 1
        next_cursor = items[limit - 1].sort_key if len(items) > limit else None
        filtered = scanner_id or has_application is not None or state or since or until
        if filtered:
            total = sum(
                1
                for opp in self.opportunities.values()
                if matches(opp)
                and (since is None or opp.detected >= since)
                and (until is None or opp.detected < until)
            )
        else:
            total = len(order)
        return items[:limit], next_cursor, total

    # -- applications --------------------------------------------------------------------

    def validate_application(
        self, opp: Opportunity, body: Any
    ) -> tuple[str, dict[str, Any] | None, list[dict[str, str]], float | None, bool]:
        """(coverLetter, bid, questions, scheduledAt, scheduledAt-given) or ValidationError."""
        if not isinstance(body, dict):
            raise ValidationError("Request body must be a JSON object")
        cover = body.get("coverLetter")
        if not isinstance(cover, str) or not cover.strip():
            raise ValidationError("coverLetter is required and must be a non-empty string")
        if len(cover) > COVER_LETTER_MAX:
            raise ValidationError(
                f"coverLetter must be at most {COVER_LETTER_MAX:,} characters (got {len(cover):,})"
            )
        bid = self._validate_bid(body.get("bid"))
        questions = self._validate_questions(opp, body.get("questions"))
        given = "scheduledAt" in body
        scheduled = self._parse_scheduled(body.get("scheduledAt"))
        return cover, bid, questions, scheduled, given

    @staticmethod
    def _validate_bid(bid: Any) -> dict[str, Any] | None:
        if bid is None:
            return None
        if not isinstance(bid, dict):
            raise ValidationError("bid must be null or an object {type, amount}")
        kind = bid.get("type")
        if kind not in ("hourly", "fixed"):
            raise ValidationError("bid.type must be 'hourly' or 'fixed'")
        amount = bid.get("amount")
        if amount is not None and (not is_number(amount) or amount <= 0):
            raise ValidationError("bid.amount must be a positive number or null")
        if kind == "fixed" and amount is None:
            raise ValidationError("bid.amount is required for a fixed-price bid")
        return {"type": kind, "amount": amount}

    @staticmethod
    def _validate_questions(opp: Opportunity, questions: Any) -> list[dict[str, str]]:
        asked = opp.job.questions
        if questions is None:
            questions = []
        if not isinstance(questions, list):
            raise ValidationError("questions must be an array of {question, answer}")
        cleaned: list[dict[str, str]] = []
        for item in questions:
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("question"), str)
                or not isinstance(item.get("answer"), str)
            ):
                raise ValidationError(
                    "each questions item must be {question: string, answer: string}"
                )
            cleaned.append({"question": item["question"], "answer": item["answer"]})
        if not asked:
            return cleaned
        by_text = {" ".join(q["question"].lower().split()): q for q in cleaned}
        answers: list[dict[str, str]] = []
        for position, wanted in enumerate(asked):
            text = wanted["question"]
            found = by_text.get(" ".join(text.lower().split()))
            if found is None and position < len(cleaned):
                found = cleaned[position]
            if found is None or not found["answer"].strip():
                raise ValidationError(
                    f"The job has {len(asked)} screening question(s); "
                    f"question {position + 1} ({text!r}) has no answer"
                )
            answers.append({"question": text, "answer": found["answer"]})
        return answers

    @staticmethod
    def _parse_scheduled(value: Any) -> float | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValidationError("scheduledAt must be an ISO 8601 date-time string or null")
        try:
            return parse_iso(value)
        except ValueError:
            raise ValidationError(
                f"scheduledAt is not a valid ISO 8601 date-time: {value!r}"
            ) from None

    def create_application(
        self,
        opp: Opportunity,
        cover: str,
        bid: dict[str, Any] | None,
        questions: list[dict[str, str]],
        scheduled_at: float | None,
    ) -> Application:
        now = self.ctx.clock.wall()
        app = Application(
            cover_letter=cover,
            bid=bid,
            questions=questions,
            created_at=now,
            updated_at=now,
            connect_price=int(opp.job.data["connectsPrice"]),
        )
        opp.application = app
        opp.applications_created += 1
        if scheduled_at is not None:
            self.schedule(opp, scheduled_at)
        return app

    def restore(self, opp: Opportunity, app: Application, created: int) -> None:
        """An application a kept world saved (world.py), with its pending step planned:
        the send it was waiting for, or the next answer to an open proposal."""
        opp.application = app
        opp.applications_created = created
        if app.sent is None and not app.error and app.scheduled_at is not None:
            self.schedule(opp, app.scheduled_at)
        elif app.proposal is not None and app.proposal.get("status") in _OPEN_PROPOSAL:
            self._plan_outcome(opp, app, reached=str(app.proposal["status"]))

    def schedule(self, opp: Opportunity, scheduled_at: float | None) -> None:
        app = opp.application
        assert app is not None
        clock = self.ctx.clock
        app.generation += 1
        app.scheduled_at = scheduled_at
        app.updated_at = clock.wall()
        if app.error:  # only a retryable error gets here; a new attempt starts clean
            app.error, app.error_code, app.error_message = False, None, None
        if scheduled_at is None:
            return
        # scheduledAt is an absolute time the client chose; only the sending latency that
        # follows it is sandbox time (compressed by speed).
        wait = max(0.0, scheduled_at - clock.wall()) + clock.real(self.rng.uniform(5, 60))
        generation = app.generation
        self.ctx.scheduler.call_later(wait, lambda: self._attempt(opp, generation))

    def _attempt(self, opp: Opportunity, generation: int) -> None:
        app = opp.application
        if app is None or app.generation != generation or app.sent or app.error:
            return
        code = self._send_outcome(opp, app)
        now = self.ctx.clock.wall()
        app.updated_at = now
        if code is None:
            app.sent = now
            app.proposal_id = numeric_id(self.rng, 19)
            app.connects_expended = app.connect_price
            app.proposal = {
                "status": "SUBMITTED",
                "statusCode": PROPOSAL_STATUS_CODES["SUBMITTED"],
                "replied": False,
                "connectsExpended": app.connect_price,
                "updatedAt": iso_z(now),
            }
            self.universe.agency_proposals.setdefault(opp.job.ciphertext, PLATFORM)
            logger.debug("gigradar: application on %s sent", opp.id)
            self._record_update(opp)
            self._plan_outcome(opp, app)
        else:
            name, message = SEND_ERRORS.get(code, ("SendFailed", "Upwork refused the proposal."))
            app.error = True
            app.error_code = code
            app.error_message = f"{name}: {message}"
            logger.debug("gigradar: application on %s failed with %s", opp.id, code)
            self._record_update(opp)

    def _send_outcome(self, opp: Opportunity, app: Application) -> int | str | None:
        """None for sent, else the errorCode."""
        if not opp.job.is_open:
            return "JOB_CLOSED"
        forced = magic_value(app.cover_letter, "error")
        if forced is not None:
            code: int | str = int(forced) if forced.isdigit() else forced.upper()
            if not (code in RETRYABLE_ERRORS and app.retried_after_error):
                return code
        if has_magic(app.cover_letter, "sent"):
            return None
        if opp.job.ciphertext in self.universe.agency_proposals:
            return 9012
        if self.rng.random() < 0.85:
            return None
        return self.rng.choices(_RANDOM_ERRORS, weights=_RANDOM_ERROR_WEIGHTS, k=1)[0]

    def _plan_outcome(
        self, opp: Opportunity, app: Application, *, reached: str = "SUBMITTED"
    ) -> None:
        forced = magic_value(app.cover_letter, "outcome")
        rng = self.rng
        if forced is not None and forced.upper() in _FORCED_PATHS:
            path = list(_FORCED_PATHS[forced.upper()])
            replied = forced.upper() in ("OFFER_WON", "HIRED")
        else:
            # Faster sends and verified clients get answered more often (outcomes.py).
            minutes = max(0.0, (self.ctx.clock.wall() - opp.job.published) / 60.0)
            viewed, replied, won = outcomes.draw(rng, minutes, opp.job.client.payment_verified)
            if won:
                path = ["ACTIVE", "OFFER_WON"] + (["HIRED"] if rng.random() < 0.5 else [])
            elif viewed:
                roll = rng.random()
                if roll < 0.55:
                    path = ["ACTIVE", "OFFER_LOST"]
                elif roll < 0.7:
                    path = ["ACTIVE", "JOB_CLOSED"]
                else:
                    path = ["ACTIVE"]
            else:
                path = ["JOB_CLOSED"] if rng.random() < 0.15 else []
        if reached != "SUBMITTED" and path and path[0] == reached:
            path = path[1:]  # a kept world's proposal already got there (world.py)
        app.outcome_token += 1
        self._next_outcome(opp, app.outcome_token, path, replied, first=True)

    def _next_outcome(
        self, opp: Opportunity, token: int, path: list[str], replied: bool, *, first: bool
    ) -> None:
        if not path:
            return
        delay = self.rng.uniform(90, 1200) if first else self.rng.uniform(120, 1800)
        status, rest = path[0], path[1:]

        def step() -> None:
            app = opp.application
            if app is None or app.outcome_token != token or app.proposal is None:
                return
            if status == "JOB_CLOSED":
                # The client closed the job: every platform sees it closed now.
                self.universe.close(opp.job.ciphertext, self.ctx.clock.wall())
                return  # _on_job_closed recorded the proposal update
            self._set_proposal_status(opp, app, status, replied=replied or app.proposal["replied"])
            self._next_outcome(opp, token, rest, replied, first=False)

        self.ctx.scheduler.call_later(self.ctx.clock.real(delay), step)

    def _set_proposal_status(
        self, opp: Opportunity, app: Application, status: str, *, replied: bool
    ) -> None:
        assert app.proposal is not None
        now = self.ctx.clock.wall()
        app.proposal.update(
            status=status,
            statusCode=PROPOSAL_STATUS_CODES[status],
            replied=bool(replied and status != "JOB_CLOSED") or app.proposal["replied"],
            updatedAt=iso_z(now),
        )
        app.updated_at = now
        self._record_update(opp)

    def _on_job_closed(self, job: UpworkJob) -> None:
        for opp in self._by_job.get(job.ciphertext, []):
            app = opp.application
            if (
                app is not None
                and app.proposal is not None
                and app.proposal["status"] in _OPEN_PROPOSAL
            ):
                app.outcome_token += 1  # no further steps: the job is gone
                self._set_proposal_status(opp, app, "JOB_CLOSED", replied=False)

    def _record_update(self, opp: Opportunity) -> None:
        app = opp.application
        assert app is not None
        data = {
            "id": opp.id,
            "opportunityId": opp.id,
            "teamId": self.team["id"],
            "teamName": self.team["name"],
            "scannerId": opp.scanner.id,
            "scannerName": opp.scanner.name,
            "jobId": opp.job.ciphertext,
            "proposalId": app.proposal_id,
            "sent": None if app.sent is None else iso_z(app.sent),
            "scheduledAt": None if app.scheduled_at is None else iso_z(app.scheduled_at),
            "createdAt": iso_z(app.created_at),
            "error": app.error,
            "errorCode": app.error_code,
            "errorMessage": app.error_message,
            "proposal": None if app.proposal is None else dict(app.proposal),
            "job": served_job(opp.job.data, self.ctx.strict),
        }
        self.ctx.events.record(PLATFORM, PROPOSAL_UPDATE, data)


# -- HTTP ---------------------------------------------------------------------------------

REQUEST_ID = web.RequestKey("gigradar_request_id", str)
_ERROR_NAMES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "APPLICATION_EXISTS",
    429: "RATE_LIMITED",
    500: "INTERNAL",
}


def _encode_cursor(key: tuple[float, str]) -> str:
    raw = json.dumps([key[0], key[1]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(text: str) -> tuple[float, str]:
    try:
        padded = text + "=" * (-len(text) % 4)
        detected, opp_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return float(detected), str(opp_id)
    except (ValueError, TypeError, binascii.Error):
        raise ValidationError("cursor is not valid; pass nextCursor from a previous page") from None


def _parse_bool(name: str, value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValidationError(f"{name} must be true or false")


def _webhook_url_ok(url: Any) -> bool:
    from yarl import URL

    if not isinstance(url, str) or not url:
        return False
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return False
    if not parsed.host:
        return False
    if parsed.scheme == "https":
        return True
    # The real service wants public HTTPS; the sandbox also accepts plain http on loopback
    # so a local receiver can be tested.
    return parsed.scheme == "http" and parsed.host in ("127.0.0.1", "localhost", "::1")


class GigRadarApi(PlatformApi):
    name = PLATFORM
    prefix = "/gigradar/public-api/v1"
    # The seed documents four calls: create/get/schedule an application and POST /webhooks.
    undocumented = frozenset(
        {
            "gigradar-scanners",
            "gigradar-scanner",
            "gigradar-teams",
            "gigradar-opps",
            "gigradar-app-update",
            "gigradar-webhooks",
            "gigradar-webhook",
            "gigradar-webhook-update",
            "gigradar-webhook-delete",
        }
    )
    documents_retry_after = False  # §1.4: Retry-After is `[P]`

    def __init__(
        self,
        ctx: SandboxContext,
        api_key: str,
        state: GigRadarState,
        *,
        per_minute: int,
        per_day: int,
    ) -> None:
        super().__init__(ctx, api_key)
        self.state = state
        self.per_minute = per_minute
        self.per_day = per_day

    def routes(self) -> list[web.RouteDef]:
        p = self.prefix
        return [
            web.get(p + "/scanners", self.list_scanners, name="gigradar-scanners"),
            web.get(p + "/scanners/{scanner_id}", self.get_scanner, name="gigradar-scanner"),
            web.get(p + "/teams", self.list_teams, name="gigradar-teams"),
            web.get(p + "/opportunities", self.list_opportunities, name="gigradar-opps"),
            web.get(p + "/opportunities/{opp_id}", self.get_opportunity, name="gigradar-opp"),
            web.post(
                p + "/opportunities/{opp_id}/application",
                self.create_application,
                name="gigradar-app-create",
            ),
            web.patch(
                p + "/opportunities/{opp_id}/application",
                self.update_application,
                name="gigradar-app-update",
            ),
            web.patch(
                p + "/opportunities/{opp_id}/application/schedule",
                self.schedule_application,
                name="gigradar-app-schedule",
            ),
            web.post(p + "/webhooks", self.create_webhook, name="gigradar-webhook-create"),
            web.get(p + "/webhooks", self.list_webhooks, name="gigradar-webhooks"),
            web.get(p + "/webhooks/{hook_id}", self.get_webhook, name="gigradar-webhook"),
            web.patch(
                p + "/webhooks/{hook_id}", self.update_webhook, name="gigradar-webhook-update"
            ),
            web.delete(
                p + "/webhooks/{hook_id}", self.delete_webhook, name="gigradar-webhook-delete"
            ),
        ]

    # -- pipeline hooks ----------------------------------------------------------------------

    def base_headers(self, request: web.Request) -> dict[str, str]:
        # Echoing a client-sent id is a `[P]` proposal: the strict sandbox issues its own.
        sent = "" if self.ctx.strict else request.headers.get("X-GigRadar-Request-Id", "").strip()
        request_id = sent if sent and len(sent) <= 200 else str(uuid.uuid4())
        request[REQUEST_ID] = request_id
        return {"X-GigRadar-Request-Id": request_id}

    def authenticate(self, request: web.Request) -> str | None:
        key = request.headers.get("X-API-Key")
        return key if key == self.api_key else None

    def unauthorized(self, request: web.Request) -> web.Response:
        if "X-API-Key" not in request.headers:
            return self.error(request, 401, "UNAUTHORIZED", "Missing X-API-Key header")
        return self.error(request, 401, "UNAUTHORIZED", "Invalid API key")

    def _windows(self, key: str) -> tuple[Window, Window]:
        limiter = self.ctx.limiter
        return (
            limiter.window(key, "gigradar", self.per_minute, MINUTE),
            limiter.window(key, "gigradar", self.per_day, DAY),
        )

    def rate_windows(self, request: web.Request, key: str) -> tuple[Window, ...]:
        return self._windows(key)

    def rate_headers(self, decision: RateDecision) -> dict[str, str]:
        minute, day = decision.windows
        return {
            "X-RateLimit-Limit-Minute": str(minute.limit),
            "X-RateLimit-Remaining-Minute": str(minute.remaining),
            "X-RateLimit-Limit-Day": str(day.limit),
            "X-RateLimit-Remaining-Day": str(day.remaining),
            "X-RateLimit-Reset-Minute": str(decision.reset_unix(minute)),
            "X-RateLimit-Reset-Day": str(decision.reset_unix(day)),
        }

    def injected_rate_headers(
        self, request: web.Request, key: str | None, retry_after: int
    ) -> dict[str, str]:
        minute, day = self._windows(key or self.api_key)
        now = self.ctx.clock.monotonic()
        day.roll(now)
        decision = RateDecision(False, (minute, day), retry_after, self.ctx.clock)
        return {
            "X-RateLimit-Limit-Minute": str(minute.limit),
            "X-RateLimit-Remaining-Minute": "0",
            "X-RateLimit-Limit-Day": str(day.limit),
            "X-RateLimit-Remaining-Day": str(day.remaining),
            "X-RateLimit-Reset-Minute": str(int(self.ctx.clock.wall()) + retry_after),
            "X-RateLimit-Reset-Day": str(decision.reset_unix(day)),
        }

    def error(
        self, request: web.Request, status: int, code: str, message: str, **extra: Any
    ) -> web.Response:
        if code == "ERROR":  # a generic HTTP error raised inside aiohttp (e.g. 413)
            code = _ERROR_NAMES.get(status, "ERROR")
        body = {
            "statusCode": status,
            "error": code,
            "message": message,
            "requestId": request.get(REQUEST_ID) or str(uuid.uuid4()),
            **extra,
        }
        return json_response(body, status)

    def _bad(self, request: web.Request, message: str) -> web.Response:
        return self.error(request, 400, "VALIDATION_ERROR", message)

    def _not_found(self, request: web.Request, message: str) -> web.Response:
        return self.error(request, 404, "NOT_FOUND", message)

    # -- scanners, teams -----------------------------------------------------------------

    async def list_scanners(self, request: web.Request) -> web.Response:
        team = self.state.team
        items = [
            s.wire(team) for s in sorted(self.state.scanners.values(), key=lambda s: s.position)
        ]
        return json_response({"items": items, "nextCursor": None, "total": len(items)})

    async def get_scanner(self, request: web.Request) -> web.Response:
        scanner = self.state.scanners.get(request.match_info["scanner_id"])
        if scanner is None:
            return self._not_found(request, "Scanner not found")
        return json_response(scanner.wire(self.state.team))

    async def list_teams(self, request: web.Request) -> web.Response:
        team = {"id": self.state.team["id"], "name": self.state.team["name"]}
        return json_response({"items": [team], "nextCursor": None, "total": 1})

    # -- opportunities ---------------------------------------------------------------------

    async def list_opportunities(self, request: web.Request) -> web.Response:
        query = request.query
        try:
            limit_text = query.get("limit", "50")
            if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100:
                raise ValidationError("limit must be an integer between 1 and 100")
            scanner_id = query.get("scannerId") or None
            if scanner_id is not None and scanner_id not in self.state.scanners:
                return self._not_found(request, "Scanner not found")
            state = query.get("state") or None
            if state is not None and state not in STATES:
                raise ValidationError(f"state must be one of {', '.join(STATES)}")
            since = until = None
            if query.get("from"):
                since = self._iso_param("from", query["from"])
            if query.get("to"):
                until = self._iso_param("to", query["to"])
            cursor = _decode_cursor(query["cursor"]) if query.get("cursor") else None
            has_app = _parse_bool("hasApplication", query.get("hasApplication"))
        except ValidationError as exc:
            return self._bad(request, str(exc))
        items, next_key, total = self.state.page(
            scanner_id=scanner_id,
            since=since,
            until=until,
            has_application=has_app,
            state=state,
            limit=int(limit_text),
            cursor=cursor,
        )
        return json_response(
            {
                "items": [self.state.wire(o) for o in items],
                "nextCursor": None if next_key is None else _encode_cursor(next_key),
                "total": total,
            }
        )

    @staticmethod
    def _iso_param(name: str, value: str) -> float:
        try:
            return parse_iso(value)
        except ValueError:
            raise ValidationError(f"{name} must be an ISO 8601 date-time") from None

    def _find(self, request: web.Request) -> Opportunity | web.Response:
        scanner_id = request.query.get("scannerId")
        if not scanner_id:
            return self._bad(request, "scannerId query parameter is required")
        opp = self.state.opportunities.get(request.match_info["opp_id"])
        if opp is None or opp.scanner.id != scanner_id:
            return self._not_found(request, "Opportunity not found for this scanner")
        return opp

    async def get_opportunity(self, request: web.Request) -> web.Response:
        found = self._find(request)
        if isinstance(found, web.Response):
            return found
        return json_response(self.state.wire(found))

    async def create_application(self, request: web.Request) -> web.Response:
        found = self._find(request)
        if isinstance(found, web.Response):
            return found
        body, problem = await read_json(request)
        if problem:
            return self._bad(request, problem)
        try:
            cover, bid, questions, scheduled, _ = self.state.validate_application(found, body)
        except ValidationError as exc:
            return self._bad(request, str(exc))
        if found.application is not None:
            return self.error(
                request,
                409,
                "APPLICATION_EXISTS",
                "An application already exists for this opportunity",
            )
        self.state.create_application(found, cover, bid, questions, scheduled)
        return json_response(self.state.wire(found), 201)

    async def update_application(self, request: web.Request) -> web.Response:
        found = self._find(request)
        if isinstance(found, web.Response):
            return found
        app = found.application
        if app is None:
            return self._not_found(request, "No application exists for this opportunity")
        body, problem = await read_json(request)
        if problem:
            return self._bad(request, problem)
        if not isinstance(body, dict):
            return self._bad(request, "Request body must be a JSON object")
        if app.sent is not None:
            return self.error(
                request, 409, "APPLICATION_EXISTS", "The application was already sent"
            )
        try:
            merged = {
                "coverLetter": body.get("coverLetter", app.cover_letter),
                "bid": body.get("bid", app.bid),
                "questions": body.get("questions", app.questions),
            }
            cover, bid, questions, _, _ = self.state.validate_application(found, merged)
        except ValidationError as exc:
            return self._bad(request, str(exc))
        app.cover_letter, app.bid, app.questions = cover, bid, questions
        app.updated_at = self.ctx.clock.wall()
        return json_response(self.state.wire(found))

    async def schedule_application(self, request: web.Request) -> web.Response:
        found = self._find(request)
        if isinstance(found, web.Response):
            return found
        app = found.application
        if app is None:
            return self._not_found(request, "No application exists for this opportunity")
        body, problem = await read_json(request)
        if problem:
            return self._bad(request, problem)
        if not isinstance(body, dict) or "scheduledAt" not in body:
            return self._bad(request, 'Body must be {"scheduledAt": ISO 8601 string | null}')
        try:
            scheduled = self.state._parse_scheduled(body["scheduledAt"])
        except ValidationError as exc:
            return self._bad(request, str(exc))
        if app.sent is not None:
            return self.error(
                request, 409, "APPLICATION_EXISTS", "The application was already sent"
            )
        if app.error and app.error_code not in RETRYABLE_ERRORS:
            return self.error(
                request,
                409,
                "APPLICATION_EXISTS",
                f"The application failed with errorCode {app.error_code} and cannot be rescheduled",
            )
        if app.error:
            app.retried_after_error += 1
        self.state.schedule(found, scheduled)
        return json_response(self.state.wire(found))

    # -- webhooks --------------------------------------------------------------------------

    def _webhook_fields(self, body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if "url" in body or not partial:
            if not _webhook_url_ok(body.get("url")):
                raise ValidationError(
                    "url must be an https URL (the sandbox also accepts http on 127.0.0.1)"
                )
            fields["url"] = body["url"]
        if "scopes" in body or not partial:
            scopes = body.get("scopes")
            if (
                not isinstance(scopes, list)
                or not scopes
                or any(s not in WEBHOOK_SCOPES for s in scopes)
            ):
                raise ValidationError(
                    f"scopes must be a non-empty subset of {list(WEBHOOK_SCOPES)}"
                )
            fields["scopes"] = list(dict.fromkeys(scopes))
        if "auth" in body:
            auth = body["auth"]
            if auth is None:
                fields["auth"] = (None, None)
            elif (
                isinstance(auth, dict)
                and isinstance(auth.get("username"), str)
                and isinstance(auth.get("password"), str)
                and auth["username"]
            ):
                fields["auth"] = (auth["username"], auth["password"])
            else:
                raise ValidationError("auth must be {username: string, password: string} or null")
        if "enabled" in body:
            if not isinstance(body["enabled"], bool):
                raise ValidationError("enabled must be a boolean")
            fields["enabled"] = body["enabled"]
        return fields

    async def create_webhook(self, request: web.Request) -> web.Response:
        body, problem = await read_json(request)
        if problem:
            return self._bad(request, problem)
        if not isinstance(body, dict):
            return self._bad(request, "Request body must be a JSON object")
        try:
            fields = self._webhook_fields(body, partial=False)
        except ValidationError as exc:
            return self._bad(request, str(exc))
        now = self.ctx.clock.wall()
        username, password = fields.get("auth", (None, None))
        hook = Webhook(
            id=object_id(self.state.rng, now),
            url=fields["url"],
            scopes=fields["scopes"],
            enabled=fields.get("enabled", True),
            username=username,
            password=password,
            created_at=now,
        )
        self.state.webhooks[hook.id] = hook
        self.state.webhook_posts += 1
        logger.info("gigradar: webhook %s registered for %s", hook.id, hook.url)
        return json_response(hook.wire(), 201)

    async def list_webhooks(self, request: web.Request) -> web.Response:
        items = [h.wire() for h in self.state.webhooks.values()]
        return json_response({"items": items, "nextCursor": None, "total": len(items)})

    async def get_webhook(self, request: web.Request) -> web.Response:
        hook = self.state.webhooks.get(request.match_info["hook_id"])
        if hook is None:
            return self._not_found(request, "Webhook not found")
        return json_response(hook.wire())

    async def update_webhook(self, request: web.Request) -> web.Response:
        hook = self.state.webhooks.get(request.match_info["hook_id"])
        if hook is None:
            return self._not_found(request, "Webhook not found")
        body, problem = await read_json(request)
        if problem:
            return self._bad(request, problem)
        if not isinstance(body, dict):
            return self._bad(request, "Request body must be a JSON object")
        try:
            fields = self._webhook_fields(body, partial=True)
        except ValidationError as exc:
            return self._bad(request, str(exc))
        hook.url = fields.get("url", hook.url)
        hook.scopes = fields.get("scopes", hook.scopes)
        hook.enabled = fields.get("enabled", hook.enabled)
        if "auth" in fields:
            hook.username, hook.password = fields["auth"]
        hook.updated_at = self.ctx.clock.wall()
        return json_response(hook.wire())

    async def delete_webhook(self, request: web.Request) -> web.Response:
        if self.state.webhooks.pop(request.match_info["hook_id"], None) is None:
            return self._not_found(request, "Webhook not found")
        return web.Response(status=204)


__all__ = [
    "PROPOSAL_STATUS_CODES",
    "Application",
    "GigRadarApi",
    "GigRadarState",
    "Opportunity",
    "Scanner",
    "Webhook",
]
