"""Helpers for the contract suite: polling and format checks taken from the documents."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
CIPHERTEXT = re.compile(r"^~0[12][0-9a-f]{18}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
NUMERIC = re.compile(r"^[1-9][0-9]*$")


def is_iso(value: Any) -> bool:
    """An ISO 8601 date-time with a zone (Z or an offset)."""
    if not isinstance(value, str):
        return False
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return stamp.tzinfo is not None


def iso_seconds(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, within: float = 8.0, interval: float = 0.05
) -> Any:
    """Poll `probe` until it returns something truthy; fail with the last value otherwise."""
    deadline = time.monotonic() + within
    last: Any = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {within}s; last value: {last!r}")
