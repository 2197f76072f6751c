"""A team on one database: who this desktop is, claims, and what the others do, live.

- **Member**: each desktop has a name, `$BIDDESK_MEMBER` or the OS user; it signs the
  submission history this desktop writes and the claims it takes.
- **Password**: the team database's password lives in this machine's keyring (entry
  `team-database <host:port/db>`), never in settings or the database; a URL with its own
  password (in the environment) is used as given.
- **Claims**: `claim` / `release` / `on_edit` (the first edit of a letter claims the job
  when no one else holds it); another member's live claim blocks sending until it is
  taken over (`claim(..., take_over=True)`, after the user confirmed).
- **Live**: on a team database a `Listener` (LISTEN/NOTIFY, no polling of the database)
  hears every change another desktop commits; `TeamLive` turns those into the bus's own
  events on the loop (new and changed opportunities, submission progress) plus
  `ClaimChanged` and `TeamStatus` (one sentence while the database is away).
- **Server**: `server_alive()` says whether a team server's heartbeat is fresh; then
  desktops leave polling the platforms to it.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.domain.opportunity import utcnow
from app.services.events import EventBus, OpportunitiesAdded, OpportunitiesUpdated
from app.services.events import SubmissionChanged as SubmissionChangedEvent
from app.services.secrets import SecretError, SecretStore
from app.store import Store
from app.store.claims import Claim, ClaimedError
from app.store.db import team_database

if TYPE_CHECKING:
    from app.store.pg import Listener

log = logging.getLogger(__name__)

MEMBER_ENV = "BIDDESK_MEMBER"
MEMBER_FILE = "team-member"  # in the profile folder: the member name chosen there
SERVER_ROLE = "server"
DESKTOP_ROLE = "desktop"
HEARTBEAT_EVERY = 5.0  # seconds between a team server's heartbeats
HEARTBEAT_FRESH = timedelta(seconds=20)  # a server quiet for longer is taken as gone


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "desktop"


def member_name(directory: Path | None = None) -> str:
    """This desktop's name on the team: $BIDDESK_MEMBER, else the name saved in the
    profile `directory` (Preferences, Team), else the OS user."""
    given = os.environ.get(MEMBER_ENV, "").strip()
    if given:
        return given
    if directory is not None:
        try:
            saved = (directory / MEMBER_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            saved = ""
        if saved:
            return saved
    return os_user()


def password_entry(url: str) -> str:
    """The keyring entry holding the team database's password."""
    from app.store.pg import PgTarget

    return f"team-database {PgTarget(url).where}"


def team_password(secrets: SecretStore, url: str | None) -> str | None:
    """The keyring's password for `url` (None: none stored, or the URL carries one)."""
    if url is None:
        return None
    from app.store.pg import PgTarget, is_database_url

    if not is_database_url(url) or PgTarget(url).password:
        return None
    try:
        return secrets.get(password_entry(url))
    except SecretError:
        return None  # libpq may still find one (~/.pgpass), or the server needs none


@dataclass(frozen=True, slots=True)
class ClaimChanged:
    """Someone claimed, took over or released a job (`claim` None: no one holds it)."""

    opportunity_key: str
    claim: Claim | None


@dataclass(frozen=True, slots=True)
class TeamStatus:
    """The team database's state for the status bar: a sentence while it is away."""

    sentence: str | None


class TeamService:
    def __init__(self, store: Store, bus: EventBus, member: str) -> None:
        self.store = store
        self.bus = bus
        self.member = member

    @property
    def shared(self) -> bool:
        """Whether this desktop is on a team database."""
        return team_database(self.store.db) is not None

    @property
    def database_url(self) -> str | None:
        """The team database this run uses, without its password (None: not on one)."""
        db = team_database(self.store.db)
        return db.target.without_password() if db is not None else None

    # -- claims ---------------------------------------------------------------------

    def claim(self, key: str, *, take_over: bool = False) -> Claim:
        claim = self.store.claims.claim(key, self.member, take_over=take_over)
        self.bus.publish(ClaimChanged(key, claim))
        return claim

    def release(self, key: str, *, force: bool = False) -> bool:
        released = self.store.claims.release(key, None if force else self.member)
        if released:
            self.bus.publish(ClaimChanged(key, None))
        return released

    def on_edit(self, key: str) -> Claim | None:
        """The letter for `key` was edited: claim it if free, keep our own claim fresh.
        Returns whoever holds it now (another member's claim is left alone)."""
        held = self.store.claims.holder(key)
        if held is not None and held.member != self.member:
            return held
        if held is not None:
            self.store.claims.touch(key, self.member)
            return held
        try:
            return self.claim(key)
        except ClaimedError as exc:  # someone was faster
            return exc.claim

    def claimed_by(self) -> dict[str, str]:
        return {key: claim.member for key, claim in self.store.claims.live().items()}

    # -- the team server ------------------------------------------------------------

    def server_alive(self) -> bool:
        since = utcnow() - HEARTBEAT_FRESH
        return bool(self.store.members.seen_since(since, role=SERVER_ROLE))

    def heartbeat(self, role: str = DESKTOP_ROLE) -> None:
        self.store.members.beat(self.member, role)


class TeamLive:
    """Another desktop's committed changes, as bus events on this desktop's loop."""

    def __init__(
        self,
        store: Store,
        bus: EventBus,
        loop: asyncio.AbstractEventLoop,
        on_message: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.store = store
        self.bus = bus
        self._loop = loop
        self._on_message = on_message
        self._listener: Listener | None = None

    def start(self) -> bool:
        """Start listening; False on a desktop of its own (nothing to hear)."""
        db = team_database(self.store.db)
        if db is None:
            return False
        self._listener = db.listener(self._from_thread, self._status_from_thread).start()
        return True

    @property
    def listening(self) -> bool:
        return self._listener is not None and self._listener.listening.is_set()

    def wait_listening(self, timeout: float) -> bool:
        return self._listener is not None and self._listener.listening.wait(timeout)

    def _from_thread(self, message: dict[str, Any]) -> None:
        self._loop.call_soon_threadsafe(self._handle, message)

    def _status_from_thread(self, sentence: str | None) -> None:
        self._loop.call_soon_threadsafe(self.bus.publish, TeamStatus(sentence))

    def _handle(self, message: dict[str, Any]) -> None:
        if self._on_message is not None:
            self._on_message(message)
        table = message.get("table")
        keys = [str(key) for key in message.get("keys") or ()]
        try:
            if table == "*":  # back after an outage: what was typed meanwhile goes up
                flushed = self.store.drafts.flush_offline()
                if flushed:
                    log.info("%d draft(s) kept on this desktop saved to the team database", flushed)
            if table == "opportunities" and keys:
                found = self.store.opportunities.get_many(keys)
                opps = tuple(found[key] for key in keys if key in found)
                if opps:
                    added = message.get("op") == "insert"
                    event = OpportunitiesAdded(opps) if added else OpportunitiesUpdated(opps)
                    self.bus.publish(event)
            elif table == "submissions":
                for key in keys:
                    sub = self.store.submissions.get(key)
                    if sub is not None:
                        self.bus.publish(SubmissionChangedEvent(sub, None))
            elif table == "claims":
                for key in keys:
                    self.bus.publish(ClaimChanged(key, self.store.claims.holder(key)))
        except Exception:
            # The database may be away again; the listener's reconnection reloads.
            log.warning("a team change could not be loaded", exc_info=True)

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
