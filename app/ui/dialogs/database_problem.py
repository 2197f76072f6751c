"""What the window shows when the database cannot be opened, instead of not opening at all.

One sentence says what is wrong (the `StoreError`'s own); the buttons say what can be done:
restore the latest good backup (only when there is one and a restore can help), open
another profile folder, or quit. It is shown at start-up, on the app's loop before any
window exists, with `open()` and a future resolved by its `finished` signal (a nested
`exec()` under qasync is what STYLE.md §6 rules out); the file work — checking backups,
copying one back — runs on a thread.

`app.ui.controllers.database.recover` drives it until a choice works: a restore that is
refused (another BidDesk has the file open, say) shows the dialog again with that sentence.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.ui.dialogs._sizing import fitted_hint

log = logging.getLogger(__name__)


class Backup(Protocol):
    """What the dialog shows of a backup (the store's `BackupInfo` is one)."""

    @property
    def taken_at(self) -> datetime: ...


# Shows a folder chooser over the widget and calls back with the folder the user chose;
# a cancelled chooser never calls back.
FolderChooser = Callable[[QWidget, Callable[[Path], None]], None]


def choose_profile_folder(parent: QWidget, chosen: Callable[[Path], None]) -> None:
    """The platform's folder chooser, opened without blocking; it is the problem dialog's
    child, and goes with it."""
    chooser = QFileDialog(parent, "Open another BidDesk profile")
    chooser.setObjectName("profileFolderChooser")
    chooser.setFileMode(QFileDialog.FileMode.Directory)
    chooser.setOption(QFileDialog.Option.ShowDirsOnly, True)
    chooser.fileSelected.connect(lambda folder: chosen(Path(folder)))
    chooser.open()


class Choice(enum.Enum):
    RESTORE = "restore"
    OTHER_PROFILE = "other-profile"
    QUIT = "quit"


@dataclass(frozen=True)
class Decision:
    choice: Choice
    folder: Path | None = None  # with OTHER_PROFILE


def backup_label(info: Backup) -> str:
    local = info.taken_at.astimezone()
    return f"Restore the latest backup ({local:%Y-%m-%d %H:%M})"


class DatabaseProblemDialog(QDialog):
    """The sentence and three buttons; closing the dialog is the same as Quit."""

    def __init__(
        self,
        message: str,
        latest: Backup | None,
        *,
        choose_folder: FolderChooser | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("databaseProblemDialog")
        self.setWindowTitle("BidDesk cannot open its data")
        self.setAccessibleName("BidDesk cannot open its data")
        self._choose_folder = choose_folder or choose_profile_folder
        self.decision = Decision(Choice.QUIT)

        icon = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize)
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(size)
        )
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.message = QLabel(message)
        self.message.setObjectName("databaseProblemMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.restore_button = QPushButton(backup_label(latest) if latest else "Restore")
        self.restore_button.setObjectName("restoreBackupButton")
        self.restore_button.setVisible(latest is not None)
        self.other_button = QPushButton("Open another profile…")
        self.other_button.setObjectName("otherProfileButton")
        self.quit_button = QPushButton("Quit")
        self.quit_button.setObjectName("quitButton")
        (self.restore_button if latest is not None else self.quit_button).setDefault(True)

        top = QHBoxLayout()
        top.setSpacing(14)
        top.addWidget(icon)
        top.addWidget(self.message, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        buttons.addWidget(self.other_button)
        buttons.addWidget(self.quit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 12)
        layout.setSpacing(14)
        layout.addLayout(top)
        layout.addStretch(1)
        layout.addLayout(buttons)

        self.restore_button.clicked.connect(self._on_restore_button_clicked)
        self.other_button.clicked.connect(self._on_other_button_clicked)
        self.quit_button.clicked.connect(self.reject)
        chars = self.fontMetrics().averageCharWidth()
        self._preferred_width = chars * 80
        self.setMinimumWidth(chars * 50)

    def sizeHint(self) -> QSize:
        return fitted_hint(self, super().sizeHint(), self._preferred_width)

    def _on_restore_button_clicked(self) -> None:
        self.decision = Decision(Choice.RESTORE)
        self.accept()

    def _on_other_button_clicked(self) -> None:
        # A cancelled chooser leaves this dialog open: the choice is still to make.
        self._choose_folder(self, self._on_folder_chosen)

    def _on_folder_chosen(self, folder: Path) -> None:
        self.decision = Decision(Choice.OTHER_PROFILE, folder)
        self.accept()

    def reject(self) -> None:
        self.decision = Decision(Choice.QUIT)
        super().reject()


async def ask(message: str, latest: Backup | None) -> Decision:
    """Show the dialog and return the user's choice, without blocking the loop."""
    dialog = DatabaseProblemDialog(message, latest)
    answered: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()

    def on_finished(_result: int) -> None:
        if not answered.done():
            answered.set_result(dialog.decision)

    dialog.finished.connect(on_finished)
    dialog.open()
    try:
        return await answered
    finally:
        dialog.hide()
        dialog.deleteLater()


Ask = Callable[[str, Backup | None], Awaitable[Decision]]
