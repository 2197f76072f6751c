"""Money as `Decimal` US dollars: parsed at the platform boundary, never a float inside."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_money(value: object) -> Decimal | None:
    """Parse a platform amount (number, numeric string, Decimal) into dollars, or None.

    Platforms send floats (GigRadar, UpHunt), decimal strings (Gigiac) and zeros for
    "not stated"; a negative or non-numeric value is treated as absent, not as an error,
    because one odd field must not drop the whole opportunity.
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, float):
            amount = Decimal(repr(value))
        elif isinstance(value, int | Decimal):
            amount = Decimal(value)
        elif isinstance(value, str):
            text = value.strip().replace(",", "").lstrip("$")
            if not text:
                return None
            amount = Decimal(text)
        else:
            return None
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0:
        return None
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def cents_to_money(cents: object) -> Decimal | None:
    """Integer cents (Gigiac `budget_cents`) to dollars."""
    if cents is None or isinstance(cents, bool):
        return None
    try:
        amount = Decimal(int(str(cents))) / 100
    except (InvalidOperation, ValueError):
        return None
    return amount.quantize(CENT) if amount >= 0 else None


def format_money(amount: Decimal | None, *, per_hour: bool = False) -> str:
    """"$1,250" / "$42.50/h" for display; "—" when absent."""
    if amount is None:
        return "—"
    whole = amount == amount.to_integral_value()
    text = f"${amount:,.0f}" if whole else f"${amount:,.2f}"
    return f"{text}/h" if per_hour else text
