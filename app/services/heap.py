"""The C heap's free pages handed back to the system while the app runs (glibc only).

glibc keeps the pages of freed memory in the process unless they sit at the top of the
heap: a long session's transient large blocks (a webhook body parsed, a page of rows read,
the sandbox's world encoded each second at x120, SQLite's scratch) leave free pages behind
the blocks still in use, and the process's RSS keeps them. Measured in the window at
sandbox x120, trimmed each minute: 1.5-3.8 MB handed back by each `malloc_trim(0)`
(0.3-0.7 ms), RSS 3.9 MB below an untrimmed run's at minute 4. The inbox index trims after
a load (inbox_index.py); `trim_forever` does it once a minute for the rest of the session.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

TRIM_INTERVAL = 60.0  # seconds between two trims

_trim: Callable[[int], int] | None = None
_looked_up = False


def _malloc_trim() -> Callable[[int], int] | None:
    global _trim, _looked_up
    if not _looked_up:
        _looked_up = True
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        except OSError:
            return None
        _trim = getattr(libc, "malloc_trim", None)  # glibc only (not musl, macOS)
    return _trim


def trim() -> bool:
    """Hand the heap's free pages back to the system; False where there is no way to."""
    found = _malloc_trim()
    if found is None:
        return False
    found(0)
    return True


async def trim_forever(
    interval: float = TRIM_INTERVAL, trim_once: Callable[[], bool] = trim
) -> None:
    """`trim_once` every `interval` seconds until cancelled; stops where it cannot trim."""
    while True:
        await asyncio.sleep(interval)
        if not trim_once():
            log.debug("no malloc_trim here: the heap is not trimmed")
            return
