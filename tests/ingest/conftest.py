"""Fixtures shared by the ingest tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.domain import Account, Platform
from app.services.container import Services, open_services


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    """A profile with one account per platform, pointing nowhere (nothing is polled)."""
    svc = open_services(tmp_path / "profile")
    for name, platform in (
        ("gr", Platform.GIGRADAR),
        ("uh", Platform.UPHUNT),
        ("gg", Platform.GIGIAC),
    ):
        svc.store.accounts.add(Account(name=name, platform=platform, base_url="http://127.0.0.1:9"))
    yield svc
    await svc.aclose()
