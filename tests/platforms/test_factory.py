"""`create_adapter` builds the right client for each platform, honouring the account."""

from __future__ import annotations

import pytest

from app.domain import Account, Platform
from app.platforms import GigiacClient, GigRadarClient, UpHuntClient, create_adapter
from app.platforms.base import PlatformAdapter
from app.platforms.http import RateLimiter


@pytest.mark.parametrize(
    ("platform", "kind", "base"),
    [
        (Platform.GIGRADAR, GigRadarClient, "http://127.0.0.1:1/gigradar/public-api/v1"),
        (Platform.UPHUNT, UpHuntClient, "http://127.0.0.1:1/uphunt"),
        (Platform.GIGIAC, GigiacClient, "http://127.0.0.1:1/gigiac"),
    ],
)
async def test_create_adapter(platform: Platform, kind: type, base: str) -> None:
    account = Account(name=f"a-{platform.value}", platform=platform, base_url=base, speed=60)
    adapter = create_adapter(account, "secret-key-123", timeout=3.0)
    try:
        assert isinstance(adapter, kind)
        assert isinstance(adapter, PlatformAdapter)
        assert adapter.platform is platform
        assert adapter.account == account.name
        assert isinstance(adapter, GigRadarClient | UpHuntClient | GigiacClient)
        limiter = adapter.limiter
        assert isinstance(limiter, RateLimiter)
        assert limiter.speed == 60
    finally:
        await adapter.aclose()


async def test_create_adapter_passes_a_shared_limiter() -> None:
    account = Account(name="g", platform=Platform.GIGIAC, base_url="http://127.0.0.1:1/gigiac")
    limiter = RateLimiter({})
    adapter = create_adapter(account, "gig_abcdefgh", limiter=limiter)
    try:
        assert isinstance(adapter, GigiacClient)
        assert adapter.limiter is limiter
    finally:
        await adapter.aclose()
