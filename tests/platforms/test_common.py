"""Defensive JSON readers and the list/object unwrapping every platform needs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.platforms.common import (
    as_bool,
    as_int,
    as_str,
    fraction,
    iso_z,
    json_number,
    normalize_items,
    parse_datetime,
    unwrap_list,
    unwrap_one,
)
from app.platforms.errors import MalformedResponse

ITEMS = [{"id": "1"}, {"id": "2"}]


@pytest.mark.parametrize(
    "body",
    [
        {"data": ITEMS, "count": 2},
        {"tasks": ITEMS},
        {"proposals": ITEMS},
        {"items": ITEMS, "nextCursor": None, "total": 2},
        {"jobs": ITEMS, "total": 2},
        ITEMS,
        {"data": {"tasks": ITEMS}},
    ],
)
def test_unwrap_list_accepts_every_wrapping(body: object) -> None:
    assert unwrap_list(body) == ITEMS


@pytest.mark.parametrize("body", [None, "text", 3, {"data": {"id": "1"}}, {"count": 0}])
def test_unwrap_list_rejects_non_lists(body: object) -> None:
    with pytest.raises(MalformedResponse):
        unwrap_list(body)


def test_unwrap_list_of_empty_list_is_empty() -> None:
    assert unwrap_list({"data": [], "count": 0}) == []


@pytest.mark.parametrize(
    "body",
    [{"data": {"id": "1"}}, {"id": "1"}, {"task": {"id": "1"}}, {"proposal": {"id": "1"}}],
)
def test_unwrap_one_accepts_wrapped_and_bare_objects(body: object) -> None:
    assert unwrap_one(body) == {"id": "1"}


@pytest.mark.parametrize("body", [None, [{"id": "1"}], "x"])
def test_unwrap_one_rejects_non_objects(body: object) -> None:
    with pytest.raises(MalformedResponse):
        unwrap_one(body)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-10-28T11:00:00Z", datetime(2025, 10, 28, 11, tzinfo=UTC)),
        ("2025-10-28T13:00:00+02:00", datetime(2025, 10, 28, 11, tzinfo=UTC)),
        ("2025-10-28T11:00:00", datetime(2025, 10, 28, 11, tzinfo=UTC)),
        (1732204800000, datetime(2024, 11, 21, 16, tzinfo=UTC)),
        (1732204800, datetime(2024, 11, 21, 16, tzinfo=UTC)),
        ("1732204800000", datetime(2024, 11, 21, 16, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
        (True, None),
        ({"at": 1}, None),
    ],
)
def test_parse_datetime(value: object, expected: datetime | None) -> None:
    parsed = parse_datetime(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() is not None


def test_iso_z_is_utc_with_z() -> None:
    assert iso_z(datetime(2025, 10, 28, 13, 0, 5, 999, tzinfo=UTC)) == "2025-10-28T13:00:05Z"
    assert iso_z(datetime(2025, 10, 28, 11)) == "2025-10-28T11:00:00Z"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.85, 0.85),
        (85, 0.85),
        ("85", 0.85),
        (1, 1.0),
        (0, 0.0),
        (-1, None),
        (250, None),
        ("x", None),
        (None, None),
    ],
)
def test_fraction(value: object, expected: float | None) -> None:
    assert fraction(value) == (pytest.approx(expected) if expected is not None else None)


def test_scalar_readers() -> None:
    assert as_str(12) == "12"
    assert as_str(" a ") == "a"
    assert as_str("") is None
    assert as_str(True) is None
    assert as_str(3.0) == "3"
    assert as_str(3.5) is None
    assert as_int("7") == 7
    assert as_int(7.0) == 7
    assert as_int(7.5) is None
    assert as_int(False) is None
    assert as_bool("true") is True
    assert as_bool("VERIFIED") is True
    assert as_bool("maybe") is None


def test_json_number_keeps_cents_exact() -> None:
    assert json_number(Decimal("45")) == 45
    assert isinstance(json_number(Decimal("45.00")), int)
    assert json_number(Decimal("45.50")) == 45.5


def _double(item: dict[str, object]) -> int:
    return int(str(item["n"])) * 2


def test_normalize_items_skips_bad_items_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("app.platforms.test")
    with caplog.at_level(logging.WARNING):
        result = normalize_items(
            [{"n": 1}, {"n": "x", "id": "bad"}, "junk", {"n": 3}], _double, what="thing", log=log
        )
    assert result == [2, 6]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "id bad" in warnings[0].getMessage()


def test_normalize_items_raises_when_every_item_fails() -> None:
    with pytest.raises(MalformedResponse, match="none of the 2"):
        normalize_items(
            [{"n": "x"}, {}], _double, what="thing", log=logging.getLogger("app.platforms.test")
        )


def test_normalize_items_of_an_empty_page_is_empty() -> None:
    assert (
        normalize_items([], _double, what="thing", log=logging.getLogger("app.platforms.test"))
        == []
    )
