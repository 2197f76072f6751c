"""The main window: composes the filter bar, the inbox, the editor pane, the submissions
view, the dialogs and the status bar, and wires them to the bridge.

It holds no business logic: it asks the store for what to show (one row at a time, or
the light rows of the whole inbox off the loop), forwards intents to the bridge, and
renders the events the bridge re-emits.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import QByteArray, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QGuiApplication,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMenu,
    QSplitter,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain import Account, Draft, Opportunity, Submission
from app.domain.drafting import TemplateError
from app.domain.filters import FilterSpec
from app.ingest.poller import Poller
from app.ingest.realtime import NGROK_SECRET, Realtime, RealtimeConfig, Setup
from app.ingest.realtime import SETTINGS_KEY as WEBHOOK_SETTINGS
from app.services.container import Services
from app.services.drafting import DraftingError
from app.services.events import AccountStatus, RealtimeStatus
from app.services.inbox import local_state
from app.services.secrets import SecretError
from app.services.submissions import SubmitRequest
from app.ui.bridge import Bridge
from app.ui.dialogs.accounts import AccountDialog, AccountForm, AccountsDialog
from app.ui.dialogs.error import show_error
from app.ui.dialogs.first_run import FirstRunDialog
from app.ui.dialogs.model_settings import TASKS as MODEL_DIALOG_TASKS
from app.ui.dialogs.model_settings import ModelSettingsController, ModelSettingsDialog
from app.ui.dialogs.profiles import ProfilesDialog
from app.ui.dialogs.shortcuts import ShortcutsDialog
from app.ui.dialogs.templates import TemplatesDialog
from app.ui.dialogs.webhooks import WebhooksDialog
from app.ui.models.opportunities import (
    OpportunityTableModel,
    PreparedRows,
    prepare_rows,
)
from app.ui.panes.editor import EditorPane
from app.ui.panes.submissions import SubmissionsPane
from app.ui.status_bar import AccountStatusBar
from app.ui.widgets.banner import Banner
from app.ui.widgets.filter_bar import FilterBar
from app.ui.widgets.inbox_view import InboxView

log = logging.getLogger(__name__)

DRAFT_TASK = "draft:model"
ANSWERS_TASK = "draft:answers"
SIMILARITY_TASK = "draft:similarity"

SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("j / ↓", "Next opportunity"),
    ("k / ↑", "Previous opportunity"),
    ("/", "Search"),
    ("e", "Edit the cover letter"),
    ("Ctrl+Enter", "Submit the proposal"),
    ("Ctrl+Shift+D", "Draft the letter with the model"),
    ("Ctrl+Shift+P", "Freelancer profiles"),
    ("Ctrl+Shift+T", "Letter templates"),
    ("Ctrl+Shift+M", "Model settings"),
    ("a", "Archive the opportunity"),
    ("s", "Star / unstar"),
    ("F5", "Poll every account now"),
    ("Ctrl+1 / Ctrl+2", "Inbox / Submissions"),
    ("F1 or ?", "This list"),
    ("Ctrl+,", "Preferences"),
    ("Ctrl+Q", "Quit"),
)


class InboxLoad:
    """The inbox read and prepared on a worker thread, newest rows first.

    `first` resolves with the newest FIRST_ROWS rows as soon as they are prepared (a few
    milliseconds), so the table shows real rows right away; `result` with the whole inbox
    (about two seconds at 100,000 rows), or `first` with None when the inbox is that
    small. The collector waits meanwhile: 100k new rows would trigger full collections
    that walk the growing heap while holding the GIL. When it is done the inbox moves to
    the permanent generation *before* collection resumes, so no full collection ever
    walks it again (one would stall the loop for ~300 ms each time).
    """

    FIRST_ROWS = 2_000

    def __init__(
        self,
        first: asyncio.Future[PreparedRows | None],
        result: asyncio.Future[PreparedRows],
        collecting: bool,
    ) -> None:
        self.first = first
        self.result = result
        self._collecting = collecting

    @classmethod
    def start(cls, services: Services, sort: tuple[int | None, bool]) -> InboxLoad:
        collecting = gc.isenabled()
        gc.disable()
        loop = asyncio.get_running_loop()
        first: asyncio.Future[PreparedRows | None] = loop.create_future()
        states = services.inbox.local_states()
        rows = services.store.opportunities.iter_rows()

        def hand_over(prepared: PreparedRows | None) -> None:
            if not first.done():
                first.set_result(prepared)

        def read() -> PreparedRows:
            head = list(itertools.islice(rows, cls.FIRST_ROWS))
            more = len(head) == cls.FIRST_ROWS
            loop.call_soon_threadsafe(hand_over, prepare_rows(head, states, sort) if more else None)
            return prepare_rows(itertools.chain(head, rows), states, sort)

        result = asyncio.ensure_future(asyncio.to_thread(read))
        result.add_done_callback(lambda _: hand_over(None))  # also when the read failed
        return cls(first, result, collecting)

    def finish(self) -> None:
        gc.freeze()
        if self._collecting:
            gc.enable()


class MainWindow(QMainWindow):
    quit_requested = Signal(int)
    sandbox_requested = Signal()
    webhooks_changed = Signal()  # the webhook settings were saved: restart the receiver
    preferences_requested = Signal()

    def __init__(
        self, services: Services, bridge: Bridge, poller: Poller, *, sandbox: bool = False
    ) -> None:
        super().__init__()
        self.services = services
        self.bridge = bridge
        self.poller = poller
        self._current_key: str | None = None
        self.realtime: Realtime | None = None  # set by the App while webhooks are on
        self._titles: dict[str, str] = {}
        self._dialogs: list[QWidget] = []  # open non-modal dialogs, kept alive
        # The tray sets this: True means the window went to the tray instead of quitting.
        self.close_handler: Callable[[], bool] | None = None
        self._templates_dialog: TemplatesDialog | None = None
        title = "BidDesk — sandbox" if sandbox else "BidDesk"
        self.setWindowTitle(title)
        self.resize(1440, 880)

        self.model = OpportunityTableModel(self)
        self.filter_bar = FilterBar(self)
        self.inbox = InboxView(self)
        self.inbox.setModel(self.model)
        self.editor = EditorPane(self)
        self.submissions = SubmissionsPane(self)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(4)
        left_layout.addWidget(self.filter_bar)
        left_layout.addWidget(self.inbox, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.editor)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([860, 580])
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.splitter, "Inbox")
        self.tabs.addTab(self.submissions, "Submissions")
        self.banner = Banner(self)  # notifications when there is no tray to show them
        central = QWidget(self)
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.banner)
        central_layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.status = AccountStatusBar(self)
        self.setStatusBar(self.status)
        self._build_toolbar(sandbox)
        self._build_shortcuts()
        self._wire()
        self._clock = QTimer(self)
        self._clock.setInterval(5_000)
        self._clock.timeout.connect(self.status.refresh_times)
        self._clock.start()

    # -- construction ---------------------------------------------------------------------

    def _build_toolbar(self, sandbox: bool) -> None:
        bar = QToolBar("Main", self)
        bar.setObjectName("main-toolbar")
        bar.setMovable(False)
        self.addToolBar(bar)
        self.action_refresh = QAction("Refresh", self)
        self.action_refresh.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.action_refresh.setToolTip("Poll every account now (F5)")
        self.action_refresh.triggered.connect(lambda: self.bridge.refresh(None))
        self.action_accounts = QAction("Accounts…", self)
        self.action_accounts.triggered.connect(self.open_accounts)
        self.action_webhooks = QAction("Webhooks…", self)
        self.action_webhooks.setToolTip("Receive jobs and results in real time, through a tunnel")
        self.action_webhooks.triggered.connect(self.open_webhooks)
        self.action_shortcuts = QAction("Shortcuts", self)
        self.action_shortcuts.setShortcut(QKeySequence(Qt.Key.Key_F1))
        self.action_shortcuts.triggered.connect(self.open_shortcuts)
        self.action_preferences = QAction("Preferences…", self)
        self.action_preferences.setShortcut(QKeySequence("Ctrl+,"))
        self.action_preferences.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.action_preferences.triggered.connect(self.preferences_requested.emit)
        self.action_quit = QAction("Quit", self)
        self.action_quit.setShortcut(QKeySequence.StandardKey.Quit)
        self.action_quit.triggered.connect(lambda: self.quit_requested.emit(0))
        for action in (
            self.action_refresh,
            self.action_accounts,
            self.action_webhooks,
            self.action_preferences,
            self.action_shortcuts,
        ):
            bar.addAction(action)
        bar.addWidget(self._build_drafting_button())
        self.addAction(self.action_quit)
        if sandbox:
            badge = QLabel("  Sandbox: emulated platforms on 127.0.0.1  ", self)
            badge.setStyleSheet(
                "background:#fff4ce;color:#5c4400;border-radius:4px;padding:2px 6px;"
            )
            spacer = QWidget(self)
            spacer.setSizePolicy(
                spacer.sizePolicy().horizontalPolicy().Expanding,
                spacer.sizePolicy().verticalPolicy().Preferred,
            )
            bar.addWidget(spacer)
            bar.addWidget(badge)

    def _build_drafting_button(self) -> QToolButton:
        """The Drafting menu: profiles, templates, model settings (each with a shortcut)."""
        self.action_profiles = QAction("Profiles…", self)
        self.action_profiles.setObjectName("action_profiles")
        self.action_profiles.setShortcut(QKeySequence("Ctrl+Shift+P"))
        self.action_profiles.triggered.connect(self.open_profiles)
        self.action_templates = QAction("Templates…", self)
        self.action_templates.setObjectName("action_templates")
        self.action_templates.setShortcut(QKeySequence("Ctrl+Shift+T"))
        self.action_templates.triggered.connect(self.open_templates)
        self.action_model_settings = QAction("Model settings…", self)
        self.action_model_settings.setObjectName("action_model_settings")
        self.action_model_settings.setShortcut(QKeySequence("Ctrl+Shift+M"))
        self.action_model_settings.triggered.connect(self.open_model_settings)
        menu = QMenu(self)
        for action in (self.action_profiles, self.action_templates, self.action_model_settings):
            menu.addAction(action)
            self.addAction(action)  # the shortcuts work without opening the menu
        button = QToolButton(self)
        button.setObjectName("drafting_menu")
        button.setText("Drafting")
        button.setToolTip("Profiles, templates and the model that drafts your letters")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setMenu(menu)
        # Room for the menu arrow, which is otherwise drawn over the last letter.
        button.setStyleSheet("QToolButton#drafting_menu { padding-right: 14px; }")
        return button

    def _shortcut(
        self, key: str | QKeySequence, slot: Callable[[], object], widget: QWidget | None = None
    ) -> QShortcut:
        sequence = key if isinstance(key, QKeySequence) else QKeySequence(key)
        shortcut = QShortcut(sequence, widget or self)
        if widget is not None:
            # Letters must not fire while the user types a letter in the editor.
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(slot)
        return shortcut

    def _build_shortcuts(self) -> None:
        self._shortcut("j", lambda: self.inbox.move_selection(1), self.inbox)
        self._shortcut("k", lambda: self.inbox.move_selection(-1), self.inbox)
        self._shortcut("/", self.filter_bar.focus_search, self.inbox)
        self._shortcut("e", self.editor.focus_letter, self.inbox)
        self._shortcut("a", self.archive_current, self.inbox)
        self._shortcut("s", self.star_current, self.inbox)
        self._shortcut("?", self.open_shortcuts, self.inbox)
        self._shortcut("Ctrl+1", lambda: self.tabs.setCurrentIndex(0))
        self._shortcut("Ctrl+2", lambda: self.tabs.setCurrentIndex(1))
        self._shortcut("Ctrl+Shift+D", lambda: self._on_editor_draft_requested("model"))

    def _wire(self) -> None:
        b = self.bridge
        b.opportunities_added.connect(self._on_bridge_opportunities)
        b.opportunities_updated.connect(self._on_bridge_opportunities)
        b.submission_changed.connect(self._on_bridge_submission_changed)
        b.account_status_changed.connect(self._on_bridge_account_status_changed)
        b.realtime_status_changed.connect(self._on_bridge_realtime_status_changed)
        b.notice.connect(self._on_bridge_notice)
        self.status.webhooks_clicked.connect(self.open_webhooks)
        b.error_occurred.connect(self._on_bridge_error_occurred)
        b.submit_finished.connect(self._on_bridge_submit_finished)
        b.freelancers_loaded.connect(self.editor.set_freelancers)
        self.filter_bar.filter_changed.connect(self._on_filter_bar_filter_changed)
        self.filter_bar.saved_filters_changed.connect(self._on_filter_bar_saved_filters_changed)
        self.model.counts_changed.connect(self.filter_bar.set_counts)
        self.inbox.current_key_changed.connect(self._on_inbox_current_key_changed)
        self.editor.draft_changed.connect(self._on_editor_draft_changed)
        self.editor.submit_requested.connect(self._on_editor_submit_requested)
        self.editor.retry_requested.connect(b.retry)
        self.editor.open_url_requested.connect(self._on_editor_open_url_requested)
        self.editor.freelancers_requested.connect(b.load_freelancers)
        self.editor.draft_requested.connect(self._on_editor_draft_requested)
        self.editor.draft_stop_requested.connect(self._on_editor_draft_stop_requested)
        self.editor.variant_requested.connect(self._on_editor_variant_requested)
        self.editor.answers_draft_requested.connect(self._on_editor_answers_draft_requested)
        self.editor.similarity_check_requested.connect(self._on_editor_similarity_check_requested)
        self.submissions.opportunity_requested.connect(self.go_to_opportunity)
        self.submissions.retry_requested.connect(b.retry)
        self.submissions.reconcile_requested.connect(b.reconcile)

    # -- loading --------------------------------------------------------------------------

    async def load(self) -> None:
        """Fill the inbox and the submissions view; the 100k-row read runs off the loop.

        (Starting that read before the window is built does not help: both are Python
        work under one GIL, so the window would only appear later.)
        """
        store = self.services.store
        self.statusBar().showMessage("Loading the inbox…")
        load = InboxLoad.start(self.services, self.model.sort_state())
        try:
            head = await load.first
            if head is not None:
                self.model.load_prepared(head)
                self.statusBar().showMessage(
                    f"Loading the inbox… the newest {len(head.keys):,} are shown."
                )
                if self._current_key is None and self.model.rowCount():
                    self.inbox.select_key(self.model.key_at(0))
            prepared = await load.result
            # The whole inbox replaces the head; the view keeps the selection by key.
            self.model.load_prepared(prepared)  # reuses the prepared sort if it still applies
            del prepared, head
        finally:
            load.finish()
        total = self.model.total_count()
        if total:
            self.statusBar().showMessage(f"{total:,} opportunities in the inbox.", 5000)
        else:
            self.statusBar().clearMessage()  # rows stream in as the accounts are polled
        saved = store.settings.get("ui.saved_filters", {})
        if isinstance(saved, dict):
            self.filter_bar.set_saved_filters(saved)
        spec_json = store.settings.get("ui.filter")
        if isinstance(spec_json, str):
            try:
                spec = FilterSpec.from_json(spec_json)
                self.filter_bar.set_spec(spec)
                self.model.set_filter(spec)
            except ValueError:
                log.warning("ignoring an unreadable saved filter")
        subs = store.submissions.list()
        found = store.opportunities.get_many({s.opportunity_key for s in subs})
        self._titles = {key: opp.title for key, opp in found.items()}
        self.submissions.set_submissions(subs, self._titles)
        self.accounts_changed()
        if self.model.rowCount() and self._current_key is None:
            self.inbox.select_key(self.model.key_at(0))

    def accounts_changed(self) -> None:
        """Accounts were added or removed: refresh what depends on them."""
        if self._current_key is not None:
            self.show_opportunity(self._current_key)

    # -- selection and editing ------------------------------------------------------------

    def show_opportunity(self, key: str | None) -> None:
        if key is None:
            self._current_key = None
            self.editor.show_opportunity(None, None, (), self.bridge.accounts_by_platform())
            return
        store = self.services.store
        opp = store.opportunities.get(key)
        if opp is None:
            return
        if key != self._current_key:
            self.editor.flush_draft()
        self._current_key = key
        draft = store.drafts.get(key)
        subs = store.submissions.by_opportunity(key)
        self.editor.show_opportunity(opp, draft, subs, self.bridge.accounts_by_platform())
        flags = store.opportunities.flags(key)
        if flags is not None and not flags.read:
            store.opportunities.set_read(key, True)
            self.model.set_flags(key, read=True)
            if draft is None and not subs:
                self.model.set_state(key, "read")

    def go_to_opportunity(self, key: str) -> None:
        """From elsewhere (the submissions view, a notification): select it in the inbox."""
        self.tabs.setCurrentIndex(0)
        if self.model.row_of(key) is None:
            # Filtered out or archived: show it in the editor all the same.
            self.show_opportunity(key)
        else:
            self.inbox.select_key(key)

    def _on_inbox_current_key_changed(self, key: str | None) -> None:
        # A model still writing belongs to the letter being left: stop it first.
        self.services.tasks.cancel(DRAFT_TASK)
        self.services.tasks.cancel(ANSWERS_TASK)
        self.show_opportunity(key)
        if self._templates_dialog is not None:
            opp = self.services.store.opportunities.get(key) if key else None
            self._templates_dialog.set_opportunity(opp)

    def _on_editor_draft_requested(self, source: str) -> None:
        key = self._current_key
        opp = self.services.store.opportunities.get(key) if key else None
        if opp is None or self.editor.drafting:
            return
        drafter = self.services.drafter
        if source == "template":
            try:
                self.editor.set_letter_text(drafter.draft_from_template(opp, None, None))
            except (TemplateError, DraftingError) as exc:
                self.show_error("No draft", str(exc))
            return
        self._stream_model_draft(opp)

    def _on_editor_variant_requested(self, variant: str, letter: str) -> None:
        key = self._current_key
        opp = self.services.store.opportunities.get(key) if key else None
        if opp is None or self.editor.drafting:
            return
        self._stream_model_draft(opp, variant=variant, letter=letter)

    def _stream_model_draft(
        self, opp: Opportunity, *, variant: str | None = None, letter: str | None = None
    ) -> None:
        """Stream the model's letter (or its rewrite of `letter`) into the editor."""
        drafter = self.services.drafter
        try:
            # Built before the letter is cleared: a bad template or variant keeps it as is.
            draft = drafter.stream_draft(opp, None, variant=variant, letter=letter)
        except DraftingError as exc:
            self.show_error("The model could not draft", str(exc))
            return

        async def stream() -> None:
            self.editor.begin_model_draft()
            message: str | None = None
            try:
                async with draft:
                    async for piece in draft:
                        self.editor.append_draft_text(piece)
                usage = draft.result.usage
                cost = "" if usage.cost is None else f" · about ${usage.cost:.4f}"
                message = (
                    f"Drafted by {draft.result.model}: {usage.completion_tokens} tokens{cost}. "
                    "Read it through before sending."
                )
            except DraftingError as exc:
                self.show_error("The model could not draft", str(exc))
            except asyncio.CancelledError:
                message = "Stopped; the text so far is yours to edit."
                raise
            finally:
                self.editor.end_model_draft()
                if message:
                    self.statusBar().showMessage(message, 10_000)

        self.services.tasks.spawn(stream(), name=DRAFT_TASK, replace=True)

    def _on_editor_draft_stop_requested(self) -> None:
        self.services.tasks.cancel(DRAFT_TASK)

    def _on_editor_answers_draft_requested(self) -> None:
        key = self._current_key
        opp = self.services.store.opportunities.get(key) if key else None
        if opp is None or not opp.questions:
            return
        drafter = self.services.drafter

        async def run() -> None:
            self.editor.begin_answers_draft()
            try:
                answers = await drafter.draft_answers(opp)
            except DraftingError as exc:
                self.show_error("The model could not draft the answers", str(exc))
                return
            finally:
                self.editor.end_answers_draft()
            self.editor.fill_drafted_answers(opp.key, answers)
            self.statusBar().showMessage("Answers drafted; read them through before sending.", 8000)

        self.services.tasks.spawn(run(), name=ANSWERS_TASK, replace=True)

    def _on_editor_similarity_check_requested(self, key: str, letter: str) -> None:
        opp = self.services.store.opportunities.get(key)
        if opp is None:
            return
        drafter = self.services.drafter

        async def run() -> None:
            # Hundreds of sent letters take ~0.1 s to compare: on a worker thread, not the loop.
            found = await asyncio.to_thread(drafter.similar_sent_letter, letter, opp)
            message = None
            if found is not None:
                other, score = found
                title = self._title(other) or "another job"
                message = f"This letter is {round(score * 100)}% like the one you sent for {title}."
            self.editor.set_similarity(key, message)

        self.services.tasks.spawn(run(), name=SIMILARITY_TASK, replace=True)

    def _on_editor_draft_changed(self, draft: Draft) -> None:
        self.bridge.save_draft(draft)
        if self.services.store.submissions.by_opportunity(draft.opportunity_key):
            return
        self.model.set_state(draft.opportunity_key, "drafted")

    def _on_editor_submit_requested(self, request: SubmitRequest) -> None:
        self.editor.set_sending(True)
        self.bridge.submit(request)

    def _on_bridge_submit_finished(self, key: str, submission: Submission | None) -> None:
        if key == self._current_key:
            self.editor.set_sending(False)
            if submission is not None:
                self.editor.show_submission(submission)

    def _on_editor_open_url_requested(self, url: str) -> None:
        QDesktopServices.openUrl(QUrl(url))

    def flush_drafts(self) -> None:
        self.editor.flush_draft()

    def archive_current(self) -> None:
        key = self._current_key
        if key is None:
            return
        self.services.store.opportunities.set_archived(key, True)
        self.inbox.move_selection(1)
        self.model.set_flags(key, archived=True)
        self.statusBar().showMessage(
            "Archived. Show archived opportunities from the filter bar.", 4000
        )

    def star_current(self) -> None:
        key = self._current_key
        if key is None:
            return
        flags = self.services.store.opportunities.flags(key)
        starred = not (flags.starred if flags is not None else False)
        self.services.store.opportunities.set_starred(key, starred)
        self.model.set_flags(key, starred=starred)
        self.statusBar().showMessage("Starred." if starred else "Star removed.", 2000)

    # -- bridge events --------------------------------------------------------------------

    def _on_bridge_opportunities(self, opportunities: Sequence[Opportunity]) -> None:
        self.model.add_or_update(opportunities)
        if self._current_key is None and self.model.rowCount():
            self.inbox.select_key(self.model.key_at(0))

    def _on_bridge_submission_changed(self, sub: Submission) -> None:
        self.submissions.upsert(sub, self._title(sub.opportunity_key))
        self.model.set_state(
            sub.opportunity_key, local_state(read=True, drafted=True, submission=sub.state)
        )
        if sub.opportunity_key == self._current_key:
            self.editor.show_submission(sub)

    def _title(self, key: str) -> str | None:
        """Titles of opportunities that have submissions, looked up once."""
        if key not in self._titles:
            opp = self.services.store.opportunities.get(key)
            if opp is None:
                return None
            self._titles[key] = opp.title
        return self._titles[key]

    def _on_bridge_account_status_changed(self, status: AccountStatus) -> None:
        self.status.update_status(status)

    def _on_bridge_realtime_status_changed(self, status: RealtimeStatus) -> None:
        self.status.update_realtime(status)
        dialog = self._webhooks_dialog
        if dialog is not None and dialog.isVisible():
            dialog.set_status(status)
            # The accounts' rows only change with the tunnel or their health; not at each
            # delivery (rebuilding them four times a second would flicker and lose focus).
            shape = (status.state, status.public_url, status.healthy_accounts)
            if self.realtime is not None and shape != self._webhooks_shape:
                self._webhooks_shape = shape
                dialog.set_setups(self._setups())

    def _on_bridge_notice(self, text: str) -> None:
        self.status.showMessage(text, 15_000)

    def _on_bridge_error_occurred(self, title: str, message: str) -> None:
        self.show_error(title, message)

    def _on_filter_bar_filter_changed(self, spec: FilterSpec) -> None:
        self.model.set_filter(spec)
        self.services.store.settings.set("ui.filter", spec.to_json())

    def _on_filter_bar_saved_filters_changed(self, saved: dict[str, str]) -> None:
        self.services.store.settings.set("ui.saved_filters", dict(saved))

    # -- dialogs --------------------------------------------------------------------------

    def _keep(self, dialog: QWidget) -> None:
        self._dialogs.append(dialog)
        dialog.destroyed.connect(
            lambda *_: self._dialogs.remove(dialog) if dialog in self._dialogs else None
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)

    def show_error(self, title: str, message: str, details: str | None = None) -> None:
        dialog = show_error(self, title, message, details)
        self._keep(dialog)

    def open_shortcuts(self) -> None:
        dialog = ShortcutsDialog(SHORTCUTS, self)
        self._keep(dialog)
        dialog.open()

    def open_profiles(self) -> None:
        accounts = [a.name for a in self.services.accounts.list()]
        dialog = ProfilesDialog(self.services.drafter, accounts, self)
        dialog.saved.connect(lambda: self.statusBar().showMessage("Profiles saved.", 4000))
        self._keep(dialog)
        dialog.open()

    def open_templates(self) -> None:
        key = self._current_key
        opp = self.services.store.opportunities.get(key) if key else None
        dialog = TemplatesDialog(self.services.drafter, opp, self)
        dialog.saved.connect(lambda: self.statusBar().showMessage("Templates saved.", 4000))
        self._keep(dialog)
        self._templates_dialog = dialog
        dialog.destroyed.connect(lambda _=None, d=dialog: self._forget_templates_dialog(d))
        dialog.open()

    def _forget_templates_dialog(self, dialog: TemplatesDialog) -> None:
        # Only the one still shown: an earlier dialog's deferred deletion can come after a
        # new one opened, and must not cut the new one off from the inbox selection.
        if self._templates_dialog is dialog:
            self._templates_dialog = None

    def open_model_settings(self) -> None:
        tasks = self.services.tasks
        dialog = ModelSettingsDialog(self.services.drafter.model_settings(), self)
        controller = ModelSettingsController(
            dialog,
            self.services.drafter,
            lambda coro, name: tasks.spawn(coro, name=name, replace=True),
        )
        self._model_settings = (dialog, controller)  # the controller lives while it is open
        dialog.saved.connect(lambda: self.statusBar().showMessage("Model settings saved.", 4000))
        # Whatever it still waits for reports to a dialog that is gone: stop it.
        dialog.finished.connect(lambda _: [tasks.cancel(n) for n in MODEL_DIALOG_TASKS])
        self._keep(dialog)
        dialog.open()

    def offer_first_run(self) -> None:
        dialog = FirstRunDialog(self)
        dialog.sandbox_chosen.connect(self.sandbox_requested.emit)
        dialog.add_account_chosen.connect(self.add_account)
        self._keep(dialog)
        dialog.open()

    def _account_rows(self) -> list[tuple[Account, str]]:
        rows: list[tuple[Account, str]] = []
        for account in self.services.accounts.list():
            try:
                self.services.secrets.get(account.name)
                key = "key stored"
            except Exception as exc:  # a sentence for the user, whatever the keyring said
                key = str(exc)
            rows.append((account, key))
        return rows

    _webhooks_dialog: WebhooksDialog | None = None
    _webhooks_shape: tuple[object, ...] | None = None

    def _setups(self) -> list[Setup]:
        realtime = self.realtime
        if realtime is None:
            return []
        return [realtime.setup(a) for a in self.services.accounts.list() if a.enabled]

    def _has_ngrok_token(self) -> bool:
        try:
            self.services.secrets.get(NGROK_SECRET)
        except SecretError:
            return False
        return True

    def open_webhooks(self) -> None:
        # What is running (the sandbox turns webhooks on by itself), else what is saved.
        config = (
            self.realtime.config
            if self.realtime is not None
            else RealtimeConfig.from_settings(self.services.store.settings.get(WEBHOOK_SETTINGS))
        )
        dialog = WebhooksDialog(config, self, has_ngrok_token=self._has_ngrok_token())
        dialog.set_status(self.realtime.status() if self.realtime is not None else None)
        dialog.set_setups(self._setups())
        self._webhooks_shape = None
        dialog.saved.connect(lambda cfg, token: self._save_webhooks(dialog, cfg, token))
        dialog.copy_secret_requested.connect(self._copy_webhook_secret)
        dialog.set_secret_requested.connect(
            lambda account, secret: self._set_webhook_secret(dialog, account, secret)
        )
        self._keep(dialog)
        self._webhooks_dialog = dialog
        dialog.open()

    def _save_webhooks(
        self, dialog: WebhooksDialog, config: RealtimeConfig, token: str | None
    ) -> None:
        if token:
            try:
                self.services.secrets.set(NGROK_SECRET, token)
            except SecretError as exc:
                dialog.error.setText(str(exc))
                dialog.error.show()
                return
        self.services.store.settings.set(WEBHOOK_SETTINGS, config.to_settings())
        self.webhooks_changed.emit()

    def _copy_webhook_secret(self, account: str) -> None:
        if self.realtime is None:
            self.status.showMessage("Turn webhooks on first.", 5_000)
            return
        secret = self.realtime.dashboard_secret(account).secret or ""
        QGuiApplication.clipboard().setText(secret)
        self.status.showMessage(f"The signing secret of {account} is on the clipboard.", 5_000)

    def _set_webhook_secret(self, dialog: WebhooksDialog, account: str, secret: str) -> None:
        if self.realtime is None:
            self.status.showMessage("Turn webhooks on first.", 5_000)
            return
        warning = self.realtime.set_secret(account, secret)
        self.status.showMessage(warning or f"Saved the signing secret of {account}.", 8_000)
        dialog.set_setups(self._setups())

    def open_accounts(self) -> None:
        dialog = AccountsDialog(self)
        dialog.set_accounts(self._account_rows())
        dialog.add_requested.connect(self.add_account)
        dialog.edit_requested.connect(self.edit_account)
        dialog.remove_requested.connect(lambda name: self._remove_account(name, dialog))
        self._keep(dialog)
        dialog.open()
        self._accounts_dialog = dialog

    def add_account(self) -> None:
        self._open_account_dialog(None)

    def edit_account(self, name: str) -> None:
        self._open_account_dialog(name)

    def _open_account_dialog(self, name: str | None) -> None:
        account = self.services.accounts.get(name) if name else None
        dialog = AccountDialog(self, account=account) if account else AccountDialog(self)
        status = self.services.secrets.status()
        dialog.set_keyring_status(status.state.value, status.message)
        dialog.test_requested.connect(lambda form: self._test_account(form, dialog))
        dialog.accepted.connect(lambda: self._save_account(dialog.accepted_form(), editing=name))
        self._keep(dialog)
        dialog.open()

    def _test_account(self, form: AccountForm, dialog: AccountDialog) -> None:
        from app.platforms import create_adapter

        async def run() -> None:
            dialog.set_testing(True)
            key = form.api_key
            if not key and form.name:
                try:
                    key = self.services.secrets.get(form.name)
                except Exception as exc:
                    dialog.set_test_result(False, str(exc))
                    return
            try:
                account = Account(
                    name=form.name or "test", platform=form.platform, base_url=form.base_url
                )
            except ValueError as exc:
                dialog.set_test_result(False, str(exc))
                return
            adapter = create_adapter(account, key or "")
            try:
                message = await adapter.check_connection()
                dialog.set_test_result(True, message)
            except Exception as exc:
                dialog.set_test_result(False, str(exc))
            finally:
                await adapter.aclose()
                dialog.set_testing(False)

        self.services.tasks.spawn(run(), name="account:test", replace=True)

    def _save_account(self, form: AccountForm, *, editing: str | None) -> None:
        try:
            if editing:
                current = self.services.accounts.get(editing)
                self.services.store.accounts.update(
                    current.model_copy(update={"base_url": form.base_url.rstrip("/")})
                )
                if form.api_key:
                    self.services.secrets.set(editing, form.api_key)
                account = self.services.accounts.get(editing)
                warning = None
            else:
                account, warning = self.services.accounts.add(
                    form.name, form.platform, api_key=form.api_key or None, base_url=form.base_url
                )
        except Exception as exc:
            self.show_error("Account not saved", str(exc))
            return
        if warning:
            self.show_error("Key not stored", warning)
        self.poller.start_account(account)
        self.accounts_changed()
        if getattr(self, "_accounts_dialog", None) is not None:
            self._accounts_dialog.set_accounts(self._account_rows())

    def _remove_account(self, name: str, dialog: AccountsDialog) -> None:
        try:
            self.services.accounts.remove(name)
        except Exception as exc:
            self.show_error("Account not removed", str(exc))
            return
        self.poller.stop_account(name)
        self.status.remove_account(name)
        dialog.set_accounts(self._account_rows())
        self.accounts_changed()

    # -- window state ---------------------------------------------------------------------

    def restore_state(self) -> None:
        settings = self.services.store.settings
        for key, restore in (
            ("ui.geometry", self.restoreGeometry),
            ("ui.window_state", self.restoreState),
            ("ui.splitter", self.splitter.restoreState),
            ("ui.inbox_header", self.inbox.horizontalHeader().restoreState),
        ):
            value = settings.get(key)
            if isinstance(value, str) and value:
                restore(QByteArray.fromBase64(value.encode("ascii")))

    def save_state(self) -> None:
        settings = self.services.store.settings
        for key, data in (
            ("ui.geometry", self.saveGeometry()),
            ("ui.window_state", self.saveState()),
            ("ui.splitter", self.splitter.saveState()),
            ("ui.inbox_header", self.inbox.horizontalHeader().saveState()),
        ):
            settings.set(key, bytes(data.toBase64().data()).decode("ascii"))

    def bring_to_front(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        # To the tray when there is one (and the user wants it); otherwise closing quits,
        # through the App's orderly shutdown.
        event.ignore()
        if self.close_handler is not None and self.close_handler():
            return
        self.quit_requested.emit(0)
