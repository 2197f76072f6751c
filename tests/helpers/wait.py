"""Waiting on a condition, never on a guess of how fast the machine is.

`wait_for` (in async code) and `wait_for_sync` (in plain code, e.g. a thread or a
subprocess doing the work) poll a predicate until it holds or a generous deadline passes.
The deadline only bounds a broken test; a passing test returns as soon as the condition
holds, so a busy machine makes it slower, never red.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

DEFAULT_TIMEOUT = 15.0
_INTERVAL = 0.01


def _fail(predicate: Callable[[], object], timeout: float, message: str | None) -> None:
    what = message or getattr(predicate, "__qualname__", repr(predicate))
    pytest.fail(f"condition not reached within {timeout:g} s: {what}")


async def wait_for(
    predicate: Callable[[], object],
    timeout: float = DEFAULT_TIMEOUT,
    message: str | None = None,
) -> None:
    """Let the running loop work until `predicate()` is true; fail after `timeout` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            _fail(predicate, timeout, message)
        await asyncio.sleep(_INTERVAL)


def wait_for_sync(
    predicate: Callable[[], object],
    timeout: float = DEFAULT_TIMEOUT,
    message: str | None = None,
) -> None:
    """Block until `predicate()` is true (the work happens in another thread or process)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            _fail(predicate, timeout, message)
        time.sleep(_INTERVAL)
