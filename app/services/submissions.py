"""Sending proposals at most once, and following each to its final state.

The rules (DESIGN.md, the submission lifecycle):
- a submission is written to the store BEFORE its request leaves;
- at most one live submission per job: checked here, and enforced by a partial unique
  index in the store, so two processes cannot both send (and GigRadar and UpHunt, which
  reach the same Upwork job, share one key: `upwork:{ciphertext}`);
- a create is never retried blindly: a lost answer makes the submission `unknown`, and it
  is reconciled by reading the platform's state; only a platform that has no record of it
  lets it become `failed` (retryable);
- tracking follows each platform's documented cadence (GigRadar every 5–10 s with
  backoff, at most 30 polls; UpHunt every 5 s for a minute, then every 15 s, for five
  minutes; Gigiac through its proposals list every minute until the client decides);
- at start-up, everything left `submitting` or `unknown` is reconciled;
- a GigRadar scanner whose auto-bidder is on (when GigRadar says so) is sent through only
  after an explicit confirmation: the seed warns of duplicate applications and double
  charges.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from app.domain import (
    Answer,
    Bid,
    Failure,
    FailureReason,
    Opportunity,
    Platform,
    StatusUpdate,
    Submission,
    SubmissionState,
    utcnow,
)
from app.domain.policy import PolicyIssue, Severity, check_submission
from app.domain.submission import Via
from app.platforms import SPECS
from app.platforms.errors import (
    AmbiguousSend,
    AuthError,
    PlatformError,
    RateLimited,
    TransportError,
)
from app.services.accounts import AccountService
from app.services.events import EventBus, SubmissionChanged
from app.services.tasks import TaskManager
from app.services.team import HEARTBEAT_FRESH, SERVER_ROLE
from app.store import Store
from app.store.claims import ClaimedError
from app.store.errors import DuplicateSubmissionError

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class SubmitError(Exception):
    """Why a submission could not be started; the message is a sentence for the user."""


class PolicyViolation(SubmitError):
    def __init__(self, issues: list[PolicyIssue]) -> None:
        self.issues = issues
        errors = [i for i in issues if i.severity is Severity.ERROR]
        shown = errors or issues
        head = "The proposal breaks the platform's rules" if errors else "The proposal has warnings"
        super().__init__(f"{head}: " + " ".join(i.message for i in shown))


class DuplicateSubmission(SubmitError):
    def __init__(self, existing: Submission | None) -> None:
        self.existing = existing
        if existing is None:  # another process holds it and settled it meanwhile
            super().__init__(
                "Another BidDesk window or command is sending a proposal for this job; "
                "BidDesk sends at most one per job."
            )
            return
        # On a team database the history says who moved it last, and when.
        signed = [entry for entry in existing.history if entry.member]
        by = f" by {signed[-1].member} at {signed[-1].at:%H:%M} UTC" if signed else ""
        super().__init__(
            f"A proposal for this job is already {existing.state.value}{by} "
            f"(submission {existing.id[:8]} via {existing.platform.label}); "
            "BidDesk sends at most one per job."
        )


class AutoBidderOn(SubmitError):
    """The GigRadar scanner's auto-bidder is on: sending needs `confirm_auto_bidder`.
    The message is the one-sentence warning to show (and confirm)."""

    def __init__(self, warning: str) -> None:
        self.warning = warning
        super().__init__(warning)


FINAL_STATES = frozenset(
    {SubmissionState.SUBMITTED, SubmissionState.FAILED, SubmissionState.WITHDRAWN}
)


@dataclass(frozen=True)
class SubmitRequest:
    opportunity_key: str
    cover_letter: str
    bid: Bid = Bid()
    answers: tuple[Answer, ...] = ()
    via: Platform | None = None
    account: str | None = None
    profile_id: str | None = None
    scheduled_at: datetime | None = None
    auto_fill_questions: bool = False
    confirm_warnings: bool = False
    confirm_auto_bidder: bool = False
    # A team with a server: store it `staged` for the server's outbox instead of sending.
    stage: bool = False


@dataclass
class Cadence:
    """When to poll next, in platform seconds (divided by the account's speed)."""

    first: float
    factor: float
    ceiling: float
    max_polls: int | None
    max_seconds: float | None
    # UpHunt: a faster first phase.
    fast_until: float | None = None
    slow_interval: float | None = None
    polls: int = field(default=0)

    def next_delay(self, elapsed: float) -> float | None:
        if self.max_polls is not None and self.polls >= self.max_polls:
            return None
        if self.max_seconds is not None and elapsed >= self.max_seconds:
            return None
        if self.fast_until is not None and self.slow_interval is not None:
            delay = self.first if elapsed < self.fast_until else self.slow_interval
        else:
            delay = min(self.ceiling, self.first * (self.factor**self.polls))
        self.polls += 1
        return delay


def cadence_for(platform: Platform) -> Cadence:
    """A fresh cadence from the platform's status-polling recipe (its spec)."""
    return Cadence(**asdict(SPECS[platform].status_polling))


def allowed_routes(opportunity: Opportunity) -> tuple[Platform, ...]:
    """Where a proposal for this opportunity (or for its job, through any of the job's
    `sources`) can be sent, in the platforms' usual order."""
    routes: set[Platform] = set()
    for own in {opportunity.platform, *(s.platform for s in opportunity.sources)}:
        routes.add(own)
        if opportunity.upwork_job_id and not SPECS[own].upwork_route:
            # An Upwork job found by a feed can also go through a route that sends to
            # Upwork jobs.
            routes.update(p for p, spec in SPECS.items() if spec.upwork_route)
    return tuple(p for p in Platform if p in routes)


class SubmissionService:
    def __init__(
        self,
        store: Store,
        accounts: AccountService,
        bus: EventBus,
        tasks: TaskManager,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.store = store
        self.accounts = accounts
        self.bus = bus
        self.tasks = tasks
        self._sleep = sleep
        self._lock = asyncio.Lock()  # one send decision at a time in this process

    # -- checks ---------------------------------------------------------------------------

    def opportunity(self, key: str) -> Opportunity:
        opp = self.store.opportunities.get(key)
        if opp is None:
            raise SubmitError(f"There is no opportunity “{key}” in the inbox; run `biddesk fetch`.")
        return opp

    @staticmethod
    def _enforce_policy(issues: list[PolicyIssue], *, confirmed: bool) -> None:
        """Errors always block; warnings block until the person has confirmed them."""
        if any(i.severity is Severity.ERROR for i in issues) or (issues and not confirmed):
            raise PolicyViolation(issues)

    # -- sending --------------------------------------------------------------------------

    async def submit(self, request: SubmitRequest) -> Submission:
        """Validate, persist, send once; returns the submission after the platform's answer.

        Raises SubmitError (and subclasses) before anything is stored or sent.
        """
        opp = self.opportunity(request.opportunity_key)
        route = request.via or opp.platform
        opp = self.source_for(opp, route, request.account)
        if route not in allowed_routes(opp):
            routes = ", ".join(p.label for p in allowed_routes(opp))
            raise SubmitError(
                f"A {opp.platform.label} opportunity cannot be sent through {route.label} "
                f"(possible: {routes})."
            )
        issues = check_submission(request.cover_letter, request.bid, request.answers, opp, route)
        self._enforce_policy(issues, confirmed=request.confirm_warnings)
        try:
            account = self.accounts.choose(route, request.account)
        except Exception as exc:
            raise SubmitError(str(exc)) from None
        if not request.confirm_auto_bidder:
            warning = await self.auto_bidder_warning(opp, account.name, route)
            if warning:
                raise AutoBidderOn(warning)
        member = self.store.db.member
        stage = request.stage
        if member is not None:  # a team: someone else's claim holds the job
            holder = self.store.claims.holder(opp.key)
            if holder is not None and holder.member != member:
                raise SubmitError(ClaimedError(holder).user_message)
            # With a team server alive, it sends (desktops need no keys, one API budget).
            since = utcnow() - HEARTBEAT_FRESH
            stage = stage or bool(self.store.members.seen_since(since, role=SERVER_ROLE))
        async with self._lock:
            existing = self.store.submissions.live_for(opp.dedupe_key)
            if existing is not None:
                raise DuplicateSubmission(existing)
            draft = Submission(
                opportunity_key=opp.key,
                platform=route,
                account=account.name,
                dedupe_key=opp.dedupe_key,
                cover_letter=request.cover_letter,
                bid=request.bid,
                answers=request.answers,
                profile_id=request.profile_id or account.default_profile_id,
                auto_fill_questions=request.auto_fill_questions,
                scheduled_at=request.scheduled_at,
            )
            if stage:
                sub = draft.transition(SubmissionState.STAGED, detail="staged for the team server")
            else:
                sub = draft.transition(SubmissionState.SUBMITTING, detail="sending")
            try:
                self.store.submissions.insert(sub)
            except DuplicateSubmissionError as exc:
                raise DuplicateSubmission(exc.existing) from None
            self.bus.publish(SubmissionChanged(sub, None))
        if stage:
            return sub
        return await self._send(sub, opp)

    def source_for(
        self, opp: Opportunity, route: Platform, account: str | None = None
    ) -> Opportunity:
        """Which of the job's sources a proposal through `route` is sent on.

        The inbox shows one row per job, but a send names one platform's opportunity:
        GigRadar's own opportunity id and scanner for the GigRadar route, UpHunt's copy
        where there is one. Among several on the route: the chosen account's, else the one
        the user opened, else the best match. A route no source is on (UpHunt for a job
        only GigRadar found) goes through the opened one, as before.
        """
        members = self.store.opportunities.members(opp.key)
        if len(members) <= 1:
            return opp
        on_route = [m for m in members if m.platform is route]
        if not on_route:
            if route in allowed_routes(opp):
                return opp
            return next((m for m in members if route in allowed_routes(m)), opp)
        if account:
            mine = [m for m in on_route if m.account == account]
            on_route = mine or on_route
        opened = next((m for m in on_route if m.key == opp.key), None)
        if opened is not None:
            return opened
        return max(on_route, key=lambda m: m.match_score or 0.0)

    async def send_taken(self, sub: Submission) -> Submission:
        """Send a submission the team server took from the outbox (already `submitting`,
        committed before the request leaves, so a crash mid-send is reconciled)."""
        return await self._send(sub, self.opportunity(sub.opportunity_key))

    def _mine(self, sub: Submission, *, stale_after: timedelta = timedelta(minutes=10)) -> bool:
        """On a team database, whether this desktop should settle `sub`: it moved it
        last, or whoever did has left it alone for `stale_after` (they are gone)."""
        member = self.store.db.member
        if member is None:
            return True
        signed = [entry.member for entry in sub.history if entry.member]
        if not signed or signed[-1] == member:
            return True
        return sub.updated_at < utcnow() - stale_after

    async def auto_bidder_warning(
        self, opp: Opportunity, account: str | None = None, route: Platform | None = None
    ) -> str | None:
        """The one-sentence warning when the GigRadar scanner this would go through has
        its auto-bidder on; None when it is off, unknown (GigRadar does not list scanners
        to every key) or the route is not GigRadar."""
        route = route or opp.platform
        if route is not opp.platform or not SPECS[route].auto_bidder:
            return None
        try:
            # The scanner belongs to the account that found the opportunity.
            chosen = self.accounts.choose(route, account or opp.account or None)
            adapter = self.accounts.adapter(chosen)
        except Exception:  # no such account or no key: the send itself will say so
            return None
        check = getattr(adapter, "auto_bidder_warning", None)
        if check is None:
            return None
        try:
            warning = await check(opp)
        except PlatformError as exc:
            log.info("could not read the auto-bidder setting for %s: %s", opp.key, exc)
            return None
        return warning if isinstance(warning, str) else None

    async def retry(self, submission_id: str, *, confirm_warnings: bool = False) -> Submission:
        """Send a retryable failed submission again (a new attempt, same local id)."""
        sub = self._get(submission_id)
        if not sub.retryable:
            raise SubmitError(
                f"Submission {sub.id[:8]} is {sub.state.value} and cannot be retried."
            )
        opp = self.opportunity(sub.opportunity_key)
        issues = check_submission(sub.cover_letter, sub.bid, sub.answers, opp, sub.platform)
        self._enforce_policy(issues, confirmed=confirm_warnings)
        async with self._lock:
            live = self.store.submissions.live_for(sub.dedupe_key)
            if live is not None and live.id != sub.id:
                raise DuplicateSubmission(live)
            new = sub.transition(SubmissionState.SUBMITTING, detail="retry")
            try:
                self.store.submissions.save(new)
            except DuplicateSubmissionError as exc:
                raise DuplicateSubmission(exc.existing) from None
            self.bus.publish(SubmissionChanged(new, sub))
        return await self._send(new, opp)

    async def _send(self, sub: Submission, opp: Opportunity) -> Submission:
        account = self.accounts.get(sub.account)
        try:
            adapter = await self.accounts.aadapter(account)
        except Exception as exc:  # a missing key: nothing was sent
            return self._commit(
                sub,
                sub.transition(
                    SubmissionState.FAILED,
                    failure=Failure.of(FailureReason.SESSION, str(exc), retryable=True),
                    detail="no API key",
                ),
            )
        try:
            update = await adapter.submit(sub, opp)
        except AmbiguousSend as exc:
            return self._lost(sub, f"the answer was lost ({exc.message})")
        except TransportError as exc:
            if exc.maybe_sent:
                return self._lost(sub, f"the connection broke ({exc.message})")
            return self._commit(
                sub,
                sub.transition(
                    SubmissionState.FAILED,
                    via="api",
                    failure=Failure.of(FailureReason.TRANSIENT, exc.message, retryable=True),
                    detail="not sent: the platform could not be reached",
                ),
            )
        except PlatformError as exc:
            return self._commit(
                sub, sub.transition(SubmissionState.FAILED, via="api", failure=exc.to_failure())
            )
        except asyncio.CancelledError:
            # Shutdown mid-send: we cannot know whether it left; the next start reconciles.
            self._commit(
                sub, sub.transition(SubmissionState.UNKNOWN, detail="interrupted while sending")
            )
            raise
        except Exception:
            log.exception("unexpected error while sending submission %s", sub.id)
            return self._lost(sub, "an unexpected error while sending")
        new = self._accept_answer(sub, update)
        new = self._commit(sub, new)
        self._start_tracking(new)
        return new

    def _lost(self, sub: Submission, why: str) -> Submission:
        """The proposal may or may not exist now: never resend; reconcile by reading."""
        new = self._commit(
            sub, sub.transition(SubmissionState.UNKNOWN, via="api", detail=f"{why}; reconciling")
        )
        self._start_tracking(new)
        return new

    @staticmethod
    def _accept_answer(sub: Submission, update: StatusUpdate) -> Submission:
        """Our own create's answer: unlike a poll, it may say "scheduled" (GigRadar with a
        future `scheduledAt`), which is a legitimate move back from `submitting`."""
        if update.state is SubmissionState.SCHEDULED:
            moved = sub.transition(SubmissionState.SCHEDULED, via="api", detail=update.detail)
            return moved.apply(update.model_copy(update={"state": None}), via="api")
        applied = sub.apply(update, via="api")
        if update.state is SubmissionState.FAILED and update.failure is not None and applied is sub:
            return sub.transition(SubmissionState.FAILED, via="api", failure=update.failure)
        return applied

    def apply_update(
        self, sub: Submission, update: StatusUpdate, *, via: Via = "webhook"
    ) -> Submission:
        """Fold a status the platform pushed (a webhook) into a submission: forward only,
        so a replayed or late event changes nothing. Once it needs no more tracking, its
        polling stops (UpHunt asks for that explicitly: don't mix webhooks and polls)."""
        current = self.store.submissions.get(sub.id) or sub
        new = self._commit(current, current.apply(update, via=via))
        if not new.needs_tracking:
            self.tasks.cancel(f"track:{new.id}")
        return new

    def _commit(self, old: Submission, new: Submission) -> Submission:
        if new is old:
            return old
        self.store.submissions.save(new)
        self.bus.publish(SubmissionChanged(new, old))
        return new

    def _get(self, submission_id: str) -> Submission:
        sub = self.store.submissions.get(submission_id)
        if sub is None:
            matches = [s for s in self.store.submissions.list() if s.id.startswith(submission_id)]
            if len(matches) == 1:
                return matches[0]
            raise SubmitError(f"There is no submission “{submission_id}”.")
        return sub

    # -- tracking -------------------------------------------------------------------------

    def _start_tracking(self, sub: Submission) -> None:
        if sub.needs_tracking:
            self.tasks.spawn(self.track(sub.id), name=f"track:{sub.id}", replace=True)

    def resume_tracking(self) -> int:
        """Start tracking everything that still waits for a platform answer."""
        subs = [sub for sub in self.store.submissions.needing_tracking() if self._mine(sub)]
        for sub in subs:
            self._start_tracking(sub)
        return len(subs)

    async def reconcile(self, submission_id: str) -> Submission:
        """Read the platform's record of one submission and fold it in."""
        sub = self._get(submission_id)
        opp = self.opportunity(sub.opportunity_key)
        adapter = await self.accounts.aadapter(self.accounts.get(sub.account))
        update = await adapter.reconcile(sub, opp)
        return self._commit(sub, self._fold_reconcile(sub, update))

    @staticmethod
    def _fold_reconcile(sub: Submission, update: StatusUpdate | None) -> Submission:
        if update is None:
            if sub.state in (SubmissionState.UNKNOWN, SubmissionState.SUBMITTING):
                return sub.transition(
                    SubmissionState.FAILED,
                    via="reconcile",
                    failure=Failure.of(
                        FailureReason.TRANSIENT,
                        "the platform has no record of it, so it was not sent",
                        retryable=True,
                    ),
                )
            return sub
        if update.state is SubmissionState.SCHEDULED and sub.state is SubmissionState.SUBMITTING:
            moved = sub.transition(SubmissionState.SCHEDULED, via="reconcile")
            return moved.apply(update.model_copy(update={"state": None}), via="reconcile")
        return sub.apply(update, via="reconcile")

    async def reconcile_pending(self) -> list[Submission]:
        """Start-up: settle every submission whose send may have been cut short."""
        settled: list[Submission] = []
        for sub in self.store.submissions.list():
            if sub.state not in (SubmissionState.SUBMITTING, SubmissionState.UNKNOWN):
                continue
            if not self._mine(sub):  # another member's send may still be under way
                continue
            try:
                settled.append(await self.reconcile(sub.id))
            except PlatformError as exc:
                log.warning("could not reconcile submission %s yet: %s", sub.id, exc)
                settled.append(sub)
        return settled

    async def track(self, submission_id: str) -> Submission:
        """Poll one submission until the platform settles it or the cadence runs out."""
        sub = self._get(submission_id)
        account = self.accounts.get(sub.account)
        speed = account.speed
        adapter = await self.accounts.aadapter(account)
        opp = self.opportunity(sub.opportunity_key)
        cadence = cadence_for(sub.platform)
        started = time.monotonic()
        errors = 0
        while sub.needs_tracking:
            if sub.state is SubmissionState.UNKNOWN:
                try:
                    update = await adapter.reconcile(sub, opp)
                except RateLimited as exc:
                    await self._sleep(exc.retry_after if exc.retry_after else 5.0 / speed)
                    continue
                except PlatformError as exc:
                    errors += 1
                    log.info("reconcile of %s failed (%s); trying again", sub.id, exc)
                    await self._sleep(min(60.0, 5.0 * 2**errors) / speed)
                    if errors > 8:
                        break
                    continue
                sub = self._fresh(sub)
                sub = self._commit(sub, self._fold_reconcile(sub, update))
                continue
            if sub.state is SubmissionState.SCHEDULED and sub.scheduled_at is not None:
                wait = (sub.scheduled_at - utcnow()).total_seconds()
                if wait > 0:
                    await self._sleep(wait)
                    started = time.monotonic()
            delay = cadence.next_delay((time.monotonic() - started) * speed)
            if delay is None:
                log.info(
                    "stopped polling %s after %d polls; it will be reconciled later",
                    sub.id,
                    cadence.polls,
                )
                break
            await self._sleep(delay / speed)
            try:
                update = await adapter.poll(sub)
            except RateLimited as exc:
                await self._sleep(exc.retry_after if exc.retry_after else 5.0 / speed)
                continue
            except AuthError as exc:
                log.warning("tracking %s stopped: %s", sub.id, exc)
                break
            except PlatformError as exc:
                errors += 1
                log.info("poll of %s failed (%s)", sub.id, exc)
                continue
            # A webhook may have moved it while this poll was out: fold into the latest.
            sub = self._fresh(sub)
            sub = self._commit(sub, sub.apply(update, via="poll"))
        return sub

    def _fresh(self, sub: Submission) -> Submission:
        return self.store.submissions.get(sub.id) or sub

    async def wait_final(
        self,
        submission_id: str,
        timeout: float,
        *,
        until_outcome: bool = False,
        interval: float = 0.5,
    ) -> Submission:
        """Wait until the submission's *state* is final (submitted, failed, withdrawn) —
        or, with `until_outcome`, until it needs no more tracking (the client decided).

        Sees what this process learns (its events) and what another BidDesk process on
        the same profile records (`biddesk serve` receiving a webhook): the store is read
        again every `interval` seconds. Returns the latest copy when `timeout` passes.
        """

        def done(sub: Submission) -> bool:
            return not sub.needs_tracking if until_outcome else sub.state in FINAL_STATES

        changed = asyncio.Event()

        def on_change(event: SubmissionChanged) -> None:
            if event.submission.id == submission_id:
                changed.set()

        unsubscribe = self.bus.subscribe(SubmissionChanged, on_change)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            sub = self._get(submission_id)
            if sub.needs_tracking and not self.tasks.running(f"track:{sub.id}"):
                self._start_tracking(sub)
            while not done(sub):
                left = deadline - loop.time()
                if left <= 0:
                    break
                changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), min(interval, left))
                sub = self._fresh(sub)
            return sub
        finally:
            unsubscribe()

    async def wait_settled(self, submission_id: str, timeout: float) -> Submission:
        """Wait until the submission needs no more tracking (or `timeout` seconds pass)."""
        done = asyncio.get_running_loop().create_future()

        def on_change(event: SubmissionChanged) -> None:
            settled = event.submission.id == submission_id and not event.submission.needs_tracking
            if settled and not done.done():
                done.set_result(event.submission)

        unsubscribe = self.bus.subscribe(SubmissionChanged, on_change)
        try:
            sub = self._get(submission_id)
            if not sub.needs_tracking:
                return sub
            if not self.tasks.running(f"track:{sub.id}"):
                self._start_tracking(sub)
            try:
                return await asyncio.wait_for(done, timeout)
            except TimeoutError:
                return self._get(submission_id)
        finally:
            unsubscribe()
