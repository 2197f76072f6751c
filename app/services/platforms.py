"""The platform specs as the window reads them, so app/ui never imports app.platforms.

What a route accepts and shows (bid kinds, route fields, label, colour) is the platform's
to say (app/platforms/spec.py); this module only hands it on.
"""

from __future__ import annotations

from app.domain import Platform
from app.platforms import SPECS
from app.platforms.spec import PlatformSpec, RouteField

__all__ = ["SPECS", "PlatformSpec", "RouteField", "spec_for"]


def spec_for(platform: Platform) -> PlatformSpec:
    return SPECS[platform]
