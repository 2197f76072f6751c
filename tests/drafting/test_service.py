"""The library (profiles, templates, defaults), alone and via the Drafter; similar letters."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import Bid, BidKind, Opportunity, Platform, Submission
from app.domain.drafting import FreelancerProfile, Template, TemplateError, similarity
from app.platforms.http import redact
from app.services.container import open_services
from app.services.drafting import (
    DEFAULT_TEMPLATE,
    EXAMPLE_PROFILE,
    Drafter,
    DraftingError,
    Library,
    ModelSettings,
    build_messages,
)
from app.services.secrets import SecretStore
from app.store import Store
from tests.drafting.conftest import make_job


@pytest.fixture
def offline(store: Store) -> Drafter:
    return Drafter(store, SecretStore())


def test_works_out_of_the_box_with_the_example_profile_and_default_template(
    offline: Drafter, job: Opportunity
) -> None:
    assert offline.library.profiles() == [EXAMPLE_PROFILE]
    assert offline.library.templates() == [DEFAULT_TEMPLATE]
    letter = offline.library.draft_from_template(job)
    assert letter.startswith("Hi Acme Corp,")
    assert "Python, Django, PostgreSQL and AWS" in letter
    assert "Inventory API for a retail chain" in letter
    assert letter.rstrip().endswith("Best regards,\nAlex")


def test_profiles_crud_and_defaults(
    offline: Drafter, store: Store, job: Opportunity, profile: FreelancerProfile
) -> None:
    offline.library.save_profile(profile)
    other = FreelancerProfile(name="Ola", skills=("Go",), hourly_rate=Decimal("80"))
    offline.library.save_profile(other)
    again = Drafter(store, SecretStore())  # stored, not cached
    assert [p.name for p in again.library.profiles()] == ["Dana Reyes", "Ola"]
    assert again.library.profile("ola").hourly_rate == Decimal("80")
    assert again.library.profile() == profile  # first by name until a default is chosen
    again.library.set_default_profile("Ola")
    assert again.library.profile() == other
    again.library.set_default_profile("Dana Reyes", account="gr-main")
    assert again.library.profile_for(job.model_copy(update={"account": "gr-main"})) == profile
    assert again.library.profile_for(job) == other
    with pytest.raises(DraftingError, match="no profile “Zed”; the profiles are: Dana Reyes, Ola"):
        again.library.profile("Zed")
    assert again.library.delete_profile("Ola") and not again.library.delete_profile("Ola")
    assert again.library.profile() == profile  # a stale default falls back instead of failing


def test_templates_crud_defaults_and_validation(offline: Drafter, job: Opportunity) -> None:
    offline.library.save_template(Template(name="Short", body="Hi {client_name}! {signature}"))
    assert [t.name for t in offline.library.templates()] == ["Default", "Short"]
    assert (
        offline.library.draft_from_template(job, "short") == "Hi Acme Corp! Best regards,\nAlex\n"
    )
    offline.library.set_default_template("Short")
    assert offline.library.draft_from_template(job).startswith("Hi Acme Corp!")
    with pytest.raises(TemplateError, match=r"unknown variable \{budget\}"):
        offline.library.save_template(Template(name="Bad", body="{budget}"))
    with pytest.raises(DraftingError, match="no template “Nope”"):
        offline.library.draft_from_template(job, "Nope")
    # The built-in default can be overridden and comes back when the override goes.
    offline.library.save_template(Template(name="Default", body="Custom {job_title}"))
    assert offline.library.draft_from_template(job, "Default").startswith("Custom Build")
    assert offline.library.delete_template("Default")
    assert offline.library.template("Default") == DEFAULT_TEMPLATE


def test_the_prompt_carries_the_job_profile_portfolio_skeleton_and_variant(
    job: Opportunity, profile: FreelancerProfile
) -> None:
    messages = build_messages(job, profile, DEFAULT_TEMPLATE, ModelSettings(), "shorter")
    system, user = messages
    assert system["role"] == "system" and "cover letters" in str(system["content"])
    text = str(user["content"])
    for line in (
        "Job title: Build a Django REST API for an inventory system",
        "Client: Acme Corp",
        "Job skills: Python, Django, PostgreSQL, AWS",
        "Budget: $1,500 fixed",
        "Name: Dana Reyes",
        "Matching skills: Python, Django, AWS",
        "- Warehouse API: A Django REST API with PostgreSQL for a logistics firm.",
        "Hi Acme Corp,",  # the filled skeleton
        "Instructions: Make it shorter",
    ):
        assert line in text
    assert text.index("Warehouse API") < text.index("Checkout service in Go")


def test_similarity_warning_against_letters_sent_for_other_jobs(
    offline: Drafter, store: Store, job: Opportunity
) -> None:
    letter = offline.library.draft_from_template(job)
    other = make_job(external_id="another-job", title="Another job")
    store.opportunities.upsert(other)
    sent = Submission(
        id="sub-1",
        opportunity_key=other.key,
        platform=Platform.GIGRADAR,
        account="gr",
        dedupe_key=other.dedupe_key,
        cover_letter=letter.replace("Acme Corp", "Globex"),
        bid=Bid(kind=BidKind.FIXED, amount=Decimal(100)),
    )
    store.submissions.insert(sent)
    found = offline.library.similar_sent_letter(letter, job)
    assert found is not None and found[0] == other.key and found[1] >= 0.8
    # A letter for the same job is a resend, not a copy.
    assert offline.library.similar_sent_letter(letter, other) is None


def test_model_keys_are_masked_in_output() -> None:
    assert "sk-sandbox-0123456789abcdef" not in redact("key sk-sandbox-0123456789abcdef here")
    assert "sk-proj-AbCdEf0123456789xyz" not in redact("sk-proj-AbCdEf0123456789xyz")
    assert redact("scikit-learn is sk-learn") == "scikit-learn is sk-learn"


@given(st.text(max_size=200), st.text(max_size=200))
def test_similarity_is_a_symmetric_score_in_unit_range(a: str, b: str) -> None:
    score = similarity(a, b)
    assert 0.0 <= score <= 1.0
    assert score == similarity(b, a)
    assert similarity(a, a) == 1.0


def test_the_library_stands_alone_and_the_container_shares_it_with_the_drafter(
    store: Store, job: Opportunity, profile: FreelancerProfile
) -> None:
    library = Library(store)  # no keyring, no model client, no loop
    library.save_profile(profile)
    library.set_default_profile("Dana Reyes")
    assert "Thanks,\nDana" in library.draft_from_template(job)
    drafter = Drafter(store, SecretStore(), library=library)
    assert drafter.library is library and drafter.library.profile() == profile
    assert Drafter(store, SecretStore()).library.profile() == profile  # its own, same store


async def test_open_services_builds_one_library_for_the_drafter() -> None:
    services = open_services()
    try:
        assert services.drafter.library is services.library
        services.library.save_template(Template(name="Short", body="Hi {client_name}."))
        assert [t.name for t in services.drafter.library.templates()] == ["Default", "Short"]
    finally:
        await services.aclose()
