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


async def test_failures_reach_the_listeners_with_their_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The window listens to show a failure; a broken listener is logged, not raised."""
    tasks = TaskManager()
    heard: list[tuple[str, BaseException]] = []

    def broken(name: str, exc: BaseException) -> None:
        raise ValueError("the listener broke")

    tasks.add_failure_listener(broken)
    unlisten = tasks.add_failure_listener(lambda name, exc: heard.append((name, exc)))

    async def boom() -> None:
        raise RuntimeError("kaput")

    await asyncio.gather(tasks.spawn(boom(), name="boom"), return_exceptions=True)
    await asyncio.gather(tasks.spawn(asyncio.sleep(0), name="fine"), return_exceptions=True)
    cancelled = tasks.spawn(asyncio.sleep(60), name="cancelled")
    cancelled.cancel()
    await asyncio.gather(cancelled, return_exceptions=True)
    await asyncio.sleep(0)
    assert [(name, str(exc)) for name, exc in heard] == [("boom", "kaput")]
    failed = [r for r in caplog.records if "background task boom failed" in r.getMessage()]
    assert failed and failed[0].exc_info is not None
    assert "the listener broke" in caplog.text
    unlisten()
    await asyncio.gather(tasks.spawn(boom(), name="boom"), return_exceptions=True)
    await asyncio.sleep(0)
    assert len(heard) == 1
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
