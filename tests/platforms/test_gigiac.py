"""Gigiac client: every list wrapping, task normalization, proposals and their errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.domain import (
    Account,
    Bid,
    BidKind,
    FailureReason,
    JobKind,
    Opportunity,
    OpportunityStatus,
    Outcome,
    Platform,
    Submission,
    SubmissionState,
)
from app.platforms.base import PlatformAdapter
from app.platforms.errors import (
    AmbiguousSend,
    AuthError,
    Conflict,
    Ineligible,
    InsufficientFunds,
    InvalidRequest,
    MalformedResponse,
    PlatformError,
)
from app.platforms.gigiac import (
    LIMITS,
    CreditBalance,
    GigiacClient,
    normalize_task,
    status_update_from_proposal,
    status_update_from_webhook,
)
from tests.platforms.conftest import FakeTime, R, Wire
from tests.platforms.payloads import GG_PROPOSAL, GG_TASK, gg_task

KEY = "gig_0123456789abcdef"
BASE_PATH = "/gigiac"
ACCOUNT = Account(name="gg", platform=Platform.GIGIAC, base_url=f"http://127.0.0.1:9{BASE_PATH}")
TASK_ID = GG_TASK["id"]


@pytest.fixture
def wire() -> Wire:
    return Wire(BASE_PATH)


@pytest.fixture
async def client(wire: Wire, fake_time: FakeTime) -> AsyncIterator[GigiacClient]:
    async with GigiacClient(
        ACCOUNT, KEY, transport=wire.transport, limiter=fake_time.limiter(LIMITS)
    ) as c:
        yield c


def submission_for(opportunity: Opportunity, **changes: Any) -> Submission:
    data: dict[str, Any] = {
        "opportunity_key": opportunity.key,
        "platform": Platform.GIGIAC,
        "account": "gg",
        "dedupe_key": opportunity.dedupe_key,
        "cover_letter": "I write about edge computing weekly.",
    }
    data.update(changes)
    return Submission(**data)


# --------------------------------------------------------------------------- normalization


def test_normalizes_a_task() -> None:
    opp = normalize_task(GG_TASK, account="gg")
    assert opp.platform is Platform.GIGIAC
    assert opp.key == f"gigiac:{TASK_ID}"
    assert opp.upwork_job_id is None
    assert opp.dedupe_key == opp.key
    assert opp.title == "Write a blog post about edge computing"
    assert opp.kind is JobKind.FIXED
    assert opp.budget == Decimal("45.00")
    assert opp.skills == ("technical-writing", "cloud")
    assert opp.category == "content-writing"
    assert opp.deadline == datetime(2026, 4, 24, 14, tzinfo=UTC)
    assert opp.posted_at == datetime(2026, 4, 17, 14, tzinfo=UTC)
    assert opp.status is OpportunityStatus.OPEN
    assert opp.context == {"location_type": "remote", "payment_method": "credits"}
    assert opp.match_score is None
    assert opp.raw == GG_TASK


@pytest.mark.parametrize(
    ("changes", "budget"),
    [
        ({"budget_cents": 2550}, Decimal("25.50")),
        ({"budget_cents": 2550, "budget_amount": "99.00"}, Decimal("25.50")),
        ({"budget_amount": 30}, Decimal("30.00")),
        ({"budget_amount": 30.5}, Decimal("30.50")),
        ({"budget_amount": "1,200.00"}, Decimal("1200.00")),
        ({"budget_amount": "free"}, None),
        ({"budget_amount": None, "budget_cents": None}, None),
        ({"budget_cents": "oops", "budget_amount": "12"}, Decimal("12.00")),
    ],
)
def test_budget_from_cents_or_amount(changes: dict[str, Any], budget: Decimal | None) -> None:
    assert normalize_task(gg_task(**changes)).budget == budget


def test_hourly_match_score_and_closed_status() -> None:
    opp = normalize_task(
        gg_task(
            budget_type="hourly",
            budget_cents=4000,
            match_score=0.82,
            status="in_progress",
            location_type="on_site",
        )
    )
    assert opp.kind is JobKind.HOURLY
    assert opp.hourly_min == opp.hourly_max == Decimal("40.00")
    assert opp.match_score == pytest.approx(0.82)
    assert opp.status is OpportunityStatus.CLOSED
    assert opp.context["location_type"] == "on_site"
    assert normalize_task(gg_task(status="mystery")).status is OpportunityStatus.UNKNOWN


@pytest.mark.parametrize("missing", ["id", "title"])
def test_task_without_id_or_title_is_an_error(missing: str) -> None:
    payload = gg_task()
    del payload[missing]
    with pytest.raises(ValueError, match=missing):
        normalize_task(payload)


@pytest.mark.parametrize(
    ("status", "state", "outcome"),
    [
        ("pending", SubmissionState.SUBMITTED, Outcome.NONE),
        ("accepted", SubmissionState.SUBMITTED, Outcome.ACCEPTED),
        ("rejected", SubmissionState.SUBMITTED, Outcome.REJECTED),
        ("withdrawn", SubmissionState.WITHDRAWN, None),
        ("unheard_of", None, None),
    ],
)
def test_proposal_status_mapping(
    status: str, state: SubmissionState | None, outcome: Outcome | None
) -> None:
    update = status_update_from_proposal({**GG_PROPOSAL, "status": status})
    assert (update.state, update.outcome, update.platform_status) == (state, outcome, status)
    assert update.refs == {"proposal_id": "prop_abc123", "task_id": TASK_ID}


def test_webhook_events() -> None:
    data = {
        "proposal_id": "prop_abc123",
        "task_id": "task_xyz789",
        "task_title": "Write a blog post",
        "proposed_amount": 45,
    }
    accepted = status_update_from_webhook("proposal.accepted", data)
    assert accepted is not None
    assert accepted.outcome is Outcome.ACCEPTED
    assert accepted.refs == {"proposal_id": "prop_abc123", "task_id": "task_xyz789"}
    rejected = status_update_from_webhook("proposal.rejected", data)
    assert rejected is not None
    assert rejected.outcome is Outcome.REJECTED
    assert status_update_from_webhook("credits.low_balance", {}) is None


# --------------------------------------------------------------------------- wrappings


@pytest.mark.parametrize(
    "wrap",
    [
        lambda items: {"data": items, "count": len(items)},
        lambda items: {"tasks": items},
        lambda items: items,
        lambda items: {"data": {"tasks": items}},
    ],
    ids=["data-count", "tasks", "bare", "nested"],
)
async def test_every_task_list_wrapping(client: GigiacClient, wire: Wire, wrap: Any) -> None:
    items = [gg_task(id="t1"), gg_task(id="t2")]
    for path in ("/api/tasks", "/api/tasks/recommended", "/api/tasks/matched"):
        wire.on("GET", path, R(200, wrap(items)))
    page = await client.list_tasks()
    assert [t.external_id for t in page.items] == ["t1", "t2"]
    assert [t.external_id for t in await client.recommended_tasks()] == ["t1", "t2"]
    assert [t.external_id for t in await client.matched_tasks(limit=5)] == ["t1", "t2"]
    assert wire.requests[-1].url.params["limit"] == "5"


@pytest.mark.parametrize("wrapping", ["data", "bare", "named"])
async def test_every_single_object_wrapping(
    client: GigiacClient, wire: Wire, wrapping: str
) -> None:
    def wrap(obj: dict[str, Any], name: str) -> object:
        return {"data": obj} if wrapping == "data" else obj if wrapping == "bare" else {name: obj}

    wire.on("POST", "/api/proposals", R(201, wrap(GG_PROPOSAL, "proposal")))
    wire.on("GET", f"/api/tasks/{TASK_ID}", R(200, wrap(GG_TASK, "task")))
    proposal = await client.create_proposal(TASK_ID, "Hi", Decimal("45"))
    assert proposal["id"] == "prop_abc123"
    assert (await client.get_task(TASK_ID)).external_id == TASK_ID


@pytest.mark.parametrize(
    "wrap",
    [lambda p: {"data": p, "count": len(p)}, lambda p: {"proposals": p}, lambda p: p],
    ids=["data", "proposals", "bare"],
)
async def test_my_proposals_wrappings_and_query(
    client: GigiacClient, wire: Wire, wrap: Any
) -> None:
    other = {**GG_PROPOSAL, "id": "prop_other", "task_id": "t-other"}
    wire.on("GET", "/api/proposals", R(200, wrap([GG_PROPOSAL, other])))
    assert [p["id"] for p in await client.my_proposals(TASK_ID)] == ["prop_abc123"]
    assert [p["id"] for p in await client.my_proposals()] == ["prop_abc123", "prop_other"]
    # The document offers mine=true OR task_id (proposals on one's own task): mine=true
    # alone, filtered here.
    assert dict(wire.requests[0].url.params) == {"mine": "true"}
    assert dict(wire.requests[1].url.params) == {"mine": "true"}


async def test_list_tasks_query_and_paging(client: GigiacClient, wire: Wire) -> None:
    wire.on("GET", "/api/tasks", R(200, {"data": [gg_task(id="t1")], "count": 30}))
    page = await client.list_tasks(limit=1, offset=4, category="errands", search="blog")
    assert dict(wire.requests[0].url.params) == {
        "status": "open",
        "limit": "1",
        "offset": "4",
        "category": "errands",
        "search": "blog",
    }
    assert page.total == 30
    assert page.next_cursor == "5"
    assert wire.requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_a_list_that_is_not_a_list_is_malformed(client: GigiacClient, wire: Wire) -> None:
    wire.on("GET", "/api/tasks", R(200, {"message": "hello"}))
    with pytest.raises(MalformedResponse):
        await client.list_tasks()


async def test_task_detail(client: GigiacClient, wire: Wire) -> None:
    wire.on(
        "GET",
        f"/api/tasks/{TASK_ID}/detail",
        R(
            200,
            {
                "data": {
                    "task": GG_TASK,
                    "proposals": [GG_PROPOSAL],
                    "deliverables": [],
                    "ratings": [],
                }
            },
        ),
    )
    detail = await client.task_detail(TASK_ID)
    assert detail.task.external_id == TASK_ID
    assert [p["id"] for p in detail.proposals] == ["prop_abc123"]
    assert detail.deliverables == []


# --------------------------------------------------------------------------- discovery


async def test_fetch_merges_three_lists_once_per_task(client: GigiacClient, wire: Wire) -> None:
    wire.on("GET", "/api/tasks", R(200, {"data": [gg_task(id="t1"), gg_task(id="t2")], "count": 2}))
    wire.on(
        "GET",
        "/api/tasks/recommended",
        R(200, [gg_task(id="t2", match_score=0.5), gg_task(id="t3")]),
    )
    wire.on("GET", "/api/tasks/matched", R(200, {"tasks": [gg_task(id="t1", match_score=0.9)]}))
    tasks = {t.external_id: t for t in await client.fetch_opportunities()}
    assert sorted(tasks) == ["t1", "t2", "t3"]
    assert tasks["t1"].match_score == pytest.approx(0.9)
    assert tasks["t2"].match_score == pytest.approx(0.5)
    assert len(wire.requests) == 3
    assert client.limiter.snapshot()["read"].remaining == 117


async def test_fetch_tolerates_a_missing_discovery_endpoint(
    client: GigiacClient, wire: Wire
) -> None:
    wire.on("GET", "/api/tasks", R(200, [gg_task(id="t1")]))
    wire.on("GET", "/api/tasks/matched", R(200, []))
    # /api/tasks/recommended has no route: the Wire answers 404.
    assert [t.external_id for t in await client.fetch_opportunities()] == ["t1"]


# --------------------------------------------------------------------------- proposals


async def test_submit_creates_a_proposal_synchronously(client: GigiacClient, wire: Wire) -> None:
    wire.on("POST", "/api/proposals", R(201, {"data": GG_PROPOSAL}))
    opp = normalize_task(GG_TASK)
    update = await client.submit(
        submission_for(opp, bid=Bid(kind=BidKind.FIXED, amount=Decimal("40.50"))), opp
    )
    assert Wire.body(wire.requests[0]) == {
        "task_id": TASK_ID,
        "cover_letter": "I write about edge computing weekly.",
        "proposed_amount": 40.5,
    }
    assert update.state is SubmissionState.SUBMITTED
    assert update.outcome is Outcome.NONE
    assert update.refs == {"proposal_id": "prop_abc123", "task_id": TASK_ID}
    assert update.submitted_at == datetime(2026, 4, 17, 14, 30, tzinfo=UTC)
    assert client.limiter.snapshot()["write"].remaining == 29


async def test_submit_defaults_to_the_task_budget(client: GigiacClient, wire: Wire) -> None:
    wire.on("POST", "/api/proposals", R(201, GG_PROPOSAL))
    opp = normalize_task(GG_TASK)
    await client.submit(submission_for(opp), opp)
    assert Wire.body(wire.requests[0])["proposed_amount"] == 45
    no_budget = normalize_task(gg_task(budget_amount=None))
    with pytest.raises(InvalidRequest, match="amount"):
        await client.submit(submission_for(no_budget), no_budget)


@pytest.mark.parametrize(
    ("status", "code", "kind", "reason", "retryable"),
    [
        (409, "TASK_NOT_OPEN", Conflict, FailureReason.JOB_UNAVAILABLE, False),
        (409, "ALREADY_PROPOSED", Conflict, FailureReason.DUPLICATE, False),
        (409, "LOCATION_REQUIRED", Ineligible, FailureReason.INELIGIBLE, False),
        (403, "STRIPE_CONNECT_REQUIRED", Ineligible, FailureReason.INELIGIBLE, False),
        (402, "INSUFFICIENT_CREDITS", InsufficientFunds, FailureReason.INSUFFICIENT_FUNDS, True),
        (400, "INSUFFICIENT_CREDITS", InsufficientFunds, FailureReason.INSUFFICIENT_FUNDS, True),
        (401, "UNAUTHORIZED", AuthError, FailureReason.SESSION, False),
        (400, "VALIDATION_ERROR", InvalidRequest, FailureReason.VALIDATION, False),
    ],
)
async def test_proposal_errors(
    client: GigiacClient,
    wire: Wire,
    status: int,
    code: str,
    kind: type[PlatformError],
    reason: FailureReason,
    retryable: bool,
) -> None:
    wire.on(
        "POST",
        "/api/proposals",
        R(
            status,
            {
                "error": True,
                "message": "Insufficient credit balance. Required: $45.00",
                "code": code,
            },
        ),
    )
    opp = normalize_task(GG_TASK)
    with pytest.raises(kind) as caught:
        await client.submit(submission_for(opp), opp)
    exc = caught.value
    assert type(exc) is kind
    assert (exc.reason, exc.retryable, exc.platform_code) == (reason, retryable, code)
    assert exc.message == "Gigiac: Insufficient credit balance. Required: $45.00"
    assert exc.to_failure().reason is reason


async def test_error_text_from_a_string_error_field(client: GigiacClient, wire: Wire) -> None:
    wire.on("POST", "/api/proposals", R(400, {"error": "cover_letter is required"}))
    with pytest.raises(InvalidRequest, match="cover_letter is required"):
        await client.create_proposal(TASK_ID, "", Decimal(10))


@pytest.mark.parametrize(
    "failure",
    [R(500, {"error": "x"}), httpx.ReadTimeout, R(201, raw=b"not json"), R(201, {"ok": True})],
)
async def test_create_proposal_is_never_retried(
    client: GigiacClient, wire: Wire, failure: R | type[httpx.TransportError]
) -> None:
    wire.on("POST", "/api/proposals", failure, R(201, GG_PROPOSAL))
    opp = normalize_task(GG_TASK)
    with pytest.raises(AmbiguousSend):
        await client.submit(submission_for(opp), opp)
    assert len(wire.requests) == 1


async def test_poll_and_reconcile(client: GigiacClient, wire: Wire) -> None:
    opp = normalize_task(GG_TASK)
    sub = submission_for(opp, refs={"proposal_id": "prop_abc123", "task_id": TASK_ID})
    wire.on(
        "GET",
        "/api/proposals",
        R(200, {"data": [{**GG_PROPOSAL, "status": "accepted"}]}),
        R(200, {"proposals": [{**GG_PROPOSAL, "status": "withdrawn"}]}),
        R(200, {"data": []}),
        R(200, [GG_PROPOSAL]),
        R(200, []),
    )
    accepted = await client.poll(sub)
    assert accepted.outcome is Outcome.ACCEPTED
    assert accepted.state is SubmissionState.SUBMITTED
    assert (await client.poll(sub)).state is SubmissionState.WITHDRAWN
    missing = await client.poll(sub)
    assert missing.state is None
    assert missing.platform_status == "not_found"
    found = await client.reconcile(submission_for(opp), opp)
    assert found is not None
    assert found.refs["proposal_id"] == "prop_abc123"
    assert await client.reconcile(submission_for(opp), opp) is None
    assert all(dict(r.url.params) == {"mine": "true"} for r in wire.requests)


async def test_withdraw_is_idempotent_and_retried(client: GigiacClient, wire: Wire) -> None:
    wire.on(
        "POST",
        "/api/proposals/prop_abc123/withdraw",
        R(503),
        R(200, {"data": {**GG_PROPOSAL, "status": "withdrawn"}}),
    )
    result = await client.withdraw_proposal("prop_abc123")
    assert result["status"] == "withdrawn"
    assert len(wire.requests) == 2


# --------------------------------------------------------------------------- balance, manifest


@pytest.mark.parametrize(
    ("body", "balance"),
    [
        ({"available_cents": 1250, "reserved_cents": 500, "total_cents": 1750}, "12.50"),
        ({"balance_cents": 990}, "9.90"),
        (
            {
                "earnings_balance_cents": 1100,
                "lifetime_earned_cents": 1100,
                "lifetime_withdrawn_cents": 0,
                "auto_refill_enabled": False,
            },
            "11.00",
        ),
        ({"data": {"available": "3.25", "reserved": "0"}}, "3.25"),
        (
            {
                "balance_cents": 100,
                "available_cents": 4200,
                "reserved_cents": 0,
                "total_cents": 4200,
                "earnings_balance_cents": 0,
                "auto_refill_enabled": True,
            },
            "42.00",
        ),
    ],
)
async def test_credit_balance_union_shapes(
    client: GigiacClient, wire: Wire, body: dict[str, Any], balance: str
) -> None:
    wire.on("GET", "/api/credits/balance", R(200, body))
    result = await client.credit_balance()
    assert result.balance == Decimal(balance)
    assert await client.check_connection() == f"Gigiac: balance ${Decimal(balance):,.2f}".replace(
        ".00", ""
    )


def test_credit_balance_parts() -> None:
    balance = CreditBalance.from_payload(
        {
            "available_cents": 1250,
            "reserved_cents": 500,
            "total_cents": 1750,
            "auto_refill_enabled": True,
        }
    )
    assert (balance.available, balance.reserved, balance.total) == (
        Decimal("12.50"),
        Decimal("5.00"),
        Decimal("17.50"),
    )
    assert balance.auto_refill is True
    assert CreditBalance.from_payload({}).balance is None


async def test_manifest_is_relative_to_the_base_url(client: GigiacClient, wire: Wire) -> None:
    wire.on("GET", "/.well-known/gigiac.json", R(200, {"name": "Gigiac", "version": "1"}))
    assert (await client.manifest())["name"] == "Gigiac"
    assert wire.requests[0].url.path == "/gigiac/.well-known/gigiac.json"


async def test_reads_and_writes_have_separate_budgets(
    client: GigiacClient, wire: Wire, fake_time: FakeTime
) -> None:
    wire.on("GET", "/api/credits/balance", R(200, {"balance_cents": 1}))
    for _ in range(120):
        await client.credit_balance()
    assert fake_time.sleeps == []
    assert client.limiter.wait_time("write") == 0.0
    await client.credit_balance()
    assert fake_time.sleeps == [pytest.approx(60.0)]


async def test_is_a_platform_adapter(client: GigiacClient) -> None:
    assert isinstance(client, PlatformAdapter)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        # The document's own 409: proposing on a task that is already assigned.
        ({"error": True, "message": "Task is already assigned"}, FailureReason.JOB_UNAVAILABLE),
        ({"error": "This task is no longer open"}, FailureReason.JOB_UNAVAILABLE),
        ({"error": True, "message": "Conflict"}, FailureReason.JOB_UNAVAILABLE),
        (None, FailureReason.JOB_UNAVAILABLE),
        ({"message": "You have already proposed on this task"}, FailureReason.DUPLICATE),
        ({"message": "Conflict", "code": "ALREADY_PROPOSED"}, FailureReason.DUPLICATE),
        ({"message": "Already assigned", "code": "TASK_NOT_OPEN"}, FailureReason.JOB_UNAVAILABLE),
    ],
)
async def test_a_409_is_classified_by_its_code_and_words(
    client: GigiacClient, wire: Wire, body: Any, reason: FailureReason
) -> None:
    wire.on("POST", "/api/proposals", R(409, body))
    opp = normalize_task(GG_TASK)
    with pytest.raises(Conflict) as caught:
        await client.submit(submission_for(opp), opp)
    assert caught.value.reason is reason
    assert caught.value.retryable is False
