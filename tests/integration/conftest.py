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


def sandbox_config(*, strict: bool = False) -> SandboxConfig:
    return SandboxConfig(
        seed=11,
        speed=SPEED,
        arrivals=False,
        timeout_hold=3.0,
        initial_opportunities=25,
        initial_tasks=20,
        strict=strict,
    )


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(sandbox_config()) as sb:
        yield sb


@pytest.fixture
async def strict_sandbox() -> AsyncIterator[Sandbox]:
    """Documents only: what the three platform documents describe, nothing `[P]`."""
    async with Sandbox(sandbox_config(strict=True)) as sb:
        yield sb


@pytest.fixture(params=["default", "strict"])
async def each_sandbox(request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    """The test runs twice: against the full sandbox and the documents-only one."""
    async with Sandbox(sandbox_config(strict=request.param == "strict")) as sb:
        yield sb


def wire_services(
    sb: Sandbox, directory: Path, monkeypatch: pytest.MonkeyPatch, **options: object
) -> Services:
    """Services on `directory` with one account per platform wired to `sb`."""
    services = open_services(directory, adapter_options={"timeout": 1.0, **options})
    for platform, name in ACCOUNTS.items():
        ep = endpoint(sb, platform)
        monkeypatch.setenv(env_var_for(name), ep.api_key)
        services.accounts.add(name, platform, api_key=None, base_url=ep.base_url, speed=SPEED)
    return services


def endpoint(sb: Sandbox, platform: Platform):
    return getattr(sb.info, platform.value)


@pytest.fixture
async def live(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Services]:
    """Services with one account per platform wired to the sandbox (keys from the
    environment, as on a machine without a keyring)."""
    services = wire_services(sandbox, tmp_path / "profile", monkeypatch)
    yield services
    await services.aclose()


@pytest.fixture
async def live_each(
    each_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Services]:
    """`live`, once against the full sandbox and once against the documents-only one."""
    services = wire_services(each_sandbox, tmp_path / "profile", monkeypatch)
    yield services
    await services.aclose()


@pytest.fixture
async def raw(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client for checking the sandbox's side of things."""
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{sandbox.info.port}", timeout=5
    ) as client:
        yield client
