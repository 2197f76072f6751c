"""Preferences, Team: put this profile on a team database (a shared PostgreSQL).

The user types the database's URL (postgresql://user@host:port/db), its password and the
name this desktop signs with; "Test connection" says in one sentence what is there, and
"Save" remembers it for the profile as `biddesk team join` does (the URL without its
password in the profile, the password in the keyring). The page only collects and shows;
`app.ui.controllers.team_page` runs the test and the save off the GUI loop and reports
back through `set_form`, `set_result` and `set_busy`.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.team_setup import TeamForm

ERROR_COLOR = "#c62828"
OK_COLOR = "#2e7d32"
URL_HINT = "postgresql://user@host:5432/biddesk"


class TeamPage(QWidget):
    test_requested = Signal(str, str)  # (url, typed password or "")
    save_requested = Signal(str, str, str)  # (url, typed password or "", member)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("teamPage")
        intro = QLabel(
            "A team shares one PostgreSQL database: everyone sees the same inbox and claims, "
            "and a job gets at most one proposal. The password stays in this machine's keyring.",
            self,
        )
        intro.setWordWrap(True)
        self.url = QLineEdit(self)
        self.url.setObjectName("teamUrl")
        self.url.setPlaceholderText(URL_HINT)
        self.url.setToolTip("Without the password; type that below.")
        self.password = QLineEdit(self)
        self.password.setObjectName("teamPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.member = QLineEdit(self)
        self.member.setObjectName("teamMember")
        self.member.setToolTip("Signs the claims you take and the proposals you send.")
        form = QFormLayout()
        form.addRow("Database URL:", self.url)
        form.addRow("Password:", self.password)
        form.addRow("Your name on the team:", self.member)

        self.test_button = QPushButton("Test connection", self)
        self.test_button.setObjectName("teamTest")
        self.test_button.clicked.connect(self._on_test_clicked)
        self.save_button = QPushButton("Save as this profile's team database", self)
        self.save_button.setObjectName("teamSave")
        self.save_button.clicked.connect(self._on_save_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        self.result = QLabel(self)
        self.result.setObjectName("teamResult")
        self.result.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.result)
        layout.addStretch(1)

    # -- what the controller sets --------------------------------------------------------

    def set_form(self, form: TeamForm) -> None:
        if not self.url.text():
            self.url.setText(form.url)
        if not self.member.text():
            self.member.setText(form.member)
        self.member.setPlaceholderText(form.default_member)
        self.password.setPlaceholderText(
            "stored in this machine's keyring" if form.password_stored else ""
        )

    def set_busy(self, sentence: str | None) -> None:
        """`sentence`: what runs now (the buttons wait); None: done."""
        self.test_button.setEnabled(sentence is None)
        self.save_button.setEnabled(sentence is None)
        if sentence is not None:
            self.result.setStyleSheet("")
            self.result.setText(sentence)

    def set_result(self, ok: bool, sentence: str) -> None:
        self.result.setStyleSheet(f"color: {OK_COLOR if ok else ERROR_COLOR};")
        self.result.setText(sentence)
        self.set_busy(None)

    def result_text(self) -> str:
        return self.result.text()

    # -- user actions --------------------------------------------------------------------

    def _typed(self) -> tuple[str, str] | None:
        url = self.url.text().strip()
        if not url:
            self.set_result(False, f"Type the team database's URL, like {URL_HINT}.")
            return None
        return url, self.password.text()

    def _on_test_clicked(self) -> None:
        typed = self._typed()
        if typed is not None:
            self.set_busy("Connecting…")
            self.test_requested.emit(*typed)

    def _on_save_clicked(self) -> None:
        typed = self._typed()
        if typed is not None:
            self.set_busy("Connecting, then saving…")
            self.save_requested.emit(*typed, self.member.text().strip())
