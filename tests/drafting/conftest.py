"""Fixtures for drafting: jobs and profiles, a sandbox with its model, a Drafter on it, and
a keyring that refuses the loop's thread."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import keyring
import pytest

from app.domain import ClientInfo, JobKind, Opportunity, Platform, Question
from app.domain.drafting import FreelancerProfile, PortfolioItem
from app.sandbox import Sandbox, SandboxConfig
from app.services.drafting import SECRET_NAME, Drafter, ModelSettings
from app.services.secrets import SecretStore, env_var_for
from app.store import Store
from tests.helpers.memkeyring import MemoryKeyring

# Fast enough for a quick suite, slow enough that a letter arrives in many pieces over
# tens of milliseconds, so "the first piece before the whole" is observable.
SPEED = 10.0


def make_job(**overrides: object) -> Opportunity:
    data: dict[str, object] = {
        "platform": Platform.GIGRADAR,
        "external_id": "507f1f77bcf86cd799439011",
        "title": "Build a Django REST API for an inventory system",
        "description": "We need a REST API in Django with PostgreSQL, deployed on AWS.",
        "kind": JobKind.FIXED,
        "budget": Decimal("1500"),
        "skills": ("Python", "Django", "PostgreSQL", "AWS"),
        "client": ClientInfo(name="Acme Corp", country="US"),
        "questions": (
            Question(id="q1", text="How many years of Django experience do you have?"),
            Question(id="q2", text="Have you deployed to AWS before?"),
        ),
    }
    data.update(overrides)
    return Opportunity.model_validate(data)


@pytest.fixture
def job() -> Opportunity:
    return make_job()


@pytest.fixture
def profile() -> FreelancerProfile:
    return FreelancerProfile(
        name="Dana Reyes",
        headline="Backend engineer for Python APIs",
        bio="Nine years of APIs and data work.",
        skills=("python", "Django", "FastAPI", "AWS", "Go"),
        hourly_rate=Decimal("55"),
        portfolio=(
            PortfolioItem(
                title="Checkout service in Go",
                summary="Payments at 3k requests per second.",
                skills=("Go",),
            ),
            PortfolioItem(
                title="Warehouse API",
                link="https://example.dev/warehouse",
                summary="A Django REST API with PostgreSQL for a logistics firm.",
                skills=("Python", "Django", "PostgreSQL"),
            ),
        ),
        signature="Thanks,\nDana",
    )


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    config = SandboxConfig(seed=21, speed=SPEED, arrivals=False, timeout_hold=3.0)
    async with Sandbox(config) as sb:
        yield sb


@pytest.fixture
async def drafter(
    store: Store, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Drafter]:
    """A Drafter wired to the sandbox model, its key in the environment for this run."""
    endpoint = sandbox.info.openai
    assert endpoint is not None
    monkeypatch.setenv(env_var_for("openai"), endpoint.api_key)
    made = Drafter(store, SecretStore())
    made.save_model_settings(
        ModelSettings(base_url=endpoint.base_url, model=endpoint.model, timeout=5.0)
    )
    yield made
    await made.aclose()


class OffLoopKeyring(MemoryKeyring):
    """A working keyring that fails, and remembers it, when called on the main thread."""

    def __init__(self) -> None:
        super().__init__()
        self.on_main_thread: list[str] = []

    def _check(self) -> None:
        super()._check()
        if threading.current_thread() is threading.main_thread():
            self.on_main_thread.append(threading.current_thread().name)
            raise RuntimeError("a keyring call on the loop's thread")


@pytest.fixture
def off_loop_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[OffLoopKeyring]:
    monkeypatch.delenv(env_var_for(SECRET_NAME), raising=False)  # the keyring, not the env
    previous = keyring.get_keyring()
    backend = OffLoopKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
