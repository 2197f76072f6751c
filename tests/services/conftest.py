"""A small real graph of services around a scripted adapter (no sockets)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.domain import (
    Account,
    JobKind,
    Opportunity,
    Platform,
    StatusUpdate,
    Submission,
)
from app.services.container import Services, open_services


@dataclass
class ScriptedAdapter:
    """Plays back what a test scripts; records every call."""

    platform: Platform
    account: str
    submit_script: list[Callable[[Submission], StatusUpdate]] = field(default_factory=list)
    poll_script: list[StatusUpdate | Exception] = field(default_factory=list)
    reconcile_script: list[StatusUpdate | Exception | None] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    seen_in_store: list[Any] = field(default_factory=list)
    store_probe: Callable[[Submission], Any] | None = None
    submit_gate: asyncio.Event | None = None
    closed: bool = False

    async def fetch_opportunities(self) -> list[Opportunity]:
        self.calls.append(("fetch", ""))
        return []

    async def get_opportunity(self, opportunity: Opportunity) -> Opportunity:
        return opportunity

    async def submit(self, submission: Submission, opportunity: Opportunity) -> StatusUpdate:
        self.calls.append(("submit", submission.id))
        if self.store_probe is not None:
            self.seen_in_store.append(self.store_probe(submission))
        if self.submit_gate is not None:
            await self.submit_gate.wait()
        step = self.submit_script.pop(0)
        return step(submission)

    async def poll(self, submission: Submission) -> StatusUpdate:
        self.calls.append(("poll", submission.id))
        step = self.poll_script.pop(0) if self.poll_script else StatusUpdate()
        if isinstance(step, Exception):
            raise step
        return step

    async def reconcile(
        self, submission: Submission, opportunity: Opportunity
    ) -> StatusUpdate | None:
        self.calls.append(("reconcile", submission.id))
        step = self.reconcile_script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    async def check_connection(self) -> str:
        return "ok"

    async def aclose(self) -> None:
        self.closed = True


def make_opportunity(
    platform: Platform = Platform.GIGRADAR,
    ext: str = "507f1f77bcf86cd799439011",
    upwork: str | None = "~01aaaabbbbccccdddd01",
    **kw: Any,
) -> Opportunity:
    base: dict[str, Any] = dict(
        platform=platform,
        external_id=ext,
        account=f"{platform.value}-main",
        upwork_job_id=upwork if platform is not Platform.GIGIAC else None,
        title="Build a React dashboard for logistics KPIs",
        description="We need a dashboard with charts and filters.",
        kind=JobKind.FIXED,
        budget=Decimal("1200.00"),
        skills=("React", "TypeScript"),
        context={"scanner_id": "scanner-1"} if platform is Platform.GIGRADAR else {},
    )
    base.update(kw)
    return Opportunity(**base)


LETTER = (
    "Hello, I have built several React dashboards for logistics teams, including live KPI "
    "charts, drill-down filters and exports. I can start this week and share a first "
    "version within days. Best regards, Alex"
)


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    svc = open_services(tmp_path / "profile")
    for platform in Platform:
        svc.store.accounts.add(
            Account(
                name=f"{platform.value}-main",
                platform=platform,
                base_url="http://127.0.0.1:9",
                speed=1000.0,
            )
        )
    yield svc
    await svc.aclose()


@pytest.fixture
def adapters(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> dict[Platform, ScriptedAdapter]:
    made = {p: ScriptedAdapter(platform=p, account=f"{p.value}-main") for p in Platform}

    def adapter(account: Account) -> ScriptedAdapter:
        return made[account.platform]

    async def aadapter(account: Account) -> ScriptedAdapter:
        return made[account.platform]

    monkeypatch.setattr(services.accounts, "adapter", adapter)
    monkeypatch.setattr(services.accounts, "aadapter", aadapter)
    return made
