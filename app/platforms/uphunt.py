"""UpHunt auto-apply client and normalization (platform-apis.md §2).

UpHunt has no opportunity feed: it is a *submission route* for Upwork jobs (found through
GigRadar or pasted by the user), addressed by their ciphertext. `POST /apply` queues the
proposal and answers with a `queueId` in under a second; a worker then reaches exactly one
terminal `applicationStatus` within about 40–90 s, read with `GET /status`.

`status_update_from_status` (also fits the `application.*` webhook `data`) and
`normalize_job` are pure, for the webhook receiver to reuse.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from app.domain import (
    Account,
    Answer,
    BidKind,
    Failure,
    FailureReason,
    Opportunity,
    Outcome,
    Platform,
    StatusUpdate,
    Submission,
    SubmissionState,
    utcnow,
)
from app.domain.bidding import BidRule
from app.domain.money import to_money
from app.platforms.common import (
    JsonObject,
    Page,
    as_bool,
    as_dict,
    as_int,
    as_str,
    dig,
    first,
    json_number,
    list_total,
    normalize_items,
    parse_datetime,
    unwrap_list,
)
from app.platforms.errors import AmbiguousSend, InvalidRequest, MalformedResponse, NotFound
from app.platforms.http import (
    ApiClient,
    ErrorStyle,
    RateLimiter,
    RetryPolicy,
    Window,
    get_logger,
    normalize_base_url,
)
from app.platforms.spec import PlatformSpec, RequestBudget, RouteField, StatusPolling
from app.platforms.upwork import read_job
from app.platforms.webhook import (
    SubmissionUpdate,
    Unreadable,
    Unused,
    WebhookAuth,
    WebhookEffect,
    WebhookEnvelope,
    WebhookSpec,
    digest,
)

__all__ = [
    "LIMITS",
    "TIMELINES",
    "WEBHOOK",
    "ApplyReceipt",
    "Freelancer",
    "FreelancerProfile",
    "Roster",
    "UpHuntClient",
    "normalize_job",
    "status_update_from_status",
]

_log = get_logger(__name__)

# Per-endpoint budgets per key (§2.4).
LIMITS: dict[str, tuple[Window, ...]] = {
    "apply": (Window("minute", 60, 60.0), Window("day", 1000, 86_400.0)),
    "status": (Window("minute", 300, 60.0),),
    "applied-jobs": (Window("minute", 60, 60.0),),
    "freelancers": (Window("minute", 30, 60.0),),
    "jobs": (Window("minute", 60, 60.0),),
    "clients": (Window("minute", 60, 60.0),),
    "generate-proposal": (Window("minute", 30, 60.0), Window("day", 500, 86_400.0)),
}
TIMELINES = ("Less than 1 month", "1 to 3 months", "3 to 6 months", "More than 6 months")
FREELANCER_CACHE_SECONDS = 300.0  # the docs ask to cache the roster ≥ 5 minutes

# --------------------------------------------------------------------------- normalization

_FAILURES: dict[str, tuple[FailureReason, bool]] = {
    "failed": (FailureReason.TRANSIENT, True),
    "not_available": (FailureReason.JOB_UNAVAILABLE, False),
    "not_eligible": (FailureReason.INELIGIBLE, False),
    "not_enough_connects": (FailureReason.INSUFFICIENT_FUNDS, True),
    "logged_out": (FailureReason.SESSION, True),
}


def status_update_from_status(payload: Mapping[str, Any]) -> StatusUpdate:
    """A status answer (or webhook `data`) → StatusUpdate (§2.7, §5.4).

    processing → submitting; applied → submitted (at `appliedAt`, epoch ms); failed →
    transient, retryable; not_available → job_unavailable; not_eligible → ineligible;
    not_enough_connects → insufficient_funds; logged_out → session, retryable. An unknown
    status moves nothing but is kept verbatim.
    """
    status = (as_str(payload.get("applicationStatus")) or "").lower()
    message = as_str(payload.get("applicationStatusMessage"))
    error = as_str(payload.get("errorMessage"))
    refs = {
        key: value
        for key, value in (
            ("queue_id", as_str(payload.get("queueId"))),
            ("processed_job_id", as_str(payload.get("processedJobId"))),
            ("job_id", as_str(payload.get("jobId"))),
        )
        if value
    }
    platform_status = status or None
    if status == "processing":
        return StatusUpdate(
            state=SubmissionState.SUBMITTING, refs=refs, platform_status=status, detail=message
        )
    if status == "applied":
        return StatusUpdate(
            state=SubmissionState.SUBMITTED,
            outcome=Outcome.NONE,
            refs=refs,
            platform_status=status,
            submitted_at=parse_datetime(payload.get("appliedAt")),
            detail=message,
        )
    if status in _FAILURES:
        reason, retryable = _FAILURES[status]
        return StatusUpdate(
            state=SubmissionState.FAILED,
            failure=Failure.of(reason, error or message, platform_code=status, retryable=retryable),
            refs=refs,
            platform_status=status,
            detail=error or message,
        )
    return StatusUpdate(refs=refs, platform_status=platform_status, detail=message)


# --------------------------------------------------------------------------- webhooks
#
# Documented (§2.8, UH-seed): the events `application.applied` and `application.failed`,
# and the `X-UpHunt-Delivery` header to dedupe retries. The payload and any signature are
# not documented: BidDesk reads `data.applicationStatus` (or `data.status`) when present,
# else the state the event's name implies, from a body that is enveloped (`{"event",
# "data"}`) or flat; the receiver URL's token authenticates the delivery.

APPLIED_EVENT = "application.applied"
FAILED_EVENT = "application.failed"
WEBHOOK_EVENTS = (APPLIED_EVENT, FAILED_EVENT)
DELIVERY_HEADER = "X-UpHunt-Delivery"
_REASON_FIELDS = ("errorMessage", "reason", "error", "message", "applicationStatusMessage")


def _webhook_status(data: Mapping[str, Any]) -> str | None:
    return as_str(first(data.get("applicationStatus"), data.get("status")))


def parse_webhook(body: Any, headers: Mapping[str, str]) -> WebhookEnvelope:
    if not isinstance(body, dict):
        raise Unreadable("the body is not a JSON object")
    nested = body.get("data")
    data: dict[str, Any] = nested if isinstance(nested, dict) else body
    event = as_str(first(body.get("event"), body.get("type"), data.get("event")))
    if not event:
        status = (_webhook_status(data) or "").lower()
        if status == "applied":
            event = APPLIED_EVENT
        elif status in _FAILURES:
            event = FAILED_EVENT
        else:
            raise Unreadable("the delivery names no event and no application status")
    header = (headers.get(DELIVERY_HEADER) or "").strip()
    if header:
        return WebhookEnvelope(event, f"delivery:{header[:200]}", data)
    body_id = as_str(body.get("deliveryId"))
    if body_id:
        return WebhookEnvelope(event, f"delivery:{body_id[:200]}", data)
    ident = as_str(first(data.get("queueId"), data.get("jobId")))
    if ident:
        return WebhookEnvelope(event, f"{event}:{ident}:{_webhook_status(data) or ''}", data)
    return WebhookEnvelope(event, f"{event}:{digest(data)}", data)


def read_webhook(envelope: WebhookEnvelope, account: str) -> WebhookEffect:
    data = envelope.data
    status = (_webhook_status(data) or "").lower()
    if status not in _FAILURES and status not in ("applied", "processing"):
        # No status (the documents promise only the event), or one BidDesk does not know.
        if envelope.event == APPLIED_EVENT:
            status = "applied"
        elif envelope.event == FAILED_EVENT:
            status = "failed"
        else:
            return Unused(f"{envelope.event} is not an event BidDesk uses")
    reason = next((text for f in _REASON_FIELDS if (text := as_str(data.get(f)))), None)
    update = status_update_from_status(
        {**data, "applicationStatus": status, "errorMessage": reason}
    )
    queue_id = as_str(data.get("queueId"))
    job = as_str(data.get("jobId"))
    if update.state is None or not (queue_id or job):
        return Unused("the delivery names no application BidDesk can find")
    return SubmissionUpdate(
        update,
        upwork_job=job,
        ref=("queue_id", queue_id) if queue_id else None,
    )


def webhook_steps(url: str) -> tuple[str, ...]:
    return (
        f"In UpHunt's dashboard (Auto-Apply → API & Webhooks), set the webhook URL to {url}",
        f"Events BidDesk uses: {APPLIED_EVENT} and {FAILED_EVENT}.",
        "The code at the end of the URL authenticates UpHunt's deliveries: keep it private, "
        "and rotate it (Webhooks → Rotate URL) if it leaks.",
    )


WEBHOOK = WebhookSpec(
    platform=Platform.UPHUNT,
    auth=WebhookAuth.URL_TOKEN,
    events=WEBHOOK_EVENTS,
    parse=parse_webhook,
    read=read_webhook,
    steps=webhook_steps,
    delivery_header=DELIVERY_HEADER,
    signature_header="X-UpHunt-Signature",  # [P]: checked only when the user set a secret
)


def normalize_job(payload: Mapping[str, Any], *, account: str = "") -> Opportunity:
    """`GET /api/jobs/by-ciphertext` → Opportunity (platform UPHUNT, id = ciphertext).

    The answer embeds Upwork's raw job details; the job may sit at
    `jobDetailsResponse.data.jobPubDetails`, under `job`, or at the top level.
    """
    job_data = as_dict(
        first(
            dig(payload, "jobDetailsResponse", "data", "jobPubDetails"),
            dig(payload, "jobDetailsResponse", "data", "jobDetails"),
            payload.get("job"),
        )
    ) or dict(payload)
    job = read_job(job_data)
    auth_buyer = dig(payload, "authJobDetailsResponse", "data", "jobAuthDetails", "buyer")
    client = job.client
    if client.country is None and isinstance(auth_buyer, dict):
        client = read_job({"buyer": auth_buyer}).client
    ciphertext = as_str(payload.get("ciphertext")) or job.ciphertext
    if ciphertext is None:
        raise ValueError("job without a ciphertext")
    title = job.title or as_str(payload.get("title"))
    if title is None:
        raise ValueError("job without a title")
    processed = as_str(first(payload.get("processedJobId"), payload.get("id")))
    context = {"processed_job_id": processed} if processed and processed != ciphertext else {}
    return Opportunity(
        platform=Platform.UPHUNT,
        external_id=ciphertext,
        account=account,
        upwork_job_id=ciphertext,
        title=title,
        description=job.description,
        url=f"https://www.upwork.com/jobs/{ciphertext}",
        kind=job.kind,
        budget=job.budget,
        hourly_min=job.hourly_min,
        hourly_max=job.hourly_max,
        skills=job.skills,
        category=job.category,
        client=client,
        questions=job.questions,
        connects_price=job.connects_price,
        competition=job.competition,
        posted_at=job.posted_at,
        detected_at=parse_datetime(payload.get("lastSyncedAt")) or utcnow(),
        status=job.status,
        context=context,
        raw=dict(payload),
    )


# --------------------------------------------------------------------------- client


@dataclass(frozen=True, slots=True)
class ApplyReceipt:
    """UpHunt's answer to `/apply`: the application is queued, not yet sent."""

    queue_id: str
    job_id: str | None
    processed_job_id: str | None
    application_status: str
    credits_remaining: int | None
    raw: JsonObject = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class FreelancerProfile:
    profile_id: str
    type: str | None = None
    title: str | None = None
    hourly_rate: Decimal | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class Freelancer:
    id: str
    name: str
    title: str | None = None
    hourly_rate: Decimal | None = None
    is_business_developer: bool = False
    profiles: tuple[FreelancerProfile, ...] = ()

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Freelancer:
        ident = as_str(first(payload.get("id"), payload.get("profileId")))
        if ident is None:
            raise ValueError("freelancer without an id")
        profiles = tuple(
            FreelancerProfile(
                profile_id=pid,
                type=as_str(p.get("type")),
                title=as_str(p.get("title")),
                hourly_rate=to_money(p.get("hourlyRate")),
                category=as_str(p.get("category")),
            )
            for p in payload.get("profiles") or ()
            if isinstance(p, dict) and (pid := as_str(first(p.get("profileId"), p.get("id"))))
        )
        return cls(
            id=ident,
            name=as_str(payload.get("name")) or ident,
            title=as_str(payload.get("title")),
            hourly_rate=to_money(payload.get("hourlyRate")),
            is_business_developer=bool(as_bool(payload.get("isBusinessDeveloper"))),
            profiles=profiles,
        )


@dataclass(frozen=True, slots=True)
class Roster:
    """The agency's freelancers and their profiles (`GET /freelancers`)."""

    freelancers: tuple[Freelancer, ...]
    default_profile_id: str | None = None


class UpHuntClient:
    """`PlatformAdapter` for one UpHunt account, plus the raw auto-apply calls."""

    platform = Platform.UPHUNT

    def __init__(
        self,
        account: Account,
        api_key: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        limiter: RateLimiter | None = None,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.account = account.name
        self._account = account
        self.limiter = limiter or RateLimiter(LIMITS, speed=account.speed)
        # Paths start with /api/...; a base URL pasted with part of one would double it.
        base_url, self.base_url_note = normalize_base_url(
            "UpHunt",
            account.base_url,
            (
                "/api/auto-apply-v2/apply",
                "/api/auto-apply-v2",
                "/api/auto-apply/external",
                "/api/auto-apply",
                "/api/v1",
                "/api/v2",
                "/api",
            ),
        )
        self._api = ApiClient(
            label="UpHunt",
            base_url=base_url,
            headers={"x-api-key": api_key},
            limiter=self.limiter,
            style=ErrorStyle(message_keys=("error", "message"), code_keys=("code",)),
            transport=transport,
            timeout=timeout,
            retry=retry,
            secrets=(api_key,),
        )
        self._roster: Roster | None = None
        self._roster_at = 0.0
        self._roster_lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._api.aclose()

    async def __aenter__(self) -> UpHuntClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ raw API calls

    async def apply(
        self,
        job_id: str,
        cover_letter: str,
        *,
        profile_id: str | None = None,
        hourly_rate: Decimal | None = None,
        fixed_bid: Decimal | None = None,
        timeline: str | None = None,
        boost_bids: int | None = None,
        auto_fill: bool | None = None,
        question_answers: Sequence[Answer] = (),
    ) -> ApplyReceipt:
        """POST /api/auto-apply-v2/apply — queue one proposal; sent exactly once.

        Unset arguments are left out of the body (UpHunt then uses the profile's rate,
        the job's suggested timeline, no boost, blank answers).
        """
        if hourly_rate is not None and fixed_bid is not None:
            raise ValueError("pass hourly_rate or fixed_bid, not both")
        proposal: JsonObject = {}
        if hourly_rate is not None:
            proposal["hourlyRate"] = json_number(hourly_rate)
        if fixed_bid is not None:
            proposal["fixedBid"] = json_number(fixed_bid)
        if timeline is not None:
            proposal["timeline"] = timeline
        if boost_bids is not None:
            proposal["boostBids"] = boost_bids
        body: JsonObject = {"jobId": job_id, "coverLetter": cover_letter}
        if profile_id:
            body["profileId"] = profile_id
        if proposal:
            body["proposal"] = proposal
        if auto_fill is not None:
            body["autoFillOtherQuestions"] = auto_fill
        if question_answers:
            body["questionAnswers"] = [
                {"question": a.question, "answer": a.answer} for a in question_answers
            ]
        response = await self._api.request(
            "POST", "/api/auto-apply-v2/apply", bucket="apply", json=body, idempotent=False
        )
        data = as_dict(response.data)
        queue_id = as_str(data.get("queueId"))
        if queue_id is None:
            # Accepted (2xx) but without the id we track it by: the send may be live.
            raise AmbiguousSend(
                "UpHunt: the apply was accepted but its answer has no queueId",
                status=response.status,
                request_id=response.request_id,
            )
        return ApplyReceipt(
            queue_id=queue_id,
            job_id=as_str(data.get("jobId")),
            processed_job_id=as_str(data.get("processedJobId")),
            application_status=as_str(data.get("applicationStatus")) or "processing",
            credits_remaining=as_int(data.get("creditsRemaining")),
            raw=data,
        )

    async def status(self, queue_id: str | None = None, job_id: str | None = None) -> JsonObject:
        """GET /api/auto-apply-v2/status by exactly one of `queue_id` or `job_id`."""
        if (queue_id is None) == (job_id is None):
            raise ValueError("pass exactly one of queue_id or job_id")
        response = await self._api.request(
            "GET",
            "/api/auto-apply-v2/status",
            bucket="status",
            params={"queueId": queue_id, "jobId": job_id},
        )
        if not isinstance(response.data, dict):
            raise MalformedResponse(
                "UpHunt: the status answer is not an object", request_id=response.request_id
            )
        return response.data

    async def applied_jobs(
        self, limit: int = 20, offset: int = 0, status: str | None = None
    ) -> Page[JsonObject]:
        """GET /api/auto-apply-v2/applied-jobs — history, newest first; `next_cursor` is
        the next offset while more remain."""
        response = await self._api.request(
            "GET",
            "/api/auto-apply-v2/applied-jobs",
            bucket="applied-jobs",
            params={"limit": limit, "offset": offset, "status": status},
        )
        items = [i for i in unwrap_list(response.data) if isinstance(i, dict)]
        total = list_total(response.data)
        more = total is not None and offset + len(items) < total and bool(items)
        return Page(
            items=items,
            next_cursor=str(offset + len(items)) if more else None,
            total=total,
            raw=as_dict(response.data),
        )

    async def freelancers(self, *, refresh: bool = False) -> Roster:
        """GET /api/auto-apply-v2/freelancers, cached 5 minutes (÷ speed) as UpHunt asks."""
        async with self._roster_lock:
            age = self.limiter.clock() - self._roster_at
            fresh = age < FREELANCER_CACHE_SECONDS / self.limiter.speed
            if self._roster is not None and fresh and not refresh:
                return self._roster
            response = await self._api.request(
                "GET", "/api/auto-apply-v2/freelancers", bucket="freelancers"
            )
            items = unwrap_list(response.data)
            freelancers = normalize_items(
                items, Freelancer.from_payload, what="UpHunt freelancer", log=_log
            )
            self._roster = Roster(
                freelancers=tuple(freelancers),
                default_profile_id=as_str(dig(response.data, "defaultProfileId")),
            )
            self._roster_at = self.limiter.clock()
            return self._roster

    async def job_by_ciphertext(self, cipher: str) -> Opportunity:
        """GET /api/jobs/by-ciphertext?cipher= — an archived Upwork job, normalized."""
        response = await self._api.request(
            "GET", "/api/jobs/by-ciphertext", bucket="jobs", params={"cipher": cipher}
        )
        payload = as_dict(response.data)
        if not payload:
            raise MalformedResponse(
                "UpHunt: the job answer is not an object", request_id=response.request_id
            )
        if "ciphertext" not in payload:
            payload = {**payload, "ciphertext": cipher}
        try:
            return normalize_job(payload, account=self.account)
        except ValueError as exc:
            raise MalformedResponse(
                f"UpHunt: unreadable job ({exc})", request_id=response.request_id
            ) from exc

    # ------------------------------------------------------------------ PlatformAdapter

    async def fetch_opportunities(self) -> Sequence[Opportunity]:
        """UpHunt has no opportunity feed."""
        return []

    async def get_opportunity(self, opportunity: Opportunity) -> Opportunity:
        return await self.job_by_ciphertext(_ciphertext(opportunity))

    async def submit(self, submission: Submission, opportunity: Opportunity) -> StatusUpdate:
        """Queue the proposal on the Upwork job (whatever platform found it)."""
        bid = submission.bid
        receipt = await self.apply(
            _ciphertext(opportunity),
            submission.cover_letter,
            profile_id=submission.profile_id or self._account.default_profile_id,
            hourly_rate=bid.amount if bid.kind is BidKind.HOURLY else None,
            fixed_bid=bid.amount if bid.kind is BidKind.FIXED else None,
            timeline=bid.timeline,
            boost_bids=bid.boost_connects or None,
            auto_fill=True if submission.auto_fill_questions else None,
            question_answers=[a for a in submission.answers if a.answer.strip()],
        )
        refs = {
            key: value
            for key, value in (
                ("queue_id", receipt.queue_id),
                ("processed_job_id", receipt.processed_job_id),
                ("job_id", receipt.job_id or _ciphertext(opportunity)),
            )
            if value
        }
        credits = receipt.credits_remaining
        return StatusUpdate(
            state=SubmissionState.SUBMITTING,
            refs=refs,
            platform_status=receipt.application_status,
            detail=f"queued; {credits} auto-apply credits left"
            if credits is not None
            else "queued",
        )

    async def poll(self, submission: Submission) -> StatusUpdate:
        queue_id = submission.refs.get("queue_id")
        if queue_id:
            return status_update_from_status(await self.status(queue_id=queue_id))
        job_id = submission.refs.get("job_id") or submission.dedupe_key.removeprefix("upwork:")
        if not job_id or job_id == submission.dedupe_key:
            raise InvalidRequest("UpHunt: the submission has neither a queue id nor a job id")
        return status_update_from_status(await self.status(job_id=job_id))

    async def reconcile(
        self, submission: Submission, opportunity: Opportunity
    ) -> StatusUpdate | None:
        """The latest application UpHunt has for this job, or None (404: never sent)."""
        try:
            payload = await self.status(job_id=_ciphertext(opportunity))
        except NotFound:
            return None
        if not as_str(payload.get("applicationStatus")):
            return None
        return status_update_from_status(payload)

    async def check_connection(self) -> str:
        roster = await self.freelancers(refresh=True)
        count = len(roster.freelancers)
        line = f"UpHunt: {count} {'freelancer' if count == 1 else 'freelancers'}"
        return f"{line}\n{self.base_url_note}" if self.base_url_note else line


def _ciphertext(opportunity: Opportunity) -> str:
    """The Upwork job to apply to: the link GigRadar/UpHunt opportunities carry."""
    cipher = opportunity.upwork_job_id or (
        opportunity.external_id if opportunity.platform is Platform.UPHUNT else None
    )
    if not cipher:
        raise InvalidRequest(
            f"UpHunt: {opportunity.key} is not an Upwork job (no ciphertext to apply to)"
        )
    return cipher


SPEC = PlatformSpec(
    platform=Platform.UPHUNT,
    label=Platform.UPHUNT.label,
    color="#15803d",
    budget=RequestBudget.of(LIMITS["apply"]),  # the sending endpoint's budget (§2.4)
    # Omitting hourlyRate/fixedBid applies the freelancer profile's terms.
    bids=BidRule(
        kinds=(BidKind.HOURLY, BidKind.FIXED, BidKind.PLATFORM_DEFAULT),
        fallback=BidKind.PLATFORM_DEFAULT,
    ),
    # Every 5 s for a minute, then every 15 s up to 5 minutes (§5).
    status_polling=StatusPolling(
        first=5.0,
        factor=1.0,
        ceiling=15.0,
        max_seconds=300.0,
        fast_until=60.0,
        slow_interval=15.0,
    ),
    route_fields=frozenset({RouteField.FREELANCER, RouteField.TIMELINE, RouteField.BOOST}),
    discovery_interval=None,  # no feed: a route for Upwork jobs found elsewhere
    upwork_route=True,
)
