"""Point a profile at a running sandbox: its three accounts, their keys, and its model.

The window's `--sandbox` (and its "Try the sandbox"), `biddesk demo` and `biddesk serve
--sandbox` all start the same way, so it is written once, here. Sandbox keys are not
secrets, but they are not the user's either: they go to the secret store's in-memory
override for this run (`SecretStore.override`), never to the keyring, the database or
the process environment (where every child process and later test would inherit them).

The sandbox never imports the services (tests/unit/test_layers.py), so the caller hands
over its services as they are and this module names only the few parts it uses, as
protocols: the account repository, the secret override and the drafter's model settings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from app.domain import Account, Platform
from app.sandbox.server import SandboxInfo


class _AccountRepo(Protocol):
    def get(self, name: str) -> Account | None: ...
    def add(self, account: Account) -> None: ...
    def update(self, account: Account) -> None: ...


class _Store(Protocol):
    @property
    def accounts(self) -> _AccountRepo: ...


class _Secrets(Protocol):
    def override(self, account: str, key: str | None) -> None: ...


class _Drafter(Protocol):
    def model_settings(self) -> Any: ...
    def save_model_settings(self, settings: Any) -> None: ...


class Target(Protocol):
    """What of `app.services.container.Services` provisioning touches."""

    @property
    def store(self) -> _Store: ...
    @property
    def secrets(self) -> _Secrets: ...
    @property
    def drafter(self) -> _Drafter: ...


@dataclass(frozen=True)
class SandboxAccount:
    name: str
    platform: Platform
    base_url: str
    api_key: str


def sandbox_accounts(info: SandboxInfo) -> tuple[SandboxAccount, ...]:
    """The sandbox's three accounts, by the names BidDesk gives them."""
    return tuple(
        SandboxAccount(f"sandbox-{platform.value}", platform, endpoint.base_url, endpoint.api_key)
        for platform, endpoint in (
            (Platform.GIGRADAR, info.gigradar),
            (Platform.UPHUNT, info.uphunt),
            (Platform.GIGIAC, info.gigiac),
        )
    )


def _sandbox_model(settings: Any, model_name: str) -> bool:
    """Whether `settings` point at a sandbox's model (an earlier `--sandbox` set them)."""
    host = (urlsplit(str(settings.base_url)).hostname or "").lower()
    return settings.model == model_name and host in ("127.0.0.1", "localhost", "::1")


def provision(
    info: SandboxInfo,
    services: Target,
    *,
    speed: float,
    model_secret: str | None = None,
    model_key_given: bool = False,
) -> tuple[SandboxAccount, ...]:
    """Create (or re-point, when the sandbox got another port) the sandbox's accounts and
    hand their keys over for this run.

    With `model_secret` (the drafter's secret name) the drafter uses the sandbox's model
    too, so drafting works with no model server — but only where the model settings are
    still the defaults or an earlier sandbox's: a kept profile whose owner chose a model
    keeps it, with the key from the keyring or the environment. `model_key_given` (the
    model's environment variable is set) counts as such a choice for default settings:
    that key drafts with the default hosted model."""
    accounts = sandbox_accounts(info)
    model = info.openai
    if model_secret is not None and model is not None:
        drafter = services.drafter
        current = drafter.model_settings()
        ours = _sandbox_model(current, model.model)
        untouched = current == type(current)() and not model_key_given
        if ours or untouched:
            services.secrets.override(model_secret, model.api_key)
            drafter.save_model_settings(
                dataclasses.replace(current, base_url=model.base_url, model=model.model)
            )
    repo = services.store.accounts
    for account in accounts:
        services.secrets.override(account.name, account.api_key)
        existing = repo.get(account.name)
        if existing is None:
            repo.add(
                Account(
                    name=account.name,
                    platform=account.platform,
                    base_url=account.base_url,
                    speed=speed,
                )
            )
        elif existing.base_url != account.base_url:
            repo.update(existing.model_copy(update={"base_url": account.base_url}))
    return accounts
