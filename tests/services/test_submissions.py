"""The at-most-once rules of SubmissionService, with a scripted platform."""

from __future__ import annotations

import asyncio
from unittest.mock import ANY

import pytest

from app.domain import (
    Answer,
    Bid,
    BidKind,
    FailureReason,
    Outcome,
    Platform,
    Question,
    StatusUpdate,
    SubmissionState,
)
from app.platforms.errors import AmbiguousSend, Conflict, NotFound, TransportError
from app.services.container import Services
from app.services.events import SubmissionChanged
from app.services.submissions import (
    DuplicateSubmission,
    PolicyViolation,
    SubmitError,
    SubmitRequest,
)
from tests.helpers.wait import wait_for
from tests.services.conftest import LETTER, ScriptedAdapter, make_opportunity

FIXED = Bid(kind=BidKind.FIXED, amount=None)


def ok(state: SubmissionState, **refs: str):
    return lambda sub: StatusUpdate(state=state, refs=refs)


def raise_(exc: Exception):
    def step(sub):
        raise exc

    return step


async def seed(services: Services, *opps) -> None:
    await services.inbox.ingest(opps or [make_opportunity()])


def request(opp_key: str = "gigradar:507f1f77bcf86cd799439011", **kw) -> SubmitRequest:
    base = dict(
        opportunity_key=opp_key,
        cover_letter=LETTER,
        bid=Bid(kind=BidKind.FIXED, amount=__import__("decimal").Decimal("1100")),
    )
    base.update(kw)
    return SubmitRequest(**base)


async def test_submission_is_stored_before_the_request_leaves(services, adapters) -> None:
    await seed(services)
    gr: ScriptedAdapter = adapters[Platform.GIGRADAR]
    gr.store_probe = lambda sub: services.store.submissions.get(sub.id)
    gr.submit_script.append(ok(SubmissionState.SUBMITTING, opportunity_id="507f"))
    sub = await services.submissions.submit(request())
    stored_at_send = gr.seen_in_store[0]
    assert stored_at_send is not None
    assert stored_at_send.state is SubmissionState.SUBMITTING
    assert sub.refs["opportunity_id"] == "507f"


async def test_lost_answer_becomes_unknown_and_is_reconciled_without_resending(
    services, adapters
) -> None:
    await seed(services)
    gr = adapters[Platform.GIGRADAR]
    gr.submit_script.append(raise_(AmbiguousSend("read timeout")))
    gr.reconcile_script.append(
        StatusUpdate(state=SubmissionState.SUBMITTED, refs={"proposal_id": "169"})
    )
    sub = await services.submissions.submit(request())
    assert sub.state is SubmissionState.UNKNOWN
    settled = await services.submissions.wait_settled(sub.id, timeout=5)
    assert settled.state is SubmissionState.SUBMITTED
    assert settled.refs["proposal_id"] == "169"
    assert [c[0] for c in gr.calls].count("submit") == 1
    assert [h.state for h in settled.history] == [
        SubmissionState.SUBMITTING,
        SubmissionState.UNKNOWN,
        SubmissionState.SUBMITTED,
    ]


async def test_reconcile_finding_nothing_fails_retryably_then_retry_sends_again(
    services, adapters
) -> None:
    await seed(services)
    gr = adapters[Platform.GIGRADAR]
    gr.submit_script.append(raise_(TransportError("connection reset", maybe_sent=True)))
    gr.reconcile_script.append(None)
    sub = await services.submissions.submit(request())
    settled = await services.submissions.wait_settled(sub.id, timeout=5)
    assert settled.state is SubmissionState.FAILED
    assert settled.failure is not None and settled.failure.retryable
    assert "no record" in settled.failure.describe()
    gr.submit_script.append(ok(SubmissionState.SUBMITTING))
    gr.poll_script.append(StatusUpdate(state=SubmissionState.SUBMITTED))
    retried = await services.submissions.retry(sub.id)
    assert retried.attempts == 2
    done = await services.submissions.wait_settled(sub.id, timeout=5)
    assert done.state is SubmissionState.SUBMITTED
    assert [c[0] for c in gr.calls].count("submit") == 2


async def test_unreachable_platform_fails_retryably_without_reconcile(services, adapters) -> None:
    await seed(services)
    gr = adapters[Platform.GIGRADAR]
    gr.submit_script.append(raise_(TransportError("connection refused", maybe_sent=False)))
    sub = await services.submissions.submit(request())
    assert sub.state is SubmissionState.FAILED
    assert sub.failure is not None and sub.failure.reason is FailureReason.TRANSIENT
    assert sub.failure.retryable
    assert ("reconcile", sub.id) not in gr.calls


async def test_definite_refusal_fails_with_the_normalized_reason(services, adapters) -> None:
    await seed(services)
    adapters[Platform.GIGRADAR].submit_script.append(
        raise_(NotFound("Opportunity not found", status=404))
    )
    sub = await services.submissions.submit(request())
    assert sub.state is SubmissionState.FAILED
    assert sub.failure.reason is FailureReason.JOB_UNAVAILABLE
    assert not sub.retryable
    with pytest.raises(SubmitError, match="cannot be retried"):
        await services.submissions.retry(sub.id)


async def test_second_submission_for_the_same_upwork_job_is_refused_across_routes(
    services, adapters
) -> None:
    await seed(services)
    adapters[Platform.GIGRADAR].submit_script.append(ok(SubmissionState.SUBMITTING))
    first = await services.submissions.submit(request())
    with pytest.raises(DuplicateSubmission) as info:
        await services.submissions.submit(request(via=Platform.UPHUNT))
    assert info.value.existing.id == first.id
    assert adapters[Platform.UPHUNT].calls == []


async def test_platform_409_is_a_non_retryable_duplicate(services, adapters) -> None:
    await seed(services)
    adapters[Platform.GIGRADAR].submit_script.append(
        raise_(Conflict("Application already exists", status=409))
    )
    sub = await services.submissions.submit(request())
    assert sub.failure.reason is FailureReason.DUPLICATE
    assert not sub.retryable


async def test_concurrent_submits_send_once(services, adapters) -> None:
    await seed(services)
    gr = adapters[Platform.GIGRADAR]
    gr.submit_gate = asyncio.Event()
    gr.submit_script.append(ok(SubmissionState.SUBMITTING))
    first = asyncio.ensure_future(services.submissions.submit(request()))
    await wait_for(lambda: ("submit", ANY) in gr.calls)  # the first is on the wire
    second = asyncio.ensure_future(services.submissions.submit(request()))
    await wait_for(second.done)  # refused while the first is still waiting for its answer
    assert isinstance(second.exception(), DuplicateSubmission)
    gr.submit_gate.set()
    results = await asyncio.gather(first, second, return_exceptions=True)
    assert sum(isinstance(r, DuplicateSubmission) for r in results) == 1
    assert [c[0] for c in gr.calls].count("submit") == 1


async def test_policy_errors_block_before_anything_is_stored(services, adapters) -> None:
    await seed(services, make_opportunity(questions=(Question(id="1", text="Have you used D3?"),)))
    with pytest.raises(PolicyViolation) as info:
        await services.submissions.submit(
            request(cover_letter=LETTER + " Mail me: alex@example.com")
        )
    codes = {i.code for i in info.value.issues}
    assert {"contact_email", "unanswered_question"} <= codes
    assert services.store.submissions.list() == []
    assert adapters[Platform.GIGRADAR].calls == []


async def test_warnings_need_confirmation(services, adapters) -> None:
    await seed(services)
    short = "I can do this quickly and well."
    with pytest.raises(PolicyViolation):
        await services.submissions.submit(request(cover_letter=short))
    adapters[Platform.GIGRADAR].submit_script.append(ok(SubmissionState.SUBMITTING))
    sub = await services.submissions.submit(request(cover_letter=short, confirm_warnings=True))
    assert sub.state is SubmissionState.SUBMITTING


async def test_gigiac_opportunity_cannot_go_through_uphunt(services, adapters) -> None:
    await seed(services, make_opportunity(Platform.GIGIAC, ext="task-1"))
    with pytest.raises(SubmitError, match="cannot be sent through UpHunt"):
        await services.submissions.submit(request("gigiac:task-1", via=Platform.UPHUNT))


async def test_late_poll_answers_never_move_a_submission_back(services, adapters) -> None:
    await seed(services)
    gr = adapters[Platform.GIGRADAR]
    gr.submit_script.append(ok(SubmissionState.SUBMITTING))
    gr.poll_script.extend(
        [
            StatusUpdate(state=SubmissionState.SUBMITTED, refs={"proposal_id": "42"}),
        ]
    )
    sub = await services.submissions.submit(request())
    done = await services.submissions.wait_settled(sub.id, timeout=5)
    assert done.state is SubmissionState.SUBMITTED
    # A replayed "still submitting" answer arriving afterwards changes nothing.
    late = done.apply(StatusUpdate(state=SubmissionState.SUBMITTING), via="poll")
    assert late is done


async def test_gigiac_outcome_is_tracked_to_acceptance(services, adapters) -> None:
    await seed(services, make_opportunity(Platform.GIGIAC, ext="task-9"))
    gg = adapters[Platform.GIGIAC]
    gg.submit_script.append(ok(SubmissionState.SUBMITTED, proposal_id="p1"))
    gg.poll_script.extend(
        [
            StatusUpdate(state=SubmissionState.SUBMITTED, outcome=Outcome.NONE),
            StatusUpdate(state=SubmissionState.SUBMITTED, outcome=Outcome.ACCEPTED),
        ]
    )
    events: list[SubmissionChanged] = []
    services.bus.subscribe(SubmissionChanged, events.append)
    sub = await services.submissions.submit(request("gigiac:task-9"))
    assert sub.state is SubmissionState.SUBMITTED
    done = await services.submissions.wait_settled(sub.id, timeout=5)
    assert done.outcome is Outcome.ACCEPTED
    assert events[-1].submission.outcome is Outcome.ACCEPTED


async def test_start_up_reconciles_what_was_left_submitting(services, adapters) -> None:
    await seed(services)
    gr = adapters[Platform.GIGRADAR]
    gr.submit_gate = asyncio.Event()  # never opens: the process "dies" mid-send
    gr.submit_script.append(ok(SubmissionState.SUBMITTING))
    task = asyncio.ensure_future(services.submissions.submit(request()))
    await wait_for(lambda: ("submit", ANY) in gr.calls)  # stored, and on the wire
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (left,) = services.store.submissions.list()
    assert left.state is SubmissionState.UNKNOWN
    gr.reconcile_script.append(StatusUpdate(state=SubmissionState.SUBMITTED))
    settled = await services.submissions.reconcile_pending()
    assert settled[0].state is SubmissionState.SUBMITTED
    assert [c[0] for c in gr.calls].count("submit") == 1


async def test_missing_key_fails_retryably_without_sending(services) -> None:
    await seed(services)
    sub = await services.submissions.submit(request())
    assert sub.state is SubmissionState.FAILED
    assert sub.failure.reason is FailureReason.SESSION
    assert "BIDDESK_API_KEY_GIGRADAR_MAIN" in sub.failure.describe()


async def test_answers_are_matched_to_questions(services, adapters) -> None:
    q = Question(id="1", text="Have you used D3?")
    await seed(services, make_opportunity(questions=(q,)))
    adapters[Platform.GIGRADAR].submit_script.append(ok(SubmissionState.SUBMITTING))
    sub = await services.submissions.submit(
        request(answers=(Answer(question_id="1", question=q.text, answer="Yes, for years."),))
    )
    assert sub.answers[0].answer == "Yes, for years."


async def test_fixed_bid_without_amount_is_refused(services, adapters) -> None:
    await seed(services)
    with pytest.raises(PolicyViolation, match="fixed-price bid needs an amount"):
        await services.submissions.submit(request(bid=FIXED))
