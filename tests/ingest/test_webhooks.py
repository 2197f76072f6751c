"""The webhook receiver over loopback: auth, bounds, parsing, dedupe, forward-only updates."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.domain import Outcome, Platform, SubmissionState
from app.ingest import webhooks
from app.ingest.webhooks import (
    BATCH,
    HookCredentials,
    WebhookProcessor,
    WebhookReceiver,
    hook_path,
    sign,
)
from app.platforms.gigiac import normalize_task
from app.sandbox import Sandbox, SandboxConfig
from app.services.container import Services
from app.services.events import CreditsLow, OpportunitiesAdded
from tests.helpers.wait import wait_for
from tests.store.factories import submission

CREDS = {
    "gr": HookCredentials(username="biddesk-test", password="s3cret-pass", token="gr-tok-123"),
    # UpHunt with a signing secret the user added: the token AND a signature are required.
    "uh": HookCredentials(secret="uphunt-signing-secret", token="uh-tok-456"),
    # Gigiac out of the box: the URL's token alone.
    "gg": HookCredentials(token="gg-tok-789"),
}


@pytest.fixture
def world() -> Sandbox:
    """Not started: only its generators, for realistic payloads."""
    return Sandbox(SandboxConfig(seed=5, arrivals=False, initial_opportunities=3))


@pytest.fixture
async def receiver(services: Services) -> AsyncIterator[WebhookReceiver]:
    processor = WebhookProcessor(services.store, services.inbox, services.submissions, services.bus)
    rx = WebhookReceiver(
        services.store, processor, services.accounts, CREDS.get, max_body=64 * 1024
    )
    await rx.start()
    yield rx
    await rx.stop()


@pytest.fixture
async def http(receiver: WebhookReceiver) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=receiver.base_url, timeout=5) as client:
        yield client


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


GR_AUTH = {"Authorization": basic("biddesk-test", "s3cret-pass")}


def body(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope).encode()


async def post_gr(http: httpx.AsyncClient, envelope: dict[str, Any], **headers: str):
    return await http.post(
        hook_path(Platform.GIGRADAR, "gr"),
        content=body(envelope),
        headers={"Content-Type": "application/json", **GR_AUTH, **headers},
    )


async def post_signed(
    http: httpx.AsyncClient,
    platform: Platform,
    account: str,
    envelope: dict[str, Any],
    **headers: str,
):
    raw = body(envelope)
    header = "X-UpHunt-Signature" if platform is Platform.UPHUNT else "X-Gigiac-Signature"
    signature = {header: sign(CREDS[account].secret or "", raw)} if CREDS[account].secret else {}
    return await http.post(
        hook_path(platform, account, CREDS[account].token),
        content=raw,
        headers={"Content-Type": "application/json", **signature, **headers},
    )


def created(world: Sandbox) -> dict[str, Any]:
    return {"type": "GIGRADAR.OPPORTUNITY.CREATE", "data": world.add_opportunity()}


# -- GigRadar -----------------------------------------------------------------------------


async def test_a_new_opportunity_is_stored_and_announced(
    services: Services, receiver: WebhookReceiver, http: httpx.AsyncClient, world: Sandbox
) -> None:
    added: list[OpportunitiesAdded] = []
    services.bus.subscribe(OpportunitiesAdded, added.append)
    envelope = created(world)
    r = await post_gr(http, envelope)
    assert r.status_code == 200
    await receiver.wait_idle()
    key = f"gigradar:{envelope['data']['id']}"
    stored = services.store.opportunities.get(key)
    assert stored is not None and stored.title == envelope["data"]["title"]
    assert stored.account == "gr"
    assert [o.key for event in added for o in event.opportunities] == [key]
    assert services.store.webhooks.pending() == []  # processed, so not replayed


@pytest.mark.parametrize(
    "auth",
    [
        None,
        basic("biddesk-test", "wrong"),
        basic("someone", "s3cret-pass"),
        "Bearer s3cret-pass",
        "Basic !!",
    ],
)
async def test_bad_credentials_are_refused_and_nothing_is_stored(
    services: Services, receiver: WebhookReceiver, http: httpx.AsyncClient, world: Sandbox, auth
) -> None:
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    r = await http.post(
        hook_path(Platform.GIGRADAR, "gr"), content=body(created(world)), headers=headers
    )
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Basic")
    assert services.store.webhooks.recent() == []
    assert services.store.opportunities.count() == 0


async def test_oversized_wrong_type_and_malformed_bodies(
    services: Services, receiver: WebhookReceiver, http: httpx.AsyncClient
) -> None:
    path = hook_path(Platform.GIGRADAR, "gr")
    big = b'{"type": "GIGRADAR.OPPORTUNITY.CREATE", "data": {"x": "' + b"a" * 70_000 + b'"}}'
    r = await http.post(path, content=big, headers={"Content-Type": "application/json", **GR_AUTH})
    assert r.status_code == 413
    # Authenticated but unreadable: 200 (GigRadar asks for 200 even on errors, to prevent
    # retry storms), kept for inspection with the reason, never processed.
    r = await http.post(path, content=b"type=x", headers={"Content-Type": "text/plain", **GR_AUTH})
    assert r.status_code == 200
    r = await http.post(
        path,
        content=b'{"type": "GIGRADAR.OPPOR',
        headers={"Content-Type": "application/json", **GR_AUTH},
    )
    assert r.status_code == 200
    r = await http.post(
        path,
        content=b'{"type": "GIGRADAR.OPPORTUNITY.CREATE", "data": 3}',
        headers={"Content-Type": "application/json", **GR_AUTH},
    )
    assert r.status_code == 200
    kept = services.store.webhooks.recent()
    reasons = {d.unreadable_reason for d in kept}
    assert None not in reasons and len(kept) == 3
    assert any("text/plain" in r for r in reasons if r)
    assert any("not JSON" in r for r in reasons if r)
    assert any("data" in r for r in reasons if r)
    assert b'{"type": "GIGRADAR.OPPOR' in {bytes(d.raw) for d in kept}
    assert services.store.webhooks.pending() == []
    assert services.store.opportunities.count() == 0
    assert receiver.stats.rejected == {413: 1}
    assert receiver.stats.unreadable == 3
    summary = services.store.webhooks.unreadable()
    assert summary.count == 3 and summary.latest_reason in reasons


async def test_unknown_account_or_platform_is_404(http: httpx.AsyncClient, world: Sandbox) -> None:
    for path in ("/hooks/gigradar/nobody", "/hooks/upwork/gr", hook_path(Platform.GIGIAC, "gr")):
        r = await http.post(
            path,
            content=body(created(world)),
            headers={"Content-Type": "application/json", **GR_AUTH},
        )
        assert r.status_code == 404, path


async def test_duplicates_are_stored_and_processed_once(
    services: Services, receiver: WebhookReceiver, http: httpx.AsyncClient, world: Sandbox
) -> None:
    added: list[OpportunitiesAdded] = []
    services.bus.subscribe(OpportunitiesAdded, added.append)
    envelope = created(world)
    answers = await asyncio.gather(*(post_gr(http, envelope) for _ in range(5)))
    assert [r.status_code for r in answers] == [200] * 5
    assert sum(r.json().get("duplicate", False) for r in answers) == 4
    await receiver.wait_idle()
    assert len(services.store.webhooks.recent()) == 1
    assert len(added) == 1
    assert services.store.opportunities.count() == 1


def proposal_update(opp_id: str, **fields: Any) -> dict[str, Any]:
    data = {
        "id": opp_id,
        "opportunityId": opp_id,
        "scannerId": "s1",
        "jobId": "~01aa",
        "proposalId": None,
        "sent": None,
        "scheduledAt": "2020-01-01T00:00:00Z",
        "error": False,
        "errorCode": None,
        "errorMessage": None,
        "proposal": None,
    }
    data.update(fields)
    return {"type": "GIGRADAR.PROPOSAL.UPDATE", "data": data}


async def test_out_of_order_proposal_updates_never_move_a_submission_back(
    services: Services, receiver: WebhookReceiver, http: httpx.AsyncClient
) -> None:
    sub = submission(
        "upwork:~01aa",
        state=SubmissionState.SUBMITTING,
        opportunity_key="gigradar:opp-1",
        account="gr",
    )
    services.store.submissions.insert(sub)
    sent = proposal_update(
        "opp-1",
        proposalId="1691063615321939969",
        sent="2025-10-28T11:00:41Z",
        proposal={"status": "SUBMITTED", "statusCode": 2, "replied": False},
    )
    won = proposal_update(
        "opp-1",
        proposalId="1691063615321939969",
        sent="2025-10-28T11:00:41Z",
        proposal={"status": "OFFER_WON", "statusCode": 9, "replied": True},
    )
    # The later event first, then the earlier ones, then a stale failure.
    for envelope in (
        won,
        sent,
        proposal_update("opp-1"),
        proposal_update("opp-1", error=True, errorCode=234),
    ):
        assert (await post_gr(http, envelope)).status_code == 200
    await receiver.wait_idle()
    final = services.store.submissions.get(sub.id)
    assert final is not None
    assert final.state is SubmissionState.SUBMITTED
    assert final.outcome is Outcome.ACCEPTED
    assert final.refs["proposal_id"] == "1691063615321939969"
    assert final.history[-1].via == "webhook"


# -- UpHunt and Gigiac ---------------------------------------------------------------------


def uphunt_event(queue_id: str, status: str, *, delivery: str) -> dict[str, Any]:
    return {
        "event": "application.applied" if status == "applied" else "application.failed",
        "deliveryId": delivery,
        "createdAt": "2025-11-21T16:00:00.000Z",
        "data": {
            "queueId": queue_id,
            "jobId": "~01bb",
            "applicationStatus": status,
            "applicationStatusMessage": "done",
            "appliedAt": 1732204800000,
            "errorMessage": None,
        },
    }


async def test_uphunt_signed_delivery_settles_the_submission_and_stops_its_polling(
    services: Services, receiver: WebhookReceiver, http: httpx.AsyncClient
) -> None:
    sub = submission(
        "upwork:~01bb",
        state=SubmissionState.SUBMITTING,
        platform=Platform.UPHUNT,
        opportunity_key="gigradar:opp-2",
        account="uh",
        refs={"queue_id": "queue_1"},
    )
    services.store.submissions.insert(sub)
    polling = asyncio.Event()
    services.tasks.spawn(polling.wait(), name=f"track:{sub.id}")
    envelope = uphunt_event("queue_1", "applied", delivery="dlv_1")
    bad = await post_signed(
        http, Platform.UPHUNT, "uh", envelope, **{"X-UpHunt-Signature": "sha256=00"}
    )
    assert bad.status_code == 401
    assert services.store.submissions.get(sub.id).state is SubmissionState.SUBMITTING  # type: ignore[union-attr]
    r = await post_signed(http, Platform.UPHUNT, "uh", envelope, **{"X-UpHunt-Delivery": "dlv_1"})
    assert r.status_code == 200
    await receiver.wait_idle()
    done = services.store.submissions.get(sub.id)
    assert done is not None and done.state is SubmissionState.SUBMITTED
    # The polling task takes its cancellation on a later turn of the loop.
    await wait_for(lambda: not services.tasks.running(f"track:{sub.id}"))
    # A late "failed" for the same job changes nothing.
    late = uphunt_event("queue_1", "failed", delivery="dlv_2")
    assert (await post_signed(http, Platform.UPHUNT, "uh", late)).status_code == 200
    await receiver.wait_idle()
    assert services.store.submissions.get(sub.id).state is SubmissionState.SUBMITTED  # type: ignore[union-attr]


async def test_gigiac_accepts_low_balance_and_a_summary_never_overwrites_a_full_task(
    services: Services, receiver: WebhookReceiver, http: httpx.AsyncClient, world: Sandbox
) -> None:
    sub = submission(
        "gigiac:task-9",
        state=SubmissionState.SUBMITTED,
        platform=Platform.GIGIAC,
        opportunity_key="gigiac:task-9",
        account="gg",
        refs={"proposal_id": "p-9"},
    )
    services.store.submissions.insert(sub)
    lows: list[CreditsLow] = []
    services.bus.subscribe(CreditsLow, lows.append)
    accepted = {
        "event": "proposal.accepted",
        "timestamp": "2025-11-21 16:00:00+00",
        "data": {
            "proposal_id": "p-9",
            "task_id": "task-9",
            "task_title": "Logo",
            "proposed_amount": 50,
        },
    }
    low = {
        "event": "credits.low_balance",
        "timestamp": "2025-11-21 16:01:00+00",
        "data": {"balance_cents": 120, "threshold_cents": 500},
    }
    # A full task stored by a poll, then its `task.created` summary arrives late.
    task = world.add_task()
    await services.inbox.ingest([normalize_task(task, account="gg")])
    summary = world.events.since(0, type_="task.created")[-1].envelope()
    for envelope in (accepted, low, summary):
        assert (await post_signed(http, Platform.GIGIAC, "gg", envelope)).status_code == 200
    await receiver.wait_idle()
    done = services.store.submissions.get(sub.id)
    assert done is not None and done.outcome is Outcome.ACCEPTED
    assert lows == [CreditsLow("gg", 120, 500)]
    stored = services.store.opportunities.get(f"gigiac:{task['id']}")
    assert stored is not None and stored.description == task["description"]


async def test_gigiac_new_task_arrives_through_its_webhook(
    services: Services, receiver: WebhookReceiver, http: httpx.AsyncClient, world: Sandbox
) -> None:
    task = world.add_task()
    envelope = world.events.since(0, type_="task.created")[-1].envelope()
    r = await post_signed(http, Platform.GIGIAC, "gg", envelope)
    assert r.status_code == 200
    await receiver.wait_idle()
    stored = services.store.opportunities.get(f"gigiac:{task['id']}")
    assert stored is not None and stored.title == task["title"]


async def test_deliveries_answered_before_a_crash_are_processed_on_the_next_start(
    services: Services, world: Sandbox
) -> None:
    # More than two slices' worth: the backlog is applied a slice per turn of the loop.
    envelopes = [created(world) for _ in range(2 * BATCH + 5)]
    for envelope in envelopes:
        services.store.webhooks.record(
            Platform.GIGRADAR,
            f"gr/GIGRADAR.OPPORTUNITY.CREATE:{envelope['data']['id']}",
            body(envelope),
            account="gr",
            event="GIGRADAR.OPPORTUNITY.CREATE",
            processed=False,
        )
    processor = WebhookProcessor(services.store, services.inbox, services.submissions, services.bus)
    rx = WebhookReceiver(services.store, processor, services.accounts, CREDS.get)
    await rx.start()
    try:
        await rx.wait_idle()
    finally:
        await rx.stop()
    keys = [f"gigradar:{envelope['data']['id']}" for envelope in envelopes]
    assert len(services.store.opportunities.get_many(keys)) == len(envelopes)
    assert services.store.webhooks.pending() == []


async def test_a_burst_leaves_the_loop_a_turn_between_slices(
    services: Services, world: Sandbox, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each delivery takes >= 2 ms to record (a slow disk): without slicing, one turn of the
    # loop would answer every delivery that arrived together; with it, a turn stops after
    # about SLICE and the window gets to paint and read input.
    loop = asyncio.get_running_loop()
    turn = [0]

    def tick() -> None:
        turn[0] += 1
        loop.call_soon(tick)

    per_turn: Counter[int] = Counter()
    record = services.store.webhooks.record

    def slow_record(*args: Any, **kwargs: Any) -> bool:
        per_turn[turn[0]] += 1
        time.sleep(0.002)
        return record(*args, **kwargs)

    monkeypatch.setattr(services.store.webhooks, "record", slow_record)
    envelopes = [created(world) for _ in range(24)]
    connections = [await asyncio.open_connection("127.0.0.1", receiver.port) for _ in envelopes]
    loop.call_soon(tick)
    # All 24 sent at once, as 24 connections of a platform's burst do.
    for (_, writer), envelope in zip(connections, envelopes, strict=True):
        raw = body(envelope)
        head = "".join(
            f"{name}: {value}\r\n"
            for name, value in {
                "Host": f"127.0.0.1:{receiver.port}",
                "Content-Type": "application/json",
                "Content-Length": str(len(raw)),
                **GR_AUTH,
            }.items()
        )
        path = hook_path(Platform.GIGRADAR, "gr")
        writer.write(f"POST {path} HTTP/1.1\r\n{head}\r\n".encode() + raw)
    statuses = [(await reader.readline()).split()[1] for reader, _ in connections]
    for _, writer in connections:
        writer.close()
    await receiver.wait_idle()
    assert statuses == [b"200"] * 24
    assert sum(per_turn.values()) == 24
    # ~5 ms a turn: two or three 2 ms deliveries, never the whole burst (24 without it).
    assert max(per_turn.values()) <= 4
    keys = [f"gigradar:{e['data']['id']}" for e in envelopes]
    assert len(services.store.opportunities.get_many(keys)) == 24


async def test_a_delivery_is_answered_while_the_one_before_it_on_its_connection_is_applied(
    services: Services, world: Sandbox, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A platform reuses its connections: the next delivery on one follows the answer to
    # the last. Applying the first (slow here, held until the second is answered) must
    # not hold the second back: aiohttp reads a connection's next request only once the
    # handler of the last one returns.
    monkeypatch.setattr(webhooks, "COALESCE", 0.0)  # due at once: applied right after
    applying, release = asyncio.Event(), asyncio.Event()
    process = receiver.processor.process

    async def held(batch: Any) -> Any:
        applying.set()
        await release.wait()
        return await process(batch)

    monkeypatch.setattr(receiver.processor, "process", held)
    first, second = created(world), created(world)
    one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=receiver.base_url, timeout=5, limits=one) as http:
        assert (await post_gr(http, first)).status_code == 200
        await asyncio.wait_for(applying.wait(), 5)
        answer = await asyncio.wait_for(post_gr(http, second), 3)  # the same connection
        assert answer.status_code == 200
        assert not release.is_set()  # answered while the first was still being applied
        release.set()
    await receiver.wait_idle()
    keys = [f"gigradar:{e['data']['id']}" for e in (first, second)]
    assert len(services.store.opportunities.get_many(keys)) == 2


def test_credentials_never_show_in_their_repr() -> None:
    text = repr(CREDS["gr"]) + repr(CREDS["uh"])
    assert "s3cret" not in text and "signing-secret" not in text


async def test_a_sender_that_hangs_up_mid_body_is_no_error(
    receiver: WebhookReceiver, services: Services, world: Sandbox
) -> None:
    """A platform whose client times out (or stops) mid-delivery: nothing is stored, and
    the receiver logs no error (the autouse check in tests/conftest.py fails on one)."""
    raw = body(created(world))
    reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
    head = "".join(
        f"{name}: {value}\r\n"
        for name, value in {
            "Host": f"127.0.0.1:{receiver.port}",
            "Content-Type": "application/json",
            "Content-Length": str(len(raw)),
            **GR_AUTH,
        }.items()
    )
    writer.write(f"POST {hook_path(Platform.GIGRADAR, 'gr')} HTTP/1.1\r\n{head}\r\n".encode())
    writer.write(raw[: len(raw) // 2])
    await writer.drain()
    writer.close()  # gone before the rest of the body
    await writer.wait_closed()
    assert await reader.read() == b""
    # A whole delivery after it is stored: the receiver is past the broken one.
    response = await post_signed_gigradar(receiver, created(world))
    assert response.status_code == 200
    await receiver.wait_idle()
    assert [d.event for d in services.store.webhooks.recent(10)] == ["GIGRADAR.OPPORTUNITY.CREATE"]


async def post_signed_gigradar(receiver: WebhookReceiver, envelope: dict[str, Any]) -> Any:
    async with httpx.AsyncClient(base_url=receiver.base_url, timeout=5) as client:
        return await client.post(
            hook_path(Platform.GIGRADAR, "gr"),
            content=body(envelope),
            headers={"Content-Type": "application/json", **GR_AUTH},
        )
