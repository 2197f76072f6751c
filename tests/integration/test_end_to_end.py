"""Ingest, submit, track, fail, recover — each platform, through the real stack.

Every test drives SubmissionService/Inbox with the real httpx clients against the real
sandbox on 127.0.0.1, and checks the platform's side with raw HTTP where it matters
(exactly one proposal per job, whatever went wrong on the way).
"""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from app.domain import (
    Answer,
    Bid,
    BidKind,
    FailureReason,
    JobKind,
    Opportunity,
    OpportunityStatus,
    Outcome,
    Platform,
    SubmissionState,
)
from app.platforms.errors import AuthError, Conflict
from app.sandbox import Sandbox
from app.services.container import Services
from app.services.submissions import DuplicateSubmission, SubmitRequest
from tests.integration.conftest import ACCOUNTS, endpoint

pytestmark = pytest.mark.integration

LETTER = (
    "Hello, I have shipped several projects very close to this one and I can start this "
    "week. I would begin with a short call to confirm scope, then deliver a first working "
    "version within days, with weekly milestones you can review. Best regards, Alex"
)
SETTLE = 20.0


async def fetch_everything(live: Services) -> list[Opportunity]:
    for platform in (Platform.GIGRADAR, Platform.GIGIAC):
        await live.inbox.fetch(live.accounts.get(ACCOUNTS[platform]))
    return live.store.opportunities.all()


def pick(opps: list[Opportunity], platform: Platform, n: int = 0, **where) -> Opportunity:
    found = [
        o
        for o in opps
        if o.platform is platform
        and o.status is OpportunityStatus.OPEN
        and all(getattr(o, k) == v for k, v in where.items())
    ]
    found.sort(key=lambda o: o.key)
    return found[n]


def gigiac_ready(opps: list[Opportunity], n: int = 0) -> Opportunity:
    found = sorted(
        (
            o
            for o in opps
            if o.platform is Platform.GIGIAC
            and o.budget is not None
            and o.context.get("location_type") != "on_site"
        ),
        key=lambda o: o.key,
    )
    return found[n]


def request_for(opp: Opportunity, letter: str = LETTER, **kw) -> SubmitRequest:
    if opp.kind is JobKind.HOURLY:
        bid = Bid(kind=BidKind.HOURLY, amount=opp.hourly_max or Decimal("50"))
    else:
        bid = Bid(kind=BidKind.FIXED, amount=opp.budget or Decimal("500"))
    answers = tuple(
        Answer(question_id=q.id, question=q.text, answer="Yes, several times.")
        for q in opp.questions
    )
    return SubmitRequest(
        opportunity_key=opp.key,
        cover_letter=letter,
        bid=bid,
        answers=answers,
        confirm_warnings=True,
        **kw,
    )


async def gigradar_application(
    raw: httpx.AsyncClient, sandbox: Sandbox, opp: Opportunity
) -> dict | None:
    ep = sandbox.info.gigradar
    r = await raw.get(
        f"{ep.base_url}/opportunities/{opp.external_id}",
        params={"scannerId": opp.context["scanner_id"]},
        headers={"X-API-Key": ep.api_key},
    )
    assert r.status_code == 200
    return r.json()["application"]


async def uphunt_applications(raw: httpx.AsyncClient, sandbox: Sandbox, cipher: str) -> list[dict]:
    ep = sandbox.info.uphunt
    r = await raw.get(
        f"{ep.base_url}/api/auto-apply-v2/applied-jobs",
        params={"limit": 100},
        headers={"x-api-key": ep.api_key},
    )
    assert r.status_code == 200
    return [j for j in r.json()["jobs"] if j["jobId"] == cipher]


async def gigiac_proposals(raw: httpx.AsyncClient, sandbox: Sandbox, task_id: str) -> list[dict]:
    ep = sandbox.info.gigiac
    r = await raw.get(
        f"{ep.base_url}/api/proposals",
        params={"mine": "true", "task_id": task_id},
        headers={"Authorization": f"Bearer {ep.api_key}"},
    )
    assert r.status_code == 200
    return [p for p in r.json()["proposals"] if p["task_id"] == task_id]


# -- ingest -----------------------------------------------------------------------------


async def test_ingest_normalizes_and_dedupes(live: Services) -> None:
    opps = await fetch_everything(live)
    assert {o.platform for o in opps} == {Platform.GIGRADAR, Platform.GIGIAC}
    gr = [o for o in opps if o.platform is Platform.GIGRADAR]
    assert len(gr) >= 20
    assert all(o.upwork_job_id and o.upwork_job_id.startswith("~0") for o in gr)
    assert all(o.context.get("scanner_id") for o in gr)
    assert any(o.kind is JobKind.FIXED and isinstance(o.budget, Decimal) for o in gr)
    assert any(o.kind is JobKind.HOURLY for o in gr)
    assert all(o.match_score is None or 0 <= o.match_score <= 1 for o in opps)
    assert any(o.questions for o in gr)
    gg = [o for o in opps if o.platform is Platform.GIGIAC]
    assert gg and all(o.budget is None or o.budget > 0 for o in gg)
    again = await live.inbox.fetch(live.accounts.get("gr"))
    assert again.new == ()
    assert live.store.opportunities.count() == len(opps)


# -- GigRadar ---------------------------------------------------------------------------


async def test_gigradar_submit_tracks_to_sent(live: Services, sandbox: Sandbox, raw) -> None:
    opp = pick(await fetch_everything(live), Platform.GIGRADAR)
    sub = await live.submissions.submit(request_for(opp, LETTER + " [[sim:sent]]"))
    assert sub.state in (SubmissionState.SUBMITTING, SubmissionState.SCHEDULED)
    done = await live.submissions.wait_settled(sub.id, SETTLE)
    assert done.state is SubmissionState.SUBMITTED
    assert done.refs.get("proposal_id", "").isdigit()
    app = await gigradar_application(raw, sandbox, opp)
    assert app is not None and app["sent"] is not None


@pytest.mark.parametrize(
    ("token", "reason", "retryable"),
    [
        ("[[sim:error:9012]]", FailureReason.DUPLICATE, False),
        ("[[sim:error:234]]", FailureReason.SCHEDULING, True),
        ("[[sim:error:2006]]", FailureReason.INELIGIBLE, False),
        ("[[sim:error:2020]]", FailureReason.INELIGIBLE, False),
    ],
)
async def test_gigradar_send_failures_are_normalized(
    live: Services, token, reason, retryable
) -> None:
    opp = pick(await fetch_everything(live), Platform.GIGRADAR, 1)
    sub = await live.submissions.submit(request_for(opp, f"{LETTER} {token}"))
    done = await live.submissions.wait_settled(sub.id, SETTLE)
    assert done.state is SubmissionState.FAILED
    assert done.failure.reason is reason
    assert done.failure.retryable is retryable
    assert done.failure.describe()


async def test_gigradar_closed_job_fails_as_unavailable(live: Services, sandbox: Sandbox) -> None:
    opp = pick(await fetch_everything(live), Platform.GIGRADAR, 2)
    sandbox.close_job(opp.upwork_job_id)
    sub = await live.submissions.submit(request_for(opp))
    done = await live.submissions.wait_settled(sub.id, SETTLE)
    assert done.state is SubmissionState.FAILED
    assert done.failure.reason is FailureReason.JOB_UNAVAILABLE


async def test_gigradar_timeout_on_create_is_reconciled_without_duplicate(
    live: Services, sandbox: Sandbox, raw
) -> None:
    opp = pick(await fetch_everything(live), Platform.GIGRADAR, 3)
    sandbox.faults.inject(
        "timeout", platform="gigradar", method="POST", path_contains="/application"
    )
    sub = await live.submissions.submit(request_for(opp, LETTER + " [[sim:sent]]"))
    assert sub.state is SubmissionState.UNKNOWN
    done = await live.submissions.wait_settled(sub.id, SETTLE)
    assert done.state is SubmissionState.SUBMITTED
    assert SubmissionState.UNKNOWN in [h.state for h in done.history]
    app = await gigradar_application(raw, sandbox, opp)
    assert app is not None  # exactly one: a second create would have been a 409


async def test_gigradar_500_on_create_then_retry(live: Services, sandbox: Sandbox, raw) -> None:
    opp = pick(await fetch_everything(live), Platform.GIGRADAR, 4)
    sandbox.faults.inject("500", platform="gigradar", method="POST", path_contains="/application")
    sub = await live.submissions.submit(request_for(opp, LETTER + " [[sim:sent]]"))
    settled = await live.submissions.wait_settled(sub.id, SETTLE)
    # The 500 came before the platform stored anything: reconcile finds nothing.
    assert settled.state is SubmissionState.FAILED and settled.retryable
    assert await gigradar_application(raw, sandbox, opp) is None
    await live.submissions.retry(sub.id)
    done = await live.submissions.wait_settled(sub.id, SETTLE)
    assert done.state is SubmissionState.SUBMITTED


async def test_gigradar_429_with_retry_after_is_waited_out(
    live: Services, sandbox: Sandbox
) -> None:
    sandbox.faults.inject("429", platform="gigradar", method="GET", retry_after=1)
    result = await live.inbox.fetch(live.accounts.get("gr"))
    assert result.seen > 0


async def test_wrong_key_is_a_clear_error(live: Services, sandbox: Sandbox, monkeypatch) -> None:
    monkeypatch.setenv("BIDDESK_API_KEY_GR", "gr_live_wrong")
    with pytest.raises(AuthError) as info:
        await live.inbox.fetch(live.accounts.get("gr"))
    assert "gr_live_wrong" not in str(info.value)
    assert live.inbox.status("gr").last_error


async def test_duplicate_refused_locally_and_by_the_platform(
    live: Services, sandbox: Sandbox
) -> None:
    opp = pick(await fetch_everything(live), Platform.GIGRADAR, 5)
    first = await live.submissions.submit(request_for(opp))
    with pytest.raises(DuplicateSubmission):
        await live.submissions.submit(request_for(opp))
    with pytest.raises(DuplicateSubmission):
        await live.submissions.submit(request_for(opp, via=Platform.UPHUNT))
    # Going around the local guard, the platform refuses too.
    adapter = live.accounts.adapter(live.accounts.get("gr"))
    with pytest.raises(Conflict):
        await adapter.submit(first, opp)


# -- UpHunt (a route for the same Upwork jobs) -----------------------------------------------


@pytest.mark.parametrize(
    ("token", "state", "reason"),
    [
        ("[[sim:applied]]", SubmissionState.SUBMITTED, None),
        ("[[sim:failed]]", SubmissionState.FAILED, FailureReason.TRANSIENT),
        ("[[sim:not_available]]", SubmissionState.FAILED, FailureReason.JOB_UNAVAILABLE),
        ("[[sim:not_eligible]]", SubmissionState.FAILED, FailureReason.INELIGIBLE),
        ("[[sim:not_enough_connects]]", SubmissionState.FAILED, FailureReason.INSUFFICIENT_FUNDS),
        ("[[sim:logged_out]]", SubmissionState.FAILED, FailureReason.SESSION),
    ],
)
async def test_uphunt_route_reaches_every_terminal_state(
    live: Services, token, state, reason
) -> None:
    opp = pick(await fetch_everything(live), Platform.GIGRADAR, 6)
    sub = await live.submissions.submit(request_for(opp, f"{LETTER} {token}", via=Platform.UPHUNT))
    assert sub.platform is Platform.UPHUNT
    assert sub.refs.get("queue_id")
    done = await live.submissions.wait_settled(sub.id, SETTLE)
    assert done.state is state
    if reason is not None:
        assert done.failure.reason is reason
    if token == "[[sim:logged_out]]":
        assert done.retryable  # UpHunt reconnects by itself


async def test_uphunt_reset_on_apply_is_reconciled_without_duplicate(
    live: Services, sandbox: Sandbox, raw
) -> None:
    opp = pick(await fetch_everything(live), Platform.GIGRADAR, 7)
    sandbox.faults.inject("reset", platform="uphunt", method="POST", path_contains="/apply")
    sub = await live.submissions.submit(
        request_for(opp, LETTER + " [[sim:applied]]", via=Platform.UPHUNT)
    )
    assert sub.state is SubmissionState.UNKNOWN
    done = await live.submissions.wait_settled(sub.id, SETTLE)
    assert done.state is SubmissionState.SUBMITTED
    assert len(await uphunt_applications(raw, sandbox, opp.upwork_job_id)) == 1


# -- Gigiac -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "outcome"),
    [("[[sim:accept]]", Outcome.ACCEPTED), ("[[sim:reject]]", Outcome.REJECTED)],
)
async def test_gigiac_proposal_reaches_the_clients_decision(live: Services, token, outcome) -> None:
    opp = gigiac_ready(await fetch_everything(live))
    sub = await live.submissions.submit(request_for(opp, f"{LETTER} {token}"))
    assert sub.state is SubmissionState.SUBMITTED
    assert sub.refs.get("proposal_id")
    done = await live.submissions.wait_settled(sub.id, SETTLE)
    assert done.outcome is outcome


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("closed", FailureReason.JOB_UNAVAILABLE),
        ("[[sim:STRIPE_CONNECT_REQUIRED]]", FailureReason.INELIGIBLE),
        ("[[sim:INSUFFICIENT_CREDITS]]", FailureReason.INSUFFICIENT_FUNDS),
    ],
)
async def test_gigiac_refusals_are_normalized(
    live: Services, sandbox: Sandbox, setup, reason
) -> None:
    opp = gigiac_ready(await fetch_everything(live), 1)
    letter = LETTER
    if setup == "closed":
        sandbox.close_task(opp.external_id)
    else:
        letter = f"{LETTER} {setup}"
    sub = await live.submissions.submit(request_for(opp, letter))
    assert sub.state is SubmissionState.FAILED
    assert sub.failure.reason is reason


async def test_gigiac_on_site_task_needs_a_location(live: Services) -> None:
    opps = await fetch_everything(live)
    on_site = [
        o
        for o in opps
        if o.platform is Platform.GIGIAC and o.context.get("location_type") == "on_site"
    ]
    if not on_site:
        pytest.skip("this seed has no on-site task")
    sub = await live.submissions.submit(request_for(on_site[0]))
    assert sub.state is SubmissionState.FAILED
    assert sub.failure.reason is FailureReason.INELIGIBLE


async def test_gigiac_timeout_on_create_is_reconciled_without_duplicate(
    live: Services, sandbox: Sandbox, raw
) -> None:
    opp = gigiac_ready(await fetch_everything(live), 2)
    sandbox.faults.inject(
        "timeout", platform="gigiac", method="POST", path_contains="/api/proposals"
    )
    sub = await live.submissions.submit(request_for(opp))
    assert sub.state is SubmissionState.UNKNOWN
    done = await live.submissions.wait_settled(sub.id, SETTLE)
    assert done.state is SubmissionState.SUBMITTED
    assert len(await gigiac_proposals(raw, sandbox, opp.external_id)) == 1


async def test_start_up_reconciles_a_send_cut_short(live: Services, sandbox: Sandbox, raw) -> None:
    """A crash between "stored" and "answered": the next start settles it by reading."""
    opp = gigiac_ready(await fetch_everything(live), 3)
    sandbox.faults.inject(
        "malformed", platform="gigiac", method="POST", path_contains="/api/proposals"
    )
    sub = await live.submissions.submit(request_for(opp))
    assert sub.state is SubmissionState.UNKNOWN
    await live.tasks.shutdown()  # the process "dies" before tracking settles it
    settled = await live.submissions.reconcile_pending()
    assert [s.state for s in settled] == [SubmissionState.SUBMITTED]
    assert len(await gigiac_proposals(raw, sandbox, opp.external_id)) == 1


async def test_check_connection_for_each_platform(live: Services) -> None:
    for platform, name in ACCOUNTS.items():
        text = await live.accounts.adapter(live.accounts.get(name)).check_connection()
        assert platform.label in text


async def test_endpoints_are_loopback_only(sandbox: Sandbox) -> None:
    for platform in Platform:
        assert endpoint(sandbox, platform).base_url.startswith("http://127.0.0.1:")


async def test_gigradar_retry_after_a_retryable_send_error_reschedules(
    live: Services, sandbox: Sandbox, raw
) -> None:
    """234 (outside the scanner's hours) leaves the application on GigRadar with an error;
    a retry must reschedule that application, not create a second one (a 409)."""
    opp = pick(await fetch_everything(live), Platform.GIGRADAR, 8)
    sub = await live.submissions.submit(request_for(opp, f"{LETTER} [[sim:error:234]]"))
    failed = await live.submissions.wait_settled(sub.id, SETTLE)
    assert failed.failure.reason is FailureReason.SCHEDULING and failed.retryable
    await live.submissions.retry(sub.id)
    done = await live.submissions.wait_settled(sub.id, SETTLE)
    assert done.state is SubmissionState.SUBMITTED, done.failure
    assert done.attempts == 2
    app = await gigradar_application(raw, sandbox, opp)
    assert app is not None and app["sent"] is not None
