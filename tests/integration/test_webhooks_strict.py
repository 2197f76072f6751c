"""Webhooks against the documents-only sandbox (`biddesk sandbox --strict`): UpHunt and
Gigiac deliveries are plain unsigned POSTs to the account's token URL, UpHunt's bodies
carry only the event name (no `applicationStatus`), and nothing `[P]` is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.domain import Platform, SubmissionState
from app.ingest.realtime import Realtime, RealtimeConfig
from app.sandbox import Sandbox, SandboxConfig
from app.services.container import Services
from tests.integration.conftest import SPEED
from tests.integration.test_end_to_end import LETTER, request_for
from tests.integration.test_webhooks import dashboard, until

pytestmark = pytest.mark.integration


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """Overrides the shared one: the same world, documents only."""
    config = SandboxConfig(
        seed=11,
        speed=SPEED,
        arrivals=False,
        timeout_hold=3.0,
        initial_opportunities=25,
        initial_tasks=20,
        strict=True,
    )
    async with Sandbox(config) as sb:
        yield sb


@pytest.fixture
async def realtime(live: Services, sandbox: Sandbox) -> AsyncIterator[Realtime]:
    rt = Realtime.of(live, config=RealtimeConfig(enabled=True), dashboard_hook=dashboard(sandbox))
    await rt.start()
    await until(lambda: rt.healthy("gr"))
    yield rt
    await rt.stop()


async def test_an_unsigned_uphunt_failure_fails_its_submission(
    live: Services, sandbox: Sandbox, realtime: Realtime
) -> None:
    seen: list[dict[str, str]] = []
    original = sandbox.deliverer._headers

    def spy(event, target, body):  # type: ignore[no-untyped-def]
        headers = original(event, target, body)
        seen.append(dict(headers, body=body.decode()))
        return headers

    sandbox.deliverer._headers = spy  # type: ignore[method-assign]
    # Documents only: GigRadar lists no opportunities, so the job arrives by webhook.
    wire = sandbox.add_opportunity(title="Strict mode: a job by webhook")
    await until(lambda: live.store.opportunities.get(f"gigradar:{wire['id']}") is not None)
    opp = live.store.opportunities.get(f"gigradar:{wire['id']}")
    assert opp is not None
    sub = await live.submissions.submit(
        request_for(opp, LETTER + " [[sim:failed]]", via=Platform.UPHUNT)
    )
    await until(lambda: live.store.submissions.get(sub.id).state is SubmissionState.FAILED)
    uphunt = [h for h in seen if "application.failed" in h["body"]]
    assert uphunt, "the failure never went out as a webhook"
    assert all("Signature" not in k and "Event" not in k for h in uphunt for k in h)
    assert all("applicationStatus" not in h["body"] for h in uphunt)
    assert all("X-UpHunt-Delivery" in h for h in uphunt)  # documented: still sent
    assert realtime.receiver.stats.accepted >= 1
    assert sandbox.deliverer.dashboard["uphunt"].url.endswith(
        "/" + (realtime.keys.get("uh").token or "-")  # type: ignore[union-attr]
    )


async def test_an_unsigned_gigiac_task_lands_in_the_inbox(
    live: Services, sandbox: Sandbox, realtime: Realtime
) -> None:
    task = sandbox.add_task(title="Strict mode: a task by webhook")
    key = f"gigiac:{task['id']}"
    await until(lambda: live.store.opportunities.get(key) is not None)
    stored = live.store.opportunities.get(key)
    assert stored is not None and stored.title == "Strict mode: a task by webhook"
    assert realtime.healthy("gg")
    assert sandbox.deliverer.stats.retried == 0  # answered 200 the first time
