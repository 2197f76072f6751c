"""A one-line notice across the top of the window: the notification that cannot fail.

When the desktop has no tray, or its message fails, a notification lands here: its title
in bold, its text, an "Open" button for the opportunity it is about, and a close button.
A newer notice replaces the older one. It knows nothing of the app: `open_requested`
carries the key it was given (or None) and the owner decides what opening means.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

_STYLE = """
QFrame#notificationBanner {
    background: #e8f0fe; border: 1px solid #aecbfa; border-radius: 4px; margin: 4px 4px 2px 4px;
}
QFrame#notificationBanner QLabel { color: #174ea6; background: transparent; border: none; }
"""


class Banner(QFrame):
    """Shows one notice at a time; hidden until `show_notice`."""

    open_requested = Signal(object)  # the key given with the notice, or None
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notificationBanner")
        self.setStyleSheet(_STYLE)
        self.setAccessibleName("Notification")
        self._key: str | None = None
        self.text = QLabel(self)
        self.text.setObjectName("bannerText")
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title = QLabel(self)
        self.title.setObjectName("bannerTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.open_button = QPushButton("Open", self)
        self.open_button.setObjectName("bannerOpen")
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.close_button = QToolButton(self)
        self.close_button.setObjectName("bannerClose")
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAccessibleName("Dismiss the notification")
        self.close_button.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.setSpacing(8)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.open_button)
        layout.addWidget(self.close_button)
        self.hide()

    @property
    def key(self) -> str | None:
        return self._key

    def show_notice(self, title: str, body: str, key: str | None) -> None:
        """Show `title` and `body` (its lines joined), replacing any notice shown."""
        self._key = key
        self.title.setText(title)
        self.text.setText(" — ".join(line for line in body.splitlines() if line.strip()))
        self.setToolTip(f"{title}\n{body}")
        self.show()

    def dismiss(self) -> None:
        self.hide()
        self._key = None
        self.dismissed.emit()

    def _on_open_button_clicked(self) -> None:
        key = self._key
        self.dismiss()
        self.open_requested.emit(key)
