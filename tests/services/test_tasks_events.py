"""Task ownership and the event bus."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import pytest

from app.services.events import EventBus, OpportunitiesAdded, SubmissionChanged
from app.services.tasks import TaskManager
from tests.helpers.wait import wait_for


# The failure's log record is what this test checks.
@pytest.mark.allow_error_log("a task's failure is logged", logger="app.services.tasks")
async def test_failures_are_logged_when_they_happen(caplog: pytest.LogCaptureFixture) -> None:
    tasks = TaskManager()

    async def boom() -> None:
        raise RuntimeError("kaput")

    task = tasks.spawn(boom(), name="boom")
    await asyncio.gather(task, return_exceptions=True)
    await wait_for(
        lambda: any("boom" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    )
    assert not tasks.running("boom")
    await tasks.shutdown()


@pytest.mark.allow_error_log(
    "the failed task and the broken listener are logged on purpose", logger="app.services.tasks"
)
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


def forever() -> Coroutine[Any, Any, bool]:
    """Work that only ends when cancelled."""
    return asyncio.Event().wait()


async def test_replace_cancels_the_predecessor_and_shutdown_cancels_all() -> None:
    tasks = TaskManager()
    first = tasks.spawn(forever(), name="refresh")
    second = tasks.spawn(forever(), name="refresh", replace=True)
    await asyncio.wait([first])
    assert first.cancelled()
    same = tasks.spawn(forever(), name="refresh")
    assert same is second
    await tasks.shutdown(timeout=1)
    assert second.cancelled()
    assert tasks.names() == []
    with pytest.raises(RuntimeError):
        tasks.spawn(forever(), name="late")


# A subscriber that raises is logged and skipped: the log record is part of the contract.
@pytest.mark.allow_error_log("a failing subscriber is logged", logger="app.services.events")
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
