"""Keys in the keyring, clear states when there is none, and no plaintext fallback."""

from __future__ import annotations

import keyring
import keyring.errors
import pytest
from keyring.backends import fail

from app.services.secrets import MissingKeyError, SecretError, SecretState, SecretStore, env_var_for
from tests.helpers.memkeyring import MemoryKeyring


def test_round_trip_in_the_keyring(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore()
    assert store.status().state is SecretState.AVAILABLE
    store.set("gr-main", "gr_live_abc123")
    assert store.get("gr-main") == "gr_live_abc123"
    store.delete("gr-main")
    with pytest.raises(MissingKeyError, match="No API key is stored"):
        store.get("gr-main")


def test_no_keyring_is_a_sentence_and_the_environment_works_for_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keyring.set_keyring(fail.Keyring())
    store = SecretStore()
    status = store.status()
    assert status.state is SecretState.UNAVAILABLE
    assert "BIDDESK_API_KEY_" in status.message
    with pytest.raises(SecretError, match="No system keyring"):
        store.set("gr-main", "gr_live_abc123")
    with pytest.raises(MissingKeyError, match="BIDDESK_API_KEY_GR_MAIN"):
        store.get("gr-main")
    monkeypatch.setenv(env_var_for("gr-main"), "gr_live_from_env")
    assert store.get("gr-main") == "gr_live_from_env"


def test_plaintext_backends_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class PlaintextKeyring(MemoryKeyring):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    keyring.set_keyring(PlaintextKeyring())
    store = SecretStore()
    assert store.status().state is SecretState.UNAVAILABLE
    with pytest.raises(SecretError, match="plain text"):
        store.set("a", "k")


def test_a_locked_keyring_says_so() -> None:
    class Locked(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            raise keyring.errors.KeyringLocked("locked")

        def set_password(self, service: str, username: str, password: str) -> None:
            raise keyring.errors.KeyringLocked("locked")

    keyring.set_keyring(Locked())
    store = SecretStore()
    with pytest.raises(SecretError, match="locked"):
        store.set("a", "k")
    with pytest.raises(MissingKeyError, match="locked"):
        store.get("a")


def test_env_var_names() -> None:
    assert env_var_for("sandbox-gigradar") == "BIDDESK_API_KEY_SANDBOX_GIGRADAR"
    assert env_var_for("my.acct") == "BIDDESK_API_KEY_MY_ACCT"
