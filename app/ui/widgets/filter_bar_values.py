"""The filter bar's fields as text and back: money, percentages, durations, name lists."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

__all__ = [
    "count_of",
    "count_text",
    "decimal_of",
    "duration_text",
    "fraction_of",
    "money_text",
    "names_of",
    "names_text",
    "percent_text",
]

_HUNDRED = Decimal(100)


def duration_text(duration: timedelta) -> str:
    seconds = duration.total_seconds()
    if seconds % 86_400 == 0:
        return f"Last {int(seconds // 86_400)} days"
    if seconds % 3600 == 0:
        return f"Last {int(seconds // 3600)} hours"
    return f"Last {int(seconds // 60)} minutes"


def decimal_of(text: str) -> Decimal | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def count_of(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdecimal() else None


def count_text(value: int | None) -> str:
    return "" if value is None else str(value)


def fraction_of(text: str) -> float | None:
    """A percentage typed as "85" as the fraction 0.85 (capped at 100%)."""
    value = decimal_of(text)
    return None if value is None else float(min(value, _HUNDRED) / _HUNDRED)


def money_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def percent_text(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.4g}"


def names_of(text: str) -> frozenset[str]:
    return frozenset(name.strip() for name in text.split(",") if name.strip())


def names_text(names: frozenset[str]) -> str:
    return ", ".join(sorted(name.title() for name in names))
