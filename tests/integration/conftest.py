"""The real clients and services against the real sandbox, over loopback sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.domain import Platform
from app.sandbox import Sandbox, SandboxConfig
from app.services.container import Services, open_services
from app.services.secrets import env_var_for

pytestmark = pytest.mark.integration

SPEED = 600.0
ACCOUNTS = {
    Platform.GIGRADAR: "gr",
    Platform.UPHUNT: "uh",
    Platform.GIGIAC: "gg",
}


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    config = SandboxConfig(
        seed=11,
        speed=SPEED,
        arrivals=False,
        timeout_hold=3.0,
        initial_opportunities=25,
        initial_tasks=20,
    )
    async with Sandbox(config) as sb:
        yield sb


def endpoint(sb: Sandbox, platform: Platform):
    return getattr(sb.info, platform.value)


@pytest.fixture
async def live(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Services]:
    """Services with one account per platform wired to the sandbox (keys from the
    environment, as on a machine without a keyring)."""
    services = open_services(tmp_path / "profile", adapter_options={"timeout": 1.0})
    for platform, name in ACCOUNTS.items():
        ep = endpoint(sandbox, platform)
        monkeypatch.setenv(env_var_for(name), ep.api_key)
        services.accounts.add(name, platform, api_key=None, base_url=ep.base_url, speed=SPEED)
    yield services
    await services.aclose()


@pytest.fixture
async def raw(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client for checking the sandbox's side of things."""
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{sandbox.info.port}", timeout=5
    ) as client:
        yield client
