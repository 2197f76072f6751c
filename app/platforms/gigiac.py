"""Gigiac API client and normalization (platform-apis.md §3).

Gigiac is a task marketplace for humans and bots: tasks are native (no Upwork link), a
proposal is created synchronously, and the commissioner later accepts or rejects it.
Its responses wrap lists in several ways (`{"data": [...]}`, `{"tasks": [...]}`,
`{"proposals": [...]}`, a bare array) and single objects in `{"data": {...}}` or not at
all; `unwrap_list` / `unwrap_one` accept them all. Budgets: 120 reads and 30 writes per
minute per key.

`normalize_task`, `status_update_from_proposal` and `status_update_from_webhook` are
pure, for the webhook receiver to reuse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from app.domain import (
    Account,
    BidKind,
    ClientInfo,
    Competition,
    FailureReason,
    JobKind,
    Opportunity,
    OpportunityStatus,
    Outcome,
    Platform,
    StatusUpdate,
    Submission,
    SubmissionState,
    opportunity_key,
    utcnow,
)
from app.domain.bidding import BidRule
from app.domain.money import cents_to_money, format_money, to_money
from app.platforms.common import (
    JsonObject,
    Page,
    as_bool,
    as_dict,
    as_int,
    as_str,
    dig,
    first,
    fraction,
    json_number,
    list_total,
    normalize_items,
    parse_datetime,
    unwrap_list,
    unwrap_one,
)
from app.platforms.errors import (
    AmbiguousSend,
    Conflict,
    Ineligible,
    InsufficientFunds,
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
)
from app.platforms.spec import PlatformSpec, RequestBudget, StatusPolling
from app.platforms.upwork import read_skills
from app.platforms.webhook import (
    LowBalance,
    NewOpportunity,
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
    "READ",
    "WEBHOOK",
    "WRITE",
    "CreditBalance",
    "GigiacClient",
    "TaskDetail",
    "normalize_task",
    "status_update_from_proposal",
    "status_update_from_webhook",
    "unwrap_list",
    "unwrap_one",
]

_log = get_logger(__name__)

READ = "read"
WRITE = "write"
LIMITS: dict[str, tuple[Window, ...]] = {
    READ: (Window("minute", 120, 60.0),),
    WRITE: (Window("minute", 30, 60.0),),
}

# --------------------------------------------------------------------------- normalization

_OPEN = {"open"}
_NOT_OPEN = {
    "in_progress",
    "delivered",
    "completed",
    "cancelled",
    "canceled",
    "disputed",
    "closed",
    "assigned",
}


def task_budget(payload: Mapping[str, Any]) -> Decimal | None:
    """`budget_cents` (int, preferred) or `budget_amount` (decimal string or number)."""
    cents = payload.get("budget_cents")
    amount = cents_to_money(cents) if cents is not None else None
    if amount is None:
        amount = to_money(first(payload.get("budget_amount"), payload.get("budget")))
    return amount


def _count(value: object) -> int | None:
    number = as_int(value)
    return number if number is not None and number >= 0 else None


def normalize_task(payload: Mapping[str, Any], *, account: str = "") -> Opportunity:
    """A Gigiac task (list item, detail or `task.created` webhook data) → Opportunity.

    Raises ValueError only when the id or the title is missing.
    """
    task_id = as_str(first(payload.get("id"), payload.get("task_id")))
    if task_id is None:
        raise ValueError("task without an id")
    title = as_str(first(payload.get("title"), payload.get("task_title")))
    if title is None:
        raise ValueError("task without a title")
    budget_type = (as_str(payload.get("budget_type")) or "").lower()
    kind = {"fixed": JobKind.FIXED, "hourly": JobKind.HOURLY}.get(budget_type, JobKind.UNKNOWN)
    budget = task_budget(payload)
    status = (as_str(payload.get("status")) or "open").lower()
    if status in _OPEN:
        state = OpportunityStatus.OPEN
    elif status in _NOT_OPEN:
        state = OpportunityStatus.CLOSED
    else:
        state = OpportunityStatus.UNKNOWN
    context = {
        key: value
        for key, value in (
            ("location_type", as_str(payload.get("location_type"))),
            ("payment_method", as_str(payload.get("payment_method"))),
        )
        if value
    }
    poster = as_str(first(payload.get("poster_name"), dig(payload, "poster", "name")))
    return Opportunity(
        platform=Platform.GIGIAC,
        external_id=task_id,
        account=account,
        title=title,
        description=as_str(payload.get("description")) or "",
        kind=kind,
        budget=budget,
        hourly_min=budget if kind is JobKind.HOURLY else None,
        hourly_max=budget if kind is JobKind.HOURLY else None,
        skills=read_skills(first(payload.get("required_skills"), payload.get("skills"))),
        category=as_str(payload.get("category")),
        client=ClientInfo(name=poster),
        match_score=fraction(payload.get("match_score")),
        # `proposal_count` is beyond the documents (only `max_proposals` is): used when
        # a task carries it.
        competition=Competition(proposals=_count(payload.get("proposal_count"))),
        posted_at=parse_datetime(payload.get("created_at")),
        detected_at=utcnow(),
        deadline=parse_datetime(payload.get("deadline")),
        status=state,
        context=context,
        raw=dict(payload),
    )


def status_update_from_proposal(proposal: Mapping[str, Any]) -> StatusUpdate:
    """A proposal object → StatusUpdate: pending → submitted (no outcome yet), accepted →
    accepted, rejected → rejected, withdrawn → withdrawn."""
    status = (as_str(proposal.get("status")) or "").lower()
    refs = {
        key: value
        for key, value in (
            ("proposal_id", as_str(first(proposal.get("id"), proposal.get("proposal_id")))),
            ("task_id", as_str(proposal.get("task_id"))),
        )
        if value
    }
    submitted_at = parse_datetime(proposal.get("created_at"))
    outcome = {
        "pending": Outcome.NONE,
        "accepted": Outcome.ACCEPTED,
        "rejected": Outcome.REJECTED,
    }.get(status)
    if outcome is not None:
        return StatusUpdate(
            state=SubmissionState.SUBMITTED,
            outcome=outcome,
            refs=refs,
            platform_status=status,
            submitted_at=submitted_at,
        )
    if status == "withdrawn":
        return StatusUpdate(state=SubmissionState.WITHDRAWN, refs=refs, platform_status=status)
    return StatusUpdate(refs=refs, platform_status=status or None)


def status_update_from_webhook(event: str, data: Mapping[str, Any]) -> StatusUpdate | None:
    """`proposal.accepted` / `proposal.rejected` webhook → StatusUpdate; others → None."""
    status = {"proposal.accepted": "accepted", "proposal.rejected": "rejected"}.get(event)
    if status is None:
        return None
    return status_update_from_proposal({**data, "status": status})


# --------------------------------------------------------------------------- webhooks
#
# Documented (GG-seed): POST with a JSON body `{"event", "timestamp", "data"}`, the seven
# event names and one example (`proposal.accepted`: proposal_id, task_id, task_title,
# proposed_amount). No delivery id, signature or retry policy is documented: the receiver
# URL's token authenticates the delivery; `X-Gigiac-Delivery` is used when present ([P]),
# else event + the data's ids + timestamp.

TASK_CREATED = "task.created"
PROPOSAL_EVENTS = ("proposal.accepted", "proposal.rejected")
LOW_BALANCE = "credits.low_balance"
WEBHOOK_EVENTS = (TASK_CREATED, *PROPOSAL_EVENTS, LOW_BALANCE)
DELIVERY_HEADER = "X-Gigiac-Delivery"


def parse_webhook(body: Any, headers: Mapping[str, str]) -> WebhookEnvelope:
    if not isinstance(body, dict):
        raise Unreadable("the body is not a JSON object")
    event = as_str(body.get("event"))
    if not event:
        raise Unreadable("the delivery has no “event”")
    data = body.get("data")
    if not isinstance(data, dict):
        raise Unreadable("the delivery has no “data” object")
    header = (headers.get(DELIVERY_HEADER) or "").strip()
    if header:
        return WebhookEnvelope(event, f"delivery:{header[:200]}", data)
    # An event with no ids (a low balance) is told apart by its whole data.
    ids = [f"{k}={as_str(v)}" for k, v in sorted(data.items()) if k.endswith("_id") and as_str(v)]
    key = ",".join(ids) or digest(data)
    return WebhookEnvelope(event, f"{event}:{key}:{as_str(body.get('timestamp')) or ''}", data)


def _cents(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_webhook(envelope: WebhookEnvelope, account: str) -> WebhookEffect:
    event, data = envelope.event, envelope.data
    if event == TASK_CREATED:
        # A summary of the task: it never overwrites the full task a poll stored.
        return NewOpportunity(normalize_task(data, account=account), partial=True)
    if event in PROPOSAL_EVENTS:
        update = status_update_from_webhook(event, data)
        task = as_str(data.get("task_id"))
        if update is None or task is None:
            return Unused(f"{event} without a task id")
        return SubmissionUpdate(update, opportunity_key=opportunity_key(Platform.GIGIAC, task))
    if event == LOW_BALANCE:
        return LowBalance(_cents(data.get("balance_cents")), _cents(data.get("threshold_cents")))
    return Unused(f"{event} is not an event BidDesk uses")


def webhook_steps(url: str) -> tuple[str, ...]:
    return (
        "Open your Gigiac bot profile's settings and set its webhook URL to " + url,
        f"Events BidDesk uses: {', '.join(WEBHOOK_EVENTS)}.",
        "The code at the end of the URL authenticates Gigiac's deliveries: keep it private, "
        "and rotate it (Webhooks → Rotate URL) if it leaks.",
    )


WEBHOOK = WebhookSpec(
    platform=Platform.GIGIAC,
    auth=WebhookAuth.URL_TOKEN,
    events=WEBHOOK_EVENTS,
    parse=parse_webhook,
    read=read_webhook,
    steps=webhook_steps,
    delivery_header=DELIVERY_HEADER,  # [P]: used when sent, never required
    signature_header="X-Gigiac-Signature",  # [P]: checked only when the user set a secret
)


def _refine_error(exc: PlatformError, body: Any) -> PlatformError:
    """Gigiac's `code` says more than its status (§3.6, §5.4)."""
    code = (exc.platform_code or "").upper()
    kw: dict[str, Any] = {
        "status": exc.status,
        "platform_code": exc.platform_code,
        "request_id": exc.request_id,
        "retry_after": exc.retry_after,
    }
    if code == "INSUFFICIENT_CREDITS":
        return InsufficientFunds(exc.message, **kw)
    if code in {"STRIPE_CONNECT_REQUIRED", "LOCATION_REQUIRED"}:
        return Ineligible(exc.message, **kw)
    if isinstance(exc, Conflict) or exc.status == 409:
        return _refine_conflict(exc, code, kw)
    return exc


# A 409's words when it carries no known code. The document's only 409 example is
# "trying to propose on a task that is already assigned": the task is no longer open.
_DUPLICATE_WORDS = ("already proposed", "already submitted", "already have a proposal")


def _refine_conflict(exc: PlatformError, code: str, kw: dict[str, Any]) -> PlatformError:
    """Gigiac's 409 by its code, else its message: a task no longer open (assigned,
    closed) is job_unavailable; our own earlier proposal is duplicate. An unreadable 409
    counts as the documented case, the task already assigned."""
    text = exc.message.lower()
    if code == "TASK_NOT_OPEN":
        reason = FailureReason.JOB_UNAVAILABLE
    elif (
        "DUPLICATE" in code
        or ("ALREADY" in code and "ASSIGNED" not in code)
        or any(word in text for word in _DUPLICATE_WORDS)
    ):
        reason = FailureReason.DUPLICATE
    else:  # TASK_* codes, "already assigned" words, or nothing readable
        reason = FailureReason.JOB_UNAVAILABLE
    return Conflict(exc.message, reason=reason, **kw)


# --------------------------------------------------------------------------- client


@dataclass(frozen=True, slots=True)
class CreditBalance:
    """`GET /api/credits/balance`, whichever of its documented shapes came back."""

    available: Decimal | None = None
    reserved: Decimal | None = None
    total: Decimal | None = None
    earnings: Decimal | None = None
    auto_refill: bool | None = None
    raw: JsonObject = field(default_factory=dict, repr=False)

    @property
    def balance(self) -> Decimal | None:
        for amount in (self.available, self.total, self.earnings):
            if amount is not None:
                return amount
        return None

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> CreditBalance:
        def money(*names: str) -> Decimal | None:
            for name in names:
                value = payload.get(name)
                if value is None:
                    continue
                amount = cents_to_money(value) if name.endswith("_cents") else to_money(value)
                if amount is not None:
                    return amount
            return None

        return cls(
            available=money("available_cents", "balance_cents", "available", "balance"),
            reserved=money("reserved_cents", "reserved"),
            total=money("total_cents", "total"),
            earnings=money("earnings_balance_cents", "earnings_balance"),
            auto_refill=as_bool(payload.get("auto_refill_enabled")),
            raw=dict(payload),
        )


@dataclass(frozen=True, slots=True)
class TaskDetail:
    """`GET /api/tasks/{id}/detail`: the task with its proposals and deliverables."""

    task: Opportunity
    proposals: list[JsonObject]
    deliverables: list[JsonObject]
    raw: JsonObject = field(default_factory=dict, repr=False)


class GigiacClient:
    """`PlatformAdapter` for one Gigiac key (a user or bot), plus the raw API calls."""

    platform = Platform.GIGIAC

    def __init__(
        self,
        account: Account,
        api_key: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        limiter: RateLimiter | None = None,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        fetch_limit: int = 50,
    ) -> None:
        self.account = account.name
        self.limiter = limiter or RateLimiter(LIMITS, speed=account.speed)
        # Every path starts with /api; a base URL pasted with it would double it.
        base_url, self.base_url_note = normalize_base_url(
            "Gigiac", account.base_url, ("/api/proposals", "/api/tasks", "/api")
        )
        self._api = ApiClient(
            label="Gigiac",
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            limiter=self.limiter,
            style=ErrorStyle(
                message_keys=("message", "error"),
                code_keys=("code",),
                refine=_refine_error,
            ),
            transport=transport,
            timeout=timeout,
            retry=retry,
            secrets=(api_key,),
        )
        self._fetch_limit = fetch_limit

    async def aclose(self) -> None:
        await self._api.aclose()

    async def __aenter__(self) -> GigiacClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _get(self, path: str, params: Mapping[str, object] | None = None) -> Any:
        response = await self._api.request("GET", path, bucket=READ, params=params)
        return response.data

    def _tasks(self, data: Any) -> list[Opportunity]:
        return normalize_items(unwrap_list(data), self._normalize, what="Gigiac task", log=_log)

    def _normalize(self, payload: JsonObject) -> Opportunity:
        return normalize_task(payload, account=self.account)

    # ------------------------------------------------------------------ raw API calls

    async def list_tasks(
        self,
        status: str | None = "open",
        limit: int = 50,
        offset: int = 0,
        category: str | None = None,
        search: str | None = None,
    ) -> Page[Opportunity]:
        """GET /api/tasks; `next_cursor` is the next offset while `count` says more."""
        data = await self._get(
            "/api/tasks",
            {
                "status": status,
                "limit": limit,
                "offset": offset,
                "category": category,
                "search": search,
            },
        )
        raw_items = unwrap_list(data)
        tasks = normalize_items(raw_items, self._normalize, what="Gigiac task", log=_log)
        total = list_total(data, "count", "total")
        more = total is not None and offset + len(raw_items) < total and bool(raw_items)
        return Page(
            items=tasks,
            next_cursor=str(offset + len(raw_items)) if more else None,
            total=total,
            raw=as_dict(data),
        )

    async def recommended_tasks(self) -> list[Opportunity]:
        """GET /api/tasks/recommended — ranked for this account."""
        return self._tasks(await self._get("/api/tasks/recommended"))

    async def matched_tasks(self, limit: int = 20) -> list[Opportunity]:
        """GET /api/tasks/matched — skill-matched, best first, excluding proposed ones."""
        return self._tasks(await self._get("/api/tasks/matched", {"limit": limit}))

    async def get_task(self, task_id: str) -> Opportunity:
        data = await self._get(f"/api/tasks/{quote(task_id, safe='')}")
        return self._one_task(unwrap_one(data, ("data", "task")))

    async def task_detail(self, task_id: str) -> TaskDetail:
        """GET /api/tasks/{id}/detail — `{task, proposals, deliverables, ratings}`."""
        data = unwrap_one(
            await self._get(f"/api/tasks/{quote(task_id, safe='')}/detail"), ("data",)
        )
        task = as_dict(data.get("task")) or data
        return TaskDetail(
            task=self._one_task(task),
            proposals=[p for p in data.get("proposals") or () if isinstance(p, dict)],
            deliverables=[d for d in data.get("deliverables") or () if isinstance(d, dict)],
            raw=data,
        )

    def _one_task(self, payload: JsonObject) -> Opportunity:
        try:
            return self._normalize(payload)
        except ValueError as exc:
            raise MalformedResponse(f"Gigiac: unreadable task ({exc})") from exc

    async def create_proposal(
        self, task_id: str, cover_letter: str, proposed_amount: Decimal
    ) -> JsonObject:
        """POST /api/proposals (`proposed_amount` as a JSON number) — sent exactly once."""
        response = await self._api.request(
            "POST",
            "/api/proposals",
            bucket=WRITE,
            json={
                "task_id": task_id,
                "cover_letter": cover_letter,
                "proposed_amount": json_number(proposed_amount),
            },
            idempotent=False,
        )
        return unwrap_one(response.data, ("data", "proposal"))

    async def my_proposals(self, task_id: str | None = None) -> list[JsonObject]:
        """GET /api/proposals?mine=true, filtered on the task here: the document offers
        `mine=true` OR `task_id` (proposals on a task of one's own), never both."""
        data = await self._get("/api/proposals", {"mine": True})
        proposals = [p for p in unwrap_list(data) if isinstance(p, dict)]
        if task_id is not None:
            proposals = [p for p in proposals if as_str(p.get("task_id")) in (None, task_id)]
        return proposals

    async def withdraw_proposal(self, proposal_id: str) -> JsonObject:
        """POST /api/proposals/{id}/withdraw — idempotent on Gigiac's side, so retried."""
        response = await self._api.request(
            "POST",
            f"/api/proposals/{quote(proposal_id, safe='')}/withdraw",
            bucket=WRITE,
            idempotent=True,
        )
        return unwrap_one(response.data, ("data", "proposal")) if response.data else {}

    async def credit_balance(self) -> CreditBalance:
        data = await self._get("/api/credits/balance")
        return CreditBalance.from_payload(unwrap_one(data, ("data", "balance")))

    async def manifest(self) -> JsonObject:
        """GET /.well-known/gigiac.json (relative to the base URL)."""
        data = await self._get("/.well-known/gigiac.json")
        if not isinstance(data, dict):
            raise MalformedResponse("Gigiac: the manifest is not an object")
        return data

    # ------------------------------------------------------------------ PlatformAdapter

    async def fetch_opportunities(self) -> Sequence[Opportunity]:
        """Open, recommended and matched tasks, one entry per task id (3 reads).

        A task seen in several lists keeps the copy that carries a match score.
        """
        merged: dict[str, Opportunity] = {}
        page = await self.list_tasks(limit=self._fetch_limit)
        lists: list[Sequence[Opportunity]] = [page.items]
        for extra in (self.recommended_tasks, self.matched_tasks):
            try:
                lists.append(await extra())
            except NotFound:
                _log.info("Gigiac: %s is not available on this server", extra.__name__)
        for tasks in lists:
            for task in tasks:
                known = merged.get(task.external_id)
                if known is None or (known.match_score is None and task.match_score is not None):
                    merged[task.external_id] = task
        return list(merged.values())

    async def get_opportunity(self, opportunity: Opportunity) -> Opportunity:
        return await self.get_task(opportunity.external_id)

    async def submit(self, submission: Submission, opportunity: Opportunity) -> StatusUpdate:
        """Create the proposal; Gigiac answers synchronously, so it is submitted at once."""
        amount = submission.bid.amount
        if amount is None:
            amount = (
                opportunity.budget if opportunity.budget is not None else (opportunity.hourly_max)
            )
        if amount is None:
            raise InvalidRequest("Gigiac: a proposal needs an amount and the task has no budget")
        proposal = await self.create_proposal(
            opportunity.external_id, submission.cover_letter, amount
        )
        update = status_update_from_proposal(proposal)
        refs = {"task_id": opportunity.external_id, **update.refs}
        if "proposal_id" not in refs:
            # Created (2xx) but unidentifiable: reconcile by task, never resend.
            raise AmbiguousSend("Gigiac: the proposal was accepted but its answer has no id")
        return StatusUpdate(
            state=SubmissionState.SUBMITTED,
            outcome=update.outcome or Outcome.NONE,
            refs=refs,
            platform_status=update.platform_status or "pending",
            submitted_at=update.submitted_at or utcnow(),
        )

    async def poll(self, submission: Submission) -> StatusUpdate:
        task_id = submission.refs.get("task_id") or submission.opportunity_key.partition(":")[2]
        proposal = _find(
            await self.my_proposals(task_id), submission.refs.get("proposal_id"), task_id
        )
        if proposal is None:
            return StatusUpdate(
                platform_status="not_found", detail="Gigiac lists no proposal of ours on this task"
            )
        return status_update_from_proposal(proposal)

    async def reconcile(
        self, submission: Submission, opportunity: Opportunity
    ) -> StatusUpdate | None:
        task_id = opportunity.external_id
        proposal = _find(
            await self.my_proposals(task_id), submission.refs.get("proposal_id"), task_id
        )
        return status_update_from_proposal(proposal) if proposal is not None else None

    async def check_connection(self) -> str:
        balance = await self.credit_balance()
        line = f"Gigiac: balance {format_money(balance.balance)}"
        return f"{line}\n{self.base_url_note}" if self.base_url_note else line


def _find(
    proposals: Sequence[JsonObject], proposal_id: str | None, task_id: str
) -> JsonObject | None:
    if proposal_id:
        for proposal in proposals:
            if as_str(first(proposal.get("id"), proposal.get("proposal_id"))) == proposal_id:
                return proposal
    matching = [p for p in proposals if as_str(p.get("task_id")) == task_id]
    if not matching:
        return None
    # Several (an old withdrawn one and a new one): the newest.
    return max(matching, key=lambda p: as_str(p.get("created_at")) or "")


SPEC = PlatformSpec(
    platform=Platform.GIGIAC,
    label=Platform.GIGIAC.label,
    color="#7c3aed",
    budget=RequestBudget.of(LIMITS[READ]),  # reads, what discovery spends; writes: 30/min
    # Proposals are fixed-price; with no amount the task's budget is proposed (§5.3).
    bids=BidRule(kinds=(BidKind.FIXED,), fallback=BidKind.FIXED),
    status_polling=StatusPolling(first=60.0, factor=1.0, ceiling=60.0),  # a read a minute
    discovery_interval=60.0,  # a round a minute, as Gigiac's own guide recommends
)
