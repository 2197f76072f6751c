"""API keys in the OS keyring, with explicit states and no plaintext fallback.

Five states, each with its own sentence and fix (STYLE.md §11):

- no keyring: `keyring` picked its "fail" backend (a headless Linux) or the user chose the
  "null" one; `keyrings.alt`'s plaintext file backends count as none too;
- locked: the Secret Service collection is locked, or the user dismissed the unlock
  prompt (`keyring.errors.KeyringLocked`, which the macOS and KWallet backends raise too);
- unreachable: the backend is configured but its service cannot be reached (no D-Bus
  session bus, the daemon is gone: secretstorage/jeepney/dbus errors);
- and, for one account: stored, or missing.

A key for the current run can always come from `BIDDESK_API_KEY_<ACCOUNT>` in the
environment; it is never written to disk. The program itself hands over keys for one run
(the sandbox's, which are not secrets) with `SecretStore.override`: held in this object's
memory only, consulted before the environment and the keyring, never written anywhere.

Keyring calls may block (a desktop unlock prompt, a slow D-Bus): code on the app's loop
uses the async `aget`/`aset`/`adelete`, which run the call in `asyncio.to_thread`. Keys
read or written once are kept in memory for the run, so later look-ups (each poll, each
webhook) never touch the keyring again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
from contextlib import closing
from dataclasses import dataclass
from enum import StrEnum

import keyring
import keyring.errors

from app.platforms.http import register_secret

log = logging.getLogger(__name__)

SERVICE = "BidDesk"


class SecretState(StrEnum):
    """The keyring as a whole."""

    AVAILABLE = "available"
    LOCKED = "locked"
    UNAVAILABLE = "unavailable"  # no keyring (fail/null backend) or a plaintext one
    UNREACHABLE = "unreachable"  # configured, but its service cannot be reached (D-Bus)


class KeyState(StrEnum):
    """One account's key; the values are what `biddesk account list` shows."""

    STORED = "keyring"
    ENVIRONMENT = "environment"
    MISSING = "missing"
    LOCKED = "locked"
    UNAVAILABLE = "no keyring"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class SecretStatus:
    state: SecretState
    backend: str
    message: str


@dataclass(frozen=True, slots=True)
class KeyStatus:
    state: KeyState
    message: str


class SecretError(Exception):
    """A key could not be stored or read; the message is a sentence for the user."""

    state: SecretState | None = None


class KeyringLockedError(SecretError):
    state = SecretState.LOCKED


class KeyringUnavailableError(SecretError):
    state = SecretState.UNAVAILABLE


class KeyringUnreachableError(SecretError):
    state = SecretState.UNREACHABLE


class MissingKeyError(SecretError):
    """The keyring works, and holds no key under that name (and the environment neither)."""

    state = SecretState.AVAILABLE


LOCKED_MESSAGE = (
    "Your keyring is locked: unlock it (log in to the desktop session, or run "
    "`gnome-keyring-daemon --unlock`) and try again."
)
NO_KEYRING_MESSAGE = (
    "No system keyring is available: install and start GNOME Keyring or KWallet and try "
    "again, or pass each key in the environment as BIDDESK_API_KEY_<ACCOUNT> (used for "
    "that run only)."
)
PLAINTEXT_MESSAGE = (
    "The configured keyring backend stores keys in plain text, which BidDesk does not use "
    "for API keys: choose the system keyring, or pass each key in the environment as "
    "BIDDESK_API_KEY_<ACCOUNT>."
)
UNREACHABLE_MESSAGE = (
    "The system keyring cannot be reached over D-Bus: start BidDesk from your desktop "
    "session (or under `dbus-run-session` with the keyring daemon running) and try again."
)


def env_var_for(account: str) -> str:
    return "BIDDESK_API_KEY_" + re.sub(r"[^A-Za-z0-9]", "_", account).upper()


def _backend_name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_plaintext(backend: object) -> bool:
    return type(backend).__module__.startswith("keyrings.alt")


def _is_none(backend: object) -> bool:
    """The "fail" backend (no keyring found) and the "null" one (keyring turned off)."""
    return type(backend).__module__ in ("keyring.backends.fail", "keyring.backends.null")


_DBUS_MODULES = ("secretstorage", "jeepney", "dbus", "_dbus_bindings")


def _is_dbus_error(exc: BaseException) -> bool:
    """A failure to reach the keyring's service: secretstorage's "not available", a
    jeepney/dbus-python error, or the socket error under them (no session bus)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        module = type(current).__module__.split(".")[0]
        if module in _DBUS_MODULES or "DBus" in type(current).__name__:
            return True
        current = current.__cause__ or current.__context__
    return False


def classify(exc: BaseException) -> SecretState | None:
    """The keyring state an exception from a keyring call means; None for another failure."""
    if isinstance(exc, keyring.errors.KeyringLocked):
        return SecretState.LOCKED
    if _is_dbus_error(exc) and _is_locked_error(exc):
        return SecretState.LOCKED
    if isinstance(exc, keyring.errors.NoKeyringError):
        return SecretState.UNAVAILABLE
    if _is_dbus_error(exc) or isinstance(exc, (keyring.errors.InitError, OSError)):
        # An OSError out of a keyring call is its IPC failing (jeepney lets a missing
        # bus socket's FileNotFoundError through).
        return SecretState.UNREACHABLE
    return None


def _is_locked_error(exc: BaseException) -> bool:
    name = type(exc).__name__
    return name in ("LockedException", "PromptDismissedException")


def _message(state: SecretState, account: str | None = None, *, plaintext: bool = False) -> str:
    """The state's sentence; about one account, it names that account's variable."""
    text = {
        SecretState.LOCKED: LOCKED_MESSAGE,
        SecretState.UNAVAILABLE: PLAINTEXT_MESSAGE if plaintext else NO_KEYRING_MESSAGE,
        SecretState.UNREACHABLE: UNREACHABLE_MESSAGE,
    }.get(state, "")
    if account is not None:
        text = text.replace("each key", "the key").replace(
            "BIDDESK_API_KEY_<ACCOUNT>", env_var_for(account)
        )
    return text


_ERRORS: dict[SecretState, type[SecretError]] = {
    SecretState.LOCKED: KeyringLockedError,
    SecretState.UNAVAILABLE: KeyringUnavailableError,
    SecretState.UNREACHABLE: KeyringUnreachableError,
}

_KEY_STATES = {
    SecretState.LOCKED: KeyState.LOCKED,
    SecretState.UNAVAILABLE: KeyState.UNAVAILABLE,
    SecretState.UNREACHABLE: KeyState.UNREACHABLE,
}


def _probe_secret_service(backend: object) -> SecretState:
    """Ask the Secret Service whether its collection is locked, without the unlock prompt
    that the backend's own `get_preferred_collection` would show."""
    import secretstorage
    import secretstorage.exceptions

    try:
        with closing(secretstorage.dbus_init()) as connection:
            path = getattr(backend, "preferred_collection", None)
            if path:
                collection = secretstorage.Collection(connection, path)
            else:
                collection = secretstorage.get_default_collection(connection)
            return SecretState.LOCKED if collection.is_locked() else SecretState.AVAILABLE
    except secretstorage.exceptions.SecretStorageException as exc:
        log.debug("the Secret Service cannot be reached: %s", exc)
        return SecretState.UNREACHABLE
    except (OSError, ValueError) as exc:  # the D-Bus socket under jeepney
        log.debug("the session bus cannot be reached: %s", exc)
        return SecretState.UNREACHABLE


def _probe(backend: object) -> SecretState:
    """The state a backend reports before any key is asked for, where it can tell."""
    module = type(backend).__module__
    if module == "keyring.backends.chainer":
        inner = list(getattr(backend, "backends", ()))
        if not inner:
            return SecretState.UNAVAILABLE
        states = [_probe(b) for b in inner]
        if SecretState.AVAILABLE in states:
            return SecretState.AVAILABLE
        return states[0]
    if _is_none(backend) or _is_plaintext(backend):
        return SecretState.UNAVAILABLE
    if module == "keyring.backends.SecretService":
        try:
            return _probe_secret_service(backend)
        except ImportError:
            return SecretState.UNREACHABLE
    return SecretState.AVAILABLE


class SecretStore:
    """The one place that touches the keyring."""

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service
        self._cache: dict[str, str] = {}
        self._overrides: dict[str, str] = {}
        self._lock = threading.Lock()

    # -- keys for this run only -----------------------------------------------------------

    def override(self, account: str, key: str | None) -> None:
        """Use `key` for `account` in this run, before the environment and the keyring; it
        is never written to the keyring or disk. None forgets it."""
        with self._lock:
            if key:
                self._overrides[account] = key
            else:
                self._overrides.pop(account, None)
        if key:
            register_secret(key)

    def overridden(self, account: str) -> bool:
        with self._lock:
            return account in self._overrides

    # -- the keyring as a whole -----------------------------------------------------------

    def status(self) -> SecretStatus:
        """Where keys go, and whether they can go there now (may ask D-Bus: off the loop
        use `astatus`)."""
        backend = keyring.get_keyring()
        name = _backend_name(backend)
        if _is_plaintext(backend):
            return SecretStatus(SecretState.UNAVAILABLE, name, PLAINTEXT_MESSAGE)
        state = _probe(backend)
        if state is SecretState.AVAILABLE:
            return SecretStatus(state, name, f"Keys are kept in {name}.")
        return SecretStatus(state, name, _message(state))

    async def astatus(self) -> SecretStatus:
        return await asyncio.to_thread(self.status)

    def _refuse_unusable(self, account: str) -> None:
        """Raise the state's error when the backend itself says keys cannot be used."""
        backend = keyring.get_keyring()
        state = _probe(backend)
        if state is not SecretState.AVAILABLE:
            raise _ERRORS[state](_message(state, account, plaintext=_is_plaintext(backend)))

    def _failure(self, exc: BaseException, doing: str, account: str) -> SecretError:
        state = classify(exc)
        if state is not None:
            log.debug("keyring %s failed: %s: %s", doing, type(exc).__name__, exc)
            return _ERRORS[state](_message(state, account))
        log.warning("the keyring failed to %s: %s", doing, type(exc).__name__)
        return SecretError(f"The system keyring failed to {doing} ({type(exc).__name__}).")

    # -- keys ----------------------------------------------------------------------------

    def set(self, account: str, key: str) -> None:
        """Store `key`; raises a `SecretError` subclass (locked, no keyring, unreachable)
        with the sentence to show, and then nothing is stored."""
        self._refuse_unusable(account)
        try:
            keyring.set_password(self.service, account, key)
        except Exception as exc:  # every backend raises its own kinds
            raise self._failure(exc, "store the key", account) from None
        register_secret(key)
        with self._lock:
            self._cache[account] = key
            self._overrides.pop(account, None)  # the user's own key wins from now on

    async def aset(self, account: str, key: str) -> None:
        await asyncio.to_thread(self.set, account, key)

    def _from_memory(self, account: str, *, fresh: bool = False) -> str | None:
        with self._lock:
            given = self._overrides.get(account)
        if given:
            return given
        env = os.environ.get(env_var_for(account))
        if env:
            register_secret(env)
            return env
        if fresh:
            return None
        with self._lock:
            return self._cache.get(account)

    def get(self, account: str, *, fresh: bool = False) -> str:
        """The key for `account`: this run's override, the environment variable, then the
        keyring (this run's copy of it unless `fresh`: another process may have changed the
        entry)."""
        known = self._from_memory(account, fresh=fresh)
        if known:
            return known
        self._refuse_unusable(account)
        try:
            key = keyring.get_password(self.service, account)
        except Exception as exc:
            raise self._failure(exc, f"read the key for account “{account}”", account) from None
        if not key:
            raise MissingKeyError(self.missing_message(account))
        register_secret(key)
        with self._lock:
            self._cache[account] = key
        return key

    async def aget(self, account: str) -> str:
        known = self._from_memory(account)
        if known:
            return known
        return await asyncio.to_thread(self.get, account)

    def delete(self, account: str) -> None:
        """Forget the stored key; nothing to do when no keyring is set up."""
        with self._lock:
            self._cache.pop(account, None)
            self._overrides.pop(account, None)
        backend = keyring.get_keyring()
        if _is_none(backend) or _is_plaintext(backend):
            return
        try:
            keyring.delete_password(self.service, account)
        except keyring.errors.PasswordDeleteError:
            log.debug("no stored key for %s to delete", account)
        except Exception as exc:
            raise self._failure(exc, "delete the key", account) from None

    async def adelete(self, account: str) -> None:
        await asyncio.to_thread(self.delete, account)

    def key_status(self, account: str) -> KeyStatus:
        """Where the key for `account` comes from, or why there is none; never raises."""
        if self.overridden(account):
            return KeyStatus(
                KeyState.ENVIRONMENT, f"The key for “{account}” is given for this run only."
            )
        if os.environ.get(env_var_for(account)):
            return KeyStatus(
                KeyState.ENVIRONMENT,
                f"The key for “{account}” comes from {env_var_for(account)} for this run.",
            )
        try:
            self.get(account)
        except MissingKeyError as exc:
            return KeyStatus(KeyState.MISSING, str(exc))
        except SecretError as exc:
            if exc.state is not None and exc.state in _KEY_STATES:
                return KeyStatus(_KEY_STATES[exc.state], str(exc))
            return KeyStatus(KeyState.UNREACHABLE, str(exc))
        return KeyStatus(KeyState.STORED, f"The key for “{account}” is in the system keyring.")

    async def akey_status(self, account: str) -> KeyStatus:
        return await asyncio.to_thread(self.key_status, account)

    @staticmethod
    def missing_message(account: str) -> str:
        return (
            f"No API key is stored for account “{account}”: set it with "
            f"`biddesk account set-key {account}` (or Edit in the Accounts window), or "
            f"pass it as {env_var_for(account)}."
        )
