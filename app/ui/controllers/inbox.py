"""The inbox: loading it, the selection, the user's marks, and the rows' live updates.

`InboxController` reads through the services (the store's rows off the loop, one
opportunity at a time on selection), writes the user's marks through `Inbox`, and keeps
the table model, the filter bar, the submissions pane and the editor's job in step.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

from PySide6.QtCore import QObject, QTimer, Signal

from app.domain import Draft, LocalState, Opportunity, Platform, Submission
from app.domain.filters import FilterSpec
from app.services.container import Services
from app.services.inbox import ShownJob
from app.services.inbox_index import IndexData, LoadCancelled, build_index
from app.services.inbox_source import StoreSource
from app.ui import collector
from app.ui.bridge import Bridge
from app.ui.controllers.feedback import Feedback
from app.ui.loop import next_pass
from app.ui.models.opportunities import OpportunityTableModel
from app.ui.panes.editor import EditorPane
from app.ui.panes.submissions import SubmissionsPane
from app.ui.widgets.filter_bar import FilterBar
from app.ui.widgets.inbox_view import InboxView

log = logging.getLogger(__name__)

FILTER_KEY = "ui.filter"
SAVED_FILTERS_KEY = "ui.saved_filters"
READ_DWELL_MS = 1000  # how long a row must stay selected to count as read
# Rows of a phrase's answer shown before its candidates are all checked: a tall window's
# screenful (~45 rows at 1,600 px) and a page or two of scrolling.
PREVIEW_ROWS = 120


class InboxLoad:
    """The inbox read and indexed on a worker thread, newest rows first.

    `first` resolves with an index of the newest FIRST_ROWS rows as soon as they are read
    (milliseconds: the store's newest-first index serves them), so the table paints real
    rows at once; `result` with the index of the whole inbox, read in slices (about ten
    seconds at a million rows here), or `first` with None when the inbox is that small.
    Both carry the window's order and filter computed on the worker too, so adopting
    them on the GUI thread costs a model reset and nothing more.

    The collector waits meanwhile, and the start-up's objects move to the permanent
    generation when it is done, so no full collection walks them again.
    """

    FIRST_ROWS = 300
    SLICE = 5_000
    FIRST_WAIT = 2.0  # seconds the rest waits at most for the first rows to be shown

    def __init__(
        self,
        first: asyncio.Future[IndexData | None],
        result: asyncio.Future[IndexData],
        collecting: bool,
        stop: threading.Event,
        shown_first: threading.Event,
    ) -> None:
        self.first = first
        self.result = result
        self._collecting = collecting
        self._stop = stop
        self._shown_first = shown_first
        self._finished = False
        # While the worker runs, the GUI thread waiting for the GIL asks for it after 1 ms
        # instead of 5 (the worker's SQLite reads otherwise hold it off for 100 ms here).
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch, 0.001))

    @classmethod
    def start(cls, services: Services, view: tuple[FilterSpec, int | None, bool]) -> InboxLoad:
        collecting = gc.isenabled()
        gc.disable()
        collector.pause()  # nor on the GUI thread's timer (app/ui/collector.py)
        loop = asyncio.get_running_loop()
        first: asyncio.Future[IndexData | None] = loop.create_future()
        states = services.inbox.local_states()
        source = StoreSource(services.store.opportunities)
        slices = source.load_slices(cls.SLICE, first=cls.FIRST_ROWS)
        stop = threading.Event()
        shown_first = threading.Event()

        def hand_over(data: IndexData | None) -> None:
            if not first.done():
                first.set_result(data)

        def read() -> IndexData:
            now = time.time()
            head = next(slices, None)
            more = head is not None and len(head[0]) == cls.FIRST_ROWS
            shown = build_index(source, [head], states, (*view, now)) if more and head else None
            if shown is not None and head is not None:
                # Their display records too (ids follow the slice's order): the first
                # paint reads no row back from the store on the GUI thread.
                shown.items = dict(enumerate(source.items(head[1])))
            loop.call_soon_threadsafe(hand_over, shown)
            if shown is not None:
                # The rest waits until the first rows are painted and the first row is in
                # the editor: building it meanwhile took the GIL from that frame (and a
                # team database's count, a parallel scan, took the two cores).
                shown_first.wait(cls.FIRST_WAIT)
            # Counted after the first rows are shown: on a team database the count is a
            # scan of the table (100-200 ms at 1,000,000 rows) that held them back.
            count = services.store.opportunities.count()
            every = itertools.chain([head] if head else [], slices)
            try:
                return build_index(
                    source,
                    every,
                    states,
                    (*view, time.time()),
                    cancelled=stop.is_set,
                    expected=count,
                    all_orders=True,
                )
            finally:
                # Its read-only connection closes on this thread.
                slices.close()

        result = asyncio.ensure_future(asyncio.to_thread(read))
        result.add_done_callback(lambda _: hand_over(None))  # also when the read failed
        return cls(first, result, collecting, stop, shown_first)

    def first_shown(self) -> None:
        """The first rows are painted and the first row is in the editor: the worker
        reads and indexes the rest from now on."""
        self._shown_first.set()

    def finish(self) -> None:
        """The load is over, or abandoned: the worker stops at its next slice. Once only
        (the task that awaits the rest may also never start: see `load`)."""
        if self._finished:
            return
        self._finished = True
        sys.setswitchinterval(self._switch)
        self._stop.set()
        self._shown_first.set()
        if not self.result.done():
            # Nobody awaits it any more: retrieve its LoadCancelled when it comes.
            self.result.add_done_callback(_quietly)
        gc.freeze()
        collector.resume()
        if self._collecting:
            gc.enable()


def _quietly(future: asyncio.Future[IndexData]) -> None:
    if not future.cancelled() and not isinstance(future.exception(), LoadCancelled):
        future.result()  # anything else is a bug: let the loop report it


class _Shown(NamedTuple):
    """What the editor shows of a job, read ahead on a worker."""

    shown: ShownJob
    draft: Draft | None
    submissions: list[Submission]
    accounts: dict[Platform, list[str]]


class InboxController(QObject):
    """The selected opportunity and everything the inbox shows about it."""

    leaving = Signal()  # the selection is about to move: what works on the old one stops
    opportunity_shown = Signal(object)  # Opportunity, now in the editor

    def __init__(
        self,
        services: Services,
        bridge: Bridge,
        *,
        model: OpportunityTableModel,
        view: InboxView,
        filter_bar: FilterBar,
        editor: EditorPane,
        submissions: SubmissionsPane,
        show_inbox: Callable[[], None],
        feedback: Feedback,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.bridge = bridge
        self.model = model
        self.view = view
        self.filter_bar = filter_bar
        self.editor = editor
        self.submissions = submissions
        self._show_inbox = show_inbox
        self.feedback = feedback
        self.current_key: str | None = None
        # A row is read when the person stays on it (READ_DWELL_MS) or acts on it, never
        # because it was selected for them (the first row at start).
        self._auto_selecting = False
        self._dwell = QTimer(self)
        self._dwell.setSingleShot(True)
        self._dwell.setInterval(READ_DWELL_MS)
        self._dwell.timeout.connect(self._on_dwell_timeout)
        self._titles: dict[str, str] = {}
        # While the whole inbox loads: rows that arrived and keys the user marked, to
        # apply again to the loaded index (its snapshot may predate them).
        self._loading = False
        self._arrived: dict[str, Opportunity] = {}
        self._marked: set[str] = set()
        self.loaded = asyncio.Event()  # set when the whole inbox is in the table
        self._filter_wanted: FilterSpec | None = None  # the latest spec asked for
        self._ready: _Shown | None = None  # for the selection being made, read ahead
        bridge.opportunities_added.connect(self._on_bridge_opportunities)
        bridge.opportunities_updated.connect(self._on_bridge_opportunities)
        bridge.opportunities_archived.connect(self._on_bridge_opportunities_archived)
        bridge.submission_changed.connect(self._on_bridge_submission_changed)
        filter_bar.filter_changed.connect(self.on_filter_changed)
        filter_bar.saved_filters_changed.connect(self._on_filter_bar_saved_filters_changed)
        model.counts_changed.connect(self._on_model_counts_changed)
        view.current_key_changed.connect(self._on_view_current_key_changed)
        submissions.opportunity_requested.connect(self.go_to_opportunity)

    # -- loading --------------------------------------------------------------------------

    async def load(self) -> None:
        """Fill the inbox and the submissions view; the store is read off the loop.

        The saved filter applies from the first screen on. The newest rows are shown as
        soon as they are read; the whole inbox replaces them when its index is built.
        """
        store = self.services.store
        notice = self.feedback.notice
        notice("Loading the inbox…", 0)
        saved = store.settings.get(SAVED_FILTERS_KEY, {})
        if isinstance(saved, dict):
            self.filter_bar.set_saved_filters(saved)
        spec_json = store.settings.get(FILTER_KEY)
        if isinstance(spec_json, str):
            try:
                spec = FilterSpec.from_json(spec_json)
                self.filter_bar.set_spec(spec)
                self.model.set_filter(spec)
                self.editor.set_search_terms(spec.query.terms())
            except ValueError:
                log.warning("ignoring an unreadable saved filter")
        self._loading = True
        self.loaded.clear()
        load = InboxLoad.start(self.services, (self.model.spec(), *self.model.sort_state()))
        try:
            head = await load.first
        except BaseException:
            self._loading = False
            load.finish()
            raise
        if head is not None:
            self.model.adopt(head)
            notice(f"Loading the inbox… the newest {head.n:,} are shown.", 0)
            # The rows paint first: selecting the first row fills the editor (its job,
            # submissions and accounts read from the store), which held the first paint
            # back by ~70 ms in one timeline at 100k, ~140 ms on a team database.
            await next_pass()
            await self._select_first_read_off_the_loop()
            load.first_shown()
            # The rest builds on the worker while the window works. A task cancelled
            # before it starts (a quick quit) never runs its `finally`: finish it then.
            rest = self.services.tasks.spawn(self._load_rest(load), name="inbox:load")
            rest.add_done_callback(lambda _task: load.finish())
        else:
            await self._load_rest(load)
        # Read on a worker: on a team database these are round trips, made while the
        # rest of the inbox loads and takes the GIL between them.
        subs, self._titles = await asyncio.to_thread(self._submitted)
        self.submissions.set_submissions(subs, self._titles)
        # The first row was shown once already, with its submissions (read from the store)
        # and the accounts: filling the editor again here was a second fill right after
        # the first paint, inside the start's longest stall (seen in stack samples).
        self._select_first()

    async def _load_rest(self, load: InboxLoad) -> None:
        try:
            data = await load.result
            # The user may have typed a phrase meanwhile: check its candidates on a worker
            # too, rather than in `adopt` on this thread.
            slow = data.text.slow_terms(self.model.spec().query.node)
            if slow:
                data.text.remember(await asyncio.to_thread(data.text.compute, slow))
            # The whole inbox replaces the head; the view keeps the selection by key.
            self.model.adopt(data)
            del data
        finally:
            self._loading = False
            load.finish()
        self._catch_up()
        total = self.model.total_count()
        # An empty inbox: rows stream in as the accounts are polled.
        notice = self.feedback.notice
        notice(f"{total:,} opportunities in the inbox." if total else "", 5000 if total else 0)
        self._select_first()
        self.loaded.set()

    def _catch_up(self) -> None:
        """Apply what happened during the load to the loaded index."""
        arrived, marked = self._arrived, self._marked
        self._arrived, self._marked = {}, set()
        if arrived:
            self.model.add_or_update(list(arrived.values()))
        inbox = self.services.inbox
        for key in marked:
            flags = self.services.store.opportunities.flags(key)
            if flags is not None:
                self.model.set_flags(
                    key, read=flags.read, starred=flags.starred, archived=flags.archived
                )
                self.model.set_state(key, inbox.state_of(key))

    def _submitted(self) -> tuple[list[Submission], dict[str, str]]:
        """Every submission, and the titles of their opportunities."""
        store = self.services.store
        with store.db.pinned():
            subs = store.submissions.list()
            found = store.opportunities.get_many({s.opportunity_key for s in subs})
        return subs, {key: opp.title for key, opp in found.items()}

    async def _select_first_read_off_the_loop(self) -> None:
        """`_select_first`, with what the editor shows read on a worker first.

        On a team database the reads are round trips; made on this thread while the
        rest of the inbox loads on the worker, each also waits to take the GIL back, and
        the first row's selection was the start's longest stall (at 100,000 rows: 25
        round trips, 55-75 ms, on top of the first paint of rows in the same pass)."""
        if self.current_key is not None or not self.model.rowCount():
            return
        key = self.model.key_at(0)
        if key is None:
            return
        try:
            found = await asyncio.to_thread(self._read_shown, key)
        except Exception:  # read again here, as before, and fail the same way if it does
            log.debug("the first row's read ahead failed", exc_info=True)
            found = None
        self._ready = found
        try:
            self._select_first()  # what happened meanwhile decides: see _show_opportunity
        finally:
            self._ready = None

    def _read_shown(self, key: str) -> _Shown | None:
        inbox = self.services.inbox
        with self.services.store.db.pinned():
            shown = inbox.shown_job(key)
            if shown is None:
                return None
            draft = inbox.newest_draft(shown.source_keys)
            subs = inbox.submissions_of(shown.source_keys)
            return _Shown(shown, draft, subs, self.bridge.accounts_by_platform())

    def _select_first(self) -> None:
        if self.current_key is None and self.model.rowCount():
            self._auto_selecting = True
            try:
                self.view.select_key(self.model.key_at(0))
            finally:
                self._auto_selecting = False

    def accounts_changed(self) -> None:
        """Accounts were added or removed: refresh what depends on them."""
        if self.current_key is not None:
            self.show_opportunity(self.current_key)

    # -- selection ------------------------------------------------------------------------

    def current_opportunity(self) -> Opportunity | None:
        key = self.current_key
        return self.services.store.opportunities.get(key) if key else None

    def show_opportunity(self, key: str | None) -> None:
        if key is None:
            self.current_key = None
            self.editor.show_opportunity(None, None, (), self.bridge.accounts_by_platform())
            return
        # On a team database every read below is a round trip made on this thread: they
        # share one connection (the pool's check of a lent connection is a round trip
        # too), and the job's sources are read once. The first row's selection at start
        # made 25 round trips, ~55 ms of the start's longest stall at 100k rows.
        with self.services.store.db.pinned():
            self._show_opportunity(key)

    def _show_opportunity(self, key: str) -> None:
        inbox = self.services.inbox
        ready, self._ready = self._ready, None
        if ready is not None and ready.shown.key == key and self.current_key is None:
            # Read on a worker for the start's first selection, of this very row.
            shown, draft, subs, accounts = ready
            self._show(shown, lambda: (draft, subs), accounts)
            return
        # One row per job: any source's key (a submission's, a notification's) shows the
        # job's row, with the draft and submissions of all its sources.
        found = inbox.shown_job(key)
        if found is None:
            return
        self._show(
            found,
            lambda: (
                inbox.newest_draft(found.source_keys),
                inbox.submissions_of(found.source_keys),
            ),
            None,
        )

    def _show(
        self,
        shown: ShownJob,
        read: Callable[[], tuple[Draft | None, list[Submission]]],
        accounts: dict[Platform, list[str]] | None,
    ) -> None:
        key, opp = shown.key, shown.job
        moved = key != self.current_key
        if moved:
            self.editor.flush_draft()
            if self._auto_selecting:
                self._dwell.stop()
            else:
                self._dwell.start()
        self.current_key = key
        draft, subs = read()  # after the flush: the draft kept may be this job's own
        if accounts is None:
            accounts = self.bridge.accounts_by_platform()
        self.editor.show_opportunity(opp, draft, subs, accounts)
        self.opportunity_shown.emit(opp)

    def mark_read(self, key: str | None = None) -> None:
        """The person read `key` (default: the shown one), by staying on it or acting."""
        key = key or self.current_key
        if key is None:
            return
        if key == self.current_key:
            self._dwell.stop()
        if self.services.inbox.set_read(key, True):
            self._mark(key)
            self.model.set_flags(key, read=True)
            self.model.set_state(key, self.services.inbox.state_of(key))

    def dwell(self) -> None:
        """The person chose the shown row (clicked it, even if it was selected for them):
        it is read once they stay on it."""
        if self.current_key is not None:
            self._dwell.start()

    def _on_dwell_timeout(self) -> None:
        self.mark_read()

    def go_to_opportunity(self, key: str) -> None:
        """From elsewhere (the submissions view, a notification): select it in the inbox."""
        self._show_inbox()
        key = self.services.inbox.row_key(key)
        if self.model.row_of(key) is None:
            # Filtered out or archived: show it in the editor all the same.
            self.show_opportunity(key)
        else:
            self.view.select_key(key)
        self.mark_read(key)  # asked for by name (tray, notification, submissions): read

    def _on_view_current_key_changed(self, key: str | None) -> None:
        self.leaving.emit()
        self.show_opportunity(key)

    # -- the user's marks -----------------------------------------------------------------

    def archive_current(self) -> None:
        key = self.current_key
        if key is None:
            return
        self.services.inbox.set_archived(key, True)
        self._mark(key)
        self.view.move_selection(1)
        self.model.set_flags(key, archived=True)
        self.feedback.notice("Archived. Show archived opportunities from the filter bar.", 4000)

    def star_current(self) -> None:
        key = self.current_key
        if key is None:
            return
        self.mark_read(key)
        starred = self.services.inbox.toggle_starred(key)
        self._mark(key)
        self.model.set_flags(key, starred=starred)
        self.feedback.notice("Starred." if starred else "Star removed.", 2000)

    def mark_drafted(self, key: str) -> None:
        """A draft was saved: the row says so, unless a submission already speaks for it."""
        state = self.services.inbox.state_of(key)
        if state is LocalState.DRAFTED:
            self._mark(key)
            self.model.set_state(key, state)

    # -- live updates ---------------------------------------------------------------------

    def _mark(self, key: str) -> None:
        if self._loading:
            self._marked.add(key)

    def _on_bridge_opportunities(self, opportunities: Sequence[Opportunity]) -> None:
        if self._loading:
            self._arrived.update((opportunity.key, opportunity) for opportunity in opportunities)
        self.model.add_or_update(opportunities)
        self._select_first()

    def _on_bridge_opportunities_archived(self, keys: Sequence[str]) -> None:
        """Retention archived these by age: they leave the live inbox now, not at the next
        start (the filter's "archived" state still finds them)."""
        for key in keys:
            self._mark(key)
            self.model.set_flags(key, archived=True)

    def _on_bridge_submission_changed(self, sub: Submission) -> None:
        self.submissions.upsert(sub, self.title(sub.opportunity_key))
        row = self.services.inbox.row_key(sub.opportunity_key)  # sent through any source
        self._mark(row)
        self.model.set_state(row, LocalState.of(read=True, drafted=True, submission=sub.state))
        if row == self.current_key:
            self.editor.show_submission(sub)

    def title(self, key: str) -> str | None:
        """Titles of opportunities that have submissions, looked up once."""
        if key not in self._titles:
            opp = self.services.store.opportunities.get(key)
            if opp is None:
                return None
            self._titles[key] = opp.title
        return self._titles[key]

    # -- filters --------------------------------------------------------------------------

    def on_filter_changed(self, spec: FilterSpec) -> None:
        """Show the rows of `spec`. A term with punctuation or a space ("node.js", a
        phrase) is checked against the text of its candidate rows: its first screenful
        shows at once (the candidates checked in the shown order until they fill it), the
        rest is checked on a worker and shows below them when it is done (unless the user
        typed on meanwhile)."""
        # What the user searches for shows in the job's description too.
        self.editor.set_search_terms(spec.query.terms())
        self.services.store.settings.set(FILTER_KEY, spec.to_json())
        self._filter_wanted = spec
        text = self.model.inbox_index.data.text
        slow = text.slow_terms(spec.query.node)
        if not slow:
            self.model.set_filter(spec)
            return
        self.model.preview_filter(spec, PREVIEW_ROWS)
        self.feedback.notice("Searching… the first rows are shown.", 0)

        async def search() -> None:
            found = await asyncio.to_thread(text.compute, slow)
            if self.model.inbox_index.data.text is text:
                text.remember(found)
            if self._filter_wanted == spec:
                self.model.set_filter(spec)
                self.feedback.notice("", 0)

        self.services.tasks.spawn(search(), name=f"inbox:search:{spec.text}")

    def _on_model_counts_changed(self, visible: int, total: int) -> None:
        self.filter_bar.set_counts(visible, total, searching=self.model.searching)

    def _on_filter_bar_saved_filters_changed(self, saved: dict[str, str]) -> None:
        self.services.store.settings.set(SAVED_FILTERS_KEY, dict(saved))
