"""Accounts: the rows in the store, their keys in the keyring, and one client each."""

from __future__ import annotations

import builtins
import contextlib
import logging
import os
from typing import Any

from app.domain import DEFAULT_BASE_URLS, Account, Platform
from app.platforms import create_adapter
from app.platforms.base import PlatformAdapter
from app.services.secrets import SecretError, SecretStore, env_var_for
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
        """Create the account and store its key, or nothing at all.

        The key goes to the keyring first: when it cannot (locked, no keyring, D-Bus
        unreachable) the `SecretError` with its sentence propagates and no account is
        created — unless the key comes from `BIDDESK_API_KEY_<ACCOUNT>` in the
        environment, which then serves each run: the account is created and the sentence
        returned as a warning. With no key at all (and none in the environment) nothing
        is created either.
        """
        account, from_env = self._new_account(
            name, platform, api_key, base_url, speed, default_profile_id
        )
        warning: str | None = None
        stored = False
        if api_key:
            try:
                self.secrets.set(name, api_key)
                stored = True
            except SecretError as exc:
                if not from_env:
                    raise
                warning = str(exc)
        try:
            self.store.accounts.add(account)
        except BaseException:
            if stored:  # no key left behind without its account
                with contextlib.suppress(SecretError):
                    self.secrets.delete(name)
            raise
        return account, warning

    async def aadd(
        self,
        name: str,
        platform: Platform,
        *,
        api_key: str | None,
        base_url: str | None = None,
    ) -> tuple[Account, str | None]:
        """`add` for code on the app's loop: the keyring is written off the loop."""
        account, from_env = self._new_account(name, platform, api_key, base_url, 1.0, None)
        warning: str | None = None
        stored = False
        if api_key:
            try:
                await self.secrets.aset(name, api_key)
                stored = True
            except SecretError as exc:
                if not from_env:
                    raise
                warning = str(exc)
        try:
            self.store.accounts.add(account)
        except BaseException:
            if stored:
                with contextlib.suppress(SecretError):
                    await self.secrets.adelete(name)
            raise
        return account, warning

    def _new_account(
        self,
        name: str,
        platform: Platform,
        api_key: str | None,
        base_url: str | None,
        speed: float,
        default_profile_id: str | None,
    ) -> tuple[Account, bool]:
        """The account to create, checked; and whether its key comes from the environment."""
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
        from_env = bool(os.environ.get(env_var_for(name)))
        if not api_key and not from_env:
            raise AccountError(
                f"Account “{name}” needs an API key: enter it, or set {env_var_for(name)} "
                "in the environment."
            )
        return account, from_env

    async def update(
        self, name: str, *, base_url: str | None = None, api_key: str | None = None
    ) -> Account:
        """Change an account's address and/or key; the key goes to the keyring off the
        loop, first (a keyring that refuses leaves the account as it was)."""
        current = self.get(name)
        changed = current
        if base_url is not None:
            try:
                changed = Account.model_validate(
                    {**current.model_dump(), "base_url": base_url.strip().rstrip("/")}
                )
            except ValueError as exc:
                raise AccountError(_first_error(exc)) from None
        if api_key:
            await self.secrets.aset(name, api_key)
        if changed != current:
            self.store.accounts.update(changed)
        if api_key or changed.base_url != current.base_url:
            self._retire(name)  # the next call builds a client with the new key or address
        return self.get(name)

    async def aremove(self, name: str) -> str | None:
        """`remove` for code on the app's loop: the keyring is written off the loop."""
        if not self.store.accounts.remove(name):
            raise AccountError(f"There is no account named “{name}”.")
        warning: str | None = None
        try:
            await self.secrets.adelete(name)
        except SecretError as exc:
            warning = f"{exc} The key of “{name}” is still in the keyring."
        self._retire(name)
        return warning

    def _retire(self, name: str) -> None:
        adapter = self._adapters.pop(name, None)
        if adapter is not None:
            log.debug("dropping the client of %s", name)
            self._closing.append(adapter)

    async def key_notes(self) -> builtins.list[tuple[Account, str]]:
        """Each account with a sentence about its key ("key stored", or why there is
        none), read off the loop."""
        rows: builtins.list[tuple[Account, str]] = []
        for account in self.list():
            try:
                await self.secrets.aget(account.name)
                note = "key stored"
            except SecretError as exc:  # no key, a locked or missing keyring: a sentence
                note = str(exc)
            except Exception as exc:  # a sentence for the user, whatever the keyring said
                log.exception("reading the key of %s failed", account.name)
                note = str(exc) or type(exc).__name__
            rows.append((account, note))
        return rows

    async def test_connection(
        self, platform: Platform, base_url: str, *, name: str = "", api_key: str = ""
    ) -> str:
        """Ask the platform whether this address and key work: its sentence when they do;
        raises `AccountError`, `SecretError` or `PlatformError` with the reason. Without a
        key, the stored key of account `name` is used (read off the loop)."""
        key = api_key
        if not key and name:
            key = await self.secrets.aget(name)
        try:
            account = Account(name=name or "test", platform=platform, base_url=base_url)
        except ValueError as exc:
            raise AccountError(_first_error(exc)) from None
        adapter = create_adapter(account, key or "", **self.adapter_options)
        try:
            return await adapter.check_connection()
        finally:
            await adapter.aclose()

    async def freelancer_choices(self, name: str) -> builtins.list[tuple[str, str]]:
        """The freelancer profiles an UpHunt account can bid as: (profile id, label)."""
        account = self.get(name)
        adapter = await self.aadapter(account)
        roster_of = getattr(adapter, "freelancers", None)
        if roster_of is None:
            raise AccountError(f"{account.platform.label} accounts have no freelancer list.")
        roster = await roster_of()
        choices: builtins.list[tuple[str, str]] = []
        for person in roster.freelancers:
            for profile in person.profiles:
                rate = f" — ${profile.hourly_rate:g}/h" if profile.hourly_rate else ""
                title = profile.title or person.title or profile.type or "profile"
                choices.append((profile.profile_id, f"{person.name}: {title}{rate}"))
        return choices

    def set_key(self, name: str, api_key: str) -> Account:
        """Store a new key for an existing account (raises the keyring's sentence)."""
        account = self.get(name)
        self.secrets.set(name, api_key)
        self._retire(name)  # the next call builds a client with the new key
        return account

    def remove(self, name: str) -> str | None:
        """Remove the account and its stored key; a sentence when the key had to stay."""
        if not self.store.accounts.remove(name):
            raise AccountError(f"There is no account named “{name}”.")
        warning: str | None = None
        try:
            self.secrets.delete(name)
        except SecretError as exc:
            warning = f"{exc} The key of “{name}” is still in the keyring."
        self._retire(name)
        return warning

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

    async def aadapter(self, account: Account) -> PlatformAdapter:
        """`adapter` for code on the app's loop: the keyring is read off the loop."""
        adapter = self._adapters.get(account.name)
        if adapter is None:
            key = await self.secrets.aget(account.name)
            adapter = self._adapters.get(account.name)  # another task may have made it
            if adapter is None:
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
