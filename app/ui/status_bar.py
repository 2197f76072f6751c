"""The status bar: per account, the last and next poll, the rate budget left, the last error;
and the webhooks: tunnel state, public URL, last delivery."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStatusBar, QWidget

from app.domain import utcnow
from app.services.events import AccountStatus, RealtimeStatus


def _clock(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone().strftime("%H:%M:%S")


def _until(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "stopped"
    seconds = int((value - now).total_seconds())
    if seconds <= 0:
        return "now"
    if seconds < 90:
        return f"in {seconds} s"
    return f"in {round(seconds / 60)} min"


def describe_budget(budget: dict[str, object]) -> str:
    """'27/30 a min · 981/1,000 a day' for the tightest bucket the account has used."""
    parts: list[str] = []
    for snapshot in budget.values():
        windows = getattr(snapshot, "windows", ())
        for window in windows:
            per = {"minute": "a min", "day": "a day"}.get(window.name, f"per {window.name}")
            parts.append(f"{window.remaining:,}/{window.limit:,} {per}")
        if parts:
            break
    return " · ".join(parts)


def describe_status(status: AccountStatus, now: datetime | None = None) -> tuple[str, str]:
    """(short text, tooltip) for one account."""
    now = now or utcnow()
    mark = "✖" if status.last_error else "●"
    text = f"{mark} {status.account}: next {_until(status.next_poll_at, now)}"
    budget = describe_budget(status.budget)
    tip = [
        f"{status.account}",
        f"Last poll: {_clock(status.last_poll_at)}",
        f"Next poll: {_clock(status.next_poll_at)}",
    ]
    if budget:
        tip.append(f"Rate budget left: {budget}")
    if status.last_error:
        tip.append(f"Last error: {status.last_error}")
    if status.note:
        tip.append(status.note)
    return text, "\n".join(tip)


def webhooks_state(status: RealtimeStatus) -> str:
    """The short state the status bar says: "up" only when the tunnel (and the receiver
    behind it) is up AND every account BidDesk registers is registered; the dashboard
    platforms need nothing more than their URL, which the dialog shows."""
    if status.state != "up":
        return status.state
    if status.registration_failures:
        return "registration failed"
    if status.registering:
        return "registering"
    return "up"


FAILING_STATES = ("failed", "restarting", "registration failed")


def describe_webhooks(status: RealtimeStatus, now: datetime | None = None) -> tuple[str, str]:
    """(short text, tooltip) for the webhooks: state, public URL, last delivery, and why
    a registration failed."""
    now = now or utcnow()
    state = webhooks_state(status)
    mark = {
        "up": "⇄",
        "starting": "…",
        "registering": "…",
        "restarting": "↻",
        "failed": "✖",
        "registration failed": "✖",
    }.get(state, "○")
    text = f"{mark} Webhooks: {state}"
    if status.last_delivery_at is not None:
        seconds = max(0, int((now - status.last_delivery_at).total_seconds()))
        ago = f"{seconds} s" if seconds < 90 else f"{round(seconds / 60)} min"
        text += f" · last {ago} ago"
    tip = [
        f"Registration failed — {account}: {reason}"
        for account, reason in status.registration_failures
    ]
    if status.registering:
        tip.append(f"Registering the webhook of: {', '.join(status.registering)}")
    tip.append(f"Tunnel: {status.provider} — {status.message or status.state}")
    if status.public_url:
        tip.append(f"Public URL: {status.public_url}")
    if status.last_delivery_at is not None:
        tip.append(f"Last delivery: {_clock(status.last_delivery_at)} ({status.last_event})")
    tip.append(f"Deliveries this run: {status.deliveries:,}")
    healthy = ", ".join(status.healthy_accounts) or "none yet"
    tip.append(f"Receiving for: {healthy}")
    tip.append("Click for the webhook settings.")
    return text, "\n".join(tip)


class WebhookLabel(QLabel):
    clicked = Signal()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(event)


class AccountStatusBar(QStatusBar):
    webhooks_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(True)
        self._box = QWidget(self)
        self._layout = QHBoxLayout(self._box)
        self._layout.setContentsMargins(0, 0, 6, 0)
        self._layout.setSpacing(14)
        self.addPermanentWidget(self._box)
        self._labels: dict[str, QLabel] = {}
        self._statuses: dict[str, AccountStatus] = {}
        self.webhooks = WebhookLabel(self._box)
        self.webhooks.setTextFormat(Qt.TextFormat.PlainText)
        self.webhooks.setCursor(Qt.CursorShape.PointingHandCursor)
        self.webhooks.clicked.connect(self.webhooks_clicked.emit)
        self.webhooks.hide()
        self._layout.addWidget(self.webhooks)
        self._realtime: RealtimeStatus | None = None

    def update_realtime(self, status: RealtimeStatus | None) -> None:
        self._realtime = status
        if status is None or not status.enabled:
            self.webhooks.hide()
            return
        text, tip = describe_webhooks(status)
        self.webhooks.setText(text)
        self.webhooks.setToolTip(tip)
        bad = webhooks_state(status) in FAILING_STATES
        self.webhooks.setStyleSheet("color: #b3261e;" if bad else "")
        self.webhooks.show()

    def update_status(self, status: AccountStatus) -> None:
        self._statuses[status.account] = status
        label = self._labels.get(status.account)
        if label is None:
            label = QLabel(self._box)
            label.setTextFormat(Qt.TextFormat.PlainText)
            self._layout.addWidget(label)
            self._labels[status.account] = label
        text, tip = describe_status(status)
        label.setText(text)
        label.setToolTip(tip)
        label.setStyleSheet("color: #b3261e;" if status.last_error else "")

    def refresh_times(self) -> None:
        for status in self._statuses.values():
            self.update_status(status)
        if self._realtime is not None:
            self.update_realtime(self._realtime)

    def remove_account(self, name: str) -> None:
        label = self._labels.pop(name, None)
        self._statuses.pop(name, None)
        if label is not None:
            label.deleteLater()

    def status_text(self, account: str) -> str:
        label = self._labels.get(account)
        return label.text() if label is not None else ""
