"""The core's object graph, built by constructor injection.

Both composition roots — `app/cli/` (headless) and `app/ui/app.py` (GUI) — call
`open_services` and close the result; nothing here is global. What runs on top of the
services while BidDesk is open (polling, webhooks, notifications, tracking) is
`app.ingest.runtime.Runtime`, the same for both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.services.accounts import AccountService
from app.services.drafting import Drafter
from app.services.events import EventBus
from app.services.inbox import Inbox
from app.services.library import Library
from app.services.secrets import SecretStore
from app.services.submissions import SubmissionService
from app.services.tasks import TaskManager
from app.services.team import TeamService, member_name, team_password
from app.store import Store, database_url
from app.store.paths import data_dir

log = logging.getLogger(__name__)


@dataclass
class Services:
    data_dir: Path
    store: Store
    bus: EventBus
    tasks: TaskManager
    secrets: SecretStore
    accounts: AccountService
    inbox: Inbox
    submissions: SubmissionService
    library: Library
    drafter: Drafter
    team: TeamService

    async def aclose(self, timeout: float = 2.0) -> None:
        """Cancel background work, close HTTP clients, then the database."""
        await self.tasks.shutdown(timeout)
        await self.accounts.aclose()
        await self.drafter.aclose()
        self.store.close()


def open_services(
    profile: str | Path | None = None,
    *,
    adapter_options: dict[str, Any] | None = None,
    read_only: bool = False,
    url: str | None = None,
) -> Services:
    """The services on the profile `profile`; on a team database when `url` (or
    $BIDDESK_DATABASE_URL) names one, with its password from this machine's keyring."""
    directory = data_dir(profile)
    secrets = SecretStore()
    team_url = database_url(url, directory)
    store = Store.open(
        directory, read_only=read_only, url=team_url, password=team_password(secrets, team_url)
    )
    member = member_name(directory)
    if store.backend != "sqlite":
        store.db.member = member  # signs the submission history this desktop writes
    bus = EventBus()
    tasks = TaskManager()
    accounts = AccountService(store, secrets, adapter_options)
    library = Library(store)
    return Services(
        data_dir=directory,
        store=store,
        bus=bus,
        tasks=tasks,
        secrets=secrets,
        accounts=accounts,
        inbox=Inbox(store, bus, accounts),
        submissions=SubmissionService(store, accounts, bus, tasks),
        library=library,
        drafter=Drafter(store, secrets, library=library),
        team=TeamService(store, bus, member),
    )
