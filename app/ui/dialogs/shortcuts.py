"""The keyboard shortcuts reference (F1 / ?): a two-column table, keys and what they do."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

# The window's shortcuts, as the dialog lists them.
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("j / ↓", "Next opportunity"),
    ("k / ↑", "Previous opportunity"),
    ("/", "Search"),
    ("e", "Edit the cover letter"),
    ("Ctrl+Enter", "Submit the selected job's proposal (from anywhere in the window)"),
    ("Ctrl+Shift+D", "Draft the letter with the model"),
    ("Ctrl+Shift+P", "Freelancer profiles"),
    ("Ctrl+Shift+T", "Letter templates"),
    ("Ctrl+Shift+M", "Model settings"),
    ("a", "Archive the opportunity"),
    ("s", "Star / unstar"),
    ("F5", "Poll every account now"),
    ("Ctrl+1 / Ctrl+2 / Ctrl+3", "Inbox / Submissions / Insights"),
    ("F1 or ?", "This list"),
    ("Ctrl+,", "Preferences"),
    ("Ctrl+Q", "Quit"),
)


class ShortcutsDialog(QDialog):
    """Lists `(keys, action)` pairs as given; sized to show them all when it can."""

    def __init__(
        self, shortcuts: Sequence[tuple[str, str]] = (), parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.setAccessibleName("Keyboard shortcuts")

        self._table = QTableWidget(0, 2)
        self._table.setObjectName("shortcutsTable")
        self._table.setAccessibleName("Keyboard shortcuts")
        self._table.setHorizontalHeaderLabels(["Keys", "Action"])
        self._table.verticalHeader().hide()
        self._table.setShowGrid(False)
        self._table.setAlternatingRowColors(True)
        self._table.setWordWrap(False)
        self._table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self._table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self._table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # The table asks for exactly its rows and columns; a long list is capped by the
        # screen (Qt keeps a new window within it) and scrolls.
        self._table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self._table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addWidget(self._table, 1)
        layout.addWidget(buttons)
        buttons.rejected.connect(self.reject)
        self.set_shortcuts(shortcuts)

    def set_shortcuts(self, shortcuts: Sequence[tuple[str, str]]) -> None:
        self._shortcuts = [(keys, action) for keys, action in shortcuts]
        self._table.setRowCount(len(shortcuts))
        bold = self._table.font()
        bold.setBold(True)
        for row, (keys, action) in enumerate(shortcuts):
            keys_item = QTableWidgetItem(keys)
            keys_item.setFont(bold)
            self._table.setItem(row, 0, keys_item)
            self._table.setItem(row, 1, QTableWidgetItem(action))
        # Size to the columns' contents, then let the last one follow the dialog's width.
        header = self._table.horizontalHeader()
        header.setStretchLastSection(False)
        chars = self.fontMetrics().averageCharWidth()
        for column, least in ((0, 12), (1, 36)):
            width = max(self._table.sizeHintForColumn(column), chars * least)
            self._table.setColumnWidth(column, width + 2 * chars + 8)
        self.adjustSize()
        header.setStretchLastSection(True)

    def shortcuts(self) -> list[tuple[str, str]]:
        return list(self._shortcuts)
