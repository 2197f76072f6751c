"""Insights in the window: reports for the Insights tab, and speed-to-proposal measured
while the user works.

- The tab: a filter change or the tab being shown asks for a report; it is computed on a
  worker thread (`Insights.areport`), the newest request replacing an older one, and
  handed to the pane. The facts are read once, in the background a few seconds after
  start; a submission that changes has its fact read again before the next report (at
  once if the tab is showing, after a short pause), and jobs that arrive while the tab
  is showing are counted as seen after the same pause.
- Speed to proposal: when the editor shows a job, BidDesk records when (the first time);
  while the window is active on the Inbox tab, the seconds on that job add up; a draft
  made by a template or the model marks "draft ready" with its source. The editor shows
  how long ago the job was posted and detected and the time spent on it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from app.domain.insights import Dimension, speed_text
from app.domain.opportunity import Opportunity, utcnow
from app.domain.submission import Draft, Submission
from app.services.container import Services
from app.services.insights import Insights
from app.ui.bridge import Bridge
from app.ui.controllers.inbox import InboxController
from app.ui.panes.editor import EditorPane
from app.ui.panes.insights import InsightsPane

log = logging.getLogger(__name__)

REPORT_TASK = "insights:report"
WARM_TASK = "insights:warm"
WARM_DELAY_MS = 5000  # after start-up's busy seconds, the facts are read in the background
TICK_MS = 1000  # how often the time on a job is counted
SAVE_EVERY_S = 15.0  # how often it is written down (and the editor's line refreshed)
STALE_DELAY_MS = 2000  # after a submission changes or jobs arrive, before the shown tab follows


class InsightsController(QObject):
    def __init__(
        self,
        services: Services,
        bridge: Bridge,
        pane: InsightsPane,
        inbox: InboxController,
        editor: EditorPane,
        *,
        tab_visible: Callable[[], bool],
        working: Callable[[], bool],
        parent: QObject,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.insights = Insights(services.store, services.team.member)
        self.pane = pane
        self.editor = editor
        self._tab_visible = tab_visible
        self._working = working  # the window is active and the editor in view
        self._dirty: set[str] = set()  # opportunities whose facts changed since the last report
        self._key: str | None = None
        self._opp: Opportunity | None = None
        self._pending_source: str | None = None
        self._unsaved_ms = 0
        self._last_tick = time.monotonic()
        self._last_save = self._last_tick
        self._active_ms_stored = 0
        self.reports = 0  # reports shown (tests wait on it)

        pane.query_changed.connect(self.refresh)
        bridge.submission_changed.connect(self._on_bridge_submission_changed)
        bridge.opportunities_added.connect(self._on_bridge_opportunities_added)
        inbox.opportunity_shown.connect(self._on_inbox_opportunity_shown)
        editor.draft_requested.connect(self._on_editor_draft_requested)
        editor.draft_changed.connect(self._on_editor_draft_changed)
        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self._on_ticker_timeout)
        self._ticker.start()
        self._stale_timer = QTimer(self)
        self._stale_timer.setSingleShot(True)
        self._stale_timer.setInterval(STALE_DELAY_MS)
        self._stale_timer.timeout.connect(self._on_stale_timer_timeout)
        self._warm_timer = QTimer(self)
        self._warm_timer.setSingleShot(True)
        self._warm_timer.setInterval(WARM_DELAY_MS)
        self._warm_timer.timeout.connect(self._on_warm_timer_timeout)
        self._warm_timer.start()

    def _can_run(self) -> bool:
        """A coroutine can start: the app's loop runs and is not shutting down (a window
        built without a loop, as some tests do, just shows nothing)."""
        if self.services.tasks.closed:
            return False
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def _on_warm_timer_timeout(self) -> None:
        """Read the facts before the tab is first opened, so it opens at once."""
        if not self._can_run() or self.insights.loaded:
            return

        async def warm() -> None:
            await asyncio.to_thread(self.insights.facts)

        self.services.tasks.spawn(warm(), name=WARM_TASK)

    # -- the tab --------------------------------------------------------------------------

    def shown(self) -> None:
        """The tab came into view: show a report (read afresh if anything changed)."""
        self.refresh()

    def refresh(self, *, busy: bool = True) -> None:
        """Ask for a report of the pane's query; `busy=False` (the data changed, not the
        question) keeps the numbers shown until the new ones replace them."""
        if not self._can_run():
            return
        dirty, self._dirty = self._dirty, set()
        query = self.pane.query(utcnow())
        by = self.pane.dimension()
        if busy:
            self.pane.set_busy("Counting…")

        async def run() -> None:
            if dirty:
                await asyncio.to_thread(self.insights.update, dirty)
            report = await self.insights.areport(query, (Dimension.SPEED, by))
            self.pane.show_report(report, by)
            self.reports += 1

        self.services.tasks.spawn(run(), name=REPORT_TASK, replace=True)

    def _on_bridge_submission_changed(self, submission: Submission) -> None:
        self._dirty.add(submission.opportunity_key)
        if self._tab_visible():
            self._stale_timer.start()

    def _on_bridge_opportunities_added(self, _added: object) -> None:
        # New jobs count as seen: a showing tab follows them shortly, once per pause
        # however fast they arrive (the timer is not restarted while it runs).
        if self._tab_visible() and not self._stale_timer.isActive():
            self._stale_timer.start()

    def _on_stale_timer_timeout(self) -> None:
        if self._tab_visible():
            self.refresh(busy=False)

    # -- speed to proposal ----------------------------------------------------------------

    def _on_inbox_opportunity_shown(self, opp: Opportunity) -> None:
        if self.services.store.read_only:
            return
        if opp.key != self._key:
            self._save_active()
            self._key = opp.key
            self._pending_source = None
            self.insights.note_opened(opp.key)
            activity = self.insights.activity_of(opp.key)
            self._active_ms_stored = activity.active_ms if activity else 0
        self._opp = opp
        self._show_speed()

    def note_notified(self, key: str) -> None:
        """A notification announced this job (the start of "notification → opened")."""
        if self.services.store.read_only or self.services.tasks.closed:
            return
        self.insights.note_notified(key)

    def _on_editor_draft_requested(self, source: str) -> None:
        self._pending_source = source

    def _on_editor_draft_changed(self, draft: Draft) -> None:
        source, self._pending_source = self._pending_source, None
        if source is None or draft.opportunity_key != self._key or not draft.cover_letter.strip():
            return
        if self.services.store.read_only:
            return
        if source == "template":
            template: str | None = self.services.library.template(None).name
        else:
            template = "model"
        self.insights.note_draft_ready(draft.opportunity_key, template)
        self._dirty.add(draft.opportunity_key)

    def _on_ticker_timeout(self) -> None:
        now = time.monotonic()
        elapsed = int((now - self._last_tick) * 1000)
        self._last_tick = now
        if self._key is None or not self._working():
            return
        # A long gap (the machine slept) is not time spent on the job.
        self._unsaved_ms += min(elapsed, 2 * TICK_MS)
        if now - self._last_save >= SAVE_EVERY_S:
            self._save_active()
            self._show_speed()

    def _save_active(self) -> None:
        self._last_save = time.monotonic()
        if self._key is None or self._unsaved_ms <= 0 or self.services.store.read_only:
            self._unsaved_ms = 0
            return
        if self.services.tasks.closed:
            return
        ms, self._unsaved_ms = self._unsaved_ms, 0
        self.insights.note_active(self._key, ms)
        self._active_ms_stored += ms

    def _show_speed(self) -> None:
        opp = self._opp
        if opp is None or opp.key != self._key:
            return
        seconds = (self._active_ms_stored + self._unsaved_ms) / 1000.0
        self.editor.set_speed_text(opp.key, speed_text(opp.detected_at, seconds, utcnow()))

    def close(self) -> None:
        """The window is closing: keep the seconds counted so far."""
        self._ticker.stop()
        self._stale_timer.stop()
        self._warm_timer.stop()
        try:
            self._save_active()
        except Exception:  # the store may be gone already; the seconds are not worth a crash
            log.debug("could not save the time on the last job", exc_info=True)
        self.insights.close()
