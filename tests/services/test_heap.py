"""The heap's free pages handed back while a session runs (app/services/heap.py)."""

from __future__ import annotations

import asyncio
import os

import pytest

from app.services import heap


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


@pytest.mark.skipif(heap._malloc_trim() is None, reason="glibc's malloc_trim only")
def test_a_trim_hands_back_the_pages_freed_between_blocks_in_use() -> None:
    # Blocks of a page each from malloc's heap (past pymalloc's 512 bytes, below the mmap
    # threshold); one in 50 kept, so the free ones are not at the heap's top and glibc
    # keeps their pages until a trim.
    blocks = [bytearray(4000) for _ in range(20_000)]  # ~80 MB touched
    kept = blocks[::50]
    del blocks
    before = _rss_mb()
    assert heap.trim()
    after = _rss_mb()
    assert before - after > 30, (before, after)
    assert len(kept) == 400


async def test_the_session_trims_every_interval_until_cancelled() -> None:
    trims = 0
    third = asyncio.Event()

    def trim_once() -> bool:
        nonlocal trims
        trims += 1
        if trims == 3:
            third.set()
        return True

    task = asyncio.create_task(heap.trim_forever(0.001, trim_once))
    await asyncio.wait_for(third.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert trims >= 3


async def test_where_there_is_no_trim_the_loop_ends() -> None:
    calls: list[int] = []

    def cannot() -> bool:
        calls.append(1)
        return False

    await asyncio.wait_for(heap.trim_forever(0.001, cannot), 10)
    assert calls == [1]
