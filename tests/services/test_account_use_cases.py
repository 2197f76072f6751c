"""AccountService's use cases for the window: update, test a connection, list the UpHunt
freelancers; each against the real sandbox over loopback, keys in a memory keyring."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import keyring
import pytest

from app.domain import Platform
from app.platforms.errors import PlatformError
from app.sandbox import Sandbox, SandboxConfig
from app.services.accounts import AccountError
from app.services.container import Services, open_services
from app.services.secrets import KeyringLockedError, MissingKeyError
from tests.helpers.memkeyring import LockedKeyring, MemoryKeyring


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    config = SandboxConfig(seed=5, speed=600.0, arrivals=False, initial_opportunities=3)
    async with Sandbox(config) as sb:
        yield sb


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    svc = open_services(tmp_path / "profile")
    yield svc
    await svc.aclose()


async def test_update_changes_the_address_and_the_key_and_the_next_client_uses_them(
    services: Services, sandbox: Sandbox, memory_keyring: MemoryKeyring
) -> None:
    gigiac = sandbox.info.gigiac
    accounts = services.accounts
    await accounts.aadd("gg", Platform.GIGIAC, api_key="wrong", base_url="http://127.0.0.1:9")
    old_client = await accounts.aadapter(accounts.get("gg"))

    updated = await accounts.update("gg", base_url=gigiac.base_url + "/", api_key=gigiac.api_key)

    assert updated.base_url == gigiac.base_url.rstrip("/")
    assert services.store.accounts.get("gg") == updated
    assert memory_keyring.store[("BidDesk", "gg")] == gigiac.api_key
    new_client = await accounts.aadapter(updated)
    assert new_client is not old_client  # built again with the new key and address
    assert await new_client.check_connection()


async def test_update_without_a_key_keeps_the_stored_one(
    services: Services, memory_keyring: MemoryKeyring
) -> None:
    accounts = services.accounts
    await accounts.aadd("gr", Platform.GIGRADAR, api_key="k-1", base_url="https://a.example")
    await accounts.update("gr", base_url="https://b.example")
    assert accounts.get("gr").base_url == "https://b.example"
    assert memory_keyring.store[("BidDesk", "gr")] == "k-1"


async def test_update_refuses_a_bad_address_or_an_unknown_account_with_a_sentence(
    services: Services,
) -> None:
    accounts = services.accounts
    await accounts.aadd("gr", Platform.GIGRADAR, api_key="k-1", base_url="https://a.example")
    with pytest.raises(AccountError) as bad:
        await accounts.update("gr", base_url="not a url")
    assert str(bad.value).endswith(".")
    assert accounts.get("gr").base_url == "https://a.example"
    with pytest.raises(AccountError, match="no account named"):
        await accounts.update("nobody", base_url="https://b.example")


async def test_update_with_a_locked_keyring_changes_nothing(services: Services) -> None:
    accounts = services.accounts
    await accounts.aadd("gr", Platform.GIGRADAR, api_key="k-1", base_url="https://a.example")
    keyring.set_keyring(LockedKeyring())
    services.secrets._cache.clear()  # a new run: nothing known yet
    with pytest.raises(KeyringLockedError):
        await accounts.update("gr", base_url="https://b.example", api_key="k-2")
    assert accounts.get("gr").base_url == "https://a.example"


async def test_test_connection_says_yes_with_the_right_key_and_why_not_otherwise(
    services: Services, sandbox: Sandbox
) -> None:
    gigiac = sandbox.info.gigiac
    accounts = services.accounts
    ok = await accounts.test_connection(Platform.GIGIAC, gigiac.base_url, api_key=gigiac.api_key)
    assert ok
    with pytest.raises(PlatformError):
        await accounts.test_connection(Platform.GIGIAC, gigiac.base_url, api_key="wrong")
    with pytest.raises(AccountError):
        await accounts.test_connection(Platform.GIGIAC, "ftp://nowhere", api_key="k")
    # No key typed: the stored key of the named account, or a sentence that there is none.
    await accounts.aadd("gg", Platform.GIGIAC, api_key=gigiac.api_key, base_url=gigiac.base_url)
    assert await accounts.test_connection(Platform.GIGIAC, gigiac.base_url, name="gg")
    with pytest.raises(MissingKeyError):
        await accounts.test_connection(Platform.GIGIAC, gigiac.base_url, name="other")
    assert accounts.list()[0].name == "gg"  # testing creates no account


async def test_freelancer_choices_lists_each_profile_of_the_uphunt_roster(
    services: Services, sandbox: Sandbox
) -> None:
    uphunt, gigiac = sandbox.info.uphunt, sandbox.info.gigiac
    accounts = services.accounts
    await accounts.aadd("uh", Platform.UPHUNT, api_key=uphunt.api_key, base_url=uphunt.base_url)
    await accounts.aadd("gg", Platform.GIGIAC, api_key=gigiac.api_key, base_url=gigiac.base_url)

    choices = await accounts.freelancer_choices("uh")

    roster = await (await accounts.aadapter(accounts.get("uh"))).freelancers()  # type: ignore[attr-defined]
    expected = [p.profile_id for person in roster.freelancers for p in person.profiles]
    assert [profile_id for profile_id, _ in choices] == expected and expected
    assert all(label.split(": ", 1)[0] for _, label in choices)
    with pytest.raises(AccountError, match="no freelancer list"):
        await accounts.freelancer_choices("gg")


async def test_key_notes_say_stored_or_why_not_and_aremove_forgets_the_key(
    services: Services, memory_keyring: MemoryKeyring
) -> None:
    accounts = services.accounts
    await accounts.aadd("gr", Platform.GIGRADAR, api_key="k-1", base_url="https://a.example")
    services.store.accounts.add(accounts.get("gr").model_copy(update={"name": "bare"}))
    notes = dict((a.name, note) for a, note in await accounts.key_notes())
    assert notes["gr"] == "key stored"
    assert "No API key is stored" in notes["bare"]
    assert await accounts.aremove("gr") is None
    assert ("BidDesk", "gr") not in memory_keyring.store
    with pytest.raises(AccountError):
        await accounts.aremove("gr")
