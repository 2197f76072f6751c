"""Keys handed over for one run (the sandbox's): in memory only, before env and keyring."""

from __future__ import annotations

import os

import keyring
import pytest

from app.services.secrets import KeyState, MissingKeyError, SecretStore, env_var_for
from tests.helpers.memkeyring import MemoryKeyring


def test_an_override_is_used_and_never_stored(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore()
    store.override("sandbox-gigiac", "gi_sandbox_key")
    assert store.get("sandbox-gigiac") == "gi_sandbox_key"
    assert store.key_status("sandbox-gigiac").state is KeyState.ENVIRONMENT
    assert "this run only" in store.key_status("sandbox-gigiac").message
    assert keyring.get_password(store.service, "sandbox-gigiac") is None
    assert not os.environ.get(env_var_for("sandbox-gigiac"))
    assert SecretStore().overridden("sandbox-gigiac") is False  # this object's memory only


def test_an_override_comes_before_the_environment_and_the_keyring(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SecretStore()
    keyring.set_password(store.service, "gr", "gr_from_keyring")
    monkeypatch.setenv(env_var_for("gr"), "gr_from_env")
    store.override("gr", "gr_for_this_run")
    assert store.get("gr") == "gr_for_this_run"
    store.override("gr", None)
    assert store.get("gr") == "gr_from_env"
    monkeypatch.delenv(env_var_for("gr"))
    assert store.get("gr", fresh=True) == "gr_from_keyring"


def test_forgetting_or_replacing_an_override(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore()
    store.override("gr", "gr_for_this_run")
    store.override("gr", None)
    with pytest.raises(MissingKeyError):
        store.get("gr")
    store.override("gr", "gr_for_this_run")
    store.set("gr", "gr_users_own")  # the user's own key wins from now on
    assert store.get("gr") == "gr_users_own"
    store.override("gr", "gr_for_this_run")
    store.delete("gr")
    assert not store.overridden("gr")
