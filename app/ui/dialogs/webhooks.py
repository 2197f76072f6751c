"""Webhook settings and, per account, where its webhooks go and how to set them up.

The dialog holds values, not services: the window fills it (settings, the live status,
each account's setup) and acts on its signals (save, rotate an account's URL, set or copy
an optional signing secret). Each account's URL ends in a token that authenticates its
deliveries; the steps shown come from app/platforms (only what the documents support).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.services.events import RealtimeStatus
from app.services.webhook_settings import (
    RealtimeConfig,
    Setup,
    parse_tunnel_spec,
    signature_header,
)

AUTH_LABELS = {
    "basic": "HTTP Basic credentials BidDesk registered",
    "signature": "the URL's code and your signing secret",
    "url-token": "the code at the end of the URL",
}

TUNNELS = (
    ("none", "None — loopback, or a server with a public address"),
    ("manual", "My own reverse proxy (a public HTTPS URL)"),
    ("cloudflared", "cloudflared quick tunnel"),
    ("ngrok", "ngrok"),
)


def describe_realtime(status: RealtimeStatus | None) -> str:
    """One line: where webhooks stand."""
    if status is None or not status.enabled:
        return "Webhooks are off; BidDesk polls."
    if status.state == "up":
        return f"Tunnel up ({status.provider}) at {status.public_url}"
    return f"Tunnel {status.state} ({status.provider}): {status.message}"


class AccountSetup(QFrame):
    copy_secret_requested = Signal(str)  # account
    set_secret_requested = Signal(str, str)  # account, secret ("" removes it)
    rotate_requested = Signal(str)  # account

    def __init__(self, setup: Setup, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setup = setup
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        state = "receiving" if setup.registered else "not yet receiving"
        if setup.automatic and setup.registered:
            state = "registered with GigRadar"
        title = QLabel(f"<b>{setup.account}</b> · {setup.platform.label} · {state}")
        layout.addWidget(title)
        auth = QLabel(f"Authenticated by {AUTH_LABELS.get(setup.auth, setup.auth)}.")
        auth.setWordWrap(True)
        layout.addWidget(auth)
        row = QHBoxLayout()
        self.url = QLineEdit(setup.url or "")
        self.url.setReadOnly(True)
        self.url.setPlaceholderText("No public URL yet")
        self.url.setAccessibleName(f"Webhook URL of {setup.account}")
        row.addWidget(self.url, 1)
        self.copy_url = QPushButton("Copy URL")
        self.copy_url.setEnabled(bool(setup.url))
        self.copy_url.clicked.connect(self._copy_url)
        row.addWidget(self.copy_url)
        self.rotate = QPushButton("Rotate URL")
        self.rotate.setToolTip(
            "A new code at the end of the URL: the old URL stops working at once"
            + ("" if setup.automatic else "; paste the new one into the platform")
        )
        self.rotate.clicked.connect(lambda: self.rotate_requested.emit(setup.account))
        row.addWidget(self.rotate)
        header = signature_header(setup.platform)
        if header:
            if setup.auth == "signature":
                self.copy_secret = QPushButton("Copy secret")
                self.copy_secret.setToolTip("Copy the signing secret you set")
                self.copy_secret.clicked.connect(
                    lambda: self.copy_secret_requested.emit(setup.account)
                )
                row.addWidget(self.copy_secret)
            self.set_secret = QPushButton("Signing secret…")
            self.set_secret.setToolTip(
                "Optional: if the platform signs its webhooks (an "
                f"{header}: sha256=… header), its secret "
                "makes BidDesk require a valid signature too"
            )
            self.set_secret.clicked.connect(self._ask_secret)
            row.addWidget(self.set_secret)
        layout.addLayout(row)
        steps = QLabel("\n".join(f"{i}. {s}" for i, s in enumerate(setup.steps, 1)))
        steps.setWordWrap(True)
        steps.setTextFormat(Qt.TextFormat.PlainText)
        steps.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(steps)
        if setup.error:
            error = QLabel(setup.error)
            error.setWordWrap(True)
            error.setStyleSheet("color: #b3261e;")
            layout.addWidget(error)

    def _copy_url(self) -> None:
        QGuiApplication.clipboard().setText(self.url.text())

    def _ask_secret(self) -> None:
        # open(), not the static getText(): that spins a nested event loop, which stalls
        # or re-enters the window's asyncio loop while the user types. A child of this
        # row: if the row is rebuilt meanwhile, the box goes with it, never calls a ghost.
        box = QInputDialog(self)
        box.setObjectName("signingSecretBox")
        box.setWindowTitle("Signing secret")
        box.setLabelText(
            f"If {self.setup.platform.label} signs its webhooks with a secret, paste it here "
            "(leave empty to remove it; the URL's code alone then authenticates):"
        )
        box.setTextEchoMode(QLineEdit.EchoMode.Password)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.textValueSelected.connect(self._on_secret_box_text_value_selected)
        box.open()

    def _on_secret_box_text_value_selected(self, secret: str) -> None:
        # Empty removes the secret: the URL's code alone then authenticates.
        self.set_secret_requested.emit(self.setup.account, secret.strip())


class WebhooksDialog(QDialog):
    saved = Signal(object, object)  # RealtimeConfig, ngrok authtoken (str) or None
    copy_secret_requested = Signal(str)
    set_secret_requested = Signal(str, str)
    rotate_requested = Signal(str)

    def __init__(
        self,
        config: RealtimeConfig,
        parent: QWidget | None = None,
        *,
        has_ngrok_token: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Webhooks")
        self.resize(720, 620)
        layout = QVBoxLayout(self)

        intro = QLabel(
            "Webhooks bring new jobs and proposal results seconds after they happen. They "
            "need a public HTTPS address: a tunnel gives your computer one. Polling keeps "
            "running as the safety net."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        settings = QGroupBox("Settings")
        form = QFormLayout(settings)
        self.enabled = QCheckBox("Receive webhooks")
        self.enabled.setChecked(config.enabled)
        form.addRow(self.enabled)
        self.port = QSpinBox()
        self.port.setRange(0, 65_535)
        self.port.setSpecialValueText("any free port")
        self.port.setValue(config.port)
        form.addRow("Receiver port:", self.port)
        self.tunnel = QComboBox()
        for key, label in TUNNELS:
            self.tunnel.addItem(label, key)
        self.detail = QLineEdit()
        form.addRow("Tunnel:", self.tunnel)
        self.detail_label = QLabel()
        form.addRow(self.detail_label, self.detail)
        self._form = form
        self.remove_on_exit = QCheckBox("Remove the GigRadar webhook when BidDesk quits")
        self.remove_on_exit.setChecked(config.remove_on_exit)
        form.addRow(self.remove_on_exit)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(True)
        self.error.hide()
        form.addRow(self.error)
        layout.addWidget(settings)
        self._has_ngrok_token = has_ngrok_token
        spec = parse_tunnel_spec(config.tunnel)
        self.tunnel.setCurrentIndex(max(0, self.tunnel.findData(spec.provider)))
        if spec.provider == "manual":
            self.detail.setText(spec.url or "")
        elif spec.provider == "cloudflared":
            self.detail.setText(spec.binary or "")
        self.tunnel.currentIndexChanged.connect(self._on_tunnel_changed)
        self._on_tunnel_changed()

        self.state = QLabel(describe_realtime(None))
        self.state.setWordWrap(True)
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.state)

        self.accounts_box = QWidget()
        self.accounts_layout = QVBoxLayout(self.accounts_box)
        self.accounts_layout.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.accounts_box)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout.addWidget(scroll, 1)
        self.rows: dict[str, AccountSetup] = {}

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("Save and apply")
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _on_tunnel_changed(self) -> None:
        kind = self.tunnel.currentData()
        self.detail.setEchoMode(QLineEdit.EchoMode.Normal)
        self._form.setRowVisible(self.detail, kind != "none")
        if kind == "manual":
            self.detail_label.setText("Public URL:")
            self.detail.setPlaceholderText("https://bids.example.com")
        elif kind == "cloudflared":
            self.detail_label.setText("cloudflared path:")
            self.detail.setPlaceholderText("found on PATH when empty")
        elif kind == "ngrok":
            self.detail_label.setText("ngrok authtoken:")
            self.detail.setText("")
            self.detail.setEchoMode(QLineEdit.EchoMode.Password)
            self.detail.setPlaceholderText(
                "stored in the keyring — type to replace"
                if self._has_ngrok_token
                else "from your ngrok dashboard; kept in the keyring"
            )
        else:
            self.detail_label.setText("")
            self.detail.setPlaceholderText("")

    def spec_text(self) -> str:
        kind = self.tunnel.currentData()
        detail = self.detail.text().strip()
        if kind == "manual":
            return f"manual:{detail}"
        if kind == "cloudflared" and detail:
            return f"cloudflared:{detail}"
        return str(kind)

    def _save(self) -> None:
        text = self.spec_text()
        try:
            parse_tunnel_spec(text)
        except ValueError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        kind = self.tunnel.currentData()
        if kind == "ngrok" and not self._has_ngrok_token and not self.detail.text().strip():
            self.error.setText("Paste your ngrok authtoken (from the ngrok dashboard).")
            self.error.show()
            return
        self.error.hide()
        config = RealtimeConfig(
            enabled=self.enabled.isChecked(),
            port=self.port.value(),
            tunnel=text,
            remove_on_exit=self.remove_on_exit.isChecked(),
        )
        token = self.detail.text().strip() if kind == "ngrok" else ""
        self.saved.emit(config, token or None)

    def set_has_ngrok_token(self, stored: bool) -> None:
        """Whether an ngrok authtoken is in the keyring (read off the loop, after opening)."""
        self._has_ngrok_token = stored
        if self.tunnel.currentData() == "ngrok":
            self.detail.setPlaceholderText(
                "stored in the keyring — type to replace"
                if stored
                else "from your ngrok dashboard; kept in the keyring"
            )

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def set_status(self, status: RealtimeStatus | None) -> None:
        self.state.setText(describe_realtime(status))

    def set_setups(self, setups: list[Setup]) -> None:
        while self.accounts_layout.count():
            item = self.accounts_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.rows.clear()
        if not setups:
            note = QLabel("Turn webhooks on and save to see where each account's go.")
            note.setWordWrap(True)
            self.accounts_layout.addWidget(note)
        for setup in setups:
            row = AccountSetup(setup, self.accounts_box)
            row.copy_secret_requested.connect(self.copy_secret_requested.emit)
            row.set_secret_requested.connect(self.set_secret_requested.emit)
            row.rotate_requested.connect(self.rotate_requested.emit)
            self.rows[setup.account] = row
            self.accounts_layout.addWidget(row)
        self.accounts_layout.addStretch(1)
