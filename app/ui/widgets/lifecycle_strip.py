"""The latest submission of an opportunity, live: its state in the state's colour, when,
through which route, Retry when it may be sent again, and its history."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QWidget,
)

from app.domain.submission import Outcome, Submission, SubmissionState
from app.ui.widgets.labels import (
    ERROR_COLOR,
    INFO_COLOR,
    NEUTRAL_COLOR,
    SUCCESS_COLOR,
    WARNING_COLOR,
    muted,
    set_text_color,
    short_time,
    wrapping_label,
)

__all__ = ["LifecycleStrip"]

_OUTCOME_TEXT = {
    Outcome.VIEWED: "Viewed by the client",
    Outcome.REPLIED: "The client replied",
    Outcome.ACCEPTED: "Accepted ✓",
    Outcome.REJECTED: "Rejected",
    Outcome.CLOSED: "Job closed",
}


class LifecycleStrip(QFrame):
    """The latest submission of the shown opportunity, live, with Retry and its history."""

    retry_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lifecycle")
        self._submission: Submission | None = None
        grid = QGridLayout(self)
        grid.setContentsMargins(12, 8, 10, 8)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        self.state_label = QLabel()
        self.state_label.setObjectName("lifecycle_state")
        font = self.state_label.font()
        font.setBold(True)
        self.state_label.setFont(font)
        self.time_label = muted(QLabel())
        self.time_label.setObjectName("lifecycle_time")
        self.detail_label = wrapping_label(name="lifecycle_detail")
        self.retry_button = QPushButton("Retry")
        self.retry_button.setObjectName("retry")
        self.retry_button.clicked.connect(self._on_retry_button_clicked)
        self.history_button = QToolButton()
        self.history_button.setObjectName("history_toggle")
        self.history_button.setCheckable(True)
        self.history_button.setAutoRaise(True)
        self.history_button.setArrowType(Qt.ArrowType.RightArrow)
        self.history_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.history_button.toggled.connect(self._on_history_button_toggled)
        self.history_label = wrapping_label(name="lifecycle_history")
        self.history_label.setTextFormat(Qt.TextFormat.RichText)
        self.history_label.hide()
        grid.addWidget(self.state_label, 0, 0)
        grid.addWidget(self.time_label, 0, 1, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.detail_label, 1, 0, 1, 2)
        actions = QHBoxLayout()
        actions.setSpacing(6)
        actions.addWidget(self.history_button)
        actions.addStretch(1)
        actions.addWidget(self.retry_button)
        grid.addLayout(actions, 2, 0, 1, 2)
        grid.addWidget(self.history_label, 3, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        self.hide()

    def show_submission(self, sub: Submission | None, *, retry_pending: bool) -> None:
        self._submission = sub
        if sub is None:
            self.hide()
            return
        title, tone = self._title_and_tone(sub)
        self.state_label.setText(title)
        self.setProperty("tone", tone)
        rgb = QColor(tone)
        self.setStyleSheet(
            f"QFrame#lifecycle {{ border: 1px solid {tone}; border-left: 4px solid {tone};"
            f" border-radius: 6px;"
            f" background: rgba({rgb.red()}, {rgb.green()}, {rgb.blue()}, 22); }}"
        )
        set_text_color(self.state_label, tone)
        moment = sub.submitted_at if sub.state is SubmissionState.SUBMITTED else sub.updated_at
        self.time_label.setText(short_time(moment or sub.updated_at))
        route = f"via {sub.platform.label} as {sub.account}"
        if sub.state is SubmissionState.FAILED and sub.failure is not None:
            detail = sub.failure.describe()
        elif sub.platform_status:
            detail = f"{route} · platform status “{sub.platform_status}”"
        else:
            detail = route
        self.detail_label.setText(detail)
        self.retry_button.setVisible(sub.retryable)
        self.retry_button.setEnabled(not retry_pending)
        self.retry_button.setText("Retrying…" if retry_pending else "Retry")
        entries = sorted(sub.history, key=lambda e: e.at, reverse=True)
        self.history_button.setText(f"History ({len(entries)})")
        self.history_button.setVisible(bool(entries))
        rows = "".join(
            f"<tr><td>{short_time(e.at)}</td><td>&nbsp;&nbsp;{e.state.value}"
            f"{'' if e.outcome is Outcome.NONE else ' · ' + e.outcome.value}</td>"
            f"<td>&nbsp;&nbsp;{e.via}</td></tr>"
            for e in entries
        )
        self.history_label.setText(f"<table>{rows}</table>")
        self.history_label.setVisible(self.history_button.isChecked() and bool(entries))
        self.show()

    @staticmethod
    def _title_and_tone(sub: Submission) -> tuple[str, str]:
        state = sub.state
        if state is SubmissionState.SUBMITTED:
            if sub.outcome is Outcome.NONE:
                return "Submitted", SUCCESS_COLOR
            tone = {
                Outcome.ACCEPTED: SUCCESS_COLOR,
                Outcome.REJECTED: NEUTRAL_COLOR,
                Outcome.CLOSED: NEUTRAL_COLOR,
            }.get(sub.outcome, INFO_COLOR)
            return f"Submitted · {_OUTCOME_TEXT[sub.outcome]}", tone
        if state is SubmissionState.SCHEDULED:
            when = f" for {short_time(sub.scheduled_at)}" if sub.scheduled_at else ""
            return f"Scheduled{when}", INFO_COLOR
        if state is SubmissionState.UNKNOWN:
            return "Checking with the platform…", WARNING_COLOR
        if state is SubmissionState.FAILED:
            return "Not sent", ERROR_COLOR
        if state is SubmissionState.WITHDRAWN:
            return "Withdrawn", NEUTRAL_COLOR
        if state is SubmissionState.STAGED:
            return "Queued", INFO_COLOR
        if state is SubmissionState.DRAFT:
            return "Draft", NEUTRAL_COLOR
        return "Submitting…", INFO_COLOR

    def _on_retry_button_clicked(self) -> None:
        if self._submission is not None and self._submission.retryable:
            self.retry_clicked.emit(self._submission.id)

    def _on_history_button_toggled(self, checked: bool) -> None:
        self.history_button.setArrowType(
            Qt.ArrowType.DownArrow if checked else Qt.ArrowType.RightArrow
        )
        self.history_label.setVisible(checked)
