"""Fault injection: random faults from a `--faults` spec, and one-shot faults for tests.

Where each kind strikes matters to a client's at-most-once logic:

- `500`, `429`: answered BEFORE the handler runs, so nothing happened on the platform.
- `timeout`: the handler runs (the application exists), then the answer is held for
  `timeout_hold` seconds.
- `reset`: the handler runs, then the connection is aborted with no answer at all.
- `malformed`: the handler runs, then its 2xx answer is sent with a truncated JSON body.
"""

from __future__ import annotations

import logging
import random
from dataclasses import asdict, dataclass
from typing import Any

logger = logging.getLogger(__name__)

KINDS = ("429", "500", "timeout", "reset", "malformed")
BEFORE_HANDLER = frozenset({"429", "500"})
PLATFORMS = ("gigradar", "uphunt", "gigiac", "openai")
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault to apply to the current request."""

    kind: str
    retry_after: int | None = None
    one_shot: bool = False


@dataclass(slots=True)
class InjectedFault:
    kind: str
    platform: str | None = None
    method: str | None = None
    path_contains: str | None = None
    count: int = 1
    retry_after: int | None = None

    def matches(self, platform: str, method: str, path: str) -> bool:
        return (
            (self.platform is None or self.platform == platform)
            and (self.method is None or self.method == method)
            and (self.path_contains is None or self.path_contains in path)
        )


def normalize_kind(kind: object) -> str:
    text = str(kind).strip().lower()
    if text not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
    return text


def parse_spec(spec: str | None) -> dict[str, float]:
    """`"429=0.05,500=0.02,timeout=0.01"` -> {"429": 0.05, ...}; raises ValueError."""
    rates: dict[str, float] = {}
    if not spec or not spec.strip():
        return rates
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"fault spec item {part!r} is not KIND=PROBABILITY")
        kind = normalize_kind(name)
        try:
            probability = float(value)
        except ValueError:
            raise ValueError(f"fault probability {value!r} is not a number") from None
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"fault probability for {kind} must be within 0..1")
        rates[kind] = rates.get(kind, 0.0) + probability
    if sum(rates.values()) > 1.0 + 1e-9:
        raise ValueError("fault probabilities add up to more than 1")
    return rates


class FaultInjector:
    """Decides, per platform request, whether (and how) to misbehave."""

    def __init__(self, spec: str | None = None, seed: int = 0) -> None:
        # A stream of its own, so enabling faults never shifts the sandbox's data or
        # lifecycle randomness for the same seed.
        self._rng = random.Random(f"faults:{seed}")
        self._rates: dict[str, float] = {}
        self._cumulative: list[tuple[float, str]] = []
        self._injected: list[InjectedFault] = []
        self.set_spec(spec)

    @property
    def rates(self) -> dict[str, float]:
        return dict(self._rates)

    @property
    def pending(self) -> list[dict[str, Any]]:
        return [asdict(item) for item in self._injected]

    def set_spec(self, spec: str | None) -> None:
        self._rates = parse_spec(spec)
        total = 0.0
        self._cumulative = []
        for kind in KINDS:
            if self._rates.get(kind):
                total += self._rates[kind]
                self._cumulative.append((total, kind))

    def inject(
        self,
        kind: str,
        *,
        platform: str | None = None,
        method: str | None = None,
        path_contains: str | None = None,
        count: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Queue a deterministic fault for the next `count` matching requests."""
        if platform is not None and platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}")
        method_upper = method.upper() if method else None
        if method_upper is not None and method_upper not in METHODS:
            raise ValueError(f"unknown HTTP method {method!r}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError("count must be a positive integer")
        if retry_after is not None and (
            isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 1
        ):
            raise ValueError("retry_after must be a positive integer number of seconds")
        self._injected.append(
            InjectedFault(
                normalize_kind(kind), platform, method_upper, path_contains, count, retry_after
            )
        )

    def clear(self) -> None:
        """Drop every queued one-shot fault and turn random faults off."""
        self._injected.clear()
        self.set_spec(None)

    def pick(self, platform: str, method: str, path: str) -> Fault | None:
        for index, item in enumerate(self._injected):
            if item.matches(platform, method, path):
                item.count -= 1
                if item.count <= 0:
                    del self._injected[index]
                logger.info("sandbox: injected %s fault on %s %s", item.kind, method, path)
                return Fault(item.kind, item.retry_after, one_shot=True)
        if not self._cumulative:
            return None
        roll = self._rng.random()
        for bound, kind in self._cumulative:
            if roll < bound:
                logger.debug("sandbox: random %s fault on %s %s", kind, method, path)
                return Fault(kind)
        return None
