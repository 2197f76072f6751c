"""Platform clients: one adapter per platform behind the `PlatformAdapter` protocol.

`create_adapter(account, api_key)` builds the right client for an account; services only
ever see the protocol (app/platforms/base.py) and the typed errors (errors.py).
"""

from __future__ import annotations

from typing import Any

from app.domain import Account, Platform
from app.platforms import gigiac, gigradar, uphunt
from app.platforms.base import PlatformAdapter
from app.platforms.gigiac import GigiacClient
from app.platforms.gigradar import GigRadarClient
from app.platforms.spec import PlatformSpec, RouteField
from app.platforms.uphunt import UpHuntClient
from app.platforms.webhook import WebhookSpec

__all__ = [
    "SPECS",
    "WEBHOOKS",
    "GigRadarClient",
    "GigiacClient",
    "PlatformAdapter",
    "PlatformSpec",
    "RouteField",
    "UpHuntClient",
    "create_adapter",
]

# What each platform is to BidDesk: feed, budget, bids, route fields (app/platforms/spec.py).
SPECS: dict[Platform, PlatformSpec] = {
    Platform.GIGRADAR: gigradar.SPEC,
    Platform.UPHUNT: uphunt.SPEC,
    Platform.GIGIAC: gigiac.SPEC,
}

# What each platform's webhooks look like (app/platforms/webhook.py).
WEBHOOKS: dict[Platform, WebhookSpec] = {
    Platform.GIGRADAR: gigradar.WEBHOOK,
    Platform.UPHUNT: uphunt.WEBHOOK,
    Platform.GIGIAC: gigiac.WEBHOOK,
}

_CLIENTS: dict[Platform, type[GigRadarClient] | type[UpHuntClient] | type[GigiacClient]] = {
    Platform.GIGRADAR: GigRadarClient,
    Platform.UPHUNT: UpHuntClient,
    Platform.GIGIAC: GigiacClient,
}


def create_adapter(account: Account, api_key: str, **kw: Any) -> PlatformAdapter:
    """The client for `account.platform`; `kw` (transport, limiter, timeout, retry...) is
    passed through to its constructor."""
    client: PlatformAdapter = _CLIENTS[account.platform](account, api_key, **kw)
    return client
