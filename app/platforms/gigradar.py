"""GigRadar Public API client and normalization (platform-apis.md §1).

GigRadar finds Upwork jobs with saved searches ("scanners") and exposes them as
opportunities; submitting means creating an *application* on one, which GigRadar sends to
Upwork at `scheduledAt`. There is no status field: the state is derived from which fields
are set (§1.9). Budget: 30 requests/minute and 1,000/day per key — the daily cap is the one
that bites, so discovery remembers a high-water mark per scanner and caps its pages.

`normalize_opportunity`, `status_update_from_application` and
`status_update_from_opportunity` are pure, for the webhook receiver to reuse.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from app.domain import (
    Account,
    Answer,
    Bid,
    BidKind,
    Failure,
    FailureReason,
    Opportunity,
    OpportunityStatus,
    Outcome,
    Platform,
    StatusUpdate,
    Submission,
    SubmissionState,
    opportunity_key,
    split_key,
    utcnow,
)
from app.domain.bidding import BidRule
from app.platforms.common import (
    JsonObject,
    Page,
    as_bool,
    as_dict,
    as_float,
    as_str,
    dig,
    first,
    fraction,
    iso_z,
    json_number,
    list_total,
    normalize_items,
    parse_datetime,
    unwrap_list,
    unwrap_one,
)
from app.platforms.errors import (
    Conflict,
    InvalidRequest,
    MalformedResponse,
    NotFound,
    PlatformError,
)
from app.platforms.http import (
    ApiClient,
    ErrorStyle,
    RateLimiter,
    RetryPolicy,
    Window,
    get_logger,
    normalize_base_url,
    register_secret,
)
from app.platforms.spec import DAY, PlatformSpec, RequestBudget, RouteField, StatusPolling
from app.platforms.upwork import read_job
from app.platforms.webhook import (
    NewOpportunity,
    SubmissionUpdate,
    Unreadable,
    Unused,
    WebhookAuth,
    WebhookEffect,
    WebhookEnvelope,
    WebhookSpec,
)

__all__ = [
    "BUCKET",
    "LIMITS",
    "WEBHOOK",
    "GigRadarClient",
    "Scanner",
    "failure_from_error_code",
    "listing_absent",
    "normalize_opportunity",
    "outcome_from_proposal",
    "status_update_from_application",
    "status_update_from_opportunity",
]

_log = get_logger(__name__)

BUCKET = "api"
LIMITS: dict[str, tuple[Window, ...]] = {
    BUCKET: (Window("minute", 30, 60.0), Window("day", 1000, 86_400.0)),
}
REQUEST_ID_HEADER = "X-GigRadar-Request-Id"
# Trailing paths a pasted base URL may carry that the client adds to every call itself.
_REPEATED_PATHS = ("/opportunities", "/webhooks", "/docs")
# One sentence for a key whose scanners and opportunities cannot be listed: GET /scanners
# and GET /opportunities are proposals of platform-apis.md (§1.7.4-5), not documented.
WEBHOOK_ONLY_NOTE = (
    "GigRadar opportunities arrive by webhook for this key, since GigRadar does not list "
    "its scanners or opportunities to it (start `biddesk serve` or the window with "
    "webhooks on)."
)
AUTO_BIDDER_WARNING = (
    "The auto-bidder of GigRadar scanner “{name}” is on, so GigRadar may apply to its "
    "jobs as well: duplicate applications and double charges (turn it off in the "
    "scanner's settings)."
)
# An id no opportunity has: GET /opportunities/{it} answers 404 to a valid key, 401 else.
_PROBE_ID = "000000000000000000000000"


def listing_absent(exc: PlatformError) -> bool:
    """The platform does not offer this (undocumented) call: 404/405/501 on a list route."""
    return exc.status in (404, 405, 501)


SCOPE_OPPORTUNITY_CREATE = "GIGRADAR.OPPORTUNITY.CREATE"
SCOPE_PROPOSAL_UPDATE = "GIGRADAR.PROPOSAL.UPDATE"

# --------------------------------------------------------------------------- normalization


def normalize_opportunity(payload: Mapping[str, Any], *, account: str = "") -> Opportunity:
    """A GigRadar Opportunity (REST answer or webhook `data`) → the domain Opportunity.

    Raises ValueError only when the id or the title is missing; any other odd field is
    left empty.
    """
    opportunity_id = as_str(payload.get("id"))
    if opportunity_id is None:
        raise ValueError("opportunity without an id")
    job_data = as_dict(payload.get("job"))
    job = read_job(job_data)
    title = as_str(payload.get("title")) or job.title
    if title is None:
        raise ValueError("opportunity without a title")
    ciphertext = as_str(payload.get("jobId")) or job.ciphertext
    score = as_float(payload.get("score"))
    context = {
        key: value
        for key, value in (
            ("scanner_id", as_str(payload.get("scannerId"))),
            ("scanner_name", as_str(payload.get("scannerName"))),
            ("team_id", as_str(payload.get("teamId"))),
        )
        if value
    }
    closed = job.status is OpportunityStatus.CLOSED or (
        (as_str(payload.get("status")) or "").lower() == "closed"
    )
    detected = parse_datetime(payload.get("detected"))
    return Opportunity(
        platform=Platform.GIGRADAR,
        external_id=opportunity_id,
        account=account,
        upwork_job_id=ciphertext,
        title=title,
        description=job.description,
        url=f"https://www.upwork.com/jobs/{ciphertext}" if ciphertext else None,
        kind=job.kind,
        budget=job.budget,
        hourly_min=job.hourly_min,
        hourly_max=job.hourly_max,
        skills=job.skills,
        category=job.category,
        client=job.client,
        questions=job.questions,
        match_score=fraction(score) if score is not None else None,
        connects_price=job.connects_price,
        competition=job.competition,
        posted_at=parse_datetime(payload.get("published")) or job.posted_at,
        detected_at=detected or utcnow(),
        status=OpportunityStatus.CLOSED if closed else OpportunityStatus.OPEN,
        context=context,
        raw=dict(payload),
    )


# errorCode → (reason, retryable); names are GigRadar's internal ones (§1.6).
_ERROR_CODES: dict[str, FailureReason] = {
    "9012": FailureReason.DUPLICATE,
    "proposalalreadysent": FailureReason.DUPLICATE,
    "234": FailureReason.SCHEDULING,
    "outsidescheduledhours": FailureReason.SCHEDULING,
    "2006": FailureReason.INELIGIBLE,
    "contractorlocationmismatchpreferred": FailureReason.INELIGIBLE,
    "2020": FailureReason.INELIGIBLE,
    "jobinterviewrequired": FailureReason.INELIGIBLE,
    "jobclosed": FailureReason.JOB_UNAVAILABLE,
    "jobnotavailable": FailureReason.JOB_UNAVAILABLE,
    "insufficientcredits": FailureReason.INSUFFICIENT_FUNDS,
    "notenoughconnects": FailureReason.INSUFFICIENT_FUNDS,
}
_CLOSED_WORDS = ("job closed", "job is closed", "no longer available", "job_closed", "closed job")
_FUNDS_WORDS = ("credit", "connects", "payment")


def failure_from_error_code(code: object, message: str | None = None) -> Failure:
    """An application's `errorCode` (number or string) and `errorMessage` → Failure.

    9012 duplicate; 234 scheduling (retryable later); 2006/2020 ineligible; a closed job →
    job_unavailable; credits/connects/payment → insufficient_funds; anything else is
    transient (retryable), since an unknown code tells us nothing permanent.
    """
    code_text = as_str(code)
    key = "".join(ch for ch in (code_text or "").lower() if ch.isalnum())
    reason = _ERROR_CODES.get(key)
    text = (message or "").lower()
    if reason is None:
        if any(word in text for word in _CLOSED_WORDS) or "closed" in key:
            reason = FailureReason.JOB_UNAVAILABLE
        elif any(word in text or word in key for word in _FUNDS_WORDS):
            reason = FailureReason.INSUFFICIENT_FUNDS
        else:
            reason = FailureReason.TRANSIENT
    return Failure.of(reason, message or None, platform_code=code_text)


_OUTCOME_BY_CODE: dict[int, Outcome] = {
    2: Outcome.NONE,
    7: Outcome.VIEWED,
    9: Outcome.ACCEPTED,
    10: Outcome.ACCEPTED,
    3: Outcome.REJECTED,
    8: Outcome.CLOSED,
}
_OUTCOME_BY_NAME: dict[str, Outcome] = {
    "submitted": Outcome.NONE,
    "active": Outcome.VIEWED,
    "viewed": Outcome.VIEWED,
    "replied": Outcome.REPLIED,
    "offer_won": Outcome.ACCEPTED,
    "hired": Outcome.ACCEPTED,
    "offer_lost": Outcome.REJECTED,
    "declined": Outcome.REJECTED,
    "job_closed": Outcome.CLOSED,
}
_FINAL_OUTCOMES = frozenset({Outcome.ACCEPTED, Outcome.REJECTED, Outcome.CLOSED})


def outcome_from_proposal(proposal: object) -> Outcome | None:
    """`proposal.statusCode`/`status`/`replied` (Upwork's enum, §1.9) → Outcome.

    2 none, 7 viewed, a reply → replied, 9/10 accepted, 3 rejected, 8 closed.
    """
    data = as_dict(proposal)
    if not data:
        return None
    code = data.get("statusCode")
    outcome = _OUTCOME_BY_CODE.get(code) if isinstance(code, int) else None
    if outcome is None:
        name = as_str(data.get("status"))
        if name is not None:
            outcome = _OUTCOME_BY_NAME.get(name.lower())
            if outcome is None and name.isdigit():
                outcome = _OUTCOME_BY_CODE.get(int(name))
    if as_bool(data.get("replied")) and outcome not in _FINAL_OUTCOMES:
        return Outcome.REPLIED
    return outcome


def status_update_from_application(
    application: Mapping[str, Any],
    *,
    opportunity_id: str | None = None,
    scanner_id: str | None = None,
    now: datetime | None = None,
    proposal: object = None,
) -> StatusUpdate:
    """An Application object → StatusUpdate, by field presence (§1.9).

    error → failed; sent + proposalId → submitted (with the outcome from `proposal`);
    `scheduledAt` null → staged (unscheduled); in the future → scheduled; else submitting.
    """
    moment = now or utcnow()
    refs = {
        key: value
        for key, value in (("opportunity_id", opportunity_id), ("scanner_id", scanner_id))
        if value
    }
    if as_bool(application.get("error")):
        message = as_str(application.get("errorMessage"))
        failure = failure_from_error_code(application.get("errorCode"), message)
        return StatusUpdate(
            state=SubmissionState.FAILED,
            failure=failure,
            refs=refs,
            platform_status="error",
            detail=message,
        )
    sent = parse_datetime(application.get("sent"))
    proposal_id = as_str(application.get("proposalId"))
    if sent is not None and proposal_id is not None:
        outcome = outcome_from_proposal(
            proposal if proposal is not None else application.get("proposal")
        )
        return StatusUpdate(
            state=SubmissionState.SUBMITTED,
            outcome=outcome or Outcome.NONE,
            refs={**refs, "proposal_id": proposal_id},
            platform_status="sent",
            submitted_at=sent,
        )
    scheduled = application.get("scheduledAt")
    if scheduled is None:
        return StatusUpdate(state=SubmissionState.STAGED, refs=refs, platform_status="unscheduled")
    when = parse_datetime(scheduled)
    if when is not None and when > moment:
        return StatusUpdate(
            state=SubmissionState.SCHEDULED,
            refs=refs,
            platform_status="scheduled",
            detail=f"scheduled for {iso_z(when)}",
        )
    return StatusUpdate(state=SubmissionState.SUBMITTING, refs=refs, platform_status="scheduled")


def status_update_from_opportunity(
    payload: Mapping[str, Any], *, now: datetime | None = None
) -> StatusUpdate | None:
    """An Opportunity (REST) or a `PROPOSAL.UPDATE` webhook `data` → StatusUpdate, or
    None when no application exists. A webhook carries the application fields flat, with
    `proposal` beside them."""
    opportunity_id = as_str(first(payload.get("opportunityId"), payload.get("id")))
    scanner_id = as_str(payload.get("scannerId"))
    application = payload.get("application")
    if isinstance(application, dict):
        return status_update_from_application(
            application,
            opportunity_id=opportunity_id,
            scanner_id=scanner_id,
            now=now,
            proposal=first(application.get("proposal"), payload.get("proposal")),
        )
    if "application" not in payload and any(
        key in payload for key in ("sent", "proposalId", "errorCode", "scheduledAt")
    ):
        return status_update_from_application(
            payload, opportunity_id=opportunity_id, scanner_id=scanner_id, now=now
        )
    return None


# --------------------------------------------------------------------------- webhooks
#
# Documented (§1.10): `{"type": ..., "data": {...}}`, POSTed with the HTTP Basic credentials
# given to `POST /webhooks`; no delivery id and no signature scheme. GR-dj reads `event`
# instead of `type`, so both are accepted. A user may also paste BidDesk's URL into
# GigRadar's own settings (Team Settings → Integrations) instead: the token in that URL
# then authenticates the deliveries.

WEBHOOK_EVENTS = (SCOPE_OPPORTUNITY_CREATE, SCOPE_PROPOSAL_UPDATE)


def parse_webhook(body: Any, headers: Mapping[str, str]) -> WebhookEnvelope:
    """A delivery's JSON → envelope; the dedupe key is type + opportunity id (+ where the
    proposal stands, so each real change of a proposal is one delivery)."""
    if not isinstance(body, dict):
        raise Unreadable("the body is not a JSON object")
    event = as_str(body.get("type")) or as_str(body.get("event"))
    if not event:
        raise Unreadable("the delivery has no “type”")
    data = body.get("data")
    if not isinstance(data, dict):
        raise Unreadable("the delivery has no “data” object")
    ident = as_str(first(data.get("id"), data.get("opportunityId")))
    if not ident:
        raise Unreadable("the delivery's data has no id")
    if event != SCOPE_PROPOSAL_UPDATE:
        return WebhookEnvelope(event, f"{event}:{ident}", data)
    proposal = as_dict(data.get("proposal"))
    parts = (
        as_str(data.get("sent")) or "",
        "error" if data.get("error") else "",
        as_str(data.get("errorCode")) or "",
        as_str(proposal.get("statusCode")) or as_str(proposal.get("status")) or "",
        "replied" if proposal.get("replied") else "",
    )
    return WebhookEnvelope(event, f"{event}:{ident}:{'|'.join(parts)}", data)


def read_webhook(envelope: WebhookEnvelope, account: str) -> WebhookEffect:
    data = envelope.data
    if envelope.event == SCOPE_OPPORTUNITY_CREATE:
        return NewOpportunity(normalize_opportunity(data, account=account))
    if envelope.event == SCOPE_PROPOSAL_UPDATE:
        update = status_update_from_opportunity(data)
        ident = as_str(first(data.get("opportunityId"), data.get("id")))
        if update is None or ident is None:
            return Unused("a proposal update without an application")
        return SubmissionUpdate(update, opportunity_key=opportunity_key(Platform.GIGRADAR, ident))
    return Unused(f"{envelope.event} is not an event BidDesk uses")


def webhook_steps(url: str) -> tuple[str, ...]:
    return (
        "BidDesk registers this URL with GigRadar itself (POST /webhooks, events "
        f"{SCOPE_OPPORTUNITY_CREATE} and {SCOPE_PROPOSAL_UPDATE}), with HTTP Basic "
        "credentials it generates and keeps in the system keyring.",
        "To set it in GigRadar's own settings instead (Team Settings → Integrations), paste "
        "this URL: the code at its end authenticates the deliveries, so keep it private.",
    )


WEBHOOK = WebhookSpec(
    platform=Platform.GIGRADAR,
    auth=WebhookAuth.BASIC,
    events=WEBHOOK_EVENTS,
    parse=parse_webhook,
    read=read_webhook,
    steps=webhook_steps,
    delivery_header=None,  # none documented: deliveries are told apart by type + ids
)


def _refine_error(exc: PlatformError, body: Any) -> PlatformError:
    """409 AUTOBIDDER_ENABLED is a scanner setting to fix, not a duplicate."""
    if isinstance(exc, Conflict) and (exc.platform_code or "").upper() == "AUTOBIDDER_ENABLED":
        return Conflict(
            exc.message,
            status=exc.status,
            platform_code=exc.platform_code,
            request_id=exc.request_id,
            reason=FailureReason.VALIDATION,
            retryable=False,
        )
    return exc


# --------------------------------------------------------------------------- client


@dataclass(frozen=True, slots=True)
class Scanner:
    """A saved Upwork search of the team."""

    id: str
    name: str
    team_id: str | None = None
    team_name: str | None = None
    auto_bidder: bool | None = None
    disabled: bool = False
    raw: JsonObject = field(default_factory=dict, repr=False)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Scanner:
        scanner_id = as_str(payload.get("id"))
        if scanner_id is None:
            raise ValueError("scanner without an id")
        return cls(
            id=scanner_id,
            name=as_str(payload.get("name")) or scanner_id,
            team_id=as_str(first(payload.get("teamId"), dig(payload, "team", "id"))),
            team_name=as_str(first(payload.get("teamName"), dig(payload, "team", "name"))),
            auto_bidder=as_bool(
                first(dig(payload, "autoBidder", "enabled"), payload.get("autoBidder"))
            ),
            disabled=bool(as_bool(payload.get("disabled"))),
            raw=dict(payload),
        )


@dataclass(slots=True)
class _Sweep:
    """A discovery pass over one scanner that hit the page cap: resumed on the next fetch,
    and only once it ends is the high-water mark moved (no gap in between)."""

    since: datetime | None
    cursor: str | None
    newest: datetime | None


class GigRadarClient:
    """`PlatformAdapter` for one GigRadar team key, plus the raw Public API calls."""

    platform = Platform.GIGRADAR

    def __init__(
        self,
        account: Account,
        api_key: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        limiter: RateLimiter | None = None,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        pages_per_scanner: int = 2,
        max_fetch_requests: int = 6,
        scanner_ttl: float = 600.0,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.account = account.name
        self._account = account
        self.limiter = limiter or RateLimiter(LIMITS, speed=account.speed)
        base_url, self.base_url_note = normalize_base_url(
            "GigRadar", account.base_url, _REPEATED_PATHS
        )
        self._api = ApiClient(
            label="GigRadar",
            base_url=base_url,
            headers={"X-API-Key": api_key},
            limiter=self.limiter,
            style=ErrorStyle(
                message_keys=("message", "error"),
                code_keys=("error", "code"),
                request_id_header=REQUEST_ID_HEADER,
                send_request_id=True,
                refine=_refine_error,
            ),
            transport=transport,
            timeout=timeout,
            retry=retry,
            secrets=(api_key,),
        )
        self._now = now
        self._pages_per_scanner = max(1, pages_per_scanner)
        self._max_fetch_requests = max(2, max_fetch_requests)
        self._scanner_ttl = scanner_ttl
        self._scanners: list[Scanner] | None = None
        self._scanners_at = 0.0
        self._high_water: dict[str, datetime] = {}
        self._sweeps: dict[str, _Sweep] = {}
        # Set once GET /scanners (or the opportunity list) answered 404/405: this key
        # gets its opportunities by webhook only; said once, then discovery costs nothing.
        self.discovery_note: str | None = None

    async def aclose(self) -> None:
        await self._api.aclose()

    async def __aenter__(self) -> GigRadarClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ raw API calls

    async def list_scanners(self) -> list[Scanner]:
        """GET /scanners (the envelope, or a bare list)."""
        response = await self._api.request("GET", "/scanners", bucket=BUCKET)
        items = unwrap_list(response.data)
        return normalize_items(items, Scanner.from_payload, what="GigRadar scanner", log=_log)

    async def list_opportunities(
        self,
        scanner_id: str | None = None,
        *,
        since: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[Opportunity]:
        """GET /opportunities: one page, newest `detected` first; `since` → `from=`."""
        response = await self._api.request(
            "GET",
            "/opportunities",
            bucket=BUCKET,
            params={
                "scannerId": scanner_id,
                "from": iso_z(since) if since else None,
                "limit": max(1, min(limit, 100)),
                "cursor": cursor,
            },
        )
        items = unwrap_list(response.data)
        opportunities = normalize_items(
            items, self._normalize, what="GigRadar opportunity", log=_log
        )
        data = as_dict(response.data)
        return Page(
            items=opportunities,
            next_cursor=as_str(first(data.get("nextCursor"), data.get("next_cursor"))),
            total=list_total(data),
            raw=data,
        )

    async def iter_opportunities(
        self,
        scanner_id: str | None = None,
        *,
        since: datetime | None = None,
        limit: int = 50,
        max_pages: int = 5,
    ) -> AsyncIterator[Opportunity]:
        """Every opportunity across pages, following `nextCursor`, at most `max_pages`."""
        cursor: str | None = None
        for _ in range(max(1, max_pages)):
            page = await self.list_opportunities(
                scanner_id, since=since, limit=limit, cursor=cursor
            )
            for opportunity in page.items:
                yield opportunity
            cursor = page.next_cursor
            if not cursor:
                return

    async def get_opportunity_payload(self, opportunity_id: str, scanner_id: str) -> JsonObject:
        """GET /opportunities/{id}?scannerId= — the raw Opportunity with its application."""
        response = await self._api.request(
            "GET",
            f"/opportunities/{quote(opportunity_id, safe='')}",
            bucket=BUCKET,
            params={"scannerId": scanner_id},
        )
        return unwrap_one(response.data, ("data", "opportunity"))

    async def create_application(
        self,
        opportunity_id: str,
        scanner_id: str,
        cover_letter: str,
        bid: Bid | None = None,
        questions: Sequence[Answer] = (),
        *,
        scheduled_at: datetime | None,
    ) -> JsonObject:
        """POST /opportunities/{id}/application?scannerId= — sent exactly once.

        `scheduled_at=None` sends `null`, which means *unscheduled* (the application is
        stored, not sent: §1.7.1); to send now pass the current time. `bid=None` or a
        platform-default bid sends `null` (the scanner's bidding terms).
        Returns the Opportunity the platform answers with.
        """
        body = {
            "coverLetter": cover_letter,
            "bid": _bid_body(bid),
            "questions": [{"question": a.question, "answer": a.answer} for a in questions],
            "scheduledAt": iso_z(scheduled_at) if scheduled_at else None,
        }
        response = await self._api.request(
            "POST",
            f"/opportunities/{quote(opportunity_id, safe='')}/application",
            bucket=BUCKET,
            params={"scannerId": scanner_id},
            json=body,
            idempotent=False,
        )
        return as_dict(response.data)

    async def schedule_application(
        self, opportunity_id: str, scanner_id: str, scheduled_at: datetime | None
    ) -> JsonObject:
        """PATCH .../application/schedule — set, move (past = send now) or clear (None)."""
        response = await self._api.request(
            "PATCH",
            f"/opportunities/{quote(opportunity_id, safe='')}/application/schedule",
            bucket=BUCKET,
            params={"scannerId": scanner_id},
            json={"scheduledAt": iso_z(scheduled_at) if scheduled_at else None},
            idempotent=False,
        )
        return as_dict(response.data)

    async def create_webhook(
        self,
        url: str,
        scopes: Sequence[str] = (SCOPE_OPPORTUNITY_CREATE,),
        username: str | None = None,
        password: str | None = None,
    ) -> JsonObject:
        """POST /webhooks — GigRadar then POSTs events to `url` with basic auth."""
        body: JsonObject = {"url": url, "scopes": list(scopes)}
        if username is not None or password is not None:
            register_secret(password)
            body["auth"] = {"username": username or "", "password": password or ""}
        response = await self._api.request(
            "POST", "/webhooks", bucket=BUCKET, json=body, idempotent=False
        )
        return unwrap_one(response.data, ("data", "webhook"))

    async def list_webhooks(self) -> list[JsonObject]:
        response = await self._api.request("GET", "/webhooks", bucket=BUCKET)
        return [item for item in unwrap_list(response.data) if isinstance(item, dict)]

    async def delete_webhook(self, webhook_id: str) -> bool:
        """DELETE /webhooks/{id}; False when it did not exist (or a retry found it gone)."""
        try:
            await self._api.request(
                "DELETE",
                f"/webhooks/{quote(webhook_id, safe='')}",
                bucket=BUCKET,
                idempotent=True,
            )
        except NotFound:
            return False
        return True

    # ------------------------------------------------------------------ PlatformAdapter

    async def fetch_opportunities(self) -> Sequence[Opportunity]:
        """Recent opportunities of every scanner, newer than what was seen before.

        Costs at most `max_fetch_requests` requests (the scanner list is cached for
        `scanner_ttl` seconds); a scanner with more new pages than `pages_per_scanner`
        is continued on the next fetch before its high-water mark moves.
        """
        if self.discovery_note is not None:
            return []
        budget = self._max_fetch_requests
        scanners = self._cached_scanners()
        if scanners is None:
            try:
                scanners = await self._load_scanners()
            except PlatformError as exc:
                if not listing_absent(exc):
                    raise
                self._no_listing("GET /scanners", exc)
                return []
            budget -= 1
        seen: dict[str, Opportunity] = {}
        for scanner in scanners:
            if budget <= 0:
                break
            pages = min(self._pages_per_scanner, budget)
            try:
                budget -= await self._sweep_scanner(scanner.id, pages, seen)
            except NotFound:
                # A scanner deleted since the list was read: read the list again next time.
                _log.info("GigRadar scanner %s is gone; the scanner list is re-read", scanner.id)
                self._scanners = None
                budget -= 1
            except PlatformError as exc:
                if exc.status not in (405, 501):
                    raise
                self._no_listing("GET /opportunities", exc)
                return list(seen.values())
        return list(seen.values())

    def _no_listing(self, call: str, exc: PlatformError) -> None:
        if self.discovery_note is None:
            self.discovery_note = WEBHOOK_ONLY_NOTE
            _log.info(
                "%s: %s answered HTTP %s. %s", self.account, call, exc.status, WEBHOOK_ONLY_NOTE
            )

    async def _load_scanners(self) -> list[Scanner]:
        scanners = await self.list_scanners()
        self._scanners = scanners
        self._scanners_at = self.limiter.clock()
        return scanners

    async def scanner(self, scanner_id: str) -> Scanner | None:
        """The scanner with this id, from the (cached) list; None when GigRadar does not
        list scanners to this key (GET /scanners is not documented) or it is not there."""
        scanners = self._cached_scanners()
        if scanners is None:
            if self.discovery_note is not None:
                return None
            try:
                scanners = await self._load_scanners()
            except PlatformError as exc:
                if not listing_absent(exc):
                    raise
                self._no_listing("GET /scanners", exc)
                return None
        return next((s for s in scanners if s.id == scanner_id), None)

    async def auto_bidder_warning(self, opportunity: Opportunity) -> str | None:
        """One sentence when the opportunity's scanner reports its auto-bidder on (the
        seed: duplicate applications and double charges), else None. Unknown when the
        scanner list is not offered: then nothing is said."""
        scanner_id = opportunity.context.get("scanner_id") or as_str(
            opportunity.raw.get("scannerId")
        )
        if not scanner_id:
            return None
        scanner = await self.scanner(scanner_id)
        if scanner is None or not scanner.auto_bidder:
            return None
        return AUTO_BIDDER_WARNING.format(name=scanner.name)

    def _cached_scanners(self) -> list[Scanner] | None:
        if self._scanners is None:
            return None
        age = self.limiter.clock() - self._scanners_at
        return self._scanners if age < self._scanner_ttl / self.limiter.speed else None

    async def _sweep_scanner(
        self, scanner_id: str, pages: int, seen: dict[str, Opportunity]
    ) -> int:
        sweep = self._sweeps.get(scanner_id) or _Sweep(
            since=self._high_water.get(scanner_id), cursor=None, newest=None
        )
        used = 0
        while used < pages:
            try:
                page = await self.list_opportunities(
                    scanner_id, since=sweep.since, cursor=sweep.cursor
                )
            except InvalidRequest:
                if sweep.cursor is None:
                    raise
                _log.info("GigRadar cursor for scanner %s expired; restarting", scanner_id)
                sweep = _Sweep(since=sweep.since, cursor=None, newest=sweep.newest)
                used += 1
                continue
            used += 1
            for opportunity in page.items:
                seen.setdefault(opportunity.external_id, opportunity)
                if sweep.newest is None or opportunity.detected_at > sweep.newest:
                    sweep.newest = opportunity.detected_at
            sweep.cursor = page.next_cursor
            if not sweep.cursor:
                self._sweeps.pop(scanner_id, None)
                if sweep.newest is not None:
                    previous = self._high_water.get(scanner_id)
                    self._high_water[scanner_id] = max(sweep.newest, previous or sweep.newest)
                return used
        self._sweeps[scanner_id] = sweep
        return used

    async def get_opportunity(self, opportunity: Opportunity) -> Opportunity:
        scanner_id = _scanner_of(opportunity)
        payload = await self.get_opportunity_payload(opportunity.external_id, scanner_id)
        try:
            return self._normalize(payload)
        except ValueError as exc:
            raise MalformedResponse(f"GigRadar: unreadable opportunity ({exc})") from exc

    async def submit(self, submission: Submission, opportunity: Opportunity) -> StatusUpdate:
        """Create the application, scheduled at `submission.scheduled_at` or now.

        A retry of an application GigRadar already holds (it failed with a retryable
        error such as 234, outside the scanner's hours) is a reschedule: creating it again
        is refused with 409 APPLICATION_EXISTS, a definite answer that nothing was made.
        """
        scanner_id = _scanner_of(opportunity)
        now = self._now()
        when = submission.scheduled_at or now
        answers = _ordered_answers(submission.answers, opportunity)
        try:
            payload = await self.create_application(
                opportunity.external_id,
                scanner_id,
                submission.cover_letter,
                submission.bid,
                answers,
                scheduled_at=when,
            )
        except Conflict as exc:
            held_before = submission.attempts > 1 and "opportunity_id" in submission.refs
            if not held_before or exc.platform_code != "APPLICATION_EXISTS":
                raise
            payload = await self.schedule_application(opportunity.external_id, scanner_id, when)
        refs = {"opportunity_id": opportunity.external_id, "scanner_id": scanner_id}
        application = payload.get("application")
        if isinstance(application, dict):
            observed = status_update_from_application(
                application,
                opportunity_id=opportunity.external_id,
                scanner_id=scanner_id,
                now=now,
            )
            if observed.state in (SubmissionState.SUBMITTED, SubmissionState.FAILED):
                return observed
        if when > now:
            return StatusUpdate(
                state=SubmissionState.SCHEDULED,
                refs=refs,
                platform_status="scheduled",
                detail=f"scheduled for {iso_z(when)}",
            )
        return StatusUpdate(
            state=SubmissionState.SUBMITTING, refs=refs, platform_status="scheduled"
        )

    async def poll(self, submission: Submission) -> StatusUpdate:
        """GET the opportunity and derive the application's state (§1.9)."""
        opportunity_id = (
            submission.refs.get("opportunity_id") or split_key(submission.opportunity_key)[1]
        )
        scanner_id = submission.refs.get("scanner_id")
        if not scanner_id:
            raise InvalidRequest("GigRadar: the submission has no scanner id to poll with")
        payload = await self.get_opportunity_payload(opportunity_id, scanner_id)
        update = status_update_from_opportunity(
            {**payload, "id": opportunity_id, "scannerId": scanner_id}, now=self._now()
        )
        if update is None:
            return StatusUpdate(
                platform_status="no_application",
                detail="GigRadar has no application on this opportunity",
            )
        return update

    async def reconcile(
        self, submission: Submission, opportunity: Opportunity
    ) -> StatusUpdate | None:
        """After a lost answer: the application if GigRadar has one, else None."""
        scanner_id = submission.refs.get("scanner_id") or _scanner_of(opportunity)
        try:
            payload = await self.get_opportunity_payload(opportunity.external_id, scanner_id)
        except NotFound:
            return None
        return status_update_from_opportunity(
            {**payload, "id": opportunity.external_id, "scannerId": scanner_id},
            now=self._now(),
        )

    async def check_connection(self) -> str:
        """The scanners and their auto-bidders when GigRadar lists them; else one
        documented call (GET /opportunities/{id} of an id nobody has: 404 means the key
        was accepted) and the sentence that opportunities arrive by webhook."""
        lines = [self.base_url_note] if self.base_url_note else []
        try:
            scanners = await self._load_scanners()
        except PlatformError as exc:
            if not listing_absent(exc):
                raise
            self._no_listing("GET /scanners", exc)
            try:
                await self.get_opportunity_payload(_PROBE_ID, _PROBE_ID)
            except NotFound:
                pass
            except InvalidRequest as probe:
                if probe.status not in (400, 422):
                    raise
            lines.insert(0, "GigRadar: the key is accepted.")
            lines.append(WEBHOOK_ONLY_NOTE)
            return "\n".join(lines)
        noun = "scanner" if len(scanners) == 1 else "scanners"
        teams = sorted({name for s in scanners if (name := s.team_name or s.team_id)})
        team = f" (team {', '.join(teams)})" if teams else ""
        lines.insert(0, f"GigRadar: {len(scanners)} {noun}{team}")
        for scanner in scanners:
            if scanner.auto_bidder and not scanner.disabled:
                lines.append("Warning: " + AUTO_BIDDER_WARNING.format(name=scanner.name))
        return "\n".join(lines)

    def _normalize(self, payload: JsonObject) -> Opportunity:
        return normalize_opportunity(payload, account=self.account)


def _scanner_of(opportunity: Opportunity) -> str:
    scanner_id = opportunity.context.get("scanner_id") or as_str(opportunity.raw.get("scannerId"))
    if not scanner_id:
        raise InvalidRequest(f"GigRadar: opportunity {opportunity.external_id} has no scanner id")
    return scanner_id


def _bid_body(bid: Bid | None) -> JsonObject | None:
    if bid is None or bid.kind is BidKind.PLATFORM_DEFAULT:
        return None
    amount = json_number(bid.amount) if bid.amount is not None else None
    return {"type": bid.kind.value, "amount": amount}


def _ordered_answers(answers: Sequence[Answer], opportunity: Opportunity) -> list[Answer]:
    """Answers in the order of the job's questions (GigRadar matches them by position)."""
    order = {q.id: i for i, q in enumerate(opportunity.questions)}
    by_text = {q.text.strip().lower(): i for i, q in enumerate(opportunity.questions)}

    def rank(item: tuple[int, Answer]) -> tuple[int, int]:
        index, answer = item
        position = order.get(answer.question_id or "")
        if position is None:
            position = by_text.get(answer.question.strip().lower(), len(order) + index)
        return position, index

    return [answer for _, answer in sorted(enumerate(answers), key=rank)]


# Discovery costs one request per scanner a round (three scanners assumed; the scanner list
# is cached) and gets at most DISCOVERY_SHARE of the daily budget, leaving the rest to
# submissions and status checks: a round about every 7 minutes.
DISCOVERY_SHARE = 0.6
REQUESTS_PER_ROUND = 3
BUDGET = RequestBudget.of(LIMITS[BUCKET])
assert BUDGET.per_day is not None

SPEC = PlatformSpec(
    platform=Platform.GIGRADAR,
    label=Platform.GIGRADAR.label,
    color="#2563eb",
    budget=BUDGET,
    # `bid: null` applies the scanner's bidding terms (§1.7.1).
    bids=BidRule(
        kinds=(BidKind.HOURLY, BidKind.FIXED, BidKind.PLATFORM_DEFAULT),
        fallback=BidKind.PLATFORM_DEFAULT,
    ),
    # Every 5-10 s, backing off, at most 30 tries per attempt window (§5).
    status_polling=StatusPolling(first=5.0, factor=1.25, ceiling=10.0, max_polls=30),
    route_fields=frozenset({RouteField.SEND_TIME}),
    auto_bidder=True,
    discovery_interval=REQUESTS_PER_ROUND * DAY / (BUDGET.per_day * DISCOVERY_SHARE),
)
