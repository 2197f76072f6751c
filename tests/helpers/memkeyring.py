"""In-memory keyring backends: tests never touch the real OS keychain.

`MemoryKeyring` works. `LockedKeyring` and `UnreachableKeyring` fail the way the real
Secret Service backend does: a locked collection whose unlock prompt was dismissed raises
`keyring.errors.KeyringLocked` ("Failed to unlock the collection!"); with no session bus,
`secretstorage.dbus_init()` raises `SecretServiceNotAvailableException`, which keyring
passes through unwrapped. Both keep what was stored before, so a test can unlock (or bring
the bus back) and see that nothing was written while they failed.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError
from secretstorage.exceptions import SecretServiceNotAvailableException


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}
        self.calls = 0  # keyring calls made (the cache must spare most of them)

    def _check(self) -> None:
        self.calls += 1

    def get_password(self, service: str, username: str) -> str | None:
        self._check()
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._check()
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._check()
        try:
            del self.store[(service, username)]
        except KeyError:
            raise PasswordDeleteError(username) from None


class LockedKeyring(MemoryKeyring):
    """A locked collection; the user dismissed the unlock prompt (until `locked = False`)."""

    def __init__(self) -> None:
        super().__init__()
        self.locked = True

    def _check(self) -> None:
        super()._check()
        if self.locked:
            raise KeyringLocked("Failed to unlock the collection!")


class UnreachableKeyring(MemoryKeyring):
    """The Secret Service backend with no D-Bus session bus (until `reachable = True`)."""

    def __init__(self) -> None:
        super().__init__()
        self.reachable = False

    def _check(self) -> None:
        super()._check()
        if not self.reachable:
            try:
                raise KeyError("DBUS_SESSION_BUS_ADDRESS")
            except KeyError as exc:  # what secretstorage.dbus_init() does without a bus
                raise SecretServiceNotAvailableException(
                    f"Environment variable {exc.args[0]} is unset"
                ) from exc
