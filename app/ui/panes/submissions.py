"""The Submissions pane: every proposal sent or on its way, and what can be done with one.

A state filter and the actions for the selected row sit above a sortable table; the
selected submission's failure sentence and history sit below it. The pane runs nothing
itself: it emits `opportunity_requested`, `retry_requested` and `reconcile_requested`,
and the window (through the bridge) does the work and feeds results back with `upsert`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.submission import LIVE_STATES, Outcome, Submission, SubmissionState
from app.ui.models.submissions import (
    HEADERS,
    OBJECT_ROLE,
    OUTCOME_LABELS,
    STATE_LABELS,
    Column,
    SubmissionTableModel,
    can_reconcile,
    explain,
    format_time,
    tone_color,
    tone_of,
)


@dataclass(frozen=True, slots=True)
class StateFilter:
    """One choice of the pane's filter: the states and outcomes it shows (None = any)."""

    label: str
    states: frozenset[SubmissionState] | None = None
    outcomes: frozenset[Outcome] | None = None
    tip: str = ""


_S = SubmissionState
FILTERS: tuple[StateFilter, ...] = (
    StateFilter("All"),
    StateFilter("Live", LIVE_STATES, tip="Everything that counts as a proposal on its job"),
    StateFilter(
        "In progress",
        frozenset({_S.STAGED, _S.SCHEDULED, _S.SUBMITTING, _S.UNKNOWN}),
        tip="Not yet confirmed by the platform",
    ),
    StateFilter("Submitted", frozenset({_S.SUBMITTED})),
    StateFilter("Accepted", frozenset({_S.SUBMITTED}), frozenset({Outcome.ACCEPTED})),
    StateFilter("Unknown", frozenset({_S.UNKNOWN}), tip="Sent, but the answer was lost"),
    StateFilter("Failed", frozenset({_S.FAILED})),
    StateFilter("Withdrawn", frozenset({_S.WITHDRAWN})),
)

_HISTORY_HEADERS = ("Time", "State", "Outcome", "Via", "Detail")


class SubmissionsPane(QWidget):
    """A filterable table of submissions with actions and the selected one's history."""

    opportunity_requested = Signal(str)  # opportunity key
    retry_requested = Signal(str)  # submission id
    reconcile_requested = Signal(str)  # submission id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("submissionsPane")
        self._model = SubmissionTableModel(self)
        self._selected: Submission | None = None

        self._filter_combo = QComboBox()
        self._filter_combo.setObjectName("stateFilter")
        self._filter_combo.setAccessibleName("Show submissions")
        for number, choice in enumerate(FILTERS):
            self._filter_combo.addItem(choice.label)
            if choice.tip:
                self._filter_combo.setItemData(number, choice.tip, Qt.ItemDataRole.ToolTipRole)
        self._filter_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        filter_label = QLabel("&Show:")
        filter_label.setBuddy(self._filter_combo)
        self._count_label = QLabel()
        self._count_label.setObjectName("submissionCount")
        self._count_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        self._view = QTableView()
        self._view.setObjectName("submissionsTable")
        self._go_action = self._action(
            "&Go to opportunity",
            "Open the opportunity this proposal is for (Enter)",
            [QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)],
        )
        self._retry_action = self._action(
            "&Retry", "Send this proposal again (R)", [QKeySequence(Qt.Key.Key_R)]
        )
        self._reconcile_action = self._action(
            "&Check now", "Ask the platform for this proposal's current state", []
        )

        toolbar = QHBoxLayout()
        toolbar.setContentsMargins(0, 0, 0, 0)
        toolbar.addWidget(filter_label)
        toolbar.addWidget(self._filter_combo)
        toolbar.addSpacing(8)
        toolbar.addWidget(self._count_label)
        toolbar.addStretch(1)
        for action, name in (
            (self._go_action, "goButton"),
            (self._retry_action, "retryButton"),
            (self._reconcile_action, "reconcileButton"),
        ):
            button = QToolButton()
            button.setObjectName(name)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setAccessibleName(action.text().replace("&", ""))
            toolbar.addWidget(button)

        self._setup_view()
        self._details = self._build_details()

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setObjectName("submissionsSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._view)
        splitter.addWidget(self._details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(toolbar)
        layout.addWidget(splitter, 1)

        self._filter_combo.currentIndexChanged.connect(self._on_filter_combo_current_index_changed)
        self._view.doubleClicked.connect(self._on_view_double_clicked)
        self._view.selectionModel().selectionChanged.connect(
            self._on_selection_model_selection_changed
        )
        self._model.modelReset.connect(self._on_model_model_reset)
        self._model.dataChanged.connect(self._on_model_data_changed)
        self._model.rowsInserted.connect(self._on_model_rows_changed)
        self._model.rowsRemoved.connect(self._on_model_rows_changed)
        self._go_action.triggered.connect(self._on_go_action_triggered)
        self._retry_action.triggered.connect(self._on_retry_action_triggered)
        self._reconcile_action.triggered.connect(self._on_reconcile_action_triggered)
        self._show_selected(None)
        self._update_count()

    # --- public ---------------------------------------------------------------------

    @property
    def model(self) -> SubmissionTableModel:
        return self._model

    @property
    def view(self) -> QTableView:
        return self._view

    def set_submissions(self, subs: Sequence[Submission], titles: Mapping[str, str]) -> None:
        """Replace every row; the selection follows its submission if it is still shown."""
        self._model.set_submissions(subs, titles)

    def upsert(self, sub: Submission, title: str | None = None) -> None:
        """Add or update one submission, leaving the rest of the table alone."""
        self._model.upsert(sub, title)

    def selected_submission(self) -> Submission | None:
        return self._selected

    def select_submission(self, submission_id: str) -> bool:
        """Select and reveal a submission; False when it is unknown or filtered out."""
        row = self._model.row_of(submission_id)
        if row is None:
            return False
        self._view.selectRow(row)
        self._view.scrollTo(self._model.index(row, 0))
        return True

    # --- building -------------------------------------------------------------------

    def _action(self, text: str, tip: str, keys: list[QKeySequence]) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.setShortcuts(keys)
        # Only while the table has focus: "R" must stay a letter in any text field.
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setEnabled(False)
        self._view.addAction(action)
        return action

    def _setup_view(self) -> None:
        view = self._view
        view.setAccessibleName("Submissions")
        view.setModel(self._model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setAlternatingRowColors(True)
        view.setShowGrid(False)
        view.setWordWrap(False)
        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        view.setCornerButtonEnabled(False)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        view.verticalHeader().hide()
        metrics = view.fontMetrics()
        view.verticalHeader().setDefaultSectionSize(metrics.height() + 8)

        header = view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsMovable(True)
        header.setStretchLastSection(True)
        header.setSortIndicatorClearable(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        # Room for the text plus the sort arrow and the cell's margins.
        pad = 30
        widest = {
            Column.STATE: "Submitting" + "xx",  # plus the state dot
            Column.OUTCOME: "Accepted",
            Column.PLATFORM: "GigRadar",
            Column.ATTEMPTS: "Tries",
            Column.CREATED: "28 Sep 23:59",
            Column.UPDATED: "28 Sep 23:59",
        }
        for column, sample in widest.items():
            header.resizeSection(column, metrics.horizontalAdvance(sample) + pad)
        header.resizeSection(Column.ACCOUNT, metrics.averageCharWidth() * 13)
        header.resizeSection(Column.TITLE, metrics.averageCharWidth() * 38)
        header.setMinimumSectionSize(metrics.horizontalAdvance("Tries") + 24)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # Created is in every tooltip and in the history; the header's menu brings it back.
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self._column_actions = QActionGroup(self)
        self._column_actions.setExclusive(False)
        for column in Column:
            action = QAction(HEADERS[column], self._column_actions)
            action.setCheckable(True)
            action.setChecked(column is not Column.CREATED)
            action.setEnabled(column not in (Column.STATE, Column.TITLE))
            action.setData(int(column))
            header.addAction(action)
            view.setColumnHidden(column, not action.isChecked())
        self._column_actions.triggered.connect(self._on_column_actions_triggered)
        header.setSortIndicator(Column.UPDATED, Qt.SortOrder.DescendingOrder)
        view.setSortingEnabled(True)  # sorts by the indicator: newest first

    def _build_details(self) -> QStackedWidget:
        stack = QStackedWidget()
        stack.setObjectName("submissionDetails")
        placeholder = QLabel("Select a submission to see its history.")
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        placeholder.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        stack.addWidget(placeholder)

        self._detail_title = QLabel()
        self._detail_title.setObjectName("detailTitle")
        self._detail_title.setTextFormat(Qt.TextFormat.PlainText)
        self._detail_title.setWordWrap(True)
        title_font = self._detail_title.font()
        title_font.setBold(True)
        self._detail_title.setFont(title_font)
        self._detail_meta = QLabel()
        self._detail_meta.setObjectName("detailMeta")
        self._detail_meta.setTextFormat(Qt.TextFormat.PlainText)
        self._detail_meta.setWordWrap(True)
        self._detail_reason = QLabel()
        self._detail_reason.setObjectName("detailReason")
        self._detail_reason.setTextFormat(Qt.TextFormat.PlainText)
        self._detail_reason.setWordWrap(True)
        self._detail_reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for label in (self._detail_title, self._detail_meta, self._detail_reason):
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

        summary = QWidget()
        summary_layout = QVBoxLayout(summary)
        summary_layout.setContentsMargins(4, 2, 4, 2)
        summary_layout.addWidget(self._detail_title)
        summary_layout.addWidget(self._detail_meta)
        summary_layout.addWidget(self._detail_reason)
        summary_layout.addStretch(1)

        self._history = QTreeWidget()
        self._history.setObjectName("submissionHistory")
        self._history.setAccessibleName("Submission history")
        self._history.setColumnCount(len(_HISTORY_HEADERS))
        self._history.setHeaderLabels(list(_HISTORY_HEADERS))
        self._history.setRootIsDecorated(False)
        self._history.setUniformRowHeights(True)
        self._history.setAlternatingRowColors(True)
        self._history.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self._history.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        metrics = self._history.fontMetrics()
        history_header = self._history.header()
        history_header.setStretchLastSection(True)
        for column, sample in enumerate(
            ("2024-09-28 23:59:59", "Submitting", "Accepted", "reconcile")
        ):
            history_header.resizeSection(column, metrics.horizontalAdvance(sample) + 24)

        page = QWidget()
        page_layout = QHBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(summary, 2)
        page_layout.addWidget(self._history, 3)
        stack.addWidget(page)
        return stack

    # --- slots ----------------------------------------------------------------------

    def _on_filter_combo_current_index_changed(self, number: int) -> None:
        choice = FILTERS[number] if 0 <= number < len(FILTERS) else FILTERS[0]
        self._model.set_filter(choice.states, choice.outcomes)

    def _on_column_actions_triggered(self, action: QAction) -> None:
        self._view.setColumnHidden(int(action.data()), not action.isChecked())

    def _on_selection_model_selection_changed(
        self, selected: QItemSelection, deselected: QItemSelection
    ) -> None:
        self._sync_selection()

    def _on_model_model_reset(self) -> None:
        # A reset clears the selection silently: put it back on the same submission.
        previous = self._selected
        self._update_count()
        if previous is None or not self.select_submission(previous.id):
            self._sync_selection()

    def _on_model_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex) -> None:
        self._sync_selection()

    def _on_model_rows_changed(self, parent: QModelIndex, first: int, last: int) -> None:
        self._update_count()
        self._sync_selection()

    def _on_view_double_clicked(self, index: QModelIndex) -> None:
        sub = index.data(OBJECT_ROLE)
        if sub is not None:
            self.opportunity_requested.emit(sub.opportunity_key)

    def _on_go_action_triggered(self) -> None:
        if self._selected is not None:
            self.opportunity_requested.emit(self._selected.opportunity_key)

    def _on_retry_action_triggered(self) -> None:
        if self._selected is not None and self._selected.retryable:
            self.retry_requested.emit(self._selected.id)

    def _on_reconcile_action_triggered(self) -> None:
        if self._selected is not None and can_reconcile(self._selected):
            self.reconcile_requested.emit(self._selected.id)

    # --- state ----------------------------------------------------------------------

    def _sync_selection(self) -> None:
        rows = self._view.selectionModel().selectedRows()
        sub = rows[0].data(OBJECT_ROLE) if rows else None
        if sub is not self._selected:  # records are immutable: a new object is news
            self._selected = sub
            self._show_selected(sub)

    def _show_selected(self, sub: Submission | None) -> None:
        self._go_action.setEnabled(sub is not None)
        self._retry_action.setEnabled(sub is not None and sub.retryable)
        self._reconcile_action.setEnabled(sub is not None and can_reconcile(sub))
        if sub is None:
            self._details.setCurrentIndex(0)
            self._history.clear()
            return
        self._details.setCurrentIndex(1)
        self._detail_title.setText(self._model.title_of(sub))
        status = STATE_LABELS[sub.state]
        if sub.outcome is not Outcome.NONE:
            status += f" · {OUTCOME_LABELS[sub.outcome]}"
        tries = f"{sub.attempts} {'try' if sub.attempts == 1 else 'tries'}"
        self._detail_meta.setText(
            f"{status} — via {sub.platform.label}, account {sub.account}, {tries}"
        )
        if sub.failure is None and sub.platform_status:
            sentence = f"Platform status: {sub.platform_status}"
        else:
            sentence = explain(sub)
        self._detail_reason.setText(sentence)
        self._detail_reason.setVisible(bool(sentence))
        color = tone_color(tone_of(sub))
        palette = self.palette()
        if color is not None:
            palette.setColor(QPalette.ColorRole.WindowText, color)
        self._detail_reason.setPalette(palette)

        self._history.clear()
        items = []
        for entry in sub.history:
            item = QTreeWidgetItem(
                [
                    format_time(entry.at, full=True),
                    STATE_LABELS[entry.state],
                    OUTCOME_LABELS[entry.outcome],
                    entry.via,
                    entry.detail or "",
                ]
            )
            item.setToolTip(4, entry.detail or "")
            items.append(item)
        self._history.addTopLevelItems(items)
        if items:
            self._history.scrollToItem(items[-1])

    def _update_count(self) -> None:
        shown, total = self._model.rowCount(), self._model.total_count()
        noun = "submission" if total == 1 else "submissions"
        self._count_label.setText(
            f"{total} {noun}" if shown == total else f"{shown} of {total} {noun}"
        )
