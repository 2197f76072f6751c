"""Money parsing at the platform boundary and its display."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.money import CENT, cents_to_money, format_money, to_money

HYPOTHESIS = settings(database=None, deadline=None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1 + 0.2, "0.30"),  # 0.30000000000000004: the float's shortest repr, then cents
        (2.675, "2.68"),  # binary 2.67499999…: parsed from repr, so it rounds half up
        (1.005, "1.01"),
        (42.5, "42.50"),
        (1e-9, "0.00"),
        (0.0, "0.00"),
        (25, "25.00"),
        (0, "0.00"),
        (10**12, "1000000000000.00"),
        (Decimal("19.999"), "20.00"),
        (Decimal("0.005"), "0.01"),
        ("25.00", "25.00"),
        ("25", "25.00"),
        (" 25.5 ", "25.50"),
        ("$1,250.5", "1250.50"),
        ("$ 40", "40.00"),
        ("1,000,000", "1000000.00"),
        ("1e3", "1000.00"),
        ("-0", "0.00"),  # never "-0.00", which would display as "$-0"
        (Decimal("-0"), "0.00"),
    ],
)
def test_to_money_parses(value: object, expected: str) -> None:
    amount = to_money(value)
    assert amount == Decimal(expected)
    assert str(amount) == expected
    assert amount is not None
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        -1,
        -0.01,
        "-5",
        "-$5",
        Decimal("-3"),
        float("nan"),
        float("inf"),
        float("-inf"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        "NaN",
        "inf",
        "",
        "   ",
        "$",
        "abc",
        "12abc",
        "1.2.3",
        "0x1F",
        "USD 25",
        [25],
        {"amount": 25},
        object(),
        b"25",
        1e300,  # past 28 significant digits quantize() used to raise InvalidOperation
        10**30,
        "1e999",
        "9" * 40,
    ],
)
def test_to_money_treats_odd_values_as_absent(value: object) -> None:
    assert to_money(value) is None


@HYPOTHESIS
@given(st.floats(min_value=0, max_value=1e15, allow_nan=False))
def test_to_money_on_any_float_is_cents_close_to_it(value: float) -> None:
    amount = to_money(value)
    assert amount is not None
    assert amount.as_tuple().exponent == -2
    assert abs(amount - Decimal(repr(value))) <= CENT / 2


@HYPOTHESIS
@given(st.one_of(st.text(), st.floats(), st.integers(), st.decimals(), st.none(), st.booleans()))
def test_to_money_never_raises(value: object) -> None:
    amount = to_money(value)
    assert amount is None or (amount >= 0 and amount.as_tuple().exponent == -2)


@pytest.mark.parametrize(
    ("cents", "expected"),
    [
        (125050, "1250.50"),
        (0, "0.00"),
        (1, "0.01"),
        ("2500", "25.00"),
        (" 2500 ", "25.00"),
        (125000.0, "1250.00"),  # integral floats, as some JSON encoders write integers
        (Decimal("1250"), "12.50"),
        (Decimal("1250.00"), "12.50"),
    ],
)
def test_cents_to_money(cents: object, expected: str) -> None:
    amount = cents_to_money(cents)
    assert amount == Decimal(expected)
    assert str(amount) == expected


@pytest.mark.parametrize(
    "cents",
    [None, True, False, -1, "-100", 12.5, "12.5", "abc", "", float("nan"), float("inf"), 10**40],
)
def test_cents_to_money_treats_odd_values_as_absent(cents: object) -> None:
    assert cents_to_money(cents) is None


@HYPOTHESIS
@given(st.integers(min_value=0, max_value=10**20))
def test_cents_round_trip(cents: int) -> None:
    amount = cents_to_money(cents)
    assert amount is not None
    assert int(amount * 100) == cents


@pytest.mark.parametrize(
    ("amount", "per_hour", "expected"),
    [
        (Decimal("1250"), False, "$1,250"),
        (Decimal("1250.00"), False, "$1,250"),
        (Decimal("1250.5"), False, "$1,250.50"),
        (Decimal("42.50"), True, "$42.50/h"),
        (Decimal("45"), True, "$45/h"),
        (Decimal("0"), False, "$0"),
        (Decimal("0.5"), False, "$0.50"),
        (Decimal("1000000"), False, "$1,000,000"),
        (Decimal("-5"), False, "-$5"),  # used to read "$-5"
        (Decimal("-0.00"), False, "$0"),
        (None, False, "—"),
        (None, True, "—"),
        (Decimal("NaN"), False, "—"),
    ],
)
def test_format_money(amount: Decimal | None, per_hour: bool, expected: str) -> None:
    assert format_money(amount, per_hour=per_hour) == expected


def test_parsed_amounts_format_back() -> None:
    assert format_money(to_money("$1,250.5")) == "$1,250.50"
    assert format_money(to_money(0.1 + 0.2)) == "$0.30"
    assert format_money(to_money("-0")) == "$0"
    assert format_money(cents_to_money(4500), per_hour=True) == "$45/h"
