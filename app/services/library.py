"""The profile and template library: what a letter is made from, kept in the settings.

Freelancer profiles, cover-letter templates, the default of each (globally and per
account), and their validation. Everything is a JSON value in the settings table; nothing
here talks to a model or the keyring, so the library works offline, at once, and the CLI
and the dialogs use it without an event loop. Filling a template (`draft_from_template`)
lives here too: it needs nothing but the library. The model client is `Drafter`, in
`app/services/drafting.py`, which reads its profile and template from here.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from app.domain.drafting import (
    FreelancerProfile,
    PortfolioItem,
    Template,
    TemplateError,
    check_template,
    most_similar,
    render_template,
)
from app.domain.opportunity import Opportunity
from app.store import Store
from app.store.settings import SettingsRepo

log = logging.getLogger(__name__)

PROFILES_KEY = "drafting.profiles"
TEMPLATES_KEY = "drafting.templates"
DEFAULT_PROFILE_KEY = "drafting.default_profile"
DEFAULT_TEMPLATE_KEY = "drafting.default_template"
ACCOUNT_PROFILES_KEY = "drafting.account_profiles"

DEFAULT_TEMPLATE = Template(
    name="Default",
    body=(
        "Hi {client_name},\n\n"
        "I read your post “{job_title}” and it is a close match for what I do: "
        "{skills_matched}.\n\n"
        "A relevant project of mine: {portfolio:best_match}.\n\n"
        "I would start with a short call to confirm the scope, then deliver in small "
        "milestones you can review as we go. Which part matters most to you?\n\n"
        "{signature}"
    ),
)

EXAMPLE_PROFILE = FreelancerProfile(
    name="Alex Morgan",
    headline="Full-stack developer: Python, Django, React",
    bio="Eight years of building web apps and APIs for startups and agencies.",
    skills=("Python", "Django", "FastAPI", "PostgreSQL", "React", "TypeScript", "Docker", "AWS"),
    hourly_rate=Decimal("45"),
    portfolio=(
        PortfolioItem(
            title="Inventory API for a retail chain",
            summary="A Django REST service handling two million requests a day.",
            skills=("Python", "Django", "PostgreSQL"),
        ),
        PortfolioItem(
            title="Booking dashboard",
            summary="A React and TypeScript front end for a clinic's scheduling system.",
            skills=("React", "TypeScript"),
        ),
        PortfolioItem(
            title="Data pipeline on AWS",
            summary="Nightly ETL jobs in Python on AWS Lambda, with Docker-based tests.",
            skills=("Python", "AWS", "Docker"),
        ),
    ),
    signature="Best regards,\nAlex",
)


class DraftingError(Exception):
    """A draft could not be made; the message is one sentence for the user."""


class Library:
    """Profiles, templates and their defaults; the filled template."""

    def __init__(self, store: Store, settings: SettingsRepo | None = None) -> None:
        self._store = store
        self._settings = settings or store.settings

    # -- profiles ------------------------------------------------------------------------

    def _stored_profiles(self) -> dict[str, Any]:
        value = self._settings.get(PROFILES_KEY, {})
        return value if isinstance(value, dict) else {}

    def profiles(self) -> list[FreelancerProfile]:
        """Stored profiles by name; the example profile until the user saves one."""
        found = []
        for data in self._stored_profiles().values():
            try:
                found.append(FreelancerProfile.model_validate(data))
            except ValidationError:
                log.warning("a stored freelancer profile is unreadable and was skipped")
        return sorted(found, key=lambda p: p.name.lower()) or [EXAMPLE_PROFILE]

    def profile(self, name: str | None = None) -> FreelancerProfile:
        wanted = name or self._settings.get(DEFAULT_PROFILE_KEY)
        profiles = self.profiles()
        if not wanted:
            return profiles[0]
        for profile in profiles:
            if profile.name.lower() == str(wanted).lower():
                return profile
        if name is None:
            return profiles[0]  # a stale default must not stop drafting
        names = ", ".join(p.name for p in profiles)
        raise DraftingError(f"There is no profile “{name}”; the profiles are: {names}.")

    def save_profile(self, profile: FreelancerProfile) -> None:
        stored = self._stored_profiles()
        stored[profile.name] = profile.model_dump(mode="json")
        self._settings.set(PROFILES_KEY, stored)

    def delete_profile(self, name: str) -> bool:
        stored = self._stored_profiles()
        if stored.pop(name, None) is None:
            return False
        self._settings.set(PROFILES_KEY, stored)
        return True

    def set_default_profile(self, name: str, account: str | None = None) -> None:
        """The profile used when none is named: globally, or for one account."""
        self.profile(name)  # raises for an unknown name
        if account is None:
            self._settings.set(DEFAULT_PROFILE_KEY, name)
            return
        per_account = self._settings.get(ACCOUNT_PROFILES_KEY, {})
        per_account = per_account if isinstance(per_account, dict) else {}
        per_account[account] = name
        self._settings.set(ACCOUNT_PROFILES_KEY, per_account)

    def account_profiles(self) -> dict[str, str]:
        """Account name → the profile name chosen for it."""
        value = self._settings.get(ACCOUNT_PROFILES_KEY, {})
        if not isinstance(value, dict):
            return {}
        return {str(k): str(v) for k, v in value.items() if v}

    def clear_account_profile(self, account: str) -> None:
        """The account goes back to the global default profile."""
        per_account = self.account_profiles()
        if per_account.pop(account, None) is not None:
            self._settings.set(ACCOUNT_PROFILES_KEY, per_account)

    def profile_for(self, opportunity: Opportunity, name: str | None = None) -> FreelancerProfile:
        if name is None and opportunity.account:
            per_account = self._settings.get(ACCOUNT_PROFILES_KEY, {})
            if isinstance(per_account, dict) and per_account.get(opportunity.account):
                name = str(per_account[opportunity.account])
        return self.profile(name)

    # -- templates -----------------------------------------------------------------------

    def _stored_templates(self) -> dict[str, Any]:
        value = self._settings.get(TEMPLATES_KEY, {})
        return value if isinstance(value, dict) else {}

    def templates(self) -> list[Template]:
        """The built-in default template (unless overridden) and every stored one."""
        found = {DEFAULT_TEMPLATE.name.lower(): DEFAULT_TEMPLATE}
        for data in self._stored_templates().values():
            try:
                template = Template.model_validate(data)
            except ValidationError:
                log.warning("a stored template is unreadable and was skipped")
                continue
            found[template.name.lower()] = template
        return sorted(found.values(), key=lambda t: t.name.lower())

    def template(self, name: str | None = None) -> Template:
        wanted = name or self._settings.get(DEFAULT_TEMPLATE_KEY) or DEFAULT_TEMPLATE.name
        for template in self.templates():
            if template.name.lower() == str(wanted).lower():
                return template
        if name is None:
            return DEFAULT_TEMPLATE
        names = ", ".join(t.name for t in self.templates())
        raise DraftingError(f"There is no template “{name}”; the templates are: {names}.")

    def save_template(self, template: Template) -> None:
        """Store a template; TemplateError (a sentence) for an unknown variable."""
        check_template(template.body)
        stored = self._stored_templates()
        stored[template.name] = template.model_dump(mode="json")
        self._settings.set(TEMPLATES_KEY, stored)

    def delete_template(self, name: str) -> bool:
        stored = self._stored_templates()
        if stored.pop(name, None) is None:
            return False
        self._settings.set(TEMPLATES_KEY, stored)
        return True

    def set_default_template(self, name: str) -> None:
        self.template(name)
        self._settings.set(DEFAULT_TEMPLATE_KEY, name)

    # -- letters -------------------------------------------------------------------------

    def draft_from_template(
        self,
        opportunity: Opportunity,
        template_name: str | None = None,
        profile_name: str | None = None,
    ) -> str:
        """The filled template: instant, offline. DraftingError for an unknown name or
        variable."""
        template = self.template(template_name)
        try:
            return render_template(
                template, opportunity, self.profile_for(opportunity, profile_name)
            )
        except TemplateError as exc:
            raise DraftingError(f"Template “{template.name}”: {exc}") from None

    def similar_sent_letter(
        self, letter: str, opportunity: Opportunity
    ) -> tuple[str, float] | None:
        """(opportunity key, score) of a letter already sent for another job that this one
        nearly repeats, or None."""
        previous = (
            (sub.opportunity_key, sub.cover_letter)
            for sub in self._store.submissions.list(limit=500)
            if sub.opportunity_key != opportunity.key and sub.cover_letter
        )
        return most_similar(letter, previous)


__all__ = [
    "ACCOUNT_PROFILES_KEY",
    "DEFAULT_PROFILE_KEY",
    "DEFAULT_TEMPLATE",
    "DEFAULT_TEMPLATE_KEY",
    "EXAMPLE_PROFILE",
    "PROFILES_KEY",
    "TEMPLATES_KEY",
    "DraftingError",
    "Library",
]
