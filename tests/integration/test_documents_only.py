"""BidDesk against what the documents promise: each test runs against the full sandbox and
the documents-only one (`strict`), through the real clients and services over loopback.

Where BidDesk uses something only platform-apis.md proposes (GigRadar's scanner and
opportunity lists, GET/DELETE /webhooks, Retry-After), the strict run proves it degrades
to a sentence and never to a failure.
"""

from __future__ import annotations

import pytest

from app.domain import (
    FailureReason,
    Opportunity,
    Platform,
    SubmissionState,
)
from app.ingest.realtime import Realtime, RealtimeConfig
from app.platforms.gigradar import WEBHOOK_ONLY_NOTE, normalize_opportunity
from app.sandbox import Sandbox
from app.services.container import Services
from app.services.submissions import AutoBidderOn
from tests.integration.conftest import ACCOUNTS
from tests.integration.test_end_to_end import LETTER, SETTLE, request_for

pytestmark = pytest.mark.integration


async def arrived_by_webhook(sb: Sandbox, live: Services, **overrides: object) -> Opportunity:
    """A new GigRadar opportunity as its OPPORTUNITY.CREATE webhook `data` brings it
    (the only way in when GigRadar does not list opportunities)."""
    data = sb.add_opportunity(**overrides)
    opp = normalize_opportunity(data, account=ACCOUNTS[Platform.GIGRADAR])
    await live.inbox.ingest([opp])
    return opp


async def gigiac_task(live: Services) -> Opportunity:
    await live.inbox.fetch(live.accounts.get(ACCOUNTS[Platform.GIGIAC]))
    found = sorted(
        (
            o
            for o in live.store.opportunities.all()
            if o.platform is Platform.GIGIAC
            and o.budget is not None
            and o.context.get("location_type") != "on_site"
        ),
        key=lambda o: o.key,
    )
    return found[0]


# -- discovery ------------------------------------------------------------------------------


async def test_fetch_works_with_or_without_gigradar_lists(
    each_sandbox: Sandbox, live_each: Services
) -> None:
    strict = each_sandbox.config.strict
    gr = live_each.accounts.get(ACCOUNTS[Platform.GIGRADAR])
    result = await live_each.inbox.fetch(gr)  # never raises: a missing list is no error
    status = live_each.inbox.status(gr.name)
    assert status is not None and status.last_error is None
    if strict:
        assert result.note == WEBHOOK_ONLY_NOTE
        assert status.note == WEBHOOK_ONLY_NOTE
        assert WEBHOOK_ONLY_NOTE in result.summary()
        assert not result.new
        again = await live_each.inbox.fetch(gr)
        assert again.note == WEBHOOK_ONLY_NOTE
    else:
        assert result.note is None
        assert len(result.new) >= 20
        assert all(o.context.get("scanner_id") for o in result.new)
    gg = await live_each.inbox.fetch(live_each.accounts.get(ACCOUNTS[Platform.GIGIAC]))
    assert gg.new


async def test_a_webhook_opportunity_carries_what_applying_needs(
    each_sandbox: Sandbox, live_each: Services
) -> None:
    """The scannerId of the webhook `data` is kept, and the application goes out."""
    opp = await arrived_by_webhook(each_sandbox, live_each)
    assert (
        opp.context["scanner_id"] == each_sandbox.gigradar.opportunities[opp.external_id].scanner.id
    )
    sub = await live_each.submissions.submit(request_for(opp, LETTER + " [[sim:sent]]"))
    sub = await live_each.submissions.wait_final(sub.id, SETTLE)
    assert sub.state is SubmissionState.SUBMITTED
    assert each_sandbox.gigradar.opportunities[opp.external_id].applications_created == 1


# -- 429 on a create ------------------------------------------------------------------------

CREATE_PATHS = {
    Platform.GIGRADAR: "/application",
    Platform.GIGIAC: "/api/proposals",
}


@pytest.mark.parametrize("platform", [Platform.GIGRADAR, Platform.GIGIAC])
async def test_a_429_on_the_create_is_retried_and_sends_once(
    each_sandbox: Sandbox, live_each: Services, platform: Platform
) -> None:
    if platform is Platform.GIGRADAR:
        opp = await arrived_by_webhook(each_sandbox, live_each)
        letter = LETTER + " [[sim:sent]]"
    else:
        opp = await gigiac_task(live_each)
        letter = LETTER
    each_sandbox.faults.inject(
        "429",
        platform=platform.value,
        method="POST",
        path_contains=CREATE_PATHS[platform],
        retry_after=1,
    )
    sub = await live_each.submissions.submit(request_for(opp, letter))
    assert sub.state is not SubmissionState.FAILED, sub.failure
    sub = await live_each.submissions.wait_final(sub.id, SETTLE)
    assert sub.state is SubmissionState.SUBMITTED
    assert each_sandbox.faults.pending == []  # the 429 was met, then the create went again
    if platform is Platform.GIGRADAR:
        assert each_sandbox.gigradar.opportunities[opp.external_id].applications_created == 1
    else:
        mine = [p for p in each_sandbox.gigiac.proposals.values() if p.task_id == opp.external_id]
        assert len(mine) == 1


async def test_four_429s_in_a_row_fail_as_rate_limited(
    each_sandbox: Sandbox, live_each: Services
) -> None:
    opp = await arrived_by_webhook(each_sandbox, live_each)
    each_sandbox.faults.inject(
        "429",
        platform="gigradar",
        method="POST",
        path_contains="/application",
        count=4,
        retry_after=1,
    )
    sub = await live_each.submissions.submit(request_for(opp))
    assert sub.state is SubmissionState.FAILED
    assert sub.failure is not None
    assert sub.failure.reason is FailureReason.RATE_LIMITED
    assert sub.failure.retryable
    assert each_sandbox.gigradar.opportunities[opp.external_id].applications_created == 0
    each_sandbox.faults.clear()


async def test_a_lost_gigiac_answer_is_reconciled_from_mine_true_alone(
    each_sandbox: Sandbox, live_each: Services
) -> None:
    """A reset after the proposal was made: unknown, then found by GET /api/proposals
    ?mine=true (the strict sandbox refuses mine=true combined with task_id)."""
    opp = await gigiac_task(live_each)
    each_sandbox.faults.inject(
        "reset", platform="gigiac", method="POST", path_contains="/api/proposals"
    )
    sub = await live_each.submissions.submit(request_for(opp))
    assert sub.state is SubmissionState.UNKNOWN
    sub = await live_each.submissions.wait_final(sub.id, SETTLE)
    assert sub.state is SubmissionState.SUBMITTED
    mine = [p for p in each_sandbox.gigiac.proposals.values() if p.task_id == opp.external_id]
    assert len(mine) == 1


async def test_a_gigiac_task_already_taken_is_job_unavailable(
    each_sandbox: Sandbox, live_each: Services
) -> None:
    opp = await gigiac_task(live_each)
    each_sandbox.close_task(opp.external_id)
    sub = await live_each.submissions.submit(request_for(opp))
    assert sub.state is SubmissionState.FAILED
    assert sub.failure is not None and sub.failure.reason is FailureReason.JOB_UNAVAILABLE


# -- auto-bidder ------------------------------------------------------------------------------


async def test_an_auto_bidder_that_is_on_needs_a_confirmation(
    each_sandbox: Sandbox, live_each: Services
) -> None:
    scanner = next(iter(each_sandbox.gigradar.scanners.values()))
    scanner.auto_bidder = True  # the user left it on in GigRadar
    opp = await arrived_by_webhook(each_sandbox, live_each, scannerId=scanner.id)
    if each_sandbox.config.strict:
        # GigRadar does not say (no scanner list): nothing to warn about, nothing blocked.
        assert await live_each.submissions.auto_bidder_warning(opp) is None
        return
    with pytest.raises(AutoBidderOn) as caught:
        await live_each.submissions.submit(request_for(opp))
    assert "duplicate applications and double charges" in caught.value.warning
    assert live_each.store.submissions.list() == []  # nothing stored, nothing sent
    sub = await live_each.submissions.submit(request_for(opp, confirm_auto_bidder=True))
    assert sub.state is not SubmissionState.FAILED


# -- registration -----------------------------------------------------------------------------


async def test_each_start_registers_the_gigradar_webhook_once(
    each_sandbox: Sandbox, live_each: Services
) -> None:
    """Whoever starts webhooks, one POST /webhooks per start; GET/DELETE /webhooks are
    used where they answer and their absence never stops the registration."""
    config = RealtimeConfig(enabled=True, tunnel="none")
    for start in (1, 2):
        realtime = Realtime.of(live_each, config=config)
        await realtime.start()
        try:
            setups = await realtime.registration()
            assert await realtime.registration() == setups  # waiting never registers again
        finally:
            await realtime.stop()
        gr = next(s for s in setups if s.account == ACCOUNTS[Platform.GIGRADAR])
        assert gr.registered, gr.error
        assert gr.error is None
        assert each_sandbox.gigradar.webhook_posts == start
    # The full sandbox lets the second start remove the first one's webhook.
    expected = 2 if each_sandbox.config.strict else 1
    hooks = list(each_sandbox.gigradar.webhooks.values())
    assert len(hooks) == expected
    # One set of credentials: a webhook left behind still authenticates (no 401s).
    assert len({(h.username, h.password) for h in hooks}) == 1


# -- diagnostics ------------------------------------------------------------------------------


async def test_only_the_platforms_request_id_is_quoted(
    each_sandbox: Sandbox, live_each: Services
) -> None:
    """X-GigRadar-Request-Id is what support knows; BidDesk's own id is labelled as ours."""
    from app.platforms.errors import NotFound
    from app.platforms.gigradar import GigRadarClient

    client = live_each.accounts.adapter(live_each.accounts.get(ACCOUNTS[Platform.GIGRADAR]))
    assert isinstance(client, GigRadarClient)
    scanner = next(iter(each_sandbox.gigradar.scanners))
    with pytest.raises(NotFound) as caught:
        await client.get_opportunity_payload("0" * 24, scanner)
    exc = caught.value
    assert exc.request_id and exc.client_request_id
    assert f"request id {exc.request_id}" in str(exc)
    if each_sandbox.config.strict:  # no echo of ours: two different ids
        assert exc.request_id != exc.client_request_id
