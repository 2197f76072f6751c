"""Hypothesis profiles: fast by default, thorough on request.

`BIDDESK_HYPOTHESIS=thorough python -m pytest` runs every property test with ten times
its examples (before a release, or after touching the filters, money or the state
machine). Neither profile has a deadline: on a machine shared with other work an example
can take seconds, and that is not a bug. No example database is written to the tree.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

ENV = "BIDDESK_HYPOTHESIS"
FAST = "fast"
THOROUGH = "thorough"
_SCALE = {FAST: 1, THOROUGH: 10}


def active() -> str:
    name = os.environ.get(ENV, FAST).strip().lower() or FAST
    if name not in _SCALE:
        raise ValueError(f"{ENV} is {name!r}; use {FAST!r} or {THOROUGH!r}")
    return name


def register() -> None:
    common = {
        "deadline": None,
        "database": None,
        # A busy machine makes data generation slow too; that is not the test's fault.
        "suppress_health_check": [HealthCheck.too_slow],
    }
    settings.register_profile(FAST, max_examples=100, **common)
    settings.register_profile(THOROUGH, max_examples=1000, **common)
    settings.load_profile(active())


def examples(n: int) -> int:
    """`n` examples in the fast profile, ten times as many in the thorough one: for tests
    that pick their own count because one example is cheap (more) or costly (fewer)."""
    return n * _SCALE[active()]
