"""UpHunt auto-apply API emulator (platform-apis.md §2, seed 001).

`POST /apply` validates, resolves the job (URL, ciphertext or processed UUID), checks
credits, reserves one and queues the application; a simulated worker picks it up after
1-5 s (plus a few seconds of same-agency pacing) and reaches one terminal state after a
lognormal submission time (end-to-end p50 ~40 s, p95 ~90 s). Only `applied` spends the
credit; every other terminal state releases it.
"""

from __future__ import annotations

import logging
import math
import random
import re
import string
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from app.sandbox import corpus
from app.sandbox.common import (
    is_number,
    iso_z,
    json_response,
    magic_tokens,
    read_json,
    unix_ms,
)
from app.sandbox.data import (
    TIMELINES,
    UpworkJob,
    UpworkUniverse,
    make_freelancers,
    served_job,
)
from app.sandbox.platform import PlatformApi, SandboxContext, bearer_token
from app.sandbox.ratelimit import DAY, MINUTE, RateDecision, Window

logger = logging.getLogger(__name__)

PLATFORM = "uphunt"
TERMINAL = (
    "applied",
    "failed",
    "not_available",
    "not_eligible",
    "not_enough_connects",
    "logged_out",
)
STATUSES = ("processing", *TERMINAL)
_BLOCKING = frozenset({"processing", "applied"})  # a new /apply for the job gets 409
_OUTCOME_WEIGHTS = {
    "applied": 82,
    "failed": 4,
    "not_available": 4,
    "not_eligible": 5,
    "not_enough_connects": 2,
    "logged_out": 3,
}
STATUS_MESSAGES = {
    "applied": "Successfully applied via auto-apply",
    "failed": "Auto-apply failed",
    "not_available": "Job is no longer available on Upwork",
    "not_eligible": "Upwork rejected the proposal based on profile fit",
    "not_enough_connects": "Not enough Connects on the agency account",
    "logged_out": "Business developer session expired; reconnecting automatically",
}
_FAILED_MESSAGES = [
    "Timed out waiting for the proposal form to load (30s)",
    "Upwork returned an unexpected page layout on the proposal form",
    "Network error while submitting the proposal: connection reset by peer",
]
_NOT_ELIGIBLE_MESSAGES = [
    "Upwork: the client only accepts proposals from freelancers located in {country}",
    "Upwork: this job requires a Job Success Score of 90% or higher",
    "Upwork: the client requires Top Rated or Rising Talent freelancers",
]

# Budget names for the per-endpoint limits (platform-apis.md §2.4); `uphunt_limits`
# overrides the per-minute figure by these names (and "<name>.day" for the daily ones).
DEFAULT_LIMITS: dict[str, int] = {
    "apply": 60,
    "apply.day": 1000,
    "status": 300,
    "applied-jobs": 60,
    "generate-proposal": 30,
    "generate-proposal.day": 500,
    "freelancers": 30,
    "by-ciphertext": 60,
    "client-jobs": 60,
}
_ROUTE_BUDGET = {
    "uphunt-apply": "apply",
    "uphunt-apply-legacy": "apply",
    "uphunt-status": "status",
    "uphunt-applied-jobs": "applied-jobs",
    "uphunt-generate": "generate-proposal",
    "uphunt-freelancers": "freelancers",
    "uphunt-freelancers-legacy": "freelancers",
    "uphunt-by-cipher": "by-ciphertext",
    "uphunt-by-cipher-v1": "by-ciphertext",
    "uphunt-by-cipher-v2": "by-ciphertext",
    "uphunt-job-v1": "by-ciphertext",
    "uphunt-client-jobs": "client-jobs",
    "uphunt-client-jobs-v1": "client-jobs",
    "uphunt-client-jobs-v2": "client-jobs",
}
_DATA_BUDGETS = frozenset({"by-ciphertext", "client-jobs"})

_CIPHER_RE = re.compile(r"~0[12][0-9a-f]{10,}", re.IGNORECASE)
_UUID_RE = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE
)
_ALNUM = string.ascii_lowercase + string.digits


@dataclass
class QueueItem:
    queue_id: str
    job: UpworkJob
    profile_id: str
    cover_letter: str
    proposal: dict[str, Any]
    auto_fill: bool
    question_answers: list[dict[str, str]]
    created_at: float
    status: str = "processing"
    processed_at: float | None = None
    applied_at: float | None = None
    error_message: str | None = None
    status_message: str = "Queued for auto-apply"

    def wire(self) -> dict[str, Any]:
        return {
            "queueId": self.queue_id,
            "jobId": self.job.ciphertext,
            "processedJobId": self.job.processed_id,
            "applicationStatus": self.status,
            "applicationStatusMessage": self.status_message,
            "appliedAt": unix_ms(self.applied_at),
            "processedAt": unix_ms(self.processed_at),
            "errorMessage": self.error_message,
        }

    def wire_listed(self) -> dict[str, Any]:
        return {
            **self.wire(),
            "title": self.job.title,
            "profileId": self.profile_id,
            "coverLetter": self.cover_letter,
            "createdAt": unix_ms(self.created_at),
        }


class UpHuntState:
    """The account's credits, freelancers and auto-apply queue."""

    def __init__(
        self,
        ctx: SandboxContext,
        universe: UpworkUniverse,
        data_rng: random.Random,
        *,
        extra_jobs: int = 20,
        credits: int = 50,
    ) -> None:
        self.ctx = ctx
        self.universe = universe
        self.rng = random.Random(f"uphunt-runtime:{ctx.seed}{ctx.runtime_salt}")
        self.freelancers, self.default_profile_id = make_freelancers(data_rng)
        self._profiles = {p["profileId"] for f in self.freelancers for p in f["profiles"]}
        now = ctx.clock.wall()
        # UpHunt scrapes more of Upwork than any one team's scanners match.
        self.extra_ciphertexts = [
            universe.new_job(now, rng=data_rng).ciphertext for _ in range(extra_jobs)
        ]
        for cipher in self.extra_ciphertexts:
            universe.pin(cipher)
        self.credits = credits
        self.reserved = 0
        self.queue: dict[str, QueueItem] = {}
        self._order: list[QueueItem] = []  # oldest first
        self._latest_by_job: dict[str, QueueItem] = {}
        self._agency_free_at = 0.0  # monotonic: same-agency applies are paced
        self.lookups = 0

    def has_profile(self, profile_id: object) -> bool:
        return isinstance(profile_id, str) and profile_id in self._profiles

    @property
    def credits_remaining(self) -> int:
        return self.credits - self.reserved

    def resolve(self, job_ref: str) -> UpworkJob | None:
        """A job by URL, ciphertext (with or without `~`) or processed UUID."""
        text = job_ref.strip()
        if _UUID_RE.match(text):
            return self.universe.by_processed_id(text.lower())
        match = _CIPHER_RE.search(text)
        if match:
            return self.universe.get(match.group(0).lower())
        if re.fullmatch(r"0[12][0-9a-f]{10,}", text, re.IGNORECASE):
            return self.universe.get("~" + text.lower())
        return None

    def latest_for(self, job: UpworkJob) -> QueueItem | None:
        return self._latest_by_job.get(job.ciphertext)

    def enqueue(
        self,
        job: UpworkJob,
        *,
        profile_id: str,
        cover_letter: str,
        proposal: dict[str, Any],
        auto_fill: bool,
        question_answers: list[dict[str, str]],
    ) -> QueueItem:
        clock = self.ctx.clock
        rng = self.rng
        item = QueueItem(
            queue_id="queue_" + "".join(rng.choice(_ALNUM) for _ in range(20)),
            job=job,
            profile_id=profile_id,
            cover_letter=cover_letter,
            proposal=proposal,
            auto_fill=auto_fill,
            question_answers=question_answers,
            created_at=clock.wall(),
        )
        self.reserved += 1
        self.queue[item.queue_id] = item
        self._order.append(item)
        self._latest_by_job[job.ciphertext] = item
        self.universe.pin(job.ciphertext)  # an applied-to job stays readable
        self.plan(item)
        return item

    def items(self) -> list[QueueItem]:
        """Every queue item, oldest first."""
        return list(self._order)

    def restore(self, item: QueueItem) -> None:
        """An item a kept world saved (world.py); one still processing is finished."""
        self.queue[item.queue_id] = item
        self._order.append(item)
        self._latest_by_job[item.job.ciphertext] = item
        self.universe.pin(item.job.ciphertext)
        if item.status == "processing":
            self.plan(item)

    def plan(self, item: QueueItem) -> None:
        """A worker picks the item up after 1-5 s and submits it ~40 s later (sandbox time)."""
        clock = self.ctx.clock
        rng = self.rng
        now = clock.monotonic()
        pickup = now + clock.real(rng.uniform(1, 5))
        # Back-to-back applies through one business developer add queue time.
        pickup = max(pickup, self._agency_free_at)
        self._agency_free_at = pickup + clock.real(rng.uniform(2, 4))
        # Submission: lognormal, median ~36 s so that pickup + submit has p50 ~40 s and
        # p95 ~90 s, clamped to what a browser worker can take.
        submit = min(240.0, max(12.0, rng.lognormvariate(math.log(36), 0.53)))
        self.ctx.scheduler.call_at(pickup, lambda: self._pick_up(item))
        self.ctx.scheduler.call_at(pickup + clock.real(submit), lambda: self._finish(item))

    def _pick_up(self, item: QueueItem) -> None:
        if item.status == "processing":
            item.processed_at = self.ctx.clock.wall()
            item.status_message = "Submitting proposal on Upwork"

    def _finish(self, item: QueueItem) -> None:
        if item.status != "processing":
            return
        status, error = self._outcome(item)
        now = self.ctx.clock.wall()
        item.status = status
        item.status_message = STATUS_MESSAGES[status]
        item.error_message = error
        if item.processed_at is None:
            item.processed_at = now
        self.reserved -= 1
        if status == "applied":
            item.applied_at = now
            self.credits -= 1
            self.universe.agency_proposals.setdefault(item.job.ciphertext, PLATFORM)
        logger.debug("uphunt: %s finished as %s", item.queue_id, status)
        event = "application.applied" if status == "applied" else "application.failed"
        self.ctx.events.record(
            PLATFORM,
            event,
            {
                **item.wire(),
                "profileId": item.profile_id,
                "creditsRemaining": self.credits_remaining,
            },
        )

    def _outcome(self, item: QueueItem) -> tuple[str, str | None]:
        job = item.job
        if not job.is_open:
            return (
                "not_available",
                "This job is no longer available (closed or removed by the client)",
            )
        forced = next(
            (t.lower() for t in magic_tokens(item.cover_letter) if t.lower() in TERMINAL), None
        )
        if forced is None and job.ciphertext in self.universe.agency_proposals:
            return (
                "failed",
                "Upwork reports that your agency already submitted a proposal for this job",
            )
        status = (
            forced
            or self.rng.choices(
                list(_OUTCOME_WEIGHTS), weights=list(_OUTCOME_WEIGHTS.values()), k=1
            )[0]
        )
        return status, self._error_message(status, job)

    def _error_message(self, status: str, job: UpworkJob) -> str | None:
        if status == "applied":
            return None
        if status == "failed":
            return self.rng.choice(_FAILED_MESSAGES)
        if status == "not_available":
            return "This job is no longer available (closed or removed by the client)"
        if status == "not_eligible":
            country = job.data["client"]["location"]["country"]
            return self.rng.choice(_NOT_ELIGIBLE_MESSAGES).format(country=country)
        if status == "not_enough_connects":
            need = job.data["connectsPrice"]
            have = self.rng.randint(0, need - 1)
            return (
                f"The agency needs {need} Connects to apply but has {have}."
                " Buy Connects on Upwork and retry."
            )
        return (
            "The business developer's Upwork session was invalidated; UpHunt is reconnecting "
            "automatically. Retry in a few minutes."
        )

    def listed(self, status: str | None, limit: int, offset: int) -> tuple[list[QueueItem], int]:
        items = self._order if status is None else [i for i in self._order if i.status == status]
        newest_first = items[::-1]
        return newest_first[offset : offset + limit], len(items)

    def generated_proposal(self, title: str, category: str, skills: list[str]) -> str:
        rng = self.rng
        first, second = ([*skills, "clean code", "clear communication"])[:2]
        opener = rng.choice(corpus.GENERATED_PROPOSAL_OPENERS).format(
            title_lower=title[0].lower() + title[1:] if title else "your project",
            category=category.lower(),
            skill1=first,
            skill2=second,
        )
        body = rng.choice(corpus.GENERATED_PROPOSAL_BODIES).format(
            achievement=rng.choice(corpus.GENERATED_PROPOSAL_ACHIEVEMENTS)
        )
        return f"{opener}\n\n{body}\n\n{rng.choice(corpus.GENERATED_PROPOSAL_CLOSINGS)}"


def job_pub_details(job: UpworkJob, strict: bool = False) -> dict[str, Any]:
    """Upwork's public job detail as UpHunt archives it: the GigRadar job shape + buyer
    (`strict`: without what the documents do not describe)."""
    data = served_job(job.data, strict)
    return {**data, "buyer": {"company": {"companyId": job.client.company_id}}}


class UpHuntApi(PlatformApi):
    name = PLATFORM
    prefix = "/uphunt"

    def __init__(
        self,
        ctx: SandboxContext,
        api_key: str,
        state: UpHuntState,
        *,
        limits: dict[str, int] | None = None,
    ) -> None:
        super().__init__(ctx, api_key)
        self.state = state
        unknown = set(limits or {}) - set(DEFAULT_LIMITS)
        if unknown:
            raise ValueError(
                f"unknown uphunt_limits keys {sorted(unknown)}; known: {sorted(DEFAULT_LIMITS)}"
            )
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}

    def routes(self) -> list[web.RouteDef]:
        p = self.prefix
        return [
            web.post(p + "/api/auto-apply-v2/apply", self.apply, name="uphunt-apply"),
            web.post(p + "/api/auto-apply/external", self.apply_legacy, name="uphunt-apply-legacy"),
            web.get(p + "/api/auto-apply-v2/status", self.status, name="uphunt-status"),
            web.get(
                p + "/api/auto-apply-v2/applied-jobs", self.applied_jobs, name="uphunt-applied-jobs"
            ),
            web.post(
                p + "/api/auto-apply-v2/generate-proposal", self.generate, name="uphunt-generate"
            ),
            web.get(
                p + "/api/auto-apply-v2/freelancers", self.freelancers, name="uphunt-freelancers"
            ),
            web.get(
                p + "/api/auto-apply/external/freelancers",
                self.freelancers,
                name="uphunt-freelancers-legacy",
            ),
            web.get(p + "/api/jobs/by-ciphertext", self.by_ciphertext, name="uphunt-by-cipher"),
            web.get(
                p + "/api/v1/jobs/by-ciphertext", self.by_ciphertext, name="uphunt-by-cipher-v1"
            ),
            web.get(
                p + "/api/v2/jobs/by-ciphertext", self.by_ciphertext, name="uphunt-by-cipher-v2"
            ),
            web.get(p + "/api/v1/jobs/{cipher}", self.by_ciphertext, name="uphunt-job-v1"),
            web.get(
                p + "/api/clients/{company_id}/jobs", self.client_jobs, name="uphunt-client-jobs"
            ),
            web.get(
                p + "/api/v1/clients/{company_id}/jobs",
                self.client_jobs,
                name="uphunt-client-jobs-v1",
            ),
            web.get(
                p + "/api/v2/clients/{company_id}/jobs",
                self.client_jobs,
                name="uphunt-client-jobs-v2",
            ),
        ]

    # -- pipeline hooks ------------------------------------------------------------------

    @staticmethod
    def _budget_name(request: web.Request) -> str | None:
        route = request.match_info.route
        return _ROUTE_BUDGET.get(route.name or "")

    def _is_data(self, request: web.Request) -> bool:
        name = self._budget_name(request)
        return (
            name in _DATA_BUDGETS or "/api/jobs" in request.path or "/api/clients" in request.path
        )

    def authenticate(self, request: web.Request) -> str | None:
        key = request.headers.get("x-api-key")
        if key == self.api_key:
            return key
        # Legacy Data API: `Authorization: Bearer up_<key>` on the /api/v1 aliases.
        if request.path.startswith(self.prefix + "/api/v1/"):
            token = bearer_token(request)
            if token and token in (self.api_key, "up_" + self.api_key):
                return self.api_key
        return None

    def unauthorized(self, request: web.Request) -> web.Response:
        missing = "x-api-key" not in request.headers
        if self._is_data(request):
            message = "Missing x-api-key header" if missing else "Invalid API key"
            return json_response({"error": "unauthorized", "message": message}, 401)
        return json_response(
            {"error": "Missing API key" if missing else "Invalid or revoked API key"}, 401
        )

    def rate_windows(self, request: web.Request, key: str) -> tuple[Window, ...]:
        name = self._budget_name(request)
        if name is None:
            return ()
        limiter = self.ctx.limiter
        windows = [limiter.window(key, "uphunt:" + name, self.limits[name], MINUTE)]
        day_name = name + ".day"
        if day_name in self.limits:
            windows.append(limiter.window(key, "uphunt:" + day_name, self.limits[day_name], DAY))
        return tuple(windows)

    def rate_headers(self, decision: RateDecision) -> dict[str, str]:
        window = decision.tightest()
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(window.remaining),
            "X-RateLimit-Reset": str(decision.reset_unix(window)),
        }

    def injected_rate_headers(
        self, request: web.Request, key: str | None, retry_after: int
    ) -> dict[str, str]:
        name = self._budget_name(request)
        limit = self.limits.get(name or "", 60)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(self.ctx.clock.wall()) + retry_after),
        }

    def rate_limited(
        self, request: web.Request, decision: RateDecision | None, retry_after: int
    ) -> web.Response:
        if self._is_data(request):
            window = decision.tightest() if decision is not None else None
            limit = window.limit if window is not None else self.limits["by-ciphertext"]
            reset = self.ctx.clock.wall() + retry_after
            return json_response(
                {
                    "error": "rate_limit_exceeded",
                    "message": f"Rate limit of {limit} requests per minute exceeded",
                    "limit": limit,
                    "used": limit + 1,
                    "resetsAt": iso_z(reset),
                },
                429,
            )
        return json_response(
            {
                "error": f"Rate limit exceeded. Retry after {retry_after} seconds.",
                "retryAfter": retry_after,
            },
            429,
        )

    def error(
        self, request: web.Request, status: int, code: str, message: str, **extra: Any
    ) -> web.Response:
        # Auto-apply endpoints answer a human sentence; the data endpoints a snake_case code.
        if self._is_data(request) or (
            status == 404 and code == "NOT_FOUND" and "No route" in message
        ):
            return json_response({"error": code.lower(), "message": message, **extra}, status)
        return json_response({"error": message, **extra}, status)

    # -- auto-apply ------------------------------------------------------------------------

    async def apply_legacy(self, request: web.Request) -> web.Response:
        return await self.apply(request, legacy=True)

    async def apply(self, request: web.Request, *, legacy: bool = False) -> web.Response:
        body, problem = await read_json(request)
        if problem:
            return json_response({"error": problem}, 400)
        if not isinstance(body, dict):
            return json_response({"error": "Request body must be a JSON object"}, 400)
        job_ref = body.get("jobId")
        if not isinstance(job_ref, str) or not job_ref.strip():
            return json_response({"error": "jobId is required"}, 400)
        cover = body.get("coverLetter")
        if not isinstance(cover, str) or not cover.strip():
            return json_response({"error": "coverLetter is required"}, 400)
        proposal = body.get("applicationOptions" if legacy else "proposal")
        if legacy and proposal is None:
            proposal = body.get("proposal")
        checked = self._check_proposal(proposal)
        if isinstance(checked, web.Response):
            return checked
        answers = body.get("questionAnswers") or []
        if not isinstance(answers, list) or not all(
            isinstance(a, dict)
            and isinstance(a.get("question"), str)
            and isinstance(a.get("answer"), str)
            for a in answers
        ):
            return json_response(
                {"error": "questionAnswers must be an array of {question, answer} objects"}, 400
            )
        auto_fill = body.get("autoFillOtherQuestions", False)
        if not isinstance(auto_fill, bool):
            return json_response({"error": "autoFillOtherQuestions must be a boolean"}, 400)
        profile_id = body.get("profileId")
        if profile_id is not None and not self.state.has_profile(profile_id):
            return json_response(
                {"error": f"Unknown profileId {profile_id!r}; list profiles with GET /freelancers"},
                422,
            )
        job = self.state.resolve(job_ref)
        if job is None:
            return json_response(
                {"error": "Job not found. UpHunt has not scraped this job yet.", "jobId": job_ref},
                404,
            )
        latest = self.state.latest_for(job)
        if latest is not None and latest.status in _BLOCKING:
            message = (
                "An application for this job is already processing"
                if latest.status == "processing"
                else "Already applied to this job"
            )
            return json_response(
                {"error": message, "queueId": latest.queue_id, "applicationStatus": latest.status},
                409,
            )
        if self.state.credits_remaining < 1:
            return json_response(
                {
                    "error": "Insufficient auto-apply credits",
                    "creditsRemaining": 0,
                    "needsCredits": True,
                },
                402,
            )
        item = self.state.enqueue(
            job,
            profile_id=profile_id or self.state.default_profile_id,
            cover_letter=cover,
            proposal=checked,
            auto_fill=auto_fill,
            question_answers=answers,
        )
        return json_response(
            {
                "success": True,
                "queueId": item.queue_id,
                "jobId": job.ciphertext,
                "processedJobId": job.processed_id,
                "applicationStatus": "processing",
                "creditsRemaining": self.state.credits_remaining,
            }
        )

    @staticmethod
    def _check_proposal(proposal: Any) -> dict[str, Any] | web.Response:
        if proposal is None:
            return {}
        if not isinstance(proposal, dict):
            return json_response({"error": "proposal must be an object"}, 400)
        cleaned: dict[str, Any] = {}
        for name in ("hourlyRate", "fixedBid"):
            value = proposal.get(name)
            if value is None:
                continue
            if not is_number(value):
                return json_response({"error": f"proposal.{name} must be a number"}, 400)
            if value <= 0:
                return json_response({"error": f"proposal.{name} must be greater than 0"}, 422)
            cleaned[name] = value
        timeline = proposal.get("timeline")
        if timeline is not None:
            if timeline not in TIMELINES:
                return json_response(
                    {
                        "error": f"Invalid proposal.timeline {timeline!r}",
                        "allowed": list(TIMELINES),
                    },
                    422,
                )
            cleaned["timeline"] = timeline
        boost = proposal.get("boostBids")
        if boost is not None:
            if isinstance(boost, bool) or not isinstance(boost, int) or boost < 0:
                return json_response(
                    {"error": "proposal.boostBids must be a non-negative integer"}, 422
                )
            cleaned["boostBids"] = boost
        return cleaned

    async def status(self, request: web.Request) -> web.Response:
        queue_id = request.query.get("queueId")
        job_ref = request.query.get("jobId")
        if bool(queue_id) == bool(job_ref):
            return json_response({"error": "Pass exactly one of queueId or jobId"}, 400)
        item: QueueItem | None
        if queue_id:
            item = self.state.queue.get(queue_id)
        else:
            job = self.state.resolve(job_ref or "")
            item = None if job is None else self.state.latest_for(job)
        if item is None:
            return json_response({"error": "No auto-apply application found"}, 404)
        return json_response(item.wire())

    async def applied_jobs(self, request: web.Request) -> web.Response:
        query = request.query
        limit_text, offset_text = query.get("limit", "20"), query.get("offset", "0")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100:
            return json_response({"error": "limit must be an integer between 1 and 100"}, 400)
        if not offset_text.isdigit():
            return json_response({"error": "offset must be a non-negative integer"}, 400)
        status = query.get("status") or None
        if status is not None and status not in STATUSES:
            return json_response({"error": f"status must be one of {', '.join(STATUSES)}"}, 400)
        limit, offset = int(limit_text), int(offset_text)
        items, total = self.state.listed(status, limit, offset)
        return json_response(
            {
                "jobs": [i.wire_listed() for i in items],
                "total": total,
                "limit": limit,
                "offset": offset,
            }
        )

    async def generate(self, request: web.Request) -> web.Response:
        body, problem = await read_json(request)
        if problem:
            return json_response({"error": problem}, 400)
        if not isinstance(body, dict):
            return json_response({"error": "Request body must be a JSON object"}, 400)
        effort = body.get("reasoningEffort", "medium")
        if effort not in ("low", "medium", "high"):
            return json_response({"error": "reasoningEffort must be low, medium or high"}, 422)
        job_ref = body.get("jobId")
        if isinstance(job_ref, str) and job_ref.strip():
            job = self.state.resolve(job_ref)
            if job is None:
                return json_response(
                    {"error": "Job not found. UpHunt has not scraped this job yet."}, 404
                )
            title, category = job.title, job.data["categoryName"]
            skills = [s["name"] for s in job.data["skills"]]
        elif isinstance(body.get("jobTitle"), str) and isinstance(body.get("jobDescription"), str):
            title, category, skills = body["jobTitle"], "freelance", []
        else:
            return json_response({"error": "Pass jobId, or jobTitle and jobDescription"}, 400)
        text = self.state.generated_proposal(title, category, skills)
        return json_response({"proposal": text, "reasoningEffort": effort, "characters": len(text)})

    async def freelancers(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "freelancers": self.state.freelancers,
                "defaultProfileId": self.state.default_profile_id,
            }
        )

    # -- data endpoints --------------------------------------------------------------------

    async def by_ciphertext(self, request: web.Request) -> web.Response:
        cipher = request.match_info.get("cipher") or request.query.get("cipher", "")
        if not cipher.strip():
            return json_response({"error": "bad_request", "message": "cipher is required"}, 400)
        text = cipher.strip()
        job = self.state.universe.get(text if text.startswith("~") else "~" + text)
        if job is None:
            return json_response(
                {"error": "not_found", "message": f"No archived job for ciphertext {text}"}, 404
            )
        self.state.lookups += 1
        company = {"companyId": job.client.company_id}
        return json_response(
            {
                "ciphertext": job.ciphertext,
                "lastSyncedAt": unix_ms(self._synced(job)),
                "jobDetailsResponse": {
                    "data": {"jobPubDetails": job_pub_details(job, self.ctx.strict)}
                },
                "authJobDetailsResponse": {
                    "data": {"jobAuthDetails": {"buyer": {"info": {"company": company}}}}
                },
            }
        )

    def _synced(self, job: UpworkJob) -> float:
        # Archived copies are refreshed every few minutes; a closed job right at closing.
        now = self.ctx.clock.wall()
        if job.closed_at is not None:
            return job.closed_at
        return max(job.published, now - (int(job.uid) % 600))

    async def client_jobs(self, request: web.Request) -> web.Response:
        company_id = request.match_info["company_id"]
        client = self.state.universe.clients.get(company_id)
        if client is None or not client.ciphertexts:
            return json_response(
                {"error": "not_found", "message": "No archived jobs for this company"}, 404
            )
        jobs = [self.state.universe.jobs[c] for c in client.ciphertexts]
        stats = client.stats
        history_rng = random.Random(f"history:{company_id}")
        history = []
        for index in range(min(8, int(stats["totalHires"]))):
            end = self.ctx.clock.wall() - history_rng.uniform(5, 900) * 86_400
            hourly = history_rng.random() < 0.5
            rate = round(history_rng.uniform(15, 110), 2)
            hours = round(history_rng.uniform(5, 400), 1) if hourly else 0
            history.append(
                {
                    "isPtcJob": False,
                    "status": "ACTIVE" if index < stats["totalHiresActive"] else "CLOSED",
                    "startDate": iso_z(end - history_rng.uniform(7, 180) * 86_400),
                    "endDate": None if index < stats["totalHiresActive"] else iso_z(end),
                    "totalCharge": round(
                        rate * hours if hourly else history_rng.uniform(100, 6000), 2
                    ),
                    "totalHours": hours,
                    "contractorName": history_rng.choice(
                        ["Ana P.", "Jamal R.", "Wei L.", "Olga S.", "Marco T.", "Fatima Z."]
                    ),
                    "hourlyRate": rate if hourly else None,
                    "feedback": {"score": round(history_rng.uniform(4.0, 5.0), 1)},
                }
            )
        return json_response(
            {
                "companyId": company_id,
                "lastSyncedAt": unix_ms(self.ctx.clock.wall()),
                "buyer": {
                    "company": {
                        "name": client.name,
                        "companyId": company_id,
                        "isEDCReplicated": False,
                        "contractDate": iso_z(client.contract_wall),
                    },
                    "location": {
                        "city": client.city,
                        "country": client.iso3,
                        "countryTimezone": client.timezone,
                    },
                    "stats": {
                        "totalAssignments": stats["totalHires"],
                        "score": stats["feedbackScore"],
                        "totalCharges": {"amount": stats["totalSpent"]},
                        "feedbackCount": stats["feedbackCount"],
                        "totalJobsWithHires": round(stats["jobsPostedCount"] * stats["hireRate"]),
                    },
                    "enterprise": client.company["isEnterprise"],
                    "topClient": stats["totalSpent"] >= 100_000,
                    "avgHourlyJobsRate": {"amount": stats["averageHourlyRatePaid"]},
                    "postedCount": stats["jobsPostedCount"],
                    "phoneVerificationStatus": {
                        "status": "VERIFIED" if client.phone_verified else "NOT_VERIFIED"
                    },
                },
                "openJobs": [
                    {
                        "id": j.uid,
                        "ciphertext": j.ciphertext,
                        "title": j.title,
                        "type": "FIXED" if j.is_fixed else "HOURLY",
                        "isPtcPrivate": False,
                    }
                    for j in jobs
                    if j.is_open
                ],
                "workHistory": history,
                "archivedCiphers": [j.ciphertext for j in jobs],
                "archivedJobIds": [j.uid for j in jobs],
            }
        )


__all__ = [
    "DEFAULT_LIMITS",
    "STATUSES",
    "TERMINAL",
    "QueueItem",
    "UpHuntApi",
    "UpHuntState",
]
