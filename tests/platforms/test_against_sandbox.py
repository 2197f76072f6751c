"""The real clients against the real sandbox (app/sandbox) over loopback, at speed 600.

Each platform once end to end: discovery, a fresh read, a submission polled to its
terminal state, a refusal, a wrong key (401), and a lost answer reconciled instead of
resent. At speed 600 a GigRadar "minute" lasts 0.1 s, so every lifecycle ends in well
under a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from app.domain import (
    Account,
    Bid,
    BidKind,
    FailureReason,
    Opportunity,
    Outcome,
    Platform,
    StatusUpdate,
    Submission,
    SubmissionState,
)
from app.platforms import GigiacClient, GigRadarClient, UpHuntClient
from app.platforms.errors import (
    AmbiguousSend,
    AuthError,
    Conflict,
    InsufficientFunds,
    PlatformError,
)
from app.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.integration

SPEED = 600.0
TERMINAL = {SubmissionState.SUBMITTED, SubmissionState.FAILED, SubmissionState.WITHDRAWN}


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(SandboxConfig(seed=1, speed=SPEED, arrivals=False)) as sb:
        yield sb


def account(platform: Platform, base_url: str) -> Account:
    return Account(name=f"sb-{platform.value}", platform=platform, base_url=base_url, speed=SPEED)


@pytest.fixture
async def gigradar(sandbox: Sandbox) -> AsyncIterator[GigRadarClient]:
    info = sandbox.info.gigradar
    async with GigRadarClient(account(Platform.GIGRADAR, info.base_url), info.api_key) as c:
        yield c


@pytest.fixture
async def uphunt(sandbox: Sandbox) -> AsyncIterator[UpHuntClient]:
    info = sandbox.info.uphunt
    async with UpHuntClient(account(Platform.UPHUNT, info.base_url), info.api_key) as c:
        yield c


@pytest.fixture
async def gigiac(sandbox: Sandbox) -> AsyncIterator[GigiacClient]:
    info = sandbox.info.gigiac
    async with GigiacClient(account(Platform.GIGIAC, info.base_url), info.api_key) as c:
        yield c


def submission(opportunity: Opportunity, via: Platform, letter: str, **kw: Any) -> Submission:
    return Submission(
        opportunity_key=opportunity.key,
        platform=via,
        account=f"sb-{via.value}",
        dedupe_key=opportunity.dedupe_key,
        cover_letter=letter,
        **kw,
    )


async def track(
    poll: Callable[[Submission], Awaitable[StatusUpdate]],
    sub: Submission,
    *,
    until: Callable[[Submission], bool] = lambda s: s.state in TERMINAL,
    seconds: float = 10.0,
) -> Submission:
    """Poll like the SubmissionService would, folding each answer in, until `until`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not until(sub):
        assert loop.time() < deadline, f"still {sub.state}/{sub.outcome} after {seconds} s"
        sub = sub.apply(await poll(sub), via="poll")
        await asyncio.sleep(0.02)
    return sub


def with_refs(sub: Submission, update: StatusUpdate) -> Submission:
    moved = (
        sub.transition(SubmissionState.SUBMITTING) if sub.state is SubmissionState.DRAFT else sub
    )
    return moved.apply(update, via="api")


def open_unasked(opportunities: Any) -> list[Opportunity]:
    """Open opportunities without screening questions (no answers needed)."""
    return [o for o in opportunities if not o.questions and o.status.value == "open"]


# --------------------------------------------------------------------------- GigRadar


async def test_gigradar_end_to_end(gigradar: GigRadarClient, sandbox: Sandbox) -> None:
    assert (await gigradar.check_connection()).startswith("GigRadar: ")
    found = await gigradar.fetch_opportunities()
    assert len(found) >= 10
    assert all(o.context.get("scanner_id") for o in found)
    first, second, third = open_unasked(found)[:3]
    fresh = await gigradar.get_opportunity(first)
    assert fresh.key == first.key
    assert fresh.title == first.title

    sub = submission(
        first,
        Platform.GIGRADAR,
        "Hello — [[sim:sent]]",
        bid=Bid(kind=BidKind.HOURLY, amount=Decimal("55")),
    )
    update = await gigradar.submit(sub, first)
    assert update.state in (SubmissionState.SUBMITTING, SubmissionState.SUBMITTED)
    sub = await track(gigradar.poll, with_refs(sub, update))
    assert sub.state is SubmissionState.SUBMITTED
    assert sub.refs["proposal_id"]
    assert sub.submitted_at is not None

    dup = submission(second, Platform.GIGRADAR, "Hi [[sim:error:9012]]")
    dup = await track(gigradar.poll, with_refs(dup, await gigradar.submit(dup, second)))
    assert dup.state is SubmissionState.FAILED
    assert dup.failure is not None
    assert dup.failure.reason is FailureReason.DUPLICATE

    # Once an application exists, a second create is refused, not duplicated.
    with pytest.raises(Conflict):
        await gigradar.submit(dup, second)

    # A closed job fails the send as job_unavailable.
    assert third.upwork_job_id is not None
    sandbox.close_job(third.upwork_job_id)
    closed = submission(third, Platform.GIGRADAR, "Hello there")
    closed = await track(gigradar.poll, with_refs(closed, await gigradar.submit(closed, third)))
    assert closed.failure is not None
    assert closed.failure.reason is FailureReason.JOB_UNAVAILABLE


async def test_gigradar_client_outcome_reaches_the_submission() -> None:
    # Upwork-side outcomes take sandbox hours: run this one at speed 6,000.
    async with Sandbox(SandboxConfig(seed=2, speed=6000.0, arrivals=False)) as sb:
        info = sb.info.gigradar
        acct = account(Platform.GIGRADAR, info.base_url).model_copy(update={"speed": 6000.0})
        async with GigRadarClient(acct, info.api_key) as client:
            opportunity = open_unasked(await client.fetch_opportunities())[0]
            sub = submission(opportunity, Platform.GIGRADAR, "[[sim:outcome:OFFER_WON]] Hi")
            sub = with_refs(sub, await client.submit(sub, opportunity))
            sub = await track(client.poll, sub, until=lambda s: s.outcome is Outcome.ACCEPTED)
    assert sub.state is SubmissionState.SUBMITTED


async def test_gigradar_lost_answer_is_reconciled_not_resent(
    gigradar: GigRadarClient, sandbox: Sandbox
) -> None:
    opportunity = open_unasked(await gigradar.fetch_opportunities())[0]
    sub = submission(opportunity, Platform.GIGRADAR, "Hello [[sim:sent]]")
    assert await gigradar.reconcile(sub, opportunity) is None
    sandbox.faults.inject("reset", platform="gigradar", method="POST", path_contains="/application")
    with pytest.raises(AmbiguousSend):
        await gigradar.submit(sub, opportunity)
    found = await gigradar.reconcile(sub, opportunity)
    assert found is not None
    assert found.state is not None
    assert found.refs["scanner_id"] == opportunity.context["scanner_id"]


async def test_gigradar_reads_survive_injected_faults(
    gigradar: GigRadarClient, sandbox: Sandbox
) -> None:
    sandbox.faults.inject("500", platform="gigradar", method="GET", path_contains="/scanners")
    sandbox.faults.inject("429", platform="gigradar", method="GET", path_contains="/scanners")
    assert (await gigradar.check_connection()).startswith("GigRadar: ")


async def test_gigradar_wrong_key(sandbox: Sandbox) -> None:
    acct = account(Platform.GIGRADAR, sandbox.info.gigradar.base_url)
    async with GigRadarClient(acct, "gr_live_wrong_key_0000") as client:
        with pytest.raises(AuthError) as caught:
            await client.check_connection()
    assert caught.value.status == 401
    assert "gr_live_wrong_key_0000" not in str(caught.value)
    assert caught.value.request_id


# --------------------------------------------------------------------------- UpHunt


async def test_uphunt_end_to_end(
    uphunt: UpHuntClient, gigradar: GigRadarClient, sandbox: Sandbox
) -> None:
    assert (await uphunt.check_connection()).startswith("UpHunt: ")
    assert await uphunt.fetch_opportunities() == []
    # Upwork jobs found through GigRadar are sent through UpHunt by their ciphertext.
    jobs = open_unasked(await gigradar.fetch_opportunities())
    first, second = jobs[0], jobs[1]
    job = await uphunt.get_opportunity(first)
    assert job.platform is Platform.UPHUNT
    assert job.upwork_job_id == first.upwork_job_id

    sub = submission(
        first,
        Platform.UPHUNT,
        "Hello [[sim:applied]]",
        bid=Bid(kind=BidKind.HOURLY, amount=Decimal("60")),
    )
    update = await uphunt.submit(sub, first)
    assert update.state is SubmissionState.SUBMITTING
    assert update.refs["queue_id"]
    sub = await track(uphunt.poll, with_refs(sub, update))
    assert sub.state is SubmissionState.SUBMITTED
    assert sub.submitted_at is not None

    with pytest.raises(Conflict):
        await uphunt.submit(submission(first, Platform.UPHUNT, "again"), first)
    reconciled = await uphunt.reconcile(sub, first)
    assert reconciled is not None
    assert reconciled.state is SubmissionState.SUBMITTED

    refused = submission(second, Platform.UPHUNT, "Hi [[sim:not_eligible]]")
    refused = await track(uphunt.poll, with_refs(refused, await uphunt.submit(refused, second)))
    assert refused.failure is not None
    assert refused.failure.reason is FailureReason.INELIGIBLE


async def test_uphunt_wrong_key(sandbox: Sandbox) -> None:
    acct = account(Platform.UPHUNT, sandbox.info.uphunt.base_url)
    async with UpHuntClient(acct, "sk_uphunt_wrong_key_0000") as client:
        with pytest.raises(AuthError):
            await client.check_connection()


# --------------------------------------------------------------------------- Gigiac


async def test_gigiac_end_to_end(gigiac: GigiacClient, sandbox: Sandbox) -> None:
    assert (await gigiac.check_connection()).startswith("Gigiac: balance $")
    assert (await gigiac.manifest()).get("name")
    tasks = [t for t in await gigiac.fetch_opportunities() if t.status.value == "open"]
    assert len({t.external_id for t in tasks}) == len(tasks) >= 5
    remote = [t for t in tasks if t.context.get("location_type") != "on_site"]
    first, second, third = remote[:3]
    assert (await gigiac.get_opportunity(first)).external_id == first.external_id

    sub = submission(first, Platform.GIGIAC, "I can do this [[sim:accept]]")
    update = await gigiac.submit(sub, first)
    assert update.state is SubmissionState.SUBMITTED
    assert update.refs["proposal_id"]
    sub = with_refs(sub, update)
    sub = await track(gigiac.poll, sub, until=lambda s: s.outcome is Outcome.ACCEPTED)
    assert (await gigiac.reconcile(sub, first)) is not None

    with pytest.raises(InsufficientFunds):
        await gigiac.submit(
            submission(second, Platform.GIGIAC, "x [[sim:INSUFFICIENT_CREDITS]]"), second
        )

    sandbox.close_task(third.external_id)
    with pytest.raises(PlatformError) as caught:
        await gigiac.submit(submission(third, Platform.GIGIAC, "Too late"), third)
    assert caught.value.reason is FailureReason.JOB_UNAVAILABLE


async def test_gigiac_wrong_key(sandbox: Sandbox) -> None:
    acct = account(Platform.GIGIAC, sandbox.info.gigiac.base_url)
    async with GigiacClient(acct, "gig_wrong_key_000000") as client:
        with pytest.raises(AuthError) as caught:
            await client.check_connection()
    assert caught.value.retryable is False
