"""Defensive readers for the loosely typed JSON the three platforms send.

Platform payloads are documented only in part (platform-apis.md), so every reader here
accepts the shapes seen in the wild and returns None for anything odd instead of raising:
one strange field must never drop a whole opportunity. Shared by the adapters and by the
webhook parsers that reuse their normalizers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from app.platforms.errors import MalformedResponse

JsonObject = dict[str, Any]
T = TypeVar("T")

# Keys under which a list response may carry its items (platform-apis.md §1.5, §2.6, §3.5).
LIST_KEYS: tuple[str, ...] = (
    "items",
    "data",
    "tasks",
    "proposals",
    "jobs",
    "results",
    "scanners",
    "webhooks",
    "freelancers",
)
# Keys under which a single-object response may be wrapped (§3.5: `{"data": {...}}`).
ONE_KEYS: tuple[str, ...] = ("data", "task", "proposal", "item", "result")

# The errors a normalizer may raise on a payload it cannot use; anything else is a bug.
NORMALIZE_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    ValidationError,
)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list endpoint: the items, where to continue, and the total if known."""

    items: list[T]
    next_cursor: str | None = None
    total: int | None = None
    raw: JsonObject = field(default_factory=dict, repr=False)


def as_dict(value: object) -> JsonObject:
    """`value` if it is a JSON object, else an empty dict (so chained reads stay safe)."""
    return value if isinstance(value, dict) else {}


def dig(value: object, *path: str) -> Any:
    """`value[p0][p1]...`, or None as soon as a step is missing or not an object."""
    current: Any = value
    for key in path:
        if not isinstance(current, dict):
            return None
        current = current.get(key)
    return current


def first(*values: object) -> Any:
    """The first value that is not None (empty strings count as absent too)."""
    for value in values:
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        return value
    return None


def as_str(value: object) -> str | None:
    """A non-empty string, or a number rendered as one (ids are sometimes numeric)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None


def as_int(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def as_float(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if number == number and abs(number) != float("inf") else None


def as_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"true", "yes", "1", "verified"}:
            return True
        if text in {"false", "no", "0", "unverified"}:
            return False
    if isinstance(value, int):
        return bool(value)
    return None


def parse_datetime(value: object) -> datetime | None:
    """ISO 8601 (with `Z` or an offset; naive = UTC) or a unix timestamp in s or ms."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        seconds = float(value)
        if seconds > 1e11:  # epoch milliseconds (UpHunt appliedAt / processedAt)
            seconds /= 1000.0
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.lstrip("-").replace(".", "", 1).isdigit():
            return parse_datetime(float(text))
        try:
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def iso_z(moment: datetime) -> str:
    """`2025-10-28T11:00:00Z`: ISO 8601 in UTC with a `Z`, seconds precision."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def fraction(value: object) -> float | None:
    """A 0–1 share from a value that may be a fraction or a percentage (`85` → 0.85)."""
    number = as_float(value)
    if number is None or number < 0:
        return None
    if number > 1:
        number /= 100.0
    return number if number <= 1 else None


def json_number(amount: Decimal) -> int | float:
    """A money amount as a JSON number: an int when whole, else a float of its cents."""
    if amount == amount.to_integral_value():
        return int(amount)
    return float(amount)


def unwrap_list(data: object, keys: Sequence[str] = LIST_KEYS) -> list[Any]:
    """The items of a list response, whatever its wrapping.

    Accepts a bare array, `{"<key>": [...], ...}` for any of `keys` (`data`, `tasks`,
    `proposals`, `items`, ...), and one more level (`{"data": {"tasks": [...]}}`).
    Raises MalformedResponse when no list can be found.
    """
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in keys:
            value = data.get(key)
            if isinstance(value, list):
                return value
        for key in keys:
            value = data.get(key)
            if isinstance(value, dict):
                for inner in keys:
                    nested = value.get(inner)
                    if isinstance(nested, list):
                        return nested
    raise MalformedResponse(f"expected a list of items, got {_shape(data)}")


def unwrap_one(data: object, keys: Sequence[str] = ONE_KEYS) -> JsonObject:
    """The object of a single-object response: `{"data": {...}}`, `{"task": {...}}` or bare.

    Raises MalformedResponse when the body is not an object at all.
    """
    if isinstance(data, dict):
        for key in keys:
            value = data.get(key)
            if isinstance(value, dict):
                return value
        return data
    raise MalformedResponse(f"expected an object, got {_shape(data)}")


def list_total(data: object, *keys: str) -> int | None:
    """The total count a list response reports (`count`, `total`, ...), if any."""
    for key in keys or ("total", "count"):
        value = as_int(dig(data, key))
        if value is not None:
            return value
    return None


def normalize_items(
    items: Iterable[object],
    normalize: Callable[[JsonObject], T],
    *,
    what: str,
    log: logging.Logger,
) -> list[T]:
    """Normalize every item; skip (with a WARNING) those that fail.

    A page where every item fails is not "no news" but a format we no longer understand,
    so it raises MalformedResponse.
    """
    results: list[T] = []
    failures = 0
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            failures += 1
            log.warning("skipping %s #%d: not a JSON object (%s)", what, index, _shape(item))
            continue
        try:
            results.append(normalize(item))
        except NORMALIZE_ERRORS as exc:
            failures += 1
            ident = as_str(item.get("id")) or "?"
            log.warning("skipping %s #%d (id %s): %s", what, index, ident, _brief(exc))
    if failures and not results:
        raise MalformedResponse(f"none of the {failures} {what} items could be read")
    return results


def _shape(value: object) -> str:
    if isinstance(value, dict):
        return "an object with keys " + ", ".join(sorted(map(str, value))[:8])
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return type(value).__name__


def _brief(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
