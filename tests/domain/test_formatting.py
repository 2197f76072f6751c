"""The inbox's display texts, as plain functions of cents, seconds and stored JSON."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.formatting import (
    age_text,
    client_facts_text,
    client_tooltip_text,
    compact_inner,
    compact_money,
    minutes_text,
    money_text,
    rate_text,
    skills_joined,
    skills_json,
)
from app.domain.money import format_money


@given(st.integers(0, 10**12))
def test_money_text_is_format_money(cents: int) -> None:
    assert money_text(cents) == format_money(Decimal(cents).scaleb(-2))


def test_rate_text_shows_one_end_when_both_agree() -> None:
    assert rate_text(4000, 7000) == "$40–70/h"
    assert rate_text(4000, 4000) == "$40/h"
    assert rate_text(4050, 712_000) == "$40.50–7,120/h"


@pytest.mark.parametrize(
    ("cents", "text"),
    [(95_000, "$950"), (1_250_000, "$12k"), (99_949_999, "$999k"), (99_950_000, "$1M"),
     (123_000_000, "$1.2M")],
)  # fmt: skip
def test_compact_money(cents: int, text: str) -> None:
    assert compact_money(cents) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "now"), (59.9, "now"), (60, "1m"), (3599, "59m"), (3600, "1h"), (86_399, "23h"),
     (86_400, "1d"), (40 * 86_400, "40d")],
)  # fmt: skip
def test_age_text_boundaries(seconds: float, text: str) -> None:
    assert age_text(seconds) == text


def test_client_facts_leave_out_what_is_unknown() -> None:
    assert client_facts_text("Germany", 1_250_000, 0.85, True) == "Germany · $12k · 85% · ✓"
    assert client_facts_text(None, 0, None, False) == ""
    assert client_facts_text(None, None, 0.0, None) == "0%"


def test_client_tooltip_spells_out_every_known_fact() -> None:
    text = client_tooltip_text("Acme", "Germany", 125_000, 0.5, False, 4.86, 12)
    assert text == (
        "Acme (Germany) · spent $1,250 · hire rate 50% · payment not verified"
        " · rated 4.9 (12 reviews)"
    )
    assert client_tooltip_text(None, None, None, None, None, 5.0, 0) == "Client · rated 5.0"


SKILLS = st.lists(st.text(min_size=0, max_size=8), max_size=5)


@given(SKILLS)
def test_skills_joined_equals_parsing_the_json(skills: list[str]) -> None:
    stored = skills_json(skills)
    assert json.loads(stored) == skills
    assert skills_joined(stored, "|") == "|".join(skill for skill in skills if skill)


def test_compact_inner_only_for_escape_free_lists() -> None:
    assert compact_inner('["React","Node.js"]') == 'React","Node.js'
    assert compact_inner('["a\\"b"]') is None
    assert compact_inner('["",""]') is None
    assert compact_inner("[]") is None


def test_minutes_text_reads_as_minutes_hours_then_days() -> None:
    assert minutes_text(None) == "—"
    assert minutes_text(42.4) == "42 min"
    assert minutes_text(90) == "1.5 h"
    assert minutes_text(47 * 60) == "47.0 h"
    assert minutes_text(3 * 1440) == "3.0 days"
