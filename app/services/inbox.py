"""The inbox: normalized opportunities in, deduplicated, stored, announced.

Adapters normalize; the inbox dedupes within a batch (a webhook and a poll may bring the
same job in one tick), upserts in one transaction, and publishes what was new and what
changed. Large batches are written on a worker thread so the loop keeps serving.

One row per job: an opportunity of an Upwork job the inbox already holds (a second
GigRadar scanner's match, the job looked up through UpHunt) is one more source of that
job, not a new row. The events carry job views (`OpportunityRepo.job`): the job's row
with its `sources` and their best match score, so a new source updates the job's row
and is never announced as a new match. The user's marks, the draft and the submissions
of a job are found from any of its sources' keys (`row_key`, `draft_for`,
`submissions_for`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from app.domain import (
    Account,
    Draft,
    LocalState,
    Opportunity,
    Submission,
    SubmissionState,
    utcnow,
)
from app.platforms.errors import PlatformError
from app.services.accounts import AccountService
from app.services.events import AccountStatus, EventBus, OpportunitiesAdded, OpportunitiesUpdated
from app.store import Store
from app.store.opportunities import job_view

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
class ShownJob:
    """A job as the editor opens it (`Inbox.shown_job`)."""

    key: str  # its row's key
    job: Opportunity  # with every source
    source_keys: list[str]  # its row's first (`Inbox.newest_draft`, `submissions_of`)


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
        """Store a batch; publish the new jobs and the jobs that changed (as job views).

        `new` are jobs the inbox did not hold; `changed` are jobs whose row or sources
        changed, a new source of a known job included; `seen` counts the opportunities.
        """
        batch: dict[str, Opportunity] = {}
        for opp in opportunities:
            batch[opp.key] = opp  # the latest copy of a key in one batch wins
        if not batch:
            return IngestResult((), (), 0)
        items = list(batch.values())
        if len(items) > THREAD_THRESHOLD:
            new, changed = await asyncio.to_thread(self._store_batch, batch)
        else:
            new, changed = self._store_batch(batch)
        if new:
            self.bus.publish(OpportunitiesAdded(new))
        if changed:
            self.bus.publish(OpportunitiesUpdated(changed))
        return IngestResult(new, changed, len(items))

    def _store_batch(
        self, batch: dict[str, Opportunity]
    ) -> tuple[tuple[Opportunity, ...], tuple[Opportunity, ...]]:
        """Upsert, then the new and the changed jobs as the inbox shows them."""
        repo = self.store.opportunities
        result = repo.upsert_many(batch.values())
        new_jobs = [key for key in result.new if key not in result.sources_of]
        touched = dict.fromkeys(result.job_of(key) for key in (*result.new, *result.changed))
        if not touched:
            return (), ()
        # Only jobs with more than one source need reading back; the others are shown
        # as the platform sent them.
        grouped = repo.with_sources(touched)
        views = repo.jobs_of(grouped) if grouped else {}
        added = set(new_jobs)
        shown = {key: v for key in touched if (v := views.get(key) or batch.get(key))}
        new = tuple(shown[key] for key in new_jobs if key in shown)
        changed = tuple(v for key, v in shown.items() if key not in added)
        return new, changed

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

    # -- one row per job -----------------------------------------------------------------

    def row_key(self, key: str) -> str:
        """The key of the inbox row for any source's key (a submission's, a draft's)."""
        return self.store.opportunities.primary_of(key) or key

    def job(self, key: str) -> Opportunity | None:
        """The job `key` is a source of, as its inbox row shows it (with its sources)."""
        return self.store.opportunities.job(key)

    def shown_job(self, key: str) -> ShownJob | None:
        """The job of `key` (any source's key) as the editor opens it; None if unknown.

        The same as `row_key`, `job`, `draft_for` and `submissions_for`, with the job's
        sources read once instead of three times: on a team database each read is a
        round trip made on the GUI thread. Its draft and submissions are read apart
        (`newest_draft`, `submissions_of` its `source_keys`), once the editor has kept
        the previous job's draft.
        """
        row, members = self.store.opportunities.sources_of(key)
        job = job_view(members)
        if job is None:
            return None
        return ShownJob(row, job, [o.key for o in members])

    def _source_keys(self, key: str) -> list[str]:
        return [o.key for o in self.store.opportunities.members(key)] or [key]

    def draft_for(self, key: str) -> Draft | None:
        """The job's draft, whichever source's key it was saved under: the newest."""
        return self.newest_draft(self._source_keys(key))

    def newest_draft(self, keys: list[str]) -> Draft | None:
        """The newest of the drafts saved under `keys` (a job's sources)."""
        drafts = [d for k in keys if (d := self.store.drafts.get(k))]
        return max(drafts, key=lambda d: d.updated_at, default=None)

    def submissions_for(self, key: str) -> list[Submission]:
        """Every submission for the job, whichever source it was sent through; newest
        first."""
        return self.submissions_of(self._source_keys(key))

    def submissions_of(self, keys: list[str]) -> list[Submission]:
        """The submissions sent through `keys` (a job's sources), newest first."""
        subs = [s for k in keys for s in self.store.submissions.by_opportunity(k)]
        return sorted(subs, key=lambda s: s.created_at, reverse=True)

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
        """Where the user stands with one job (from any of its sources' keys)."""
        flags = self.store.opportunities.flags(key)
        submissions = self.submissions_for(key)  # newest first
        return LocalState.of(
            read=flags is not None and flags.read_at is not None,
            drafted=self.draft_for(key) is not None,
            submission=submissions[0].state if submissions else None,
        )

    def local_states(self) -> dict[str, LocalState]:
        """State of every job that has a draft or a submission, by its row's key; any
        other is "new" or "read" by its read flag."""
        drafts = [d.opportunity_key for d in self.store.drafts.all()]
        latest: dict[str, SubmissionState] = {}
        subs = self.store.submissions.list()  # newest first
        rows = self.store.opportunities.primaries_of([*drafts, *(s.opportunity_key for s in subs)])
        for sub in subs:
            latest.setdefault(rows.get(sub.opportunity_key, sub.opportunity_key), sub.state)
        drafted = {rows.get(key, key) for key in drafts}
        return {
            key: local_state(read=False, drafted=key in drafted, submission=latest.get(key))
            for key in drafted | set(latest)
        }
