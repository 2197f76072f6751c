"""Money as `Decimal` US dollars: parsed at the platform boundary, never a float inside."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def _as_decimal(value: object) -> Decimal | None:
    """A platform number (int, float, Decimal or numeric string) as a Decimal, or None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, float):
            # repr() is the shortest string that round-trips: 0.1 + 0.2 -> "0.30000000000000004".
            return Decimal(repr(value))
        if isinstance(value, int | Decimal):
            return Decimal(value)
        if isinstance(value, str):
            text = value.strip().replace(",", "").lstrip("$").strip()
            return Decimal(text) if text else None
    except (InvalidOperation, ValueError):
        return None
    return None


def _cents(amount: Decimal) -> Decimal | None:
    """Round to whole cents; None for NaN, infinities, negatives and absurd magnitudes."""
    if not amount.is_finite() or amount < 0:
        return None
    try:
        # Past the context's 28 digits quantize() signals InvalidOperation: an amount that
        # large is garbage, not money.
        cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None
    return abs(cents)  # "-0" -> "0.00", so it never displays as "$-0"


def to_money(value: object) -> Decimal | None:
    """Parse a platform amount (number, numeric string, Decimal) into dollars, or None.

    Platforms send floats (GigRadar, UpHunt), decimal strings (Gigiac) and zeros for
    "not stated"; a negative or non-numeric value is treated as absent, not as an error,
    because one odd field must not drop the whole opportunity.
    """
    amount = _as_decimal(value)
    return None if amount is None else _cents(amount)


def cents_to_money(cents: object) -> Decimal | None:
    """Integer cents (Gigiac `budget_cents`) to dollars.

    An integral float or Decimal (`125000.0`, as some JSON encoders write integers) is
    accepted; a fractional number of cents, a negative or a non-number gives None.
    """
    amount = _as_decimal(cents)
    if amount is None or not amount.is_finite() or amount != amount.to_integral_value():
        return None
    return _cents(amount.scaleb(-2))


def to_cents(amount: Decimal | None) -> int | None:
    """Dollars to integer cents, for storage and fast comparison.

    Amounts reach the domain through `to_money`, which already rounds to the cent; a
    sub-cent amount can only come from a hand-built model, and it is rounded the same
    way (half up) rather than refused, so one odd value cannot fail a bulk write.
    """
    if amount is None:
        return None
    cents = amount * 100
    if cents != cents.to_integral_value():
        cents = cents.to_integral_value(rounding=ROUND_HALF_UP)
    return int(cents)


def format_money(amount: Decimal | None, *, per_hour: bool = False) -> str:
    """Format for display: "$1,250", "$42.50/h", "-$5"; "—" when absent."""
    if amount is None or not amount.is_finite():
        return "—"
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    whole = amount == amount.to_integral_value()
    text = f"{sign}${amount:,.0f}" if whole else f"{sign}${amount:,.2f}"
    return f"{text}/h" if per_hour else text
