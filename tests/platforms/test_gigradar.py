"""GigRadar client: wire format, normalization, derived application state, discovery."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
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
    OpportunityStatus,
    Outcome,
    Platform,
    Submission,
    SubmissionState,
)
from app.platforms.base import PlatformAdapter
from app.platforms.errors import (
    AmbiguousSend,
    Conflict,
    InvalidRequest,
    MalformedResponse,
    PlatformError,
)
from app.platforms.gigradar import (
    LIMITS,
    GigRadarClient,
    failure_from_error_code,
    normalize_opportunity,
    outcome_from_proposal,
    status_update_from_application,
    status_update_from_opportunity,
)
from app.platforms.http import RetryPolicy
from tests.platforms.conftest import FakeTime, R, Wire
from tests.platforms.payloads import GR_SCANNERS, gr_application, gr_opportunity

KEY = "gr_live_0123456789abcdef"
BASE_PATH = "/gigradar/public-api/v1"
ACCOUNT = Account(
    name="gr-main", platform=Platform.GIGRADAR, base_url=f"http://127.0.0.1:9{BASE_PATH}"
)
NOW = datetime(2025, 10, 28, 11, 0, 0, tzinfo=UTC)
OPP_ID = "507f1f77bcf86cd799439011"
SCANNER = "65a1b2c3d4e5f6a7b8c9d0e1"


@pytest.fixture
def wire() -> Wire:
    return Wire(BASE_PATH)


@pytest.fixture
async def client(wire: Wire, fake_time: FakeTime) -> AsyncIterator[GigRadarClient]:
    async with GigRadarClient(
        ACCOUNT,
        KEY,
        transport=wire.transport,
        limiter=fake_time.limiter(LIMITS),
        now=lambda: NOW,
    ) as c:
        yield c


def submission_for(opportunity: Opportunity, **changes: Any) -> Submission:
    data: dict[str, Any] = {
        "opportunity_key": opportunity.key,
        "platform": Platform.GIGRADAR,
        "account": "gr-main",
        "dedupe_key": opportunity.dedupe_key,
        "cover_letter": "I built three fintech dashboards in React.",
        "bid": Bid(kind=BidKind.HOURLY, amount=Decimal("60")),
        "answers": (
            Answer(question_id="2", question="What is your availability?", answer="Full time"),
            Answer(
                question_id="1",
                question="Describe a similar dashboard you built.",
                answer="A trading dashboard",
            ),
        ),
        "refs": {"opportunity_id": opportunity.external_id, "scanner_id": SCANNER},
    }
    data.update(changes)
    return Submission(**data)


# --------------------------------------------------------------------------- normalization


def test_normalizes_a_realistic_opportunity() -> None:
    opp = normalize_opportunity(gr_opportunity(), account="gr-main")
    assert opp.platform is Platform.GIGRADAR
    assert opp.key == f"gigradar:{OPP_ID}"
    assert opp.account == "gr-main"
    assert opp.upwork_job_id == "~01a2b3c4d5e6f7a8b9"
    assert opp.dedupe_key == "upwork:~01a2b3c4d5e6f7a8b9"
    assert opp.url == "https://www.upwork.com/jobs/~01a2b3c4d5e6f7a8b9"
    assert opp.title == "Senior React developer for a fintech dashboard"
    assert opp.description.startswith("We need a React")
    assert opp.kind is JobKind.HOURLY
    assert (opp.budget, opp.hourly_min, opp.hourly_max) == (
        None,
        Decimal("40.00"),
        Decimal("75.50"),
    )
    assert opp.skills == ("React", "TypeScript")
    assert opp.category == "Web Development"
    assert opp.connects_price == 16
    assert opp.match_score == pytest.approx(0.87)
    client = opp.client
    assert client.country == "United States"
    assert client.city == "Austin"
    assert client.payment_verified is True
    assert client.total_spent == Decimal("152340.50")
    assert client.hire_rate == pytest.approx(0.85)
    assert client.rating == pytest.approx(4.87)
    assert (client.total_hires, client.jobs_posted, client.name) == (41, 57, "Acme")
    assert [(q.id, q.text) for q in opp.questions] == [
        ("1", "Describe a similar dashboard you built."),
        ("2", "What is your availability?"),
    ]
    assert opp.posted_at == datetime(2025, 10, 28, 10, tzinfo=UTC)
    assert opp.detected_at == datetime(2025, 10, 28, 10, 0, 41, tzinfo=UTC)
    assert opp.status is OpportunityStatus.OPEN
    assert opp.context == {
        "scanner_id": SCANNER,
        "scanner_name": "My Full-Stack Scanner",
        "team_id": "507f191e810c19729de860ea",
    }
    assert opp.raw["jobUid"] == "1691063615321939969"


def test_fixed_budget_fraction_hire_rate_and_closed_job() -> None:
    payload = gr_opportunity(score=0.42, published=None)
    payload["job"]["budget"] = {"type": 1, "fixed": 500, "hourlyMin": None, "hourlyMax": None}
    payload["job"]["client"]["stats"]["hireRate"] = 0.6
    payload["job"]["status"] = "closed"
    opp = normalize_opportunity(payload)
    assert opp.kind is JobKind.FIXED
    assert opp.budget == Decimal("500.00")
    assert opp.hourly_min is None
    assert opp.hourly_max is None
    assert opp.client.hire_rate == pytest.approx(0.6)
    assert opp.match_score == pytest.approx(0.42)
    assert opp.posted_at == datetime(2025, 10, 28, 10, tzinfo=UTC)  # from job.publishTime
    assert opp.status is OpportunityStatus.CLOSED


def test_odd_fields_never_drop_the_opportunity() -> None:
    payload = gr_opportunity(score="high", detected="not a date", published=12)
    job = payload["job"]
    job["budget"] = "lots"
    job["skills"] = [None, {"uid": "x"}, "Go", {"name": "Go"}]
    job["questions"] = "none"
    job["client"] = {
        "stats": {"feedbackScore": 9, "hireRate": -2, "totalSpent": "n/a", "totalHires": "many"},
        "location": ["US"],
    }
    opp = normalize_opportunity(payload)
    assert opp.kind is JobKind.UNKNOWN
    assert opp.budget is None
    assert opp.skills == ("Go",)
    assert opp.questions == ()
    assert opp.match_score is None
    assert opp.client.rating is None
    assert opp.client.hire_rate is None
    assert opp.client.total_spent is None
    assert opp.client.country is None
    assert opp.detected_at.tzinfo is not None


def test_title_falls_back_to_the_job_and_a_missing_job_is_fine() -> None:
    payload = gr_opportunity()
    del payload["title"]
    assert normalize_opportunity(payload).title.startswith("Senior React")
    bare = {"id": "x1", "title": "Bare", "jobId": "~01bare"}
    opp = normalize_opportunity(bare)
    assert opp.upwork_job_id == "~01bare"
    assert opp.kind is JobKind.UNKNOWN


@pytest.mark.parametrize("missing", ["id", "title"])
def test_missing_id_or_title_is_an_error(missing: str) -> None:
    payload = gr_opportunity()
    del payload[missing]
    if missing == "title":
        del payload["job"]["title"]
    with pytest.raises(ValueError, match=missing):
        normalize_opportunity(payload)


# --------------------------------------------------------------------------- state mapping


@pytest.mark.parametrize(
    ("application", "state", "status"),
    [
        (gr_application(), SubmissionState.STAGED, "unscheduled"),
        (
            gr_application(scheduledAt="2025-10-28T12:00:00Z"),
            SubmissionState.SCHEDULED,
            "scheduled",
        ),
        (
            gr_application(scheduledAt="2025-10-28T10:59:00Z"),
            SubmissionState.SUBMITTING,
            "scheduled",
        ),
        (
            gr_application(scheduledAt="2025-10-28T10:59:00Z", sent="2025-10-28T11:00:41Z"),
            SubmissionState.SUBMITTING,
            "scheduled",
        ),
    ],
)
def test_state_is_derived_from_field_presence(
    application: dict[str, Any], state: SubmissionState, status: str
) -> None:
    update = status_update_from_application(application, now=NOW)
    assert update.state is state
    assert update.platform_status == status
    assert update.failure is None


def test_sent_with_proposal_id_is_submitted() -> None:
    app = gr_application(
        scheduledAt="2025-10-28T11:00:00Z",
        sent="2025-10-28T11:00:41Z",
        proposalId="1691063615321939969",
    )
    update = status_update_from_application(app, opportunity_id=OPP_ID, scanner_id=SCANNER, now=NOW)
    assert update.state is SubmissionState.SUBMITTED
    assert update.outcome is Outcome.NONE
    assert update.submitted_at == datetime(2025, 10, 28, 11, 0, 41, tzinfo=UTC)
    assert update.refs == {
        "opportunity_id": OPP_ID,
        "scanner_id": SCANNER,
        "proposal_id": "1691063615321939969",
    }


@pytest.mark.parametrize(
    ("code", "message", "reason", "retryable"),
    [
        (9012, "ProposalAlreadySent", FailureReason.DUPLICATE, False),
        ("9012", None, FailureReason.DUPLICATE, False),
        (234, "OutsideScheduledHours", FailureReason.SCHEDULING, True),
        ("234", None, FailureReason.SCHEDULING, True),
        (2006, "Location mismatch", FailureReason.INELIGIBLE, False),
        (2020, "JobInterviewRequired", FailureReason.INELIGIBLE, False),
        ("JOB_CLOSED", "The job is closed", FailureReason.JOB_UNAVAILABLE, False),
        (None, "This job is no longer available", FailureReason.JOB_UNAVAILABLE, False),
        (5001, "Not enough Connects on the freelancer", FailureReason.INSUFFICIENT_FUNDS, True),
        ("INSUFFICIENT_CREDITS", None, FailureReason.INSUFFICIENT_FUNDS, True),
        (None, "Payment method declined", FailureReason.INSUFFICIENT_FUNDS, True),
        (777, "Something odd", FailureReason.TRANSIENT, True),
        (None, None, FailureReason.TRANSIENT, True),
    ],
)
def test_error_codes_map_to_failure_reasons(
    code: object, message: str | None, reason: FailureReason, retryable: bool
) -> None:
    app = gr_application(
        scheduledAt="2025-10-28T11:00:00Z", error=True, errorCode=code, errorMessage=message
    )
    update = status_update_from_application(app, now=NOW)
    assert update.state is SubmissionState.FAILED
    assert update.failure is not None
    assert update.failure.reason is reason
    assert update.failure.retryable is retryable
    assert update.failure.platform_code == (str(code) if code is not None else None)
    assert update.failure.message == message
    assert failure_from_error_code(code, message).reason is reason


@pytest.mark.parametrize(
    ("proposal", "outcome"),
    [
        ({"status": "SUBMITTED", "statusCode": 2}, Outcome.NONE),
        ({"status": "ACTIVE", "statusCode": 7}, Outcome.VIEWED),
        ({"status": "ACTIVE", "statusCode": 7, "replied": True}, Outcome.REPLIED),
        ({"statusCode": 2, "replied": True}, Outcome.REPLIED),
        ({"status": "OFFER_WON", "statusCode": 9}, Outcome.ACCEPTED),
        ({"status": "HIRED", "statusCode": 10, "replied": True}, Outcome.ACCEPTED),
        ({"status": "OFFER_LOST", "statusCode": 3}, Outcome.REJECTED),
        ({"status": "JOB_CLOSED", "statusCode": 8}, Outcome.CLOSED),
        ({"status": "HIRED"}, Outcome.ACCEPTED),
        ({"status": "10"}, Outcome.ACCEPTED),
        ({"status": "weird"}, None),
        ({}, None),
    ],
)
def test_proposal_outcomes(proposal: dict[str, Any], outcome: Outcome | None) -> None:
    assert outcome_from_proposal(proposal) is outcome


def test_outcome_comes_from_the_nested_proposal() -> None:
    payload = gr_opportunity(
        application=gr_application(
            scheduledAt="2025-10-28T11:00:00Z",
            sent="2025-10-28T11:00:41Z",
            proposalId="169",
            proposal={"status": "OFFER_WON", "statusCode": 9},
        )
    )
    update = status_update_from_opportunity(payload, now=NOW)
    assert update is not None
    assert update.outcome is Outcome.ACCEPTED


def test_proposal_update_webhook_data_is_understood() -> None:
    data = {
        "id": OPP_ID,
        "opportunityId": OPP_ID,
        "scannerId": SCANNER,
        "jobId": "~01x",
        "proposalId": "1691063615321939969",
        "sent": "2025-10-28T11:00:41Z",
        "scheduledAt": "2025-10-28T11:00:00Z",
        "error": False,
        "errorCode": None,
        "proposal": {"status": "ACTIVE", "statusCode": 7, "replied": False},
    }
    update = status_update_from_opportunity(data, now=NOW)
    assert update is not None
    assert update.state is SubmissionState.SUBMITTED
    assert update.outcome is Outcome.VIEWED
    assert update.refs["opportunity_id"] == OPP_ID


def test_opportunity_without_application_has_no_status() -> None:
    assert status_update_from_opportunity(gr_opportunity(), now=NOW) is None


# --------------------------------------------------------------------------- wire


async def test_list_scanners_and_check_connection(client: GigRadarClient, wire: Wire) -> None:
    wire.on("GET", "/scanners", R(200, GR_SCANNERS))
    scanners = await client.list_scanners()
    assert [s.name for s in scanners] == ["My Full-Stack Scanner", "Python APIs"]
    assert scanners[0].auto_bidder is False
    assert await client.check_connection() == "GigRadar: 2 scanners (team My Team)"
    request = wire.requests[0]
    assert request.headers["X-API-Key"] == KEY
    assert request.headers["X-GigRadar-Request-Id"]
    assert "authorization" not in request.headers


async def test_scanners_as_a_bare_list(client: GigRadarClient, wire: Wire) -> None:
    wire.on("GET", "/scanners", R(200, [{"id": "s1", "name": "Only"}]))
    assert await client.check_connection() == "GigRadar: 1 scanner"


async def test_list_opportunities_query_and_envelope(client: GigRadarClient, wire: Wire) -> None:
    wire.on(
        "GET",
        "/opportunities",
        R(200, {"items": [gr_opportunity()], "nextCursor": "c2", "total": 41}),
    )
    page = await client.list_opportunities(
        SCANNER, since=datetime(2025, 10, 28, 9, tzinfo=UTC), limit=20, cursor="c1"
    )
    assert [o.external_id for o in page.items] == [OPP_ID]
    assert page.items[0].account == "gr-main"
    assert (page.next_cursor, page.total) == ("c2", 41)
    params = dict(wire.requests[0].url.params)
    assert params == {
        "scannerId": SCANNER,
        "from": "2025-10-28T09:00:00Z",
        "limit": "20",
        "cursor": "c1",
    }


async def test_a_bad_item_is_skipped_but_an_all_bad_page_is_malformed(
    client: GigRadarClient, wire: Wire, caplog: pytest.LogCaptureFixture
) -> None:
    good = gr_opportunity()
    wire.on(
        "GET",
        "/opportunities",
        R(200, {"items": [{"title": "no id"}, good, 7], "nextCursor": None}),
        R(200, {"items": [{"title": "no id"}, {"id": "x"}], "nextCursor": None}),
    )
    with caplog.at_level(logging.WARNING, logger="app.platforms"):
        page = await client.list_opportunities()
    assert [o.external_id for o in page.items] == [OPP_ID]
    assert sum(r.levelno == logging.WARNING for r in caplog.records) == 2
    with pytest.raises(MalformedResponse):
        await client.list_opportunities()


async def test_iter_opportunities_follows_cursors_up_to_the_cap(
    client: GigRadarClient, wire: Wire
) -> None:
    pages = [
        R(200, {"items": [gr_opportunity(id=f"o{i}")], "nextCursor": f"c{i + 1}"})
        for i in range(10)
    ]
    wire.on("GET", "/opportunities", *pages)
    ids = [o.external_id async for o in client.iter_opportunities(max_pages=3)]
    assert ids == ["o0", "o1", "o2"]
    assert [r.url.params.get("cursor") for r in wire.requests] == [None, "c1", "c2"]


async def test_get_opportunity(client: GigRadarClient, wire: Wire) -> None:
    wire.on("GET", f"/opportunities/{OPP_ID}", R(200, gr_opportunity(score=12)))
    old = normalize_opportunity(gr_opportunity())
    fresh = await client.get_opportunity(old)
    assert fresh.match_score == pytest.approx(0.12)
    assert wire.requests[0].url.params["scannerId"] == SCANNER


async def test_get_opportunity_needs_a_scanner_id(client: GigRadarClient) -> None:
    opp = normalize_opportunity({"id": "x", "title": "No scanner"})
    with pytest.raises(InvalidRequest, match="scanner"):
        await client.get_opportunity(opp)


async def test_create_application_wire_format(client: GigRadarClient, wire: Wire) -> None:
    wire.on("POST", f"/opportunities/{OPP_ID}/application", R(201, gr_opportunity()))
    await client.create_application(
        OPP_ID,
        SCANNER,
        "Hello",
        Bid(kind=BidKind.FIXED, amount=Decimal("500.50")),
        [Answer(question="Q1", answer="A1")],
        scheduled_at=NOW,
    )
    await client.create_application(OPP_ID, SCANNER, "Hi", None, scheduled_at=None)
    await client.create_application(
        OPP_ID, SCANNER, "Hey", Bid(kind=BidKind.HOURLY), scheduled_at=None
    )
    first, second, third = (Wire.body(r) for r in wire.requests)
    assert wire.requests[0].url.params["scannerId"] == SCANNER
    assert wire.requests[0].headers["content-type"] == "application/json"
    assert first == {
        "coverLetter": "Hello",
        "bid": {"type": "fixed", "amount": 500.5},
        "questions": [{"question": "Q1", "answer": "A1"}],
        "scheduledAt": "2025-10-28T11:00:00Z",
    }
    # null means *unscheduled* (§1.7.1), never "send now".
    assert second == {"coverLetter": "Hi", "bid": None, "questions": [], "scheduledAt": None}
    assert third["bid"] == {"type": "hourly", "amount": None}


async def test_submit_sends_now_as_scheduled_at_and_orders_answers(
    client: GigRadarClient, wire: Wire
) -> None:
    wire.on(
        "POST",
        f"/opportunities/{OPP_ID}/application",
        R(201, gr_opportunity(application=gr_application(scheduledAt="2025-10-28T11:00:00Z"))),
    )
    opp = normalize_opportunity(gr_opportunity())
    update = await client.submit(submission_for(opp), opp)
    assert update.state is SubmissionState.SUBMITTING
    assert update.refs == {"opportunity_id": OPP_ID, "scanner_id": SCANNER}
    body = Wire.body(wire.requests[0])
    assert body["scheduledAt"] == "2025-10-28T11:00:00Z"
    assert body["bid"] == {"type": "hourly", "amount": 60}
    assert [q["answer"] for q in body["questions"]] == ["A trading dashboard", "Full time"]
    assert len(wire.requests) == 1


async def test_submit_with_the_real_clock_sends_the_current_utc_time(
    wire: Wire, fake_time: FakeTime
) -> None:
    wire.on("POST", f"/opportunities/{OPP_ID}/application", R(201, gr_opportunity()))
    opp = normalize_opportunity(gr_opportunity())
    async with GigRadarClient(
        ACCOUNT, KEY, transport=wire.transport, limiter=fake_time.limiter(LIMITS)
    ) as c:
        update = await c.submit(submission_for(opp, bid=Bid()), opp)
    sent_at = datetime.strptime(
        Wire.body(wire.requests[0])["scheduledAt"], "%Y-%m-%dT%H:%M:%SZ"
    ).replace(tzinfo=UTC)
    assert abs(sent_at - datetime.now(UTC)) < timedelta(seconds=5)
    assert Wire.body(wire.requests[0])["bid"] is None
    assert update.state is SubmissionState.SUBMITTING


async def test_submit_in_the_future_is_scheduled(client: GigRadarClient, wire: Wire) -> None:
    wire.on("POST", f"/opportunities/{OPP_ID}/application", R(201, gr_opportunity()))
    opp = normalize_opportunity(gr_opportunity())
    later = NOW + timedelta(hours=2)
    update = await client.submit(submission_for(opp, scheduled_at=later), opp)
    assert update.state is SubmissionState.SCHEDULED
    assert Wire.body(wire.requests[0])["scheduledAt"] == "2025-10-28T13:00:00Z"


async def test_submit_reports_an_immediate_error_from_the_answer(
    client: GigRadarClient, wire: Wire
) -> None:
    wire.on(
        "POST",
        f"/opportunities/{OPP_ID}/application",
        R(
            201,
            gr_opportunity(
                application=gr_application(
                    scheduledAt="2025-10-28T11:00:00Z",
                    error=True,
                    errorCode=9012,
                    errorMessage="ProposalAlreadySent",
                )
            ),
        ),
    )
    opp = normalize_opportunity(gr_opportunity())
    update = await client.submit(submission_for(opp), opp)
    assert update.state is SubmissionState.FAILED
    assert update.failure is not None
    assert update.failure.reason is FailureReason.DUPLICATE


@pytest.mark.parametrize(
    "failure",
    [
        R(500, {"message": "boom"}),
        R(502),
        httpx.ReadTimeout,
        httpx.RemoteProtocolError,
        R(201, raw=b""),
    ],
)
async def test_submit_never_retries_a_create(
    client: GigRadarClient,
    wire: Wire,
    fake_time: FakeTime,
    failure: R | type[httpx.TransportError],
) -> None:
    wire.on("POST", f"/opportunities/{OPP_ID}/application", failure, R(201, gr_opportunity()))
    opp = normalize_opportunity(gr_opportunity())
    if isinstance(failure, R) and failure.status == 201:
        # An empty 2xx is readable (no body): the create is taken as done.
        update = await client.submit(submission_for(opp), opp)
        assert update.state is SubmissionState.SUBMITTING
    else:
        with pytest.raises(AmbiguousSend):
            await client.submit(submission_for(opp), opp)
    assert len(wire.calls("POST", f"/opportunities/{OPP_ID}/application")) == 1


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        (409, "APPLICATION_EXISTS", FailureReason.DUPLICATE),
        (409, "AUTOBIDDER_ENABLED", FailureReason.VALIDATION),
        (422, "SCANNER_NOT_CONFIGURED", FailureReason.VALIDATION),
        (404, "NOT_FOUND", FailureReason.JOB_UNAVAILABLE),
    ],
)
async def test_submit_refusals(
    client: GigRadarClient, wire: Wire, status: int, code: str, reason: FailureReason
) -> None:
    wire.on(
        "POST",
        f"/opportunities/{OPP_ID}/application",
        R(
            status,
            {"statusCode": status, "error": code, "message": "refused", "requestId": "r-1"},
            {"X-GigRadar-Request-Id": "r-1"},
        ),
    )
    opp = normalize_opportunity(gr_opportunity())
    with pytest.raises(PlatformError) as caught:
        await client.submit(submission_for(opp), opp)
    exc = caught.value
    assert exc.reason is reason
    assert exc.platform_code == code
    assert "r-1" in str(exc)
    if code == "APPLICATION_EXISTS":
        assert isinstance(exc, Conflict)


async def test_poll_derives_state_and_outcome(client: GigRadarClient, wire: Wire) -> None:
    wire.on(
        "GET",
        f"/opportunities/{OPP_ID}",
        R(200, gr_opportunity(application=gr_application(scheduledAt="2025-10-28T11:00:00Z"))),
        R(
            200,
            gr_opportunity(
                application=gr_application(
                    scheduledAt="2025-10-28T11:00:00Z",
                    sent="2025-10-28T11:00:41Z",
                    proposalId="169",
                    proposal={"statusCode": 7, "status": "ACTIVE"},
                )
            ),
        ),
    )
    opp = normalize_opportunity(gr_opportunity())
    sub = submission_for(opp)
    first = await client.poll(sub)
    second = await client.poll(sub)
    assert first.state is SubmissionState.SUBMITTING
    assert second.state is SubmissionState.SUBMITTED
    assert second.outcome is Outcome.VIEWED
    assert second.refs["proposal_id"] == "169"
    assert wire.requests[0].url.params["scannerId"] == SCANNER


async def test_poll_without_application_changes_nothing(client: GigRadarClient, wire: Wire) -> None:
    wire.on("GET", f"/opportunities/{OPP_ID}", R(200, gr_opportunity()))
    opp = normalize_opportunity(gr_opportunity())
    update = await client.poll(submission_for(opp))
    assert update.state is None
    assert update.platform_status == "no_application"


async def test_poll_needs_a_scanner_id(client: GigRadarClient) -> None:
    opp = normalize_opportunity(gr_opportunity())
    with pytest.raises(InvalidRequest):
        await client.poll(submission_for(opp, refs={}))


async def test_reconcile(client: GigRadarClient, wire: Wire) -> None:
    opp = normalize_opportunity(gr_opportunity())
    sub = submission_for(opp, refs={})
    wire.on(
        "GET",
        f"/opportunities/{OPP_ID}",
        R(200, gr_opportunity()),
        R(200, gr_opportunity(application=gr_application(scheduledAt="2025-10-28T11:00:00Z"))),
        R(404, {"message": "not found"}),
    )
    assert await client.reconcile(sub, opp) is None
    found = await client.reconcile(sub, opp)
    assert found is not None
    assert found.state is SubmissionState.SUBMITTING
    assert found.refs == {"opportunity_id": OPP_ID, "scanner_id": SCANNER}
    assert await client.reconcile(sub, opp) is None


async def test_schedule_application(client: GigRadarClient, wire: Wire) -> None:
    wire.on("PATCH", f"/opportunities/{OPP_ID}/application/schedule", R(200, gr_opportunity()))
    await client.schedule_application(OPP_ID, SCANNER, NOW + timedelta(minutes=5))
    await client.schedule_application(OPP_ID, SCANNER, None)
    assert [Wire.body(r) for r in wire.requests] == [
        {"scheduledAt": "2025-10-28T11:05:00Z"},
        {"scheduledAt": None},
    ]
    assert wire.requests[0].url.params["scannerId"] == SCANNER


async def test_webhooks(client: GigRadarClient, wire: Wire) -> None:
    hook = {
        "id": "wh1",
        "url": "https://relay.example/gr",
        "scopes": ["GIGRADAR.OPPORTUNITY.CREATE"],
        "enabled": True,
        "hasAuth": True,
    }
    wire.on("POST", "/webhooks", R(201, hook))
    wire.on("GET", "/webhooks", R(200, {"items": [hook], "nextCursor": None}))
    wire.on("DELETE", "/webhooks/wh1", R(204), R(404, {"message": "gone"}))
    created = await client.create_webhook(
        "https://relay.example/gr", username="u", password="pw-123456"
    )
    assert created["id"] == "wh1"
    assert Wire.body(wire.requests[0]) == {
        "url": "https://relay.example/gr",
        "scopes": ["GIGRADAR.OPPORTUNITY.CREATE"],
        "auth": {"username": "u", "password": "pw-123456"},
    }
    assert [h["id"] for h in await client.list_webhooks()] == ["wh1"]
    assert await client.delete_webhook("wh1") is True
    assert await client.delete_webhook("wh1") is False


# --------------------------------------------------------------------------- discovery


def _page(
    ids_detected: list[tuple[str, str]], cursor: str | None = None, scanner: str = SCANNER
) -> R:
    items = [gr_opportunity(id=i, detected=d, scannerId=scanner) for i, d in ids_detected]
    return R(200, {"items": items, "nextCursor": cursor})


async def test_fetch_uses_a_high_water_mark_per_scanner(client: GigRadarClient, wire: Wire) -> None:
    s1, s2 = (s["id"] for s in GR_SCANNERS["items"])
    responses = {
        s1: [
            _page([("a2", "2025-10-28T10:05:00Z"), ("a1", "2025-10-28T10:01:00Z")]),
            _page([("a3", "2025-10-28T10:09:00Z")]),
        ],
        s2: [_page([("b1", "2025-10-28T09:00:00Z")], scanner=s2), _page([], scanner=s2)],
    }

    def opportunities(request: httpx.Request) -> httpx.Response:
        return responses[request.url.params["scannerId"]].pop(0).build(request)

    wire.on("GET", "/scanners", R(200, GR_SCANNERS))
    wire.on("GET", "/opportunities", opportunities)
    first = await client.fetch_opportunities()
    assert sorted(o.external_id for o in first) == ["a1", "a2", "b1"]
    second = await client.fetch_opportunities()
    assert [o.external_id for o in second] == ["a3"]
    lists = wire.calls("GET", "/opportunities")
    assert [dict(r.url.params).get("from") for r in lists] == [
        None,
        None,
        "2025-10-28T10:05:00Z",
        "2025-10-28T09:00:00Z",
    ]
    assert len(wire.calls("GET", "/scanners")) == 1  # cached between fetches


async def test_fetch_caps_requests_and_resumes_without_a_gap(
    wire: Wire, fake_time: FakeTime
) -> None:
    scanners = {"items": [GR_SCANNERS["items"][0]], "nextCursor": None}
    wire.on("GET", "/scanners", R(200, scanners))
    wire.on(
        "GET",
        "/opportunities",
        _page([("n5", "2025-10-28T10:05:00Z")], "c1"),
        _page([("n4", "2025-10-28T10:04:00Z")], "c2"),
        _page([("n3", "2025-10-28T10:03:00Z")], None),
        _page([("n6", "2025-10-28T10:06:00Z")], None),
    )
    async with GigRadarClient(
        ACCOUNT,
        KEY,
        transport=wire.transport,
        limiter=fake_time.limiter(LIMITS),
        pages_per_scanner=2,
    ) as c:
        first = await c.fetch_opportunities()
        second = await c.fetch_opportunities()
        third = await c.fetch_opportunities()
    assert [o.external_id for o in first] == ["n5", "n4"]
    assert [o.external_id for o in second] == ["n3"]
    assert [o.external_id for o in third] == ["n6"]
    params = [dict(r.url.params) for r in wire.calls("GET", "/opportunities")]
    assert [p.get("cursor") for p in params] == [None, "c1", "c2", None]
    # The mark moves only once the interrupted sweep has ended.
    assert [p.get("from") for p in params] == [None, None, None, "2025-10-28T10:05:00Z"]


async def test_fetch_costs_at_most_a_few_requests(wire: Wire, fake_time: FakeTime) -> None:
    many = {"items": [{"id": f"s{i}", "name": f"S{i}"} for i in range(10)]}
    wire.on("GET", "/scanners", R(200, many))
    wire.on("GET", "/opportunities", _page([("x", "2025-10-28T10:00:00Z")], "more"))
    async with GigRadarClient(
        ACCOUNT,
        KEY,
        transport=wire.transport,
        limiter=fake_time.limiter(LIMITS),
        max_fetch_requests=6,
    ) as c:
        await c.fetch_opportunities()
    assert len(wire.requests) == 6


async def test_scanner_cache_expires(wire: Wire, fake_time: FakeTime) -> None:
    wire.on("GET", "/scanners", R(200, {"items": []}))
    async with GigRadarClient(
        ACCOUNT, KEY, transport=wire.transport, limiter=fake_time.limiter(LIMITS), scanner_ttl=600
    ) as c:
        await c.fetch_opportunities()
        fake_time.advance(599)
        await c.fetch_opportunities()
        fake_time.advance(2)
        await c.fetch_opportunities()
    assert len(wire.calls("GET", "/scanners")) == 2


async def test_gets_are_retried_but_within_the_budget(wire: Wire, fake_time: FakeTime) -> None:
    wire.on("GET", "/scanners", R(503), R(200, GR_SCANNERS))
    async with GigRadarClient(
        ACCOUNT,
        KEY,
        transport=wire.transport,
        limiter=fake_time.limiter(LIMITS),
        retry=RetryPolicy(base_delay=0.0),
    ) as c:
        assert len(await c.list_scanners()) == 2
        snap = c.limiter.snapshot()["api"]
    assert snap.windows[1].remaining == 998


async def test_is_a_platform_adapter(client: GigRadarClient) -> None:
    assert isinstance(client, PlatformAdapter)
    assert client.platform is Platform.GIGRADAR
    assert client.account == "gr-main"


async def test_default_limiter_uses_account_speed() -> None:
    fast = ACCOUNT.model_copy(update={"speed": 60.0})
    async with GigRadarClient(fast, KEY) as client:
        assert client.limiter.speed == 60.0


# --------------------------------------------------------------------------- beyond the seed


@pytest.mark.parametrize("status", [404, 405])
async def test_discovery_without_a_scanner_list_says_so_once_and_costs_nothing(
    client: GigRadarClient, wire: Wire, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    """GET /scanners is not in the seed: its absence is a sentence, never an error."""
    wire.on("GET", "/scanners", R(status, {"message": "Cannot GET /scanners"}))
    with caplog.at_level(logging.INFO, logger="app.platforms.gigradar"):
        assert await client.fetch_opportunities() == []
        assert await client.fetch_opportunities() == []
    assert client.discovery_note is not None
    assert "arrive by webhook" in client.discovery_note
    assert len(wire.requests) == 1  # asked once; then nothing is spent on it
    notes = [r for r in caplog.records if "arrive by webhook" in r.getMessage()]
    assert len(notes) == 1


async def test_discovery_uses_the_lists_when_they_answer(
    client: GigRadarClient, wire: Wire
) -> None:
    wire.on("GET", "/scanners", R(200, GR_SCANNERS))
    wire.on("GET", "/opportunities", R(200, {"items": [gr_opportunity()], "nextCursor": None}))
    found = await client.fetch_opportunities()
    assert [o.external_id for o in found] == [OPP_ID]
    assert found[0].context["scanner_id"]  # needed to apply
    assert client.discovery_note is None


async def test_check_connection_without_a_scanner_list(client: GigRadarClient, wire: Wire) -> None:
    """The key is checked with a documented call (GET /opportunities/{id}): 404 = accepted."""
    wire.on("GET", "/scanners", R(404, {}))
    wire.on("GET", "/opportunities/000000000000000000000000", R(404, {"message": "not found"}))
    text = await client.check_connection()
    assert text.splitlines()[0] == "GigRadar: the key is accepted."
    assert "arrive by webhook" in text


async def test_check_connection_rejects_a_bad_key_without_a_scanner_list(
    client: GigRadarClient, wire: Wire
) -> None:
    from app.platforms.errors import AuthError

    wire.on("GET", "/scanners", R(404, {}))
    wire.on("GET", "/opportunities/000000000000000000000000", R(401, {"message": "Invalid"}))
    with pytest.raises(AuthError):
        await client.check_connection()


async def test_auto_bidder_on_is_warned_about(client: GigRadarClient, wire: Wire) -> None:
    scanners = {
        "items": [
            {**GR_SCANNERS["items"][0], "autoBidder": {"enabled": True}},
            GR_SCANNERS["items"][1],
        ]
    }
    wire.on("GET", "/scanners", R(200, scanners))
    text = await client.check_connection()
    warnings = [line for line in text.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1
    assert "My Full-Stack Scanner" in warnings[0]
    assert "duplicate applications and double charges" in warnings[0]
    on = normalize_opportunity(gr_opportunity(scannerId=GR_SCANNERS["items"][0]["id"]))
    off = normalize_opportunity(gr_opportunity(scannerId=GR_SCANNERS["items"][1]["id"]))
    assert "auto-bidder" in (await client.auto_bidder_warning(on) or "")
    assert await client.auto_bidder_warning(off) is None
    assert len(wire.requests) == 1  # the scanner list is cached


async def test_auto_bidder_is_unknown_without_a_scanner_list(
    client: GigRadarClient, wire: Wire
) -> None:
    wire.on("GET", "/scanners", R(405, {}))
    opp = normalize_opportunity(gr_opportunity())
    assert await client.auto_bidder_warning(opp) is None


async def test_a_base_url_ending_in_an_endpoint_is_normalized(fake_time: FakeTime) -> None:
    wire = Wire(BASE_PATH).on("GET", "/scanners", R(200, GR_SCANNERS))
    account = ACCOUNT.model_copy(update={"base_url": ACCOUNT.base_url + "/opportunities"})
    async with GigRadarClient(
        account, KEY, transport=wire.transport, limiter=fake_time.limiter(LIMITS)
    ) as client:
        text = await client.check_connection()
    assert wire.requests[0].url.path == BASE_PATH + "/scanners"
    assert "already ends in /opportunities" in text
