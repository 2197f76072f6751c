"""The main window: composes the filter bar, the inbox, the editor pane, the submissions
view, the dialogs and the status bar, and wires them to the controllers.

It holds no business logic and starts no coroutine: the controllers in
`app/ui/controllers/` own the use cases (the inbox, the letter, the accounts, the
webhooks) and their tasks; the window builds the panes, hands them over, and keeps the
toolbar, the shortcuts and its own geometry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QByteArray, QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QShortcut
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

from app.services.container import Services
from app.services.inbox_source import StoreSource
from app.ui.bridge import Bridge
from app.ui.controllers.accounts import AccountsController
from app.ui.controllers.drafting import DraftingController
from app.ui.controllers.facets import FacetCounter
from app.ui.controllers.feedback import Feedback
from app.ui.controllers.inbox import InboxController
from app.ui.controllers.insights import InsightsController
from app.ui.controllers.webhooks import WebhooksController
from app.ui.dialogs.error import ErrorPresenter
from app.ui.models.opportunities import OpportunityTableModel
from app.ui.panes.editor import EditorPane
from app.ui.panes.insights import InsightsPane
from app.ui.panes.submissions import SubmissionsPane
from app.ui.status_bar import AccountStatusBar
from app.ui.widgets.banner import Banner
from app.ui.widgets.filter_bar import FilterBar
from app.ui.widgets.inbox_view import InboxView

log = logging.getLogger(__name__)

DEFAULT_SIZE = (1440, 880)  # on a screen that has the room
FRAME_ALLOWANCE = 8  # the window manager's border, each side
TITLE_ALLOWANCE = 40  # its title bar


class MainWindow(QMainWindow):
    quit_requested = Signal(int)
    sandbox_requested = Signal()
    webhooks_changed = Signal()  # the webhook settings were saved: restart the receiver
    preferences_requested = Signal()

    def __init__(self, services: Services, bridge: Bridge, *, sandbox: bool = False) -> None:
        super().__init__()
        self.services = services
        self.bridge = bridge
        self._dialogs: list[QWidget] = []  # open non-modal dialogs, kept alive
        # The tray sets this: True means the window went to the tray instead of quitting.
        self.close_handler: Callable[[], bool] | None = None
        self.errors = ErrorPresenter(self)  # the one way this window shows an error
        self.setWindowTitle("BidDesk — sandbox" if sandbox else "BidDesk")
        self.resize(self.default_size())

        # The inbox shows rows read from the store a page at a time (inbox_source.py).
        self.model = OpportunityTableModel(self, source=StoreSource(services.store.opportunities))
        self.filter_bar = FilterBar(self)
        self.inbox = InboxView(self)
        self.inbox.setModel(self.model)
        self.editor = EditorPane(self)
        self.submissions = SubmissionsPane(self)
        self.insights = InsightsPane(self)
        self._build_layout()
        self.status = AccountStatusBar(self)
        self.setStatusBar(self.status)
        self._build_controllers()
        self._build_toolbar(sandbox)
        self._build_shortcuts()
        self._wire()
        self._clock = QTimer(self)
        self._clock.setInterval(5_000)
        self._clock.timeout.connect(self.status.refresh_times)
        self._clock.start()

    def default_size(self) -> QSize:
        """The first size: roomy on a big screen, inside the screen on a laptop (a desktop's
        panels are outside `availableGeometry`; room is left for the title bar)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return QSize(*DEFAULT_SIZE)
        available = screen.availableGeometry()
        return QSize(
            min(DEFAULT_SIZE[0], available.width() - 2 * FRAME_ALLOWANCE),
            min(DEFAULT_SIZE[1], available.height() - TITLE_ALLOWANCE),
        )

    # -- construction ---------------------------------------------------------------------

    def _build_layout(self) -> None:
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
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([860, 580])
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.splitter, "Inbox")
        self.tabs.addTab(self.submissions, "Submissions")
        self.tabs.addTab(self.insights, "Insights")
        self.banner = Banner(self)  # notifications when there is no tray to show them
        central = QWidget(self)
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.banner)
        central_layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

    def _build_controllers(self) -> None:
        services, bridge = self.services, self.bridge
        feedback = Feedback(error=self.show_error, notice=self.status.showMessage)
        self.inbox_controller = InboxController(
            services,
            bridge,
            model=self.model,
            view=self.inbox,
            filter_bar=self.filter_bar,
            editor=self.editor,
            submissions=self.submissions,
            show_inbox=lambda: self.tabs.setCurrentIndex(0),
            feedback=feedback,
            parent=self,
        )
        self.drafting = DraftingController(
            services,
            bridge,
            self.inbox_controller,
            self.editor,
            feedback=feedback,
            keep=self._keep,
            parent=self,
        )
        self.accounts = AccountsController(
            services,
            bridge,
            feedback=feedback,
            keep=self._keep,
            accounts_changed=self.accounts_changed,
            account_removed=self.status.remove_account,
            parent=self,
        )
        self.webhooks = WebhooksController(
            services, bridge, feedback=feedback, keep=self._keep, parent=self
        )
        self.insights_controller = InsightsController(
            services,
            bridge,
            self.insights,
            self.inbox_controller,
            self.editor,
            tab_visible=lambda: self.tabs.currentWidget() is self.insights,
            working=lambda: self.isActiveWindow() and self.tabs.currentIndex() == 0,
            parent=self,
        )
        # How many rows each condition of the filter hides, counted off the critical path.
        self.facets = FacetCounter(self.model, self.filter_bar, services.tasks, self)

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
        self.action_profiles.triggered.connect(self.drafting.open_profiles)
        self.action_templates = QAction("Templates…", self)
        self.action_templates.setObjectName("action_templates")
        self.action_templates.setShortcut(QKeySequence("Ctrl+Shift+T"))
        self.action_templates.triggered.connect(self.open_templates)
        self.action_model_settings = QAction("Model settings…", self)
        self.action_model_settings.setObjectName("action_model_settings")
        self.action_model_settings.setShortcut(QKeySequence("Ctrl+Shift+M"))
        self.action_model_settings.triggered.connect(self.drafting.open_model_settings)
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
        inbox = self.inbox_controller
        self._shortcut("j", lambda: self.inbox.move_selection(1), self.inbox)
        self._shortcut("k", lambda: self.inbox.move_selection(-1), self.inbox)
        self._shortcut("/", self.filter_bar.focus_search, self.inbox)
        self._shortcut("e", self.editor.focus_letter, self.inbox)
        self._shortcut("a", inbox.archive_current, self.inbox)
        self._shortcut("s", inbox.star_current, self.inbox)
        self._shortcut("?", self.open_shortcuts, self.inbox)
        self._shortcut("Ctrl+1", lambda: self.tabs.setCurrentIndex(0))
        self._shortcut("Ctrl+2", lambda: self.tabs.setCurrentIndex(1))
        self._shortcut("Ctrl+3", lambda: self.tabs.setCurrentIndex(2))
        self._shortcut("Ctrl+Shift+D", lambda: self.editor.request_draft("model"))
        # Ctrl+Enter works anywhere on the Inbox tab (the editor's own window shortcut); on
        # the Submissions tab it goes back to the selected job and sends it from there.
        for key in ("Ctrl+Return", "Ctrl+Enter"):
            self._shortcut(key, self._send_from_elsewhere, self.submissions)

    def _wire(self) -> None:
        b = self.bridge
        b.account_status_changed.connect(self.status.update_status)
        # The open Webhooks dialog has its own feed.
        b.realtime_status_changed.connect(self.status.update_realtime)
        b.notice.connect(lambda text: self.status.showMessage(text, 15_000))
        b.error_occurred.connect(self.show_error)
        self.status.webhooks_clicked.connect(self.open_webhooks)
        self.submissions.retry_requested.connect(b.retry)
        self.submissions.reconcile_requested.connect(b.reconcile)
        self.webhooks.changed.connect(self.webhooks_changed.emit)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.inbox.clicked.connect(lambda _index: self.inbox_controller.dwell())
        self.editor.submit_blocked.connect(self._on_editor_submit_blocked)
        self.editor.archive_requested.connect(self._on_editor_archive_requested)

    # -- sending, archiving, counting ------------------------------------------------------

    def _send_from_elsewhere(self) -> None:
        self.tabs.setCurrentIndex(0)
        self._on_editor_submit_blocked(self.editor.request_submit())

    def _on_editor_submit_blocked(self, reason: str | None) -> None:
        if reason:
            self.status.showMessage(f"Not sent: {reason}", 8000)

    def _on_editor_archive_requested(self, key: str) -> None:
        if key == self.inbox_controller.current_key:
            self.inbox_controller.archive_current()

    def _on_tabs_current_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.insights:
            self.insights_controller.shown()

    # -- what the App and the tray ask of the window -------------------------------------

    async def load(self) -> None:
        """Fill the inbox and the submissions view (the big read runs off the loop)."""
        await self.inbox_controller.load()

    @property
    def current_key(self) -> str | None:
        """The opportunity in the editor."""
        return self.inbox_controller.current_key

    def accounts_changed(self) -> None:
        """Accounts were added or removed: refresh what depends on them."""
        self.inbox_controller.accounts_changed()

    def show_opportunity(self, key: str | None) -> None:
        self.inbox_controller.show_opportunity(key)

    def go_to_opportunity(self, key: str) -> None:
        self.inbox_controller.go_to_opportunity(key)

    def flush_drafts(self) -> None:
        self.editor.flush_draft()

    # -- dialogs --------------------------------------------------------------------------

    def _keep(self, dialog: QWidget) -> None:
        self._dialogs.append(dialog)
        dialog.destroyed.connect(
            lambda *_: self._dialogs.remove(dialog) if dialog in self._dialogs else None
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)

    def show_error(self, title: str, message: str, details: str | None = None) -> None:
        """A sentence for the user, through the one presenter: repeats share one box."""
        self.errors.present(title, message, details)

    def open_shortcuts(self) -> None:
        from app.ui.dialogs.shortcuts import SHORTCUTS, ShortcutsDialog

        dialog = ShortcutsDialog(SHORTCUTS, self)
        self._keep(dialog)
        dialog.open()

    def open_accounts(self) -> None:
        self.accounts.open_accounts()

    def open_templates(self) -> None:
        self.drafting.open_templates()

    def open_webhooks(self) -> None:
        self.webhooks.open()

    def offer_first_run(self) -> None:
        from app.ui.dialogs.first_run import FirstRunDialog

        dialog = FirstRunDialog(self)
        dialog.sandbox_chosen.connect(self.sandbox_requested.emit)
        dialog.add_account_chosen.connect(self.accounts.add_account)
        self._keep(dialog)
        dialog.open()

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
        self._fit_screen()

    def _fit_screen(self) -> None:
        """A geometry saved on a bigger screen (or a monitor since unplugged) is brought
        inside the screen the window is on now."""
        if self.isMaximized() or self.isFullScreen():
            return
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        available = screen.availableGeometry()
        # As big as the person made it, but inside this screen (with its title bar).
        room = QSize(available.width() - 2 * FRAME_ALLOWANCE, available.height() - TITLE_ALLOWANCE)
        size = self.size().boundedTo(room.expandedTo(self.minimumSizeHint()))
        if size != self.size() or not available.contains(self.frameGeometry()):
            self.resize(size)
            frame = self.frameGeometry()
            x = min(max(frame.x(), available.x()), available.right() - frame.width() + 1)
            y = min(max(frame.y(), available.y()), available.bottom() - frame.height() + 1)
            self.move(max(x, available.x()), max(y, available.y()))

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

    def changeEvent(self, event: QEvent) -> None:
        # The user went to another window: what they typed is saved now, not after the
        # autosave's delay (the session may end, or the machine sleep, while they are away).
        if event.type() == QEvent.Type.ActivationChange and not self.isActiveWindow():
            self.flush_drafts()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        # To the tray when there is one (and the user wants it); otherwise closing quits,
        # through the App's orderly shutdown.
        event.ignore()
        if self.close_handler is not None and self.close_handler():
            return
        self.quit_requested.emit(0)
