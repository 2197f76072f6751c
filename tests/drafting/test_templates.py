"""Templates, portfolio matching and similarity: the pure drafting domain."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain import ClientInfo, JobKind, Opportunity, Platform
from app.domain.drafting import (
    SIMILARITY_THRESHOLD,
    VARIABLES,
    FreelancerProfile,
    PortfolioItem,
    Template,
    TemplateError,
    best_portfolio,
    matched_skills,
    most_similar,
    render_template,
    similarity,
    template_variables,
)
from app.domain.policy import check_cover_letter
from tests.drafting.conftest import make_job


def render(body: str, job: Opportunity, profile: FreelancerProfile) -> str:
    return render_template(Template(name="t", body=body), job, profile).strip()


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        ("client_name", "Acme Corp"),
        ("job_title", "Build a Django REST API for an inventory system"),
        ("skills_matched", "Python, Django and AWS"),
        (
            "portfolio:best_match",
            "Warehouse API — A Django REST API with PostgreSQL for a logistics firm.",
        ),
        ("signature", "Thanks,\nDana"),
        ("my_name", "Dana Reyes"),
        ("headline", "Backend engineer for Python APIs"),
        ("hourly_rate", "$55"),
        ("job_budget", "$1,500 fixed"),
    ],
)
def test_every_variable_is_filled(
    variable: str, expected: str, job: Opportunity, profile: FreelancerProfile
) -> None:
    assert render("{" + variable + "}", job, profile) == expected


def test_the_parametrized_list_covers_every_known_variable() -> None:
    covered = {
        "client_name", "job_title", "skills_matched", "portfolio:best_match", "signature",
        "my_name", "headline", "hourly_rate", "job_budget",
    }  # fmt: skip
    assert set(VARIABLES) == covered


def test_unknown_variable_names_it_and_lists_the_known_ones(
    job: Opportunity, profile: FreelancerProfile
) -> None:
    with pytest.raises(TemplateError) as caught:
        render("Hi {clinet_name},", job, profile)
    message = str(caught.value)
    assert "{clinet_name}" in message
    for name in VARIABLES:
        assert "{" + name + "}" in message


def test_doubled_braces_are_literal(job: Opportunity, profile: FreelancerProfile) -> None:
    assert render("{{job_title}} is {job_title}", job, profile) == (
        "{job_title} is Build a Django REST API for an inventory system"
    )


def test_a_filled_template_passes_the_policy_check(
    job: Opportunity, profile: FreelancerProfile
) -> None:
    from app.services.drafting import DEFAULT_TEMPLATE

    letter = render_template(DEFAULT_TEMPLATE, job, profile)
    assert [i.code for i in check_cover_letter(letter, job.platform)] == []
    # ...while an unfilled slot, as a person might leave it, blocks sending.
    codes = [i.code for i in check_cover_letter(letter + "\n{client_name}", job.platform)]
    assert codes == ["placeholder"]


def test_off_platform_links_stay_out_and_on_platform_links_stay_in(
    job: Opportunity, profile: FreelancerProfile
) -> None:
    assert "example.dev" not in render("{portfolio:best_match}", job, profile)
    item = profile.portfolio[1].model_copy(
        update={"link": "https://www.upwork.com/freelancers/~01abc"}
    )
    upwork = profile.model_copy(update={"portfolio": (item,)})
    assert "(https://www.upwork.com/freelancers/~01abc)" in render(
        "{portfolio:best_match}", job, upwork
    )


def test_missing_facts_leave_no_holes(job: Opportunity) -> None:
    bare = FreelancerProfile(name="Sam", skills=("Rust", "C", "Zig", "Lua"))
    anonymous = job.model_copy(
        update={"client": ClientInfo(), "kind": JobKind.UNKNOWN, "budget": None}
    )
    body = "Hi {client_name},\n\n{portfolio:best_match}\n\nSkills: {skills_matched}\n\n{signature}"
    text = render(body, anonymous, bare)
    assert text == "Hi there,\n\nSkills: Rust, C and Zig\n\nSam"
    assert render("{hourly_rate}|{job_budget}|{headline}", anonymous, bare) == "||"


def test_hourly_budget_and_rate_formats(profile: FreelancerProfile) -> None:
    hourly = make_job(
        kind=JobKind.HOURLY, budget=None, hourly_min=Decimal(30), hourly_max=Decimal(60)
    )
    assert render("{job_budget}", hourly, profile) == "$30–60/h"


def test_matched_skills_ignore_case_and_keep_the_jobs_spelling(
    job: Opportunity, profile: FreelancerProfile
) -> None:
    assert matched_skills(profile, job) == ["Python", "Django", "AWS"]


def test_best_portfolio_ranks_by_skill_overlap(
    job: Opportunity, profile: FreelancerProfile
) -> None:
    ranked = best_portfolio(profile, job, 2)
    assert [p.title for p in ranked] == ["Warehouse API", "Checkout service in Go"]
    assert best_portfolio(profile, job, 0) == []
    go_job = make_job(skills=("Go",), title="Go payments service", description="")
    assert best_portfolio(profile, go_job, 1)[0].title == "Checkout service in Go"


def test_best_portfolio_falls_back_to_words_when_no_skill_is_shared() -> None:
    job = make_job(skills=(), title="Mobile app for a bakery", description="iOS and Android")
    profile = FreelancerProfile(
        name="Kim",
        portfolio=(
            PortfolioItem(title="Analytics dashboard"),
            PortfolioItem(title="Bakery ordering app", summary="iOS app for a chain"),
        ),
    )
    assert best_portfolio(profile, job, 1)[0].title == "Bakery ordering app"


def test_template_variables_in_order() -> None:
    assert template_variables("{a} {b} {a} {{c}}") == ["a", "b"]


LETTER = (
    "Hello Acme,\n\nI have built three inventory systems in Django and PostgreSQL, the "
    "largest serving forty warehouses.\n\nI would start with the data model, then the "
    "endpoints, then deployment on AWS with CI.\n\nWhich part matters most to you?\n\nDana"
)


def test_similarity_of_identical_letters_is_one() -> None:
    assert similarity(LETTER, LETTER) == 1.0


def test_similarity_ignores_case_and_spacing() -> None:
    respaced = "  " + LETTER.upper().replace(" ", "   ").replace("\n", " \r\n") + "\t\n"
    assert similarity(LETTER, respaced) == 1.0


def test_reordered_paragraphs_are_still_nearly_identical() -> None:
    paragraphs = LETTER.split("\n\n")
    shuffled = "\n\n".join([paragraphs[0], paragraphs[2], paragraphs[1], *paragraphs[3:]])
    assert similarity(LETTER, shuffled) >= SIMILARITY_THRESHOLD


def test_different_letters_are_not_similar() -> None:
    other = (
        "Hi Maria, your mobile app brief reads well. I design in Figma and build in Flutter; "
        "last year I shipped a bakery ordering app used by twelve shops. Could we talk about "
        "the release date?"
    )
    assert similarity(LETTER, other) < 0.1
    assert similarity("", "") == 1.0
    assert similarity("one two", "") == 0.0


def test_most_similar_finds_the_nearest_letter_over_the_threshold() -> None:
    near = LETTER.replace("forty", "fifty")
    previous = [
        ("gigradar:a", "Something else entirely, written for a logo job."),
        ("gigradar:b", near),
    ]
    found = most_similar(LETTER, previous)
    assert found is not None and found[0] == "gigradar:b" and 0.8 <= found[1] < 1.0
    assert most_similar(LETTER, previous[:1]) is None
    assert most_similar("", previous) is None


def test_profile_round_trips_through_json(profile: FreelancerProfile) -> None:
    data = profile.model_dump(mode="json")
    assert data["hourly_rate"] == "55"
    assert FreelancerProfile.model_validate(data) == profile


def test_platform_matters_for_links(profile: FreelancerProfile) -> None:
    item = PortfolioItem(title="Task", link="https://gigiac.com/p/1", skills=("Python",))
    gigiac_job = make_job(platform=Platform.GIGIAC)
    with_link = profile.model_copy(update={"portfolio": (item,)})
    assert "gigiac.com" in render("{portfolio:best_match}", gigiac_job, with_link)
    assert "gigiac.com" not in render("{portfolio:best_match}", make_job(), with_link)


def test_a_summary_ending_its_sentence_does_not_double_the_full_stop(
    job: Opportunity, profile: FreelancerProfile
) -> None:
    template = Template(name="t", body="Done before: {portfolio:best_match}. Ellipsis stays...")
    text = render_template(template, job, profile)
    assert "logistics firm. Ellipsis stays...\n" in text
    assert ".." not in text.replace("...", "")
