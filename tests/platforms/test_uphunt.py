"""UpHunt client: apply body, status mapping, errors, freelancer cache, job lookup."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.domain import (
    Account,
    Answer,
    Bid,
    BidKind,
    FailureReason,
    JobKind,
    Opportunity,
    Outcome,
    Platform,
    Submission,
    SubmissionState,
)
from app.platforms.base import PlatformAdapter
from app.platforms.errors import (
    AmbiguousSend,
    Conflict,
    InsufficientFunds,
    InvalidRequest,
    NotFound,
    PlatformError,
)
from app.platforms.gigradar import normalize_opportunity
from app.platforms.uphunt import LIMITS, UpHuntClient, normalize_job, status_update_from_status
from tests.platforms.conftest import FakeTime, R, Wire
from tests.platforms.payloads import (
    UH_FREELANCERS,
    UH_JOB,
    UH_STATUS_APPLIED,
    gr_opportunity,
)

KEY = "sk_uphunt_0123456789abcdef"
BASE_PATH = "/uphunt"
ACCOUNT = Account(
    name="uh",
    platform=Platform.UPHUNT,
    base_url=f"http://127.0.0.1:9{BASE_PATH}",
    default_profile_id="p-default",
)
APPLY = "/api/auto-apply-v2/apply"
STATUS = "/api/auto-apply-v2/status"
CIPHER = "~01a2b3c4d5e6f7a8b9"
RECEIPT = {
    "success": True,
    "queueId": "queue_abc123",
    "jobId": CIPHER,
    "processedJobId": "9b2f7c1e",
    "applicationStatus": "processing",
    "creditsRemaining": 41,
}


@pytest.fixture
def wire() -> Wire:
    return Wire(BASE_PATH)


@pytest.fixture
async def client(wire: Wire, fake_time: FakeTime) -> AsyncIterator[UpHuntClient]:
    async with UpHuntClient(
        ACCOUNT, KEY, transport=wire.transport, limiter=fake_time.limiter(LIMITS)
    ) as c:
        yield c


def gr_opp() -> Opportunity:
    return normalize_opportunity(gr_opportunity())


def submission_for(opportunity: Opportunity, **changes: Any) -> Submission:
    data: dict[str, Any] = {
        "opportunity_key": opportunity.key,
        "platform": Platform.UPHUNT,
        "account": "uh",
        "dedupe_key": opportunity.dedupe_key,
        "cover_letter": "Hello from UpHunt",
    }
    data.update(changes)
    return Submission(**data)


# --------------------------------------------------------------------------- status mapping


@pytest.mark.parametrize(
    ("status", "state", "reason", "retryable"),
    [
        ("processing", SubmissionState.SUBMITTING, None, None),
        ("applied", SubmissionState.SUBMITTED, None, None),
        ("failed", SubmissionState.FAILED, FailureReason.TRANSIENT, True),
        ("not_available", SubmissionState.FAILED, FailureReason.JOB_UNAVAILABLE, False),
        ("not_eligible", SubmissionState.FAILED, FailureReason.INELIGIBLE, False),
        ("not_enough_connects", SubmissionState.FAILED, FailureReason.INSUFFICIENT_FUNDS, True),
        ("logged_out", SubmissionState.FAILED, FailureReason.SESSION, True),
        ("something_new", None, None, None),
    ],
)
def test_status_mapping(
    status: str,
    state: SubmissionState | None,
    reason: FailureReason | None,
    retryable: bool | None,
) -> None:
    payload = {
        **UH_STATUS_APPLIED,
        "applicationStatus": status,
        "errorMessage": "Page timeout" if status == "failed" else None,
    }
    update = status_update_from_status(payload)
    assert update.state is state
    assert update.platform_status == status
    assert update.refs == {
        "queue_id": "queue_abc123",
        "job_id": CIPHER,
        "processed_job_id": "9b2f7c1e-3d4a-4b5c-8d6e-7f8a9b0c1d2e",
    }
    if reason is None:
        assert update.failure is None
    else:
        assert update.failure is not None
        assert (update.failure.reason, update.failure.retryable) == (reason, retryable)
        assert update.failure.platform_code == status
    if status == "failed":
        assert update.failure is not None
        assert update.failure.message == "Page timeout"


def test_applied_carries_the_time_from_epoch_milliseconds() -> None:
    update = status_update_from_status(UH_STATUS_APPLIED)
    assert update.submitted_at == datetime(2024, 11, 21, 16, tzinfo=UTC)
    assert update.outcome is Outcome.NONE
    assert update.detail == "Successfully applied via auto-apply"


# --------------------------------------------------------------------------- apply


async def test_apply_omits_unset_fields(client: UpHuntClient, wire: Wire) -> None:
    wire.on("POST", APPLY, R(202, RECEIPT))
    receipt = await client.apply(CIPHER, "Cover")
    assert Wire.body(wire.requests[0]) == {"jobId": CIPHER, "coverLetter": "Cover"}
    assert wire.requests[0].headers["x-api-key"] == KEY
    assert (receipt.queue_id, receipt.credits_remaining) == ("queue_abc123", 41)


async def test_apply_full_body(client: UpHuntClient, wire: Wire) -> None:
    wire.on("POST", APPLY, R(200, RECEIPT))
    await client.apply(
        CIPHER,
        "Cover",
        profile_id="p-spec",
        fixed_bid=Decimal("450.00"),
        timeline="1 to 3 months",
        boost_bids=5,
        auto_fill=True,
        question_answers=[Answer(question="Have you used Celery?", answer="Yes, for years")],
    )
    assert Wire.body(wire.requests[0]) == {
        "jobId": CIPHER,
        "coverLetter": "Cover",
        "profileId": "p-spec",
        "proposal": {"fixedBid": 450, "timeline": "1 to 3 months", "boostBids": 5},
        "autoFillOtherQuestions": True,
        "questionAnswers": [{"question": "Have you used Celery?", "answer": "Yes, for years"}],
    }


async def test_apply_rejects_both_rates(client: UpHuntClient) -> None:
    with pytest.raises(ValueError, match="not both"):
        await client.apply(CIPHER, "x", hourly_rate=Decimal(1), fixed_bid=Decimal(2))


@pytest.mark.parametrize(
    ("bid", "proposal"),
    [
        (
            Bid(kind=BidKind.HOURLY, amount=Decimal("65.50"), timeline="3 to 6 months"),
            {"hourlyRate": 65.5, "timeline": "3 to 6 months"},
        ),
        (
            Bid(kind=BidKind.FIXED, amount=Decimal("500"), boost_connects=10),
            {"fixedBid": 500, "boostBids": 10},
        ),
        (Bid(), None),
    ],
)
async def test_submit_routes_an_upwork_job_found_on_gigradar(
    client: UpHuntClient, wire: Wire, bid: Bid, proposal: dict[str, Any] | None
) -> None:
    wire.on("POST", APPLY, R(202, RECEIPT))
    opp = gr_opp()
    sub = submission_for(
        opp,
        bid=bid,
        auto_fill_questions=True,
        answers=(Answer(question="Q?", answer="A"), Answer(question="Blank?", answer=" ")),
    )
    update = await client.submit(sub, opp)
    body = Wire.body(wire.requests[0])
    assert body["jobId"] == CIPHER  # the Upwork ciphertext, not GigRadar's id
    assert body["profileId"] == "p-default"  # the account's default profile
    assert body.get("proposal") == proposal
    assert body["autoFillOtherQuestions"] is True
    assert body["questionAnswers"] == [{"question": "Q?", "answer": "A"}]
    assert update.state is SubmissionState.SUBMITTING
    assert update.refs == {
        "queue_id": "queue_abc123",
        "processed_job_id": "9b2f7c1e",
        "job_id": CIPHER,
    }


async def test_submit_needs_an_upwork_job(client: UpHuntClient) -> None:
    native = Opportunity(platform=Platform.GIGIAC, external_id="t1", title="Gigiac task")
    with pytest.raises(InvalidRequest, match="not an Upwork job"):
        await client.submit(submission_for(native), native)


@pytest.mark.parametrize(
    ("status", "body", "kind", "reason"),
    [
        (
            402,
            {
                "error": "Insufficient auto-apply credits",
                "creditsRemaining": 0,
                "needsCredits": True,
            },
            InsufficientFunds,
            FailureReason.INSUFFICIENT_FUNDS,
        ),
        (404, {"error": "Job not found"}, NotFound, FailureReason.JOB_UNAVAILABLE),
        (409, {"error": "Already applied to this job"}, Conflict, FailureReason.DUPLICATE),
        (422, {"error": "Unknown timeline"}, InvalidRequest, FailureReason.VALIDATION),
    ],
)
async def test_apply_refusals(
    client: UpHuntClient,
    wire: Wire,
    status: int,
    body: dict[str, Any],
    kind: type[PlatformError],
    reason: FailureReason,
) -> None:
    wire.on("POST", APPLY, R(status, body))
    with pytest.raises(kind) as caught:
        await client.submit(submission_for(gr_opp()), gr_opp())
    assert caught.value.reason is reason
    assert str(body["error"]) in caught.value.message
    assert len(wire.requests) == 1


@pytest.mark.parametrize(
    "failure", [R(500, {"error": "Internal"}), R(503), httpx.ReadTimeout, R(202, {"success": True})]
)
async def test_apply_is_never_retried(
    client: UpHuntClient, wire: Wire, failure: R | type[httpx.TransportError]
) -> None:
    wire.on("POST", APPLY, failure, R(202, RECEIPT))
    with pytest.raises(AmbiguousSend):
        await client.submit(submission_for(gr_opp()), gr_opp())
    assert len(wire.requests) == 1


# --------------------------------------------------------------------------- status / poll


async def test_status_needs_exactly_one_id(client: UpHuntClient) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        await client.status()
    with pytest.raises(ValueError, match="exactly one"):
        await client.status(queue_id="q", job_id="j")


async def test_poll_by_queue_id(client: UpHuntClient, wire: Wire) -> None:
    wire.on(
        "GET",
        STATUS,
        R(200, {**UH_STATUS_APPLIED, "applicationStatus": "processing"}),
        R(200, UH_STATUS_APPLIED),
    )
    sub = submission_for(gr_opp(), refs={"queue_id": "queue_abc123"})
    assert (await client.poll(sub)).state is SubmissionState.SUBMITTING
    done = await client.poll(sub)
    assert done.state is SubmissionState.SUBMITTED
    assert dict(wire.requests[0].url.params) == {"queueId": "queue_abc123"}


async def test_poll_falls_back_to_the_job_id(client: UpHuntClient, wire: Wire) -> None:
    wire.on("GET", STATUS, R(200, UH_STATUS_APPLIED))
    await client.poll(submission_for(gr_opp()))
    assert dict(wire.requests[0].url.params) == {"jobId": CIPHER}


async def test_reconcile_by_job_id(client: UpHuntClient, wire: Wire) -> None:
    wire.on("GET", STATUS, R(200, UH_STATUS_APPLIED), R(404, {"error": "not_found"}))
    found = await client.reconcile(submission_for(gr_opp()), gr_opp())
    assert found is not None
    assert found.state is SubmissionState.SUBMITTED
    assert dict(wire.requests[0].url.params) == {"jobId": CIPHER}
    assert await client.reconcile(submission_for(gr_opp()), gr_opp()) is None


async def test_status_is_retried_on_server_errors(client: UpHuntClient, wire: Wire) -> None:
    wire.on("GET", STATUS, R(500), R(200, UH_STATUS_APPLIED))
    update = await client.poll(submission_for(gr_opp(), refs={"queue_id": "q"}))
    assert update.state is SubmissionState.SUBMITTED
    assert len(wire.requests) == 2


async def test_applied_jobs_pages_by_offset(client: UpHuntClient, wire: Wire) -> None:
    wire.on(
        "GET",
        "/api/auto-apply-v2/applied-jobs",
        R(200, {"jobs": [UH_STATUS_APPLIED] * 10, "total": 24, "limit": 10, "offset": 10}),
    )
    page = await client.applied_jobs(limit=10, offset=10, status="applied")
    assert len(page.items) == 10
    assert page.total == 24
    assert page.next_cursor == "20"
    assert dict(wire.requests[0].url.params) == {"limit": "10", "offset": "10", "status": "applied"}


# --------------------------------------------------------------------------- freelancers, jobs


async def test_freelancers_are_cached_five_minutes(
    client: UpHuntClient, wire: Wire, fake_time: FakeTime
) -> None:
    wire.on("GET", "/api/auto-apply-v2/freelancers", R(200, UH_FREELANCERS))
    roster = await client.freelancers()
    assert [f.name for f in roster.freelancers] == ["Jane D.", "BizDev Bot"]
    assert roster.default_profile_id == "p-default"
    jane = roster.freelancers[0]
    assert [p.profile_id for p in jane.profiles] == ["p-default", "p-spec"]
    assert jane.profiles[1].hourly_rate == Decimal("80.00")
    fake_time.advance(299)
    await client.freelancers()
    assert len(wire.requests) == 1
    fake_time.advance(2)
    await client.freelancers()
    assert len(wire.requests) == 2
    assert await client.check_connection() == "UpHunt: 2 freelancers"
    assert len(wire.requests) == 3  # a connection check always asks


async def test_freelancer_cache_scales_with_speed(wire: Wire, fake_time: FakeTime) -> None:
    wire.on("GET", "/api/auto-apply-v2/freelancers", R(200, UH_FREELANCERS))
    async with UpHuntClient(
        ACCOUNT, KEY, transport=wire.transport, limiter=fake_time.limiter(LIMITS, speed=60.0)
    ) as c:
        await c.freelancers()
        fake_time.advance(4.9)
        await c.freelancers()
        fake_time.advance(0.2)
        await c.freelancers()
    assert len(wire.requests) == 2


def test_normalize_an_upwork_raw_job() -> None:
    opp = normalize_job(UH_JOB, account="uh")
    assert opp.platform is Platform.UPHUNT
    assert opp.external_id == opp.upwork_job_id == "~02ffeeddccbbaa9988"
    assert opp.key == "uphunt:~02ffeeddccbbaa9988"
    assert opp.dedupe_key == "upwork:~02ffeeddccbbaa9988"
    assert opp.title == "Fix a Django API"
    assert opp.kind is JobKind.FIXED
    assert opp.budget == Decimal("500.00")
    assert opp.client.country == "DEU"
    assert opp.client.rating == pytest.approx(4.6)
    assert opp.client.total_spent == Decimal("12000.00")
    assert opp.client.total_hires == 12
    assert [q.text for q in opp.questions] == ["Have you used Celery?"]
    assert opp.posted_at == datetime(2025, 11, 20, 8, tzinfo=UTC)
    assert opp.url == "https://www.upwork.com/jobs/~02ffeeddccbbaa9988"


def test_normalize_a_gigradar_shaped_job() -> None:
    payload = {
        "ciphertext": CIPHER,
        "jobDetailsResponse": {"data": {"jobPubDetails": gr_opportunity()["job"]}},
    }
    opp = normalize_job(payload)
    assert opp.kind is JobKind.HOURLY
    assert opp.hourly_max == Decimal("75.50")
    assert opp.client.country == "United States"


async def test_job_by_ciphertext(client: UpHuntClient, wire: Wire) -> None:
    wire.on("GET", "/api/jobs/by-ciphertext", R(200, UH_JOB))
    opp = await client.get_opportunity(gr_opp())
    assert opp.title == "Fix a Django API"
    assert dict(wire.requests[0].url.params) == {"cipher": CIPHER}


async def test_fetch_is_empty_and_costs_nothing(client: UpHuntClient, wire: Wire) -> None:
    assert await client.fetch_opportunities() == []
    assert wire.requests == []


async def test_buckets_are_per_endpoint(client: UpHuntClient, wire: Wire) -> None:
    wire.on(
        "GET",
        STATUS,
        R(200, UH_STATUS_APPLIED, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"}),
    )
    await client.status(queue_id="q")
    snap = client.limiter.snapshot()
    assert snap["status"].remaining == 0
    assert client.limiter.wait_time("apply") == 0.0


async def test_is_a_platform_adapter(client: UpHuntClient) -> None:
    assert isinstance(client, PlatformAdapter)
