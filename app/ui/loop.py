"""Yielding to the GUI loop between slices of work, under qasync."""

from __future__ import annotations

import asyncio


async def next_pass() -> None:
    """Let the loop run what is due (a frame, input, timers) before the next slice of
    work. Not `sleep(0)`: under qasync that is a zero-timer, and back-to-back zero-timers
    run ahead of timers already due (measured here: 20 ms slices joined by `sleep(0)` kept
    a 5 ms timer waiting 60 ms; joined by this, 25 ms)."""
    await asyncio.sleep(0.001)
