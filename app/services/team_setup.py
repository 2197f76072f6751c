"""Joining a team database from a form: test the connection, then remember it.

`TeamSetup` is what Preferences' Team page (and `biddesk team join`) use:

- `check(url, password)` connects once and says, in one sentence, what it found:
  connected (with the server's version), nothing answering, a refused password, or a
  PostgreSQL that holds no BidDesk data yet (BidDesk sets it up when it first opens it);
- `save(url, password, member)` remembers the team database for this profile exactly as
  `biddesk team join` does: the URL without its password in the profile folder, the
  password in this machine's keyring (entry `team-database host:port/db`), and the member
  name in the profile folder. Services are built once per run, so a change takes effect
  at the next start; the sentence says so.

Both block (a TCP connect, a keyring that may prompt): callers on a loop run them in a
worker thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from app.services.secrets import SecretError, SecretStore
from app.services.team import MEMBER_FILE, member_name, os_user, password_entry
from app.store import DATABASE_URL_ENV, TEAM_FILE, StoreError, TeamDatabaseUnavailableError
from app.store.migrations import LATEST_VERSION
from app.store.pg import PgTarget, is_database_url, probe

CHECK_TIMEOUT = 5.0  # seconds a test connection waits for the server


class CheckState(StrEnum):
    CONNECTED = "connected"  # a BidDesk team database this version can use
    NOT_BIDDESK = "not-biddesk"  # reachable, but no BidDesk tables yet
    NEWER = "newer"  # set up by a newer BidDesk
    REFUSED = "refused"  # nothing answers there
    WRONG_PASSWORD = "wrong-password"
    FAILED = "failed"  # anything else: the sentence says what


@dataclass(frozen=True)
class TeamCheck:
    state: CheckState
    sentence: str

    @property
    def usable(self) -> bool:
        """Whether this desktop can use the database (BidDesk sets up an empty one)."""
        return self.state in (CheckState.CONNECTED, CheckState.NOT_BIDDESK)


def check_team_database(
    url: str, password: str | None = None, *, timeout: float = CHECK_TIMEOUT
) -> TeamCheck:
    """Connect once to `url` (with `password` unless the URL has its own) and say what
    is there. Changes nothing. Never names the password."""
    url = url.strip()
    if not url:
        return TeamCheck(
            CheckState.FAILED, "Type the team database's URL: postgresql://user@host:5432/db."
        )
    try:
        found = probe(url, password or None, timeout=timeout)
    except TeamDatabaseUnavailableError as exc:
        where, reason = exc.where, exc.reason
        if reason == "nothing answers on that port":
            return TeamCheck(
                CheckState.REFUSED,
                f"Refused: nothing answers at {where}; check the host and port, and that "
                "PostgreSQL is running there.",
            )
        if reason == "the user name or password was refused":
            return TeamCheck(
                CheckState.WRONG_PASSWORD,
                f"Wrong password: PostgreSQL at {where} refused that user name or password.",
            )
        if reason.startswith("it needs a password"):
            return TeamCheck(
                CheckState.WRONG_PASSWORD,
                f"PostgreSQL at {where} needs a password: type it in the Password field.",
            )
        return TeamCheck(CheckState.FAILED, f"Could not connect to {where}: {reason}.")
    except StoreError as exc:
        return TeamCheck(CheckState.FAILED, exc.user_message)
    server = f"PostgreSQL {found.server_version}"
    if found.schema_version is None:
        return TeamCheck(
            CheckState.NOT_BIDDESK,
            f"Connected to {server} at {found.where}, but it is not a BidDesk database yet; "
            "BidDesk sets it up when it first opens it.",
        )
    if found.schema_version > LATEST_VERSION:
        return TeamCheck(
            CheckState.NEWER,
            f"Connected to {server} at {found.where}, but a newer BidDesk set it up "
            f"(database version {found.schema_version}); update BidDesk first.",
        )
    return TeamCheck(
        CheckState.CONNECTED,
        f"Connected to {server} at {found.where}: a BidDesk team database.",
    )


def remember_team(directory: Path, secrets: SecretStore, url: str, password: str | None) -> str:
    """This profile's team database from now on: the URL without its password in the
    profile folder, the password (given, or the URL's own) in the keyring. Returns where
    it is (host:port/db). Raises `SecretError` when the keyring cannot take the password;
    then nothing is written."""
    target = PgTarget(url.strip())
    password = password or target.password
    if password:
        secrets.set(password_entry(target.url), password)
    file = directory / TEAM_FILE
    file.write_text(target.without_password() + "\n", encoding="utf-8")
    file.chmod(0o600)
    return target.where


def remember_member(directory: Path, member: str) -> None:
    """The member name this profile signs with (empty or the OS user: the default)."""
    member = " ".join(member.split())
    file = directory / MEMBER_FILE
    if not member or member == os_user():
        file.unlink(missing_ok=True)
    else:
        file.write_text(member + "\n", encoding="utf-8")


@dataclass(frozen=True)
class TeamForm:
    """What the Team page shows when it opens."""

    url: str  # the saved URL, without its password ("" when none)
    member: str
    default_member: str  # the OS user
    password_stored: bool  # the keyring has one for `url` (unknown counts as no)


class TeamSetup:
    """The Team page's work for one profile. `running_url`/`running_member`: what this
    run uses (`running_url` None: the profile's own database file)."""

    def __init__(
        self,
        directory: Path,
        secrets: SecretStore,
        *,
        running_url: str | None,
        running_member: str,
    ) -> None:
        self.directory = directory
        self.secrets = secrets
        self.running_url = PgTarget(running_url).without_password() if running_url else None
        self.running_member = running_member

    def form(self) -> TeamForm:
        """The saved values (reads the keyring: off the GUI loop)."""
        try:
            saved = (self.directory / TEAM_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            saved = ""
        url = PgTarget(saved).without_password() if is_database_url(saved) else ""
        stored = False
        if url:
            try:
                stored = bool(self.secrets.get(password_entry(url)))
            except SecretError:  # none, or no keyring, or locked: not stored here
                stored = False
        return TeamForm(url, member_name(self.directory), os_user(), stored)

    def _password(self, url: str, typed: str | None) -> str | None:
        """The typed password, else none when the URL has its own, else the stored one."""
        if typed or not url.strip():
            return typed
        try:
            if PgTarget(url.strip()).password:
                return None
        except ValueError:  # not a URL (the check says so in a sentence)
            return None
        return self._stored_password(url)

    def _stored_password(self, url: str) -> str | None:
        try:
            return self.secrets.get(password_entry(url.strip())) or None
        except SecretError:  # none stored, or no keyring: try without one
            return None
        except ValueError:  # not a URL (a port that is no number): the check says so
            return None

    def check(self, url: str, password: str | None) -> TeamCheck:
        return check_team_database(url, self._password(url, password))

    def save(self, url: str, password: str | None, member: str) -> tuple[bool, str]:
        """Test, then remember. Returns (saved, the sentence to show)."""
        password = self._password(url, password)
        checked = check_team_database(url, password)
        if not checked.usable:
            return False, f"Not saved. {checked.sentence}"
        where = remember_team(self.directory, self.secrets, url, password)
        remember_member(self.directory, member)
        saved_url = PgTarget(url.strip()).without_password()
        name = member_name(self.directory)
        if saved_url == self.running_url and name == self.running_member:
            sentence = f"Saved: this profile already uses the team database at {where}."
        else:
            sentence = (
                f"Saved: the team database at {where}, as {name}. Restart BidDesk to switch "
                "to it; it cannot change databases while it runs."
            )
        if os.environ.get(DATABASE_URL_ENV):
            sentence += f" ${DATABASE_URL_ENV} is set and wins over this on this machine."
        return True, sentence
