"""The editor pane: read the selected opportunity, write the proposal, send it, follow it.

It renders what the main window hands it (an opportunity, its draft, its submissions and the
configured accounts) and emits intents (`draft_changed`, `submit_requested`, …); it never
calls a service. The only rules it runs are the pure checks of
`app.domain.policy.check_submission`, so a problem shows while the user types rather than
after Submit.

The pane composes three rooms that build their widgets into its page: the job header
(`editor_header.JobHeader`), the letter with the answers and the drafting controls
(`editor_letter.LetterRoom`) and the terms, route and bid (`editor_terms.TermsRoom`). It
keeps what spans them: the autosave of the draft, the policy check, Submit and its
confirmation, and the lifecycle strip of the latest submission (`editor_problems` decides
what stops Submit, the sentence under it and the send-anyway question).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from itertools import pairwise

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.bidding import budget_text
from app.domain.opportunity import Opportunity, Platform, utcnow
from app.domain.policy import PolicyIssue, Severity, check_submission
from app.domain.proposal import latest_submission, submit_blocker
from app.domain.submission import (
    Answer,
    Draft,
    Failure,
    Submission,
)
from app.services.submissions import SubmitRequest
from app.ui.panes.editor_header import JobHeader
from app.ui.panes.editor_letter import LetterRoom
from app.ui.panes.editor_problems import (
    final_failure,
    problem_widget,
    send_anyway_box,
    submit_block,
    submit_status,
)
from app.ui.panes.editor_terms import TIMELINES, TermsRoom
from app.ui.widgets.labels import ERROR_COLOR, NEUTRAL_COLOR, muted, set_text_color, wrapping_label
from app.ui.widgets.layouts import ScrollBody, add_section, add_separator, h_line
from app.ui.widgets.lifecycle_strip import LifecycleStrip
from app.ui.widgets.question import Button, answered

__all__ = [
    "DRAFT_IDLE_MS",
    "DRAFT_MAX_DELAY_MS",
    "ERROR_COLOR",
    "TIMELINES",
    "EditorPane",
    "budget_text",
]

# Autosave: a throttle, not a debounce. A pause in typing saves after DRAFT_IDLE_MS, and
# steady typing saves at the latest DRAFT_MAX_DELAY_MS after the first unsaved change (a
# debounce alone never fired while someone typed faster than it, and a kill -9 lost the
# whole letter). The cap sits below the promised second to leave room for a busy loop.
DRAFT_IDLE_MS = 400
DRAFT_MAX_DELAY_MS = 750
POLICY_DEBOUNCE_MS = 150


class EditorPane(QWidget):
    """The pane right of the inbox: the selected opportunity and the proposal for it."""

    # Draft: throttled while typing (DRAFT_MAX_DELAY_MS at most), at once on a field's
    # focus-out, on switching opportunity and whenever the window asks (deactivate, quit).
    draft_changed = Signal(object)
    submit_requested = Signal(object)  # SubmitRequest
    retry_requested = Signal(str)  # submission id
    open_url_requested = Signal(str)  # the job's URL
    freelancers_requested = Signal(str)  # UpHunt account name
    draft_requested = Signal(str)  # "template" or "model": fill the letter for this job
    draft_stop_requested = Signal()
    variant_requested = Signal(str, str)  # (variant, current letter): rewrite it
    answers_draft_requested = Signal()  # draft an answer for each screening question
    continue_requested = Signal(str)  # the letter a model left at its length limit: go on
    similarity_check_requested = Signal(str, str)  # (opportunity key, letter), debounced
    submit_blocked = Signal(str)  # Ctrl+Enter could not send: why, in one sentence
    archive_requested = Signal(str)  # opportunity key: a job that cannot be sent any more
    acted = Signal(str)  # opportunity key: the person did something with this job

    def __init__(
        self, parent: QWidget | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(parent)
        self.setObjectName("editor_pane")
        self._clock = clock  # seconds; tests pass a fake one to type "for three seconds"
        self._unsaved_since: float | None = None  # the clock at the first unsaved edit
        self._opportunity: Opportunity | None = None
        self._submissions: dict[str, Submission] = {}
        self._issues: list[PolicyIssue] = []
        self._loading = False  # widgets are being filled from data, not edited by the user
        self._dirty = False
        self._last_edit_at: datetime | None = None
        self._sending_key: str | None = None
        self._retrying_id: str | None = None
        self._confirm_box: QMessageBox | None = None
        self._pending_request: SubmitRequest | None = None

        self._header = JobHeader(self, self._shown)
        self._header.open_requested.connect(self.open_url_requested)
        self._letter = LetterRoom(self, self._shown)
        self._letter.edited.connect(self._mark_edited)
        self._letter.span_activated.connect(self._on_letter_span_activated)
        self._letter.draft_requested.connect(self.draft_requested)
        self._letter.draft_stop_requested.connect(self.draft_stop_requested)
        self._letter.variant_requested.connect(self.variant_requested)
        self._letter.answers_draft_requested.connect(self.answers_draft_requested)
        self._letter.continue_requested.connect(self.continue_requested)
        self._letter.similarity_check_requested.connect(self.similarity_check_requested)
        self._terms = TermsRoom(self, self._shown)
        self._terms.edited.connect(self._mark_edited)
        self._terms.freelancers_requested.connect(self.freelancers_requested)

        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_IDLE_MS)
        self._draft_timer.timeout.connect(self._on_draft_timer_timeout)
        self._policy_timer = QTimer(self)
        self._policy_timer.setSingleShot(True)
        self._policy_timer.setInterval(POLICY_DEBOUNCE_MS)
        self._policy_timer.timeout.connect(self._on_policy_timer_timeout)

        self._stack = QStackedWidget(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._stack)
        self._stack.addWidget(self._build_empty_page())
        self._stack.addWidget(self._build_editor_page())

        # Anywhere in the window (the inbox, the filter bar, the editor) while the editor
        # shows: the person sends the selected job without reaching for the letter first.
        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(sequence), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(self._on_submit_shortcut_activated)
        for widget in self._editable_widgets():
            widget.installEventFilter(self)
        # The terms form needs ~410 px inside the page's margins and scroll bar; the window
        # still fits a 1024 px screen beside the inbox's narrowest filter bar.
        self.setMinimumWidth(470)

    # -- building ---------------------------------------------------------------------------

    def _build_empty_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        title = QLabel("Select an opportunity")
        title.setObjectName("empty_title")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        title.setFont(font)
        hint = muted(QLabel("Pick a job in the inbox to read it and write a proposal."))
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addStretch(2)
        return page

    def _build_editor_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self._scroll = QScrollArea()
        self._scroll.setObjectName("editor_scroll")
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = ScrollBody()
        self._body = QVBoxLayout(body)
        self._body.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self._body.setContentsMargins(20, 16, 20, 20)
        self._body.setSpacing(6)
        self._header.build_header(self._body)
        add_separator(self._body)
        self._header.build_description(self._body)
        self._letter.build_letter(self._body)
        self._letter.build_questions(self._body)
        add_section(self._body, "Bid and route")
        self._body.addLayout(self._terms.build(self))
        self._body.addStretch(1)
        self._scroll.setWidget(body)
        layout.addWidget(self._scroll, 1)
        layout.addWidget(self._build_footer())
        return page

    def _build_footer(self) -> QWidget:
        footer = QWidget()
        footer.setObjectName("editor_footer")
        layout = QVBoxLayout(footer)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(h_line())
        inner = QVBoxLayout()
        inner.setContentsMargins(20, 10, 20, 12)
        inner.setSpacing(8)
        self._strip = LifecycleStrip()
        self._strip.retry_clicked.connect(self._on_strip_retry_clicked)
        inner.addWidget(self._strip)
        bar = QHBoxLayout()
        bar.setSpacing(12)
        self._status = wrapping_label(name="submit_status")
        self._submit = QPushButton("Submit proposal")
        self._submit.setObjectName("submit")
        self._submit.setToolTip("Send the proposal (Ctrl+Enter)")
        self._submit.setMinimumWidth(150)
        font = self._submit.font()
        font.setBold(True)
        self._submit.setFont(font)
        self._submit.clicked.connect(self._on_submit_button_clicked)
        # A job that can no longer be sent to (closed, already proposed): put it away.
        self._archive = QPushButton("Archive")
        self._archive.setObjectName("archive_job")
        self._archive.setToolTip("Archive this job: it leaves the inbox (the filter bar shows it)")
        self._archive.clicked.connect(self._on_archive_button_clicked)
        self._archive.hide()
        draft_button, stop_button = self._letter.build_draft_controls()
        bar.addWidget(draft_button, 0, Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(stop_button, 0, Qt.AlignmentFlag.AlignVCenter)
        bar.addStretch(1)
        bar.addWidget(self._archive, 0, Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self._submit, 0, Qt.AlignmentFlag.AlignVCenter)
        # The sentence on a line of its own, the pane's full width: squeezed between the
        # buttons of a laptop-sized pane it wrapped into a column of short lines.
        inner.addWidget(self._status)
        inner.addLayout(bar)
        layout.addLayout(inner)
        return footer

    def _editable_widgets(self) -> list[QWidget]:
        return [*self._letter.editable_widgets(), *self._terms.editable_widgets()]

    def _shown(self) -> Opportunity | None:
        return self._opportunity

    # -- public API -------------------------------------------------------------------------

    def show_opportunity(
        self,
        opportunity: Opportunity | None,
        draft: Draft | None,
        submissions: Sequence[Submission],
        accounts: Mapping[Platform, Sequence[str]],
    ) -> None:
        """Show an opportunity with its draft, or the empty state for None.

        Switching away first emits the pending draft of the previous opportunity. Showing the
        same opportunity again (a refresh) keeps edits newer than the given draft.
        """
        previous = self._opportunity
        same = previous is not None and opportunity is not None and previous.key == opportunity.key
        if same and (
            draft is None
            or (self._last_edit_at is not None and draft.updated_at < self._last_edit_at)
        ):
            draft = self.current_draft()
        self.flush_draft()
        self._dismiss_confirm_box()
        self._policy_timer.stop()
        self._opportunity = opportunity
        if not same:
            self._last_edit_at = None
            self._terms.forget_unanswered_requests()
        if opportunity is None:
            self._submissions = {}
            self._stack.setCurrentIndex(0)
            return
        self._submissions = {s.id: s for s in submissions if _of_job(s, opportunity)}
        self._loading = True
        try:
            self._header.fill(opportunity)
            self._letter.fill(opportunity, draft)
            self._set_tab_order()
            self._terms.fill(opportunity, draft, accounts)
        finally:
            self._loading = False
        self._letter.refresh(same=same)
        self._run_policy()
        self._refresh_strip()
        self._stack.setCurrentIndex(1)
        if not same:
            self._scroll.verticalScrollBar().setValue(0)

    def set_speed_text(self, key: str, text: str) -> None:
        """How old the job is and the time spent on it; ignored for another job."""
        if self._opportunity is None or self._opportunity.key != key:
            return
        self._header.speed.setText(text)
        self._header.speed.setVisible(bool(text))

    def show_submission(self, submission: Submission) -> None:
        """A lifecycle update; ignored unless it belongs to the shown opportunity."""
        opp = self._opportunity
        if opp is None or not _of_job(submission, opp):
            return
        self._submissions[submission.id] = submission
        if self._sending_key == opp.key:
            self._sending_key = None
        if self._retrying_id == submission.id:
            self._retrying_id = None
        self._refresh_strip()
        self._refresh_submit()

    def set_search_terms(self, terms: tuple[str, ...]) -> None:
        """The filter bar's search terms (as `Query.terms()` gives them), highlighted in
        the job's description, for this job and the next ones shown."""
        self._header.set_search_terms(terms)

    def highlighted_terms(self) -> list[str]:
        """The pieces of the description highlighted now, in order."""
        return self._header.highlighted()

    def set_freelancers(self, account: str, profiles: Sequence[tuple[str, str]]) -> None:
        """The UpHunt profiles of `account`, as (profile_id, label)."""
        self._terms.set_freelancers(account, profiles)

    def set_sending(self, sending: bool) -> None:
        """While a request is in flight Submit stays disabled."""
        opp = self._opportunity
        if sending:
            self._sending_key = opp.key if opp is not None else None
        else:
            self._sending_key = None
            self._retrying_id = None
            self._refresh_strip()
        self._refresh_submit()

    # -- drafting ---------------------------------------------------------------------------

    def set_letter_text(self, text: str) -> None:
        """Replace the letter (a template draft) as one undoable step; the person edits it
        from there."""
        self._letter.replace_text(text)
        self.focus_letter()

    def request_draft(self, source: str) -> None:
        """Draft the letter ("template" or "model"); asks before replacing a typed one."""
        self._letter.request_draft(source)

    def begin_model_draft(self, *, append: bool = False) -> None:
        """A model starts writing: the letter is replaced as the text streams in, or
        (`append`: Continue) the text is added after the letter as it stands."""
        self._letter.begin_model_draft(append=append)
        self._refresh_submit()

    def set_cut_off(self, key: str | None) -> None:
        """Flag the model letter of job `key` as cut at its length limit, with Continue
        (None: clear the flag)."""
        self._letter.set_cut_off(key)

    def cut_off_text(self) -> str:
        """The length-limit sentence while it shows, else ""."""
        return self._letter.cut_off_text()

    def append_draft_text(self, piece: str) -> None:
        self._letter.append_draft_text(piece)

    def end_model_draft(self) -> None:
        """The stream ended (done, stopped or failed); the letter is the person's again.
        If the model wrote nothing at all (it failed, or was stopped at once), the letter
        it was to replace comes back rather than leaving the person with an empty page."""
        self._letter.end_model_draft()
        self._run_policy()  # the rules apply to what it wrote, at once
        self._letter.check_similarity_now()

    def set_similarity(self, key: str, message: str | None) -> None:
        """The similarity verdict for the letter of opportunity `key` (None: not alike)."""
        self._letter.set_similarity(key, message)

    def set_auto_bidder_warning(self, key: str, message: str | None) -> None:
        """One sentence when opportunity `key`'s GigRadar scanner has its auto-bidder on
        (None: off or unknown). While shown, Submit asks for a confirmation first."""
        self._letter.set_auto_bidder_warning(key, message)

    def auto_bidder_text(self) -> str:
        return self._letter.auto_bidder_text()

    def similarity_text(self) -> str:
        return self._letter.similarity_text()

    def begin_answers_draft(self) -> None:
        self._letter.begin_answers_draft()

    def end_answers_draft(self) -> None:
        self._letter.end_answers_draft()

    def fill_drafted_answers(self, key: str, answers: Sequence[Answer]) -> None:
        """Put drafted answers into the empty answer fields; answers the person wrote are
        replaced only if they agree (asked once, for all of them)."""
        self._letter.fill_drafted_answers(key, answers)

    @property
    def drafting(self) -> bool:
        return self._letter.drafting

    def focus_letter(self) -> None:
        if self._opportunity is None:
            return
        self._letter.letter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self._scroll.ensureWidgetVisible(self._letter.letter, 0, 40)

    def current_draft(self) -> Draft | None:
        opp = self._opportunity
        if opp is None:
            return None
        return Draft(
            opportunity_key=opp.key,
            cover_letter=self._letter.text(),
            bid=self._terms.bid(),
            answers=self._letter.answers(),
            via=self._terms.route(),
            account=self._terms.account(),
            profile_id=self._terms.profile_id(),
            scheduled_at=self._terms.scheduled_at(),
        )

    def flush_draft(self) -> None:
        """Emit draft_changed now if there are unsaved edits."""
        self._draft_timer.stop()
        self._unsaved_since = None
        if not self._dirty or self._opportunity is None:
            self._dirty = False
            return
        self._dirty = False
        self.draft_changed.emit(self.current_draft())

    def _set_tab_order(self) -> None:
        chain: list[QWidget] = [
            self._header.open_button,
            self._header.description,
            *self._letter.editable_widgets(),
            *self._terms.editable_widgets(),
            self._strip.retry_button,
            self._submit,
        ]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _build_request(
        self, *, confirm_warnings: bool, confirm_auto_bidder: bool = False
    ) -> SubmitRequest:
        draft = self.current_draft()
        assert draft is not None
        return SubmitRequest(
            opportunity_key=draft.opportunity_key,
            cover_letter=draft.cover_letter,
            bid=draft.bid,
            answers=draft.answers,
            via=draft.via,
            account=draft.account,
            profile_id=draft.profile_id,
            scheduled_at=draft.scheduled_at,
            confirm_warnings=confirm_warnings,
            confirm_auto_bidder=confirm_auto_bidder,
        )

    # -- state ------------------------------------------------------------------------------

    def _refresh_strip(self) -> None:
        latest = latest_submission(self._submissions.values())
        self._strip.show_submission(
            latest, retry_pending=latest is not None and latest.id == self._retrying_id
        )

    def _blocker(self) -> tuple[str, str] | None:
        """Why Submit is disabled now, as (sentence, colour); None when it may be pressed."""
        opp = self._opportunity
        if opp is None:
            return "", NEUTRAL_COLOR
        return submit_block(
            self._submissions.values(),
            self._terms.route(),
            self._terms.account(),
            self._issues,
            sending=self._sending_key == opp.key,
            confirming=self._confirm_box is not None,
            drafting=self._letter.drafting,
        )

    def _final_failure(self) -> Failure | None:
        return final_failure(self._submissions.values())

    def _refresh_submit(self) -> None:
        blocker = self._blocker()
        self._submit.setEnabled(blocker is None)
        self._submit.setText(
            "Sending…" if blocker is not None and blocker[0] == "Sending…" else "Submit proposal"
        )
        failure = self._final_failure()
        self._archive.setVisible(failure is not None)
        text, color = submit_status(blocker, failure, self._issues)
        self._status.setText(text)
        set_text_color(self._status, color)

    def _run_policy(self) -> None:
        opp = self._opportunity
        if opp is None or self._letter.drafting:
            return
        self._issues = check_submission(
            self._letter.text(),
            self._terms.bid(),
            self._letter.answers(),
            opp,
            self._terms.route(),
        )
        self._letter.show_issues(self._issues)
        self._refresh_submit()

    def _mark_edited(self) -> None:
        if self._loading or self._opportunity is None:
            return
        self._dirty = True
        self._last_edit_at = utcnow()
        self._policy_timer.start()
        self._schedule_draft_save()

    def _schedule_draft_save(self) -> None:
        """Save after a pause, but never later than DRAFT_MAX_DELAY_MS after the first
        unsaved edit, however steadily the typing goes on.

        The deadline is checked here too, not only by the timer: if the loop is so busy
        that the timer is late, the next keystroke saves.
        """
        now = self._clock()
        if self._unsaved_since is None:
            self._unsaved_since = now
        left_ms = DRAFT_MAX_DELAY_MS - (now - self._unsaved_since) * 1000
        if left_ms <= 0:
            self.flush_draft()
            return
        self._draft_timer.start(max(1, min(DRAFT_IDLE_MS, int(left_ms))))

    def _dismiss_confirm_box(self) -> None:
        box, self._confirm_box = self._confirm_box, None
        self._pending_request = None
        if box is not None:
            box.finished.disconnect(self._on_confirm_box_finished)
            box.close()
            box.deleteLater()

    def _emit_submit(self, request: SubmitRequest) -> None:
        # Mark as sending before emitting: a slot may answer synchronously (set_sending,
        # show_submission), and a second click must find Submit already disabled.
        self._sending_key = request.opportunity_key
        self._refresh_submit()
        self.submit_requested.emit(request)

    # -- slots ------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusOut and self._dirty:
            # Whatever takes the focus (another field, the inbox, another window), what
            # was typed in this field is saved now: one small write.
            self.flush_draft()
        return super().eventFilter(watched, event)

    def _on_draft_timer_timeout(self) -> None:
        self.flush_draft()

    def _on_policy_timer_timeout(self) -> None:
        self._run_policy()

    def _on_letter_span_activated(self) -> None:
        self._scroll.ensureWidgetVisible(self._letter.letter, 0, 40)

    def _on_strip_retry_clicked(self, submission_id: str) -> None:
        if self._retrying_id is not None:
            return
        self._retrying_id = submission_id
        self._refresh_strip()
        self.retry_requested.emit(submission_id)

    def _on_submit_shortcut_activated(self) -> None:
        reason = self.request_submit()
        if reason:
            self.submit_blocked.emit(reason)

    def request_submit(self) -> str | None:
        """Ctrl+Enter: send the shown proposal, or say why it cannot go and put the focus
        on the first thing to fix. Returns that sentence (None: sent, or a question asks)."""
        if self._opportunity is None:
            return "Select a job in the inbox first."
        if self._confirm_box is not None:
            self._confirm_box.activateWindow()
            return None
        self._policy_timer.stop()
        self._run_policy()
        blocker = self._blocker()
        if blocker is None:
            self._on_submit_button_clicked()
            return None
        self._focus_first_problem()
        return blocker[0]

    def _focus_first_problem(self) -> None:
        """The field behind the first reason Submit is disabled gets the focus."""
        blocker = submit_blocker(
            self._submissions.values(), self._terms.route(), self._terms.account(), self._issues
        )
        target = problem_widget(blocker, self._issues, self._letter, self._terms)
        if target is not None:
            target.setFocus(Qt.FocusReason.OtherFocusReason)
            self._scroll.ensureWidgetVisible(target, 0, 40)

    def _on_archive_button_clicked(self) -> None:
        if self._opportunity is not None:
            self.archive_requested.emit(self._opportunity.key)

    def _on_submit_button_clicked(self) -> None:
        if self._opportunity is None or self._confirm_box is not None:
            return
        self._policy_timer.stop()
        self._run_policy()  # the last keystroke may still be inside the debounce
        if self._blocker() is not None:
            return
        self.flush_draft()
        warnings = [i for i in self._issues if i.severity is Severity.WARNING]
        auto_bidder = self._letter.auto_bidder_on()
        if not warnings and not auto_bidder:
            self._emit_submit(self._build_request(confirm_warnings=False))
            return
        self._pending_request = self._build_request(
            confirm_warnings=True, confirm_auto_bidder=auto_bidder
        )
        box = send_anyway_box(
            self, warnings, self._letter.auto_bidder_warning() if auto_bidder else None
        )
        box.finished.connect(self._on_confirm_box_finished)
        self._confirm_box = box
        self._refresh_submit()
        box.open()

    def _on_confirm_box_finished(self, _result: int) -> None:
        box, self._confirm_box = self._confirm_box, None
        request, self._pending_request = self._pending_request, None
        if box is None:
            return
        accepted = answered(box, Button.Yes)
        box.deleteLater()
        opp = self._opportunity
        if (
            accepted
            and request is not None
            and opp is not None
            and request.opportunity_key == opp.key
            and self._blocker() is None
        ):
            self._emit_submit(request)
            return
        self._refresh_submit()


def _of_job(submission: Submission, opportunity: Opportunity) -> bool:
    """Whether a submission is for the shown job: made on its row, or sent through another
    of its sources (a GigRadar scanner's opportunity, UpHunt's copy)."""
    return (
        submission.opportunity_key == opportunity.key
        or submission.dedupe_key == opportunity.dedupe_key
    )
