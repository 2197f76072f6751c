"""Where core events become Qt signals, and the shared UI intents become coroutines.

Core services publish plain events on the EventBus; the bridge re-emits them as signals,
coalescing bursts so a thousand webhook deliveries in one tick become one model update.
Widgets emit intents (submit, retry, save a draft...); the bridge runs the matching
service call as a named, owned task and reports the result or a sentence-long error.
The controllers in `app/ui/controllers/` run their own rooms' intents (drafting, accounts,
webhooks) the same way: named tasks in the services' task manager, cancelled at shutdown.
Widgets never hold coroutines (STYLE.md §2).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from app.domain import Account, Draft, Opportunity, Platform, Submission
from app.ingest.poller import Poller
from app.platforms.errors import PlatformError
from app.services.accounts import AccountError
from app.services.container import Services
from app.services.events import (
    AccountStatus,
    CreditsLow,
    OpportunitiesAdded,
    OpportunitiesArchived,
    OpportunitiesUpdated,
    RealtimeStatus,
    SubmissionChanged,
)
from app.services.secrets import SecretError
from app.services.submissions import SubmitError, SubmitRequest
from app.services.team import ClaimChanged, TeamStatus
from app.store.errors import StoreError

log = logging.getLogger(__name__)

# Seconds between two table updates during a burst: one frame of a 60 Hz screen, as
# updating more often shows nothing more. Measured at 500 webhooks/s into a 100k inbox
# (bench_webhooks --only painted --burst-rate 500, 12 runs each way, interleaved): at the
# loop's next pass, ~110 table updates and paints a second took 1.1 ms of the window's
# thread a delivery, a share of the GIL that slowed the receiver's and the applier's
# threads too; at one a frame, 0.7 ms. Write -> painted p99 70.7 -> 60.7 ms (the runs'
# median), p50 37 -> 29, the longest stall 34 -> 22 ms.
FLUSH_SPACING = 1 / 60


def user_message(exc: BaseException) -> str:
    """The sentence a person sees for an error we expected might happen."""
    if isinstance(exc, StoreError):
        return exc.user_message
    return str(exc) or type(exc).__name__


EXPECTED = (SubmitError, AccountError, SecretError, PlatformError, StoreError)


class Bridge(QObject):
    opportunities_added = Signal(object)  # tuple[Opportunity, ...], one per tick
    opportunities_updated = Signal(object)  # tuple[Opportunity, ...], one per tick
    opportunities_archived = Signal(object)  # tuple[str, ...]: retention archived them by age
    submission_changed = Signal(object)  # Submission
    account_status_changed = Signal(object)  # AccountStatus
    error_occurred = Signal(str, str)  # title, sentence
    submit_finished = Signal(str, object)  # opportunity key, Submission | None
    freelancers_loaded = Signal(str, object)  # account, [(profile_id, label)]
    connection_tested = Signal(bool, str)  # ok, message
    realtime_status_changed = Signal(object)  # RealtimeStatus
    notice = Signal(str)  # a sentence for the status bar (a low credit balance…)

    def __init__(self, services: Services, poller: Poller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.poller = poller
        self._added: dict[str, Opportunity] = {}
        self._updated: dict[str, Opportunity] = {}
        self._last_flush = 0.0
        self._draft_failing = False  # the last draft save failed and the user was told
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._flush_timer.timeout.connect(self._flush)
        bus = services.bus
        self._unsubscribe = [
            bus.subscribe(OpportunitiesAdded, self._on_bus_added),
            bus.subscribe(OpportunitiesUpdated, self._on_bus_updated),
            bus.subscribe(
                OpportunitiesArchived, lambda e: self.opportunities_archived.emit(e.keys)
            ),
            bus.subscribe(SubmissionChanged, self._on_bus_submission),
            bus.subscribe(AccountStatus, self.account_status_changed.emit),
            bus.subscribe(RealtimeStatus, self.realtime_status_changed.emit),
            bus.subscribe(CreditsLow, self._on_bus_credits_low),
            bus.subscribe(TeamStatus, self._on_bus_team_status),
            bus.subscribe(ClaimChanged, self._on_bus_claim),
        ]

    def detach(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._flush_timer.stop()

    # -- events in ------------------------------------------------------------------------

    def _on_bus_team_status(self, event: TeamStatus) -> None:
        """The team database went away (its sentence) or came back."""
        self.notice.emit(event.sentence or "The team database is back; everything is saved.")

    def _on_bus_claim(self, event: ClaimChanged) -> None:
        """Another member started writing a job's proposal: say who."""
        claim = event.claim
        if claim is not None and claim.member != self.services.team.member:
            opp = self.services.store.opportunities.get(event.opportunity_key)
            title = opp.title if opp is not None else event.opportunity_key
            self.notice.emit(f"{claim.member} is writing the proposal for “{title}”.")

    def _on_bus_credits_low(self, event: CreditsLow) -> None:
        if event.balance_cents is None:
            self.notice.emit(f"{event.account}: the credit balance is low.")
            return
        self.notice.emit(
            f"{event.account}: credit balance ${event.balance_cents / 100:,.2f}, below the "
            f"${(event.threshold_cents or 0) / 100:,.2f} threshold — top up to keep bidding."
        )

    def _on_bus_added(self, event: OpportunitiesAdded) -> None:
        for opp in event.opportunities:
            self._added[opp.key] = opp
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        """Throttled, not deferred: a change reaches the table at once unless the table was
        updated less than FLUSH_SPACING ago; then it waits for that mark, with whatever
        else arrives meanwhile. A lone webhook's row shows in milliseconds; a burst is a
        table update a frame, not one a delivery. (Deferring every change to the next
        pass made rows wait 30 ms behind Qt's painting and socket events during a burst;
        updating at every pass of a busy loop spent the window's time on updates and
        paints nobody could see.)"""
        left = FLUSH_SPACING - (time.monotonic() - self._last_flush)
        if left <= 0:
            self._flush_timer.stop()
            self._flush()
        elif not self._flush_timer.isActive():
            self._flush_timer.start(math.ceil(left * 1000))

    def _on_bus_updated(self, event: OpportunitiesUpdated) -> None:
        for opp in event.opportunities:
            if opp.key in self._added:
                self._added[opp.key] = opp
            else:
                self._updated[opp.key] = opp
        self._schedule_flush()

    def _on_bus_submission(self, event: SubmissionChanged) -> None:
        self.submission_changed.emit(event.submission)

    def _flush(self) -> None:
        self._last_flush = time.monotonic()
        added, updated = tuple(self._added.values()), tuple(self._updated.values())
        self._added.clear()
        self._updated.clear()
        if added:
            self.opportunities_added.emit(added)
        if updated:
            self.opportunities_updated.emit(updated)

    def flush_now(self) -> None:
        """Deliver pending coalesced events immediately (tests, benchmarks)."""
        self._flush_timer.stop()
        self._flush()

    # -- intents out ----------------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, Any], *, name: str, title: str) -> asyncio.Task[Any]:
        async def guarded() -> Any:
            try:
                return await coro
            except asyncio.CancelledError:
                raise
            except EXPECTED as exc:
                self.error_occurred.emit(title, user_message(exc))
            except Exception as exc:
                log.exception("%s failed", name)
                self.error_occurred.emit(title, f"Something unexpected went wrong: {exc}")
            return None

        return self.services.tasks.spawn(guarded(), name=name, replace=True)

    def submit(self, request: SubmitRequest) -> None:
        async def run() -> None:
            sub: Submission | None = None
            try:
                sub = await self.services.submissions.submit(request)
            finally:
                self.submit_finished.emit(request.opportunity_key, sub)

        self._run(run(), name=f"submit:{request.opportunity_key}", title="Not sent")

    def retry(self, submission_id: str) -> None:
        self._run(
            self.services.submissions.retry(submission_id, confirm_warnings=True),
            name=f"retry:{submission_id}",
            title="Retry failed",
        )

    def reconcile(self, submission_id: str) -> None:
        self._run(
            self.services.submissions.reconcile(submission_id),
            name=f"reconcile:{submission_id}",
            title="Could not check the platform",
        )

    def refresh(self, account: str | None = None) -> None:
        self.poller.refresh(account)

    def save_draft(self, draft: Draft) -> None:
        """Synchronous on purpose: one small SQLite write; a draft must never be lost.

        Typing saves every second or so: a store that keeps failing (disk full, read-only)
        is said (and logged) once, not once a second, until a save succeeds again.
        """
        try:
            self.services.store.drafts.save(draft)
        except StoreError as exc:
            if not self._draft_failing:
                self._draft_failing = True
                log.warning("drafts are not being saved: %s", exc.user_message)
                self.error_occurred.emit("Draft not saved", exc.user_message)
            return
        self._draft_failing = False
        if self.services.team.shared:
            # On a team database the first edit of a letter claims its job for this
            # member (everyone sees who is writing it); later edits keep the claim fresh.
            try:
                self.services.team.on_edit(draft.opportunity_key)
            except StoreError as exc:
                log.info("the claim for %s was not updated: %s", draft.opportunity_key, exc)

    def load_freelancers(self, account: str) -> None:
        async def run() -> None:
            choices = await self.services.accounts.freelancer_choices(account)
            self.freelancers_loaded.emit(account, choices)

        self._run(run(), name=f"freelancers:{account}", title="Freelancers not loaded")

    @property
    def ingest_paused(self) -> bool:
        return self.poller.paused

    def pause_ingest(self) -> None:
        self.poller.pause()

    def resume_ingest(self) -> None:
        self.poller.resume()

    def start_account(self, account: Account) -> None:
        """A new or changed account: poll it (again) from now on."""
        self.poller.start_account(account)

    def stop_account(self, name: str) -> None:
        self.poller.stop_account(name)

    def accounts_by_platform(self) -> dict[Platform, list[str]]:
        result: dict[Platform, list[str]] = {p: [] for p in Platform}
        for account in self.services.accounts.list():
            if account.enabled:
                result[account.platform].append(account.name)
        return result
