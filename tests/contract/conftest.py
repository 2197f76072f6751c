"""Fixtures for the contract suite: a sandbox on a free loopback port, and a raw HTTP client.

The suite talks HTTP with literal paths, headers and bodies taken from the seed documents
and platform-apis.md; it never imports the app's platform clients.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from app.sandbox import Sandbox, SandboxConfig

StartSandbox = Callable[..., Awaitable[Sandbox]]


@pytest.fixture
async def start_sandbox() -> AsyncIterator[StartSandbox]:
    """Start sandboxes with config overrides; every one is stopped after the test."""
    started: list[Sandbox] = []

    async def _start(**overrides: Any) -> Sandbox:
        overrides.setdefault("seed", 7)
        overrides.setdefault("arrivals", False)  # lists stay stable unless a test wants growth
        sandbox = Sandbox(SandboxConfig(**overrides))
        await sandbox.start()
        started.append(sandbox)
        return sandbox

    yield _start
    for sandbox in started:
        await sandbox.stop()


@pytest.fixture
async def sandbox(start_sandbox: StartSandbox) -> Sandbox:
    """A speed-1 sandbox: nothing moves on its own within a test."""
    return await start_sandbox()


@pytest.fixture
async def fast_sandbox(start_sandbox: StartSandbox) -> Sandbox:
    """Speed 600: a 60 s send latency takes 0.1 s, a 90 s UpHunt worker 0.15 s."""
    return await start_sandbox(speed=600)


# Building an SSL context costs ~0.2 s; the sandbox is plain http, so build one only once.
_TLS = ssl.create_default_context()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0, verify=_TLS) as client:
        yield client
