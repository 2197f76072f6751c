"""The sandbox's accounts and keys, set up in one place for the window, the demo and serve."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import keyring
import pytest

from app.domain import Platform
from app.sandbox import Sandbox, SandboxConfig
from app.sandbox.provision import provision
from app.services.container import open_services
from app.services.drafting import SECRET_NAME
from app.services.secrets import KeyState, env_var_for
from tests.helpers.memkeyring import MemoryKeyring

pytestmark = pytest.mark.integration


async def test_provision_hands_keys_over_in_memory_only(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    async with Sandbox(SandboxConfig(seed=3, speed=60.0, arrivals=False)) as sandbox:
        info = sandbox.info
        services = open_services(tmp_path / "p")
        try:
            given = provision(info, services, speed=60.0, model_secret=SECRET_NAME)
            assert [a.platform for a in given] == [
                Platform.GIGRADAR,
                Platform.UPHUNT,
                Platform.GIGIAC,
            ]
            for account in given:
                stored = services.store.accounts.get(account.name)
                assert stored is not None and stored.base_url == account.base_url
                assert services.secrets.get(account.name) == account.api_key
                assert services.secrets.key_status(account.name).state is KeyState.ENVIRONMENT
                assert keyring.get_password(services.secrets.service, account.name) is None
                assert not os.environ.get(env_var_for(account.name))
            assert info.openai is not None
            assert services.secrets.get(SECRET_NAME) == info.openai.api_key
            assert services.drafter.model_settings().base_url == info.openai.base_url
            assert not os.environ.get(env_var_for(SECRET_NAME))
            # The keys work: one discovery round on the sandbox's Gigiac.
            gigiac = services.accounts.get("sandbox-gigiac")
            result = await services.inbox.fetch(gigiac)
            assert result.new
            assert services.store.opportunities.all()

            # A sandbox on another port: the same accounts are pointed at it.
            moved = replace(
                info,
                gigiac=replace(info.gigiac, base_url="http://127.0.0.1:1/gigiac"),
            )
            provision(moved, services, speed=60.0)
            again = services.store.accounts.get("sandbox-gigiac")
            assert again is not None and again.base_url == "http://127.0.0.1:1/gigiac"
            assert len(services.store.accounts.list()) == 3
        finally:
            await services.aclose()


async def test_a_kept_profile_keeps_its_own_model_and_the_environment_key(
    tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--sandbox` on a kept profile: the model the user chose stays, with their key."""
    from app.services.drafting import ModelSettings

    async with Sandbox(SandboxConfig(seed=3, speed=60.0, arrivals=False)) as sandbox:
        info = sandbox.info
        assert info.openai is not None
        services = open_services(tmp_path / "p")
        try:
            # First start: default settings, so the sandbox's model drafts.
            provision(info, services, speed=60.0, model_secret=SECRET_NAME)
            assert services.drafter.model_settings().base_url == info.openai.base_url
            # A later start on another port follows the sandbox (its settings, not the user's).
            moved = replace(info, openai=replace(info.openai, base_url="http://127.0.0.1:2/v1"))
            provision(moved, services, speed=60.0, model_secret=SECRET_NAME)
            assert services.drafter.model_settings().base_url == "http://127.0.0.1:2/v1"

            # The user picks their own model; the next --sandbox start leaves it alone…
            mine = ModelSettings(base_url="http://127.0.0.1:11434/v1", model="qwen2.5:7b")
            services.drafter.save_model_settings(mine)
            services.secrets.override(SECRET_NAME, None)
            monkeypatch.setenv(env_var_for(SECRET_NAME), "sk-from-the-environment")
            provision(info, services, speed=60.0, model_secret=SECRET_NAME, model_key_given=True)
            assert services.drafter.model_settings() == mine
            # …and the environment's key is the one used, not the sandbox's.
            assert services.secrets.get(SECRET_NAME) == "sk-from-the-environment"
        finally:
            await services.aclose()

        fresh = open_services(tmp_path / "q")
        try:
            # Default settings and the variable set: the user's key drafts with the default
            # hosted model; the sandbox does not take the model over.
            provision(info, fresh, speed=60.0, model_secret=SECRET_NAME, model_key_given=True)
            assert fresh.drafter.model_settings() == ModelSettings()
            assert fresh.secrets.get(SECRET_NAME) == "sk-from-the-environment"
        finally:
            await fresh.aclose()
