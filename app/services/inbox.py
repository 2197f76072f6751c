"""The inbox: normalized opportunities in, deduplicated, stored, announced.

Adapters normalize; the inbox dedupes within a batch (a webhook and a poll may bring the
same job in one tick), upserts in one transaction, and publishes what was new and what
changed. Large batches are written on a worker thread so the loop keeps serving.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from app.domain import Account, LocalState, Opportunity, SubmissionState, utcnow
from app.platforms.errors import PlatformError
from app.services.accounts import AccountService
from app.services.events import AccountStatus, EventBus, OpportunitiesAdded, OpportunitiesUpdated
from app.store import Store

log = logging.getLogger(__name__)

# Above this many rows the upsert runs in a thread: ~5 ms of SQLite work is fine on the loop,
# a 10,000-row import is not.
THREAD_THRESHOLD = 500


# The local states in the inbox's order (the filter bar offers them).
LOCAL_STATES = tuple(state.value for state in LocalState)


def local_state(*, read: bool, drafted: bool, submission: SubmissionState | None) -> LocalState:
    """Where the user stands with an opportunity (`LocalState.of`)."""
    return LocalState.of(read=read, drafted=drafted, submission=submission)


@dataclass(frozen=True, slots=True)
class IngestResult:
    new: tuple[Opportunity, ...]
    changed: tuple[Opportunity, ...]
    seen: int
    note: str | None = None  # one sentence about how this account gets its opportunities

    def summary(self) -> str:
        counts = f"{len(self.new)} new, {len(self.changed)} updated, {self.seen} seen"
        return f"{counts}. {self.note}" if self.note else counts


class Inbox:
    def __init__(self, store: Store, bus: EventBus, accounts: AccountService) -> None:
        self.store = store
        self.bus = bus
        self.accounts = accounts
        self._status: dict[str, AccountStatus] = {}

    async def ingest(self, opportunities: Iterable[Opportunity]) -> IngestResult:
        batch: dict[str, Opportunity] = {}
        for opp in opportunities:
            batch[opp.key] = opp  # the latest copy of a key in one batch wins
        if not batch:
            return IngestResult((), (), 0)
        items = list(batch.values())
        if len(items) > THREAD_THRESHOLD:
            result = await asyncio.to_thread(self.store.opportunities.upsert_many, items)
        else:
            result = self.store.opportunities.upsert_many(items)
        new_keys, changed_keys = set(result.new), set(result.changed)
        new = tuple(o for o in items if o.key in new_keys)
        changed = tuple(o for o in items if o.key in changed_keys)
        if new:
            self.bus.publish(OpportunitiesAdded(new))
        if changed:
            self.bus.publish(OpportunitiesUpdated(changed))
        return IngestResult(new, changed, len(items))

    async def fetch(self, account: Account) -> IngestResult:
        """One discovery round for one account; errors are recorded and re-raised."""
        adapter = await self.accounts.aadapter(account)
        try:
            found = await adapter.fetch_opportunities()
        except PlatformError as exc:
            self._record(account, error=str(exc))
            raise
        stamped = [
            o if o.account else o.model_copy(update={"account": account.name}) for o in found
        ]
        result = await self.ingest(stamped)
        # E.g. GigRadar without its (undocumented) lists: opportunities come by webhook.
        note = getattr(adapter, "discovery_note", None)
        if isinstance(note, str) and note:
            result = IngestResult(result.new, result.changed, result.seen, note)
        self._record(account, error=None, note=result.note)
        log.info("fetched %s: %s", account.name, result.summary())
        return result

    def _record(self, account: Account, *, error: str | None, note: str | None = None) -> None:
        budget: dict[str, object] = {}
        adapter = self.accounts.cached_adapter(account.name)
        limiter = getattr(adapter, "limiter", None)
        if limiter is not None:
            budget = dict(limiter.snapshot())
        status = AccountStatus(
            account=account.name,
            last_poll_at=utcnow(),
            budget=budget,
            last_error=error,
            note=note,
        )
        # Recorded, not published: the poller, which knows when the next round is,
        # announces the account's status once per round.
        self._status[account.name] = status

    def status(self, account: str) -> AccountStatus | None:
        return self._status.get(account)

    # -- the user's marks ----------------------------------------------------------------

    def set_read(self, key: str, read: bool = True) -> bool:
        """Mark the opportunity read (or unread); True when that changed its flag."""
        flags = self.store.opportunities.flags(key)
        if flags is None or (flags.read_at is not None) == read:
            return False
        return self.store.opportunities.set_read(key, read)

    def set_starred(self, key: str, starred: bool) -> bool:
        """Star or unstar; False when there is no such opportunity."""
        return self.store.opportunities.set_starred(key, starred)

    def toggle_starred(self, key: str) -> bool:
        """Flip the star; the new value (False when there is no such opportunity)."""
        flags = self.store.opportunities.flags(key)
        if flags is None:
            return False
        starred = not flags.starred
        self.store.opportunities.set_starred(key, starred)
        return starred

    def set_archived(self, key: str, archived: bool = True) -> bool:
        """Archive (hide from the default inbox) or bring back; False when unknown."""
        return self.store.opportunities.set_archived(key, archived)

    def state_of(self, key: str) -> LocalState:
        """Where the user stands with one opportunity, from the store."""
        flags = self.store.opportunities.flags(key)
        submissions = self.store.submissions.by_opportunity(key)  # newest first
        return LocalState.of(
            read=flags is not None and flags.read_at is not None,
            drafted=self.store.drafts.get(key) is not None,
            submission=submissions[0].state if submissions else None,
        )

    def local_states(self) -> dict[str, LocalState]:
        """State of every opportunity that has a draft or a submission; any other is
        "new" or "read" by its read flag."""
        drafted = {d.opportunity_key for d in self.store.drafts.all()}
        latest: dict[str, SubmissionState] = {}
        for sub in self.store.submissions.list():  # newest first
            latest.setdefault(sub.opportunity_key, sub.state)
        return {
            key: local_state(read=False, drafted=key in drafted, submission=latest.get(key))
            for key in drafted | set(latest)
        }
