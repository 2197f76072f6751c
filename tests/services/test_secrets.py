"""Keys in the keyring, a truthful state for each way it can fail, no plaintext fallback."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
import pytest
from keyring.backends import fail, null

from app.domain import Platform
from app.services.accounts import AccountError
from app.services.container import open_services
from app.services.secrets import (
    LOCKED_MESSAGE,
    UNREACHABLE_MESSAGE,
    KeyringLockedError,
    KeyringUnavailableError,
    KeyringUnreachableError,
    KeyState,
    MissingKeyError,
    SecretError,
    SecretState,
    SecretStore,
    classify,
    env_var_for,
)
from tests.helpers.memkeyring import LockedKeyring, MemoryKeyring, UnreachableKeyring


def _sentence(text: str) -> None:
    assert text.endswith(".") and "\n" not in text and "Traceback" not in text


def test_round_trip_in_the_keyring(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore()
    assert store.status().state is SecretState.AVAILABLE
    store.set("gr-main", "gr_live_abc123")
    assert store.get("gr-main") == "gr_live_abc123"
    assert store.key_status("gr-main").state is KeyState.STORED
    store.delete("gr-main")
    with pytest.raises(MissingKeyError, match="No API key is stored"):
        store.get("gr-main")
    missing = store.key_status("gr-main")
    assert missing.state is KeyState.MISSING
    assert "biddesk account set-key gr-main" in missing.message
    _sentence(missing.message)


@pytest.mark.parametrize("backend", [fail.Keyring, null.Keyring], ids=["fail", "null"])
def test_no_keyring_is_a_sentence_and_the_environment_works_for_the_run(
    backend: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(backend())
    store = SecretStore()
    status = store.status()
    assert status.state is SecretState.UNAVAILABLE
    assert "BIDDESK_API_KEY_" in status.message
    _sentence(status.message)
    with pytest.raises(KeyringUnavailableError, match="No system keyring"):
        store.set("gr-main", "gr_live_abc123")
    with pytest.raises(KeyringUnavailableError, match="BIDDESK_API_KEY_GR_MAIN"):
        store.get("gr-main")
    assert store.key_status("gr-main").state is KeyState.UNAVAILABLE
    monkeypatch.setenv(env_var_for("gr-main"), "gr_live_from_env")
    assert store.get("gr-main") == "gr_live_from_env"
    assert store.key_status("gr-main").state is KeyState.ENVIRONMENT


def test_plaintext_backends_are_refused() -> None:
    class PlaintextKeyring(MemoryKeyring):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    backend = PlaintextKeyring()
    keyring.set_keyring(backend)
    store = SecretStore()
    assert store.status().state is SecretState.UNAVAILABLE
    with pytest.raises(SecretError, match="plain text"):
        store.set("a", "k")
    assert backend.store == {}


def test_a_locked_keyring_is_locked_not_missing() -> None:
    backend = LockedKeyring()
    backend.store[("BidDesk", "a")] = "stored-before"
    keyring.set_keyring(backend)
    store = SecretStore()
    with pytest.raises(KeyringLockedError) as caught:
        store.set("a", "new")
    assert str(caught.value) == LOCKED_MESSAGE
    assert "gnome-keyring-daemon --unlock" in LOCKED_MESSAGE
    with pytest.raises(KeyringLockedError):
        store.get("a")
    status = store.key_status("a")
    assert status.state is KeyState.LOCKED and status.message == LOCKED_MESSAGE
    assert backend.store == {("BidDesk", "a"): "stored-before"}  # nothing written
    backend.locked = False
    assert store.get("a") == "stored-before"


def test_an_unreachable_dbus_is_its_own_state() -> None:
    keyring.set_keyring(UnreachableKeyring())
    store = SecretStore()
    with pytest.raises(KeyringUnreachableError) as caught:
        store.set("a", "k")
    assert str(caught.value) == UNREACHABLE_MESSAGE
    _sentence(UNREACHABLE_MESSAGE)
    status = store.key_status("a")
    assert status.state is KeyState.UNREACHABLE


def test_each_state_has_its_own_sentence() -> None:
    keyring.set_keyring(fail.Keyring())
    texts = {SecretStore().key_status("a").message}
    keyring.set_keyring(LockedKeyring())
    texts.add(SecretStore().key_status("a").message)
    keyring.set_keyring(UnreachableKeyring())
    texts.add(SecretStore().key_status("a").message)
    keyring.set_keyring(MemoryKeyring())
    texts.add(SecretStore().key_status("a").message)  # missing
    SecretStore().set("a", "k")
    texts.add(SecretStore().key_status("a").message)  # stored
    assert len(texts) == 5
    for text in texts:
        _sentence(text)


def test_classify_the_real_backends_exceptions() -> None:
    import secretstorage.exceptions as ss

    assert classify(keyring.errors.KeyringLocked("x")) is SecretState.LOCKED
    assert classify(ss.PromptDismissedException("x")) is SecretState.LOCKED
    assert classify(ss.LockedException("x")) is SecretState.LOCKED
    assert classify(keyring.errors.NoKeyringError("x")) is SecretState.UNAVAILABLE
    assert classify(ss.SecretServiceNotAvailableException("x")) is SecretState.UNREACHABLE
    assert classify(FileNotFoundError(2, "no bus socket")) is SecretState.UNREACHABLE
    assert classify(keyring.errors.InitError("x")) is SecretState.UNREACHABLE
    assert classify(KeyError("x")) is None


class _FakeCollection:
    def __init__(self, locked: bool) -> None:
        self.locked = locked

    def is_locked(self) -> bool:
        return self.locked


class _FakeConnection:
    def close(self) -> None:
        pass


def _secret_service_backend() -> Any:
    """A backend that looks like keyring's SecretService one (its module is what the store
    probes); its calls are never reached when the probe says locked/unreachable."""

    class Keyring(MemoryKeyring):
        pass

    Keyring.__module__ = "keyring.backends.SecretService"
    return Keyring()


def test_a_locked_secret_service_collection_is_seen_before_any_prompt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import secretstorage

    collection = _FakeCollection(locked=True)
    monkeypatch.setattr(secretstorage, "dbus_init", _FakeConnection)
    monkeypatch.setattr(secretstorage, "get_default_collection", lambda _c: collection)
    backend = _secret_service_backend()
    keyring.set_keyring(backend)
    store = SecretStore()
    assert store.status().state is SecretState.LOCKED
    with pytest.raises(KeyringLockedError):
        store.set("a", "k")
    assert backend.calls == 0  # refused before the backend (and its unlock prompt) ran
    collection.locked = False
    assert store.status().state is SecretState.AVAILABLE


def test_no_session_bus_is_seen_by_the_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    import secretstorage
    import secretstorage.exceptions

    def no_bus() -> None:
        raise secretstorage.exceptions.SecretServiceNotAvailableException(
            "Environment variable DBUS_SESSION_BUS_ADDRESS is unset"
        )

    monkeypatch.setattr(secretstorage, "dbus_init", no_bus)
    keyring.set_keyring(_secret_service_backend())
    status = SecretStore().status()
    assert status.state is SecretState.UNREACHABLE
    assert status.message == UNREACHABLE_MESSAGE


async def test_async_calls_run_off_the_loop_and_are_cached(
    memory_keyring: MemoryKeyring,
) -> None:
    threads: list[str] = []
    original = memory_keyring.get_password

    def spy(service: str, username: str) -> str | None:
        threads.append(threading.current_thread().name)
        return original(service, username)

    memory_keyring.get_password = spy  # type: ignore[method-assign]
    store = SecretStore()
    await store.aset("a", "key-a")
    fresh = SecretStore()  # a new run: nothing in memory yet
    assert await fresh.aget("a") == "key-a"
    assert threads and threading.main_thread().name not in threads
    calls = memory_keyring.calls
    for _ in range(5):
        assert await fresh.aget("a") == "key-a"
        assert fresh.get("a") == "key-a"
    assert memory_keyring.calls == calls  # served from memory
    await fresh.adelete("a")
    with pytest.raises(MissingKeyError):
        await fresh.aget("a")


async def test_a_locked_keyring_does_not_block_the_loop() -> None:
    """A keyring call that hangs (an unlock prompt left open) must not stall the loop."""
    release = threading.Event()

    class Prompting(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            release.wait(30)
            raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    keyring.set_keyring(Prompting())
    store = SecretStore()
    task = asyncio.ensure_future(store.aget("a"))
    ticks = 0
    while ticks < 20:  # the loop keeps turning while the prompt is open
        await asyncio.sleep(0)
        ticks += 1
    assert not task.done()
    release.set()
    with pytest.raises(KeyringLockedError):
        await task


# --- accounts: nothing half-way -----------------------------------------------------


def test_account_add_with_a_locked_keyring_creates_nothing(tmp_path: Path) -> None:
    backend = LockedKeyring()
    keyring.set_keyring(backend)
    services = open_services(tmp_path / "p")
    try:
        with pytest.raises(KeyringLockedError):
            services.accounts.add("gr", Platform.GIGRADAR, api_key="gr_live_1")
        assert services.accounts.list() == []
        backend.locked = False
        assert backend.store == {}
    finally:
        services.store.close()


@pytest.mark.parametrize("backend", [UnreachableKeyring, fail.Keyring])
def test_account_add_with_an_unusable_keyring_creates_nothing(
    backend: type, tmp_path: Path
) -> None:
    keyring.set_keyring(backend())
    services = open_services(tmp_path / "p")
    try:
        with pytest.raises(SecretError):
            services.accounts.add("gr", Platform.GIGRADAR, api_key="gr_live_1")
        assert services.accounts.list() == []
    finally:
        services.store.close()


def test_account_add_with_the_key_in_the_environment_warns_and_creates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(LockedKeyring())
    monkeypatch.setenv(env_var_for("gr"), "gr_live_env")
    services = open_services(tmp_path / "p")
    try:
        account, warning = services.accounts.add("gr", Platform.GIGRADAR, api_key="gr_live_env")
        assert account.name == "gr" and warning == LOCKED_MESSAGE
        assert services.secrets.get("gr") == "gr_live_env"
    finally:
        services.store.close()


def test_account_add_without_any_key_creates_nothing(tmp_path: Path) -> None:
    services = open_services(tmp_path / "p")
    try:
        with pytest.raises(AccountError, match="BIDDESK_API_KEY_GR"):
            services.accounts.add("gr", Platform.GIGRADAR, api_key=None)
        assert services.accounts.list() == []
    finally:
        services.store.close()


def test_a_failed_row_takes_its_key_back(
    tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = open_services(tmp_path / "p")
    try:

        def refuse(_account: object) -> None:
            raise RuntimeError("disk went away")

        monkeypatch.setattr(services.store.accounts, "add", refuse)
        with pytest.raises(RuntimeError):
            services.accounts.add("gr", Platform.GIGRADAR, api_key="gr_live_1")
        assert memory_keyring.store == {}
    finally:
        services.store.close()


def test_env_var_names() -> None:
    assert env_var_for("sandbox-gigradar") == "BIDDESK_API_KEY_SANDBOX_GIGRADAR"
    assert env_var_for("my.acct") == "BIDDESK_API_KEY_MY_ACCT"
