"""The welcome shown to a user with no account: try the sandbox, or add an account."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.ui.dialogs._sizing import fitted_hint


class ChoiceButton(QPushButton):
    """A big button: a bold title over a wrapped sentence that says what happens.

    QCommandLinkButton does the same, but its height-for-width clips a description of
    more than two lines; this one sizes from its own layout.
    """

    def __init__(self, title: str, description: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(title)
        self.setAccessibleDescription(description)
        self.setToolTip(description)
        self._title = QLabel(title)
        font = self._title.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self._title.setFont(font)
        self._description = QLabel(description)
        self._description.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(16, 10, 16, 12)
        self._layout.setSpacing(4)
        for label in (self._title, self._description):
            label.setTextFormat(Qt.TextFormat.PlainText)
            # Clicks and hover belong to the button underneath.
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            self._layout.addWidget(label)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def title(self) -> str:
        return self._title.text()

    def description(self) -> str:
        return self._description.text()

    def sizeHint(self) -> QSize:
        return self._layout.totalSizeHint()

    def minimumSizeHint(self) -> QSize:
        return self._layout.totalMinimumSize()

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._layout.totalHeightForWidth(width)


class FirstRunDialog(QDialog):
    """Two big choices; closing it (or "Not now") just dismisses it."""

    sandbox_chosen = Signal()
    add_account_chosen = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunDialog")
        self.setWindowTitle("Welcome to BidDesk")
        self.setAccessibleName("Welcome to BidDesk")

        heading = QLabel("Welcome to BidDesk")
        heading.setObjectName("firstRunHeading")
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        heading.setFont(font)
        intro = QLabel(
            "BidDesk gathers jobs from GigRadar, UpHunt and Gigiac into one inbox, helps "
            "you write each proposal, and follows it until the client answers. "
            "How would you like to start?"
        )
        intro.setObjectName("firstRunIntro")
        intro.setWordWrap(True)

        self._sandbox = ChoiceButton(
            "Try the sandbox",
            "A local emulator of all three platforms runs on this computer: realistic jobs "
            "arrive over time and proposals move through their states. No account needed, "
            "and nothing is sent anywhere.",
        )
        self._sandbox.setObjectName("sandboxChoice")
        self._add_account = ChoiceButton(
            "Add an account",
            "Connect GigRadar, UpHunt or Gigiac with the API key from the platform's "
            "settings. You can add more accounts later.",
        )
        self._add_account.setObjectName("addAccountChoice")
        self._sandbox.setDefault(True)

        buttons = QDialogButtonBox()
        buttons.setObjectName("firstRunButtons")
        buttons.addButton("Not now", QDialogButtonBox.ButtonRole.RejectRole)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 12)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addWidget(self._sandbox)
        layout.addWidget(self._add_account)
        layout.addSpacing(6)
        layout.addStretch(1)
        layout.addWidget(buttons)

        self._sandbox.clicked.connect(self._on_sandbox_clicked)
        self._add_account.clicked.connect(self._on_add_account_clicked)
        buttons.rejected.connect(self.reject)
        chars = self.fontMetrics().averageCharWidth()
        self._preferred_width = chars * 92
        self.setMinimumWidth(chars * 60)

    def sizeHint(self) -> QSize:
        return fitted_hint(self, super().sizeHint(), self._preferred_width)

    def _on_sandbox_clicked(self) -> None:
        self.sandbox_chosen.emit()
        self.accept()

    def _on_add_account_clicked(self) -> None:
        self.add_account_chosen.emit()
        self.accept()
