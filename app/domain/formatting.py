"""Short display texts for the inbox: money in cents, ages, client facts, skills.

Pure functions of plain values (integer cents, epoch seconds, stored JSON text): no Qt,
no Decimal on the hot path. The inbox formats thousands of cells a second with them, so
each is written for speed as much as for clarity; `money_text` equals `format_money` on
the same amount (a property test holds them together).
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic_core import from_json, to_json

__all__ = [
    "age_text",
    "amount_text",
    "client_facts_text",
    "client_tooltip_text",
    "compact_inner",
    "compact_money",
    "money_text",
    "rate_text",
    "skills_joined",
    "skills_json",
]

_MINUTE, _HOUR, _DAY = 60.0, 3600.0, 86400.0


def money_text(cents: int) -> str:
    """`format_money` for whole cents, without Decimal: "$1,200", "$42.50"."""
    dollars, rest = divmod(cents, 100)
    return f"${dollars:,}" if rest == 0 else f"${dollars:,}.{rest:02d}"


def amount_text(cents: int) -> str:
    """`money_text` without the dollar sign: the upper end of a range ("$40–70/h")."""
    dollars, rest = divmod(cents, 100)
    return f"{dollars:,}" if rest == 0 else f"{dollars:,}.{rest:02d}"


def rate_text(low: int, high: int) -> str:
    """An hourly rate range in cents: "$40–70/h", or "$40/h" when both ends agree."""
    if low == high:
        return f"{money_text(low)}/h"
    return f"{money_text(low)}–{amount_text(high)}/h"


def compact_money(cents: int) -> str:
    """A rounded amount for a narrow cell: "$950", "$12k", "$1.2M"."""
    dollars = cents / 100
    if dollars >= 999_500:
        return f"${dollars / 1_000_000:.1f}M".replace(".0M", "M")
    if dollars >= 1000:
        return f"${dollars / 1000:.0f}k"
    return f"${dollars:.0f}"


def age_text(seconds: float) -> str:
    """A compact age: "now", "12m", "3h", "2d"."""
    if seconds < _MINUTE:
        return "now"
    if seconds < _HOUR:
        return f"{int(seconds // _MINUTE)}m"
    if seconds < _DAY:
        return f"{int(seconds // _HOUR)}h"
    return f"{int(seconds // _DAY)}d"


def minutes_text(value: float | None) -> str:
    """A duration given in minutes, as the insights show it: "42 min", "3.5 h", "2.0 days";
    "—" when there is none."""
    if value is None:
        return "—"
    if value < 90:
        return f"{value:.0f} min"
    if value < 48 * 60:
        return f"{value / 60:.1f} h"
    return f"{value / 1440:.1f} days"


def client_facts_text(
    country: str | None, spend: int | None, hire_rate: float | None, verified: bool | None
) -> str:
    """A client in one line: "United States · $12k · 85% · ✓" (spend, hire rate, verified)."""
    parts = []
    if country:
        parts.append(country)
    if spend:
        parts.append(compact_money(spend))
    if hire_rate is not None:
        parts.append(f"{hire_rate:.0%}")
    if verified:
        parts.append("✓")
    return " · ".join(parts)


def client_tooltip_text(
    name: str | None,
    country: str | None,
    spend: int | None,
    hire_rate: float | None,
    verified: bool | None,
    rating: float | None,
    reviews: int | None,
) -> str:
    """Every known client fact, spelled out: "Acme (Germany) · spent $1,200 · ..."."""
    who = name or "Client"
    facts = [f"{who} ({country})" if country else who]
    if spend is not None:
        facts.append(f"spent {money_text(spend)}")
    if hire_rate is not None:
        facts.append(f"hire rate {hire_rate:.0%}")
    if verified is not None:
        facts.append("payment verified" if verified else "payment not verified")
    if rating is not None:
        count = f" ({reviews} reviews)" if reviews else ""
        facts.append(f"rated {rating:.1f}{count}")
    return " · ".join(facts)


def compact_inner(text: str) -> str | None:
    """The inside of a compact JSON list of non-empty, escape-free strings, or None.

    The store writes skills as `["React","Node.js"]`: without a backslash no name holds
    a quote, so the names are exactly the inside split on `","`.
    """
    if (
        len(text) > 4
        and text.startswith('["')
        and text.endswith('"]')
        and "\\" not in text
        and '""' not in text
    ):
        inner = text[2:-2]
        if inner.count('"') == 2 * inner.count('","'):
            return inner
    return None


def skills_joined(text: str, separator: str) -> str:
    """Stored skills JSON as the non-empty names joined by `separator`."""
    if text == "[]":
        return ""
    inner = compact_inner(text)
    if inner is not None:
        return inner.replace('","', separator)
    return separator.join(str(skill) for skill in from_json(text) if skill)


def skills_json(skills: Iterable[str]) -> str:
    """Skills as the store writes them: compact JSON, "[]" for none."""
    names = list(skills)
    return to_json(names).decode() if names else "[]"
