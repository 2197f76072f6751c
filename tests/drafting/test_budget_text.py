"""Letters and the model's prompt read the budget with the one rule (app/domain/bidding.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain import JobKind
from app.domain.drafting import FreelancerProfile, Template, render_template
from app.services.drafting import DEFAULT_TEMPLATE, ModelSettings, build_messages
from tests.drafting.conftest import make_job

PROFILE = FreelancerProfile(name="Dana Reyes")


def prompt(**job: object) -> str:
    messages = build_messages(make_job(**job), PROFILE, DEFAULT_TEMPLATE, ModelSettings())
    return str(messages[1]["content"])


@pytest.mark.parametrize(
    ("job", "line"),
    [
        ({"kind": JobKind.FIXED, "budget": Decimal("1500")}, "Budget: $1,500 fixed"),
        ({"kind": JobKind.HOURLY, "hourly_min": Decimal("40")}, "Budget: From $40/h"),
        ({"kind": JobKind.HOURLY, "hourly_max": Decimal("70")}, "Budget: Up to $70/h"),
    ],
)
def test_the_prompt_states_the_budget_as_the_editor_does(job: dict[str, object], line: str) -> None:
    assert line in prompt(**job)


@pytest.mark.parametrize(
    "job",
    [
        {"kind": JobKind.FIXED, "budget": Decimal("0")},
        {"kind": JobKind.FIXED, "budget": None},
        {"kind": JobKind.HOURLY, "budget": None, "hourly_min": Decimal("0"), "hourly_max": None},
    ],
)
def test_a_zero_or_missing_budget_never_reaches_the_model_as_dollars(
    job: dict[str, object],
) -> None:
    text = prompt(**job)
    assert "Budget:" not in text
    assert "$0" not in text


def test_the_job_budget_variable_is_empty_for_an_unstated_budget() -> None:
    template = Template(name="t", body="[{job_budget}]")
    assert render_template(template, make_job(budget=Decimal("0")), PROFILE).strip() == "[]"
    hourly = make_job(kind=JobKind.HOURLY, budget=None, hourly_min=Decimal("40"))
    assert render_template(template, hourly, PROFILE).strip() == "[From $40/h]"
