"""API keys in the OS keyring, with explicit states and no plaintext fallback.

A headless Linux has no keyring: `keyring` then picks its "fail" backend and every call
raises. We report that as UNAVAILABLE with a sentence, and accept a key for the current
run from `BIDDESK_API_KEY_<ACCOUNT>` in the environment — never written to disk.
`keyrings.alt`'s file backends store keys in plaintext, so they count as unavailable too.
Keyring calls may block (a desktop unlock prompt): the GUI calls these through
`asyncio.to_thread`.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from enum import StrEnum

import keyring
import keyring.errors

from app.platforms.http import register_secret

log = logging.getLogger(__name__)

SERVICE = "BidDesk"


class SecretState(StrEnum):
    AVAILABLE = "available"
    LOCKED = "locked"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class SecretStatus:
    state: SecretState
    backend: str
    message: str


class SecretError(Exception):
    """A key could not be stored or read; the message is a sentence for the user."""


class MissingKeyError(SecretError):
    pass


def env_var_for(account: str) -> str:
    return "BIDDESK_API_KEY_" + re.sub(r"[^A-Za-z0-9]", "_", account).upper()


def _backend_name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_plaintext(backend: object) -> bool:
    return type(backend).__module__.startswith("keyrings.alt")


def _is_fail(backend: object) -> bool:
    return type(backend).__module__ == "keyring.backends.fail"


class SecretStore:
    """The one place that touches the keyring."""

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service

    def status(self) -> SecretStatus:
        backend = keyring.get_keyring()
        name = _backend_name(backend)
        if _is_fail(backend):
            return SecretStatus(
                SecretState.UNAVAILABLE,
                name,
                "No system keyring is available (on Linux, install and unlock GNOME Keyring "
                "or KWallet). Until then, pass each key in the environment as "
                "BIDDESK_API_KEY_<ACCOUNT>; it is used for that run only.",
            )
        if _is_plaintext(backend):
            return SecretStatus(
                SecretState.UNAVAILABLE,
                name,
                "The configured keyring backend stores keys in plain text, which BidDesk "
                "does not use for API keys. Use the system keyring, or "
                "BIDDESK_API_KEY_<ACCOUNT> in the environment.",
            )
        return SecretStatus(SecretState.AVAILABLE, name, f"Keys are kept in {name}.")

    def _usable(self) -> bool:
        return self.status().state is SecretState.AVAILABLE

    def set(self, account: str, key: str) -> None:
        status = self.status()
        if status.state is not SecretState.AVAILABLE:
            raise SecretError(status.message)
        try:
            keyring.set_password(self.service, account, key)
        except keyring.errors.KeyringLocked:
            raise SecretError("The system keyring is locked; unlock it and try again.") from None
        except keyring.errors.KeyringError as exc:
            raise SecretError(
                f"The system keyring refused to store the key ({type(exc).__name__})."
            ) from None
        register_secret(key)

    def get(self, account: str) -> str:
        """The key for `account`: the environment variable first, then the keyring."""
        env = os.environ.get(env_var_for(account))
        if env:
            register_secret(env)
            return env
        if self._usable():
            try:
                key = keyring.get_password(self.service, account)
            except keyring.errors.KeyringLocked:
                raise MissingKeyError(
                    f"The system keyring is locked, so the key for account “{account}” "
                    "cannot be read; unlock it and try again."
                ) from None
            except keyring.errors.KeyringError as exc:
                raise MissingKeyError(
                    f"The system keyring failed to read the key for account “{account}” "
                    f"({type(exc).__name__})."
                ) from None
            if key:
                register_secret(key)
                return key
            raise MissingKeyError(
                f"No API key is stored for account “{account}”; add it again with "
                f"`biddesk account add {account} …` or set {env_var_for(account)}."
            )
        raise MissingKeyError(
            f"No API key for account “{account}”: {self.status().message} "
            f"For this account: {env_var_for(account)}."
        )

    def delete(self, account: str) -> None:
        if not self._usable():
            return
        try:
            keyring.delete_password(self.service, account)
        except keyring.errors.PasswordDeleteError:
            log.debug("no stored key for %s to delete", account)
        except keyring.errors.KeyringError as exc:
            raise SecretError(
                f"The system keyring failed to delete the key ({type(exc).__name__})."
            ) from None
