"""Task ownership and the event bus."""

from __future__ import annotations

import asyncio
import logging

import pytest

from app.services.events import EventBus, OpportunitiesAdded, SubmissionChanged
from app.services.tasks import TaskManager


async def test_failures_are_logged_when_they_happen(caplog: pytest.LogCaptureFixture) -> None:
    tasks = TaskManager()

    async def boom() -> None:
        raise RuntimeError("kaput")

    task = tasks.spawn(boom(), name="boom")
    await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0)
    assert any("boom" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    assert not tasks.running("boom")
    await tasks.shutdown()


async def test_replace_cancels_the_predecessor_and_shutdown_cancels_all() -> None:
    tasks = TaskManager()
    first = tasks.spawn(asyncio.sleep(60), name="refresh")
    second = tasks.spawn(asyncio.sleep(60), name="refresh", replace=True)
    await asyncio.sleep(0)
    assert first.cancelled()
    same = tasks.spawn(asyncio.sleep(60), name="refresh")
    assert same is second
    await tasks.shutdown(timeout=1)
    assert second.cancelled()
    assert tasks.names() == []
    with pytest.raises(RuntimeError):
        tasks.spawn(asyncio.sleep(0), name="late")


def test_a_failing_subscriber_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    got: list[object] = []

    def bad(event: object) -> None:
        raise ValueError("broken view")

    bus.subscribe(None, bad)
    unsubscribe = bus.subscribe(OpportunitiesAdded, got.append)
    event = OpportunitiesAdded(())
    bus.publish(event)
    bus.publish(SubmissionChanged.__new__(SubmissionChanged))
    assert got == [event]
    assert "broken view" in caplog.text
    unsubscribe()
    bus.publish(event)
    assert got == [event]
