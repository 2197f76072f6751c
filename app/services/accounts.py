"""Accounts: the rows in the store, their keys in the keyring, and one client each."""

from __future__ import annotations

import builtins
import logging
from typing import Any

from app.domain import DEFAULT_BASE_URLS, Account, Platform
from app.platforms import create_adapter
from app.platforms.base import PlatformAdapter
from app.services.secrets import SecretError, SecretStore
from app.store import Store

log = logging.getLogger(__name__)


class AccountError(Exception):
    """A sentence for the user about an account."""


class AccountService:
    def __init__(
        self, store: Store, secrets: SecretStore, adapter_options: dict[str, Any] | None = None
    ) -> None:
        self.store = store
        self.secrets = secrets
        # Passed to every client (e.g. a shorter timeout in tests); empty in the app.
        self.adapter_options = dict(adapter_options or {})
        self._adapters: dict[str, PlatformAdapter] = {}
        self._closing: list[PlatformAdapter] = []  # clients of removed accounts, closed at exit

    def add(
        self,
        name: str,
        platform: Platform,
        *,
        api_key: str | None,
        base_url: str | None = None,
        speed: float = 1.0,
        default_profile_id: str | None = None,
    ) -> tuple[Account, str | None]:
        """Create the account and store its key.

        Returns the account and, when the key could not go into the keyring, the sentence
        that says why (the account is still created; the key is then read from the
        environment on each run).
        """
        try:
            account = Account(
                name=name,
                platform=platform,
                base_url=base_url or DEFAULT_BASE_URLS[platform],
                speed=speed,
                default_profile_id=default_profile_id,
            )
        except ValueError as exc:
            raise AccountError(_first_error(exc)) from None
        if self.store.accounts.get(name) is not None:
            raise AccountError(f"An account named “{name}” already exists.")
        warning: str | None = None
        if api_key:
            try:
                self.secrets.set(name, api_key)
            except SecretError as exc:
                warning = str(exc)
        self.store.accounts.add(account)
        return account, warning

    def remove(self, name: str) -> None:
        if not self.store.accounts.remove(name):
            raise AccountError(f"There is no account named “{name}”.")
        self.secrets.delete(name)
        adapter = self._adapters.pop(name, None)
        if adapter is not None:
            log.debug("dropping the client of removed account %s", name)
            self._closing.append(adapter)

    def get(self, name: str) -> Account:
        account = self.store.accounts.get(name)
        if account is None:
            raise AccountError(f"There is no account named “{name}”.")
        return account

    def find(self, name: str) -> Account | None:
        return self.store.accounts.get(name)

    def list(self) -> builtins.list[Account]:
        return self.store.accounts.list()

    def for_platform(self, platform: Platform) -> builtins.list[Account]:
        return [a for a in self.list() if a.platform is platform and a.enabled]

    def choose(self, platform: Platform, name: str | None = None) -> Account:
        """The named account, or the only/first enabled account of that platform."""
        if name:
            account = self.get(name)
            if account.platform is not platform:
                raise AccountError(
                    f"Account “{name}” is a {account.platform.label} account, not {platform.label}."
                )
            return account
        candidates = self.for_platform(platform)
        if not candidates:
            raise AccountError(
                f"No {platform.label} account is configured; add one with "
                f"`biddesk account add NAME --platform {platform.value}`."
            )
        return candidates[0]

    def adapter(self, account: Account) -> PlatformAdapter:
        """The account's client, created on first use and reused (it owns a connection pool)."""
        adapter = self._adapters.get(account.name)
        if adapter is None:
            key = self.secrets.get(account.name)
            adapter = create_adapter(account, key, **self.adapter_options)
            self._adapters[account.name] = adapter
        return adapter

    def cached_adapter(self, name: str) -> PlatformAdapter | None:
        """The client if one was created already; never creates one (no keyring access)."""
        return self._adapters.get(name)

    async def aclose(self) -> None:
        adapters = [*self._adapters.values(), *self._closing]
        self._adapters.clear()
        self._closing = []
        for adapter in adapters:
            try:
                await adapter.aclose()
            except Exception:
                log.exception("closing the client of %s failed", adapter.account)


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        items = errors()
        if items:
            msg = str(items[0].get("msg", exc))
            return msg.removeprefix("Value error, ").rstrip(".") + "."
    return str(exc)
